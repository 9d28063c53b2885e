#pragma once
// Counter-based random numbers: Philox4x32-10 (Salmon et al., "Parallel
// random numbers: as easy as 1, 2, 3", SC'11), the generator of Random123.
//
// Every random number in cbgtc is a pure function of (seed, stream, key,
// index, block): no generator state, no pool. A neuron's initial
// state, its noise at step k, or a target's connections are therefore the
// same whatever the thread count, backend or (later) MPI decomposition.

#include <cstdint>

#include "kernels/vectorizable_math.hpp"
#include "kernels/kokkos_compat.hpp"

namespace cbgtc::rng {

/// What a random number is for; keeps the streams of different purposes
/// independent even for equal (key, index, block).
enum class Stream : std::uint32_t {
  InitialState = 1,
  Noise = 2,
  Connectivity = 3,
  Weights = 4,
  Delays = 5,
  SpikeSource = 6,
  StimulusTargets = 7,
  AxonalActivation = 8,
  Placement = 9,
  Heterogeneity = 10,
  PulseIntervals = 11,
  SourceRate = 12,
};

struct Philox4x32 {
  std::uint32_t v[4];
};

namespace Impl {

/// Philox4x32's 10 rounds with its four 32-bit words held in Word:
/// std::uint32_t, or std::uint64_t with only the low 32 bits meaningful.
/// The same numbers either way. With 64-bit words, a loop over neurons
/// vectorises to lane-wise 32x32 -> 64-bit multiplies, with no shuffles to
/// split the products into 32-bit halves and gather the halves again.
template <class Word>
KOKKOS_FORCEINLINE_FUNCTION Philox4x32 philoxRounds10In(Philox4x32 ctr, std::uint32_t k0, std::uint32_t k1) {
  constexpr std::uint64_t m0 = 0xD2511F53u, m1 = 0xCD9E8D57u;
  constexpr std::uint32_t w0 = 0x9E3779B9u, w1 = 0xBB67AE85u;
  Word v0 = ctr.v[0], v1 = ctr.v[1], v2 = ctr.v[2], v3 = ctr.v[3];
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += w0;
      k1 += w1;
    }
    const std::uint64_t p0 = m0 * static_cast<std::uint32_t>(v0);
    const std::uint64_t p1 = m1 * static_cast<std::uint32_t>(v2);
    v0 = static_cast<Word>(p1 >> 32) ^ v1 ^ k0;
    v1 = static_cast<Word>(p1);
    v2 = static_cast<Word>(p0 >> 32) ^ v3 ^ k1;
    v3 = static_cast<Word>(p0);
  }
  return Philox4x32{{static_cast<std::uint32_t>(v0), static_cast<std::uint32_t>(v1),
                     static_cast<std::uint32_t>(v2), static_cast<std::uint32_t>(v3)}};
}

}  // namespace Impl

/// The Philox4x32 bijection with 10 rounds: 4x32-bit counter, 2x32-bit key.
/// GPUs multiply 32-bit words (a 64-bit multiply is several instructions
/// there); CPUs hold them in 64-bit words (Impl::philoxRounds10In).
KOKKOS_FORCEINLINE_FUNCTION Philox4x32 philoxRounds10(Philox4x32 ctr, std::uint32_t k0, std::uint32_t k1) {
#if CBGTC_DEVICE_PASS
  return Impl::philoxRounds10In<std::uint32_t>(ctr, k0, k1);
#else
  return Impl::philoxRounds10In<std::uint64_t>(ctr, k0, k1);
#endif
}

/// Four random 32-bit words for (seed, stream, key, index, block). key
/// names what the numbers belong to: a population's or a projection's
/// streamKey, 32 bits; block is e.g. a step's noise block or a draw counter,
/// below 2^56 (its top byte holds the stream).
KOKKOS_FORCEINLINE_FUNCTION Philox4x32 randomBits(std::uint64_t seed, Stream stream,
                                             std::uint32_t key,
                                             std::uint32_t index,
                                             std::uint64_t block) {
  const Philox4x32 ctr{{index, key, static_cast<std::uint32_t>(block),
                        (static_cast<std::uint32_t>(block >> 32) & 0xFFFFFFu) |
                            (static_cast<std::uint32_t>(stream) << 24)}};
  return philoxRounds10(ctr, static_cast<std::uint32_t>(seed),
                    static_cast<std::uint32_t>(seed >> 32));
}

/// The random key of a named thing (population, projection): FNV-1a of the
/// name, so that a population's numbers depend on its name only, not on its
/// position in the deck or on the other populations.
constexpr std::uint32_t streamKey(const char* name) {
  std::uint32_t h = 2166136261u;
  for (; *name != 0; ++name) h = (h ^ static_cast<std::uint8_t>(*name)) * 16777619u;
  return h;
}

