// The network run from the command line: reproducibility of the file,
// progress output, and a clean stop on SIGTERM.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "cbgtc_config.hpp"
#include "kernels/types.hpp"
#include "tests/cli_helpers.hpp"

using namespace cbgtc::test;

namespace {

std::string smallRun(const TempDir& dir, const std::string& file, const std::string& extra = "") {
  return "--config '" + inputDeck("default.ini") + "' --simulation.duration_ms=200 --output.file='" + file +
         "' --output.overwrite=true " + extra;
}

/// Files a and b hold the same, non-empty spikes of STN, GPe and GPi.
void expectSameSpikes(const std::string& a, const std::string& b) {
  for (const char* pop : {"STN", "GPe", "GPi"}) {
    const Spikes sa = readSpikes(a, pop), sb = readSpikes(b, pop);
    EXPECT_FALSE(sa.times_ms.empty()) << pop;
    EXPECT_EQ(sa.times_ms, sb.times_ms) << pop;
    EXPECT_EQ(sa.node_ids, sb.node_ids) << pop;
  }
}

}  // namespace

#ifdef CBGTC_ENABLE_HDF5
// A [record] section with two variables: two SONATA report files next to
// the output file, as bmtk's report reader expects them.
TEST(CliNetwork, RecordSectionsWriteSonataReports) {
  TempDir dir;
  const auto out = (dir / "out.h5").string();
  const RunResult r = runCbgtc(smallRun(dir, out,
                                        "--record.stn.population=STN --record.stn.variables='V, h' "
                                        "--record.stn.node_ids='5, 1' --record.stn.interval_ms=0.5"),
                               dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& [variable, units] : {std::pair<std::string, std::string>{"V", "mV"}, {"h", "1"}}) {
    const std::string file = (dir / ("out_stn_" + variable + ".h5")).string();
    ASSERT_TRUE(std::filesystem::exists(file)) << file;
    EXPECT_FALSE(std::filesystem::exists(file + ".partial"));
    std::vector<std::uint64_t> dims;
    const std::vector<float> data = readFloats(file, "/report/STN/data", &dims);
    EXPECT_EQ(dims, (std::vector<std::uint64_t>{400, 2})) << "200 ms every 0.5 ms, two cells";
    EXPECT_EQ(readStringAttribute(file, "/report/STN/data", "variable"), variable);
    EXPECT_EQ(readStringAttribute(file, "/report/STN/data", "units"), units);
    EXPECT_EQ(readU64(file, "/report/STN/mapping/node_ids"), (std::vector<std::uint64_t>{1, 5}));
    EXPECT_EQ(readFloats(file, "/report/STN/mapping/element_pos"), (std::vector<float>{0.5f, 0.5f}));
    EXPECT_EQ(readU64(file, "/report/STN/mapping/index_pointer"), (std::vector<std::uint64_t>{0, 1, 2}));
    EXPECT_EQ(readDoubles(file, "/report/STN/mapping/time"), (std::vector<double>{0, 200, 0.5}));
    EXPECT_EQ(readStringAttribute(file, "/", "complete"), "true");
    const auto [lo, hi] = std::minmax_element(data.begin(), data.end());
    if (variable == "V") {
      EXPECT_GT(*hi, 0.0f) << "spikes overshoot";
      EXPECT_LT(*lo, -50.0f);
    } else {
      EXPECT_GE(*lo, 0.0f);
      EXPECT_LE(*hi, 1.0f);
    }
  }
}
#endif

// The resolved configuration is typed in the file: integers as int64
// (exact past 2^53), real numbers as float64, text and booleans as strings;
// the report files carry the same.
TEST(CliNetwork, ProvenanceStoresNumbersAsNumbers) {
  TempDir dir;
  const auto out = (dir / "out.h5").string();
  const RunResult r =
      runCbgtc(smallRun(dir, out,
                        "--simulation.seed=9007199254740993 --population.STN.gNa=49.5 "
                        "--record.stn.population=STN --record.stn.variables=V --record.stn.count=2"),
               dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string file : {out, (dir / "out_stn.h5").string()}) {
    EXPECT_EQ(readInt64Attribute(file, "/", "simulation.seed"), 9007199254740993) << file;
    EXPECT_EQ(readInt64Attribute(file, "/", "seed"), 9007199254740993);
    EXPECT_EQ(readInt64Attribute(file, "/", "population.STN.n"), 100);
    EXPECT_EQ(readInt64Attribute(file, "/", "mpi_ranks"), 1);
    EXPECT_EQ(readDoubleAttribute(file, "/", "population.STN.gNa"), 49.5);
    EXPECT_EQ(readDoubleAttribute(file, "/", "simulation.dt_ms"), 0.025);
    EXPECT_EQ(readDoubleAttribute(file, "/", "stopped_at_ms"), 200.0);
    EXPECT_EQ(readStringAttribute(file, "/", "population.STN.model"), "stn_hh");
    EXPECT_EQ(readStringAttribute(file, "/", "output.spikes"), "true");
    EXPECT_EQ(readStringAttribute(file, "/", "complete"), "true");
  }
}

