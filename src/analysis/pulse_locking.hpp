#pragma once
// Whether a population's spikes are locked to stimulus pulses: the
// pulse-triggered histogram's peak against block-rotation surrogates
// (docs/model.md §7.8). Host-only, plain C++17.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cbgtc::analysis {

/// A pulse-triggered histogram kept by time blocks: counts[j·bins + b] are
/// the spikes of block j (a run of consecutive pulses) in bin b of the
/// time since the last onset; width_ms[b] is bin b's width (the last one
/// may be short).
struct PulseBlocks {
  std::vector<double> counts;  // row-major [block][bin]
  std::vector<double> width_ms;
  std::size_t bins() const { return width_ms.size(); }
  std::size_t blocks() const { return bins() == 0 ? 0 : counts.size() / bins(); }
  /// The whole histogram: each bin's counts summed over blocks.
  std::vector<double> total() const;
};

/// The chance that the histogram's largest bin (as a density, count over
/// width) is matched by a histogram whose blocks are each rotated by a
/// random whole number of bins: p = (1 + #{surrogate max ≥ observed max}) /
/// (S + 1). Locking puts every block's excess at the same latency, which
/// the rotations scatter; a population in a rhythm of its own that the
/// pulses do not set has its excess at a latency that wanders from block
/// to block, so rotated blocks sum to peaks as large. Rotations come from
/// splitmix64 seeded with `seed`. 1 with fewer than two blocks holding
/// spikes (nothing to rotate against).
double pulseLockingP(const PulseBlocks& h, int surrogates = 999, std::uint64_t seed = 0);

}  // namespace cbgtc::analysis
