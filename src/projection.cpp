#include "src/projection.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "kernels/connectivity.hpp"
#include "kernels/rng.hpp"
#include "kernels/time_steps.hpp"

namespace cbgtc {

std::int32_t delaySteps(double delay_ms, double dt_ms) {
  return static_cast<std::int32_t>(std::max<std::int64_t>(1, stepsOf(delay_ms, dt_ms)));
}

std::size_t Projection::bytes() const {
  return by_source.graph.row_map.span() * sizeof(std::int64_t) +
         by_source.graph.entries.span() * sizeof(index_type) + by_source.values.span() * sizeof(weight_type) +
         delays.span() * sizeof(delay_type) + pull.by_target.graph.row_map.span() * sizeof(std::int64_t) +
         pull.by_target.graph.entries.span() * sizeof(index_type) + pull.by_target.values.span() * sizeof(double);
}

namespace {

/// Candidate sources of target j: all sources, or all but j itself.
index_type candidateCount(const ProjectionShape& shape, bool exclude_self) {
  return exclude_self ? shape.n_pre - 1 : shape.n_pre;
}

template <class T>
Kokkos::View<T*, MemorySpace> deviceCopy(const std::vector<T>& host, const std::string& label) {
  Kokkos::View<T*, MemorySpace> out(Kokkos::view_alloc(Kokkos::WithoutInitializing, label), host.size());
  const Kokkos::View<const T*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> view(host.data(),
                                                                                                 host.size());
  Kokkos::deep_copy(out, view);
  return out;
}

template <class T>
std::vector<T> hostCopy(const Kokkos::View<T*, MemorySpace>& device) {
  std::vector<T> out(device.extent(0));
  const Kokkos::View<T*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> view(out.data(), out.size());
  Kokkos::deep_copy(view, device);
  return out;
}

/// The largest array a ConnectivityScratch keeps. A larger one is made for
/// its projection alone: building it outweighs an allocation, and kept it
/// would hold memory through the rest of the build.
constexpr std::size_t scratch_kept_bytes = std::size_t(1) << 23;

/// A View of n elements, not initialised: the front of *kept, which is
/// first replaced by a longer one where it is shorter, or (without `kept`,
/// or larger than scratch_kept_bytes) one of its own.
template <class T>
Kokkos::View<T*, MemorySpace> scratchView(Kokkos::View<T*, MemorySpace>* kept, const char* label,
                                          std::int64_t n) {
  const auto make = [&] {
    Kokkos::View<T*, MemorySpace> view(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(label)),
                                       n);
    if constexpr (std::is_same_v<MemorySpace, Kokkos::HostSpace>)
      adviseHugePages(view.data(), view.span() * sizeof(T));
    return view;
  };
  if (kept == nullptr || static_cast<std::size_t>(n) * sizeof(T) > scratch_kept_bytes) return make();
  if (static_cast<std::int64_t>(kept->extent(0)) < n) *kept = make();
  return Kokkos::subview(*kept, std::pair<std::int64_t, std::int64_t>(0, n));
}

/// Counts in offsets(1..n) (offsets(0) = 0) become offsets; returns the total.
std::int64_t prefixSum(const Kokkos::View<std::int64_t*, MemorySpace>& offsets) {
  const auto n = static_cast<std::int64_t>(offsets.extent(0)) - 1;
  Kokkos::parallel_scan(
      "cbgtc::Projection::scan", Kokkos::RangePolicy<ExecutionSpace>(0, n),
      KOKKOS_LAMBDA(const std::int64_t j, std::int64_t& partial, const bool final) {
        partial += offsets(j + 1);
        if (final) offsets(j + 1) = partial;
      });
  std::int64_t total = 0;
  Kokkos::deep_copy(total, Kokkos::subview(offsets, n));
  return total;
}

/// Bounds the Floyd hash tables of one launch to 256 MiB.
constexpr std::int64_t floyd_scratch_bytes = std::int64_t(1) << 28;

/// On CPU backends (Space a host space), each row of a matrix by source
/// sorted by target, and synapses to one target by weight and delay: a
/// thread of a multi-threaded delivery then finds the targets it owns as one
/// stretch of the row (deliverToAll), and a row does not depend on the
/// order in which threads regrouped it. A GPU's rows keep that order: its
/// delivery reads whole rows, and the sums do not depend on it.
template <class Space>
void sortRowsByTarget(const Kokkos::View<std::int64_t*, MemorySpace>& row_map,
                      const Kokkos::View<index_type*, MemorySpace>& entries,
                      const Kokkos::View<weight_type*, MemorySpace>& values,
                      const Kokkos::View<delay_type*, MemorySpace>& delays) {
  if constexpr (Kokkos::SpaceAccessibility<Space, Kokkos::HostSpace>::accessible) {
    struct Synapse {
      index_type target;
      weight_type weight;
      delay_type delay;
      bool operator<(const Synapse& o) const {
        return target != o.target   ? target < o.target
               : weight != o.weight ? weight < o.weight
                                    : delay < o.delay;
      }
    };
    const bool has_delays = delays.extent(0) > 0;
    const auto synapse = [=](std::int64_t e) {
      return Synapse{entries(e), values(e), has_delays ? delays(e) : delay_type(0)};
    };
    Kokkos::parallel_for("cbgtc::Projection::sort_rows",
                         Kokkos::RangePolicy<Space>(0, static_cast<std::int64_t>(row_map.extent(0)) - 1),
                         [=](const std::int64_t r) {
                           const std::int64_t begin = row_map(r), end = row_map(r + 1);
                           bool sorted = true;
                           for (std::int64_t e = begin + 1; e < end && sorted; ++e)
                             sorted = !(synapse(e) < synapse(e - 1));
                           if (sorted) return;
                           std::vector<Synapse> row;
                           row.reserve(static_cast<std::size_t>(end - begin));
                           for (std::int64_t e = begin; e < end; ++e) row.push_back(synapse(e));
                           std::sort(row.begin(), row.end());
                           for (std::int64_t e = begin; e < end; ++e) {
                             const Synapse& x = row[static_cast<std::size_t>(e - begin)];
                             entries(e) = x.target;
                             values(e) = x.weight;
                             if (has_delays) delays(e) = x.delay;
                           }
                         });
  }
}

}  // namespace

