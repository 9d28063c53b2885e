#pragma once
// What a run will allocate, estimated from the configuration alone before
// anything is allocated, and the check that it fits.

#include <cstdint>
#include <string>
#include <vector>

#include "src/config.hpp"

namespace cbgtc {

struct MemoryItem {
  std::string what;  // and the keys that size it
  double bytes = 0;  // a double: the estimate of an absurd deck must not overflow
  bool device = true;  // in the execution space's memory (else the host's)
};

/// The largest rank's share of a run's memory on `ranks` ranks: neuron state,
/// drives, synapses (at their peak during construction), arrival rings,
/// spike and report buffers, the LFP proxy.
std::vector<MemoryItem> estimateMemory(const SimulationConfig& config, int ranks);

/// Bytes the execution space can still allocate, and the host; −1 where
/// unknown.
std::int64_t deviceMemoryAvailable();
std::int64_t hostMemoryAvailable();

/// Throws ConfigError, naming the largest items and their keys, when the
/// estimate exceeds what is available (on the device, and on the host; one
/// budget where they are the same memory).
void checkMemory(const SimulationConfig& config, int ranks);

}  // namespace cbgtc
