// The vectorised CPU path (kernels/vectorizable_math.hpp, advanceLanes)
// against its references: the math functions against long-double libm, and
// chunks of lanes against the per-neuron path the GPU runs, bit for bit.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "kernels/models/registry.hpp"
#include "kernels/neuron_update.hpp"
#include "kernels/stepper_table.hpp"
#include "kernels/vectorizable_math.hpp"

using namespace cbgtc;

namespace {

/// |got − exact| in units of the last place of the double nearest exact.
double ulpError(double got, long double exact) {
  const double nearest = static_cast<double>(exact);
  const double ulp = std::nextafter(std::fabs(nearest), INFINITY) - std::fabs(nearest);
  return static_cast<double>(std::fabs(static_cast<long double>(got) - exact)) / ulp;
}

constexpr long double two_pi_ld = 6.283185307179586476925286766559005768L;

/// sin and cos of 2πu in long double, reduced by quarter turns first so that
/// the reference itself is accurate near the zeros.
void sinCosTwoPiReference(double u, long double& s, long double& c) {
  const long double q = std::nearbyint(4.0L * u);
  const long double a = two_pi_ld * (static_cast<long double>(u) - q / 4);
  const long double sa = std::sin(a), ca = std::cos(a);
  switch (static_cast<int>(q) & 3) {
    case 0: s = sa; c = ca; break;
    case 1: s = ca; c = -sa; break;
    case 2: s = -sa; c = -ca; break;
    default: s = -ca; c = sa; break;
  }
}

/// One call, never vectorised: the scalar code a loop's remainder runs.
__attribute__((noinline)) double expAlone(double x) { return vmath::Impl::expHost(x); }

}  // namespace

TEST(VectorizableMath, ExpWithinOneUlp) {
  std::mt19937_64 gen(11);
  std::uniform_real_distribution<double> wide(-700, 700), narrow(-50, 50);
  double worst = 0;
  int unclamped_differs = 0;  // expWithin700's path, for arguments already in range
  for (int i = 0; i < 200000; ++i) {
    const double x = i % 2 ? wide(gen) : narrow(gen);
    worst = std::max(worst, ulpError(vmath::Impl::expHost(x), std::exp(static_cast<long double>(x))));
    unclamped_differs += vmath::Impl::expHost<false>(x) != vmath::Impl::expHost(x);
  }
  EXPECT_LT(worst, 1.0);
  EXPECT_EQ(unclamped_differs, 0);
  EXPECT_EQ(vmath::Impl::expHost(0.0), 1.0);
  EXPECT_EQ(vmath::Impl::expHost(-1000.0), vmath::Impl::expHost(-700.0));
  EXPECT_TRUE(std::isnan(vmath::Impl::expHost(NAN)));
  EXPECT_TRUE(std::isnan(vmath::Impl::expHost<false>(NAN)));
}

TEST(VectorizableMath, LogWithinOneUlpOnTheUniforms) {
  std::mt19937_64 gen(12);
  double worst = 0;
  for (int i = 0; i < 200000; ++i) {
    const double u = rng::uniformOpen(static_cast<std::uint32_t>(gen()));
    worst = std::max(worst, ulpError(vmath::Impl::logHost(u), std::log(static_cast<long double>(u))));
  }
  EXPECT_LT(worst, 1.0);
  EXPECT_EQ(vmath::Impl::logHost(1.0), 0.0);
  EXPECT_NEAR(vmath::Impl::logHost(0x1p-33), -33 * std::log(2.0), 1e-15 * 33);
}

TEST(VectorizableMath, SinCosOfTurnsWithinTwoUlp) {
  std::mt19937_64 gen(13);
  double worst = 0;
  for (int i = 0; i < 200000; ++i) {
    const double u = rng::uniformOpen(static_cast<std::uint32_t>(gen()));
    double s, c;
    vmath::Impl::sinCosTwoPiHost(u, s, c);
    long double s_ref, c_ref;
    sinCosTwoPiReference(u, s_ref, c_ref);
    worst = std::max({worst, ulpError(s, s_ref), ulpError(c, c_ref)});
  }
  EXPECT_LT(worst, 2.0);
  for (const double u : {0.0, 0.25, 0.5, 0.75, 1.0}) {
    double s, c;
    vmath::Impl::sinCosTwoPiHost(u, s, c);
    EXPECT_EQ(std::fabs(s) + std::fabs(c), 1.0) << u;  // exactly on an axis
  }
}

