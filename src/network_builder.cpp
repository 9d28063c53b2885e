// Network construction: a Simulation's populations (state, drive,
// recording buffers) and projections (synapses, arrival rings), this
// rank's part of each.

#include <algorithm>
#include <cmath>

#include "io/options.hpp"
#include "io/spike_input.hpp"
#include "kernels/rng.hpp"
#include "src/analysis/spike_stats.hpp"
#include "src/heterogeneity.hpp"
#include "src/memory_estimate.hpp"
#include "src/simulation.hpp"
#include "src/stimuli.hpp"

namespace cbgtc {

namespace {

constexpr std::int64_t max_epoch_steps = 4000;
constexpr std::int64_t report_rows_per_flush = 1024;
constexpr std::int64_t lfp_flush_samples = 4096;
// The pulse-triggered histograms' blocks for the locking test (docs/model.md
// §7.8): at least 100 ms of pulses each, at most 64 of them, and at most
// 2^18 bins over all blocks.
constexpr double pulse_block_ms = 100;
constexpr std::int64_t pulse_blocks = 64;
constexpr std::int64_t pulse_block_bins = std::int64_t(1) << 18;

template <class F, class... M>
void forEachModel(models::ModelList<M...>, F&& f) {
  (f(M{}), ...);
}

/// The state of a population of `settings`' model, in `arena`, with its
/// step derived for dt.
AnyModelState makeModelState(const PopulationSettings& settings, index_type local_size, double dt_ms,
                             const PopulationStreams& streams, DeviceArena<MemorySpace>& arena) {
  AnyModelState out;
  std::visit(
      [&](const auto& s) {
        forEachModel(models::Models{}, [&](auto m) {
          using M = decltype(m);
          if constexpr (std::is_same_v<std::decay_t<decltype(s)>, typename M::Settings>)
            out = ModelState<M>{typename M::template Storage<MemorySpace>(settings.name, local_size, &arena),
                                M::derive(s, dt_ms, streams)};
        });
      },
      settings.params);
  return out;
}

/// Whether a model's step replays spike trains (Step::trains).
template <class S, class = void>
struct HasTrains : std::false_type {};
template <class S>
struct HasTrains<S, std::void_t<decltype(std::declval<S&>().trains)>> : std::true_type {};

}  // namespace

step_type epochSteps(const SimulationConfig& config) {
  // At most the smallest delay of any projection, so spikes of an epoch only
  // arrive in later epochs. From global quantities only, so every rank
  // agrees.
  step_type min_delay = max_epoch_steps;
  for (const auto& p : config.projections)
    min_delay = std::min<step_type>(min_delay, delaySteps(p.delay_ms - p.delay_jitter_ms, config.simulation.dt_ms));
  return std::clamp<step_type>(min_delay, 1, max_epoch_steps);
}

analysis::LfpSampling lfpSampling(const SimulationConfig& config) {
  return analysis::lfpSampling(
      std::max<std::int64_t>(1, stepsOf(config.analysis.lfp_sample_ms, config.simulation.dt_ms)));
}

std::int64_t lfpDeviceSamples(const SimulationConfig& config) {
  const std::int64_t every = lfpSampling(config).device_every;
  const std::int64_t run = (config.stepCount() + every - 1) / every;
  const std::int64_t epoch = (cbgtc::epochSteps(config) + every - 1) / every + 1;
  // Two epochs' worth at least; a copy to the host every lfp_flush_samples.
  return std::min(run, std::max(2 * epoch, lfp_flush_samples));
}

std::int64_t recordCapacity(const SimulationConfig& config, std::int64_t every_steps) {
  // Room for at least one epoch of samples; the same on every rank,
  // because writing a recording is collective.
  return std::max<std::int64_t>(report_rows_per_flush, cbgtc::epochSteps(config) / every_steps + 2);
}

std::int64_t surpriseTrainCapacity(const SimulationConfig& config) {
  // 1 kHz of analysed time, and at most 2^17 spikes (1 MB a train): a long
  // run's trains do not grow without bound; a faster train's metric is NaN.
  constexpr double max_rate_per_ms = 1.0;
  constexpr std::int64_t max_spikes = std::int64_t(1) << 17;
  const double dt = config.simulation.dt_ms;
  const double analysed_ms =
      std::max(0.0, static_cast<double>(config.analysis.endStep(config.simulation.duration_ms, dt) -
                                        stepsOf(config.analysis.burn_in_ms, dt)) *
                        dt);
  return std::min(max_spikes, static_cast<std::int64_t>(std::ceil(analysed_ms * max_rate_per_ms)) + 1);
}

Simulation::Simulation(const SimulationConfig& config) : Simulation(config, _local_comm) {}

Simulation::Simulation(const SimulationConfig& config, const comm::Communicator& comm,
                       const std::atomic<bool>* stop)
    : _comm(comm), _config(config) {
  checkConsistency(config);
  // Collective: every rank refuses together, none waits in a collective
  // for one that refused.
  std::string refused;
  try {
    checkMemory(config, comm.size());
    _burst_thresholds = referenceBurstThresholds(config);
  } catch (const ConfigError& e) {
    refused = e.what();
  }
  if (comm.any(!refused.empty()))
    throw ConfigError(refused.empty() ? "the run does not fit in the memory of another rank" : refused);
  _lfp = lfpSampling(config);
  _epoch_steps = cbgtc::epochSteps(config);
  onEveryRank([this] {
    buildPopulations();
    buildStimuli();
  });
  buildProjections(stop);
  onEveryRank([this] {
    buildRecordings();
    ExecutionSpace().fence();
  });
}

// Runs a stage of the build that holds no collective: a rank's failure in
// it (an allocation beyond its memory) becomes a BuildFailure on every rank
// here, where the others would otherwise wait for it in the next collective.
template <class Stage>
void Simulation::onEveryRank(Stage&& stage) {
  if (_comm.size() == 1) return stage();  // its own exceptions, as they are
  std::string failure;
  bool bad_input = false;
  try {
    stage();
  } catch (const ConfigError& e) {
    failure = e.what();
    bad_input = true;
  } catch (const std::exception& e) {
    failure = *e.what() != '\0' ? e.what() : "an unnamed error";
  }
  std::vector<std::int64_t> none_failed_and_no_bad_input = {failure.empty(), !bad_input};
  _comm.min(none_failed_and_no_bad_input);
  if (none_failed_and_no_bad_input[0] == 0) throw BuildFailure(failure, none_failed_and_no_bad_input[1] == 0);
}

Simulation::~Simulation() = default;

namespace {

// The local neurons of p among those sampled for the Poisson-surprise
// bursts, every s-th global index, get rows of a train buffer in order.
void keepSurpriseTrains(Population& p, const SimulationConfig& config, DeviceArena<MemorySpace>& arena) {
  const std::int64_t wanted = config.analysis.surprise_neurons;
  std::int64_t rows = 0, phase = -1;
  for (index_type i = 0; i < p.localSize(); ++i)
    if (analysis::surpriseSamplePosition(p.firstGlobal() + i, p.size, wanted) >= 0) {
      if (rows++ == 0) phase = i;
    }
  if (rows == 0) return;
  auto& st = p.stats;
  st.train_phase = static_cast<std::int32_t>(phase);
  st.train_stride = static_cast<std::int32_t>(p.size / std::min<std::int64_t>(wanted, p.size));
  // Only the counts (column 0) need to start at zero: a train's steps are
  // read up to its count. On a device the trains come from the arena (zero
  // already); on a CPU they have their own memory, whose pages (1 MB a train
  // in a long run) are committed only as spikes fill them.
  const std::string label = "cbgtc::" + p.name + "::surprise_trains";
  const auto columns = surpriseTrainCapacity(config) + 1;
  if constexpr (Kokkos::SpaceAccessibility<Kokkos::HostSpace, MemorySpace>::accessible) {
    st.train = decltype(st.train)(Kokkos::view_alloc(Kokkos::WithoutInitializing, label), rows, columns);
    Kokkos::deep_copy(Kokkos::subview(st.train, Kokkos::ALL, 0), step_type(0));
  } else {
    st.train = arena.zeros<decltype(st.train)>(label, rows, columns);
  }
}

}  // namespace

void Simulation::buildPopulations() {
  const SimulationConfig& config = _config;
  const double dt = config.simulation.dt_ms;
  const std::int64_t n_steps = config.stepCount();
  const ExecutionSpace space;
  std::int64_t local_neurons = 0;
  // The spike buffer's parts: one per thread of a CPU launch (SpikeBuffer),
  // each holding what its share of every population can emit.
  constexpr bool host = Kokkos::SpaceAccessibility<ExecutionSpace, Kokkos::HostSpace>::accessible;
  const int parts = host ? space.concurrency() : 1;
  std::vector<std::int64_t> spike_capacity(static_cast<std::size_t>(parts), 1);
  // (Once: it passes over every projection, and a merged ensemble has thousands.)
  const std::int64_t lfp_samples = lfpDeviceSamples(config);
  for (const PopulationSettings& s : config.populations) {
    Population p;
    p.name = s.name;
    p.key = randomKey(s);
    const std::uint64_t seed = randomSeed(s, config);
    p.position = static_cast<std::uint32_t>(_populations.size());
    p.size = static_cast<index_type>(s.n);
    p.block = comm::blockOf(s.n, _comm.size(), _comm.rank());
    p.current_units = currentUnits(s.params);
    const index_type n = p.localSize();
    local_neurons += n;
    p.model = makeModelState(s, n, dt, PopulationStreams{seed, p.key}, _arena);
    if (readsSpikeTrains(s.params)) {
      const SpikeTrains trains = loadSpikeTrains(s, p.block);
      std::visit(
          [&](auto& m) {
            if constexpr (HasTrains<decltype(m.step)>::value) m.step.trains = trains;
          },
          p.model);
    }
    std::visit(
        [&](auto& m) {
          using M = typename std::decay_t<decltype(m)>::model;
          if constexpr (HasStepTable<M>::value) {
            const std::vector<double> values = M::stepTable(std::get<typename M::Settings>(s.params), dt,
                                                            PopulationStreams{seed, p.key}, n_steps);
            if (static_cast<std::int64_t>(values.size()) !=
                M::stepTableLength(std::get<typename M::Settings>(s.params), n_steps))
              throw std::logic_error(std::string(M::name) + ": stepTable and stepTableLength disagree");
            Kokkos::View<double*, MemorySpace> device(
                Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::" + p.name + "::step_table"),
                values.size());
            Kokkos::deep_copy(device, Kokkos::View<const double*, Kokkos::HostSpace, Kokkos::MemoryUnmanaged>(
                                          values.data(), values.size()));
            m.step.table = StepTable{device.data(), values.size() > 1 ? 1 : 0};
            _step_tables.push_back(device);
          }
        },
        p.model);

    auto& d = p.drive;
    d.seed = seed;
    d.key = p.key;
    d.first_global = p.firstGlobal();
    d.dt_ms = dt;
    d.noise = OuParams::make(s.noise.tau_ms, s.noise.mu, s.noise.sigma, dt);
    if (d.noise.active) {
      d.ou = _arena.zeros<decltype(d.ou)>("cbgtc::" + p.name + "::ou", n);
      initializeNoise(space, d);
    }
    if (s.bias.mean != 0) {
      std::vector<real_type> bias(static_cast<std::size_t>(n));
      for (index_type i = 0; i < n; ++i)
        bias[i] = static_cast<real_type>(biasCurrent(s.bias, seed, p.key, p.firstGlobal() + i));
      Kokkos::View<real_type*, MemorySpace> device("cbgtc::" + p.name + "::bias", bias.size());
      Kokkos::deep_copy(device, Kokkos::View<const real_type*, Kokkos::HostSpace, Kokkos::MemoryUnmanaged>(
                                    bias.data(), bias.size()));
      d.bias = device;
    }

    // Spikes a neuron can emit in one epoch, from the least separation of
    // two of its spikes.
    std::visit(
        [&](const auto& m) {
          using M = typename std::decay_t<decltype(m)>::model;
          const step_type separation = std::max<step_type>(1, M::leastSpikeSeparation(m.step));
          std::int64_t per_neuron = (_epoch_steps - 1) / separation + 1;
          // Axonal spikes: at most one per pulse and neuron.
          for (const StimulusSettings& st : config.stimuli)
            if (stimulusKind(st) == StimulusKind::Axonal && st.population == s.name)
              per_neuron += axonalPulsesPerEpoch(st, config, _epoch_steps);
          for (int part = 0; part < parts; ++part)
            spike_capacity[static_cast<std::size_t>(part)] +=
                per_neuron * (chunkPartBegin(n, part + 1, parts) - chunkPartBegin(n, part, parts));
          initializePopulation<M>(space, m.storage, std::get<typename M::Settings>(s.params), seed, p.key,
                                  p.firstGlobal());
        },
        p.model);

    p.stats = SpikeStatistics<MemorySpace>(_arena, p.name, n, stepsOf(config.analysis.burn_in_ms, dt), dt,
                                           config.analysis.spike_burst_isi_ms,
                                           static_cast<std::int32_t>(config.analysis.spike_burst_min_spikes));
    p.stats.end_steps = config.analysis.endStep(config.simulation.duration_ms, dt);
    keepSurpriseTrains(p, config, _arena);
    if (const StimulusSettings* pulses = pulseHistogramStimulus(config, s.name)) {
      const double run_ms = static_cast<double>(p.stats.end_steps) * dt;  // the analysed window's end
      p.stats.pulse_start_ms = pulses->start_ms;
      p.stats.pulse_stop_ms = pulses->stop_ms < 0 ? run_ms : std::min(pulses->stop_ms, run_ms);
      p.stats.pulse_period_ms = 1000.0 / pulses->frequency_hz;
      p.stats.pulse_bin_ms = config.analysis.pulse_bin_ms;
      p.stats.pulse_acts = stimulusActs(*pulses, config);
      const auto bins = std::max<std::int64_t>(
          1, static_cast<std::int64_t>(std::ceil(p.stats.pulse_period_ms / p.stats.pulse_bin_ms - 1e-9)));
      // Blocks of at least pulse_block_ms each, pulse_blocks of them reused
      // in turn, so that the histogram's size does not depend on the run's
      // length (docs/model.md §7.8).
      p.stats.pulse_bin_count = static_cast<std::int32_t>(bins);
      p.stats.pulse_block_pulses = static_cast<std::int32_t>(std::max<std::int64_t>(
          1, static_cast<std::int64_t>(std::ceil(pulse_block_ms / p.stats.pulse_period_ms - 1e-9))));
      p.stats.pulse_blocks =
          static_cast<std::int32_t>(std::clamp<std::int64_t>(pulse_block_bins / bins, 1, pulse_blocks));
      p.stats.pulse_bins = Kokkos::View<std::int64_t*, MemorySpace>("cbgtc::" + p.name + "::pulse_bins",
                                                                    p.stats.pulse_blocks * bins);
    }
    if (countsRelay(config, s.name)) {
      const StimulusSettings* relay = relayStimulus(config, s.name);
      auto& st = p.stats;
      st.relay_from_ms = static_cast<double>(stepsOf(config.analysis.burn_in_ms, dt)) * dt;  // its start
      st.relay_to_ms = static_cast<double>(st.end_steps) * dt;  // the analysed window's end
      st.relay_window_ms = config.analysis.relay_window_ms;
      const std::string prefix = "cbgtc::" + p.name + "::relay_";
      const std::vector<double> onsets = pulseOnsets(*relay, config);
      st.relay_onsets = Kokkos::View<double*, MemorySpace>(prefix + "onsets", onsets.size());
      Kokkos::deep_copy(st.relay_onsets,
                        Kokkos::View<const double*, Kokkos::HostSpace, Kokkos::MemoryUnmanaged>(
                            onsets.data(), onsets.size()));
      st.relay = decltype(st.relay)(prefix + "counts", n);
      Kokkos::deep_copy(st.relayColumn(st.relay_pulse), std::int64_t(-1));
      st.relay_in_window = Kokkos::View<std::int32_t*, MemorySpace>(prefix + "in_window", n);
    }
    p.lfp = _arena.zeros<decltype(p.lfp)>("cbgtc::" + p.name + "::lfp", lfp_samples);
    p.lfp_scratch = _arena.zeros<decltype(p.lfp_scratch)>(
        "cbgtc::" + p.name + "::lfp_scratch", (_epoch_steps + _lfp.device_every - 1) / _lfp.device_every + 1,
        n);
    p.lfp_partial = _arena.zeros<decltype(p.lfp_partial)>("cbgtc::" + p.name + "::lfp_partial", n);
    if (hasMembranePotential(s.params)) {
      p.v_scratch =
          _arena.zeros<decltype(p.v_scratch)>("cbgtc::" + p.name + "::v_scratch", p.lfp_scratch.extent(0), n);
      p.v_sum = _arena.zeros<decltype(p.v_sum)>("cbgtc::" + p.name + "::v_sum", p.lfp.extent(0));
      p.v_moments = _arena.zeros<decltype(p.v_moments)>("cbgtc::" + p.name + "::v_moments", n);
    }
    _populations.push_back(std::move(p));
  }
  _lanes_per_neuron = chooseLanesPerNeuron<ExecutionSpace>(config.execution.lanes_per_neuron, local_neurons);
  _spikes = SpikeBuffer<MemorySpace>("Network", spike_capacity);
  // A merged network's replicas fail one by one (run()), from each
  // population's first non-finite state.
  _replica_of.clear();
  for (const Population& p : _populations) {
    _replica_of.push_back(replicaOf(p.name));
    if (_replica_of.back() != std::string::npos) _replicas = std::max(_replicas, _replica_of.back() + 1);
  }
  if (_replicas > 0) _spikes.keepNonFiniteByPopulation(_populations.size());
  for (auto& p : _populations) p.spikes = _spikes.forPopulation(p.position, p.localSize());
}

void Simulation::buildProjections(const std::atomic<bool>* stop) {
  auto requested = [stop] { return stop && stop->load(std::memory_order_relaxed); };
  if (_comm.any(requested())) throw Interrupted();
  const SimulationConfig& config = _config;
  const double dt = config.simulation.dt_ms;
  std::map<std::string, std::uint32_t> positions;  // (a merged ensemble has thousands of populations)
  for (const auto& p : _populations) positions.emplace(p.name, p.position);
  auto positionOf = [&positions](const std::string& name) {
    const auto found = positions.find(name);
    if (found == positions.end()) throw std::invalid_argument("unknown population '" + name + "'");
    return found->second;
  };
  ConnectivityScratch scratch;
  for (const ProjectionSettings& s : config.projections) {
    Population& source = _populations[positionOf(s.source)];
    Population& target = _populations[positionOf(s.target)];
    ProjectionShape shape;
    shape.n_pre = source.size;
    shape.n_post = target.size;
    shape.same_population = source.position == target.position;
    shape.target_begin = target.firstGlobal();
    shape.target_end = target.firstGlobal() + target.localSize();
    Connectivity pull;
    onEveryRank([&] {
      pull = buildConnectivity(s, shape, randomSeed(s, config), randomKey(s), dt,
                               stop ? requested : std::function<bool()>(), &scratch);
    });
    if (_comm.any(requested())) throw Interrupted();
    onEveryRank([&] { addProjection(s, pull, shape, source.position, target.position); });
  }
}

// The projection of `pull`, its arrival ring and its input to the target.
void Simulation::addProjection(const ProjectionSettings& s, const Connectivity& pull,
                               const ProjectionShape& shape, std::uint32_t source, std::uint32_t target) {
  const double dt = _config.simulation.dt_ms;
  _projections.push_back(makeProjection(s, pull, shape, dt, &_arena));
  Projection& proj = _projections.back();
  proj.source = source;
  proj.target = target;
  const std::string& choice = _config.execution.delivery;
  proj.delivery = choice == "team" ? Delivery::TeamPerSpike
                  : choice == "thread"
                      ? Delivery::ThreadPerSpike
                      : chooseDelivery<ExecutionSpace>(
                            shape.n_pre > 0 ? static_cast<double>(pull.synapseCount()) / shape.n_pre
                                            : 0.0);  // this rank's row length
  if (choice == "pull") enablePull(proj, pull, static_cast<std::int32_t>(_epoch_steps));

  // Without synapses on this rank nothing ever arrives: no ring, no input
  // (its current would be exactly zero).
  if (proj.synapseCount() == 0) {
    _rings.emplace_back();
    _ring_stamps.emplace_back();
    _conductances.emplace_back();
    return;
  }
  _rings.push_back(_arena.zeros<decltype(_rings)::value_type>(
      "cbgtc::" + s.name + "::ring", proj.max_delay_steps + 1, shape.localTargets()));
  _ring_stamps.push_back(keepsStamps(proj)
                             ? _arena.zeros<decltype(_ring_stamps)::value_type>(
                                   "cbgtc::" + s.name + "::ring_stamps", proj.max_delay_steps + 1)
                             : decltype(_ring_stamps)::value_type());
  _conductances.push_back(
      _arena.zeros<decltype(_conductances)::value_type>("cbgtc::" + s.name + "::g", shape.localTargets()));
  _populations[target].drive.synapses.add(ConductanceInput::of(
      _rings.back(), _conductances.back(), static_cast<real_type>(std::exp(-dt / s.tau_ms)),
      static_cast<real_type>(s.E_rev_mV), _ring_stamps.back()));
}

// The trains of this rank's neurons of a replaying population, from its
// spike file: timestamps rounded to the nearest step, those at or after the
// end of the run dropped, each neuron's steps ascending.
io::SpikeTable checkedSpikeTable(const PopulationSettings& s) {
  const std::string key = "population." + s.name + ".spike_file";
  io::SpikeTable table;
  try {
    table = io::readSpikeFile(s.spike_file, s.spike_population.empty() ? s.name : s.spike_population);
  } catch (const io::OutputError& e) {
    throw ConfigError(key + ": " + e.what());
  }
  if (table.from_ms > 0)
    throw ConfigError(key + ": '" + s.spike_file +
                      "' is the file of a run continued from a checkpoint, with spikes from " +
                      io::formatNumber(table.from_ms) +
                      " ms on only (its /@restarted_at_ms); replay its first "
                      "part's file, or a run continued with checkpoint.append = true");
  for (std::size_t j = 0; j < table.node_ids.size(); ++j) {
    const std::uint64_t id = table.node_ids[j];
    const double t = table.timestamps_ms[j];
    if (id >= static_cast<std::uint64_t>(s.n))
      throw ConfigError(key + ": node id " + std::to_string(id) + " in '" + s.spike_file + "' is not one of the " +
                        std::to_string(s.n) + " neurons of population " + s.name);
    if (!(t >= 0) || !std::isfinite(t))
      throw ConfigError(key + ": spike time " + io::formatNumber(t) + " ms in '" + s.spike_file +
                        "' is not a time of the run (>= 0)");
  }
  return table;
}

SpikeTrains Simulation::loadSpikeTrains(const PopulationSettings& s, const comm::Block& block) {
  const io::SpikeTable table = checkedSpikeTable(s);
  const double dt = _config.simulation.dt_ms;
  const std::int64_t n_steps = _config.stepCount();
  std::vector<std::pair<std::int64_t, std::int64_t>> local;  // (local neuron, step)
  for (std::size_t j = 0; j < table.node_ids.size(); ++j) {
    const std::uint64_t id = table.node_ids[j];
    const double t = table.timestamps_ms[j];
    const auto global = static_cast<std::int64_t>(id);
    // A time far beyond the run's end is dropped before it is rounded: its
    // step would not fit in 64 bits.
    if (!(t / dt < static_cast<double>(n_steps))) continue;
    const std::int64_t step = stepsOf(t, dt);
    if (global >= block.begin && global < block.end && step < n_steps) local.emplace_back(global - block.begin, step);
  }
  std::sort(local.begin(), local.end());
  std::vector<std::int64_t> offsets(static_cast<std::size_t>(block.size()) + 1, 0), steps;
  for (const auto& [i, step] : local) {
    ++offsets[static_cast<std::size_t>(i) + 1];
    steps.push_back(step);
  }
  for (std::size_t i = 1; i < offsets.size(); ++i) offsets[i] += offsets[i - 1];
  auto toDevice = [&](const std::vector<std::int64_t>& v, const char* what) {
    Kokkos::View<std::int64_t*, MemorySpace> d("cbgtc::" + s.name + "::" + what, v.size());
    Kokkos::deep_copy(d, Kokkos::View<const std::int64_t*, Kokkos::HostSpace, Kokkos::MemoryUnmanaged>(v.data(), v.size()));
    _spike_trains.push_back(d);
    return d.data();
  };
  SpikeTrains trains;
  trains.offsets = toDevice(offsets, "train_offsets");
  trains.steps = toDevice(steps, "train_steps");
  trains.first_global = static_cast<index_type>(block.begin);
  return trains;
}

// Each population's stimuli in one device array, in deck order.
void Simulation::buildStimuli() {
  for (Population& p : _populations) {
    std::vector<Stimulus> list;
    for (const StimulusSettings& s : _config.stimuli) {
      if (s.population != p.name) continue;
      Stimulus st = stimulusOf(s, _config);
      if (s.interval_cv != 0) {
        const std::vector<double> onsets = pulseOnsets(s, _config);
        Kokkos::View<double*, MemorySpace> on("cbgtc::" + s.name + "::onsets", onsets.size());
        Kokkos::deep_copy(on, Kokkos::View<const double*, Kokkos::HostSpace, Kokkos::MemoryUnmanaged>(
                                  onsets.data(), onsets.size()));
        st.onsets = on.data();
        st.onset_count = static_cast<std::int64_t>(onsets.size());
        _stimulus_onsets.push_back(on);
      }
      const std::vector<std::uint8_t> driven = stimulusTargets(s, _config, p.block);
      Kokkos::View<std::uint8_t*, MemorySpace> targets;
      if (!driven.empty()) {
        targets = Kokkos::View<std::uint8_t*, MemorySpace>("cbgtc::" + s.name + "::targets", driven.size());
        Kokkos::deep_copy(targets, Kokkos::View<const std::uint8_t*, Kokkos::HostSpace, Kokkos::MemoryUnmanaged>(
                                       driven.data(), driven.size()));
        st.targets = targets.data();
      }
      _stimulus_targets.push_back(targets);
      list.push_back(st);
      if (st.kind == StimulusKind::Axonal) p.drive.axonal = true;
    }
    if (list.empty()) continue;
    Kokkos::View<Stimulus*, MemorySpace> stimuli("cbgtc::" + p.name + "::stimuli", list.size());
    Kokkos::deep_copy(stimuli, Kokkos::View<Stimulus*, Kokkos::HostSpace, Kokkos::MemoryUnmanaged>(list.data(), list.size()));
    p.drive.stimuli = stimuli;
  }
}

// A recording's columns on this rank are its node ids in this rank's block,
// in ascending order; rank 0 gathers the blocks in rank order.
void Simulation::buildRecordings() {
  // The input each projection became on this rank (−1: none here).
  std::vector<std::int32_t> input_of(_config.projections.size(), -1);
  {
    std::vector<std::int32_t> inputs(_populations.size(), 0);
    for (std::size_t j = 0; j < _projections.size(); ++j)
      if (_projections[j].synapseCount() > 0) input_of[j] = inputs[_projections[j].target]++;
  }
  for (RecordPlan& plan : recordPlans(_config)) {
    Recording r;
    r.plan = std::move(plan);
    const Population& p = _populations[r.plan.population];
    const index_type n = p.localSize();
    std::vector<std::int32_t> column(static_cast<std::size_t>(n), -1);
    for (const std::uint64_t id : r.plan.node_ids) {
      const auto global = static_cast<std::int64_t>(id);
      if (global >= p.block.begin && global < p.block.end) column[global - p.block.begin] = r.local_columns++;
    }
    std::vector<RecordedVariable> variables;
    for (const auto& v : r.plan.variables)
      variables.push_back({v.kind, v.kind == RecordedKind::Conductance ? input_of[v.index] : v.index});
    r.capacity = recordCapacity(_config, r.plan.every_steps);
    if (r.local_columns > 0) {
      const std::string label = "cbgtc::record::" + (r.plan.name.empty() ? p.name : r.plan.name);
      r.column = Kokkos::View<std::int32_t*, MemorySpace>(label + "::column", n);
      Kokkos::deep_copy(r.column, Kokkos::View<std::int32_t*, Kokkos::HostSpace, Kokkos::MemoryUnmanaged>(
                                      column.data(), column.size()));
      r.variables = Kokkos::View<RecordedVariable*, MemorySpace>(label + "::variables", variables.size());
      auto host = Kokkos::create_mirror_view(r.variables);
      for (std::size_t v = 0; v < variables.size(); ++v) host(v) = variables[v];
      Kokkos::deep_copy(r.variables, host);
      r.rows = Kokkos::View<float*, MemorySpace>(
          Kokkos::view_alloc(Kokkos::WithoutInitializing, label + "::rows"),
          static_cast<std::size_t>(r.capacity) * variables.size() * static_cast<std::size_t>(r.local_columns));
    }
    _recordings.push_back(std::move(r));
  }
  for (auto& p : _populations) updateProbes(p);
}

const comm::Block& Simulation::block(std::uint32_t population) const {
  return _populations.at(population).block;
}

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

std::size_t Simulation::arrivalBytes() const {
  std::int64_t n = 0;
  for (std::size_t p = 0; p < _rings.size(); ++p)
    n += static_cast<std::int64_t>(_rings[p].span() * sizeof(std::int64_t) +
                                   _ring_stamps[p].span() * sizeof(std::int64_t) +
                                   _conductances[p].span() * sizeof(real_type));
  return static_cast<std::size_t>(_comm.sum(n));
}

}  // namespace cbgtc
