#pragma once
// Device-side list of the spikes of an epoch, of every population. Neurons
// append with an atomic counter, so the order is arbitrary; the host sorts
// what it copies out by (step, population, index). One buffer for all
// populations: one count and one block of records cross to the host per
// epoch, and a single rank delivers straight from it.

#include <array>
#include <limits>
#include <string>

#include "kernels/spike_record.hpp"
#include "kernels/types.hpp"

namespace cbgtc {

template <class MemorySpace>
struct SpikeBuffer {
  using memory_space = MemorySpace;

  /// What the host reads of the buffer once per epoch, in one copy: the
  /// spike count and the first non-finite state.
  enum Counter { spike_count = 0, first_non_finite = 1, counters = 2 };
  /// first_non_finite when every state was finite.
  static constexpr std::int64_t all_finite = std::numeric_limits<std::int64_t>::max();
  /// first_non_finite is step << population_bits | population (the least).
  static constexpr int population_bits = 20;

  Kokkos::View<SpikeRecord*, MemorySpace> records;
  Kokkos::View<std::int64_t*, MemorySpace> counter;  // spike count (may exceed capacity: overflow), first non-finite
  std::uint32_t population = 0;                      // stamped on what push() appends

  SpikeBuffer() = default;
  SpikeBuffer(const std::string& name, std::int64_t capacity)
      : records(Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::" + name + "::spikes"), capacity),
        counter("cbgtc::" + name + "::counters", counters) {
    reset();
  }

  /// The same buffer, appending spikes of population p.
  SpikeBuffer forPopulation(std::uint32_t p) const {
    SpikeBuffer b = *this;
    b.population = p;
    return b;
  }

  std::int64_t capacity() const { return static_cast<std::int64_t>(records.extent(0)); }

  /// No spikes, every state finite.
  void reset() const {
    const std::int64_t fresh[counters] = {0, all_finite};
    Kokkos::deep_copy(counter,
                      Kokkos::View<const std::int64_t*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>(
                          fresh, counters));
  }

  /// The counters, on the host (one copy).
  std::array<std::int64_t, counters> hostCounters() const {
    std::array<std::int64_t, counters> out{};
    Kokkos::deep_copy(Kokkos::View<std::int64_t*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>(
                          out.data(), counters),
                      counter);
    return out;
  }

  KOKKOS_INLINE_FUNCTION void push(step_type s, index_type i) const {
    const std::int64_t k = Kokkos::atomic_fetch_add(&counter(spike_count), std::int64_t(1));
    if (k < static_cast<std::int64_t>(records.extent(0)))
      records(k) = SpikeRecord{s, population, static_cast<std::uint32_t>(i)};
  }

  /// An axonal spike (docs/model.md §5.2) of neuron i in step s.
  KOKKOS_INLINE_FUNCTION void pushAxonal(step_type s, index_type i) const {
    const std::int64_t k = Kokkos::atomic_fetch_add(&counter(spike_count), std::int64_t(1));
    if (k < static_cast<std::int64_t>(records.extent(0)))
      records(k) = SpikeRecord{s, population | SpikeRecord::axonal_flag, static_cast<std::uint32_t>(i)};
  }

  /// A neuron of this population has a non-finite state after step s.
  KOKKOS_INLINE_FUNCTION void flagNonFinite(step_type s) const {
    Kokkos::atomic_fetch_min(&counter(first_non_finite),
                             (static_cast<std::int64_t>(s) << population_bits) | static_cast<std::int64_t>(population));
  }
};

}  // namespace cbgtc
