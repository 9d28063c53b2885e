#include "src/replicas.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <utility>

#include "io/options.hpp"

namespace cbgtc {

std::string replicaName(const std::string& name, std::size_t replica) {
  return name + "~" + std::to_string(replica);
}

namespace {

/// Keys of a run alone: its sections, its seed and its files.
bool ownKey(const std::string& key) {
  for (const char* prefix :
       {"population.", "projection.", "stimulus.", "record.", "ensemble.", "checkpoint."})
    if (key.rfind(prefix, 0) == 0) return true;
  return key == "simulation.seed" || key == "output.file";
}

std::map<std::string, std::string> networkKeys(const SimulationConfig& config) {
  SimulationConfig copy = config;  // (the table binds to a config it may change)
  std::map<std::string, std::string> keys;
  for (const auto& [key, value] : io::makeOptionTable(copy).resolved())
    if (!ownKey(key)) keys[key] = value;
  return keys;
}

/// "/a/b/name" → ("/a/b", "name"); "/name" → ("/", "name").
std::pair<std::string, std::string> split(const std::string& path) {
  const std::size_t at = path.rfind('/');
  return {at == 0 ? std::string("/") : path.substr(0, at), path.substr(at + 1)};
}

template <class Settings>
RandomIdentity identityOf(const Settings& s, const SimulationConfig& run) {
  return RandomIdentity{static_cast<std::int64_t>(randomSeed(s, run)), randomName(s)};
}

}  // namespace

SimulationConfig mergeReplicas(const std::vector<SimulationConfig>& runs, std::size_t first_run) {
  if (runs.empty()) throw ConfigError("ensemble.replicas: no runs to merge");
  const auto network = networkKeys(runs.front());
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const SimulationConfig& run = runs[r];
    if (!run.records.empty())
      throw ConfigError("ensemble.replicas: [record." + run.records.front().name +
                        "] sections are for separate runs; set ensemble.replicas = 1");
    if (run.output.network)
      throw ConfigError("ensemble.replicas: output.network is for separate runs; set ensemble.replicas = 1");
    if (r == 0) continue;
    const auto keys = networkKeys(run);
    for (const auto& [key, value] : keys) {
      const auto first = network.find(key);
      const std::string before = first == network.end() ? "(unset)" : first->second;
      if (before != value)
        throw ConfigError("ensemble.replicas: " + key + " is " + before + " in run " +
                          std::to_string(first_run) + " but " + value + " in run " +
                          std::to_string(first_run + r) + ", which share one network's " + key +
                          " (set ensemble.replicas = 1 to vary it)");
    }
    for (const auto& [key, value] : network)
      if (!keys.count(key))
        throw ConfigError("ensemble.replicas: " + key + " is set in run " + std::to_string(first_run) +
                          " but not in run " + std::to_string(first_run + r));
  }

  SimulationConfig merged = runs.front();
  merged.populations.clear();
  merged.projections.clear();
  merged.stimuli.clear();
  // (Its ensemble keys stay: the file of replicas describes the ensemble.)
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const SimulationConfig& run = runs[r];
    for (const PopulationSettings& p : run.populations) {
      PopulationSettings q = p;
      q.name = replicaName(p.name, r);
      q.random = identityOf(p, run);
      if (q.spike_population.empty()) q.spike_population = p.name;  // in its spike file
      merged.populations.push_back(q);
    }
    for (const ProjectionSettings& p : run.projections) {
      ProjectionSettings q = p;
      q.name = replicaName(p.name, r);
      q.source = replicaName(p.source, r);
      q.target = replicaName(p.target, r);
      q.random = identityOf(p, run);
      merged.projections.push_back(q);
    }
    for (const StimulusSettings& s : run.stimuli) {
      StimulusSettings q = s;
      q.name = replicaName(s.name, r);
      q.population = replicaName(s.population, r);
      q.random = identityOf(s, run);
      merged.stimuli.push_back(q);
    }
  }
  return merged;
}

std::vector<RunSummary> replicaSummaries(const RunSummary& merged, std::size_t replicas) {
  // One pass over the merged network's populations and pairs: a pass per
  // replica would scan the merged network once per replica (quadratic in the
  // replicas).
  RunSummary common = merged;
  common.populations.clear();
  common.pairs.clear();
  common.replica_failures.clear();
  std::vector<RunSummary> out(replicas, common);
  // A replica that failed alone ended where its run alone would have.
  for (const auto& [r, f] : merged.replica_failures) {
    if (r >= replicas) continue;
    out[r].failure = f.failure;
    out[r].steps = f.steps;
    out[r].complete = false;
  }
  // The replica of a name's tag, and the name under the deck's.
  const auto split = [replicas](const std::string& name, std::string& deck_name) {
    const std::string tag = replicaTag(name);
    const std::size_t r = tag.size() > 1 ? std::stoul(tag.substr(1)) : replicas;
    if (r >= replicas)
      throw std::logic_error("'" + name + "' is no population of a network of " + std::to_string(replicas) +
                             " replicas");
    deck_name = name.substr(0, name.size() - tag.size());
    return r;
  };
  std::string a, b;
  for (const PopulationSummary& p : merged.populations) {
    RunSummary& s = out[split(p.name, a)];
    s.populations.push_back(p);
    s.populations.back().name = a;
  }
  for (const PairSummary& q : merged.pairs) {
    const std::size_t r = split(q.a, a);
    if (split(q.b, b) == r) out[r].pairs.push_back(PairSummary{a, b, q.beta_coherence});
  }
  return out;
}

