// cbgtc: driver only. Parse → initialise Kokkos → open output → run → write.
//
// Exit codes: 0 success (also --help, --version, --kokkos-help,
// --validate), 2 invalid configuration or output location, 1 failure during
// the run, 128 + n stopped by signal n (the file is kept, marked
// incomplete). On a failure the output file is not created (the writer
// removes the .partial it created, and only that).

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/failsafe_writer.hpp"
#include "io/hdf5_reader.hpp"
#include "io/options.hpp"
#include "io/output_writer.hpp"
#include "io/run_info.hpp"
#include "io/spike_input.hpp"
#include "src/checkpoint.hpp"
#include "src/comm/communicator.hpp"
#include "src/comm/mpi_session.hpp"
#include "src/ensemble.hpp"
#include "src/memory_estimate.hpp"
#include "src/network_files.hpp"
#include "src/placement.hpp"
#include "src/record_plan.hpp"
#include "src/replicas.hpp"
#include "src/simulation.hpp"
#include "src/stimuli.hpp"

namespace {

// Set by SIGINT, SIGTERM or SIGHUP; the step loop stops at the next step,
// and what was recorded is written and the file closed, marked incomplete.
std::atomic<bool> stop_requested{false};
volatile std::sig_atomic_t stop_signal = 0;

constexpr int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};

// The first signal names the exit status; a second one, of any of the
// three, ends the process at once (the handlers go back to the default).
extern "C" void onStopSignal(int sig) {
  if (stop_signal == 0) stop_signal = sig;
  stop_requested.store(true);
  for (const int s : stop_signals) std::signal(s, SIG_DFL);
}

// Installed before any file exists, so that no signal but SIGKILL (or a
// second one) ends a run without closing its file; the file is kept
// readable up to its last flush even then. A signal the run was started
// ignoring stays ignored, as `nohup` and a shell's background jobs expect.
// A closed pipe on stdout (`cbgtc | head`) must not end the run: its output
// is the file. A file size limit (ulimit -f) makes writes fail like a full
// disk, reported as such, instead of killing the run.
void installSignalHandlers() {
  for (const int sig : stop_signals) {
    struct sigaction current {};
    if (sigaction(sig, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) continue;
    std::signal(sig, onStopSignal);
  }
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGXFSZ, SIG_IGN);
}

/// output.network's files may be written: the output files' checks, and
/// HDF5 in the build. Throws io::OutputError naming the file.
void checkNetworkFiles(const cbgtc::SimulationConfig& config) {
  std::vector<std::string> others = cbgtc::recordFiles(cbgtc::recordPlans(config));
  others.push_back(config.output.file);
  for (const std::string& file : cbgtc::networkFiles(config)) {
    for (const std::string& other : others)
      if (cbgtc::io::samePath(file, other))
        throw cbgtc::ConfigError("output.network: its file '" + file +
                                 "' is also the output file or a [record] section's file");
    if (!cbgtc::io::writesReportFiles())
      throw cbgtc::io::OutputError("'" + file +
                                   "': output.network writes SONATA HDF5 files, and this build has no "
                                   "HDF5");
    cbgtc::io::checkOutputLocation(file, config.output.overwrite);
  }
}

