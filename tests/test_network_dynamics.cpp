// The coupled network as a whole: causality and delays along a chain, what
// the run reports, and a regression against stored values.

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "io/options.hpp"
#include "kernels/neuron_update.hpp"
#include "src/analysis/oscillations.hpp"
#include "src/analysis/spectral.hpp"
#include "src/simulation.hpp"
#include "tests/config_helpers.hpp"
#include "tests/memory_writer.hpp"

using namespace cbgtc;
using cbgtc::test::MemoryWriter;

namespace {

ProjectionSettings excitatory(const char* name, const char* source, const char* target, double delay_ms) {
  ProjectionSettings s;
  s.name = name;
  s.source = source;
  s.target = target;
  s.p = 1.0;
  s.g_total = 300.0;  // nS: one arrival drives the silent AdEx cell over threshold
  s.weight_cv = 0;
  s.delay_ms = delay_ms;
  s.tau_ms = 0.4;     // short, so the cell fires once per arrival
  s.E_rev_mV = 0;
  return s;
}

/// One pacemaking STN cell drives a silent GPe cell, which drives a silent
/// GPi cell; no noise, no other input.
SimulationConfig chainConfig(double d1_ms, double d2_ms) {
  SimulationConfig c;
  c.simulation.duration_ms = 500;
  test::setSizes(c, 1, 1, 1);
  test::stnSettings(c).init.heterogeneity = 0;
  for (const char* name : {"GPe", "GPi"}) {
    auto& s = test::adexSettings(c, name);
    s.params.I_baseline = 0;
    s.params.a = 0;
    s.params.b = 0;
    s.init = adex::AdExInit{-60, 0, 0, 0};
  }
  for (auto& p : c.populations) p.noise = NoiseSettings{5, 0, 0};
  c.projections = {excitatory("stn_gpe", "STN", "GPe", d1_ms), excitatory("gpe_gpi", "GPe", "GPi", d2_ms)};
  return c;
}

std::vector<double> times(const MemoryWriter& w, const char* pop) {
  std::vector<double> t;
  for (const auto& [time, id] : w.spikes.at(pop)) t.push_back(time);
  return t;
}

}  // namespace

// Each spike travels down the chain: the GPe cell fires once per STN spike,
// between d1 and d1 + 1 ms after it (the arrival at t + d1, then the AdEx
// upstroke), and the GPi cell likewise after the GPe cell (arbor's ring test).
TEST(NetworkChain, SpikesPropagateWithTheConfiguredDelays) {
  for (const auto& [d1, d2] : {std::pair{5.0, 2.0}, std::pair{8.0, 0.5}}) {
    MemoryWriter w;
    Simulation sim(chainConfig(d1, d2));
    sim.run(&w);
    const auto stn = times(w, "STN"), gpe = times(w, "GPe"), gpi = times(w, "GPi");
    ASSERT_GE(stn.size(), 8u);
    // Spikes of the last d1 (+ d2) ms have not arrived before the end.
    std::size_t expected_gpe = 0, expected_gpi = 0;
    for (double t : stn) {
      expected_gpe += t + d1 + 1 < 500;
      expected_gpi += t + d1 + d2 + 2 < 500;
    }
    ASSERT_GE(gpe.size(), expected_gpe);
    ASSERT_LE(gpe.size(), stn.size());
    for (std::size_t k = 0; k < expected_gpe; ++k) {
      EXPECT_GE(gpe[k], stn[k] + d1) << "GPe spike " << k << " before its cause arrived";
      EXPECT_LE(gpe[k], stn[k] + d1 + 1.0) << k;
    }
    ASSERT_GE(gpi.size(), expected_gpi);
    for (std::size_t k = 0; k < expected_gpi; ++k) {
      EXPECT_GE(gpi[k], gpe[k] + d2) << k;
      EXPECT_LE(gpi[k], gpe[k] + d2 + 1.0) << k;
    }
  }
}

