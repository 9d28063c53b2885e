#pragma once
// Everything that drives one population (the block of it this rank owns)
// from outside in a step: synaptic conductances and the OU background
// current.

#include "kernels/ou_noise.hpp"
#include "kernels/synapse.hpp"

namespace cbgtc {

template <class MemorySpace>
struct PopulationDrive {
  SynapticInputs<MemorySpace> synapses;
  OuParams noise;
  Kokkos::View<real_type*, MemorySpace> ou;            // x_k per neuron (empty when noise is off)
  std::uint64_t seed = 0;
  std::uint32_t population = 0;
  index_type first_global = 0;                         // global index of local neuron 0

  /// Net input current of neuron i in step k (positive depolarising): OU
  /// noise x_k minus the synaptic current at V_k. Advances the OU process;
  /// abs_syn receives Σ|I_syn| (the neuron's share of the LFP proxy).
  KOKKOS_INLINE_FUNCTION real_type inputCurrent(index_type i, step_type k, real_type V, real_type& abs_syn,
                                                NoiseCache& cache) const {
    real_type I = -synapses.current(i, k, V, abs_syn);
    if (noise.active) {
      const real_type x = ou(i);
      I += x;
      ou(i) = ouAdvance(x, noise, seed, population, first_global + i, k, cache);
    }
    return I;
  }
};

/// A drive with no synapses and no noise.
template <class MemorySpace>
PopulationDrive<MemorySpace> quietDrive() {
  return PopulationDrive<MemorySpace>{};
}

}  // namespace cbgtc