/// Uniform in the open interval (0, 1), resolution 2^-32.
KOKKOS_FORCEINLINE_FUNCTION double uniformOpen(std::uint32_t bits) {
  return (static_cast<double>(bits) + 0.5) * (1.0 / 4294967296.0);
}

struct Normal4 {
  double v[4];
};

/// Box–Muller: two independent standard normals from two uniform words.
KOKKOS_FORCEINLINE_FUNCTION void boxMuller(std::uint32_t a, std::uint32_t b, double& z0, double& z1) {
  const double radius = math::sqrt(-2.0 * vmath::log(uniformOpen(a)));
  double s, c;
  vmath::sinCosTwoPi(uniformOpen(b), s, c);
  z0 = radius * c;
  z1 = radius * s;
}

/// Four independent standard normals (Box–Muller on two pairs of uniforms).
/// Computed in double whatever the real type, so float builds see the same
/// numbers rounded once. Written out, not as a loop over the pairs, so that
/// a loop over neurons around it vectorises.
KOKKOS_FORCEINLINE_FUNCTION Normal4 normals(const Philox4x32& bits) {
  Normal4 out;
  boxMuller(bits.v[0], bits.v[1], out.v[0], out.v[1]);
  boxMuller(bits.v[2], bits.v[3], out.v[2], out.v[3]);
  return out;
}

/// Box–Muller in single precision (the OU noise's normals, docs/model.md
/// §10): u_a = float(a)·2^-32 + 2^-33 and u_b = float(b)·2^-32 in float
/// arithmetic, the logarithm, square root, sine and cosine in float, which a
/// CPU's vectors hold twice as many of. The radius reaches 6.76 (u_a = 2^-33) as in
/// double; u_a rounds to 1 only for a ≥ 2^32 − 2^7, giving radius 0.
KOKKOS_FORCEINLINE_FUNCTION void boxMullerSingle(std::uint32_t a, std::uint32_t b, double& z0, double& z1) {
  const float u_a = static_cast<float>(a) * 0x1p-32f + 0x1p-33f;
  const float u_b = static_cast<float>(b) * 0x1p-32f;
  const float radius = math::sqrt(-2.0f * vmath::logSingle(u_a));
  float s, c;
  vmath::sinCosTwoPiSingle(u_b, s, c);
  z0 = static_cast<double>(radius * c);
  z1 = static_cast<double>(radius * s);
}

/// Four normals from boxMullerSingle on two pairs of uniforms.
KOKKOS_FORCEINLINE_FUNCTION Normal4 normalsSingle(const Philox4x32& bits) {
  Normal4 out;
  boxMullerSingle(bits.v[0], bits.v[1], out.v[0], out.v[1]);
  boxMullerSingle(bits.v[2], bits.v[3], out.v[2], out.v[3]);
  return out;
}

/// The first of the four normals of normals(bits), alone: one logarithm, one
/// square root and one cosine instead of two of each plus two sines. For
/// streams that need one number per counter (noise per neuron and step).
KOKKOS_FORCEINLINE_FUNCTION double firstNormal(const Philox4x32& bits) {
  double s, c;
  vmath::sinCosTwoPi(uniformOpen(bits.v[1]), s, c);
  return math::sqrt(-2.0 * vmath::log(uniformOpen(bits.v[0]))) * c;
}

KOKKOS_FORCEINLINE_FUNCTION Normal4 normals(std::uint64_t seed, Stream stream,
                                       std::uint32_t key, std::uint32_t index,
                                       std::uint64_t block) {
  return normals(randomBits(seed, stream, key, index, block));
}

/// A sequence of uniforms for one (seed, stream, key, index): block b
/// of the counter yields draws 4b..4b+3. Lets a loop of unknown length (a
/// target's Bernoulli trials) consume as many numbers as it needs while
/// staying a pure function of its key.
class UniformSequence {
 public:
  KOKKOS_INLINE_FUNCTION UniformSequence(std::uint64_t seed, Stream stream, std::uint32_t key,
                                         std::uint32_t index)
      : _seed(seed), _stream(stream), _key(key), _index(index) {}

  KOKKOS_INLINE_FUNCTION double next() {
    if (_used == 4) {
      _bits = randomBits(_seed, _stream, _key, _index, _block++);
      _used = 0;
    }
    return uniformOpen(_bits.v[_used++]);
  }

 private:
  std::uint64_t _seed;
  Stream _stream;
  std::uint32_t _key, _index;
  std::uint64_t _block = 0;
  Philox4x32 _bits{{0, 0, 0, 0}};
  int _used = 4;
};

}  // namespace cbgtc::rng
