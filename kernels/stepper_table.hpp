#pragma once
// Every population of a network in one GPU launch, however many there are.
//
// A fused launch (advanceFused) passes its populations' steppers as a kernel
// argument, which holds only a few of them (4 KB). An ensemble of K
// replicas as one network would then take K launches per epoch, one after
// another on the device's queue, and each lasts about as long as one
// replica's whole epoch, because a small network is latency-bound: the
// replicas would add their latencies instead of overlapping them. Here the
// steppers are copied as bytes into device memory before each launch, and
// one launch advances them all. A stepper's bytes are what passing it as a
// kernel argument copies too: its Views are handles whose memory the
// populations own.

#include <cstdint>
#include <cstring>
#include <tuple>
#include <utility>
#include <vector>

#include "kernels/device_table.hpp"
#include "kernels/neuron_update.hpp"

namespace cbgtc {

/// One stepper as plain bytes: a row a device View can hold and copy.
template <class S>
struct StepperBytes {
  alignas(S) unsigned char bytes[sizeof(S)];
};

/// A population's threads in a table launch, [begin, begin + threads), and
/// where its stepper is: row `row` of the table of the launch's model number
/// `model`.
struct StepperRange {
  index_type begin = 0;
  index_type threads = 0;
  std::int32_t model = 0;
  std::int32_t row = 0;
  bool operator==(const StepperRange& other) const {
    return begin == other.begin && threads == other.threads && model == other.model && row == other.row;
  }
};

/// Lanes per neuron of a model's populations in a table launch of L lanes:
/// the models that fused launches leave out (FusedSlots 0) keep the one lane
/// of their launches of their own.
template <class S, int L>
constexpr int table_lanes = FusedSlots<S>::value > 0 ? L : 1;

namespace Impl {

/// The device's copies of the tables, one per model; advance() dispatches
/// on the model's number with compile-time types.
template <class MemorySpace, class... S>
struct StepperRows;

template <class MemorySpace>
struct StepperRows<MemorySpace> {
  template <int L>
  KOKKOS_INLINE_FUNCTION void advance(std::int32_t, std::int32_t, index_type, step_type, step_type) const {}
};

template <class MemorySpace, class S, class... Rest>
struct StepperRows<MemorySpace, S, Rest...> {
  Kokkos::View<StepperBytes<S>*, MemorySpace> rows;
  StepperRows<MemorySpace, Rest...> rest;

  /// Thread u of the population in row `row` of model `model` (0: S).
  template <int L>
  KOKKOS_INLINE_FUNCTION void advance(std::int32_t model, std::int32_t row, index_type u, step_type k0,
                                      step_type k1) const {
    if (model != 0) {
      rest.template advance<L>(model - 1, row, u, k0, k1);
      return;
    }
    constexpr int lanes = table_lanes<S, L>;
    const S& stepper = *reinterpret_cast<const S*>(rows(row).bytes);
    stepper.advanceGroup(u >> LaneGroup<lanes>::log2_size,
                         LaneGroup<lanes>{static_cast<int>(u & (lanes - 1))}, k0, k1);
  }
};

template <std::size_t m, class Rows>
auto& level(Rows& rows) {
  if constexpr (m == 0)
    return rows;
  else
    return level<m - 1>(rows.rest);
}

}  // namespace Impl

/// The steppers of one launch, per model S... (the order of
/// advancePopulations' lists), laid out as a fused launch lays them out:
/// each population on its own threads, L lanes per neuron, padded to
/// blocks of 64 threads so that a warp never spans two populations. A
/// table of blocks gives each block its population. The rows' storage is
/// kept from launch to launch, so refills allocate nothing; the layout is
/// copied to the device when it changed, the steppers every launch.
template <class MemorySpace, class... S>
class StepperTable {
 public:
  static constexpr index_type block_threads = 64;

  /// The populations of the next launch: one list of steppers per model,
  /// alive until the launch is done; L lanes per neuron.
  template <int L>
  void fill(const std::vector<S>&... lists) {
    _ranges.clear();
    _blocks.clear();
    _threads = 0;
    std::int32_t model = 0;
    (fillModel<L>(lists, model++), ...);
  }

