// Single-neuron references of docs/model.md §2.9 and §3.5, run the
// way a user runs them: the cbgtc executable on the decks in input/, spikes
// read back from the output file.

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <set>
#include <string>

#include "kernels/types.hpp"
#include "tests/cli_helpers.hpp"

using namespace cbgtc::test;

namespace {

// Float builds may move a spike across the 500 ms edge.
const int count_tolerance = std::is_same_v<cbgtc::real_type, double> ? 0 : 1;

Spikes runDeck(const TempDir& dir, const std::string& deck, const std::string& pop,
               const std::string& extra = "") {
  const auto file = (dir / "out.h5").string();
  const auto r = runCbgtc("--config '" + inputDeck(deck) + "' --output.file='" + file +
                              "' --output.overwrite=true " + extra,
                          dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // The single-neuron decks hold only their one population, and so does the
  // output file.
#ifdef CBGTC_ENABLE_HDF5
  EXPECT_EQ(spikePopulations(file), std::set<std::string>{pop}) << deck;
#else
  for (const auto& other : spikePopulations(file)) EXPECT_EQ(other, pop) << deck;
#endif
  EXPECT_NE(r.out.find(": " + pop + " 1 neurons;"), std::string::npos) << r.out;
  return readSpikes(file, pop);
}

std::vector<double> intervals(const std::vector<double>& t) {
  std::vector<double> isi;
  for (std::size_t k = 1; k < t.size(); ++k) isi.push_back(t[k] - t[k - 1]);
  return isi;
}

// Population (ddof 0) coefficient of variation, as the prototype computes it.
double cv(const std::vector<double>& isi) {
  const double mean = std::accumulate(isi.begin(), isi.end(), 0.0) / isi.size();
  double var = 0;
  for (double x : isi) var += (x - mean) * (x - mean);
  return std::sqrt(var / isi.size()) / mean;
}

}  // namespace

TEST(ReferenceNeurons, StnAt42FiresAt20HzWithReferenceSpikeTimes) {
  TempDir dir;
  const Spikes s = runDeck(dir, "single_stn.ini", "STN");
  EXPECT_NEAR(static_cast<double>(s.times_ms.size()) / 0.5, 20.0, 2.0 * count_tolerance);
  const double first[] = {0.38, 23.7, 46.1, 74.3, 115.0, 171.5};
  ASSERT_GE(s.times_ms.size(), 6u);
  for (int k = 0; k < 6; ++k) EXPECT_NEAR(s.times_ms[k], first[k], 0.1) << "spike " << k;
  EXPECT_NEAR(cv(intervals(s.times_ms)), 0.454, 0.005);
  for (auto id : s.node_ids) EXPECT_EQ(id, 0u);
}

struct IstnCase {
  double ISTN, rate_hz, cv;  // cv < 0: not defined (fewer than 3 spikes)
};

class ReferenceNeuronsStnTable : public ::testing::TestWithParam<IstnCase> {};

TEST_P(ReferenceNeuronsStnTable, RateAndCvMatchTable) {
  const IstnCase c = GetParam();
  TempDir dir;
  const Spikes s = runDeck(dir, "single_stn.ini", "STN", "--population.STN.ISTN=" + std::to_string(c.ISTN));
  EXPECT_NEAR(static_cast<double>(s.times_ms.size()) / 0.5, c.rate_hz, 2.0 * count_tolerance);
  if (c.cv >= 0) EXPECT_NEAR(cv(intervals(s.times_ms)), c.cv, 0.01);
}

// model.md §2.9: spikes in the first 500 ms divided by 0.5 s.
INSTANTIATE_TEST_SUITE_P(ModelTable, ReferenceNeuronsStnTable,
                         ::testing::Values(IstnCase{0, 2, -1}, IstnCase{20, 8, 0.55}, IstnCase{30, 14, 0.50},
                                           IstnCase{42, 20, 0.454}, IstnCase{60, 30, 0.34},
                                           IstnCase{80, 40, 0.29}, IstnCase{117, 60, 0.23}));

TEST(ReferenceNeurons, StnWithoutDriveFiresOnceAt35ms) {
  TempDir dir;
  const Spikes s = runDeck(dir, "single_stn.ini", "STN", "--population.STN.ISTN=0");
  ASSERT_EQ(s.times_ms.size(), 1u);
  EXPECT_NEAR(s.times_ms[0], 35.85, 0.1);
}

// model.md §3.5: GPe 62.0 Hz with steady ISI 16.1 ms, GPi 70.0 Hz with 13.9 ms.
TEST(ReferenceNeurons, GpeFiresAt62HzWithSteadyIsi) {
  TempDir dir;
  const Spikes s = runDeck(dir, "single_gpe.ini", "GPe");
  EXPECT_NEAR(static_cast<double>(s.times_ms.size()) / 0.5, 62.0, 2.0 * count_tolerance);
  const auto isi = intervals(s.times_ms);
  ASSERT_FALSE(isi.empty());
  EXPECT_NEAR(isi.back(), 16.1, 0.05);
  EXPECT_NEAR(cv(isi), 0.005, 0.005);
}

TEST(ReferenceNeurons, GpiFiresAt70HzWithSteadyIsi) {
  TempDir dir;
  const Spikes s = runDeck(dir, "single_gpi.ini", "GPi");
  EXPECT_NEAR(static_cast<double>(s.times_ms.size()) / 0.5, 70.0, 2.0 * count_tolerance);
  const auto isi = intervals(s.times_ms);
  ASSERT_FALSE(isi.empty());
  EXPECT_NEAR(isi.back(), 13.9, 0.05);
  EXPECT_LT(cv(isi), 0.01);
}
