#pragma once
// Device-side list of the spikes of an epoch, of every population. Neurons
// append with an atomic counter, so the order is arbitrary; the host sorts
// what it copies out by (step, population, index). One buffer for all
// populations: one count and one block of records cross to the host per
// epoch, and a single rank delivers straight from it.
//
// On a CPU backend with several threads the buffer is split into parts, one
// per thread's share of the update's launch (chunkPartBegin; a spike goes to
// its neuron's share's part, also where another thread helped with that
// share, ChunkClaims), each with its own counter on a cache line of its own:
// one counter for every thread would make each spike an atomic add on a line
// that passes between the cores, and the threads' records would share lines
// too (docs/performance.md, "OpenMP threads against ranks"). gather() then
// moves the parts' records together.

#include <algorithm>
#include <array>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/spike_record.hpp"
#include "kernels/types.hpp"

namespace cbgtc {

/// Whether a buffer in this memory space can be in parts: host memory, and
/// a host backend with threads (a Serial build's runs never are, and its
/// neurons' step then carries no code for parts: inlined into the step's
/// vectorised loop or kept out of line, that code would slow the step,
/// docs/performance.md, "OpenMP threads against ranks").
template <class MemorySpace>
constexpr bool spikeBufferMayHaveParts() {
  if constexpr (!Kokkos::SpaceAccessibility<Kokkos::HostSpace, MemorySpace>::accessible) return false;
#ifdef KOKKOS_ENABLE_SERIAL
  return !std::is_same_v<Kokkos::DefaultHostExecutionSpace, Kokkos::Serial>;
#else
  return true;
#endif
}

template <class MemorySpace, bool MayHaveParts = spikeBufferMayHaveParts<MemorySpace>()>
struct SpikeBuffer {
  using memory_space = MemorySpace;

  /// What the host reads of the buffer once per epoch, in one copy: the
  /// spike count and the first non-finite state.
  enum Counter { spike_count = 0, first_non_finite = 1, counters = 2 };
  /// first_non_finite when every state was finite.
  static constexpr std::int64_t all_finite = std::numeric_limits<std::int64_t>::max();
  /// first_non_finite is step << population_bits | population (the least):
  /// 2^24 populations (100 000 merged replicas of a deck of 167), steps up
  /// to 2^39.
  static constexpr int population_bits = 24;

  /// When the buffer has several parts, part p's count and where its
  /// records start and end lie on a cache line (8 counters) of their own,
  /// line p + 1, after the line of the shared counters.
  static constexpr int part_line = 8;
  static constexpr bool host_memory = Kokkos::SpaceAccessibility<Kokkos::HostSpace, MemorySpace>::accessible;
  enum PartCounter { part_count = 0, part_first = 1, part_end = 2 };

  Kokkos::View<SpikeRecord*, MemorySpace> records;
  Kokkos::View<std::int64_t*, MemorySpace> counter;  // spike count (may exceed capacity: overflow), first non-finite
  // Each population's first non-finite state (as first_non_finite; empty:
  // not kept): only a population's first reaches the shared counter, so that
  // a merged network's diverged replica, left to run on, hides no other
  // replica's later failure (Simulation::run).
  Kokkos::View<std::int64_t*, MemorySpace> first_non_finite_of;
  std::uint32_t population = 0;                      // stamped on what push() appends
  // This population's neurons on this rank, which the parts split; 0 where
  // the buffer has one part (every spike counted in counter(spike_count)).
  index_type neurons = 0;

