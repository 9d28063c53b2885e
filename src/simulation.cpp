#include "src/simulation.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "kernels/neuron_update.hpp"

namespace cbgtc {

// Spikes buffered on the device between flushes: at most one per neuron and
// step, so N·flush_steps entries can never overflow. The cap keeps the
// buffers of large networks small at the price of more frequent flushes.
constexpr std::int64_t max_buffered_spikes = std::int64_t(1) << 22;
constexpr std::int64_t max_flush_steps = 4000;
constexpr std::int64_t report_rows_per_flush = 1024;

struct Simulation::Recorder {
  std::string name;
  index_type size = 0;
  Kokkos::View<real_type*, MemorySpace> V;
  SpikeBuffer<MemorySpace> spikes;
  std::vector<std::int64_t> spike_counts;  // per neuron, whole run
  std::int64_t total_spikes = 0;

  index_type report_cells = 0;
  Kokkos::View<float**, Kokkos::LayoutRight, MemorySpace> report;
  std::int64_t report_rows = 0;  // filled rows not yet flushed
};

std::int32_t stepsOf(double duration_ms, double dt_ms) {
  return static_cast<std::int32_t>(std::llround(duration_ms / dt_ms));
}

Simulation::Simulation(const SimulationConfig& config)
    : _config(config),
      _stn(static_cast<index_type>(config.network.n_stn)),
      _gpe("GPe", static_cast<index_type>(config.network.n_gpe)),
      _gpi("GPi", static_cast<index_type>(config.network.n_gpi)) {
  const double dt = config.simulation.dt_ms;
  _min_isi_steps = stepsOf(config.stn.min_isi_ms, dt);
  _gpe_refractory_steps = stepsOf(config.gpe.t_ref_ms, dt);
  _gpi_refractory_steps = stepsOf(config.gpi.t_ref_ms, dt);

  const std::int64_t largest =
      std::max<std::int64_t>({1, config.network.n_stn, config.network.n_gpe, config.network.n_gpi});
  const std::int64_t flush_steps = std::clamp<std::int64_t>(max_buffered_spikes / largest, 1, max_flush_steps);
  _flush_steps = flush_steps;

  auto addRecorder = [&](PopulationId id, const Kokkos::View<real_type*, MemorySpace>& V) {
    auto r = std::make_unique<Recorder>();
    r->name = populationName(id);
    r->size = static_cast<index_type>(V.extent(0));
    r->V = V;
    r->spikes = SpikeBuffer<MemorySpace>(r->name, std::max<std::int64_t>(1, r->size * flush_steps));
    r->spike_counts.assign(static_cast<std::size_t>(r->size), 0);
    r->report_cells = static_cast<index_type>(std::min<std::int64_t>(config.output.v_neurons, r->size));
    if (r->report_cells > 0)
      r->report = Kokkos::View<float**, Kokkos::LayoutRight, MemorySpace>(
          Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::" + r->name + "::report"),
          report_rows_per_flush, r->report_cells);
    _recorders.push_back(std::move(r));
  };
  addRecorder(PopulationId::STN, _stn.V);
  addRecorder(PopulationId::GPe, _gpe.V);
  addRecorder(PopulationId::GPi, _gpi.V);

  const ExecutionSpace space;
  const auto seed = static_cast<std::uint64_t>(config.simulation.seed);
  initializeStn(space, _stn, config.stn_init, seed, PopulationId::STN);
  initializeAdEx(space, _gpe, config.gpe_init, seed, PopulationId::GPe);
  initializeAdEx(space, _gpi, config.gpi_init, seed, PopulationId::GPi);
  space.fence();
}

Simulation::~Simulation() = default;

void Simulation::flushSpikes(Recorder& r, io::OutputWriter* writer) {
  std::int64_t count = 0;
  Kokkos::deep_copy(count, r.spikes.count);
  if (count > r.spikes.capacity())
    throw std::runtime_error("cbgtc: spike buffer of " + r.name + " overflowed (" + std::to_string(count) +
                             " spikes, capacity " + std::to_string(r.spikes.capacity()) + ")");
  if (count == 0) return;
  const std::pair<std::int64_t, std::int64_t> range(0, count);
  auto steps = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), Kokkos::subview(r.spikes.step, range));
  auto nodes = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), Kokkos::subview(r.spikes.node, range));
  Kokkos::deep_copy(r.spikes.count, std::int64_t(0));

  // Atomic appends arrive in any order: sort by (step, node).
  std::vector<std::int64_t> order(static_cast<std::size_t>(count));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    return steps(a) != steps(b) ? steps(a) < steps(b) : nodes(a) < nodes(b);
  });
  std::vector<double> times_ms(order.size());
  std::vector<std::uint64_t> ids(order.size());
  const double dt = _config.simulation.dt_ms;
  for (std::size_t k = 0; k < order.size(); ++k) {
    times_ms[k] = static_cast<double>(steps(order[k])) * dt;
    ids[k] = static_cast<std::uint64_t>(nodes(order[k]));
    ++r.spike_counts[ids[k]];
  }
  r.total_spikes += count;
  if (writer) writer->appendSpikes(r.name, times_ms, ids);
}

