// The cbgtc executable as a user runs it: --help, --version, --validate,
// exit codes, the one-line error on stderr, and that a rejected run leaves no
// output file behind (neither the file nor its .partial).

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <Kokkos_Core.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "tests/cli_helpers.hpp"

using cbgtc::test::inputDeck;
using cbgtc::test::quoted;
using cbgtc::test::readSpikes;
using cbgtc::test::runCbgtc;
using cbgtc::test::RunResult;
using cbgtc::test::slurp;
using cbgtc::test::spikePopulations;
using cbgtc::test::TempDir;

namespace {

/// `--output.file=<dir>/out.h5`, quoted for the shell.
std::string outputIn(const TempDir& dir) { return "--output.file=" + quoted(dir / "out.h5"); }

/// A short valid run: one GPi neuron for 10 ms.
std::string tinyRun(double burn_in_ms = 0) {
  return "--config " + quoted(inputDeck("single_gpi.ini")) +
         " --simulation.duration_ms=10 --analysis.burn_in_ms=" + std::to_string(burn_in_ms);
}

/// Names of the files in `dir` that look like output (.h5 or .partial).
std::vector<std::string> outputFiles(const TempDir& dir) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    const std::string name = entry.path().filename().string();
    const auto has_suffix = [&name](const std::string& s) {
      return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
    };
    if (has_suffix(".h5") || has_suffix(".partial") || name.find(".h5.") != std::string::npos)
      found.push_back(name);
  }
  return found;
}

/// Exactly one line on stderr, "cbgtc: error: ...", containing `needle`.
void expectOneErrorLine(const RunResult& r, const std::string& needle) {
  EXPECT_EQ(r.err.rfind("cbgtc: error:", 0), 0u) << "stderr: " << r.err;
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.back(), '\n') << "stderr: " << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "more than one line on stderr: " << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << "stderr lacks '" << needle << "': " << r.err;
}

/// Runs `args` writing into a fresh directory and expects the configuration
/// to be refused: exit 2, one error line naming `needle`, no output file.
void expectRefused(const std::string& args, const std::string& needle) {
  SCOPED_TRACE("cbgtc " + args);
  TempDir dir;
  const RunResult r = runCbgtc(args + " " + outputIn(dir), dir);
  EXPECT_EQ(r.exit_code, 2) << "stdout: " << r.out << "\nstderr: " << r.err;
  expectOneErrorLine(r, needle);
  EXPECT_TRUE(outputFiles(dir).empty()) << "left behind: " << outputFiles(dir).front();
}

void writeBytes(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary);
  out << bytes;
  ASSERT_TRUE(out.good()) << p;
}

}  // namespace

// ---------------------------------------------------------------- information

TEST(CliInfo, HelpListsKeys) {
  TempDir dir;
  const RunResult r = runCbgtc("--help", dir);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Usage"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("population.STN.ISTN"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("population.GPe.I_e"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("projection.stn_gpe.g_total"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("simulation.dt_ms"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("execution.delivery"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[population.GPi]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[ms]"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(outputFiles(dir).empty());
}

// --version (and every output file's git_hash) names the commit the
// sources are at, with "-dirty" when the code differs from it: the hash is
// refreshed before every build (cmake/GitHash.cmake), not only when the
// build was first configured. Skipped outside a git checkout.
TEST(CliInfo, VersionNamesTheCurrentCommit) {
  TempDir dir;
  const std::string source = "git -C '" + std::string(CBGTC_SOURCE_DIR) + "' ";
  const std::string git =
      source + "rev-parse --short=12 HEAD >'" + (dir / "head.txt").string() + "' 2>/dev/null";
  if (std::system(git.c_str()) != 0) GTEST_SKIP() << "not a git checkout";
  std::string head = slurp(dir / "head.txt");
  while (!head.empty() && std::isspace(static_cast<unsigned char>(head.back()))) head.pop_back();
  ASSERT_EQ(head.size(), 12u) << head;
  const int clean =
      std::system((source + "diff --quiet HEAD -- src kernels io cmake CMakeLists.txt").c_str());
  if (clean != 0) head += "-dirty";
  const RunResult r = runCbgtc("--version", dir);
  EXPECT_NE(r.out.find("(git " + head + ")"), std::string::npos) << r.out << " vs HEAD " << head;
}

