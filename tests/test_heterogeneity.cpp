// Heterogeneous bias currents (src/heterogeneity.*): log-normal across a
// population, keyed per neuron, and the current each neuron's step receives.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "kernels/rng.hpp"
#include "src/heterogeneity.hpp"
#include "src/simulation.hpp"
#include "tests/memory_writer.hpp"

using namespace cbgtc;
using cbgtc::test::MemoryWriter;

// log(bias/mean) is normal with mean −σ²/2 and variance σ² = ln(1 + cv²):
// the sample mean and variance of 20000 draws within five standard errors
// of normal theory, over three seeds.
TEST(Heterogeneity, BiasCurrentsAreLogNormalWithTheSetMeanAndCv) {
  const BiasSettings bias{-40.0, 0.3};  // a hyperpolarising mean keeps its sign
  const double sigma2 = std::log1p(0.09);
  const int n = 20000;
  for (const std::uint64_t seed : {1, 2, 3}) {
    double sum = 0, sum2 = 0;
    for (int i = 0; i < n; ++i) {
      const double b = biasCurrent(bias, seed, rng::streamKey("GPe"), i);
      ASSERT_LT(b, 0.0);
      const double y = std::log(b / bias.mean);
      sum += y;
      sum2 += y * y;
    }
    const double mean = sum / n, var = (sum2 - n * mean * mean) / (n - 1);
    EXPECT_NEAR(mean, -sigma2 / 2, 5 * std::sqrt(sigma2 / n)) << seed;
    EXPECT_NEAR(var, sigma2, 5 * sigma2 * std::sqrt(2.0 / (n - 1))) << seed;
  }
  EXPECT_EQ(biasCurrent(BiasSettings{12.5, 0.0}, 1, 7, 3), 12.5);
}

// In a run each neuron receives its own bias: the recorded I_bias is the
// drawn value, and with no other input it is the whole input current; a
// deterministic LIF cell with more bias fires at least as often.
TEST(Heterogeneity, EachNeuronReceivesItsBias) {
  SimulationConfig c;
  c.simulation.duration_ms = 500;
  c.analysis.burn_in_ms = 0;
  c.populations = {PopulationSettings::of("CTX", "lif", 40)};
  c.projections.clear();
  c.populations[0].bias = BiasSettings{400.0, 0.2};  // pA: rheobase is 16.7 nS · 15 mV ≈ 250 pA
  RecordSettings r;
  r.name = "bias";
  r.population = "CTX";
  r.variables = "I_bias, I_input";
  r.count = 40;
  r.interval_ms = 100;
  c.records = {r};
  MemoryWriter w, bias_file, input_file;
  {
    Simulation sim(c);
    sim.run(&w, nullptr, nullptr, {&bias_file, &input_file});
  }
  const auto& recorded = bias_file.reports.begin()->second.data;
  const auto& input = input_file.reports.begin()->second.data;
  ASSERT_EQ(recorded.size(), 5u * 40);
  std::vector<std::pair<double, int>> by_bias;
  std::map<std::uint64_t, int> counts;
  for (const auto& [t, id] : w.spikes.at("CTX")) ++counts[id];
  for (int i = 0; i < 40; ++i) {
    const double expected = biasCurrent(c.populations[0].bias, 42, rng::streamKey("CTX"), i);
    for (int row = 0; row < 5; ++row) {
      EXPECT_EQ(recorded[row * 40 + i], static_cast<float>(expected)) << i;
      EXPECT_EQ(input[row * 40 + i], recorded[row * 40 + i]) << i;
    }
    by_bias.emplace_back(expected, counts[i]);
  }
  std::sort(by_bias.begin(), by_bias.end());
  for (std::size_t k = 1; k < by_bias.size(); ++k) EXPECT_GE(by_bias[k].second, by_bias[k - 1].second) << k;
  EXPECT_GT(by_bias.back().second, by_bias.front().second) << "the spread shows in the rates";
}