// Messages of libraries (Kokkos's allocation failure) span several lines;
// an error is one.
std::string oneLine(const std::string& text) {
  std::string line;
  for (const char c : text) {
    const bool space = c == '\n' || c == '\r' || c == '\t' || c == ' ';
    if (space && (line.empty() || line.back() == ' ')) continue;
    line += space ? ' ' : c;
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

/// A metric in a table column: "n/a" where it is undefined (NaN).
std::string cell(double value, int width, int precision) {
  char text[64];
  if (std::isnan(value))
    std::snprintf(text, sizeof text, "%*s", width, "n/a");
  else
    std::snprintf(text, sizeof text, "%*.*f", width, precision, value);
  return text;
}

/// Settings that run but do nothing a user would want them to (a stimulus
/// that drives no neuron, one over before the analysed window, nothing
/// analysed): each a warning line, before the run, as NEST and Brian2 warn.
/// `restart_step`: the step a restarted run begins at (0: from the start).
std::vector<std::string> runWarnings(const cbgtc::SimulationConfig& config, std::int64_t restart_step) {
  std::vector<std::string> warnings;
  const double burn_in_ms = config.analysis.burn_in_ms, end_ms = config.simulation.duration_ms;
  const auto ms = [](double v) { return cbgtc::io::formatNumber(v) + " ms"; };
  if (burn_in_ms >= end_ms)
    warnings.push_back("analysis.burn_in_ms (" + ms(burn_in_ms) + ") is not before the run's end (" +
                       ms(end_ms) + "): nothing will be analysed");
  else if (config.analysis.end_ms > end_ms)
    warnings.push_back("analysis.end_ms (" + ms(config.analysis.end_ms) + ") is after the run's end (" +
                       ms(end_ms) + "): the analysed window ends there");
  // A checkpoint file with no time that falls within the run: before its
  // end, and after the checkpoint a restarted run begins at.
  const cbgtc::CheckpointSettings& checkpoint = config.checkpoint;
  const std::vector<cbgtc::step_type> checkpoints = cbgtc::checkpointSteps(config, cbgtc::epochSteps(config));
  if (!checkpoint.file.empty() && !checkpoint.on_signal &&
      (checkpoints.empty() || checkpoints.back() <= restart_step))
    warnings.push_back(
        "checkpoint.file is set, but no checkpoint.at_ms or every_ms falls " +
        (restart_step > 0 ? "between the restart (" +
                                ms(static_cast<double>(restart_step) * config.simulation.dt_ms) + ") and "
                          : std::string("before ")) +
        "the run's end (" + ms(end_ms) + ") and on_signal is false: no checkpoint will be written");
  for (const cbgtc::StimulusSettings& st : config.stimuli) {
    const std::string key = "stimulus." + st.name;
    const cbgtc::StimulusKind kind = cbgtc::stimulusKind(st);
    if (!cbgtc::stimulusActs(st, config)) {
      const std::string why =
          !cbgtc::stimulusHasStrength(st)
              ? (kind == cbgtc::StimulusKind::Axonal ? "probability is 0" : "amplitude is 0")
          : st.electrode ? "the electrode reaches no neuron"
                         : "it names no neuron (fraction 0)";
      warnings.push_back(key + " drives no neuron: " + why);
    } else if (st.stop_ms >= 0 && st.stop_ms <= burn_in_ms && burn_in_ms < end_ms) {
      warnings.push_back(key + " stops at " + ms(st.stop_ms) +
                         ", before the analysed window (analysis.burn_in_ms " + ms(burn_in_ms) + ")");
    } else if (kind != cbgtc::StimulusKind::Dc && st.name != config.analysis.relay_stimulus &&
               st.frequency_hz >= config.analysis.beta_lo_hz &&
               st.frequency_hz <= config.analysis.beta_hi_hz) {
      // Its drive is a rhythm in the band: the beta metrics measure it too.
      // (A relay's sensorimotor pulses are an input by design, §7.9.)
      warnings.push_back(key + "'s " + cbgtc::io::formatNumber(st.frequency_hz) +
                         " Hz is in the beta band (" + cbgtc::io::formatNumber(config.analysis.beta_lo_hz) +
                         "-" + cbgtc::io::formatNumber(config.analysis.beta_hi_hz) +
                         " Hz): the beta metrics include the rhythm it imposes");
    }
  }
  return warnings;
}

/// Each warning of `runs` once on rank 0's stderr, naming the ensemble runs
/// it applies to where there are several runs; `restart_step` as runWarnings.
void printWarnings(const std::vector<cbgtc::SimulationConfig>& runs, bool root,
                   std::int64_t restart_step = 0) {
  if (!root) return;
  std::vector<std::pair<std::string, std::vector<std::size_t>>> seen;
  for (std::size_t r = 0; r < runs.size(); ++r)
    for (const std::string& w : runWarnings(runs[r], restart_step)) {
      auto at = std::find_if(seen.begin(), seen.end(), [&w](const auto& e) { return e.first == w; });
      if (at == seen.end()) at = seen.insert(seen.end(), {w, {}});
      at->second.push_back(r);
    }
  for (const auto& [warning, where] : seen) {
    std::string which;
    if (runs.size() > 1) {
      which = where.size() == runs.size() ? " (every run)" : " (ensemble run";
      if (where.size() < runs.size()) {
        which += where.size() == 1 ? " " : "s ";
        for (std::size_t k = 0; k < where.size() && k < 5; ++k)
          which += (k ? ", " : "") + std::to_string(where[k]);
        if (where.size() > 5) which += " and " + std::to_string(where.size() - 5) + " more";
        which += ")";
      }
    }
    std::fprintf(stderr, "cbgtc: warning: %s%s\n", warning.c_str(), which.c_str());
  }
}

/// The Welch segments the spectra used: analysis.segment_ms, or the whole
/// analysed trace where that is shorter.
std::string welchSegmentText(const cbgtc::SimulationConfig& config, const cbgtc::RunSummary& s) {
  if (config.analysis.burn_in_ms >= config.simulation.duration_ms)
    return "nothing analysed: analysis.burn_in_ms reaches the run's end";
  std::vector<double> used;
  for (const auto& p : s.populations)
    if (!std::isnan(p.welch_segment_ms) && p.welch_segment_ms > 0) used.push_back(p.welch_segment_ms);
  if (used.empty()) return "no spectrum: the analysed window is too short";
  const auto [lo, hi] = std::minmax_element(used.begin(), used.end());
  char text[96];
  if (*hi - *lo <= 1e-9 * *hi)
    std::snprintf(text, sizeof text, "Welch %g ms segments", *lo);
  else
    std::snprintf(text, sizeof text, "Welch %g to %g ms segments", *lo, *hi);
  return text;
}

void printSummary(const cbgtc::SimulationConfig& config, const cbgtc::RunSummary& s,
                  const std::string& file) {
  std::printf("\nmetrics after %g ms burn-in (spikes: the whole run; LFP proxy: summed |I_syn|, %s)\n",
              config.analysis.burn_in_ms,
              welchSegmentText(config, s).c_str());
  std::printf("%-6s %8s %10s %8s %6s %6s %6s %6s %7s %8s %9s %7s %6s %6s %8s\n", "pop", "neurons", "spikes",
              "rate_Hz", "CV_ISI", "burst", "PS_bst", "chi", "peak_Hz", "beta_rel", "beta_prom", "entropy",
              "flat_H", "PAC_z", "bursts/s");
  for (const auto& p : s.populations)
    std::printf("%-6s %8d %10lld %s %s %s %s %s %s %s %s %s %s %s %s\n", p.name.c_str(), p.size,
                static_cast<long long>(p.spikes), cell(p.rate_hz, 8, 2).c_str(), cell(p.cv_isi, 6, 3).c_str(),
                cell(p.burst_spike_fraction, 6, 3).c_str(), cell(p.surprise_burst_fraction, 6, 3).c_str(),
                cell(p.synchrony_chi, 6, 3).c_str(), cell(p.peak_hz, 7, 1).c_str(),
                cell(p.relative_beta, 8, 4).c_str(), cell(p.beta_prominence, 9, 2).c_str(),
                cell(p.spectral_entropy, 7, 3).c_str(), cell(p.flattened_entropy, 6, 3).c_str(),
                cell(p.pac_z, 6, 1).c_str(), cell(p.beta_burst_rate_hz, 8, 2).c_str());
  if (std::any_of(s.populations.begin(), s.populations.end(),
                  [](const auto& p) { return !std::isnan(p.pulse_latency_ms); })) {
    std::printf("pulse-triggered peak, ms after the onset:");
    for (const auto& p : s.populations) std::printf("  %s %s", p.name.c_str(), cell(p.pulse_latency_ms, 0, 2).c_str());
    std::printf("\n");
  }
  if (std::any_of(s.populations.begin(), s.populations.end(),
                  [](const auto& p) { return !std::isnan(p.error_index); })) {
    std::printf("relay error index (analysis.relay_stimulus):");
    for (const auto& p : s.populations)
      if (!std::isnan(p.error_index))
        std::printf("  %s %s", p.name.c_str(), cell(p.error_index, 0, 3).c_str());
    std::printf("\n");
  }
  if (!s.pairs.empty()) {
    std::printf("beta coherence:");
    for (const auto& q : s.pairs) std::printf("  %s-%s %s", q.a.c_str(), q.b.c_str(), cell(q.beta_coherence, 0, 3).c_str());
    std::printf("\n");
  }
  const std::int64_t steps = s.steps - s.first_step;  // run by this process
  const double model_s = static_cast<double>(steps) * config.simulation.dt_ms / 1000.0;
  std::printf("\n%lld steps of %g ms in %.3f s wall (real-time factor %.3g)%s\n",
              static_cast<long long>(steps), config.simulation.dt_ms, s.wall_seconds,
              s.wall_seconds > 0 ? model_s / s.wall_seconds : 0.0,
              s.complete ? "" : " - stopped early, output marked incomplete");
  if (steps > 0)
    std::printf("step loop: %.3f us per step\n", 1e6 * s.loop_seconds / static_cast<double>(steps));
  if (config.output.timers && steps > 0) {
    const double us = 1e6 / static_cast<double>(steps);
    std::printf("time per step by phase (rank 0): update %.2f us, delivery %.2f us, exchange %.2f us, "
                "output %.2f us\n",
                s.phases.update * us, s.phases.delivery * us, s.phases.exchange * us, s.phases.output * us);
  }
  if (!file.empty()) std::printf("output: %s\n", file.c_str());
}

/// The step of the checkpoint at `restart` (a checked checkpoint file), or 0
/// without one.
std::int64_t restartStep(const std::string& restart) {
  return restart.empty() ? 0 : cbgtc::io::Hdf5Reader(restart).integer("/checkpoint", "step");
}

/// The time of the checkpoint at `restart`, as the run computes it: its
/// step times dt (every spike time is a step times dt).
double checkpointTimeMs(const std::string& restart, double dt_ms) {
  return static_cast<double>(restartStep(restart)) * dt_ms;
}

/// checkpoint.append continues the output file of the run that wrote the
/// checkpoint: it must be there, and be that run's: its spikes before the
/// checkpoint, counted per neuron, are the checkpoint's counts (another
/// seed's or deck's file, put at that path, differs), and this run writes
/// the spikes it holds. Throws io::OutputError naming the file.
void checkAppendedSpikes(const cbgtc::SimulationConfig& config, const std::string& restart) {
  const std::string& file = config.output.file;
  if (!cbgtc::io::detail::pathExists(file))
    throw cbgtc::io::OutputError("checkpoint.append continues the output file of the run that wrote '" +
                                 restart + "', and '" + file +
                                 "' does not exist (give that run's output.file)");
  try {
    const cbgtc::io::Hdf5Reader earlier(file);
  } catch (const cbgtc::io::OutputError& e) {
    throw cbgtc::io::OutputError("checkpoint.append continues the output file of the run that wrote '" +
                                 restart + "', and '" + file + "' cannot be read (" + e.what() + ")");
  }
  const double t_ms = checkpointTimeMs(restart, config.simulation.dt_ms);
  // Without output.spikes the file that replaces it would hold none of the
  // spikes it holds. (population.*.write_spikes is the checkpoint's.)
  for (const cbgtc::PopulationSettings& p : config.populations) {
    if (config.output.spikes) break;
    std::size_t kept = 0;
    try {
      for (const double t : cbgtc::io::readSpikeFile(file, p.name).timestamps_ms) kept += t < t_ms ? 1 : 0;
    } catch (const cbgtc::io::OutputError&) {
      continue;  // none of p's spikes in it
    }
    if (kept > 0)
      throw cbgtc::io::OutputError(
          "checkpoint.append: '" + file + "' holds " + std::to_string(kept) + " spikes of " + p.name +
          " before " + cbgtc::io::formatNumber(t_ms) +
          " ms, which this run would drop (output.spikes = false): write them as the "
          "run that wrote it did, or continue into another output.file");
  }
  if (!config.output.spikes) return;
  const cbgtc::io::Hdf5Reader checkpoint(restart);
  for (const cbgtc::PopulationSettings& p : config.populations) {
    if (!p.write_spikes) continue;
    const std::vector<double> counts = checkpoint.doubles("/populations/" + p.name + "/spikes_total");
    cbgtc::io::SpikeTable earlier;
    try {
      earlier = cbgtc::io::readSpikeFile(file, p.name);
    } catch (const cbgtc::io::OutputError& e) {
      throw cbgtc::io::OutputError("checkpoint.append: '" + file +
                                   "' is not the output of the run that wrote '" + restart + "' (" +
                                   e.what() + ")");
    }
    std::vector<double> found(counts.size(), 0.0);
    for (std::size_t j = 0; j < earlier.timestamps_ms.size(); ++j)
      if (earlier.timestamps_ms[j] < t_ms && earlier.node_ids[j] < found.size()) ++found[earlier.node_ids[j]];
    for (std::size_t i = 0; i < found.size(); ++i)
      if (found[i] != counts[i])
        throw cbgtc::io::OutputError(
            "checkpoint.append: '" + file + "' is not the output of the run that wrote '" + restart +
            "': " + p.name + " neuron " + std::to_string(i) + " spikes " + cbgtc::io::formatNumber(found[i]) +
            " times in it before " + cbgtc::io::formatNumber(t_ms) + " ms, and " +
            cbgtc::io::formatNumber(counts[i]) + " times in that run");
  }
}

/// A continuation into a file of its own must not replace the output of the
/// run that wrote its checkpoint, which holds the spikes before it (the
/// first part's files keep them, docs/checkpoint.md); an earlier try of the
/// same continuation may be replaced. Throws ConfigError naming the file.
void checkFirstPartKept(const cbgtc::SimulationConfig& config, const std::string& restart) {
  const std::string& file = config.output.file;
  if (!cbgtc::io::detail::pathExists(file)) return;
  const double t_ms = checkpointTimeMs(restart, config.simulation.dt_ms);
  std::string wrote, continued;
  double continued_at_ms = -1;
  try {
    const cbgtc::io::Hdf5Reader earlier(file);
    if (!earlier.hasAttribute("/", "checkpoint.file")) return;
    wrote = earlier.text("/", "checkpoint.file");
    if (earlier.hasAttribute("/", "restarted_from")) {
      continued = earlier.text("/", "restarted_from");
      continued_at_ms = earlier.number("/", "restarted_at_ms");
    }
  } catch (const std::exception&) {
    return;  // not a cbgtc output: the output checks judge it
  }
  if (!cbgtc::io::samePath(wrote, restart)) return;
  if (!continued.empty() && cbgtc::io::samePath(continued, restart) && continued_at_ms == t_ms) return;
  throw cbgtc::ConfigError("output.file: '" + file + "' is the output of the run that wrote '" + restart +
                           "', with its spikes before " + cbgtc::io::formatNumber(t_ms) +
                           " ms, which this continuation would replace: give another output.file, or "
                           "checkpoint.append = true to continue that file");
}

/// How far the run that wrote `file` got (its stopped_at_ms), or −1 where
/// the file does not say.
double reachOfOutput(const std::string& file) {
  try {
    return cbgtc::io::Hdf5Reader(file).number("/", "stopped_at_ms");
  } catch (const std::exception&) {
    return -1;
  }
}

/// What a stopped or failed continuation (checkpoint.append) says of the
/// earlier run's file it leaves.
std::string keptEarlier(const std::string& file, double reach_ms) {
  return "'" + file + "', which reaches " + cbgtc::io::formatNumber(reach_ms) + " ms, is kept as it was";
}

/// checkpoint.append continues the reports too: each recording's file holds
/// its report from 0 ms, of the same cells, sampled as this run samples
/// (rows copied from a report of another interval would be labelled with
/// this run's). Throws io::OutputError naming the file and the report.
void checkAppendedReports(const cbgtc::SimulationConfig& config) {
  for (const cbgtc::RecordPlan& plan : cbgtc::recordPlans(config))
    for (const cbgtc::RecordPlan::Variable& v : plan.variables) {
      const std::string& file = v.file.empty() ? config.output.file : v.file;
      const std::string group = "/report/" + config.populations[plan.population].name;
      const std::string what = "checkpoint.append: '" + file + "': its report " + group;
      if (!cbgtc::io::detail::pathExists(file)) throw cbgtc::io::OutputError(what + " does not exist");
      const cbgtc::io::Hdf5Reader earlier(file);
      if (!earlier.exists(group + "/mapping/time"))
        throw cbgtc::io::OutputError(what + " is not in it (that run recorded other cells)");
      const std::vector<double> time = earlier.doubles(group + "/mapping/time");
      const double every_ms = static_cast<double>(plan.every_steps) * config.simulation.dt_ms;
      if (time.size() != 3 || time[0] != 0.0) throw cbgtc::io::OutputError(what + " does not start at 0 ms");
      if (std::abs(time[2] - every_ms) > 1e-9 * every_ms) {
        char text[160];
        std::snprintf(text, sizeof text, " is sampled every %.9g ms, this run every %.9g ms", time[2],
                      every_ms);
        throw cbgtc::io::OutputError(what + text);
      }
      if (earlier.ids(group + "/mapping/node_ids") != plan.node_ids)
        throw cbgtc::io::OutputError(what + " has other cells than this run's");
    }
}

/// The checkpoint file may be written, and the checkpoint to continue
/// (restart, or "") is one of this network. Throws io::OutputError or
/// ConfigError naming the file or the key.
void checkCheckpoints(const cbgtc::SimulationConfig& config, const std::string& restart) {
  const std::string& file = config.checkpoint.file;
  if (!file.empty()) {
    std::vector<std::string> others = cbgtc::recordFiles(cbgtc::recordPlans(config));
    for (const std::string& network_file : cbgtc::networkFiles(config)) others.push_back(network_file);
    for (const std::string& other : others)
      if (cbgtc::io::samePath(file, other))
        throw cbgtc::ConfigError("checkpoint.file: '" + file +
                                 "' is also a [record] section's or output.network's file");
    if (!cbgtc::io::writesReportFiles())
      throw cbgtc::io::OutputError("'" + file + "': checkpoints are HDF5 files, and this build has no HDF5");
    // A continued run may replace the checkpoint it continues from.
    try {
      cbgtc::io::checkOutputLocation(file, config.output.overwrite || file == restart);
    } catch (const cbgtc::io::OutputError& e) {
      throw cbgtc::io::OutputError(std::string("checkpoint.file: ") + e.what());
    }
  }
  if (config.checkpoint.append && restart.empty())
    throw cbgtc::ConfigError("checkpoint.append continues the output files of a restarted run: give --restart");
  if (!restart.empty()) {
    cbgtc::io::checkInputFile("--restart checkpoint", restart);
    cbgtc::checkCheckpointFile(restart, config, cbgtc::epochSteps(config));
    if (cbgtc::io::samePath(restart, config.output.file))
      throw cbgtc::ConfigError("output.file: '" + restart +
                               "' is the checkpoint this run continues (--restart), which it would replace");
    if (config.checkpoint.append) {
      checkAppendedSpikes(config, restart);
      checkAppendedReports(config);
    } else {
      checkFirstPartKept(config, restart);
    }
  }
}

/// `message` with the deck's names for a replica's ("STN~2" as "STN");
/// `first` gets the first replica named (npos: none).
std::string withoutReplicaTags(const std::string& message, std::size_t& first) {
  std::string text;
  first = std::string::npos;
  for (std::size_t i = 0; i < message.size(); ++i) {
    if (message[i] == '~' && i + 1 < message.size() &&
        std::isdigit(static_cast<unsigned char>(message[i + 1]))) {
      std::size_t end = i + 1;
      while (end < message.size() && std::isdigit(static_cast<unsigned char>(message[end]))) ++end;
      if (first == std::string::npos) first = std::stoul(message.substr(i + 1, end - i - 1));
      i = end - 1;
      continue;
    }
    text += message[i];
  }
  return text;
}

/// One run of `config` on `comm` (continued from the checkpoint `restart`
/// unless it is ""; the replicas merged into `config` when `replicas` is
/// not null, each writing its own output file, or when
/// `replicas_in_one_file` is, all writing config's, with replica_runs
/// saying which runs they are): its output files (none when `files` is
/// false: an ensemble's runs with ensemble.replica_files = none), and with
/// `verbose` its description, progress and table on stdout. Returns the exit
/// code (header comment), 0 where replicas failed but not all of them (they
/// are in summary.replica_failures); `summary` gets the run's summary.
/// `run_name` ("ensemble run 3"), where not empty, ends each error message.
int runOne(const cbgtc::SimulationConfig& config, const std::string& config_file,
           const cbgtc::comm::Communicator& comm, bool verbose, cbgtc::RunSummary& summary_out,
           const std::string& restart = "", const std::vector<cbgtc::SimulationConfig>* replicas = nullptr,
           const std::vector<cbgtc::SimulationConfig>* replicas_in_one_file = nullptr,
           const std::vector<cbgtc::EnsembleRun>& replica_runs = {}, bool files = true,
           const std::string& run_name = "") {
  const bool root = comm.isRoot();
  // Messages about a merged network of replicas use the deck's names and
  // say which run's file the (first) named section belongs to.
  const auto forUser = [replicas, replicas_in_one_file, &config, files,
                        &run_name](const std::string& message) -> std::string {
    if (!replicas && !replicas_in_one_file)
      return run_name.empty() ? message : message + " (" + run_name + ")";
    std::size_t replica = std::string::npos;
    const std::string text = withoutReplicaTags(message, replica);
    if (!replicas)
      return text +
             (replica == std::string::npos ? " (in " : " (replica " + std::to_string(replica) + " in ") +
             config.output.file + ")";
    if (replica < replicas->size())
      return text + (files ? " (the ensemble run writing " + (*replicas)[replica].output.file + ")"
                           : " (replica " + std::to_string(replica) + " of a network of " +
                                 std::to_string(replicas->size()) + " runs, ensemble.replicas)");
    return text + " (in a network of " + std::to_string(replicas->size()) + " runs, ensemble.replicas)";
  };
  // Rank 0 writes the output file and the [record] sections' report
  // files; the others learn whether it could.
  std::unique_ptr<cbgtc::io::OutputWriter> writer;
  cbgtc::ReplicaWriter* replica_writer = nullptr;  // writer, where each replica has a file
  std::vector<std::unique_ptr<cbgtc::io::OutputWriter>> report_writers;
  // 2: a location cannot be used (nothing was written); 1: the first
  // write failed (a full disk), and the files begun are removed.
  int output_failed = 0;
  // checkpoint.append: how far the earlier run's files reach. A continued
  // run that ends short of that, stopped or failed, leaves them as they
  // were: they hold all it would write, and more.
  double earlier_reach_ms = -1;
  if (root && files) {
    try {
      const std::vector<std::string> report_files = cbgtc::recordFiles(cbgtc::recordPlans(config));
      checkNetworkFiles(config);
      checkCheckpoints(config, restart);
      if (!restart.empty() && config.checkpoint.append) earlier_reach_ms = reachOfOutput(config.output.file);
      // checkpoint.append: the continued files replace the earlier run's.
      const bool replace = config.output.overwrite || (!restart.empty() && config.checkpoint.append);
      // The checkpoint's time, as the run computes it (its step times dt):
      // without checkpoint.append the spikes and reports begin there, and a
      // reader needs to know that the time before is absent, not silent.
      const double restarted_at_ms =
          restart.empty() ? 0.0 : checkpointTimeMs(restart, config.simulation.dt_ms);
      // An in-process ensemble's replicas have a file each, with their own
      // provenance (src/replicas.hpp).
      std::vector<const cbgtc::SimulationConfig*> runs = {&config};
      if (replicas) {
        runs.clear();
        for (const cbgtc::SimulationConfig& c : *replicas) runs.push_back(&c);
      }
      // A file of merged replicas records its first run's configuration,
      // and /replicas/j what each run changes: the merged network's would be
      // a copy of every key per replica, most of the file for small runs.
      std::optional<cbgtc::SimulationConfig> first_run;
      if (replicas_in_one_file) {
        first_run = replicas_in_one_file->front();
        first_run->output.file = config.output.file;
        runs = {&*first_run};
      }
      std::vector<std::unique_ptr<cbgtc::io::OutputWriter>> run_writers;
      for (const cbgtc::SimulationConfig* run : runs)
        run_writers.push_back(cbgtc::io::makeOutputWriter(run->output.file, replace));
      for (const std::string& file : report_files)
        report_writers.push_back(cbgtc::io::makeReportWriter(file, replace));
      output_failed = 1;
      const auto writeProvenance = [&](cbgtc::io::OutputWriter& w, const cbgtc::SimulationConfig& run) {
        cbgtc::io::AttributeList attributes = cbgtc::io::buildAttributes();
        attributes.emplace_back("config_file", config_file);
        if (!restart.empty()) attributes.emplace_back("restarted_from", restart);
        cbgtc::SimulationConfig resolved = run;  // (the table binds to a config it may change)
        cbgtc::io::Provenance provenance = cbgtc::io::makeOptionTable(resolved).provenance();
        for (auto& kv : provenance.text) attributes.push_back(kv);
        provenance.integers.emplace_back("seed", run.simulation.seed);
        provenance.integers.emplace_back("mpi_ranks", comm.size());
        if (!restart.empty()) provenance.reals.emplace_back("restarted_at_ms", restarted_at_ms);
        w.writeAttributes(attributes);
        w.writeNumbers("/", provenance.reals);
        w.writeIntegers("/", provenance.integers);
      };
      for (std::size_t r = 0; r < runs.size(); ++r) writeProvenance(*run_writers[r], *runs[r]);
      // One file of merged replicas: which run each "<name>~<r>" is.
      for (std::size_t r = 0; replicas_in_one_file && r < replicas_in_one_file->size(); ++r) {
        const std::string group = "/replicas/" + std::to_string(r);
        std::string values;
        for (const auto& [key, value] : replica_runs[r].overrides)
          values += (values.empty() ? "" : " ") + key + "=" + value;
        run_writers.front()->writeIntegers(group, {{"run", static_cast<std::int64_t>(replica_runs[r].index)},
                                                   {"seed", (*replicas_in_one_file)[r].simulation.seed}});
        run_writers.front()->writeDataset(
            group, "overrides", {},
            {{"values", values.empty() ? "-" : values},
             {"description", "the run's grid point or set; its sections are <name>~" + std::to_string(r) +
                                 " in this file"}});
      }
      for (auto& w : report_writers) writeProvenance(*w, config);
      if (replicas) {
        auto each = std::make_unique<cbgtc::ReplicaWriter>(std::move(run_writers));
        replica_writer = each.get();
        writer = std::move(each);
      } else
        writer = std::move(run_writers.front());
      output_failed = 0;
    } catch (const cbgtc::io::OutputError& e) {
      std::fprintf(stderr, "cbgtc: error: %s\n", forUser(e.what()).c_str());
      writer.reset();
      report_writers.clear();
      if (output_failed == 0) output_failed = 2;
    } catch (const cbgtc::ConfigError& e) {
      std::fprintf(stderr, "cbgtc: error: %s\n", forUser(e.what()).c_str());
      writer.reset();
      report_writers.clear();
      output_failed = 2;
    }
  }
  std::vector<std::int64_t> verdict = {-output_failed};
  comm.min(verdict);  // the root's verdict, on every rank
  if (verdict[0] != 0) return static_cast<int>(-verdict[0]);
  cbgtc::io::FailSafeWriter output(std::move(writer), &stop_requested);
  std::vector<std::unique_ptr<cbgtc::io::FailSafeWriter>> reports;
  std::vector<cbgtc::io::OutputWriter*> report_outputs;
  for (auto& w : report_writers) {
    reports.push_back(std::make_unique<cbgtc::io::FailSafeWriter>(std::move(w), &stop_requested));
    report_outputs.push_back(reports.back().get());
  }
  // The first failed file's error, or "".
  const auto outputError = [&]() -> std::string {
    for (const auto& r : reports)
      if (r->failed()) return r->error();
    return output.failed() ? output.error() : std::string();
  };
  const auto abandonAll = [&] {
    output.abandon();
    for (auto& r : reports) r->abandon();
  };

  try {
    if (root && verbose) {
      std::string populations;
      for (const auto& p : config.populations)
        populations += (populations.empty() ? "" : ", ") + p.name + " " + std::to_string(p.n);
      std::printf("cbgtc %s: %s neurons; %g ms at dt %g ms; seed %lld; %s; %d rank%s\n", CBGTC_VERSION,
                  populations.c_str(), config.simulation.duration_ms, config.simulation.dt_ms,
                  static_cast<long long>(config.simulation.seed), cbgtc::ExecutionSpace::name(), comm.size(),
                  comm.size() == 1 ? "" : "s");
    }
    std::fflush(stdout);
    cbgtc::RunSummary& summary = summary_out;
    const auto build_start = std::chrono::steady_clock::now();
    double build_s = 0;
    {
      cbgtc::Simulation simulation(config, comm, &stop_requested);
      if (!restart.empty()) simulation.restore(restart);
      if (verbose)  // (an ensemble's runs: once for all, in runEnsemble)
        printWarnings({config}, root, root ? restartStep(restart) : 0);
      build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - build_start).count();
      const std::int64_t synapses = simulation.synapseCount();
      const std::size_t bytes = simulation.synapseBytes();
      std::vector<long long> per_projection;
      for (const auto& p : simulation.projections()) per_projection.push_back(comm.sum(p.synapseCount()));
      if (root && verbose) {
        std::printf("synapses: %lld in %zu projections, %.3g MB (%.2f bytes per synapse, row offsets included)\n",
                    static_cast<long long>(synapses), simulation.projections().size(), bytes / 1e6,
                    synapses > 0 ? static_cast<double>(bytes) / synapses : 0.0);
        for (std::size_t k = 0; k < per_projection.size(); ++k) {
          const auto& p = simulation.projections()[k];
          const auto& s = config.projections[k];
          std::printf("  %-12s %s -> %s: %lld synapses, delay %d..%d steps\n", p.name.c_str(), s.source.c_str(),
                      s.target.c_str(), per_projection[k], p.delay_steps, p.max_delay_steps);
        }
        std::printf("spike exchange every %lld steps (the smallest delay)\n",
                    static_cast<long long>(simulation.epochSteps()));
        if (simulation.lanesPerNeuron() > 1)
          std::printf("%d GPU lanes per neuron (execution.lanes_per_neuron)\n", simulation.lanesPerNeuron());
        for (const auto& st : config.stimuli) {
          if (!st.electrode) continue;
          const double radius_um = cbgtc::electrodeReach(st, config).radius_um;
          for (const auto& pop : config.populations) {
            if (!cbgtc::isPlaced(pop) || cbgtc::replicaTag(pop.name) != cbgtc::replicaTag(st.name)) continue;
            const cbgtc::ElectrodeReach reach = cbgtc::electrodeReach(st, config, pop);
            std::printf("stimulus %s: the electrode reaches %lld of %s (%.1f %%) within %.0f um%s\n",
                        st.name.c_str(), static_cast<long long>(reach.activated), pop.name.c_str(),
                        100 * reach.fraction, radius_um, pop.name == st.population ? " (driven)" : "");
          }
        }
        std::printf("network built in %.3f s\n", build_s);
        if (!restart.empty())
          std::printf("continuing from %s at %g ms\n", restart.c_str(),
                      static_cast<double>(simulation.startStep()) * config.simulation.dt_ms);
      }
      std::fflush(stdout);
      if (config.output.network) {
        // Collective; rank 0 writes. A file it cannot write (its location
        // was checked before: a full disk) ends the run before its first
        // step, taking the output files begun with it, as a failed write
        // during the run does.
        std::string failed;
        try {
          cbgtc::writeNetworkFiles(config, simulation, comm);
        } catch (const cbgtc::io::OutputError& e) {
          failed = e.what();
        }
        if (comm.any(!failed.empty())) {
          abandonAll();
          if (root) std::fprintf(stderr, "cbgtc: error: %s\n", forUser(failed).c_str());
          return 1;
        }
        if (root && verbose)
          std::printf("network: %s (SONATA nodes and edges)\n", cbgtc::networkFiles(config)[2].c_str());
      }
      // Without files the run keeps its spikes on the device and writes
      // nothing; its summary is the same.
      summary = simulation.run(root && files ? &output : nullptr, &stop_requested,
                               root && verbose ? stdout : nullptr, report_outputs);
    }
    const double stop_ms = static_cast<double>(summary.steps) * config.simulation.dt_ms;
    const bool keep_earlier = !summary.complete && stop_ms <= earlier_reach_ms;
    const std::string incomplete = !files ? std::string("it writes no file (ensemble.replica_files = none)")
                                   : keep_earlier ? keptEarlier(config.output.file, earlier_reach_ms)
                                                  : std::string("output is marked incomplete");
    if (root && keep_earlier) {
      abandonAll();
    } else if (root) {
      cbgtc::io::AttributeList end = {{"complete", summary.complete ? "true" : "false"}};
      if (!summary.failure.empty()) end.emplace_back("failure", summary.failure);
      const cbgtc::io::NumberList stopped = {{"stopped_at_ms", stop_ms}};
      // A file that failed during the run takes the others with it; then
      // the reports first: the output file appears only when they all did.
      if (!outputError().empty()) abandonAll();
      // A replica that failed alone: its file (or its part of the network's)
      // ends as its run alone would have, marked failed.
      for (const auto& [r, f] : summary.replica_failures) {
        if (!outputError().empty()) break;
        const double replica_stop_ms = static_cast<double>(f.steps) * config.simulation.dt_ms;
        std::size_t named = 0;
        if (replica_writer)
          replica_writer->markFailed(r, withoutReplicaTags(f.failure, named), replica_stop_ms);
        if (replicas_in_one_file)
          output.writeDataset("/replicas/" + std::to_string(r), "failure", {}, {{"message", f.failure}},
                              {{"stopped_at_ms", replica_stop_ms}});
      }
      for (auto& r : reports) {
        r->writeAttributes(end);
        r->writeNumbers("/", stopped);
        r->finalize(stop_ms);
      }
      if (!outputError().empty()) output.abandon();
      output.writeAttributes(end);
      output.writeNumbers("/", stopped);
      if (config.output.timers)
        output.writeNumbers("/timers", {{"update_s", summary.phases.update},
                                        {"delivery_s", summary.phases.delivery},
                                        {"exchange_s", summary.phases.exchange},
                                        {"output_s", summary.phases.output},
                                        {"wall_s", summary.wall_seconds},
                                        {"steps", static_cast<double>(summary.steps - summary.first_step)},
                                        {"ranks", static_cast<double>(comm.size())}});
      output.finalize(stop_ms);
      // An ensemble's network (which prints no run summary of its own):
      // where its time went, the analyses and files being what the steps
      // leave of the whole.
      if (!verbose && config.output.timers) {
        const double total_s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - build_start).count();
        const auto steps = static_cast<long long>(summary.steps - summary.first_step);
        std::printf(
            "network %s: built in %.3f s, %lld steps in %.3f s (%.3g us per step), analyses and files %.3f "
            "s\n",
            files ? output.path().c_str() : "(no file)", build_s, steps, summary.loop_seconds,
            steps > 0 ? 1e6 * summary.loop_seconds / static_cast<double>(steps) : 0.0,
            total_s - build_s - summary.loop_seconds);
        std::fflush(stdout);
      }
    }
    // A failed write (a full disk) stopped every rank at the next exchange.
    if (comm.any(root && !outputError().empty())) {
      if (root) std::fprintf(stderr, "cbgtc: error: %s\n", forUser(outputError()).c_str());
      return 1;
    }
    if (root && verbose) printSummary(config, summary, output.path());
    // Each failed replica's own failure (runEnsemble marks them from their
    // summaries; where only some failed, the network ran: exit code 0).
    if (root)
      for (const auto& [r, f] : summary.replica_failures)
        std::fprintf(stderr, "cbgtc: error: %s; %s\n", forUser(f.failure).c_str(),
                     !files                 ? "it writes no file (ensemble.replica_files = none)"
                     : replicas_in_one_file ? ("its part of the file is marked failed (/replicas/" +
                                               std::to_string(r) + "/failure)")
                                                  .c_str()
                                            : "its output is marked incomplete");
    if (!summary.failure.empty()) {
      if (root && summary.replica_failures.empty())
        std::fprintf(stderr, "cbgtc: error: %s; %s\n", forUser(summary.failure).c_str(), incomplete.c_str());
      return 1;
    }
    if (!summary.complete) {
      const int sig = stop_signal != 0 ? static_cast<int>(stop_signal) : SIGTERM;
      if (root)
        std::fprintf(stderr, "cbgtc: stopped by signal %d at %g ms; %s\n", sig, stop_ms, incomplete.c_str());
      return 128 + sig;
    }
  } catch (const cbgtc::ConfigError& e) {
    // Found while building (the memory estimate, on every rank alike): bad
    // input, as at parsing.
    abandonAll();  // removes the partial files
    if (root) std::fprintf(stderr, "cbgtc: error: %s\n", forUser(e.what()).c_str());
    return 2;
  } catch (const cbgtc::Interrupted&) {
    // A signal while the network was being built (every rank throws): the
    // run stops before its first step, as it would at any other.
    const int sig = stop_signal != 0 ? static_cast<int>(stop_signal) : SIGTERM;
    if (root && earlier_reach_ms >= 0) {
      abandonAll();
      std::fprintf(stderr, "cbgtc: stopped by signal %d while building the network; %s\n", sig,
                   keptEarlier(config.output.file, earlier_reach_ms).c_str());
    } else if (root) {
      for (auto* w : report_outputs) {
        w->writeAttributes({{"complete", "false"}});
        w->writeNumbers("/", {{"stopped_at_ms", 0.0}});
        w->finalize(0.0);
      }
      output.writeAttributes({{"complete", "false"}});
      output.writeNumbers("/", {{"stopped_at_ms", 0.0}});
      output.finalize(0.0);
      std::fprintf(stderr, "cbgtc: stopped by signal %d while building the network; output is marked incomplete\n",
                   sig);
    }
    return 128 + sig;
  } catch (const cbgtc::BuildFailure& e) {
    // Every rank is here: rank 0 removes its partial files before any ends.
    abandonAll();
    // Ranks often fail alike (an allocation): the first failed one speaks.
    if (e.failedHere() && comm.firstToFail()) {
      // Bad input is the same on every rank; a rank's memory is its own.
      const bool name_rank = comm.size() > 1 && !e.badInput();
      const std::string rank = name_rank ? "rank " + std::to_string(comm.rank()) + ": " : "";
      std::fprintf(stderr, "cbgtc: error: %s%s\n", rank.c_str(), forUser(oneLine(e.what())).c_str());
    }
    return e.badInput() ? 2 : 1;
  } catch (const std::exception& e) {
    abandonAll();  // removes the partial files
    // Ranks often fail alike (an allocation): the first one speaks.
    if (comm.firstToFail()) {
      const std::string rank = comm.size() > 1 ? "rank " + std::to_string(comm.rank()) + ": " : "";
      std::fprintf(stderr, "cbgtc: error: %s%s\n", rank.c_str(), forUser(oneLine(e.what())).c_str());
    }
    // Other ranks may be waiting in a collective: end them all.
    if (comm.size() > 1) comm.abort(1);
    return 1;
  }
  return 0;
}

