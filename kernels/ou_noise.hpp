#pragma once
// Ornstein–Uhlenbeck background current, one process per neuron, with the
// exact discretisation (model.md §5 gives the prototype's Euler–Maruyama):
//   x_{k+1} = μ + (x_k − μ)·e^{−dt/τ} + σ·sqrt(1 − e^{−2dt/τ})·ξ_k,
// ξ_k standard normal keyed by (seed, population, neuron, step k): the same
// numbers on every backend, thread count and decomposition. x_0 is drawn from
// the stationary distribution N(μ, σ²), so there is no ramp-up.

#include "kernels/rng.hpp"
#include "src/types.hpp"

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

/// Block of the noise stream reserved for the stationary initial draw (no
/// step ever reaches it).
constexpr std::uint64_t ou_initial_block = ~std::uint64_t(0);

KOKKOS_INLINE_FUNCTION real_type ouInitial(const OuParams& p, std::uint64_t seed, std::uint32_t population,
                                           index_type i) {
  if (!(p.sigma > 0)) return p.mu;
  const double z = rng::firstNormal(
      rng::randomBits(seed, rng::Stream::Noise, population, static_cast<std::uint32_t>(i), ou_initial_block));
  return p.mu + p.sigma * static_cast<real_type>(z);
}

/// x_k → x_{k+1}.
KOKKOS_INLINE_FUNCTION real_type ouAdvance(real_type x, const OuParams& p, std::uint64_t seed,
                                           std::uint32_t population, index_type i, step_type k) {
  real_type next = p.mu + (x - p.mu) * p.decay;
  if (p.sigma > 0) {
    const double z = rng::firstNormal(rng::randomBits(seed, rng::Stream::Noise, population,
                                                      static_cast<std::uint32_t>(i), static_cast<std::uint64_t>(k)));
    next += p.kick * static_cast<real_type>(z);
  }
  return next;
}

}  // namespace cbgtc