/// |got − exact| in units of the last place of the float nearest exact.
double singleUlpError(float got, long double exact) {
  const float nearest = static_cast<float>(exact);
  const float ulp = std::nextafter(std::fabs(nearest), INFINITY) - std::fabs(nearest);
  return static_cast<double>(std::fabs(static_cast<long double>(got) - exact) / ulp);
}

// The single-precision functions on the uniforms the noise's Box–Muller
// feeds them (rng::boxMullerSingle), against long-double libm.
TEST(VectorizableMath, SingleLogWithinOneUlpOnTheUniforms) {
  std::mt19937_64 gen(15);
  double worst = 0;
  for (int i = 0; i < 200000; ++i) {
    const float u = static_cast<float>(static_cast<std::uint32_t>(gen())) * 0x1p-32f + 0x1p-33f;
    if (u < 1.0f)
      worst = std::max(worst, singleUlpError(vmath::logSingle(u), std::log(static_cast<long double>(u))));
  }
  EXPECT_LT(worst, 1.0);
  EXPECT_EQ(vmath::logSingle(1.0f), 0.0f);
  EXPECT_NEAR(vmath::logSingle(0x1p-33f), -33 * std::log(2.0), 2e-7 * 33);
}

TEST(VectorizableMath, SingleSinCosOfTurnsWithinTwoUlp) {
  std::mt19937_64 gen(16);
  double worst = 0;
  for (int i = 0; i < 200000; ++i) {
    const float u = static_cast<float>(static_cast<std::uint32_t>(gen())) * 0x1p-32f;
    float s, c;
    vmath::sinCosTwoPiSingle(u, s, c);
    long double s_ref, c_ref;
    sinCosTwoPiReference(u, s_ref, c_ref);
    worst = std::max({worst, singleUlpError(s, s_ref), singleUlpError(c, c_ref)});
  }
  EXPECT_LT(worst, 2.0);
  for (const float u : {0.0f, 0.25f, 0.5f, 0.75f, 1.0f}) {
    float s, c;
    vmath::sinCosTwoPiSingle(u, s, c);
    EXPECT_EQ(std::fabs(s) + std::fabs(c), 1.0f) << u;  // exactly on an axis
  }
}

// A lane of a vector loop and a scalar call give the same bits.
TEST(VectorizableMath, VectorLanesEqualScalarCalls) {
  std::vector<double> x(1003), y(x.size());
  std::mt19937_64 gen(14);
  std::uniform_real_distribution<double> d(-60, 60);
  for (auto& v : x) v = d(gen);
  const int n = static_cast<int>(x.size());
  CBGTC_SIMD_LOOP
  for (int i = 0; i < n; ++i) y[i] = vmath::Impl::expHost(x[i]);
  for (int i = 0; i < n; ++i) ASSERT_EQ(y[i], expAlone(x[i])) << x[i];
}

namespace {

using HostMem = Kokkos::HostSpace;
using HostExec = Kokkos::DefaultHostExecutionSpace;

/// A drive of `inputs` conductance inputs, whose rings hold random arrivals
/// for every step of the run, and OU noise; it owns the rings and
/// conductances its inputs point to.
struct TestDrive {
  PopulationDrive<HostMem> drive;
  std::vector<Kokkos::View<std::int64_t**, Kokkos::LayoutRight, HostMem>> rings;
  std::vector<Kokkos::View<real_type*, HostMem>> g;