TEST(CliInfo, VersionListsLibraries) {
  TempDir dir;
  const RunResult r = runCbgtc("--version", dir);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");
  const std::string& v = r.out;
  EXPECT_EQ(v.rfind("cbgtc", 0), 0u) << v;
  EXPECT_TRUE(v.find("Kokkos") != std::string::npos || v.find("kokkos_version") != std::string::npos) << v;
  bool backend = false;
  for (const char* b : {"Serial", "OpenMP", "Threads", "Cuda", "HIP", "SYCL"})
    backend = backend || v.find(b) != std::string::npos;
  EXPECT_TRUE(backend) << v;
  std::string lower;
  for (char ch : v) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  EXPECT_NE(lower.find("mpi"), std::string::npos) << v;
  EXPECT_NE(lower.find("hdf5"), std::string::npos) << v;
  EXPECT_TRUE(outputFiles(dir).empty());
}

// ---------------------------------------------------------------- refused input

TEST(CliErrors, UnknownKey) { expectRefused(tinyRun() + " --population.GPi.foo=1", "population.GPi.foo"); }

// A key of the earlier format names the key that replaced it.
TEST(CliErrors, MovedKey) {
  expectRefused(tinyRun() + " --gpi.I_baseline 200", "population.GPi.I_e");
  expectRefused(tinyRun() + " --simulation.delivery team", "execution.delivery");
}

TEST(CliErrors, NonNumericValue) {
  expectRefused(tinyRun() + " --population.GPi.I_e=abc", "population.GPi.I_e");
}

// The single-GPi deck describes the whole circuit: a population it lacks is
// a new one on the command line and needs a model, and a projection must
// name populations that exist.
TEST(CliErrors, PopulationOutsideTheDeck) {
  expectRefused(tinyRun() + " --population.STN.n=5", "population.STN.model is required");
  expectRefused(tinyRun() + " --projection.stn_gpi.source=STN --projection.stn_gpi.target=GPi",
                "projection.stn_gpi.source");
}

TEST(CliErrors, NonPositiveTimeStep) {
  expectRefused(tinyRun() + " --simulation.dt_ms=0", "simulation.dt_ms");
  expectRefused(tinyRun() + " --simulation.dt_ms=-0.1", "simulation.dt_ms");
}

TEST(CliErrors, DurationNotAMultipleOfDt) {
  expectRefused("--config " + quoted(inputDeck("single_gpi.ini")) + " --simulation.duration_ms=1.01",
                "simulation.duration_ms");
}

TEST(CliErrors, NegativePopulationSize) {
  expectRefused(tinyRun() + " --population.GPi.n=-1", "population.GPi.n");
}

TEST(CliErrors, NegativeConductance) {
  expectRefused(tinyRun() + " --population.GPi.g_L=-1", "population.GPi.g_L");
  // A population added on the command line is held to the same rules.
  expectRefused(tinyRun() + " --population.STN.model=stn_hh --population.STN.gNa=-1", "population.STN.gNa");
}

TEST(CliErrors, BadRecordSection) {
  // tinyRun's deck: one GPi neuron (adex: V, w, refractory_steps_left).
  const std::string rec = " --record.x.population=GPi --record.x.count=1";
  expectRefused(tinyRun() + rec + " --record.x.variables=V,h", "record.x.variables: 'h' is not a variable");
  expectRefused(tinyRun() + rec + " --record.x.population=STR", "record.x.population");
  expectRefused(tinyRun() + rec + " --record.x.count=100000", "record.x.count");
  expectRefused(tinyRun() + rec + " --record.x.interval_ms=0.01", "record.x.interval_ms");
  // More steps than a step count holds (it wrapped around to a negative interval).
  expectRefused(tinyRun() + rec + " --record.x.interval_ms=1e300",
                "record.x.interval_ms (1e+300 ms) is more than");
  expectRefused(tinyRun() + rec + " --record.x.intervall_ms=1", "record.x.intervall_ms");
  // A report file that cannot be written stops the run before anything is.
  expectRefused(tinyRun() + rec + " --record.x.file=/nonexistent/dir/x.h5", "/nonexistent/dir/x.h5");
}

