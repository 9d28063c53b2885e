#include <gtest/gtest.h>

#include <cmath>

#include "kernels/models/adex.hpp"
#include "kernels/neuron_update.hpp"

using namespace cbgtc;

namespace {
const double eps = std::numeric_limits<real_type>::epsilon();
}

// Far below threshold ((V − VT)/ΔT < exp_arg_min), with a = 0, AdEx is a leaky integrator plus the
// clipped exponential's constant floor gL·ΔT·e^{exp_arg_min}. Forward Euler
// maps V − V∞ to (1 − dt/τ)·(V − V∞) exactly, and approaches the continuous
// solution V∞ + (V0 − V∞)e^{−t/τ} with an O(dt) error.
TEST(AdExStep, SubthresholdRelaxationMatchesAnalyticSolution) {
  adex::AdExParams p = adex::gpiParams();
  p.a = 0;
  p.b = 0;
  p.I_baseline = 0;
  p.VT = 50;  // keeps (V − VT)/ΔT below exp_arg_min over the whole trajectory
  const real_type I = 40;  // pA
  const double floor_pA = p.gL * p.dT * std::exp(static_cast<double>(p.exp_arg_min));
  const double V_inf = p.EL + (I + floor_pA) / p.gL;
  const double tau = p.C / p.gL;
  const double dt = 0.025;
  adex::AdExState x{real_type(-75), 0, 0};
  const double V0 = x.V;
  for (int k = 1; k <= 4000; ++k) {
    ASSERT_FALSE(adex::step(x, p, I, real_type(dt), 80));
    const double discrete = V_inf + (V0 - V_inf) * std::pow(1 - dt / tau, k);
    const double continuous = V_inf + (V0 - V_inf) * std::exp(-k * dt / tau);
    // Rounding errors accumulate at most ~|V|·eps per step, damped over τ/dt steps.
    ASSERT_NEAR(x.V, discrete, 4 * 75 * eps * (tau / dt)) << "step " << k;
    // Local error dt²/2·V''; global bound |V0−V∞|·(dt/τ)·(t/τ)·e^{−t/τ}/2 ≤ |V0−V∞|·dt/(2eτ).
    ASSERT_NEAR(x.V, continuous, std::fabs(V0 - V_inf) * dt / (2 * std::exp(1.0) * tau) * 1.1 + 4 * 75 * eps * (tau / dt)) << k;
    ASSERT_EQ(x.w, real_type(0));
  }
}

// Rheobase for a = 0: gL·(VT − EL − ΔT) = 80 pA (model.md §3.2).
TEST(AdExStep, RheobaseSeparatesSilenceFromFiring) {
  adex::AdExParams p = adex::gpiParams();
  p.I_baseline = 0;
  auto spikes = [&](real_type I) {
    adex::AdExState x{p.EL, 0, 0};
    int count = 0;
    for (int k = 0; k < 40000; ++k) count += adex::step(x, p, I, real_type(0.025), 80);
    return count;
  };
  const double rheobase = p.gL * (p.VT - p.EL - p.dT);
  EXPECT_EQ(spikes(real_type(rheobase - 1)), 0);
  EXPECT_GT(spikes(real_type(rheobase + 2)), 0);
}

TEST(AdExStep, SpikeResetsAddsAdaptationAndClampsForRefractorySteps) {
  const adex::AdExParams p = adex::gpeParams();
  const real_type dt = 0.025;
  const auto ref_steps = static_cast<std::int32_t>(std::lround(p.t_ref_ms / dt));
  ASSERT_EQ(ref_steps, 80);
  adex::AdExState x{real_type(19.9), real_type(7), 0};
  const real_type w_before = x.w;
  const real_type V_before = x.V;
  ASSERT_TRUE(adex::step(x, p, real_type(1e4), dt, ref_steps));
  EXPECT_EQ(x.V, p.V_reset);
  // w takes its Euler step from the pre-spike V, then jumps by b.
  const real_type w_expected = w_before + dt * (p.a * (V_before - p.EL) - w_before) / p.tau_w + p.b;
  EXPECT_NEAR(x.w, w_expected, 10 * eps * std::fabs(w_expected));
  EXPECT_EQ(x.refractory_steps_left, ref_steps);

  // Clamped at V_reset for exactly ref_steps steps, whatever the input;
  // w keeps relaxing (towards a·(V_reset − EL)).
  for (int k = 1; k <= ref_steps; ++k) {
    const real_type w_prev = x.w;
    ASSERT_FALSE(adex::step(x, p, real_type(1e4), dt, ref_steps)) << k;
    ASSERT_EQ(x.V, p.V_reset) << k;
    ASSERT_NEAR(x.w, w_prev + dt * (p.a * (p.V_reset - p.EL) - w_prev) / p.tau_w, 10 * eps * std::fabs(w_prev));
  }
  EXPECT_EQ(x.refractory_steps_left, 0);
  // The next step integrates again.
  adex::step(x, p, real_type(1e4), dt, ref_steps);
  EXPECT_GT(x.V, p.V_reset);
}

TEST(AdExStep, VoltageTraceNeverShowsThePeak) {
  const adex::AdExParams p = adex::gpeParams();
  adex::AdExState x{p.EL, 0, 0};
  int spikes = 0;
  for (int k = 0; k < 20000; ++k) {
    spikes += adex::step(x, p, 0, real_type(0.025), 80);
    ASSERT_LT(x.V, p.V_peak);
  }
  EXPECT_GT(spikes, 10);
}

// Initial states: N(V_init, V_sd²) and N(w_init, w_sd²), keyed per neuron.
// 5-standard-error bounds on mean and variance of 20000 draws.
TEST(AdExInit, DrawsHaveTheConfiguredDistribution) {
  const index_type n = 20000;
  const adex::AdExInit init = adex::gpeInit();
  using M = models::AdEx;
  M::Storage<MemorySpace> pop("GPe", n);
  initializePopulation<M>(ExecutionSpace(), pop, M::Settings{{}, init}, 42, rng::streamKey("GPe"));
  auto V = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pop.V);
  auto w = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pop.w);
  // Exact on CPU backends (the same code and math library as the host); a
  // GPU's exp and log may differ from the host's in the last bits.
  const double device_rel =
      Kokkos::SpaceAccessibility<ExecutionSpace, Kokkos::HostSpace>::accessible ? 0.0 : 1e-12;
  double sv = 0, sv2 = 0, sw = 0, sw2 = 0;
  for (index_type i = 0; i < n; ++i) {
    const auto expected = M::initialState(M::Settings{{}, init}, 42, rng::streamKey("GPe"), i);
    ASSERT_NEAR(V(i), expected.V, device_rel * std::fabs(expected.V));
    ASSERT_NEAR(w(i), expected.w, device_rel * std::fabs(expected.w));
    sv += V(i);
    sv2 += V(i) * V(i);
    sw += w(i);
    sw2 += w(i) * w(i);
  }
  const double mv = sv / n, vv = sv2 / n - mv * mv;
  const double mw = sw / n, vw = sw2 / n - mw * mw;
  EXPECT_NEAR(mv, init.V, 5 * init.V_sd / std::sqrt(n));
  EXPECT_NEAR(vv, init.V_sd * init.V_sd, 5 * init.V_sd * init.V_sd * std::sqrt(2.0 / n));
  EXPECT_NEAR(mw, init.w, 5 * init.w_sd / std::sqrt(n));
  EXPECT_NEAR(vw, init.w_sd * init.w_sd, 5 * init.w_sd * init.w_sd * std::sqrt(2.0 / n));
}
