// Recording: spikes and voltage reports, gathered from the ranks and handed
// to the writer on rank 0.

#include <algorithm>

#include "src/simulation.hpp"

namespace cbgtc {

void Simulation::writeSpikes(const std::vector<SpikeRecord>& all, io::OutputWriter& writer) {
  const double dt = _config.simulation.dt_ms;
  std::vector<std::vector<double>> times_ms(_populations.size());
  std::vector<std::vector<std::uint64_t>> ids(_populations.size());
  for (const auto& spike : all) {
    times_ms[spike.population].push_back(static_cast<double>(spike.step) * dt);
    ids[spike.population].push_back(spike.index);
  }
  for (const auto& p : _populations)
    if (!ids[p.position].empty()) writer.appendSpikes(p.name, times_ms[p.position], ids[p.position]);
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
  // No zeroing: every sample is assigned (sumLfp), never accumulated.
  p.lfp_device_first = upto;
}

// The initial state (t = 0) is report row 0; advance() adds the others.
void Simulation::sampleReport(Population& p) {
  if (p.report_cells == 0) return;
  PhaseTimer timer(_config.output.timers, _phases.output);
  if (p.local_report_cells > 0) sampleVoltage(ExecutionSpace(), p.V, p.report, p.report_rows);
  ++p.report_rows;
}

// Every rank samples its own report cells on the same steps; rank 0 gathers
// the blocks (rank order = cell order) and interleaves them into rows.
void Simulation::flushReport(Population& r, io::OutputWriter* writer) {
  if (r.report_rows == 0 || r.report_cells == 0) return;
  std::vector<float> mine;
  if (r.local_report_cells > 0) {
    const std::pair<std::int64_t, std::int64_t> rows(0, r.report_rows);
    auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(),
                                                    Kokkos::subview(r.report, rows, Kokkos::ALL()));
    mine.assign(host.data(), host.data() + host.span());
  }
  const std::vector<float> gathered = _comm.gatherToRoot(mine);
  if (_comm.isRoot() && writer) {
    const auto rows = static_cast<std::size_t>(r.report_rows);
    const auto cells = static_cast<std::size_t>(r.report_cells);
    std::vector<float> table(rows * cells);
    std::size_t offset = 0, first_cell = 0;
    for (int rank = 0; rank < _comm.size() && first_cell < cells; ++rank) {
      const comm::Block b = comm::blockOf(r.size, _comm.size(), rank);
      const auto n =
          static_cast<std::size_t>(std::clamp<std::int64_t>(r.report_cells - b.begin, 0, b.size()));
      for (std::size_t row = 0; row < rows; ++row)
        for (std::size_t c = 0; c < n; ++c)
          table[row * cells + first_cell + c] = gathered[offset + row * n + c];
      offset += rows * n;
      first_cell += n;
    }
    writer->appendReport(r.name, table.data(), rows);
  }
  r.report_rows = 0;
}

}  // namespace cbgtc