// Without its input the silent cell never fires: the chain test is not
// passing by accident.
TEST(NetworkChain, SilentCellsStaySilentWithoutInput) {
  SimulationConfig c = chainConfig(5, 2);
  c.projections[0].g_total = 0;
  MemoryWriter w;
  Simulation sim(c);
  sim.run(&w);
  EXPECT_FALSE(w.spikes.at("STN").empty());
  EXPECT_TRUE(w.spikes.at("GPe").empty());
  EXPECT_TRUE(w.spikes.at("GPi").empty());
}

// Inhibition slows its target: the same network with the GPe -> STN
// projection switched off makes the STN fire faster (sign convention D1:
// an inhibitory conductance must not depolarise).
TEST(NetworkSigns, InhibitionSlowsAndExcitationSpeedsTargets) {
  SimulationConfig base;
  base.simulation.duration_ms = 500;
  base.analysis.burn_in_ms = 100;
  auto rate = [](const SimulationConfig& c, const char* pop) {
    Simulation sim(c);
    const RunSummary s = sim.run(nullptr);
    for (const auto& p : s.populations)
      if (p.name == pop) return p.rate_hz;
    return -1.0;
  };
  SimulationConfig no_inhibition = base;
  for (auto& p : no_inhibition.projections)
    if (p.name == "gpe_stn") p.g_total = 0;
  EXPECT_GT(rate(no_inhibition, "STN"), 1.1 * rate(base, "STN"));
  SimulationConfig no_excitation = base;
  for (auto& p : no_excitation.projections)
    if (p.name == "stn_gpe") p.g_total = 0;
  EXPECT_LT(rate(no_excitation, "GPe"), rate(base, "GPe"));
}

// What a run reports: every population has metrics and an LFP proxy of the
// right length; rates agree with the spikes handed to the writer.
TEST(NetworkRun, MetricsAndLfpAreWritten) {
  SimulationConfig c;
  c.simulation.duration_ms = 400;
  c.analysis.burn_in_ms = 100;
  c.analysis.segment_ms = 200;
  MemoryWriter w;
  Simulation sim(c);
  const RunSummary s = sim.run(&w);
  for (const auto& p : s.populations) {
    ASSERT_EQ(w.datasets.at("/lfp/" + p.name).size(), 400u) << p.name;  // 1 kHz
    EXPECT_TRUE(std::isfinite(w.numbers.at("/metrics/" + p.name + "/rate_hz")));
    std::int64_t after_burn_in = 0;
    for (const auto& [t, id] : w.spikes.at(p.name)) after_burn_in += t >= 100.0;
    EXPECT_NEAR(p.rate_hz, after_burn_in / double(p.size) / 0.3, 1e-9);
    EXPECT_GT(p.rate_hz, 1.0) << p.name << " is silent";
    const auto& psd = w.datasets.at("/metrics/" + p.name + "/psd");
    const auto& f = w.datasets.at("/metrics/" + p.name + "/psd_freq_hz");
    ASSERT_EQ(psd.size(), f.size());
    EXPECT_DOUBLE_EQ(f[1] - f[0], 5.0);  // 200 ms segments
    EXPECT_DOUBLE_EQ(w.numbers.at("/metrics/" + p.name + "/welch_segment_ms"), 200.0);
    for (double v : w.datasets.at("/lfp/" + p.name)) ASSERT_TRUE(std::isfinite(v));
  }
}

