// Ensembles (src/ensemble.hpp): the seed and grid syntax, the runs and their
// order, how ranks share them, and the table's statistics.

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <set>
#include <sstream>

#include "io/options.hpp"
#include "src/ensemble.hpp"
#include "tests/cli_helpers.hpp"

namespace cbgtc {
namespace {

TEST(EnsembleSeeds, ListsAndRangesInOrder) {
  EXPECT_EQ(parseSeeds("1-3, 7,10-11"), (std::vector<std::uint64_t>{1, 2, 3, 7, 10, 11}));
  EXPECT_EQ(parseSeeds("42"), (std::vector<std::uint64_t>{42}));
  EXPECT_TRUE(parseSeeds("  ").empty());
}

TEST(EnsembleSeeds, BadListsAreRefusedNamingTheKey) {
  for (const char* bad : {"1,,2", "a", "3-1", "1-3, 2", "-1", "1.5", "1,", "1-", "4-2-1", "9223372036854775808"}) {
    try {
      parseSeeds(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("ensemble.seeds"), std::string::npos) << e.what();
      // The item at fault is quoted, never an empty ''.
      EXPECT_EQ(std::string(e.what()).find("''"), std::string::npos) << e.what();
    }
  }
}

TEST(EnsembleGrid, AxesAndValues) {
  const auto grid = parseGrid("population.STR.rate_hz = 1, 2.5 ; stimulus.dbs.frequency_hz=20,130,180;");
  ASSERT_EQ(grid.size(), 2u);
  EXPECT_EQ(grid[0].key, "population.STR.rate_hz");
  EXPECT_EQ(grid[0].values, (std::vector<std::string>{"1", "2.5"}));
  EXPECT_EQ(grid[1].values, (std::vector<std::string>{"20", "130", "180"}));
  for (const char* bad : {"a.b", "a.b = 1,", "= 1", "a.b = 1; a.b = 2", "simulation.seed = 1, 2",
                          "output.file = x.h5", "ensemble.seeds = 1", "a.b = ", "a.b = 5, 5", "a.b = 300, 3e2",
                          "a.b = 1, 1.0", ";"}) {
    try {
      parseGrid(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("ensemble.grid"), std::string::npos) << e.what();
    }
  }
  // A non-finite value is no duplicate of another (the key's own check
  // refuses it by name when the run's keys are read).
  EXPECT_EQ(parseGrid("a.b = 1, nan, inf").at(0).values, (std::vector<std::string>{"1", "nan", "inf"}));
  EXPECT_EQ(parseGrid("a.b = nan, 2").at(0).values.size(), 2u);
}

// Every run's plan is held until the end: an ensemble past max_ensemble_runs
// is refused before a point is made, also where the count overflows 64 bits
// (8 keys of 256 values), and so is a value of megabytes.
TEST(EnsembleGrid, AnEnsembleTooLargeToPlanIsRefused) {
  const auto message = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  const auto values = [](std::size_t n) {
    std::string text;
    for (std::size_t v = 0; v < n; ++v) text += (v ? "," : "") + std::to_string(v);
    return text;
  };
  std::string huge;
  for (int k = 0; k < 8; ++k) huge += "population.STN.k" + std::to_string(k) + " = " + values(256) + ";";
  ASSERT_LE(huge.size(), max_ensemble_text);
  EXPECT_NE(
      message([&] { parseGrid(huge); }).find("ensemble.grid: its points make more than the 100000 runs"),
      std::string::npos);
  const std::string at_cap = "a.b = " + values(1000) + "; a.c = " + values(100);
  EXPECT_EQ(gridPoints(parseGrid(at_cap)).size(), max_ensemble_runs);
  EXPECT_NE(message([&] { parseGrid(at_cap + ", 100"); }).find("ensemble.grid"), std::string::npos);
  // Seeds times points.
  const auto points = gridPoints(parseGrid("a.b = " + values(1000)));
  EXPECT_EQ(ensembleRuns(points, parseSeeds("1-100"), 1).size(), max_ensemble_runs);
  EXPECT_NE(message([&] {
              ensembleRuns(points, parseSeeds("1-101"), 1);
            }).find("ensemble.seeds: 101 seeds at 1000 points make more than"),
            std::string::npos);
  EXPECT_NE(message([&] { parseSeeds("1-60000, 100001-160000"); }).find("ensemble.seeds"), std::string::npos);
  // A value of more than max_ensemble_text characters.
  const std::string long_text = "a.b = " + values(20000);
  ASSERT_GT(long_text.size(), max_ensemble_text);
  EXPECT_NE(message([&] { parseGrid(long_text); }).find("ensemble.grid: its"), std::string::npos);
  EXPECT_NE(message([&] { parseSets(long_text); }).find("ensemble.sets: its"), std::string::npos);
  EXPECT_NE(message([&] { parseSeeds(values(20000)); }).find("ensemble.seeds: its"), std::string::npos);
}

// Sets: paired values that are no grid, each with every seed.
TEST(EnsembleSets, EachSetWithEverySeed) {
  const auto sets = parseSets("a.x = 1, b.y = p; a.x = 2 ,b.y=q;");
  ASSERT_EQ(sets.size(), 2u);
  EXPECT_EQ(sets[1], (Overrides{{"a.x", "2"}, {"b.y", "q"}}));
  const auto runs = ensembleRuns(sets, {5, 6, 7}, 42);
  ASSERT_EQ(runs.size(), 6u);
  for (std::size_t r = 0; r < runs.size(); ++r) {
    EXPECT_EQ(runs[r].point, r / 3);
    EXPECT_EQ(runs[r].seed, 5 + r % 3);
    EXPECT_EQ(runs[r].overrides, sets[r / 3]);
  }
  for (const char* bad : {"a.b", "a.b = ", "= 1", "a.b = 1, a.b = 2", "simulation.seed = 1",
                          "ensemble.grid = x", ";", "a.b = 1; a.b = 1"}) {
    try {
      parseSets(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("ensemble.sets"), std::string::npos) << e.what();
    }
  }
}

TEST(EnsembleRuns, EveryPointWithEverySeedLastAxisFastest) {
  const auto runs = ensembleRuns(parseGrid("a.x = 1, 2; b.y = p, q, r"), {5, 6}, 42);
  ASSERT_EQ(runs.size(), 2u * 3 * 2);
  std::set<std::string> combinations;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    EXPECT_EQ(runs[r].index, r);
    EXPECT_EQ(runs[r].point, r / 2);
    EXPECT_EQ(runs[r].seed, r % 2 == 0 ? 5u : 6u);
    ASSERT_EQ(runs[r].overrides.size(), 2u);
    EXPECT_EQ(runs[r].overrides[0].second, r / 6 == 0 ? "1" : "2");
    EXPECT_EQ(runs[r].overrides[1].second, std::string(1, "pqr"[(r / 2) % 3]));
    combinations.insert(runs[r].overrides[0].second + runs[r].overrides[1].second + std::to_string(runs[r].seed));
  }
  EXPECT_EQ(combinations.size(), runs.size());
  const auto plain = ensembleRuns(std::vector<GridAxis>{}, {}, 42);
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0].seed, 42u);
}