/// What an ensemble ([ensemble] seeds, grid or sets) runs: every run's
/// configuration, parsed before the first starts (so that a bad value stops
/// the ensemble before anything is written), grouped into units of
/// ensemble.replicas runs merged into one network (src/replicas.hpp).
/// Throws ConfigError naming the key (and the run).
struct EnsemblePlan {
  // What one group of ranks runs at a time: one run, or replicas of runs
  // merged into one network.
  struct Unit {
    std::size_t first = 0, count = 1;  // runs[first, first + count)
    std::vector<cbgtc::SimulationConfig> replicas;
    std::optional<cbgtc::SimulationConfig> merged;
    bool one_file = false;  // the merged network's own file (ensemble.replica_files = one)
  };
  std::vector<cbgtc::EnsembleRun> runs;
  std::vector<cbgtc::SimulationConfig> configs;
  std::vector<Unit> units;
  std::string table;
  bool files = true;  // the runs write their files (ensemble.replica_files is not none)
};

EnsemblePlan planEnsemble(const char* program, const cbgtc::io::CommandLine& base,
                          const std::map<std::string, std::string>& decks) {
  EnsemblePlan plan;
  const auto seeds = cbgtc::parseSeeds(base.config.ensemble.seeds);
  const auto grid = cbgtc::parseGrid(base.config.ensemble.grid);
  const auto sets = cbgtc::parseSets(base.config.ensemble.sets);
  if (!grid.empty() && !sets.empty())
    throw cbgtc::io::ConfigError("ensemble.sets and ensemble.grid: give one of them, not both");
  plan.runs =
      cbgtc::ensembleRuns(sets.empty() ? cbgtc::gridPoints(grid) : sets, seeds, base.config.simulation.seed);
  const std::string& file = base.config.output.file;
  plan.table =
      base.config.ensemble.table.empty() ? cbgtc::ensembleTableFile(file) : base.config.ensemble.table;
  const cbgtc::io::DeckReader cached = [&decks](const std::string& path) { return decks.at(path); };
  const auto parse = [&](const cbgtc::EnsembleRun& run) {
    // The command line's own values of the keys the ensemble sets give way.
    std::vector<std::string> set_keys = {"output.file"};
    if (!seeds.empty()) set_keys.push_back("simulation.seed");
    for (const auto& kv : run.overrides) set_keys.push_back(kv.first);
    std::vector<std::string> args = {program};
    for (const auto& [key, tokens] : base.arguments)
      if (std::find(set_keys.begin(), set_keys.end(), key) == set_keys.end())
        args.insert(args.end(), tokens.begin(), tokens.end());
    if (!seeds.empty()) args.push_back("--simulation.seed=" + std::to_string(run.seed));
    args.push_back("--output.file=" + cbgtc::runOutputFile(file, run.index, plan.runs.size()));
    for (const auto& [key, value] : run.overrides) args.push_back("--" + key + "=" + value);
    std::vector<const char*> pointers;
    for (const auto& a : args) pointers.push_back(a.c_str());
    try {
      return cbgtc::io::parseCommandLine(static_cast<int>(pointers.size()), pointers.data(), cached).config;
    } catch (const cbgtc::io::ConfigError& e) {
      throw cbgtc::io::ConfigError("ensemble run " + std::to_string(run.index) + ": " + e.what());
    }
  };
  plan.configs = cbgtc::ensembleConfigs(plan.runs, file, parse);
  plan.files = base.config.ensemble.replica_files != "none";
  // Without files a run samples no V for them (a deck's output.v_neurons);
  // what it was asked to write elsewhere is refused.
  for (std::size_t r = 0; r < plan.configs.size() && !plan.files; ++r) {
    cbgtc::SimulationConfig& c = plan.configs[r];
    c.output.v_neurons = 0;
    const std::string key = !c.records.empty()    ? "[record." + c.records.front().name + "]"
                            : c.output.network    ? "output.network"
                            : c.checkpoint.append ? "checkpoint.append"
                                                  : "";
    if (!key.empty())
      throw cbgtc::io::ConfigError("ensemble run " + std::to_string(r) + ": " + key +
                                   " writes into the run's files, and ensemble.replica_files = none writes "
                                   "none");
  }
  // ensemble.replicas runs at a time as one network (src/replicas.hpp).
  const auto per_network = static_cast<std::size_t>(base.config.ensemble.replicas);
  for (std::size_t first = 0; first < plan.runs.size(); first += per_network) {
    EnsemblePlan::Unit unit;
    unit.first = first;
    unit.count = std::min(per_network, plan.runs.size() - first);
    if (per_network > 1) {
      unit.replicas.assign(plan.configs.begin() + static_cast<std::ptrdiff_t>(first),
                           plan.configs.begin() + static_cast<std::ptrdiff_t>(first + unit.count));
      unit.merged = cbgtc::mergeReplicas(unit.replicas, first);
      if (base.config.ensemble.replica_files == "one") {
        unit.one_file = true;
        unit.merged->output.file = cbgtc::networkOutputFile(base.config.output.file, first,
                                                            first + unit.count - 1, plan.runs.size());
      }
    }
    plan.units.push_back(std::move(unit));
  }
  return plan;
}

