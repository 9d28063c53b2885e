// Delivery throughput (synaptic events per second) of the strategies against
// fan-out (row length) and the fraction of sources that spike in an epoch,
// spread over its steps or in one volley: push with a thread or a team per
// spike, and (volleys) pull, a sparse product with the transposed matrix.
// The automatic choices (chooseDelivery, execution.pull_fraction) should
// follow what this measures on each device.
//
//   bench_delivery [--sources 2000] [--fanouts 10,100,1000] [--fractions 0.01,0.1,1]
//                  [--repeats 20] [--verify]
//
// --verify checks that every strategy adds the same total to the rings.

#include <chrono>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/synapse.hpp"
#include "src/comm/communicator.hpp"
#include "src/projection.hpp"

#include "src/comm/mpi_session.hpp"

using namespace cbgtc;

// The position of the source population in a run's list.
constexpr std::uint32_t gpe_position = 1;

namespace {

std::vector<double> parseList(const char* text) {
  std::vector<double> out;
  std::stringstream list(text);
  for (std::string item; std::getline(list, item, ',');) out.push_back(std::stod(item));
  return out;
}

using Ring = Kokkos::View<std::int64_t**, Kokkos::LayoutRight, MemorySpace>;

std::int64_t ringSum(const Ring& ring) {
  std::int64_t sum = 0;
  Kokkos::parallel_reduce(
      "cbgtc::bench::ring_sum", Kokkos::RangePolicy<ExecutionSpace>(0, ring.extent(0) * ring.extent(1)),
      KOKKOS_LAMBDA(const std::size_t k, std::int64_t& s) { s += ring.data()[k]; }, sum);
  return sum;
}

}  // namespace