void Simulation::flushReport(Recorder& r, io::OutputWriter* writer) {
  if (r.report_rows == 0) return;
  const std::pair<std::int64_t, std::int64_t> rows(0, r.report_rows);
  auto filled = Kokkos::subview(r.report, rows, Kokkos::ALL());
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), filled);
  if (writer) writer->appendReport(r.name, host.data(), static_cast<std::size_t>(r.report_rows));
  r.report_rows = 0;
}

// Schedule of one step i (t_i = i·dt is the start of the step):
//   1. every population advances from its state at t_i to t_{i+1}; the
//      populations are independent until synapses exist (next issue);
//   2. a spike detected in step i is recorded with timestamp t_i (the
//      prototype's and Brian2's convention);
//   3. V is sampled at t = 0, Δ, 2Δ, ... (Δ = v_every_steps·dt), before T;
//   4. spike and report buffers are flushed to the writer every flush_steps
//      and at the end: there is no host–device copy in between.
RunSummary Simulation::run(io::OutputWriter* writer) {
  const auto t0 = std::chrono::steady_clock::now();
  const ExecutionSpace space;
  const double dt_ms = _config.simulation.dt_ms;
  const real_type dt = static_cast<real_type>(dt_ms);
  const std::int64_t n_steps = _config.stepCount();
  const std::int64_t v_every = _config.output.v_every_steps;
  const std::int64_t flush_steps = _flush_steps;

  if (writer) {
    for (auto& r : _recorders) {
      writer->addSpikePopulation(r->name);
      if (r->report_cells > 0) {
        std::vector<std::uint64_t> ids(static_cast<std::size_t>(r->report_cells));
        std::iota(ids.begin(), ids.end(), 0);
        writer->addReport(r->name, ids, 0.0, static_cast<double>(v_every) * dt_ms);
      }
    }
  }

  auto sample = [&](Recorder& r) {
    if (r.report_cells == 0) return;
    if (r.report_rows == report_rows_per_flush) flushReport(r, writer);
    sampleVoltage(space, r.V, r.report, r.report_rows++);
  };

  const Kokkos::View<const real_type*, MemorySpace> no_input;
  if (n_steps > 0)
    for (auto& r : _recorders) sample(*r);
  for (std::int64_t step = 0; step < n_steps; ++step) {
    advanceStn(space, _stn, _config.stn, dt, step, _min_isi_steps, no_input, _recorders[0]->spikes);
    advanceAdEx(space, _gpe, _config.gpe, dt, step, _gpe_refractory_steps, no_input, _recorders[1]->spikes);
    advanceAdEx(space, _gpi, _config.gpi, dt, step, _gpi_refractory_steps, no_input, _recorders[2]->spikes);

    const std::int64_t next = step + 1;
    if (next % v_every == 0 && next < n_steps)
      for (auto& r : _recorders) sample(*r);
    if (next % flush_steps == 0 || next == n_steps)
      for (auto& r : _recorders) flushSpikes(*r, writer);
  }
  for (auto& r : _recorders) flushReport(*r, writer);
  space.fence();

  RunSummary summary;
  summary.steps = n_steps;
  const double seconds = _config.simulation.duration_ms / 1000.0;
  for (const auto& r : _recorders) {
    PopulationSummary p;
    p.name = r->name;
    p.size = r->size;
    p.spikes = r->total_spikes;
    p.rate_hz = (r->size > 0 && seconds > 0) ? static_cast<double>(r->total_spikes) / r->size / seconds : 0.0;
    summary.populations.push_back(p);
  }
  summary.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return summary;
}

}  // namespace cbgtc
