#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "kernels/neuron_update.hpp"
#include "kernels/models/stn_hh.hpp"

using namespace cbgtc;

namespace {

// Relative accuracy we expect of one evaluation in the build's real type.
const double rel_tol = std::is_same_v<real_type, double> ? 1e-12 : 2e-6;

// Closed forms of model.md §2.4, written out independently in long double.
long double refAlphaN(long double V) { return 0.032L * (V + 52) / (1 - std::exp(-(V + 52) / 5)); }
long double refBetaN(long double V) { return 0.5L * std::exp(-(V + 57) / 40); }
long double refAlphaH(long double V) { return 0.128L * std::exp(-(V + 50) / 18); }
long double refBetaH(long double V) { return 4.0L / (1 + std::exp(-(V + 27) / 5)); }
long double refAlphaM(long double V) { return 0.32L * (V + 54) / (1 - std::exp(-(V + 54) / 4)); }
long double refBetaM(long double V) { return 0.28L * (V + 27) / (std::exp((V + 27) / 5) - 1); }

std::vector<double> voltageGrid() {
  std::vector<double> v;
  for (double V = -120.0; V <= 60.0; V += 0.37) v.push_back(V);
  return v;
}

bool nearSingular(double V) {
  return std::fabs(V + 52) < 1e-2 || std::fabs(V + 54) < 1e-2 || std::fabs(V + 27) < 1e-2;
}

}  // namespace

TEST(StnGating, SteadyStatesMatchClosedForms) {
  const stn::StnParams p;
  for (double V : voltageGrid()) {
    if (nearSingular(V)) continue;
    const real_type v = static_cast<real_type>(V);
    const long double an = refAlphaN(v), bn = refBetaN(v);
    const long double ah = refAlphaH(v), bh = refBetaH(v);
    const long double am = refAlphaM(v), bm = refBetaM(v);
    EXPECT_NEAR(stn::nInf(v), an / (an + bn), rel_tol * 10) << "V=" << V;
    EXPECT_NEAR(stn::hInf(v), ah / (ah + bh), rel_tol * 10) << "V=" << V;
    EXPECT_NEAR(stn::mInf(v), am / (am + bm), rel_tol * 10) << "V=" << V;
    EXPECT_NEAR(stn::rInf(v, p), 1 / (1 + std::exp((v + 74.0L) / 9)), rel_tol * 10) << "V=" << V;
    EXPECT_NEAR(stn::aInf(v, p), 1 / (1 + std::exp(-(v + 52.0L) / 6.2L)), rel_tol * 10) << "V=" << V;
    EXPECT_NEAR(stn::sInf(v), 1 / (1 + std::exp(-(v + 39.0L) / 8)), rel_tol * 10) << "V=" << V;
    EXPECT_NEAR(stn::alphaN(v) / an, 1.0, rel_tol * 10) << "V=" << V;
    EXPECT_NEAR(stn::alphaM(v) / am, 1.0, rel_tol * 10) << "V=" << V;
    EXPECT_NEAR(stn::betaM(v) / bm, 1.0, rel_tol * 10) << "V=" << V;
  }
}

TEST(StnGating, TimeConstantsMatchClosedFormsAndBounds) {
  for (double V : voltageGrid()) {
    const real_type v = static_cast<real_type>(V);
    const long double tn = 0.75L * (1 + 100 / (1 + std::exp((v + 80.0L) / 26)));
    const long double th = 0.75L * (1 + 500 / (1 + std::exp((v + 57.0L) / 3)));
    EXPECT_NEAR(stn::tauN(v) / tn, 1.0, rel_tol * 10) << "V=" << V;
    EXPECT_NEAR(stn::tauH(v) / th, 1.0, rel_tol * 10) << "V=" << V;
    EXPECT_GE(stn::tauN(v), real_type(0.75));
    EXPECT_LE(stn::tauN(v), real_type(75.75));
    EXPECT_GE(stn::tauH(v), real_type(0.75));
    EXPECT_LE(stn::tauH(v), real_type(375.75));
  }
}

