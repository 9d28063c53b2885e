#include "io/options.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <type_traits>

#include "src/projection.hpp"
#include "src/stimuli.hpp"

namespace po = boost::program_options;

namespace cbgtc::io {

namespace {

template <class T>
std::string toText(const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    return value ? "true" : "false";
  } else if constexpr (std::is_floating_point_v<T>) {
    return formatNumber(value);
  } else if constexpr (std::is_same_v<T, std::string>) {
    return value;
  } else {
    return std::to_string(value);
  }
}

template <class T>
void checkBound(const std::string& key, const T& value, Bound bound) {
  if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
    if constexpr (std::is_floating_point_v<T>) {
      if (!std::isfinite(value)) throw ConfigError(key + " must be a finite number, got " + toText(value));
    }
    switch (bound) {
      case Bound::Any: break;
      case Bound::NonNegative:
        if (value < 0) throw ConfigError(key + " must be >= 0, got " + toText(value));
        break;
      case Bound::Positive:
        if (!(value > 0)) throw ConfigError(key + " must be > 0, got " + toText(value));
        break;
      case Bound::UnitInterval:
        if (value < 0 || value > 1) throw ConfigError(key + " must be in [0, 1], got " + toText(value));
        break;
    }
  }
}

std::string sectionOf(const std::string& key) { return key.substr(0, key.rfind('.')); }

std::string modelList() {
  std::string out;
  for (const auto& m : modelNames()) out += (out.empty() ? "" : ", ") + m;
  return out;
}

}  // namespace

std::string formatNumber(double value) {
  char buf[64];
  for (int digits = 6; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  return buf;
}

std::string formatNumber(float value) {
  char buf[64];
  for (int digits = 6; digits <= 9; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, static_cast<double>(value));
    if (std::strtof(buf, nullptr) == value) break;
  }
  return buf;
}

template <class T>
void OptionTable::add(const std::string& key, T* field, const std::string& unit,
                      const std::string& help, Bound bound) {
  const std::string default_text = toText(*field);
  const std::string described = (unit.empty() ? std::string() : "[" + unit + "] ") + help;
  Entry e;
  e.key = key;
  e.unit = unit;
  e.help = help;
  e.default_text = default_text;
  if constexpr (std::is_same_v<T, bool>)
    e.kind = Kind::Boolean;
  else if constexpr (std::is_floating_point_v<T>)
    e.kind = Kind::Real;
  else if constexpr (std::is_integral_v<T>)
    e.kind = Kind::Integer;
  e.declare = [key, field, described, default_text](po::options_description& d) {
    auto* value = po::value<T>(field)->default_value(*field, default_text);
    if constexpr (std::is_same_v<T, bool>) value->implicit_value(true, "true");
    d.add_options()(key.c_str(), value, described.c_str());
  };
  e.value = [field] { return toText(*field); };
  e.check = [key, field, bound] { checkBound(key, *field, bound); };
  e.check_text = [key, bound](const std::string& text) {
    T parsed{};
    po::options_description d;
    d.add_options()(key.c_str(), po::value<T>(&parsed), "");
    po::parsed_options one(&d);
    one.options.push_back(po::option(key, {text}));
    po::variables_map vm;
    po::store(one, vm);
    po::notify(vm);
    checkBound(key, parsed, bound);
  };
  _entries.push_back(std::move(e));
}

template void OptionTable::add<double>(const std::string&, double*, const std::string&,
                                       const std::string&, Bound);
template void OptionTable::add<float>(const std::string&, float*, const std::string&,
                                      const std::string&, Bound);
template void OptionTable::add<std::int64_t>(const std::string&, std::int64_t*, const std::string&,
                                             const std::string&, Bound);
template void OptionTable::add<bool>(const std::string&, bool*, const std::string&,
                                     const std::string&, Bound);
template void OptionTable::add<std::string>(const std::string&, std::string*, const std::string&,
                                            const std::string&, Bound);

std::vector<po::options_description> OptionTable::describe() const {
  std::vector<std::string> sections;
  for (const auto& e : _entries) {
    const auto s = sectionOf(e.key);
    if (sections.empty() || sections.back() != s) sections.push_back(s);
  }
  std::vector<po::options_description> out;
  for (const auto& s : sections) {
    out.emplace_back("[" + s + "]", 100, 50);
    for (const auto& e : _entries)
      if (sectionOf(e.key) == s) e.declare(out.back());
  }
  return out;
}

void OptionTable::checkValuesWith(const std::string& key,
                                  std::function<void(const std::string& value)> check) {
  // From the back: the key was added just before (a merged ensemble's table
  // has tens of thousands of keys).
  const auto entry =
      std::find_if(_entries.rbegin(), _entries.rend(), [&](const Entry& e) { return e.key == key; });
  if (entry == _entries.rend()) throw std::logic_error("checkValuesWith: no key " + key);
  entry->check_text = [check_text = entry->check_text, check](const std::string& text) {
    check_text(text);
    check(text);
  };
}

void OptionTable::checkBounds() const {
  for (const auto& e : _entries) e.check();
}

AttributeList OptionTable::resolved() const {
  AttributeList out;
  for (const auto& e : _entries) {
    std::string value = e.value();
    if (!value.empty()) out.emplace_back(e.key, std::move(value));
  }
  return out;
}

Provenance OptionTable::provenance() const {
  Provenance out;
  for (const auto& e : _entries) {
    std::string value = e.value();
    // The text of a number round-trips (formatNumber, std::to_string).
    switch (e.kind) {
      case Kind::Real:
        out.reals.emplace_back(e.key, std::strtod(value.c_str(), nullptr));
        break;
      case Kind::Integer:
        out.integers.emplace_back(e.key, std::strtoll(value.c_str(), nullptr, 10));
        break;
      case Kind::Boolean:
      case Kind::Text:
        if (!value.empty()) out.text.emplace_back(e.key, std::move(value));
        break;
    }
  }
  return out;
}

