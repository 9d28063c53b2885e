#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include <map>

#include "kernels/neuron_update.hpp"
#include "src/simulation.hpp"
#include "kernels/rng.hpp"
#include "tests/config_helpers.hpp"
#include "tests/memory_writer.hpp"

using namespace cbgtc;
using cbgtc::test::MemoryWriter;
using cbgtc::test::setSizes;

namespace {

SimulationConfig smallConfig() {
  SimulationConfig c;
  c.simulation.duration_ms = 100;
  setSizes(c, 20, 30, 25);
  c.output.v_neurons = 3;
  c.output.v_every_steps = 7;
  return c;
}

MemoryWriter runToMemory(const SimulationConfig& c) {
  MemoryWriter w;
  Simulation sim(c);
  sim.run(&w);
  return w;
}

/// Five unconnected neurons of one model under a constant bias, run from
/// t = 0 for `duration_ms`.
RunSummary runUnconnected(PopulationSettings cell, double bias, double duration_ms) {
  SimulationConfig c;
  cell.bias.mean = bias;
  c.populations = {cell};
  c.projections.clear();
  c.simulation.duration_ms = duration_ms;
  c.analysis.burn_in_ms = 0;
  Simulation sim(c);
  return sim.run(nullptr);
}

}  // namespace

TEST(Simulation, SameSeedGivesIdenticalSpikes) {
  const auto a = runToMemory(smallConfig());
  const auto b = runToMemory(smallConfig());
  EXPECT_EQ(a.spikes, b.spikes);
  for (const auto& [pop, s] : a.spikes) EXPECT_FALSE(s.empty()) << pop;
}

TEST(Simulation, DifferentSeedGivesDifferentSpikes) {
  auto c = smallConfig();
  const auto a = runToMemory(c);
  c.simulation.seed = 43;
  const auto b = runToMemory(c);
  for (const char* pop : {"STN", "GPe", "GPi"}) EXPECT_NE(a.spikes.at(pop), b.spikes.at(pop)) << pop;
}

// Epochs cut the run into chunks; whatever the chunking, spikes come out
// sorted by (time, node id) and identical to a run advanced a step per launch.
TEST(Simulation, SpikesAreSortedByTimeThenNode) {
  auto c = smallConfig();
  c.simulation.duration_ms = 300;
  const auto w = runToMemory(c);
  for (const auto& [pop, s] : w.spikes) {
    EXPECT_GT(s.size(), 10u) << pop;
    EXPECT_TRUE(std::is_sorted(s.begin(), s.end())) << pop;
    for (const auto& [t, id] : s) {
      EXPECT_GE(t, 0.0);
      EXPECT_LT(t, c.simulation.duration_ms);
    }
  }
  c.execution.epoch_batching = false;
  EXPECT_EQ(runToMemory(c).spikes, w.spikes);
}

TEST(Simulation, ReportSamplesEveryIntervalStartingWithInitialState) {
  auto c = smallConfig();
  const auto w = runToMemory(c);
  const std::int64_t n_steps = c.stepCount();
  const std::int64_t expected_rows = (n_steps + c.output.v_every_steps - 1) / c.output.v_every_steps;
  for (const char* pop : {"STN", "GPe", "GPi"}) {
    const auto& r = w.reports.at(pop);
    ASSERT_EQ(r.ids.size(), 3u);
    EXPECT_EQ(r.data.size(), static_cast<std::size_t>(expected_rows) * 3) << pop;
    EXPECT_DOUBLE_EQ(r.step, c.output.v_every_steps * c.simulation.dt_ms);
  }
  // Row 0 is the initial state drawn for cells 0..2.
  const auto& stn = w.reports.at("STN");
  for (index_type i = 0; i < 3; ++i)
    EXPECT_EQ(stn.data[i],
              static_cast<float>(
                  models::StnHH::initialState(test::stnSettings(c), 42, rng::streamKey("STN"), i).V));
}

