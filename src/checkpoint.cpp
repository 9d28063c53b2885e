// Writing and reading checkpoints (checkpoint.hpp). Every array is keyed by
// global neuron (or source, or target) index: each rank's block is gathered
// on rank 0, which writes; on a restart every rank reads the file and takes
// its own block, whatever the number of ranks that wrote it.

#include "src/checkpoint.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <type_traits>

#include "io/hdf5_reader.hpp"
#include "io/options.hpp"
#include "io/spike_input.hpp"
#include "src/analysis/spike_stats.hpp"
#include "src/model_settings.hpp"
#include "src/simulation.hpp"
#include "src/stimuli.hpp"

namespace cbgtc {

namespace {

// Whether population p keeps its neurons' V moments: decided by the deck,
// the same on every rank, where the Views' extents are not (a rank that owns
// none of p's neurons has empty ones), so that every rank joins the
// collective writes (and reads the same datasets); so is countsRelay.
bool keepsVMoments(const SimulationConfig& config, const Population& p) {
  return hasMembranePotential(config.populations[p.position].params);
}

constexpr std::int64_t format_version = 3;

/// Keys a restart may change: how the run is executed, what it writes and
/// when it stops, and the settings of the analyses made once it has ended
/// (spectra, bands, PAC, the LFP's beta bursts, the threads). The analyses'
/// settings that the run accumulates with stay: burn-in, LFP sampling, spike
/// bursts, pulse histograms, relay and the Poisson-surprise trains.
bool excludedFromPhysics(const std::string& key) {
  for (const char* section : {"execution.", "output.", "checkpoint.", "ensemble."})
    if (key.rfind(section, 0) == 0) return true;
  static const std::set<std::string> after_the_run = {"analysis.segment_ms",
                                                      "analysis.beta_lo_hz",
                                                      "analysis.beta_hi_hz",
                                                      "analysis.total_lo_hz",
                                                      "analysis.total_hi_hz",
                                                      "analysis.gamma_lo_hz",
                                                      "analysis.gamma_hi_hz",
                                                      "analysis.peak_lo_hz",
                                                      "analysis.peak_hi_hz",
                                                      "analysis.burst_percentile",
                                                      "analysis.burst_min_duration_ms",
                                                      "analysis.burst_threshold_file",
                                                      "analysis.pac_surrogates",
                                                      "analysis.surprise_min",
                                                      "analysis.comodulogram",
                                                      "analysis.threads"};
  return key == "simulation.duration_ms" || after_the_run.count(key) > 0;
}

/// A View's values on the host as doubles (exact for every state type:
/// real_type, 32-bit integers, and 64-bit ones below 2^53).
template <class View>
std::vector<double> toDoubles(const View& view) {
  const auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), view);
  std::vector<double> out(host.extent(0));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<double>(host(i));
  return out;
}

/// values[first, first + view.extent(0)) into the View.
template <class View>
void fromDoubles(const View& view, const std::vector<double>& values, std::int64_t first) {
  const auto host = Kokkos::create_mirror_view(Kokkos::HostSpace(), view);
  using T = typename View::non_const_value_type;
  for (std::size_t i = 0; i < host.extent(0); ++i) host(i) = static_cast<T>(values[first + i]);
  Kokkos::deep_copy(view, host);
}

/// A 64-bit mix (splitmix64's finaliser).
KOKKOS_INLINE_FUNCTION std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

constexpr std::int64_t digest_prime = 2147483647;  // 2^31 − 1: sums over ranks stay within int64

/// This rank's part of a projection's connectivity digest
/// (Simulation::connectivityDigests); its local target 0 is `first_target`.
std::int64_t localDigest(const Projection& proj, std::int64_t first_target) {
  std::int64_t sum = 0;
  if (proj.synapseCount() == 0) return sum;
  const auto rows = proj.by_source.graph.row_map;
  const auto targets = proj.by_source.graph.entries;
  const auto weights = proj.by_source.values;
  const Kokkos::View<const delay_type*, MemorySpace> delays = proj.delays;
  const auto uniform_delay = static_cast<std::uint64_t>(proj.delay_steps);
  Kokkos::parallel_reduce(
      "cbgtc::Checkpoint::digest",
      Kokkos::RangePolicy<ExecutionSpace>(0, static_cast<std::int64_t>(proj.by_source.numRows())),
      KOKKOS_LAMBDA(const std::int64_t s, std::int64_t& total) {
        std::int64_t row = 0;  // below 2^31 − 1, so the rows' sum fits
        for (auto e = rows(s); e < rows(s + 1); ++e) {
          const std::uint64_t delay = delays.extent(0) > 0 ? delays(e) : uniform_delay;
          const std::uint64_t h =
              mix(mix(mix(static_cast<std::uint64_t>(s)) ^ static_cast<std::uint64_t>(first_target + targets(e))) ^
                  static_cast<std::uint64_t>(toQuanta(weights(e))) ^ (delay << 48));
          row = (row + static_cast<std::int64_t>(h % static_cast<std::uint64_t>(digest_prime))) % digest_prime;
        }
        total += row;
      },
      sum);
  return sum % digest_prime;
}

}  // namespace

