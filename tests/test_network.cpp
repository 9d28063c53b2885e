// Projections, delivery, conductances and noise of the coupled network.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <tuple>
#include <type_traits>

#include "kernels/chunk_claims.hpp"
#include "kernels/neuron_update.hpp"
#include "kernels/ou_noise.hpp"
#include "kernels/population_sums.hpp"
#include "kernels/synapse.hpp"
#include "src/comm/communicator.hpp"
#include "src/projection.hpp"
#include "src/simulation.hpp"

using namespace cbgtc;

// Positions of a source and another population in a run's list.
constexpr std::uint32_t stn_position = 0, gpe_position = 1;

namespace {

using Ring = Kokkos::View<std::int64_t**, Kokkos::LayoutRight, MemorySpace>;

ProjectionSettings settings(const std::string& rule, double p, std::int64_t K, double g_total) {
  ProjectionSettings s;
  s.name = "test";
  s.source = "GPe";
  s.target = "GPi";
  s.rule = rule;
  s.p = p;
  s.indegree = K;
  s.g_total = g_total;
  s.weight_cv = 0.2;
  return s;
}

/// Host connectivity of one source with the given targets, weights, delays.
HostConnectivity oneSource(index_type n_post, const std::vector<std::pair<index_type, weight_type>>& synapses,
                           const std::vector<delay_type>& delays = {}) {
  HostConnectivity c;
  c.target_offsets.assign(static_cast<std::size_t>(n_post) + 1, 0);
  for (const auto& [target, w] : synapses) ++c.target_offsets[target + 1];
  for (index_type j = 0; j < n_post; ++j) c.target_offsets[j + 1] += c.target_offsets[j];
  std::vector<std::pair<index_type, std::size_t>> order;
  for (std::size_t e = 0; e < synapses.size(); ++e) order.emplace_back(synapses[e].first, e);
  std::sort(order.begin(), order.end());
  for (const auto& [target, e] : order) {
    c.sources.push_back(0);
    c.weights.push_back(synapses[e].second);
    if (!delays.empty()) c.delays.push_back(delays[e]);
  }
  return c;
}

/// Runs `steps` steps of one projection's delivery and conductance on the
/// device: the single source spikes at the steps in `spike_steps`; returns
/// g_k·(V − E) with V − E = 1 for each target, i.e. g_k, per step.
std::vector<std::vector<double>> conductanceTrace(const Projection& proj, std::int32_t n_post,
                                                  const std::set<step_type>& spike_steps, step_type steps,
                                                  double decay) {
  const Ring ring("cbgtc::test::ring", proj.max_delay_steps + 1, n_post);
  const Kokkos::View<real_type*, MemorySpace> g("cbgtc::test::g", n_post);
  PopulationDrive<MemorySpace> drive = quietDrive<MemorySpace>();
  drive.synapses.add(ConductanceInput::of(ring, g, static_cast<real_type>(decay), 0));
  Kokkos::View<SpikeRecord*, MemorySpace> spike("cbgtc::test::spike", 1);
  Kokkos::View<double*, MemorySpace> g_out("cbgtc::test::g_out", n_post);
  std::vector<std::vector<double>> trace;
  for (step_type k = 0; k < steps; ++k) {
    // Step k: targets read their input (V − E = 1) through the drive the
    // simulation steps with (one-step launch), then the source's spike of
    // step k is delivered.
    Kokkos::parallel_for(
        "cbgtc::test::read", Kokkos::RangePolicy<ExecutionSpace>(0, n_post), KOKKOS_LAMBDA(const int j) {
          real_type abs_sum, G_sum;
          auto x = drive.load(j, k);
          const real_type I = drive.inputCurrent(j, k, k + 1, real_type(1), abs_sum, G_sum, x);
          // At V − E = 1 the current is −g, and the conductance the drive
          // reports for implicit models is the same g (−1: they differ).
          g_out(j) = -I == G_sum ? G_sum : real_type(-1);
          drive.store(j, x);
        });
    if (spike_steps.count(k)) {
      auto h = Kokkos::create_mirror_view(spike);
      h(0) = SpikeRecord{k, gpe_position, 0};
      Kokkos::deep_copy(spike, h);
      deliverSpikes(ExecutionSpace(), proj.by_source, spike, 1, gpe_position,
                    Kokkos::View<const delay_type*, MemorySpace>(proj.delays), proj.delay_steps, ring);
    }
    auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), g_out);
    trace.emplace_back(host.data(), host.data() + n_post);
  }
  return trace;
}

double quantized(weight_type w) { return static_cast<double>(toQuanta(w)) * conductance_quantum; }

}  // namespace

// A spike emitted in step j reaches the target's conductance at the start
// of step j + d, exactly; the ring wraps around many times.
TEST(Delivery, SpikeArrivesExactlyDelayStepsLater) {
  const std::int32_t d = 7;
  ProjectionSettings s = settings("fixed_probability", 1, 0, 0);
  s.delay_ms = d * 0.025;
  const ProjectionShape shape{1, 1, false};
  const Projection proj = makeProjection(s, oneSource(1, {{0, 0.5f}}), shape, 0.025);
  ASSERT_EQ(proj.delay_steps, d);
  const std::set<step_type> spikes = {3, 20, 21, 40, 77};
  const double decay = 0.9;
  const auto trace = conductanceTrace(proj, 1, spikes, 100, decay);
  // Expected conductance by direct superposition of exponentials.
  for (step_type k = 0; k < 100; ++k) {
    double expected = 0;
    for (step_type j : spikes)
      if (k >= j + d) expected += quantized(0.5f) * std::pow(decay, static_cast<double>(k - j - d));
    EXPECT_NEAR(trace[k][0], expected, 1e-6 * (1 + expected)) << "step " << k;
  }
  EXPECT_EQ(trace[3 + d - 1][0], 0.0);
  EXPECT_GT(trace[3 + d][0], 0.0);
}

TEST(Delivery, PerSynapseDelaysArriveAtTheirOwnSteps) {
  ProjectionSettings s = settings("fixed_probability", 1, 0, 0);
  s.delay_ms = 5 * 0.025;
  s.delay_jitter_ms = 3 * 0.025;  // delays 2..8 steps
  const ProjectionShape shape{1, 3, false};
  const Projection proj =
      makeProjection(s, oneSource(3, {{0, 1.0f}, {1, 1.0f}, {2, 1.0f}}, {2, 8, 5}), shape, 0.025);
  EXPECT_EQ(proj.delay_steps, 2);
  EXPECT_EQ(proj.max_delay_steps, 8);
  const auto trace = conductanceTrace(proj, 3, {10}, 30, 1.0);  // no decay: a step function
  const int arrival[3] = {12, 18, 15};
  for (int j = 0; j < 3; ++j)
    for (step_type k = 0; k < 30; ++k) EXPECT_EQ(trace[k][j] > 0, k >= arrival[j]) << j << " " << k;
}

// Conductance after one arrival decays as w·e^{−(k−k0)dt/τ}.
TEST(Delivery, ConductanceDecaysExponentially) {
  const double tau_ms = 3.0, dt = 0.025;
  ProjectionSettings s = settings("fixed_probability", 1, 0, 0);
  s.delay_ms = dt;
  const Projection proj = makeProjection(s, oneSource(1, {{0, 2.0f}}), ProjectionShape{1, 1, false}, dt);
  const auto trace = conductanceTrace(proj, 1, {0}, 400, std::exp(-dt / tau_ms));
  for (step_type k = 1; k < 400; ++k) {
    const double analytic = 2.0 * std::exp(-(k - 1) * dt / tau_ms);
    const double tol = std::is_same_v<real_type, double> ? 1e-9 : 1e-5;
    EXPECT_NEAR(trace[k][0], analytic, tol * 2.0) << k;
  }
}

