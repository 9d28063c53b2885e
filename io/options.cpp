#include "io/options.hpp"

#include "kernels/synapse.hpp"
#include "src/projection.hpp"

#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>
#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>
#include <type_traits>

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

std::string sectionOf(const std::string& key) { return key.substr(0, key.find('.')); }

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
  e.declare = [key, field, described, default_text](po::options_description& d) {
    auto* value = po::value<T>(field)->default_value(*field, default_text);
    if constexpr (std::is_same_v<T, bool>) value->implicit_value(true, "true");
    d.add_options()(key.c_str(), value, described.c_str());
  };
  e.value = [field] { return toText(*field); };
  e.check = [key, field, bound] { checkBound(key, *field, bound); };
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

void OptionTable::checkBounds() const {
  for (const auto& e : _entries) e.check();
}

AttributeList OptionTable::resolved() const {
  AttributeList out;
  for (const auto& e : _entries) out.emplace_back(e.key, e.value());
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
  t.add("simulation.epoch_batching", &sim.epoch_batching, "",
        "advance each population through a whole exchange epoch per kernel launch (false: one launch per step; "
        "same results)");
  t.add("simulation.delivery", &sim.delivery, "",
        "spike delivery: thread (a thread per spike), team (a team per spike, for long rows on GPUs), auto "
        "(team on GPUs for rows of 64 or more) or pull (as auto, but steps where simulation.pull_fraction of a "
        "projection's sources fire together are one sparse matrix product; 12 more bytes per synapse); "
        "same results");
  t.add("simulation.pull_fraction", &sim.pull_fraction, "",
        "with delivery = pull: share of a projection's sources firing in one step from which that step is "
        "pulled (0: every step with spikes)",
        Bound::UnitInterval);
  t.add("simulation.lanes_per_neuron", &sim.lanes_per_neuron, "",
        "GPU lanes that advance one neuron together, sharing out its exponentials, divisions and noise: 1, 2, "
        "4 or 8, or 0 = auto (8 or 4 for small networks, which are latency-bound, else 1); ignored on CPUs; same "
        "results");

  auto& net = c.network;
  t.add("network.n_stn", &net.n_stn, "", "STN neurons (Hodgkin-Huxley)", Bound::NonNegative);
  t.add("network.n_gpe", &net.n_gpe, "", "GPe neurons (AdEx)", Bound::NonNegative);
  t.add("network.n_gpi", &net.n_gpi, "", "GPi neurons (AdEx)", Bound::NonNegative);

  auto& s = c.stn;
  const auto g = Bound::NonNegative;
  t.add("stn.gNa", &s.gNa, "mS/cm^2", "fast Na+ conductance", g);
  t.add("stn.gK", &s.gK, "mS/cm^2", "delayed-rectifier K+ conductance", g);
  t.add("stn.gT", &s.gT, "mS/cm^2", "T-type Ca2+ conductance", g);
  t.add("stn.gL", &s.gL, "mS/cm^2", "leak conductance", g);
  t.add("stn.gCa", &s.gCa, "mS/cm^2", "high-voltage-activated Ca2+ conductance", g);
  t.add("stn.gAHP", &s.gAHP, "mS/cm^2", "Ca2+-activated K+ (AHP) conductance", g);
  t.add("stn.gH", &s.gH, "mS/cm^2", "H-current conductance", g);
  t.add("stn.ENa", &s.ENa, "mV", "Na+ reversal potential");
  t.add("stn.EK", &s.EK, "mV", "K+ reversal potential (I_K, I_AHP)");
  t.add("stn.ECa", &s.ECa, "mV", "Ca2+ reversal potential (I_T, I_CaH)");
  t.add("stn.EL", &s.EL, "mV", "leak reversal potential");
  t.add("stn.E_H", &s.E_H, "mV", "H-current reversal potential");
  t.add("stn.Cm", &s.Cm, "uF/cm^2", "membrane capacitance", Bound::Positive);
  t.add("stn.ISTN", &s.ISTN, "uA/cm^2", "tonic drive current");
  t.add("stn.Vp_half", &s.Vp_half, "mV", "T-type activation half point");
  t.add("stn.kp", &s.kp, "mV", "T-type activation slope", Bound::Positive);
  t.add("stn.Vr_half", &s.Vr_half, "mV", "r-gate half point");
  t.add("stn.kr", &s.kr, "mV", "r-gate slope", Bound::Positive);
  t.add("stn.tau_r_ms", &s.tau_r_ms, "ms", "r-gate time constant", Bound::Positive);
  t.add("stn.alpha_Ca", &s.alpha_Ca, "Ca/ms per uA/cm^2", "Ca2+ influx factor", g);
  t.add("stn.tau_Ca_ms", &s.tau_Ca_ms, "ms", "Ca2+ decay time constant", Bound::Positive);
  t.add("stn.k1", &s.k1, "Ca units", "AHP half-activation calcium", g);
  t.add("stn.V_spike_thresh", &s.V_spike_thresh, "mV", "spike detection threshold (upward crossing)");
  t.add("stn.min_isi_ms", &s.min_isi_ms, "ms", "minimum interval between detected spikes", g);
  auto& si = c.stn_init;
  t.add("stn.V_init", &si.V, "mV", "mean initial membrane potential");
  t.add("stn.n_init", &si.n, "", "mean initial n gate", Bound::UnitInterval);
  t.add("stn.h_init", &si.h, "", "mean initial h gate", Bound::UnitInterval);
  t.add("stn.r_init", &si.r, "", "mean initial r gate", Bound::UnitInterval);
  t.add("stn.Ca_init", &si.Ca, "Ca units", "mean initial calcium", g);
  t.add("stn.heterogeneity", &si.heterogeneity, "",
        "relative s.d. of initial states (0: all neurons start alike)", g);

  auto addAdEx = [&t](const std::string& pop, adex::AdExParams& p, adex::AdExInit& x) {
    const std::string k = pop + ".";
    t.add(k + "C", &p.C, "pF", "membrane capacitance", Bound::Positive);
    t.add(k + "gL", &p.gL, "nS", "leak conductance", Bound::NonNegative);
    t.add(k + "EL", &p.EL, "mV", "leak reversal potential");
    t.add(k + "VT", &p.VT, "mV", "exponential threshold");
    t.add(k + "dT", &p.dT, "mV", "slope factor Delta_T", Bound::Positive);
    t.add(k + "a", &p.a, "nS", "subthreshold adaptation");
    t.add(k + "tau_w", &p.tau_w, "ms", "adaptation time constant", Bound::Positive);
    t.add(k + "b", &p.b, "pA", "spike-triggered adaptation increment");
    t.add(k + "V_reset", &p.V_reset, "mV", "reset potential");
    t.add(k + "V_peak", &p.V_peak, "mV", "spike cut-off");
    t.add(k + "t_ref_ms", &p.t_ref_ms, "ms", "absolute refractory period", Bound::NonNegative);
    t.add(k + "I_baseline", &p.I_baseline, "pA", "tonic drive current");
    t.add(k + "exp_arg_min", &p.exp_arg_min, "", "lower clip of (V-VT)/dT in the exponential");
    t.add(k + "exp_arg_max", &p.exp_arg_max, "", "upper clip of (V-VT)/dT in the exponential");
    t.add(k + "V_init", &x.V, "mV", "mean initial membrane potential");
    t.add(k + "V_init_sd", &x.V_sd, "mV", "s.d. of initial membrane potential", Bound::NonNegative);
    t.add(k + "w_init", &x.w, "pA", "mean initial adaptation current");
    t.add(k + "w_init_sd", &x.w_sd, "pA", "s.d. of initial adaptation current", Bound::NonNegative);
  };
  addAdEx("gpe", c.gpe, c.gpe_init);
  addAdEx("gpi", c.gpi, c.gpi_init);

  auto addNoise = [&t](const std::string& pop, NoiseSettings& n, const char* unit) {
    const std::string k = "noise." + pop + ".";
    t.add(k + "tau_ms", &n.tau_ms, "ms", "OU correlation time", Bound::Positive);
    t.add(k + "mu", &n.mu, unit, "OU mean current (positive depolarising)");
    t.add(k + "sigma", &n.sigma, unit, "OU stationary standard deviation", Bound::NonNegative);
  };
  addNoise("stn", c.stn_noise, "uA/cm^2");
  addNoise("gpe", c.gpe_noise, "pA");
  addNoise("gpi", c.gpi_noise, "pA");

  for (auto& pr : c.projections) {
    const std::string k = "projection." + pr.name + ".";
    t.add(k + "source", &pr.source, "", "source population (STN, GPe, GPi)");
    t.add(k + "target", &pr.target, "", "target population (STN, GPe, GPi)");
    t.add(k + "rule", &pr.rule, "", "fixed_probability or fixed_indegree");
    t.add(k + "p", &pr.p, "", "connection probability per pair (fixed_probability)", Bound::UnitInterval);
    t.add(k + "indegree", &pr.indegree, "", "sources per target (fixed_indegree)", Bound::NonNegative);
    t.add(k + "g_total", &pr.g_total, "mS/cm^2 into STN, nS into GPe/GPi",
          "summed mean weight per target neuron", Bound::NonNegative);
    t.add(k + "weight_cv", &pr.weight_cv, "", "coefficient of variation of the log-normal weights",
          Bound::NonNegative);
    t.add(k + "delay_ms", &pr.delay_ms, "ms", "axonal delay, rounded to steps", Bound::Positive);
    t.add(k + "delay_jitter_ms", &pr.delay_jitter_ms, "ms", "per-synapse delay uniform in delay +- jitter",
          Bound::NonNegative);
    t.add(k + "tau_ms", &pr.tau_ms, "ms", "conductance decay time constant", Bound::Positive);
    t.add(k + "E_rev_mV", &pr.E_rev_mV, "mV", "reversal potential");
    t.add(k + "autapses", &pr.autapses, "", "allow self-connections when source == target");
  }

  auto& a = c.analysis;
  t.add("analysis.burn_in_ms", &a.burn_in_ms, "ms", "initial time excluded from every metric", Bound::NonNegative);
  t.add("analysis.segment_ms", &a.segment_ms, "ms", "Welch segment length (1000: 1 Hz resolution)",
        Bound::Positive);
  t.add("analysis.lfp_sample_ms", &a.lfp_sample_ms, "ms", "LFP proxy sampling interval (multiple of dt_ms)",
        Bound::Positive);
  t.add("analysis.beta_lo_hz", &a.beta_lo_hz, "Hz", "lower edge of the beta band", Bound::NonNegative);
  t.add("analysis.beta_hi_hz", &a.beta_hi_hz, "Hz", "upper edge of the beta band", Bound::Positive);
  t.add("analysis.total_lo_hz", &a.total_lo_hz, "Hz", "lower edge of the band relative beta is taken over",
        Bound::NonNegative);
  t.add("analysis.total_hi_hz", &a.total_hi_hz, "Hz", "upper edge of that band", Bound::Positive);

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
  return t;
}

