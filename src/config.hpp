#pragma once
// Everything a run needs to know, as plain aggregates with in-class defaults.
// Model parameter defaults live in kernels/models/ (one source of truth);
// io/options binds every field to a dotted key ("population.STN.gNa") for
// decks and command line.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kernels/rng.hpp"
#include "kernels/time_steps.hpp"
#include "src/model_settings.hpp"

namespace cbgtc {

/// A configuration the program refuses; what() names the key and the problem.
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct SimulationSettings {
  double duration_ms = 1000.0;  // ms of model time
  double dt_ms = 0.025;         // ms, integration step
  std::int64_t seed = 42;       // keys every random stream
};

/// How the work is laid out on the hardware; never changes a result.
struct ExecutionSettings {
  bool epoch_batching = true;   // the populations advanced an epoch per launch (false: a step per launch)
  std::string delivery = "auto";  // spike delivery: auto, thread (per spike), team (per spike) or pull
  // delivery = pull: pull the steps where this share of a projection's
  // sources fire: 0.4 on GPUs, 0.9 on CPU backends, where pull pays only for
  // full volleys (docs/performance.md, "Delivery strategies").
  double pull_fraction = Kokkos::SpaceAccessibility<Kokkos::DefaultExecutionSpace, Kokkos::HostSpace>::accessible
                             ? 0.9
                             : 0.4;
  // GPU lanes that advance one neuron together (kernels/lane_group.hpp):
  // 1, 2, 4 or 8; 0 = auto (8 or 4 while the network's neurons times that
  // fit in an eighth of the device's resident threads, else 1). CPU
  // backends use 1.
  std::int64_t lanes_per_neuron = 0;
};

/// Ornstein–Uhlenbeck background current of one population (model.md §5),
/// in the population's current units (µA/cm² for STN, pA for AdEx).
struct NoiseSettings {
  double tau_ms = 5.0;
  double mu = 0.0;
  double sigma = 0.0;
};

/// Per-neuron constant currents of a population (docs/model.md §5.5), in
/// its current units: log-normal across neurons with this mean and
/// coefficient of variation (the sign of the mean), keyed per neuron.
struct BiasSettings {
  double mean = 0.0;
  double cv = 0.0;
};

/// What the random draws of a population, projection or stimulus are keyed
/// by (kernels/rng.hpp): a seed and a name. Unset, simulation.seed and the
/// section's own name. A replica of an in-process ensemble (src/replicas.hpp)
/// is renamed but keeps its run's seed and the deck's name, so that it draws
/// exactly what its run alone would.
struct RandomIdentity {
  std::optional<std::int64_t> seed;
  std::string name;  // "": the section's name
};

/// One population: deck section [population.<name>].
struct PopulationSettings {
  std::string name;            // also its SONATA population name and its random key
  std::string model;           // a name of the registry (kernels/models/registry.hpp)
  std::int64_t n = 0;          // neurons
  NoiseSettings noise;
  BiasSettings bias;
  ModelSettings params;        // the model's parameters and initial state
  bool write_spikes = true;    // its spikes in the output file (with output.spikes); metrics are kept either way
  std::string placement = "none";  // none, box or sphere: keyed random positions (src/placement.hpp)
  double center_x_um = 0, center_y_um = 0, center_z_um = 0;
  double extent_um = 1000;     // box: edge length; sphere: radius
  std::string spike_file;      // models that replay spike trains: the SONATA or CSV spike file
  std::string spike_population;  // ... and its population there ("": this population's name)
  RandomIdentity random;