// The quanta added to the ring equal, exactly, the sum over spiking sources
// of their rows' quantized weights; and that sum is Σw to within a quantum
// per synapse.
TEST(Delivery, AddedConductanceEqualsSumOfSpikingWeights) {
  const ProjectionShape shape{300, 200, false};
  ProjectionSettings s = settings("fixed_probability", 0.2, 0, 50.0);
  s.delay_ms = 0.1;
  s.delay_jitter_ms = 0.05;
  const HostConnectivity pull = generateConnectivity(s, shape, 9, 0, 0.025);
  const Projection proj = makeProjection(s, pull, shape, 0.025);
  std::vector<std::uint8_t> spiking(300);
  for (int i = 0; i < 300; ++i) spiking[i] = (i * 7919) % 5 == 0;
  // The spiking sources, plus spikes of another population that must be ignored.
  Kokkos::View<SpikeRecord*, Kokkos::HostSpace> h_spikes("cbgtc::test::spikes", 600);
  std::size_t n_spikes = 0;
  for (std::uint32_t i = 0; i < 300; ++i) {
    if (spiking[i]) h_spikes(n_spikes++) = SpikeRecord{1234, gpe_position, i};
    h_spikes(n_spikes++) = SpikeRecord{1234, stn_position, i};
  }
  auto spikes = Kokkos::create_mirror_view_and_copy(MemorySpace(), h_spikes);
  Ring ring("cbgtc::test::ring", proj.max_delay_steps + 1, 200);
  deliverSpikes(ExecutionSpace(), proj.by_source, spikes, n_spikes, gpe_position,
                Kokkos::View<const delay_type*, MemorySpace>(proj.delays), proj.delay_steps, ring);
  auto h_ring = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), ring);
  // The team-per-spike strategy adds the same integers to the same slots.
  Ring team_ring("cbgtc::test::team_ring", proj.max_delay_steps + 1, 200);
  deliverSpikes(ExecutionSpace(), proj.by_source, spikes, n_spikes, gpe_position,
                Kokkos::View<const delay_type*, MemorySpace>(proj.delays), proj.delay_steps, team_ring,
                Delivery::TeamPerSpike);
  auto h_team = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), team_ring);
  for (std::size_t a = 0; a < h_ring.extent(0); ++a)
    for (std::size_t b = 0; b < h_ring.extent(1); ++b) ASSERT_EQ(h_team(a, b), h_ring(a, b)) << a << " " << b;
  std::int64_t ring_sum = 0;
  for (std::size_t a = 0; a < h_ring.extent(0); ++a)
    for (std::size_t b = 0; b < h_ring.extent(1); ++b) ring_sum += h_ring(a, b);
  std::int64_t expected_quanta = 0;
  double expected_weight = 0;
  std::int64_t synapses = 0;
  for (std::size_t e = 0; e < pull.sources.size(); ++e)
    if (spiking[pull.sources[e]]) {
      expected_quanta += toQuanta(pull.weights[e]);
      expected_weight += pull.weights[e];
      ++synapses;
    }
  EXPECT_GT(synapses, 0);
  EXPECT_EQ(ring_sum, expected_quanta);
  EXPECT_NEAR(static_cast<double>(ring_sum) * conductance_quantum, expected_weight,
              (synapses + 1) * conductance_quantum);
}

// Every slot of a ring that holds arrivals carries their step as its stamp
// (ConductanceInput): one of the arrival steps of the spikes, congruent to
// the slot. A step reads only slots stamped with its own step.
void expectStampedWhereArrivals(const Ring& ring, const Kokkos::View<std::int64_t*, MemorySpace>& stamps,
                                const std::set<step_type>& arrivals, std::size_t p) {
  const auto r = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), ring);
  const auto s = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), stamps);
  const auto n_slots = static_cast<step_type>(r.extent(0));
  std::size_t stamped = 0;
  for (std::size_t x = 0; x < r.extent(0); ++x) {
    bool holds = false;
    for (std::size_t y = 0; y < r.extent(1); ++y) holds |= r(x, y) != 0;
    if (!holds) continue;
    ++stamped;
    EXPECT_EQ(s(x) % n_slots, static_cast<step_type>(x)) << "projection " << p << " slot " << x;
    EXPECT_EQ(arrivals.count(s(x)), 1u) << "projection " << p << " slot " << x << " stamp " << s(x);
  }
  EXPECT_GT(stamped, 0u) << p;
}