Connectivity toDevice(const HostConnectivity& h) {
  Connectivity c;
  c.target_offsets = deviceCopy(h.target_offsets, "cbgtc::Projection::target_offsets");
  c.sources = deviceCopy(h.sources, "cbgtc::Projection::sources");
  c.weights = deviceCopy(h.weights, "cbgtc::Projection::weights");
  c.delays = deviceCopy(h.delays, "cbgtc::Projection::delays");
  return c;
}

HostConnectivity toHost(const Connectivity& c) {
  return HostConnectivity{hostCopy(c.target_offsets), hostCopy(c.sources), hostCopy(c.weights),
                          hostCopy(c.delays)};
}

Connectivity buildConnectivity(const ProjectionSettings& s, const ProjectionShape& shape, std::uint64_t seed,
                               std::uint32_t projection, double dt_ms,
                               const std::function<bool()>& interrupted, ConnectivityScratch* scratch) {
  connectivity::Rule rule;
  rule.fixed_indegree = s.rule == "fixed_indegree";
  rule.one_to_one = s.rule == "one_to_one";
  rule.exclude_self = shape.same_population && !s.autapses;
  rule.candidates = std::max<index_type>(0, candidateCount(shape, rule.exclude_self));
  rule.indegree = s.indegree;
  rule.p = s.rule == "all_to_all" ? 1.0 : s.p;
  rule.log_q = (rule.p > 0 && rule.p < 1) ? std::log1p(-rule.p) : 0.0;
  if (rule.one_to_one && (shape.n_pre != shape.n_post || rule.exclude_self))
    throw std::invalid_argument(
        "projection " + s.name +
        ": one_to_one needs a source as large as its target, and autapses within one");
  if (rule.fixed_indegree && rule.candidates > 0 && s.indegree > rule.candidates)
    throw std::invalid_argument("projection " + s.name + ": indegree " + std::to_string(s.indegree) +
                                " exceeds the " + std::to_string(rule.candidates) + " candidate sources");
  const index_type n_post = shape.localTargets();
  const index_type first = shape.target_begin;
  using Policy = Kokkos::RangePolicy<ExecutionSpace>;
  // Each pass over the targets runs in chunks of about 2^24 synapses, and
  // `interrupted` is asked between them.
  const double per_target = meanIndegree(s, rule.candidates);
  const auto chunk = static_cast<index_type>(
      std::clamp<double>(double(1 << 24) / std::max(1.0, per_target), 1024.0, double(1 << 30)));
  bool stopped = false;
  auto inChunks = [&](const char* label, index_type end, const auto& body) {
    for (index_type begin = 0; begin < end && !stopped; begin += chunk) {
      Kokkos::parallel_for(label, Policy(begin, std::min<index_type>(end, begin + chunk)), body);
      if (interrupted) {
        Kokkos::fence();
        stopped = interrupted();
      }
    }
  };

  // Pass 1: in-degrees (fixed_indegree and one_to_one know them without
  // drawing), then offsets.
  Connectivity out;
  Connectivity* const kept = scratch != nullptr ? &scratch->arrays : nullptr;
  out.target_offsets = scratchView(kept ? &kept->target_offsets : nullptr,
                                   "cbgtc::Projection::target_offsets", std::int64_t(n_post) + 1);
  const auto offsets = out.target_offsets;
  if (n_post == 0) Kokkos::deep_copy(offsets, std::int64_t(0));
  inChunks(
      "cbgtc::Projection::count", n_post, KOKKOS_LAMBDA(const index_type j) {
        if (j == 0) offsets(0) = 0;
        std::int64_t k = 0;
        if (rule.one_to_one)
          k = 1;
        else if (rule.fixed_indegree)
          k = rule.candidates > 0 ? rule.indegree : 0;
        else
          connectivity::visitBernoulli(rule, seed, projection, first + j, [&](index_type) { ++k; });
        offsets(j + 1) = k;
      });
  if (stopped) return out;
  const std::int64_t nnz = prefixSum(offsets);
  const bool jitter = s.delay_jitter_ms > 0;
  out.sources = scratchView(kept ? &kept->sources : nullptr, "cbgtc::Projection::sources", nnz);
  out.weights = scratchView(kept ? &kept->weights : nullptr, "cbgtc::Projection::weights", nnz);
  out.delays = scratchView(kept ? &kept->delays : nullptr, "cbgtc::Projection::delays", jitter ? nnz : 0);
  const auto sources = out.sources;
  const auto weights = out.weights;
  const auto delays = out.delays;

  // Pass 2: the sources of each target.
  if (rule.one_to_one) {
    inChunks(
        "cbgtc::Projection::one_to_one", n_post,
        KOKKOS_LAMBDA(const index_type j) { sources(offsets(j)) = first + j; });
  } else if (rule.fixed_indegree && rule.candidates > 0 && rule.indegree > 0) {
    const std::int64_t table_size = connectivity::floydTableSize(rule.indegree);
    const std::int64_t batch = std::max<std::int64_t>(
        1, std::min<std::int64_t>(n_post, floyd_scratch_bytes / (table_size * std::int64_t(sizeof(index_type)))));
    const auto tables = scratchView(scratch ? &scratch->floyd_tables : nullptr,
                                    "cbgtc::Projection::floyd_tables", batch * table_size);
    for (std::int64_t begin = 0; begin < n_post && !stopped; begin += batch) {
      const std::int64_t end = std::min<std::int64_t>(n_post, begin + batch);
      Kokkos::parallel_for(
          "cbgtc::Projection::floyd", Policy(begin, end), KOKKOS_LAMBDA(const std::int64_t j) {
            connectivity::floydSample(rule, seed, projection, static_cast<index_type>(first + j),
                                      &sources(offsets(j)), &tables((j - begin) * table_size), table_size);
          });
      if (interrupted) {
        Kokkos::fence();
        stopped = interrupted();
      }
    }
  } else if (!rule.fixed_indegree) {
    inChunks("cbgtc::Projection::bernoulli", n_post, KOKKOS_LAMBDA(const index_type j) {
      std::int64_t k = offsets(j);
      connectivity::visitBernoulli(rule, seed, projection, first + j, [&](index_type i) { sources(k++) = i; });
    });
  }
  if (stopped) return out;

  // Log-normal weights with the requested mean and CV; delays uniform on
  // the steps of [delay − jitter, delay + jitter].
  const double expected_indegree = meanIndegree(s, candidateCount(shape, rule.exclude_self));
  const double mean_weight = expected_indegree > 0 ? s.g_total / expected_indegree : 0.0;
  const double sigma_log = std::sqrt(std::log1p(s.weight_cv * s.weight_cv));
  const double mu_log = std::log(mean_weight > 0 ? mean_weight : 1.0) - 0.5 * sigma_log * sigma_log;
  const bool lognormal = s.weight_cv > 0 && mean_weight > 0;
  const std::int32_t d_lo = delaySteps(s.delay_ms - s.delay_jitter_ms, dt_ms);
  const std::int32_t d_hi = delaySteps(s.delay_ms + s.delay_jitter_ms, dt_ms);
  // Synapse k of a target takes number k % 4 of its block k / 4; a block
  // is drawn once for its four synapses.
  inChunks(
      "cbgtc::Projection::weights", n_post, KOKKOS_LAMBDA(const index_type j) {
        const auto global = static_cast<std::uint32_t>(first + j);
        const std::int64_t begin = offsets(j), end = offsets(j + 1);
        for (std::int64_t block_begin = begin; block_begin < end; block_begin += 4) {
          const auto block = static_cast<std::uint64_t>(block_begin - begin) / 4;
          const int in_block = static_cast<int>(end - block_begin < 4 ? end - block_begin : 4);
          rng::Normal4 z{};
          if (lognormal) z = rng::normals(seed, rng::Stream::Weights, projection, global, block);
          for (int q = 0; q < in_block; ++q)
            weights(block_begin + q) =
                static_cast<weight_type>(lognormal ? math::exp(mu_log + sigma_log * z.v[q]) : mean_weight);
          if (jitter) {
            const auto bits = rng::randomBits(seed, rng::Stream::Delays, projection, global, block);
            for (int q = 0; q < in_block; ++q) {
              const double u = rng::uniformOpen(bits.v[q]);
              const std::int32_t d = d_lo + static_cast<std::int32_t>(u * (d_hi - d_lo + 1));
              delays(block_begin + q) = static_cast<delay_type>(d < d_hi ? d : d_hi);
            }
          }
        }
      });
  return out;
}

