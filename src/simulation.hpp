#pragma once
// A run: the populations (their state, drives and recordings), the
// projections and the spike exchange, and the epoch loop that advances them.
// Its parts live in files by concern: network construction
// (network_builder.cpp), the epoch loop (simulation.cpp), spike exchange and
// delivery (spike_exchange.cpp), recording (recording.cpp) and the run
// summary (run_summary.cpp).

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/output_writer.hpp"
#include "io/spike_input.hpp"
#include "kernels/device_arena.hpp"
#include "kernels/device_table.hpp"
#include "kernels/population_drive.hpp"
#include "kernels/population_sums.hpp"
#include "kernels/time_steps.hpp"
#include "src/analysis/decimation.hpp"
#include "src/analysis/trace_metrics.hpp"
#include "src/comm/communicator.hpp"
#include "src/config.hpp"
#include "src/population.hpp"
#include "src/projection.hpp"

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
  double beta_prominence = 0.0;    // beta peak over the fitted aperiodic background (1: none)
  double pac_mi = 0.0;             // Tort modulation index: beta phase, gamma amplitude; NaN if too short
                                   // or the gamma band reaches past the LFP proxy's passband (§7.2)
  double beta_burst_rate_hz = 0.0; // beta bursts per second (analysis.burst_percentile)
  double beta_burst_mean_ms = 0.0; // their mean duration
  double burst_spike_fraction = 0.0;  // counted spikes in spike bursts (§7.8); NaN without spikes
  double surprise_burst_fraction = 0.0;  // ... in Poisson-surprise bursts of the kept neurons (§7.8)
  double peak_hz = 0.0;            // the largest bin in [peak_lo_hz, peak_hi_hz]; NaN: no peak
  double spectral_entropy = 0.0;   // normalised entropy of the PSD over [total_lo, total_hi] (§7.6)
  double flattened_entropy = 0.0;  // ... of the PSD over its aperiodic background (§7.6): 1, no peak
  double pac_z = 0.0;              // pac_mi against shifted-envelope surrogates (§7.7); NaN without
  double beta_burst_amplitude = 0.0;  // mean peak envelope of the beta bursts; NaN without
  double pulse_latency_ms = 0.0;   // the pulse-triggered histogram's peak (§7.8); NaN without one
  double pulse_locking_p = 0.0;    // its peak against block rotations (§7.8); NaN without a histogram
  double synchrony_chi = 0.0;  // Golomb's χ of V (§7.8): 0 asynchronous, 1 identical; NaN without V
  double error_index = 0.0;    // relay of analysis.relay_stimulus's pulses (§7.9); NaN: not this population
  double welch_segment_ms = 0.0;  // the Welch segment used: analysis.segment_ms, or the whole trace when
                                  // shorter; NaN without a spectrum
};

/// Wall seconds spent in each phase on this rank (output.timers = true).
struct PhaseTimes {
  double update = 0;    // neuron kernels (synaptic input, noise, spike detection) and LFP sums
  double delivery = 0;  // copy of the epoch's spikes to the device and the scatter into the rings
  double exchange = 0;  // local spikes to the host and the allgather across ranks
  double output = 0;    // recording spikes and reports, writing them
};

/// Coherence of two populations' LFP proxies (docs/model.md §7.6).
struct PairSummary {
  std::string a, b;
  double beta_coherence = 0.0;  // mean over the beta band's bins; NaN where undefined
};

/// A replica of a merged network (src/replicas.hpp) that diverged while the
/// others went on: why, and the step its run ended at, as its run alone
/// would have (the end of the epoch of its first non-finite state).
struct ReplicaFailure {
  std::string failure;
  std::int64_t steps = 0;
};

struct RunSummary {
  std::vector<PopulationSummary> populations;
  std::vector<PairSummary> pairs;   // every pair of populations with a membrane, in deck order
  PhaseTimes phases;                // zero unless output.timers
  std::int64_t steps = 0;           // steps completed (the step the run ended at)
  std::int64_t first_step = 0;      // the step it started at (a checkpoint's, or 0)
  bool complete = true;             // false when stopped early or failed
  std::string failure;              // why the run failed ("": it did not), e.g. a non-finite state
  std::map<std::size_t, ReplicaFailure> replica_failures;  // by replica: failed alone, the others ran on
  double wall_seconds = 0.0;        // the whole run, analysis and output included
  double loop_seconds = 0.0;        // the step loop alone (fenced): what benchmarks divide by steps
};

