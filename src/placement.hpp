#pragma once
// Positions of neurons in 3D (µm), for electrodes (docs/model.md §5.3):
// uniform in a box or a sphere around a centre, a keyed draw per neuron, so
// a neuron's position depends only on (seed, population name, its index).

#include <cstdint>
#include <string>
#include <vector>

#include "src/config.hpp"

namespace cbgtc {

struct Position {
  double x_um = 0, y_um = 0, z_um = 0;
};

/// Whether the population has positions (placement is box or sphere).
bool isPlaced(const PopulationSettings& p);

/// The position of global neuron i of a placed population.
Position positionOf(const PopulationSettings& p, std::uint64_t seed, std::int64_t i);

/// Every neuron's coordinates of a placed population, in index order (µm).
struct Positions {
  std::vector<double> x_um, y_um, z_um;
};
Positions positionsOf(const PopulationSettings& p, std::uint64_t seed);

/// Checks the placement keys; throws ConfigError naming the key.
void checkPlacement(const PopulationSettings& p);

}  // namespace cbgtc
