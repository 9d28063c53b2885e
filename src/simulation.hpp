#pragma once
// The time loop: owns the populations, their spike buffers and the voltage
// report buffers, and hands recorded data to an OutputWriter in chunks.

#include <memory>
#include <string>
#include <vector>

#include "io/output_writer.hpp"
#include "src/config.hpp"
#include "src/population.hpp"
#include "src/spike_buffer.hpp"

namespace cbgtc {

struct PopulationSummary {
  std::string name;
  index_type size = 0;
  std::int64_t spikes = 0;
  double rate_hz = 0.0;  // spikes / size / duration
};

struct RunSummary {
  std::vector<PopulationSummary> populations;
  std::int64_t steps = 0;
  double wall_seconds = 0.0;
};

class Simulation {
 public:
  explicit Simulation(const SimulationConfig& config);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  /// Runs every step; writer may be null (nothing recorded to file).
  RunSummary run(io::OutputWriter* writer);

 private:
  struct Recorder;
  SimulationConfig _config;
  StnPopulation<MemorySpace> _stn;
  AdExPopulation<MemorySpace> _gpe, _gpi;
  std::vector<std::unique_ptr<Recorder>> _recorders;  // STN, GPe, GPi
  step_type _min_isi_steps = 0;
  std::int64_t _flush_steps = 1;  // steps between spike-buffer flushes
  std::int32_t _gpe_refractory_steps = 0, _gpi_refractory_steps = 0;

  void flushSpikes(Recorder& r, io::OutputWriter* writer);
  void flushReport(Recorder& r, io::OutputWriter* writer);
};

/// Steps that `duration_ms` lasts at `dt_ms`, rounded to nearest.
std::int32_t stepsOf(double duration_ms, double dt_ms);

}  // namespace cbgtc
