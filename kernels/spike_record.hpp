#pragma once
// One spike as the step kernels emit it, ranks exchange it and projections
// deliver it.

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cstdint>
#include <vector>

namespace cbgtc {

struct SpikeRecord {
  /// Marks, in `population`, an axonal spike (a DBS pulse activating the
  /// axon, docs/model.md §5.2): delivered like any spike, written apart.
  static constexpr std::uint32_t axonal_flag = 1u << 31;

  std::int64_t step;
  std::uint32_t population;  // position of the population in the run's list (| axonal_flag)
  std::uint32_t index;       // global index within the population

  /// The population the spike belongs to, with or without the flag.
  KOKKOS_INLINE_FUNCTION constexpr std::uint32_t source() const { return population & ~axonal_flag; }
  KOKKOS_INLINE_FUNCTION constexpr bool axonal() const { return (population & axonal_flag) != 0; }
};

/// The order of every written spike list: (step, population, index), so what
/// is written depends on neither the rank count nor the thread order.
inline bool operator<(const SpikeRecord& a, const SpikeRecord& b) {
  if (a.step != b.step) return a.step < b.step;
  if (a.population != b.population) return a.population < b.population;
  return a.index < b.index;
}
inline bool operator==(const SpikeRecord& a, const SpikeRecord& b) {
  return a.step == b.step && a.population == b.population && a.index == b.index;
}

/// Sorts spikes of steps k0 onwards into SpikeRecord's order, as std::sort
/// would (the keys are unique): by step with a counting sort, then each
/// step's spikes only where they are not yet in order. A CPU backend's one
/// thread emits a step's spikes population by population, each in index
/// order, so an epoch's spikes are sorted in linear time. A step range much
/// wider than the list falls back to std::sort.
inline void sortSpikesByStep(std::vector<SpikeRecord>& spikes, std::int64_t k0) {
  if (spikes.size() < 2) return;
  std::int64_t last = k0;
  bool after_k0 = true;
  for (const SpikeRecord& s : spikes) {
    after_k0 = after_k0 && s.step >= k0;
    last = s.step > last ? s.step : last;
  }
  const auto steps = static_cast<std::size_t>(last - k0 + 1);
  if (!after_k0 || steps > 4 * spikes.size() + 4096) {
    std::sort(spikes.begin(), spikes.end());
    return;
  }
  std::vector<std::size_t> next(steps + 1, 0);  // then: where each step's next spike goes
  for (const SpikeRecord& s : spikes) ++next[static_cast<std::size_t>(s.step - k0) + 1];
  for (std::size_t b = 1; b <= steps; ++b) next[b] += next[b - 1];
  std::vector<SpikeRecord> sorted(spikes.size());
  for (const SpikeRecord& s : spikes) sorted[next[static_cast<std::size_t>(s.step - k0)]++] = s;
  // next[b] is now the end of step k0 + b's spikes.
  auto begin = sorted.begin();
  for (std::size_t b = 0; b < steps; ++b) {
    const auto end = sorted.begin() + static_cast<std::ptrdiff_t>(next[b]);
    if (!std::is_sorted(begin, end)) std::sort(begin, end);
    begin = end;
  }
  spikes.swap(sorted);
}

}  // namespace cbgtc