HostConnectivity generateConnectivity(const ProjectionSettings& s, const ProjectionShape& shape,
                                      std::uint64_t seed, std::uint32_t projection, double dt_ms) {
  return toHost(buildConnectivity(s, shape, seed, projection, dt_ms));
}

Projection makeProjection(const ProjectionSettings& s, const HostConnectivity& pull,
                          const ProjectionShape& shape, double dt_ms, DeviceArena<MemorySpace>* arena) {
  return makeProjection(s, toDevice(pull), shape, dt_ms, arena);
}

Projection makeProjection(const ProjectionSettings& s, const Connectivity& c, const ProjectionShape& shape,
                          double dt_ms, DeviceArena<MemorySpace>* arena) {
  Projection proj;
  proj.name = s.name;
  proj.tau_ms = static_cast<real_type>(s.tau_ms);
  proj.E_rev_mV = static_cast<real_type>(s.E_rev_mV);
  proj.plasticity = TsodyksMarkram{s.stp_U, s.stp_tau_rec_ms, s.stp_tau_fac_ms};
  if (proj.plasticity.enabled())
    proj.release.assign(static_cast<std::size_t>(shape.n_pre), restedRelease(proj.plasticity));

  const std::int64_t nnz = c.synapseCount();
  const index_type n_pre = shape.n_pre, n_post = shape.localTargets();
  using Policy = Kokkos::RangePolicy<ExecutionSpace>;
  // Regroup by source: row lengths, offsets, then each synapse claims the
  // next free place in its source's row. Row i's start is kept one place up,
  // at starts(i + 1), as the cursor that its synapses advance: once they all
  // have their places it is row i's end, which is row i + 1's start, and
  // starts(0 .. n_pre) is the row map (no cursor array, no copy).
  const auto starts =
      zerosIn<Kokkos::View<std::int64_t*, MemorySpace>>(arena, "cbgtc::Projection::row_map", n_pre + 2);
  const auto entries =
      zerosIn<Kokkos::View<index_type*, MemorySpace>>(arena, "cbgtc::Projection::entries", nnz);
  const auto values =
      zerosIn<Kokkos::View<weight_type*, MemorySpace>>(arena, "cbgtc::Projection::values", nnz);
  const auto delays =
      zerosIn<Kokkos::View<delay_type*, MemorySpace>>(arena, "cbgtc::Projection::delays", c.delays.extent(0));
  const auto sources = c.sources;
  const auto weights = c.weights;
  const auto target_delays = c.delays;
  const auto offsets = c.target_offsets;
  const bool has_delays = c.delays.extent(0) > 0;
  Kokkos::parallel_for(
      "cbgtc::Projection::row_lengths", SynapseRange(0, nnz),
      KOKKOS_LAMBDA(const std::int64_t e) { Kokkos::atomic_add(&starts(sources(e) + 2), std::int64_t(1)); });
  // Each synapse counted once, or the regrouping below writes past its rows.
  if (const std::int64_t counted = prefixSum(starts); counted != nnz)
    throw std::logic_error("projection " + s.name + ": its rows by source hold " + std::to_string(counted) +
                           " synapses, not " + std::to_string(nnz));
  Kokkos::parallel_for(
      "cbgtc::Projection::regroup", Policy(0, n_post), KOKKOS_LAMBDA(const index_type j) {
        for (std::int64_t e = offsets(j); e < offsets(j + 1); ++e) {
          const std::int64_t at = Kokkos::atomic_fetch_add(&starts(sources(e) + 1), std::int64_t(1));
          entries(at) = j;
          values(at) = weights(e);
          if (has_delays) delays(at) = target_delays(e);
        }
      });
  const Kokkos::View<std::int64_t*, MemorySpace> row_map =
      Kokkos::subview(starts, std::pair<std::int64_t, std::int64_t>(0, n_pre + 1));
  sortRowsByTarget<ExecutionSpace>(row_map, entries, values, delays);
  proj.by_source = ProjectionMatrix("cbgtc::Projection::" + s.name, n_pre, n_post, nnz, values, row_map, entries);
  proj.delays = delays;

  proj.delay_steps = delaySteps(s.delay_ms, dt_ms);
  proj.max_delay_steps = proj.delay_steps;
  if (has_delays && nnz > 0) {
    std::int32_t lo = 0, hi = 0;
    Kokkos::parallel_reduce(
        "cbgtc::Projection::delay_range", SynapseRange(0, nnz),
        KOKKOS_LAMBDA(const std::int64_t e, std::int32_t& min, std::int32_t& max) {
          const std::int32_t d = target_delays(e);
          if (d < min) min = d;
          if (d > max) max = d;
        },
        Kokkos::Min<std::int32_t>(lo), Kokkos::Max<std::int32_t>(hi));
    proj.delay_steps = lo;
    proj.max_delay_steps = hi;
  }
  return proj;
}

