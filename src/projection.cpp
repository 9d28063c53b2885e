#include "src/projection.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>
#include <unordered_set>

#include "kernels/rng.hpp"

namespace cbgtc {

PopulationId populationIdOf(const std::string& name) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "stn") return PopulationId::STN;
  if (lower == "gpe") return PopulationId::GPe;
  if (lower == "gpi") return PopulationId::GPi;
  throw std::invalid_argument("unknown population '" + name + "' (expected STN, GPe or GPi)");
}

std::int32_t delaySteps(double delay_ms, double dt_ms) {
  return std::max<std::int32_t>(1, static_cast<std::int32_t>(std::llround(delay_ms / dt_ms)));
}

std::size_t Projection::bytes() const {
  return by_source.graph.row_map.span() * sizeof(std::int64_t) +
         by_source.graph.entries.span() * sizeof(index_type) + by_source.values.span() * sizeof(weight_type) +
         delays.span() * sizeof(delay_type) + pull.by_target.graph.row_map.span() * sizeof(std::int64_t) +
         pull.by_target.graph.entries.span() * sizeof(index_type) + pull.by_target.values.span() * sizeof(double);
}

bool enablePull(Projection& proj, const HostConnectivity& h, std::int32_t epoch_steps) {
  if (!h.delays.empty()) return false;
  const auto n_targets = static_cast<index_type>(h.target_offsets.size()) - 1;
  const auto nnz = static_cast<std::int64_t>(h.sources.size());
  using Pull = decltype(proj.pull);
  Kokkos::View<double*, Kokkos::HostSpace> values(
      Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::Projection::pull_values"), nnz);
  for (index_type j = 0; j < n_targets; ++j) {
    double row_sum = 0;
    for (std::int64_t e = h.target_offsets[j]; e < h.target_offsets[j + 1]; ++e) {
      values(e) = quantisedWeight(h.weights[static_cast<std::size_t>(e)]);
      row_sum += values(e);
    }
    if (row_sum >= max_exact_pull_row_sum) return false;
  }
  const Kokkos::View<const std::int64_t*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> row_map(
      h.target_offsets.data(), h.target_offsets.size());
  const Kokkos::View<const index_type*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> entries(
      h.sources.data(), h.sources.size());
  Kokkos::View<std::int64_t*, MemorySpace> d_row_map(
      Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::Projection::pull_row_map"), row_map.extent(0));
  Kokkos::View<index_type*, MemorySpace> d_entries(
      Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::Projection::pull_entries"), nnz);
  Kokkos::deep_copy(d_row_map, row_map);
  Kokkos::deep_copy(d_entries, entries);
  auto d_values = Kokkos::create_mirror_view_and_copy(MemorySpace(), values);
  const index_type n_sources = proj.by_source.numRows();
  Pull& pull = proj.pull;
  pull.by_target = typename Pull::Matrix("cbgtc::Projection::" + proj.name + "::by_target", n_targets, n_sources,
                                         nnz, d_values, d_row_map, d_entries);
  pull.epoch_steps = epoch_steps;
  pull.capacity = std::min(epoch_steps, max_pull_columns);
  pull.volleys = typename Pull::Multivector("cbgtc::" + proj.name + "::volleys", n_sources, pull.capacity);
  pull.arrivals = typename Pull::Multivector("cbgtc::" + proj.name + "::arrivals", n_targets, pull.capacity);
  pull.columns = Kokkos::View<std::int32_t*, MemorySpace>("cbgtc::" + proj.name + "::pull_columns",
                                                          epoch_steps + pull.capacity);
  pull.host_columns = Kokkos::create_mirror_view(pull.columns);
  return true;
}

namespace {

bool isFixedIndegree(const ProjectionSettings& s) { return s.rule == "fixed_indegree"; }

/// Candidate sources of target j: all sources, or all but j itself.
index_type candidateCount(const ProjectionShape& shape, bool exclude_self) {
  return exclude_self ? shape.n_pre - 1 : shape.n_pre;
}

/// Visits the sources of target j in ascending order.
template <class Visit>
void visitSources(const ProjectionSettings& s, const ProjectionShape& shape, bool exclude_self,
                  std::uint64_t seed, std::uint32_t projection, index_type j, Visit&& visit) {
  const index_type n = candidateCount(shape, exclude_self);
  if (n <= 0) return;
  rng::UniformSequence u(seed, rng::Stream::Connectivity, projection, static_cast<std::uint32_t>(j));
  // Candidate c maps to source c, skipping j when autapses are excluded.
  auto source = [&](index_type c) { return (exclude_self && c >= j) ? c + 1 : c; };
  if (isFixedIndegree(s)) {
    // Floyd's algorithm: K distinct values of [0, n) with K draws.
    const auto K = static_cast<index_type>(s.indegree);
    std::vector<index_type> chosen;
    chosen.reserve(static_cast<std::size_t>(K));
    std::unordered_set<index_type> seen;
    seen.reserve(static_cast<std::size_t>(2 * K));
    for (index_type m = n - K; m < n; ++m) {
      const auto t = static_cast<index_type>(u.next() * (m + 1));  // uniform in [0, m]
      const index_type pick = seen.count(std::min(t, m)) ? m : std::min(t, m);
      seen.insert(pick);
      chosen.push_back(pick);
    }
    std::sort(chosen.begin(), chosen.end());
    for (index_type c : chosen) visit(source(c));
    return;
  }
  const double p = s.p;
  if (p <= 0) return;
  if (p >= 1) {
    for (index_type c = 0; c < n; ++c) visit(source(c));
    return;
  }
  // Geometric skipping: the gap to the next success of Bernoulli(p) trials
  // is floor(ln U / ln(1 − p)).
  const double log_q = std::log1p(-p);
  double c = -1;
  while (true) {
    c += 1 + std::floor(std::log(u.next()) / log_q);
    if (c >= n) break;
    visit(source(static_cast<index_type>(c)));
  }
}

}  // namespace

HostConnectivity generateConnectivity(const ProjectionSettings& s, const ProjectionShape& shape,
                                      std::uint64_t seed, std::uint32_t projection, double dt_ms) {
  const bool exclude_self = shape.same_population && !s.autapses;
  if (isFixedIndegree(s) && candidateCount(shape, exclude_self) > 0 &&
      s.indegree > candidateCount(shape, exclude_self))
    throw std::invalid_argument("projection " + s.name + ": indegree " + std::to_string(s.indegree) +
                                " exceeds the " + std::to_string(candidateCount(shape, exclude_self)) +
                                " candidate sources");
  const index_type n_post = shape.localTargets();
  const index_type first = shape.target_begin;
  HostConnectivity out;
  out.target_offsets.assign(static_cast<std::size_t>(n_post) + 1, 0);
  using HostPolicy = Kokkos::RangePolicy<HostSpace>;

  // Pass 1: in-degrees (fixed_indegree knows them without drawing).
  Kokkos::parallel_for("cbgtc::Projection::count", HostPolicy(0, n_post), [&](const index_type j) {
    std::int64_t k = 0;
    if (isFixedIndegree(s) && candidateCount(shape, exclude_self) > 0)
      k = s.indegree;
    else
      visitSources(s, shape, exclude_self, seed, projection, first + j, [&](index_type) { ++k; });
    out.target_offsets[j + 1] = k;
  });
  for (index_type j = 0; j < n_post; ++j) out.target_offsets[j + 1] += out.target_offsets[j];
  const auto nnz = static_cast<std::size_t>(out.target_offsets[n_post]);
  out.sources.resize(nnz);
  out.weights.resize(nnz);
  const bool jitter = s.delay_jitter_ms > 0;
  if (jitter) out.delays.resize(nnz);

  // Log-normal weights with the requested mean and CV.
  const double expected_indegree =
      isFixedIndegree(s) ? static_cast<double>(s.indegree) : s.p * candidateCount(shape, exclude_self);
  const double mean_weight = expected_indegree > 0 ? s.g_total / expected_indegree : 0.0;
  const double sigma_log = std::sqrt(std::log1p(s.weight_cv * s.weight_cv));
  const double mu_log = std::log(mean_weight > 0 ? mean_weight : 1.0) - 0.5 * sigma_log * sigma_log;
  const std::int32_t d_lo = delaySteps(s.delay_ms - s.delay_jitter_ms, dt_ms);
  const std::int32_t d_hi = delaySteps(s.delay_ms + s.delay_jitter_ms, dt_ms);

  // Pass 2: sources, then weight and delay of the k-th synapse of target j.
  Kokkos::parallel_for("cbgtc::Projection::fill", HostPolicy(0, n_post), [&](const index_type j) {
    const std::int64_t begin = out.target_offsets[j];
    std::int64_t k = begin;
    const index_type global = first + j;
    visitSources(s, shape, exclude_self, seed, projection, global,
                 [&](index_type i) { out.sources[static_cast<std::size_t>(k++)] = i; });
    for (std::int64_t e = begin; e < k; ++e) {
      const auto local = static_cast<std::uint64_t>(e - begin);
      double w = mean_weight;
      if (s.weight_cv > 0 && mean_weight > 0) {
        const auto z =
            rng::normals(seed, rng::Stream::Weights, projection, static_cast<std::uint32_t>(global), local / 4);
        w = std::exp(mu_log + sigma_log * z.v[local % 4]);
      }
      out.weights[static_cast<std::size_t>(e)] = static_cast<weight_type>(w);
      if (jitter) {
        const auto bits =
            rng::randomBits(seed, rng::Stream::Delays, projection, static_cast<std::uint32_t>(global), local / 4);
        const double u = rng::uniformOpen(bits.v[local % 4]);
        const auto d = d_lo + static_cast<std::int32_t>(u * (d_hi - d_lo + 1));
        out.delays[static_cast<std::size_t>(e)] = static_cast<delay_type>(std::min(d, d_hi));
      }
    }
  });
  return out;
}

Projection makeProjection(const ProjectionSettings& s, const HostConnectivity& pull, const ProjectionShape& shape,
                          double dt_ms) {
  Projection proj;
  proj.name = s.name;
  proj.source = populationIdOf(s.source);
  proj.target = populationIdOf(s.target);
  proj.tau_ms = static_cast<real_type>(s.tau_ms);
  proj.E_rev_mV = static_cast<real_type>(s.E_rev_mV);

  const auto nnz = static_cast<std::int64_t>(pull.sources.size());
  const index_type n_pre = shape.n_pre, n_post = shape.localTargets();
  // Regroup by source; visiting targets in order keeps each row sorted by
  // target, so the layout is deterministic.
  Kokkos::View<std::int64_t*, Kokkos::HostSpace> row_map("cbgtc::Projection::row_map", n_pre + 1);
  Kokkos::View<index_type*, Kokkos::HostSpace> entries(
      Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::Projection::entries"), nnz);
  Kokkos::View<weight_type*, Kokkos::HostSpace> values(
      Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::Projection::values"), nnz);
  Kokkos::View<delay_type*, Kokkos::HostSpace> delays(
      Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::Projection::delays"), pull.delays.size());
  for (std::int64_t e = 0; e < nnz; ++e) ++row_map(pull.sources[static_cast<std::size_t>(e)] + 1);
  for (index_type i = 0; i < n_pre; ++i) row_map(i + 1) += row_map(i);
  std::vector<std::int64_t> cursor(row_map.data(), row_map.data() + n_pre);
  for (index_type j = 0; j < n_post; ++j) {
    for (std::int64_t e = pull.target_offsets[j]; e < pull.target_offsets[j + 1]; ++e) {
      const std::int64_t at = cursor[pull.sources[static_cast<std::size_t>(e)]]++;
      entries(at) = j;
      values(at) = pull.weights[static_cast<std::size_t>(e)];
      if (delays.extent(0) > 0) delays(at) = pull.delays[static_cast<std::size_t>(e)];
    }
  }

  auto d_row_map = Kokkos::create_mirror_view_and_copy(MemorySpace(), row_map);
  auto d_entries = Kokkos::create_mirror_view_and_copy(MemorySpace(), entries);
  auto d_values = Kokkos::create_mirror_view_and_copy(MemorySpace(), values);
  proj.by_source = ProjectionMatrix("cbgtc::Projection::" + s.name, n_pre, n_post, nnz, d_values, d_row_map,
                                    d_entries);
  proj.delays = Kokkos::create_mirror_view_and_copy(MemorySpace(), delays);

  proj.delay_steps = delaySteps(s.delay_ms, dt_ms);
  proj.max_delay_steps = proj.delay_steps;
  if (!pull.delays.empty()) {
    const auto [lo, hi] = std::minmax_element(pull.delays.begin(), pull.delays.end());
    proj.delay_steps = *lo;
    proj.max_delay_steps = *hi;
  }
  return proj;
}

}  // namespace cbgtc