// Three projections (two out of the GPe, one out of the STN, one with
// per-synapse delays) delivered in one launch fill each ring exactly as a
// launch per projection does, with either strategy; spikes of a population
// beyond the table are skipped. The rings of a uniform delay are stamped,
// by either delivery (and by a CPU delivery in parts, where part 0 alone
// stamps).
TEST(Delivery, OneLaunchForManyProjectionsFillsTheirRingsAsOneEach) {
  struct Case {
    std::uint32_t source;
    double jitter_ms;
  };
  const std::vector<Case> cases = {{gpe_position, 0.05}, {stn_position, 0.0}, {gpe_position, 0.0}};
  const ProjectionShape shape{300, 200, false};
  std::vector<Projection> projections;
  for (std::size_t c = 0; c < cases.size(); ++c) {
    ProjectionSettings s = settings("fixed_probability", 0.2, 0, 50.0);
    s.delay_ms = 0.1;
    s.delay_jitter_ms = cases[c].jitter_ms;
    projections.push_back(makeProjection(
        s, generateConnectivity(s, shape, 9 + c, static_cast<std::uint32_t>(c), 0.025), shape, 0.025));
    projections.back().source = cases[c].source;
  }
  Kokkos::View<SpikeRecord*, Kokkos::HostSpace> h_spikes("cbgtc::test::spikes", 1000);
  std::size_t n_spikes = 0;
  for (std::uint32_t i = 0; i < 300; ++i) {
    if (i % 3 == 0) h_spikes(n_spikes++) = SpikeRecord{1234 + i % 4, gpe_position, i};
    if (i % 5 == 0) h_spikes(n_spikes++) = SpikeRecord{1235, stn_position, i};
    if (i % 7 == 0) h_spikes(n_spikes++) = SpikeRecord{1236, 5, i};  // beyond the table's populations
  }
  const auto spikes = Kokkos::create_mirror_view_and_copy(MemorySpace(), h_spikes);
  // The arrival steps of each projection's spikes (uniform delays).
  std::vector<std::set<step_type>> arrivals(projections.size());
  for (std::size_t p = 0; p < projections.size(); ++p)
    for (std::size_t s = 0; s < n_spikes; ++s)
      if (h_spikes(s).source() == projections[p].source)
        arrivals[p].insert(h_spikes(s).step + projections[p].delay_steps);
  using Stamps = Kokkos::View<std::int64_t*, MemorySpace>;
  const auto table = [&](std::vector<Ring>& rings, std::vector<Stamps>& stamps) {
    // The table's rows sorted by source population: the STN's, then the GPe's.
    std::vector<DeliverySlot<ProjectionMatrix>> slots;
    rings.resize(projections.size());
    stamps.resize(projections.size());
    for (std::size_t p = 0; p < projections.size(); ++p) {
      rings[p] = Ring("cbgtc::test::together", projections[p].max_delay_steps + 1, 200);
      stamps[p] = Stamps("cbgtc::test::stamps", projections[p].max_delay_steps + 1);
      Kokkos::deep_copy(stamps[p], -1);
    }
    for (const std::size_t p : {1u, 0u, 2u}) {
      const Projection& proj = projections[p];
      slots.push_back(deliverySlot(proj.by_source, proj.delays, proj.delay_steps, rings[p], stamps[p]));
      EXPECT_EQ(slots.back().stamps == nullptr, proj.delays.extent(0) > 0);  // stamps with one delay only
    }
    return slots;
  };
  std::vector<std::int32_t> first = {0, 1, 3};
  for (const Delivery strategy : {Delivery::ThreadPerSpike, Delivery::TeamPerSpike}) {
    std::vector<Ring> alone, together;
    std::vector<Stamps> stamps, alone_stamps;
    for (const Projection& proj : projections) {
      alone.emplace_back("cbgtc::test::alone", proj.max_delay_steps + 1, 200);
      alone_stamps.emplace_back("cbgtc::test::alone_stamps", proj.max_delay_steps + 1);
      Kokkos::deep_copy(alone_stamps.back(), -1);
      deliverSpikes(ExecutionSpace(), proj.by_source, spikes, n_spikes, proj.source,
                    Kokkos::View<const delay_type*, MemorySpace>(proj.delays), proj.delay_steps, alone.back(),
                    strategy, {}, 0, {}, alone_stamps.back());
    }
    std::vector<DeliverySlot<ProjectionMatrix>> slots = table(together, stamps);
    Kokkos::View<DeliverySlot<ProjectionMatrix>*, MemorySpace> d_slots("cbgtc::test::slots", slots.size());
    Kokkos::View<std::int32_t*, MemorySpace> d_first("cbgtc::test::first", first.size());
    Kokkos::deep_copy(d_slots,
                      Kokkos::View<DeliverySlot<ProjectionMatrix>*, Kokkos::HostSpace,
                                   Kokkos::MemoryTraits<Kokkos::Unmanaged>>(slots.data(), slots.size()));
    Kokkos::deep_copy(d_first,
                      Kokkos::View<std::int32_t*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>(
                          first.data(), first.size()));
    deliverToAll(ExecutionSpace(), d_slots, d_first, spikes, n_spikes, strategy);
    EXPECT_GT(projections[0].delays.extent(0), 0u);  // one with per-synapse delays
    for (std::size_t p = 0; p < projections.size(); ++p) {
      const auto a = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), alone[p]);
      const auto b = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), together[p]);
      std::int64_t sum = 0;
      for (std::size_t x = 0; x < a.extent(0); ++x)
        for (std::size_t y = 0; y < a.extent(1); ++y) {
          ASSERT_EQ(b(x, y), a(x, y)) << "projection " << p << " slot " << x << " target " << y;
          sum += a(x, y);
        }
      EXPECT_GT(sum, 0) << p;
      if (projections[p].delays.extent(0) == 0) {
        expectStampedWhereArrivals(together[p], stamps[p], arrivals[p], p);
        expectStampedWhereArrivals(alone[p], alone_stamps[p], arrivals[p], p);
      }
    }
  }
  // A CPU backend's delivery in two parts (deliverToPart), one after the
  // other: the same rings and stamps as one part.
  if (Kokkos::SpaceAccessibility<Kokkos::HostSpace, MemorySpace>::accessible) {
    std::vector<Ring> one, two;
    std::vector<Stamps> one_stamps, two_stamps;
    const auto slots_one = table(one, one_stamps);
    const auto slots_two = table(two, two_stamps);
    const Kokkos::View<const DeliverySlot<ProjectionMatrix>*, Kokkos::HostSpace,
                       Kokkos::MemoryTraits<Kokkos::Unmanaged>>
        h_one(slots_one.data(), slots_one.size()), h_two(slots_two.data(), slots_two.size());
    const Kokkos::View<const std::int32_t*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>
        h_first(first.data(), first.size());
    deliverToPart(0, 1, h_one, h_first, h_spikes, n_spikes);
    for (int part = 0; part < 2; ++part) deliverToPart(part, 2, h_two, h_first, h_spikes, n_spikes);
    for (std::size_t p = 0; p < projections.size(); ++p) {
      for (std::size_t x = 0; x < one[p].extent(0); ++x) {
        EXPECT_EQ(two_stamps[p](x), one_stamps[p](x)) << "projection " << p << " slot " << x;
        for (std::size_t y = 0; y < one[p].extent(1); ++y)
          ASSERT_EQ(two[p](x, y), one[p](x, y)) << "projection " << p << " slot " << x << " target " << y;
      }
      if (projections[p].delays.extent(0) == 0)
        expectStampedWhereArrivals(two[p], two_stamps[p], arrivals[p], p);
    }
  }
}

// Each neuron's V moments of an epoch's analysed samples, added to what it
// had, for populations of one block and of several (moment_block_neurons
// each, the last partly filled): the same doubles as a loop over the samples,
// whether a neuron's two sums lie side by side (LayoutRight) or a population
// apart (LayoutLeft, as Population::v_moments).
template <class MomentsLayout>
void checkMomentsOfEveryNeuronOfEveryPopulation() {
  const std::vector<index_type> sizes = {5, 2 * moment_block_neurons + 3};
  const std::int64_t samples = 4, first_row = 1;
  std::vector<Kokkos::View<real_type**, Kokkos::LayoutRight, MemorySpace>> scratch;
  std::vector<Kokkos::View<double**, MomentsLayout, MemorySpace>> moments;
  Kokkos::View<MomentSlot*, MemorySpace> slots("cbgtc::test::moment_slots", sizes.size());
  const auto h_slots = Kokkos::create_mirror_view(slots);
  for (std::size_t p = 0; p < sizes.size(); ++p) {
    scratch.emplace_back("cbgtc::test::v_scratch", samples, sizes[p] + 7);  // rows longer than the population
    moments.emplace_back("cbgtc::test::v_moments", sizes[p], 2);
    const auto h = Kokkos::create_mirror_view(scratch[p]);
    const auto m = Kokkos::create_mirror_view(moments[p]);
    for (std::int64_t r = 0; r < samples; ++r)
      for (index_type i = 0; i < sizes[p] + 7; ++i) h(r, i) = real_type(-70 + 0.37 * i - 1.3 * r + 2.1 * p);
    for (index_type i = 0; i < sizes[p]; ++i) {
      m(i, 0) = 0.5 * i;
      m(i, 1) = 3.0 + i;
    }
    Kokkos::deep_copy(scratch[p], h);
    Kokkos::deep_copy(moments[p], m);
    h_slots(p) = MomentSlot{scratch[p].data(),
                            sizes[p],
                            static_cast<std::int64_t>(scratch[p].stride(0)),
                            moments[p].data(),
                            static_cast<std::int64_t>(moments[p].stride(0)),
                            static_cast<std::int64_t>(moments[p].stride(1))};
  }
  Kokkos::deep_copy(slots, h_slots);
  addMoments(ExecutionSpace(), slots, first_row, samples, sizes.back());
  for (std::size_t p = 0; p < sizes.size(); ++p) {
    const auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), scratch[p]);
    const auto m = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), moments[p]);
    for (index_type i = 0; i < sizes[p]; ++i) {
      // Added one sample after another to what was there: the same bits
      // however the samples are split between calls.
      double sum = 0.5 * i, squares = 3.0 + i;
      for (std::int64_t r = first_row; r < samples; ++r) {
        const double v = static_cast<double>(h(r, i));
        sum += v;
        squares += v * v;
      }
      ASSERT_EQ(m(i, 0), sum) << "population " << p << " neuron " << i;
      ASSERT_EQ(m(i, 1), squares) << "population " << p << " neuron " << i;
    }
  }
}