// The summary's spectral metrics and coherences are those of the written
// LFP proxies after the burn-in, recomputed here with the analysis
// functions (whose own tests check them against known answers).
TEST(NetworkRun, SpectralMetricsAndCoherenceAreThoseOfTheWrittenLfp) {
  SimulationConfig c;
  c.simulation.duration_ms = 1300;
  c.analysis.burn_in_ms = 100;
  c.analysis.segment_ms = 200;
  c.analysis.pac_surrogates = 20;
  MemoryWriter w;
  Simulation sim(c);
  const RunSummary s = sim.run(&w);
  std::map<std::string, std::vector<double>> analysed;
  for (const auto& p : s.populations) {
    const auto& lfp = w.datasets.at("/lfp/" + p.name);
    analysed[p.name].assign(lfp.begin() + 100, lfp.end());
    analysis::WelchSettings welch;
    welch.segment_ms = 200;
    const analysis::Spectrum spectrum = analysis::welch(analysed[p.name], 1000.0, welch);
    EXPECT_EQ(w.numbers.at("/metrics/" + p.name + "/peak_hz"), analysis::globalPeak(spectrum, 2, 100).freq_hz);
    EXPECT_DOUBLE_EQ(w.numbers.at("/metrics/" + p.name + "/spectral_entropy"),
                     analysis::spectralEntropy(spectrum, 1, 100));
    EXPECT_DOUBLE_EQ(w.numbers.at("/metrics/" + p.name + "/flattened_entropy"),
                     analysis::flattenedSpectralEntropy(
                         spectrum, 1, 100, analysis::aperiodicBackground(spectrum, 13, 30, 1, 100)));
    EXPECT_DOUBLE_EQ(p.pac_mi, analysis::modulationIndex(analysed[p.name], 1000.0, 13, 30, 60, 200));
    EXPECT_TRUE(std::isfinite(p.pac_z)) << p.name;
    const analysis::Bursts bursts = analysis::bursts(analysed[p.name], 1000.0, 13, 30, 75, 100);
    EXPECT_EQ(w.datasets.at("/metrics/" + p.name + "/beta_burst_duration_ms"), bursts.duration_ms);
    EXPECT_EQ(w.datasets.at("/metrics/" + p.name + "/beta_burst_peak"), bursts.amplitude);
    const auto& como = w.datasets.at("/metrics/" + p.name + "/comodulogram");
    EXPECT_EQ(como.size(), w.datasets.at("/metrics/" + p.name + "/comodulogram_phase_hz").size() *
                               w.datasets.at("/metrics/" + p.name + "/comodulogram_amplitude_hz").size());
  }
  // Without the comodulogram, the same run writes everything else alike.
  {
    SimulationConfig without = c;
    without.analysis.comodulogram = false;
    MemoryWriter w3;
    Simulation sim3(without);
    sim3.run(&w3);
    std::size_t left_out = 0;
    for (const auto& [name, data] : w.datasets) {
      if (name.find("/comodulogram") != std::string::npos) {
        EXPECT_EQ(w3.datasets.count(name), 0u) << name;
        ++left_out;
        continue;
      }
      ASSERT_EQ(w3.datasets.count(name), 1u) << name;
      const std::vector<double>& again = w3.datasets.at(name);
      ASSERT_EQ(again.size(), data.size()) << name;
      for (std::size_t j = 0; j < data.size(); ++j)
        EXPECT_TRUE(again[j] == data[j] || (std::isnan(again[j]) && std::isnan(data[j])))
            << name << "[" << j << "]";
    }
    EXPECT_EQ(left_out, 3 * s.populations.size());
    ASSERT_EQ(w3.numbers.size(), w.numbers.size());
    for (const auto& [name, value] : w.numbers) {
      ASSERT_EQ(w3.numbers.count(name), 1u) << name;
      const double again = w3.numbers.at(name);
      EXPECT_TRUE(again == value || (std::isnan(again) && std::isnan(value))) << name;
    }
  }
  // A trace shorter than analysis.segment_ms is one segment of its length.
  {
    SimulationConfig shorter = c;
    shorter.simulation.duration_ms = 400;
    shorter.analysis.segment_ms = 1000;
    MemoryWriter w2;
    Simulation sim2(shorter);
    sim2.run(&w2);
    EXPECT_DOUBLE_EQ(w2.numbers.at("/metrics/STN/welch_segment_ms"), 300.0);
  }
  ASSERT_EQ(s.pairs.size(), 3u);  // STN-GPe, STN-GPi, GPe-GPi
  for (const auto& q : s.pairs) {
    analysis::WelchSettings welch;
    welch.segment_ms = 200;
    const auto coherence = analysis::coherence(analysed[q.a], analysed[q.b], 1000.0, welch);
    EXPECT_DOUBLE_EQ(q.beta_coherence, analysis::bandMeanCoherence(coherence, 13, 30));
    EXPECT_DOUBLE_EQ(w.numbers.at("/coherence/" + q.a + "/" + q.b + "/coherence/beta_mean"), q.beta_coherence);
  }
}