/// The files a run reads, each with the key that names it: the deck
/// (`deck`, "--config"), spike sources' files, the burst thresholds.
std::vector<std::pair<std::string, std::string>> filesRead(const cbgtc::SimulationConfig& config,
                                                           const std::string& deck) {
  std::vector<std::pair<std::string, std::string>> read;
  if (!deck.empty()) read.emplace_back("--config", deck);
  for (const cbgtc::PopulationSettings& p : config.populations)
    if (cbgtc::readsSpikeTrains(p.params) && !p.spike_file.empty())
      read.emplace_back("population." + p.name + ".spike_file", p.spike_file);
  if (!config.analysis.burst_threshold_file.empty())
    read.emplace_back("analysis.burst_threshold_file", config.analysis.burst_threshold_file);
  return read;
}

/// Every spike file a run replays, read and checked (checkedSpikeTable), each
/// (file, population, size) once over the calls that share `checked`.
/// Throws ConfigError naming the key.
void checkSpikeFiles(const cbgtc::SimulationConfig& config, std::set<std::string>& checked) {
  for (const cbgtc::PopulationSettings& p : config.populations)
    if (cbgtc::readsSpikeTrains(p.params) && !p.spike_file.empty() &&
        checked.insert(p.spike_file + '\n' + p.spike_population + '\n' + p.name + '\n' + std::to_string(p.n))
            .second)
      cbgtc::checkedSpikeTable(p);
}

