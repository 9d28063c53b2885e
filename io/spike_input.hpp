#pragma once
// Spike trains read from a file, to drive a spike_times population: a SONATA
// HDF5 spike file (/spikes/<population>/timestamps, node_ids), as cbgtc,
// NEST and bmtk write them, or cbgtc's CSV spike file.

#include <cstdint>
#include <string>
#include <vector>

namespace cbgtc::io {

struct SpikeTable {
  std::vector<double> timestamps_ms;
  std::vector<std::uint64_t> node_ids;
  // The file holds spikes from this time on: a continued run's own file (/@restarted_at_ms).
  double from_ms = 0;
};

/// The spikes of `population` in the file at `path` (HDF5 by its
/// signature, else CSV). Throws OutputError naming the file and what is
/// missing or malformed.
SpikeTable readSpikeFile(const std::string& path, const std::string& population);

}  // namespace cbgtc::io