std::vector<double> checkpointTimes(const std::string& text) {
  std::vector<double> times;
  if (text.find_first_not_of(" \t") == std::string::npos) return times;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) {
    const auto first = item.find_first_not_of(" \t");
    if (first == std::string::npos) throw ConfigError("checkpoint.at_ms: '" + text + "' has an empty item");
    item = item.substr(first, item.find_last_not_of(" \t") - first + 1);
    std::size_t used = 0;
    double t = -1;
    try {
      t = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || !(t >= 0) || !std::isfinite(t))
      throw ConfigError("checkpoint.at_ms: '" + item + "' is not a model time in ms (a number >= 0)");
    times.push_back(t);
  }
  return times;
}

step_type checkpointStep(double ms, double dt_ms, step_type epoch_steps) {
  return (stepsOf(ms, dt_ms) + epoch_steps - 1) / epoch_steps * epoch_steps;
}

std::vector<step_type> checkpointSteps(const SimulationConfig& config, step_type epoch_steps) {
  const double dt = config.simulation.dt_ms;
  const step_type n = config.stepCount();
  std::vector<step_type> steps;
  const auto add = [&](double ms) {
    const step_type k = checkpointStep(ms, dt, epoch_steps);
    if (k > 0 && k < n) steps.push_back(k);
  };
  for (double t : checkpointTimes(config.checkpoint.at_ms)) add(t);
  const double every = config.checkpoint.every_ms;
  if (every > 0)
    for (std::int64_t m = 1; static_cast<double>(m) * every < config.simulation.duration_ms; ++m)
      add(static_cast<double>(m) * every);
  std::sort(steps.begin(), steps.end());
  steps.erase(std::unique(steps.begin(), steps.end()), steps.end());
  return steps;
}

namespace {

/// A derived key: the stimulus the pulse-triggered histograms follow, which
/// without analysis.pulse_stimulus is the deck's first periodic train, so
/// a stimulus changed on a restart (stimuliNotStarted) could switch it.
const char* const pulse_histogram_key = "the pulse histograms' stimulus";

}  // namespace

io::AttributeList physicsKeys(const SimulationConfig& config) {
  SimulationConfig copy = config;  // (the table binds to the config it reads)
  io::AttributeList keys;
  for (auto& kv : io::makeOptionTable(copy).resolved())
    if (!excludedFromPhysics(kv.first)) keys.push_back(kv);
  const StimulusSettings* followed =
      pulseHistogramStimulus(config, config.populations.empty() ? "" : config.populations.front().name);
  keys.emplace_back(pulse_histogram_key, followed != nullptr ? followed->name : std::string("none"));
  return keys;
}

namespace {

/// "stimulus.<name>.<key>" -> name, or "" for other keys.
std::string stimulusOf(const std::string& key) {
  const std::string prefix = "stimulus.";
  if (key.rfind(prefix, 0) != 0) return "";
  const auto dot = key.find('.', prefix.size());
  return dot == std::string::npos ? "" : key.substr(prefix.size(), dot - prefix.size());
}

/// The stimuli whose keys may differ between a checkpoint (`saved`) and
/// its continuation (`now`): those of the same kind and population in
/// both that start at or after `checkpoint_ms` in both. Before its start a
/// stimulus adds no current, fires no axon and counts no pulse, so the
/// state at the checkpoint is the one the continuation's own deck gives.
std::set<std::string> stimuliNotStarted(const std::map<std::string, std::string>& saved,
                                        const std::map<std::string, std::string>& now, double checkpoint_ms) {
  std::set<std::string> names;
  for (const auto& [key, value] : now) {
    const std::string name = stimulusOf(key);
    if (name.empty()) continue;
    const std::string k = "stimulus." + name + ".";
    const auto same = [&](const char* field) {
      const auto a = saved.find(k + field), b = now.find(k + field);
      return a != saved.end() && b != now.end() && a->second == b->second;
    };
    const auto later = [&](const std::map<std::string, std::string>& keys) {
      const auto start = keys.find(k + "start_ms");
      if (start == keys.end()) return false;
      try {
        return std::stod(start->second) >= checkpoint_ms;
      } catch (const std::exception&) {
        return false;
      }
    };
    if (same("kind") && same("population") && later(saved) && later(now)) names.insert(name);
  }
  return names;
}

/// Why a stimulus's key may not differ here.
std::string stimulusHint(const std::string& key, double checkpoint_ms) {
  if (key == pulse_histogram_key)
    return " (without analysis.pulse_stimulus the histograms follow the deck's first periodic pulse train, "
           "and an irregular one, interval_cv > 0, has none: name the stimulus they follow with "
           "analysis.pulse_stimulus, in both runs)";
  const std::string name = stimulusOf(key);
  if (name.empty()) return "";
  const std::string k = "stimulus." + name + ".";
  if (key == k + "kind" || key == k + "population")
    return " (a stimulus's kind and population never change on a restart)";
  return " (a stimulus may change only where it starts at or after the checkpoint's time, " +
         io::formatNumber(checkpoint_ms) + " ms, in both)";
}

}  // namespace

