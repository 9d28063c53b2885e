// Recording: spikes and reports, gathered from the ranks and handed
// to the writer on rank 0.

#include <algorithm>

#include "src/placement.hpp"
#include "src/simulation.hpp"
#include "src/stimuli.hpp"

namespace cbgtc {

// Axonal spikes go to the spike population "<name>_axonal".
void Simulation::writeSpikes(const std::vector<SpikeRecord>& all, io::OutputWriter& writer) {
  const double dt = _config.simulation.dt_ms;
  const std::size_t n = _populations.size();
  std::vector<std::vector<double>> times_ms(2 * n);
  std::vector<std::vector<std::uint64_t>> ids(2 * n);
  for (const auto& spike : all) {
    const std::size_t list = spike.source() + (spike.axonal() ? n : 0);
    times_ms[list].push_back(static_cast<double>(spike.step) * dt);
    ids[list].push_back(spike.index);
  }
  for (const auto& p : _populations) {
    // A failed replica's file ends where its run alone would have.
    if (!_config.populations[p.position].write_spikes || replicaFailed(p.position)) continue;
    if (!ids[p.position].empty()) writer.appendSpikes(p.name, times_ms[p.position], ids[p.position]);
    if (!ids[n + p.position].empty())
      writer.appendSpikes(axonalSpikePopulation(p.name), times_ms[n + p.position], ids[n + p.position]);
  }
}

// Positions of placed populations (/positions/<pop>/x_um, y_um, z_um) and
// what each electrode reaches (/stimuli/<name>: activated, fraction,
// radius_um, potential_mV of the population it drives; /stimuli/<name>/<pop>:
// activated and fraction of every placed population): rank 0 computes
// them, as every draw is keyed.
void Simulation::writePlacementAndReach(io::OutputWriter& writer) const {
  for (const PopulationSettings& p : _config.populations) {
    if (!isPlaced(p)) continue;
    const Positions at = positionsOf(p, randomSeed(p, _config));
    const std::string group = "/positions/" + p.name;
    writer.writeDataset(group, "x_um", at.x_um, {{"units", "um"}});
    writer.writeDataset(group, "y_um", at.y_um, {{"units", "um"}});
    writer.writeDataset(group, "z_um", at.z_um, {{"units", "um"}});
  }
  for (const StimulusSettings& s : _config.stimuli) {
    if (!s.electrode) continue;
    const ElectrodeReach reach = electrodeReach(s, _config);
    writer.writeNumbers("/stimuli/" + s.name, {{"activated", static_cast<double>(reach.activated)},
                                                {"fraction", reach.fraction},
                                                {"radius_um", reach.radius_um},
                                                {"potential_mV", reach.potential_mV}});
    // The volume of tissue activated in every placed population (the
    // stimulus drives only its own) of its run (an in-process ensemble's
    // replica, src/replicas.hpp).
    for (const PopulationSettings& p : _config.populations) {
      if (!isPlaced(p) || replicaTag(p.name) != replicaTag(s.name)) continue;
      const ElectrodeReach in = electrodeReach(s, _config, p);
      writer.writeNumbers("/stimuli/" + s.name + "/" + p.name,
                          {{"activated", static_cast<double>(in.activated)}, {"fraction", in.fraction}});
    }
  }
}

// The pulse times of the run's steps [0, steps_done), which irregular
// trains (interval_cv) do not give by a formula: what a pulse-triggered or
// relay analysis of the file needs. Written when the run ends, so that a
// stopped run lists the pulses it ran.
void Simulation::writePulseOnsets(io::OutputWriter& writer, std::int64_t steps_done) const {
  for (const StimulusSettings& s : _config.stimuli) {
    if (!isPulsed(s) || s.frequency_hz <= 0) continue;
    // A failed replica's stimuli end with it.
    std::int64_t steps = steps_done;
    const auto failed = _replica_failures.find(replicaOf(s.name));
    if (failed != _replica_failures.end()) steps = failed->second.steps;
    const double end_ms = static_cast<double>(steps) * _config.simulation.dt_ms;
    writer.writeDataset("/stimuli/" + s.name, "pulse_onsets_ms", pulseOnsets(s, _config, end_ms),
                        {{"units", "ms"}});
  }
}

// LFP samples [lfp_device_first, upto) move from the device buffer to the
// host, and the buffer starts again at sample `upto`. Every rank does this
// on the same samples.
void Simulation::flushLfp(Population& p, std::int64_t upto) {
  const std::int64_t n = upto - p.lfp_device_first;
  if (n <= 0) return;
  const auto held = Kokkos::subview(p.lfp, std::pair<std::int64_t, std::int64_t>(0, n));
  const auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), held);
  p.lfp_host.insert(p.lfp_host.end(), host.data(), host.data() + n);
  if (p.v_sum.extent(0) > 0) {
    const auto v = Kokkos::create_mirror_view_and_copy(
        Kokkos::HostSpace(), Kokkos::subview(p.v_sum, std::pair<std::int64_t, std::int64_t>(0, n)));
    p.v_sum_host.insert(p.v_sum_host.end(), v.data(), v.data() + n);
  }
  // No zeroing: every sample is assigned (sumSamples), never accumulated.
  p.lfp_device_first = upto;
}

