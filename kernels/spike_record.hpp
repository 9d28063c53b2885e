#pragma once
// One spike as the step kernels emit it, ranks exchange it and projections
// deliver it.

#include <cstdint>

#include <Kokkos_Core.hpp>

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

}  // namespace cbgtc
