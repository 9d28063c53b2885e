// Spike exchange and delivery across ranks (run under mpiexec at np = 1..4):
// every spike emitted on any rank reaches exactly the targets its row lists,
// once, in the arrival slot of step + delay. The expectation is computed from
// the target-side (pull) connectivity, an independent path from the
// source-side matrix and the delivery kernel.

#include <gtest/gtest.h>

#include <map>

#include "kernels/synapse.hpp"
#include "src/comm/communicator.hpp"
#include "src/projection.hpp"

using namespace cbgtc;

// The source population's position in a run's list (not the first, so
// that a wrong position would deliver nothing).
constexpr std::uint32_t gpe_position = 1;

TEST(Exchange, EverySpikeReachesItsTargetsOnceAtTheRightStep) {
  const auto comm = comm::worldCommunicator();
  const index_type n_pre = 37, n_post = 53;
  const comm::Block sources = comm::blockOf(n_pre, comm->size(), comm->rank());
  const comm::Block targets = comm::blockOf(n_post, comm->size(), comm->rank());

  ProjectionSettings s;
  s.name = "exchange";
  s.source = "GPe";
  s.target = "GPi";
  s.p = 0.3;
  s.g_total = 7.0;
  s.delay_ms = 0.1;          // 4 steps
  s.delay_jitter_ms = 0.05;  // 2..6 steps
  ProjectionShape shape{n_pre, n_post, false, static_cast<index_type>(targets.begin),
                        static_cast<index_type>(targets.end)};
  const double dt = 0.025;
  const HostConnectivity pull = generateConnectivity(s, shape, 11, 3, dt);
  const Projection proj = makeProjection(s, pull, shape, dt);
  const step_type epoch = proj.delay_steps;  // the smallest delay: 2

  // Each rank emits the spikes of its own sources: source i fires at step t
  // of the epoch when (i·31 + t·17) % 5 == 0.
  auto fires = [](std::uint32_t i, step_type t) { return (i * 31 + t * 17) % 5 == 0; };
  std::vector<SpikeRecord> mine;
  for (step_type t = 0; t < epoch; ++t)
    for (auto i = static_cast<std::uint32_t>(sources.begin); i < sources.end; ++i)
      if (fires(i, t)) mine.push_back({100 + t, gpe_position, i});
  std::vector<SpikeRecord> all = comm->allgather(mine);
  std::sort(all.begin(), all.end());
  std::size_t expected_spikes = 0;
  for (step_type t = 0; t < epoch; ++t)
    for (std::uint32_t i = 0; i < static_cast<std::uint32_t>(n_pre); ++i) expected_spikes += fires(i, t);
  ASSERT_EQ(all.size(), expected_spikes);
  ASSERT_TRUE(std::adjacent_find(all.begin(), all.end()) == all.end()) << "a spike arrived twice";

  const std::int32_t n_slots = proj.max_delay_steps + 1;
  Kokkos::View<std::int64_t**, Kokkos::LayoutRight, MemorySpace> ring("cbgtc::test::ring", n_slots,
                                                                       targets.size());
  Kokkos::View<SpikeRecord*, Kokkos::HostSpace> h_spikes("cbgtc::test::spikes", all.size());
  for (std::size_t k = 0; k < all.size(); ++k) h_spikes(k) = all[k];
  auto d_spikes = Kokkos::create_mirror_view_and_copy(MemorySpace(), h_spikes);
  deliverSpikes(ExecutionSpace(), proj.by_source, d_spikes, all.size(), gpe_position,
                Kokkos::View<const delay_type*, MemorySpace>(proj.delays), proj.delay_steps, ring);
  auto got = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), ring);

  std::vector<std::int64_t> expected(static_cast<std::size_t>(n_slots * targets.size()), 0);
  std::int64_t deliveries = 0;
  for (index_type j = 0; j < targets.size(); ++j)
    for (auto e = pull.target_offsets[j]; e < pull.target_offsets[j + 1]; ++e)
      for (const auto& spike : all)
        if (spike.index == static_cast<std::uint32_t>(pull.sources[e])) {
          const auto slot = (spike.step + pull.delays[e]) % n_slots;
          expected[slot * targets.size() + j] += toQuanta(pull.weights[e]);
          ++deliveries;
        }
  for (std::int32_t slot = 0; slot < n_slots; ++slot)
    for (index_type j = 0; j < targets.size(); ++j)
      ASSERT_EQ(got(slot, j), expected[slot * targets.size() + j])
          << "rank " << comm->rank() << " slot " << slot << " target " << targets.begin + j;
  // Every rank saw synapses and deliveries (the test is not vacuous).
  EXPECT_EQ(comm->sum(static_cast<std::int64_t>(pull.sources.size())) > 0, true);
  EXPECT_GT(comm->sum(deliveries), 0);
}
