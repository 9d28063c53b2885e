#include "src/record_plan.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>
#include <sstream>

#include "io/options.hpp"
#include "io/output_writer.hpp"
#include "kernels/time_steps.hpp"
#include "src/model_settings.hpp"

namespace cbgtc {

namespace {

/// "a, b ,c" -> {"a", "b", "c"}; empty items are refused.
std::vector<std::string> splitList(const std::string& key, const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto first = item.find_first_not_of(" \t");
    const auto last = item.find_last_not_of(" \t");
    if (first == std::string::npos) throw ConfigError(key + ": empty item in '" + text + "'");
    items.push_back(item.substr(first, last - first + 1));
  }
  return items;
}

/// The file of a variable: `file` (or <output stem>_<record>.h5), with
/// _<variable> before the extension when the section has several.
std::string fileOf(const SimulationConfig& c, const RecordSettings& r, const std::string& variable, bool several) {
  std::string base = r.file;
  if (base.empty()) {
    base = io::pathStem(c.output.file) + "_" + r.name + ".h5";
  }
  if (!several) return base;
  const auto slash = base.find_last_of('/');
  const auto dot = base.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return base + "_" + variable;
  return base.substr(0, dot) + "_" + variable + base.substr(dot);
}

RecordPlan::Variable resolveVariable(const SimulationConfig& c, const PopulationSettings& pop, const std::string& key,
                                     const std::string& name) {
  RecordPlan::Variable v;
  v.name = name;
  const std::vector<StateVariable> state = stateVariables(pop.params);
  for (std::size_t s = 0; s < state.size(); ++s)
    if (name == state[s].name) {
      v.kind = RecordedKind::State;
      v.index = static_cast<std::int32_t>(s);
      v.units = state[s].units;
      return v;
    }
  // A spike source has no input: its input currents would read 0 whatever happens.
  const bool input = takesInput(pop.params);
  const std::string current = currentUnits(pop.params);
  if (input &&
      (name == "I_syn" || name == "I_noise" || name == "I_stim" || name == "I_bias" || name == "I_input")) {
    v.kind = name == "I_syn"     ? RecordedKind::SynapticCurrent
             : name == "I_noise" ? RecordedKind::NoiseCurrent
             : name == "I_stim"  ? RecordedKind::StimulusCurrent
             : name == "I_bias"  ? RecordedKind::BiasCurrent
                                 : RecordedKind::InputCurrent;
    v.units = current;
    return v;
  }
  std::string known;
  for (const auto& s : state) known += std::string(s.name) + ", ";
  known += input ? "I_syn, I_noise, I_stim, I_bias, I_input" : "no input: it is a spike source";
  for (std::size_t j = 0; j < c.projections.size(); ++j) {
    const ProjectionSettings& pr = c.projections[j];
    if (pr.target != pop.name) continue;
    known += ", g_" + pr.name;
    if (name == "g_" + pr.name) {
      v.kind = RecordedKind::Conductance;
      v.index = static_cast<std::int32_t>(j);
      v.units = conductanceUnits(pop.params);
      return v;
    }
  }
  throw ConfigError(key + ": '" + name + "' is not a variable of population " + pop.name + " (model " + pop.model +
                    "; it has " + known + ")");
}

std::int64_t everySteps(const std::string& key, double ms, double dt) {
  const double steps = ms / dt;
  if (!(steps >= 1) || std::fabs(steps - std::round(steps)) > 1e-9 * steps)
    throw ConfigError(key + " (" + io::formatNumber(ms) + " ms) must be a positive multiple of simulation.dt_ms (" +
                      io::formatNumber(dt) + " ms)");
  return checkedSteps(key, ms, dt, max_step_count, "the limit of a step count");
}

}  // namespace