OptionTable makeOptionTable(SimulationConfig& c) {
  OptionTable t;
  auto& sim = c.simulation;
  t.add("simulation.duration_ms", &sim.duration_ms, "ms", "model time to simulate (multiple of dt_ms)",
        Bound::NonNegative);
  t.add("simulation.dt_ms", &sim.dt_ms, "ms", "integration step", Bound::Positive);
  t.add("simulation.seed", &sim.seed, "", "seed of every random stream (initial states, ...)",
        Bound::NonNegative);

  auto& ex = c.execution;
  t.add("execution.epoch_batching", &ex.epoch_batching, "",
        "advance each population through a whole exchange epoch per kernel launch (false: one launch per step; "
        "same results)");
  t.add("execution.delivery", &ex.delivery, "",
        "spike delivery: thread (a thread per spike), team (a team per spike, for long rows on GPUs), auto "
        "(team on GPUs for rows of 32 or more) or pull (as auto, but steps where execution.pull_fraction of a "
        "projection's sources fire together are one sparse matrix product; 12 more bytes per synapse); "
        "same results");
  t.checkValuesWith("execution.delivery",
                    [](const std::string& v) { checkChoice("execution.delivery", v, delivery_choices); });
  t.add("execution.pull_fraction", &ex.pull_fraction, "",
        "with delivery = pull: share of a projection's sources firing in one step from which that step is "
        "pulled (0: every step with spikes)",
        Bound::UnitInterval);
  t.add("execution.lanes_per_neuron", &ex.lanes_per_neuron, "",
        "GPU lanes that advance one neuron together, sharing out its exponentials, divisions and noise: 1, 2, "
        "4 or 8, or 0 = auto (8 or 4 for small networks, which are latency-bound, else 1); ignored on CPUs; same "
        "results");
  // (the text is a whole number already: the table's own parse came first)
  t.checkValuesWith("execution.lanes_per_neuron",
                    [](const std::string& v) { checkLanesPerNeuron(std::stoll(v)); });

  for (auto& pop : c.populations) {
    const std::string k = "population." + pop.name + ".";
    const std::string units = currentUnits(pop.params);
    t.add(k + "model", &pop.model, "", "neuron model: " + modelList());
    t.checkValuesWith(k + "model", [key = k + "model", name = pop.name](const std::string& v) {
      try {
        PopulationSettings::of(name, v, 0);
      } catch (const std::invalid_argument& e) {
        throw ConfigError(key + ": " + e.what());
      }
    });
    t.add(k + "n", &pop.n, "", "number of neurons", Bound::NonNegative);
    t.add(k + "noise_tau_ms", &pop.noise.tau_ms, "ms", "OU background current: correlation time", Bound::Positive);
    t.add(k + "noise_mu", &pop.noise.mu, units, "OU background current: mean (positive depolarising)");
    t.add(k + "noise_sigma", &pop.noise.sigma, units, "OU background current: stationary s.d.",
          Bound::NonNegative);
    for (const ModelKey& m : modelKeys(pop.params)) t.add(k + m.name, m.field, m.unit, m.help, m.bound);
    t.add(k + "bias_mean", &pop.bias.mean, units,
          "per-neuron constant current (heterogeneity): mean over the population (positive depolarising)");
    t.add(k + "bias_cv", &pop.bias.cv, "",
          "coefficient of variation of the bias currents (log-normal, keyed per neuron; 0: all equal)",
          Bound::NonNegative);
    t.add(k + "write_spikes", &pop.write_spikes, "",
          "write this population's spikes to the output file (false: e.g. a large input source; metrics are kept)");
    t.add(k + "placement", &pop.placement, "", "none, box or sphere: keyed random positions in 3D (for electrodes)");
    t.checkValuesWith(k + "placement", [key = k + "placement"](const std::string& v) {
      checkChoice(key, v, placement_choices);
    });
    t.add(k + "center_x_um", &pop.center_x_um, "um", "placement centre, x");
    t.add(k + "center_y_um", &pop.center_y_um, "um", "placement centre, y");
    t.add(k + "center_z_um", &pop.center_z_um, "um", "placement centre, z");
    t.add(k + "extent_um", &pop.extent_um, "um", "placement size: a box's edge, a sphere's radius", Bound::Positive);
    if (readsSpikeTrains(pop.params)) {
      t.add(k + "spike_file", &pop.spike_file, "", "SONATA HDF5 or cbgtc CSV spike file whose trains this population replays");
      t.add(k + "spike_population", &pop.spike_population, "",
            "population of spike_file to replay (default: this population's name)");
    }
  }

  for (auto& pr : c.projections) {
    const std::string k = "projection." + pr.name + ".";
    t.add(k + "source", &pr.source, "", "source population (a [population.<name>] name)");
    t.add(k + "target", &pr.target, "", "target population (a [population.<name>] name)");
    t.add(k + "rule", &pr.rule, "", "fixed_probability, fixed_indegree, all_to_all or one_to_one");
    t.checkValuesWith(k + "rule",
                      [key = k + "rule"](const std::string& v) { checkChoice(key, v, rule_choices); });
    t.add(k + "p", &pr.p, "", "connection probability per pair (fixed_probability)", Bound::UnitInterval);
    t.add(k + "indegree", &pr.indegree, "", "sources per target (fixed_indegree)", Bound::NonNegative);
    t.add(k + "g_total", &pr.g_total, "the target model's conductance units (mS/cm^2 into stn_hh, nS into adex)",
          "summed mean weight per target neuron", Bound::NonNegative);
    t.add(k + "weight_cv", &pr.weight_cv, "", "coefficient of variation of the log-normal weights",
          Bound::NonNegative);
    t.add(k + "delay_ms", &pr.delay_ms, "ms", "axonal delay, rounded to steps", Bound::Positive);
    t.add(k + "delay_jitter_ms", &pr.delay_jitter_ms, "ms", "per-synapse delay uniform in delay +- jitter",
          Bound::NonNegative);
    t.add(k + "tau_ms", &pr.tau_ms, "ms", "conductance decay time constant", Bound::Positive);
    t.add(k + "E_rev_mV", &pr.E_rev_mV, "mV", "reversal potential");
    t.add(k + "autapses", &pr.autapses, "", "allow self-connections when source == target");
    t.add(k + "stp_U", &pr.stp_U, "",
          "short-term plasticity (Tsodyks-Markram, as NEST's tsodyks2_synapse): release probability of a "
          "rested "
          "synapse; 0 = static synapses. g_total is then the weight of spikes after a long silence",
          Bound::UnitInterval);
    t.add(k + "stp_tau_rec_ms", &pr.stp_tau_rec_ms, "ms", "short-term plasticity: recovery from depression",
          Bound::Positive);
    t.add(k + "stp_tau_fac_ms", &pr.stp_tau_fac_ms, "ms",
          "short-term plasticity: decay of facilitation (0: none)", Bound::NonNegative);
  }

  for (auto& r : c.records) {
    const std::string k = "record." + r.name + ".";
    t.add(k + "population", &r.population, "", "population to record (a [population.<name>] name)");
    t.add(k + "variables", &r.variables, "",
          "comma-separated: state variables of the population's model, I_syn, I_noise, I_stim, I_bias, I_input, g_<projection>");
    t.add(k + "node_ids", &r.node_ids, "", "comma-separated node ids to record (or count)");
    t.add(k + "count", &r.count, "", "record the first count neurons (or node_ids)", Bound::NonNegative);
    t.add(k + "interval_ms", &r.interval_ms, "ms", "sampling interval (multiple of dt_ms)", Bound::Positive);
    t.add(k + "file", &r.file, "", "SONATA report file (default <output.file stem>_<name>.h5; _<variable> added "
                                   "before the extension for each of several variables)");
  }

  for (auto& st : c.stimuli) {
    const std::string k = "stimulus." + st.name + ".";
    const char* current = "the target model's current units";
    t.add(k + "kind", &st.kind, "", "dc, sine, pulse_train (DBS as a current) or axonal (DBS activating axons)");
    t.checkValuesWith(k + "kind", [name = st.name](const std::string& v) {
      StimulusSettings s;
      s.name = name;
      s.kind = v;
      stimulusKind(s);
    });
    t.add(k + "population", &st.population, "", "population driven (a [population.<name>] name)");
    t.add(k + "node_ids", &st.node_ids, "", "comma-separated node ids driven (or fraction)");
    t.add(k + "fraction", &st.fraction, "", "share of the population driven, a keyed random choice",
          Bound::UnitInterval);
    t.add(k + "start_ms", &st.start_ms, "ms", "switched on at", Bound::NonNegative);
    t.add(k + "stop_ms", &st.stop_ms, "ms", "switched off at (negative: the end of the run)");
    t.add(k + "amplitude", &st.amplitude, current,
          "dc level, sine amplitude, or pulse_train first phase (positive depolarising)");
    t.add(k + "offset", &st.offset, current, "sine: constant added");
    t.add(k + "frequency_hz", &st.frequency_hz, "Hz", "sine frequency or pulse rate", Bound::NonNegative);
    t.add(k + "phase_rad", &st.phase_rad, "rad", "sine: phase at start_ms");
    t.add(k + "pulse_width_us", &st.pulse_width_us, "us", "pulse_train: width of the first phase", Bound::Positive);
    t.add(k + "biphasic", &st.biphasic, "", "pulse_train: add a charge-balanced second phase of opposite sign");
    t.add(k + "interphase_gap_us", &st.interphase_gap_us, "us", "pulse_train: gap between the phases",
          Bound::NonNegative);
    t.add(k + "second_phase_ratio", &st.second_phase_ratio, "",
          "pulse_train: second phase amplitude over the first's (its width is pulse_width_us / ratio)",
          Bound::Positive);
    t.add(
        k + "interval_cv", &st.interval_cv, "",
        "pulse_train, axonal: pulses at irregular intervals, 1000/rate ms with the rate drawn for each pulse "
        "from a gamma distribution of mean frequency_hz and this CV (0: regular)",
        Bound::UnitInterval);
    t.add(k + "probability", &st.probability, "",
          "axonal: probability that a pulse fires a driven neuron's axon (a spike through its projections)",
          Bound::UnitInterval);
    t.add(k + "electrode", &st.electrode, "",
          "drive the neurons of a placed population within an electrode's reach instead of node_ids or fraction");
    t.add(k + "electrode_x_um", &st.electrode_x_um, "um", "electrode position, x");
    t.add(k + "electrode_y_um", &st.electrode_y_um, "um", "electrode position, y");
    t.add(k + "electrode_z_um", &st.electrode_z_um, "um", "electrode position, z");
    t.add(k + "current_mA", &st.current_mA, "mA", "electrode current", Bound::NonNegative);
    t.add(k + "threshold_I0_mA", &st.threshold_I0_mA, "mA", "current-distance threshold I0 + K r^2: I0",
          Bound::NonNegative);
    t.add(k + "threshold_K_mA_per_mm2", &st.threshold_K_mA_per_mm2, "mA/mm^2",
          "current-distance threshold I0 + K r^2: K", Bound::Positive);
    t.add(k + "conductivity_S_per_m", &st.conductivity_S_per_m, "S/m",
          "tissue conductivity, for the reported extracellular potential I/(4 pi sigma r)", Bound::Positive);
  }

  auto& a = c.analysis;
  t.add("analysis.burn_in_ms", &a.burn_in_ms, "ms", "initial time excluded from every metric", Bound::NonNegative);
  t.add("analysis.end_ms", &a.end_ms, "ms",
        "end of the analysed window [burn_in_ms, end_ms): later time is excluded from every metric (< 0: the "
        "run's end), e.g. a baseline before a stimulus starts",
        Bound::Any);
  t.add("analysis.segment_ms", &a.segment_ms, "ms", "Welch segment length (1000: 1 Hz resolution)",
        Bound::Positive);
  t.add("analysis.lfp_sample_ms", &a.lfp_sample_ms, "ms", "LFP proxy sampling interval (multiple of dt_ms)",
        Bound::Positive);
  t.add("analysis.beta_lo_hz", &a.beta_lo_hz, "Hz", "lower edge of the beta band", Bound::NonNegative);
  t.add("analysis.beta_hi_hz", &a.beta_hi_hz, "Hz", "upper edge of the beta band", Bound::Positive);
  t.add("analysis.total_lo_hz", &a.total_lo_hz, "Hz", "lower edge of the band relative beta is taken over",
        Bound::NonNegative);
  t.add("analysis.total_hi_hz", &a.total_hi_hz, "Hz", "upper edge of that band", Bound::Positive);
  t.add("analysis.gamma_lo_hz", &a.gamma_lo_hz, "Hz",
        "lower edge of the amplitude band of phase-amplitude coupling (with the beta band's phase)",
        Bound::NonNegative);
  t.add("analysis.gamma_hi_hz", &a.gamma_hi_hz, "Hz", "upper edge of that band", Bound::Positive);
  t.add("analysis.burst_percentile", &a.burst_percentile, "",
        "beta bursts: where the beta envelope exceeds this percentile of itself (0-100)", Bound::NonNegative);
  t.add("analysis.peak_lo_hz", &a.peak_lo_hz, "Hz", "lower edge of the band of the global spectral peak",
        Bound::NonNegative);
  t.add("analysis.peak_hi_hz", &a.peak_hi_hz, "Hz", "upper edge of that band", Bound::Positive);
  t.add("analysis.pac_surrogates", &a.pac_surrogates, "",
        "surrogates (circularly shifted gamma envelopes) of the PAC z-score (0: none, z is n/a)",
        Bound::NonNegative);
  t.add("analysis.pulse_stimulus", &a.pulse_stimulus, "",
        "pulse-triggered spike histograms around this stimulus's pulses (empty: the first pulse_train or "
        "axonal stimulus; none: no histograms)");
  t.add("analysis.pulse_bin_ms", &a.pulse_bin_ms, "ms", "bin of the pulse-triggered histograms", Bound::Positive);
  t.add("analysis.relay_stimulus", &a.relay_stimulus, "",
        "the error index of the relay of this pulse_train stimulus's pulses by the population it drives "
        "(empty or none: none)");
  t.add("analysis.relay_window_ms", &a.relay_window_ms, "ms",
        "relay: a spike within this time of a pulse's onset answers it", Bound::Positive);
  t.add("analysis.spike_burst_isi_ms", &a.spike_burst_isi_ms, "ms",
        "spike bursts: runs of inter-spike intervals at most this long", Bound::Positive);
  t.add("analysis.spike_burst_min_spikes", &a.spike_burst_min_spikes, "",
        "spike bursts: the fewest spikes such a run needs", Bound::Positive);
  t.add("analysis.burst_min_duration_ms", &a.burst_min_duration_ms, "ms",
        "beta bursts: shortest supra-threshold interval that counts as a burst", Bound::NonNegative);
  t.add("analysis.burst_threshold_file", &a.burst_threshold_file, "",
        "beta bursts: take each population's envelope threshold from this output file of another run "
        "(/metrics/<pop>@beta_burst_threshold) instead of burst_percentile, so that two conditions are "
        "compared at one threshold (empty: this run's own percentile)");
  t.add("analysis.surprise_neurons", &a.surprise_neurons, "",
        "Poisson-surprise spike bursts: the spike trains of this many neurons per population, evenly spaced, "
        "are kept and analysed (0: none)",
        Bound::NonNegative);
  t.add("analysis.surprise_min", &a.surprise_min, "",
        "Poisson-surprise spike bursts: the least surprise, -log10 of the Poisson probability, of a burst",
        Bound::Positive);
  t.add("analysis.comodulogram", &a.comodulogram, "",
        "write each population's phase-amplitude comodulogram (Tort indices, 4-40 Hz phases by 30-200 Hz "
        "amplitudes) to the file; most of the time the analyses take, so false suits large ensembles");
  t.add("analysis.threads", &a.threads, "",
        "host threads the populations' spectra, PAC and comodulograms are computed on, at the end of a run "
        "(0: as many as Kokkos's host execution space has); the results are the same for any number",
        Bound::NonNegative);

  auto& e = c.ensemble;
  t.add("ensemble.seeds", &e.seeds, "",
        "run the deck once per seed: a list of seeds and ranges, e.g. 1-10 (empty: one run, simulation.seed)");
  t.add("ensemble.grid", &e.grid, "",
        "and once per combination of key values: key = v1, v2; key2 = v3, ... (empty: no grid)");
  t.add("ensemble.sets", &e.sets, "",
        "or once per set of key values: key = v1, key2 = v2; key = v3, key2 = v4; ... (empty: none; not with "
        "a grid)");
  t.add("ensemble.table", &e.table, "",
        "the ensemble's table of metrics (empty: <output.file's stem>_ensemble.tsv)");
  t.add("ensemble.replicas", &e.replicas, "",
        "runs advanced together as one network, this many at a time: the same spikes as separate runs, in "
        "shared kernel launches (1: one network per run)",
        Bound::Positive);
  t.add("ensemble.replica_files", &e.replica_files, "",
        "the runs' files: each (a file per run, as it would write alone), one (with replicas: a file per "
        "merged network, its populations named <name>~<replica>, /replicas/<replica> naming each one's run, "
        "seed and values) or none (no file per run, only the ensemble's table: for sweeps of many runs)");
  t.checkValuesWith("ensemble.replica_files", [](const std::string& v) {
    checkChoice("ensemble.replica_files", v, replica_files_choices);
  });

  auto& k = c.checkpoint;
  t.add("checkpoint.file", &k.file, "",
        "checkpoint file (HDF5) holding the run's whole state, replaced by each later checkpoint (empty: "
        "none); "
        "continue from it with --restart");
  t.add("checkpoint.at_ms", &k.at_ms, "ms",
        "write a checkpoint at these model times, e.g. 1000, 2500 (each rounded up to the next spike "
        "exchange)");
  t.add("checkpoint.every_ms", &k.every_ms, "ms", "and at every multiple of this model time (0: none)",
        Bound::NonNegative);
  t.add("checkpoint.on_signal", &k.on_signal, "",
        "and when SIGTERM, SIGINT or SIGHUP stops the run (e.g. a batch system's time limit)");
  t.add("checkpoint.append", &k.append, "",
        "with --restart: continue the output files of the run that wrote the checkpoint (output.file and the "
        "record files hold the whole run when it ends; false: they hold what follows the checkpoint)");

  auto& o = c.output;
  t.add("output.file", &o.file, "", "output file (SONATA HDF5; CSV spikes in builds without HDF5)");
  t.add("output.spikes", &o.spikes, "",
        "write every spike to the file (false: rates, CV, LFP and spectra only; on one rank the spikes then "
        "never leave the device)");
  t.add("output.overwrite", &o.overwrite, "", "replace an existing output file");
  t.add("output.v_every_steps", &o.v_every_steps, "steps", "membrane-potential sampling interval",
        Bound::Positive);
  t.add("output.v_neurons", &o.v_neurons, "", "first cells of each population whose V is recorded",
        Bound::NonNegative);
  t.add("output.progress_interval_s", &o.progress_interval_s, "s", "wall time between progress lines (0: off)",
        Bound::NonNegative);
  t.add("output.timers", &o.timers, "",
        "time the phases of a step (neuron update, delivery, exchange, output); adds a fence per phase");
  t.add(
      "output.network", &o.network, "",
      "write the circuit as SONATA nodes and edges files (<file stem>_nodes.h5, _node_types.csv, _edges.h5, "
      "_edge_types.csv), readable by bmtk");
  return t;
}

