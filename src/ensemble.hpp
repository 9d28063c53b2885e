#pragma once
// Ensembles: one deck run for a list of seeds and a grid of key overrides
// ([ensemble] seeds and grid; docs/network.md, "Ensembles"), the runs spread
// over the ranks, and one table of every run's metrics with each grid
// point's mean and standard deviation over its seeds.

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "src/config.hpp"
#include "src/simulation.hpp"

namespace cbgtc {

/// The most runs one ensemble makes (seeds × points), and the longest value
/// of its seeds, grid or sets; each run's plan is kept until the end.
constexpr std::size_t max_ensemble_runs = 100000;
constexpr std::size_t max_ensemble_text = 65536;

/// "1-10, 15, 20-22" → 1 … 10, 15, 20, 21, 22 (in that order; repeats are
/// refused). Throws ConfigError naming ensemble.seeds.
std::vector<std::uint64_t> parseSeeds(const std::string& text);

/// One axis of the grid: a key and the values it takes.
struct GridAxis {
  std::string key;  // "population.STR_D2.rate_hz"
  std::vector<std::string> values;
};

/// "key = v1, v2; key2 = v3" → the axes. Throws ConfigError naming
/// ensemble.grid (a missing '=', an empty value, a key given twice).
std::vector<GridAxis> parseGrid(const std::string& text);

/// Keys and values that one run's configuration overrides.
using Overrides = std::vector<std::pair<std::string, std::string>>;

/// "key = v, key2 = w; key = v2, key2 = w2" → one set of overrides per
/// ';'-separated item, e.g. paired changes that are no grid. Throws
/// ConfigError naming ensemble.sets (a missing '=', an empty value, a key
/// given twice in one set, a key the ensemble sets itself).
std::vector<Overrides> parseSets(const std::string& text);

/// The grid's points, row-major (the last axis fastest).
std::vector<Overrides> gridPoints(const std::vector<GridAxis>& grid);

/// One run of an ensemble.
struct EnsembleRun {
  std::size_t index = 0;  // in the ensemble's order
  std::size_t point = 0;  // its grid point (0 without a grid)
  std::uint64_t seed = 0;
  Overrides overrides;  // key, value: the grid point's
};

/// Every (grid point, seed) pair, grid points in row-major order (the last
/// axis fastest), seeds innermost. `fallback_seed` when `seeds` is empty.
std::vector<EnsembleRun> ensembleRuns(const std::vector<GridAxis>& grid, const std::vector<std::uint64_t>& seeds,
                                      std::uint64_t fallback_seed);
/// The same for a list of points (gridPoints or parseSets); none: one point
/// without overrides.
std::vector<EnsembleRun> ensembleRuns(const std::vector<Overrides>& points,
                                      const std::vector<std::uint64_t>& seeds, std::uint64_t fallback_seed);

/// How `ranks` ranks share `runs` runs: in groups of ranks / runs (at least
/// one) ranks; group g runs the runs r with r % groups == g. The ranks left
/// over when the division is not exact join the last group.
struct RankGroups {
  int groups = 1;
  int group_of_rank(int rank, int ranks) const;
};
RankGroups rankGroups(int ranks, std::size_t runs);

/// The output file of run `index`: "<stem>_<index>.<ext>" with the index
/// zero-padded to the width of the last one.
std::string runOutputFile(const std::string& file, std::size_t index, std::size_t runs);

/// Each run's configuration, in `runs`' order. `parse(run)` reads the
/// command line of `run` as a single run's; it is called once per grid
/// point, for the point's first run. The point's other runs differ from it
/// only in simulation.seed and output.file, plain values that no other key
/// is derived from while parsing, so they are that configuration with their
/// own seed and file (runOutputFile of `output_file`): 1000 seeds read the
/// deck once, not 1000 times.
std::vector<SimulationConfig> ensembleConfigs(
    const std::vector<EnsembleRun>& runs, const std::string& output_file,
    const std::function<SimulationConfig(const EnsembleRun&)>& parse);

/// The output file of a merged network of runs first … last
/// (ensemble.replica_files = one): "<stem>_<first>-<last>.<ext>", the
/// indices as runOutputFile writes them.
std::string networkOutputFile(const std::string& file, std::size_t first, std::size_t last, std::size_t runs);

/// A run's numbers as a flat vector, and back (names and pairs taken from
/// `like`, a summary of the same network): how group roots pass their runs'
/// summaries to rank 0 (a sum over ranks of vectors that are zero elsewhere).
std::vector<double> flattenSummary(const RunSummary& s);
RunSummary unflattenSummary(const double* values, const RunSummary& like);

/// `s` with every metric NaN: a failed run's entry in the table.
RunSummary failedRunSummary(const RunSummary& s);

/// The populations and pairs a summary of `config`'s run has, every metric
/// zero: the entry of a run that failed before it had a summary.
RunSummary summaryShape(const SimulationConfig& config);

/// The table's default path: "<output file's stem>_ensemble.tsv".
std::string ensembleTableFile(const std::string& output_file);

/// The metrics of one population's summary, in the table's column order.
std::vector<std::pair<std::string, double>> summaryMetrics(const PopulationSummary& p);

/// The ensemble's table: a header, one row per run and population (and per
/// pair of populations, with its beta coherence), then each grid point's
/// mean and sample standard deviation over its runs (NaN values left out; n
/// says how many counted). Tab-separated; "nan" where undefined. Each run's
/// rows end in its status, ok or failed (a failed run's metrics are NaN).
/// `summaries[r]` belongs to runs[r].
std::string ensembleTable(const std::vector<EnsembleRun>& runs, const std::vector<RunSummary>& summaries);

/// A few metrics' mean ± sd per grid point and population, for the terminal.
std::string ensembleDigest(const std::vector<EnsembleRun>& runs, const std::vector<RunSummary>& summaries);

}  // namespace cbgtc
