#include "src/placement.hpp"

#include <cmath>

#include "kernels/rng.hpp"

namespace cbgtc {

bool isPlaced(const PopulationSettings& p) { return p.placement == "box" || p.placement == "sphere"; }

Position positionOf(const PopulationSettings& p, std::uint64_t seed, std::int64_t i) {
  const auto bits =
      rng::randomBits(seed, rng::Stream::Placement, randomKey(p), static_cast<std::uint32_t>(i), 0);
  const double u[3] = {rng::uniformOpen(bits.v[0]), rng::uniformOpen(bits.v[1]), rng::uniformOpen(bits.v[2])};
  Position pos{p.center_x_um, p.center_y_um, p.center_z_um};
  if (p.placement == "box") {
    pos.x_um += (u[0] - 0.5) * p.extent_um;
    pos.y_um += (u[1] - 0.5) * p.extent_um;
    pos.z_um += (u[2] - 0.5) * p.extent_um;
  } else {
    // Uniform in the ball: radius R·u^(1/3), direction uniform on the sphere
    // (cos θ uniform in [−1, 1], φ uniform).
    const double r = p.extent_um * std::cbrt(u[0]);
    const double cos_theta = 2 * u[1] - 1, sin_theta = std::sqrt(1 - cos_theta * cos_theta);
    const double phi = 2 * 3.14159265358979323846 * u[2];
    pos.x_um += r * sin_theta * std::cos(phi);
    pos.y_um += r * sin_theta * std::sin(phi);
    pos.z_um += r * cos_theta;
  }
  return pos;
}

Positions positionsOf(const PopulationSettings& p, std::uint64_t seed) {
  Positions all;
  for (std::int64_t i = 0; i < p.n; ++i) {
    const Position at = positionOf(p, seed, i);
    all.x_um.push_back(at.x_um);
    all.y_um.push_back(at.y_um);
    all.z_um.push_back(at.z_um);
  }
  return all;
}

void checkPlacement(const PopulationSettings& p) {
  checkChoice("population." + p.name + ".placement", p.placement, placement_choices);
}

}  // namespace cbgtc