TEST(PopulationSums, MomentsOfEveryNeuronOfEveryPopulation) {
  {
    SCOPED_TRACE("LayoutRight");
    checkMomentsOfEveryNeuronOfEveryPopulation<Kokkos::LayoutRight>();
  }
  SCOPED_TRACE("LayoutLeft");
  checkMomentsOfEveryNeuronOfEveryPopulation<Kokkos::LayoutLeft>();
}

// A CPU launch over a population's chunks, split as a static schedule
// splits it: contiguous parts of whole chunks that cover the population once,
// the first (chunks mod parts) parts one chunk longer.
TEST(Delivery, ChunkPartsSplitAsAStaticSchedule) {
  for (const index_type n : {0, 1, 15, 16, 17, 100, 1000, 1001, 4500})
    for (const int parts : {1, 2, 3, 4, 7, 16}) {
      const index_type chunks = (n + lanes_per_chunk - 1) / lanes_per_chunk;
      EXPECT_EQ(chunkPartBegin(n, 0, parts), 0);
      EXPECT_EQ(chunkPartBegin(n, parts, parts), n) << n << " " << parts;
      for (int t = 0; t < parts; ++t) {
        const index_type a = chunkPartBegin(n, t, parts), b = chunkPartBegin(n, t + 1, parts);
        ASSERT_LE(a, b);
        EXPECT_TRUE(a % lanes_per_chunk == 0 || a == n);
        const index_type own = (b - a + lanes_per_chunk - 1) / lanes_per_chunk;
        EXPECT_EQ(own, chunks / parts + (t < chunks % parts ? 1 : 0)) << n << " " << parts << " " << t;
      }
    }
}

// chunkPartOf names the part whose share holds a neuron: the inverse of
// chunkPartBegin for every neuron, however the chunks divide.
TEST(Delivery, ChunkPartOfFindsTheShareHoldingEachNeuron) {
  for (const index_type n : {1, 15, 16, 17, 100, 1000, 1001, 4500})
    for (const int parts : {1, 2, 3, 4, 7, 16, 200})
      for (int t = 0; t < parts; ++t)
        for (index_type i = chunkPartBegin(n, t, parts); i < chunkPartBegin(n, t + 1, parts); ++i)
          ASSERT_EQ(chunkPartOf(i, n, parts), t) << n << " " << parts << " " << i;
}

// One thread claiming alone takes its own part's chunks first, population
// by population in order, then the next parts' in turn: every chunk of
// every population once, each a whole chunk of its part (chunkPartBegin),
// and then nothing. Populations smaller than the parts and empty ones too.
TEST(Delivery, ChunkClaimsGiveTheOwnPartFirstThenTheOthersEachChunkOnce) {
  const std::vector<index_type> sizes = {100, 0, 1000, 5, 1501, 16};
  for (const int parts : {1, 2, 3, 7})
    for (int part = 0; part < parts; ++part) {
      ChunkClaims claims(sizes, parts);
      std::vector<std::pair<std::size_t, index_type>> expected;
      for (int o = 0; o < parts; ++o) {
        const int p = (part + o) % parts;
        for (std::size_t g = 0; g < sizes.size(); ++g)
          for (index_type i0 = chunkPartBegin(sizes[g], p, parts);
               i0 < chunkPartBegin(sizes[g], p + 1, parts); i0 += lanes_per_chunk)
            expected.emplace_back(g, i0);
      }
      std::vector<std::pair<std::size_t, index_type>> claimed;
      ChunkClaims::Chunk chunk;
      while (claims.claim(part, chunk)) claimed.emplace_back(chunk.population, chunk.first);
      EXPECT_EQ(claimed, expected) << parts << " parts, part " << part;
      EXPECT_FALSE(claims.claim((part + 1) % parts, chunk));
    }
}

// Threads claiming at once, each from its own part first, advance every
// chunk once between them, however they interleave; a thread left alone
// (the others slow, or not started) takes the others' chunks too.
TEST(Delivery, ChunkClaimsOfThreadsAtOnceCoverEveryChunkOnce) {
  const std::vector<index_type> sizes = {1000, 2000, 1500, 7};
  index_type chunks = 0;
  for (const index_type n : sizes) chunks += (n + lanes_per_chunk - 1) / lanes_per_chunk;
  for (const int parts : {2, 3, 4}) {
    ChunkClaims claims(sizes, parts);
    std::vector<std::vector<ChunkClaims::Chunk>> taken(static_cast<std::size_t>(parts));
    std::vector<std::thread> threads;
    for (int part = 0; part < parts; ++part)
      threads.emplace_back([&, part] {
        ChunkClaims::Chunk chunk;
        while (claims.claim(part, chunk)) taken[static_cast<std::size_t>(part)].push_back(chunk);
      });
    for (auto& t : threads) t.join();
    std::set<std::pair<std::size_t, index_type>> seen;
    std::size_t total = 0;
    for (const auto& list : taken)
      for (const auto& c : list) {
        ++total;
        EXPECT_TRUE(seen.emplace(c.population, c.first).second)
            << "claimed twice: " << c.population << " " << c.first;
        EXPECT_EQ(c.first % lanes_per_chunk, 0);
        EXPECT_LT(c.first, sizes[c.population]);
      }
    EXPECT_EQ(total, static_cast<std::size_t>(chunks)) << parts;
  }
}

// A spike buffer in parts (a CPU launch's threads each append to their own)
// holds, once gathered, every spike appended, each once, whichever part
// holds it and in whatever order the parts were filled; a part appended
// past its room is an overflow although the whole buffer has room.
TEST(SpikeBuffers, PartsGatherEverySpikeOnceAndReportAPartsOverflow) {
  using HostBuffer = SpikeBuffer<Kokkos::HostSpace, true>;  // in parts whatever the host backend
  const index_type n = 100;  // 7 chunks: parts of 3, 2 and 2 chunks
  const int parts = 3;
  std::vector<std::int64_t> room;  // three spikes a neuron: each part's records end in a gap
  for (int t = 0; t < parts; ++t)
    room.push_back(3 * (chunkPartBegin(n, t + 1, parts) - chunkPartBegin(n, t, parts)));
  const HostBuffer all("test", room);
  ASSERT_EQ(all.parts(), parts);
  const HostBuffer a = all.forPopulation(0, n), b = all.forPopulation(1, n);
  std::multiset<std::tuple<step_type, std::uint32_t, std::uint32_t>> pushed;
  for (const step_type k : {3, 5})  // every neuron twice, the last part first
    for (index_type i = n - 1; i >= 0; --i) {
      const HostBuffer& to = i % 2 ? a : b;
      if (k == 5 && i % 3 == 0)
        to.pushAxonal(k, i, 1000 + i);
      else
        to.push(k, i, 1000 + i);
      pushed.emplace(k, to.population | (k == 5 && i % 3 == 0 ? SpikeRecord::axonal_flag : 0u), 1000 + i);
    }
  auto counters = all.gather();
  ASSERT_EQ(counters[HostBuffer::spike_count], 2 * n);
  std::multiset<std::tuple<step_type, std::uint32_t, std::uint32_t>> held;
  for (std::int64_t s = 0; s < 2 * n; ++s)
    held.emplace(all.records(s).step, all.records(s).population, all.records(s).index);
  EXPECT_EQ(held, pushed);

  all.clearSpikes(Kokkos::DefaultHostExecutionSpace());
  EXPECT_EQ(all.gather()[HostBuffer::spike_count], 0);
  // Part 2 holds neurons 80–99: 60 spikes fit, the 61st overflows it.
  for (int s = 0; s < 61; ++s) a.push(s, 80 + s % 20, s);
  counters = all.gather();
  EXPECT_GT(counters[HostBuffer::spike_count], all.capacity());
}