/// Construction was stopped by a request (a signal).
struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted while building the network") {}
};

/// Construction failed on one rank or more (an allocation, a spike file).
/// Every rank throws it at the same point of the build, so that none is left
/// waiting in a collective for a failed one and the job ends without an
/// abort (rank 0 removes its partial files first). what() is this rank's own
/// error, or "" where only another rank failed.
class BuildFailure : public std::runtime_error {
 public:
  BuildFailure(const std::string& local, bool bad_input) : std::runtime_error(local), _bad_input(bad_input) {}
  bool failedHere() const { return what()[0] != '\0'; }
  /// Some rank's failure was bad input (ConfigError): exit status 2.
  bool badInput() const { return _bad_input; }

 private:
  bool _bad_input;
};

/// Population s's spike file (model spike_times), read and checked: every
/// node id one of its n neurons, every time finite and >= 0. Throws
/// ConfigError naming population.<name>.spike_file.
io::SpikeTable checkedSpikeTable(const PopulationSettings& s);

/// Each analysed population's beta-burst threshold in the output file
/// analysis.burst_threshold_file names (/metrics/<pop>@beta_burst_threshold,
/// a replica's under its deck name); empty without one. Throws ConfigError
/// naming the key, the file and the population it lacks.
std::map<std::string, double> referenceBurstThresholds(const SimulationConfig& config);

/// With MPI, each rank owns a contiguous block of every population (see
/// comm::blockOf) and the incoming synapses of its neurons; spikes are
/// exchanged once per epoch. Everything a rank reports about the whole
/// network (summary, output file) is complete on rank 0.
class Simulation {
 public:
  /// A single-process simulation.
  explicit Simulation(const SimulationConfig& config);
  /// One rank's part; `comm` must outlive the simulation. When *stop
  /// becomes true on any rank during construction (asked between chunks
  /// of a projection and, collectively, between projections), every rank
  /// throws Interrupted.
  Simulation(const SimulationConfig& config, const comm::Communicator& comm,
             const std::atomic<bool>* stop = nullptr);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  /// Runs every step, or until *stop becomes true on any rank, or until a
  /// state turns non-finite (RunSummary::failure), both checked once per
  /// epoch. In a merged network of replicas a replica whose state turns
  /// non-finite fails alone (RunSummary::replica_failures): the others,
  /// which share no neuron with it, run on, and the run fails only when
  /// every replica has. writer (rank 0 only; may be null) receives the recorded
  /// data; `reports` (rank 0 only; empty or one per file of
  /// recordFiles(recordPlans(config)), each may be null) the [record]
  /// sections' reports; progress lines go to `progress` when it is not null.
  RunSummary run(io::OutputWriter* writer, const std::atomic<bool>* stop = nullptr,
                 std::FILE* progress = nullptr, const std::vector<io::OutputWriter*>& reports = {});

  /// Continues from the checkpoint at `path` (collective; src/checkpoint.hpp):
  /// the next run() starts at its step. Throws ConfigError, naming the
  /// file, for a file that is not a complete checkpoint of this network
  /// (another physics key, other synapses, a time past the end), on every
  /// rank alike.
  void restore(const std::string& path);
  /// The step run() starts at: 0, or the restored checkpoint's.
  step_type startStep() const { return _start_step; }

  /// This rank's part of each projection.
  const std::vector<Projection>& projections() const { return _projections; }
  /// This rank's neurons of population `population` (global indices).
  const comm::Block& block(std::uint32_t population) const;
  /// Over all ranks.
  std::int64_t synapseCount() const;
  std::size_t synapseBytes() const;
  /// Bytes of the arrival rings, their stamps and the conductances, summed
  /// over ranks.
  std::size_t arrivalBytes() const;
  /// Steps between spike exchanges: the smallest delay of any projection
  /// (no spike can arrive within the epoch it was emitted in), capped by
  /// the spike buffer size.
  step_type epochSteps() const { return _epoch_steps; }
  /// GPU lanes that advance one neuron together (1 on CPU backends).
  int lanesPerNeuron() const { return _lanes_per_neuron; }