int main(int argc, char* argv[]) {
  cbgtc::comm::MpiSession mpi(argc, argv, cbgtc::comm::startedAsMpiRankOrExit("bench_delivery"));
  int rc = 0;
  {
    Kokkos::ScopeGuard kokkos(argc, argv);
    index_type n_pre = 2000;
    std::vector<double> fanouts = {10, 100, 1000}, fractions = {0.01, 0.1, 1.0};
    int repeats = 20;
    bool verify = false;
    for (int i = 1; i < argc; ++i) {
      if (!std::strcmp(argv[i], "--sources") && i + 1 < argc) n_pre = std::stoi(argv[++i]);
      else if (!std::strcmp(argv[i], "--fanouts") && i + 1 < argc) fanouts = parseList(argv[++i]);
      else if (!std::strcmp(argv[i], "--fractions") && i + 1 < argc) fractions = parseList(argv[++i]);
      else if (!std::strcmp(argv[i], "--repeats") && i + 1 < argc) repeats = std::stoi(argv[++i]);
      else if (!std::strcmp(argv[i], "--verify")) verify = true;
    }
    // A row holds at most one synapse per target, and there are as many
    // targets as sources.
    for (double fanout : fanouts)
      if (!(fanout >= 1 && fanout <= n_pre)) {
        std::fprintf(stderr, "bench_delivery: --fanouts %g is not within 1 to the %lld sources (--sources)\n",
                     fanout, static_cast<long long>(n_pre));
        rc = 2;
      }
    if (rc == 0)
      std::printf("backend,sources,fanout,spiking_fraction,layout,strategy,us_per_epoch,events_per_s\n");
    for (double fanout : rc == 0 ? fanouts : std::vector<double>{}) {
      // Fixed in-degree K = fanout with as many targets as sources: every
      // row has fanout synapses on average.
      const index_type n_post = n_pre;
      ProjectionSettings s;
      s.name = "bench";
      s.source = "GPe";
      s.target = "GPi";
      s.rule = "fixed_indegree";
      s.indegree = static_cast<std::int64_t>(fanout * n_pre / n_post);
      s.g_total = 1.0;
      s.delay_ms = 5.0;
      const ProjectionShape shape{n_pre, n_post, false};
      const HostConnectivity host_synapses = generateConnectivity(s, shape, 1, 0, 0.025);
      Projection proj = makeProjection(s, host_synapses, shape, 0.025);
      const std::int32_t epoch = 200;
      const bool pull_ok = enablePull(proj, host_synapses, epoch);
      std::vector<std::int64_t> row_length(static_cast<std::size_t>(n_pre), 0);
      for (index_type i : host_synapses.sources) ++row_length[static_cast<std::size_t>(i)];
      Ring ring("cbgtc::bench::ring", proj.max_delay_steps + 1, n_post);
      for (double fraction : fractions) {
        // One epoch: the spiking sources fire once each, at steps spread over
        // the epoch (spread), or all in its first step (volley: a DBS pulse).
        for (const bool volley : {false, true}) {
          Kokkos::View<SpikeRecord*, Kokkos::HostSpace> host("cbgtc::bench::spikes", n_pre);
          std::vector<std::int64_t> per_step(epoch, 0);
          std::size_t n = 0;
          const auto stride = static_cast<index_type>(std::max(1.0, 1.0 / fraction));
          for (index_type i = 0; i < n_pre; i += stride) {
            const std::int64_t step = volley ? 0 : i % epoch;
            host(n++) = SpikeRecord{step, gpe_position,
                                          static_cast<std::uint32_t>(i)};
            ++per_step[static_cast<std::size_t>(step)];
          }
          auto spikes = Kokkos::create_mirror_view_and_copy(MemorySpace(), host);
          std::int64_t events = 0;
          for (std::size_t k = 0; k < n; ++k) events += row_length[host(k).index];
          const char* names[3] = {"thread", "team", "pull"};
          std::int64_t sums[3] = {0, 0, 0};
          const int strategies = volley && pull_ok ? 3 : 2;
          for (int strategy = 0; strategy < strategies; ++strategy) {
            Kokkos::deep_copy(ring, 0);
            auto deliver = [&] {
              const auto gpe = gpe_position;
              const Kokkos::View<const delay_type*, MemorySpace> no_delays;
              if (strategy < 2) {
                deliverSpikes(ExecutionSpace(), proj.by_source, spikes, n, gpe, no_delays, proj.delay_steps, ring,
                              strategy == 0 ? Delivery::ThreadPerSpike : Delivery::TeamPerSpike);
                return;
              }
              // What the simulation does each epoch: plan on the host, then
              // pull the planned steps and push the rest.
              const std::int32_t columns = planPull(per_step, n_pre, 0.0, proj.pull.capacity, proj.pull.host_columns);
              pullSpikes(ExecutionSpace(), proj.pull, columns, spikes, n, gpe, 0, proj.delay_steps, ring);
              deliverSpikes(ExecutionSpace(), proj.by_source, spikes, n, gpe, no_delays, proj.delay_steps, ring,
                            Delivery::ThreadPerSpike, Kokkos::View<const std::int32_t*, MemorySpace>(proj.pull.columns));
            };
            deliver();  // warm-up
            Kokkos::fence();
            sums[strategy] = ringSum(ring);
            const auto t0 = std::chrono::steady_clock::now();
            for (int r = 0; r < repeats; ++r) deliver();
            Kokkos::fence();
            const double seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / repeats;
            std::printf("%s,%d,%g,%g,%s,%s,%.2f,%.3e\n", ExecutionSpace::name(), n_pre, fanout, fraction,
                        volley ? "volley" : "spread", names[strategy], seconds * 1e6, events / seconds);
          }
          for (int strategy = 1; strategy < strategies; ++strategy)
            if (verify && (sums[strategy] != sums[0] || sums[0] == 0)) {
              std::fprintf(stderr, "bench_delivery: %s and thread disagree (%lld vs %lld)\n", names[strategy],
                           static_cast<long long>(sums[strategy]), static_cast<long long>(sums[0]));
              rc = 1;
            }
        }
      }
    }
  }
  return rc;
}
