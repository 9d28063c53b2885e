// Rank-count invariance: the same deck and seed give bit-identical spike
// datasets for 1, 2, 3 and 4 MPI ranks, and the same spikes as the serial
// code path (LocalCommunicator) in this process.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <thread>
#include <type_traits>
#include <vector>

#include "io/options.hpp"
#include "src/comm/mpi_session.hpp"
#include "src/simulation.hpp"
#include "tests/cli_helpers.hpp"
#include "tests/memory_writer.hpp"

using namespace cbgtc::test;

namespace {

// OpenMPI refuses root and more ranks than cores unless told; other MPIs
// ignore these variables.
const char* mpi_env =
    "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 ";

RunResult runRanks(int np, const std::string& args, const TempDir& dir) {
  const std::string launcher = std::string(mpi_env) + "'" + CBGTC_MPIEXEC + "' " + CBGTC_MPIEXEC_NUMPROC_FLAG + " " +
                               std::to_string(np);
  return runCbgtcWith(launcher, args, dir, "_" + std::to_string(np));
}

void expectInvariant(const std::string& deck_args,
                     const std::vector<std::string>& populations = {"STN", "GPe", "GPi"}) {
  TempDir dir;
  std::vector<std::string> files;
  for (int np = 1; np <= 4; ++np) {
    files.push_back((dir / ("np" + std::to_string(np) + ".h5")).string());
    const RunResult r = runRanks(np, deck_args + " --output.file='" + files.back() + "'", dir);
    ASSERT_EQ(r.exit_code, 0) << "np=" << np << "\n" << r.err;
  }
  // The serial code path, in this process.
  std::vector<std::string> argv_s = {"cbgtc"};
  {
    std::istringstream words(deck_args);
    for (std::string w; words >> w;) {
      if (w.front() == '\'') w = w.substr(1, w.size() - 2);
      argv_s.push_back(w);
    }
  }
  std::vector<const char*> argv;
  for (const auto& a : argv_s) argv.push_back(a.c_str());
  const cbgtc::io::CommandLine cl = cbgtc::io::parseCommandLine(static_cast<int>(argv.size()), argv.data());
  MemoryWriter memory;
  {
    cbgtc::Simulation serial(cl.config);
    serial.run(&memory);
  }
  for (const std::string& pop : populations) {
    const Spikes one = readSpikes(files[0], pop);
    ASSERT_FALSE(one.times_ms.empty()) << pop;
    for (int np = 2; np <= 4; ++np) {
      const Spikes many = readSpikes(files[np - 1], pop);
      EXPECT_EQ(one.times_ms, many.times_ms) << pop << " np=" << np;
      EXPECT_EQ(one.node_ids, many.node_ids) << pop << " np=" << np;
    }
    const auto& local = memory.spikes.at(pop);
    ASSERT_EQ(local.size(), one.times_ms.size()) << pop;
    for (std::size_t k = 0; k < local.size(); ++k) {
      ASSERT_EQ(local[k].first, one.times_ms[k]) << pop << " spike " << k;
      ASSERT_EQ(local[k].second, one.node_ids[k]) << pop << " spike " << k;
    }
  }
}

}  // namespace

TEST(MpiInvariance, DefaultNetworkSpikesAreIdenticalFor1To4Ranks) {
  expectInvariant("--config '" + inputDeck("default.ini") + "' --simulation.duration_ms=150");
}

// Per-synapse delays (jitter) and a fixed in-degree projection within a
// population (GPe -> GPe, no autapses).
TEST(MpiInvariance, JitteredAndFixedIndegreeProjectionsAreIdentical) {
  expectInvariant("--config '" + inputDeck("default.ini") +
                  "' --simulation.duration_ms=150 --projection.gpe_stn.delay_jitter_ms=2"
                  " --projection.stn_gpe.delay_jitter_ms=1 --projection.gpe_gpe.source=GPe"
                  " --projection.gpe_gpe.target=GPe --projection.gpe_gpe.rule=fixed_indegree"
                  " --projection.gpe_gpe.indegree=15 --projection.gpe_gpe.g_total=5"
                  " --projection.gpe_gpe.E_rev_mV=-70 --projection.gpe_gpe.tau_ms=5"
                  " --projection.gpe_gpe.delay_ms=3 --projection.gpe_gpe.delay_jitter_ms=1");
}

// Short-term plasticity follows each source's spikes on every rank: the
// same spikes for 1-4 ranks and the serial path, with depression,
// facilitation, and a synapse that pull delivery would otherwise take.
TEST(MpiInvariance, ShortTermPlasticityIsIdentical) {
  expectInvariant(
      "--config '" + inputDeck("default.ini") +
      "' --simulation.duration_ms=150 --projection.stn_gpe.stp_U=0.35 --projection.stn_gpe.g_total=30"
      " --projection.gpe_gpi.stp_U=0.1 --projection.gpe_gpi.stp_tau_fac_ms=200"
      " --projection.gpe_gpi.stp_tau_rec_ms=100 --execution.delivery=pull --execution.pull_fraction=0");
}

