// [record.<name>] sections: what is sampled, when, and how it agrees with
// the step's own arithmetic.

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>

#include "src/record_plan.hpp"
#include "src/simulation.hpp"
#include "tests/config_helpers.hpp"
#include "tests/memory_writer.hpp"

using namespace cbgtc;
using cbgtc::test::MemoryWriter;

namespace {

SimulationConfig recordedConfig() {
  SimulationConfig c;
  c.simulation.duration_ms = 120;
  cbgtc::test::setSizes(c, 20, 30, 25);
  return c;
}

RecordSettings record(const std::string& name, const std::string& population, const std::string& variables) {
  RecordSettings r;
  r.name = name;
  r.population = population;
  r.variables = variables;
  r.count = 4;
  r.interval_ms = 0.1;
  return r;
}

/// Runs `c` with one memory writer per report file; returns them by file.
std::map<std::string, MemoryWriter> runRecorded(const SimulationConfig& c, MemoryWriter* main = nullptr) {
  const std::vector<std::string> files = recordFiles(recordPlans(c));
  std::map<std::string, MemoryWriter> out;
  std::vector<io::OutputWriter*> writers;
  for (const auto& f : files) writers.push_back(&out[f]);
  MemoryWriter unused;
  Simulation sim(c);
  sim.run(main ? main : &unused, nullptr, nullptr, writers);
  return out;
}

const MemoryWriter::Report& onlyReport(const MemoryWriter& w) {
  EXPECT_EQ(w.reports.size(), 1u);
  return w.reports.begin()->second;
}

}  // namespace

// A record section of V is the same sampling as output.v_neurons: the same
// values, bit for bit, with the initial state as row 0.
TEST(Recording, VoltageRecordEqualsTheVoltageReport) {
  auto c = recordedConfig();
  c.output.v_neurons = 4;
  c.output.v_every_steps = 7;
  c.records.push_back(record("stn_v", "STN", "V"));
  c.records.back().interval_ms = 7 * c.simulation.dt_ms;
  MemoryWriter main;
  const auto files = runRecorded(c, &main);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files.begin()->first, "cbgtc_output_stn_v.h5");
  const auto& rec = onlyReport(files.begin()->second);
  const auto& report = main.reports.at("STN");
  EXPECT_EQ(rec.variable, "V");
  EXPECT_EQ(rec.units, "mV");
  EXPECT_EQ(rec.ids, report.ids);
  EXPECT_DOUBLE_EQ(rec.step, report.step);
  const std::int64_t rows = (c.stepCount() + 6) / 7;
  ASSERT_EQ(rec.data.size(), static_cast<std::size_t>(rows * 4));
  EXPECT_EQ(rec.data, report.data);
}