// A FIFO in place of a file the run reads would block it in open() for
// ever, --validate too, leaving a .partial behind once killed.
TEST(CliErrors, AFifoInPlaceOfAnInputFileIsRefused) {
  TempDir dir;
  const std::string fifo = (dir / "input.fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string& input :
       {" --population.R.model=spike_times --population.R.n=10 --population.R.spike_population=GPi "
        "--population.R.spike_file=" +
            quoted(fifo),
        " --restart " + quoted(fifo), " --analysis.burst_threshold_file=" + quoted(fifo)})
    for (const char* validate : {"", " --validate"}) {
      const RunResult r = runCbgtc(tinyRun() + input + validate + " " + outputIn(dir), dir);
      EXPECT_EQ(r.exit_code, 2) << input << validate << ": " << r.err;
      expectOneErrorLine(r, "'" + fifo + "' is not a regular file");
      EXPECT_TRUE(outputFiles(dir).empty()) << input;
    }
}

// A spike file whose read fails (an I/O error: /proc/self/mem at offset 0)
// is named as unreadable, not as a file without a header.
TEST(CliErrors, ASpikeFileThatCannotBeReadIsNamedSo) {
  if (!std::filesystem::exists("/proc/self/mem")) GTEST_SKIP() << "no /proc/self/mem here";
  TempDir dir;
  const RunResult r =
      runCbgtc(tinyRun() +
                   " --population.R.model=spike_times --population.R.n=10"
                   " --population.R.spike_population=GPi --population.R.spike_file=/proc/self/mem " +
                   outputIn(dir),
               dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  expectOneErrorLine(r, "cannot read spike file '/proc/self/mem'");
  EXPECT_TRUE(outputFiles(dir).empty());
}

// Every shipped deck sets output.overwrite: an output file named like the
// deck would replace it with HDF5.
TEST(CliErrors, AFileTheRunWouldWriteOverItsDeckIsRefused) {
  TempDir dir;
  const std::string deck = (dir / "deck.ini").string();
  std::filesystem::copy_file(inputDeck("single_gpi.ini"), deck);
  const std::string text = slurp(deck);
  for (const std::string& key : {"--output.file=", "--checkpoint.on_signal=true --checkpoint.file="})
    for (const char* validate : {"", " --validate"}) {
      const RunResult r =
          runCbgtc("--config " + quoted(deck) + " --simulation.duration_ms=10 --output.overwrite=true " +
                       key + quoted(deck) + validate,
                   dir);
      EXPECT_EQ(r.exit_code, 2) << key << validate << ": " << r.err;
      expectOneErrorLine(r, "'" + deck + "' is the deck this run reads (--config), which it would replace");
      EXPECT_EQ(slurp(deck), text);
      EXPECT_TRUE(outputFiles(dir).empty()) << key;
    }
  // The deck read through a link, or written through a linked folder.
  std::filesystem::create_symlink(deck, dir / "link.ini");
  std::filesystem::create_directory_symlink(dir.path(), dir / "self");
  for (const auto& [config, output] : {std::pair{(dir / "link.ini").string(), deck},
                                       std::pair{deck, (dir / "self" / "deck.ini").string()}}) {
    const RunResult r = runCbgtc("--config " + quoted(config) +
                                     " --simulation.duration_ms=10 --output.overwrite=true"
                                     " --output.file=" +
                                     quoted(output),
                                 dir);
    EXPECT_EQ(r.exit_code, 2) << config << " " << output << ": " << r.err;
    expectOneErrorLine(r, "is the deck this run reads (--config), which it would replace");
    EXPECT_EQ(slurp(deck), text);
  }
}

// Nor may a file the run writes replace one it reads: a spike source's file
// (as the output file, the ensemble's table, or one of its runs' files).
TEST(CliErrors, AFileTheRunWouldWriteOverItsInputIsRefused) {
  TempDir dir;
  const std::string spikes = (dir / "x_0.h5").string(), table = (dir / "spikes.tsv").string();
  ASSERT_EQ(
      runCbgtc("--config " + quoted(inputDeck("default.ini")) +
                   " --simulation.duration_ms=50 --analysis.burn_in_ms=0 --output.file=" + quoted(spikes),
               dir)
          .exit_code,
      0);
  std::ofstream(table) << "timestamps population node_ids\n1.5 STN 0\n";
  const std::string before = slurp(spikes), table_before = slurp(table);
  const std::string replay = "--config " + quoted(inputDeck("default.ini")) +
                             " --simulation.duration_ms=50 --analysis.burn_in_ms=0 --output.overwrite=true"
                             " --population.R.model=spike_times --population.R.n=100"
                             " --population.R.spike_population=STN";
  for (const auto& [args, expected] :
       {std::pair<std::string, std::string>{
            " --population.R.spike_file=" + quoted(spikes) + " --output.file=" + quoted(spikes),
            "output.file: '" + spikes +
                "' is the file population.R.spike_file reads, which it would "
                "replace"},
        {" --population.R.spike_file=" + quoted(table) + " --output.file=" + quoted(dir / "y.h5") +
             " --ensemble.seeds=1-2 --ensemble.table=" + quoted(table),
         "ensemble.table: '" + table + "' is the file population.R.spike_file reads"},
        {" --population.R.spike_file=" + quoted(spikes) + " --output.file=" + quoted(dir / "x.h5") +
             " --ensemble.seeds=1-2",
         "would be written by ensemble run 0 (output.file), and ensemble run 0 reads it "
         "(population.R.spike_file)"}}) {
    const RunResult r = runCbgtc(replay + args, dir);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.err;
    expectOneErrorLine(r, expected);
    EXPECT_EQ(slurp(spikes), before) << args;
    EXPECT_EQ(slurp(table), table_before) << args;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "y_0.h5"));
  EXPECT_FALSE(std::filesystem::exists(dir / "x_1.h5"));
}

