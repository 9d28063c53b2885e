#pragma once
// The time loop: owns the populations, their drives (synapses, noise), the
// projections, and the recording buffers, and hands recorded data to an
// OutputWriter in chunks.

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "io/output_writer.hpp"
#include "kernels/population_drive.hpp"
#include "src/config.hpp"
#include "src/population.hpp"
#include "src/projection.hpp"
#include "src/spike_buffer.hpp"

namespace cbgtc {

/// Per-population results, over the time after analysis.burn_in_ms.
struct PopulationSummary {
  std::string name;
  index_type size = 0;
  std::int64_t spikes = 0;         // whole run
  double rate_hz = 0.0;            // after burn-in
  double cv_isi = 0.0;             // mean CV of ISI of neurons with >= 3 spikes; NaN if none
  double beta_power = 0.0;         // LFP proxy power in the beta band (units²)
  double relative_beta = 0.0;      // beta power / power in [total_lo, total_hi]
  double beta_peak_hz = 0.0;       // NaN if the band holds no bin
  double lfp_mean = 0.0;           // mean of the LFP proxy
};

struct RunSummary {
  std::vector<PopulationSummary> populations;
  std::int64_t steps = 0;           // steps completed
  bool complete = true;             // false when stopped early
  double wall_seconds = 0.0;
};

class Simulation {
 public:
  explicit Simulation(const SimulationConfig& config);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  /// Runs every step, or until *stop becomes true (checked every step).
  /// writer may be null (nothing recorded to file); progress lines go to
  /// `progress` when it is not null.
  RunSummary run(io::OutputWriter* writer, const std::atomic<bool>* stop = nullptr,
                 std::FILE* progress = nullptr);

  const std::vector<Projection>& projections() const { return _projections; }
  std::int64_t synapseCount() const;
  std::size_t synapseBytes() const;

 private:
  struct Recorder;
  SimulationConfig _config;
  StnPopulation<MemorySpace> _stn;
  AdExPopulation<MemorySpace> _gpe, _gpi;
  PopulationDrive<MemorySpace> _drives[3];            // by PopulationId
  std::vector<Projection> _projections;
  std::vector<Kokkos::View<std::int64_t**, Kokkos::LayoutRight, MemorySpace>> _rings;  // per projection
  std::vector<std::unique_ptr<Recorder>> _recorders;  // by PopulationId
  step_type _min_isi_steps = 0;
  std::int32_t _gpe_refractory_steps = 0, _gpi_refractory_steps = 0;
  std::int64_t _flush_steps = 1;  // steps between spike-buffer flushes
  step_type _lfp_every = 1;       // steps between LFP samples

  void flushSpikes(Recorder& r, io::OutputWriter* writer);
  void flushReport(Recorder& r, io::OutputWriter* writer);
  void step(step_type k);
  PopulationSummary summarize(Recorder& r, std::int64_t steps_done, io::OutputWriter* writer);
};

/// Steps that `duration_ms` lasts at `dt_ms`, rounded to nearest.
std::int32_t stepsOf(double duration_ms, double dt_ms);

}  // namespace cbgtc