namespace {

po::options_description howToRun() {
  po::options_description d("How to run", 100, 50);
  d.add_options()("help,h", "print this help and exit")(
      "version", "print version, Kokkos, MPI and HDF5 information and exit")(
      "config,c", po::value<std::string>(), "input deck (INI); keys given here override it")(
      "validate", "check the configuration and exit without running")(
      "restart", po::value<std::string>(),
      "continue the run saved in this checkpoint file (the deck must have the same physics)");
  return d;
}

}  // namespace

std::string helpText() {
  SimulationConfig defaults;
  // A recording is shown by its keys, under a placeholder name.
  defaults.records.emplace_back();
  defaults.records.back().name = "<name>";
  defaults.stimuli.emplace_back();
  defaults.stimuli.back().name = "<name>";
  const OptionTable table = makeOptionTable(defaults);
  std::ostringstream out;
  out << "Usage: cbgtc [--config deck.ini] [--section.key=value ...]\n\n"
      << "Simulates a basal ganglia circuit made of [population.<name>] and\n"
      << "[projection.<name>] sections; without them, the STN-GPe-GPi network below.\n"
      << "Every key can be set in the deck (section [population.STN], line\n"
      << "'gNa = 49') or on the command line (--population.STN.gNa=49); the command\n"
      << "line wins. Units are in brackets.\n\n"
      << howToRun() << "\n";
  for (const auto& d : table.describe()) out << d << "\n";
  // Every model's keys, for populations of models the built-in network
  // does not use.
  out << "Models (model = <name> in a [population.<name>] section; also n and noise_*):\n";
  for (const auto& name : modelNames()) {
    ModelSettings settings = defaultModelSettings(name);
    const bool input = takesInput(settings);
    if (input)
      out << "  " << name << " (currents in " << currentUnits(settings) << ", conductances in "
          << conductanceUnits(settings) << "):";
    else
      out << "  " << name << " (a spike source: no membrane, no input):";
    for (const ModelKey& k : modelKeys(settings)) {
      out << " " << k.name;
      if (k.unit != nullptr && k.unit[0] != '\0') out << "[" << k.unit << "]";
    }
    if (readsSpikeTrains(settings)) out << " spike_file spike_population";
    out << "\n    record variables:";
    for (const StateVariable& v : stateVariables(settings)) out << " " << v.name;
    out << (input ? " I_syn I_noise I_stim I_bias I_input g_<projection>\n" : "\n");
  }
  out << "\nExamples:\n"
      << "  cbgtc --config input/parkinsonian.ini                       a preset (healthy, parkinsonian, "
         "parkinsonian_dbs)\n"
      << "  cbgtc --config input/default.ini --population.GPe.I_e=250   change a key of the deck\n"
      << "  cbgtc --config my.ini --validate                            check a deck, run nothing\n"
      << "  cbgtc --config input/parkinsonian_dbs.ini --ensemble.seeds=1-10 --ensemble.grid='stimulus.dbs."
         "current_mA = 1.2, 2.4; stimulus.dbs.frequency_hz = 20, 130'\n"
      << "                                                              seeds x DBS currents x frequencies, "
         "one "
         "table\n"
      << "  mpirun -np 4 cbgtc --config input/network_4500.ini            several ranks, the same results\n"
      << "  cbgtc-plot cbgtc_default.h5                                 figures of a run\n"
      << "A deck section looks like:\n"
      << "  [population.GPe]          [projection.stn_gpe]         [stimulus.dbs]\n"
      << "  model = adex              source = STN                 kind = pulse_train\n"
      << "  n = 200                   target = GPe                 population = STN\n"
      << "  I_e = 300                 g_total = 10                 frequency_hz = 130\n";
  return out.str();
}

