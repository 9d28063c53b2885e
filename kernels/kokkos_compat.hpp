#pragma once
// The one place that knows the difference between Kokkos 3.4 (Debian 12) and
// Kokkos 4.x. Everything else writes to the subset both share and calls
// cbgtc::math:: instead of Kokkos:: / Kokkos::Experimental:: math.

#include <string>

#include <Kokkos_Core.hpp>

// Kokkos 3.4 has only KOKKOS_VERSION (e.g. 30401); 4.x adds _MAJOR/_MINOR.
#define CBGTC_KOKKOS_AT_LEAST_4 (KOKKOS_VERSION >= 40000)

namespace cbgtc::math {

#if CBGTC_KOKKOS_AT_LEAST_4
using Kokkos::cos;
using Kokkos::exp;
using Kokkos::expm1;
using Kokkos::fabs;
using Kokkos::floor;
using Kokkos::fmax;
using Kokkos::fmin;
using Kokkos::log;
using Kokkos::sin;
using Kokkos::sqrt;
#else
using Kokkos::Experimental::cos;
using Kokkos::Experimental::exp;
using Kokkos::Experimental::expm1;
using Kokkos::Experimental::fabs;
using Kokkos::Experimental::floor;
using Kokkos::Experimental::fmax;
using Kokkos::Experimental::fmin;
using Kokkos::Experimental::log;
using Kokkos::Experimental::sin;
using Kokkos::Experimental::sqrt;
#endif

template <class T>
KOKKOS_INLINE_FUNCTION constexpr T clamp(T x, T lo, T hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

/// max(x, lo) as a select: std::fmax(x, lo) for a lo that is not NaN (NaN x
/// gives lo), but vectorisable: x86 has no instruction with fmax's NaN
/// rule, so a loop that calls fmax stays scalar.
template <class T>
KOKKOS_INLINE_FUNCTION constexpr T atLeast(T x, T lo) {
  return x > lo ? x : lo;
}

}  // namespace cbgtc::math

namespace cbgtc {

/// A policy for the kernels of the step loop. On CUDA, Kokkos passes a
/// functor over 512 bytes through constant memory, and each such launch
/// waits for the previous one to finish before overwriting it
/// (docs/performance.md, "Launch latency"). Light-weight launches pass
/// functors of up to 4 KB as kernel arguments instead, so launches queue.
template <class Policy>
auto lightweight(const Policy& policy) {
  return Kokkos::Experimental::require(policy, Kokkos::Experimental::WorkItemProperty::HintLightWeight);
}


}  // namespace cbgtc