/// Every file an ensemble's runs write, and its table, checked before the
/// first run: each may be written (the output files' checks), and none is
/// another's. Throws io::OutputError or ConfigError naming the file.
void checkEnsembleFiles(const EnsemblePlan& plan, bool overwrite, const std::string& restart) {
  std::vector<std::pair<std::string, std::string>> files;  // (path, what writes it)
  std::map<std::string, std::size_t> index;                // pathKey -> its entry in files
  const auto add = [&](const std::string& path, const std::string& what) {
    const auto [at, added] = index.emplace(cbgtc::io::pathKey(path), files.size());
    if (!added)
      throw cbgtc::ConfigError("'" + path + "' would be written by " + files[at->second].second + " and by " +
                               what);
    files.emplace_back(path, what);
  };
  add(plan.table, "ensemble.table");
  for (const EnsemblePlan::Unit& unit : plan.units) {
    if (!plan.files) break;
    const auto addRun = [&](const cbgtc::SimulationConfig& run, const std::string& what) {
      add(run.output.file, what + " (output.file)");
      for (const std::string& file : cbgtc::recordFiles(cbgtc::recordPlans(run)))
        add(file, what + " (record)");
      for (const std::string& file : cbgtc::networkFiles(run)) add(file, what + " (output.network)");
    };
    if (unit.one_file)
      addRun(*unit.merged, "ensemble runs " + std::to_string(unit.first) + "-" +
                               std::to_string(unit.first + unit.count - 1));
    else
      for (std::size_t r = unit.first; r < unit.first + unit.count; ++r)
        addRun(plan.configs[r], "ensemble run " + std::to_string(r));
  }
  // No file written is one a run reads.
  for (std::size_t r = 0; r < plan.configs.size(); ++r)
    for (const auto& [reader, input] : filesRead(plan.configs[r], ""))
      if (const auto at = index.find(cbgtc::io::pathKey(input)); at != index.end())
        throw cbgtc::ConfigError("'" + input + "' would be written by " + files[at->second].second +
                                 ", and ensemble run " + std::to_string(r) + " reads it (" + reader + ")");
  // What every run reads, before any run writes.
  std::set<std::string> spike_files;
  for (std::size_t r = 0; r < plan.configs.size(); ++r) {
    try {
      checkSpikeFiles(plan.configs[r], spike_files);
      checkCheckpoints(plan.configs[r], restart);
    } catch (const cbgtc::ConfigError& e) {
      throw cbgtc::ConfigError("ensemble run " + std::to_string(r) + ": " + e.what());
    }
  }
  for (const auto& [path, what] : files) {
    try {
      cbgtc::io::checkOutputLocation(path, overwrite);
    } catch (const cbgtc::io::OutputError& e) {
      throw cbgtc::io::OutputError(what + ": " + e.what());
    }
  }
}