// output.network: SONATA nodes and edges files list every synapse once, in
// (target, source) order, with the projection's delay and rule, and the
// indices bmtk uses to find a node's edges agree with the edge lists.
TEST(CliNetwork, NetworkFilesListEverySynapse) {
  TempDir dir;
  const auto out = (dir / "out.h5").string();
  const RunResult r =
      runCbgtc(smallRun(dir, out,
                        "--output.network=true --projection.stn_gpe.rule=fixed_indegree "
                        "--projection.stn_gpe.indegree=7 --projection.gpe_stn.delay_jitter_ms=2 "
                        "--population.SRC.model=poisson --population.SRC.n=5 --population.SRC.rate_hz=10"),
               dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string nodes = (dir / "out_nodes.h5").string(), edges = (dir / "out_edges.h5").string();
  for (const auto& [pop, n] :
       {std::pair<std::string, std::uint64_t>{"STN", 100}, {"GPe", 200}, {"GPi", 150}}) {
    const auto ids = readU64(nodes, "/nodes/" + pop + "/node_id");
    ASSERT_EQ(ids.size(), n) << pop;
    for (std::uint64_t k = 0; k < n; ++k) ASSERT_EQ(ids[k], k);
  }
  EXPECT_NE(slurp(dir / "out_node_types.csv").find("100 STN STN point_neuron cbgtc:stn_hh stn_hh"),
            std::string::npos);
  EXPECT_NE(slurp(dir / "out_node_types.csv").find("103 SRC SRC virtual cbgtc:poisson poisson"),
            std::string::npos)
      << "a spike source is a virtual node";
  EXPECT_NE(slurp(dir / "out_edge_types.csv").find("stn_gpe stn_gpe exp_conductance 3 0"), std::string::npos);
  // stn_gpe: exactly 7 distinct STN sources per GPe cell, delay 5 ms, mean weight g_total / 7.
  const std::string g = "/edges/stn_gpe";
  const auto source = readU64(edges, g + "/source_node_id"), target = readU64(edges, g + "/target_node_id");
  const auto weight = readDoubles(edges, g + "/0/syn_weight"), delay = readDoubles(edges, g + "/0/delay");
  ASSERT_EQ(source.size(), 200u * 7);
  ASSERT_EQ(target.size(), source.size());
  EXPECT_EQ(readStringAttribute(edges, g + "/source_node_id", "node_population"), "STN");
  EXPECT_EQ(readStringAttribute(edges, g + "/target_node_id", "node_population"), "GPe");
  double sum = 0;
  for (std::size_t e = 0; e < source.size(); ++e) {
    ASSERT_EQ(target[e], e / 7) << "sorted by target, 7 each";
    if (e % 7 != 0) ASSERT_LT(source[e - 1], source[e]) << "distinct sources, ascending";
    ASSERT_LT(source[e], 100u);
    ASSERT_EQ(delay[e], 5.0);
    sum += weight[e];
  }
  // Log-normal weights, CV 0.2, mean 10/7 nS: the mean of 1400 within 5 standard errors.
  EXPECT_NEAR(sum / 1400, 10.0 / 7, 5 * 0.2 * (10.0 / 7) / std::sqrt(1400.0));
  // The jittered projection: delays within 8 ± 2 ms, on the step grid.
  for (const double d : readDoubles(edges, "/edges/gpe_stn/0/delay")) {
    EXPECT_GE(d, 6.0 - 1e-9);
    EXPECT_LE(d, 10.0 + 1e-9);
    EXPECT_NEAR(d / 0.025, std::round(d / 0.025), 1e-6);
  }
  // The indices: for every node, its ranges hold exactly its edges.
  for (const auto& [side, nodes_of, n_nodes] :
       {std::tuple{"target_to_source", &target, 200u}, std::tuple{"source_to_target", &source, 100u}}) {
    const std::string at = g + "/indices/" + side;
    EXPECT_EQ(readDims(edges, at + "/node_id_to_range"), (std::vector<std::uint64_t>{n_nodes, 2}));
    const auto to_range = readU64(edges, at + "/node_id_to_range"),
               to_edge = readU64(edges, at + "/range_to_edge_id");
    std::size_t listed = 0;
    for (std::uint64_t node = 0; node < n_nodes; ++node) {
      for (auto range = to_range[2 * node]; range < to_range[2 * node + 1]; ++range) {
        for (auto e = to_edge[2 * range]; e < to_edge[2 * range + 1]; ++e) {
          ASSERT_EQ((*nodes_of)[e], node) << side;
          ++listed;
        }
      }
    }
    EXPECT_EQ(listed, source.size()) << side;
  }
}

// A placed population's positions are in the nodes file as SONATA's x, y,
// z (bmtk reads them there), the same as the output's /positions.
TEST(CliNetwork, NodesFileHoldsPlacedPositions) {
  TempDir dir;
  const auto out = (dir / "out.h5").string();
  const RunResult r =
      runCbgtc(smallRun(dir, out, "--output.network=true --population.STN.placement=sphere"), dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string nodes = (dir / "out_nodes.h5").string();
  for (const char* axis : {"x", "y", "z"}) {
    const auto placed = readDoubles(nodes, std::string("/nodes/STN/0/") + axis);
    EXPECT_EQ(placed, readDoubles(out, std::string("/positions/STN/") + axis + "_um")) << axis;
    EXPECT_EQ(placed.size(), 100u) << axis;
    EXPECT_EQ(readStringAttribute(nodes, std::string("/nodes/STN/0/") + axis, "units"), "um");
  }
}

// The network files are checked with the output before anything runs.
TEST(CliNetwork, AnExistingNetworkFileIsRefusedBeforeTheRun) {
  TempDir dir;
  const auto out = (dir / "out.h5").string();
  {
    std::ofstream existing((dir / "out_edges.h5").string());
    existing << "keep me";
  }
  const RunResult r =
      runCbgtc("--config '" + inputDeck("default.ini") + "' --simulation.duration_ms=50 --output.file='" +
                   out + "' --output.network=true --output.overwrite=false",
               dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("out_edges.h5"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_FALSE(std::filesystem::exists(dir / "out_nodes.h5"));
  EXPECT_EQ(slurp(dir / "out_edges.h5"), "keep me");
  // A record on a network file: refused naming output.network, nothing written.
  const RunResult clash = runCbgtc(
      "--config '" + inputDeck("default.ini") + "' --simulation.duration_ms=50 --output.file='" + out +
          "' --output.network=true --record.r.population=STN --record.r.count=1 --record.r.file='" +
          (dir / "out_nodes.h5").string() + "'",
      dir);
  EXPECT_EQ(clash.exit_code, 2);
  EXPECT_NE(clash.err.find("output.network"), std::string::npos) << clash.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_FALSE(std::filesystem::exists(dir / "out_nodes.h5"));
}

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
  expectSameSpikes(a, b);
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
  expectSameSpikes(a, b);
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
  const auto log = (dir / "long.log").string();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // A run far longer than the test waits.
    const std::string deck = inputDeck("default.ini");
    const std::string out = "--output.file=" + file;
    freopen(log.c_str(), "w", stdout);
    execl(CBGTC_EXE, CBGTC_EXE, "--config", deck.c_str(), "--simulation.duration_ms=600000", out.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait until the run is stepping (it has said that the network is built:
  // a signal before that stops it with nothing recorded), then a little.
  const auto stepping = [&log] {
    std::ifstream in(log);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.find("network built") != std::string::npos;
  };
  for (int i = 0; i < 1200 && !stepping(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (!stepping()) {  // leave no 600 s run behind
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    FAIL() << "the network was not built within 60 s";
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto partial = file + ".partial";
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
  ASSERT_TRUE(std::filesystem::exists(file));
  EXPECT_FALSE(std::filesystem::exists(partial));
  EXPECT_EQ(readStringAttribute(file, "/", "complete"), "false");
  const double stopped = readDoubleAttribute(file, "/", "stopped_at_ms");
  EXPECT_GT(stopped, 0.0);
  EXPECT_LT(stopped, 600000.0);
  // What was recorded is there and consistent with the stop time.
  const Spikes s = readSpikes(file, "GPe");
  ASSERT_FALSE(s.times_ms.empty());
  EXPECT_LT(s.times_ms.back(), stopped);
  EXPECT_EQ(readDims(file, "/lfp/GPe").at(0), static_cast<std::uint64_t>(std::ceil(stopped - 1e-9)));
}
#endif

#ifdef CBGTC_ENABLE_HDF5
namespace {

/// Starts a run far longer than any test waits, writing `file`.
pid_t startLongRun(const std::string& file, const std::string& extra = "--output.v_neurons=3") {
  const pid_t pid = fork();
  if (pid == 0) {
    const std::string deck = inputDeck("default.ini");
    const std::string out = "--output.file=" + file;
    freopen("/dev/null", "w", stdout);
    execl(CBGTC_EXE, CBGTC_EXE, "--config", deck.c_str(), "--simulation.duration_ms=600000", out.c_str(),
          extra.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

/// Sends SIGTERM to `pid` once `path` exists (or the run has ended), and
/// waits for it: its exit code, or −1 where a signal ended it.
int stopOnceExists(pid_t pid, const std::string& path) {
  while (!std::filesystem::exists(path) && waitpid(pid, nullptr, WNOHANG) == 0) std::this_thread::yield();
  kill(pid, SIGTERM);
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

/// Whether a copy of `file` opens and holds GPe spikes. A copy, because the
/// running writer holds HDF5's lock on the file; read in another process,
/// so that a copy taken mid-flush cannot harm this one.
bool holdsSpikes(const std::string& file, const std::string& copy) {
  const pid_t pid = fork();
  if (pid == 0) {
    try {
      std::filesystem::copy_file(file, copy, std::filesystem::copy_options::overwrite_existing);
      _exit(readDims(copy, "/spikes/GPe/timestamps").at(0) > 0 ? 0 : 1);
    } catch (...) {
      _exit(2);
    }
  }
  int status = 0;
  return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

// The .partial left by SIGKILL, which no handler sees, opens with what the
// writer had flushed (a file HDF5 could not open would lose all of it).
TEST(CliNetwork, KilledRunLeavesAReadablePartialFile) {
  TempDir dir;
  const auto file = (dir / "killed.h5").string();
  const auto partial = file + ".partial";
  const pid_t pid = startLongRun(file);
  ASSERT_GT(pid, 0);
  // Waits for a state of the file, not for a time.
  bool flushed = false;
  for (int i = 0; i < 600 && !flushed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    flushed = std::filesystem::exists(partial) && holdsSpikes(partial, (dir / "copy.h5").string());
  }
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(flushed) << "no spikes were ever flushed to " << partial;
  ASSERT_TRUE(std::filesystem::exists(partial));
  EXPECT_FALSE(std::filesystem::exists(file));
  const Spikes s = readSpikes(partial, "GPe");
  ASSERT_FALSE(s.times_ms.empty());
  EXPECT_TRUE(std::is_sorted(s.times_ms.begin(), s.times_ms.end()));
  // The report's time range describes the rows the file holds.
  const auto rows = readDims(partial, "/report/GPe/data").at(0);
  const auto time = readDoubles(partial, "/report/GPe/mapping/time");
  ASSERT_EQ(time.size(), 3u);
  EXPECT_EQ(static_cast<std::uint64_t>(std::llround((time[1] - time[0]) / time[2])), rows);
}

// SIGHUP (a closed terminal) stops the run like SIGTERM.
TEST(CliNetwork, SighupStopsCleanlyLikeSigterm) {
  TempDir dir;
  const auto file = (dir / "hup.h5").string();
  const pid_t pid = startLongRun(file);
  ASSERT_GT(pid, 0);
  for (int i = 0; i < 600 && !std::filesystem::exists(file + ".partial"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(kill(pid, SIGHUP), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGHUP);
  EXPECT_EQ(readStringAttribute(file, "/", "complete"), "false");
  EXPECT_FALSE(std::filesystem::exists(file + ".partial"));
}

namespace {

/// Starts cbgtc on the default deck in a child, stdout to `log`, with
/// `ignored` (0: none) ignored from the start, as `nohup` ignores SIGHUP.
pid_t startRun(const std::vector<std::string>& args, const std::string& log, int ignored = 0) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (ignored != 0) signal(ignored, SIG_IGN);
    freopen(log.c_str(), "w", stdout);
    freopen("/dev/null", "w", stderr);
    const std::string deck = inputDeck("default.ini");
    std::vector<const char*> argv = {CBGTC_EXE, "--config", deck.c_str()};
    for (const std::string& a : args) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    execv(CBGTC_EXE, const_cast<char* const*>(argv.data()));
    _exit(127);
  }
  return pid;
}

/// Waits until the progress lines in `log` pass `model_ms` of model time,
/// or the run ends; whether they did.
bool waitForModelTime(pid_t pid, const std::string& log, double model_ms) {
  for (int i = 0; i < 2400; ++i) {
    std::ifstream in(log);
    std::string line, last;
    while (std::getline(in, line, '\n'))
      if (line.find("Model time:") != std::string::npos) last = line;
    const auto at = last.find("Model time:");
    if (at != std::string::npos && std::atof(last.c_str() + at + 11) >= model_ms) return true;
    if (waitpid(pid, nullptr, WNOHANG) != 0) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace

// A second signal ends the run at once whichever of SIGINT, SIGTERM and
// SIGHUP it is, not only when it repeats the first: here SIGHUP while the
// SIGTERM-stopped run analyses what it ran (100 000 PAC surrogates: seconds).
TEST(CliNetwork, ASecondSignalOfAnotherKindEndsTheRunAtOnce) {
  TempDir dir;
  const auto file = (dir / "twice.h5").string(), log = (dir / "run.log").string();
  const pid_t pid = startRun({"--simulation.duration_ms=600000", "--output.file=" + file,
                              "--analysis.pac_surrogates=100000", "--output.progress_interval_s=0.05"},
                             log);
  ASSERT_GT(pid, 0);
  const bool stepping = waitForModelTime(pid, log, 4000);
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  kill(pid, SIGHUP);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(stepping);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGHUP);
  EXPECT_FALSE(std::filesystem::exists(file));
  EXPECT_FALSE(readSpikes(file + ".partial", "GPe").times_ms.empty());
}

// A signal the run was started ignoring (nohup's SIGHUP) stays ignored; the
// next one stops the run and names the exit status.
TEST(CliNetwork, ASignalIgnoredAtTheStartStaysIgnored) {
  TempDir dir;
  const auto file = (dir / "nohup.h5").string(), log = (dir / "run.log").string();
  const pid_t pid = startRun(
      {"--simulation.duration_ms=600000", "--output.file=" + file, "--output.progress_interval_s=0.05"}, log,
      SIGHUP);
  ASSERT_GT(pid, 0);
  const bool stepping = waitForModelTime(pid, log, 100);
  ASSERT_EQ(kill(pid, SIGHUP), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(stepping);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
  EXPECT_EQ(readStringAttribute(file, "/", "complete"), "false");
}

// What the steps wrote is flushed before the analyses, which write nothing
// for as long as they take: a run killed during them leaves a .partial that
// holds the spikes up to the run's end.
TEST(CliNetwork, SpikesAreFlushedBeforeTheAnalyses) {
  TempDir dir;
  const auto file = (dir / "analysing.h5").string(), log = (dir / "run.log").string();
  const auto partial = file + ".partial";
  const double duration_ms = 10000;
  const pid_t pid = startRun({"--simulation.duration_ms=10000", "--output.file=" + file,
                              "--analysis.pac_surrogates=100000", "--output.progress_interval_s=0.05"},
                             log);
  ASSERT_GT(pid, 0);
  // The final progress line comes after the steps' last flush.
  const bool analysing = waitForModelTime(pid, log, duration_ms);
  const auto copy = (dir / "copy.h5").string();
  const bool copied = analysing && std::filesystem::exists(partial) &&
                      std::filesystem::copy_file(partial, copy) && std::filesystem::exists(partial);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  ASSERT_TRUE(analysing);
  ASSERT_TRUE(copied) << "the run ended before its file could be copied";
  const Spikes s = readSpikes(copy, "GPe");
  ASSERT_FALSE(s.times_ms.empty());
  EXPECT_GT(s.times_ms.back(), duration_ms - 20);
}

// A signal while a large network is being built (1e8 synapses: many
// seconds) is acted on between chunks of the construction, not when it ends.
TEST(CliNetwork, SigtermDuringConstructionStopsPromptly) {
  TempDir dir;
  const auto file = (dir / "building.h5").string();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    const std::string deck = inputDeck("default.ini");
    const std::string out = "--output.file=" + file;
    execl(CBGTC_EXE, CBGTC_EXE, "--config", deck.c_str(), "--population.STN.n=10000", "--population.GPe.n=20000",
          "--population.GPi.n=15000", out.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 600 && !std::filesystem::exists(file + ".partial"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  const auto signalled = std::chrono::steady_clock::now();
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - signalled).count();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
  EXPECT_LT(seconds, 5.0) << "the construction was not interrupted";
  EXPECT_EQ(readStringAttribute(file, "/", "complete"), "false");
  EXPECT_EQ(readDoubleAttribute(file, "/", "stopped_at_ms"), 0.0);
  EXPECT_FALSE(std::filesystem::exists(file + ".partial"));
}

// A numerically exploding run is an error: exit 1, and the file says so.
TEST(CliNetwork, NonFiniteStateIsAnError) {
  TempDir dir;
  const auto file = (dir / "nan.h5").string();
  const RunResult r = runCbgtc(
      "--config '" + inputDeck("default.ini") + "' --simulation.dt_ms=0.2 --output.file='" + file + "'", dir);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("population STN"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("simulation.dt_ms"), std::string::npos) << r.err;
  EXPECT_EQ(readStringAttribute(file, "/", "complete"), "false");
  EXPECT_NE(readStringAttribute(file, "/", "failure").find("population STN"), std::string::npos);
  // Numbers are stored as numbers ("%f" text, "0.200000", would lose digits).
  EXPECT_EQ(readDoubleAttribute(file, "/lfp/STN", "sampling_interval_ms"), 1.0);
  EXPECT_EQ(readDoubleAttribute(file, "/lfp/STN", "start_ms"), 0.0);
}

// A closed stdout pipe (`cbgtc | head -1`) does not end the run: the file is
// its output.
TEST(CliNetwork, ClosedStdoutPipeDoesNotStopTheRun) {
  TempDir dir;
  const auto file = (dir / "piped.h5").string();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  close(fds[0]);  // every write to the pipe now fails, as after `head` exits
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    freopen("/dev/null", "w", stderr);
    const std::string deck = inputDeck("default.ini");
    const std::string out = "--output.file=" + file;
    execl(CBGTC_EXE, CBGTC_EXE, "--config", deck.c_str(), "--simulation.duration_ms=100", out.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "ended by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(readStringAttribute(file, "/", "complete"), "true");
}
#endif

#ifdef CBGTC_ENABLE_HDF5
namespace {

/// Limits the file size `pid` may write to what `file` holds now: its next
/// write past that fails with EFBIG, as on a full disk (cbgtc ignores
/// SIGXFSZ, which would otherwise end it).
void fillTheDisk(pid_t pid, const std::string& file) {
  // The writer creates the file empty, then reserves space in it: a limit
  // taken before would be 0, and would also stop the error message on its
  // way to a redirected stderr.
  // (While HDF5 creates it over the writer's placeholder, the name may be
  // missing for a moment: no size yet.)
  const auto sizeNow = [&file] {
    std::error_code missing;
    const auto n = std::filesystem::file_size(file, missing);
    return missing ? std::uintmax_t{0} : n;
  };
  for (int i = 0; i < 600 && sizeNow() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto size = static_cast<rlim_t>(sizeNow());
  ASSERT_GT(size, 0u);
  const struct rlimit limit { size, size };
  ASSERT_EQ(prlimit(pid, RLIMIT_FSIZE, &limit, nullptr), 0) << std::strerror(errno);
}

/// `pid` (a run writing its stderr to `err`) exits 1 with one error line naming `named`.
void expectExitOneWithOneLine(pid_t pid, const std::string& err, const std::string& named) {
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "ended by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 1);
  const std::string message = slurp(err);
  EXPECT_EQ(message.rfind("cbgtc: error: ", 0), 0u) << message;
  EXPECT_EQ(message.find('\n'), message.size() - 1) << message;
  EXPECT_NE(message.find(named), std::string::npos) << message;
}

}  // namespace

// A full disk ends the run with one line and leaves no file; unhandled, it
// would print HDF5's error stack, crash at MPI_Finalize (exit 139) and leave
// the .partial.
TEST(CliNetwork, FullDiskExitsWithOneLineAndNoFile) {
  TempDir dir;
  const auto file = (dir / "full.h5").string();
  const auto err = (dir / "stderr.txt").string();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string deck = inputDeck("default.ini");
    const std::string out = "--output.file=" + file;
    freopen("/dev/null", "w", stdout);
    freopen(err.c_str(), "w", stderr);
    execl(CBGTC_EXE, CBGTC_EXE, "--config", deck.c_str(), "--simulation.duration_ms=600000", out.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 600 && !std::filesystem::exists(file + ".partial"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  fillTheDisk(pid, file + ".partial");
  expectExitOneWithOneLine(pid, err, file);
  EXPECT_FALSE(std::filesystem::exists(file + ".partial"));
  EXPECT_FALSE(std::filesystem::exists(file));
}
#endif

#ifdef CBGTC_ENABLE_HDF5
// A disk that fills while the network files are written (before the first
// step): one line naming the file, and none of the run's files left, the
// output file begun before them included. The limit, set once the output
// file exists (MPI's start needs more) and while the network of 10^6
// synapses is built, leaves room for the nodes file (2 MiB reserved) but
// not for the edges (some 50 MB).
TEST(CliNetwork, AFullDiskWhileWritingTheNetworkLeavesNoFile) {
  TempDir dir;
  const auto out = (dir / "out.h5").string(), err = (dir / "stderr.txt").string();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string deck = inputDeck("default.ini"), file = "--output.file=" + out;
    freopen("/dev/null", "w", stdout);
    freopen(err.c_str(), "w", stderr);
    execl(CBGTC_EXE, CBGTC_EXE, "--config", deck.c_str(), "--simulation.duration_ms=10",
          "--analysis.burn_in_ms=0", file.c_str(), "--output.network=true", "--population.STN.n=1000",
          "--population.GPe.n=2000", "--population.GPi.n=1500", static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 12000 && !std::filesystem::exists(out + ".partial"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const struct rlimit limit { 3u << 20, 3u << 20 };
  ASSERT_EQ(prlimit(pid, RLIMIT_FSIZE, &limit, nullptr), 0) << std::strerror(errno);
  expectExitOneWithOneLine(pid, err, (dir / "out_edges.h5").string());
  std::vector<std::string> left;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    if (entry.path().filename() != "stderr.txt") left.push_back(entry.path().filename().string());
  EXPECT_TRUE(left.empty()) << left.front();
}
#endif

#ifdef CBGTC_ENABLE_HDF5
// A real full disk: a 3 MB tmpfs, mounted in a private user and mount
// namespace where the system allows one (skipped elsewhere). The disk fills
// in the middle of the run.
TEST(CliNetwork, FullTmpfsExitsWithOneLineAndNoFile) {
  TempDir dir;
  std::filesystem::create_directory(dir / "disk");
  std::ofstream(dir / "run.sh") << "mount -t tmpfs -o size=3m tmpfs '" << (dir / "disk").string()
                                << "' || exit 99\n'" << CBGTC_EXE << "' --config '"
                                << inputDeck("default.ini")
                                << "' --simulation.duration_ms=100000 --output.file='"
                                << (dir / "disk" / "full.h5").string() << "' >/dev/null 2>'"
                                << (dir / "stderr.txt").string() << "'\necho $? >'"
                                << (dir / "status").string() << "'\nls -A '" << (dir / "disk").string()
                                << "' >'" << (dir / "listing").string() << "'\n";
  const int status = std::system(("unshare -rm sh '" + (dir / "run.sh").string() + "' 2>/dev/null").c_str());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !std::filesystem::exists(dir / "status"))
    GTEST_SKIP() << "no private tmpfs here (unshare -rm, mount)";
  EXPECT_EQ(slurp(dir / "status"), "1\n");
  const std::string message = slurp(dir / "stderr.txt");
  EXPECT_EQ(message.rfind("cbgtc: error: ", 0), 0u) << message;
  EXPECT_EQ(message.find('\n'), message.size() - 1) << message;
  EXPECT_NE(message.find("full.h5"), std::string::npos) << message;
  EXPECT_NE(message.find("No space left on device"), std::string::npos) << message;
  EXPECT_EQ(slurp(dir / "listing"), "");
}
#endif

#ifdef CBGTC_ENABLE_HDF5
// SIGTERM as soon as the in-progress file exists: handlers installed only
// later would let the signal kill the run and leave the .partial.
TEST(CliNetwork, SigtermAsSoonAsTheFileExistsStopsCleanly) {
  TempDir dir;
  const auto file = (dir / "early.h5").string();
  const pid_t pid = startLongRun(file, "--output.progress_interval_s=0");
  ASSERT_GT(pid, 0);
  EXPECT_EQ(stopOnceExists(pid, file + ".partial"), 128 + SIGTERM);
  EXPECT_EQ(readStringAttribute(file, "/", "complete"), "false");
  EXPECT_FALSE(std::filesystem::exists(file + ".partial"));
}
#endif

#ifdef CBGTC_ENABLE_HDF5
// An ensemble stopped by a signal writes no table, and leaves none of an
// earlier ensemble (output.overwrite) beside its own files.
TEST(CliEnsemble, AStoppedEnsembleLeavesNoEarlierTable) {
  TempDir dir;
  const auto file = (dir / "ens.h5").string();
  std::ofstream((dir / "ens_ensemble.tsv").string()) << "an earlier ensemble's table\n";
  const pid_t pid = startLongRun(file, "--ensemble.seeds=1-2");
  ASSERT_GT(pid, 0);
  EXPECT_EQ(stopOnceExists(pid, (dir / "ens_0.h5.partial").string()), 128 + SIGTERM);
  EXPECT_FALSE(std::filesystem::exists(dir / "ens_ensemble.tsv"));
  EXPECT_EQ(readStringAttribute((dir / "ens_0.h5").string(), "/", "complete"), "false");
}
#endif

// An ensemble's runs are the single runs of their seeds and grid values: the
// same spikes, whatever their place in the ensemble; its table holds every
// run and each grid point's statistics.
#ifdef CBGTC_ENABLE_HDF5
TEST(CliEnsemble, RunsEqualTheSingleRunsOfTheirSeedsAndValues) {
  TempDir dir;
  const std::string base = (dir / "ens.h5").string();
  const RunResult e = runCbgtc(smallRun(dir, base, "--ensemble.seeds=3,5 --ensemble.grid='population.GPe.I_e=280, 300'"), dir);
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const std::string single = (dir / "single.h5").string();
  const RunResult s = runCbgtc(smallRun(dir, single, "--simulation.seed=5 --population.GPe.I_e=280"), dir);
  ASSERT_EQ(s.exit_code, 0) << s.err;
  expectSameSpikes((dir / "ens_1.h5").string(), single);  // run 1: I_e 280, seed 5
  const std::string table = slurp(dir / "ens_ensemble.tsv");
  // The version line, the header, then 4 runs and 2 grid points' mean, sd and defined counts, of 3
  // populations and 3 pairs each.
  EXPECT_EQ(table.rfind("# cbgtc " CBGTC_VERSION " (git ", 0), 0u) << table;
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 2 + 4 * 6 + 2 * 3 * 6) << table;
  EXPECT_NE(e.out.find("grid point 1: population.GPe.I_e=300 (2 runs"), std::string::npos) << e.out;
}
#endif

// A boolean flag given as `--key` alone, followed by another argument, is
// left out of the runs of a grid over that key without the argument after it.
#ifdef CBGTC_ENABLE_HDF5
TEST(CliEnsemble, AGridOverAFlagKeepsTheArgumentAfterIt) {
  TempDir dir;
  const std::string base = (dir / "ens.h5").string();
  const RunResult e = runCbgtc("--config '" + inputDeck("default.ini") + "' --output.file='" + base +
                                   "' --population.STN.write_spikes --simulation.duration_ms=150 "
                                   "--ensemble.grid='population.STN.write_spikes = true, false'",
                               dir);
  ASSERT_EQ(e.exit_code, 0) << e.err;
  for (const char* file : {"ens_0.h5", "ens_1.h5"})
    EXPECT_EQ(readDoubleAttribute((dir / file).string(), "/", "simulation.duration_ms"), 150.0) << file;
  EXPECT_EQ(readStringAttribute((dir / "ens_1.h5").string(), "/", "population.STN.write_spikes"), "false");
}
#endif

#ifdef CBGTC_ENABLE_HDF5
// Sets of values run as replicas of one network (ensemble.replicas) write
// the files of the single runs with those values and seeds.
TEST(CliEnsemble, SetsAsReplicasEqualTheSingleRuns) {
  TempDir dir;
  const std::string base = (dir / "ens.h5").string();
  const RunResult e =
      runCbgtc(smallRun(dir, base,
                        "--ensemble.seeds=3,5 --ensemble.replicas=3 '--ensemble.sets="
                        "population.GPe.I_e=280, population.GPi.I_e=10; population.GPe.I_e=320'"),
               dir);
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NE(e.out.find("ensemble of 4 runs in 2 networks"), std::string::npos) << e.out;
  const std::string single = (dir / "single.h5").string();
  const RunResult s = runCbgtc(smallRun(dir, single, "--simulation.seed=3 --population.GPe.I_e=320"), dir);
  ASSERT_EQ(s.exit_code, 0) << s.err;
  expectSameSpikes((dir / "ens_2.h5").string(), single);  // run 2: the second set, seed 3
}
#endif

#ifdef CBGTC_ENABLE_HDF5
// With output.timers, each network of an ensemble says where its time went:
// one line per network (here two of two replicas), with the run's steps
// (200 ms at the default 0.025 ms) and no part negative.
TEST(CliEnsemble, TimersNameEachNetworksBuildStepsAndAnalyses) {
  TempDir dir;
  const std::string base = (dir / "ens.h5").string();
  const RunResult e =
      runCbgtc(smallRun(dir, base, "--ensemble.seeds=1-4 --ensemble.replicas=2 --output.timers=true"), dir);
  ASSERT_EQ(e.exit_code, 0) << e.err;
  std::istringstream lines(e.out);
  int networks = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("network ", 0) != 0) continue;
    ++networks;
    double built = -1, loop = -1, per_step = -1, rest = -1;
    long long steps = 0;
    char file[256] = {};
    ASSERT_EQ(
        std::sscanf(line.c_str(),
                    "network %255[^:]: built in %lf s, %lld steps in %lf s (%lf us per step), analyses and "
                    "files %lf s",
                    file, &built, &steps, &loop, &per_step, &rest),
        6)
        << line;
    EXPECT_EQ(steps, 8000) << line;
    EXPECT_GE(built, 0) << line;
    EXPECT_GT(loop, 0) << line;
    EXPECT_GE(rest, 0) << line;
    EXPECT_TRUE(std::filesystem::exists(file)) << line;
  }
  EXPECT_EQ(networks, 2) << e.out;
}
#endif

#ifdef CBGTC_ENABLE_HDF5
// With ensemble.replica_files = one, a merged network writes one file: its
// replica j's populations as "<name>~j" (axonal spikes "<name>_axonal~j"),
// each with the single run's spikes, and /replicas/j naming its run and seed.
TEST(CliEnsemble, ReplicasInOneFileHoldTheSingleRuns) {
  TempDir dir;
  const std::string axons =
      " --stimulus.ax.kind=axonal --stimulus.ax.population=GPe --stimulus.ax.frequency_hz=50 "
      "--stimulus.ax.probability=0.5";
  const std::string base = (dir / "ens.h5").string();
  const RunResult e =
      runCbgtc(smallRun(dir, base,
                        "--ensemble.seeds=3,5,7 --ensemble.replicas=2 --ensemble.replica_files=one" + axons),
               dir);
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const std::string single = (dir / "single.h5").string();
  const RunResult s = runCbgtc(smallRun(dir, single, "--simulation.seed=5" + axons), dir);
  ASSERT_EQ(s.exit_code, 0) << s.err;
  const std::string merged = (dir / "ens_0-1.h5").string();  // runs 0 and 1: seeds 3 and 5
  ASSERT_TRUE(std::filesystem::exists(dir / "ens_2-2.h5"));
  for (const char* pop : {"STN", "GPe", "GPi", "GPe_axonal"}) {
    const Spikes a = readSpikes(single, pop), b = readSpikes(merged, std::string(pop) + "~1");
    EXPECT_FALSE(a.times_ms.empty()) << pop;
    EXPECT_EQ(a.times_ms, b.times_ms) << pop;
    EXPECT_EQ(a.node_ids, b.node_ids) << pop;
  }
  EXPECT_EQ(readInt64Attribute(merged, "/replicas/1", "seed"), 5);
  EXPECT_EQ(readInt64Attribute(merged, "/replicas/1", "run"), 1);
  // The file says it holds replicas of an ensemble.
  EXPECT_EQ(readStringAttribute(merged, "/", "ensemble.seeds"), "3,5,7");
  EXPECT_EQ(readInt64Attribute(merged, "/", "ensemble.replicas"), 2);
}
#endif

#ifdef CBGTC_ENABLE_HDF5
// Where every replica of a network diverges, at different times, each file
// still holds its own run's end and failure, and each is named on stderr.
TEST(CliEnsemble, ReplicasThatAllDivergeKeepTheirOwnFailures) {
  TempDir dir;
  const std::string stimulus = " --stimulus.d.population=GPi --stimulus.d.start_ms=100";
  const RunResult e =
      runCbgtc(smallRun(dir, (dir / "ens.h5").string(),
                        "--ensemble.replicas=2 '--ensemble.sets=projection.gpe_stn.g_total=1e300, "
                        "stimulus.d.amplitude=2; stimulus.d.amplitude=1e300'" +
                            stimulus),
               dir);
  EXPECT_EQ(e.exit_code, 1) << e.err;
  std::size_t errors = 0;
  for (auto at = e.err.find("cbgtc: error:"); at != std::string::npos;
       at = e.err.find("cbgtc: error:", at + 1))
    ++errors;
  EXPECT_EQ(errors, 2u) << e.err;
  const char* alone[] = {"--projection.gpe_stn.g_total=1e300 --stimulus.d.amplitude=2",
                         "--stimulus.d.amplitude=1e300"};
  for (int r = 0; r < 2; ++r) {
    const std::string single = (dir / ("single_" + std::to_string(r) + ".h5")).string(),
                      replica = (dir / ("ens_" + std::to_string(r) + ".h5")).string();
    EXPECT_EQ(runCbgtc(smallRun(dir, single, std::string(alone[r]) + stimulus), dir).exit_code, 1);
    EXPECT_EQ(readDoubleAttribute(replica, "/", "stopped_at_ms"),
              readDoubleAttribute(single, "/", "stopped_at_ms"))
        << r;
    EXPECT_EQ(readStringAttribute(replica, "/", "failure"), readStringAttribute(single, "/", "failure")) << r;
    EXPECT_NE(e.err.find("ens_" + std::to_string(r) + ".h5)"), std::string::npos) << e.err;
  }
}
#endif

#ifdef CBGTC_ENABLE_HDF5
// In one file of replicas, one that diverges alone is marked in
// /replicas/j/failure with its end; its sections hold its run's spikes up to
// there and no metrics, and the file is complete for the others.
TEST(CliEnsemble, AReplicaThatDivergesIsMarkedInTheFileOfItsNetwork) {
  TempDir dir;
  const std::string merged = (dir / "ens_0-1.h5").string(), single = (dir / "single.h5").string();
  const RunResult e = runCbgtc(smallRun(dir, (dir / "ens.h5").string(),
                                        "--ensemble.replicas=2 --ensemble.replica_files=one "
                                        "'--ensemble.grid=projection.gpe_stn.g_total = 1, 1e300'"),
                               dir);
  EXPECT_EQ(e.exit_code, 1) << e.err;
  EXPECT_NE(e.err.find("(replica 1 in " + merged +
                       "); its part of the file is marked failed (/replicas/1/failure)"),
            std::string::npos)
      << e.err;
  const RunResult s = runCbgtc(smallRun(dir, single, "--projection.gpe_stn.g_total=1e300"), dir);
  EXPECT_EQ(s.exit_code, 1) << s.err;
  for (const char* pop : {"STN", "GPe", "GPi"}) {
    const Spikes a = readSpikes(single, pop), b = readSpikes(merged, std::string(pop) + "~1");
    EXPECT_FALSE(a.times_ms.empty()) << pop;
    EXPECT_EQ(a.times_ms, b.times_ms) << pop;
    EXPECT_TRUE(objectExists(merged, std::string("/metrics/") + pop + "~0")) << pop;
    EXPECT_FALSE(objectExists(merged, std::string("/metrics/") + pop + "~1")) << pop;
  }
  EXPECT_EQ(readDoubleAttribute(merged, "/replicas/1/failure", "stopped_at_ms"),
            readDoubleAttribute(single, "/", "stopped_at_ms"));
  EXPECT_NE(
      readStringAttribute(merged, "/replicas/1/failure", "message").find("population STN~1 has a membrane"),
      std::string::npos);
  EXPECT_FALSE(objectExists(merged, "/replicas/0/failure"));
  EXPECT_EQ(readStringAttribute(merged, "/", "complete"), "true");
}
#endif

#ifdef CBGTC_ENABLE_HDF5
// A replica whose smallest delay is longer than its network's (and so its
// epoch) writes the metrics of its single run, bit for bit.
TEST(CliEnsemble, ReplicasOfOtherDelaysWriteTheSingleRunsMetrics) {
  TempDir dir;
  const auto run = [&](const std::string& file, const std::string& extra) {
    return runCbgtc("--config '" + inputDeck("default.ini") +
                        "' --simulation.duration_ms=400 --output.file='" + (dir / file).string() + "' " +
                        extra,
                    dir);
  };
  const RunResult e =
      run("ens.h5", "--ensemble.replicas=2 '--ensemble.grid=projection.stn_gpe.delay_ms = 5, 1.5'");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const RunResult s = run("single.h5", "--projection.stn_gpe.delay_ms=5");
  ASSERT_EQ(s.exit_code, 0) << s.err;
  const std::string single = (dir / "single.h5").string(), replica = (dir / "ens_0.h5").string();
  for (const char* pop : {"STN", "GPe", "GPi"}) {
    const std::string group = std::string("/metrics/") + pop;
    EXPECT_GT(readDoubleAttribute(single, group, "synchrony_chi"), 0.0) << pop;
    for (const std::string& name : readAttributeNames(single, group)) {
      const double a = readDoubleAttribute(single, group, name),
                   b = readDoubleAttribute(replica, group, name);
      EXPECT_TRUE(std::memcmp(&a, &b, sizeof a) == 0) << pop << " " << name << ": " << a << " against " << b;
    }
  }
}
#endif

// Replicas share one network's time step: a grid over it is refused with
// one line, before any file.
TEST(CliEnsemble, ReplicasRefuseAGridOverTheNetworksKeys) {
  TempDir dir;
  const std::string base = (dir / "ens.h5").string();
  const RunResult r = runCbgtc(
      smallRun(dir, base, "--ensemble.replicas=2 '--ensemble.grid=simulation.dt_ms=0.025, 0.05'"), dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(
      r.err.find("ensemble.replicas: simulation.dt_ms is 0.025 in run 0 but 0.05 in run 1, which share"),
      std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(entry.path().extension().string().find(".h5"), std::string::npos) << entry.path();
}

// ensemble.replica_files = none writes the ensemble's table and no file per
// run (a deck's V recording is dropped with the files), and the table is
// that of the same runs alone, each writing its file.
TEST(CliEnsemble, WithoutRunFilesTheTableIsThatOfTheRunsAlone) {
  TempDir with_files, without;
  const RunResult alone = runCbgtc(
      smallRun(with_files, (with_files / "ens.h5").string(), "--ensemble.seeds=1-3 --output.v_neurons=2"),
      with_files);
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  const RunResult none = runCbgtc(smallRun(without, (without / "ens.h5").string(),
                                           "--ensemble.seeds=1-3 --output.v_neurons=2 --ensemble.replicas=2 "
                                           "--ensemble.replica_files=none"),
                                  without);
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_NE(none.out.find("run 2: seed 3: done"), std::string::npos) << none.out;
  const std::string table = slurp(with_files / "ens_ensemble.tsv");
  EXPECT_NE(table.find("\nrun 2\t"), std::string::npos) << table;
  EXPECT_EQ(slurp(without / "ens_ensemble.tsv"), table);
  std::vector<std::string> written;
  for (const auto& entry : std::filesystem::directory_iterator(without.path()))
    if (entry.path().extension() != ".txt")  // (the captured stdout and stderr)
      written.push_back(entry.path().filename().string());
  EXPECT_EQ(written, std::vector<std::string>{"ens_ensemble.tsv"});
}

// A replica that diverges without run files fails alone: the error names
// the replica, not a file, the table marks its rows failed, and the other
// run's rows are those of the same run alone.
TEST(CliEnsemble, WithoutRunFilesAFailureNamesTheReplica) {
  TempDir dir, alone;
  const std::string grid =
      " '--ensemble.grid=projection.gpe_stn.g_total = 1, 1e300' --analysis.burn_in_ms=50";
  const RunResult r = runCbgtc(
      smallRun(dir, (dir / "ens.h5").string(), "--ensemble.replicas=2 --ensemble.replica_files=none" + grid),
      dir);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("the integration diverged"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(replica 1 of a network of 2 runs, ensemble.replicas); it writes no file"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("run 0: seed 42, projection.gpe_stn.g_total=1: done"), std::string::npos) << r.out;
  const RunResult s = runCbgtc(smallRun(alone, (alone / "ens.h5").string(), grid), alone);
  EXPECT_EQ(s.exit_code, 1) << s.err;
  const auto rows = [](const std::string& table, const std::string& run) {
    std::istringstream lines(table);
    std::vector<std::string> out;
    for (std::string line; std::getline(lines, line);)
      if (line.rfind(run + "\t", 0) == 0) out.push_back(line);
    return out;
  };
  const std::string table = slurp(dir / "ens_ensemble.tsv");
  const std::vector<std::string> ok = rows(table, "run 0"), failed = rows(table, "run 1");
  ASSERT_EQ(ok.size(), 6u) << table;  // 3 populations and 3 pairs
  ASSERT_EQ(failed.size(), 6u) << table;
  for (const std::string& line : failed) EXPECT_EQ(line.substr(line.size() - 7), "\tfailed") << line;
  EXPECT_EQ(ok, rows(slurp(alone / "ens_ensemble.tsv"), "run 0"));
  for (const std::string& line : ok) EXPECT_EQ(line.substr(line.size() - 3), "\tok") << line;
}

#ifdef CBGTC_ENABLE_HDF5
// Replicas that diverge fail alone, each where its run alone would have:
// its file holds that run's spikes, end and failure, and the network's other
// replicas run on to write their runs' files. Replica 0 diverges first and
// goes on being advanced (its state NaN) while replica 1 diverges later.
TEST(CliEnsemble, AReplicaThatDivergesFailsAlone) {
  TempDir dir;
  const std::string stimulus =
      " --stimulus.d.population=GPi --stimulus.d.start_ms=100 --analysis.burn_in_ms=50 "
      "--stimulus.p.population=GPe"
      " --stimulus.p.kind=pulse_train --stimulus.p.amplitude=1 --stimulus.p.frequency_hz=130";
  const RunResult e = runCbgtc(
      smallRun(
          dir, (dir / "ens.h5").string(),
          "--ensemble.replicas=3 '--ensemble.sets=projection.gpe_stn.g_total=1e300, stimulus.d.amplitude=2; "
          "stimulus.d.amplitude=1e300; stimulus.d.amplitude=2'" +
              stimulus),
      dir);
  EXPECT_EQ(e.exit_code, 1) << e.err;
  EXPECT_EQ(std::count(e.err.begin(), e.err.end(), '\n'), 2) << e.err;  // one line per failed run
  const char* alone[] = {"--projection.gpe_stn.g_total=1e300 --stimulus.d.amplitude=2",
                         "--stimulus.d.amplitude=1e300", "--stimulus.d.amplitude=2"};
  for (int r = 0; r < 3; ++r) {
    const std::string single = (dir / ("single_" + std::to_string(r) + ".h5")).string(),
                      replica = (dir / ("ens_" + std::to_string(r) + ".h5")).string();
    const RunResult s = runCbgtc(smallRun(dir, single, std::string(alone[r]) + stimulus), dir);
    EXPECT_EQ(s.exit_code, r < 2 ? 1 : 0) << s.err;
    expectSameSpikes(replica, single);
    EXPECT_EQ(readDoubleAttribute(replica, "/", "stopped_at_ms"),
              readDoubleAttribute(single, "/", "stopped_at_ms"))
        << r;
    EXPECT_EQ(readStringAttribute(replica, "/", "complete"), r < 2 ? "false" : "true") << r;
    EXPECT_EQ(readDoubles(replica, "/stimuli/p/pulse_onsets_ms"),
              readDoubles(single, "/stimuli/p/pulse_onsets_ms"))
        << r;
    // The recorded potentials too, bit for bit (NaN where the run diverged).
    for (const char* pop : {"STN", "GPi"}) {
      const std::string report = std::string("/report/") + pop + "/data";
      const std::vector<float> a = readFloats(replica, report), b = readFloats(single, report);
      ASSERT_EQ(a.size(), b.size()) << r << " " << pop;
      EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0) << r << " " << pop;
    }
    if (r < 2)
      EXPECT_EQ(readStringAttribute(replica, "/", "failure"), readStringAttribute(single, "/", "failure"))
          << r;
    else
      EXPECT_EQ(readDoubleAttribute(replica, "/metrics/GPi", "rate_hz"),
                readDoubleAttribute(single, "/metrics/GPi", "rate_hz"));
  }
  // They failed at different times: 20 and 105 ms.
  EXPECT_LT(readDoubleAttribute((dir / "ens_0.h5").string(), "/", "stopped_at_ms"),
            readDoubleAttribute((dir / "ens_1.h5").string(), "/", "stopped_at_ms"));
}
#endif

// Without run files, what the runs were asked to write elsewhere is refused
// with one line naming the key, before anything is written.
TEST(CliEnsemble, WithoutRunFilesRecordsAndNetworkFilesAreRefused) {
  TempDir dir;
  const std::string base = (dir / "ens.h5").string();
  const auto refused = [&](const std::string& extra, const std::string& expected) {
    const RunResult r =
        runCbgtc(smallRun(dir, base, "--ensemble.seeds=1-2 --ensemble.replica_files=none " + extra), dir);
    EXPECT_EQ(r.exit_code, 2) << extra;
    EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  };
  refused(
      "--record.stn.population=STN --record.stn.count=1",
      "ensemble run 0: [record.stn] writes into the run's files, and ensemble.replica_files = none writes "
      "none");
  refused("--output.network=true", "ensemble run 0: output.network writes into the run's files");
  refused("--checkpoint.append=true", "ensemble run 0: checkpoint.append writes into the run's files");
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(entry.path().extension().string(), ".txt") << entry.path();
}

// An ensemble's own keys that would do nothing are refused, not ignored: a
// table with no ensemble, one file per merged network with none merged, and
// a table named .h5 (it would be written as text under that name).
TEST(CliEnsemble, EnsembleKeysThatWouldDoNothingAreRefused) {
  TempDir dir;
  const std::string base = (dir / "ens.h5").string();
  const auto refused = [&](const std::string& extra, const std::string& expected) {
    const RunResult r = runCbgtc(smallRun(dir, base, extra), dir);
    EXPECT_EQ(r.exit_code, 2) << extra;
    EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  };
  refused("--ensemble.table=t.tsv --validate",
          "cbgtc: error: ensemble.table tabulates the runs of ensemble.seeds");
  refused("--ensemble.replica_files=one",
          "ensemble.replica_files names the files of the runs of ensemble.seeds");
  refused("--ensemble.seeds=1-2 --ensemble.replica_files=one",
          "ensemble.replica_files = one writes a file per network of merged runs: it needs ensemble.replicas "
          "> 1");
  refused("--ensemble.seeds=1-2 --ensemble.table=t.h5",
          "ensemble.table: 't.h5' names an HDF5 file, but cbgtc writes it as tab-separated text");
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(entry.path().extension().string(), ".txt") << entry.path();
}

// --validate checks every run of an ensemble and its merged networks, as
// the ensemble would before its first run.
TEST(CliEnsemble, ValidateChecksEveryRunAndNetwork) {
  TempDir dir;
  const std::string base = (dir / "ens.h5").string();
  const RunResult ok =
      runCbgtc(smallRun(dir, base, "--ensemble.seeds=1-5 --ensemble.replicas=2 --validate"), dir);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("an ensemble of 5 runs in 3 networks"), std::string::npos) << ok.out;
  const RunResult bad = runCbgtc(
      smallRun(dir, base, "--ensemble.seeds=1-2 '--ensemble.grid=population.GPe.I_e=280, oops' --validate"),
      dir);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("ensemble run 2: "), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("population.GPe.I_e"), std::string::npos) << bad.err;
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
  const RunResult merged =
      runCbgtc(smallRun(dir, base,
                        "--ensemble.replicas=2 '--ensemble.grid=simulation.duration_ms=100, 200' --validate"),
               dir);
  EXPECT_EQ(merged.exit_code, 2);
  EXPECT_NE(merged.err.find("ensemble.replicas: simulation.duration_ms"), std::string::npos) << merged.err;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(entry.path().extension().string(), ".txt")
        << entry.path();  // only the captured stdout and stderr
}

// The memory of every run, not only the first, is checked before the first
// run and by --validate: a later run too large to fit is one line naming
// it, and no file.
TEST(CliEnsemble, EveryRunsMemoryIsCheckedBeforeTheFirstRun) {
  TempDir dir;
  const std::string base = (dir / "ens.h5").string();
  for (const std::string validate : {" --validate", ""}) {
    const RunResult r =
        runCbgtc(smallRun(dir, base, "'--ensemble.grid=population.GPi.n = 150, 500000000'" + validate), dir);
    EXPECT_EQ(r.exit_code, 2) << validate;
    EXPECT_NE(r.err.find("ensemble run 1: the run needs about"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
      EXPECT_EQ(entry.path().extension().string(), ".txt") << entry.path();
  }
}

// Every file of every run, and the table, is checked before the first run:
// a table on a run's file, or a later run's file that may not be replaced,
// stops the ensemble with one line, nothing written and the file untouched.
TEST(CliEnsemble, EveryFileIsCheckedBeforeTheFirstRun) {
  TempDir dir;
  const std::string base = (dir / "ens.h5").string();
  RunResult r = runCbgtc(
      smallRun(dir, base, "--ensemble.seeds=1-2 --ensemble.table='" + (dir / "ens_1.h5").string() + "'"),
      dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("ensemble.table"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ens_1.h5"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  {
    std::ofstream existing((dir / "ens_1.h5").string());
    existing << "keep me";
  }
  r = runCbgtc("--config '" + inputDeck("default.ini") + "' --simulation.duration_ms=200 --output.file='" +
                   base + "' --output.overwrite=false --ensemble.seeds=1-2",
               dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("ensemble run 1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ens_1.h5"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(slurp(dir / "ens_1.h5"), "keep me");
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    EXPECT_TRUE(entry.path().extension() == ".txt" || entry.path().filename() == "ens_1.h5") << entry.path();
}

// The spike files a run replays are read by --validate, and by an ensemble
// for every run before the first: a bad one is one line and nothing written.
TEST(CliEnsemble, SpikeFilesAreReadBeforeAnyRun) {
  TempDir dir;
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream((dir / name).string()) << text;
    return (dir / name).string();
  };
  const std::string good = write("good.csv", "timestamps population node_ids\n1.0 SRC 0\n2.0 SRC 2\n");
  const std::string bad = write("bad.csv", "timestamps population node_ids\n1.0 SRC 3\n");
  const std::string deck =
      write("replay.ini",
            "[simulation]\nduration_ms = 20\n[population.SRC]\nmodel = spike_times\nn = 3\n"
            "spike_file = " +
                good +
                "\n[population.E]\nmodel = lif\nn = 5\n"
                "[projection.se]\nsource = SRC\ntarget = E\nrule = fixed_indegree\n"
                "indegree = 2\ng_total = 1\ntau_ms = 3\nE_rev_mV = 0\ndelay_ms = 1\n");
  const std::string out = "--output.file='" + (dir / "out.h5").string() + "'";
  RunResult r = runCbgtc("--config '" + deck + "' " + out + " --validate", dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = runCbgtc("--config '" + deck + "' " + out + " --population.SRC.spike_file='" + bad + "' --validate",
               dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("population.SRC.spike_file"), std::string::npos) << r.err;
  r = runCbgtc("--config '" + deck + "' " + out + " '--ensemble.sets=population.SRC.spike_file = " + good +
                   "; population.SRC.spike_file = " + bad + "'",
               dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("ensemble run 1: population.SRC.spike_file"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    EXPECT_NE(entry.path().extension().string(), ".h5") << entry.path();
  EXPECT_FALSE(std::filesystem::exists(dir / "out_ensemble.tsv"));
}

// A run that fails (here a step too long for the STN) leaves the others
// going; the ensemble exits with its code, and the table marks its rows.
TEST(CliEnsemble, AFailedRunIsMarkedInTheTable) {
  TempDir dir;
  const std::string base = (dir / "ens.h5").string();
  const RunResult r = runCbgtc(smallRun(dir, base, "--ensemble.grid='simulation.dt_ms = 0.025, 0.2'"), dir);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const std::string table = slurp(dir / "ens_ensemble.tsv");
  std::istringstream lines(table);
  int ok = 0, failed = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("run 0\t", 0) == 0) ok += line.size() > 3 && line.substr(line.size() - 3) == "\tok";
    if (line.rfind("run 1\t", 0) == 0)
      failed += line.size() > 7 && line.substr(line.size() - 7) == "\tfailed";
  }
  EXPECT_EQ(ok, 6) << table;  // 3 populations and 3 pairs each
  EXPECT_EQ(failed, 6) << table;
}

TEST(CliEnsemble, ABadGridValueStopsTheEnsembleBeforeAnyRun) {
  TempDir dir;
  const std::string base = (dir / "ens.h5").string();
  const RunResult r =
      runCbgtc(smallRun(dir, base, "--ensemble.seeds=1-3 --ensemble.grid='population.GPe.I_e=280, oops'"), dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("population.GPe.I_e"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(entry.path().extension().string().find(".h5"), std::string::npos) << entry.path();
}
