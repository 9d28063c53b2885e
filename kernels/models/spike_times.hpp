#pragma once
// A spike source that replays given spike times (NEST's spike_generator,
// bmtk's SONATA spike inputs): each neuron fires in the steps of its train,
// read from a SONATA or CSV spike file (population.<name>.spike_file), so
// the output of one run can drive another (docs/model.md §3.8). No
// membrane, no input; at most one spike per step (equal steps collapse).

#include <string>

#include "kernels/lane_group.hpp"
#include "kernels/models/model.hpp"

namespace cbgtc::spike_times {

struct SpikeTimesParams {};
struct SpikeTimesInit {};

struct SpikeTimesState {
  real_type V;           // no membrane: always 0
  std::uint32_t index;   // global neuron index
  std::int64_t cursor;   // next entry of the train; −1: not started
};

}  // namespace cbgtc::spike_times

namespace cbgtc::models {

struct SpikeTimes {
  static constexpr const char* name = "spike_times";
  static constexpr const char* current_units = "pA";  // unused: a source takes no input
  static constexpr const char* conductance_units = "nS";
  using Params = spike_times::SpikeTimesParams;
  using Init = spike_times::SpikeTimesInit;
  using State = spike_times::SpikeTimesState;
  using Settings = ModelSettingsOf<Params, Init>;
  static constexpr bool takes_input = false;
  static constexpr bool reads_spike_trains = true;  // Step::trains, filled by the network builder

  template <class MemorySpace>
  struct Storage {
    using memory_space = MemorySpace;
    using model = SpikeTimes;
    Kokkos::View<real_type*, MemorySpace> V;
    Kokkos::View<std::uint32_t*, MemorySpace> index;
    Kokkos::View<std::int64_t*, MemorySpace> cursor;

    Storage() = default;
    Storage(const std::string& population, index_type size, DeviceArena<MemorySpace>* arena = nullptr)
        : V(stateView<decltype(V)>(arena, population, "V", size)),
          index(stateView<decltype(index)>(arena, population, "index", size)),
          cursor(stateView<decltype(cursor)>(arena, population, "cursor", size)) {}

    index_type size() const { return static_cast<index_type>(V.extent(0)); }
    KOKKOS_INLINE_FUNCTION State load(index_type i) const { return State{V(i), index(i), cursor(i)}; }
    KOKKOS_INLINE_FUNCTION void store(index_type i, const State& x) const {
      V(i) = x.V;
      index(i) = x.index;
      cursor(i) = x.cursor;
    }
    /// The dynamic state a checkpoint keeps: none. The cursor is an offset
    /// into this rank's trains; as after construction (−1), the step finds
    /// its place in the train again from the step it continues at.
    template <class F>
    void forEachState(F&&) const {}
  };

  static constexpr StateVariable state_variables[] = {{"cursor", "1"}};
  KOKKOS_INLINE_FUNCTION static real_type stateValue(const State& x, int) { return static_cast<real_type>(x.cursor); }

  struct Step {
    SpikeTrains trains;

    template <int L = 1>
    KOKKOS_FORCEINLINE_FUNCTION bool operator()(State& x, real_type, step_type k,
                                                const LaneGroup<L>& = LaneGroup<L>{}) const {
      if (trains.offsets == nullptr) return false;  // no trains given
      const index_type local = static_cast<index_type>(x.index) - trains.first_global;
      const std::int64_t end = trains.offsets[local + 1];
      if (x.cursor < 0) x.cursor = trains.offsets[local];
      while (x.cursor < end && trains.steps[x.cursor] < k) ++x.cursor;
      bool spike = false;
      while (x.cursor < end && trains.steps[x.cursor] == k) {
        spike = true;
        ++x.cursor;
      }
      return spike;
    }
  };

  static Step derive(const Settings&, double, const PopulationStreams& = {}) { return Step{}; }

  static step_type leastSpikeSeparation(const Step&) { return 1; }

  KOKKOS_INLINE_FUNCTION static State initialState(const Settings&, std::uint64_t, std::uint32_t,
                                                   index_type i) {
    return State{0, static_cast<std::uint32_t>(i), -1};
  }

  template <class Visitor>
  static void bindKeys(Visitor&, Settings&) {}

  static std::string inconsistency(const Settings&, double) { return ""; }
};

}  // namespace cbgtc::models
