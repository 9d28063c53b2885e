// The error index (src/analysis/relay.hpp) on spike trains whose
// classification is known by construction.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "src/analysis/relay.hpp"

using namespace cbgtc::analysis;

// Pulses every 50 ms from 0 to 950; window 25 ms; counted from 100 ms.
TEST(Relay, ClassifiesEachPulseResponse) {
  std::vector<double> onsets;
  for (int p = 0; p < 20; ++p) onsets.push_back(50.0 * p);
  std::vector<double> spikes;
  for (int p = 0; p < 20; ++p) {
    const double t = 50.0 * p;
    if (p == 4) continue;                                       // a miss
    spikes.push_back(t + 3);                                    // the response
    if (p == 6) spikes.push_back(t + 10);                       // a burst (two in the window)
    if (p == 8) spikes.push_back(t + 30);                       // a spurious spike
    if (p == 9) spikes.insert(spikes.end(), {t + 30, t + 40});  // two spurious spikes
  }
  spikes.push_back(80);  // spurious, but before from_ms: not counted
  std::sort(spikes.begin(), spikes.end());
  const auto e = relayErrors(onsets, spikes, 25, 100, 1000);
  EXPECT_EQ(e.pulses, 18);
  EXPECT_EQ(e.misses, 1);
  EXPECT_EQ(e.bursts, 1);
  EXPECT_EQ(e.spurious, 3);
  EXPECT_DOUBLE_EQ(e.index(), 5.0 / 18);
}

// A pulse whose window would run past the end is not counted; a spike in
// the window of one pulse is never spurious for the previous one.
TEST(Relay, WindowsAndIntervalsAtTheEdges) {
  const std::vector<double> onsets = {0, 20, 990};
  const auto e = relayErrors(onsets, {21}, 25, 0, 1000);
  EXPECT_EQ(e.pulses, 2);
  EXPECT_EQ(e.misses, 1);  // pulse at 0: its window is cut at the next pulse (20 ms)
  EXPECT_EQ(e.spurious, 0);
  EXPECT_DOUBLE_EQ(e.index(), 0.5);
}

// The population index is the mean of the cells' indices; NaN without
// pulses or cells.
TEST(Relay, PopulationIndexIsTheMeanOverCellsAndNanWhenUndefined) {
  const std::vector<double> onsets = {0, 100, 200, 300};
  const std::vector<std::vector<double>> cells = {{5, 105, 205, 305}, {5, 205, 305}, {}};
  EXPECT_DOUBLE_EQ(errorIndex(onsets, cells, 25, 0, 400), (0 + 0.25 + 1.0) / 3);
  EXPECT_TRUE(std::isnan(errorIndex({}, cells, 25, 0, 400)));
  EXPECT_TRUE(std::isnan(errorIndex(onsets, {}, 25, 0, 400)));
}