TEST(EnsembleRanks, EveryRankHasAGroupAndEveryGroupRanks) {
  for (int ranks = 1; ranks <= 9; ++ranks)
    for (std::size_t runs = 1; runs <= 12; ++runs) {
      const RankGroups g = rankGroups(ranks, runs);
      EXPECT_EQ(static_cast<std::size_t>(g.groups), std::min<std::size_t>(ranks, runs));
      std::vector<int> members(g.groups, 0);
      for (int r = 0; r < ranks; ++r) {
        const int group = g.group_of_rank(r, ranks);
        ASSERT_GE(group, 0);
        ASSERT_LT(group, g.groups);
        ++members[group];
        if (r > 0) EXPECT_GE(group, g.group_of_rank(r - 1, ranks)) << "groups are contiguous";
      }
      for (int m : members) EXPECT_GE(m, 1);
      EXPECT_EQ(g.group_of_rank(0, ranks), 0);
    }
}

TEST(EnsembleFiles, RunFilesAreNumberedToTheSameWidth) {
  EXPECT_EQ(runOutputFile("out/run.h5", 3, 12), "out/run_03.h5");
  EXPECT_EQ(runOutputFile("run.h5", 0, 1), "run_0.h5");
  EXPECT_EQ(runOutputFile("dir.v2/run", 7, 8), "dir.v2/run_7");
  EXPECT_EQ(ensembleTableFile("out/run.h5"), "out/run_ensemble.tsv");
  EXPECT_EQ(ensembleTableFile("dir.v2/run"), "dir.v2/run_ensemble.tsv");
}

RunSummary summaryWith(double rate, double cv, double coherence) {
  RunSummary s;
  PopulationSummary p;
  p.name = "STN";
  p.size = 10;
  p.rate_hz = rate;
  p.cv_isi = cv;
  s.populations = {p};
  s.pairs = {PairSummary{"STN", "GPe", coherence}};
  return s;
}

