#pragma once
// A projection's synapses, built on the host from the keyed generator and
// stored on the device as a KokkosSparse::CrsMatrix with one row per source
// neuron (columns = targets, values = weights): delivery walks the rows of
// the sources that spiked.
//
// Memory per synapse: 4 bytes target index + 4 bytes float weight, plus
// 2 bytes of delay only where the projection has a delay jitter.

#include <KokkosSparse_CrsMatrix.hpp>
#include <functional>
#include <string>
#include <vector>

#include "kernels/device_arena.hpp"
#include "kernels/pull_delivery.hpp"
#include "kernels/short_term_plasticity.hpp"
#include "kernels/synapse.hpp"
#include "kernels/types.hpp"
#include "src/config.hpp"

namespace cbgtc {

using weight_type = float;
using delay_type = std::uint16_t;
using ProjectionMatrix =
    KokkosSparse::CrsMatrix<weight_type, index_type, Kokkos::Device<ExecutionSpace, MemorySpace>, void,
                            std::int64_t>;

/// Synapses of one projection grouped by target (pull form), on the
/// device: what the keyed generator produces, one thread per target.
/// Targets are local: entry j is global target target_begin + j.
struct Connectivity {
  Kokkos::View<std::int64_t*, MemorySpace> target_offsets;  // local targets + 1
  Kokkos::View<index_type*, MemorySpace> sources;           // ascending within a target
  Kokkos::View<weight_type*, MemorySpace> weights;
  Kokkos::View<delay_type*, MemorySpace> delays;            // empty: all synapses share delay_steps

  std::int64_t synapseCount() const { return static_cast<std::int64_t>(sources.extent(0)); }
};

/// Device arrays that successive buildConnectivity calls reuse, each grown
/// to the largest projection's, so that building many projections (an
/// ensemble's replicas: thousands) does not allocate anew for each.
struct ConnectivityScratch {
  Connectivity arrays;
  Kokkos::View<index_type*, MemorySpace> floyd_tables;
};

/// The same on the host, for tests and hand-made projections.
struct HostConnectivity {
  std::vector<std::int64_t> target_offsets;  // local targets + 1
  std::vector<index_type> sources;           // ascending within a target
  std::vector<weight_type> weights;
  std::vector<delay_type> delays;            // empty: all synapses share delay_steps
};

Connectivity toDevice(const HostConnectivity& host);
HostConnectivity toHost(const Connectivity& device);

struct ProjectionShape {
  index_type n_pre = 0;
  index_type n_post = 0;  // the whole target population
  bool same_population = false;
  // The targets built here (this rank's block), as global indices
  // [target_begin, target_end); target_end < 0 means n_post.
  index_type target_begin = 0;
  index_type target_end = -1;

  index_type targetEnd() const { return target_end < 0 ? n_post : target_end; }
  index_type localTargets() const { return targetEnd() - target_begin; }
};

/// Everything about one projection that the step loop needs.
struct Projection {
  std::string name;
  std::uint32_t source = 0, target = 0;             // positions in the run's population list
  ProjectionMatrix by_source;                      // rows = all sources, columns = local targets
  Kokkos::View<delay_type*, MemorySpace> delays;   // per synapse, or empty
  std::int32_t delay_steps = 1;                    // uniform delay, or the minimum
  std::int32_t max_delay_steps = 1;
  real_type tau_ms = 1;
  real_type E_rev_mV = 0;
  Delivery delivery = Delivery::ThreadPerSpike;
  PullDelivery<Kokkos::Device<ExecutionSpace, MemorySpace>> pull;  // see enablePull
  TsodyksMarkram plasticity;                                       // short-term plasticity, if enabled()
  std::vector<ReleaseState> release;  // per source neuron (all of them, on every rank)

  std::int64_t synapseCount() const { return by_source.nnz(); }
  std::size_t bytes() const;
};

/// Whether the projection's ring keeps stamps (ConductanceInput): with one
/// delay each spike stamps one slot, and none of its steps is pulled (pull
/// delivery fills slots without stamping them).
inline bool keepsStamps(const Projection& proj) { return !proj.pull.enabled() && proj.delays.extent(0) == 0; }

/// Generates the synapses of one projection on the device, one thread per
/// target: for target j the sources, weights and delays are a pure function
/// of (seed, projection key, j), the key being rng::streamKey of the
/// projection's name; the rules are in kernels/connectivity.hpp.
/// Weights are log-normal with mean g_total / E[in-degree] and the given CV.
/// Throws std::invalid_argument for an in-degree above the candidates.
/// `interrupted`, when given, is asked between chunks of targets; once it
/// says true the rest is skipped and what is returned is incomplete (the
/// caller discards it). With a `scratch`, the result is in its arrays and
/// valid until the next call with it.
Connectivity buildConnectivity(const ProjectionSettings& settings, const ProjectionShape& shape,
                               std::uint64_t seed, std::uint32_t projection_key, double dt_ms,
                               const std::function<bool()>& interrupted = {},
                               ConnectivityScratch* scratch = nullptr);

/// buildConnectivity, copied to the host.
HostConnectivity generateConnectivity(const ProjectionSettings& settings, const ProjectionShape& shape,
                                      std::uint64_t seed, std::uint32_t projection_key, double dt_ms);

/// Regroups by source, on the device. The order of the synapses within a
/// row is unspecified on parallel backends: delivery adds integers, so the
/// result does not depend on it. The matrix's arrays are taken from `arena`
/// where there is one (the projection must not outlive it).
Projection makeProjection(const ProjectionSettings& settings, const Connectivity& pull,
                          const ProjectionShape& shape, double dt_ms,
                          DeviceArena<MemorySpace>* arena = nullptr);
Projection makeProjection(const ProjectionSettings& settings, const HostConnectivity& pull,
                          const ProjectionShape& shape, double dt_ms,
                          DeviceArena<MemorySpace>* arena = nullptr);

/// Builds the transposed matrix for pull delivery in epochs of
/// `epoch_steps`, with up to max_pull_columns volleys per product. Returns false (and builds nothing) where
/// pull cannot reproduce push exactly: per-synapse delays, short-term plasticity (each spike its own
/// efficacy), or a target whose summed weights reach max_exact_pull_row_sum.
constexpr std::int32_t max_pull_columns = 8;
bool enablePull(Projection& projection, const Connectivity& pull, std::int32_t epoch_steps);
bool enablePull(Projection& projection, const HostConnectivity& pull, std::int32_t epoch_steps);

/// Steps of a delay in ms: round(delay/dt), at least 1 (a spike cannot
/// arrive in the step it was emitted in).
std::int32_t delaySteps(double delay_ms, double dt_ms);

}  // namespace cbgtc
