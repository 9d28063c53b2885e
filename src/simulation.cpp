#include "src/simulation.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>

#include <Kokkos_Sort.hpp>

#include "kernels/neuron_update.hpp"
#include "src/analysis/spectral.hpp"

namespace cbgtc {

constexpr std::int64_t max_flush_steps = 4000;
constexpr std::int64_t report_rows_per_flush = 1024;

struct Simulation::Recorder {
  std::string name;
  PopulationId id{};
  index_type size = 0;        // whole population
  index_type local_size = 0;  // this rank's block
  std::string current_units;  // of the LFP proxy
  Kokkos::View<real_type*, MemorySpace> V;
  SpikeBuffer<MemorySpace> spikes;  // the simulation's buffer, stamping this population
  SpikeStatistics<MemorySpace> stats;  // of this rank's neurons, on the device

  index_type report_cells = 0;        // whole report (the first v_neurons cells)
  index_type local_report_cells = 0;  // of them, on this rank
  Kokkos::View<float**, Kokkos::LayoutRight, MemorySpace> report;
  std::int64_t report_rows = 0;  // filled rows not yet flushed
  std::int64_t report_capacity = 0;

  Kokkos::View<double*, MemorySpace> lfp;  // one sample per lfp_every steps
  Kokkos::View<real_type**, Kokkos::LayoutRight, MemorySpace> lfp_scratch;  // [sample in epoch][neuron]
};

namespace {

/// Adds the wall time of its scope to `into` when enabled, after a fence so
/// that asynchronous kernels are counted in the phase that launched them.
class PhaseTimer {
 public:
  PhaseTimer(bool enabled, double& into) : _enabled(enabled), _into(into) {
    if (_enabled) _start = std::chrono::steady_clock::now();
  }
  ~PhaseTimer() {
    if (!_enabled) return;
    ExecutionSpace().fence();
    _into += std::chrono::duration<double>(std::chrono::steady_clock::now() - _start).count();
  }

 private:
  bool _enabled;
  double& _into;
  std::chrono::steady_clock::time_point _start;
};

index_type populationSize(const SimulationConfig& c, PopulationId id) {
  switch (id) {
    case PopulationId::STN:
      return static_cast<index_type>(c.network.n_stn);
    case PopulationId::GPe:
      return static_cast<index_type>(c.network.n_gpe);
    case PopulationId::GPi:
      return static_cast<index_type>(c.network.n_gpi);
  }
  return 0;
}

const NoiseSettings& noiseOf(const SimulationConfig& c, PopulationId id) {
  switch (id) {
    case PopulationId::STN:
      return c.stn_noise;
    case PopulationId::GPe:
      return c.gpe_noise;
    case PopulationId::GPi:
      return c.gpi_noise;
  }
  return c.stn_noise;
}

constexpr PopulationId all_populations[] = {PopulationId::STN, PopulationId::GPe, PopulationId::GPi};

/// Row sums of the epoch's LFP scratch (m = 0..samples−1, one row per
/// sample, one column per neuron) into lfp(first + m): one launch, a team
/// per sample.
template <class ExecutionSpace, class Scratch, class MemorySpace>
void sumLfp(const ExecutionSpace& space, const Scratch& scratch, std::int64_t samples,
            const Kokkos::View<double*, MemorySpace>& lfp, std::int64_t first) {
  using Policy = Kokkos::TeamPolicy<ExecutionSpace>;
  using Member = typename Policy::member_type;
  const auto n = static_cast<index_type>(scratch.extent(1));
  Kokkos::parallel_for(
      "cbgtc::Lfp::sum", lightweight(Policy(space, static_cast<int>(samples), Kokkos::AUTO)),
      KOKKOS_LAMBDA(const Member& team) {
        const auto m = team.league_rank();
        double sum = 0;
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(team, n),
            [&](const index_type i, double& partial) { partial += static_cast<double>(scratch(m, i)); }, sum);
        Kokkos::single(Kokkos::PerTeam(team), [&] { lfp(first + m) = sum; });
      });
}

/// Sorted keys ((step − k0)·3 + population) << 32 | index of the first
/// keys.extent(0) records.
template <class ExecutionSpace, class Records, class Keys>
void sortKeys(const ExecutionSpace& space, const Records& records, const Keys& keys, step_type k0) {
  Kokkos::parallel_for(
      "cbgtc::Exchange::keys", lightweight(Kokkos::RangePolicy<ExecutionSpace>(space, 0, keys.extent(0))),
      KOKKOS_LAMBDA(const std::size_t k) {
        const comm::SpikeRecord r = records(k);
        keys(k) = (static_cast<std::uint64_t>((r.step - k0) * 3 + r.population) << 32) | r.index;
      });
  Kokkos::sort(keys);
}

}  // namespace