TEST(Simulation, EmptyPopulationsRun) {
  auto c = smallConfig();
  setSizes(c, 0, 30, 0);
  const auto w = runToMemory(c);
  EXPECT_TRUE(w.spikes.at("STN").empty());
  EXPECT_TRUE(w.spikes.at("GPi").empty());
  EXPECT_FALSE(w.spikes.at("GPe").empty());
  EXPECT_EQ(w.reports.count("STN"), 0u);
  // The same layout as any population: an LFP proxy (zero) and metrics
  // (undefined where there is nothing to measure).
  for (const char* pop : {"STN", "GPi"}) {
    const std::string metrics = std::string("/metrics/") + pop;
    ASSERT_EQ(w.datasets.count(std::string("/lfp/") + pop), 1u) << pop;
    for (double v : w.datasets.at(std::string("/lfp/") + pop)) EXPECT_EQ(v, 0.0);
    ASSERT_EQ(w.numbers.count(metrics + "/rate_hz"), 1u) << pop;
    EXPECT_TRUE(std::isnan(w.numbers.at(metrics + "/rate_hz"))) << pop;
    EXPECT_TRUE(std::isnan(w.numbers.at(metrics + "/cv_isi"))) << pop;
    EXPECT_EQ(w.datasets.count(metrics + "/psd"), 1u) << pop;
  }
}

// Initial states are keyed by (seed, population, neuron): the launcher on the
// device and the point function on the host agree, and a neuron's state does
// not depend on the population size.
TEST(Simulation, InitialStatesAreKeyedPerNeuron) {
  stn::StnInit init;
  using M = models::StnHH;
  M::Storage<MemorySpace> small("STN", 10), large("STN", 1000);
  initializePopulation<M>(ExecutionSpace(), small, M::Settings{{}, init}, 5, rng::streamKey("STN"));
  initializePopulation<M>(ExecutionSpace(), large, M::Settings{{}, init}, 5, rng::streamKey("STN"));
  auto Vs = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), small.V);
  auto Vl = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), large.V);
  auto nl = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), large.n);
  for (index_type i = 0; i < 10; ++i) EXPECT_EQ(Vs(i), Vl(i));
  // Exact on CPU backends (the same code and math library as the host); a
  // GPU's exp and log may differ from the host's in the last bits.
  const double device_rel =
      Kokkos::SpaceAccessibility<ExecutionSpace, Kokkos::HostSpace>::accessible ? 0.0 : 1e-12;
  double sum = 0, sum2 = 0;
  for (index_type i = 0; i < 1000; ++i) {
    const auto x = M::initialState(M::Settings{{}, init}, 5, rng::streamKey("STN"), i);
    ASSERT_NEAR(Vl(i), x.V, device_rel * std::fabs(x.V));
    ASSERT_NEAR(nl(i), x.n, device_rel * std::fabs(x.n));
    sum += Vl(i);
    sum2 += Vl(i) * Vl(i);
  }
  const double sd = init.heterogeneity * std::fabs(init.V);  // 2.9 mV
  const double mean = sum / 1000, var = sum2 / 1000 - mean * mean;
  EXPECT_NEAR(mean, init.V, 5 * sd / std::sqrt(1000.0));
  EXPECT_NEAR(var, sd * sd, 5 * sd * sd * std::sqrt(2.0 / 1000));
}

// A numerically exploding run stops at the end of the epoch in which a state
// turned non-finite and says which population, when and why.
TEST(Simulation, NonFiniteStateStopsTheRunAndNamesThePopulation) {
  SimulationConfig c;  // the default network: the STN diverges at dt = 0.2 ms
  c.simulation.dt_ms = 0.2;
  c.simulation.duration_ms = 1000;
  Simulation sim(c);
  const RunSummary s = sim.run(nullptr);
  EXPECT_FALSE(s.complete);
  EXPECT_LT(s.steps, c.stepCount());
  EXPECT_EQ(s.steps % sim.epochSteps(), 0);
  EXPECT_NE(s.failure.find("population STN"), std::string::npos) << s.failure;
  EXPECT_NE(s.failure.find("simulation.dt_ms"), std::string::npos) << s.failure;
}

// The check reads the state, so it fires for any population and any cause.
TEST(Simulation, NonFiniteStateOfAnAdExPopulationIsCaught) {
  auto c = smallConfig();
  test::adexSettings(c, "GPi").params.EL = std::numeric_limits<real_type>::quiet_NaN();
  Simulation sim(c);
  const RunSummary s = sim.run(nullptr);
  EXPECT_FALSE(s.complete);
  EXPECT_NE(s.failure.find("population GPi"), std::string::npos) << s.failure;
  EXPECT_EQ(s.steps, sim.epochSteps()) << "detected in the first epoch";
}

