// Checks of a whole configuration that involve several keys. The deck
// parser reports them; the Simulation runs them again, so a configuration
// built in code is held to the same rules.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>

#include "io/options.hpp"
#include "io/output_writer.hpp"
#include "kernels/rng.hpp"
#include "kernels/time_steps.hpp"
#include "src/checkpoint.hpp"
#include "src/config.hpp"
#include "src/placement.hpp"
#include "src/projection.hpp"
#include "src/record_plan.hpp"
#include "src/simulation.hpp"
#include "src/stimuli.hpp"

namespace cbgtc {

bool validSectionName(const std::string& name, const RandomIdentity& random) {
  const auto plain = [](const std::string& text, bool digits_only) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [digits_only](char ch) {
      return digits_only ? std::isdigit(static_cast<unsigned char>(ch)) != 0
                         : std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
    });
  };
  if (random.name.empty()) return plain(name, false);
  const std::string stem = random.name + "~";
  return plain(random.name, false) && name.rfind(stem, 0) == 0 && plain(name.substr(stem.size()), true);
}

namespace {

/// A file name's extension in lower case ("" where it has none; a dot in a
/// directory's name is not one).
std::string lowerExtension(const std::string& file) {
  const std::size_t dot = file.find_last_of('.');
  if (dot == std::string::npos || file.find_first_of('/', dot) != std::string::npos) return "";
  std::string extension = file.substr(dot + 1);
  for (char& ch : extension) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return extension;
}

/// A file the HDF5 build writes as HDF5 may not carry a text format's
/// extension: `out.csv` would hold HDF5 under a name that promises text.
void checkHdf5FileName(const std::string& key, const std::string& file) {
  if (!io::writesReportFiles()) return;  // builds without HDF5 write text
  const std::string extension = lowerExtension(file);
  for (const char* text : {"csv", "tsv", "txt", "dat", "gdf", "json"})
    if (extension == text)
      throw ConfigError(key + ": '" + file + "' names a ." + extension +
                        " file, but cbgtc writes it as SONATA HDF5; give it an .h5 name (h5py, bmtk and "
                        "cbgtc-plot read it)");
}

/// The ensemble's table is tab-separated text, whatever the build.
void checkTextFileName(const std::string& key, const std::string& file) {
  const std::string extension = lowerExtension(file);
  for (const char* hdf5 : {"h5", "hdf5", "hdf", "he5"})
    if (extension == hdf5)
      throw ConfigError(key + ": '" + file + "' names an HDF5 file, but cbgtc writes it as tab-separated " +
                        "text; give it a .tsv name");
}

void checkPopulations(const SimulationConfig& c) {
  // A population's neurons are indexed in 32 bits (index_type), and the
  // steps' and the construction's arithmetic on them (chunks, padded GPU
  // launches, blocks of targets) adds to n: 2^30 leaves it room.
  constexpr std::int64_t max_pop = std::int64_t(1) << 30;
  std::map<std::pair<std::uint32_t, std::string>, std::string> keys;  // (key, replica tag)
  const PopulationsByName population(c);
  for (const PopulationSettings& p : c.populations) {
    const std::string k = "population." + p.name + ".";
    if (!validSectionName(p.name, p.random))
      throw ConfigError("population name '" + p.name + "' must be letters, digits and '_' only");
    if (population(p.name) != &p) throw ConfigError("population '" + p.name + "' is defined twice");
    if (p.model != modelName(p.params))
      throw ConfigError(k + "model is '" + p.model + "' but the parameters are those of '" + modelName(p.params) +
                        "'");
    if (p.n > max_pop) throw ConfigError(k + "n must be <= " + std::to_string(max_pop));
    checkPlacement(p);
    // Background current on a spike source would be accepted, recorded in
    // the file's configuration and ignored.
    if (!takesInput(p.params)) {
      const char* input = p.noise.mu != 0      ? "noise_mu"
                          : p.noise.sigma != 0 ? "noise_sigma"
                          : p.bias.mean != 0   ? "bias_mean"
                          : p.bias.cv != 0     ? "bias_cv"
                                               : nullptr;
      if (input != nullptr)
        throw ConfigError(k + input + ": population " + p.name + " is a spike source (model " + p.model +
                          ") and takes no input");
    }
    if (readsSpikeTrains(p.params) && p.spike_file.empty() && p.n > 0)
      throw ConfigError(k + "spike_file is required (the spike trains population " + p.name + " replays)");
    const std::string inconsistent = modelInconsistency(p.params, c.simulation.dt_ms);
    if (!inconsistent.empty()) throw ConfigError(k + inconsistent + " (" + k + "*)");
    const auto [other, fresh] = keys.emplace(std::make_pair(randomKey(p), replicaTag(p.name)), p.name);
    if (!fresh)
      throw ConfigError("populations '" + other->second + "' and '" + p.name +
                        "' have the same random key; rename one of them");
  }
}

void checkProjections(const SimulationConfig& c) {
  const double dt = c.simulation.dt_ms;
  const PopulationsByName population(c);
  const auto names = [&c] {
    std::string list;
    for (const auto& p : c.populations) list += (list.empty() ? "" : ", ") + p.name;
    return list;
  };
  for (const auto& pr : c.projections) {
    const std::string k = "projection." + pr.name + ".";
    const PopulationSettings* source = population(pr.source);
    const PopulationSettings* target = population(pr.target);
    if (!source)
      throw ConfigError(k + "source must name a population (" + names() + "), got '" + pr.source + "'");
    if (!target)
      throw ConfigError(k + "target must name a population (" + names() + "), got '" + pr.target + "'");
    if (!takesInput(target->params))
      throw ConfigError(k + "target: population " + target->name + " is a spike source (model " + target->model +
                        ") and takes no input");
    checkChoice(k + "rule", pr.rule, rule_choices);
    // Another rule's key is a mistake, not a no-op.
    for (const char* rule_key : {"p", "indegree"}) {
      const std::string reads = rule_key == std::string("p") ? "fixed_probability" : "fixed_indegree";
      if (pr.changed.count(rule_key) > 0 && pr.rule != reads)
        throw ConfigError(k + rule_key + " applies to rule = " + reads + " only (" + k + "rule = " + pr.rule +
                          ")");
    }
    if (pr.rule == "one_to_one") {
      if (source->n != target->n)
        throw ConfigError(k + "rule = one_to_one connects neuron i to neuron i: population." + source->name +
                          ".n (" + std::to_string(source->n) + ") and population." + target->name + ".n (" +
                          std::to_string(target->n) + ") must be equal");
      if (source == target && !pr.autapses)
        throw ConfigError(k + "rule = one_to_one within population " + source->name +
                          " connects each neuron to itself: set " + k + "autapses = true");
    }
    const std::int64_t candidates = source->n - ((source == target && !pr.autapses) ? 1 : 0);
    if (pr.rule == "fixed_indegree" && target->n > 0 && pr.indegree > std::max<std::int64_t>(0, candidates))
      throw ConfigError(k + "indegree (" + std::to_string(pr.indegree) + ") exceeds the " +
                        std::to_string(std::max<std::int64_t>(0, candidates)) + " possible sources");
    // A reversal potential beyond a diverged membrane's bound drives
    // currents no model survives.
    if (!(std::fabs(pr.E_rev_mV) <= diverged_V_mV))
      throw ConfigError(k + "E_rev_mV (" + io::formatNumber(pr.E_rev_mV) + ") is beyond ±10 V");
    // Checked before delaySteps() sees them: it keeps 32 bits.
    if (checkedSteps(k + "delay_ms plus delay_jitter_ms", pr.delay_ms + pr.delay_jitter_ms, dt, 65535,
                     "the limit of a synaptic delay") < 1 ||
        stepsOf(pr.delay_ms - pr.delay_jitter_ms, dt) < 1)
      throw ConfigError(k + "delay_ms minus delay_jitter_ms must be at least one step (simulation.dt_ms)");
  }
}

// A checkpoint is taken at the first spike exchange at or after its time
// (checkpointSteps): one that falls on the run's end, or on its start, would
// not be written. After the projections' checks, which the exchange interval
// (their smallest delay) needs.
void checkCheckpointTimes(const SimulationConfig& c) {
  const double dt = c.simulation.dt_ms;
  const step_type epoch = epochSteps(c), last_step = c.stepCount();
  // The latest exchange before the run's end, and what to ask for instead.
  const step_type latest = (last_step - 1) / epoch * epoch;
  const std::string instead = latest > 0
                                  ? "ask for at most " + io::formatNumber(static_cast<double>(latest) * dt) +
                                        " ms, or lengthen the run"
                                  : std::string("lengthen the run");
  for (const double t : checkpointTimes(c.checkpoint.at_ms)) {  // throws naming the key
    if (t >= c.simulation.duration_ms)
      throw ConfigError("checkpoint.at_ms: " + io::formatNumber(t) + " ms is not before the run's end (" +
                        "simulation.duration_ms = " + io::formatNumber(c.simulation.duration_ms) +
                        "): " + instead);
    const step_type k = checkpointStep(t, dt, epoch);
    const std::string exchange = io::formatNumber(static_cast<double>(k) * dt) +
                                 " ms (spike exchanges every " +
                                 io::formatNumber(static_cast<double>(epoch) * dt) + " ms)";
    if (k == 0)
      throw ConfigError("checkpoint.at_ms: " + io::formatNumber(t) + " ms " + (t == 0 ? "is" : "rounds to") +
                        " the run's start, where no spike exchange has been: " +
                        (latest > 0
                             ? "ask for at least " + io::formatNumber(static_cast<double>(epoch) * dt) +
                                   " ms (the first exchange)"
                             : instead));
    if (k >= last_step)
      throw ConfigError("checkpoint.at_ms: " + io::formatNumber(t) +
                        " ms rounds up to the spike exchange at " + exchange +
                        ", which is not before the run's end (simulation.duration_ms = " +
                        io::formatNumber(c.simulation.duration_ms) + "): " + instead);
  }
  // Checkpoints are taken at spike exchanges: a shorter interval would ask
  // for many at each (a million a step at 1e-9 ms).
  const double exchange_ms = static_cast<double>(epoch) * dt;
  // (Steps only of an interval near the exchanges': one of 1e17 ms has more
  // than a step count holds, and asks for no checkpoint in any run.)
  if (c.checkpoint.every_ms > 0 && c.checkpoint.every_ms < exchange_ms + dt &&
      stepsOf(c.checkpoint.every_ms, dt) < epoch)
    throw ConfigError("checkpoint.every_ms (" + io::formatNumber(c.checkpoint.every_ms) +
                      " ms) is shorter than the " + io::formatNumber(exchange_ms) +
                      " ms between spike exchanges, where checkpoints are taken: ask for at least that");
}

}  // namespace