namespace {

// Exact keys only: boost's default style also accepts any unambiguous
// prefix ("--network.n_st" for network.n_stn), which the deck never does.
constexpr int kCommandLineStyle =
    po::command_line_style::default_style & ~po::command_line_style::allow_guessing;

// The options Kokkos reads from the command line (Kokkos 3.4 and 4.x); every
// other "--kokkos..." argument is a typo that Kokkos would drop silently.
constexpr const char* kKokkosOptions[] = {"--kokkos-num-threads",
                                          "--kokkos-device-id",
                                          "--kokkos-help",
                                          "--kokkos-disable-warnings",
                                          "--kokkos-print-configuration",
                                          "--kokkos-tune-internals",
                                          "--kokkos-tools-libs",
                                          "--kokkos-tools-args",
                                          "--kokkos-map-device-id-by",
                                          "--kokkos-num-devices",
                                          "--kokkos-threads",
                                          "--kokkos-numa",
                                          "--kokkos-ndevices"};

/// The Kokkos option `arg` is ("--kokkos-num-threads" for
/// "--kokkos-num-threads=4"), or throws for an unknown one.
std::string kokkosOptionOf(const std::string& arg) {
  const std::string name = arg.substr(0, arg.find('='));
  for (const char* known : kKokkosOptions)
    if (name == known) return name;
  throw ConfigError("unknown Kokkos option '" + name + "' (see --kokkos-help)");
}

int threadCountOf(const std::string& arg) {
  const auto eq = arg.find('=');
  const std::string name = arg.substr(0, eq);
  const std::string text = eq == std::string::npos ? "" : arg.substr(eq + 1);
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < 1)
    throw ConfigError(name + " must be '=' and a positive whole number of threads, got '" + arg + "'");
  return value;
}