TEST(CliErrors, MissingDeck) {
  TempDir dir;
  const std::string deck = (dir / "nope.ini").string();
  const RunResult r = runCbgtc("--config " + quoted(deck) + " " + outputIn(dir), dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  expectOneErrorLine(r, deck);
  EXPECT_TRUE(outputFiles(dir).empty());
}

TEST(CliErrors, UnwritableOutputLocation) {
  TempDir dir;
  const std::string target = "/nonexistent_dir_cbgtc/out.h5";
  ASSERT_FALSE(std::filesystem::exists("/nonexistent_dir_cbgtc"));
  const RunResult r = runCbgtc(tinyRun() + " --output.file=" + target, dir);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  expectOneErrorLine(r, target);
  EXPECT_FALSE(std::filesystem::exists("/nonexistent_dir_cbgtc"));
  EXPECT_TRUE(outputFiles(dir).empty());
}

TEST(CliErrors, ExistingOutputWithoutOverwriteIsKept) {
  TempDir dir;
  const auto out = dir / "out.h5";
  const std::string bytes = std::string("not an HDF5 file\n\0\x01\x02\xff", 21);
  writeBytes(out, bytes);
  const RunResult r = runCbgtc(tinyRun() + " " + outputIn(dir), dir);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.exit_code, 2);
  expectOneErrorLine(r, out.string());
  EXPECT_EQ(slurp(out), bytes);  // unchanged, byte for byte
  EXPECT_EQ(outputFiles(dir), std::vector<std::string>{"out.h5"});
  EXPECT_FALSE(std::filesystem::exists(dir / "out.h5.partial"));

  // Also with an explicit --output.overwrite=false.
  const RunResult r2 = runCbgtc(tinyRun() + " --output.overwrite=false " + outputIn(dir), dir);
  EXPECT_EQ(r2.exit_code, 2);
  EXPECT_EQ(slurp(out), bytes);
}

// ---------------------------------------------------------------- runs

TEST(CliRun, OverwriteReplacesExistingOutput) {
  TempDir dir;
  const auto out = dir / "out.h5";
  const std::string bytes = "stale output of an earlier run\n";
  writeBytes(out, bytes);
  const RunResult r = runCbgtc(tinyRun() + " --output.overwrite=true " + outputIn(dir), dir);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(std::filesystem::exists(out));
  EXPECT_FALSE(std::filesystem::exists(dir / "out.h5.partial"));
  EXPECT_EQ(outputFiles(dir), std::vector<std::string>{"out.h5"});
  EXPECT_NE(slurp(out), bytes);
  const auto spikes = readSpikes(out.string(), "GPi");  // a valid output file
  EXPECT_EQ(spikes.times_ms.size(), spikes.node_ids.size());
  for (std::size_t i = 0; i < spikes.times_ms.size(); ++i) {
    EXPECT_GE(spikes.times_ms[i], 0.0);
    EXPECT_LT(spikes.times_ms[i], 10.0);
    EXPECT_EQ(spikes.node_ids[i], 0u);
  }
}

