#include "src/ensemble.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "io/output_writer.hpp"

namespace cbgtc {

namespace {

std::string trim(const std::string& s) {
  const auto a = s.find_first_not_of(" \t");
  if (a == std::string::npos) return "";
  const auto b = s.find_last_not_of(" \t");
  return s.substr(a, b - a + 1);
}

std::vector<std::string> splitOn(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) parts.push_back(trim(part));
  if (!text.empty() && text.back() == separator) parts.push_back("");
  return parts;
}

std::uint64_t seedOf(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
    throw ConfigError("ensemble.seeds: '" + text + "' is not a seed (a non-negative integer) or a range a-b");
  // simulation.seed is a signed 64-bit key: each run's seed must be one.
  constexpr auto largest = static_cast<unsigned long long>(std::numeric_limits<std::int64_t>::max());
  try {
    const unsigned long long seed = std::stoull(text);
    if (seed > largest) throw std::out_of_range(text);
    return seed;
  } catch (const std::exception&) {
    throw ConfigError("ensemble.seeds: '" + text + "' is out of range (at most " + std::to_string(largest) + ")");
  }
}

// The shortest of 15 or 17 significant digits that reads back as v: a
// table's runs give the statistics of its mean and sd rows exactly.
std::string number(double v) {
  if (std::isnan(v)) return "nan";
  char text[32];
  std::snprintf(text, sizeof text, "%.15g", v);
  if (std::strtod(text, nullptr) != v) std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

struct MeanSd {
  double mean = std::numeric_limits<double>::quiet_NaN(), sd = std::numeric_limits<double>::quiet_NaN();
  int n = 0;
};

MeanSd meanSd(const std::vector<double>& values) {
  MeanSd m;
  double sum = 0;
  for (double v : values)
    if (!std::isnan(v)) {
      sum += v;
      ++m.n;
    }
  if (m.n == 0) return m;
  m.mean = sum / m.n;
  if (m.n < 2) return m;
  double squares = 0;
  for (double v : values)
    if (!std::isnan(v)) squares += (v - m.mean) * (v - m.mean);
  m.sd = std::sqrt(squares / (m.n - 1));
  return m;
}

std::string overridesText(const EnsembleRun& run) {
  std::string text;
  for (const auto& [key, value] : run.overrides) text += (text.empty() ? "" : " ") + key + "=" + value;
  return text.empty() ? "-" : text;
}

}  // namespace

namespace {

/// Every run's configuration keeps the ensemble's keys, so that its file
/// says which ensemble it belongs to: a value of megabytes would be held
/// once per run.
void checkLength(const char* key, const std::string& text) {
  if (text.size() > max_ensemble_text)
    throw ConfigError(std::string(key) + ": its " + std::to_string(text.size()) +
                      " characters are more than the " + std::to_string(max_ensemble_text) +
                      " an ensemble's key may have (split it into several ensembles)");
}

/// a × b, or the cap plus one where it is past the cap (or overflows).
std::size_t cappedProduct(std::size_t a, std::size_t b) {
  if (a != 0 && b > max_ensemble_runs / a) return max_ensemble_runs + 1;
  return a * b;
}

void checkRunCount(const char* key, std::size_t runs, const std::string& how) {
  if (runs > max_ensemble_runs)
    throw ConfigError(std::string(key) + ": " + how + " make more than the " +
                      std::to_string(max_ensemble_runs) +
                      " runs an ensemble may have (split it into several ensembles)");
}

}  // namespace

std::vector<std::uint64_t> parseSeeds(const std::string& text) {
  std::vector<std::uint64_t> seeds;
  checkLength("ensemble.seeds", text);
  if (trim(text).empty()) return seeds;
  std::set<std::uint64_t> seen;
  for (const std::string& item : splitOn(text, ',')) {
    if (item.empty()) throw ConfigError("ensemble.seeds: '" + text + "' has an empty item");
    const auto dash = item.find('-');
    std::uint64_t first = 0, last = 0;
    if (dash == std::string::npos) {
      first = last = seedOf(item);
    } else {
      const std::string from = trim(item.substr(0, dash)), to = trim(item.substr(dash + 1));
      if (from.empty() || to.empty())
        throw ConfigError("ensemble.seeds: '" + item + "' is not a range a-b (both ends are needed)");
      first = seedOf(from);
      last = seedOf(to);
      if (last < first) throw ConfigError("ensemble.seeds: the range '" + item + "' runs backwards");
      if (last - first >= max_ensemble_runs)
        throw ConfigError("ensemble.seeds: the range '" + item + "' makes more than the " +
                          std::to_string(max_ensemble_runs) + " runs an ensemble may have");
    }
    checkRunCount("ensemble.seeds", seeds.size() + (last - first + 1), "its seeds");
    for (std::uint64_t s = first;; ++s) {
      if (!seen.insert(s).second) throw ConfigError("ensemble.seeds: seed " + std::to_string(s) + " is repeated");
      seeds.push_back(s);
      if (s == last) break;
    }
  }
  return seeds;
}

namespace {

/// The keys an ensemble sets for each run itself cannot be overridden.
void refuseEnsemblesOwnKey(const char* where, const std::string& key) {
  if (key.rfind("ensemble.", 0) == 0 || key == "simulation.seed" || key == "output.file")
    throw ConfigError(std::string(where) + ": '" + key + "' is set by the ensemble itself");
}

}  // namespace

std::vector<GridAxis> parseGrid(const std::string& text) {
  std::vector<GridAxis> axes;
  checkLength("ensemble.grid", text);
  if (trim(text).empty()) return axes;
  std::set<std::string> keys;
  std::size_t points = 1;
  for (const std::string& item : splitOn(text, ';')) {
    if (item.empty()) continue;  // a trailing ';'
    const auto eq = item.find('=');
    if (eq == std::string::npos)
      throw ConfigError("ensemble.grid: '" + item + "' needs the form key = value, value, ...");
    GridAxis axis;
    axis.key = trim(item.substr(0, eq));
    if (axis.key.empty()) throw ConfigError("ensemble.grid: '" + item + "' has no key");
    refuseEnsemblesOwnKey("ensemble.grid", axis.key);
    if (!keys.insert(axis.key).second) throw ConfigError("ensemble.grid: '" + axis.key + "' is given twice");
    std::set<std::string> texts;
    std::map<double, std::string> numbers;  // one value however it is written (300, 3e2, 300.0)
    for (const std::string& v : splitOn(item.substr(eq + 1), ',')) {
      if (v.empty()) throw ConfigError("ensemble.grid: '" + axis.key + "' has an empty value");
      if (!texts.insert(v).second)
        throw ConfigError("ensemble.grid: '" + axis.key + "' has the value '" + v + "' twice");
      char* end = nullptr;
      const double number = std::strtod(v.c_str(), &end);
      // Only finite numbers: NaN equals nothing (the map's order needs it
      // to), and the key's own check refuses a non-finite value by name.
      if (*end == '\0' && end != v.c_str() && std::isfinite(number)) {
        const auto [earlier, fresh] = numbers.emplace(number, v);
        if (!fresh)
          throw ConfigError("ensemble.grid: '" + axis.key + "' has the value '" + v + "' twice (as '" +
                            earlier->second + "')");
      }
      axis.values.push_back(v);
    }
    if (axis.values.empty()) throw ConfigError("ensemble.grid: '" + axis.key + "' has no values");
    points = cappedProduct(points, axis.values.size());
    checkRunCount("ensemble.grid", points, "its points");
    axes.push_back(axis);
  }
  if (axes.empty()) throw ConfigError("ensemble.grid: '" + text + "' gives no key = value, value, ...");
  return axes;
}

std::vector<Overrides> parseSets(const std::string& text) {
  std::vector<Overrides> sets;
  checkLength("ensemble.sets", text);
  for (const std::string& item : splitOn(text, ';')) {
    if (item.empty()) continue;  // a trailing ';'
    Overrides set;
    std::set<std::string> keys;
    for (const std::string& assignment : splitOn(item, ',')) {
      if (trim(assignment).empty())
        throw ConfigError("ensemble.sets: '" + item + "' has an empty assignment");
      const auto eq = assignment.find('=');
      if (eq == std::string::npos)
        throw ConfigError("ensemble.sets: '" + assignment + "' needs the form key = value");
      const std::string key = trim(assignment.substr(0, eq)), value = trim(assignment.substr(eq + 1));
      if (key.empty()) throw ConfigError("ensemble.sets: '" + assignment + "' has no key");
      if (value.empty()) throw ConfigError("ensemble.sets: '" + key + "' has an empty value");
      refuseEnsemblesOwnKey("ensemble.sets", key);
      if (!keys.insert(key).second)
        throw ConfigError("ensemble.sets: '" + key + "' is given twice in one set");
      set.emplace_back(key, value);
    }
    if (std::find(sets.begin(), sets.end(), set) != sets.end())
      throw ConfigError("ensemble.sets: the set '" + item + "' is given twice");
    sets.push_back(set);
  }
  if (sets.empty() && !trim(text).empty())
    throw ConfigError("ensemble.sets: '" + text + "' gives no key = value sets");
  return sets;
}

std::vector<Overrides> gridPoints(const std::vector<GridAxis>& grid) {
  std::size_t points = 1;
  for (const GridAxis& a : grid) points *= a.values.size();
  std::vector<Overrides> out;
  if (grid.empty()) return out;
  for (std::size_t point = 0; point < points; ++point) {
    Overrides overrides;
    std::size_t rest = point;
    for (std::size_t a = grid.size(); a-- > 0;) {
      const std::size_t n = grid[a].values.size();
      overrides.emplace_back(grid[a].key, grid[a].values[rest % n]);
      rest /= n;
    }
    std::reverse(overrides.begin(), overrides.end());
    out.push_back(overrides);
  }
  return out;
}

std::vector<EnsembleRun> ensembleRuns(const std::vector<GridAxis>& grid,
                                      const std::vector<std::uint64_t>& seeds, std::uint64_t fallback_seed) {
  return ensembleRuns(gridPoints(grid), seeds, fallback_seed);
}

std::vector<EnsembleRun> ensembleRuns(const std::vector<Overrides>& points,
                                      const std::vector<std::uint64_t>& seeds, std::uint64_t fallback_seed) {
  const std::vector<Overrides> all = points.empty() ? std::vector<Overrides>(1) : points;
  const std::vector<std::uint64_t> run_seeds =
      seeds.empty() ? std::vector<std::uint64_t>{fallback_seed} : seeds;
  checkRunCount("ensemble.seeds", cappedProduct(all.size(), run_seeds.size()),
                std::to_string(run_seeds.size()) + " seeds at " + std::to_string(all.size()) + " points");
  std::vector<EnsembleRun> runs;
  for (std::size_t point = 0; point < all.size(); ++point)
    for (std::uint64_t seed : run_seeds) runs.push_back(EnsembleRun{runs.size(), point, seed, all[point]});
  return runs;
}

RankGroups rankGroups(int ranks, std::size_t runs) {
  RankGroups g;
  g.groups = static_cast<int>(std::max<std::size_t>(1, std::min<std::size_t>(static_cast<std::size_t>(ranks), runs)));
  return g;
}

int RankGroups::group_of_rank(int rank, int ranks) const {
  const int size = std::max(1, ranks / groups);
  return std::min(rank / size, groups - 1);
}

std::string runOutputFile(const std::string& file, std::size_t index, std::size_t runs) {
  const std::string width_of = std::to_string(runs > 0 ? runs - 1 : 0);
  std::string digits = std::to_string(index);
  digits.insert(0, width_of.size() > digits.size() ? width_of.size() - digits.size() : 0, '0');
  const std::string stem = io::pathStem(file);
  return stem + "_" + digits + file.substr(stem.size());
}

std::vector<SimulationConfig> ensembleConfigs(
    const std::vector<EnsembleRun>& runs, const std::string& output_file,
    const std::function<SimulationConfig(const EnsembleRun&)>& parse) {
  std::vector<SimulationConfig> configs;
  configs.reserve(runs.size());
  std::map<std::size_t, std::size_t> parsed;  // grid point -> its first run's configuration
  for (const EnsembleRun& run : runs) {
    const auto first = parsed.find(run.point);
    if (first == parsed.end()) {
      parsed.emplace(run.point, configs.size());
      configs.push_back(parse(run));
      continue;
    }
    SimulationConfig config = configs[first->second];
    config.simulation.seed = static_cast<std::int64_t>(run.seed);
    config.output.file = runOutputFile(output_file, run.index, runs.size());
    configs.push_back(std::move(config));
  }
  return configs;
}

std::string networkOutputFile(const std::string& file, std::size_t first, std::size_t last,
                              std::size_t runs) {
  const std::string a = runOutputFile(file, first, runs), b = runOutputFile(file, last, runs);
  const std::string stem = io::pathStem(file);
  // "<stem>_<first>" + "-<last>" + extension
  return io::pathStem(a) + "-" + io::pathStem(b).substr(stem.size() + 1) + file.substr(stem.size());
}

std::string ensembleTableFile(const std::string& output_file) {
  return io::pathStem(output_file) + "_ensemble.tsv";
}

std::vector<std::pair<std::string, double>> summaryMetrics(const PopulationSummary& p) {
  return {{"rate_hz", p.rate_hz},
          {"cv_isi", p.cv_isi},
          {"burst_spike_fraction", p.burst_spike_fraction},
          {"surprise_burst_fraction", p.surprise_burst_fraction},
          {"synchrony_chi", p.synchrony_chi},
          {"peak_hz", p.peak_hz},
          {"beta_power", p.beta_power},
          {"relative_beta", p.relative_beta},
          {"beta_peak_hz", p.beta_peak_hz},
          {"beta_prominence", p.beta_prominence},
          {"spectral_entropy", p.spectral_entropy},
          {"flattened_entropy", p.flattened_entropy},
          {"pac_mi", p.pac_mi},
          {"pac_z", p.pac_z},
          {"beta_burst_rate_hz", p.beta_burst_rate_hz},
          {"beta_burst_mean_ms", p.beta_burst_mean_ms},
          {"beta_burst_amplitude", p.beta_burst_amplitude},
          {"pulse_latency_ms", p.pulse_latency_ms},
          {"pulse_locking_p", p.pulse_locking_p},
          {"error_index", p.error_index}};
}

std::vector<double> flattenSummary(const RunSummary& s) {
  std::vector<double> v;
  for (const PopulationSummary& p : s.populations) {
    v.push_back(static_cast<double>(p.size));
    v.push_back(static_cast<double>(p.spikes));
    for (const auto& [name, value] : summaryMetrics(p)) v.push_back(value);
    v.push_back(p.lfp_mean);
    v.push_back(p.welch_segment_ms);
  }
  for (const PairSummary& q : s.pairs) v.push_back(q.beta_coherence);
  v.push_back(static_cast<double>(s.steps));
  v.push_back(s.complete ? 1.0 : 0.0);
  v.push_back(s.wall_seconds);
  return v;
}

RunSummary unflattenSummary(const double* v, const RunSummary& like) {
  RunSummary s = like;
  for (PopulationSummary& p : s.populations) {
    p.size = static_cast<index_type>(*v++);
    p.spikes = static_cast<std::int64_t>(*v++);
    p.rate_hz = *v++;
    p.cv_isi = *v++;
    p.burst_spike_fraction = *v++;
    p.surprise_burst_fraction = *v++;
    p.synchrony_chi = *v++;
    p.peak_hz = *v++;
    p.beta_power = *v++;
    p.relative_beta = *v++;
    p.beta_peak_hz = *v++;
    p.beta_prominence = *v++;
    p.spectral_entropy = *v++;
    p.flattened_entropy = *v++;
    p.pac_mi = *v++;
    p.pac_z = *v++;
    p.beta_burst_rate_hz = *v++;
    p.beta_burst_mean_ms = *v++;
    p.beta_burst_amplitude = *v++;
    p.pulse_latency_ms = *v++;
    p.pulse_locking_p = *v++;
    p.error_index = *v++;
    p.lfp_mean = *v++;
    p.welch_segment_ms = *v++;
  }
  for (PairSummary& q : s.pairs) q.beta_coherence = *v++;
  s.steps = static_cast<std::int64_t>(*v++);
  s.complete = *v++ != 0;
  s.wall_seconds = *v++;
  s.failure.clear();
  s.phases = PhaseTimes{};
  return s;
}

RunSummary summaryShape(const SimulationConfig& config) {
  RunSummary s;
  for (const PopulationSettings& p : config.populations) {
    PopulationSummary q;
    q.name = p.name;
    q.size = static_cast<index_type>(p.n);
    s.populations.push_back(q);
  }
  // As Simulation::summarizePairs: every pair of populations with a membrane.
  for (std::size_t x = 0; x < config.populations.size(); ++x)
    for (std::size_t y = x + 1; y < config.populations.size(); ++y)
      if (hasMembranePotential(config.populations[x].params) &&
          hasMembranePotential(config.populations[y].params))
        s.pairs.push_back(PairSummary{config.populations[x].name, config.populations[y].name, 0.0});
  return s;
}

RunSummary failedRunSummary(const RunSummary& s) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  RunSummary failed = s;
  for (PopulationSummary& p : failed.populations) {
    const index_type size = p.size;
    const std::string name = p.name;
    p = PopulationSummary{};
    p.name = name;
    p.size = size;
    for (double* v : {&p.rate_hz,
                      &p.cv_isi,
                      &p.beta_power,
                      &p.relative_beta,
                      &p.beta_peak_hz,
                      &p.lfp_mean,
                      &p.beta_prominence,
                      &p.pac_mi,
                      &p.beta_burst_rate_hz,
                      &p.beta_burst_mean_ms,
                      &p.burst_spike_fraction,
                      &p.surprise_burst_fraction,
                      &p.peak_hz,
                      &p.spectral_entropy,
                      &p.flattened_entropy,
                      &p.pac_z,
                      &p.beta_burst_amplitude,
                      &p.pulse_latency_ms,
                      &p.pulse_locking_p,
                      &p.synchrony_chi,
                      &p.error_index,
                      &p.welch_segment_ms})
      *v = nan;
  }
  for (PairSummary& q : failed.pairs) q.beta_coherence = nan;
  failed.complete = false;
  return failed;
}