  /// A population of `model` with that model's defaults.
  static PopulationSettings of(const std::string& name, const std::string& model, std::int64_t n);
};

/// The prototype's three populations (model.md §1): the default deck's.
std::vector<PopulationSettings> defaultPopulations();

/// One projection between populations (model.md §4.2, the intended model).
/// Conductances are in the target's units: mS/cm² into STN, nS into AdEx.
struct ProjectionSettings {
  std::string name;    // deck section [projection.<name>]
  std::string source;  // population names
  std::string target;
  std::string rule = "fixed_probability";  // or fixed_indegree, all_to_all, one_to_one
  double p = 0.1;                // fixed_probability: Bernoulli per pair
  std::int64_t indegree = 10;    // fixed_indegree: K distinct sources per target
  double g_total = 0.0;          // summed mean weight per target neuron
  double weight_cv = 0.2;        // log-normal coefficient of variation
  double delay_ms = 5.0;         // rounded to steps, >= 1 step
  double delay_jitter_ms = 0.0;  // per-synapse delay uniform in delay ± jitter
  double tau_ms = 3.0;           // single-exponential decay
  double E_rev_mV = 0.0;
  bool autapses = false;         // only matters when source == target
  // Short-term plasticity (Tsodyks–Markram, docs/model.md §4.8); stp_U = 0: static synapses.
  double stp_U = 0.0;             // release probability of a rested synapse
  double stp_tau_rec_ms = 800.0;  // recovery from depression
  double stp_tau_fac_ms = 0.0;    // decay of facilitation (0: none)
  RandomIdentity random;
  // The keys (without "projection.<name>.") the deck or the command line set
  // to other than their default: a resolved configuration, which names
  // every key, reads back unchanged.
  std::set<std::string> changed;
};

/// A projection's synapses per target (its mean, for fixed_probability),
/// given the candidate sources of a target (docs/model.md §4.3).
inline double meanIndegree(const ProjectionSettings& pr, std::int64_t candidates) {
  if (pr.rule == "fixed_indegree") return static_cast<double>(pr.indegree);
  if (pr.rule == "all_to_all") return static_cast<double>(candidates);
  if (pr.rule == "one_to_one") return 1.0;
  return pr.p * static_cast<double>(candidates);
}

/// The four projections of the prototype with the intended delays and
/// kinetics (model.md §4.2). Conductances: docs/network.md ("The default network").
std::vector<ProjectionSettings> defaultProjections();

struct AnalysisSettings {
  double burn_in_ms = 200.0;     // excluded from every metric
  double end_ms = -1.0;          // end of the analysed window (< 0: the run's end)
  double segment_ms = 1000.0;    // Welch segment (1 s: 1 Hz resolution)
  double lfp_sample_ms = 1.0;    // LFP proxy sampling interval (1 kHz)
  double beta_lo_hz = 13.0;
  double beta_hi_hz = 30.0;
  double total_lo_hz = 1.0;      // denominator band of relative beta power
  double total_hi_hz = 100.0;
  double gamma_lo_hz = 60.0;     // amplitude band of phase-amplitude coupling (beta phase)
  double gamma_hi_hz = 200.0;
  double burst_percentile = 75.0;  // beta bursts: the envelope above this percentile
  double peak_lo_hz = 2.0;         // the band the global spectral peak is searched in
  double peak_hi_hz = 100.0;
  std::int64_t pac_surrogates = 200;  // shifted-envelope surrogates of the PAC z-score
  std::string pulse_stimulus;      // pulse-triggered histograms around this stimulus's pulses ("": the first
                                   // pulse_train or axonal one; "none": none)
  double pulse_bin_ms = 0.5;
  std::string relay_stimulus;     // error index of the relay of this pulse_train stimulus's pulses by the
                                  // population it drives ("" or "none": none; §7.9)
  double relay_window_ms = 25.0;  // a spike within this time of an onset answers the pulse (So et al. 2012)
  double spike_burst_isi_ms = 10.0;      // spike bursts: runs of intervals at most this long
  std::int64_t spike_burst_min_spikes = 3;  // ... of at least this many spikes
  double burst_min_duration_ms = 100.0;  // ... for at least this long (Tinkhauser et al. 2017)
  std::string burst_threshold_file;  // a run's output file whose beta-burst thresholds replace the percentile
  std::int64_t surprise_neurons = 100;   // Poisson-surprise bursts (§7.8): neurons kept per population
  double surprise_min = 3.0;             // ... a burst's least surprise, −log10 p
  bool comodulogram = true;  // each population's comodulogram in the file: most of the analyses' time
  std::int64_t threads = 0;  // host threads the populations' traces are analysed on (0: the Kokkos host
                             // execution space's); the results do not depend on it