  void add(const Kokkos::View<std::int64_t**, Kokkos::LayoutRight, HostMem>& ring,
           const Kokkos::View<real_type*, HostMem>& conductances, real_type decay, real_type E_rev) {
    rings.push_back(ring);
    g.push_back(conductances);
    drive.synapses.add(ConductanceInput::of(ring, conductances, decay, E_rev));
  }
};

TestDrive randomDrive(index_type n, step_type steps, double quantum_scale, std::uint32_t key, double E_rev,
                      int inputs) {
  TestDrive t;
  std::mt19937_64 gen(key + 1);
  for (int p = 0; p < inputs; ++p) {
    Kokkos::View<std::int64_t**, Kokkos::LayoutRight, HostMem> ring("cbgtc::test::ring", steps, n);
    for (step_type k = 0; k < steps; ++k)
      for (index_type i = 0; i < n; ++i)
        if (gen() % (4 * inputs) == 0) ring(k, i) = static_cast<std::int64_t>((gen() % 1000) * quantum_scale);
    t.add(ring, Kokkos::View<real_type*, HostMem>("cbgtc::test::g", n),
          static_cast<real_type>(std::exp(-0.025 / (5.0 + p))), static_cast<real_type>(E_rev - 3 * p));
  }
  auto& drive = t.drive;
  drive.noise = OuParams::make(5, 1.0, 1.0, 0.025);
  drive.ou = decltype(drive.ou)("cbgtc::test::ou", n);
  drive.seed = 99;
  drive.key = key;
  drive.first_global = 3;
  for (index_type i = 0; i < n; ++i) drive.ou(i) = ouInitial(drive.noise, drive.seed, key, 3 + i);
  // A bias current per neuron (read only, so copies may share it).
  Kokkos::View<real_type*, HostMem> bias("cbgtc::test::bias", n);
  for (index_type i = 0; i < n; ++i) bias(i) = real_type(0.05) * static_cast<real_type>(i % 7);
  drive.bias = bias;
  return t;
}

template <class Storage>
Storage copyOf(const Storage& a) {
  Storage b("copy", a.size());
  for (index_type i = 0; i < a.size(); ++i) b.store(i, a.load(i));
  return b;
}

TestDrive copyOf(const TestDrive& a) {
  TestDrive b;
  b.drive = a.drive;
  b.drive.synapses = SynapticInputs<HostMem>{};
  for (std::size_t p = 0; p < a.rings.size(); ++p) {
    const auto& in = a.drive.synapses[static_cast<int>(p)];
    Kokkos::View<std::int64_t**, Kokkos::LayoutRight, HostMem> ring("cbgtc::test::ring", a.rings[p].extent(0),
                                                                     a.rings[p].extent(1));
    Kokkos::View<real_type*, HostMem> g("cbgtc::test::g", a.g[p].extent(0));
    Kokkos::deep_copy(ring, a.rings[p]);
    Kokkos::deep_copy(g, a.g[p]);
    b.add(ring, g, in.decay, in.E_rev);
  }
  b.drive.ou = decltype(b.drive.ou)("cbgtc::test::ou", a.drive.ou.extent(0));
  Kokkos::deep_copy(b.drive.ou, a.drive.ou);
  return b;
}

void appendState(std::vector<double>& out, const stn::StnState& x) {
  out.insert(out.end(), {double(x.V), double(x.n), double(x.h), double(x.r), double(x.Ca),
                         double(x.last_spike_step)});
}

/// Any other model: its membrane potential (every model stores V).
template <class State>
void appendState(std::vector<double>& out, const State& x) {
  out.push_back(double(x.V));
}

void appendState(std::vector<double>& out, const adex::AdExState& x) {
  out.insert(out.end(), {double(x.V), double(x.w), double(x.refractory_steps_left)});
}

/// Sorted (step, index) of what a buffer holds.
std::vector<std::pair<step_type, std::uint32_t>> spikesOf(const SpikeBuffer<HostMem>& b) {
  std::vector<std::pair<step_type, std::uint32_t>> out;
  for (std::int64_t s = 0; s < b.counter(b.spike_count); ++s) out.emplace_back(b.records(s).step, b.records(s).index);
  std::sort(out.begin(), out.end());
  return out;
}

/// The three ways a CPU or GPU run can advance n neurons through steps
/// [0, steps), in two launches so that a launch also starts mid-block of
/// the noise: per neuron (operator(), the GPU's path), in chunks of lanes
/// from neuron 0, and in chunks shifted by 3 (another rank decomposition
/// puts a neuron in another lane, or in a loop's remainder).
enum class Path { PerNeuron, Chunks, ShiftedChunks };

struct Outcome {
  std::vector<std::pair<step_type, std::uint32_t>> spikes;
  std::vector<double> state;  // every state variable, conductance, OU value, LFP sample
};

template <class Population, class Advance>
Outcome run(Path path, const Population& initial, const TestDrive& drive, const Advance& advance,
            step_type steps) {
  const index_type n = initial.size();
  StepRecording<HostMem> rec;
  rec.spikes = SpikeBuffer<HostMem>("test", n * steps / 40 + 64);
  // LFP samples of 4 steps: one of them straddles the two launches.
  rec.lfp_every = 4;
  rec.lfp = decltype(rec.lfp)("cbgtc::test::lfp", (steps + 3) / 4, n);
  rec.lfp_partial = decltype(rec.lfp_partial)("cbgtc::test::lfp_partial", n);
  const TestDrive own = copyOf(drive);
  // A probe of every variable, in every other neuron (odd ones), every 3
  // steps: the samples must not depend on the path either.
  using Model = typename Population::model;
  std::vector<RecordedVariable> what;
  for (std::size_t v = 0; v < std::size(Model::state_variables); ++v)
    what.push_back({RecordedKind::State, static_cast<std::int32_t>(v)});
  for (int p = 0; p < own.drive.synapses.count; ++p) what.push_back({RecordedKind::Conductance, p});
  for (auto kind : {RecordedKind::SynapticCurrent, RecordedKind::NoiseCurrent, RecordedKind::BiasCurrent,
                    RecordedKind::InputCurrent})
    what.push_back({kind, 0});
  Kokkos::View<std::int32_t*, HostMem> column("column", n);
  for (index_type i = 0; i < n; ++i) column(i) = i % 2 == 1 ? i / 2 : -1;
  const std::int32_t columns = n / 2;
  constexpr step_type every = 3;
  Kokkos::View<float*, HostMem> rows("rows", ((steps + every - 1) / every) * what.size() * columns);
  Kokkos::View<RecordProbe*, HostMem> probes("probes", 1);
  probes(0) = RecordProbe{column.data(), what.data(), rows.data(), static_cast<std::int32_t>(what.size()), columns,
                          every, 0};
  rec.probes = probes;
  const auto s = stepper(copyOf(initial), own.drive, rec, advance);
  constexpr int W = lanes_per_chunk;
  const step_type split = steps / 2 - 3;
  for (const auto& [k0, k1] : {std::pair<step_type, step_type>{0, split}, {split, steps}}) {
    if (path == Path::PerNeuron) {
      for (index_type i = 0; i < n; ++i) s(i, k0, k1);
    } else {
      index_type i0 = 0;
      if (path == Path::ShiftedChunks) {
        s.template advanceLanes<W>(0, 3, k0, k1);
        i0 = 3;
      }
      // Chunks as advancePopulation's (advanceChunk: whole chunks, and the
      // last one as chunks of 8 and 4 lanes with constant lane counts and a
      // rest on the general path), except in the shifted run, which checks
      // the general path on whole chunks.
      for (; i0 < n; i0 += W)
        if (path == Path::Chunks)
          s.advanceChunk(i0, k0, k1);
        else
          s.template advanceLanes<W>(i0, std::min(W, n - i0), k0, k1);
    }
  }
  Outcome out;
  out.spikes = spikesOf(rec.spikes);
  for (index_type i = 0; i < n; ++i) {
    appendState(out.state, s.pop.load(i));
    for (int p = 0; p < s.drive.synapses.count; ++p) out.state.push_back(s.drive.synapses[p].g[i]);
    out.state.push_back(s.drive.ou(i));
    for (step_type m = 0; m < (steps + 3) / 4; ++m) out.state.push_back(rec.lfp(m, i));
  }
  for (std::size_t j = 0; j < rows.extent(0); ++j) out.state.push_back(rows(j));
  return out;
}

/// Chunks give the same bits wherever a neuron falls in them, so results do
/// not depend on the rank decomposition; and the same as the per-neuron
/// path. Both hold in builds for CPUs with FMA too (-march=native), because
/// the build allows no implicit contraction (src/CMakeLists.txt).
template <class Population, class Advance>
void expectPathsAgree(const Population& initial, const Advance& advance, std::uint32_t key, double E_rev,
                      int inputs = 1, std::size_t least_spikes = 10) {
  const step_type steps = 803;
  const TestDrive drive = randomDrive(initial.size(), steps, 1e6, key, E_rev, inputs);
  const Outcome per_neuron = run(Path::PerNeuron, initial, drive, advance, steps);
  const Outcome chunks = run(Path::Chunks, initial, drive, advance, steps);
  const Outcome shifted = run(Path::ShiftedChunks, initial, drive, advance, steps);
  EXPECT_GE(chunks.spikes.size(), least_spikes);
  EXPECT_EQ(chunks.spikes, shifted.spikes);
  EXPECT_EQ(chunks.spikes, per_neuron.spikes);
  ASSERT_EQ(chunks.state.size(), shifted.state.size());
  ASSERT_EQ(chunks.state.size(), per_neuron.state.size());
  for (std::size_t j = 0; j < chunks.state.size(); ++j) {
    ASSERT_EQ(chunks.state[j], shifted.state[j]) << j;
    ASSERT_EQ(chunks.state[j], per_neuron.state[j]) << j;
  }
}

}  // namespace

