#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/ou_noise.hpp"
#include "kernels/rng.hpp"
#include "kernels/types.hpp"

#ifdef CBGTC_HAVE_RANDOM123
#include <Random123/philox.h>
#endif

using namespace cbgtc;

// Both ways of holding Philox's words: 32-bit (GPUs) and 64-bit (CPUs);
// philoxRounds10 is one of them, whichever this compiler pass takes.
rng::Philox4x32 philoxWith32BitWords(rng::Philox4x32 ctr, std::uint32_t k0, std::uint32_t k1) {
  return rng::Impl::philoxRounds10In<std::uint32_t>(ctr, k0, k1);
}
rng::Philox4x32 philoxWith64BitWords(rng::Philox4x32 ctr, std::uint32_t k0, std::uint32_t k1) {
  return rng::Impl::philoxRounds10In<std::uint64_t>(ctr, k0, k1);
}
using PhiloxFunction = rng::Philox4x32 (*)(rng::Philox4x32, std::uint32_t, std::uint32_t);
const PhiloxFunction philox_variants[] = {rng::philoxRounds10, philoxWith32BitWords, philoxWith64BitWords};

// Known-answer vectors published with Random123 (kat_vectors, philox4x32 with
// 10 rounds): counter, key -> output.
TEST(Philox, MatchesPublishedKnownAnswers) {
  struct Kat {
    std::uint32_t ctr[4], key[2], out[4];
  };
  const Kat kats[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
       {0xffffffff, 0xffffffff},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
       {0xa4093822, 0x299f31d0},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const PhiloxFunction philox : philox_variants)
    for (const auto& k : kats) {
      const auto r = philox(rng::Philox4x32{{k.ctr[0], k.ctr[1], k.ctr[2], k.ctr[3]}}, k.key[0], k.key[1]);
      for (int i = 0; i < 4; ++i) EXPECT_EQ(r.v[i], k.out[i]) << "word " << i;
    }
}

#ifdef CBGTC_HAVE_RANDOM123
TEST(Philox, MatchesRandom123) {
  r123::Philox4x32 reference;
  for (std::uint32_t i = 0; i < 1000; ++i) {
    const std::uint32_t c[4] = {i * 2654435761u, i, ~i, i ^ 0x5bd1e995u};
    const std::uint32_t key[2] = {i * 40503u + 7u, 0xdeadbeefu - i};
    r123::Philox4x32::ctr_type rc = {{c[0], c[1], c[2], c[3]}};
    r123::Philox4x32::key_type rk = {{key[0], key[1]}};
    const auto expected = reference(rc, rk);
    for (const PhiloxFunction philox : philox_variants) {
      const auto got = philox(rng::Philox4x32{{c[0], c[1], c[2], c[3]}}, key[0], key[1]);
      for (int w = 0; w < 4; ++w) ASSERT_EQ(got.v[w], expected.v[w]) << "counter " << i << " word " << w;
    }
  }
}
#endif

TEST(Philox, StreamsPopulationsAndBlocksDiffer) {
  const auto a = rng::randomBits(42, rng::Stream::InitialState, 0, 7, 0);
  const auto b = rng::randomBits(42, rng::Stream::Noise, 0, 7, 0);
  const auto c = rng::randomBits(42, rng::Stream::InitialState, 1, 7, 0);
  const auto d = rng::randomBits(42, rng::Stream::InitialState, 0, 7, 1);
  const auto e = rng::randomBits(43, rng::Stream::InitialState, 0, 7, 0);
  const auto f = rng::randomBits(42, rng::Stream::InitialState, 0, 7, std::uint64_t(1) << 32);
  for (const auto& other : {b, c, d, e, f}) EXPECT_NE(a.v[0], other.v[0]);
}

TEST(Philox, FirstNormalIsTheFirstOfFour) {
  for (std::uint32_t i = 0; i < 1000; ++i) {
    const auto bits = rng::randomBits(99, rng::Stream::Noise, 1, i, 12345);
    EXPECT_EQ(rng::firstNormal(bits), rng::normals(bits).v[0]);
  }
}

TEST(Philox, UniformIsInsideOpenInterval) {
  EXPECT_GT(rng::uniformOpen(0u), 0.0);
  EXPECT_LT(rng::uniformOpen(0xffffffffu), 1.0);
}

// Moments of the Box–Muller normals over 4·10^5 draws. Standard errors:
// mean 1/sqrt(n), variance sqrt(2/n), fourth moment sqrt(96/n); bounds are
// 5 standard errors so the test fails by chance about once in 10^6 runs.
TEST(Philox, NormalsHaveStandardMoments) {
  const int blocks = 100000;
  const double n = 4.0 * blocks;
  double s1 = 0, s2 = 0, s4 = 0;
  for (int i = 0; i < blocks; ++i) {
    const auto z = rng::normals(2024, rng::Stream::Noise, 3, static_cast<std::uint32_t>(i % 977),
                                static_cast<std::uint64_t>(i / 977));
    for (double x : z.v) {
      s1 += x;
      s2 += x * x;
      s4 += x * x * x * x;
    }
  }
  EXPECT_NEAR(s1 / n, 0.0, 5.0 / std::sqrt(n));
  EXPECT_NEAR(s2 / n, 1.0, 5.0 * std::sqrt(2.0 / n));
  EXPECT_NEAR(s4 / n, 3.0, 5.0 * std::sqrt(96.0 / n));
}

