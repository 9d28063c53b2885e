#pragma once
// The chunks of a CPU launch over every population, and who advances them.
//
// Each population is split into parts as a static schedule splits it
// (chunkPartBegin), part p being the neurons whose rings thread p delivers
// into, so that a thread mostly reads the rings it wrote. The chunks are
// claimed one at a time: a thread takes its own part's chunks in order, then
// helps with the other parts' remaining ones. Two cores of one machine need
// not run alike (a VM's vCPUs, a laptop's performance and efficiency cores,
// another job on a core); a static schedule waits for the slower at the end
// of every launch, where this one lets the faster take over some of its
// work (docs/performance.md, "OpenMP threads against ranks"). A chunk's
// step is the same whichever thread advances it.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

#include "kernels/types.hpp"

namespace cbgtc {

class ChunkClaims {
 public:
  /// A chunk: lanes_per_chunk neurons (fewer at a population's end) of
  /// population `population` (an index into the launch's sizes) from neuron
  /// `first` on.
  struct Chunk {
    std::size_t population = 0;
    index_type first = 0;
  };

  /// The chunks of populations of `sizes` neurons each, in launch order,
  /// split into `parts` parts (parts >= 1).
  ChunkClaims(const std::vector<index_type>& sizes, int parts)
      : _parts(parts),
        _populations(sizes.size()),
        _sizes(sizes),
        _first(static_cast<std::size_t>(parts) * (sizes.size() + 1)),
        _next(new Counter[static_cast<std::size_t>(parts)]) {
    for (int p = 0; p < parts; ++p) {
      index_type* first = partFirst(p);
      index_type chunks = 0;
      for (std::size_t g = 0; g < _populations; ++g) {
        first[g] = chunks;
        const index_type n = sizes[g];
        chunks += (chunkPartBegin(n, p + 1, parts) - chunkPartBegin(n, p, parts) + lanes_per_chunk - 1) /
                  lanes_per_chunk;
      }
      first[_populations] = chunks;
    }
  }

  /// The next chunk for the thread of part `part`: its own part's next in
  /// order while any is left, then the next of another part (part + 1,
  /// part + 2, ... in turn). False when every chunk has been claimed. Safe
  /// to call from the parts' threads at once; each chunk is claimed once.
  bool claim(int part, Chunk& chunk) {
    for (int o = 0; o < _parts; ++o) {
      const int p = (part + o) % _parts;
      const index_type* first = partFirst(p);
      std::atomic<index_type>& next = _next[static_cast<std::size_t>(p)].next;
      // A part whose chunks are all claimed is skipped without a write.
      if (next.load(std::memory_order_relaxed) >= first[_populations]) continue;
      const index_type c = next.fetch_add(1, std::memory_order_relaxed);
      if (c >= first[_populations]) continue;
      const auto g =
          static_cast<std::size_t>(std::upper_bound(first, first + _populations + 1, c) - first - 1);
      chunk.population = g;
      chunk.first = chunkPartBegin(_sizes[g], p, _parts) + (c - first[g]) * lanes_per_chunk;
      return true;
    }
    return false;
  }

 private:
  // Each part's counter on a cache line of its own: the threads claim from
  // their own parts at once.
  struct alignas(64) Counter {
    std::atomic<index_type> next{0};
  };

  index_type* partFirst(int p) { return _first.data() + static_cast<std::size_t>(p) * (_populations + 1); }

  int _parts;
  std::size_t _populations;
  std::vector<index_type> _sizes;
  // Part p's list: [p·(populations + 1) + g] is the number of its chunks
  // before population g's (g = populations: all of them).
  std::vector<index_type> _first;
  std::unique_ptr<Counter[]> _next;
};

}  // namespace cbgtc
