// Current stimuli (kernels/stimulus.hpp, src/stimuli.cpp): exact charge per
// pulse for any width and step, charge balance, and a pulse-locked neuron.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <map>
#include <utility>

#include "io/options.hpp"
#include "kernels/stimulus.hpp"
#include "src/record_plan.hpp"
#include "src/simulation.hpp"
#include "src/stimuli.hpp"
#include "tests/cli_helpers.hpp"
#include "tests/memory_writer.hpp"

using namespace cbgtc;
using cbgtc::test::MemoryWriter;
using cbgtc::test::TempDir;

namespace {

Stimulus pulseTrain(double amplitude, double width_ms, double hz) {
  Stimulus s;
  s.kind = StimulusKind::PulseTrain;
  s.start_ms = 0.3;
  s.stop_ms = 1e9;
  s.amplitude = amplitude;
  s.frequency_hz = hz;
  s.width_ms = width_ms;
  return s;
}

/// Σ_k I_k·dt over the steps k of [0, t_end), t_k = k·dt.
double charge(const Stimulus& s, double dt, double t_end) {
  double q = 0;
  const auto steps = static_cast<std::int64_t>(std::llround(t_end / dt));
  for (std::int64_t k = 0; k < steps; ++k)
    q += s.meanCurrent(static_cast<double>(k) * dt, static_cast<double>(k + 1) * dt, dt) * dt;
  return q;
}

}  // namespace

// Clinical widths are not multiples of the step: every pulse still delivers
// amplitude × width, for any dt (to round-off).
TEST(Stimulus, PulseChargeIsExactForAnyStep) {
  for (double width_ms : {0.06, 0.09, 0.2}) {
    for (double dt : {0.01, 0.025, 0.05, 0.1}) {
      const Stimulus s = pulseTrain(300.0, width_ms, 130.0);
      // 13 pulses start in [0.3, 100): onsets 0.3 + m·7.6923 ms.
      const double expected = 13 * 300.0 * width_ms;
      EXPECT_NEAR(charge(s, dt, 100.0), expected, 1e-12 * expected) << width_ms << " ms at dt " << dt;
      // One pulse at a time: the steps that overlap pulse m.
      const double onset = 0.3 + 5 * 1000.0 / 130.0;
      double q = 0;
      for (auto k = static_cast<std::int64_t>(onset / dt) - 1; k * dt < onset + width_ms; ++k)
        q += s.meanCurrent(k * dt, (k + 1) * dt, dt) * dt;
      EXPECT_NEAR(q, 300.0 * width_ms, 1e-12 * 300.0 * width_ms);
    }
  }
}

// A biphasic pulse carries no net charge; its first phase carries A·w.
TEST(Stimulus, BiphasicPulsesAreChargeBalanced) {
  StimulusSettings settings;
  settings.name = "dbs";
  settings.kind = "pulse_train";
  settings.amplitude = 250;
  settings.pulse_width_us = 60;
  settings.biphasic = true;
  settings.interphase_gap_us = 20;
  settings.second_phase_ratio = 0.25;  // a long, weak second phase
  SimulationConfig c;
  c.simulation.duration_ms = 100;
  const Stimulus s = stimulusOf(settings, c);
  EXPECT_DOUBLE_EQ(s.second_amplitude, -62.5);
  EXPECT_DOUBLE_EQ(s.second_width_ms, 0.24);
  for (double dt : {0.01, 0.025, 0.1}) {
    EXPECT_NEAR(charge(s, dt, 100.0), 0.0, 1e-12 * 250 * 0.06 * 13) << dt;
    Stimulus first = s;
    first.second_amplitude = 0;
    EXPECT_NEAR(charge(first, dt, 100.0), 13 * 250 * 0.06, 1e-12 * 250 * 0.06 * 13) << dt;
  }
}

// A sine's step means integrate it exactly; a dc step switched on and off
// within steps delivers amplitude × (stop − start).
TEST(Stimulus, SineAndDcIntegrateExactly) {
  Stimulus sine;
  sine.kind = StimulusKind::Sine;
  sine.start_ms = 1.0;
  sine.stop_ms = 1e9;
  sine.amplitude = 2.0;
  sine.offset = 0.5;
  sine.frequency_hz = 40;
  sine.phase_rad = 0.3;
  const double w = 2 * M_PI * 40 / 1000;
  const double t_end = 37.0;
  const double analytic = 0.5 * (t_end - 1.0) + 2.0 * (std::cos(0.3) - std::cos(w * (t_end - 1.0) + 0.3)) / w;
  for (double dt : {0.025, 0.1, 0.5}) EXPECT_NEAR(charge(sine, dt, t_end), analytic, 1e-12 * 20) << dt;
  Stimulus dc;
  dc.kind = StimulusKind::Dc;
  dc.start_ms = 1.013;
  dc.stop_ms = 3.0071;
  dc.amplitude = -4.0;
  for (double dt : {0.025, 0.1, 0.5}) EXPECT_NEAR(charge(dc, dt, 10.0), -4.0 * (3.0071 - 1.013), 1e-13) << dt;
}

namespace {

/// One silent AdEx neuron (no tonic drive, no noise) and a 130 Hz train of
/// 90 µs pulses strong enough to fire it, from 50 ms on.
SimulationConfig pulsedNeuron() {
  SimulationConfig c;
  c.populations = {PopulationSettings::of("GPi", "adex", 1)};
  c.projections.clear();
  std::get<models::AdEx::Settings>(c.populations[0].params).params.I_baseline = 0;
  c.simulation.duration_ms = 400;
  c.analysis.burn_in_ms = 0;
  StimulusSettings s;
  s.name = "dbs";
  s.kind = "pulse_train";
  s.population = "GPi";
  s.start_ms = 50;
  s.amplitude = 60000;  // pA: 60000 pA · 0.09 ms / 200 pF = 27 mV per pulse
  s.pulse_width_us = 90;
  s.frequency_hz = 130;
  c.stimuli.push_back(s);
  return c;
}

}  // namespace

