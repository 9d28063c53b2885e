#pragma once
// Per-neuron parameter spread (docs/model.md §5.5): a constant bias current
// per neuron, log-normal across the population.

#include <cstdint>

#include "src/config.hpp"

namespace cbgtc {

/// Neuron i's bias current: mean·exp(σz − σ²/2) with σ² = ln(1 + cv²) and z
/// a standard normal keyed by (seed, population key, i), so that the
/// population's mean is `mean` and its coefficient of variation `cv` (the
/// sign of the mean kept); exactly `mean` when cv = 0.
double biasCurrent(const BiasSettings& bias, std::uint64_t seed, std::uint32_t key, std::int64_t i);

}  // namespace cbgtc