#ifdef CBGTC_ENABLE_HDF5
// output.network gathers every rank's synapses: 1 and 3 ranks write the same
// edges (jittered delays and a fixed in-degree projection among them).
TEST(MpiInvariance, NetworkFilesAreIdentical) {
  TempDir dir;
  for (int np : {1, 3}) {
    const std::string out = (dir / ("np" + std::to_string(np) + ".h5")).string();
    const RunResult r =
        runRanks(np,
                 "--config '" + inputDeck("default.ini") +
                     "' --simulation.duration_ms=20 --output.network=true"
                     " --projection.gpe_stn.delay_jitter_ms=2 --projection.stn_gpe.rule=fixed_indegree"
                     " --output.file='" +
                     out + "'",
                 dir);
    ASSERT_EQ(r.exit_code, 0) << "np=" << np << "\n" << r.err;
  }
  const auto edges = [&](int np) { return (dir / ("np" + std::to_string(np) + "_edges.h5")).string(); };
  for (const char* proj : {"stn_gpe", "gpe_stn", "stn_gpi", "gpe_gpi"}) {
    const std::string g = std::string("/edges/") + proj;
    const auto source = readU64(edges(1), g + "/source_node_id");
    EXPECT_FALSE(source.empty()) << proj;
    EXPECT_EQ(source, readU64(edges(3), g + "/source_node_id")) << proj;
    EXPECT_EQ(readU64(edges(1), g + "/target_node_id"), readU64(edges(3), g + "/target_node_id")) << proj;
    EXPECT_EQ(readDoubles(edges(1), g + "/0/syn_weight"), readDoubles(edges(3), g + "/0/syn_weight")) << proj;
    EXPECT_EQ(readDoubles(edges(1), g + "/0/delay"), readDoubles(edges(3), g + "/0/delay")) << proj;
  }
}

// Recordings gather every rank's columns: the report files of 1 and 3 ranks
// hold the same values (node ids in different ranks' blocks).
TEST(MpiInvariance, RecordedReportsAreIdentical) {
  TempDir dir;
  const std::string record =
      " --record.gpe.population=GPe --record.gpe.variables='V, w, g_stn_gpe, I_syn'"
      " --record.gpe.node_ids='0, 7, 15, 29' --record.gpe.interval_ms=0.25";
  for (int np : {1, 3}) {
    const std::string out = (dir / ("np" + std::to_string(np) + ".h5")).string();
    const RunResult r = runRanks(np,
                                 "--config '" + inputDeck("default.ini") + "' --simulation.duration_ms=100" + record +
                                     " --output.file='" + out + "'",
                                 dir);
    ASSERT_EQ(r.exit_code, 0) << "np=" << np << "\n" << r.err;
  }
  for (const char* variable : {"V", "w", "g_stn_gpe", "I_syn"}) {
    const auto file = [&](int np) { return (dir / ("np" + std::to_string(np) + "_gpe_" + variable + ".h5")).string(); };
    const std::vector<float> one = readFloats(file(1), "/report/GPe/data");
    EXPECT_EQ(one.size(), 400u * 4) << variable;
    EXPECT_EQ(one, readFloats(file(3), "/report/GPe/data")) << variable;
  }
}
#endif