Simulation::Simulation(const SimulationConfig& config) : Simulation(config, _local_comm) {}

Simulation::Simulation(const SimulationConfig& config, const comm::Communicator& comm)
    : _comm(comm), _config(config) {
  const double dt = config.simulation.dt_ms;
  const auto seed = static_cast<std::uint64_t>(config.simulation.seed);
  for (PopulationId id : all_populations)
    _blocks[static_cast<std::size_t>(id)] =
        comm::blockOf(populationSize(config, id), comm.size(), comm.rank());
  auto localSize = [this](PopulationId id) {
    return static_cast<index_type>(_blocks[static_cast<std::size_t>(id)].size());
  };
  auto firstGlobal = [this](PopulationId id) {
    return static_cast<index_type>(_blocks[static_cast<std::size_t>(id)].begin);
  };
  _stn = StnPopulation<MemorySpace>(localSize(PopulationId::STN));
  _gpe = AdExPopulation<MemorySpace>("GPe", localSize(PopulationId::GPe));
  _gpi = AdExPopulation<MemorySpace>("GPi", localSize(PopulationId::GPi));

  _min_isi_steps = stepsOf(config.stn.min_isi_ms, dt);
  _gpe_refractory_steps = stepsOf(config.gpe.t_ref_ms, dt);
  _gpi_refractory_steps = stepsOf(config.gpi.t_ref_ms, dt);
  _lfp_every = std::max<step_type>(1, stepsOf(config.analysis.lfp_sample_ms, dt));
  const std::int64_t n_steps = config.stepCount();
  const std::int64_t lfp_samples = (n_steps + _lfp_every - 1) / _lfp_every;

  // Epoch: at most the smallest delay of any projection, so spikes of an
  // epoch only arrive in later epochs. From global quantities only, so
  // every rank agrees.
  step_type min_delay = max_flush_steps;
  for (const auto& p : config.projections)
    min_delay = std::min<step_type>(min_delay, delaySteps(p.delay_ms - p.delay_jitter_ms, dt));
  _epoch_steps = std::clamp<step_type>(min_delay, 1, max_flush_steps);
  _lanes_per_neuron = chooseLanesPerNeuron<ExecutionSpace>(
      config.simulation.lanes_per_neuron, _blocks[0].size() + _blocks[1].size() + _blocks[2].size());
  // Spikes a neuron can emit in one epoch, from the least separation of two
  // of its spikes: STN detections need V below threshold in between (2
  // steps) and min_isi; an AdEx spike is followed by the refractory steps.
  auto maxSpikesPerEpoch = [this](step_type separation) {
    return (_epoch_steps - 1) / std::max<step_type>(1, separation) + 1;
  };
  const step_type least_separation[3] = {std::max<step_type>(_min_isi_steps, 2), _gpe_refractory_steps + 1,
                                         _gpi_refractory_steps + 1};

  const ExecutionSpace space;
  const Kokkos::View<real_type*, MemorySpace> V_of[3] = {_stn.V, _gpe.V, _gpi.V};
  std::int64_t spike_capacity = 1;
  for (PopulationId id : all_populations) {
    const auto p = static_cast<std::size_t>(id);
    const index_type n = localSize(id);
    const std::string name = populationName(id);

    auto& d = _drives[p];
    d = quietDrive<MemorySpace>();
    d.seed = seed;
    d.population = static_cast<std::uint32_t>(id);
    d.first_global = firstGlobal(id);
    const NoiseSettings& noise = noiseOf(config, id);
    d.noise = OuParams::make(noise.tau_ms, noise.mu, noise.sigma, dt);
    if (d.noise.active) {
      d.ou = Kokkos::View<real_type*, MemorySpace>(
          Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::" + name + "::ou"), n);
      initializeNoise(space, d);
    }

    auto r = std::make_unique<Recorder>();
    r->name = name;
    r->id = id;
    r->size = populationSize(config, id);
    r->local_size = n;
    r->current_units = id == PopulationId::STN ? "uA/cm^2" : "pA";
    r->V = V_of[p];
    spike_capacity += std::int64_t(n) * maxSpikesPerEpoch(least_separation[p]);
    r->stats = SpikeStatistics<MemorySpace>(name, n, stepsOf(config.analysis.burn_in_ms, dt), dt);
    r->report_cells = static_cast<index_type>(std::min<std::int64_t>(config.output.v_neurons, r->size));
    r->local_report_cells = static_cast<index_type>(
        std::clamp<std::int64_t>(r->report_cells - _blocks[p].begin, 0, _blocks[p].size()));
    // Room for at least one epoch of samples plus the initial row; the same
    // on every rank, because flushing the report is collective.
    r->report_capacity = std::max<std::int64_t>(report_rows_per_flush, _epoch_steps / config.output.v_every_steps + 2);
    if (r->local_report_cells > 0)
      r->report = Kokkos::View<float**, Kokkos::LayoutRight, MemorySpace>(
          Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::" + name + "::report"), r->report_capacity,
          r->local_report_cells);
    r->lfp = Kokkos::View<double*, MemorySpace>("cbgtc::" + name + "::lfp", lfp_samples);
    r->lfp_scratch = Kokkos::View<real_type**, Kokkos::LayoutRight, MemorySpace>(
        "cbgtc::" + name + "::lfp_scratch", (_epoch_steps + _lfp_every - 1) / _lfp_every + 1, n);
    _recorders.push_back(std::move(r));
  }
  _spikes = SpikeBuffer<MemorySpace>("Network", spike_capacity);
  for (auto& r : _recorders) r->spikes = _spikes.forPopulation(static_cast<std::uint32_t>(r->id));

  for (std::size_t pi = 0; pi < config.projections.size(); ++pi) {
    const ProjectionSettings& s = config.projections[pi];
    const PopulationId source = populationIdOf(s.source), target = populationIdOf(s.target);
    ProjectionShape shape;
    shape.n_pre = populationSize(config, source);
    shape.n_post = populationSize(config, target);
    shape.same_population = source == target;
    shape.target_begin = firstGlobal(target);
    shape.target_end = firstGlobal(target) + localSize(target);
    const Connectivity pull = buildConnectivity(s, shape, seed, static_cast<std::uint32_t>(pi), dt);
    _projections.push_back(makeProjection(s, pull, shape, dt));
    Projection& proj = _projections.back();
    const std::string& choice = config.simulation.delivery;
    proj.delivery = choice == "team"     ? Delivery::TeamPerSpike
                    : choice == "thread" ? Delivery::ThreadPerSpike
                                         : chooseDelivery<ExecutionSpace>(
                                               shape.n_pre > 0 ? static_cast<double>(pull.synapseCount()) /
                                                                     shape.n_pre
                                                               : 0.0);  // this rank's row length
    if (choice == "pull") enablePull(proj, pull, static_cast<std::int32_t>(_epoch_steps));

    ConductanceInput<MemorySpace> in;
    in.n_slots = proj.max_delay_steps + 1;
    in.ring = Kokkos::View<std::int64_t**, Kokkos::LayoutRight, MemorySpace>(
        "cbgtc::" + s.name + "::ring", in.n_slots, shape.localTargets());
    in.g = Kokkos::View<real_type*, MemorySpace>("cbgtc::" + s.name + "::g", shape.localTargets());
    in.decay = static_cast<real_type>(std::exp(-dt / s.tau_ms));
    in.E_rev = static_cast<real_type>(s.E_rev_mV);
    auto& inputs = _drives[static_cast<std::size_t>(target)].synapses;
    inputs.input[inputs.count++] = in;
    _rings.push_back(in.ring);
  }

  initializeStn(space, _stn, config.stn_init, seed, PopulationId::STN, firstGlobal(PopulationId::STN));
  initializeAdEx(space, _gpe, config.gpe_init, seed, PopulationId::GPe, firstGlobal(PopulationId::GPe));
  initializeAdEx(space, _gpi, config.gpi_init, seed, PopulationId::GPi, firstGlobal(PopulationId::GPi));
  space.fence();
}

Simulation::~Simulation() = default;

std::int64_t Simulation::synapseCount() const {
  std::int64_t n = 0;
  for (const auto& p : _projections) n += p.synapseCount();
  return _comm.sum(n);
}

std::size_t Simulation::synapseBytes() const {
  std::int64_t n = 0;
  for (const auto& p : _projections) n += static_cast<std::int64_t>(p.bytes());
  return static_cast<std::size_t>(_comm.sum(n));
}

// End of an epoch: gather every rank's spikes of the epoch on every rank,
// deliver them into the local arrival rings, and (rank 0) record them. The
// merged list is sorted by (step, population, index), so what is written
// does not depend on the number of ranks or threads; what is delivered
// does not depend on the order anyway (integer arrivals).
void Simulation::exchangeSpikes(step_type k0, io::OutputWriter* writer) {
  const bool timed = _config.output.timers;
  const ExecutionSpace space;
  // A single rank delivers from the device buffer itself; with several, the
  // gathered spikes are copied to the device. The spikes themselves visit
  // the host only where needed: several ranks, spikes written to the file,
  // or pull delivery planning from their steps.
  const bool gathered = _comm.size() > 1;
  bool planning = false;
  for (const auto& proj : _projections) planning |= proj.pull.enabled();
  const bool to_host = gathered || planning || (_comm.isRoot() && writer && _config.output.spikes);
  constexpr bool sort_on_device = !Kokkos::SpaceAccessibility<ExecutionSpace, Kokkos::HostSpace>::accessible;
  std::vector<comm::SpikeRecord> all;
  std::int64_t n_spikes = 0;
  {
    PhaseTimer timer(timed, _phases.exchange);
    std::int64_t count = 0;
    Kokkos::deep_copy(count, _spikes.count);
    if (count > _spikes.capacity())
      throw std::runtime_error("spike buffer overflowed (" + std::to_string(count) + " spikes, capacity " +
                               std::to_string(_spikes.capacity()) + ")");
    std::vector<comm::SpikeRecord> local(to_host ? static_cast<std::size_t>(count) : 0);
    if (count > 0 && to_host && sort_on_device) {
      // A GPU sorts (step, population, index) keys, half the bytes of the
      // records, before they cross: an epoch of a large network holds
      // 1e5–1e6 spikes, and the host's sort took milliseconds.
      if (_spike_keys.extent(0) < static_cast<std::size_t>(count))
        _spike_keys = Kokkos::View<std::uint64_t*, MemorySpace>(
            Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::Exchange::keys"), _spikes.capacity());
      const auto keys = Kokkos::subview(_spike_keys, std::pair<std::int64_t, std::int64_t>(0, count));
      sortKeys(space, _spikes.records, keys, k0);
      std::vector<std::uint64_t> sorted(static_cast<std::size_t>(count));
      Kokkos::deep_copy(
          Kokkos::View<std::uint64_t*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>(sorted.data(),
                                                                                                 sorted.size()),
          keys);
      for (std::size_t k = 0; k < sorted.size(); ++k) {
        const auto high = static_cast<std::int64_t>(sorted[k] >> 32);
        local[k] = comm::SpikeRecord{k0 + high / 3, static_cast<std::uint32_t>(high % 3),
                                     static_cast<std::uint32_t>(sorted[k] & 0xFFFFFFFFu)};
      }
    } else if (count > 0 && to_host) {
      const Kokkos::View<comm::SpikeRecord*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> host(
          local.data(), local.size());
      Kokkos::deep_copy(host, Kokkos::subview(_spikes.records, std::pair<std::int64_t, std::int64_t>(0, count)));
      std::sort(local.begin(), local.end());
    }
    if (count > 0) Kokkos::deep_copy(space, _spikes.count, std::int64_t(0));
    if (gathered) {
      all = _comm.allgather(local);
      std::sort(all.begin(), all.end());
      n_spikes = static_cast<std::int64_t>(all.size());
    } else {
      all = std::move(local);
      n_spikes = count;
    }
  }
  if (n_spikes > 0) {
    PhaseTimer timer(timed, _phases.delivery);
    Kokkos::View<comm::SpikeRecord*, MemorySpace> spikes = _spikes.records;
    if (gathered) {
      if (_epoch_spikes.extent(0) < all.size())
        _epoch_spikes = Kokkos::View<comm::SpikeRecord*, MemorySpace>(
            Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::Exchange::spikes"), 2 * all.size());
      const Kokkos::View<const comm::SpikeRecord*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>
          host(all.data(), all.size());
      Kokkos::deep_copy(Kokkos::subview(_epoch_spikes, std::pair<std::size_t, std::size_t>(0, all.size())),
                        host);
      spikes = _epoch_spikes;
    }
    // Spikes per population and epoch step: what pull delivery plans with.
    std::vector<std::int64_t> per_step[3];
    if (planning) {
      for (auto& counts : per_step) counts.assign(static_cast<std::size_t>(_epoch_steps), 0);
      for (const auto& spike : all) ++per_step[spike.population][static_cast<std::size_t>(spike.step - k0)];
    }
    const auto n = static_cast<std::size_t>(n_spikes);
    for (std::size_t p = 0; p < _projections.size(); ++p) {
      Projection& proj = _projections[p];
      if (proj.synapseCount() == 0) continue;
      const auto source = static_cast<std::uint32_t>(proj.source);
      std::int32_t pulled = 0;
      if (proj.pull.enabled()) {
        pulled = planPull(per_step[source], proj.by_source.numRows(), _config.simulation.pull_fraction,
                          proj.pull.capacity, proj.pull.host_columns);
        pullSpikes(space, proj.pull, pulled, spikes, n, source, k0, proj.delay_steps, _rings[p]);
      }
      deliverSpikes(space, proj.by_source, spikes, n, source,
                    Kokkos::View<const delay_type*, MemorySpace>(proj.delays), proj.delay_steps, _rings[p],
                    proj.delivery,
                    pulled > 0 ? Kokkos::View<const std::int32_t*, MemorySpace>(proj.pull.columns)
                               : Kokkos::View<const std::int32_t*, MemorySpace>(),
                    k0);
    }
  }
  PhaseTimer timer(timed, _phases.output);
  if (_comm.isRoot() && writer && _config.output.spikes) writeSpikes(all, *writer);
}

void Simulation::writeSpikes(const std::vector<comm::SpikeRecord>& all, io::OutputWriter& writer) {
  const double dt = _config.simulation.dt_ms;
  for (auto& r : _recorders) {
    std::vector<double> times_ms;
    std::vector<std::uint64_t> ids;
    for (const auto& spike : all) {
      if (spike.population != static_cast<std::uint32_t>(r->id)) continue;
      times_ms.push_back(static_cast<double>(spike.step) * dt);
      ids.push_back(spike.index);
    }
    if (!ids.empty()) writer.appendSpikes(r->name, times_ms, ids);
  }
}

// Every rank samples its own report cells on the same steps; rank 0 gathers
// the blocks (rank order = cell order) and interleaves them into rows.
void Simulation::flushReport(Recorder& r, io::OutputWriter* writer) {
  if (r.report_rows == 0 || r.report_cells == 0) return;
  std::vector<float> mine;
  if (r.local_report_cells > 0) {
    const std::pair<std::int64_t, std::int64_t> rows(0, r.report_rows);
    auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(),
                                                    Kokkos::subview(r.report, rows, Kokkos::ALL()));
    mine.assign(host.data(), host.data() + host.span());
  }
  const std::vector<float> gathered = _comm.gatherToRoot(mine);
  if (_comm.isRoot() && writer) {
    const auto rows = static_cast<std::size_t>(r.report_rows);
    const auto cells = static_cast<std::size_t>(r.report_cells);
    std::vector<float> table(rows * cells);
    std::size_t offset = 0, first_cell = 0;
    for (int rank = 0; rank < _comm.size() && first_cell < cells; ++rank) {
      const comm::Block b = comm::blockOf(r.size, _comm.size(), rank);
      const auto n =
          static_cast<std::size_t>(std::clamp<std::int64_t>(r.report_cells - b.begin, 0, b.size()));
      for (std::size_t row = 0; row < rows; ++row)
        for (std::size_t c = 0; c < n; ++c)
          table[row * cells + first_cell + c] = gathered[offset + row * n + c];
      offset += rows * n;
      first_cell += n;
    }
    writer->appendReport(r.name, table.data(), rows);
  }
  r.report_rows = 0;
}

// Steps [k0, k1) (t_k = k·dt is the start of step k). In step k every
// population (this rank's block of it) advances from t_k to t_{k+1} with
// input x_k − I_syn, where I_syn = Σ g_k·(V_k − E) and g_k includes every
// spike arriving at the start of step k; spikes go to the device spike
// buffers; at LFP steps each neuron's Σ|I_syn| is kept and summed into the
// population's LFP proxy after the launch.
//
// [k0, k1) lies within one epoch, so no spike emitted in it arrives before
// k1: each population can advance through the whole range in one launch
// (simulation.epoch_batching = true) or one launch per step; both give
// identical results. At the end of every epoch (exchangeSpikes) the spikes
// of the epoch are gathered from all ranks and delivered into the arrival
// slot (step + delay) of their targets. A spike detected in step k has
// timestamp t_k (the prototype's and Brian2's convention). Within an epoch
// nothing is copied between host and device.
void Simulation::advance(step_type k0, step_type k1, io::OutputWriter* writer) {
  const ExecutionSpace space;
  const real_type dt = static_cast<real_type>(_config.simulation.dt_ms);
  const step_type v_every = _config.output.v_every_steps;
  const step_type n_steps = _config.stepCount();
  // Report rows of this range: samples m with m·v_every in (k0, k1] and < n_steps.
  const step_type v_first = k0 / v_every + 1;
  const step_type v_last = std::min<step_type>(k1 / v_every, (n_steps - 1) / v_every);
  const std::int64_t report_rows = std::max<step_type>(0, v_last - v_first + 1);
  const step_type lfp_first = (k0 + _lfp_every - 1) / _lfp_every;
  const step_type lfp_end = (k1 + _lfp_every - 1) / _lfp_every;

  StepRecording<MemorySpace> rec[3];
  for (auto& r : _recorders) {
    if (r->report_cells > 0 && r->report_rows + report_rows > r->report_capacity) {
      PhaseTimer timer(_config.output.timers, _phases.output);
      flushReport(*r, writer);
    }
    auto& x = rec[static_cast<std::size_t>(r->id)];
    x.spikes = r->spikes;
    x.stats = r->stats;
    x.lfp = r->lfp_scratch;
    x.lfp_every = _lfp_every;
    x.lfp_first_sample = lfp_first;
    x.report = r->report;
    x.v_every = v_every;
    x.v_first_sample = v_first;
    x.report_row0 = r->report_rows;
    x.report_cells = r->local_report_cells;
    x.n_steps = n_steps;
  }
  {
    PhaseTimer timer(_config.output.timers, _phases.update);
    const auto& d = _drives;
    advancePopulations(space, k0, k1, _lanes_per_neuron, stepper(_stn, d[0], rec[0], StnAdvance{_config.stn, dt, _min_isi_steps}),
                       stepper(_gpe, d[1], rec[1], AdExAdvance{_config.gpe, dt, _gpe_refractory_steps}),
                       stepper(_gpi, d[2], rec[2], AdExAdvance{_config.gpi, dt, _gpi_refractory_steps}));
    for (auto& r : _recorders)
      if (r->local_size > 0 && lfp_end > lfp_first) sumLfp(space, r->lfp_scratch, lfp_end - lfp_first, r->lfp, lfp_first);
  }
  for (auto& r : _recorders) r->report_rows += report_rows;
}

RunSummary Simulation::run(io::OutputWriter* writer, const std::atomic<bool>* stop, std::FILE* progress) {
  const auto t0 = std::chrono::steady_clock::now();
  const ExecutionSpace space;
  const double dt_ms = _config.simulation.dt_ms;
  const std::int64_t n_steps = _config.stepCount();
  const std::int64_t v_every = _config.output.v_every_steps;

  if (writer) {
    for (auto& r : _recorders) {
      if (_config.output.spikes) writer->addSpikePopulation(r->name);
      if (r->report_cells > 0) {
        std::vector<std::uint64_t> ids(static_cast<std::size_t>(r->report_cells));
        std::iota(ids.begin(), ids.end(), 0);
        writer->addReport(r->name, ids, 0.0, static_cast<double>(v_every) * dt_ms);
      }
    }
  }

  // The initial state (t = 0) is report row 0; advance() adds the others.
  auto sample = [&](Recorder& r) {
    if (r.report_cells == 0) return;
    PhaseTimer timer(_config.output.timers, _phases.output);
    if (r.local_report_cells > 0) sampleVoltage(space, r.V, r.report, r.report_rows);
    ++r.report_rows;
  };

  // Progress in NEST's style; the real-time factor is model time over wall
  // time (> 1: faster than real time).
  const bool terminal = progress && isatty(fileno(progress));
  const double interval_s = _config.output.progress_interval_s;
  auto last_report = t0;
  auto report = [&](std::int64_t done, bool final_line) {
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double model_ms = static_cast<double>(done) * dt_ms;
    const double rtf = wall > 0 ? model_ms / 1000.0 / wall : 0.0;
    const int percent = n_steps > 0 ? static_cast<int>(100 * done / n_steps) : 100;
    std::fprintf(progress, "%s[ %3d%% ] Model time: %.1f ms, Real-time factor: %.4g%s", terminal ? "\r" : "",
                 percent, model_ms, rtf, terminal && !final_line ? "" : "\n");
    std::fflush(progress);
  };

  if (n_steps > 0)
    for (auto& r : _recorders) sample(*r);
  space.fence();
  const auto loop_start = std::chrono::steady_clock::now();
  std::int64_t done = 0;
  bool stopped = false;
  const bool batched = _config.simulation.epoch_batching;
  for (step_type k0 = 0; k0 < n_steps; k0 += _epoch_steps) {
    if (_comm.any(stop && stop->load(std::memory_order_relaxed))) {
      stopped = true;
      break;
    }
    const step_type k1 = std::min<step_type>(k0 + _epoch_steps, n_steps);
    if (batched) {
      advance(k0, k1, writer);
    } else {
      for (step_type k = k0; k < k1; ++k) advance(k, k + 1, writer);
    }
    done = k1;
    exchangeSpikes(k0, writer);
    if (progress && interval_s > 0) {
      const auto now = std::chrono::steady_clock::now();
      if (std::chrono::duration<double>(now - last_report).count() >= interval_s) {
        space.fence();
        report(done, false);
        last_report = now;
      }
    }
  }
  {
    PhaseTimer timer(_config.output.timers, _phases.output);
    for (auto& r : _recorders) flushReport(*r, writer);
  }
  space.fence();
  const double loop_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - loop_start).count();
  if (progress && interval_s > 0) report(done, true);

  RunSummary summary;
  summary.loop_seconds = loop_seconds;
  summary.steps = done;
  summary.complete = !stopped;
  summary.phases = _phases;
  for (auto& r : _recorders) summary.populations.push_back(summarize(*r, done, writer));
  summary.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return summary;
}

PopulationSummary Simulation::summarize(Recorder& r, std::int64_t steps_done, io::OutputWriter* writer) {
  const auto& a = _config.analysis;
  const double dt_ms = _config.simulation.dt_ms;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  PopulationSummary p;
  p.name = r.name;
  p.size = r.size;

  const step_type burn_in_steps = stepsOf(a.burn_in_ms, dt_ms);
  const double analysed_s =
      std::max<double>(0.0, static_cast<double>(steps_done - burn_in_steps)) * dt_ms / 1000.0;

  // Each rank reduces the statistics of its neurons, then the ranks sum.
  // CV of ISI (population standard deviation over mean) of neurons with at
  // least 3 spikes after burn-in; the prototype also counted 2-spike neurons
  // as CV 0 (model.md §9 D8).
  const auto total = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), r.stats.total);
  const auto counted = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), r.stats.counted);
  const auto isi_mean = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), r.stats.isi_mean);
  const auto isi_m2 = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), r.stats.isi_m2);
  std::int64_t spikes = 0, counted_spikes = 0, cv_neurons = 0;
  std::vector<double> cv_sum(1, 0.0);
  for (std::size_t i = 0; i < total.extent(0); ++i) {
    spikes += total(i);
    counted_spikes += counted(i);
    const std::int64_t n = counted(i) - 1;  // ISIs
    if (n < 2) continue;
    const double mean = isi_mean(i);
    const double var = isi_m2(i) / static_cast<double>(n);
    if (mean > 0) {
      cv_sum[0] += std::sqrt(var) / mean;
      ++cv_neurons;
    }
  }
  p.spikes = _comm.sum(spikes);
  counted_spikes = _comm.sum(counted_spikes);
  cv_neurons = _comm.sum(cv_neurons);
  _comm.sum(cv_sum);
  p.rate_hz =
      (r.size > 0 && analysed_s > 0) ? static_cast<double>(counted_spikes) / r.size / analysed_s : 0.0;
  const double cv_total = cv_sum[0];
  p.cv_isi = cv_neurons > 0 ? cv_total / static_cast<double>(cv_neurons) : nan;

  // LFP proxy: samples at t = m·lfp_sample_ms from the end of the burn-in.
  auto lfp_local = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), r.lfp);
  std::vector<double> lfp_all(lfp_local.data(), lfp_local.data() + lfp_local.extent(0));
  _comm.sum(lfp_all);  // partial sums of each rank's neurons
  const std::int64_t samples_done = (steps_done + _lfp_every - 1) / _lfp_every;
  const std::int64_t first = (burn_in_steps + _lfp_every - 1) / _lfp_every;
  std::vector<double> lfp;
  for (std::int64_t m = first; m < samples_done; ++m) lfp.push_back(lfp_all[static_cast<std::size_t>(m)]);
  p.lfp_mean = lfp.empty() ? nan : std::accumulate(lfp.begin(), lfp.end(), 0.0) / lfp.size();
  const double fs_hz = 1000.0 / (static_cast<double>(_lfp_every) * dt_ms);
  analysis::WelchSettings welch_settings;
  welch_settings.segment_ms = a.segment_ms;
  const analysis::Spectrum spectrum = analysis::welch(lfp, fs_hz, welch_settings);
  const analysis::BetaMetrics beta =
      analysis::betaMetrics(spectrum, a.beta_lo_hz, a.beta_hi_hz, a.total_lo_hz, a.total_hi_hz);
  p.beta_power = beta.beta_power;
  p.relative_beta = beta.relative_beta;
  p.beta_peak_hz = beta.peak_hz;

  if (writer && r.size > 0) {
    std::vector<double> whole(lfp_all.begin(), lfp_all.begin() + samples_done);
    writer->writeDataset("/lfp", r.name, whole,
                         {{"units", r.current_units},
                          {"description", "sum over neurons of |g (V - E_rev)| of every synaptic input"},
                          {"sampling_interval_ms", std::to_string(static_cast<double>(_lfp_every) * dt_ms)},
                          {"start_ms", "0"}});
    const std::string group = "/metrics/" + r.name;
    writer->writeNumbers(group, {{"rate_hz", p.rate_hz},
                                 {"cv_isi", p.cv_isi},
                                 {"beta_power", p.beta_power},
                                 {"relative_beta", p.relative_beta},
                                 {"beta_peak_hz", p.beta_peak_hz},
                                 {"lfp_mean", p.lfp_mean},
                                 {"burn_in_ms", a.burn_in_ms},
                                 {"analysed_ms", analysed_s * 1000.0},
                                 {"welch_segment_ms", a.segment_ms},
                                 {"psd_resolution_hz", spectrum.df_hz},
                                 {"welch_segments", static_cast<double>(spectrum.segments)}});
    writer->writeDataset(group, "psd_freq_hz", spectrum.freq_hz, {{"units", "Hz"}});
    writer->writeDataset(group, "psd", spectrum.psd, {{"units", "(" + r.current_units + ")^2/Hz"}});
  }
  return p;
}

}  // namespace cbgtc