// At the removable singularities the rates take their limits: α_n(−52) =
// 0.032·5, α_m(−54) = 0.32·4, β_m(−27) = 0.28·5; and they are continuous
// across them (the prototype returns ≈0 there, model.md §2.3).
// The step's folded gate rates (one division each) equal the textbook forms
// (x∞ − x)/τ and m∞ from the gate functions, over the whole voltage range,
// through the singular voltages, and for gate values across [0, 1].
TEST(StnGating, FoldedGateRatesEqualTheTextbookForms) {
  using cbgtc::real_type;
  const double tol = std::is_same_v<real_type, double> ? 1e-12 : 2e-5;
  std::vector<double> voltages = {-54.0, -52.0, -27.0, -54.0 + 1e-9, -27.0 - 1e-7};
  for (double V = -120; V <= 60; V += 0.37) voltages.push_back(V);
  for (double V : voltages) {
    const auto v = static_cast<real_type>(V);
    for (double x : {0.0, 0.1, 0.5, 0.93, 1.0}) {
      const auto g = static_cast<real_type>(x);
      const stn::GateRates r = stn::gateRates(v, g, g);
      const double n_ref = (stn::nInf(v) - g) / stn::tauN(v);
      const double h_ref = (stn::hInf(v) - g) / stn::tauH(v);
      EXPECT_NEAR(r.n_rate, n_ref, tol * (std::fabs(n_ref) + 1e-3)) << "n, V = " << V << ", x = " << x;
      EXPECT_NEAR(r.h_rate, h_ref, tol * (std::fabs(h_ref) + 1e-3)) << "h, V = " << V << ", x = " << x;
      EXPECT_NEAR(r.m_inf, stn::mInf(v), tol * (stn::mInf(v) + 1e-6)) << "m, V = " << V;
    }
  }
}

TEST(StnGating, SingularVoltagesTakeTheirLimits) {
  EXPECT_NEAR(stn::alphaN(real_type(-52)), 0.16, rel_tol);
  EXPECT_NEAR(stn::alphaM(real_type(-54)), 1.28, rel_tol);
  EXPECT_NEAR(stn::betaM(real_type(-27)), 1.4, rel_tol);
  for (double dv : {1e-6, 1e-4, 1e-2, 0.1}) {
    for (double sign : {-1.0, 1.0}) {
      const double d = sign * dv;
      // Series around the singular point: f(u) = u/(1−e^{−u}) ≈ 1 + u/2 + u²/12.
      auto series = [](double u) { return 1 + u / 2 + u * u / 12 - u * u * u * u / 720; };
      EXPECT_NEAR(stn::alphaN(real_type(-52 + d)), 0.16 * series(d / 5), 1e-3 * dv + rel_tol) << d;
      EXPECT_NEAR(stn::alphaM(real_type(-54 + d)), 1.28 * series(d / 4), 1e-2 * dv + rel_tol) << d;
      EXPECT_NEAR(stn::betaM(real_type(-27 + d)), 1.4 * series(-d / 5), 1e-2 * dv + rel_tol) << d;
    }
  }
}

namespace {

struct Trace {
  std::vector<step_type> spikes;
  stn::StnState final_state;
  bool gates_in_unit_interval = true;
  bool finite = true;
};

Trace simulate(real_type ISTN, double duration_ms, real_type input = 0) {
  stn::StnParams p;
  p.ISTN = ISTN;
  const real_type dt = 0.025;
  stn::StnInit init;
  stn::StnState x{init.V, init.n, init.h, init.r, init.Ca, stn::no_spike_step};
  Trace t;
  const auto n = static_cast<step_type>(std::llround(duration_ms / 0.025));
  for (step_type i = 0; i < n; ++i) {
    if (stn::step(x, p, input, dt, i, 80)) t.spikes.push_back(i);
    for (real_type g : {x.n, x.h, x.r})
      if (!(g >= 0 && g <= 1)) t.gates_in_unit_interval = false;
    if (!std::isfinite(x.V) || !std::isfinite(x.Ca) || x.Ca < 0) t.finite = false;
  }
  t.final_state = x;
  return t;
}

}  // namespace

TEST(StnStep, GatesStayInUnitIntervalAcrossDrives) {
  for (real_type I : {-40.0, -10.0, 0.0, 20.0, 42.0, 117.0, 300.0}) {
    const Trace t = simulate(I, 300.0);
    EXPECT_TRUE(t.gates_in_unit_interval) << "ISTN=" << I;
    EXPECT_TRUE(t.finite) << "ISTN=" << I;
  }
}

