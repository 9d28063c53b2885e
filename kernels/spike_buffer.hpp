#pragma once
// Device-side list of the spikes of an epoch, of every population. Neurons
// append with an atomic counter, so the order is arbitrary; the host sorts
// what it copies out by (step, population, index). One buffer for all
// populations: one count and one block of records cross to the host per
// epoch, and a single rank delivers straight from it.

#include <string>

#include "kernels/spike_record.hpp"
#include "kernels/types.hpp"

namespace cbgtc {

template <class MemorySpace>
struct SpikeBuffer {
  using memory_space = MemorySpace;

  Kokkos::View<SpikeRecord*, MemorySpace> records;
  Kokkos::View<std::int64_t, MemorySpace> count;  // may exceed capacity: overflow
  std::uint32_t population = 0;                   // stamped on what push() appends

  SpikeBuffer() = default;
  SpikeBuffer(const std::string& name, std::int64_t capacity)
      : records(Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::" + name + "::spikes"), capacity),
        count("cbgtc::" + name + "::spike_count") {}

  /// The same buffer, appending spikes of population p.
  SpikeBuffer forPopulation(std::uint32_t p) const {
    SpikeBuffer b = *this;
    b.population = p;
    return b;
  }

  std::int64_t capacity() const { return static_cast<std::int64_t>(records.extent(0)); }

  KOKKOS_INLINE_FUNCTION void push(step_type s, index_type i) const {
    const std::int64_t k = Kokkos::atomic_fetch_add(&count(), std::int64_t(1));
    if (k < static_cast<std::int64_t>(records.extent(0)))
      records(k) = SpikeRecord{s, population, static_cast<std::uint32_t>(i)};
  }
};

}  // namespace cbgtc