// The numbers of the column `metric` in the rows whose first field is `row`.
std::vector<std::string> column(const std::string& table, const std::string& row, const std::string& metric) {
  std::istringstream lines(table);
  std::string header;
  std::getline(lines, header);
  std::vector<std::string> names;
  {
    std::istringstream h(header);
    for (std::string f; std::getline(h, f, '\t');) names.push_back(f);
  }
  const auto at = std::find(names.begin(), names.end(), metric) - names.begin();
  std::vector<std::string> out;
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> fields;
    std::istringstream l(line);
    for (std::string f; std::getline(l, f, '\t');) fields.push_back(f);
    if (fields.at(0).rfind(row, 0) == 0 && fields.at(4) == "STN") out.push_back(fields.at(at));
  }
  return out;
}

TEST(EnsembleTable, MeanAndSampleSdPerGridPointLeavingOutNaN) {
  const auto runs = ensembleRuns(parseGrid("k.x = a, b"), {1, 2, 3}, 0);
  const double nan = std::nan("");
  std::vector<RunSummary> s = {summaryWith(10, 0.5, 0.1), summaryWith(12, nan, 0.2), summaryWith(14, 0.7, 0.3),
                               summaryWith(1, 0.1, nan),  summaryWith(1, 0.1, nan),  summaryWith(1, 0.1, nan)};
  const std::string table = ensembleTable(runs, s);
  EXPECT_EQ(column(table, "run", "rate_hz"), (std::vector<std::string>{"10", "12", "14", "1", "1", "1"}));
  EXPECT_EQ(column(table, "mean", "rate_hz"), (std::vector<std::string>{"12", "1"}));
  EXPECT_EQ(column(table, "sd", "rate_hz"), (std::vector<std::string>{"2", "0"}));
  EXPECT_EQ(column(table, "mean", "cv_isi")[0], "0.6");
  EXPECT_DOUBLE_EQ(std::stod(column(table, "mean", "cv_isi")[1]), 0.1);  // every digit: 0.10000000000000002
  EXPECT_DOUBLE_EQ(std::stod(column(table, "sd", "cv_isi")[0]), std::sqrt(0.02));  // √((0.1² + 0.1²)/1)
  // How many runs define each metric: the mean of cv_isi is over 2 of 3.
  EXPECT_EQ(column(table, "defined", "cv_isi"), (std::vector<std::string>{"2", "3"}));
  EXPECT_EQ(column(table, "defined", "rate_hz"), (std::vector<std::string>{"3", "3"}));
  EXPECT_EQ(column(table, "mean", "synchrony_chi")[0], "0");  // the default summary's zeros
  EXPECT_NE(table.find("STN~GPe\t3"), std::string::npos);
  EXPECT_NE(table.find("nan"), std::string::npos);
}

// A failed run's metrics are NaN like undefined ones; its status says which
// it is, and the statistics leave it out.
TEST(EnsembleTable, AFailedRunIsMarkedAndLeftOut) {
  const auto runs = ensembleRuns(std::vector<GridAxis>{}, {1, 2}, 0);
  const std::vector<RunSummary> s = {summaryWith(10, 0.5, 0.1), failedRunSummary(summaryWith(12, 0.7, 0.2))};
  const std::string table = ensembleTable(runs, s);
  EXPECT_EQ(column(table, "run", "status"), (std::vector<std::string>{"ok", "failed"}));
  EXPECT_EQ(column(table, "run", "rate_hz"), (std::vector<std::string>{"10", "nan"}));
  EXPECT_EQ(column(table, "mean", "rate_hz"), (std::vector<std::string>{"10"}));
  EXPECT_EQ(column(table, "defined", "rate_hz"), (std::vector<std::string>{"1"}));
  EXPECT_EQ(column(table, "mean", "status"), (std::vector<std::string>{"-"}));
  EXPECT_NE(table.find("STN~GPe\t1\t" + std::string("nan")), std::string::npos);
}

// The printed digest shows a sample sd only where two runs define the metric.
TEST(EnsembleDigest, OneDefinedValueHasNoSpread) {
  const auto runs = ensembleRuns(parseGrid("k.x = a, b"), {1, 2}, 0);
  const double nan = std::nan("");
  const std::vector<RunSummary> s = {summaryWith(10, 0.5, 0.1), summaryWith(14, nan, 0.2),
                                     summaryWith(1, 0.1, nan), summaryWith(1, 0.1, nan)};
  const std::string digest = ensembleDigest(runs, s);
  const auto row = [&](std::size_t point) {
    std::size_t at = digest.find("grid point " + std::to_string(point));
    at = digest.find("\nSTN", at);
    return digest.substr(at + 1, digest.find('\n', at + 1) - at - 1);
  };
  // rate 12 ± √8, CV of one defined run 0.5 with no sd; the second point's sd is 0.
  EXPECT_NE(row(0).find("12 ± 2.8"), std::string::npos) << row(0);
  EXPECT_NE(row(0).find("0.5 ± n/a"), std::string::npos) << row(0);
  EXPECT_NE(row(1).find("1 ± 0 "), std::string::npos) << row(1);
  EXPECT_NE(row(1).find("0.1 ± 0 "), std::string::npos) << row(1);
  EXPECT_NE(digest.find(" beta_power "), std::string::npos)
      << digest;  // what DBS lowers, shown beside relative beta
}