 private:
  comm::LocalCommunicator _local_comm;
  const comm::Communicator& _comm;
  SimulationConfig _config;
  // The network's long-lived arrays (rings, state, statistics): first, so
  // that it outlives every View taken from it.
  DeviceArena<MemorySpace> _arena;
  std::vector<Population> _populations;               // in the deck's order
  std::vector<Recording> _recordings;                 // recordPlans(config)'s order
  std::vector<Projection> _projections;
  std::vector<Kokkos::View<std::int64_t**, Kokkos::LayoutRight, MemorySpace>> _rings;  // per projection
  std::vector<Kokkos::View<std::int64_t*, MemorySpace>> _ring_stamps;  // per projection (empty: none kept)
  std::vector<Kokkos::View<real_type*, MemorySpace>> _conductances;                   // per projection
  std::vector<Kokkos::View<double*, MemorySpace>> _stimulus_onsets;  // of stimuli with irregular pulses
  std::vector<Kokkos::View<std::uint8_t*, MemorySpace>> _stimulus_targets;            // per stimulus (empty: all)
  std::vector<Kokkos::View<std::int64_t*, MemorySpace>> _spike_trains;                // of replaying populations
  std::vector<Kokkos::View<double*, MemorySpace>> _step_tables;  // of models with a stepTable
  step_type _epoch_steps = 1;
  int _lanes_per_neuron = 1;
  analysis::LfpSampling _lfp;  // the device's LFP samples and the analysed ones they are decimated to
  std::map<std::string, double> _burst_thresholds;  // analysis.burst_threshold_file's, by population
  SpikeBuffer<MemorySpace> _spikes;                             // this rank's spikes of the epoch
  Kokkos::View<SpikeRecord*, MemorySpace> _epoch_spikes;        // every rank's (several ranks, or plasticity)
  Kokkos::View<double*, MemorySpace> _epoch_efficacy;  // per spike of _epoch_spikes (short-term plasticity)
  std::vector<double> _host_efficacy;                  // the same, computed on the host
  Kokkos::View<std::uint64_t*, MemorySpace> _spike_keys;         // sort keys (GPUs)
  PhaseTimes _phases;
  std::int64_t _first_non_finite = SpikeBuffer<MemorySpace>::all_finite;  // on this rank
  // A merged network's replica of each population (none: a network of one
  // run), and its replicas that failed (their spikes and metrics are not
  // written from then on).
  std::vector<std::size_t> _replica_of;
  std::size_t _replicas = 0;
  std::map<std::size_t, ReplicaFailure> _replica_failures;
  SteppersByModel _steppers;  // advance()'s, kept for their capacity
  StepperTableByModel _stepper_table;  // advance()'s device copy of them, where one launch takes them all
  // advance()'s sums of every population in one launch each.
  DeviceTable<SampleSumSlot, MemorySpace> _sample_slots;
  DeviceTable<MomentSlot, MemorySpace> _moment_slots;
  // The projections delivered in one launch (deliverToAll), a table per
  // strategy: the others (plasticity, pull) keep a launch each.
  struct FusedDelivery {
    std::vector<std::size_t> projections;  // sorted by source population
    DeviceTable<DeliverySlot<ProjectionMatrix>, MemorySpace> slots;
    DeviceTable<std::int32_t, MemorySpace> first;  // by source population
  };
  FusedDelivery _fused_delivery[2];  // thread per spike, team per spike
  // CPU backends with several threads: per projection, where each row's
  // parts start (rowPartStarts), or empty.
  std::vector<Kokkos::View<std::uint32_t*, Kokkos::HostSpace>> _part_starts;
  bool _fused_delivery_planned = false;
  step_type _start_step = 0;  // restore()'s
  std::string _restored_from;  // restore()'s checkpoint, which this run's may replace

