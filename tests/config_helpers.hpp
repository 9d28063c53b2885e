#pragma once
// Short ways for tests to reach the built-in STN-GPe-GPi network's settings.

#include <stdexcept>
#include <variant>

#include "src/config.hpp"

namespace cbgtc::test {

inline PopulationSettings& population(SimulationConfig& c, const std::string& name) {
  PopulationSettings* p = c.population(name);
  if (!p) throw std::invalid_argument("no population " + name);
  return *p;
}

/// The sizes of the built-in populations STN, GPe and GPi.
inline void setSizes(SimulationConfig& c, std::int64_t n_stn, std::int64_t n_gpe, std::int64_t n_gpi) {
  population(c, "STN").n = n_stn;
  population(c, "GPe").n = n_gpe;
  population(c, "GPi").n = n_gpi;
}

inline models::StnHH::Settings& stnSettings(SimulationConfig& c, const std::string& name = "STN") {
  return std::get<models::StnHH::Settings>(population(c, name).params);
}

inline models::AdEx::Settings& adexSettings(SimulationConfig& c, const std::string& name) {
  return std::get<models::AdEx::Settings>(population(c, name).params);
}

}  // namespace cbgtc::test