/// One `key = value` line of a deck.
struct DeckEntry {
  std::string key;  // "section.name"
  std::string value;
  int line = 0;
};

std::string trimmed(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\v\f");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\v\f") - first + 1);
}

}  // namespace

// A pipe or process substitution (`--config <(...)`, /dev/stdin) cannot be
// read a second time.
std::string readDeck(const std::string& path) {
  // O_NONBLOCK: opening a named pipe nobody writes to returns at once
  // instead of waiting for a writer; its read then ends at once, empty.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    throw ConfigError("cannot open input deck '" + path + "': " + std::strerror(error));
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int error = errno;
    throw ConfigError("cannot read input deck '" + path + "': " + std::strerror(error));
  }
  if (S_ISDIR(info.st_mode)) throw ConfigError("input deck '" + path + "' is a directory");
  const bool pipe = S_ISFIFO(info.st_mode);
  if (!S_ISREG(info.st_mode) && !pipe)
    throw ConfigError("input deck '" + path + "' is not a regular file or a pipe");
  // Blocking again, so that a pipe is read until its writer closes it.
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      throw ConfigError("cannot read input deck '" + path + "': " + std::strerror(error));
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
  // An empty pipe is a deck that was never written (or already consumed),
  // not a request for the defaults.
  if (pipe && text.empty()) throw ConfigError("input deck '" + path + "' is a pipe that gave no data");
  return text;
}

