#pragma once
// Recording probes: what one [record.<name>] section samples of one
// population on one rank (docs/model.md §6.1). A probe samples at the start
// of every step k that is a multiple of `every`, before the step: the state
// at t_k, the conductances g_k (the arrivals of step k included) and the
// currents step k uses, so that every value of a row belongs to time t_k.

#include "kernels/types.hpp"

namespace cbgtc {

/// What a probe records of a neuron.
enum class RecordedKind : std::int32_t {
  State,            // the model's state variable `index` (Model::state_variables)
  Conductance,      // of the population's synaptic input `index`
  SynapticCurrent,  // −Σ g_k·(V_k − E_rev): positive depolarising
  NoiseCurrent,     // the OU background current
  StimulusCurrent,  // the current stimuli's (stimulus.hpp)
  BiasCurrent,      // the neuron's constant bias current (heterogeneity)
  InputCurrent,     // I_syn + I_stim + I_bias + I_noise: what the model's step receives
};

struct RecordedVariable {
  RecordedKind kind = RecordedKind::State;
  std::int32_t index = 0;
};

/// A probe as a kernel sees it: raw device pointers into Views the
/// simulation owns.
struct RecordProbe {
  const std::int32_t* column = nullptr;          // [local neuron]: its column, or −1
  const RecordedVariable* variables = nullptr;   // [n_variables]
  float* rows = nullptr;                         // [row][variable][column]
  std::int32_t n_variables = 0;
  std::int32_t n_columns = 0;                    // recorded neurons on this rank
  step_type every = 1;                           // steps between samples
  std::int64_t first_sample = 0;                 // sample number (k / every) of row 0

  /// Row-major slot of variable v of column c in the row of step k.
  KOKKOS_INLINE_FUNCTION float& at(step_type k, std::int32_t v, std::int32_t c) const {
    const std::int64_t row = k / every - first_sample;
    return rows[(row * n_variables + v) * n_columns + c];
  }
};

}  // namespace cbgtc