// Regression: the default network (input/default.ini physics, 100/200/150,
// 1 s) over seeds 1-3 against the mean and s.d. of 20 other seeds stored in
// tests/data/regression_default.txt when the model was last changed on
// purpose. The two means differ by the seeds' s.d. times √(1/3 + 1/20);
// each metric within 4 of those (a changed equation or parameter moves the
// rates and CVs by many; the relative beta of 1 s is the least precise).
TEST(NetworkRegression, DefaultNetworkMatchesStoredValues) {
  std::map<std::string, std::map<std::string, std::pair<double, double>>> stored;  // mean, sd
  std::ifstream in(std::string(CBGTC_SOURCE_DIR) + "/tests/data/regression_default.txt");
  ASSERT_TRUE(in) << "missing tests/data/regression_default.txt";
  std::string pop, key;
  double mean, sd;
  while (in >> pop) {
    if (pop[0] == '#') {
      std::getline(in, pop);
      continue;
    }
    in >> key >> mean >> sd;
    ASSERT_TRUE(in && sd > 0) << pop << " " << key;
    stored[pop][key] = {mean, sd};
  }
  ASSERT_EQ(stored.size(), 3u);
  const std::vector<std::int64_t> seeds = {1, 2, 3};
  std::map<std::string, std::map<std::string, double>> measured;
  for (const std::int64_t seed : seeds) {
    SimulationConfig c;  // the defaults are the default deck's physics
    c.simulation.duration_ms = 1000;
    c.simulation.seed = seed;
    Simulation sim(c);
    for (const auto& p : sim.run(nullptr).populations) {
      measured[p.name]["rate_hz"] += p.rate_hz / seeds.size();
      measured[p.name]["cv_isi"] += p.cv_isi / seeds.size();
      measured[p.name]["relative_beta"] += p.relative_beta / seeds.size();
    }
  }
  const double spread = std::sqrt(1.0 / seeds.size() + 1.0 / 20);
  for (const auto& [name, metrics] : stored) {
    ASSERT_EQ(metrics.size(), 3u) << name;
    for (const auto& [metric, stats] : metrics)
      EXPECT_NEAR(measured.at(name).at(metric), stats.first, 4 * stats.second * spread)
          << name << " " << metric;
  }
}

// The built-in defaults are the default deck's physics (one source of
// truth, checked): every key outside [output] resolves to the same value.
TEST(NetworkDefaults, DefaultDeckEqualsBuiltInDefaults) {
  const std::string deck = std::string(CBGTC_SOURCE_DIR) + "/input/default.ini";
  const char* argv[] = {"cbgtc", "--config", deck.c_str()};
  io::CommandLine from_deck = io::parseCommandLine(3, argv);
  SimulationConfig defaults;
  const auto a = io::makeOptionTable(from_deck.config).resolved();
  const auto b = io::makeOptionTable(defaults).resolved();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].first.rfind("output.", 0) == 0) continue;
    EXPECT_EQ(a[i], b[i]);
  }
}