namespace {

/// A value's text after '=' (whitespace at either end removed): the text
/// between double quotes where it starts with one (a '#' inside is the
/// value's), else the text before a trailing '#' comment. A '#' right after
/// a value's text is refused rather than taken as a comment: it is more
/// likely meant as part of a path or name (`file = run#2.h5`). `where`
/// begins each complaint.
std::string deckValue(const std::string& after_eq, const std::string& where) {
  const std::string v = trimmed(after_eq);
  if (!v.empty() && v.front() == '"') {
    const auto close = v.find('"', 1);
    if (close == std::string::npos)
      throw ConfigError(where + "the quote that begins '" + v + "' is not closed");
    const std::string rest = trimmed(v.substr(close + 1));
    if (!rest.empty() && rest.front() != '#')
      throw ConfigError(where + "'" + rest + "' follows the closing quote of '" + v.substr(0, close + 1) +
                        "'");
    return v.substr(1, close - 1);
  }
  const auto hash = v.find('#');
  if (hash != std::string::npos && hash > 0 && !std::isspace(static_cast<unsigned char>(v[hash - 1])))
    throw ConfigError(where + "'#' right after '" + v.substr(0, hash) +
                      "' starts a comment: put a space before a comment, or the value in double quotes (\"" +
                      v + "\") to keep it");
  return trimmed(v.substr(0, hash));
}

/// The INI syntax boost::program_options reads ('#' comments, [section],
/// key = value), scanned here so that every complaint can name its line.
/// A line whose first character is ';' is a comment too, as in most INI
/// dialects; within a line ';' is a value's (ensemble.grid and sets
/// separate their points with it), so only '#' starts a trailing comment.
/// A value may be quoted (deckValue).
std::vector<DeckEntry> scanDeck(const std::string& path, const std::string& text) {
  std::vector<DeckEntry> entries;
  std::map<std::string, int> first_line;
  // A byte-order mark is how some Windows editors begin a UTF-8 file.
  const std::string bom = "\xEF\xBB\xBF";
  std::istringstream in(text.rfind(bom, 0) == 0 ? text.substr(bom.size()) : text);
  std::string raw, section;
  // A named section ([population.X], [stimulus.Y], ...) defines a thing; one
  // without keys would define nothing, silently.
  int section_line = 0;
  bool section_has_keys = true;
  const auto requireKeys = [&] {
    if (!section_has_keys && section.find('.') != std::string::npos)
      throw ConfigError(path + ":" + std::to_string(section_line) + ": [" + section +
                        "] has no keys (comment out its header too to leave it out)");
  };
  for (int line = 1; std::getline(in, raw); ++line) {
    const std::string where = path + ":" + std::to_string(line) + ": ";
    // Control bytes are not text: echoed, a NUL would cut the message short
    // and a lone carriage return would overwrite it. CRLF line ends are fine.
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    for (const char ch : raw) {
      const auto byte = static_cast<unsigned char>(ch);
      if ((byte < 0x20 && byte != '\t') || byte == 0x7F) {
        char code[8];
        std::snprintf(code, sizeof code, "0x%02X", byte);
        throw ConfigError(where + "control character " + code +
                          (byte == '\r' ? " (a carriage return: save the deck with Unix or Windows line ends)"
                                        : " in the line (a deck is a text file)"));
      }
    }
    // The comment begins at the first '#' before any '=' (a value's own
    // comment: deckValue).
    const auto eq_raw = raw.find('=');
    const auto hash = raw.find('#');
    const std::string s = trimmed(raw.substr(0, hash < eq_raw ? hash : std::string::npos));
    if (s.empty() || s.front() == ';') continue;
    if (s.front() == '[' && s.back() == ']') {
      requireKeys();
      section = trimmed(s.substr(1, s.size() - 2));
      if (section.empty()) throw ConfigError(where + "empty section name '" + s + "'");
      section_line = line;
      section_has_keys = false;
      continue;
    }
    section_has_keys = true;
    const auto eq = s.find('=');
    if (eq == std::string::npos)
      throw ConfigError(where + "expected 'key = value' or '[section]', got '" + s + "'");
    const std::string name = trimmed(s.substr(0, eq));
    if (name.empty()) throw ConfigError(where + "no key before '=' in '" + s + "'");
    DeckEntry e;
    e.key = section.empty() ? name : section + "." + name;
    e.value = deckValue(s.substr(eq + 1), where + e.key + ": ");
    e.line = line;
    const auto [it, fresh] = first_line.emplace(e.key, line);
    if (!fresh)
      throw ConfigError(where + e.key + " is set twice (first on line " + std::to_string(it->second) + ")");
    entries.push_back(std::move(e));
  }
  requireKeys();
  return entries;
}

/// Where a key of an earlier deck format went, or "".
/// An AdEx key's name today for a name it had before it took NEST's
/// aeif_cond_exp names (the name itself otherwise).
std::string adexName(const std::string& name) {
  static const std::map<std::string, std::string> renamed = {
      {"C", "C_m"},       {"gL", "g_L"},          {"EL", "E_L"},       {"VT", "V_th"},
      {"dT", "Delta_T"},  {"tau_w", "tau_w_ms"},  {"I_baseline", "I_e"}};
  const auto it = renamed.find(name);
  return it == renamed.end() ? name : it->second;
}

std::string movedKeyHint(std::string key) {
  while (!key.empty() && key.front() == '-') key.erase(0, 1);
  key = key.substr(0, key.find('='));
  for (const char* k : {"epoch_batching", "delivery", "pull_fraction", "lanes_per_neuron"})
    if (key == std::string("simulation.") + k) return ": it is now execution." + std::string(k);
  const std::string section = sectionOf(key), name = key.substr(key.rfind('.') + 1);
  if (section == "network")
    return ": populations are now [population.<name>] sections with n = <count> (e.g. population.STN.n)";
  if (section == "stn" || section == "gpe" || section == "gpi") {
    const std::string pop = section == "stn" ? "STN" : section == "gpe" ? "GPe" : "GPi";
    return ": it is now population." + pop + "." + (pop == "STN" ? name : adexName(name));
  }
  if (section.rfind("population.", 0) == 0 && adexName(name) != name)
    return ": AdEx keys have NEST's aeif_cond_exp names; it is now " + section + "." + adexName(name);
  if (section.rfind("noise.", 0) == 0)
    return ": noise is now set per population (population.<name>.noise_" + name + ")";
  return "";
}

/// Edit distance between two keys, ignoring case (insert, delete, replace
/// and swap of neighbours cost 1 each).
std::size_t keyDistance(const std::string& a, const std::string& b) {
  const auto lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const bool same = lower(a[i - 1]) == lower(b[j - 1]);
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (same ? 0 : 1)});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1]))
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

/// What to tell a user about an unknown key: where a renamed key went, or
/// the closest known key when it is a likely typo (distance at most 2, or
/// 3 for keys of 16 characters or more) or lacks its unit ("dt" for
/// "dt_ms").
std::string unknownKeyHint(std::string key, const OptionTable& table) {
  const std::string moved = movedKeyHint(key);
  if (!moved.empty()) return moved;
  while (!key.empty() && key.front() == '-') key.erase(0, 1);
  key = key.substr(0, key.find('='));
  // A misspelt kind of a named section ("populaton.Z.model"): the same
  // section, spelt right, not the closest key of another one.
  const auto first_dot = key.find('.');
  const auto second_dot = first_dot == std::string::npos ? std::string::npos : key.find('.', first_dot + 1);
  if (second_dot != std::string::npos) {
    const std::string kind = key.substr(0, first_dot);
    for (const char* named : {"population", "projection", "stimulus", "record"})
      if (kind != named && keyDistance(kind, named) <= 2)
        return ": did you mean '" + std::string(named) + key.substr(first_dot) + "'?";
  }
  // A key of an existing named section is compared with that section's
  // keys only: another population's key of the same name is no answer.
  std::string section;
  if (second_dot != std::string::npos) {
    const std::string prefix = key.substr(0, second_dot + 1);
    for (const auto& e : table.entries())
      if (e.key.rfind(prefix, 0) == 0) section = prefix;
  }
  const std::string* best = nullptr;
  std::size_t best_distance = 0;
  for (const auto& e : table.entries()) {
    if (!section.empty() && e.key.rfind(section, 0) != 0) continue;
    std::size_t d = keyDistance(key, e.key);
    const bool unit_left_out =
        e.key.rfind(key + "_", 0) == 0 && e.key.find('.', key.size()) == std::string::npos;
    if (unit_left_out) d = std::min<std::size_t>(d, 1);
    if (best == nullptr || d < best_distance) {
      best = &e.key;
      best_distance = d;
    }
  }
  // Within a section, the distance is the key names' own: short names are
  // few edits apart from many others.
  const std::size_t own = key.size() - section.size();
  const std::size_t limit = section.empty() ? (key.size() >= 16 ? 3 : 2) : (own >= 8 ? 2 : 1);
  if (best == nullptr || best_distance > limit)
    return section.empty() ? ""
                           : ": [" + section.substr(0, section.size() - 1) + "] has no key '" +
                                 key.substr(section.size()) + "'";
  return ": did you mean '" + *best + "'?";
}

/// A section that lacks the key every section of its kind needs (a
/// population's model, a projection's source, a stimulus's or recording's
/// population) is most often a misspelt name of one that exists: "; did
/// you mean [kind.closest]?", or "" where no name is that close.
std::string misspeltSectionHint(const std::string& kind, const std::string& name,
                                const std::vector<std::string>& names) {
  const std::string* best = nullptr;
  std::size_t best_distance = 0;
  for (const std::string& other : names) {
    if (other == name) continue;
    const std::size_t d = keyDistance(name, other);
    if (best == nullptr || d < best_distance) {
      best = &other;
      best_distance = d;
    }
  }
  if (best == nullptr || best_distance > 2 || best_distance >= name.size()) return "";
  return "; did you mean [" + kind + "." + *best +
         "]? (keys of a section the deck does not have declare a new one)";
}

