#include "src/stimuli.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "io/options.hpp"
#include "kernels/rng.hpp"
#include "src/model_settings.hpp"
#include "src/placement.hpp"
#include "src/record_plan.hpp"

namespace cbgtc {

namespace {

double stopOf(const StimulusSettings& s, const SimulationConfig& c) {
  return s.stop_ms < 0 ? c.simulation.duration_ms : s.stop_ms;
}

}  // namespace

StimulusKind stimulusKind(const StimulusSettings& s) {
  for (const StimulusKindName& k : stimulus_kind_names)
    if (s.kind == k.name) return k.kind;
  std::vector<std::string> kinds;
  for (const StimulusKindName& k : stimulus_kind_names) kinds.emplace_back(k.name);
  checkChoice("stimulus." + s.name + ".kind", s.kind, kinds);
  throw std::logic_error("stimulusKind: '" + s.kind + "' is one of the kinds");
}

void checkStimuli(const SimulationConfig& c) {
  std::set<std::string> names;
  const PopulationsByName population(c);
  for (const StimulusSettings& s : c.stimuli) {
    const std::string k = "stimulus." + s.name + ".";
    if (!validSectionName(s.name, s.random))
      throw ConfigError("stimulus name '" + s.name + "' must be letters, digits and '_' only");
    if (!names.insert(s.name).second) throw ConfigError("stimulus '" + s.name + "' is defined twice");
    const PopulationSettings* pop = population(s.population);
    if (!pop) {
      std::string list;
      for (const auto& p : c.populations) list += (list.empty() ? "" : ", ") + p.name;
      throw ConfigError(k + "population must name a population (" + list + "), got '" + s.population + "'");
    }
    if (!takesInput(pop->params))
      throw ConfigError(k + "population: " + pop->name + " is a spike source (model " + pop->model +
                        ") and takes no input");
    const StimulusKind kind = stimulusKind(s);
    if (kind == StimulusKind::Axonal && !(s.frequency_hz > 0))
      throw ConfigError(k + "frequency_hz must be positive for axonal pulses");
    // An axon fires at most once a step: closer pulses would be dropped.
    if (kind == StimulusKind::Axonal && 1000.0 / s.frequency_hz < c.simulation.dt_ms)
      throw ConfigError(k + "frequency_hz (" + io::formatNumber(s.frequency_hz) + ") puts axonal pulses " +
                        io::formatNumber(1000.0 / s.frequency_hz) +
                        " ms apart, closer than simulation.dt_ms (" + io::formatNumber(c.simulation.dt_ms) +
                        "), and an axon fires at most once a step");
    if (kind == StimulusKind::Axonal && population(axonalSpikePopulation(pop->name)))
      throw ConfigError(k + "population: its axonal spikes are written as '" +
                        axonalSpikePopulation(pop->name) +
                        "', the name of another population; rename that one");
    if (s.electrode) {
      if (!s.node_ids.empty() || s.fraction != 1.0)
        throw ConfigError(k + "electrode replaces " + k + "node_ids and " + k + "fraction: give one of them");
      if (!isPlaced(*pop))
        throw ConfigError(k + "electrode needs positions: set population." + pop->name + ".placement to box or sphere");
    }
    if (!s.node_ids.empty()) {
      if (s.fraction != 1.0) throw ConfigError(k + "node_ids and " + k + "fraction are alternatives: give one");
      parseNodeIds(k + "node_ids", s.node_ids, *pop);
    }
    if (s.stop_ms < 0 && !(s.start_ms < c.simulation.duration_ms))
      throw ConfigError(k + "start_ms (" + io::formatNumber(s.start_ms) + ") is not before the run's end " +
                        "(simulation.duration_ms = " + io::formatNumber(c.simulation.duration_ms) + ")");
    if (!(stopOf(s, c) > s.start_ms))
      throw ConfigError(k + "stop_ms (" + io::formatNumber(s.stop_ms) + ") must be after " + k +
                        "start_ms (" + io::formatNumber(s.start_ms) + ")");
    // A key this stimulus does not read is a mistake, not a no-op.
    const StimulusSettings defaults;
    const auto unread = [&](bool read, bool set, const std::string& keys, const char* applies_to) {
      if (set && !read) throw ConfigError(k + keys + " applies to " + applies_to + " only");
    };
    const auto given = [&](const char* key) { return s.given.count(key) > 0; };
    unread(isPulsed(s), given("interval_cv") || s.interval_cv != 0, "interval_cv",
           "pulse_train and axonal stimuli");
    unread(kind != StimulusKind::Axonal, given("amplitude") || s.amplitude != defaults.amplitude, "amplitude",
           "dc, sine and pulse_train stimuli (an axonal stimulus fires axons: docs/stimuli.md)");
    unread(kind != StimulusKind::Dc, given("frequency_hz") || s.frequency_hz != defaults.frequency_hz,
           "frequency_hz", "sine, pulse_train and axonal stimuli (kind = dc is the default)");
    unread(kind == StimulusKind::PulseTrain,
           given("pulse_width_us") || s.pulse_width_us != defaults.pulse_width_us, "pulse_width_us",
           "pulse_train stimuli (an axonal pulse fires an axon whatever its width: docs/stimuli.md)");
    unread(kind == StimulusKind::Axonal, given("probability") || s.probability != defaults.probability,
           "probability", "axonal stimuli");
    unread(kind == StimulusKind::Sine,
           given("offset") || given("phase_rad") || s.offset != defaults.offset ||
               s.phase_rad != defaults.phase_rad,
           "offset (or phase_rad)", "sine stimuli");
    unread(kind == StimulusKind::PulseTrain, given("biphasic") || s.biphasic, "biphasic",
           "pulse_train stimuli");
    unread(s.biphasic,
           given("interphase_gap_us") || given("second_phase_ratio") ||
               s.interphase_gap_us != defaults.interphase_gap_us ||
               s.second_phase_ratio != defaults.second_phase_ratio,
           "interphase_gap_us (or second_phase_ratio)", "biphasic pulses (biphasic = true)");
    unread(s.electrode,
           given("current_mA") || given("threshold_I0_mA") || given("threshold_K_mA_per_mm2") ||
               given("conductivity_S_per_m") || given("electrode_x_um") || given("electrode_y_um") ||
               given("electrode_z_um") || s.current_mA != defaults.current_mA ||
               s.threshold_I0_mA != defaults.threshold_I0_mA ||
               s.threshold_K_mA_per_mm2 != defaults.threshold_K_mA_per_mm2 ||
               s.conductivity_S_per_m != defaults.conductivity_S_per_m || s.electrode_x_um != 0 ||
               s.electrode_y_um != 0 || s.electrode_z_um != 0,
           "current_mA (or threshold_*, conductivity_S_per_m, electrode_*_um)",
           "an electrode (electrode = true)");
    if (kind == StimulusKind::PulseTrain) {
      if (!(s.frequency_hz > 0)) throw ConfigError(k + "frequency_hz must be positive for a pulse_train");
      const double pulse_us = s.pulse_width_us + (s.biphasic ? s.interphase_gap_us + s.pulse_width_us / s.second_phase_ratio : 0);
      if (!(pulse_us / 1000.0 < 1000.0 / s.frequency_hz))
        throw ConfigError(
            k +
            (s.biphasic ? "pulse_width_us + interphase_gap_us + pulse_width_us / second_phase_ratio"
                        : "pulse_width_us") +
            " (" + io::formatNumber(pulse_us) + " us) must be shorter than the period 1/frequency_hz (" +
            io::formatNumber(1e6 / s.frequency_hz) + " us)");
    }
  }
}

Stimulus stimulusOf(const StimulusSettings& s, const SimulationConfig& c) {
  Stimulus out;
  out.kind = stimulusKind(s);
  out.probability = s.probability;
  out.seed = randomSeed(s, c);
  out.key = randomKey(s);
  out.start_ms = s.start_ms;
  out.stop_ms = stopOf(s, c);
  out.amplitude = s.amplitude;
  out.offset = s.offset;
  out.frequency_hz = s.frequency_hz;
  out.phase_rad = s.phase_rad;
  out.width_ms = s.pulse_width_us / 1000.0;
  if (s.biphasic) {
    out.gap_ms = s.interphase_gap_us / 1000.0;
    out.second_amplitude = -s.amplitude * s.second_phase_ratio;
    out.second_width_ms = out.width_ms / s.second_phase_ratio;
  }
  return out;
}

std::int64_t axonalPulsesPerEpoch(const StimulusSettings& s, const SimulationConfig& c,
                                  std::int64_t epoch_steps) {
  const double epoch_ms = static_cast<double>(epoch_steps) * c.simulation.dt_ms;
  if (s.interval_cv == 0) return static_cast<std::int64_t>(std::ceil(epoch_ms * s.frequency_hz / 1000.0)) + 1;
  // The most onsets within any epoch's span (plus one for the edges).
  const std::vector<double> onsets = pulseOnsets(s, c);
  std::int64_t most = 0;
  for (std::size_t first = 0, last = 0; first < onsets.size(); ++first) {
    while (last < onsets.size() && onsets[last] < onsets[first] + epoch_ms) ++last;
    most = std::max<std::int64_t>(most, static_cast<std::int64_t>(last - first));
  }
  return most + 1;
}

namespace {

/// A Gamma(shape, 1) draw for shape ≥ 1 (Marsaglia & Tsang 2000), from a
/// keyed sequence of uniforms (normals by Box–Muller).
double gammaDraw(double shape, rng::UniformSequence& u) {
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    const double z = std::sqrt(-2.0 * std::log(u.next())) * std::cos(2.0 * 3.14159265358979323846 * u.next());
    const double v = (1 + c * z) * (1 + c * z) * (1 + c * z);
    if (v <= 0) continue;
    if (std::log(u.next()) < 0.5 * z * z + d - d * v + d * std::log(v)) return d * v;
  }
}

}  // namespace