TEST(CliRun, ValidateCreatesNoOutput) {
  TempDir dir;
  const RunResult ok = runCbgtc("--validate " + tinyRun() + " " + outputIn(dir), dir);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.err, "");
  EXPECT_TRUE(outputFiles(dir).empty());

  const RunResult bad = runCbgtc("--validate " + tinyRun() + " --population.GPi.g_L=-1 " + outputIn(dir), dir);
  EXPECT_EQ(bad.exit_code, 2);
  expectOneErrorLine(bad, "population.GPi.g_L");
  EXPECT_TRUE(outputFiles(dir).empty());
}

TEST(CliRun, EmptyPopulationsWriteEmptySpikeDatasets) {
  TempDir dir;
  const auto out = dir / "out.h5";
  const RunResult r = runCbgtc(
      "--population.STN.n=0 --population.GPe.n=0 --population.GPi.n=0 --simulation.duration_ms=1 " + outputIn(dir),
      dir);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ASSERT_TRUE(std::filesystem::exists(out));
  EXPECT_FALSE(std::filesystem::exists(dir / "out.h5.partial"));
  for (const char* pop : {"STN", "GPe", "GPi"}) {
    const auto spikes = readSpikes(out.string(), pop);
    EXPECT_TRUE(spikes.times_ms.empty()) << pop;
    EXPECT_TRUE(spikes.node_ids.empty()) << pop;
  }
#ifdef CBGTC_ENABLE_HDF5
  EXPECT_EQ(spikePopulations(out.string()), (std::set<std::string>{"STN", "GPe", "GPi"}));
#endif
}

// The output of a deck's circuit holds its populations, named after their
// sections, and only those; the banner names them with their sizes.
TEST(CliRun, SpikePopulationsAreTheDecksPopulations) {
  TempDir dir;
  const auto deck = dir / "two.ini";
  writeBytes(deck,
             "[simulation]\nduration_ms = 50\n"
             "[population.Fast]\nmodel = adex\nn = 3\nI_e = 400\n"
             "[population.Driven]\nmodel = stn_hh\nn = 2\n"
             "[projection.fast_driven]\nsource = Fast\ntarget = Driven\np = 1\ng_total = 0.5\n");
  const auto out = dir / "out.h5";
  const RunResult r = runCbgtc("--config " + quoted(deck) + " " + outputIn(dir), dir);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(": Fast 3, Driven 2 neurons;"), std::string::npos) << r.out;
  EXPECT_EQ(spikePopulations(out.string()), (std::set<std::string>{"Fast", "Driven"}));
  const auto fast = readSpikes(out.string(), "Fast");
  EXPECT_FALSE(fast.times_ms.empty());
  for (auto id : fast.node_ids) EXPECT_LT(id, 3u);
  for (auto id : readSpikes(out.string(), "Driven").node_ids) EXPECT_LT(id, 2u);
}

TEST(CliRun, BannerNamesTheBuiltInPopulations) {
  TempDir dir;
  const RunResult r = runCbgtc("--simulation.duration_ms=1 " + outputIn(dir), dir);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("cbgtc ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find(": STN 100, GPe 200, GPi 150 neurons; "), std::string::npos) << r.out;
}

// The table's header names the Welch segment the spectra used: the whole
// analysed trace where it is shorter than analysis.segment_ms.
TEST(CliRun, SummaryNamesTheWelchSegmentUsed) {
  TempDir dir;
  const std::string one_gpi =
      "--config " + quoted(inputDeck("single_gpi.ini")) + " --analysis.burn_in_ms=100 ";
  RunResult r = runCbgtc(one_gpi + "--simulation.duration_ms=700 " + outputIn(dir), dir);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Welch 600 ms segments"), std::string::npos) << r.out;
  r = runCbgtc(one_gpi + "--simulation.duration_ms=1600 --output.overwrite=true " + outputIn(dir), dir);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Welch 1000 ms segments"), std::string::npos) << r.out;
  r = runCbgtc(one_gpi + "--simulation.duration_ms=100 --output.overwrite=true " + outputIn(dir), dir);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("nothing analysed: analysis.burn_in_ms reaches the run's end"), std::string::npos)
      << r.out;
}