template <typename List>
std::vector<std::string> namesOf(const List& sections) {
  std::vector<std::string> names;
  for (const auto& s : sections) names.push_back(s.name);
  return names;
}

/// Refuses, naming the closest existing section, a section that lacks its
/// kind's required key and whose name is a likely typo of another's.
void checkMisspeltSections(const SimulationConfig& c) {
  const auto refuse = [](const std::string& kind, const std::string& name, const std::string& key,
                         const std::vector<std::string>& names) {
    const std::string hint = misspeltSectionHint(kind, name, names);
    if (!hint.empty()) throw ConfigError("[" + kind + "." + name + "] has no " + key + hint);
  };
  for (const ProjectionSettings& p : c.projections)
    if (p.source.empty() || p.target.empty())
      refuse("projection", p.name, p.source.empty() ? "source" : "target", namesOf(c.projections));
  for (const StimulusSettings& s : c.stimuli)
    if (s.population.empty()) refuse("stimulus", s.name, "population", namesOf(c.stimuli));
  for (const RecordSettings& r : c.records)
    if (r.population.empty()) refuse("record", r.name, "population", namesOf(c.records));
}

/// "<section>.<name>.<key>" -> name, or "" for other keys.
std::string sectionNameOf(const std::string& section, const std::string& key) {
  const std::string prefix = section + ".";
  if (key.rfind(prefix, 0) != 0) return "";
  const auto dot = key.find('.', prefix.size());
  return dot == std::string::npos ? "" : key.substr(prefix.size(), dot - prefix.size());
}

/// Populations and projections are sections named by the user
/// ([population.STN], [projection.stn_gpe]): find every name the deck and
/// the command line use, so that their keys can be declared before the real
/// parse. A deck that names populations (projections) describes all of
/// them: its list replaces the built-in network's. The command line changes
/// what the deck (or the built-in network) has, or adds to it.
void addDeclaredSections(const std::vector<std::pair<std::string, std::string>>& cli,
                         const std::vector<DeckEntry>& deck, const std::string& deck_path,
                         SimulationConfig& config) {
  struct Key {
    std::string key, value;
  };
  std::vector<Key> deck_keys, cli_keys;
  for (const auto& [key, value] : cli) cli_keys.push_back({key, value});
  for (const auto& e : deck) deck_keys.push_back({e.key, e.value});

  // The model of each named population: the command line's, else the deck's.
  std::map<std::string, std::string> models;
  for (const auto* keys : {&deck_keys, &cli_keys})
    for (const auto& k : *keys) {
      const std::string name = sectionNameOf("population", k.key);
      if (!name.empty() && k.key == "population." + name + ".model") models[name] = k.value;
    }

  auto declare = [&](const std::vector<Key>& keys, bool replace) {
    std::vector<PopulationSettings> populations;
    std::vector<ProjectionSettings> projections;
    std::vector<RecordSettings> records;
    std::vector<StimulusSettings> stimuli;
    auto known = [](const auto& list, const std::string& name) {
      return std::any_of(list.begin(), list.end(), [&](const auto& x) { return x.name == name; });
    };
    for (const auto& k : keys) {
      std::string name = sectionNameOf("population", k.key);
      if (!name.empty() && !known(populations, name)) {
        const PopulationSettings* existing = config.population(name);
        const auto model = models.find(name);
        if (existing && (model == models.end() || model->second == existing->model)) {
          populations.push_back(*existing);
        } else {
          // (population.a.b.model names no key of a population "a": not its model either.)
          if (model == models.end() &&
              k.key.find('.', ("population." + name + ".").size()) != std::string::npos)
            throw ConfigError("unknown key '" + k.key + "': a population's keys are population.<name>.<key>" +
                              " (see --help for every key)");
          if (model == models.end())
            throw ConfigError("population." + name + ".model is required (models: " + modelList() + ")" +
                              misspeltSectionHint("population", name, namesOf(config.populations)));
          try {
            populations.push_back(PopulationSettings::of(name, model->second, 0));
          } catch (const std::invalid_argument& e) {
            // A deck's model names its line, as every deck error does.
            const std::string key = "population." + name + ".model";
            std::string where;
            if (std::none_of(cli.begin(), cli.end(), [&](const auto& kv) { return kv.first == key; }))
              for (const DeckEntry& d : deck)
                if (d.key == key) where = deck_path + ":" + std::to_string(d.line) + ": ";
            throw ConfigError(where + key + ": " + e.what());
          }
          // Another model: its own defaults (the noise is in the old
          // model's current units, so it is not kept either).
          if (existing) populations.back().n = existing->n;
        }
      }
      name = sectionNameOf("projection", k.key);
      if (!name.empty() && !known(projections, name)) {
        const auto existing = std::find_if(config.projections.begin(), config.projections.end(),
                                           [&](const ProjectionSettings& p) { return p.name == name; });
        ProjectionSettings added;
        added.name = name;
        projections.push_back(existing != config.projections.end() ? *existing : added);
      }
      name = sectionNameOf("record", k.key);
      if (!name.empty() && !known(records, name)) {
        const auto existing = std::find_if(config.records.begin(), config.records.end(),
                                           [&](const RecordSettings& r) { return r.name == name; });
        RecordSettings added;
        added.name = name;
        records.push_back(existing != config.records.end() ? *existing : added);
      }
      name = sectionNameOf("stimulus", k.key);
      if (!name.empty() && !known(stimuli, name)) {
        const auto existing = std::find_if(config.stimuli.begin(), config.stimuli.end(),
                                           [&](const StimulusSettings& r) { return r.name == name; });
        StimulusSettings added;
        added.name = name;
        stimuli.push_back(existing != config.stimuli.end() ? *existing : added);
      }
    }
    auto merge = [replace](auto& into, auto& declared) {
      if (replace && !declared.empty()) {
        into = declared;
        return;
      }
      for (auto& d : declared) {
        auto same = std::find_if(into.begin(), into.end(), [&](const auto& x) { return x.name == d.name; });
        if (same != into.end()) {
          *same = d;
        } else {
          into.push_back(d);
        }
      }
    };
    merge(config.populations, populations);
    // A deck's own populations come with its own projections (or none).
    if (replace && !populations.empty() && projections.empty()) config.projections.clear();
    merge(config.projections, projections);
    merge(config.records, records);
    merge(config.stimuli, stimuli);
  };
  std::vector<std::string> built_in;
  for (const PopulationSettings& p : config.populations) built_in.push_back(p.name);
  declare(deck_keys, true);
  declare(cli_keys, false);
  // A population a deck or the command line adds has no size to inherit:
  // without population.<name>.n it would get 0 neurons silently, so n is
  // required.
  for (const PopulationSettings& p : config.populations) {
    if (std::find(built_in.begin(), built_in.end(), p.name) != built_in.end()) continue;
    const std::string n = "population." + p.name + ".n";
    const auto given = [&](const std::vector<Key>& keys) {
      return std::any_of(keys.begin(), keys.end(), [&](const Key& k) { return k.key == n; });
    };
    if (!given(deck_keys) && !given(cli_keys))
      throw ConfigError(n + " is required: the number of neurons of population " + p.name + " (0 for none)");
  }
}

}  // namespace

