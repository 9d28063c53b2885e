#pragma once
// Everything a run needs to know, as plain aggregates with in-class defaults.
// Model parameter defaults live in kernels/ (one source of truth); io/options
// binds every field to a dotted key ("stn.gNa") for decks and command line.

#include <cstdint>
#include <string>

#include "kernels/adex.hpp"
#include "kernels/stn_hh.hpp"

namespace cbgtc {

struct SimulationSettings {
  double duration_ms = 1000.0;  // ms of model time
  double dt_ms = 0.025;         // ms, integration step
  std::int64_t seed = 42;       // keys every random stream
};

struct NetworkSettings {
  std::int64_t n_stn = 100;
  std::int64_t n_gpe = 200;
  std::int64_t n_gpi = 150;
};

struct OutputSettings {
  std::string file = "cbgtc_output.h5";
  bool overwrite = false;
  std::int64_t v_every_steps = 40;  // steps between membrane-potential samples
  std::int64_t v_neurons = 0;       // first cells of each population recorded
};

struct SimulationConfig {
  SimulationSettings simulation;
  NetworkSettings network;
  stn::StnParams stn;
  stn::StnInit stn_init;
  adex::AdExParams gpe = adex::gpeParams();
  adex::AdExInit gpe_init = adex::gpeInit();
  adex::AdExParams gpi = adex::gpiParams();
  adex::AdExInit gpi_init = adex::gpiInit();
  OutputSettings output;

  /// Number of steps; the parser guarantees duration is a multiple of dt.
  std::int64_t stepCount() const {
    return static_cast<std::int64_t>(simulation.duration_ms / simulation.dt_ms + 0.5);
  }
};

}  // namespace cbgtc