ReplicaWriter::ReplicaWriter(std::vector<std::unique_ptr<io::OutputWriter>> writers)
    : _writers(std::move(writers)) {
  if (_writers.empty()) throw io::OutputError("a replica writer needs at least one file");
}

ReplicaWriter::Route ReplicaWriter::route(const std::string& path) const {
  // Each '/'-separated part may end in a tag; a path has at most one replica.
  Route out{std::string::npos, ""};
  std::size_t begin = 0;
  while (begin <= path.size()) {
    std::size_t end = path.find('/', begin);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(begin, end - begin);
    const std::string tag = replicaTag(part);
    if (tag.size() > 1) {
      const std::size_t r = std::stoul(tag.substr(1));
      if (r >= _writers.size() || (out.replica != std::string::npos && out.replica != r))
        throw io::OutputError("'" + path + "' names no single replica of " + std::to_string(_writers.size()));
      out.replica = r;
      part.erase(part.rfind('~'), tag.size());
    }
    out.path += part;
    if (end < path.size()) out.path += '/';
    begin = end + 1;
  }
  return out;
}

void ReplicaWriter::writeAttributes(const io::AttributeList& attributes) {
  for (std::size_t r = 0; r < _writers.size(); ++r) {
    const auto failed = _failed.find(r);
    const auto ending = std::find_if(attributes.begin(), attributes.end(),
                                     [](const auto& a) { return a.first == "complete"; });
    if (failed == _failed.end() || ending == attributes.end()) {
      _writers[r]->writeAttributes(attributes);
      continue;
    }
    io::AttributeList own;
    for (const auto& [key, value] : attributes)
      if (key != "complete" && key != "failure") own.emplace_back(key, value);
    own.emplace_back("complete", "false");
    own.emplace_back("failure", failed->second.failure);
    _writers[r]->writeAttributes(own);
  }
}

void ReplicaWriter::markFailed(std::size_t r, const std::string& failure, double stop_ms) {
  if (r >= _writers.size())
    throw std::logic_error("replica " + std::to_string(r) + " of a network of " +
                           std::to_string(_writers.size()));
  _failed[r] = Failure{failure, stop_ms};
}

template <class Write>
void ReplicaWriter::toReplicaOf(const std::string& path, Write&& write) {
  const Route to = route(path);
  if (to.replica != std::string::npos) return write(*_writers[to.replica], to.path);
  for (auto& w : _writers) write(*w, path);
}

io::OutputWriter& ReplicaWriter::writerOf(const std::string& population, std::string& deck_name) const {
  const Route to = route(population);
  if (to.replica == std::string::npos)
    throw io::OutputError("population '" + population + "' is of no replica");
  deck_name = to.path;
  return *_writers[to.replica];
}

void ReplicaWriter::writeDataset(const std::string& group, const std::string& name,
                                 const std::vector<double>& data, const io::AttributeList& attributes,
                                 const io::NumberList& numbers) {
  toReplicaOf(io::detail::joinPath(group, name), [&](io::OutputWriter& w, const std::string& path) {
    const auto [to_group, to_name] = split(path);
    w.writeDataset(to_group, to_name, data, attributes, numbers);
  });
}

void ReplicaWriter::writeNumbers(const std::string& group, const io::NumberList& values) {
  if (group == "/" && !_failed.empty()) {
    for (std::size_t r = 0; r < _writers.size(); ++r) {
      io::NumberList own = values;
      const auto failed = _failed.find(r);
      for (auto& [key, value] : own)
        if (key == "stopped_at_ms" && failed != _failed.end()) value = failed->second.stop_ms;
      _writers[r]->writeNumbers(group, own);
    }
    return;
  }
  toReplicaOf(group, [&](io::OutputWriter& w, const std::string& path) { w.writeNumbers(path, values); });
}

void ReplicaWriter::writeIntegers(const std::string& group, const io::IntegerList& values) {
  toReplicaOf(group, [&](io::OutputWriter& w, const std::string& path) { w.writeIntegers(path, values); });
}

void ReplicaWriter::writeIds(const std::string& group, const std::string& name,
                             const std::vector<std::uint64_t>& data, const io::AttributeList& attributes,
                             std::size_t columns) {
  toReplicaOf(io::detail::joinPath(group, name), [&](io::OutputWriter& w, const std::string& path) {
    const auto [to_group, to_name] = split(path);
    w.writeIds(to_group, to_name, data, attributes, columns);
  });
}

void ReplicaWriter::addSpikePopulation(const std::string& population) {
  std::string name;
  writerOf(population, name).addSpikePopulation(name);
}

void ReplicaWriter::appendSpikes(const std::string& population, const std::vector<double>& timestamps_ms,
                                 const std::vector<std::uint64_t>& node_ids) {
  std::string name;
  writerOf(population, name).appendSpikes(name, timestamps_ms, node_ids);
}

void ReplicaWriter::addReport(const std::string& population, const std::vector<std::uint64_t>& node_ids,
                              double start_ms, double step_ms, const std::string& variable,
                              const std::string& units) {
  std::string name;
  writerOf(population, name).addReport(name, node_ids, start_ms, step_ms, variable, units);
}

void ReplicaWriter::appendReport(const std::string& population, const float* data, std::size_t n_times) {
  std::string name;
  writerOf(population, name).appendReport(name, data, n_times);
}

void ReplicaWriter::finalize(double stop_ms) {
  for (auto& w : _writers) w->finalize(stop_ms);
}

void ReplicaWriter::flush() {
  for (auto& w : _writers) w->flush();
}

const std::string& ReplicaWriter::path() const { return _writers.front()->path(); }

}  // namespace cbgtc