// On CPU backends a projection's rows are sorted by target, and each part of
// a fused delivery adds to its own targets only: all parts together fill
// every ring exactly as a launch per projection, for any number of parts.
TEST(Delivery, CpuPartsFillTheirOwnTargetsAndTogetherEveryRing) {
  if (!Kokkos::SpaceAccessibility<ExecutionSpace, Kokkos::HostSpace>::accessible)
    GTEST_SKIP() << "CPU backends";
  const ProjectionShape shape{300, 203, false};
  std::vector<Projection> projections;
  for (std::uint32_t c = 0; c < 2; ++c) {
    ProjectionSettings s = settings("fixed_probability", 0.2, 0, 50.0);
    s.delay_ms = 0.1;
    s.delay_jitter_ms = c == 0 ? 0.05 : 0.0;
    projections.push_back(makeProjection(s, generateConnectivity(s, shape, 21 + c, c, 0.025), shape, 0.025));
    projections.back().source = c == 0 ? stn_position : gpe_position;
    const auto rows =
        Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), projections.back().by_source.graph.row_map);
    const auto targets =
        Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), projections.back().by_source.graph.entries);
    for (index_type r = 0; r < shape.n_pre; ++r)
      for (auto e = rows(r) + 1; e < rows(r + 1); ++e) ASSERT_LE(targets(e - 1), targets(e)) << "row " << r;
  }
  Kokkos::View<SpikeRecord*, Kokkos::HostSpace> spikes("cbgtc::test::spikes", 600);
  std::size_t n_spikes = 0;
  for (std::uint32_t i = 0; i < 300; ++i) {
    if (i % 2 == 0) spikes(n_spikes++) = SpikeRecord{77 + i % 5, stn_position, i};
    if (i % 3 == 0) spikes(n_spikes++) = SpikeRecord{78, gpe_position, i};
  }
  std::vector<Ring> alone;
  for (const Projection& proj : projections) {
    alone.emplace_back("cbgtc::test::alone", proj.max_delay_steps + 1, shape.n_post);
    deliverSpikes(ExecutionSpace(), proj.by_source, spikes, n_spikes, proj.source,
                  Kokkos::View<const delay_type*, MemorySpace>(proj.delays), proj.delay_steps, alone.back(),
                  Delivery::ThreadPerSpike);
  }
  // Each part's stretch of a row searched for, or read from a table of the
  // parts' starts found once (rowPartStarts).
  for (const bool table : {false, true})
    for (const int parts : {1, 2, 3, 7}) {
      SCOPED_TRACE(table ? "parts' starts from a table" : "parts searched for");
      std::vector<Ring> rings;
      std::vector<Kokkos::View<std::uint32_t*, Kokkos::HostSpace>> starts;
      Kokkos::View<DeliverySlot<ProjectionMatrix>*, Kokkos::HostSpace> slots("cbgtc::test::slots", 2);
      for (std::size_t p = 0; p < projections.size(); ++p) {
        const Projection& proj = projections[p];
        rings.emplace_back("cbgtc::test::parts", proj.max_delay_steps + 1, shape.n_post);
        slots(p) = deliverySlot(proj.by_source, proj.delays, proj.delay_steps, rings.back());
        if (table && parts > 1) {
          starts.push_back(rowPartStarts(proj.by_source, shape.n_post, parts));
          ASSERT_EQ(starts.back().extent(0), static_cast<std::size_t>(shape.n_pre * (parts - 1)));
          slots(p).part_starts = starts.back().data();
          slots(p).part_count = parts;
        }
      }
      Kokkos::View<std::int32_t*, Kokkos::HostSpace> first("cbgtc::test::first", 3);  // STN's, then GPe's
      first(0) = 0;
      first(1) = 1;
      first(2) = 2;
      for (int part = 0; part < parts; ++part) {
        deliverToPart(part, parts, slots, first, spikes, n_spikes);
        // Nothing yet beyond the targets of the parts so far.
        const index_type done = chunkPartBegin(shape.n_post, part + 1, parts);
        for (const Ring& ring : rings)
          for (std::size_t x = 0; x < ring.extent(0); ++x)
            for (auto y = static_cast<std::size_t>(done); y < ring.extent(1); ++y)
              ASSERT_EQ(ring(x, y), 0) << parts << " parts, after part " << part;
      }
      for (std::size_t p = 0; p < projections.size(); ++p) {
        std::int64_t sum = 0;
        for (std::size_t x = 0; x < alone[p].extent(0); ++x)
          for (std::size_t y = 0; y < alone[p].extent(1); ++y) {
            ASSERT_EQ(rings[p](x, y), alone[p](x, y)) << parts << " parts, projection " << p;
            sum += alone[p](x, y);
          }
        EXPECT_GT(sum, 0);
      }
    }
}

