#pragma once
// exp, log and sin/cos of 2πu for the step kernels, written so that a loop
// over neurons vectorises on CPUs.
//
// glibc's exp/log/sin/cos are calls: a loop that contains one is not
// vectorised (libmvec's vector versions need -ffast-math, are 4 ulp, and
// would give a neuron different bits in a vector lane than in the scalar
// remainder of the loop). These are branch-free polynomials with integer
// bit manipulation, so the compiler turns a loop over lanes into vector
// code, and a neuron gets the same bits whichever lane or chunk it is in:
// results stay independent of thread and rank counts.
//
// Accuracy (tests/test_vector_lanes.cpp, against long-double libm): exp and
// log within 1 ulp, sinCosTwoPi within 2 ulp.
//
// On GPUs the vendor's functions are used: they are already per-thread
// vector code, and their figures in docs/performance.md were measured with them;
// and on CPUs without wide vectors glibc's (below). The single-precision
// functions at the end (the noise's normals) are the same polynomials
// everywhere.

#include <cstdint>
#include <cstring>

#include "kernels/kokkos_compat.hpp"

#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__) || defined(__SYCL_DEVICE_ONLY__)
#define CBGTC_DEVICE_PASS 1
#else
#define CBGTC_DEVICE_PASS 0
#endif

// The polynomials pay where the build targets wide vectors with FMA (AVX2,
// AVX-512: -DCBGTC_NATIVE_ARCH=ON or your own -march). For x86-64's
// baseline (SSE2: two doubles, no FMA, no 64-bit vector compare) the STN
// loop does not vectorise, and there glibc's table-driven functions beat a
// scalar polynomial (docs/performance.md, "On CPUs the step loop is
// vectorised"). Either way every lane and every chunk calls the same
// function, so results stay independent of the decomposition.
#if !CBGTC_DEVICE_PASS && (defined(__AVX2__) || defined(__AVX512F__))
#define CBGTC_POLYNOMIAL_MATH 1
#else
#define CBGTC_POLYNOMIAL_MATH 0
#endif

/// Before a loop over the lanes of a chunk of neurons whose iterations are
/// independent: lets the compiler vectorise it without proving that the
/// Views do not alias (needs -fopenmp-simd, which the build sets for GCC and
/// Clang except for HIP: src/CMakeLists.txt).
#if defined(_OPENMP) || defined(CBGTC_OPENMP_SIMD)
#define CBGTC_SIMD_LOOP _Pragma("omp simd")
#define CBGTC_SIMD_PRAGMA(text) _Pragma(#text)
/// Before a loop that adds into `var`: vector lanes keep partial sums,
/// added together at the end (a different order of the adds than one chain).
#define CBGTC_SIMD_SUM(var) CBGTC_SIMD_PRAGMA(omp simd reduction(+ : var))
#else
#define CBGTC_SIMD_LOOP
#define CBGTC_SIMD_SUM(var)
#endif

/// Short loops over a step's terms unrolled completely, so that a loop over
/// neurons around them stays a straight line the compiler can vectorise
/// (GCC's own limit leaves loops over long bodies rolled).
#if defined(__CUDACC__) || defined(__HIPCC__) || defined(__clang__)
#define CBGTC_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define CBGTC_UNROLL _Pragma("GCC unroll 16")
#else
#define CBGTC_UNROLL
#endif

/// The step kernels' point functions are forced inline: a call the
/// compiler declines to inline (the STN step is long) keeps the loop around
/// it scalar.
#if defined(__GNUC__) || defined(__clang__)
#define CBGTC_HOST_FORCEINLINE inline __attribute__((always_inline))
#else
#define CBGTC_HOST_FORCEINLINE inline
#endif

namespace cbgtc {

/// A hint to bring the cache line of p in for writing (host code): a copy
/// the core owns, so that a store to it need not ask for ownership again
/// (a line read and then overwritten, like a ring slot that is consumed).
inline void prefetchForWrite(const void* p) {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(p, 1, 3);
#else
  (void)p;
#endif
}

}  // namespace cbgtc