// A checkpoint written on some ranks continues on others (2 -> 3, 4 -> 1,
// 1 -> 2): spikes after it identical to the whole run's on one rank, and
// the LFP proxy (a sum over ranks) to round-off, the Poisson-surprise
// bursts of the kept neurons exactly; with plasticity, a Poisson
// source and a pulse train.
// A population smaller than the ranks (GPi of 2 neurons on 3 ranks: one
// rank owns none) with every per-neuron record a checkpoint keeps (V moments,
// the relay of pulses): every rank joins each collective write, and the
// continuation on 2 ranks gives the whole run's spikes.
TEST(MpiInvariance, CheckpointOfAPopulationSmallerThanTheRanks) {
  TempDir dir;
  const std::string deck = "--config '" + inputDeck("default.ini") +
                           "' --simulation.duration_ms=200 --population.GPi.n=2"
                           " --stimulus.dbs.kind=pulse_train --stimulus.dbs.population=GPi"
                           " --stimulus.dbs.amplitude=200 --analysis.relay_stimulus=dbs";
  const std::string whole = (dir / "whole.h5").string(), checkpoint = (dir / "state.h5").string(),
                    first = (dir / "first.h5").string(), second = (dir / "second.h5").string();
  ASSERT_EQ(runRanks(1, deck + " --output.file='" + whole + "'", dir).exit_code, 0);
  RunResult r = runRanks(
      3,
      deck + " --checkpoint.file='" + checkpoint + "' --checkpoint.at_ms=100 --output.file='" + first + "'",
      dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = runRanks(2, deck + " --restart='" + checkpoint + "' --output.file='" + second + "'", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const double at_ms = readDoubleAttribute(checkpoint, "/checkpoint", "t_ms");
  for (const char* pop : {"STN", "GPe", "GPi"}) {
    const Spikes all = readSpikes(whole, pop), continued = readSpikes(second, pop);
    std::vector<double> times;
    for (const double t : all.times_ms)
      if (t >= at_ms) times.push_back(t);
    ASSERT_FALSE(times.empty()) << pop;
    EXPECT_EQ(continued.times_ms, times) << pop;
  }
  // A damaged value that only the ranks owning GPi neurons load (a NaN
  // conductance into GPi) is refused on every rank, naming it, and the rank
  // without GPi neurons does not wait for the others (a timeout would end it).
  const std::string damaged = (dir / "damaged.h5").string();
  std::filesystem::copy_file(checkpoint, damaged);
  {
    const hid_t file = H5Fopen(damaged.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    const hid_t set = H5Dopen2(file, "/projections/stn_gpi/g", H5P_DEFAULT);
    ASSERT_GE(set, 0);
    std::vector<double> g(2);
    ASSERT_GE(H5Dread(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, g.data()), 0);
    g[1] = std::numeric_limits<double>::quiet_NaN();
    ASSERT_GE(H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, g.data()), 0);
    // (as an earlier version wrote it, without the values' digest, which
    // every rank would find changed first)
    ASSERT_GE(H5Adelete(set, "values_digest"), 0);
    H5Dclose(set);
    H5Fclose(file);
  }
  const std::string launcher = std::string("timeout 120 env ") + mpi_env + "'" + CBGTC_MPIEXEC + "' " +
                               CBGTC_MPIEXEC_NUMPROC_FLAG + " 3";
  r = runCbgtcWith(launcher,
                   deck + " --restart='" + damaged + "' --output.file='" + (dir / "d.h5").string() + "'", dir,
                   "_damaged");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("/projections/stn_gpi/g holds a value that is not finite"), std::string::npos)
      << r.err;
}

TEST(MpiInvariance, CheckpointsContinueOnAnyRankCount) {
  TempDir dir;
  const std::string deck =
      "--config '" + inputDeck("default.ini") +
      "' --simulation.duration_ms=300 --projection.stn_gpe.stp_U=0.35"
      " --projection.stn_gpe.g_total=30 --population.CTX.model=poisson --population.CTX.n=37"
      " --population.CTX.rate_hz=30 --population.CTX.burst_rate_hz=4"
      " --projection.ctx_stn.source=CTX --projection.ctx_stn.target=STN --projection.ctx_stn.p=0.2"
      " --projection.ctx_stn.g_total=0.5 --projection.ctx_stn.delay_ms=2"
      " --stimulus.dbs.kind=pulse_train --stimulus.dbs.population=STN --stimulus.dbs.amplitude=300"
      " --stimulus.dbs.biphasic=true";
  const std::string whole = (dir / "whole.h5").string();
  ASSERT_EQ(runRanks(1, deck + " --output.file='" + whole + "'", dir).exit_code, 0);
  for (const auto& [writers, readers] : std::vector<std::pair<int, int>>{{2, 3}, {4, 1}, {1, 2}}) {
    const std::string tag = std::to_string(writers) + "to" + std::to_string(readers);
    const std::string checkpoint = (dir / (tag + "_state.h5")).string();
    const std::string first = (dir / (tag + "_first.h5")).string(),
                      second = (dir / (tag + "_second.h5")).string();
    RunResult r = runRanks(writers,
                           deck + " --checkpoint.file='" + checkpoint + "' --checkpoint.at_ms=137" +
                               " --output.file='" + first + "'",
                           dir);
    ASSERT_EQ(r.exit_code, 0) << tag << "\n" << r.err;
    r = runRanks(readers, deck + " --restart='" + checkpoint + "' --output.file='" + second + "'", dir);
    ASSERT_EQ(r.exit_code, 0) << tag << "\n" << r.err;
    // 137 ms rounded up to the next exchange.
    const double at_ms = readDoubleAttribute(checkpoint, "/checkpoint", "t_ms");
    EXPECT_GE(at_ms, 137.0);
    EXPECT_LT(at_ms, 142.0);
    for (const char* pop : {"STN", "GPe", "GPi", "CTX"}) {
      const Spikes all = readSpikes(whole, pop), continued = readSpikes(second, pop);
      std::vector<double> times;
      std::vector<std::uint64_t> ids;
      for (std::size_t k = 0; k < all.times_ms.size(); ++k)
        if (all.times_ms[k] >= at_ms) {
          times.push_back(all.times_ms[k]);
          ids.push_back(all.node_ids[k]);
        }
      ASSERT_FALSE(times.empty()) << pop;
      EXPECT_EQ(continued.times_ms, times) << tag << " " << pop;
      EXPECT_EQ(continued.node_ids, ids) << tag << " " << pop;
      const std::vector<double> a = readDoubles(whole, std::string("/lfp/") + pop),
                                b = readDoubles(second, std::string("/lfp/") + pop);
      ASSERT_EQ(a.size(), b.size()) << pop;
      for (std::size_t m = 0; m < a.size(); ++m)
        ASSERT_NEAR(b[m], a[m], 1e-12 * std::fabs(a[m]) + 1e-300) << tag << " " << pop << " sample " << m;
      // The kept spike trains continue on ranks that hold other neurons.
      const std::string metrics = std::string("/metrics/") + pop;
      const double surprise = readDoubleAttribute(whole, metrics, "surprise_burst_fraction");
      EXPECT_FALSE(std::isnan(surprise)) << pop;
      EXPECT_EQ(readDoubleAttribute(second, metrics, "surprise_burst_fraction"), surprise)
          << tag << " " << pop;
    }
  }
}

// Inputs: a Poisson source (modulated, bursting, fluctuating) projecting to the STN, a
// DBS pulse train into a keyed half of the STN, axonal activation of GPe, and
// an electrode activating the GPi axons within its reach.
TEST(MpiInvariance, SourcesAndStimuliAreIdentical) {
  expectInvariant(
      "--config '" + inputDeck("default.ini") +
          "' --simulation.duration_ms=150 --population.CTX.model=poisson --population.CTX.n=37"
          " --population.CTX.rate_hz=30 --population.CTX.modulation_depth=0.5"
          " --population.CTX.burst_rate_hz=4 --population.CTX.rate_fluctuation=0.4"
          " --population.CTX.rate_fluctuation_tau_ms=10 --projection.ctx_stn.source=CTX"
          " --projection.ctx_stn.target=STN --projection.ctx_stn.p=0.2 --projection.ctx_stn.g_total=0.5"
          " --projection.ctx_stn.delay_ms=2 --stimulus.dbs.kind=pulse_train --stimulus.dbs.population=STN"
          " --stimulus.dbs.fraction=0.5 --stimulus.dbs.amplitude=1000 --stimulus.dbs.start_ms=50"
          " --stimulus.dbs.biphasic=true --stimulus.dbs.second_phase_ratio=0.1"
          " --stimulus.ax.kind=axonal --stimulus.ax.population=GPe --stimulus.ax.probability=0.3"
          " --stimulus.ax.start_ms=20 --stimulus.ax.frequency_hz=130"
          " --population.GPi.placement=sphere --stimulus.el.kind=axonal --stimulus.el.population=GPi"
          " --stimulus.el.electrode=true --stimulus.el.current_mA=0.4",
      {"STN", "GPe", "GPi", "CTX", "GPe_axonal", "GPi_axonal"});
}

// The thalamic relay deck (a model launched on its own, a Poisson source,
// a pulse train): the same spikes and the same error-index counts on any
// rank count.
TEST(MpiInvariance, RelayErrorIndexIsIdentical) {
  // GPi in 13 Hz bursts: every kind of relay error occurs.
  const std::string deck = "--config '" + inputDeck("thalamic_relay.ini") +
                           "' --simulation.duration_ms=1200 --population.GPi.modulation_depth=1"
                           " --population.GPi.modulation_hz=13";
  expectInvariant(deck, {"TC", "GPi"});
  TempDir dir;
  std::vector<std::int64_t> first;
  for (const int np : {1, 3}) {
    const std::string file = (dir / ("np" + std::to_string(np) + ".h5")).string();
    const RunResult r = runRanks(np, deck + " --output.file='" + file + "'", dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::int64_t> counts;
    for (const char* name : {"relay_pulses", "relay_misses", "relay_bursts", "relay_spurious"})
      counts.push_back(readInt64Attribute(file, "/metrics/TC", name));
    EXPECT_GT(counts[0], 0);
    EXPECT_GT(counts[1] + counts[2] + counts[3], 0);
    if (first.empty())
      first = counts;
    else
      EXPECT_EQ(counts, first) << "np=" << np;
  }
}

// A spike_times population replaying a run's STN spikes (read by every
// rank from the file) drives GPe in place of the STN.
TEST(MpiInvariance, ReplayedSpikesAreIdentical) {
  TempDir dir;
  const std::string recorded = (dir / "recorded.h5").string();
  const RunResult r = runRanks(2, "--config '" + inputDeck("default.ini") + "' --simulation.duration_ms=150" +
                                      " --output.file='" + recorded + "'",
                               dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expectInvariant("--config '" + inputDeck("default.ini") +
                      "' --simulation.duration_ms=150 --population.REPLAY.model=spike_times"
                      " --population.REPLAY.n=100 --population.REPLAY.spike_file=" + recorded +  // a temporary path: no spaces
                      " --population.REPLAY.spike_population=STN --projection.stn_gpe.source=REPLAY",
                  {"STN", "GPe", "GPi", "REPLAY"});
}

// More ranks than neurons in a population: empty blocks still run.
// An ensemble spread over 1, 2 or 3 ranks (groups of one or two ranks)
// writes the same table.
TEST(MpiInvariance, EnsembleTablesAreIdentical) {
  TempDir dir;
  std::vector<std::string> tables;
  for (int np : {1, 2, 3}) {
    const std::string out = (dir / ("np" + std::to_string(np) + ".h5")).string();
    const RunResult r = runRanks(np,
                                 "--config '" + inputDeck("default.ini") +
                                     "' --simulation.duration_ms=150 --ensemble.seeds=1-2 --output.file='" + out + "'",
                                 dir);
    ASSERT_EQ(r.exit_code, 0) << "np=" << np << "\n" << r.err;
    tables.push_back(slurp(dir / ("np" + std::to_string(np) + "_ensemble.tsv")));
  }
  EXPECT_FALSE(tables[0].empty());
  EXPECT_EQ(tables[0], tables[1]);
  EXPECT_EQ(tables[0], tables[2]);
}

namespace {

// The ensemble of `deck` on np ranks with ensemble.replicas = `replicas`,
// writing np<np>r<replicas>*.h5 in `dir`, expected to exit with `code`: the
// files' stem.
std::string runReplicasOnRanks(const TempDir& dir, const std::string& deck, int np, int replicas, int code) {
  const std::string name = "np" + std::to_string(np) + "r" + std::to_string(replicas);
  const RunResult r = runRanks(np,
                               deck + " --ensemble.replicas=" + std::to_string(replicas) +
                                   " --output.file='" + (dir / (name + ".h5")).string() + "'",
                               dir);
  EXPECT_EQ(r.exit_code, code) << name << "\n" << r.err;
  return name;
}

}  // namespace

// An ensemble run as replicas of one network (ensemble.replicas = 4: six
// runs in a network of four and one of two) on 1, 2 and 3 ranks writes the
// table and the spikes of the runs made one by one on one rank.
TEST(MpiInvariance, ReplicasGiveTheSeparateRunsOnAnyRankCount) {
  TempDir dir;
  const std::string deck = "--config '" + inputDeck("default.ini") +
                           "' --simulation.duration_ms=150 --ensemble.seeds=1-3 "
                           "'--ensemble.grid=population.GPe.I_e = 300, 250'";
  const auto run = [&](int np, int replicas) { return runReplicasOnRanks(dir, deck, np, replicas, 0); };
  const std::string alone = run(1, 1);
  const std::string table = slurp(dir / (alone + "_ensemble.tsv"));
  ASSERT_FALSE(table.empty());
  for (int np : {1, 2, 3}) {
    const std::string merged = run(np, 4);
    EXPECT_EQ(slurp(dir / (merged + "_ensemble.tsv")), table) << merged;
    for (int k = 0; k < 6; ++k)
      for (const char* pop : {"STN", "GPe", "GPi"}) {
        const std::string file = "_" + std::to_string(k) + ".h5";
        const Spikes one = readSpikes((dir / (alone + file)).string(), pop);
        const Spikes many = readSpikes((dir / (merged + file)).string(), pop);
        ASSERT_FALSE(one.times_ms.empty()) << pop;
        EXPECT_EQ(one.times_ms, many.times_ms) << merged << " run " << k << " " << pop;
        EXPECT_EQ(one.node_ids, many.node_ids) << merged << " run " << k << " " << pop;
      }
  }
}

// Replicas that diverge fail alone, at different times, on any rank count:
// each run's status, end and spikes are those of the runs made one by one
// (and so is the table on one rank; on several, its metrics may differ in
// the last bits of sums over ranks, docs/network.md).
TEST(MpiInvariance, DivergedReplicasFailAloneOnAnyRankCount) {
  TempDir dir;
  const std::string deck =
      "--config '" + inputDeck("default.ini") +
      "' --simulation.duration_ms=150 --analysis.burn_in_ms=50 --stimulus.d.population=GPi "
      "--stimulus.d.start_ms=60 '--ensemble.sets=projection.gpe_stn.g_total=1e300, "
      "stimulus.d.amplitude=2; stimulus.d.amplitude=1e300; stimulus.d.amplitude=2'";
  const auto run = [&](int np, int replicas) { return runReplicasOnRanks(dir, deck, np, replicas, 1); };
  // Each run row's run and status.
  const auto statuses = [](const std::string& table) {
    std::istringstream lines(table);
    std::vector<std::string> out;
    for (std::string line; std::getline(lines, line);)
      if (line.rfind("run ", 0) == 0)
        out.push_back(line.substr(0, line.find('\t')) + line.substr(line.rfind('\t')));
    return out;
  };
  const std::string alone = run(1, 1);
  const std::string table = slurp(dir / (alone + "_ensemble.tsv"));
  const std::vector<std::string> expected = statuses(table);
  ASSERT_EQ(expected.size(), 18u) << table;  // 3 runs, 3 populations and 3 pairs each
  EXPECT_EQ(expected[0], "run 0\tfailed");
  EXPECT_EQ(expected[6], "run 1\tfailed");
  EXPECT_EQ(expected[12], "run 2\tok");
  for (int np : {1, 2, 3}) {
    const std::string merged = run(np, 3);
    if (np == 1) EXPECT_EQ(slurp(dir / (merged + "_ensemble.tsv")), table);
    EXPECT_EQ(statuses(slurp(dir / (merged + "_ensemble.tsv"))), expected) << merged;
    for (int k = 0; k < 3; ++k) {
      const std::string file = "_" + std::to_string(k) + ".h5";
      EXPECT_EQ(readDoubleAttribute((dir / (merged + file)).string(), "/", "stopped_at_ms"),
                readDoubleAttribute((dir / (alone + file)).string(), "/", "stopped_at_ms"))
          << merged << " run " << k;
      const Spikes one = readSpikes((dir / (alone + file)).string(), "GPi");
      const Spikes many = readSpikes((dir / (merged + file)).string(), "GPi");
      EXPECT_EQ(one.times_ms, many.times_ms) << merged << " run " << k;
    }
  }
}

#ifdef CBGTC_ENABLE_HDF5
// Runs with other populations (a set that adds one) each have their own
// rows in the table, with their own file's numbers, on one rank and spread
// over two.
TEST(MpiInvariance, EnsembleRunsWithOtherPopulationsHaveTheirOwnRows) {
  TempDir dir;
  for (const int np : {1, 2}) {
    const std::string base = (dir / "ens.h5").string();
    const RunResult e = runRanks(
        np,
        "--config '" + inputDeck("default.ini") +
            "' --simulation.duration_ms=400 --output.overwrite=true "
            "--output.file='" +
            base +
            "' "
            "'--ensemble.sets=population.X.model=poisson, population.X.n=10, population.X.rate_hz=20; "
            "population.GPe.I_e=250'",
        dir);
    ASSERT_EQ(e.exit_code, 0) << np << e.err;
    std::map<std::string, double> rate;  // "run r population" -> rate_hz
    std::istringstream table(slurp(dir / "ens_ensemble.tsv"));
    for (std::string line; std::getline(table, line);) {
      std::vector<std::string> f;
      std::istringstream fields(line);
      for (std::string x; std::getline(fields, x, '\t');) f.push_back(x);
      if (f.size() > 6 && f[0].rfind("run ", 0) == 0) rate[f[0] + " " + f[4]] = std::stod(f[6]);
    }
    for (const int r : {0, 1})
      for (const char* pop : {"STN", "GPe", "GPi", "X"}) {
        const std::string file = (dir / ("ens_" + std::to_string(r) + ".h5")).string();
        const std::string key = "run " + std::to_string(r) + " " + pop;
        if (r == 1 && std::string(pop) == "X") {
          EXPECT_EQ(rate.count(key), 0u) << np;  // run 1 has no X
          continue;
        }
        ASSERT_EQ(rate.count(key), 1u) << np << key;
        EXPECT_EQ(rate[key], readDoubleAttribute(file, std::string("/metrics/") + pop, "rate_hz"))
            << np << key;
      }
  }
}
#endif

TEST(MpiInvariance, MoreRanksThanNeuronsRuns) {
  expectInvariant("--config '" + inputDeck("default.ini") +
                  "' --simulation.duration_ms=60 --population.STN.n=3 --population.GPi.n=2 --population.GPe.n=5"
                  " --projection.gpe_stn.p=1 --projection.stn_gpe.p=1 --projection.stn_gpi.p=1"
                  " --projection.gpe_gpi.p=1");
}

#ifdef CBGTC_ENABLE_HDF5
namespace {

/// The processes whose parent is `parent` (the ranks mpiexec started).
std::vector<pid_t> childrenOf(pid_t parent) {
  std::vector<pid_t> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // "pid (comm) state ppid ...": comm may hold spaces, so read after ')'.
    std::istringstream rest(line.substr(line.rfind(')') + 1));
    std::string state;
    pid_t ppid = 0;
    if (rest >> state >> ppid && ppid == parent) found.push_back(std::stoi(name));
  }
  return found;
}

// A process's state letter from /proc ('T': stopped), or 0.
char processState(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line) || line.rfind(')') == std::string::npos) return 0;
  std::istringstream rest(line.substr(line.rfind(')') + 1));
  char state = 0;
  rest >> state;
  return state;
}

}  // namespace

