#pragma once
// Pull delivery: when a large share of a projection's sources fire in the
// same step (a DBS pulse drives every STN cell at once), the arrivals of that
// step are one sparse matrix–vector product with the transposed matrix
// (rows = targets) instead of an atomic scatter per synapse. Several such
// steps of an epoch form the columns of one matrix–multivector product.
//
// Exactness: the pull matrix holds each weight rounded to the conductance
// quantum, as a double. A sum of such values is exact in any order as long
// as it stays below 2^53 quanta (2^21 target units), so the product equals
// the integer sum that push delivery accumulates, bit for bit.

#include <KokkosSparse_CrsMatrix.hpp>
#include <KokkosSparse_spmv.hpp>
#include <vector>

#include "kernels/synapse.hpp"

namespace cbgtc {

/// A row total (target units) below which every partial sum of quantised
/// weights is an exact double.
constexpr double max_exact_pull_row_sum = 2097152.0;  // 2^53 quanta = 2^21 units

KOKKOS_INLINE_FUNCTION double quantisedWeight(float w) {
  return static_cast<double>(toQuanta(w)) * conductance_quantum;
}

/// The transposed matrix of a projection and the work space of its
/// products. Built only where pull delivery is enabled (12 bytes per synapse
/// more), and only for projections with a uniform delay.
template <class Device>
struct PullDelivery {
  using memory_space = typename Device::memory_space;
  using Matrix = KokkosSparse::CrsMatrix<double, index_type, Device, void, std::int64_t>;
  using Multivector = Kokkos::View<double**, Kokkos::LayoutLeft, memory_space>;

  Matrix by_target;                                   // rows = local targets, columns = sources
  Multivector volleys;                                // [source][column]: 1 where the source fired
  Multivector arrivals;                               // [target][column]: Σ quantised weights
  Kokkos::View<std::int32_t*, memory_space> columns;  // [epoch step]: column, or −1 (push); then [column]: step
  Kokkos::View<std::int32_t*, Kokkos::HostSpace> host_columns;
  std::int32_t epoch_steps = 0;
  std::int32_t capacity = 0;  // columns per product; further volleys are pushed

  bool enabled() const { return by_target.numRows() > 0 || by_target.numCols() > 0; }
};

/// Which steps of an epoch to pull: the first `capacity` of those where at
/// least `fraction` of the n_sources fired (and at least one did).
/// spikes_per_step[s] counts the source population's spikes in epoch step
/// s (epoch_steps entries). Writes the plan into host_columns (epoch step →
/// column or −1, then column → epoch step) and returns the number of columns.
inline std::int32_t planPull(const std::vector<std::int64_t>& spikes_per_step, std::int64_t n_sources,
                             double fraction, std::int32_t capacity,
                             const Kokkos::View<std::int32_t*, Kokkos::HostSpace>& host_columns) {
  const auto steps = static_cast<std::int32_t>(spikes_per_step.size());
  std::int32_t n_columns = 0;
  for (std::int32_t s = 0; s < steps; ++s) {
    const auto count = spikes_per_step[static_cast<std::size_t>(s)];
    const bool pull = n_columns < capacity && count > 0 &&
                      static_cast<double>(count) >= fraction * static_cast<double>(n_sources);
    host_columns(s) = pull ? n_columns : -1;
    if (pull) host_columns(steps + n_columns++) = s;
  }
  return n_columns;
}

/// Arrivals of the planned steps (epoch [k0, k0 + epoch_steps)): volleys →
/// product → the ring slot (step + delay) of every local target. The spikes
/// of other populations and of unplanned steps are left to push delivery.
template <class ExecutionSpace, class Device, class SpikeView>
void pullSpikes(const ExecutionSpace& space, PullDelivery<Device>& pull, std::int32_t n_columns,
                const SpikeView& spikes, std::size_t n_spikes, std::uint32_t source, step_type k0,
                std::int32_t delay_steps,
                const Kokkos::View<std::int64_t**, Kokkos::LayoutRight, typename Device::memory_space>& ring) {
  if (n_columns == 0) return;
  Kokkos::deep_copy(space, pull.columns, pull.host_columns);
  const std::pair<std::int64_t, std::int64_t> used(0, n_columns);
  const auto volleys = Kokkos::subview(pull.volleys, Kokkos::ALL(), used);
  const auto arrivals = Kokkos::subview(pull.arrivals, Kokkos::ALL(), used);
  Kokkos::deep_copy(space, volleys, 0.0);
  const auto columns = pull.columns;
  const std::int32_t epoch_steps = pull.epoch_steps;
  Kokkos::parallel_for(
      "cbgtc::Synapse::pull_volleys", lightweight(Kokkos::RangePolicy<ExecutionSpace>(space, 0, n_spikes)),
      KOKKOS_LAMBDA(const std::size_t s) {
        const auto spike = spikes(s);
        if (spike.source() != source) return;
        const std::int32_t column = columns(static_cast<std::int32_t>(spike.step - k0));
        if (column >= 0) volleys(spike.index, column) = 1.0;
      });
  // spmv runs on the default instance (Kokkos 3.4 takes none), which is
  // what cbgtc launches everything on, so it is ordered after the above.
  if (n_columns == 1)
    KokkosSparse::spmv("N", 1.0, pull.by_target, Kokkos::subview(pull.volleys, Kokkos::ALL(), 0), 0.0,
                       Kokkos::subview(pull.arrivals, Kokkos::ALL(), 0));
  else
    KokkosSparse::spmv("N", 1.0, pull.by_target, volleys, 0.0, arrivals);
  const auto n_slots = static_cast<step_type>(ring.extent(0));
  const auto n_targets = static_cast<std::int64_t>(ring.extent(1));
  // Distinct steps of one epoch land in distinct slots (epoch ≤ delay <
  // n_slots), so no two threads add to the same element.
  Kokkos::parallel_for(
      "cbgtc::Synapse::pull_arrivals",
      lightweight(Kokkos::RangePolicy<ExecutionSpace>(space, 0, n_targets * static_cast<std::int64_t>(n_columns))),
      KOKKOS_LAMBDA(const std::int64_t e) {
        const std::int64_t j = e % n_targets;
        const auto column = static_cast<std::int32_t>(e / n_targets);
        const step_type step = k0 + columns(epoch_steps + column);
        const double sum = arrivals(j, column);
        if (sum != 0.0)
          ring(static_cast<std::size_t>((step + delay_steps) % n_slots), j) +=
              static_cast<std::int64_t>(sum * 4294967296.0);
      });
}

}  // namespace cbgtc