// The probes of population p's recordings with neurons on this rank, as
// the kernels see them (again after each write moves a buffer's first row).
void Simulation::updateProbes(Population& p) {
  std::vector<RecordProbe> probes;
  for (const Recording& r : _recordings)
    if (&_populations[r.plan.population] == &p && r.local_columns > 0) probes.push_back(r.probe());
  if (probes.empty()) {
    p.probes = {};
    return;
  }
  if (p.probes.extent(0) != probes.size())
    p.probes = Kokkos::View<RecordProbe*, MemorySpace>("cbgtc::" + p.name + "::probes", probes.size());
  Kokkos::deep_copy(p.probes, Kokkos::View<RecordProbe*, Kokkos::HostSpace, Kokkos::MemoryUnmanaged>(
                                  probes.data(), probes.size()));
}

// Collective: every rank holds the same rows of its own columns; rank 0
// gathers the blocks (rank order = column order) and writes each variable's
// rows [time][cell] to its file.
void Simulation::flushRecording(Recording& r) {
  if (r.filled == 0) return;
  const std::size_t n_vars = r.plan.variables.size();
  const auto rows = static_cast<std::size_t>(r.filled);
  std::vector<float> mine;
  if (r.local_columns > 0) {
    const std::pair<std::size_t, std::size_t> held(0, rows * n_vars * static_cast<std::size_t>(r.local_columns));
    auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), Kokkos::subview(r.rows, held));
    mine.assign(host.data(), host.data() + host.span());
  }
  const std::vector<float> gathered = _comm.gatherToRoot(mine);
  if (_comm.isRoot()) {
    const Population& p = _populations[r.plan.population];
    const std::size_t cells = r.plan.node_ids.size();
    std::vector<std::vector<float>> tables(n_vars, std::vector<float>(rows * cells));
    std::size_t offset = 0, first_cell = 0;
    for (int rank = 0; rank < _comm.size(); ++rank) {
      const comm::Block b = comm::blockOf(p.size, _comm.size(), rank);
      const auto in_block = [&](std::uint64_t id) {
        return static_cast<std::int64_t>(id) >= b.begin && static_cast<std::int64_t>(id) < b.end;
      };
      const auto n = static_cast<std::size_t>(std::count_if(r.plan.node_ids.begin(), r.plan.node_ids.end(), in_block));
      for (std::size_t row = 0; row < rows; ++row)
        for (std::size_t v = 0; v < n_vars; ++v)
          for (std::size_t c = 0; c < n; ++c)
            tables[v][row * cells + first_cell + c] = gathered[offset + (row * n_vars + v) * n + c];
      offset += rows * n_vars * n;
      first_cell += n;
    }
    // A failed replica's rows end with it: its samples m with m·every
    // before the step it stopped at.
    auto kept = static_cast<std::int64_t>(rows);
    if (replicaFailed(r.plan.population)) {
      const step_type every = r.plan.every_steps;
      const step_type stop = _replica_failures.at(_replica_of[r.plan.population]).steps;
      kept = std::clamp<std::int64_t>((stop + every - 1) / every - r.first_sample, 0, kept);
    }
    for (std::size_t v = 0; v < n_vars && kept > 0; ++v)
      if (r.writers.size() == n_vars && r.writers[v])
        r.writers[v]->appendReport(p.name, tables[v].data(), static_cast<std::size_t>(kept));
  }
  r.first_sample += r.filled;
  r.filled = 0;
  updateProbes(_populations[r.plan.population]);
}

}  // namespace cbgtc