void checkSamePhysics(const io::AttributeList& saved, const SimulationConfig& config, const std::string& path,
                      double checkpoint_ms) {
  // (A checkpoint of an earlier version may hold keys that are no longer
  // compared.)
  std::map<std::string, std::string> in_file;
  for (const auto& kv : saved)
    if (!excludedFromPhysics(kv.first)) in_file.insert(kv);
  const io::AttributeList now = physicsKeys(config);
  const std::set<std::string> not_started =
      stimuliNotStarted(in_file, std::map<std::string, std::string>(now.begin(), now.end()), checkpoint_ms);
  for (auto it = in_file.begin(); it != in_file.end();)
    it = not_started.count(stimulusOf(it->first)) > 0 ? in_file.erase(it) : std::next(it);
  for (const auto& [key, value] : now) {
    if (not_started.count(stimulusOf(key)) > 0) continue;
    const auto it = in_file.find(key);
    if (it == in_file.end() && key == pulse_histogram_key) continue;  // a checkpoint of an earlier version
    if (it == in_file.end())
      throw ConfigError(key + " is " + value + " here but not set in checkpoint '" + path +
                        "' (a run with other populations, projections, stimuli, records or analysis keys, or "
                        "of an earlier version): a restart needs the physics it was saved with" +
                        stimulusHint(key, checkpoint_ms));
    if (it->second != value)
      throw ConfigError(key + " is " + value + " here but " + it->second + " in checkpoint '" + path +
                        "': a restart needs the physics it was saved with" +
                        stimulusHint(key, checkpoint_ms));
    in_file.erase(it);
  }
  if (!in_file.empty())
    throw ConfigError(
        in_file.begin()->first + " is " + in_file.begin()->second + " in checkpoint '" + path +
        "' but not set in this run (a run with other populations, projections, stimuli, records "
        "or analysis keys): a restart needs the physics it was saved with" +
        stimulusHint(in_file.begin()->first, checkpoint_ms));
}

// Rank-invariant digests of each projection's synapses: a sum modulo
// 2^31 − 1 of a hash of every (source, global target, weight in quanta,
// delay), independent of their order and of how the targets are split over
// ranks; computed where the synapses are (no copy of them to the host).
std::vector<std::int64_t> Simulation::connectivityDigests() const {
  std::vector<std::int64_t> digests;
  for (const Projection& proj : _projections)
    digests.push_back(_comm.sum(localDigest(proj, _populations[proj.target].block.begin)) % digest_prime);
  return digests;
}

