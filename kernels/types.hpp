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

/// V, or NaN where V has diverged (beyond ±diverged_V_mV, or above `upper`
/// where a model allows more, or NaN): for a model that resets V at a
/// threshold, so that a reset cannot hide a step that diverged (a step to
/// 1e298 mV, then V_reset). NaN is no spike, and stays NaN in the steps
/// after, where the launch's check finds it.
KOKKOS_FORCEINLINE_FUNCTION real_type divergedAsNaN(real_type V, real_type upper = real_type(diverged_V_mV)) {
  return V <= upper && V >= -real_type(diverged_V_mV) ? V : static_cast<real_type>(__builtin_nan(""));
}

/// Simulation step index (t_i = i * dt is the start of step i).
using step_type = std::int64_t;

/// Index of a neuron within its population (0-based, as in SONATA node_ids).
using index_type = std::int32_t;

/// Neurons per work item on CPU backends: two AVX-512 or four AVX2 vectors
/// of doubles, so consecutive lanes' long dependency chains overlap.
constexpr int lanes_per_chunk = 16;

/// The first of n neurons that part `part` of `parts` owns when a CPU launch
/// over their chunks of lanes_per_chunk is split as a static schedule splits
/// it: contiguous parts, the first (chunks mod parts) one chunk longer (the
/// split of GCC's OpenMP, which Kokkos's OpenMP backend uses there).
KOKKOS_INLINE_FUNCTION index_type chunkPartBegin(index_type n, int part, int parts) {
  const index_type chunks = (n + lanes_per_chunk - 1) / lanes_per_chunk;
  const index_type q = chunks / parts, r = chunks % parts;
  const index_type chunk = part * q + (part < r ? part : r);
  const index_type begin = chunk * lanes_per_chunk;
  return begin < n ? begin : n;
}

/// The part of `parts` whose share (chunkPartBegin) holds neuron i of n.
KOKKOS_INLINE_FUNCTION int chunkPartOf(index_type i, index_type n, int parts) {
  const index_type chunks = (n + lanes_per_chunk - 1) / lanes_per_chunk;
  const index_type q = chunks / parts, r = chunks % parts;
  const index_type chunk = i / lanes_per_chunk;
  // The first r parts hold q + 1 chunks each, the others q (q > 0 there).
  return chunk < r * (q + 1) ? static_cast<int>(chunk / (q + 1))
                             : static_cast<int>(r + (chunk - r * (q + 1)) / q);
}

using ExecutionSpace = Kokkos::DefaultExecutionSpace;
using MemorySpace = ExecutionSpace::memory_space;
using HostSpace = Kokkos::DefaultHostExecutionSpace;

/// A range over a projection's synapses, which number billions in a large
/// network: a signed 64-bit index. With CUDA's default one (unsigned int),
/// Kokkos's grid-stride loop wraps past 2^32 and runs some iterations twice
/// once a range passes 2^31 (docs/model.md §4.3).
using SynapseRange = Kokkos::RangePolicy<ExecutionSpace, Kokkos::IndexType<std::int64_t>>;

}  // namespace cbgtc