// The per-projection delivery's parts (CPU backends with several threads:
// plasticity's efficacies, pulled steps skipped) add together what one
// thread adds.
TEST(Delivery, CpuPartsOfAPlasticProjectionTogetherFillItsRing) {
  if (!Kokkos::SpaceAccessibility<ExecutionSpace, Kokkos::HostSpace>::accessible)
    GTEST_SKIP() << "CPU backends";
  const ProjectionShape shape{300, 203, false};
  ProjectionSettings s = settings("fixed_probability", 0.2, 0, 50.0);
  s.delay_ms = 0.1;
  s.delay_jitter_ms = 0.05;
  const Projection proj = makeProjection(s, generateConnectivity(s, shape, 23, 0, 0.025), shape, 0.025);
  Kokkos::View<SpikeRecord*, Kokkos::HostSpace> spikes("cbgtc::test::spikes", 300);
  // In the functor's memory space, a host space here (the test skips others).
  Kokkos::View<double*, MemorySpace> efficacy("cbgtc::test::efficacy", 300);
  Kokkos::View<std::int32_t*, MemorySpace> pulled("cbgtc::test::pulled", 5);
  std::size_t n_spikes = 0;
  for (std::uint32_t i = 0; i < 300; i += 2) {
    efficacy(n_spikes) = 0.25 + 0.01 * (i % 37);
    spikes(n_spikes++) = SpikeRecord{77 + i % 5, stn_position, i};
  }
  for (int k = 0; k < 5; ++k) pulled(k) = k == 3 ? 0 : -1;  // step 80 pulled elsewhere
  const Kokkos::View<const delay_type*, MemorySpace> delays(proj.delays);
  using Functor = ThreadPerSpikeDelivery<true, decltype(spikes), ProjectionMatrix, MemorySpace>;
  auto functor = [&](const Ring& ring) {
    return Functor{spikes,
                   proj.by_source.graph.row_map,
                   proj.by_source.graph.entries,
                   proj.by_source.values,
                   delays,
                   ring,
                   pulled,
                   efficacy,
                   nullptr,
                   stn_position,
                   proj.delay_steps,
                   77,
                   static_cast<step_type>(ring.extent(0)),
                   true,
                   true,
                   true};
  };
  const Ring whole("cbgtc::test::whole", proj.max_delay_steps + 1, shape.n_post);
  for (std::size_t spike = 0; spike < n_spikes; ++spike) functor(whole)(spike);
  std::int64_t sum = 0;
  for (std::size_t x = 0; x < whole.extent(0); ++x)
    for (std::size_t y = 0; y < whole.extent(1); ++y) sum += whole(x, y);
  EXPECT_GT(sum, 0);
  for (const int parts : {1, 2, 3, 7}) {
    const Ring ring("cbgtc::test::parts", proj.max_delay_steps + 1, shape.n_post);
    for (int part = 0; part < parts; ++part) {
      functor(ring).deliverToPart(n_spikes, part, parts);
      const index_type done = chunkPartBegin(shape.n_post, part + 1, parts);
      for (std::size_t x = 0; x < ring.extent(0); ++x)
        for (auto y = static_cast<std::size_t>(done); y < ring.extent(1); ++y)
          ASSERT_EQ(ring(x, y), 0) << parts << " parts, after part " << part;
    }
    for (std::size_t x = 0; x < ring.extent(0); ++x)
      for (std::size_t y = 0; y < ring.extent(1); ++y)
        ASSERT_EQ(ring(x, y), whole(x, y)) << parts << " parts";
  }
}

// An epoch's spikes sorted by step and then as each step's come: the order
// std::sort gives, whatever the order they come in (one thread's, shuffled,
// axonal spikes among them), for steps beyond the epoch and before k0 too.
TEST(SpikeOrder, SortingByStepGivesTheFullOrder) {
  std::mt19937 random(11);
  for (const int order : {0, 1, 2, 3}) {
    std::vector<SpikeRecord> spikes;
    const std::int64_t k0 = 800;
    for (std::uint32_t population = 0; population < 3; ++population)
      for (std::uint32_t chunk = 0; chunk < 4; ++chunk)
        for (std::int64_t step = k0; step < k0 + 40; ++step)
          for (std::uint32_t lane = 0; lane < 16; ++lane)
            if (random() % 23 == 0)
              spikes.push_back(SpikeRecord{
                  step, population | (random() % 9 == 0 ? SpikeRecord::axonal_flag : 0u), 16 * chunk + lane});
    if (order == 1) std::shuffle(spikes.begin(), spikes.end(), random);
    if (order == 2)
      spikes.push_back(SpikeRecord{k0 + 1000000, 0, 1});          // a step range far wider than the list
    if (order == 3) spikes.push_back(SpikeRecord{k0 - 1, 2, 5});  // a step before k0
    if (order >= 2) std::shuffle(spikes.begin(), spikes.end(), random);
    std::vector<SpikeRecord> expected = spikes;
    std::sort(expected.begin(), expected.end());
    ASSERT_GT(spikes.size(), 100u);
    sortSpikesByStep(spikes, k0);
    EXPECT_EQ(spikes, expected) << "order " << order;
  }
  std::vector<SpikeRecord> none;
  sortSpikesByStep(none, 5);
  EXPECT_TRUE(none.empty());
}

// Pull delivery (a sparse product with the transposed matrix) adds exactly
// the integers push delivery adds, slot by slot: for volleys of every size,
// for more volleys than one product holds (the rest are pushed), and with
// spikes of another population mixed in.
TEST(Delivery, PullAndPushFillIdenticalRings) {
  const ProjectionShape shape{500, 300, false};
  ProjectionSettings s = settings("fixed_probability", 0.1, 0, 40.0);
  s.delay_ms = 1.0;  // 40 steps
  const std::int32_t epoch = 40;
  const step_type k0 = 4000;  // a later epoch: slots wrap around
  const HostConnectivity host = generateConnectivity(s, shape, 5, 1, 0.025);
  Projection proj = makeProjection(s, host, shape, 0.025);
  ASSERT_TRUE(enablePull(proj, host, epoch));
  // Step s of the epoch: every source fires at s = 3 (a DBS-like volley),
  // half at s = 7, a few at many other steps; STN spikes everywhere.
  std::vector<SpikeRecord> list;
  for (std::int32_t step = 0; step < epoch; ++step)
    for (std::uint32_t i = 0; i < 500; ++i) {
      const bool fires = step == 3 || (step == 7 && i % 2 == 0) || (step % 3 == 1 && (i * 37 + step) % 50 == 0);
      if (fires) list.push_back({k0 + step, gpe_position, i});
      if ((i + step) % 9 == 0) list.push_back({k0 + step, stn_position, i});
    }
  std::sort(list.begin(), list.end());
  Kokkos::View<SpikeRecord*, Kokkos::HostSpace> h_spikes("cbgtc::test::spikes", list.size());
  std::vector<std::int64_t> per_step(epoch, 0);
  for (std::size_t k = 0; k < list.size(); ++k) {
    h_spikes(k) = list[k];
    if (list[k].population == gpe_position) ++per_step[list[k].step - k0];
  }
  auto spikes = Kokkos::create_mirror_view_and_copy(MemorySpace(), h_spikes);
  const auto gpe = gpe_position;
  const ExecutionSpace space;
  Ring push("cbgtc::test::push", proj.max_delay_steps + 1, 300);
  deliverSpikes(space, proj.by_source, spikes, list.size(), gpe, Kokkos::View<const delay_type*, MemorySpace>(),
                proj.delay_steps, push);
  auto h_push = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), push);
  // fraction 1: only the full volley; 0.5: two volleys; 0: the first 8
  // steps with spikes (capacity), the others pushed.
  for (double fraction : {1.0, 0.5, 0.0}) {
    Ring ring("cbgtc::test::pull", proj.max_delay_steps + 1, 300);
    const std::int32_t columns = planPull(per_step, 500, fraction, proj.pull.capacity, proj.pull.host_columns);
    EXPECT_EQ(columns, fraction == 1.0 ? 1 : fraction == 0.5 ? 2 : max_pull_columns);
    pullSpikes(space, proj.pull, columns, spikes, list.size(), gpe, k0, proj.delay_steps, ring);
    deliverSpikes(space, proj.by_source, spikes, list.size(), gpe, Kokkos::View<const delay_type*, MemorySpace>(),
                  proj.delay_steps, ring, Delivery::ThreadPerSpike,
                  Kokkos::View<const std::int32_t*, MemorySpace>(proj.pull.columns), k0);
    auto h_ring = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), ring);
    std::int64_t nonzero = 0;
    for (std::size_t a = 0; a < h_ring.extent(0); ++a)
      for (std::size_t b = 0; b < h_ring.extent(1); ++b) {
        ASSERT_EQ(h_ring(a, b), h_push(a, b)) << "fraction " << fraction << " slot " << a << " target " << b;
        nonzero += h_ring(a, b) != 0;
      }
    EXPECT_GT(nonzero, 300);
  }
}