namespace cbgtc::vmath {

namespace Impl {

CBGTC_HOST_FORCEINLINE std::int64_t bitsOf(double x) {
  std::int64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}
CBGTC_HOST_FORCEINLINE double fromBits(std::int64_t b) {
  double x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

/// a·b + c, fused where the build targets a CPU with FMA. Explicit, because
/// the build turns the compiler's own contraction off: it fuses differently
/// in a vector loop's body and in its remainder, which would make a neuron's
/// bits depend on where it falls in a chunk, i.e. on the rank decomposition.
CBGTC_HOST_FORCEINLINE double mulAdd(double a, double b, double c) {
#if defined(__FMA__)
  return __builtin_fma(a, b, c);
#else
  return a * b + c;
#endif
}

/// 1.5·2^52: adding it rounds a double of magnitude < 2^51 to an integer,
/// which then sits in the low bits of the sum's representation.
constexpr double round_shifter = 6755399441055744.0;

/// e^x for |x| ≤ 700 (x is clamped there, or with Clamp false already
/// there; NaN stays NaN). x = n·ln2 + r
/// with |r| ≤ ln2/2 (Cody–Waite: ln2 in two parts, n·ln2_hi exact), e^r by
/// its Taylor polynomial to r^13 (truncation below 1e-17 relative), and 2^n
/// added to the exponent field. The polynomial is evaluated by Estrin's
/// scheme, pairs of terms combined by powers r² and r⁴: four dependent
/// steps instead of Horner's eleven, for one more multiplication. A model
/// with one exponential per step (AdEx) otherwise waits on that chain.
template <bool Clamp = true>
CBGTC_HOST_FORCEINLINE double expHost(double x) {
  constexpr double log2e = 1.4426950408889634074;
  constexpr double ln2_hi = 6.93147180369123816490e-01;  // 32 significant bits
  constexpr double ln2_lo = 1.90821492927058770002e-10;
  const double xc = !Clamp ? x : x < -700.0 ? -700.0 : (x > 700.0 ? 700.0 : x);
  const double shifted = xc * log2e + round_shifter;
  const double n = shifted - round_shifter;
  const double r = (xc - n * ln2_hi) - n * ln2_lo;
  const double r2 = r * r, r4 = r2 * r2;
  // p = 1/2! + r/3! + … + r^11/13!
  const double q0 = mulAdd(r, 1.0 / 6.0, 0.5);
  const double q1 = mulAdd(r, 1.0 / 120.0, 1.0 / 24.0);
  const double q2 = mulAdd(r, 1.0 / 5040.0, 1.0 / 720.0);
  const double q3 = mulAdd(r, 1.0 / 362880.0, 1.0 / 40320.0);
  const double q4 = mulAdd(r, 1.0 / 39916800.0, 1.0 / 3628800.0);
  const double q5 = mulAdd(r, 1.0 / 6227020800.0, 1.0 / 479001600.0);
  const double s0 = mulAdd(q1, r2, q0);
  const double s1 = mulAdd(q3, r2, q2);
  const double s2 = mulAdd(q5, r2, q4);
  const double p = mulAdd(mulAdd(s2, r4, s1), r4, s0);
  // 1 + r + r²·p: adding the small part last keeps the rounding of the
  // leading 1 + r from dominating.
  const double er = 1.0 + (r + r2 * p);
  const std::int64_t n_int = bitsOf(shifted) - bitsOf(round_shifter);
  const double result = fromBits(bitsOf(er) + (n_int << 52));
  return x != x ? x : result;
}

/// ln u for positive normal u. u = 2^e·m with m in [√½, √2); with
/// s = (m − 1)/(m + 1), ln m = 2·atanh s = 2s + 2s³/3 + …, |s| ≤ 0.1716,
/// summed as in fdlibm: f − ½f² + s·(½f² + R(s²)), f = m − 1.
CBGTC_HOST_FORCEINLINE double logHost(double u) {
  constexpr double ln2_hi = 6.93147180369123816490e-01;
  constexpr double ln2_lo = 1.90821492927058770002e-10;
  constexpr double sqrt2 = 1.41421356237309504880;
  const std::int64_t b = bitsOf(u);
  const double m1 = fromBits((b & 0x000FFFFFFFFFFFFFLL) | 0x3FF0000000000000LL);  // [1, 2)
  const bool upper = m1 > sqrt2;
  const double m = upper ? 0.5 * m1 : m1;
  // Biased exponent as a double, exactly: 2^52 + e_biased − 2^52.
  const double e = fromBits(0x4330000000000000LL | ((b >> 52) & 0x7FF)) - (4503599627370496.0 + 1023.0) +
                   (upper ? 1.0 : 0.0);
  const double f = m - 1.0;
  const double s = f / (2.0 + f);
  const double z = s * s;
  double R = 2.0 / 23;
  R = mulAdd(R, z, 2.0 / 21);
  R = mulAdd(R, z, 2.0 / 19);
  R = mulAdd(R, z, 2.0 / 17);
  R = mulAdd(R, z, 2.0 / 15);
  R = mulAdd(R, z, 2.0 / 13);
  R = mulAdd(R, z, 2.0 / 11);
  R = mulAdd(R, z, 2.0 / 9);
  R = mulAdd(R, z, 2.0 / 7);
  R = mulAdd(R, z, 2.0 / 5);
  R = mulAdd(R, z, 2.0 / 3);
  R = R * z;
  const double half_f2 = 0.5 * f * f;
  return e * ln2_hi - ((half_f2 - (s * (half_f2 + R) + e * ln2_lo)) - f);
}

/// sin and cos of 2π·u for u in [0, 1] with u a multiple of 2^-40 or
/// coarser (so the reduction below is exact): u = q/4 + t, |t| ≤ 1/8,
/// a = 2πt, Taylor polynomials on |a| ≤ π/4, rotated by q quarter turns.
CBGTC_HOST_FORCEINLINE void sinCosTwoPiHost(double u, double& sin_out, double& cos_out) {
  constexpr double two_pi = 6.283185307179586476925286766559;
  const double shifted = u * 4.0 + round_shifter;
  const double q = shifted - round_shifter;
  const double a = two_pi * (u - 0.25 * q);
  const double a2 = a * a;
  double ps = -1.0 / 1307674368000.0;  // −1/15!
  ps = mulAdd(ps, a2, 1.0 / 6227020800.0);
  ps = mulAdd(ps, a2, -1.0 / 39916800.0);
  ps = mulAdd(ps, a2, 1.0 / 362880.0);
  ps = mulAdd(ps, a2, -1.0 / 5040.0);
  ps = mulAdd(ps, a2, 1.0 / 120.0);
  ps = mulAdd(ps, a2, -1.0 / 6.0);
  const double s = a + a * a2 * ps;
  double pc = 1.0 / 20922789888000.0;  // 1/16!
  pc = mulAdd(pc, a2, -1.0 / 87178291200.0);
  pc = mulAdd(pc, a2, 1.0 / 479001600.0);
  pc = mulAdd(pc, a2, -1.0 / 3628800.0);
  pc = mulAdd(pc, a2, 1.0 / 40320.0);
  pc = mulAdd(pc, a2, -1.0 / 720.0);
  pc = mulAdd(pc, a2, 1.0 / 24.0);
  const double c = (1.0 - 0.5 * a2) + a2 * a2 * pc;
  const std::int64_t quadrant = (bitsOf(shifted) - bitsOf(round_shifter)) & 3;
  // (sin, cos) of a + q·π/2: q = 1 → (c, −s), 2 → (−s, −c), 3 → (−c, s).
  const double sin_a = quadrant == 0 ? s : quadrant == 1 ? c : quadrant == 2 ? -s : -c;
  const double cos_a = quadrant == 0 ? c : quadrant == 1 ? -s : quadrant == 2 ? -c : s;
  sin_out = sin_a;
  cos_out = cos_a;
}

}  // namespace Impl

KOKKOS_FORCEINLINE_FUNCTION double exp(double x) {
#if CBGTC_POLYNOMIAL_MATH
  return Impl::expHost(x);
#else
  return math::exp(x);
#endif
}

KOKKOS_FORCEINLINE_FUNCTION float exp(float x) {
#if CBGTC_POLYNOMIAL_MATH
  return static_cast<float>(Impl::expHost(x));
#else
  return math::exp(x);
#endif
}

/// e^x for x already in [−700, 700] (or NaN): exp without its clamp, for a
/// caller that clips its argument to a narrower range itself.
KOKKOS_FORCEINLINE_FUNCTION double expWithin700(double x) {
#if CBGTC_POLYNOMIAL_MATH
  return Impl::expHost<false>(x);
#else
  return math::exp(x);
#endif
}

KOKKOS_FORCEINLINE_FUNCTION float expWithin700(float x) {
#if CBGTC_POLYNOMIAL_MATH
  return static_cast<float>(Impl::expHost<false>(x));
#else
  return math::exp(x);
#endif
}

/// ln u, u positive and normal.
KOKKOS_FORCEINLINE_FUNCTION double log(double u) {
#if CBGTC_POLYNOMIAL_MATH
  return Impl::logHost(u);
#else
  return math::log(u);
#endif
}

/// sin(2πu) and cos(2πu), u in [0, 1] on a grid of 2^-40 or coarser.
KOKKOS_FORCEINLINE_FUNCTION void sinCosTwoPi(double u, double& s, double& c) {
#if CBGTC_POLYNOMIAL_MATH
  Impl::sinCosTwoPiHost(u, s, c);
#else
  constexpr double two_pi = 6.283185307179586476925286766559;
  s = math::sin(two_pi * u);
  c = math::cos(two_pi * u);
#endif
}

// Single precision, for the noise's normals (rng::boxMullerSingle): the same
// polynomials on every backend, host and device, without vendor functions
// or fused multiply-adds (the build contracts nothing: -ffp-contract=off,
// nvcc --fmad=false), so that every backend gives the same bits. A CPU's
// vectors hold twice as many floats as doubles.

KOKKOS_FORCEINLINE_FUNCTION std::int32_t singleBitsOf(float x) {
  std::int32_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}
KOKKOS_FORCEINLINE_FUNCTION float singleFromBits(std::int32_t b) {
  float x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

/// ln u for positive normal float u, as logHost: u = 2^e·m, m in [√½, √2),
/// the series of 2·atanh s to s^9 (truncation below 1e-9 relative, under
/// float's 6e-8), ln2 in two parts (fdlibm's logf: e·ln2_hi exact for
/// |e| < 128). Within one ulp (tests/test_vector_lanes.cpp).
KOKKOS_FORCEINLINE_FUNCTION float logSingle(float u) {
  constexpr float ln2_hi = 6.9313812256e-01f;
  constexpr float ln2_lo = 9.0580006145e-06f;
  constexpr float sqrt2 = 1.41421356237f;
  const std::int32_t b = singleBitsOf(u);
  const float m1 = singleFromBits((b & 0x007FFFFF) | 0x3F800000);  // [1, 2)
  const bool upper = m1 > sqrt2;
  const float m = upper ? 0.5f * m1 : m1;
  const float e = static_cast<float>(((b >> 23) & 0xFF) - 127 + (upper ? 1 : 0));
  const float f = m - 1.0f;
  const float s = f / (2.0f + f);
  const float z = s * s;
  const float R = z * (2.0f / 3 + z * (2.0f / 5 + z * (2.0f / 7 + z * (2.0f / 9))));
  const float half_f2 = 0.5f * f * f;
  return e * ln2_hi - ((half_f2 - (s * (half_f2 + R) + e * ln2_lo)) - f);
}

/// sin and cos of 2π·u for float u in [0, 1], as sinCosTwoPiHost (u·4
/// rounds to its quarter turn q exactly, and u − q/4 is exact); Taylor terms
/// to a^9 and a^10 on |a| ≤ π/4, truncation below 3e-9. Within two ulp.
KOKKOS_FORCEINLINE_FUNCTION void sinCosTwoPiSingle(float u, float& sin_out, float& cos_out) {
  constexpr float round_shifter_single = 12582912.0f;  // 1.5·2^23
  constexpr float two_pi = 6.28318530717958647692f;
  const float shifted = u * 4.0f + round_shifter_single;
  const float q = shifted - round_shifter_single;
  const float a = two_pi * (u - 0.25f * q);
  const float a2 = a * a;
  const float ps = -1.0f / 6 + a2 * (1.0f / 120 + a2 * (-1.0f / 5040 + a2 * (1.0f / 362880)));
  const float s = a + a * a2 * ps;
  const float pc = 1.0f / 24 + a2 * (-1.0f / 720 + a2 * (1.0f / 40320 + a2 * (-1.0f / 3628800)));
  const float c = (1.0f - 0.5f * a2) + a2 * a2 * pc;
  const std::int32_t quadrant = (singleBitsOf(shifted) - singleBitsOf(round_shifter_single)) & 3;
  sin_out = quadrant == 0 ? s : quadrant == 1 ? c : quadrant == 2 ? -s : -c;
  cos_out = quadrant == 0 ? c : quadrant == 1 ? -s : quadrant == 2 ? -c : s;
}

}  // namespace cbgtc::vmath
