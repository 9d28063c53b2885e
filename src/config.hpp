#pragma once
// Everything a run needs to know, as plain aggregates with in-class defaults.
// Model parameter defaults live in kernels/ (one source of truth); io/options
// binds every field to a dotted key ("stn.gNa") for decks and command line.

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/adex.hpp"
#include "kernels/stn_hh.hpp"

namespace cbgtc {

struct SimulationSettings {
  double duration_ms = 1000.0;  // ms of model time
  double dt_ms = 0.025;         // ms, integration step
  std::int64_t seed = 42;       // keys every random stream
  bool epoch_batching = true;   // one kernel launch per population and epoch (false: per step)
  std::string delivery = "auto";  // spike delivery: auto, thread (per spike), team (per spike) or pull
  // delivery = pull: pull the steps where this share of a projection's
  // sources fire. Where pull starts to pay (perf/bench_delivery, rows of
  // 1000-5000): about 0.35-0.45 on an H100, only full volleys on a CPU core.
  double pull_fraction = Kokkos::SpaceAccessibility<Kokkos::DefaultExecutionSpace, Kokkos::HostSpace>::accessible
                             ? 0.9
                             : 0.4;
  // GPU lanes that advance one neuron together (kernels/lane_group.hpp):
  // 1, 2, 4 or 8; 0 = auto (8 or 4 while the network's neurons times that
  // fit in an eighth of the device's resident threads, else 1). CPU
  // backends use 1.
  std::int64_t lanes_per_neuron = 0;
};

struct NetworkSettings {
  std::int64_t n_stn = 100;
  std::int64_t n_gpe = 200;
  std::int64_t n_gpi = 150;
};

/// Ornstein–Uhlenbeck background current of one population (model.md §5),
/// in the population's current units (µA/cm² for STN, pA for AdEx).
struct NoiseSettings {
  double tau_ms = 5.0;
  double mu = 0.0;
  double sigma = 0.0;
};

/// One projection between populations (model.md §4.2, the intended model).
/// Conductances are in the target's units: mS/cm² into STN, nS into AdEx.
struct ProjectionSettings {
  std::string name;    // deck section [projection.<name>]
  std::string source;  // STN, GPe or GPi
  std::string target;
  std::string rule = "fixed_probability";  // or fixed_indegree
  double p = 0.1;                // fixed_probability: Bernoulli per pair
  std::int64_t indegree = 10;    // fixed_indegree: K distinct sources per target
  double g_total = 0.0;          // summed mean weight per target neuron
  double weight_cv = 0.2;        // log-normal coefficient of variation
  double delay_ms = 5.0;         // rounded to steps, >= 1 step
  double delay_jitter_ms = 0.0;  // per-synapse delay uniform in delay ± jitter
  double tau_ms = 3.0;           // single-exponential decay
  double E_rev_mV = 0.0;
  bool autapses = false;         // only matters when source == target
};

/// The four projections of the prototype with the intended delays and
/// kinetics (model.md §4.2). Conductances: see README ("Default network").
std::vector<ProjectionSettings> defaultProjections();

struct AnalysisSettings {
  double burn_in_ms = 200.0;     // excluded from every metric
  double segment_ms = 1000.0;    // Welch segment (1 s: 1 Hz resolution)
  double lfp_sample_ms = 1.0;    // LFP proxy sampling interval (1 kHz)
  double beta_lo_hz = 13.0;
  double beta_hi_hz = 30.0;
  double total_lo_hz = 1.0;      // denominator band of relative beta power
  double total_hi_hz = 100.0;
};

struct OutputSettings {
  std::string file = "cbgtc_output.h5";
  bool overwrite = false;
  bool spikes = true;               // write every spike (metrics are kept either way)
  std::int64_t v_every_steps = 40;  // steps between membrane-potential samples
  std::int64_t v_neurons = 0;       // first cells of each population recorded
  double progress_interval_s = 5.0; // wall time between progress lines (0: none)
  bool timers = false;              // time each phase (fences after each: slower)
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
  NoiseSettings stn_noise{5.0, 1.8, 1.0};  // model.md §5 (the prototype's builder)
  NoiseSettings gpe_noise{5.0, 0.0, 1.0};
  NoiseSettings gpi_noise{5.0, 0.0, 1.0};
  std::vector<ProjectionSettings> projections = defaultProjections();
  AnalysisSettings analysis;
  OutputSettings output;

  /// Number of steps; the parser guarantees duration is a multiple of dt.
  std::int64_t stepCount() const {
    return static_cast<std::int64_t>(simulation.duration_ms / simulation.dt_ms + 0.5);
  }
};

}  // namespace cbgtc