// Pull cannot reproduce per-synapse delays, nor sum exactly past 2^53
// quanta: such projections keep push delivery.
TEST(Delivery, PullIsRefusedWhereItWouldNotBeExact) {
  const ProjectionShape shape{100, 50, false};
  ProjectionSettings jitter = settings("fixed_probability", 0.2, 0, 10.0);
  jitter.delay_jitter_ms = 0.5;
  const HostConnectivity a = generateConnectivity(jitter, shape, 1, 0, 0.025);
  Projection pa = makeProjection(jitter, a, shape, 0.025);
  EXPECT_FALSE(enablePull(pa, a, 40));
  EXPECT_FALSE(pa.pull.enabled());
  const ProjectionSettings huge = settings("fixed_indegree", 0, 20, 3.0e6);  // 3e6 units per target
  const HostConnectivity b = generateConnectivity(huge, shape, 1, 0, 0.025);
  Projection pb = makeProjection(huge, b, shape, 0.025);
  EXPECT_FALSE(enablePull(pb, b, 40));
  const ProjectionSettings fine = settings("fixed_indegree", 0, 20, 1.0e6);
  const HostConnectivity c = generateConnectivity(fine, shape, 1, 0, 0.025);
  Projection pc = makeProjection(fine, c, shape, 0.025);
  EXPECT_TRUE(enablePull(pc, c, 40));
  EXPECT_TRUE(pc.pull.enabled());
}

// Bernoulli(p) per pair: in-degrees are Binomial(n_pre, p). Mean in-degree
// and total count within 4 standard errors; weights log-normal with mean
// g_total/(p·n_pre) and CV 0.2; no duplicate pair.
namespace {
/// The visits of a parallel_for over SynapseRange(0, n), counted on the
/// device (a parallel_for, as the regrouping's count: a reduction splits its
/// range otherwise).
std::int64_t synapseRangeVisits(std::int64_t n) {
  Kokkos::View<std::int64_t*, MemorySpace> counts("cbgtc::test::visits", 1024);
  Kokkos::parallel_for(
      "cbgtc::test::synapse_range", SynapseRange(0, n),
      KOKKOS_LAMBDA(const std::int64_t e) { Kokkos::atomic_add(&counts(e & 1023), std::int64_t(1)); });
  const auto h = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), counts);
  std::int64_t visits = 0;
  for (std::size_t b = 0; b < h.extent(0); ++b) visits += h(b);
  return visits;
}
}  // namespace

// A range over a projection's synapses visits each index once, also past
// 2^31 on a GPU, where CUDA's default unsigned 32-bit index made Kokkos's
// grid-stride loop run some twice (docs/model.md §4.3): the count of a range
// of 2.2e9, not a multiple of a block, is its length (CPU backends, where the
// index was never 32-bit, count a short range).
TEST(Connectivity, SynapseRangesVisitEachIndexOnce) {
  static_assert(std::is_same_v<SynapseRange::index_type, std::int64_t>, "synapse ranges need a 64-bit index");
  const bool host = Kokkos::SpaceAccessibility<ExecutionSpace, Kokkos::HostSpace>::accessible;
  const std::int64_t n = host ? 1000003 : 4444445LL * 500;  // the 10 M deck's STN -> GPe synapses
  EXPECT_EQ(synapseRangeVisits(n), n);
}

TEST(Connectivity, FixedProbabilityStatistics) {
  const ProjectionShape shape{400, 1000, false};
  const double p = 0.1;
  const ProjectionSettings s = settings("fixed_probability", p, 0, 12.0);
  const HostConnectivity c = generateConnectivity(s, shape, 42, 3, 0.025);
  const double n = shape.n_pre;
  const double total = static_cast<double>(c.sources.size());
  const double expected_total = p * n * shape.n_post;
  EXPECT_NEAR(total, expected_total, 4 * std::sqrt(expected_total * (1 - p)));
  double sum_k2 = 0;
  for (index_type j = 0; j < shape.n_post; ++j) {
    const auto begin = c.sources.begin() + c.target_offsets[j], end = c.sources.begin() + c.target_offsets[j + 1];
    ASSERT_TRUE(std::is_sorted(begin, end));
    ASSERT_EQ(std::adjacent_find(begin, end), end) << "duplicate source for target " << j;
    const double k = static_cast<double>(end - begin);
    sum_k2 += k * k;
  }
  const double mean_k = total / shape.n_post;
  const double var_k = sum_k2 / shape.n_post - mean_k * mean_k;
  EXPECT_NEAR(var_k, n * p * (1 - p), 4 * n * p * (1 - p) * std::sqrt(2.0 / shape.n_post));

  const double mean_w = 12.0 / (p * n);
  double sw = 0, sw2 = 0;
  for (weight_type w : c.weights) {
    sw += w;
    sw2 += double(w) * w;
  }
  const double m = sw / total, sd = std::sqrt(sw2 / total - m * m);
  EXPECT_NEAR(m, mean_w, 4 * 0.2 * mean_w / std::sqrt(total));
  EXPECT_NEAR(sd / m, 0.2, 0.01);
}

TEST(Connectivity, FixedIndegreeGivesExactlyKDistinctSources) {
  constexpr index_type n = 300, K = 60;
  const ProjectionShape shape{n, n, true};  // e.g. GPe -> GPe
  ProjectionSettings s = settings("fixed_indegree", 0, K, 4.0);
  s.weight_cv = 0;
  const HostConnectivity c = generateConnectivity(s, shape, 7, 1, 0.025);
  std::vector<int> out_degree(n, 0);
  for (index_type j = 0; j < shape.n_post; ++j) {
    ASSERT_EQ(c.target_offsets[j + 1] - c.target_offsets[j], K);
    std::set<index_type> seen;
    for (auto e = c.target_offsets[j]; e < c.target_offsets[j + 1]; ++e) {
      const index_type i = c.sources[e];
      ASSERT_NE(i, j) << "autapse";
      ASSERT_TRUE(seen.insert(i).second) << "duplicate";
      ASSERT_GE(i, 0);
      ASSERT_LT(i, n);
      ++out_degree[i];
      ASSERT_FLOAT_EQ(c.weights[e], 4.0f / K);
    }
  }
  // Each of the n − 1 other targets draws source i with probability
  // K/(n − 1), independently: out-degree ~ Binomial(n − 1, K/(n − 1)). Each
  // within 5 sd, and their spread by a chi-square over all n, whose mean is n
  // (each term's is 1): a source drawn too rarely or too often, or draws
  // more even than independent ones, fail.
  const double trials = n - 1, q = static_cast<double>(K) / trials;
  const double mean = trials * q, var = trials * q * (1 - q);
  double chi2 = 0;
  for (index_type i = 0; i < n; ++i) {
    EXPECT_NEAR(out_degree[i], mean, 5 * std::sqrt(var)) << "source " << i;
    chi2 += (out_degree[i] - mean) * (out_degree[i] - mean) / var;
  }
  EXPECT_LT(chi2, n + 5 * std::sqrt(2.0 * n));
  EXPECT_GT(chi2, n - 5 * std::sqrt(2.0 * n));
}