  /// Steps [k0, k1) of every population filled, in one launch of L lanes
  /// per neuron (the L of fill).
  template <int L, class ExecutionSpace>
  void advance(const ExecutionSpace& space, step_type k0, step_type k1) {
    const Impl::StepperRows<MemorySpace, S...> rows = deviceRows(std::index_sequence_for<S...>{});
    const auto ranges = _ranges.sync();
    const auto blocks = _blocks.sync();
    constexpr index_type per_block = block_threads;
    using Policy = Kokkos::RangePolicy<ExecutionSpace, Kokkos::LaunchBounds<block_threads, 1>>;
    Kokkos::parallel_for(
        "cbgtc::Network::advance_table", lightweight(Policy(space, 0, _threads)),
        KOKKOS_LAMBDA(const index_type t) {
          const StepperRange& range = ranges(blocks(t / per_block));
          const index_type u = t - range.begin;
          if (u < range.threads) rows.template advance<L>(range.model, range.row, u, k0, k1);
        });
  }

  index_type threads() const { return _threads; }
  const std::vector<StepperRange>& ranges() { return _ranges.rows(); }
  const std::vector<std::int32_t>& blocks() { return _blocks.rows(); }

 private:
  template <int L, class T>
  void fillModel(const std::vector<T>& list, std::int32_t model) {
    auto& table = std::get<Rows<T>>(_rows);
    table.host.clear();
    constexpr index_type lanes = table_lanes<T, L>;
    for (const T& stepper : list) {
      StepperBytes<T> row;
      std::memcpy(row.bytes, static_cast<const void*>(&stepper), sizeof(T));
      StepperRange range;
      range.begin = _threads;
      range.threads = stepper.size() * lanes;
      range.model = model;
      range.row = static_cast<std::int32_t>(table.host.size());
      table.host.push_back(row);
      const index_type blocks = (range.threads + block_threads - 1) / block_threads;
      for (index_type b = 0; b < blocks; ++b) _blocks.push(static_cast<std::int32_t>(_ranges.rows().size()));
      _ranges.push(range);
      _threads += blocks * block_threads;
    }
  }

  template <std::size_t... m>
  Impl::StepperRows<MemorySpace, S...> deviceRows(std::index_sequence<m...>) {
    Impl::StepperRows<MemorySpace, S...> rows;
    ((Impl::level<m>(rows).rows = std::get<m>(_rows).sync()), ...);
    return rows;
  }

  /// A model's steppers, on the host and their device copy. They change
  /// from launch to launch (a launch's first LFP sample, for one), so they
  /// are copied every time, without a comparison.
  template <class T>
  struct Rows {
    std::vector<StepperBytes<T>> host;
    Kokkos::View<StepperBytes<T>*, MemorySpace> device;
    const Kokkos::View<StepperBytes<T>*, MemorySpace>& sync() {
      if (device.extent(0) < host.size())
        device = Kokkos::View<StepperBytes<T>*, MemorySpace>("cbgtc::stepper_table", host.size());
      Kokkos::deep_copy(
          Kokkos::subview(device, std::make_pair(std::size_t{0}, host.size())),
          Kokkos::View<const StepperBytes<T>*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>(
              host.data(), host.size()));
      return device;
    }
  };

  std::tuple<Rows<S>...> _rows;
  DeviceTable<StepperRange, MemorySpace> _ranges;
  DeviceTable<std::int32_t, MemorySpace> _blocks;  // per block of block_threads threads: its range
  index_type _threads = 0;
};

/// Steps [k0, k1) of every population, given per model the list of their
/// steppers: on a GPU in one launch of `table` when one fused launch cannot
/// take them all (an ensemble's replicas), else as advancePopulations
/// launches them (the lists' steppers stay alive until the launch is done).
template <class ExecutionSpace, class MemorySpace, class... S>
void advanceNetwork(const ExecutionSpace& space, step_type k0, step_type k1, int lanes,
                    StepperTable<MemorySpace, S...>& table, const std::vector<S>&... lists) {
  constexpr bool host = Kokkos::SpaceAccessibility<ExecutionSpace, Kokkos::HostSpace>::accessible;
  if constexpr (!host) {
    if (fusedLaunches(lists...) > 1) {
      auto launch = [&](auto lanes_constant) {
        constexpr int L = decltype(lanes_constant)::value;
        table.template fill<L>(lists...);
        table.template advance<L>(space, k0, k1);
      };
      if (lanes == 8)
        launch(std::integral_constant<int, 8>{});
      else if (lanes == 4)
        launch(std::integral_constant<int, 4>{});
      else if (lanes == 2)
        launch(std::integral_constant<int, 2>{});
      else
        launch(std::integral_constant<int, 1>{});
      return;
    }
  }
  advancePopulations(space, k0, k1, lanes, lists...);
}

}  // namespace cbgtc