// Advancing each population through a whole epoch per launch gives exactly
// what one launch per step gives: spikes, voltage reports and LFP proxy.
TEST(NetworkEpochs, BatchedAndPerStepLaunchesAreIdentical) {
  SimulationConfig c;
  c.simulation.duration_ms = 121.5;  // 24 epochs of 5 ms and a short one
  c.output.v_neurons = 4;
  c.output.v_every_steps = 3;
  c.analysis.burn_in_ms = 20;
  c.analysis.segment_ms = 50;
  auto run = [&c](bool batched) {
    SimulationConfig x = c;
    x.execution.epoch_batching = batched;
    MemoryWriter w;
    Simulation sim(x);
    EXPECT_EQ(sim.epochSteps(), 200);
    sim.run(&w);
    return w;
  };
  const MemoryWriter batched = run(true), per_step = run(false);
  EXPECT_EQ(batched.spikes, per_step.spikes);
  for (const auto& [pop, r] : batched.reports) {
    EXPECT_EQ(r.data, per_step.reports.at(pop).data) << pop;
    EXPECT_EQ(r.data.size(), static_cast<std::size_t>((4860 + 2) / 3) * 4) << pop;
  }
  EXPECT_TRUE(test::sameBits(batched.datasets, per_step.datasets));
  for (const char* pop : {"STN", "GPe", "GPi"}) EXPECT_FALSE(batched.spikes.at(pop).empty());
}

// On a GPU, advancing each neuron with 1, 2, 4 or 8 lanes that share out its
// exponentials, divisions and noise gives identical spikes, voltage reports
// and LFP proxy: every value is computed by the same operations in each.
// Host backends always use one lane (the setting is ignored there).
TEST(NetworkLanes, OneTwoFourOrEightLanesPerNeuronAreIdentical) {
  if (Kokkos::SpaceAccessibility<Kokkos::DefaultExecutionSpace, Kokkos::HostSpace>::accessible)
    GTEST_SKIP() << "lanes per neuron apply to GPU backends";
  SimulationConfig c;
  c.simulation.duration_ms = 60.5;  // a short last epoch: launches that start mid-run of noise blocks
  c.output.v_neurons = 5;
  c.output.v_every_steps = 3;
  c.analysis.burn_in_ms = 10;
  c.analysis.segment_ms = 25;
  auto run = [&c](int lanes) {
    SimulationConfig x = c;
    x.execution.lanes_per_neuron = lanes;
    MemoryWriter w;
    Simulation sim(x);
    EXPECT_EQ(sim.lanesPerNeuron(), lanes);
    sim.run(&w);
    return w;
  };
  const MemoryWriter one = run(1);
  for (int lanes : {2, 4, 8}) {
    const MemoryWriter many = run(lanes);
    EXPECT_EQ(one.spikes, many.spikes) << lanes << " lanes";
    for (const auto& [pop, r] : one.reports) EXPECT_EQ(r.data, many.reports.at(pop).data) << pop << ", " << lanes;
    EXPECT_TRUE(test::sameBits(one.datasets, many.datasets)) << lanes << " lanes";
  }
  for (const char* pop : {"STN", "GPe", "GPi"}) EXPECT_FALSE(one.spikes.at(pop).empty());
}

// Auto picks several lanes only for networks small enough to leave lanes
// idle on the device; CPU backends always use one, and so do devices
// without CUDA's and HIP's warp shuffles.
TEST(NetworkLanes, AutoUsesSeveralLanesOnlyForSmallNetworksOnGpus) {
#if defined(KOKKOS_ENABLE_CUDA) || defined(KOKKOS_ENABLE_HIP)
  const bool shuffles =
      !Kokkos::SpaceAccessibility<Kokkos::DefaultExecutionSpace, Kokkos::HostSpace>::accessible;
#else
  const bool shuffles = false;
#endif
  EXPECT_EQ(chooseLanesPerNeuron<Kokkos::DefaultExecutionSpace>(0, 450), shuffles ? 8 : 1);
  EXPECT_EQ(chooseLanesPerNeuron<Kokkos::DefaultExecutionSpace>(0, 100000000), 1);
  EXPECT_EQ(chooseLanesPerNeuron<Kokkos::DefaultExecutionSpace>(2, 450), shuffles ? 2 : 1);
}