std::vector<double> pulseOnsets(const StimulusSettings& s, const SimulationConfig& c) {
  return pulseOnsets(s, c, c.simulation.duration_ms);
}

std::vector<double> pulseOnsets(const StimulusSettings& s, const SimulationConfig& c, double end_ms) {
  std::vector<double> onsets;
  // Onsets after the run's end act on nothing; a far stop_ms would list
  // them by the billion. A restart that runs longer lists more of the same
  // sequence (the m-th interval is keyed by m).
  // An onset within round-off below the end belongs to the step after the
  // last (Stimulus::pulseIn): it is not a pulse of the run.
  const double stop = std::min(stopOf(s, c), end_ms - Stimulus::onset_edge * c.simulation.dt_ms);
  if (!(s.frequency_hz > 0)) return onsets;
  if (s.interval_cv == 0) {
    const double period = 1000.0 / s.frequency_hz;
    for (std::int64_t m = 0;; ++m) {
      const double onset = s.start_ms + static_cast<double>(m) * period;
      if (onset >= stop) break;
      onsets.push_back(onset);
    }
    return onsets;
  }
  // Rate ~ Gamma(shape 1/CV², scale f·CV²): mean f, CV interval_cv. A CV
  // below 2^-50 (9e-16) moves no rate by more than a few ulps; the floor
  // keeps the shape finite where CV² underflows (1e-300), and the draw
  // then ends.
  const double shape = 1.0 / std::max(s.interval_cv * s.interval_cv, 0x1p-100);
  const double scale = s.frequency_hz / shape;
  const std::uint64_t seed = randomSeed(s, c);
  const std::uint32_t key = randomKey(s);
  double t = s.start_ms;
  for (std::uint32_t m = 0; t < stop; ++m) {
    onsets.push_back(t);
    rng::UniformSequence u(seed, rng::Stream::PulseIntervals, key, m);
    t += 1000.0 / (gammaDraw(shape, u) * scale);
  }
  return onsets;
}