/// checkEnsembleFiles on rank 0, which writes every file, and its verdict on
/// every rank: true, with the one error line printed, where refused.
bool ensembleFilesRefused(const EnsemblePlan& plan, bool overwrite, const std::string& restart,
                          const cbgtc::comm::Communicator& comm) {
  std::string refused;
  if (comm.isRoot()) {
    try {
      checkEnsembleFiles(plan, overwrite, restart);
    } catch (const std::exception& e) {
      refused = e.what();
    }
  }
  if (!comm.any(!refused.empty())) return false;
  if (comm.isRoot()) std::fprintf(stderr, "cbgtc: error: %s\n", refused.c_str());
  return true;
}

/// The memory each network of an ensemble needs on the ranks of the
/// smallest group that could run it, checked on every rank (a rank's memory
/// is its own) before the first run: true, with one error line naming the
/// run, where a network does not fit.
bool ensembleMemoryRefused(const EnsemblePlan& plan, const cbgtc::comm::Communicator& comm) {
  const cbgtc::RankGroups groups = cbgtc::rankGroups(comm.size(), plan.units.size());
  const int ranks = std::max(1, comm.size() / groups.groups);
  std::string refused;
  for (const EnsemblePlan::Unit& unit : plan.units) {
    try {
      cbgtc::checkMemory(unit.merged ? *unit.merged : plan.configs[unit.first], ranks);
    } catch (const cbgtc::ConfigError& e) {
      refused =
          (unit.count == 1 ? "ensemble run " + std::to_string(unit.first)
                           : "ensemble runs " + std::to_string(unit.first) + "-" +
                                 std::to_string(unit.first + unit.count - 1) + " (replicas of one network)") +
          ": " + e.what();
      break;
    }
  }
  if (!comm.any(!refused.empty())) return false;
  if (comm.isRoot())
    std::fprintf(stderr, "cbgtc: error: %s\n",
                 refused.empty() ? "out of memory on another rank" : refused.c_str());
  return true;
}