// 47 neurons: two whole chunks and a last one of 15 lanes (8, 4 and 3).
TEST(VectorLanes, StnChunksAgreeWithEachOtherAndThePerNeuronPath) {
  using M = models::StnHH;
  M::Storage<HostMem> pop("STN", 47);
  initializePopulation<M>(HostExec(), pop, M::Settings{}, 5, rng::streamKey("STN"), 3);
  expectPathsAgree(pop, M::derive(M::Settings{}, 0.025), rng::streamKey("STN"), -70);
}

TEST(VectorLanes, AdExChunksAgreeWithEachOtherAndThePerNeuronPath) {
  using M = models::AdEx;
  const M::Settings gpe{adex::gpeParams(), adex::gpeInit()};
  M::Storage<HostMem> pop("GPe", 47);
  initializePopulation<M>(HostExec(), pop, gpe, 5, rng::streamKey("GPe"), 3);
  expectPathsAgree(pop, M::derive(gpe, 0.025), rng::streamKey("GPe"), 0);
}

// More inputs than a GPU thread keeps in registers: the further ones are
// stepped in memory, by the same rules on every path.
TEST(VectorLanes, SixInputsAgreeOnEveryPath) {
  using M = models::AdEx;
  const M::Settings gpe{adex::gpeParams(), adex::gpeInit()};
  M::Storage<HostMem> pop("GPe", 47);
  initializePopulation<M>(HostExec(), pop, gpe, 5, rng::streamKey("GPe"), 3);
  static_assert(register_inputs < 6);
  expectPathsAgree(pop, M::derive(gpe, 0.025), rng::streamKey("GPe"), 0, 6);
}