void checkConsistency(const SimulationConfig& c) {
  const double steps = c.simulation.duration_ms / c.simulation.dt_ms;
  // Tolerance: a few ulps of the quotient, so typed decimal multiples pass
  // and nothing off by a fraction of a step is rounded silently.
  if (std::fabs(steps - std::round(steps)) > 1e-12 * std::max(1.0, steps))
    throw ConfigError("simulation.duration_ms (" + formatNumber(c.simulation.duration_ms) +
                      ") is not a multiple of simulation.dt_ms (" + formatNumber(c.simulation.dt_ms) + ")");
  const auto max_pop = static_cast<std::int64_t>(std::numeric_limits<index_type>::max());
  const std::pair<const char*, std::int64_t> sizes[] = {
      {"network.n_stn", c.network.n_stn}, {"network.n_gpe", c.network.n_gpe}, {"network.n_gpi", c.network.n_gpi}};
  for (const auto& [key, n] : sizes)
    if (n > max_pop) throw ConfigError(std::string(key) + " must be <= " + std::to_string(max_pop));
  const std::pair<const char*, const adex::AdExParams*> adex_pops[] = {{"gpe", &c.gpe}, {"gpi", &c.gpi}};
  for (const auto& [pop, p] : adex_pops) {
    const std::string k = pop;
    if (!(p->V_reset < p->V_peak))
      throw ConfigError(k + ".V_reset must be below " + k + ".V_peak");
    if (!(p->exp_arg_min < p->exp_arg_max))
      throw ConfigError(k + ".exp_arg_min must be below " + k + ".exp_arg_max");
  }
  if (c.output.file.empty()) throw ConfigError("output.file must not be empty");
  const std::int64_t lanes = c.simulation.lanes_per_neuron;
  if (lanes != 0 && lanes != 1 && lanes != 2 && lanes != 4 && lanes != 8)
    throw ConfigError("simulation.lanes_per_neuron must be 0 (auto), 1, 2, 4 or 8, got " +
                      std::to_string(c.simulation.lanes_per_neuron));
  if (c.simulation.delivery != "auto" && c.simulation.delivery != "thread" && c.simulation.delivery != "team" &&
      c.simulation.delivery != "pull")
    throw ConfigError("simulation.delivery must be auto, thread, team or pull, got '" + c.simulation.delivery +
                      "'");

  const double dt = c.simulation.dt_ms;
  const double lfp_steps = c.analysis.lfp_sample_ms / dt;
  if (std::fabs(lfp_steps - std::round(lfp_steps)) > 1e-9 * std::max(1.0, lfp_steps) || std::round(lfp_steps) < 1)
    throw ConfigError("analysis.lfp_sample_ms must be a positive multiple of simulation.dt_ms");
  if (c.analysis.segment_ms < 2 * c.analysis.lfp_sample_ms)
    throw ConfigError("analysis.segment_ms must hold at least two LFP samples (2 x analysis.lfp_sample_ms)");
  if (!(c.analysis.beta_lo_hz < c.analysis.beta_hi_hz))
    throw ConfigError("analysis.beta_lo_hz must be below analysis.beta_hi_hz");
  if (!(c.analysis.total_lo_hz < c.analysis.total_hi_hz))
    throw ConfigError("analysis.total_lo_hz must be below analysis.total_hi_hz");

  auto sizeOf = [&c](PopulationId id) {
    switch (id) {
      case PopulationId::STN: return c.network.n_stn;
      case PopulationId::GPe: return c.network.n_gpe;
      case PopulationId::GPi: return c.network.n_gpi;
    }
    return std::int64_t(0);
  };
  int inputs[3] = {0, 0, 0};
  for (const auto& pr : c.projections) {
    const std::string k = "projection." + pr.name + ".";
    PopulationId source{}, target{};
    try {
      source = populationIdOf(pr.source);
    } catch (const std::invalid_argument&) {
      throw ConfigError(k + "source must be STN, GPe or GPi, got '" + pr.source + "'");
    }
    try {
      target = populationIdOf(pr.target);
    } catch (const std::invalid_argument&) {
      throw ConfigError(k + "target must be STN, GPe or GPi, got '" + pr.target + "'");
    }
    if (pr.rule != "fixed_probability" && pr.rule != "fixed_indegree")
      throw ConfigError(k + "rule must be fixed_probability or fixed_indegree, got '" + pr.rule + "'");
    const std::int64_t candidates = sizeOf(source) - ((source == target && !pr.autapses) ? 1 : 0);
    if (pr.rule == "fixed_indegree" && sizeOf(target) > 0 && pr.indegree > std::max<std::int64_t>(0, candidates))
      throw ConfigError(k + "indegree (" + std::to_string(pr.indegree) + ") exceeds the " +
                        std::to_string(std::max<std::int64_t>(0, candidates)) + " possible sources");
    if (delaySteps(pr.delay_ms - pr.delay_jitter_ms, dt) < 1 ||
        std::llround((pr.delay_ms - pr.delay_jitter_ms) / dt) < 1)
      throw ConfigError(k + "delay_ms minus delay_jitter_ms must be at least one step (simulation.dt_ms)");
    if (std::llround((pr.delay_ms + pr.delay_jitter_ms) / dt) > 65535)
      throw ConfigError(k + "delay_ms plus delay_jitter_ms must be below 65536 steps");
    if (++inputs[static_cast<int>(target)] > max_inputs_per_population)
      throw ConfigError(std::string("more than ") + std::to_string(max_inputs_per_population) +
                        " projections into " + populationName(target) + " (" + k + "target)");
  }
}

