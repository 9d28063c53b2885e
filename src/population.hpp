#pragma once
// Neuron populations as structures of arrays: one View per state variable,
// so a kernel over neurons reads each variable contiguously.

#include <string>

#include "kernels/adex.hpp"
#include "kernels/stn_hh.hpp"
#include "src/types.hpp"

namespace cbgtc {

/// Population ids key the random streams; never renumber them.
enum class PopulationId : std::uint32_t { STN = 0, GPe = 1, GPi = 2 };

inline const char* populationName(PopulationId id) {
  switch (id) {
    case PopulationId::STN: return "STN";
    case PopulationId::GPe: return "GPe";
    case PopulationId::GPi: return "GPi";
  }
  return "?";
}

template <class MemorySpace>
struct StnPopulation {
  using memory_space = MemorySpace;
  template <class T>
  using view = Kokkos::View<T*, MemorySpace>;

  view<real_type> V, n, h, r, Ca;
  view<step_type> last_spike_step;

  StnPopulation() = default;
  explicit StnPopulation(index_type size)
      : V(Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::STN::V"), size),
        n(Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::STN::n"), size),
        h(Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::STN::h"), size),
        r(Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::STN::r"), size),
        Ca(Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::STN::Ca"), size),
        last_spike_step(Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::STN::last_spike_step"),
                        size) {}

  index_type size() const { return static_cast<index_type>(V.extent(0)); }

  KOKKOS_INLINE_FUNCTION stn::StnState load(index_type i) const {
    return stn::StnState{V(i), n(i), h(i), r(i), Ca(i), last_spike_step(i)};
  }
  KOKKOS_INLINE_FUNCTION void store(index_type i, const stn::StnState& x) const {
    V(i) = x.V;
    n(i) = x.n;
    h(i) = x.h;
    r(i) = x.r;
    Ca(i) = x.Ca;
    last_spike_step(i) = x.last_spike_step;
  }
};

template <class MemorySpace>
struct AdExPopulation {
  using memory_space = MemorySpace;
  template <class T>
  using view = Kokkos::View<T*, MemorySpace>;

  view<real_type> V, w;
  view<std::int32_t> refractory_steps_left;

  AdExPopulation() = default;
  AdExPopulation(const std::string& name, index_type size)
      : V(Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::" + name + "::V"), size),
        w(Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::" + name + "::w"), size),
        refractory_steps_left(
            Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::" + name + "::refractory_steps_left"),
            size) {}

  index_type size() const { return static_cast<index_type>(V.extent(0)); }

  KOKKOS_INLINE_FUNCTION adex::AdExState load(index_type i) const {
    return adex::AdExState{V(i), w(i), refractory_steps_left(i)};
  }
  KOKKOS_INLINE_FUNCTION void store(index_type i, const adex::AdExState& x) const {
    V(i) = x.V;
    w(i) = x.w;
    refractory_steps_left(i) = x.refractory_steps_left;
  }
};

}  // namespace cbgtc