// Every model of the registry, with its default settings: a model added to
// the list is checked here without a line of its own.
namespace {
template <class M>
void checkModelPaths() {
  SCOPED_TRACE(M::name);
  const typename M::Settings settings{};
  typename M::template Storage<HostMem> pop(M::name, 47);
  initializePopulation<M>(HostExec(), pop, settings, 5, rng::streamKey(M::name), 3);
  expectPathsAgree(pop, M::derive(settings, 0.025), rng::streamKey(M::name), -20, 2, 0);
}
template <class... M>
void checkEveryModelsPaths(models::ModelList<M...>) {
  (checkModelPaths<M>(), ...);
}
}  // namespace

TEST(VectorLanes, EveryModelsChunksAgreeWithThePerNeuronPath) { checkEveryModelsPaths(models::Models{}); }

// A fused GPU launch takes the number of populations a model's step asks
// for (Step::fused_slots; none by default: launched alone).
TEST(VectorLanes, FusedSlotsAreTheModelsOwn) {
  EXPECT_EQ(FusedSlots<StepperOf<models::AdEx>>::value, models::AdEx::Step::fused_slots);
  EXPECT_EQ(FusedSlots<StepperOf<models::AdEx>>::value, 2);
  EXPECT_EQ(FusedSlots<StepperOf<models::StnHH>>::value, 1);
  EXPECT_EQ(FusedSlots<StepperOf<models::Poisson>>::value, 0);
}