// A suprathreshold train locks the neuron: one spike per pulse, at a fixed
// latency (within the step grid the pulse onsets fall on, plus one step).
TEST(Stimulus, SuprathresholdTrainLocksAnAdExNeuron) {
  SimulationConfig c = pulsedNeuron();
  RecordSettings r;
  r.name = "stim";
  r.population = "GPi";
  r.variables = "I_stim";
  r.count = 1;
  r.interval_ms = c.simulation.dt_ms;
  c.records.push_back(r);
  MemoryWriter w, report;
  {
    Simulation sim(c);
    sim.run(&w, nullptr, nullptr, {&report});
  }
  const auto& spikes = w.spikes.at("GPi");
  const double period = 1000.0 / 130;
  const auto pulses = static_cast<std::size_t>(std::ceil((400.0 - 50.0) / period));
  ASSERT_EQ(spikes.size(), pulses) << "one spike per pulse, none before the first";
  double lo = 1e9, hi = -1e9;
  for (std::size_t m = 0; m < spikes.size(); ++m) {
    const double latency = spikes[m].first - (50 + m * period);
    EXPECT_GT(latency, 0.0) << m;
    EXPECT_LT(latency, period) << m;
    if (m >= 3) {  // after the first pulses' approach to the locked cycle
      lo = std::min(lo, latency);
      hi = std::max(hi, latency);
    }
  }
  EXPECT_LE(hi - lo, 2 * c.simulation.dt_ms + 1e-9) << "latency " << lo << " to " << hi << " ms";
  // The recorded stimulus current delivers each pulse's charge (float samples).
  const auto& I = report.reports.begin()->second.data;
  double q = 0;
  for (float x : I) q += x * c.simulation.dt_ms;
  EXPECT_NEAR(q, pulses * 60000 * 0.09, 1e-5 * pulses * 60000 * 0.09);
}

// Keyed targets: a fraction drives about that share, the same neurons on
// any decomposition; node ids drive exactly those.
TEST(Stimulus, TargetsAreKeyedByTheStimulusName) {
  SimulationConfig c;
  StimulusSettings s;
  s.name = "half";
  s.population = "GPe";
  s.fraction = 0.5;
  const std::int64_t n = c.population("GPe")->n;
  const auto all = stimulusTargets(s, c, comm::Block{0, n});
  double driven = 0;
  for (auto d : all) driven += d;
  EXPECT_NEAR(driven, 0.5 * n, 5 * std::sqrt(0.25 * n));
  std::vector<std::uint8_t> pieces;
  for (int rank = 0; rank < 3; ++rank) {
    const auto part = stimulusTargets(s, c, comm::blockOf(n, 3, rank));
    pieces.insert(pieces.end(), part.begin(), part.end());
  }
  EXPECT_EQ(pieces, all);
  s.name = "other";
  EXPECT_NE(stimulusTargets(s, c, comm::Block{0, n}), all);
  s.fraction = 1.0;
  s.node_ids = "3, 1";
  const auto two = stimulusTargets(s, c, comm::Block{0, 5});
  EXPECT_EQ(two, (std::vector<std::uint8_t>{0, 1, 0, 1, 0}));
}

