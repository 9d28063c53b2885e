#include "src/heterogeneity.hpp"

#include <cmath>

#include "kernels/rng.hpp"

namespace cbgtc {

double biasCurrent(const BiasSettings& bias, std::uint64_t seed, std::uint32_t key, std::int64_t i) {
  if (bias.cv == 0) return bias.mean;
  const double sigma2 = std::log1p(bias.cv * bias.cv);
  const double z = rng::normals(seed, rng::Stream::Heterogeneity, key, static_cast<std::uint32_t>(i), 0).v[0];
  return bias.mean * std::exp(std::sqrt(sigma2) * z - 0.5 * sigma2);
}

}  // namespace cbgtc