// State variables stay where the model keeps them (gates in [0, 1]), and a
// list of node ids records those neurons in ascending order.
TEST(Recording, GatesStayInTheUnitIntervalForChosenNodes) {
  auto c = recordedConfig();
  c.records.push_back(record("gates", "STN", "n, h, r, Ca"));
  c.records.back().count = 0;
  c.records.back().node_ids = "17, 2, 9";
  const auto files = runRecorded(c);
  ASSERT_EQ(files.size(), 4u);
  for (const auto& [file, w] : files) {
    const auto& r = onlyReport(w);
    EXPECT_EQ(r.ids, (std::vector<std::uint64_t>{2, 9, 17})) << file;
    EXPECT_EQ(r.data.size(), static_cast<std::size_t>(c.stepCount() / 4 * 3)) << file;
    if (r.variable == "Ca") {
      EXPECT_EQ(file, "cbgtc_output_gates_Ca.h5");
      for (float x : r.data) EXPECT_GE(x, 0.0f);
      continue;
    }
    EXPECT_EQ(r.units, "1");
    float lo = 1, hi = 0;
    for (float x : r.data) {
      EXPECT_GE(x, 0.0f) << r.variable;
      EXPECT_LE(x, 1.0f) << r.variable;
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
    EXPECT_GT(hi - lo, 0.01f) << r.variable << " does not move";
  }
}

// The recorded currents are those the step uses: I_syn = −Σ g·(V − E_rev)
// over the population's inputs, I_input = I_syn + I_noise; conductances
// only decay (× e^{−dt/τ} per step) between arrivals.
TEST(Recording, CurrentsAndConductancesAreTheStepsOwn) {
  auto c = recordedConfig();
  c.populations[2].noise.sigma = 20;  // GPi: pA
  c.records.push_back(record("gpi", "GPi", "V, g_stn_gpi, g_gpe_gpi, I_syn, I_noise, I_input"));
  c.records.back().interval_ms = c.simulation.dt_ms;
  const auto files = runRecorded(c);
  std::map<std::string, const MemoryWriter::Report*> by;
  for (const auto& [file, w] : files) by[onlyReport(w).variable] = &onlyReport(w);
  ASSERT_EQ(by.size(), 6u);
  const ProjectionSettings* stn_gpi = nullptr;
  const ProjectionSettings* gpe_gpi = nullptr;
  for (const auto& p : c.projections) {
    if (p.name == "stn_gpi") stn_gpi = &p;
    if (p.name == "gpe_gpi") gpe_gpi = &p;
  }
  ASSERT_TRUE(stn_gpi && gpe_gpi);
  EXPECT_EQ(by["g_stn_gpi"]->units, "nS");
  EXPECT_EQ(by["I_syn"]->units, "pA");
  const auto& V = by["V"]->data;
  const auto& g1 = by["g_stn_gpi"]->data;
  const auto& g2 = by["g_gpe_gpi"]->data;
  const auto& I_syn = by["I_syn"]->data;
  const auto& I_noise = by["I_noise"]->data;
  const auto& I_input = by["I_input"]->data;
  ASSERT_EQ(V.size(), static_cast<std::size_t>(c.stepCount() * 4));
  const double decay1 = std::exp(-c.simulation.dt_ms / stn_gpi->tau_ms);
  const double decay2 = std::exp(-c.simulation.dt_ms / gpe_gpi->tau_ms);
  int arrivals = 0;
  double g_max = 0, noise_max = 0;
  for (std::size_t j = 0; j < V.size(); ++j) {
    // float samples of double values: relative 1e-6 of the terms' size.
    const double d1 = g1[j] * (V[j] - stn_gpi->E_rev_mV), d2 = g2[j] * (V[j] - gpe_gpi->E_rev_mV);
    const double scale = std::fabs(d1) + std::fabs(d2) + 1e-9;
    EXPECT_NEAR(I_syn[j], -(d1 + d2), 2e-6 * scale) << j;
    EXPECT_NEAR(I_input[j], I_syn[j] + I_noise[j], 2e-6 * (std::fabs(I_syn[j]) + std::fabs(I_noise[j]) + 1e-9)) << j;
    g_max = std::max({g_max, double(g1[j]), double(g2[j])});
    noise_max = std::max(noise_max, std::fabs(double(I_noise[j])));
    if (j + 4 < V.size()) {  // the same neuron one step later
      for (const auto& [g, decay] : {std::pair{&g1, decay1}, std::pair{&g2, decay2}}) {
        const double expected = (*g)[j] * decay, next = (*g)[j + 4];
        if (next > expected * (1 + 1e-6) + 1e-12) {
          ++arrivals;
        } else {
          EXPECT_NEAR(next, expected, 1e-6 * expected + 1e-12) << j;
        }
      }
    }
  }
  EXPECT_GT(arrivals, 10);
  EXPECT_GT(g_max, 0.0);
  EXPECT_GT(noise_max, 1.0);
}

// The LFP proxy is the device's samples, each Σ_i |I_syn,i| averaged over
// its steps (k − e, k], k = n·e (step 0 alone for n = 0), low-passed and
// decimated by D (docs/model.md §7.2; the filter is tested on its own in
// test_decimation.cpp): computed here from every STN neuron's recorded
// synaptic current (its only input, GPe -> STN, so |I_syn| is the proxy's
// term). The device's samples straddle the run's exchange epochs, which
// the average must carry across.
TEST(Recording, LfpSampleIsTheMeanOfItsStepsSynapticCurrents) {
  auto c = recordedConfig();
  c.analysis.lfp_sample_ms = 1.0;
  c.records.push_back(record("stn", "STN", "I_syn"));
  c.records.back().count = 20;
  c.records.back().interval_ms = c.simulation.dt_ms;
  MemoryWriter main;
  const auto files = runRecorded(c, &main);
  const auto& I_syn = onlyReport(files.begin()->second).data;
  const std::int64_t steps = c.stepCount();
  const analysis::LfpSampling sampling = analysis::lfpSampling(stepsOf(1.0, c.simulation.dt_ms));
  const std::int64_t e = sampling.device_every;
  ASSERT_EQ(I_syn.size(), static_cast<std::size_t>(steps * 20));
  ASSERT_GT(e, 1);
  ASSERT_GT(sampling.decimation, 1);
  std::vector<double> device((steps + e - 1) / e);
  for (std::size_t n = 0; n < device.size(); ++n) {
    const std::int64_t last = static_cast<std::int64_t>(n) * e, first = n == 0 ? 0 : last - e + 1;
    double sum = 0;
    for (std::int64_t k = first; k <= last; ++k)
      for (int i = 0; i < 20; ++i) sum += std::fabs(double(I_syn[k * 20 + i]));
    device[n] = sum / double(last - first + 1);
  }
  const std::vector<double> expected = analysis::decimate(device, sampling.decimation);
  const auto& lfp = main.datasets.at("/lfp/STN");
  ASSERT_EQ(lfp.size(), expected.size());
  ASSERT_EQ(lfp.size(), static_cast<std::size_t>((steps + sampling.every - 1) / sampling.every));
  const double largest = *std::max_element(expected.begin(), expected.end());
  EXPECT_GT(largest, 0.0) << "the STN must receive input";
  for (std::size_t m = 0; m < lfp.size(); ++m)
    EXPECT_NEAR(lfp[m], expected[m], 2e-6 * largest) << m;  // float samples
}

// Bad sections are refused with the key that is wrong.
TEST(Recording, BadSectionsNameTheKey) {
  const auto refused = [](const RecordSettings& r) {
    auto c = recordedConfig();
    c.records.push_back(r);
    try {
      recordPlans(c);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  auto r = record("x", "STN", "V, w");
  EXPECT_NE(refused(r).find("record.x.variables: 'w' is not a variable of population STN"), std::string::npos)
      << refused(r);
  r = record("x", "STR", "V");
  EXPECT_NE(refused(r).find("record.x.population must name a population"), std::string::npos) << refused(r);
  r = record("x", "STN", "V");
  r.node_ids = "3";
  EXPECT_NE(refused(r).find("alternatives"), std::string::npos) << refused(r);
  r.count = 0;
  r.node_ids = "3, 20";
  EXPECT_NE(refused(r).find("record.x.node_ids: '20' is not a node id"), std::string::npos) << refused(r);
  r.node_ids = "3, 3";
  EXPECT_NE(refused(r).find("given twice"), std::string::npos) << refused(r);
  r = record("x", "STN", "V");
  r.interval_ms = 0.03;
  EXPECT_NE(refused(r).find("record.x.interval_ms"), std::string::npos) << refused(r);
  r = record("x", "GPe", "g_stn_gpi");
  EXPECT_NE(refused(r).find("g_stn_gpe"), std::string::npos) << "the message lists the inputs: " << refused(r);
  // A spike source has no input currents to record (they read 0).
  {
    auto c = recordedConfig();
    c.populations.push_back(PopulationSettings::of("SRC", "poisson", 4));
    RecordSettings source = record("x", "SRC", "I_noise");
    source.node_ids = "0";
    source.count = 0;
    c.records.push_back(source);
    std::string message = "accepted";
    try {
      recordPlans(c);
    } catch (const ConfigError& e) {
      message = e.what();
    }
    EXPECT_NE(message.find("'I_noise' is not a variable of population SRC (model poisson; it has "
                           "burst_spikes_left, no input: it is a spike source)"),
              std::string::npos)
        << message;
  }
  r = record("x", "STN", "V");
  r.file = "cbgtc_output.h5";
  EXPECT_NE(refused(r).find("record.x.file"), std::string::npos) << refused(r);
  // The same file spelled otherwise (it would pass here and fail later, as
  // an in-progress file of another run).
  for (const std::string& spelled :
       {std::string("./cbgtc_output.h5"), std::filesystem::absolute("cbgtc_output.h5").string()}) {
    r.file = spelled;
    EXPECT_NE(refused(r).find("record.x.file"), std::string::npos) << spelled << ": " << refused(r);
  }
}