namespace {

using StnStepper = StepperOf<models::StnHH, HostMem>;
using AdExStepper = StepperOf<models::AdEx, HostMem>;
using PoissonStepper = StepperOf<models::Poisson, HostMem>;

/// Three populations of two models (an STN of 37, a GPe of 70 and a GPi of
/// 5 neurons, each with its own random drive and spike buffer), advanced
/// through two launches either each on its own (the CPU's chunks), all in
/// one table launch, or all in one fused launch (the GPU's launch of one
/// network, here with one lane per neuron and a model without fused slots
/// between the two that have them, as in the registry): every state
/// variable, conductance, OU value and spike.
enum class Launch { own, table, fused };
Outcome runThree(Launch launch) {
  const step_type steps = 403, split = 190;
  const models::AdEx::Settings gpe{adex::gpeParams(), adex::gpeInit()};
  const models::AdEx::Settings gpi{adex::gpiParams(), adex::gpiInit()};
  const auto stn_step = models::StnHH::derive(models::StnHH::Settings{}, 0.025);
  std::vector<StnStepper> stn;
  std::vector<AdExStepper> adex;
  std::vector<TestDrive> drives;  // owns the rings and conductances
  std::vector<SpikeBuffer<HostMem>> buffers;
  drives.reserve(3);
  auto recording = [&](index_type n) {
    StepRecording<HostMem> rec;
    rec.spikes = SpikeBuffer<HostMem>("test", n * steps / 40 + 64);
    buffers.push_back(rec.spikes);
    return rec;
  };
  {
    models::StnHH::Storage<HostMem> pop("STN", 37);
    initializePopulation<models::StnHH>(HostExec(), pop, models::StnHH::Settings{}, 5, rng::streamKey("STN"),
                                        3);
    drives.push_back(randomDrive(37, steps, 1e6, rng::streamKey("STN"), -70, 2));
    stn.push_back(stepper(pop, drives.back().drive, recording(37), stn_step));
  }
  for (const auto& [name, settings, n] : {std::tuple{"GPe", gpe, 70}, std::tuple{"GPi", gpi, 5}}) {
    models::AdEx::Storage<HostMem> pop(name, n);
    initializePopulation<models::AdEx>(HostExec(), pop, settings, 5, rng::streamKey(name), 3);
    drives.push_back(randomDrive(n, steps, 1e6, rng::streamKey(name), 0, 1));
    adex.push_back(stepper(pop, drives.back().drive, recording(n), models::AdEx::derive(settings, 0.025)));
  }
  StepperTable<HostMem, StnStepper, AdExStepper> table;
  for (const auto& [k0, k1] : {std::pair<step_type, step_type>{0, split}, {split, steps}}) {
    if (launch == Launch::table) {
      table.fill<1>(stn, adex);
      table.advance<1>(HostExec(), k0, k1);
    } else if (launch == Launch::fused) {
      advanceFused<1>(HostExec(), k0, k1,
                      FusedLayout<1>::make(0, 0, stn, std::vector<PoissonStepper>{}, adex));
    } else {
      for (const auto& s : stn) advancePopulation(HostExec(), "test", s, k0, k1);
      for (const auto& s : adex) advancePopulation(HostExec(), "test", s, k0, k1);
    }
  }
  Outcome out;
  auto append = [&](const auto& s, std::uint32_t population) {
    for (index_type i = 0; i < s.size(); ++i) {
      appendState(out.state, s.pop.load(i));
      for (int p = 0; p < s.drive.synapses.count; ++p) out.state.push_back(s.drive.synapses[p].g[i]);
      out.state.push_back(s.drive.ou(i));
    }
    for (const auto& [k, i] : spikesOf(s.rec.spikes)) out.spikes.emplace_back(k, population * 1000 + i);
  };
  append(stn[0], 0);
  append(adex[0], 1);
  append(adex[1], 2);
  return out;
}

/// The launch's outcome is that of each population's own launch, bit for
/// bit, with spikes enough to tell.
void expectOwnLaunchesOutcome(Launch launch) {
  const Outcome own = runThree(Launch::own);
  const Outcome other = runThree(launch);
  EXPECT_GE(own.spikes.size(), 20u);
  EXPECT_EQ(other.spikes, own.spikes);
  ASSERT_EQ(other.state.size(), own.state.size());
  for (std::size_t j = 0; j < own.state.size(); ++j) ASSERT_EQ(other.state[j], own.state[j]) << j;
}

}  // namespace

