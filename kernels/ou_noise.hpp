#pragma once
// Ornstein–Uhlenbeck background current, one process per neuron, with the
// exact discretisation (model.md §5 gives the prototype's Euler–Maruyama):
//   x_{k+1} = μ + (x_k − μ)·e^{−dt/τ} + σ·sqrt(1 − e^{−2dt/τ})·ξ_k,
// ξ_k standard normal keyed by (seed, population key, neuron, step k): ξ_k is
// normal k mod 4 of counter block k / 4, so one Philox call and two
// Box–Muller pairs serve four steps. The same numbers on every backend,
// thread count and decomposition. x_0 is drawn from the stationary
// distribution N(μ, σ²), so there is no ramp-up.

#include "kernels/lane_group.hpp"
#include "kernels/rng.hpp"
#include "kernels/types.hpp"

namespace cbgtc {

struct OuParams {
  real_type mu = 0;
  real_type sigma = 0;
  real_type decay = 1;  // e^{−dt/τ}
  real_type kick = 0;   // σ·sqrt(1 − e^{−2dt/τ})
  bool active = false;  // μ ≠ 0 or σ > 0

  static OuParams make(double tau_ms, double mu, double sigma, double dt_ms) {
    OuParams p;
    p.mu = static_cast<real_type>(mu);
    p.sigma = static_cast<real_type>(sigma);
    const double decay = std::exp(-dt_ms / tau_ms);
    p.decay = static_cast<real_type>(decay);
    p.kick = static_cast<real_type>(sigma * std::sqrt(-std::expm1(-2.0 * dt_ms / tau_ms)));
    p.active = mu != 0.0 || sigma > 0.0;
    return p;
  }
};

/// Block of the noise stream reserved for the stationary initial draw: the
/// last of the counter's 2^56 blocks (rng::randomBits), which no step reaches.
constexpr std::uint64_t ou_initial_block = (std::uint64_t{1} << 56) - 1;

KOKKOS_INLINE_FUNCTION real_type ouInitial(const OuParams& p, std::uint64_t seed, std::uint32_t key,
                                           index_type i) {
  if (!(p.sigma > 0)) return p.mu;
  const double z = rng::normalsSingle(rng::randomBits(seed, rng::Stream::Noise, key,
                                                      static_cast<std::uint32_t>(i), ou_initial_block))
                       .v[0];
  return p.mu + p.sigma * static_cast<real_type>(z);
}

/// The normals ξ_4b .. ξ_4b+3 of global neuron i's noise stream (block b).
KOKKOS_FORCEINLINE_FUNCTION rng::Normal4 noiseNormals(std::uint64_t seed, std::uint32_t key, index_type i,
                                                      std::uint64_t block) {
  return rng::normalsSingle(
      rng::randomBits(seed, rng::Stream::Noise, key, static_cast<std::uint32_t>(i), block));
}

/// The normals of one neuron's noise stream, four steps at a time. A thread
/// that advances a neuron through consecutive steps keeps one of these, so
/// each block is generated once; any other order gives the same numbers.
/// With a group of L lanes per neuron, lane q generates block L·m + q of
/// every run of L blocks m, and the lane that holds a step's block passes
/// its normal to the others: L times fewer generations per lane.
struct NoiseCache {
  rng::Normal4 z{};
  std::int64_t run = -1;  // m: blocks L·m .. L·m + L − 1 are held

  /// Steps are ≥ 0, so k / 4 and k % 4 are shifts and masks; and the value
  /// is selected, not indexed, so that z stays in registers on a GPU (a
  /// dynamically indexed array goes to local memory).
  template <int L = 1>
  KOKKOS_INLINE_FUNCTION double normal(std::uint64_t seed, std::uint32_t key, index_type i, step_type k,
                                       const LaneGroup<L>& group = LaneGroup<L>{}) {
    constexpr int log2_lanes = LaneGroup<L>::log2_size;
    const std::int64_t b = k >> 2;
    const std::int64_t m = b >> log2_lanes;
    if (m != run) {
      z = noiseNormals(seed, key, i, static_cast<std::uint64_t>((m << log2_lanes) + group.lane));
      run = m;
    }
    const int j = static_cast<int>(k & 3);
    const double mine = j == 0 ? z.v[0] : j == 1 ? z.v[1] : j == 2 ? z.v[2] : z.v[3];
    return group.fromLane(mine, static_cast<int>(b & (L - 1)));
  }
};

/// x_k → x_{k+1} given ξ_k = z (unused when σ = 0).
KOKKOS_FORCEINLINE_FUNCTION real_type ouStep(real_type x, const OuParams& p, double z) {
  real_type next = p.mu + (x - p.mu) * p.decay;
  if (p.sigma > 0) next += p.kick * static_cast<real_type>(z);
  return next;
}

/// x_k → x_{k+1}.
template <int L = 1>
KOKKOS_INLINE_FUNCTION real_type ouAdvance(real_type x, const OuParams& p, std::uint64_t seed,
                                           std::uint32_t key, index_type i, step_type k, NoiseCache& cache,
                                           const LaneGroup<L>& group = LaneGroup<L>{}) {
  return ouStep(x, p, p.sigma > 0 ? cache.normal(seed, key, i, k, group) : 0.0);
}

KOKKOS_INLINE_FUNCTION real_type ouAdvance(real_type x, const OuParams& p, std::uint64_t seed,
                                           std::uint32_t key, index_type i, step_type k) {
  NoiseCache cache;
  return ouAdvance(x, p, seed, key, i, k, cache);
}

}  // namespace cbgtc
