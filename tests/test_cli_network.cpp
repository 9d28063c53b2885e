// The network run from the command line: reproducibility of the file,
// progress output, and a clean stop on SIGTERM.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "kernels/types.hpp"
#include "tests/cli_helpers.hpp"

using namespace cbgtc::test;

namespace {

std::string smallRun(const TempDir& dir, const std::string& file, const std::string& extra = "") {
  return "--config '" + inputDeck("default.ini") + "' --simulation.duration_ms=200 --output.file='" + file +
         "' --output.overwrite=true " + extra;
}

}  // namespace

TEST(CliNetwork, SameSeedGivesIdenticalSpikeDatasets) {
  TempDir dir;
  const auto a = (dir / "a.h5").string(), b = (dir / "b.h5").string(), c = (dir / "c.h5").string();
  ASSERT_EQ(runCbgtc(smallRun(dir, a), dir).exit_code, 0);
  ASSERT_EQ(runCbgtc(smallRun(dir, b), dir).exit_code, 0);
  ASSERT_EQ(runCbgtc(smallRun(dir, c, "--simulation.seed=43"), dir).exit_code, 0);
  for (const char* pop : {"STN", "GPe", "GPi"}) {
    const Spikes sa = readSpikes(a, pop), sb = readSpikes(b, pop), sc = readSpikes(c, pop);
    EXPECT_FALSE(sa.times_ms.empty()) << pop;
    // Exact equality of every double and id: byte-identical datasets.
    EXPECT_EQ(sa.times_ms, sb.times_ms) << pop;
    EXPECT_EQ(sa.node_ids, sb.node_ids) << pop;
    EXPECT_NE(sa.node_ids, sc.node_ids) << pop;
  }
}

// The default deck spells out the built-in circuit: a run without a deck
// gives the same spikes.
TEST(CliNetwork, DefaultDeckEqualsTheBuiltInCircuit) {
  TempDir dir;
  const auto a = (dir / "a.h5").string(), b = (dir / "b.h5").string();
  ASSERT_EQ(runCbgtc(smallRun(dir, a), dir).exit_code, 0);
  ASSERT_EQ(runCbgtc("--simulation.duration_ms=200 --output.overwrite=true --output.file='" + b + "'", dir).exit_code,
            0);
  for (const char* pop : {"STN", "GPe", "GPi"}) {
    const Spikes sa = readSpikes(a, pop), sb = readSpikes(b, pop);
    EXPECT_FALSE(sa.times_ms.empty()) << pop;
    EXPECT_EQ(sa.times_ms, sb.times_ms) << pop;
    EXPECT_EQ(sa.node_ids, sb.node_ids) << pop;
  }
}

// Random streams are keyed by the names of populations and projections, not
// by their place in the deck: the default deck with its population sections
// in reverse order gives the same spikes per population.
TEST(CliNetwork, PopulationOrderInTheDeckDoesNotChangeTheSpikes) {
  TempDir dir;
  // Blocks of the default deck, each from a "[section]" line to the next.
  std::vector<std::string> blocks{""};
  {
    std::istringstream in(slurp(inputDeck("default.ini")));
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line[0] == '[') blocks.emplace_back();
      blocks.back() += line + "\n";
    }
  }
  std::vector<std::string> populations, others;
  for (const auto& b : blocks) (b.rfind("[population.", 0) == 0 ? populations : others).push_back(b);
  ASSERT_EQ(populations.size(), 3u);
  std::string reversed;
  for (const auto& b : others) reversed += b;
  for (auto it = populations.rbegin(); it != populations.rend(); ++it) reversed += *it;
  const auto deck = dir / "reversed.ini";
  {
    std::ofstream out(deck);
    out << reversed;
  }
  const auto a = (dir / "a.h5").string(), b = (dir / "b.h5").string();
  ASSERT_EQ(runCbgtc(smallRun(dir, a), dir).exit_code, 0);
  const auto r = runCbgtc("--config '" + deck.string() + "' --simulation.duration_ms=200 --output.file='" + b +
                              "' --output.overwrite=true",
                          dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(": GPi 150, GPe 200, STN 100 neurons;"), std::string::npos) << r.out;
  for (const char* pop : {"STN", "GPe", "GPi"}) {
    const Spikes sa = readSpikes(a, pop), sb = readSpikes(b, pop);
    EXPECT_FALSE(sa.times_ms.empty()) << pop;
    EXPECT_EQ(sa.times_ms, sb.times_ms) << pop;
    EXPECT_EQ(sa.node_ids, sb.node_ids) << pop;
  }
}

// NEST-style progress lines; no carriage return when stdout is a file.
TEST(CliNetwork, ProgressLinesWithoutCarriageReturnWhenNotATerminal) {
  TempDir dir;
  const auto r = runCbgtc(smallRun(dir, (dir / "p.h5").string(), "--output.progress_interval_s=0.000001"), dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("[ 100% ] Model time: 200.0 ms, Real-time factor: "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\r'), std::string::npos);
  EXPECT_NE(r.out.find("synapses: "), std::string::npos);
}

#ifdef CBGTC_ENABLE_HDF5
// SIGTERM mid-run: the process stops at the next step, writes what it
// recorded, closes the file under its final name and marks it incomplete.
TEST(CliNetwork, SigtermStopsCleanlyAndMarksTheFileIncomplete) {
  TempDir dir;
  const auto file = (dir / "long.h5").string();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // A run far longer than the test waits.
    const std::string deck = inputDeck("default.ini");
    const std::string out = "--output.file=" + file;
    freopen("/dev/null", "w", stdout);
    execl(CBGTC_EXE, CBGTC_EXE, "--config", deck.c_str(), "--simulation.duration_ms=600000", out.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait until the run has started (the partial file exists), then a little.
  const auto partial = file + ".partial";
  for (int i = 0; i < 200 && !std::filesystem::exists(partial); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
  ASSERT_TRUE(std::filesystem::exists(file));
  EXPECT_FALSE(std::filesystem::exists(partial));
  EXPECT_EQ(readStringAttribute(file, "/", "complete"), "false");
  const double stopped = std::stod(readStringAttribute(file, "/", "stopped_at_ms"));
  EXPECT_GT(stopped, 0.0);
  EXPECT_LT(stopped, 600000.0);
  // What was recorded is there and consistent with the stop time.
  const Spikes s = readSpikes(file, "GPe");
  ASSERT_FALSE(s.times_ms.empty());
  EXPECT_LT(s.times_ms.back(), stopped);
  EXPECT_EQ(readDims(file, "/lfp/GPe").at(0), static_cast<std::uint64_t>(std::ceil(stopped - 1e-9)));
}
#endif