// The noise's normals (single-precision Box–Muller) have the same moments,
// and their tails: P(|z| > 3) = 0.0026998, binomial standard error.
TEST(Philox, SingleNormalsHaveStandardMoments) {
  const int blocks = 100000;
  const double n = 4.0 * blocks;
  double s1 = 0, s2 = 0, s4 = 0, beyond3 = 0;
  for (int i = 0; i < blocks; ++i) {
    const auto z =
        rng::normalsSingle(rng::randomBits(2024, rng::Stream::Noise, 3, static_cast<std::uint32_t>(i % 977),
                                           static_cast<std::uint64_t>(i / 977)));
    for (double x : z.v) {
      s1 += x;
      s2 += x * x;
      s4 += x * x * x * x;
      beyond3 += std::fabs(x) > 3;
    }
  }
  EXPECT_NEAR(s1 / n, 0.0, 5.0 / std::sqrt(n));
  EXPECT_NEAR(s2 / n, 1.0, 5.0 * std::sqrt(2.0 / n));
  EXPECT_NEAR(s4 / n, 3.0, 5.0 * std::sqrt(96.0 / n));
  const double p3 = 0.0026997961;
  EXPECT_NEAR(beyond3 / n, p3, 5.0 * std::sqrt(p3 * (1 - p3) / n));
}

// Each normal is Box–Muller's formula on its two float uniforms, evaluated
// in long double, to within 4·2^-23 of its radius: one ulp of the
// logarithm, half of the square root, two of the sine or cosine, half of the
// product, and the float 2π's and angle's roundings (the worst of 4·10^5
// normals is about 1.5). Against the radius, not the normal itself: at a
// zero of the cosine the reference is 1e-19 where the float one is 0.
TEST(Philox, SingleNormalsFollowTheirFormula) {
  constexpr long double two_pi = 6.283185307179586476925286766559005768L;
  double worst = 0;
  for (std::uint32_t i = 0; i < 100000; ++i) {
    const auto bits = rng::randomBits(5, rng::Stream::Noise, 9, i, 77);
    const auto z = rng::normalsSingle(bits);
    for (int pair = 0; pair < 2; ++pair) {
      const float u_a = static_cast<float>(bits.v[2 * pair]) * 0x1p-32f + 0x1p-33f;
      const float u_b = static_cast<float>(bits.v[2 * pair + 1]) * 0x1p-32f;
      const long double radius = std::sqrt(-2.0L * std::log(static_cast<long double>(u_a)));
      const long double angle = two_pi * static_cast<long double>(u_b);
      const long double ref[2] = {radius * std::cos(angle), radius * std::sin(angle)};
      for (int j = 0; j < 2; ++j) {
        const double error = std::fabs(static_cast<long double>(z.v[2 * pair + j]) - ref[j]);
        worst = std::max(worst, error / (4 * 0x1p-23 * static_cast<double>(radius) + 1e-30));
      }
    }
  }
  EXPECT_LT(worst, 1.0);
}

namespace {

// A free function: CUDA forbids extended lambdas inside a test body (a
// private member function of the generated test class).
Kokkos::View<double* [4], MemorySpace> normalsOnDevice(int n) {
  Kokkos::View<double* [4], MemorySpace> out("cbgtc::test::normals", n);
  Kokkos::parallel_for(
      "cbgtc::test::normals", Kokkos::RangePolicy<ExecutionSpace>(0, n), KOKKOS_LAMBDA(const int i) {
        const auto z = rng::normals(7, rng::Stream::InitialState, 2, static_cast<std::uint32_t>(i), 1);
        for (int k = 0; k < 4; ++k) out(i, k) = z.v[k];
      });
  return out;
}

Kokkos::View<double* [4], MemorySpace> singleNormalsOnDevice(int n) {
  Kokkos::View<double* [4], MemorySpace> out("cbgtc::test::single_normals", n);
  Kokkos::parallel_for(
      "cbgtc::test::single_normals", Kokkos::RangePolicy<ExecutionSpace>(0, n), KOKKOS_LAMBDA(const int i) {
        const auto z = noiseNormals(7, 2, i, 3);
        for (int k = 0; k < 4; ++k) out(i, k) = z.v[k];
      });
  return out;
}

}  // namespace

// The noise's normals have the same bits on every backend: their functions
// are the same polynomials on host and device, with no fused multiply-add.
TEST(Philox, NoiseNormalsOnDeviceAreTheHostsBitForBit) {
  const int n = 100000;
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), singleNormalsOnDevice(n));
  for (int i = 0; i < n; ++i) {
    const auto z = noiseNormals(7, 2, i, 3);
    for (int k = 0; k < 4; ++k) ASSERT_EQ(host(i, k), z.v[k]) << i << " " << k;
  }
}

// The generator is a pure function: a kernel on the default execution space
// gets the same numbers as the host.
TEST(Philox, DeviceMatchesHost) {
  const int n = 1000;
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), normalsOnDevice(n));
  for (int i = 0; i < n; ++i) {
    const auto z = rng::normals(7, rng::Stream::InitialState, 2, static_cast<std::uint32_t>(i), 1);
    // Bit-identical on CPU backends; GPU math libraries may differ in the last ulp.
    for (int k = 0; k < 4; ++k) EXPECT_NEAR(host(i, k), z.v[k], 1e-14 * (1 + std::fabs(z.v[k])));
  }
}
