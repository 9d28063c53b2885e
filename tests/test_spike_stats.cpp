#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "src/analysis/spike_stats.hpp"

using namespace cbgtc::analysis;

TEST(MeanIsiCv, RegularTrainIsZero) {
  std::vector<double> train;
  for (int i = 0; i < 50; ++i) train.push_back(5.0 + 10.0 * i);
  EXPECT_EQ(meanIsiCv({train}), 0.0);
  // Spike times on a dt = 0.025 ms grid: intervals differ only by rounding.
  std::vector<double> grid;
  for (int i = 0; i < 50; ++i) grid.push_back(0.025 * (37 * i));
  EXPECT_NEAR(meanIsiCv({grid}), 0.0, 1e-12);
}

// ISIs {10, 20}: mean 15, population std 5, CV = 1/3.
TEST(MeanIsiCv, TwoIntervalsGiveAnalyticCv) {
  EXPECT_DOUBLE_EQ(meanIsiCv({{0.0, 10.0, 30.0}}), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(meanIsiCv({{30.0, 0.0, 10.0}}), 1.0 / 3.0);  // unsorted input
  // Mean over neurons: (1/3 + 0) / 2.
  EXPECT_DOUBLE_EQ(meanIsiCv({{0.0, 10.0, 30.0}, {1.0, 2.0, 3.0, 4.0}}), 1.0 / 6.0);
}

// A 2-spike neuron has std(ISI) = 0; counting it as CV = 0 (the prototype,
// model.md D8) would halve the mean here.
TEST(MeanIsiCv, TwoSpikeNeuronsAreExcluded) {
  EXPECT_DOUBLE_EQ(meanIsiCv({{0.0, 10.0, 30.0}, {5.0, 50.0}, {}, {7.0}}), 1.0 / 3.0);
  // Asking for the prototype's rule explicitly brings them back.
  EXPECT_DOUBLE_EQ(meanIsiCv({{0.0, 10.0, 30.0}, {5.0, 50.0}}, 2), 1.0 / 6.0);
}

TEST(MeanIsiCv, NoQualifyingNeuronIsNan) {
  EXPECT_TRUE(std::isnan(meanIsiCv({})));
  EXPECT_TRUE(std::isnan(meanIsiCv({{1.0, 2.0}, {}, {3.0}})));
  EXPECT_TRUE(std::isnan(meanIsiCv({{0.0, 10.0, 30.0}}, 4)));
  EXPECT_TRUE(std::isnan(meanIsiCv({{4.0, 4.0, 4.0}})));  // coincident spikes: mean ISI 0
}

TEST(FiringRateHz, SimpleCases) {
  EXPECT_DOUBLE_EQ(firingRateHz(100, 10, 1000.0), 10.0);
  EXPECT_DOUBLE_EQ(firingRateHz(30, 100, 300.0), 1.0);
  EXPECT_DOUBLE_EQ(firingRateHz(0, 100, 500.0), 0.0);
  EXPECT_DOUBLE_EQ(firingRateHz(7, 1, 250.0), 28.0);
  EXPECT_EQ(firingRateHz(5, 0, 1000.0), 0.0);
  EXPECT_EQ(firingRateHz(5, 10, 0.0), 0.0);
  EXPECT_THROW(firingRateHz(5, -1, 1000.0), std::invalid_argument);
  EXPECT_THROW(firingRateHz(5, 10, -1.0), std::invalid_argument);
}