// Without drive the cell fires once (model.md §2.9) and settles at rest,
// where every gate sits at its steady state and the net current vanishes.
TEST(StnStep, RestIsAFixedPointOfTheEquations) {
  const stn::StnParams p;
  stn::StnParams p0 = p;
  p0.ISTN = 0;
  const Trace t = simulate(0, 3000.0);
  ASSERT_EQ(t.spikes.size(), 1u);
  const auto& x = t.final_state;
  const real_type V = x.V;
  // Forward Euler stalls once dt·(g∞ − g)/τ drops below half an ulp of g:
  // a float gate with τ_h up to 375 ms stops ~eps·τ/dt short of its target.
  const double gate_tol = std::max(1e-4, 2 * std::numeric_limits<real_type>::epsilon() * 375.75 / 0.025);
  EXPECT_NEAR(x.n, stn::nInf(V), gate_tol);
  EXPECT_NEAR(x.h, stn::hInf(V), gate_tol);
  EXPECT_NEAR(x.r, stn::rInf(V, p0), gate_tol);
  const auto I = stn::currents(V, x.n, x.h, x.r, x.Ca, p0);
  EXPECT_NEAR(I.total(), 0.0, 1e-3) << "V_rest=" << V;
  // Calcium decays to where influx balances removal.
  EXPECT_NEAR(-p0.alpha_Ca * (I.T + I.CaH) - x.Ca / p0.tau_Ca_ms, 0.0, 1e-6);
}

TEST(StnStep, MinimumIntervalSuppressesDetectionOnly) {
  // Force a crossing at every call: V just below threshold, huge input.
  stn::StnParams p;
  stn::StnState x{real_type(-1), real_type(0.3), real_type(0.6), real_type(0.1), real_type(0.02), 100};
  const step_type min_isi = 80;
  // 79 steps after the last spike: not detected, though V crosses 0.
  stn::StnState y = x;
  EXPECT_FALSE(stn::step(y, p, real_type(5000), real_type(0.025), 179, min_isi));
  EXPECT_GE(y.V, real_type(0));
  EXPECT_EQ(y.last_spike_step, 100);
  // 80 steps after: detected, and recorded as the new last spike.
  y = x;
  EXPECT_TRUE(stn::step(y, p, real_type(5000), real_type(0.025), 180, min_isi));
  EXPECT_EQ(y.last_spike_step, 180);
}

// The launcher on the default execution space gives the point function's
// trajectory, neuron by neuron.
TEST(StnStep, DeviceLauncherMatchesHostPointFunction) {
  const index_type n = 37;
  const stn::StnParams p;
  stn::StnInit init;
  init.heterogeneity = 0.1;
  using M = models::StnHH;
  M::Storage<MemorySpace> pop("STN", n);
  initializePopulation<M>(ExecutionSpace(), pop, M::Settings{p, init}, 11, 7);
  SpikeBuffer<MemorySpace> spikes("test", n * 400);
  const auto no_input = quietDrive<MemorySpace>();

  std::vector<stn::StnState> host(n);
  for (index_type i = 0; i < n; ++i) host[i] = M::initialState(M::Settings{p, init}, 11, 7, i);
  std::vector<std::pair<step_type, index_type>> host_spikes;

  const real_type dt = 0.025;
  for (step_type s = 0; s < 4000; ++s) {
    advanceOneStep<M>(ExecutionSpace(), pop, M::Step{p, dt, 80}, s, no_input, spikes);
    for (index_type i = 0; i < n; ++i)
      if (stn::step(host[i], p, 0, dt, s, 80)) host_spikes.emplace_back(s, i);
  }
  auto V = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pop.V);
  auto Ca = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), pop.Ca);
  for (index_type i = 0; i < n; ++i) {
    EXPECT_NEAR(V(i), host[i].V, 1e-9 * (1 + std::fabs(host[i].V))) << i;
    EXPECT_NEAR(Ca(i), host[i].Ca, 1e-9) << i;
  }
  std::int64_t count = 0;
  count = spikes.hostCounters()[SpikeBuffer<MemorySpace>::spike_count];
  ASSERT_EQ(count, static_cast<std::int64_t>(host_spikes.size()));
  auto records = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), spikes.records);
  std::vector<std::pair<step_type, index_type>> device_spikes;
  for (std::int64_t k = 0; k < count; ++k)
    device_spikes.emplace_back(records(k).step, static_cast<index_type>(records(k).index));
  std::sort(device_spikes.begin(), device_spikes.end());
  EXPECT_EQ(device_spikes, host_spikes);
  EXPECT_GT(host_spikes.size(), static_cast<std::size_t>(n));  // they did fire
}