std::vector<RecordPlan> recordPlans(const SimulationConfig& c) {
  std::vector<RecordPlan> plans;
  for (std::size_t q = 0; q < c.populations.size(); ++q) {
    const PopulationSettings& pop = c.populations[q];
    const std::int64_t cells = std::min<std::int64_t>(c.output.v_neurons, pop.n);
    if (cells <= 0 || !hasMembranePotential(pop.params)) continue;  // spike sources have no membrane
    RecordPlan plan;
    plan.population = q;
    plan.every_steps = c.output.v_every_steps;
    for (std::int64_t i = 0; i < cells; ++i) plan.node_ids.push_back(static_cast<std::uint64_t>(i));
    plan.variables.push_back(resolveVariable(c, pop, "output.v_neurons", "V"));
    plans.push_back(std::move(plan));
  }
  std::set<std::string> names;
  for (const RecordSettings& r : c.records) {
    const std::string k = "record." + r.name + ".";
    if (r.name.empty() || !std::all_of(r.name.begin(), r.name.end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
        }))
      throw ConfigError("record name '" + r.name + "' must be letters, digits and '_' only");
    if (!names.insert(r.name).second) throw ConfigError("record '" + r.name + "' is defined twice");
    RecordPlan plan;
    plan.name = r.name;
    const PopulationSettings* pop = c.population(r.population);
    if (!pop) {
      std::string list;
      for (const auto& p : c.populations) list += (list.empty() ? "" : ", ") + p.name;
      throw ConfigError(k + "population must name a population (" + list + "), got '" + r.population + "'");
    }
    plan.population = static_cast<std::size_t>(pop - c.populations.data());
    plan.every_steps = everySteps(k + "interval_ms", r.interval_ms, c.simulation.dt_ms);
    if (!r.node_ids.empty() && r.count > 0)
      throw ConfigError(k + "node_ids and " + k + "count are alternatives: give one");
    if (!r.node_ids.empty()) {
      plan.node_ids = parseNodeIds(k + "node_ids", r.node_ids, *pop);
    } else {
      if (r.count <= 0) throw ConfigError(k + "node_ids or " + k + "count is required (the neurons to record)");
      if (r.count > pop->n)
        throw ConfigError(k + "count (" + std::to_string(r.count) + ") exceeds the " + std::to_string(pop->n) +
                          " neurons of population " + pop->name);
      for (std::int64_t i = 0; i < r.count; ++i) plan.node_ids.push_back(static_cast<std::uint64_t>(i));
    }
    const std::vector<std::string> variables = splitList(k + "variables", r.variables);
    if (variables.empty()) throw ConfigError(k + "variables must name at least one variable");
    std::set<std::string> seen;
    for (const std::string& name : variables) {
      if (!seen.insert(name).second) throw ConfigError(k + "variables: '" + name + "' is given twice");
      plan.variables.push_back(resolveVariable(c, *pop, k + "variables", name));
      plan.variables.back().file = fileOf(c, r, name, variables.size() > 1);
    }
    plans.push_back(std::move(plan));
  }
  // Every file once, and none the output file, however the paths are spelled.
  std::vector<std::string> files = {c.output.file};
  const auto seen = [&](const std::string& file) {
    return std::any_of(files.begin(), files.end(),
                       [&](const std::string& f) { return io::samePath(f, file); });
  };
  for (const RecordPlan& plan : plans)
    for (const auto& v : plan.variables) {
      if (v.file.empty()) continue;
      if (seen(v.file))
        throw ConfigError("record." + plan.name + ": its file '" + v.file +
                          "' is also another record's or the output file (set record." + plan.name + ".file)");
      files.push_back(v.file);
    }
  return plans;
}

std::vector<std::uint64_t> parseNodeIds(const std::string& key, const std::string& text,
                                        const PopulationSettings& pop) {
  std::vector<std::uint64_t> ids;
  for (const std::string& id : splitList(key, text)) {
    std::size_t used = 0;
    long long value = -1;
    try {
      value = std::stoll(id, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != id.size() || value < 0 || value >= pop.n)
      throw ConfigError(key + ": '" + id + "' is not a node id of population " + pop.name +
                        (pop.n > 0 ? " (0 to " + std::to_string(pop.n - 1) + ")" : " (it has no neurons)"));
    ids.push_back(static_cast<std::uint64_t>(value));
  }
  std::sort(ids.begin(), ids.end());
  const auto twice = std::adjacent_find(ids.begin(), ids.end());
  if (twice != ids.end()) throw ConfigError(key + ": " + std::to_string(*twice) + " is given twice");
  return ids;
}

std::vector<std::string> recordFiles(const std::vector<RecordPlan>& plans) {
  std::vector<std::string> files;
  for (const RecordPlan& plan : plans)
    for (const auto& v : plan.variables)
      if (!v.file.empty()) files.push_back(v.file);
  return files;
}

}  // namespace cbgtc