/// The runs of an ensemble (planEnsemble), spread over groups of ranks,
/// then its table (src/ensemble.hpp). Exit code: the first failed run's,
/// else 0.
int runEnsemble(const char* program, const cbgtc::io::CommandLine& base,
                const std::map<std::string, std::string>& decks, const cbgtc::comm::Communicator& world) {
  const bool root = world.isRoot();
  EnsemblePlan plan;
  try {
    plan = planEnsemble(program, base, decks);
  } catch (const cbgtc::io::ConfigError& e) {
    if (root) std::fprintf(stderr, "cbgtc: error: %s\n", e.what());
    return 2;
  }
  if (ensembleFilesRefused(plan, base.config.output.overwrite, base.restart_file, world) ||
      ensembleMemoryRefused(plan, world))
    return 2;
  printWarnings(plan.configs, root);
  // A table of an earlier ensemble (output.overwrite) would describe other
  // runs beside this one's files if this one stopped before writing its own.
  std::error_code ignored;
  if (root) std::filesystem::remove(plan.table, ignored);
  const auto& runs = plan.runs;
  const auto& configs = plan.configs;
  const auto& units = plan.units;
  const std::string& table = plan.table;
  using Unit = EnsemblePlan::Unit;

  const cbgtc::RankGroups groups = cbgtc::rankGroups(world.size(), units.size());
  const int group = groups.group_of_rank(world.rank(), world.size());
  const std::unique_ptr<cbgtc::comm::Communicator> part = world.split(group);
  if (root)
    std::printf(
        "cbgtc %s: ensemble of %zu runs%s on %d rank%s (%d group%s of ranks)\n", CBGTC_VERSION, runs.size(),
        units.size() < runs.size()
            ? (" in " + std::to_string(units.size()) + (units.size() == 1 ? " network" : " networks")).c_str()
            : "",
        world.size(), world.size() == 1 ? "" : "s", groups.groups, groups.groups == 1 ? "" : "s");
  std::fflush(stdout);

  std::vector<cbgtc::RunSummary> summaries(runs.size());
  std::vector<bool> mine(runs.size(), false);  // run by this rank's group
  int code = 0;
  for (std::size_t u = static_cast<std::size_t>(group); u < units.size();
       u += static_cast<std::size_t>(groups.groups)) {
    if (stop_requested.load()) break;
    const Unit& unit = units[u];
    part->newFailureClaim();
    int rc = 0;
    if (unit.merged) {
      cbgtc::RunSummary merged;
      if (unit.one_file) {
        const std::vector<cbgtc::EnsembleRun> of(
            runs.begin() + static_cast<std::ptrdiff_t>(unit.first),
            runs.begin() + static_cast<std::ptrdiff_t>(unit.first + unit.count));
        rc = runOne(*unit.merged, base.config_file, *part, false, merged, "", nullptr, &unit.replicas, of);
      } else {
        rc = runOne(*unit.merged, base.config_file, *part, false, merged, "", &unit.replicas, nullptr, {},
                    plan.files);
      }
      std::vector<cbgtc::RunSummary> parts = cbgtc::replicaSummaries(merged, unit.count);
      std::move(parts.begin(), parts.end(), summaries.begin() + static_cast<std::ptrdiff_t>(unit.first));
    } else {
      rc = runOne(configs[unit.first], base.config_file, *part, false, summaries[unit.first],
                  base.restart_file, nullptr, nullptr, {}, plan.files,
                  "ensemble run " + std::to_string(unit.first));
    }
    for (std::size_t r = unit.first; r < unit.first + unit.count; ++r) {
      mine[r] = true;
      // A replica may fail alone in a network that ran (RunSummary::replica_failures).
      const int run_rc = rc != 0 ? rc : summaries[r].failure.empty() ? 0 : 1;
      if (part->isRoot()) {
        std::printf(
            "run %zu: seed %llu%s%s: %s (%.1f s), %s\n", r, static_cast<unsigned long long>(runs[r].seed),
            runs[r].overrides.empty() ? "" : ", ",
            [&] {
              std::string t;
              for (const auto& [k, v] : runs[r].overrides) t += (t.empty() ? "" : " ") + k + "=" + v;
              return t;
            }()
                .c_str(),
            run_rc == 0                     ? "done"
            : !summaries[r].failure.empty() ? "FAILED"
            : stop_signal != 0              ? "stopped"
                                            : "FAILED",
            summaries[r].wall_seconds,
            !plan.files ? "no file"
            : unit.one_file
                ? (unit.merged->output.file + " (~" + std::to_string(r - unit.first) + ")").c_str()
                : configs[r].output.file.c_str());
        std::fflush(stdout);
      }
      // A failed run has no results: every metric of it is undefined. (One
      // that failed before it ran has no summary at all.)
      if (run_rc != 0)
        summaries[r] = cbgtc::failedRunSummary(
            summaries[r].populations.empty() ? cbgtc::summaryShape(configs[r]) : summaries[r]);
      if (run_rc != 0 && code == 0) code = run_rc;
    }
    // A failed write stops its run through the same flag as a signal; the
    // ensemble's other runs go on unless a signal came.
    if (stop_signal == 0) stop_requested.store(false);
  }
  // Every group's failures and stops, everywhere; then the summaries to
  // rank 0 (each run's numbers from its group's root, zero elsewhere).
  std::vector<std::int64_t> worst = {-code};
  world.min(worst);
  code = static_cast<int>(-worst[0]);
  if (world.any(stop_signal != 0)) {
    if (root) std::fprintf(stderr, "cbgtc: ensemble stopped by a signal; no table written\n");
    return code != 0 ? code : 128 + (stop_signal != 0 ? static_cast<int>(stop_signal) : SIGTERM);
  }
  // Runs may differ in their populations (ensemble.sets, a grid over n or
  // model): each run's numbers have its own configuration's shape, which
  // every rank knows.
  std::vector<cbgtc::RunSummary> shapes;
  std::vector<std::size_t> offset = {0};
  for (const cbgtc::SimulationConfig& c : configs) {
    shapes.push_back(cbgtc::summaryShape(c));
    offset.push_back(offset.back() + cbgtc::flattenSummary(shapes.back()).size());
  }
  std::vector<double> all(offset.back(), 0.0);
  if (part->isRoot())
    for (std::size_t r = 0; r < runs.size(); ++r) {
      if (!mine[r]) continue;
      const auto flat = cbgtc::flattenSummary(summaries[r]);
      if (flat.size() != offset[r + 1] - offset[r])
        throw std::logic_error("run " + std::to_string(r) +
                               "'s summary does not have its configuration's shape");
      std::copy(flat.begin(), flat.end(), all.begin() + static_cast<std::ptrdiff_t>(offset[r]));
    }
  world.sum(all);
  if (root) {
    for (std::size_t r = 0; r < runs.size(); ++r)
      summaries[r] = cbgtc::unflattenSummary(&all[offset[r]], shapes[r]);
    try {
      // The version and commit first, as every output file carries them.
      const std::string version = cbgtc::io::versionText();
      cbgtc::io::writeTextFile(table, "# " + version.substr(0, version.find('\n')) + "\n" +
                                          cbgtc::ensembleTable(runs, summaries),
                               base.config.output.overwrite);
      std::printf("%s\ntable: %s\n", cbgtc::ensembleDigest(runs, summaries).c_str(), table.c_str());
    } catch (const cbgtc::io::OutputError& e) {
      std::fprintf(stderr, "cbgtc: error: ensemble.table: %s\n", e.what());
      if (code == 0) code = 1;
    }
  }
  return code;
}