// Every delivery strategy gives the same network: a thread or a team per
// spike, and pull of every step with spikes (pull_fraction = 0; the first 8
// of an epoch are pulled, the others pushed).
TEST(NetworkDelivery, EveryStrategyGivesIdenticalSpikes) {
  SimulationConfig c;
  c.simulation.duration_ms = 100;
  c.execution.pull_fraction = 0;
  auto run = [&c](const char* delivery) {
    SimulationConfig x = c;
    x.execution.delivery = delivery;
    MemoryWriter w;
    Simulation sim(x);
    for (const auto& p : sim.projections()) EXPECT_EQ(p.pull.enabled(), std::string(delivery) == "pull") << p.name;
    sim.run(&w);
    return w.spikes;
  };
  const auto thread = run("thread");
  EXPECT_EQ(thread, run("team"));
  EXPECT_EQ(thread, run("pull"));
  for (const char* pop : {"STN", "GPe", "GPi"}) EXPECT_FALSE(thread.at(pop).empty());
}

// The spike buffers hold what a neuron can emit in an epoch given the least
// separation of its spikes (refractory steps), not one spike per step. A
// GPe driven to its fastest possible firing (one spike every t_ref + 1
// steps) fills its buffer without overflowing it, and fires at that rate.
TEST(NetworkEpochs, SpikeBuffersHoldTheFastestFiring) {
  SimulationConfig c;
  c.simulation.duration_ms = 20;
  c.analysis.burn_in_ms = 0;
  test::adexSettings(c, "GPe").params.t_ref_ms = 0.1;          // 4 steps: at most one spike every 5 steps
  test::population(c, "GPe").noise.mu = 1.0e6;        // pA: V crosses V_peak in the first step after refractoriness
  MemoryWriter w;
  Simulation sim(c);
  ASSERT_EQ(sim.epochSteps(), 200);
  sim.run(&w);
  const auto& gpe = w.spikes.at("GPe");
  const double per_neuron = static_cast<double>(gpe.size()) / test::population(c, "GPe").n;
  const double fastest = 800.0 / 5;  // 800 steps
  EXPECT_GT(per_neuron, 0.9 * fastest);
  EXPECT_LE(per_neuron, fastest);
}

// Metrics come from statistics kept on the device, so a run that writes no
// spikes (output.spikes = false) reports exactly the same rates, CVs and
// spectra, and its file holds no spikes.
TEST(NetworkMetrics, SameMetricsWithoutWritingSpikes) {
  SimulationConfig c;
  c.simulation.duration_ms = 300;
  c.analysis.burn_in_ms = 50;
  c.analysis.segment_ms = 100;
  auto run = [&c](bool spikes, MemoryWriter& w) {
    SimulationConfig x = c;
    x.output.spikes = spikes;
    Simulation sim(x);
    return sim.run(&w);
  };
  MemoryWriter with, without;
  const RunSummary a = run(true, with), b = run(false, without);
  EXPECT_TRUE(without.spikes.empty());
  ASSERT_EQ(a.populations.size(), b.populations.size());
  for (std::size_t p = 0; p < a.populations.size(); ++p) {
    const auto &x = a.populations[p], &y = b.populations[p];
    EXPECT_EQ(x.spikes, y.spikes) << x.name;
    EXPECT_EQ(x.spikes, static_cast<std::int64_t>(with.spikes.at(x.name).size())) << x.name;
    EXPECT_EQ(x.rate_hz, y.rate_hz) << x.name;
    EXPECT_EQ(x.cv_isi, y.cv_isi) << x.name;
    EXPECT_EQ(x.beta_power, y.beta_power) << x.name;
    EXPECT_GT(x.spikes, 0) << x.name;
  }
  EXPECT_TRUE(test::sameBits(with.datasets, without.datasets));
}