bool withinReach(const StimulusSettings& s, const SimulationConfig& c, std::int64_t i) {
  return withinReach(s, c, *c.population(s.population), i);
}

bool withinReach(const StimulusSettings& s, const SimulationConfig& c, const PopulationSettings& pop, std::int64_t i) {
  const Position p = positionOf(pop, randomSeed(pop, c), i);
  const double dx = (p.x_um - s.electrode_x_um) / 1000, dy = (p.y_um - s.electrode_y_um) / 1000,
               dz = (p.z_um - s.electrode_z_um) / 1000;  // mm
  return s.current_mA >= s.threshold_I0_mA + s.threshold_K_mA_per_mm2 * (dx * dx + dy * dy + dz * dz);
}

ElectrodeReach electrodeReach(const StimulusSettings& s, const SimulationConfig& c) {
  return electrodeReach(s, c, *c.population(s.population));
}

ElectrodeReach electrodeReach(const StimulusSettings& s, const SimulationConfig& c, const PopulationSettings& pop) {
  ElectrodeReach reach;
  for (std::int64_t i = 0; i < pop.n; ++i) reach.activated += withinReach(s, c, pop, i) ? 1 : 0;
  reach.fraction = pop.n > 0 ? static_cast<double>(reach.activated) / static_cast<double>(pop.n) : 0.0;
  if (s.current_mA > s.threshold_I0_mA) {
    reach.radius_um = 1000 * std::sqrt((s.current_mA - s.threshold_I0_mA) / s.threshold_K_mA_per_mm2);
    // V = I/(4πσr): mA / (S/m · µm) = 1e-3 A / (1e-6 S) = 1e3 V = 1e6 mV.
    reach.potential_mV = 1e6 * s.current_mA / (4 * 3.14159265358979323846 * s.conductivity_S_per_m * reach.radius_um);
  }
  return reach;
}