int runCbgtc(int argc, char* argv[], const cbgtc::comm::Communicator& comm) {
  // Every rank parses the same arguments and reaches the same verdict; only
  // rank 0 speaks.
  const bool root = comm.isRoot();
  // Rank 0 reads the deck (a pipe reaches only rank 0) and passes its text
  // on, so that every rank parses the same deck.
  // (Kept: an ensemble parses the deck again for each run, and a pipe can
  // be read once.)
  std::map<std::string, std::string> cached_deck;
  const auto readOnRoot = [&comm, root, &cached_deck](const std::string& path) {
    if (cached_deck.count(path)) return cached_deck.at(path);
    std::string text, error;
    if (root) {
      try {
        text = cbgtc::io::readDeck(path);
      } catch (const cbgtc::io::ConfigError& e) {
        error = e.what();
      }
    }
    error = comm.broadcast(error);
    if (!error.empty()) throw cbgtc::io::ConfigError(error);
    return cached_deck[path] = comm.broadcast(text);
  };
  cbgtc::io::CommandLine cl;
  try {
    cl = cbgtc::io::parseCommandLine(argc, argv, readOnRoot);
  } catch (const cbgtc::io::ConfigError& e) {
    if (root) std::fprintf(stderr, "cbgtc: error: %s\n", e.what());
    return 2;
  }
  if (cl.help) {
    if (root) std::cout << cbgtc::io::helpText();
    return 0;
  }
  if (cl.version) {
    if (root) std::cout << cbgtc::io::versionText();
    return 0;
  }
  if (cl.kokkos_help) {
    // Kokkos prints its options while it initialises; then nothing runs.
    if (root) Kokkos::ScopeGuard kokkos(argc, argv);
    return 0;
  }
  // The ensemble's own keys do nothing without its runs, or without replicas.
  const cbgtc::EnsembleSettings& ensemble = cl.config.ensemble;
  const char* unread = !ensemble.any() && ensemble.replicas > 1     ? "ensemble.replicas merges"
                       : !ensemble.any() && !ensemble.table.empty() ? "ensemble.table tabulates"
                       : !ensemble.any() && ensemble.replica_files != "each"
                           ? "ensemble.replica_files names the files of"
                           : nullptr;
  if (unread != nullptr) {
    if (root)
      std::fprintf(stderr, "cbgtc: error: %s the runs of ensemble.seeds, grid or sets; none is given\n",
                   unread);
    return 2;
  }
  // A file the run writes at the path of one it reads would replace it
  // (every shipped deck sets output.overwrite): the deck, a spike source's
  // file, the burst thresholds. (An ensemble's own files: checkEnsembleFiles.)
  {
    std::vector<std::pair<std::string, std::string>> written = {
        {"output.file", cl.config.output.file},
        {"checkpoint.file", cl.config.checkpoint.file},
        {"ensemble.table", ensemble.table}};
    for (const std::string& file : cbgtc::recordFiles(cbgtc::recordPlans(cl.config)))
      written.emplace_back("a [record] section's file", file);
    for (const std::string& file : cbgtc::networkFiles(cl.config))
      written.emplace_back("output.network", file);
    for (const auto& [key, file] : written)
      for (const auto& [reader, input] : filesRead(cl.config, cl.config_file))
        if (!file.empty() && cbgtc::io::samePath(file, input)) {
          if (root)
            std::fprintf(stderr, "cbgtc: error: %s: '%s' is %s, which it would replace\n", key.c_str(),
                         file.c_str(),
                         reader == "--config" ? "the deck this run reads (--config)"
                                              : ("the file " + reader + " reads").c_str());
          return 2;
        }
  }
  if (ensemble.replica_files == "one" && ensemble.replicas == 1) {
    if (root)
      std::fprintf(stderr,
                   "cbgtc: error: ensemble.replica_files = one writes a file per network of merged runs: it "
                   "needs ensemble.replicas > 1\n");
    return 2;
  }
  if (cl.config.ensemble.any() && !cl.config.checkpoint.file.empty()) {
    if (root)
      std::fprintf(
          stderr,
          "cbgtc: error: checkpoint.file is for a single run, not an ensemble ([ensemble] seeds, grid or "
          "sets)\n");
    return 2;
  }
  // Each run of an ensemble may continue the same checkpoint (a sweep of
  // stimuli from one warm state), each into files of its own.
  if (cl.config.ensemble.any() && !cl.restart_file.empty() &&
      (cl.config.ensemble.replicas > 1 || cl.config.checkpoint.append)) {
    if (root)
      std::fprintf(stderr, "cbgtc: error: --restart continues each run of an ensemble on its own: %s\n",
                   cl.config.checkpoint.append ? "checkpoint.append (one run's files) does not apply"
                                               : "ensemble.replicas must be 1");
    return 2;
  }
  if (cl.validate_only) {
    // The same output checks as a run makes before its first step.
    bool output_refused = false;
    if (root) {
      try {
        cbgtc::io::checkOutputLocation(cl.config.output.file, cl.config.output.overwrite);
        for (const std::string& file : cbgtc::recordFiles(cbgtc::recordPlans(cl.config))) {
          if (!cbgtc::io::writesReportFiles())
            throw cbgtc::io::OutputError("'" + file + "': [record] sections write SONATA HDF5 reports, and this "
                                         "build has no HDF5");
          cbgtc::io::checkOutputLocation(file, cl.config.output.overwrite);
        }
        checkNetworkFiles(cl.config);
        checkCheckpoints(cl.config,
                         cl.config.ensemble.any() ? "" : cl.restart_file);  // an ensemble's: per run
        std::set<std::string> spike_files;
        checkSpikeFiles(cl.config, spike_files);
        cbgtc::referenceBurstThresholds(cl.config);  // (the run reads it while it builds)
      } catch (const cbgtc::io::OutputError& e) {
        std::fprintf(stderr, "cbgtc: error: %s\n", e.what());
        output_refused = true;
      } catch (const cbgtc::ConfigError& e) {
        std::fprintf(stderr, "cbgtc: error: %s\n", e.what());
        output_refused = true;
      }
    }
    if (comm.any(output_refused)) return 2;
    // An ensemble's every run (and merged network) as its run would check it.
    std::optional<EnsemblePlan> plan;
    if (cl.config.ensemble.any()) {
      try {
        plan = planEnsemble(argv[0], cl, cached_deck);
      } catch (const cbgtc::ConfigError& e) {
        if (root) std::fprintf(stderr, "cbgtc: error: %s\n", e.what());
        return 2;
      }
      if (ensembleFilesRefused(*plan, cl.config.output.overwrite, cl.restart_file, comm) ||
          ensembleMemoryRefused(*plan, comm))
        return 2;
    }
    // And the memory the run would need.
    std::string too_big;
    try {
      if (!plan) cbgtc::checkMemory(cl.config, comm.size());
    } catch (const cbgtc::ConfigError& e) {
      too_big = e.what();
    }
    if (comm.any(!too_big.empty())) {
      if (root) std::fprintf(stderr, "cbgtc: error: %s\n", too_big.empty() ? "out of memory on another rank" : too_big.c_str());
      return 2;
    }
    printWarnings(plan ? plan->configs : std::vector<cbgtc::SimulationConfig>{cl.config}, root,
                  root && !plan ? restartStep(cl.restart_file) : 0);
    if (root) {
      if (plan) {
        std::int64_t fewest = plan->configs.front().stepCount(), most = fewest;
        for (const cbgtc::SimulationConfig& c : plan->configs) {
          fewest = std::min(fewest, c.stepCount());
          most = std::max(most, c.stepCount());
        }
        const std::string steps = fewest == most
                                      ? std::to_string(most) + " steps each"
                                      : std::to_string(fewest) + "-" + std::to_string(most) + " steps";
        std::printf("cbgtc: configuration is valid (an ensemble of %zu runs in %zu networks, %s)\n",
                    plan->runs.size(), plan->units.size(), steps.c_str());
      } else {
        std::printf("cbgtc: configuration is valid (%lld steps)\n",
                    static_cast<long long>(cl.config.stepCount()));
      }
    }
    return 0;
  }

  installSignalHandlers();
  // A backend that cannot start (a GPU build on a machine without its GPU)
  // is one line, not an abort.
  std::optional<Kokkos::ScopeGuard> kokkos;
  try {
    kokkos.emplace(argc, argv);
  } catch (const std::exception& e) {
    if (root) std::fprintf(stderr, "cbgtc: error: Kokkos could not start: %s\n", oneLine(e.what()).c_str());
    return 1;
  }
  // A backend without threads (Serial) ignores the request without a word.
  const int host_threads = Kokkos::DefaultHostExecutionSpace().concurrency();
  if (root && cl.requested_threads > 0 && host_threads != cl.requested_threads)
    std::fprintf(stderr,
                 "cbgtc: warning: --kokkos-num-threads=%d requested, but the %s backend runs %d thread%s\n",
                 cl.requested_threads, Kokkos::DefaultHostExecutionSpace::name(), host_threads,
                 host_threads == 1 ? "" : "s");

  if (!cl.config.ensemble.any()) {
    cbgtc::RunSummary summary;
    return runOne(cl.config, cl.config_file, comm, true, summary, cl.restart_file);
  }
  return runEnsemble(argv[0], cl, cached_deck, comm);
}

}  // namespace

int main(int argc, char* argv[]) {
  // A CBGTC_MPI it does not take is refused by rank 0 alone, as a bad deck.
  bool start_mpi = cbgtc::comm::launcherStarted(std::getenv);
  std::string refused;
  try {
    start_mpi = cbgtc::comm::mpiRequested(std::getenv).value_or(start_mpi);
  } catch (const std::invalid_argument& e) {
    refused = e.what();
  }
  cbgtc::comm::MpiSession mpi(argc, argv, start_mpi);
  const auto comm = cbgtc::comm::worldCommunicator();
  if (!refused.empty()) {
    if (comm->rank() == 0) std::fprintf(stderr, "cbgtc: error: %s\n", refused.c_str());
    return 2;
  }
  return runCbgtc(argc, argv, *comm);
}
