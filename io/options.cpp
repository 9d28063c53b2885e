#include "io/options.hpp"

#include "src/projection.hpp"

#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>
#include <algorithm>
#include <fstream>
#include <limits>
#include <map>
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

  auto& ex = c.execution;
  t.add("execution.epoch_batching", &ex.epoch_batching, "",
        "advance each population through a whole exchange epoch per kernel launch (false: one launch per step; "
        "same results)");
  t.add("execution.delivery", &ex.delivery, "",
        "spike delivery: thread (a thread per spike), team (a team per spike, for long rows on GPUs), auto "
        "(team on GPUs for rows of 32 or more) or pull (as auto, but steps where execution.pull_fraction of a "
        "projection's sources fire together are one sparse matrix product; 12 more bytes per synapse); "
        "same results");
  t.add("execution.pull_fraction", &ex.pull_fraction, "",
        "with delivery = pull: share of a projection's sources firing in one step from which that step is "
        "pulled (0: every step with spikes)",
        Bound::UnitInterval);
  t.add("execution.lanes_per_neuron", &ex.lanes_per_neuron, "",
        "GPU lanes that advance one neuron together, sharing out its exponentials, divisions and noise: 1, 2, "
        "4 or 8, or 0 = auto (8 or 4 for small networks, which are latency-bound, else 1); ignored on CPUs; same "
        "results");

  for (auto& pop : c.populations) {
    const std::string k = "population." + pop.name + ".";
    const std::string units = currentUnits(pop.params);
    t.add(k + "model", &pop.model, "", "neuron model: " + modelList());
    t.add(k + "n", &pop.n, "", "number of neurons", Bound::NonNegative);
    t.add(k + "noise_tau_ms", &pop.noise.tau_ms, "ms", "OU background current: correlation time", Bound::Positive);
    t.add(k + "noise_mu", &pop.noise.mu, units, "OU background current: mean (positive depolarising)");
    t.add(k + "noise_sigma", &pop.noise.sigma, units, "OU background current: stationary s.d.",
          Bound::NonNegative);
    for (const ModelKey& m : modelKeys(pop.params)) t.add(k + m.name, m.field, m.unit, m.help, m.bound);
  }

  for (auto& pr : c.projections) {
    const std::string k = "projection." + pr.name + ".";
    t.add(k + "source", &pr.source, "", "source population (a [population.<name>] name)");
    t.add(k + "target", &pr.target, "", "target population (a [population.<name>] name)");
    t.add(k + "rule", &pr.rule, "", "fixed_probability or fixed_indegree");
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

/// Where a key of an earlier deck format went, or "".
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
    return ": it is now population." + pop + "." + name;
  }
  if (section.rfind("noise.", 0) == 0)
    return ": noise is now set per population (population.<name>.noise_" + name + ")";
  return "";
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
void addDeclaredSections(const std::vector<std::string>& args, SimulationConfig& config) {
  struct Key {
    std::string key, value;
  };
  std::vector<Key> deck_keys, cli_keys;
  po::options_description how = howToRun();
  po::parsed_options cli = po::command_line_parser(args).options(how).allow_unregistered().run();
  std::string deck_path;
  for (const auto& o : cli.options) {
    if (o.string_key == "config" && !o.value.empty()) deck_path = o.value.front();
    cli_keys.push_back({o.string_key, o.value.empty() ? "" : o.value.front()});
  }
  if (!deck_path.empty()) {
    std::ifstream deck(deck_path);
    if (deck) {
      po::options_description none;
      for (const auto& o : po::parse_config_file(deck, none, true).options)
        deck_keys.push_back({o.string_key, o.value.empty() ? "" : o.value.front()});
    }
  }

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
          if (model == models.end())
            throw ConfigError("population." + name + ".model is required (models: " + modelList() + ")");
          try {
            populations.push_back(PopulationSettings::of(name, model->second, 0));
          } catch (const std::invalid_argument& e) {
            throw ConfigError("population." + name + ".model: " + e.what());
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
  };
  declare(deck_keys, true);
  declare(cli_keys, false);
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
    addDeclaredSections(args, cl.config);
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
    throw ConfigError("unknown option '" + e.get_option_name() + "'" + movedKeyHint(e.get_option_name()) +
                      " (see --help for every key)");
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
                        movedKeyHint(e.get_option_name()) + " (see --help for every key)");
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