// A full disk under MPI: rank 0's write fails, every rank stops, one line
// names the file, and none is left (not a crash at MPI_Finalize, exit 139).
TEST(MpiFailures, FullDiskStopsEveryRankWithOneLine) {
  TempDir dir;
  const auto file = (dir / "full.h5").string();
  const auto err = (dir / "stderr.txt").string();
  const std::string cmd = std::string("exec env ") + mpi_env + "'" + CBGTC_MPIEXEC + "' " +
                          CBGTC_MPIEXEC_NUMPROC_FLAG + " 2 '" + CBGTC_EXE + "' --config '" +
                          inputDeck("default.ini") + "' --simulation.duration_ms=600000 --output.file='" +
                          file + "' >/dev/null 2>'" + err + "'";
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 1200 && !std::filesystem::exists(file + ".partial"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(std::filesystem::exists(file + ".partial"));
  // Limits every rank's file size to what the file holds now: rank 0's next
  // write past it fails with EFBIG, as on a full disk.
  // Once the writer has reserved space in it: a limit of 0 would also stop
  // the error message on its way to the redirected stderr.
  for (int i = 0; i < 600 && std::filesystem::file_size(file + ".partial") == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const std::vector<pid_t> ranks = childrenOf(pid);
  ASSERT_EQ(ranks.size(), 2u);
  // The size is read with the ranks stopped. The writer reserves space
  // ahead of HDF5's writes and gives back the unused part when it flushes,
  // so a size read while they run may be below what is already reserved;
  // HDF5's own write into the reserve would then fail, which no full disk
  // does.
  for (const pid_t rank : ranks) ASSERT_EQ(kill(rank, SIGSTOP), 0);
  for (const pid_t rank : ranks)
    for (int i = 0; i < 1000 && processState(rank) != 'T'; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const auto size = static_cast<rlim_t>(std::filesystem::file_size(file + ".partial"));
  const struct rlimit limit { size, size };
  bool limited = size > 0;
  for (const pid_t rank : ranks) limited = prlimit(rank, RLIMIT_FSIZE, &limit, nullptr) == 0 && limited;
  for (const pid_t rank : ranks) kill(rank, SIGCONT);
  ASSERT_TRUE(limited);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  // mpiexec adds its own notice of a failed rank; cbgtc says one line.
  const std::string message = slurp(err);
  std::vector<std::string> ours;
  std::istringstream lines(message);
  for (std::string line; std::getline(lines, line);)
    if (line.find("cbgtc") != std::string::npos || line.find("HDF5") != std::string::npos)
      ours.push_back(line);
  ASSERT_EQ(ours.size(), 1u) << message;
  EXPECT_EQ(ours[0].rfind("cbgtc: error: ", 0), 0u) << message;
  EXPECT_NE(ours[0].find(file), std::string::npos) << message;
  EXPECT_EQ(message.find("Segmentation fault"), std::string::npos) << message;
  EXPECT_FALSE(std::filesystem::exists(file + ".partial"));
  EXPECT_FALSE(std::filesystem::exists(file));
}
#endif

namespace {

// A network of `gpe_neurons` GPe neurons (no projections) on 2 ranks whose
// address space is too small for them: every rank fails to allocate.
// Within the memory estimate's host budget, beyond the limit (3e7 neurons'
// LFP scratch alone is 4.6 GB per rank). Host memory only: a GPU's runtime
// needs more address space than the limit leaves.
RunResult outOfAddressSpace(const TempDir& dir, const std::string& gpe_neurons, const std::string& args) {
  const std::string launcher = std::string("ulimit -v 1500000; ") + mpi_env + "'" + CBGTC_MPIEXEC + "' " +
                               CBGTC_MPIEXEC_NUMPROC_FLAG + " 2";
  return runCbgtcWith(launcher,
                      "--population.GPe.n=" + gpe_neurons +
                          " --projection.stn_gpe.p=0 --projection.gpe_stn.p=0 --projection.gpe_gpi.p=0 " +
                          args + " --output.file='" + (dir / "big.h5").string() + "'",
                      dir);
}

/// cbgtc's error lines of a run's stderr (the rest is mpiexec's notice).
std::vector<std::string> errorLines(const std::string& err) {
  std::vector<std::string> ours;
  std::istringstream lines(err);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("cbgtc: error: ", 0) == 0) ours.push_back(line);
  return ours;
}

}  // namespace

// Every rank fails to allocate alike, and the failure is reported once, not
// once per rank over several lines each. The ranks may fail at different
// allocations, or one before the other gets there: either way every rank
// stops at the same stage of the build, so that rank 0 removes its partial
// file before the job ends.
TEST(MpiFailures, AllocationFailureOnEveryRankIsReportedOnce) {
  if (!std::is_same_v<Kokkos::DefaultExecutionSpace::memory_space, Kokkos::HostSpace>)
    GTEST_SKIP() << "the address-space limit is for host memory";
  TempDir dir;
  const RunResult r = outOfAddressSpace(dir, "30000000", "");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  // The lines besides cbgtc's are mpiexec's notice, no continuation of the error.
  std::istringstream lines(r.err);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("cbgtc: error: ", 0) != 0) EXPECT_EQ(line.find("Traceback"), std::string::npos) << line;
  const std::vector<std::string> ours = errorLines(r.err);
  ASSERT_EQ(ours.size(), 1u) << r.err;
  EXPECT_NE(ours[0].find("GPe"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "big.h5"));
  EXPECT_FALSE(std::filesystem::exists(dir / "big.h5.partial"));
}

// Each run of an ensemble that fails so says once, as a run alone does: the
// first failed rank of one run does not silence the next run's.
TEST(MpiFailures, EachFailedRunOfAnEnsembleIsReportedOnce) {
  if (!std::is_same_v<Kokkos::DefaultExecutionSpace::memory_space, Kokkos::HostSpace>)
    GTEST_SKIP() << "the address-space limit is for host memory";
  TempDir dir;
  // Four seeds: two groups of one rank, each running two that fail in turn.
  const RunResult r = outOfAddressSpace(dir, "15000000", "--ensemble.seeds=1-4");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const std::vector<std::string> ours = errorLines(r.err);
  EXPECT_EQ(ours.size(), 4u) << r.err;
  for (const std::string& line : ours) EXPECT_NE(line.find("GPe"), std::string::npos) << line;
  // Each names its run.
  for (int run = 0; run < 4; ++run)
    EXPECT_EQ(std::count_if(ours.begin(), ours.end(),
                            [&](const std::string& line) {
                              return line.find("(ensemble run " + std::to_string(run) + ")") !=
                                     std::string::npos;
                            }),
              1)
        << r.err;
  for (int run = 0; run < 4; ++run)
    EXPECT_NE(r.out.find("run " + std::to_string(run) + ": seed " + std::to_string(run + 1) + ": FAILED"),
              std::string::npos)
        << r.out;
}

// A deck on stdin reaches rank 0 only: rank 0 reads it and passes it on.
// Otherwise rank 1 would find /dev/null there, refuse it alone, and leave
// rank 0 waiting for it.
TEST(MpiDeck, DeckFromStandardInputReachesEveryRank) {
  TempDir dir;
  const auto out = dir / "out.txt";
  const std::string cmd = "printf '[simulation]\\nduration_ms = 20\\ndt_ms = 0.05\\n' | " +
                          std::string(mpi_env) + "'" + CBGTC_MPIEXEC + "' " + CBGTC_MPIEXEC_NUMPROC_FLAG +
                          " 2 '" + CBGTC_EXE + "' --config /dev/stdin --validate --output.file='" +
                          (dir / "x.h5").string() + "' >'" + out.string() + "' 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << slurp(out);
  EXPECT_NE(slurp(out).find("(400 steps)"), std::string::npos) << slurp(out);
}

// A process started alone does not initialise MPI (it is the one rank of a
// build without MPI); CBGTC_MPI=on initialises it all the same. All three
// give mpiexec -np 1's file; a CBGTC_MPI it does not know is refused by name.
TEST(MpiStart, AProcessStartedAloneGivesOneRanksResults) {
  TempDir dir;
  // This test's own process may be a rank (ctest under srun): its children
  // started alone must not inherit the launcher's variables.
  std::string alone = "env -u CBGTC_MPI";
  for (const char* name : cbgtc::comm::launcher_variables) alone += std::string(" -u ") + name;
  const std::string np1 =
      std::string(mpi_env) + "'" + CBGTC_MPIEXEC + "' " + CBGTC_MPIEXEC_NUMPROC_FLAG + " 1";
  // --version says whether MPI started.
  const auto mpi_started = [&](const std::string& launcher) {
    const RunResult r = runCbgtcWith(launcher, "--version", dir, "_version");
    EXPECT_EQ(r.exit_code, 0) << launcher << "\n" << r.err;
    return r.out.find("\n  mpi_started: yes\n") != std::string::npos  ? "yes"
           : r.out.find("\n  mpi_started: no\n") != std::string::npos ? "no"
                                                                      : "neither";
  };
  EXPECT_STREQ(mpi_started(alone), "no");
  EXPECT_STREQ(mpi_started(alone + " CBGTC_MPI=auto"), "no");
  EXPECT_STREQ(mpi_started(alone + " " + mpi_env + "CBGTC_MPI=on"), "yes");
  EXPECT_STREQ(mpi_started(np1), "yes");
  EXPECT_STREQ(mpi_started("CBGTC_MPI=off " + np1), "no");

  const std::string deck = "--config '" + inputDeck("default.ini") +
                           "' --simulation.duration_ms=300 --analysis.burn_in_ms=50 --output.file=";
  const auto file = [&](const std::string& how) { return (dir / (how + ".h5")).string(); };
  RunResult r = runRanks(1, deck + quoted(file("np1")), dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = runCbgtcWith(alone, deck + quoted(file("alone")), dir, "_alone");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = runCbgtcWith(alone + " " + mpi_env + "CBGTC_MPI=on", deck + quoted(file("mpi_on")), dir, "_on");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string how : {"alone", "mpi_on"}) {
    for (const std::string pop : {"STN", "GPe", "GPi"}) {
      const Spikes one = readSpikes(file("np1"), pop);
      ASSERT_FALSE(one.times_ms.empty()) << pop;
      const Spikes other = readSpikes(file(how), pop);
      EXPECT_EQ(one.times_ms, other.times_ms) << how << " " << pop;
      EXPECT_EQ(one.node_ids, other.node_ids) << how << " " << pop;
      for (const std::string dataset : {"/lfp/" + pop, "/metrics/" + pop + "/psd"}) {
        const auto values = readDoubles(file("np1"), dataset);
        ASSERT_FALSE(values.empty()) << dataset;
        EXPECT_EQ(values, readDoubles(file(how), dataset)) << how << " " << dataset;
      }
    }
  }
  // Refused by name, alone and on rank 0 of two (once, as a bad deck).
  const std::string refused = "cbgtc: error: CBGTC_MPI is 'yes': on, off or auto (the default)\n";
  r = runCbgtcWith(alone + " CBGTC_MPI=yes", "--version", dir, "_bad");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, refused);
  EXPECT_TRUE(r.out.empty()) << r.out;
  r = runCbgtcWith(std::string("env CBGTC_MPI=yes ") + mpi_env + "'" + CBGTC_MPIEXEC + "' " +
                       CBGTC_MPIEXEC_NUMPROC_FLAG + " 2",
                   "--version", dir, "_bad_2");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err.find(refused), r.err.rfind(refused)) << r.err;
  EXPECT_NE(r.err.find(refused), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}
