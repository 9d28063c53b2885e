#pragma once
// Scalar and space aliases shared by src/, kernels/ and io/.

#include <cstdint>

#include "cbgtc_config.hpp"
#include "kernels/kokkos_compat.hpp"

namespace cbgtc {

/// Neuron state and parameters: double by default, float with
/// -DCBGTC_REAL_TYPE=float.
using real_type = CBGTC_REAL_TYPE;

/// Beyond ±10 V a membrane has diverged: no model gets near it, even under
/// a 3000 µA/cm², 90 µs DBS pulse (about 0.3 V of depolarisation). A run
/// stops there (StepRecording::checkFinite), and no reversal potential may
/// lie beyond it.
inline constexpr double diverged_V_mV = 1e4;

/// Simulation step index (t_i = i * dt is the start of step i).
using step_type = std::int64_t;

/// Index of a neuron within its population (0-based, as in SONATA node_ids).
using index_type = std::int32_t;

using ExecutionSpace = Kokkos::DefaultExecutionSpace;
using MemorySpace = ExecutionSpace::memory_space;
using HostSpace = Kokkos::DefaultHostExecutionSpace;

}  // namespace cbgtc
