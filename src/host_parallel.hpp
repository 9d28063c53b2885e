#pragma once
// Independent host work spread over threads: each index is given to one
// thread, which writes only its own results, so the results do not depend
// on the number of threads.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace cbgtc {

/// Calls work(i) once for every i in [0, n), on up to `threads` threads (the
/// calling one among them), taking indices in order as each becomes free.
/// The first exception thrown (by index) is rethrown once all have ended.
template <class Work>
void forEachIndex(std::size_t n, std::size_t threads, Work&& work) {
  threads = std::max<std::size_t>(1, std::min(threads, n));
  std::atomic<std::size_t> next{0};
  std::mutex failed_mutex;
  std::size_t failed_index = n;
  std::exception_ptr failure;
  const auto drain = [&] {
    for (std::size_t i = next++; i < n; i = next++) {
      try {
        work(i);
      } catch (...) {
        const std::lock_guard<std::mutex> lock(failed_mutex);
        if (i < failed_index) {
          failed_index = i;
          failure = std::current_exception();
        }
      }
    }
  };
  std::vector<std::thread> helpers;
  for (std::size_t t = 1; t < threads; ++t) {
    try {
      helpers.emplace_back(drain);
    } catch (const std::system_error&) {
      break;  // no more threads to be had: the ones there are do the work
    }
  }
  drain();
  for (std::thread& h : helpers) h.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace cbgtc