CommandLine parseCommandLine(int argc, const char* const argv[], const DeckReader& read_deck) {
  CommandLine cl;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--kokkos", 0) != 0) {
      args.push_back(a);
      continue;
    }
    cl.arguments.push_back({"", {a}});
    const std::string option = kokkosOptionOf(a);
    if (option == "--kokkos-help") cl.kokkos_help = true;
    if (option == "--kokkos-num-threads" || option == "--kokkos-threads")
      cl.requested_threads = threadCountOf(a);
  }

  // First pass, over the command line only: the deck and every key given,
  // to declare the populations and projections that the command line or
  // the deck name.
  std::vector<std::pair<std::string, std::string>> keys;
  std::string deck_path;
  try {
    const po::options_description how = howToRun();
    const po::parsed_options first =
        po::command_line_parser(args).options(how).style(kCommandLineStyle).allow_unregistered().run();
    for (const auto& o : first.options) {
      if (o.string_key == "config" && !deck_path.empty())
        throw ConfigError("option '--config' cannot be specified more than once (one deck per run)");
      if (o.string_key == "config" && !o.value.empty()) deck_path = o.value.front();
      keys.emplace_back(o.string_key, o.value.empty() ? std::string() : o.value.front());
    }
  } catch (const po::error& e) {
    throw ConfigError(e.what());
  }
  std::vector<DeckEntry> deck;
  if (!deck_path.empty()) deck = scanDeck(deck_path, read_deck(deck_path));
  addDeclaredSections(keys, deck, deck_path, cl.config);

  OptionTable table = makeOptionTable(cl.config);
  po::options_description declared;
  for (const auto& d : table.describe()) declared.add(d);
  po::options_description all;
  all.add(howToRun()).add(declared);

  po::variables_map vm;
  try {
    const po::parsed_options parsed =
        po::command_line_parser(args).options(all).style(kCommandLineStyle).run();
    // Without this check boost drops them: a deck named without --config
    // would silently run the defaults.
    for (const auto& o : parsed.options) {
      if (o.position_key < 0 && !o.string_key.empty()) continue;
      const std::string token = o.original_tokens.empty() ? std::string() : o.original_tokens.front();
      throw ConfigError("unexpected argument '" + token +
                        "' (give a deck with --config and keys as --section.key=value)");
    }
    for (const auto& o : parsed.options) cl.arguments.push_back({o.string_key, o.original_tokens});
    po::store(parsed, vm);
  } catch (const po::unknown_option& e) {
    const std::string name = e.get_option_name();
    throw ConfigError("unknown option '" + name.substr(0, name.find('=')) + "'" +
                      unknownKeyHint(name, table) + " (see --help for every key)");
  } catch (const po::error& e) {
    throw ConfigError(e.what());
  }
  cl.help = vm.count("help") > 0;
  cl.version = vm.count("version") > 0;
  cl.validate_only = vm.count("validate") > 0;
  if (cl.help || cl.version || cl.kokkos_help) return cl;

  if (vm.count("config")) cl.config_file = vm["config"].as<std::string>();
  if (vm.count("restart")) cl.restart_file = vm["restart"].as<std::string>();
  // An empty path (an unset shell variable) would run the defaults, or start
  // over instead of continuing.
  for (const char* option : {"config", "restart"})
    if (vm.count(option) && vm[option].as<std::string>().empty())
      throw ConfigError(std::string("--") + option + " is given an empty path");
  for (const auto& e : deck) {
    const std::string where = cl.config_file + ":" + std::to_string(e.line) + ": ";
    if (declared.find_nothrow(e.key, false) == nullptr) {
      // A model the command line puts in place of the deck's reads other keys.
      const std::string population = sectionNameOf("population", e.key);
      const std::string model_key = "population." + population + ".model";
      std::string deck_model, cli_model;
      for (const auto& d : deck)
        if (d.key == model_key) deck_model = d.value;
      for (const auto& [key, value] : keys)
        if (key == model_key) cli_model = value;
      if (!population.empty() && !cli_model.empty() && cli_model != deck_model)
        throw ConfigError(
            where + "unknown key '" + e.key + "' for " + model_key + " = " + cli_model +
            ", which the command line puts in place of the deck's " +
            (deck_model.empty() ? std::string("model") : deck_model) +
            " (leave the deck's keys of that model out, or give the new model its own section)");
      throw ConfigError(where + "unknown key '" + e.key + "'" + unknownKeyHint(e.key, table) +
                        " (see --help for every key)");
    }
    const auto entry = std::find_if(table.entries().begin(), table.entries().end(),
                                    [&](const OptionTable::Entry& t) { return t.key == e.key; });
    // boost takes an empty boolean for true, and says of an empty number
    // only that it "is invalid".
    if (e.value.empty() && entry != table.entries().end() && entry->kind != OptionTable::Kind::Text)
      throw ConfigError(where + e.key + " has no value after '=' (leave the line out for the default)");
    // A value the command line overrides is still the deck's, and checked.
    if (vm.count(e.key) && !vm[e.key].defaulted() && entry != table.entries().end()) {
      try {
        entry->check_text(e.value);
      } catch (const po::error& error) {
        throw ConfigError(where + error.what());
      } catch (const ConfigError& error) {
        throw ConfigError(where + error.what());
      }
      continue;
    }
    // One entry at a time, so that a rejected value names its line; the
    // command line's values are final already and are kept.
    po::parsed_options one(&declared);
    po::option o(e.key, {e.value});
    o.original_tokens = {e.key, e.value};
    one.options.push_back(o);
    try {
      po::store(one, vm);
    } catch (const po::error& error) {
      throw ConfigError(where + error.what());
    }
  }
  try {
    po::notify(vm);
  } catch (const po::error& e) {
    throw ConfigError(e.what());
  }
  // Which of a stimulus's keys were set: one its kind does not read is an
  // error even where it equals the default (checkStimuli).
  for (auto& st : cl.config.stimuli) {
    const std::string k = "stimulus." + st.name + ".";
    for (const auto& [key, value] : vm)
      if (key.rfind(k, 0) == 0 && !value.defaulted()) st.given.insert(key.substr(k.size()));
  }
  // Which of a projection's keys were changed: one its rule does not read
  // is an error (checkConsistency).
  for (const OptionTable::Entry& e : table.entries())
    for (auto& pr : cl.config.projections) {
      const std::string k = "projection." + pr.name + ".";
      if (e.key.rfind(k, 0) == 0 && !vm[e.key].defaulted() && e.value() != e.default_text)
        pr.changed.insert(e.key.substr(k.size()));
    }
  table.checkBounds();
  checkMisspeltSections(cl.config);
  checkConsistency(cl.config);
  return cl;
}

}  // namespace cbgtc::io