// Collective: gathers every rank's state, and rank 0 writes it. Called at
// the boundary of an epoch, after its exchange: the spikes of every step
// before k are delivered into the arrival rings, and nothing is on the way.
void Simulation::writeCheckpoint(step_type k, const std::string& path, bool overwrite) {
  const bool root = _comm.isRoot();
  std::unique_ptr<io::OutputWriter> w;
  std::string failure;
  // Rank 0's writes, while no earlier one has failed; the first failure is
  // kept, and the partial file goes with the writer.
  const auto attempt = [&](const auto& write) {
    if (!root || !w) return;
    try {
      write(*w);
    } catch (const io::OutputError& e) {
      failure = e.what();
      w.reset();
    }
  };
  if (root) {
    try {
      w = io::makeReportWriter(path, overwrite);
      io::AttributeList attributes = {{"cbgtc_checkpoint", "true"}, {"cbgtc_version", CBGTC_VERSION}};
      w->writeAttributes(attributes);
      w->writeIntegers("/checkpoint", {{"format_version", format_version},
                                       {"step", k},
                                       {"mpi_ranks", _comm.size()},
                                       {"real_bytes", static_cast<std::int64_t>(sizeof(real_type))}});
      w->writeNumbers("/checkpoint", {{"t_ms", static_cast<double>(k) * _config.simulation.dt_ms},
                                      {"dt_ms", _config.simulation.dt_ms}});
      w->writeDataset("/checkpoint", "physics", {}, physicsKeys(_config));
    } catch (const io::OutputError& e) {
      failure = e.what();
      w.reset();
    }
  }
  const std::vector<std::int64_t> digests = connectivityDigests();
  // One dataset of the gathered values (rank 0), or nothing after a
  // failure; each sealed with its values' digest, which a restart checks
  // (io::Hdf5Reader::doubles).
  const auto sealed = [](io::OutputWriter& out, const std::string& group, const std::string& name,
                         const std::vector<double>& values) {
    out.writeDataset(group, name, values, {{io::values_digest_attribute, io::valuesDigest(values)}});
  };
  const auto put = [&](const std::string& group, const std::string& name, const std::vector<double>& mine) {
    const std::vector<double> all = _comm.gatherToRoot(mine);
    attempt([&](io::OutputWriter& out) { sealed(out, group, name, all); });
  };
  // The same for values each rank holds part of a sum of.
  const auto putSummed = [&](const std::string& group, const std::string& name, std::vector<double> mine) {
    _comm.sum(mine);
    attempt([&](io::OutputWriter& out) { sealed(out, group, name, mine); });
  };

  for (Population& p : _populations) {
    const std::string g = "/populations/" + p.name;
    std::visit(
        [&](auto& m) {
          m.storage.forEachState([&](const char* name, const auto& view) {
            put(g, std::string("state_") + name, toDoubles(view));
          });
        },
        p.model);
    put(g, "ou", p.drive.ou.extent(0) > 0 ? toDoubles(p.drive.ou) : std::vector<double>(p.localSize(), 0.0));
    put(g, "lfp_partial", toDoubles(p.lfp_partial));
    put(g, "spikes_total", toDoubles(p.stats.total));
    put(g, "spikes_counted", toDoubles(p.stats.counted));
    put(g, "last_spike_ms", toDoubles(p.stats.last_ms));
    put(g, "isi_mean", toDoubles(p.stats.isi_mean));
    put(g, "isi_m2", toDoubles(p.stats.isi_m2));
    put(g, "burst_run", toDoubles(p.stats.run));
    put(g, "spikes_in_bursts", toDoubles(p.stats.in_burst));
    if (countsRelay(_config, p.name)) {
      put(g, "relay_pulse", toDoubles(p.stats.relayColumn(p.stats.relay_pulse)));
      put(g, "relay_in_window", toDoubles(p.stats.relay_in_window));
      put(g, "relay_answered", toDoubles(p.stats.relayColumn(p.stats.relay_answered)));
      put(g, "relay_bursts", toDoubles(p.stats.relayColumn(p.stats.relay_bursts)));
      put(g, "relay_spurious", toDoubles(p.stats.relayColumn(p.stats.relay_spurious)));
    }
    // The kept spike trains (§7.8), in the order of their neurons: each
    // one's count and the steps it holds (none once it has outgrown its
    // buffer: its metric is NaN).
    {
      std::vector<double> counts, held, steps;
      if (p.stats.train.extent(0) > 0) {
        const auto trains = p.stats.hostTrains();
        const std::int64_t capacity = p.stats.trainCapacity();
        for (std::size_t row = 0; row < trains.extent(0); ++row) {
          const std::int64_t kept = trains(row, 0);
          const std::int64_t n = kept > capacity ? 0 : kept;
          counts.push_back(static_cast<double>(kept));
          held.push_back(static_cast<double>(n));
          for (std::int64_t c = 0; c < n; ++c)
            steps.push_back(static_cast<double>(trains(row, static_cast<std::size_t>(c) + 1)));
        }
      }
      put(g, "surprise_counts", counts);
      put(g, "surprise_held", held);
      put(g, "surprise_steps", steps);
    }
    putSummed(g, "pulse_bins",
              p.stats.pulse_bins.extent(0) > 0 ? toDoubles(p.stats.pulse_bins) : std::vector<double>{});
    if (keepsVMoments(_config, p)) {
      const auto moments = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), p.v_moments);
      std::vector<double> sums(moments.extent(0)), squares(moments.extent(0));
      for (std::size_t i = 0; i < sums.size(); ++i) {
        sums[i] = moments(i, 0);
        squares[i] = moments(i, 1);
      }
      put(g, "v_sum_by_neuron", sums);
      put(g, "v_squares_by_neuron", squares);
    }
    // The LFP proxy and the voltage sums so far: every sample that ends
    // before step k, summed over the ranks.
    flushLfp(p, (k + _lfp.device_every - 1) / _lfp.device_every);
    putSummed(g, "lfp", p.lfp_host);
    if (p.v_sum.extent(0) > 0) putSummed(g, "v_sum", p.v_sum_host);
  }

  for (std::size_t q = 0; q < _projections.size(); ++q) {
    const Projection& proj = _projections[q];
    const Population& target = _populations[proj.target];
    const std::string g = "/projections/" + proj.name;
    const bool here = _conductances[q].extent(0) > 0;
    put(g, "g", here ? toDoubles(_conductances[q]) : std::vector<double>(target.localSize(), 0.0));
    // Pending arrivals as (steps after k, global target, quanta): quanta
    // split in two 32-bit halves, each exact in a double.
    std::vector<double> pending;
    if (here) {
      const auto ring = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), _rings[q]);
      const auto slots = static_cast<step_type>(ring.extent(0));
      for (step_type d = 0; d < slots; ++d) {
        const auto slot = static_cast<std::size_t>((k + d) % slots);
        for (std::size_t i = 0; i < ring.extent(1); ++i) {
          const std::int64_t quanta = ring(slot, i);
          if (quanta == 0) continue;
          pending.insert(pending.end(),
                         {static_cast<double>(d), static_cast<double>(target.block.begin + i),
                          static_cast<double>(quanta >> 32), static_cast<double>(quanta & 0xffffffffLL)});
        }
      }
    }
    put(g, "pending", pending);
    attempt([&](io::OutputWriter& out) {
      out.writeIntegers(g, {{"connectivity_digest", digests[q]}, {"max_delay_steps", proj.max_delay_steps}});
      out.writeDataset(
          g, "pending_columns", {},
          {{"columns", "steps after the checkpoint, target, quanta >> 32, quanta & 0xffffffff"}});
      if (!proj.plasticity.enabled()) return;
      std::vector<double> u, x, last;
      for (const ReleaseState& r : proj.release) {
        u.push_back(r.u);
        x.push_back(r.x);
        last.push_back(static_cast<double>(r.last_step));
      }
      sealed(out, g, "release_u", u);
      sealed(out, g, "release_x", x);
      sealed(out, g, "release_last_step", last);
    });
  }
  attempt([&](io::OutputWriter& out) {
    out.writeAttributes({{"complete", "true"}});
    out.finalize(static_cast<double>(k) * _config.simulation.dt_ms);
  });
  if (_comm.any(!failure.empty())) throw io::OutputError(root ? failure : "checkpoint failed on rank 0");
}