TEST(EnsembleSummaries, AFailedRunHasNoMetrics) {
  const RunSummary failed = failedRunSummary(summaryWith(10, 0.5, 0.25));
  ASSERT_EQ(failed.populations.size(), 1u);
  EXPECT_EQ(failed.populations[0].name, "STN");
  for (const auto& [name, value] : summaryMetrics(failed.populations[0])) EXPECT_TRUE(std::isnan(value)) << name;
  EXPECT_TRUE(std::isnan(failed.pairs[0].beta_coherence));
  EXPECT_FALSE(failed.complete);
}

TEST(EnsembleSummaries, FlattenedAndBackUnchanged) {
  RunSummary s = summaryWith(10, 0.5, 0.25);
  s.populations[0].pac_z = 3.5;
  s.populations[0].spikes = 123456789;
  s.steps = 4000;
  const auto flat = flattenSummary(s);
  const RunSummary back = unflattenSummary(flat.data(), s);
  EXPECT_EQ(flattenSummary(back), flat);
  EXPECT_EQ(back.populations[0].spikes, 123456789);
  EXPECT_EQ(back.pairs[0].beta_coherence, 0.25);
}

// A merged network's file is named for its first and last run, as the
// runs' own files are numbered; replica_files is each or one.
TEST(EnsembleFiles, AMergedNetworksFileNamesItsRuns) {
  EXPECT_EQ(networkOutputFile("out/ens.h5", 0, 3, 12), "out/ens_00-03.h5");
  EXPECT_EQ(networkOutputFile("ens.h5", 8, 11, 12), "ens_08-11.h5");
  SimulationConfig c;
  c.ensemble.replica_files = "all";
  try {
    checkConsistency(c);
    ADD_FAILURE() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("ensemble.replica_files"), std::string::npos) << e.what();
  }
}

// The runs of a grid point after its first are that run's configuration
// with their own seed and file: each equals its own command line read in
// full, every key of it (the provenance the output file records).
TEST(EnsembleConfigs, EachRunIsItsOwnCommandLineRead) {
  const std::vector<GridAxis> grid = {{"population.GPe.I_e", {"250", "300"}}};
  const std::vector<EnsembleRun> runs = ensembleRuns(grid, {3, 5, 7}, 42);
  int parsed = 0;
  const auto parse = [&](const EnsembleRun& run) {
    const std::vector<std::string> args = {
        "cbgtc",
        "--config",
        test::inputDeck("default.ini"),
        "--simulation.seed=" + std::to_string(run.seed),
        "--output.file=" + runOutputFile("out/ens.h5", run.index, runs.size()),
        "--" + run.overrides.at(0).first + "=" + run.overrides.at(0).second};
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    return io::parseCommandLine(static_cast<int>(argv.size()), argv.data()).config;
  };
  const std::vector<SimulationConfig> configs =
      ensembleConfigs(runs, "out/ens.h5", [&](const EnsembleRun& run) {
        ++parsed;
        return parse(run);
      });
  EXPECT_EQ(parsed, 2);  // once per grid point
  ASSERT_EQ(configs.size(), runs.size());
  for (std::size_t r = 0; r < runs.size(); ++r) {
    SimulationConfig own = parse(runs[r]), given = configs[r];
    const io::Provenance a = io::makeOptionTable(own).provenance(),
                         b = io::makeOptionTable(given).provenance();
    EXPECT_EQ(a.text, b.text) << "run " << r;
    EXPECT_EQ(a.integers, b.integers) << "run " << r;
    ASSERT_EQ(a.reals.size(), b.reals.size());
    for (std::size_t i = 0; i < a.reals.size(); ++i) {
      EXPECT_EQ(a.reals[i].first, b.reals[i].first);
      EXPECT_TRUE(a.reals[i].second == b.reals[i].second ||
                  (std::isnan(a.reals[i].second) && std::isnan(b.reals[i].second)))
          << "run " << r << " " << a.reals[i].first;
    }
  }
}

}  // namespace
}  // namespace cbgtc

// Blanks are no value, on the command line as in a deck: no ensemble.
TEST(EnsembleSettings, BlankKeysAskForNoEnsemble) {
  cbgtc::EnsembleSettings e;
  EXPECT_FALSE(e.any());
  e.seeds = " \t";
  e.grid = " ";
  EXPECT_FALSE(e.any());
  e.sets = " a.b = 1";
  EXPECT_TRUE(e.any());
}