bool enablePull(Projection& proj, const HostConnectivity& h, std::int32_t epoch_steps) {
  return enablePull(proj, toDevice(h), epoch_steps);
}

bool enablePull(Projection& proj, const Connectivity& c, std::int32_t epoch_steps) {
  if (c.delays.extent(0) > 0 || proj.plasticity.enabled()) return false;
  const auto n_targets = static_cast<index_type>(c.target_offsets.extent(0)) - 1;
  const std::int64_t nnz = c.synapseCount();
  using Pull = decltype(proj.pull);
  Kokkos::View<double*, MemorySpace> values(
      Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::Projection::pull_values"), nnz);
  const auto offsets = c.target_offsets;
  const auto weights = c.weights;
  double largest_row = 0;
  Kokkos::parallel_reduce(
      "cbgtc::Projection::pull_values", Kokkos::RangePolicy<ExecutionSpace>(0, n_targets),
      KOKKOS_LAMBDA(const index_type j, double& largest) {
        double row_sum = 0;
        for (std::int64_t e = offsets(j); e < offsets(j + 1); ++e) {
          values(e) = quantisedWeight(weights(e));
          row_sum += values(e);
        }
        if (row_sum > largest) largest = row_sum;
      },
      Kokkos::Max<double>(largest_row));
  if (largest_row >= max_exact_pull_row_sum) return false;
  Kokkos::View<std::int64_t*, MemorySpace> row_map(
      Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::Projection::pull_row_map"), offsets.extent(0));
  Kokkos::View<index_type*, MemorySpace> entries(
      Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::Projection::pull_entries"), nnz);
  Kokkos::deep_copy(row_map, offsets);
  Kokkos::deep_copy(entries, c.sources);
  const index_type n_sources = proj.by_source.numRows();
  Pull& pull = proj.pull;
  pull.by_target = typename Pull::Matrix("cbgtc::Projection::" + proj.name + "::by_target", n_targets, n_sources,
                                         nnz, values, row_map, entries);
  pull.epoch_steps = epoch_steps;
  pull.capacity = std::min(epoch_steps, max_pull_columns);
  pull.volleys = typename Pull::Multivector("cbgtc::" + proj.name + "::volleys", n_sources, pull.capacity);
  pull.arrivals = typename Pull::Multivector("cbgtc::" + proj.name + "::arrivals", n_targets, pull.capacity);
  pull.columns = Kokkos::View<std::int32_t*, MemorySpace>("cbgtc::" + proj.name + "::pull_columns",
                                                          epoch_steps + pull.capacity);
  pull.host_columns = Kokkos::create_mirror_view(pull.columns);
  return true;
}

}  // namespace cbgtc