namespace {

po::options_description howToRun() {
  po::options_description d("How to run", 100, 50);
  d.add_options()("help,h", "print this help and exit")(
      "version", "print version, Kokkos, MPI and HDF5 information and exit")(
      "config,c", po::value<std::string>(), "input deck (INI); keys given here override it")(
      "validate", "check the configuration and exit without running");
  return d;
}

}  // namespace

std::string helpText() {
  SimulationConfig defaults;
  const OptionTable table = makeOptionTable(defaults);
  std::ostringstream out;
  out << "Usage: cbgtc [--config deck.ini] [--section.key=value ...]\n\n"
      << "Simulates the STN-GPe-GPi network of the basal ganglia. Every key can be\n"
      << "set in the deck (section [stn], line 'gNa = 49') or on the command line\n"
      << "(--stn.gNa=49); the command line wins. Units are in brackets.\n\n"
      << howToRun() << "\n";
  for (const auto& d : table.describe()) out << d << "\n";
  return out.str();
}

namespace {

/// "projection.<name>.<key>" -> name, or "" for other keys.
std::string projectionNameOf(const std::string& key) {
  const std::string prefix = "projection.";
  if (key.rfind(prefix, 0) != 0) return "";
  const auto dot = key.find('.', prefix.size());
  return dot == std::string::npos ? "" : key.substr(prefix.size(), dot - prefix.size());
}

/// Projections are sections named by the user ([projection.gpe_gpe]): find
/// every name the command line and the deck use, so that their keys can be
/// declared before the real parse.
void addDeclaredProjections(const std::vector<std::string>& args, SimulationConfig& config) {
  std::vector<std::string> keys;
  po::options_description how = howToRun();
  po::parsed_options cli = po::command_line_parser(args).options(how).allow_unregistered().run();
  std::string deck_path;
  for (const auto& o : cli.options) {
    if (o.string_key == "config" && !o.value.empty()) deck_path = o.value.front();
    keys.push_back(o.string_key);
  }
  if (!deck_path.empty()) {
    std::ifstream deck(deck_path);
    if (deck) {
      po::options_description none;
      for (const auto& o : po::parse_config_file(deck, none, true).options) keys.push_back(o.string_key);
    }
  }
  for (const auto& key : keys) {
    const std::string name = projectionNameOf(key);
    if (name.empty()) continue;
    const bool known = std::any_of(config.projections.begin(), config.projections.end(),
                                   [&](const ProjectionSettings& p) { return p.name == name; });
    if (known) continue;
    ProjectionSettings added;
    added.name = name;
    config.projections.push_back(added);
  }
}

}  // namespace