  std::string nonFiniteMessage(std::int64_t code) const;
  /// Marks the replicas whose state turned non-finite by step steps_done as
  /// failed, there (collective); the failure of the last one marked.
  std::string failReplicas(step_type steps_done);
  /// Whether the population's replica failed (a network of replicas).
  bool replicaFailed(std::size_t population) const;
  template <class Stage>
  void onEveryRank(Stage&& stage);
  void buildPopulations();
  void buildProjections(const std::atomic<bool>* stop);
  void addProjection(const ProjectionSettings& s, const Connectivity& pull, const ProjectionShape& shape,
                     std::uint32_t source, std::uint32_t target);
  void exchangeSpikes(step_type k0, io::OutputWriter* writer);
  Kokkos::View<const double*, MemorySpace> releaseEfficacies(Projection& proj,
                                                             const std::vector<SpikeRecord>& spikes);
  void writeSpikes(const std::vector<SpikeRecord>& all, io::OutputWriter& writer);
  SpikeTrains loadSpikeTrains(const PopulationSettings& s, const comm::Block& block);
  void buildStimuli();
  void writePlacementAndReach(io::OutputWriter& writer) const;
  void writePulseOnsets(io::OutputWriter& writer, std::int64_t steps_done) const;
  void buildRecordings();
  void updateProbes(Population& p);
  void updateSumTables();
  void updateDeliveryTables();
  void flushRecording(Recording& r);
  void flushLfp(Population& p, std::int64_t upto);
  void advance(step_type k0, step_type k1);
  /// The state after step k − 1 to a checkpoint file (collective; rank 0
  /// writes). Throws io::OutputError on every rank when it fails.
  void writeCheckpoint(step_type k, const std::string& path, bool overwrite);
  void restoreHere(const std::string& path);
  std::vector<std::int64_t> connectivityDigests() const;
  /// checkpoint.append: the spikes and report rows before step k from the
  /// files the run that wrote the checkpoint left, into this run's writers
  /// (rank 0). Throws io::OutputError.
  void copyOutputBefore(step_type k, io::OutputWriter* writer) const;
  double voltageSynchrony(Population& p, std::int64_t first, std::int64_t end);
  double surpriseBurstFraction(Population& p, std::int64_t burn_in_steps, std::int64_t steps_done);
  /// What the end of a run gathers of a population from the ranks, for its
  /// analyses and its file.
  struct GatheredPopulation {
    std::vector<double> lfp_all;  // the LFP proxy of the whole run, summed over the ranks
    std::vector<double> lfp;      // the part after the burn-in: what is analysed
    double analysed_ms = 0;
    std::vector<double> pulse_time_ms, pulse_rate_hz;  // the pulse-triggered histogram; empty: none
    std::vector<double> relay;  // pulses offered, misses, bursts, spurious; empty: not relayed
  };
  /// The counts of `p` and its trace (collective).
  PopulationSummary gatherSummary(Population& p, std::int64_t steps_done, GatheredPopulation& gathered);
  double analysedLfpRateHz() const;
  analysis::TraceSettings traceSettings(const Population& p, bool comodulogram) const;
  std::size_t analysisThreads() const;
  void writePopulation(io::OutputWriter& writer, const Population& p, const PopulationSummary& summary,
                       const GatheredPopulation& gathered, const analysis::TraceMetrics& metrics) const;
  /// Every population's and pair's summary into `summary`, and to `writer`
  /// when there is one (collective).
  void summarizeRun(std::int64_t steps_done, io::OutputWriter* writer, RunSummary& summary);
  std::vector<PairSummary> summarizePairs(const std::vector<GatheredPopulation>& gathered,
                                          io::OutputWriter* writer) const;
};

/// Steps between spike exchanges for `config` (Simulation::epochSteps).
step_type epochSteps(const SimulationConfig& config);

/// How the LFP proxy is sampled: analysis.lfp_sample_ms in steps, the
/// device's finer samples and the host's decimation (docs/model.md §7.2).
analysis::LfpSampling lfpSampling(const SimulationConfig& config);

/// Samples of a population's LFP proxy buffered on the device between copies
/// to the host.
std::int64_t lfpDeviceSamples(const SimulationConfig& config);

/// Rows of a recording sampled every `every_steps` buffered on the device
/// between writes.
std::int64_t recordCapacity(const SimulationConfig& config, std::int64_t every_steps);

/// Spikes kept of each neuron sampled for the Poisson-surprise bursts: its
/// analysed time at up to 1 kHz (docs/model.md §7.8).
std::int64_t surpriseTrainCapacity(const SimulationConfig& config);

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

}  // namespace cbgtc