// One table launch (the GPU's launch of an ensemble's replicas) advances
// populations of several models exactly as their launches of their own do.
TEST(StepperTable, OneLaunchAdvancesEachPopulationAsItsOwnLaunchDoes) {
  expectOwnLaunchesOutcome(Launch::table);
}

// One fused launch (the GPU's launch of one network) advances every
// population of every model with fused slots, exactly as their own launches
// do: a launch as long as the first model's ranges left the others still.
TEST(StepperTable, OneFusedLaunchAdvancesEachPopulationAsItsOwnLaunchDoes) {
  expectOwnLaunchesOutcome(Launch::fused);
}

// Each population on whole blocks of 64 threads, L lanes per neuron but one
// for the models that fused launches leave out; every block names the
// population whose threads it holds.
TEST(StepperTable, LayoutGivesEachPopulationItsOwnBlocks) {
  models::StnHH::Storage<HostMem> stn("STN", 37);
  models::AdEx::Storage<HostMem> gpe("GPe", 70), empty("GPi", 0);
  models::Poisson::Storage<HostMem> ctx("CTX", 100);
  const std::vector<StnStepper> stns{
      stepper(stn, PopulationDrive<HostMem>{}, StepRecording<HostMem>{}, models::StnHH::Step{})};
  const std::vector<AdExStepper> adexes{
      stepper(gpe, PopulationDrive<HostMem>{}, StepRecording<HostMem>{}, models::AdEx::Step{}),
      stepper(empty, PopulationDrive<HostMem>{}, StepRecording<HostMem>{}, models::AdEx::Step{})};
  const std::vector<PoissonStepper> sources{
      stepper(ctx, PopulationDrive<HostMem>{}, StepRecording<HostMem>{}, models::Poisson::Step{})};
  StepperTable<HostMem, PoissonStepper, StnStepper, AdExStepper> table;
  table.fill<2>(sources, stns, adexes);
  // Poisson: 100 threads (one lane) in 2 blocks; STN: 74 in 2; GPe: 140 in 3; the empty GPi: none.
  const std::vector<StepperRange> expected{{0, 100, 0, 0}, {128, 74, 1, 0}, {256, 140, 2, 0}, {448, 0, 2, 1}};
  EXPECT_EQ(table.ranges(), expected);
  EXPECT_EQ(table.blocks(), (std::vector<std::int32_t>{0, 0, 1, 1, 2, 2, 2}));
  EXPECT_EQ(table.threads(), 448);
  // Refilled for another launch, the same layout.
  table.fill<2>(sources, stns, adexes);
  EXPECT_EQ(table.ranges(), expected);
  EXPECT_EQ(table.threads(), 448);
}
