#include "src/config.hpp"

namespace cbgtc {

PopulationSettings PopulationSettings::of(const std::string& name, const std::string& model, std::int64_t n) {
  PopulationSettings p;
  p.name = name;
  p.model = model;
  p.n = n;
  p.params = defaultModelSettings(model);
  return p;
}

std::vector<PopulationSettings> defaultPopulations() {
  // Sizes: docs/model.md §1; noise: docs/model.md §5.
  PopulationSettings stn = PopulationSettings::of("STN", models::StnHH::name, 100);
  stn.noise = NoiseSettings{5.0, 1.8, 1.0};
  PopulationSettings gpe = PopulationSettings::of("GPe", models::AdEx::name, 200);
  gpe.params = models::AdEx::Settings{adex::gpeParams(), adex::gpeInit()};
  gpe.noise = NoiseSettings{5.0, 0.0, 1.0};
  PopulationSettings gpi = PopulationSettings::of("GPi", models::AdEx::name, 150);
  gpi.params = models::AdEx::Settings{adex::gpiParams(), adex::gpiInit()};
  gpi.noise = NoiseSettings{5.0, 0.0, 1.0};
  return {stn, gpe, gpi};
}

const PopulationSettings* SimulationConfig::population(const std::string& name) const {
  for (const auto& p : populations)
    if (p.name == name) return &p;
  return nullptr;
}

PopulationSettings* SimulationConfig::population(const std::string& name) {
  for (auto& p : populations)
    if (p.name == name) return &p;
  return nullptr;
}

PopulationsByName::PopulationsByName(const SimulationConfig& c) {
  _by_name.reserve(c.populations.size());
  for (const PopulationSettings& p : c.populations) _by_name.emplace(p.name, &p);  // the first of a name
}

const PopulationSettings* PopulationsByName::operator()(const std::string& name) const {
  const auto it = _by_name.find(name);
  return it == _by_name.end() ? nullptr : it->second;
}

std::vector<ProjectionSettings> defaultProjections() {
  // Connection probabilities, delays and kinetics: docs/model.md §4.2.
  // g_total replaces the prototype's weight rule (Σw per target of
  // 3.0/12.6/6.0/3.0 "nS" at any size, fed unconverted into the STN: D3 in
  // docs/model.md §9.1): AdEx targets keep nS; the STN value is in mS/cm².
  auto make = [](const char* name, const char* source, const char* target, double p, double g_total,
                 double delay_ms, double tau_ms, double E_rev_mV) {
    ProjectionSettings s;
    s.name = name;
    s.source = source;
    s.target = target;
    s.rule = "fixed_probability";
    s.p = p;
    s.g_total = g_total;
    s.weight_cv = 0.2;
    s.delay_ms = delay_ms;
    s.tau_ms = tau_ms;
    s.E_rev_mV = E_rev_mV;
    return s;
  };
  return {make("stn_gpe", "STN", "GPe", 0.15, 10.0, 5.0, 3.0, 0.0),
          make("gpe_stn", "GPe", "STN", 0.07, 1.0, 8.0, 8.0, -70.0),
          make("stn_gpi", "STN", "GPi", 0.30, 10.0, 5.0, 3.0, 0.0),
          make("gpe_gpi", "GPe", "GPi", 0.05, 10.0, 5.0, 8.0, -70.0)};
}

}  // namespace cbgtc
