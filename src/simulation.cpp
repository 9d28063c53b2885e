// The epoch loop of a run.

#include "src/simulation.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <numeric>
#include <tuple>

#include "src/checkpoint.hpp"
#include "src/stimuli.hpp"

namespace cbgtc {

// A numerically exploding run is an error, not a result: name the
// population, the time and the likely cause.
std::string Simulation::nonFiniteMessage(std::int64_t code) const {
  constexpr int bits = SpikeBuffer<MemorySpace>::population_bits;
  const auto position = static_cast<std::size_t>(code & ((std::int64_t(1) << bits) - 1));
  const step_type step = code >> bits;
  const double dt = _config.simulation.dt_ms;
  char text[512];
  std::snprintf(text, sizeof text,
                "population %s has a membrane potential beyond ±10 V or not finite by t = %g ms (step %lld): "
                "the integration "
                "diverged: the step (simulation.dt_ms = %g; try %g) or an input too strong for the model "
                "(a stimulus's amplitude, a projection's g_total, a bias or noise) is the likely cause",
                _populations.at(position).name.c_str(), static_cast<double>(step + 1) * dt,
                static_cast<long long>(step), dt, dt / 2);
  return text;
}

std::string Simulation::failReplicas(step_type steps_done) {
  // Every rank's first non-finite state of each population (collective:
  // every rank saw the same verdict). A replica's first one names it.
  std::vector<std::int64_t> first = _spikes.hostNonFiniteByPopulation();
  _comm.min(first);
  std::map<std::size_t, std::int64_t> fresh;  // replica -> its first code
  for (std::size_t x = 0; x < first.size(); ++x) {
    const std::size_t r = _replica_of[x];
    if (first[x] == SpikeBuffer<MemorySpace>::all_finite || r == std::string::npos ||
        _replica_failures.count(r))
      continue;
    const auto [it, added] = fresh.emplace(r, first[x]);
    if (!added) it->second = std::min(it->second, first[x]);
  }
  std::string newest;
  for (const auto& [r, code] : fresh) {
    _replica_failures[r] = ReplicaFailure{nonFiniteMessage(code), steps_done};
    newest = _replica_failures[r].failure;
  }
  // Later states of a failed replica no longer reach the shared counter
  // (SpikeBuffer::flagNonFinite): it shows the next replica's failure.
  _spikes.clearNonFinite();
  _first_non_finite = SpikeBuffer<MemorySpace>::all_finite;
  return newest;
}

bool Simulation::replicaFailed(std::size_t population) const {
  return _replicas > 0 && _replica_failures.count(_replica_of[population]) > 0;
}

// Steps [k0, k1) (t_k = k·dt is the start of step k). In step k every
// population (this rank's block of it) advances from t_k to t_{k+1} with
// input x_k − I_syn, where I_syn = Σ g_k·(V_k − E) and g_k includes every
// spike arriving at the start of step k; spikes go to the device spike
// buffers; each neuron's Σ|I_syn| is averaged over each LFP sample's steps
// and summed into the population's LFP proxy after the launch.
//
// [k0, k1) lies within one epoch, so no spike emitted in it arrives before
// k1: each population can advance through the whole range in one launch
// (simulation.epoch_batching = true) or one launch per step; both give
// identical results. At the end of every epoch (exchangeSpikes) the spikes
// of the epoch are gathered from all ranks and delivered into the arrival
// slot (step + delay) of their targets. A spike detected in step k has
// timestamp t_k (the prototype's and Brian2's convention). Within an epoch
// nothing is copied between host and device.
void Simulation::advance(step_type k0, step_type k1) {
  const ExecutionSpace space;
  const step_type lfp_first = (k0 + _lfp.device_every - 1) / _lfp.device_every;
  const step_type lfp_end = (k1 + _lfp.device_every - 1) / _lfp.device_every;

  // The steppers of this launch, in lists kept from launch to launch, so that
  // they are not allocated again.
  SteppersByModel& steppers = _steppers;
  std::apply([](auto&... lists) { (lists.clear(), ...); }, steppers);
  // A recording's rows of this range: its samples m with m·every in [k0, k1).
  auto samplesIn = [k0, k1](const Recording& r) {
    const step_type every = r.plan.every_steps;
    return (k1 + every - 1) / every - (k0 + every - 1) / every;
  };
  for (auto& r : _recordings)
    if (r.filled + samplesIn(r) > r.capacity) {
      PhaseTimer timer(_config.output.timers, _phases.output);
      flushRecording(r);
    }
  for (auto& p : _populations) {
    if (lfp_end - p.lfp_device_first > static_cast<std::int64_t>(p.lfp.extent(0))) {
      PhaseTimer timer(_config.output.timers, _phases.output);
      flushLfp(p, lfp_first);
    }
    StepRecording<MemorySpace> x;
    x.spikes = p.spikes;
    x.stats = p.stats;
    x.lfp = p.lfp_scratch;
    x.lfp_partial = p.lfp_partial;
    x.lfp_v = p.v_scratch;
    x.lfp_every = _lfp.device_every;
    x.lfp_first_sample = lfp_first;
    x.probes = p.probes;
    std::visit(
        [&](const auto& m) {
          using M = typename std::decay_t<decltype(m)>::model;
          std::get<std::vector<StepperOf<M>>>(steppers).push_back(stepper(m.storage, p.drive, x, m.step));
        },
        p.model);
  }
  {
    PhaseTimer timer(_config.output.timers, _phases.update);
    std::apply(
        [&](const auto&... lists) {
          advanceNetwork(space, k0, k1, _lanes_per_neuron, _stepper_table, lists...);
        },
        steppers);
    if (lfp_end > lfp_first) {
      updateSumTables();
      sumSamples(space, _sample_slots.device(), lfp_first, lfp_end - lfp_first);
      // The moments of the analysed window's samples only.
      const double dt_ms = _config.simulation.dt_ms;
      const step_type analysed =
          (stepsOf(_config.analysis.burn_in_ms, dt_ms) + _lfp.device_every - 1) / _lfp.device_every;
      const step_type analysed_end =
          (_config.analysis.endStep(_config.simulation.duration_ms, dt_ms) + _lfp.device_every - 1) /
          _lfp.device_every;
      index_type most_neurons = 0;
      for (const MomentSlot& slot : _moment_slots.rows()) most_neurons = std::max(most_neurons, slot.neurons);
      addMoments(space, _moment_slots.device(), std::max<std::int64_t>(0, analysed - lfp_first),
                 std::min(lfp_end, analysed_end) - lfp_first, most_neurons);
    }
  }
  for (auto& r : _recordings) r.filled += samplesIn(r);
}

// The rows of advance()'s sums: each population of this rank's LFP proxy
// and, where kept, its V sum and moments. A row changes when a population's
// buffer moves on (flushLfp) or is replaced (a restore).
void Simulation::updateSumTables() {
  _sample_slots.clear();
  _moment_slots.clear();
  for (const Population& p : _populations) {
    if (p.localSize() == 0) continue;
    const auto neurons = static_cast<index_type>(p.lfp_scratch.extent(1));
    _sample_slots.push(SampleSumSlot{p.lfp_scratch.data(), neurons,
                                     static_cast<std::int64_t>(p.lfp_scratch.stride(0)), p.lfp.data(),
                                     p.lfp_device_first});
    if (p.v_scratch.extent(0) == 0) continue;
    _sample_slots.push(SampleSumSlot{p.v_scratch.data(), neurons,
                                     static_cast<std::int64_t>(p.v_scratch.stride(0)), p.v_sum.data(),
                                     p.lfp_device_first});
    _moment_slots.push(MomentSlot{
        p.v_scratch.data(), neurons, static_cast<std::int64_t>(p.v_scratch.stride(0)), p.v_moments.data(),
        static_cast<std::int64_t>(p.v_moments.stride(0)), static_cast<std::int64_t>(p.v_moments.stride(1))});
  }
  _sample_slots.sync();
  _moment_slots.sync();
}

RunSummary Simulation::run(io::OutputWriter* writer, const std::atomic<bool>* stop, std::FILE* progress,
                           const std::vector<io::OutputWriter*>& reports) {
  const auto t0 = std::chrono::steady_clock::now();
  const ExecutionSpace space;
  const double dt_ms = _config.simulation.dt_ms;
  const std::int64_t n_steps = _config.stepCount();

  if (writer && _config.output.spikes)
    for (auto& p : _populations) {
      if (!_config.populations[p.position].write_spikes) continue;
      writer->addSpikePopulation(p.name);
      if (p.drive.axonal) writer->addSpikePopulation(axonalSpikePopulation(p.name));
    }
  if (writer) writePlacementAndReach(*writer);
  const bool append = _start_step > 0 && _config.checkpoint.append;
  // Each variable of a recording to its writer: the output file's, or the
  // next of `reports`.
  std::size_t next_report = 0;
  for (auto& r : _recordings) {
    r.writers.clear();
    for (const auto& v : r.plan.variables) {
      io::OutputWriter* w = v.file.empty() ? writer : next_report < reports.size() ? reports[next_report] : nullptr;
      if (!v.file.empty()) ++next_report;
      r.writers.push_back(w);
      // A continued run's reports start at the checkpoint, unless they
      // continue the earlier run's files (checkpoint.append).
      const std::int64_t first = append ? 0 : r.first_sample;
      if (w)
        w->addReport(_populations[r.plan.population].name, r.plan.node_ids,
                     static_cast<double>(first * r.plan.every_steps) * dt_ms,
                     static_cast<double>(r.plan.every_steps) * dt_ms, v.name, v.units);
    }
  }

  if (append && writer) copyOutputBefore(_start_step, writer);

  // Progress in NEST's style; the real-time factor is model time over wall
  // time (> 1: faster than real time).
  const bool terminal = progress && isatty(fileno(progress));
  const double interval_s = _config.output.progress_interval_s;
  auto last_report = t0;
  auto report = [&](std::int64_t done, bool final_line) {
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double model_ms = static_cast<double>(done) * dt_ms;
    const double rtf = wall > 0 ? model_ms / 1000.0 / wall : 0.0;
    const int percent = n_steps > 0 ? static_cast<int>(100 * done / n_steps) : 100;
    std::fprintf(progress, "%s[ %3d%% ] Model time: %.1f ms, Real-time factor: %.4g%s", terminal ? "\r" : "",
                 percent, model_ms, rtf, terminal && !final_line ? "" : "\n");
    std::fflush(progress);
  };

  space.fence();
  const auto loop_start = std::chrono::steady_clock::now();
  std::int64_t done = _start_step;
  bool stopped = false;
  std::string failure;
  // Once per epoch, one collective: whether any rank was asked to stop, the
  // first non-finite state on any rank (SpikeBuffer::flagNonFinite), and
  // whether the recordings' rows are due in the file: a killed run's file
  // holds them up to its last flush, at most two seconds of wall time old
  // (docs/running.md), where the device's buffer may hold far more (rank 0's
  // clock decides, so that every rank gathers them together).
  auto last_recording_flush = std::chrono::steady_clock::now();
  bool recordings_due = false;
  auto verdict = [&] {
    const auto now = std::chrono::steady_clock::now();
    const bool due = _comm.isRoot() && now - last_recording_flush >= std::chrono::seconds(1);
    std::vector<std::int64_t> v = {stop && stop->load(std::memory_order_relaxed) ? 0 : 1, _first_non_finite,
                                   due ? 0 : 1};
    _comm.min(v);
    recordings_due = v[2] == 0;
    if (recordings_due) last_recording_flush = now;
    if (v[1] != SpikeBuffer<MemorySpace>::all_finite) {
      if (_replicas == 0) {
        failure = nonFiniteMessage(v[1]);
        return true;
      }
      const std::string newest = failReplicas(done);
      if (_replica_failures.size() >= _replicas) {
        failure = newest;
        return true;
      }
    }
    stopped = v[0] == 0;
    return stopped;
  };
  const bool batched = _config.execution.epoch_batching;
  const std::vector<step_type> checkpoints = checkpointSteps(_config, _epoch_steps);
  auto next_checkpoint = std::upper_bound(checkpoints.begin(), checkpoints.end(), _start_step);
  bool checkpoint_written = false;
  // A checkpoint of the state after step k − 1; a failure to write it ends
  // the run (RunSummary::failure).
  auto checkpoint = [&](step_type k) {
    try {
      const auto start = std::chrono::steady_clock::now();
      // The file is replaced when it is this run's, the checkpoint it
      // continues, or the user allows it.
      const bool replace =
          checkpoint_written || _config.output.overwrite || _config.checkpoint.file == _restored_from;
      writeCheckpoint(k, _config.checkpoint.file, replace);
      checkpoint_written = true;
      if (progress) {
        std::error_code error;
        const auto bytes = std::filesystem::file_size(_config.checkpoint.file, error);
        std::fprintf(progress, "checkpoint at %.6g ms: %s (%.3g MB in %.3g s)\n",
                     static_cast<double>(k) * dt_ms, _config.checkpoint.file.c_str(),
                     error ? 0.0 : static_cast<double>(bytes) / 1e6,
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      }
    } catch (const io::OutputError& e) {
      failure = std::string("checkpoint: ") + e.what();
    }
  };
  for (step_type k0 = _start_step; k0 < n_steps; k0 += _epoch_steps) {
    if (verdict()) break;
    if (recordings_due) {
      PhaseTimer timer(_config.output.timers, _phases.output);
      for (auto& r : _recordings) flushRecording(r);
    }
    if (next_checkpoint != checkpoints.end() && *next_checkpoint == k0) {
      ++next_checkpoint;
      checkpoint(k0);
      if (!failure.empty()) break;
    }
    const step_type k1 = std::min<step_type>(k0 + _epoch_steps, n_steps);
    if (batched) {
      advance(k0, k1);
    } else {
      for (step_type k = k0; k < k1; ++k) advance(k, k + 1);
    }
    done = k1;
    exchangeSpikes(k0, writer);
    if (progress && interval_s > 0) {
      const auto now = std::chrono::steady_clock::now();
      if (std::chrono::duration<double>(now - last_report).count() >= interval_s) {
        space.fence();
        report(done, false);
        last_report = now;
      }
    }
  }
  if (failure.empty() && !stopped) verdict();
  // Stopped by a signal at an epoch's boundary: the state there, when asked.
  if (stopped && failure.empty() && _config.checkpoint.on_signal && !_config.checkpoint.file.empty())
    checkpoint(done);
  {
    PhaseTimer timer(_config.output.timers, _phases.output);
    for (auto& r : _recordings) flushRecording(r);
    if (writer) writePulseOnsets(*writer, done);
    // The analyses below write nothing for as long as they take.
    if (writer) writer->flush();
    for (io::OutputWriter* w : reports)
      if (w) w->flush();
  }
  space.fence();
  const double loop_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - loop_start).count();
  if (progress && interval_s > 0) report(done, true);

  RunSummary summary;
  summary.loop_seconds = loop_seconds;
  summary.steps = done;
  summary.first_step = _start_step;
  summary.complete = !stopped && failure.empty();
  summary.failure = failure;
  summary.replica_failures = _replica_failures;
  summary.phases = _phases;
  summarizeRun(done, writer, summary);
  summary.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return summary;
}

}  // namespace cbgtc