CommandLine parseCommandLine(int argc, const char* const argv[]) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--kokkos", 0) == 0) continue;
    args.push_back(a);
  }

  CommandLine cl;
  try {
    addDeclaredProjections(args, cl.config);
  } catch (const po::error& e) {
    throw ConfigError(e.what());
  }
  OptionTable table = makeOptionTable(cl.config);
  po::options_description keys;
  for (const auto& d : table.describe()) keys.add(d);
  po::options_description all;
  all.add(howToRun()).add(keys);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).run(), vm);
  } catch (const po::unknown_option& e) {
    throw ConfigError("unknown option '" + e.get_option_name() + "' (see --help for every key)");
  } catch (const po::error& e) {
    throw ConfigError(e.what());
  }
  cl.help = vm.count("help") > 0;
  cl.version = vm.count("version") > 0;
  cl.validate_only = vm.count("validate") > 0;
  if (cl.help || cl.version) return cl;

  if (vm.count("config")) {
    cl.config_file = vm["config"].as<std::string>();
    std::ifstream deck(cl.config_file);
    if (!deck) throw ConfigError("cannot open input deck '" + cl.config_file + "'");
    try {
      po::store(po::parse_config_file(deck, keys, false), vm);
    } catch (const po::unknown_option& e) {
      throw ConfigError("unknown key '" + e.get_option_name() + "' in " + cl.config_file +
                        " (see --help for every key)");
    } catch (const po::error& e) {
      throw ConfigError(std::string(e.what()) + " in " + cl.config_file);
    }
  }
  try {
    po::notify(vm);
  } catch (const po::error& e) {
    throw ConfigError(e.what());
  }
  table.checkBounds();
  checkConsistency(cl.config);
  return cl;
}

}  // namespace cbgtc::io