namespace {

// This rank's kept spike trains (§7.8) from the checkpoint's, which hold
// every kept neuron's in order. A train that had outgrown its buffer stays
// so (its metric NaN), whatever this run's buffer.
template <class Fail>
void restoreSurpriseTrains(const io::Hdf5Reader& file, const std::string& g, Population& p,
                           std::int64_t wanted, const Fail& fail) {
  const std::vector<double> counts = file.doubles(g + "/surprise_counts");
  const std::vector<double> held = file.doubles(g + "/surprise_held");
  const std::vector<double> steps = file.doubles(g + "/surprise_steps");
  const std::int64_t sampled = wanted > 0 ? std::min<std::int64_t>(wanted, p.size) : 0;
  if (static_cast<std::int64_t>(counts.size()) != sampled || held.size() != counts.size())
    fail(g + "/surprise_counts: kept spike trains of " + std::to_string(counts.size()) + " neurons, " +
         std::to_string(sampled) + " here (analysis.surprise_neurons)");
  const auto whole = [](double v) { return v >= 0 && v <= 9e15 && v == std::floor(v); };
  for (std::size_t j = 0; j < counts.size(); ++j)
    if (!whole(counts[j]) || !whole(held[j]) || held[j] > counts[j])
      fail(g +
           "/surprise_counts and surprise_held hold a count that is not a whole number >= 0 (held at most "
           "counted)");
  std::vector<std::size_t> offset(counts.size() + 1, 0);
  for (std::size_t j = 0; j < counts.size(); ++j)
    offset[j + 1] = offset[j] + static_cast<std::size_t>(held[j]);
  if (offset.back() != steps.size()) fail(g + "/surprise_steps has the wrong length");
  if (p.stats.train.extent(0) == 0) return;  // none of them on this rank
  const auto train = Kokkos::create_mirror_view(Kokkos::HostSpace(), p.stats.train);
  // Every row's count is set below; a train's steps past its count are never read.
  Kokkos::deep_copy(Kokkos::subview(train, Kokkos::ALL, 0), step_type(0));
  const std::int64_t capacity = p.stats.trainCapacity();
  for (index_type i = 0; i < p.localSize(); ++i) {
    const std::int64_t row = p.stats.trainRow(i);
    if (row < 0) continue;
    const auto r = static_cast<std::size_t>(row);
    const auto j =
        static_cast<std::size_t>(analysis::surpriseSamplePosition(p.firstGlobal() + i, p.size, wanted));
    const auto n = static_cast<std::int64_t>(held[j]);
    for (std::int64_t c = 0; c < std::min(n, capacity); ++c)
      train(r, static_cast<std::size_t>(c) + 1) =
          static_cast<step_type>(steps[offset[j] + static_cast<std::size_t>(c)]);
    const auto count = static_cast<std::int64_t>(counts[j]);
    train(r, 0) = count > n || n > capacity ? std::max(count, capacity + 1) : count;
  }
  Kokkos::deep_copy(p.stats.train, train);
}

}  // namespace

void checkCheckpointFile(const std::string& path, const SimulationConfig& config, step_type epoch_steps) {
  const auto fail = [&](const std::string& why) { throw ConfigError("checkpoint '" + path + "': " + why); };
  try {
    const io::Hdf5Reader file(path);
    if (!file.exists("/checkpoint") || file.text("/", "cbgtc_checkpoint") != "true")
      fail("not a cbgtc checkpoint");
    if (file.text("/", "complete") != "true") fail("incomplete");
    if (file.integer("/checkpoint", "format_version") != format_version)
      fail("format version " + std::to_string(file.integer("/checkpoint", "format_version")) +
           ", this build reads " + std::to_string(format_version));
    if (file.integer("/checkpoint", "real_bytes") != static_cast<std::int64_t>(sizeof(real_type)))
      fail("written by a build of another precision (CBGTC_PRECISION)");
    checkSamePhysics(file.texts("/checkpoint/physics"), config, path, file.number("/checkpoint", "t_ms"));
    const step_type k = file.integer("/checkpoint", "step");
    if (k < 0) fail("its step (" + std::to_string(k) + ") is negative");
    if (k >= config.stepCount())
      fail("its time (" + io::formatNumber(file.number("/checkpoint", "t_ms")) +
           " ms) is not before simulation.duration_ms");
    if (k % epoch_steps != 0) fail("its step is not at a spike exchange of this run");
    const double t_ms = file.number("/checkpoint", "t_ms"),
                 step_ms = static_cast<double>(k) * config.simulation.dt_ms;
    if (!(std::abs(t_ms - step_ms) <= 1e-9 * std::max(1.0, step_ms)))
      fail("its step (" + std::to_string(k) + ") and its time (" + io::formatNumber(t_ms) + " ms) disagree");
    for (const PopulationSettings& p : config.populations)
      for (const char* name : {"spikes_total", "spikes_counted", "last_spike_ms", "lfp_partial"}) {
        const std::string dataset = "/populations/" + p.name + "/" + name;
        const std::vector<double> values = file.doubles(dataset);
        if (values.size() != static_cast<std::size_t>(p.n)) fail(dataset + " has the wrong length");
        if (std::string(name).rfind("spikes_", 0) == 0)
          for (const double v : values)
            if (!(v >= 0 && v == std::floor(v)))
              fail(dataset + " holds a count that is not a whole number >= 0");
      }
  } catch (const io::OutputError& e) {
    throw ConfigError(e.what());
  }
}