std::int64_t checkedSteps(const std::string& key, double ms, double dt_ms, std::int64_t limit,
                          const char* why) {
  std::int64_t steps = 0;
  try {
    steps = stepsOf(ms, dt_ms);
  } catch (const std::out_of_range&) {
    steps = std::numeric_limits<std::int64_t>::max();
  }
  if (steps > limit)
    throw ConfigError(key + " (" + io::formatNumber(ms) + " ms) is more than " + std::to_string(limit) +
                      " steps of simulation.dt_ms (" + io::formatNumber(dt_ms) + " ms), " + why);
  return steps;
}

void checkChoice(const std::string& key, const std::string& value, const std::vector<std::string>& choices) {
  if (std::find(choices.begin(), choices.end(), value) != choices.end()) return;
  std::string list;
  for (std::size_t i = 0; i < choices.size(); ++i)
    list += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
  throw ConfigError(key + " must be " + list + ", got '" + value + "'");
}

void checkLanesPerNeuron(std::int64_t lanes) {
  if (lanes != 0 && lanes != 1 && lanes != 2 && lanes != 4 && lanes != 8)
    throw ConfigError("execution.lanes_per_neuron must be 0 (auto), 1, 2, 4 or 8, got " +
                      std::to_string(lanes));
}

void checkConsistency(const SimulationConfig& c) {
  checkChoice("ensemble.replica_files", c.ensemble.replica_files, replica_files_choices);
  const double dt = c.simulation.dt_ms;
  // dt first: a step longer than the run or the LFP sampling interval is
  // the key at fault, not those.
  if (c.simulation.duration_ms > 0 && dt > c.simulation.duration_ms)
    throw ConfigError("simulation.dt_ms (" + io::formatNumber(dt) + ") is longer than simulation.duration_ms (" +
                      io::formatNumber(c.simulation.duration_ms) + ")");
  if (dt > c.analysis.lfp_sample_ms)
    throw ConfigError("simulation.dt_ms (" + io::formatNumber(dt) + ") is longer than analysis.lfp_sample_ms (" +
                      io::formatNumber(c.analysis.lfp_sample_ms) + ")");
  // A run of no steps has no state after its initial one to write or analyse.
  if (!(c.simulation.duration_ms > 0))
    throw ConfigError("simulation.duration_ms must be more than 0 (at least one step of simulation.dt_ms)");
  checkedSteps("simulation.duration_ms", c.simulation.duration_ms, dt, max_step_count, "the limit of a step count");
  checkedSteps("analysis.burn_in_ms", c.analysis.burn_in_ms, dt, max_step_count, "the limit of a step count");
  if (c.analysis.end_ms >= 0) {
    checkedSteps("analysis.end_ms", c.analysis.end_ms, dt, max_step_count, "the limit of a step count");
    if (!(c.analysis.end_ms > c.analysis.burn_in_ms))
      throw ConfigError("analysis.end_ms (" + io::formatNumber(c.analysis.end_ms) +
                        ") must be after analysis.burn_in_ms (" + io::formatNumber(c.analysis.burn_in_ms) +
                        "): the analysed window is [burn_in_ms, end_ms)");
  }
  checkedSteps("analysis.lfp_sample_ms", c.analysis.lfp_sample_ms, dt, max_step_count, "the limit of a step count");
  const double steps = c.simulation.duration_ms / c.simulation.dt_ms;
  // Tolerance: a few ulps of the quotient, so typed decimal multiples pass
  // and nothing off by a fraction of a step is rounded silently.
  if (std::fabs(steps - std::round(steps)) > 1e-12 * std::max(1.0, steps))
    throw ConfigError("simulation.duration_ms (" + io::formatNumber(c.simulation.duration_ms) +
                      ") is not a multiple of simulation.dt_ms (" + io::formatNumber(c.simulation.dt_ms) + ")");
  checkPopulations(c);
  if (c.output.file.find_first_not_of(" \t") == std::string::npos)
    throw ConfigError("output.file must not be empty or blank");
  checkHdf5FileName("output.file", c.output.file);
  for (const RecordSettings& r : c.records) checkHdf5FileName("record." + r.name + ".file", r.file);
  checkHdf5FileName("checkpoint.file", c.checkpoint.file);
  checkTextFileName("ensemble.table", c.ensemble.table);
  checkpointTimes(c.checkpoint.at_ms);  // throws naming the key
  if (c.checkpoint.file.empty() &&
      (!c.checkpoint.at_ms.empty() || c.checkpoint.every_ms > 0 || c.checkpoint.on_signal))
    throw ConfigError(
        "checkpoint.file is needed for checkpoint.at_ms, checkpoint.every_ms or checkpoint.on_signal");
  if (!c.checkpoint.file.empty() && io::samePath(c.checkpoint.file, c.output.file))
    throw ConfigError("checkpoint.file must differ from output.file");
  checkLanesPerNeuron(c.execution.lanes_per_neuron);
  checkChoice("execution.delivery", c.execution.delivery, delivery_choices);

  const double lfp_steps = c.analysis.lfp_sample_ms / dt;
  if (std::fabs(lfp_steps - std::round(lfp_steps)) > 1e-9 * std::max(1.0, lfp_steps) || std::round(lfp_steps) < 1)
    throw ConfigError("analysis.lfp_sample_ms must be a positive multiple of simulation.dt_ms");
  if (c.analysis.segment_ms < 2 * c.analysis.lfp_sample_ms)
    throw ConfigError("analysis.segment_ms must hold at least two LFP samples (2 x analysis.lfp_sample_ms)");
  if (!(c.analysis.beta_lo_hz < c.analysis.beta_hi_hz))
    throw ConfigError("analysis.beta_lo_hz must be below analysis.beta_hi_hz");
  if (!(c.analysis.total_lo_hz < c.analysis.total_hi_hz))
    throw ConfigError("analysis.total_lo_hz must be below analysis.total_hi_hz");
  if (!(c.analysis.gamma_lo_hz < c.analysis.gamma_hi_hz))
    throw ConfigError("analysis.gamma_lo_hz must be below analysis.gamma_hi_hz");
  if (!c.analysis.pulse_stimulus.empty() && c.analysis.pulse_stimulus != "none") {
    const auto named = std::find_if(c.stimuli.begin(), c.stimuli.end(), [&](const StimulusSettings& s) {
      return randomName(s) == c.analysis.pulse_stimulus;
    });
    if (named == c.stimuli.end())
      throw ConfigError("analysis.pulse_stimulus: no [stimulus." + c.analysis.pulse_stimulus + "] section");
    if (!isPulsed(*named))
      throw ConfigError("analysis.pulse_stimulus: stimulus." + named->name + " is not a pulse_train or axonal one");
    if (named->interval_cv != 0)
      throw ConfigError("analysis.pulse_stimulus: stimulus." + named->name +
                        " has interval_cv > 0; the histograms need periodic pulses");
  }
  // A histogram's bins hold whole steps: bins of 2 and 3 steps in turn would
  // differ as 2:3 for a flat rate, and bins finer than a step stay empty.
  const double bin_steps = c.analysis.pulse_bin_ms / c.simulation.dt_ms;
  const bool histograms =
      std::any_of(c.populations.begin(), c.populations.end(),
                  [&](const PopulationSettings& p) { return pulseHistogramStimulus(c, p.name) != nullptr; });
  if (histograms && (std::fabs(bin_steps - std::round(bin_steps)) > 1e-9 * std::max(1.0, bin_steps) ||
                     std::round(bin_steps) < 1))
    throw ConfigError("analysis.pulse_bin_ms (" + io::formatNumber(c.analysis.pulse_bin_ms) +
                      ") must be a positive multiple of simulation.dt_ms (" +
                      io::formatNumber(c.simulation.dt_ms) + ")");
  for (const PopulationSettings& p : c.populations)
    if (const StimulusSettings* pulses = pulseHistogramStimulus(c, p.name))
      if (pulses->frequency_hz > 0 && 1000.0 / pulses->frequency_hz / c.analysis.pulse_bin_ms > 100000)
        throw ConfigError("analysis.pulse_bin_ms: the histogram of stimulus." + pulses->name + "'s period (" +
                          io::formatNumber(1000.0 / pulses->frequency_hz) +
                          " ms at frequency_hz = " + io::formatNumber(pulses->frequency_hz) +
                          ") would have more than 100000 bins; choose a longer bin");
  if (!c.analysis.relay_stimulus.empty() && c.analysis.relay_stimulus != "none") {
    const auto named = std::find_if(c.stimuli.begin(), c.stimuli.end(), [&](const StimulusSettings& s) {
      return randomName(s) == c.analysis.relay_stimulus;
    });
    if (named == c.stimuli.end())
      throw ConfigError("analysis.relay_stimulus: no [stimulus." + c.analysis.relay_stimulus + "] section");
    if (stimulusKind(*named) != StimulusKind::PulseTrain)
      throw ConfigError("analysis.relay_stimulus: stimulus." + named->name + " is not a pulse_train one");
    // The index is a mean over the cells that receive the pulses.
    if (!named->node_ids.empty() || named->fraction != 1.0 || named->electrode)
      throw ConfigError("analysis.relay_stimulus: stimulus." + named->name +
                        " must drive every neuron of its population (no node_ids, fraction or electrode)");
  }
  if (!(c.analysis.peak_lo_hz < c.analysis.peak_hi_hz))
    throw ConfigError("analysis.peak_lo_hz must be below analysis.peak_hi_hz");
  if (c.analysis.pac_surrogates > 100000) throw ConfigError("analysis.pac_surrogates must be at most 100000");
  if (c.analysis.spike_burst_min_spikes < 2 || c.analysis.spike_burst_min_spikes > 1000000)
    throw ConfigError("analysis.spike_burst_min_spikes must be between 2 and 1000000");
  if (c.analysis.burst_percentile > 100)
    throw ConfigError("analysis.burst_percentile must be at most 100");
  // The LFP proxy holds its spectrum unattenuated up to its passband edge:
  // its Nyquist frequency, or below it where the proxy is decimated (§7.2).
  const analysis::LfpSampling lfp = lfpSampling(c);
  const double lfp_hz = 1000.0 / (static_cast<double>(lfp.every) * c.simulation.dt_ms);
  const double passband_hz = analysis::passbandHz(lfp, lfp_hz);
  for (const auto& [key, hz] : {std::pair<const char*, double>{"analysis.beta_hi_hz", c.analysis.beta_hi_hz},
                                std::pair<const char*, double>{"analysis.total_hi_hz", c.analysis.total_hi_hz}})
    if (hz > passband_hz)
      throw ConfigError(
          std::string(key) + " (" + io::formatNumber(hz) + " Hz) is above " + io::formatNumber(passband_hz) +
          " Hz, the highest frequency the LFP proxy at analysis.lfp_sample_ms = " +
          io::formatNumber(c.analysis.lfp_sample_ms) + " holds unattenuated (docs/model.md §7.2)");
  checkProjections(c);
  checkCheckpointTimes(c);
  recordPlans(c);
  checkStimuli(c);
}

}  // namespace cbgtc
