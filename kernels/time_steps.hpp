#pragma once
// Milliseconds to steps: the one conversion of a duration to a step count.

#include <cmath>
#include <cstdint>

namespace cbgtc {

/// Steps of `duration_ms` at `dt_ms`, rounded to nearest, in 64 bits.
/// Callers validate the range of what they store it in.
inline std::int64_t stepsOf(double duration_ms, double dt_ms) { return std::llround(duration_ms / dt_ms); }

}  // namespace cbgtc
