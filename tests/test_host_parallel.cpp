#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>

#include "src/host_parallel.hpp"

namespace cbgtc {
namespace {

// Every index once, for any number of threads, more threads than work
// included.
TEST(HostParallel, EachIndexIsDoneOnce) {
  for (std::size_t n : {0u, 1u, 2u, 7u, 64u})
    for (std::size_t threads : {0u, 1u, 2u, 3u, 100u}) {
      std::vector<std::atomic<int>> done(n);
      forEachIndex(n, threads, [&](std::size_t i) { ++done[i]; });
      for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(done[i].load(), 1) << "n " << n << " threads " << threads;
    }
}

// A failure does not stop the other indices, and the one rethrown is the
// lowest index's, whatever thread finished first.
TEST(HostParallel, TheFirstIndexsFailureIsRethrownAfterAllEnd) {
  for (std::size_t threads : {1u, 4u}) {
    std::vector<std::atomic<int>> done(20);
    try {
      forEachIndex(done.size(), threads, [&](std::size_t i) {
        ++done[i];
        if (i == 5 || i == 13) throw std::runtime_error("index " + std::to_string(i));
      });
      ADD_FAILURE() << "nothing thrown";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "index 5");
    }
    for (std::size_t i = 0; i < done.size(); ++i) EXPECT_EQ(done[i].load(), 1) << i;
  }
}

}  // namespace
}  // namespace cbgtc