std::vector<std::uint8_t> stimulusTargets(const StimulusSettings& s, const SimulationConfig& c,
                                          const comm::Block& block) {
  const PopulationSettings& pop = *c.population(s.population);
  std::vector<std::uint8_t> driven(static_cast<std::size_t>(block.size()), 0);
  if (s.electrode) {
    for (std::int64_t g = block.begin; g < block.end; ++g)
      driven[g - block.begin] = withinReach(s, c, pop, g) ? 1 : 0;
    return driven;
  }
  if (!s.node_ids.empty()) {
    for (const std::uint64_t id : parseNodeIds("stimulus." + s.name + ".node_ids", s.node_ids, pop)) {
      const auto global = static_cast<std::int64_t>(id);
      if (global >= block.begin && global < block.end) driven[global - block.begin] = 1;
    }
    return driven;
  }
  if (s.fraction >= 1.0) return {};
  const std::uint64_t seed = randomSeed(s, c);
  const std::uint32_t key = randomKey(s);
  for (std::int64_t g = block.begin; g < block.end; ++g) {
    const auto bits = rng::randomBits(seed, rng::Stream::StimulusTargets, key, static_cast<std::uint32_t>(g), 0);
    driven[g - block.begin] = rng::uniformOpen(bits.v[0]) < s.fraction ? 1 : 0;
  }
  return driven;
}

const StimulusSettings* relayStimulus(const SimulationConfig& config, const std::string& population) {
  for (const StimulusSettings& s : config.stimuli)
    if (config.analysis.relay_stimulus != "none" && randomName(s) == config.analysis.relay_stimulus &&
        replicaTag(s.name) == replicaTag(population))
      return &s;
  return nullptr;
}

bool countsRelay(const SimulationConfig& config, const std::string& population) {
  const StimulusSettings* relay = relayStimulus(config, population);
  return relay != nullptr && relay->population == population;
}

const StimulusSettings* pulseHistogramStimulus(const SimulationConfig& config,
                                               const std::string& population) {
  const std::string& name = config.analysis.pulse_stimulus;
  if (name == "none") return nullptr;
  // Periodic pulses only: the histogram's bins span one period.
  for (const StimulusSettings& s : config.stimuli)
    if (isPulsed(s) && s.interval_cv == 0 && (name.empty() || randomName(s) == name) &&
        replicaTag(s.name) == replicaTag(population))
      return &s;
  return nullptr;
}

bool stimulusHasStrength(const StimulusSettings& s) {
  const StimulusKind kind = stimulusKind(s);
  return kind == StimulusKind::Axonal ? s.probability > 0
                                      : s.amplitude != 0 || (kind == StimulusKind::Sine && s.offset != 0);
}

bool stimulusActs(const StimulusSettings& s, const SimulationConfig& config) {
  if (!stimulusHasStrength(s)) return false;
  if (s.electrode) return electrodeReach(s, config).activated > 0;
  return !s.node_ids.empty() || s.fraction > 0;
}

}  // namespace cbgtc