// Collective: every rank reads the checkpoint and takes its own block.
// A refusal on any rank ends every rank alike, naming the first rank's
// reason: a rank checks the values it loads, and one that owns none of a
// projection's synapses loads fewer (a refusal there alone would leave the
// others waiting in the next collective).
void Simulation::restore(const std::string& path) {
  std::string refusal;
  try {
    restoreHere(path);
  } catch (const ConfigError& e) {
    refusal = e.what();
  }
  if (!_comm.any(!refusal.empty())) return;
  std::vector<double> text(refusal.begin(), refusal.end());
  text.push_back(0);  // each rank's text ends at a 0
  const std::vector<double> all = _comm.gatherToRoot(text);
  std::string first;
  for (const double c : all) {
    if (c == 0 && !first.empty()) break;
    if (c != 0) first.push_back(static_cast<char>(c));
  }
  throw ConfigError(first.empty() ? "checkpoint '" + path + "' refused on another rank" : first);
}

void Simulation::restoreHere(const std::string& path) {
  const auto fail = [&](const std::string& why) { throw ConfigError("checkpoint '" + path + "': " + why); };
  checkCheckpointFile(path, _config, _epoch_steps);
  try {
    const io::Hdf5Reader file(path);
    const step_type k = file.integer("/checkpoint", "step");
    const std::vector<std::int64_t> digests = connectivityDigests();
    for (std::size_t q = 0; q < _projections.size(); ++q)
      if (file.integer("/projections/" + _projections[q].name, "connectivity_digest") != digests[q])
        fail("projection " + _projections[q].name +
             " has other synapses here (the connectivity's code or inputs changed since it was written)");

    // Every value a run saves is finite (a run stops at a non-finite
    // state), so one that is not was never saved by a run.
    const auto finite = [&](const std::string& name, std::vector<double> v) {
      for (const double x : v)
        if (!std::isfinite(x)) fail(name + " holds a value that is not finite");
      return v;
    };
    // A dataset of one value per neuron of a population, checked.
    const auto perNeuron = [&](const std::string& name, const Population& p) {
      std::vector<double> v = finite(name, file.doubles(name));
      if (v.size() != static_cast<std::size_t>(p.size)) fail(name + " has the wrong length");
      return v;
    };
    for (Population& p : _populations) {
      const std::string g = "/populations/" + p.name;
      const std::int64_t first = p.block.begin;
      std::visit(
          [&](auto& m) {
            m.storage.forEachState([&](const char* name, const auto& view) {
              const std::vector<double> values = perNeuron(g + "/state_" + name, p);
              // A membrane potential the run could not have saved: it stops beyond ±10 V.
              if (std::string(name) == "V")
                for (const double v : values)
                  if (!(std::fabs(v) <= diverged_V_mV)) fail(g + "/state_V holds a potential beyond ±10 V");
              // A counter (steps left in a refractory period) out of its type's range would wrap.
              using Value = typename std::decay_t<decltype(view)>::value_type;
              if constexpr (std::is_integral_v<Value>)
                for (const double v : values)
                  if (!(v == std::floor(v) && v >= static_cast<double>(std::numeric_limits<Value>::min()) &&
                        v <= static_cast<double>(std::numeric_limits<Value>::max())))
                    fail(g + "/state_" + name + " holds a value that is no whole number of its range");
              fromDoubles(view, values, first);
            });
          },
          p.model);
      // Read and checked on every rank, also one that owns none of p's
      // neurons: a refusal must end every rank alike.
      const std::vector<double> ou = perNeuron(g + "/ou", p);
      if (p.drive.ou.extent(0) > 0) fromDoubles(p.drive.ou, ou, first);
      fromDoubles(p.lfp_partial, perNeuron(g + "/lfp_partial", p), first);
      fromDoubles(p.stats.total, perNeuron(g + "/spikes_total", p), first);
      fromDoubles(p.stats.counted, perNeuron(g + "/spikes_counted", p), first);
      fromDoubles(p.stats.last_ms, perNeuron(g + "/last_spike_ms", p), first);
      fromDoubles(p.stats.isi_mean, perNeuron(g + "/isi_mean", p), first);
      fromDoubles(p.stats.isi_m2, perNeuron(g + "/isi_m2", p), first);
      fromDoubles(p.stats.run, perNeuron(g + "/burst_run", p), first);
      fromDoubles(p.stats.in_burst, perNeuron(g + "/spikes_in_bursts", p), first);
      if (countsRelay(_config, p.name)) {
        fromDoubles(p.stats.relayColumn(p.stats.relay_pulse), perNeuron(g + "/relay_pulse", p), first);
        fromDoubles(p.stats.relay_in_window, perNeuron(g + "/relay_in_window", p), first);
        fromDoubles(p.stats.relayColumn(p.stats.relay_answered), perNeuron(g + "/relay_answered", p), first);
        fromDoubles(p.stats.relayColumn(p.stats.relay_bursts), perNeuron(g + "/relay_bursts", p), first);
        fromDoubles(p.stats.relayColumn(p.stats.relay_spurious), perNeuron(g + "/relay_spurious", p), first);
      }
      restoreSurpriseTrains(file, g, p, _config.analysis.surprise_neurons, fail);
      // Sums over ranks: all of them on rank 0, so that summing again
      // gives them back.
      const bool root = _comm.isRoot();
      if (p.stats.pulse_bins.extent(0) > 0) {
        std::vector<double> bins = file.doubles(g + "/pulse_bins");
        for (const double b : bins)
          if (!(b >= 0 && b == std::floor(b)))
            fail(g + "/pulse_bins holds a count that is not a whole number >= 0");
        // Another length: a pulse train changed before its start (checkSamePhysics), so nothing is counted
        // yet.
        const bool empty = std::all_of(bins.begin(), bins.end(), [](double b) { return b == 0; });
        if (bins.size() != p.stats.pulse_bins.extent(0) && empty)
          bins.assign(p.stats.pulse_bins.extent(0), 0.0);
        // A checkpoint from before the histograms were kept by blocks holds
        // one histogram: it continues as the first block (docs/model.md §7.8).
        if (bins.size() == static_cast<std::size_t>(p.stats.pulse_bin_count))
          bins.resize(p.stats.pulse_bins.extent(0), 0.0);
        if (bins.size() != p.stats.pulse_bins.extent(0)) fail(g + "/pulse_bins has the wrong length");
        if (!root) std::fill(bins.begin(), bins.end(), 0.0);
        fromDoubles(p.stats.pulse_bins, bins, 0);
      }
      if (keepsVMoments(_config, p)) {
        const std::vector<double> sums = perNeuron(g + "/v_sum_by_neuron", p);
        const std::vector<double> squares = perNeuron(g + "/v_squares_by_neuron", p);
        const auto host = Kokkos::create_mirror_view(Kokkos::HostSpace(), p.v_moments);
        for (std::size_t i = 0; i < host.extent(0); ++i) {
          host(i, 0) = sums[first + i];
          host(i, 1) = squares[first + i];
        }
        Kokkos::deep_copy(p.v_moments, host);
      }
      const std::int64_t samples = (k + _lfp.device_every - 1) / _lfp.device_every;
      p.lfp_host = finite(g + "/lfp", file.doubles(g + "/lfp"));
      if (static_cast<std::int64_t>(p.lfp_host.size()) != samples) fail(g + "/lfp has the wrong length");
      if (!root) std::fill(p.lfp_host.begin(), p.lfp_host.end(), 0.0);
      if (p.v_sum.extent(0) > 0) {
        p.v_sum_host = finite(g + "/v_sum", file.doubles(g + "/v_sum"));
        if (p.v_sum_host.size() != p.lfp_host.size()) fail(g + "/v_sum has the wrong length");
        if (!root) std::fill(p.v_sum_host.begin(), p.v_sum_host.end(), 0.0);
      }
      p.lfp_device_first = samples;
    }

    for (std::size_t q = 0; q < _projections.size(); ++q) {
      Projection& proj = _projections[q];
      const Population& target = _populations[proj.target];
      const std::string g = "/projections/" + proj.name;
      if (_conductances[q].extent(0) > 0) {
        const std::vector<double> g_values = perNeuron(g + "/g", target);
        // Weights are positive, so are the conductances they add to.
        for (const double v : g_values)
          if (!(v >= 0)) fail(g + "/g holds a negative conductance");
        fromDoubles(_conductances[q], g_values, target.block.begin);
        const std::vector<double> pending = file.doubles(g + "/pending");
        if (pending.size() % 4 != 0) fail(g + "/pending has the wrong length");
        const auto ring = Kokkos::create_mirror_view(Kokkos::HostSpace(), _rings[q]);
        Kokkos::deep_copy(ring, 0);
        // Each slot's stamp (ConductanceInput): the step of its arrivals, if it holds any.
        const auto stamps = Kokkos::create_mirror_view(Kokkos::HostSpace(), _ring_stamps[q]);
        Kokkos::deep_copy(stamps, -1);
        const auto slots = static_cast<step_type>(ring.extent(0));
        // Rows of (steps ahead, target, quanta / 2^32, quanta % 2^32), each a whole number in its range.
        const auto whole = [](double v, double lo, double hi) {
          return v == std::floor(v) && v >= lo && v < hi;
        };
        for (std::size_t j = 0; j < pending.size(); j += 4) {
          if (!whole(pending[j], 0, static_cast<double>(slots)))
            fail(g + "/pending holds an arrival that is not within this run's delays");
          if (!whole(pending[j + 1], 0, static_cast<double>(target.size)))
            fail(g + "/pending holds an arrival at a neuron " + target.name + " does not have");
          if (!whole(pending[j + 2], -2147483648.0, 2147483648.0) || !whole(pending[j + 3], 0, 4294967296.0))
            fail(g + "/pending holds an arrival that is not a whole number of quanta");
          const auto d = static_cast<step_type>(pending[j]);
          const auto t = static_cast<std::int64_t>(pending[j + 1]);
          if (t < target.block.begin || t >= target.block.end) continue;
          const std::int64_t quanta = static_cast<std::int64_t>(pending[j + 2]) * 4294967296LL +
                                      static_cast<std::int64_t>(pending[j + 3]);
          ring(static_cast<std::size_t>((k + d) % slots), static_cast<std::size_t>(t - target.block.begin)) =
              quanta;
          if (stamps.extent(0) > 0) stamps(static_cast<std::size_t>((k + d) % slots)) = k + d;
        }
        Kokkos::deep_copy(_rings[q], ring);
        Kokkos::deep_copy(_ring_stamps[q], stamps);
      }
      if (proj.plasticity.enabled()) {
        const std::vector<double> u = file.doubles(g + "/release_u"), x = file.doubles(g + "/release_x"),
                                  last = file.doubles(g + "/release_last_step");
        if (u.size() != proj.release.size() || x.size() != u.size() || last.size() != u.size())
          fail(g + "/release_* have the wrong length");
        // Fractions of the resources (docs/model.md §4.8).
        for (const auto& [name, values] : {std::pair{"release_u", &u}, std::pair{"release_x", &x}})
          for (const double v : *values)
            if (!(v >= 0 && v <= 1))
              fail(g + "/" + name + " holds a value out of range (a fraction in [0, 1])");
        // A source's last spike: a step before the checkpoint's, or −1 for none.
        for (const double v : last)
          if (!(v >= -1 && v < static_cast<double>(k) && v == std::floor(v)))
            fail(g + "/release_last_step holds a value that is no step before the checkpoint's (or -1)");
        for (std::size_t s = 0; s < u.size(); ++s)
          proj.release[s] = ReleaseState{u[s], x[s], static_cast<step_type>(last[s])};
      }
    }
    _start_step = k;
    _restored_from = path;
    for (Recording& r : _recordings) {
      const step_type every = r.plan.every_steps;
      r.first_sample = (k + every - 1) / every;
      r.filled = 0;
    }
    for (Population& p : _populations) updateProbes(p);
  } catch (const io::OutputError& e) {
    throw ConfigError(e.what());
  }
}