// A blow-up can stay finite in double precision (a potential of 1e28 mV
// from an absurd bias, −1e10 mV from an absurd noise): beyond ±10 V it is
// caught as NaN and ±inf are.
TEST(Simulation, FiniteButDivergedStateIsCaught) {
  for (const std::string population : {"STN", "GPe"}) {
    auto c = smallConfig();
    if (population == "STN")
      test::population(c, "STN").bias.mean = 1e30;
    else
      test::population(c, "GPe").noise.sigma = 1e12;
    Simulation sim(c);
    const RunSummary s = sim.run(nullptr);
    EXPECT_FALSE(s.complete) << population;
    EXPECT_NE(s.failure.find("population " + population), std::string::npos) << s.failure;
    EXPECT_NE(s.failure.find("10 V"), std::string::npos) << s.failure;
  }
}

// A model that resets at a threshold (AdEx, LIF, Izhikevich) must not
// hide a step that diverged: an absurd bias takes V to some 1e26 mV in one
// step, above the threshold, and the reset would put it back at rest every
// step, a neuron firing at its refractory limit. A drive that keeps the step
// within ±10 V (about 1-3 V per step) fires as fast and completes.
TEST(Simulation, ResetDoesNotHideADivergedStep) {
  for (const char* model : {"adex", "lif", "izhikevich"}) {
    for (const double bias : {1e7, 1e30}) {
      const RunSummary s = runUnconnected(PopulationSettings::of("P", model, 5), bias, 50);
      if (bias < 1e10) {
        EXPECT_TRUE(s.complete) << model << ": " << s.failure;
        EXPECT_GT(s.populations.at(0).rate_hz, 300) << model;
      } else {
        EXPECT_FALSE(s.complete) << model;
        EXPECT_NE(s.failure.find("population P"), std::string::npos) << model << ": " << s.failure;
        EXPECT_NE(s.failure.find("10 V"), std::string::npos) << s.failure;
      }
    }
  }
}

// AdEx's own exponential may overshoot the peak by any amount where its
// clip is high (exp_arg_max 40: some 1e13 mV past it in a step): that is a
// spike, not a diverged step; a step far below rest still is.
TEST(Simulation, AdExUpswingPastThePeakIsASpike) {
  PopulationSettings cell = PopulationSettings::of("P", "adex", 5);
  std::get<models::AdEx::Settings>(cell.params).params.exp_arg_max = 40;
  for (const double bias : {1e3, -1e30}) {
    const RunSummary s = runUnconnected(cell, bias, 200);
    if (bias > 0) {
      EXPECT_TRUE(s.complete) << s.failure;
      EXPECT_GT(s.populations.at(0).spikes, 5);
    } else {
      EXPECT_FALSE(s.complete);
      EXPECT_NE(s.failure.find("population P"), std::string::npos) << s.failure;
    }
  }
}

// A stable run reports no failure.
TEST(Simulation, FiniteRunHasNoFailure) {
  const auto c = smallConfig();
  Simulation sim(c);
  const RunSummary s = sim.run(nullptr);
  EXPECT_TRUE(s.complete);
  EXPECT_TRUE(s.failure.empty()) << s.failure;
}

// The LFP proxy lives on the device in a bounded buffer that moves to the
// host when full (memory does not grow with the duration there). A run
// sampled every step fills it several times; its samples equal a short run's
// (no move) and a per-step run's (moves at other steps).
TEST(Simulation, LfpBufferMovesToTheHostWithoutChangingASample) {
  auto c = smallConfig();
  c.analysis.lfp_sample_ms = c.simulation.dt_ms;
  c.analysis.segment_ms = 50;
  c.analysis.burn_in_ms = 0;
  c.simulation.duration_ms = 300;
  ASSERT_LT(lfpDeviceSamples(c), c.stepCount() / 2) << "the buffer must fill";
  const auto whole = runToMemory(c);
  auto per_step = c;
  per_step.execution.epoch_batching = false;
  const auto stepped = runToMemory(per_step);
  auto short_run = c;
  short_run.simulation.duration_ms = 100;
  ASSERT_EQ(lfpDeviceSamples(short_run), short_run.stepCount()) << "the short run keeps all on the device";
  const auto first = runToMemory(short_run);
  for (const char* pop : {"STN", "GPe", "GPi"}) {
    const auto& a = whole.datasets.at(std::string("/lfp/") + pop);
    ASSERT_EQ(static_cast<std::int64_t>(a.size()), c.stepCount()) << pop;
    EXPECT_EQ(a, stepped.datasets.at(std::string("/lfp/") + pop)) << pop;
    const auto& b = first.datasets.at(std::string("/lfp/") + pop);
    ASSERT_EQ(static_cast<std::int64_t>(b.size()), short_run.stepCount()) << pop;
    EXPECT_TRUE(std::equal(b.begin(), b.end(), a.begin())) << pop;
    EXPECT_GT(*std::max_element(a.begin() + 5000, a.end()), 0.0) << pop << ": samples after a move";
  }
}

