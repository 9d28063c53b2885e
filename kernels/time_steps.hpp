#pragma once
// The one conversion of a time in ms to a whole number of steps. Every *_ms
// key that becomes a step count goes through stepsOf; the option checks
// (io/options.cpp, checkConsistency) make sure that each count also fits the
// type it is stored in.

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <stdexcept>

namespace cbgtc {

/// Largest step count stepsOf returns: 2^53, up to which a double holds
/// every whole number (so a count times dt gives its time back), far from
/// overflowing 64 bits when counts are added.
constexpr std::int64_t max_step_count = std::int64_t(1) << 53;

/// round(ms / dt_ms), halves away from zero; host code. Throws
/// std::out_of_range when the quotient is not finite or beyond
/// ±max_step_count, instead of wrapping around.
inline std::int64_t stepsOf(double ms, double dt_ms) {
  const double steps = std::round(ms / dt_ms);
  if (!(std::fabs(steps) <= static_cast<double>(max_step_count))) {
    char text[160];
    std::snprintf(text, sizeof text, "a time of %.6g ms is more than 2^53 steps of %.6g ms", ms, dt_ms);
    throw std::out_of_range(text);
  }
  return static_cast<std::int64_t>(steps);
}

}  // namespace cbgtc
