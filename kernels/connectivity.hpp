#pragma once
// The keyed synapse generator's point functions: which sources target j
// receives, as a pure function of (seed, projection, j). They run in device
// kernels (src/projection.cpp), one thread per target, so a network is
// built where it is simulated, and each MPI rank builds only its targets.
//
// Rules (no duplicate pairs; no autapses unless allowed):
//  - fixed_probability: a Bernoulli(p) trial per (source, target) pair,
//    drawn by geometric skipping, so the cost is O(synapses), not O(pairs);
//    all_to_all is p = 1, every candidate;
//  - fixed_indegree: K distinct sources (Floyd's sampling), sorted;
//  - one_to_one: source j of target j, no draw.

#include "kernels/rng.hpp"

namespace cbgtc::connectivity {

struct Rule {
  bool fixed_indegree = false;
  bool one_to_one = false;
  bool exclude_self = false;  // source j is not a candidate of target j
  index_type candidates = 0;  // sources a target draws from (n_pre, or n_pre − 1)
  std::int64_t indegree = 0;  // fixed_indegree: K ≤ candidates
  double p = 0;               // fixed_probability
  double log_q = 0;           // ln(1 − p), computed once on the host
};

/// Candidate c of target j is source c, skipping j itself when autapses are
/// excluded (a monotonic map, so sorted candidates give sorted sources).
KOKKOS_INLINE_FUNCTION index_type sourceOf(const Rule& r, index_type c, index_type j) {
  return (r.exclude_self && c >= j) ? c + 1 : c;
}

/// fixed_probability: visits the sources of target j in ascending order.
template <class Visit>
KOKKOS_INLINE_FUNCTION void visitBernoulli(const Rule& r, std::uint64_t seed, std::uint32_t projection, index_type j,
                                           Visit&& visit) {
  const index_type n = r.candidates;
  if (n <= 0 || r.p <= 0) return;
  if (r.p >= 1) {
    for (index_type c = 0; c < n; ++c) visit(sourceOf(r, c, j));
    return;
  }
  rng::UniformSequence u(seed, rng::Stream::Connectivity, projection, static_cast<std::uint32_t>(j));
  // The gap to the next success of Bernoulli(p) trials is floor(ln U / ln(1 − p)).
  double c = -1;
  while (true) {
    c += 1 + math::floor(math::log(u.next()) / r.log_q);
    if (c >= n) break;
    visit(sourceOf(r, static_cast<index_type>(c), j));
  }
}

/// Sorts a[0..n) ascending in place (heap sort: no recursion, no memory).
KOKKOS_INLINE_FUNCTION void heapSort(index_type* a, std::int64_t n) {
  auto sift = [a](std::int64_t root, std::int64_t end) {
    while (2 * root + 1 < end) {
      std::int64_t child = 2 * root + 1;
      if (child + 1 < end && a[child] < a[child + 1]) ++child;
      if (!(a[root] < a[child])) return;
      const index_type t = a[root];
      a[root] = a[child];
      a[child] = t;
      root = child;
    }
  };
  for (std::int64_t start = n / 2 - 1; start >= 0; --start) sift(start, n);
  for (std::int64_t end = n - 1; end > 0; --end) {
    const index_type t = a[0];
    a[0] = a[end];
    a[end] = t;
    sift(0, end);
  }
}

/// Smallest power of two ≥ 2K: the hash set of floydSample.
inline std::int64_t floydTableSize(std::int64_t K) {
  std::int64_t size = 1;
  while (size < 2 * K) size *= 2;
  return size;
}

/// fixed_indegree: the K sources of target j, ascending, into out[0..K).
/// Floyd's algorithm draws K distinct candidates of [0, n) with K uniforms;
/// `table` (table_size slots, a power of two ≥ 2K, any contents) is the set
/// of those drawn so far, open addressing with linear probing.
KOKKOS_INLINE_FUNCTION void floydSample(const Rule& r, std::uint64_t seed, std::uint32_t projection, index_type j,
                                        index_type* out, index_type* table, std::int64_t table_size) {
  const index_type n = r.candidates;
  const auto K = static_cast<index_type>(r.indegree);
  if (n <= 0 || K <= 0) return;
  for (std::int64_t s = 0; s < table_size; ++s) table[s] = -1;
  const auto mask = static_cast<std::uint32_t>(table_size - 1);
  auto slotOf = [&](index_type v) { return (static_cast<std::uint32_t>(v) * 2654435761u) & mask; };
  auto contains = [&](index_type v) {
    for (std::uint32_t s = slotOf(v);; s = (s + 1) & mask) {
      if (table[s] == v) return true;
      if (table[s] < 0) return false;
    }
  };
  auto insert = [&](index_type v) {
    std::uint32_t s = slotOf(v);
    while (table[s] >= 0) s = (s + 1) & mask;
    table[s] = v;
  };
  rng::UniformSequence u(seed, rng::Stream::Connectivity, projection, static_cast<std::uint32_t>(j));
  index_type count = 0;
  for (index_type m = n - K; m < n; ++m) {
    index_type t = static_cast<index_type>(u.next() * (m + 1));  // uniform in [0, m]
    if (t > m) t = m;
    const index_type pick = contains(t) ? m : t;
    insert(pick);
    out[count++] = pick;
  }
  heapSort(out, K);
  for (index_type k = 0; k < K; ++k) out[k] = sourceOf(r, out[k], j);
}

}  // namespace cbgtc::connectivity