  /// The analysed window's end in steps of dt_ms: end_ms's, or the run's
  /// last step (duration_ms) where end_ms is unset or later.
  std::int64_t endStep(double duration_ms, double dt_ms) const {
    const std::int64_t run_end = stepsOf(duration_ms, dt_ms);
    return end_ms < 0 ? run_end : std::min(run_end, stepsOf(end_ms, dt_ms));
  }
};

/// One recording: deck section [record.<name>] (docs/network.md,
/// "Recording"). Each variable becomes a SONATA report file.
struct RecordSettings {
  std::string name;
  std::string population;       // a [population.<name>] name
  std::string variables = "V";  // comma-separated: state variables of the model, I_syn, I_noise, I_stim,
                                // I_input, g_<projection> (a projection into the population)
  std::string node_ids;         // comma-separated node ids; empty: the first `count`
  std::int64_t count = 0;
  double interval_ms = 1.0;     // multiple of dt_ms
  std::string file;             // "": <output.file's stem>_<name>.h5
};

/// One current stimulus: deck section [stimulus.<name>] (docs/model.md
/// §5.1). Amplitudes are in the target model's current units, positive
/// depolarising.
struct StimulusSettings {
  std::string name;
  std::string kind = "dc";          // dc, sine, pulse_train or axonal
  std::string population;           // a [population.<name>] name
  std::string node_ids;             // comma-separated node ids; empty: a keyed random `fraction`
  double fraction = 1.0;            // of the population's neurons (keyed by the stimulus's name)
  double start_ms = 0.0;
  double stop_ms = -1.0;            // < 0: the end of the run
  double amplitude = 0.0;           // dc level; sine amplitude; pulse_train first phase
  double offset = 0.0;              // sine
  double frequency_hz = 130.0;      // sine, pulse_train
  double phase_rad = 0.0;           // sine
  double pulse_width_us = 90.0;     // pulse_train: first phase
  bool biphasic = false;            // pulse_train: a charge-balanced second phase of opposite sign
  double interphase_gap_us = 0.0;
  double second_phase_ratio = 1.0;  // second phase amplitude / first; its width is pulse_width_us / ratio
  double probability = 1.0;         // axonal: that a pulse fires a driven neuron's axon
  double interval_cv = 0.0;         // pulse_train, axonal: CV of a rate drawn for each pulse (0: regular)
  // An electrode instead of a target set: a monopolar point source at
  // (electrode_*_um) drives the neurons (of a placed population) within the
  // current-distance threshold, current_mA >= threshold_I0_mA + threshold_K_mA_per_mm2·r².
  bool electrode = false;
  double electrode_x_um = 0, electrode_y_um = 0, electrode_z_um = 0;
  double current_mA = 1.0;
  double threshold_I0_mA = 0.0;
  double threshold_K_mA_per_mm2 = 1.0;
  double conductivity_S_per_m = 0.2;  // tissue, for the extracellular potential I/(4πσr)
  RandomIdentity random;
  // The keys (without "stimulus.<name>.") set in the deck or on the command line.
  std::set<std::string> given;
};

struct OutputSettings {
  std::string file = "cbgtc_output.h5";
  bool overwrite = false;
  bool spikes = true;               // write every spike (metrics are kept either way)
  std::int64_t v_every_steps = 40;  // steps between membrane-potential samples
  std::int64_t v_neurons = 0;       // first cells of each population recorded
  double progress_interval_s = 5.0; // wall time between progress lines (0: none)
  bool timers = false;              // time each phase (fences after each: slower)
  bool network = false;             // the circuit as SONATA nodes and edges files (src/network_files.hpp)
};

/// Several runs of one deck: [ensemble] (docs/network.md, "Ensembles").
struct EnsembleSettings {
  std::string seeds;  // "1-10, 15": one run per seed ("": simulation.seed alone)
  std::string grid;   // "key = v1, v2; key2 = v3": one run per combination and seed
  std::string sets;   // "key = v1, key2 = v3; key = v2, key2 = v4": one run per set and seed (not with grid)
  std::string table;  // "": <output.file's stem>_ensemble.tsv
  std::int64_t replicas = 1;  // runs advanced together as one network (src/replicas.hpp)
  std::string replica_files =
      "each";  // each: a file per run; one: a file per merged network; none: the table only

  /// Whether these keys ask for an ensemble (several runs) at all: a value
  /// of blanks only is as good as none, as in a deck.
  bool any() const {
    const auto given = [](const std::string& v) { return v.find_first_not_of(" \t") != std::string::npos; };
    return given(seeds) || given(grid) || given(sets);
  }
};

/// Saving the run's state to continue it later: [checkpoint]
/// (docs/checkpoint.md).
struct CheckpointSettings {
  std::string file;        // "": no checkpoint; replaced by each later one
  std::string at_ms;       // "1000, 2500": at these model times (each rounded up to an exchange epoch)
  double every_ms = 0;     // and at every multiple of this (0: none)
  bool on_signal = false;  // and where SIGTERM, SIGINT or SIGHUP stops the run
  bool append = false;     // --restart: the output files continue those of the run that wrote it
};

struct SimulationConfig {
  SimulationSettings simulation;
  ExecutionSettings execution;
  std::vector<PopulationSettings> populations = defaultPopulations();
  std::vector<ProjectionSettings> projections = defaultProjections();
  AnalysisSettings analysis;
  OutputSettings output;
  std::vector<RecordSettings> records;
  std::vector<StimulusSettings> stimuli;
  EnsembleSettings ensemble;
  CheckpointSettings checkpoint;

