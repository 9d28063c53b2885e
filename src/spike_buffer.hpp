#pragma once
// Device-side list of the spikes of one population since the last flush.
// Neurons append with an atomic counter, so the order within a flush is
// arbitrary; the host sorts each flushed chunk by (step, node). Chunks come
// out in step order, so the file is sorted by time without a global sort.

#include <string>
#include <vector>

#include "src/types.hpp"

namespace cbgtc {

template <class MemorySpace>
struct SpikeBuffer {
  using memory_space = MemorySpace;

  Kokkos::View<step_type*, MemorySpace> step;
  Kokkos::View<index_type*, MemorySpace> node;
  Kokkos::View<std::int64_t, MemorySpace> count;  // may exceed capacity: overflow

  SpikeBuffer() = default;
  SpikeBuffer(const std::string& name, std::int64_t capacity)
      : step(Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::" + name + "::spike_steps"), capacity),
        node(Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::" + name + "::spike_nodes"), capacity),
        count("cbgtc::" + name + "::spike_count") {}

  std::int64_t capacity() const { return static_cast<std::int64_t>(step.extent(0)); }

  KOKKOS_INLINE_FUNCTION void push(step_type s, index_type i) const {
    const std::int64_t k = Kokkos::atomic_fetch_add(&count(), std::int64_t(1));
    if (k < static_cast<std::int64_t>(step.extent(0))) {
      step(k) = s;
      node(k) = i;
    }
  }
};

}  // namespace cbgtc