// The earlier run's files are where this run's will be (the same deck):
// output.file and each record file, still under their names while this
// run writes "<name>.partial".
void Simulation::copyOutputBefore(step_type k, io::OutputWriter* writer) const {
  const double dt_ms = _config.simulation.dt_ms;
  const double t_ms = static_cast<double>(k) * dt_ms;  // as every spike time: its step times dt
  if (_config.output.spikes)
    for (const Population& p : _populations) {
      if (!_config.populations[p.position].write_spikes) continue;
      std::vector<std::string> names = {p.name};
      if (p.drive.axonal) names.push_back(axonalSpikePopulation(p.name));
      for (const std::string& name : names) {
        const io::SpikeTable earlier = io::readSpikeFile(_config.output.file, name);
        std::vector<double> times;
        std::vector<std::uint64_t> ids;
        for (std::size_t j = 0; j < earlier.timestamps_ms.size(); ++j)
          if (earlier.timestamps_ms[j] < t_ms) {
            times.push_back(earlier.timestamps_ms[j]);
            ids.push_back(earlier.node_ids[j]);
          }
        writer->appendSpikes(name, times, ids);
      }
    }
  for (const Recording& r : _recordings)
    for (std::size_t v = 0; v < r.plan.variables.size(); ++v) {
      io::OutputWriter* w = r.writers.size() > v ? r.writers[v] : nullptr;
      if (!w) continue;
      const std::string& file = r.plan.variables[v].file.empty() ? _config.output.file : r.plan.variables[v].file;
      const std::string group = "/report/" + _populations[r.plan.population].name;
      const io::Hdf5Reader earlier(file);
      const std::vector<double> time = earlier.doubles(group + "/mapping/time");
      if (time.empty() || time[0] != 0.0)
        throw io::OutputError("'" + file + "': its report " + group + " does not start at 0 ms, so it is not the "
                              "run that wrote the checkpoint (checkpoint.append)");
      std::size_t columns = 0;
      const std::vector<float> rows = earlier.floats(group + "/data", columns);
      if (columns != r.plan.node_ids.size())
        throw io::OutputError("'" + file + "': its report " + group + " has other cells than this run's");
      const auto kept = std::min<std::size_t>(rows.size() / std::max<std::size_t>(columns, 1),
                                              static_cast<std::size_t>(r.first_sample));
      if (kept < static_cast<std::size_t>(r.first_sample))
        throw io::OutputError("'" + file + "': its report " + group + " ends before the checkpoint");
      w->appendReport(_populations[r.plan.population].name, rows.data(), kept);
    }
}

}  // namespace cbgtc