  /// Number of steps; the parser guarantees duration is a multiple of dt.
  std::int64_t stepCount() const {
    return static_cast<std::int64_t>(simulation.duration_ms / simulation.dt_ms + 0.5);
  }

  /// The population called `name`, or nullptr (a search of the list: in a
  /// loop over a merged ensemble's thousands, PopulationsByName).
  const PopulationSettings* population(const std::string& name) const;
  PopulationSettings* population(const std::string& name);
};

/// A configuration's populations by name, as SimulationConfig::population
/// finds them (the first of a name), in constant time: for loops over the
/// populations or projections of a merged ensemble, where a search each
/// would cost the square of their number. Valid while the populations'
/// list is unchanged.
class PopulationsByName {
 public:
  explicit PopulationsByName(const SimulationConfig& c);
  const PopulationSettings* operator()(const std::string& name) const;

 private:
  std::unordered_map<std::string_view, const PopulationSettings*> _by_name;
};

/// The seed and the name that key a section's random draws (RandomIdentity).
template <class Settings>
std::uint64_t randomSeed(const Settings& s, const SimulationConfig& c) {
  return static_cast<std::uint64_t>(s.random.seed.value_or(c.simulation.seed));
}
template <class Settings>
const std::string& randomName(const Settings& s) {
  return s.random.name.empty() ? s.name : s.random.name;
}
template <class Settings>
std::uint32_t randomKey(const Settings& s) {
  return rng::streamKey(randomName(s).c_str());
}

/// A replica's copy of a deck's section is named "<name>~<replica>"
/// (src/replicas.hpp). Its tag, "~<replica>" (the last '~' and the digits
/// after it: names derived from it may go on, "GPi~2_axonal"), or "" for a
/// name of no replica: sections of one run have the same tag.
inline std::string replicaTag(const std::string& name) {
  const std::size_t at = name.rfind('~');
  if (at == std::string::npos) return std::string();
  std::size_t end = at + 1;
  while (end < name.size() && name[end] >= '0' && name[end] <= '9') ++end;
  return name.substr(at, end - at);
}

/// The replica a name's tag names (replicaTag), or npos for a name of no
/// replica.
inline std::size_t replicaOf(const std::string& name) {
  const std::string tag = replicaTag(name);
  return tag.size() > 1 ? static_cast<std::size_t>(std::stoul(tag.substr(1))) : std::string::npos;
}

/// A deck section's name: letters, digits and '_' (it is also an HDF5
/// group and a random key); or a replica's copy of one, "<random.name>~<n>".
bool validSectionName(const std::string& name, const RandomIdentity& random);

/// The text keys that take one of a fixed list of values: one list for the
/// option table (a deck's value the command line overrides is checked
/// against it too) and for checkConsistency.
inline const std::vector<std::string> rule_choices = {"fixed_probability", "fixed_indegree", "all_to_all",
                                                      "one_to_one"};
inline const std::vector<std::string> delivery_choices = {"auto", "thread", "team", "pull"};
inline const std::vector<std::string> placement_choices = {"none", "box", "sphere"};
inline const std::vector<std::string> replica_files_choices = {"each", "one", "none"};

/// Throws "<key> must be a, b or c, got '<value>'" unless `value` is one of `choices`.
void checkChoice(const std::string& key, const std::string& value, const std::vector<std::string>& choices);

/// Throws unless `lanes` is a lane count a GPU step takes (0: chosen per network).
void checkLanesPerNeuron(std::int64_t lanes);

/// The steps `key` (ms) lasts at dt (stepsOf), refused naming the key when
/// they are more than `limit` (the largest value of the type they are
/// stored in, or what the code that uses them allows; `why` says which).
std::int64_t checkedSteps(const std::string& key, double ms, double dt_ms, std::int64_t limit,
                          const char* why);

/// Checks that involve several keys (duration vs dt, V_reset vs V_peak,
/// projections naming populations, ...); throws ConfigError naming the key.
void checkConsistency(const SimulationConfig& config);

}  // namespace cbgtc
