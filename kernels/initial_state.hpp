#pragma once
// Initial states drawn from the counter-based generator keyed by
// (seed, population, neuron index): independent of thread count, backend and
// decomposition. The prototype used NumPy's sequential PCG64 (model.md §2.8,
// §3.4); the distributions are the same, the draws are not.

#include "kernels/adex.hpp"
#include "kernels/rng.hpp"
#include "kernels/stn_hh.hpp"

namespace cbgtc {

namespace Impl {
/// base + N(0, (relative_sd·|base|)²), given a standard normal z.
KOKKOS_INLINE_FUNCTION real_type relativeDraw(real_type base, real_type relative_sd, double z) {
  return base + real_type(z) * relative_sd * math::fabs(base);
}
}  // namespace Impl

KOKKOS_INLINE_FUNCTION stn::StnState stnInitialState(const stn::StnInit& init, std::uint64_t seed,
                                                     std::uint32_t population, index_type i) {
  const auto z0 = rng::normals(seed, rng::Stream::InitialState, population, i, 0);
  const auto z1 = rng::normals(seed, rng::Stream::InitialState, population, i, 1);
  const real_type het = init.heterogeneity;
  stn::StnState x;
  x.V = Impl::relativeDraw(init.V, het, z0.v[0]);
  x.n = math::clamp(Impl::relativeDraw(init.n, het, z0.v[1]), real_type(0), real_type(1));
  x.h = math::clamp(Impl::relativeDraw(init.h, het, z0.v[2]), real_type(0), real_type(1));
  x.r = math::clamp(Impl::relativeDraw(init.r, het, z0.v[3]), real_type(0), real_type(1));
  x.Ca = math::fmax(Impl::relativeDraw(init.Ca, het, z1.v[0]), real_type(0));
  x.last_spike_step = stn::no_spike_step;
  return x;
}

KOKKOS_INLINE_FUNCTION adex::AdExState adexInitialState(const adex::AdExInit& init, std::uint64_t seed,
                                                        std::uint32_t population, index_type i) {
  const auto z = rng::normals(seed, rng::Stream::InitialState, population, i, 0);
  adex::AdExState x;
  x.V = init.V + real_type(z.v[0]) * init.V_sd;
  x.w = init.w + real_type(z.v[1]) * init.w_sd;
  x.refractory_steps_left = 0;
  return x;
}

}  // namespace cbgtc