  SpikeBuffer() = default;
  SpikeBuffer(const std::string& name, std::int64_t capacity)
      : records(Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::" + name + "::spikes"), capacity),
        counter("cbgtc::" + name + "::counters", counters) {
    reset();
  }

  /// A buffer of parts, part p holding at most part_capacity[p] spikes
  /// (host-accessible memory only, where gather() can move them).
  SpikeBuffer(const std::string& name, const std::vector<std::int64_t>& part_capacity)
      : SpikeBuffer(name, std::accumulate(part_capacity.begin(), part_capacity.end(), std::int64_t(0))) {
    if (part_capacity.size() <= 1) return;
    if constexpr (MayHaveParts) {
      const auto n_parts = static_cast<int>(part_capacity.size());
      counter = Kokkos::View<std::int64_t*, MemorySpace>("cbgtc::" + name + "::counters",
                                                         part_line * (n_parts + 1));
      reset();
      std::int64_t first = 0;
      for (int p = 0; p < n_parts; ++p) {
        counter(partCounter(p, part_first)) = first;
        first += part_capacity[static_cast<std::size_t>(p)];
        counter(partCounter(p, part_end)) = first;
      }
    } else {
      throw std::logic_error("SpikeBuffer: parts need host memory and a threaded host backend");
    }
  }

  /// The same buffer, appending spikes of population p, of which this rank
  /// holds `local_neurons`.
  SpikeBuffer forPopulation(std::uint32_t p, index_type local_neurons) const {
    SpikeBuffer b = *this;
    b.population = p;
    b.neurons = parts() > 1 ? local_neurons : 0;
    return b;
  }

  /// The parts: one, or one per thread of a CPU launch.
  KOKKOS_INLINE_FUNCTION int parts() const {
    const auto n = static_cast<int>(counter.extent(0));
    return n <= part_line ? 1 : n / part_line - 1;
  }

  std::int64_t capacity() const { return static_cast<std::int64_t>(records.extent(0)); }

  /// Where counter c of part p lies.
  KOKKOS_INLINE_FUNCTION static int partCounter(int p, PartCounter c) { return part_line * (p + 1) + c; }

  /// No spikes, every state finite.
  void reset() const {
    if constexpr (host_memory)
      for (int p = 0; parts() > 1 && p < parts(); ++p) counter(partCounter(p, part_count)) = 0;
    const std::int64_t fresh[counters] = {0, all_finite};
    Kokkos::deep_copy(
        Kokkos::subview(counter, std::pair<int, int>(0, counters)),
        Kokkos::View<const std::int64_t*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>(
            fresh, counters));
  }

  /// Keeps the first non-finite state of each of `populations` populations
  /// apart (first_non_finite_of); before forPopulation.
  void keepNonFiniteByPopulation(std::size_t populations) {
    first_non_finite_of = Kokkos::View<std::int64_t*, MemorySpace>(
        Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::Network::first_non_finite"), populations);
    Kokkos::deep_copy(first_non_finite_of, all_finite);
  }

  /// Every state finite again in the shared counter (first_non_finite_of
  /// keeps what it holds).
  void clearNonFinite() const {
    Kokkos::deep_copy(Kokkos::subview(counter, int(first_non_finite)), all_finite);
  }

  /// first_non_finite_of, on the host.
  std::vector<std::int64_t> hostNonFiniteByPopulation() const {
    std::vector<std::int64_t> out(first_non_finite_of.extent(0));
    Kokkos::deep_copy(Kokkos::View<std::int64_t*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>(
                          out.data(), out.size()),
                      first_non_finite_of);
    return out;
  }

  /// The counters, on the host (one copy).
  std::array<std::int64_t, counters> hostCounters() const {
    std::array<std::int64_t, counters> out{};
    Kokkos::deep_copy(Kokkos::View<std::int64_t*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>(
                          out.data(), counters),
                      Kokkos::subview(counter, std::pair<int, int>(0, counters)));
    return out;
  }

  /// The epoch's spikes as records [0, counter(spike_count)), and the
  /// counters on the host: the parts' records are moved together and their
  /// counts summed (a count above capacity(): a part overflowed).
  std::array<std::int64_t, counters> gather() const {
    if (parts() == 1) return hostCounters();
    if constexpr (host_memory) {
      Kokkos::fence();
      std::int64_t total = 0;
      bool overflowed = false;
      for (int p = 0; p < parts(); ++p) {
        const std::int64_t first = counter(partCounter(p, part_first)),
                           count = counter(partCounter(p, part_count));
        const std::int64_t room = counter(partCounter(p, part_end)) - first;
        overflowed |= count > room;
        const std::int64_t kept = std::min(count, room);
        // Parts lie in order, so a part moves towards the front only: a
        // forward copy, which may overlap its source from before it.
        if (total != first)
          std::copy(records.data() + first, records.data() + first + kept, records.data() + total);
        total += kept;
      }
      counter(spike_count) = overflowed ? capacity() + 1 : total;
    }
    return hostCounters();
  }

  /// No spikes (the epoch's were gathered).
  template <class ExecutionSpace>
  void clearSpikes(const ExecutionSpace& space) const {
    Kokkos::deep_copy(space, Kokkos::subview(counter, int(spike_count)), std::int64_t(0));
    if constexpr (host_memory) {
      if (parts() == 1) return;
      space.fence();
      for (int p = 0; p < parts(); ++p) counter(partCounter(p, part_count)) = 0;
    }
  }

  /// A spike of local neuron i (global index `global`) in step s.
  KOKKOS_INLINE_FUNCTION void push(step_type s, index_type i, index_type global) const {
    append(SpikeRecord{s, population, static_cast<std::uint32_t>(global)}, i);
  }

  /// An axonal spike (docs/model.md §5.2) of local neuron i (global index
  /// `global`) in step s.
  KOKKOS_INLINE_FUNCTION void pushAxonal(step_type s, index_type i, index_type global) const {
    append(SpikeRecord{s, population | SpikeRecord::axonal_flag, static_cast<std::uint32_t>(global)}, i);
  }

  /// Appends the record of local neuron i: to its part's records where the
  /// buffer has parts.
  KOKKOS_INLINE_FUNCTION void append(const SpikeRecord& record, index_type i) const {
    if constexpr (MayHaveParts) {
      if (neurons != 0) {
        const int part = chunkPartOf(i, neurons, parts());
        const std::int64_t first = counter(partCounter(part, part_first));
        const std::int64_t k =
            Kokkos::atomic_fetch_add(&counter(partCounter(part, part_count)), std::int64_t(1));
        if (k < counter(partCounter(part, part_end)) - first) records(first + k) = record;
        return;
      }
    }
    const std::int64_t k = Kokkos::atomic_fetch_add(&counter(spike_count), std::int64_t(1));
    if (k < static_cast<std::int64_t>(records.extent(0))) records(k) = record;
  }

  /// A neuron of this population has a non-finite state after step s.
  KOKKOS_INLINE_FUNCTION void flagNonFinite(step_type s) const {
    const std::int64_t code =
        (static_cast<std::int64_t>(s) << population_bits) | static_cast<std::int64_t>(population);
    if (population < first_non_finite_of.extent(0)) {
      // A diverged population flags every step of its neurons: a plain read
      // (the value only falls; a stale one costs an atomic) keeps them off
      // one contended address.
      if (first_non_finite_of(population) <= code ||
          Kokkos::atomic_fetch_min(&first_non_finite_of(population), code) <= code)
        return;
    }
    Kokkos::atomic_fetch_min(&counter(first_non_finite), code);
  }
};

}  // namespace cbgtc