std::string ensembleTable(const std::vector<EnsembleRun>& runs, const std::vector<RunSummary>& summaries) {
  std::ostringstream out;
  if (runs.empty() || summaries.empty()) return "";
  out << "row\tpoint\tseed\toverrides\tpopulation\tn";
  for (const auto& [name, value] : summaryMetrics(PopulationSummary{})) out << '\t' << name;
  out << "\tbeta_coherence\tstatus\n";
  const std::size_t metric_count = summaryMetrics(PopulationSummary{}).size();
  const std::string no_metrics = [&] {
    std::string t;
    for (std::size_t m = 0; m < metric_count; ++m) t += "\tnan";
    return t;
  }();
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const std::string lead = "run " + std::to_string(runs[r].index) + "\t" + std::to_string(runs[r].point) + "\t" +
                             std::to_string(runs[r].seed) + "\t" + overridesText(runs[r]) + "\t";
    // A failed run's metrics are NaN, as undefined ones are: the status tells them apart.
    const char* status = summaries[r].complete ? "\tok\n" : "\tfailed\n";
    for (const PopulationSummary& p : summaries[r].populations) {
      out << lead << p.name << "\t1";
      for (const auto& [name, value] : summaryMetrics(p)) out << '\t' << number(value);
      out << "\tnan" << status;
    }
    for (const PairSummary& q : summaries[r].pairs)
      out << lead << q.a << "~" << q.b << "\t1" << no_metrics << '\t' << number(q.beta_coherence) << status;
  }
  // Each grid point's mean and sd over its runs.
  std::map<std::size_t, std::vector<std::size_t>> by_point;
  for (std::size_t r = 0; r < runs.size(); ++r) by_point[runs[r].point].push_back(r);
  for (const auto& [point, members] : by_point) {
    const RunSummary& first = summaries[members.front()];
    // mean and sd over the runs that define a metric, and how many do
    // (a NaN is an outcome too: no beta burst, no locking).
    for (const char* statistic : {"mean", "sd", "defined"}) {
      const bool mean = statistic[0] == 'm', defined = statistic[0] == 'd';
      const auto value = [&](const std::vector<double>& c) {
        if (defined)
          return static_cast<double>(
              std::count_if(c.begin(), c.end(), [](double x) { return !std::isnan(x); }));
        const MeanSd s = meanSd(c);
        return mean ? s.mean : s.sd;
      };
      const std::string lead = std::string(statistic) + "\t" + std::to_string(point) + "\t-\t" +
                               overridesText(runs[members.front()]) + "\t";
      for (std::size_t q = 0; q < first.populations.size(); ++q) {
        out << lead << first.populations[q].name;
        std::vector<std::vector<double>> columns(metric_count);
        for (std::size_t r : members) {
          const auto m = summaryMetrics(summaries[r].populations[q]);
          for (std::size_t c = 0; c < metric_count; ++c) columns[c].push_back(m[c].second);
        }
        out << '\t' << members.size();
        for (const auto& c : columns) out << '\t' << number(value(c));
        out << "\tnan\t-\n";
      }
      for (std::size_t q = 0; q < first.pairs.size(); ++q) {
        std::vector<double> c;
        for (std::size_t r : members) c.push_back(summaries[r].pairs[q].beta_coherence);
        out << lead << first.pairs[q].a << "~" << first.pairs[q].b << '\t' << members.size() << no_metrics
            << '\t' << number(value(c)) << "\t-\n";
      }
    }
  }
  return out.str();
}