namespace {

// Rank 0 of two, the other rank played by a script: its part of every
// collective is neutral except that it fails the build's stage `fails_at`
// (0: the populations, counted in calls of min) as `failure` says.
class ScriptedPeer final : public comm::Communicator {
 public:
  enum class Failure { none, allocation, bad_input };
  ScriptedPeer(Failure failure, int fails_at) : _failure(failure), _fails_at(fails_at) {}
  int rank() const override { return 0; }
  int size() const override { return 2; }
  std::vector<SpikeRecord> allgather(const std::vector<SpikeRecord>& local) const override { return local; }
  void sum(std::vector<double>&) const override {}
  std::int64_t sum(std::int64_t value) const override { return value; }
  bool any(bool value) const override { return value; }
  void min(std::vector<std::int64_t>& values) const override {
    // The build's agreement: (nothing failed, no bad input) on each rank.
    if (_calls++ == _fails_at && _failure != Failure::none) {
      values.at(0) = 0;
      if (_failure == Failure::bad_input) values.at(1) = 0;
    }
  }
  std::string broadcast(const std::string& text) const override { return text; }
  std::vector<float> gatherToRoot(const std::vector<float>& local) const override { return local; }
  std::vector<double> gatherToRoot(const std::vector<double>& local) const override { return local; }
  std::unique_ptr<comm::Communicator> split(int) const override { return nullptr; }
  void abort(int) const override {}
  bool firstToFail() const override { return true; }
  void newFailureClaim() const override {}
  int calls() const { return _calls; }

 private:
  Failure _failure;
  int _fails_at;
  mutable int _calls = 0;
};

}  // namespace

// A rank that fails while the network is built (an allocation) stops every
// rank at the same stage, each with a BuildFailure, so that none waits in a
// collective for it and rank 0 can remove its files before the job ends.
TEST(Simulation, FailureOfAnotherRankWhileBuildingStopsThisOneAtTheSameStage) {
  const SimulationConfig c = smallConfig();
  {
    const ScriptedPeer peer(ScriptedPeer::Failure::none, 0);
    EXPECT_NO_THROW(Simulation(c, peer));
    // One agreement for the populations, two per projection, one for the recordings.
    EXPECT_EQ(peer.calls(), static_cast<int>(2 + 2 * c.projections.size()));
  }
  for (int stage = 0; stage < 3; ++stage)
    for (const auto failure : {ScriptedPeer::Failure::allocation, ScriptedPeer::Failure::bad_input}) {
      const ScriptedPeer peer(failure, stage);
      try {
        Simulation sim(c, peer);
        ADD_FAILURE() << "built although the other rank failed at stage " << stage;
      } catch (const BuildFailure& e) {
        EXPECT_FALSE(e.failedHere()) << e.what();
        EXPECT_EQ(e.badInput(), failure == ScriptedPeer::Failure::bad_input);
        EXPECT_EQ(peer.calls(), stage + 1) << "stopped at another stage";
      }
    }
}

// This rank's own failure is its error, on the way to every rank's stop.
TEST(Simulation, OwnFailureWhileBuildingIsThisRanksBuildFailure) {
  SimulationConfig c = smallConfig();
  PopulationSettings replay = PopulationSettings::of("REPLAY", "spike_times", 4);
  replay.spike_file = "/nonexistent/spikes.csv";
  c.populations.push_back(replay);
  const ScriptedPeer peer(ScriptedPeer::Failure::none, 0);
  try {
    Simulation sim(c, peer);
    ADD_FAILURE() << "built with a missing spike file";
  } catch (const BuildFailure& e) {
    EXPECT_TRUE(e.failedHere());
    EXPECT_TRUE(e.badInput());
    EXPECT_NE(std::string(e.what()).find("population.REPLAY.spike_file"), std::string::npos) << e.what();
  }
}