// all_to_all: every candidate source once, ascending, at the weight
// g_total / candidates; within a population every other neuron (autapses
// excluded) or all (allowed). No random draw: the seed changes nothing.
TEST(Connectivity, AllToAllConnectsEveryCandidateOnce) {
  ProjectionSettings s = settings("all_to_all", 0, 0, 6.0);
  s.weight_cv = 0;
  for (const bool same : {false, true})
    for (const bool autapses : {false, true}) {
      SCOPED_TRACE(std::to_string(same) + std::to_string(autapses));
      s.autapses = autapses;
      const ProjectionShape shape{30, 30, same};
      const HostConnectivity c = generateConnectivity(s, shape, 7, 1, 0.025);
      EXPECT_EQ(generateConnectivity(s, shape, 8, 1, 0.025).sources, c.sources);
      const bool self_excluded = same && !autapses;
      const index_type candidates = self_excluded ? 29 : 30;
      for (index_type j = 0; j < 30; ++j) {
        std::vector<index_type> expected;
        for (index_type i = 0; i < 30; ++i)
          if (!(self_excluded && i == j)) expected.push_back(i);
        const std::vector<index_type> got(c.sources.begin() + c.target_offsets[j],
                                          c.sources.begin() + c.target_offsets[j + 1]);
        ASSERT_EQ(got, expected) << j;
        for (auto e = c.target_offsets[j]; e < c.target_offsets[j + 1]; ++e)
          ASSERT_FLOAT_EQ(c.weights[e], static_cast<float>(6.0 / candidates));
      }
    }
}

// one_to_one: target j's one source is source j, by its global index when
// a rank builds a block of the targets, at the weight g_total; within a
// population only with autapses, and only between populations of one size.
TEST(Connectivity, OneToOneConnectsNeuronIToNeuronI) {
  ProjectionSettings s = settings("one_to_one", 0, 0, 2.5);
  s.weight_cv = 0;
  ProjectionShape shape{40, 40, false};
  shape.target_begin = 10;
  shape.target_end = 25;
  const HostConnectivity c = generateConnectivity(s, shape, 7, 1, 0.025);
  ASSERT_EQ(c.target_offsets.size(), 16u);
  for (index_type j = 0; j < 15; ++j) {
    ASSERT_EQ(c.target_offsets[j + 1] - c.target_offsets[j], 1);
    EXPECT_EQ(c.sources[c.target_offsets[j]], 10 + j);
    EXPECT_FLOAT_EQ(c.weights[c.target_offsets[j]], 2.5f);
  }
  s.autapses = true;
  EXPECT_NO_THROW(generateConnectivity(s, ProjectionShape{40, 40, true}, 7, 1, 0.025));
  s.autapses = false;
  EXPECT_THROW(generateConnectivity(s, ProjectionShape{40, 40, true}, 7, 1, 0.025), std::invalid_argument);
  EXPECT_THROW(generateConnectivity(s, ProjectionShape{40, 30, false}, 7, 1, 0.025), std::invalid_argument);
}

TEST(Connectivity, NoAutapsesUnlessAllowed) {
  const ProjectionShape shape{100, 100, true};
  ProjectionSettings s = settings("fixed_probability", 1.0, 0, 1.0);
  HostConnectivity c = generateConnectivity(s, shape, 1, 0, 0.025);
  EXPECT_EQ(c.sources.size(), 100u * 99u);
  for (index_type j = 0; j < 100; ++j)
    for (auto e = c.target_offsets[j]; e < c.target_offsets[j + 1]; ++e) ASSERT_NE(c.sources[e], j);
  s.autapses = true;
  c = generateConnectivity(s, shape, 1, 0, 0.025);
  EXPECT_EQ(c.sources.size(), 100u * 100u);
}

// A target's inputs are a function of (seed, projection, target) only: the
// same whatever the number of targets (and so, later, the decomposition).
TEST(Connectivity, TargetInputsDoNotDependOnPopulationSize) {
  const ProjectionSettings s = settings("fixed_probability", 0.3, 0, 5.0);
  const HostConnectivity small = generateConnectivity(s, ProjectionShape{80, 10, false}, 5, 2, 0.025);
  const HostConnectivity large = generateConnectivity(s, ProjectionShape{80, 500, false}, 5, 2, 0.025);
  for (std::size_t e = 0; e < small.sources.size(); ++e) {
    ASSERT_EQ(small.sources[e], large.sources[e]);
    ASSERT_EQ(small.weights[e], large.weights[e]);
  }
  const HostConnectivity other_seed = generateConnectivity(s, ProjectionShape{80, 10, false}, 6, 2, 0.025);
  EXPECT_NE(small.sources, other_seed.sources);
}

// Exact OU discretisation: stationary mean μ, variance σ², autocorrelation
// e^{−lag·dt/τ}. 2000 independent processes, 5-standard-error bounds.
TEST(OuNoise, StationaryMomentsAndAutocorrelation) {
  const double tau = 5, mu = 1.8, sigma = 1.3, dt = 0.025;
  const OuParams p = OuParams::make(tau, mu, sigma, dt);
  const int n = 2000;
  const int lag = 200;  // τ: correlation e^{-1}
  double s0 = 0, s00 = 0, s01 = 0, s1 = 0, s11 = 0, s_lag = 0, s_x = 0, s_xx = 0;
  for (int i = 0; i < n; ++i) {
    real_type x = ouInitial(p, 3, 0, i);
    const double x0 = x;
    real_type x1 = x;
    for (int k = 0; k < lag; ++k) {
      x = ouAdvance(x, p, 3, 0, i, k);
      if (k == 0) x1 = x;
    }
    s0 += x0;
    s00 += x0 * x0;
    s1 += x1;
    s11 += x1 * x1;
    s01 += x0 * x1;
    s_lag += (x0 - mu) * (x - mu);
    s_x += x;
    s_xx += double(x) * x;
  }
  const double var = sigma * sigma;
  EXPECT_NEAR(s0 / n, mu, 5 * sigma / std::sqrt(n));
  EXPECT_NEAR(s00 / n - (s0 / n) * (s0 / n), var, 5 * var * std::sqrt(2.0 / n));
  EXPECT_NEAR(s11 / n - (s1 / n) * (s1 / n), var, 5 * var * std::sqrt(2.0 / n));
  // Lag 1 step: correlation e^{−dt/τ}; lag τ: e^{−1}. Standard error of a
  // correlation estimate ≈ (1 − ρ²)/sqrt(n).
  // Sample correlations: normalising by the true variance would add its
  // own sampling error (~3 % at n = 2000).
  const double sd0 = std::sqrt(s00 / n - (s0 / n) * (s0 / n)), sd1 = std::sqrt(s11 / n - (s1 / n) * (s1 / n));
  const double rho1 = (s01 / n - (s0 / n) * (s1 / n)) / (sd0 * sd1);
  EXPECT_NEAR(rho1, std::exp(-dt / tau), 5 * (1 - std::exp(-2 * dt / tau)) / std::sqrt(n));
  const double rho_tau = (s_lag / n - (s0 / n - mu) * (s_x / n - mu)) / (sd0 * std::sqrt(s_xx / n - (s_x / n) * (s_x / n)));
  EXPECT_NEAR(rho_tau, std::exp(-1.0), 5 * (1 - std::exp(-2.0)) / std::sqrt(n));
}

TEST(OuNoise, WithoutSigmaSitsAtMean) {
  const OuParams p = OuParams::make(5, 2.5, 0, 0.025);
  real_type x = ouInitial(p, 1, 0, 0);
  EXPECT_EQ(x, real_type(2.5));
  for (int k = 0; k < 100; ++k) x = ouAdvance(x, p, 1, 0, 0, k);
  EXPECT_NEAR(x, 2.5, 1e-12);
}