std::string ensembleDigest(const std::vector<EnsembleRun>& runs, const std::vector<RunSummary>& summaries) {
  std::ostringstream out;
  if (runs.empty() || summaries.empty()) return "";
  std::map<std::size_t, std::vector<std::size_t>> by_point;
  for (std::size_t r = 0; r < runs.size(); ++r) by_point[runs[r].point].push_back(r);
  // Beta power too: a rhythm suppressed (DBS) lowers it where relative beta hardly moves.
  const char* shown[] = {"rate_hz",       "cv_isi",     "surprise_burst_fraction", "synchrony_chi", "peak_hz",
                         "relative_beta", "beta_power", "beta_prominence",         "pac_z"};
  char line[512];
  for (const auto& [point, members] : by_point) {
    out << "\n" << (runs[members.front()].overrides.empty() ? std::string("ensemble")
                                                             : "grid point " + std::to_string(point) + ": " +
                                                                   overridesText(runs[members.front()]))
        << " (" << members.size() << " run" << (members.size() == 1 ? "" : "s") << ", mean ± sd)\n";
    std::snprintf(line, sizeof line, "%-8s", "pop");
    out << line;
    // Columns of 19 characters, or the metric's name where longer.
    const auto width = [](const char* name) {
      return std::max<int>(19, static_cast<int>(std::strlen(name)));
    };
    for (const char* name : shown) {
      std::snprintf(line, sizeof line, " %*s", width(name), name);
      out << line;
    }
    out << '\n';
    const RunSummary& first = summaries[members.front()];
    for (std::size_t q = 0; q < first.populations.size(); ++q) {
      std::snprintf(line, sizeof line, "%-8s", first.populations[q].name.c_str());
      out << line;
      for (const char* name : shown) {
        std::vector<double> values;
        for (std::size_t r : members)
          for (const auto& [metric, v] : summaryMetrics(summaries[r].populations[q]))
            if (metric == name) values.push_back(v);
        const MeanSd s = meanSd(values);
        if (std::isnan(s.mean)) {
          std::snprintf(line, sizeof line, " %*s", width(name), "n/a");
          out << line;
        } else {
          // One defined value has no spread to show.
          if (std::isnan(s.sd))
            std::snprintf(line, sizeof line, "%9.4g ± %-7s", s.mean, "n/a");
          else
            std::snprintf(line, sizeof line, "%9.4g ± %-7.2g", s.mean, s.sd);
          out << std::string(static_cast<std::size_t>(width(name) - 18), ' ') << line;
        }
      }
      out << '\n';
    }
  }
  return out.str();
}

}  // namespace cbgtc
