#pragma once
// What every model header in kernels/models/ provides, and the small types
// they share. A model is a struct with:
//
//   name, current_units, conductance_units      strings for the deck and the file
//   Params, Init                                 parameters (with units) and the
//                                                initial-state distribution
//   Settings = ModelSettingsOf<Params, Init>     what a deck section sets
//   State                                        one neuron, as a step sees it
//   Storage<MemorySpace>                         the population's state, one View
//                                                per variable (stateView, below;
//                                                constructed from population, size,
//                                                arena = nullptr): load(i), store(i, x),
//                                                size(), V; `using model` (the model);
//                                                forEachState(f): f(name, View) for each
//                                                variable a checkpoint must keep
//   state_variables, stateValue(x, v)            what [record] sections can name:
//                                                each variable's name and units, and
//                                                variable v of a neuron's state
//   Step                                         the step as a functor: derived
//                                                constants and
//                                                bool operator()(State&, I, k, group)
//                                                (true: a spike in step k); optionally
//                                                fused_slots (neuron_update.hpp): leave
//                                                it out (its populations launch on
//                                                their own on a GPU)
//   derive(settings, dt_ms, streams = {}) -> Step  streams: the seed and the
//                                                population's random key, for
//                                                a step that draws (poisson.hpp)
//   initialState(settings, seed, key, global index) -> State
//   leastSpikeSeparation(step) -> steps          bounds the spikes of an epoch
//   bindKeys(visitor, settings)                  the deck keys of the section
//   inconsistency(settings, dt_ms) -> ""|message cross-key checks, step counts
//   optionally implicit_synapses = true          Step takes (State&, I, G_syn, k, group):
//                                                I at V_k and G_syn = Σ g_k, so that its
//                                                V step can treat the synaptic current
//                                                as a conductance (stable however
//                                                large; docs/model.md §2.11)
//   optionally takes_input = false               a source: projections into it are refused
//   optionally reads_spike_trains = true         Step::trains (SpikeTrains) is filled from
//                                                population.<name>.spike_file
//   optionally Step::afterSpike(State&, k)       work only a spike needs (a source's
//                                                next draw), called for the neurons
//                                                that spiked, outside the CPU's vector
//                                                loop (neuron_update.hpp)
//   optionally stepTable(settings, dt_ms, streams, n_steps) -> std::vector<double>
//                                                values the step reads by step
//                                                index, the same in every neuron,
//                                                computed once on the host for
//                                                the run (Step::table, StepTable), and
//                                                stepTableLength(settings, n_steps), its
//                                                length (counted by the memory estimate)
//
// A new model is one such header and a line in registry.hpp.

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include "kernels/device_arena.hpp"
#include "kernels/time_steps.hpp"
#include "kernels/types.hpp"

namespace cbgtc {

/// Whether a model's Step integrates the synaptic conductance itself
/// (`static constexpr bool implicit_synapses = true`).
template <class Step, class = void>
struct ImplicitSynapses : std::false_type {};
template <class Step>
struct ImplicitSynapses<Step, std::void_t<decltype(Step::implicit_synapses)>>
    : std::bool_constant<Step::implicit_synapses> {};

/// The range a deck key must lie in (checked when the deck is read).
enum class KeyBound { Any, NonNegative, Positive, UnitInterval };

/// What keys a population's random draws in its step: the run's seed and
/// the population's rng::streamKey.
struct PopulationStreams {
  std::uint64_t seed = 0;
  std::uint32_t key = 0;
};

/// Whether a model computes a table of its step's values for the run
/// (Model::stepTable, Model::stepTableLength, Step::table).
template <class M, class = void>
struct HasStepTable : std::false_type {};
template <class M>
struct HasStepTable<M, std::void_t<decltype(M::stepTable(std::declval<const typename M::Settings&>(), 0.0,
                                                         PopulationStreams{}, std::int64_t{}))>>
    : std::true_type {
  static_assert(std::is_same_v<decltype(M::stepTableLength(std::declval<const typename M::Settings&>(),
                                                           std::int64_t{})),
                               std::int64_t>,
                "a model with a stepTable declares its length: stepTableLength(settings, n_steps)");
};

/// Spike trains of a population's local neurons on the device, for models
/// that replay them: neuron i (global first_global + i) fires in the steps
/// steps[offsets[i] .. offsets[i + 1]), ascending.
struct SpikeTrains {
  const std::int64_t* offsets = nullptr;
  const std::int64_t* steps = nullptr;
  index_type first_global = 0;
};

/// The spike rule of the conductance-based cells, which have no reset
/// (docs/model.md §2.7): a spike in the step where V crosses the threshold
/// upwards, at least min_isi_steps after the neuron's last spike.
KOKKOS_FORCEINLINE_FUNCTION bool crossesThreshold(real_type V, real_type V_new, real_type threshold,
                                                  step_type k, step_type last_spike_step,
                                                  step_type min_isi_steps) {
  return V_new >= threshold && V < threshold && k - last_spike_step >= min_isi_steps;
}

/// The least steps between two spikes by that rule: V falls below the
/// threshold between two detections (2 steps), and min_isi.
KOKKOS_INLINE_FUNCTION constexpr step_type crossingSeparation(step_type min_isi_steps) {
  return min_isi_steps > 2 ? min_isi_steps : 2;
}

/// Values of a population's step by step index, on the device: value k is
/// values[k·stride], so that a table of one value (stride 0) stands for a
/// constant; with no table (a step as derive() returns it), every value is
/// `constant`. A lane-invariant load, computed once for the run instead of
/// in every neuron and step (poisson.hpp). The load is unconditional: only
/// the address is chosen, once per launch.
struct StepTable {
  const double* values = nullptr;
  std::int64_t stride = 0;
  double constant = 1.0;
  KOKKOS_FORCEINLINE_FUNCTION double at(step_type k) const {
    const double* first = values != nullptr ? values : &constant;
    return first[k * stride];
  }
};

/// A state variable a [record.<name>] section can name.
struct StateVariable {
  const char* name;
  const char* units;
};

/// What a deck section sets of a model: its parameters and initial state.
template <class Params, class Init>
struct ModelSettingsOf {
  Params params;
  Init init;
};

/// One state variable's View of a population of `size` neurons (initialState
/// fills it), labelled "cbgtc::<population>::<variable>": in `arena` where
/// there is one (a network's), else allocated on its own (zerosIn).
template <class ViewType>
ViewType stateView(DeviceArena<typename ViewType::memory_space>* arena, const std::string& population,
                   const char* variable, index_type size) {
  return zerosIn<ViewType>(arena, "cbgtc::" + population + "::" + variable, size);
}

/// Whether `ms` at dt_ms is a whole number of steps of at most `limit`
/// (for the checks of a model's time keys).
inline bool stepCountBelow(double ms, double dt_ms, std::int64_t limit) {
  const double steps = ms / dt_ms;
  return steps == steps && steps <= static_cast<double>(limit);
}

}  // namespace cbgtc