// ---------------------------------------------------------------- decks and Kokkos options

// The deck piped in is the deck that runs (read twice, the second, empty
// read would run the defaults).
TEST(CliDeck, DeckFromStandardInput) {
  TempDir dir;
  const auto out = dir / "stdout.txt";
  const std::string cmd = "printf '[simulation]\\nduration_ms = 20\\ndt_ms = 0.05\\n' | '" +
                          std::string(CBGTC_EXE) + "' --config /dev/stdin --validate " + outputIn(dir) +
                          " >'" + out.string() + "' 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << slurp(out);
  EXPECT_NE(slurp(out).find("(400 steps)"), std::string::npos) << slurp(out);
}

TEST(CliDeck, PositionalDeckIsRefused) {
  expectRefused(quoted(inputDeck("single_gpi.ini")) + " --simulation.duration_ms=10", "single_gpi.ini");
}

// Kokkos prints its options; nothing is simulated and no file is written.
TEST(CliKokkos, KokkosHelpExitsAfterTheHelp) {
  TempDir dir;
  const RunResult r = runCbgtc("--kokkos-help " + tinyRun() + " " + outputIn(dir), dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("kokkos"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("synapses"), std::string::npos) << r.out;
  EXPECT_TRUE(outputFiles(dir).empty());
}

TEST(CliKokkos, UnknownKokkosOptionIsRefused) {
  expectRefused(tinyRun() + " --kokkos-num-thread=2", "--kokkos-num-thread");
}

// A thread count the host backend cannot honour is said, not ignored.
TEST(CliKokkos, WarnsWhenTheThreadCountIsNotHonoured) {
  TempDir dir;
  const bool serial = std::string(Kokkos::DefaultHostExecutionSpace::name()) == "Serial";
  const RunResult r =
      runCbgtc(tinyRun() + " --kokkos-num-threads=" + (serial ? "2" : "1") + " " + outputIn(dir), dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (serial) {
    EXPECT_NE(r.err.find("cbgtc: warning: --kokkos-num-threads=2"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  } else {
    EXPECT_EQ(r.err, "");
  }
}

// ---------------------------------------------------------------- --validate

// --validate makes every check a run makes before its first step, the output
// location's included.
TEST(CliValidate, RefusesWhatTheRunRefuses) {
  TempDir dir;
  const auto validate = [&dir](const std::string& args) {
    return runCbgtc("--validate " + tinyRun() + " " + args, dir);
  };
  RunResult r = validate("--output.file=" + quoted(dir / "missing" / "out.h5"));
  EXPECT_EQ(r.exit_code, 2);
  expectOneErrorLine(r, (dir / "missing" / "out.h5").string());

  writeBytes(dir / "old.h5", "earlier output");
  r = validate("--output.file=" + quoted(dir / "old.h5"));
  EXPECT_EQ(r.exit_code, 2);
  expectOneErrorLine(r, "output.overwrite");
  r = validate("--output.overwrite=true --output.file=" + quoted(dir / "old.h5"));
  EXPECT_EQ(r.exit_code, 0) << r.err;

  r = validate("--output.overwrite=true --output.file=" + quoted(dir.path()));
  EXPECT_EQ(r.exit_code, 2);
  expectOneErrorLine(r, "directory");

  r = validate("--output.overwrite=true --output.file=/dev/null");
  EXPECT_EQ(r.exit_code, 2);
  expectOneErrorLine(r, "/dev/null");

  writeBytes(dir / "busy.h5.partial", "another run's");
  r = validate("--output.file=" + quoted(dir / "busy.h5"));
  EXPECT_EQ(r.exit_code, 2);
  expectOneErrorLine(r, "busy.h5.partial");

  r = runCbgtc("--validate --config " + quoted(dir.path()), dir);
  EXPECT_EQ(r.exit_code, 2);
  expectOneErrorLine(r, "directory");
  EXPECT_EQ(slurp(dir / "old.h5"), "earlier output");
  EXPECT_EQ(slurp(dir / "busy.h5.partial"), "another run's");
}

// A run whose output file another run is writing leaves that run's file alone.
TEST(CliRun, RefusesAnOutputFileInProgress) {
  TempDir dir;
  writeBytes(dir / "out.h5.partial", "another run's");
  const RunResult r = runCbgtc(tinyRun() + " --output.overwrite=true " + outputIn(dir), dir);
  EXPECT_EQ(r.exit_code, 2);
  expectOneErrorLine(r, "out.h5.partial");
  EXPECT_EQ(slurp(dir / "out.h5.partial"), "another run's");
  EXPECT_FALSE(std::filesystem::exists(dir / "out.h5"));
}

// Settings that run but do nothing wanted are warnings, before the run:
// a stimulus that drives no neuron, one over before the analysed window.
TEST(CliRun, AStimulusThatDoesNothingIsAWarning) {
  TempDir dir;
  RunResult r = runCbgtc(tinyRun() + " --stimulus.d.population=GPi " + outputIn(dir), dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "cbgtc: warning: stimulus.d drives no neuron: amplitude is 0\n");
  // An electrode 1 m from its population: the reason is the reach, not the
  // train's probability (which is 1).
  r = runCbgtc(tinyRun() + " --population.GPi.placement=sphere --population.GPi.extent_um=100 " +
                   "--stimulus.d.population=GPi --stimulus.d.kind=axonal --stimulus.d.electrode=true " +
                   "--stimulus.d.electrode_x_um=1e6 --stimulus.d.current_mA=1 --output.overwrite=true " +
                   outputIn(dir),
               dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "cbgtc: warning: stimulus.d drives no neuron: the electrode reaches no neuron\n");
  r = runCbgtc(tinyRun(2) + " --stimulus.d.population=GPi --stimulus.d.amplitude=5 --stimulus.d.stop_ms=1 " +
                   "--output.overwrite=true " + outputIn(dir),
               dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(
      r.err,
      "cbgtc: warning: stimulus.d stops at 1 ms, before the analysed window (analysis.burn_in_ms 2 ms)\n");
  r = runCbgtc(tinyRun(2) + " --stimulus.d.population=GPi --stimulus.d.amplitude=5 --output.overwrite=true " +
                   outputIn(dir),
               dir);
  EXPECT_EQ(r.err, "");
  // Pulses at a beta frequency impose the rhythm the beta metrics measure.
  r = runCbgtc(tinyRun(2) +
                   " --stimulus.d.population=GPi --stimulus.d.amplitude=5 --stimulus.d.kind=pulse_train " +
                   "--stimulus.d.frequency_hz=20 --output.overwrite=true " + outputIn(dir),
               dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err,
            "cbgtc: warning: stimulus.d's 20 Hz is in the beta band (13-30 Hz): the beta metrics include the "
            "rhythm it imposes\n");
}

// A checkpoint file that no checkpoint would be written to (no time, or an
// interval as long as the run, or only times before a restart's) is a
// warning; on_signal is a time.
TEST(CliRun, ACheckpointFileWithoutACheckpointIsAWarning) {
  TempDir dir;
  // Spike exchanges every 5 ms (the smallest delay).
  const std::string run = "--config " + quoted(inputDeck("default.ini")) +
                          " --simulation.duration_ms=20 --analysis.burn_in_ms=0 --output.overwrite=true" +
                          " --checkpoint.file=" + quoted(dir / "state.h5") + " " + outputIn(dir);
  const std::string warning =
      "cbgtc: warning: checkpoint.file is set, but no checkpoint.at_ms or every_ms falls before the run's "
      "end "
      "(20 ms) and on_signal is false: no checkpoint will be written\n";
  RunResult r = runCbgtc(run, dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, warning);
  r = runCbgtc(run + " --checkpoint.every_ms=20", dir);
  EXPECT_EQ(r.err, warning);
  EXPECT_FALSE(std::filesystem::exists(dir / "state.h5"));
  // (an interval of more steps than a step count holds: the same, not a crash)
  for (const std::string& validate : {"", " --validate"}) {
    r = runCbgtc(run + " --checkpoint.every_ms=1e17" + validate, dir);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, warning);
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "state.h5"));
  r = runCbgtc(run + " --checkpoint.on_signal=true", dir);
  EXPECT_EQ(r.err, "");
  r = runCbgtc(run + " --checkpoint.every_ms=10", dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(std::filesystem::exists(dir / "state.h5"));
  // A restart from 10 ms: a time before it writes nothing either.
  const std::string restarted =
      "--config " + quoted(inputDeck("default.ini")) +
      " --simulation.duration_ms=20 --analysis.burn_in_ms=0 --output.overwrite=true" +
      " --checkpoint.file=" + quoted(dir / "later.h5") + " --restart " + quoted(dir / "state.h5") +
      " --output.file=" + quoted(dir / "continued.h5");
  const std::string before_restart =
      "cbgtc: warning: checkpoint.file is set, but no checkpoint.at_ms or every_ms falls between the restart "
      "(10 ms) and the run's end (20 ms) and on_signal is false: no checkpoint will be written\n";
  for (const std::string& validate : {"", " --validate"}) {
    r = runCbgtc(restarted + " --checkpoint.at_ms=5" + validate, dir);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, before_restart) << validate;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "later.h5"));
  r = runCbgtc(restarted + " --checkpoint.at_ms=15", dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(std::filesystem::exists(dir / "later.h5"));
}

// An analysed window that ends after the run ends where the run does, and
// says so.
TEST(CliRun, AnAnalysisEndAfterTheRunIsAWarning) {
  TempDir dir;
  RunResult r = runCbgtc(tinyRun(2) + " --analysis.end_ms=50 " + outputIn(dir), dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err,
            "cbgtc: warning: analysis.end_ms (50 ms) is after the run's end (10 ms): the analysed window "
            "ends there\n");
  r = runCbgtc(tinyRun(2) + " --analysis.end_ms=10 --output.overwrite=true " + outputIn(dir), dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
}

// A burn-in beyond 2^31 steps is counted in 64 bits (32 would wrap to a
// negative count); that it leaves nothing to analyse is a warning.
TEST(CliRun, BurnInBeyond32BitStepCounts) {
  TempDir dir;
  const RunResult r = runCbgtc(tinyRun(53687092) + " " + outputIn(dir), dir);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.err,
            "cbgtc: warning: analysis.burn_in_ms (53687092 ms) is not before the run's end (10 ms): nothing "
            "will be "
            "analysed\n");
  EXPECT_TRUE(std::filesystem::exists(dir / "out.h5"));
}

// Kokkos's allocation failure spans several lines; cbgtc's error is one.
TEST(CliRun, AllocationFailureIsOneLine) {
  if (!std::is_same_v<Kokkos::DefaultExecutionSpace::memory_space, Kokkos::HostSpace>)
    GTEST_SKIP() << "the address-space limit is for host memory";
  TempDir dir;
  const RunResult r = cbgtc::test::runCbgtcWith("ulimit -v 1500000;",
                                                "--population.GPe.n=15000000 --projection.stn_gpe.p=0 "
                                                "--projection.gpe_stn.p=0 --projection.gpe_gpi.p=0 " +
                                                    outputIn(dir),
                                                dir);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  expectOneErrorLine(r, "GPe");
  EXPECT_TRUE(outputFiles(dir).empty());
}

// Every deck shipped in input/ is valid as it stands (its output placed in a
// fresh directory). A deck meant for a larger machine than this one
// (network_10m.ini) passes every check but the last, the memory estimate.
TEST(CliDecks, EveryShippedDeckValidates) {
  TempDir dir;
  int decks = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(CBGTC_SOURCE_DIR) + "/input")) {
    if (entry.path().extension() != ".ini") continue;
    ++decks;
    const RunResult r = runCbgtc("--config '" + entry.path().string() + "' --validate --output.file='" +
                                     (dir / (entry.path().stem().string() + ".h5")).string() + "'",
                                 dir);
    if (entry.path().filename() == "network_10m.ini" && r.exit_code == 2 &&
        r.err.find("of host memory per rank, more than") != std::string::npos) {
      expectOneErrorLine(r, "GB of host memory");
      continue;
    }
    EXPECT_EQ(r.exit_code, 0) << entry.path() << "\n" << r.err;
    EXPECT_NE(r.out.find("configuration is valid"), std::string::npos) << entry.path();
  }
  EXPECT_GE(decks, 12);
}