TEST(Stimulus, BadSectionsNameTheKey) {
  const auto refused = [](const StimulusSettings& s) {
    SimulationConfig c;
    c.stimuli.push_back(s);
    try {
      checkConsistency(c);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  StimulusSettings s;
  s.name = "x";
  s.population = "STN";
  s.kind = "square";
  EXPECT_NE(refused(s).find("stimulus.x.kind"), std::string::npos) << refused(s);
  s.kind = "pulse_train";
  s.frequency_hz = 5000;
  s.pulse_width_us = 300;
  EXPECT_NE(refused(s).find("stimulus.x.pulse_width_us (300 us) must be shorter than the period "
                            "1/frequency_hz (200 us)"),
            std::string::npos)
      << refused(s);
  // A biphasic pulse's gap and second phase count: 60 + 7000 + 60 us at 130 Hz (7692 us).
  s.frequency_hz = 130;
  s.pulse_width_us = 60;
  s.biphasic = true;
  s.interphase_gap_us = 7000;
  EXPECT_EQ(refused(s), "accepted");
  s.interphase_gap_us = 7600;
  EXPECT_NE(refused(s).find("stimulus.x.pulse_width_us + interphase_gap_us + pulse_width_us / "
                            "second_phase_ratio (7720 us)"),
            std::string::npos)
      << refused(s);
  s.biphasic = false;
  s.interphase_gap_us = StimulusSettings{}.interphase_gap_us;
  // The pulse-triggered histogram spans a period: 1e9 ms in 0.1 ms bins.
  s.frequency_hz = 1e-6;
  EXPECT_NE(refused(s).find("analysis.pulse_bin_ms: the histogram of stimulus.x's period (1e+09 ms at "
                            "frequency_hz = 1e-06)"),
            std::string::npos)
      << refused(s);
  s.frequency_hz = 130;
  s.population = "CTX";
  EXPECT_NE(refused(s).find("stimulus.x.population"), std::string::npos) << refused(s);
  s.population = "STN";
  s.start_ms = 2000;  // after the run's end, with stop_ms at its default (the end)
  EXPECT_NE(refused(s).find("stimulus.x.start_ms (2000) is not before the run's end"), std::string::npos)
      << refused(s);
  s.stop_ms = 1500;
  EXPECT_NE(refused(s).find("stimulus.x.stop_ms"), std::string::npos) << refused(s);
  s.stop_ms = -1;
  s.start_ms = 0;
  // Keys this stimulus does not read (they would be ignored silently).
  s.probability = 0.3;
  EXPECT_NE(refused(s).find("stimulus.x.probability applies to axonal"), std::string::npos) << refused(s);
  s.probability = 1;
  s.second_phase_ratio = 0.3;
  EXPECT_NE(refused(s).find("biphasic = true"), std::string::npos) << refused(s);
  s.second_phase_ratio = 1;
  s.current_mA = 5;
  EXPECT_NE(refused(s).find("electrode = true"), std::string::npos) << refused(s);
  s.current_mA = 1;
  EXPECT_EQ(refused(s), "accepted");
  // Keys a kind does not read, also where a deck sets them to their default.
  s.kind = "dc";
  s.given = {"pulse_width_us"};
  EXPECT_NE(refused(s).find("stimulus.x.pulse_width_us applies to pulse_train"), std::string::npos)
      << refused(s);
  s.given = {"frequency_hz"};
  EXPECT_NE(refused(s).find("stimulus.x.frequency_hz applies to sine, pulse_train and axonal"),
            std::string::npos)
      << refused(s);
  s.kind = "axonal";
  s.given = {"frequency_hz", "amplitude"};
  EXPECT_NE(refused(s).find("stimulus.x.amplitude applies to dc, sine and pulse_train"), std::string::npos)
      << refused(s);
  s.given = {"frequency_hz"};
  s.pulse_width_us = 300;
  EXPECT_NE(refused(s).find("stimulus.x.pulse_width_us applies to pulse_train"), std::string::npos)
      << refused(s);
  s.pulse_width_us = 90;
  EXPECT_EQ(refused(s), "accepted");
  // The other keys a stimulus may not read, each given at its default.
  const std::pair<const char*, const char*> unread_at_default[] = {
      {"second_phase_ratio", "biphasic = true"},
      {"interphase_gap_us", "biphasic = true"},
      {"biphasic", "applies to pulse_train"},
      {"current_mA", "electrode = true"},
      {"threshold_I0_mA", "electrode = true"},
      {"threshold_K_mA_per_mm2", "electrode = true"},
      {"conductivity_S_per_m", "electrode = true"},
      {"electrode_y_um", "electrode = true"},
      {"offset", "applies to sine"},
      {"phase_rad", "applies to sine"},
  };
  for (const auto& [key, message] : unread_at_default) {
    s.given = {"frequency_hz", key};
    EXPECT_NE(refused(s).find(message), std::string::npos) << key << ": " << refused(s);
  }
  s.kind = "dc";
  s.given = {"interval_cv"};
  EXPECT_NE(refused(s).find("stimulus.x.interval_cv applies to pulse_train"), std::string::npos)
      << refused(s);
  s.kind = "axonal";
  s.given = {"frequency_hz"};
  // An axon fires at most once a step (dt 0.025 ms): 50 kHz would drop pulses.
  s.frequency_hz = 50000;
  EXPECT_NE(refused(s).find("stimulus.x.frequency_hz (50000) puts axonal pulses 0.02 ms apart"),
            std::string::npos)
      << refused(s);
  s.frequency_hz = 40000;
  EXPECT_EQ(refused(s), "accepted");
}

// DBS asked for without `kind = pulse_train`: the deck's keys that a
// direct current does not read are refused, naming one, even at their
// default values (a 300-unit direct current would run otherwise).
TEST(Stimulus, KeysTheKindDoesNotReadAreRefusedFromTheCommandLine) {
  const std::string deck = std::string(CBGTC_SOURCE_DIR) + "/input/default.ini";
  const char* argv[] = {"cbgtc",
                        "--config",
                        deck.c_str(),
                        "--stimulus.dbs.population=STN",
                        "--stimulus.dbs.frequency_hz=130",
                        "--stimulus.dbs.pulse_width_us=90",
                        "--stimulus.dbs.amplitude=300"};
  try {
    io::parseCommandLine(7, argv);
    ADD_FAILURE() << "a dc stimulus with a pulse rate and width was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("stimulus.dbs.frequency_hz applies to"), std::string::npos)
        << e.what();
  }
  const char* pulses[] = {"cbgtc",
                          "--config",
                          deck.c_str(),
                          "--stimulus.dbs.population=STN",
                          "--stimulus.dbs.kind=pulse_train",
                          "--stimulus.dbs.frequency_hz=130",
                          "--stimulus.dbs.pulse_width_us=90",
                          "--stimulus.dbs.amplitude=300"};
  EXPECT_NO_THROW(io::parseCommandLine(8, pulses));
}

// input/dbs_demo.ini: once the 130 Hz train is on, every STN neuron fires
// once per pulse (over three seeds); before it, the default network's
// rates.
TEST(Stimulus, DbsDemoLocksTheStnAt130Hz) {
  const std::string deck = std::string(CBGTC_SOURCE_DIR) + "/input/dbs_demo.ini";
  const char* argv[] = {"cbgtc", "--config", deck.c_str()};
  SimulationConfig c = io::parseCommandLine(3, argv).config;
  c.simulation.duration_ms = 1500;
  c.records.clear();
  ASSERT_EQ(c.stimuli.size(), 1u);
  const double start = c.stimuli[0].start_ms, period = 1000.0 / c.stimuli[0].frequency_hz;
  for (const std::int64_t seed : {1, 2, 3}) {
    c.simulation.seed = seed;
    MemoryWriter w;
    {
      Simulation sim(c);
      sim.run(&w);
    }
    // From the fifth pulse on, pulse m's spikes: one per neuron within a period.
    std::map<std::uint64_t, int> before, locked;
    const double from = start + 5 * period;
    for (const auto& [t, id] : w.spikes.at("STN")) {
      if (t < start) ++before[id];
      if (t >= from) ++locked[id];
    }
    const auto pulses = static_cast<int>(std::ceil((1500.0 - start) / period)) - 5;
    ASSERT_EQ(locked.size(), 100u) << "seed " << seed;
    for (const auto& [id, n] : locked) EXPECT_NEAR(n, pulses, 1) << "neuron " << id << ", seed " << seed;
    double mean_before = 0;
    for (const auto& [id, n] : before) mean_before += n;
    mean_before /= 100 * start / 1000.0;
    EXPECT_LT(mean_before, 40.0) << "the STN's own rate before DBS, seed " << seed;
  }
}

namespace {

/// A silent LIF population AX (no drive, never fires by itself) whose axons
/// an `axonal` stimulus fires at 100 Hz from 10.01 ms, projecting onto a
/// LIF population T with a 2 ms delay.
SimulationConfig axonalNetwork(double probability, std::int64_t seed) {
  SimulationConfig c;
  c.simulation.duration_ms = 200;
  c.simulation.seed = seed;
  c.analysis.burn_in_ms = 0;
  c.populations = {PopulationSettings::of("AX", "lif", 50), PopulationSettings::of("T", "lif", 10)};
  ProjectionSettings pr;
  pr.name = "ax_t";
  pr.source = "AX";
  pr.target = "T";
  pr.p = 1.0;
  pr.g_total = 1.0;
  pr.delay_ms = 2.0;
  c.projections = {pr};
  StimulusSettings s;
  s.name = "dbs";
  s.kind = "axonal";
  s.population = "AX";
  s.start_ms = 10.01;
  s.frequency_hz = 100;
  s.probability = probability;
  c.stimuli = {s};
  return c;
}

}  // namespace

// With p = 1 every pulse fires every axon once, in the step that holds the
// pulse's onset, and its targets receive it the projection's delay later;
// the soma neither fires nor counts it.
TEST(Stimulus, AxonalPulsesFireEveryAxonAtTheirOnset) {
  SimulationConfig c = axonalNetwork(1.0, 1);
  RecordSettings r;
  r.name = "g";
  r.population = "T";
  r.variables = "g_ax_t";
  r.count = 1;
  r.interval_ms = c.simulation.dt_ms;
  c.records = {r};
  MemoryWriter w, report;
  RunSummary summary;
  {
    Simulation sim(c);
    summary = sim.run(&w, nullptr, nullptr, {&report});
  }
  EXPECT_TRUE(w.spikes.at("AX").empty());
  EXPECT_EQ(summary.populations[0].spikes, 0);
  const auto& axonal = w.spikes.at("AX_axonal");
  const int pulses = 19;  // onsets 10.01, 20.01, ..., 190.01 ms
  ASSERT_EQ(axonal.size(), static_cast<std::size_t>(pulses * 50));
  const double dt = c.simulation.dt_ms;
  for (std::size_t j = 0; j < axonal.size(); ++j) {
    const double onset = 10.01 + static_cast<double>(j / 50) * 10.0;
    EXPECT_LE(axonal[j].first, onset + 1e-9) << j;
    EXPECT_GT(axonal[j].first + dt, onset) << j;
    EXPECT_EQ(axonal[j].second, j % 50);
  }
  // T's conductance from AX is zero until the first volley arrives, 2 ms
  // (80 steps) after the step of the first onset.
  const auto& g = report.reports.begin()->second.data;
  const auto first_step = static_cast<std::size_t>(std::llround(axonal.front().first / dt));
  std::size_t first_nonzero = 0;
  while (first_nonzero < g.size() && g[first_nonzero] == 0.0f) ++first_nonzero;
  EXPECT_EQ(first_nonzero, first_step + 80);
}

// An onset on a step's start that round-off puts just below it (700.3 ms is
// 28011.999999999996 steps of 0.025 ms) fires in that step, not the one
// before: no axonal spike before start_ms.
TEST(Stimulus, AnOnsetOnAStepStartFiresInThatStep) {
  SimulationConfig c = axonalNetwork(1.0, 1);
  c.simulation.duration_ms = 800;
  c.stimuli.front().start_ms = 700.3;
  c.stimuli.front().frequency_hz = 77;
  ASSERT_LT(700.3 / c.simulation.dt_ms, 28012.0) << "the case: the onset rounds below its step";
  MemoryWriter w;
  {
    Simulation sim(c);
    sim.run(&w);
  }
  const auto& axonal = w.spikes.at("AX_axonal");
  ASSERT_FALSE(axonal.empty());
  EXPECT_EQ(std::llround(axonal.front().first / c.simulation.dt_ms), 28012) << axonal.front().first;
}

// The file lists each pulse's onset (/stimuli/<name>/pulse_onsets_ms), the
// times irregular pulses do not give by a formula: every axon fires in the
// step that holds each listed onset, and at no other time.
TEST(Stimulus, TheFileListsThePulsesOnsets) {
  SimulationConfig c = axonalNetwork(1.0, 1);
  c.stimuli.front().interval_cv = 0.3;
  MemoryWriter w;
  {
    Simulation sim(c);
    sim.run(&w);
  }
  const std::vector<double>& onsets = w.datasets.at("/stimuli/dbs/pulse_onsets_ms");
  EXPECT_EQ(onsets, pulseOnsets(c.stimuli.front(), c));
  ASSERT_GT(onsets.size(), 10u);
  const auto& axonal = w.spikes.at("AX_axonal");
  ASSERT_EQ(axonal.size(), onsets.size() * 50);
  const double dt = c.simulation.dt_ms;
  for (std::size_t j = 0; j < axonal.size(); ++j) {
    EXPECT_LE(axonal[j].first, onsets[j / 50] + 1e-9) << j;
    EXPECT_GT(axonal[j].first + dt, onsets[j / 50]) << j;
  }
}

// A run stopped part way (a signal's stop request) lists the pulses of the
// steps it ran, not those of its planned duration: every listed pulse fired
// its axons in the file, and none of the planned ones after the stop is
// listed.
TEST(Stimulus, AStoppedRunListsThePulsesItRan) {
  SimulationConfig c = axonalNetwork(1.0, 1);
  c.simulation.duration_ms = 1000;
  c.stimuli.front().interval_cv = 0.3;
  std::atomic<bool> stop{false};
  MemoryWriter w;
  // The request comes once the run's spikes pass 300 ms; the run stops at
  // the next epoch's start.
  w.on_spikes = [&](const std::string&, const std::vector<double>& t) {
    if (!t.empty() && t.back() > 300) stop = true;
  };
  RunSummary summary;
  {
    Simulation sim(c);
    summary = sim.run(&w, &stop);
  }
  ASSERT_FALSE(summary.complete);
  const double end_ms = static_cast<double>(summary.steps) * c.simulation.dt_ms;
  ASSERT_LT(end_ms, 400.0);
  const std::vector<double>& onsets = w.datasets.at("/stimuli/dbs/pulse_onsets_ms");
  const std::vector<double> planned = pulseOnsets(c.stimuli.front(), c);
  ASSERT_GT(onsets.size(), 10u);
  ASSERT_LT(onsets.size(), planned.size());
  EXPECT_TRUE(std::equal(onsets.begin(), onsets.end(), planned.begin()));
  EXPECT_LT(onsets.back(), end_ms);
  EXPECT_GE(planned[onsets.size()], end_ms);
  EXPECT_EQ(w.spikes.at("AX_axonal").size(), onsets.size() * 50);
}

// An onset that round-off puts just below the run's end (19 periods of 76 Hz
// are 249.99999999999997 ms) belongs to the step after the last: it is not
// one of the run's pulses, in the file or in the spikes.
TEST(Stimulus, AnOnsetAtTheRunsEndIsNotListed) {
  SimulationConfig c = axonalNetwork(1.0, 1);
  c.simulation.duration_ms = 250;
  c.stimuli.front().start_ms = 0;
  c.stimuli.front().frequency_hz = 76;
  ASSERT_LT(19 * (1000.0 / 76), 250.0) << "the case: the 20th onset rounds below the end";
  MemoryWriter w;
  {
    Simulation sim(c);
    sim.run(&w);
  }
  const std::vector<double>& onsets = w.datasets.at("/stimuli/dbs/pulse_onsets_ms");
  EXPECT_EQ(onsets.size(), 19u);
  EXPECT_EQ(w.spikes.at("AX_axonal").size(), onsets.size() * 50);
}

// With p = 0.5 the count of axonal spikes is binomial(pulses × neurons, ½).
TEST(Stimulus, AxonalActivationProbabilityIsBinomial) {
  for (const std::int64_t seed : {1, 2, 3}) {
    MemoryWriter w;
    {
      Simulation sim(axonalNetwork(0.5, seed));
      sim.run(&w);
    }
    const double trials = 19 * 50;
    EXPECT_NEAR(static_cast<double>(w.spikes.at("AX_axonal").size()), 0.5 * trials, 5 * std::sqrt(0.25 * trials))
        << "seed " << seed;
  }
}

// Pulse-triggered histograms (docs/model.md §7.8): the written rates are the
// spikes' own counts by time since the last onset, over neurons, the
// pulses' share of the analysed time and the bin; a source that ignores the
// pulses has a flat histogram (every bin its rate within Poisson error); a
// locked neuron's peak is its latency.
TEST(Stimulus, PulseTriggeredHistogramsCountSpikesBySinceTheLastPulse) {
  SimulationConfig c = pulsedNeuron();
  c.simulation.duration_ms = 2000;
  c.analysis.burn_in_ms = 100;
  c.analysis.pulse_bin_ms = 1.0;
  c.populations.push_back(PopulationSettings::of("CTX", "poisson", 200));
  const double rate_hz = 80;
  std::get<models::Poisson::Settings>(c.populations[1].params).params.rate_hz = rate_hz;
  MemoryWriter w;
  RunSummary summary;
  {
    Simulation sim(c);
    summary = sim.run(&w);
  }
  const double period = 1000.0 / 130, from = 100, to = 2000;
  const std::size_t bins = 8;  // ⌈7.69 / 1⌉; the last bin is 0.69 ms wide
  for (const auto& [pop, n] : {std::pair<std::string, int>{"GPi", 1}, {"CTX", 200}}) {
    const auto& rates = w.datasets.at("/metrics/" + pop + "/pulse_histogram_hz");
    ASSERT_EQ(rates.size(), bins) << pop;
    std::vector<double> counts(bins, 0.0);
    for (const auto& [t, id] : w.spikes.at(pop)) {
      if (t < from || t >= to) continue;
      // The onsets' own arithmetic (start + m·period in doubles), not fmod:
      // at an onset that rounds onto a step, the spike is 0 ms after it.
      const double since = (t - 50.0) - std::floor((t - 50.0) / period) * period;
      counts[std::min<std::size_t>(bins - 1, static_cast<std::size_t>(since / 1.0 + 1e-9))] += 1;
    }
    for (std::size_t b = 0; b < bins; ++b) {
      const double width = std::min(1.0, period - b * 1.0);
      // The analysed time at this bin's latencies, pulse by pulse.
      double exposed_ms = 0;
      for (int m = 0; 50.0 + m * period < to; ++m) {
        const double lo = 50.0 + m * period + b * 1.0;
        exposed_ms += std::max(0.0, std::min(to, lo + width) - std::max(from, lo));
      }
      const double exposure_s = n * exposed_ms / 1000.0;
      EXPECT_NEAR(rates[b], counts[b] / exposure_s, 1e-9 * counts[b] / exposure_s + 1e-12) << pop << " bin " << b;
      if (pop == "CTX") {
        const double expected = rate_hz * exposure_s, sd = std::sqrt(expected);
        EXPECT_NEAR(counts[b], expected, 5 * sd) << "bin " << b;
      }
    }
  }
  // Bin centres, the short last bin's its own (a centre past the period
  // would be a latency longer than the interval between pulses).
  const auto& centres = w.datasets.at("/metrics/GPi/pulse_histogram_time_ms");
  ASSERT_EQ(centres.size(), bins);
  for (std::size_t b = 0; b + 1 < bins; ++b) EXPECT_DOUBLE_EQ(centres[b], b + 0.5);
  EXPECT_NEAR(centres[bins - 1], (7.0 + period) / 2, 1e-12);
  const auto& gpi = w.datasets.at("/metrics/GPi/pulse_histogram_hz");
  const auto peak = std::max_element(gpi.begin(), gpi.end()) - gpi.begin();
  EXPECT_DOUBLE_EQ(summary.populations[0].pulse_latency_ms, (peak + 0.5) * 1.0);
  EXPECT_DOUBLE_EQ(w.numbers.at("/metrics/GPi/pulse_latency_ms"), summary.populations[0].pulse_latency_ms);
  // The source the pulses do not reach has a flat histogram and no latency.
  EXPECT_TRUE(std::isnan(summary.populations[1].pulse_latency_ms)) << summary.populations[1].pulse_latency_ms;
}

// A window of part of a pulse period (1 Hz pulses, 200 ms analysed) holds
// only some latencies: those bins are the source's rate, as over whole
// periods, and the others have no rate (not five times it, nor 0 Hz).
TEST(Stimulus, PulseHistogramsOfPartOfAPeriodAreTheRatesOfItsLatencies) {
  for (const std::int64_t seed : {1, 2, 3}) {
    SimulationConfig c = pulsedNeuron();
    c.simulation.seed = seed;
    c.simulation.duration_ms = 300;
    c.analysis.burn_in_ms = 100;
    c.analysis.pulse_bin_ms = 10.0;
    c.stimuli[0].frequency_hz = 1;  // onsets at 50 and 1050 ms: latencies 50-250 ms analysed
    c.populations.push_back(PopulationSettings::of("CTX", "poisson", 200));
    const double rate_hz = 20;
    std::get<models::Poisson::Settings>(c.populations[1].params).params.rate_hz = rate_hz;
    MemoryWriter w;
    {
      Simulation sim(c);
      sim.run(&w);
    }
    const auto& rates = w.datasets.at("/metrics/CTX/pulse_histogram_hz");
    ASSERT_EQ(rates.size(), 100u);
    double sum = 0;
    for (std::size_t b = 0; b < rates.size(); ++b) {
      if (b < 5 || b >= 25) {
        EXPECT_TRUE(std::isnan(rates[b])) << "bin " << b << ": " << rates[b];
        continue;
      }
      sum += rates[b];
    }
    // 20 bins of 200 neurons x 10 ms: 800 spikes expected in all, a mean rate within 5 sd.
    const double mean = sum / 20, sd = rate_hz / std::sqrt(800.0);
    EXPECT_NEAR(mean, rate_hz, 5 * sd) << "seed " << seed;
  }
}

// A population whose spikes keep the pulses' period (here a replay, 3 ms
// after each 10 Hz onset) shows a latency only while the pulses act on
// some neuron: pulses of zero amplitude lock nothing, whatever the
// histogram's shape.
TEST(Stimulus, PulsesThatActOnNoNeuronHaveNoLatency) {
  TempDir dir;
  const std::string trains = (dir / "trains.csv").string();
  {
    auto out = io::makeCsvOutput(trains, true);
    out->addSpikePopulation("REP");
    std::vector<double> t;
    std::vector<std::uint64_t> ids;
    for (int m = 0; m < 19; ++m)
      for (std::uint64_t id = 0; id < 5; ++id) {
        t.push_back(100 + 100.0 * m + 3);
        ids.push_back(id);
      }
    out->appendSpikes("REP", t, ids);
    out->finalize(2000);
  }
  SimulationConfig c = pulsedNeuron();
  c.simulation.duration_ms = 2000;
  c.stimuli.at(0).start_ms = 100;
  c.stimuli.at(0).frequency_hz = 10;
  PopulationSettings replay = PopulationSettings::of("REP", "spike_times", 5);
  replay.spike_file = trains;
  c.populations.push_back(replay);
  for (const double amplitude : {60000.0, 0.0}) {
    c.stimuli.at(0).amplitude = amplitude;
    Simulation sim(c);
    const RunSummary s = sim.run(nullptr);
    if (amplitude > 0)
      EXPECT_DOUBLE_EQ(s.populations[1].pulse_latency_ms, 3.25);
    else
      EXPECT_TRUE(std::isnan(s.populations[1].pulse_latency_ms)) << s.populations[1].pulse_latency_ms;
  }
}

// A population in a synchronous rhythm of its own (a replay: 20 neurons
// firing together at 29 Hz) beside 20 Hz pulses that lock another neuron:
// its histogram's largest bin passes the Poisson bound, which assumes
// independent neurons (checked here from the written histogram), but its
// peak wanders from block to block of pulses, so it has no latency
// (docs/model.md §7.8); the locked neuron keeps its own.
TEST(Stimulus, ARhythmBeatingWithThePulsesIsNoLatency) {
  TempDir dir;
  const std::string trains = (dir / "trains.csv").string();
  const int n = 20;
  {
    auto out = io::makeCsvOutput(trains, true);
    out->addSpikePopulation("REP");
    std::vector<double> t;
    std::vector<std::uint64_t> ids;
    for (double spike = 100; spike < 2000; spike += 1000.0 / 29)
      for (std::uint64_t id = 0; id < n; ++id) {
        t.push_back(std::round(spike / 0.025) * 0.025);
        ids.push_back(id);
      }
    out->appendSpikes("REP", t, ids);
    out->finalize(2000);
  }
  SimulationConfig c = pulsedNeuron();
  c.simulation.duration_ms = 2000;
  c.analysis.burn_in_ms = 100;
  c.stimuli.at(0).start_ms = 100;
  c.stimuli.at(0).frequency_hz = 20;
  PopulationSettings replay = PopulationSettings::of("REP", "spike_times", n);
  replay.spike_file = trains;
  c.populations.push_back(replay);
  MemoryWriter w;
  Simulation sim(c);
  const RunSummary s = sim.run(&w);
  // The Poisson bound on the written histogram (rates are counts over one
  // exposure, the same for every full bin).
  const auto& rates = w.datasets.at("/metrics/REP/pulse_histogram_hz");
  const double period = 50, bin = c.analysis.pulse_bin_ms, exposure_s = n * 1.9 * bin / period;
  double total = 0;
  for (double r : rates) total += r * exposure_s;
  const double largest = *std::max_element(rates.begin(), rates.end()) * exposure_s;
  const double flat = total * bin / period;
  ASSERT_GT(largest, flat + 5 * std::sqrt(flat)) << "the case the rotations must decide";
  EXPECT_GE(s.populations[1].pulse_locking_p, 0.01);
  EXPECT_TRUE(std::isnan(s.populations[1].pulse_latency_ms)) << s.populations[1].pulse_latency_ms;
  EXPECT_LT(s.populations[0].pulse_locking_p, 0.01);
  EXPECT_FALSE(std::isnan(s.populations[0].pulse_latency_ms));
  EXPECT_DOUBLE_EQ(w.numbers.at("/metrics/REP/pulse_locking_p"), s.populations[1].pulse_locking_p);
}

// Whether a stimulus acts on some neuron: its strength, and whom it reaches.
TEST(Stimulus, ActsWhereItHasStrengthAndNeurons) {
  SimulationConfig c;
  StimulusSettings s;
  s.name = "x";
  s.population = "STN";
  s.kind = "pulse_train";
  s.amplitude = 100;
  EXPECT_TRUE(stimulusActs(s, c));
  s.fraction = 0;
  EXPECT_FALSE(stimulusActs(s, c));
  s.node_ids = "3";
  EXPECT_TRUE(stimulusActs(s, c));
  s.amplitude = 0;
  EXPECT_FALSE(stimulusActs(s, c));
  s.kind = "sine";
  s.offset = 2;
  EXPECT_TRUE(stimulusActs(s, c));
  s.kind = "axonal";
  s.probability = 0;
  EXPECT_FALSE(stimulusActs(s, c));
  s.probability = 0.1;
  EXPECT_TRUE(stimulusActs(s, c));
}

namespace {

StimulusSettings irregularTrain(const std::string& name, double hz, double cv) {
  StimulusSettings s;
  s.name = name;
  s.kind = "pulse_train";
  s.population = "STN";
  s.start_ms = 10;
  s.frequency_hz = hz;
  s.pulse_width_us = 5000;
  s.amplitude = 3.5;
  s.interval_cv = cv;
  return s;
}

}  // namespace

// So et al.'s sensorimotor train: each interval is 1000/rate with the rate
// drawn from a gamma distribution of mean f and CV 0.2. Over 20 000 pulses
// the rates' mean is f within 4 standard errors (σ/√n = 0.2f/141) and their
// CV 0.2 within 4 standard errors of a sample CV (≈ CV·√((1 + 1.5·CV²)/2n),
// gamma's kurtosis included: 0.0011); onsets ascend from start_ms, stay
// before the stop, and are a function of the seed and the stimulus's name.
TEST(Stimulus, IrregularPulsesHaveGammaDistributedRates) {
  SimulationConfig c;
  c.simulation.duration_ms = 20000 * 1000.0 / 14;
  const StimulusSettings s = irregularTrain("sm", 14, 0.2);
  const std::vector<double> onsets = pulseOnsets(s, c);
  ASSERT_GT(onsets.size(), 18000u);
  EXPECT_EQ(onsets.front(), 10.0);
  EXPECT_LT(onsets.back(), c.simulation.duration_ms);
  double sum = 0, squares = 0;
  const double n = static_cast<double>(onsets.size() - 1);
  for (std::size_t m = 1; m < onsets.size(); ++m) {
    ASSERT_GT(onsets[m], onsets[m - 1]);
    const double rate = 1000.0 / (onsets[m] - onsets[m - 1]);
    sum += rate;
    squares += rate * rate;
  }
  const double mean = sum / n, sd = std::sqrt(squares / n - mean * mean);
  EXPECT_NEAR(mean, 14.0, 4 * 0.2 * 14.0 / std::sqrt(n));
  EXPECT_NEAR(sd / mean, 0.2, 4 * 0.2 * std::sqrt((1 + 1.5 * 0.04) / (2 * n)));
  EXPECT_EQ(pulseOnsets(s, c), onsets);
  SimulationConfig other = c;
  other.simulation.seed = 2;
  EXPECT_NE(pulseOnsets(s, other), onsets);
  EXPECT_NE(pulseOnsets(irregularTrain("sm2", 14, 0.2), c), onsets);
  // Regular: start + m/f.
  const std::vector<double> regular = pulseOnsets(irregularTrain("sm", 14, 0), c);
  for (std::size_t m = 0; m < regular.size(); m += 1000) EXPECT_EQ(regular[m], 10 + m * (1000.0 / 14));
}

// A CV far below 0.2 still gives rates of that CV (a draw's precision is
// the double's, not the CV's), and a CV whose square underflows (1e-300)
// gives the regular train's rates: the gamma draw neither hangs nor divides
// by an infinite shape. Deviations are summed about the mean: the CV is
// below the rates' relative precision in a sum of squares.
TEST(Stimulus, TinyIntervalCvsGiveTheirCv) {
  SimulationConfig c;
  c.simulation.duration_ms = 5000 * 1000.0 / 14;
  for (const double cv : {1e-3, 1e-6, 1e-9, 1e-300}) {
    const std::vector<double> onsets = pulseOnsets(irregularTrain("sm", 14, cv), c);
    ASSERT_GT(onsets.size(), 4900u) << cv;
    std::vector<double> rates;
    for (std::size_t m = 1; m < onsets.size(); ++m) rates.push_back(1000.0 / (onsets[m] - onsets[m - 1]));
    const double n = static_cast<double>(rates.size());
    double mean = 0, squares = 0;
    for (const double r : rates) mean += r / n;
    for (const double r : rates) squares += (r - mean) * (r - mean);
    const double sample_cv = std::sqrt(squares / n) / mean;
    // An interval is a difference of onsets up to 5000 periods from the
    // start: its rounding, a few ulps of the onset, bounds what can be seen.
    const double resolution = 4 * std::numeric_limits<double>::epsilon() * onsets.back() / (1000.0 / 14);
    EXPECT_NEAR(mean, 14.0, 14.0 * (4 * cv / std::sqrt(n) + resolution)) << cv;
    EXPECT_NEAR(sample_cv, cv, 4 * cv * std::sqrt(1 / (2 * n)) + resolution) << cv;
  }
}

// Onsets end at the run's end whatever stop_ms says (a far stop listed
// billions), and a longer run lists more of the same sequence.
TEST(Stimulus, OnsetsEndWithTheRun) {
  SimulationConfig c;
  c.simulation.duration_ms = 1000;
  for (const double cv : {0.0, 0.2}) {
    StimulusSettings s = irregularTrain("sm", 14, cv);
    s.stop_ms = 1e12;
    const std::vector<double> onsets = pulseOnsets(s, c);
    ASSERT_FALSE(onsets.empty());
    EXPECT_LT(onsets.back(), 1000.0);
    EXPECT_GE(onsets.back() + 1000.0 / 14 / (1 - 4 * cv), 1000.0)
        << "the last onset before the end is listed";
    SimulationConfig longer = c;
    longer.simulation.duration_ms = 3000;
    const std::vector<double> more = pulseOnsets(s, longer);
    ASSERT_GT(more.size(), onsets.size());
    EXPECT_TRUE(std::equal(onsets.begin(), onsets.end(), more.begin()));
  }
}

// Each irregular pulse delivers its whole charge, over any dt, and each
// onset falls in exactly one step (pulseIn, which axonal pulses use).
TEST(Stimulus, IrregularPulsesDeliverTheirChargeAndEachOnsetOnce) {
  SimulationConfig c;
  c.simulation.duration_ms = 2000;
  const StimulusSettings settings = irregularTrain("sm", 14, 0.2);
  const std::vector<double> onsets = pulseOnsets(settings, c);
  Stimulus s = stimulusOf(settings, c);
  s.onsets = onsets.data();
  s.onset_count = static_cast<std::int64_t>(onsets.size());
  for (const double dt : {0.01, 0.025, 0.1}) {
    const double expected = static_cast<double>(onsets.size()) * 3.5 * 5.0;
    EXPECT_NEAR(charge(s, dt, 2100.0), expected, 1e-9 * expected) << dt;
    std::vector<std::int64_t> found;
    for (std::int64_t k = 0; k * dt < 2000; ++k) {
      const std::int64_t m = s.pulseIn(static_cast<double>(k) * dt, static_cast<double>(k + 1) * dt);
      if (m >= 0) found.push_back(m);
    }
    ASSERT_EQ(found.size(), onsets.size()) << dt;
    for (std::size_t m = 0; m < found.size(); ++m) EXPECT_EQ(found[m], static_cast<std::int64_t>(m));
  }
}

// interval_cv belongs to pulse trains and axonal pulses; the
// pulse-triggered histograms need periodic pulses, so they skip an
// irregular train unless it is named, which is refused.
TEST(Stimulus, IrregularIntervalsAreChecked) {
  SimulationConfig c;
  StimulusSettings s = irregularTrain("sm", 14, 0.2);
  c.stimuli = {s};
  EXPECT_NO_THROW(checkConsistency(c));
  EXPECT_EQ(pulseHistogramStimulus(c, c.populations.front().name), nullptr);
  c.analysis.pulse_stimulus = "sm";
  try {
    checkConsistency(c);
    ADD_FAILURE() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("analysis.pulse_stimulus: stimulus.sm has interval_cv"),
              std::string::npos)
        << e.what();
  }
  c.analysis.pulse_stimulus.clear();
  c.stimuli[0].kind = "dc";
  try {
    checkConsistency(c);
    ADD_FAILURE() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("stimulus.sm.interval_cv"), std::string::npos) << e.what();
  }
}
