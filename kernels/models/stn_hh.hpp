#pragma once
// STN neuron: single-compartment Hodgkin–Huxley model with seven currents
// (Na, K, leak, T-type Ca, high-threshold Ca, Ca-activated K (AHP), H), as
// docs/model.md §2 specifies it (the JAX prototype's model,
// Terman–Rubin-style kinetics). Units: mV, ms, mS/cm², µA/cm², µF/cm².
//
// Differences from the prototype, on purpose:
//  - rates at removable singularities (α_n at −52 mV, α_m at −54 mV, β_m at
//    −27 mV) take their limits instead of ≈0 (model.md §2.3, D12);
//  - the redundant gate state s is not stored: I_CaH = gCa·s∞(V)³·(V − ECa),
//    which is what the prototype computes (its s is overwritten by s∞(V_old)
//    every step before use);
//  - the 2 ms detection rule counts steps: a spike at step k is detected only if
//    the previous one was at least round(min_isi_ms/dt) steps earlier.

#include <string>

#include "kernels/lane_group.hpp"
#include "kernels/models/model.hpp"
#include "kernels/rng.hpp"
#include "kernels/vectorizable_math.hpp"
#include "kernels/types.hpp"

namespace cbgtc::stn {

/// Dynamics parameters (model.md §2.2), homogeneous across the population.
struct StnParams {
  real_type gNa = 49.0;         // mS/cm², fast Na+
  real_type gK = 57.0;          // mS/cm², delayed-rectifier K+
  real_type gT = 5.0;           // mS/cm², T-type Ca2+
  real_type gL = 0.35;          // mS/cm², leak
  real_type gCa = 0.5;          // mS/cm², high-voltage-activated Ca2+
  real_type gAHP = 15.0;        // mS/cm², Ca2+-activated K+
  real_type gH = 0.5;           // mS/cm², H current
  real_type ENa = 60.0;         // mV
  real_type EK = -90.0;         // mV, I_K and I_AHP
  real_type ECa = 140.0;        // mV, I_T and I_CaH
  real_type EL = -60.0;         // mV
  real_type E_H = -43.0;        // mV
  real_type Cm = 1.0;           // µF/cm²
  real_type ISTN = 42.0;        // µA/cm², tonic drive
  real_type Vp_half = -52.0;    // mV, T-type activation half point
  real_type kp = 6.2;           // mV, T-type activation slope
  real_type Vr_half = -74.0;    // mV, r-gate half point
  real_type kr = 9.0;           // mV, r-gate slope
  real_type tau_r_ms = 200.0;   // ms, r-gate time constant (V-independent)
  real_type alpha_Ca = 0.005;   // (Ca units)/ms per µA/cm², Ca influx factor
  real_type tau_Ca_ms = 120.0;  // ms, Ca decay
  real_type k1 = 15.0;          // Ca units, AHP half-activation
  real_type V_spike_thresh = 0.0;  // mV, upward crossing detects a spike
  real_type min_isi_ms = 2.0;   // ms, minimum interval between detected spikes
};

/// Mean initial state and its spread (model.md §2.8): each variable is drawn as
/// base + N(0, heterogeneity·|base|); gates clipped to [0, 1], Ca to ≥ 0.
struct StnInit {
  real_type V = -58.0;     // mV
  real_type n = 0.317;
  real_type h = 0.596;
  real_type r = 0.1;
  real_type Ca = 0.02;     // Ca units
  real_type heterogeneity = 0.05;  // relative standard deviation
};

/// State of one STN neuron.
struct StnState {
  real_type V;
  real_type n;
  real_type h;
  real_type r;
  real_type Ca;
  step_type last_spike_step;  // step of the last detected spike
};

/// "Never spiked": far enough in the past for any min_isi, without overflow.
constexpr step_type no_spike_step = -(step_type(1) << 40);

namespace Impl {

using R = real_type;

/// exp(clip(x, −50, 50)), as every exponential of the prototype's STN.
KOKKOS_FORCEINLINE_FUNCTION R clippedExp(R x) { return vmath::expWithin700(math::clamp(x, R(-50), R(50))); }

/// x / (1 − e^{−x}), continuous at x = 0 where its limit is 1. The rates
/// α_n, α_m, β_m are multiples of it. Near 0 its Taylor series (error below
/// x⁸/1209600 < 1e-16 for |x| < 0.05) avoids both the 0/0 at the removable
/// singularities and the cancellation in 1 − e^{−x}; beyond, that
/// cancellation costs at most eps/0.05, and exp is half the price of expm1.
/// x/(1 − e^{−x}) as num/den (den = 1 near the removable singularity, where
/// the series is used), so that a caller can fold the division into its own.
struct Fraction {
  R num, den;
};
/// Both forms are computed and one selected: branch-free, so that a loop over
/// neurons vectorises. `e` is e^{−x}, clipped (clippedExp(−x)).
KOKKOS_FORCEINLINE_FUNCTION Fraction fractionOf(R x, R e) {
  const bool near_zero = math::fabs(x) < R(0.05);
  const R x2 = x * x;
  const R series = R(1) + x * R(0.5) + x2 * (R(1.0 / 12) + x2 * (R(-1.0 / 720) + x2 * R(1.0 / 30240)));
  return {near_zero ? series : x, near_zero ? R(1) : R(1) - e};
}

/// The same fraction given E = e^{x} (clipped) instead of e^{−x}:
/// x/(1 − 1/E) = −x·E/(1 − E), no division.
KOKKOS_FORCEINLINE_FUNCTION Fraction fractionOfReciprocal(R x, R E) {
  const bool near_zero = math::fabs(x) < R(0.05);
  const Fraction f = fractionOf(x, R(0));
  return {near_zero ? f.num : -x * E, near_zero ? R(1) : R(1) - E};
}

KOKKOS_FORCEINLINE_FUNCTION Fraction xOverOneMinusExpNegFraction(R x) { return fractionOf(x, clippedExp(-x)); }

KOKKOS_FORCEINLINE_FUNCTION R xOverOneMinusExpNeg(R x) {
  const Fraction f = xOverOneMinusExpNegFraction(x);
  return f.num / f.den;
}

}  // namespace Impl

// Gating functions (model.md §2.4). V in mV, rates in 1/ms, τ in ms.
// Divisions by constant slopes are written as multiplications by their
// reciprocals: a division costs several multiplications, and the
// difference is one rounding.

KOKKOS_FORCEINLINE_FUNCTION real_type alphaN(real_type V) {
  // 0.032·(V+52)/(1 − e^{−(V+52)/5})
  return real_type(0.16) * Impl::xOverOneMinusExpNeg((V + real_type(52)) * real_type(1.0 / 5));
}
KOKKOS_FORCEINLINE_FUNCTION real_type betaN(real_type V) {
  return real_type(0.5) * Impl::clippedExp((V + real_type(57)) * real_type(-1.0 / 40));
}
KOKKOS_FORCEINLINE_FUNCTION real_type nInf(real_type V) {
  const real_type a = alphaN(V);
  return a / (a + betaN(V));
}
KOKKOS_FORCEINLINE_FUNCTION real_type tauN(real_type V) {
  return real_type(0.75) *
         (real_type(1) + real_type(100) / (real_type(1) + Impl::clippedExp((V + real_type(80)) * real_type(1.0 / 26))));
}

KOKKOS_FORCEINLINE_FUNCTION real_type alphaH(real_type V) {
  return real_type(0.128) * Impl::clippedExp((V + real_type(50)) * real_type(-1.0 / 18));
}
KOKKOS_FORCEINLINE_FUNCTION real_type betaH(real_type V) {
  return real_type(4) / (real_type(1) + Impl::clippedExp((V + real_type(27)) * real_type(-1.0 / 5)));
}
KOKKOS_FORCEINLINE_FUNCTION real_type hInf(real_type V) {
  const real_type a = alphaH(V);
  return a / (a + betaH(V));
}
KOKKOS_FORCEINLINE_FUNCTION real_type tauH(real_type V) {
  return real_type(0.75) *
         (real_type(1) + real_type(500) / (real_type(1) + Impl::clippedExp((V + real_type(57)) * real_type(1.0 / 3))));
}

KOKKOS_FORCEINLINE_FUNCTION real_type alphaM(real_type V) {
  // 0.32·(V+54)/(1 − e^{−(V+54)/4})
  return real_type(1.28) * Impl::xOverOneMinusExpNeg((V + real_type(54)) * real_type(1.0 / 4));
}
KOKKOS_FORCEINLINE_FUNCTION real_type betaM(real_type V) {
  // 0.28·(V+27)/(e^{(V+27)/5} − 1) = 1.4·u/(e^u − 1) with u = (V+27)/5
  return real_type(1.4) * Impl::xOverOneMinusExpNeg((V + real_type(27)) * real_type(-1.0 / 5));
}
KOKKOS_FORCEINLINE_FUNCTION real_type mInf(real_type V) {
  const real_type a = alphaM(V);
  return a / (a + betaM(V));
}

// A step's exponentials and divisions, as lists: a step on a GPU may share
// them out among a few lanes (LaneGroup), which compute them by the same
// operations as one lane does.

/// The nine exponentials of a step, e_j = exp(clip(arg_j, ±50)), each of
/// V alone: β_n, τ_n, α_h, β_h (e^{−u}, u = (V+27)/5), τ_h, α_m
/// (e^{−(V+54)/4}), r∞, a∞, s∞. α_n's e^{−(V+52)/5} is e^{−u}·e^{−5} and β_m's
/// e^{u} is 1/e^{−u} (folded into β_m's fraction), so β_h's exponential serves
/// three rates; the clips differ only beyond V = 198 mV or below −277 mV.
enum StnExponential : int {
  kBetaN,
  kTauN,
  kAlphaH,
  kBetaH,
  kTauH,
  kAlphaM,
  kRInf,
  kAInf,
  kSInf,
  kExponentials
};

/// Parameter reciprocals a step multiplies by: loop-invariant, so a launch
/// that advances a neuron through many steps computes them once.
struct StnReciprocals {
  real_type kr, kp, tau_r, tau_Ca, Cm;
  KOKKOS_FORCEINLINE_FUNCTION explicit StnReciprocals(const StnParams& p)
      : kr(real_type(1) / p.kr),
        kp(real_type(1) / p.kp),
        tau_r(real_type(1) / math::atLeast(p.tau_r_ms, real_type(1e-3))),
        tau_Ca(real_type(1) / math::atLeast(p.tau_Ca_ms, real_type(1e-3))),
        Cm(real_type(1) / p.Cm) {}
};

KOKKOS_FORCEINLINE_FUNCTION void exponentArguments(real_type V, const StnParams& p, const StnReciprocals& inv,
                                                   real_type (&arg)[kExponentials]) {
  using R = real_type;
  arg[kBetaN] = (V + R(57)) * R(-1.0 / 40);
  arg[kTauN] = (V + R(80)) * R(1.0 / 26);
  arg[kAlphaH] = (V + R(50)) * R(-1.0 / 18);
  arg[kBetaH] = (V + R(27)) * R(-1.0 / 5);
  arg[kTauH] = (V + R(57)) * R(1.0 / 3);
  arg[kAlphaM] = (V + R(54)) * R(-1.0 / 4);
  arg[kRInf] = (V - p.Vr_half) * inv.kr;
  arg[kAInf] = (V - p.Vp_half) * -inv.kp;
  arg[kSInf] = (V + R(39)) * R(-1.0 / 8);
}

/// The seven quotients of a step: (n∞ − n)/τn and (h∞ − h)/τh, m∞, r∞, a∞,
/// s∞ and I_AHP. A gate with x∞ = α/(α+β), α = an/ad, β = bn/bd and
/// τ = 0.75·(1 + A/(1 + e)) relaxes at (an·bd − x·S)·(1 + e) /
/// (0.75·S·(1 + e + A)), S = an·bd + bn·ad: one division instead of five.
/// Divisions are the longest links of a step's dependency chain on a GPU
/// (a double division is a software sequence).
enum StnQuotient : int { kNRate, kHRate, kMInf, kRInfQ, kAInfQ, kSInfQ, kAhp, kQuotients };

KOKKOS_FORCEINLINE_FUNCTION void quotientTerms(real_type V, real_type n, real_type h, real_type Ca,
                                               const StnParams& p, const real_type (&arg)[kExponentials],
                                               const real_type (&e)[kExponentials], real_type (&num)[kQuotients],
                                               real_type (&den)[kQuotients]) {
  using R = real_type;
  // α_n = 0.16·fn, β_n = 0.5·e: the forms of alphaN, betaN; likewise for h and m.
  // α_n's e^{−(V+52)/5} is β_h's e^{−(V+27)/5} times e^{−5}.
  constexpr R e_minus_5 = R(6.737946999085467e-03);
  const Impl::Fraction fn = Impl::fractionOf((V + R(52)) * R(1.0 / 5), e[kBetaH] * e_minus_5);
  {
    const R an = R(0.16) * fn.num, ad = fn.den, bn = R(0.5) * e[kBetaN];
    const R S = an + bn * ad;
    const R one_e = R(1) + e[kTauN];
    num[kNRate] = (an - n * S) * one_e;
    den[kNRate] = R(0.75) * S * (one_e + R(100));
  }
  {
    const R an = R(0.128) * e[kAlphaH], bd = R(1) + e[kBetaH];
    const R S = an * bd + R(4);
    const R one_e = R(1) + e[kTauH];
    num[kHRate] = (an * bd - h * S) * one_e;
    den[kHRate] = R(0.75) * S * (one_e + R(500));
  }
  const Impl::Fraction fa = Impl::fractionOf(-arg[kAlphaM], e[kAlphaM]);
  const Impl::Fraction fb = Impl::fractionOfReciprocal((V + R(27)) * R(-1.0 / 5), e[kBetaH]);
  const R a = R(1.28) * fa.num * fb.den;
  num[kMInf] = a;
  den[kMInf] = a + R(1.4) * fb.num * fa.den;
  num[kRInfQ] = R(1);
  den[kRInfQ] = R(1) + e[kRInf];
  num[kAInfQ] = R(1);
  den[kAInfQ] = R(1) + e[kAInf];
  num[kSInfQ] = R(1);
  den[kSInfQ] = R(1) + e[kSInf];
  num[kAhp] = p.gAHP * (V - p.EK) * Ca;
  den[kAhp] = math::atLeast(Ca + p.k1, R(1e-9));
}

/// out[j] = f(a[j], b[j]) for j < N, each computed by one lane of the
/// group (lane j % L) and then known to all.
template <int L, int N, class F>
KOKKOS_FORCEINLINE_FUNCTION void sharedOut(const LaneGroup<L>& group, const real_type (&a)[N],
                                           const real_type (&b)[N], real_type (&out)[N], F f) {
  if constexpr (L == 1) {
    CBGTC_UNROLL
    for (int j = 0; j < N; ++j) out[j] = f(a[j], b[j]);
  } else {
    constexpr int slots = (N + L - 1) / L;
    real_type mine[slots];
    CBGTC_UNROLL
    for (int s = 0; s < slots; ++s) mine[s] = f(group.mine(a, s), group.mine(b, s));
    CBGTC_UNROLL
    for (int j = 0; j < N; ++j) out[j] = group.fromLane(mine[j / L], j % L);
  }
}

/// What the step needs of the fast gates at V, one division each:
/// (n∞ − n)/τn, (h∞ − h)/τh and m∞ (the functions above, folded).
struct GateRates {
  real_type n_rate, h_rate, m_inf;
};
KOKKOS_FORCEINLINE_FUNCTION GateRates gateRates(real_type V, real_type n, real_type h) {
  const StnParams p;
  real_type arg[kExponentials], e[kExponentials], num[kQuotients], den[kQuotients];
  exponentArguments(V, p, StnReciprocals(p), arg);
  sharedOut(LaneGroup<1>{}, arg, arg, e, [](real_type a, real_type) { return Impl::clippedExp(a); });
  quotientTerms(V, n, h, p.k1, p, arg, e, num, den);
  return {num[kNRate] / den[kNRate], num[kHRate] / den[kHRate], num[kMInf] / den[kMInf]};
}

KOKKOS_FORCEINLINE_FUNCTION real_type rInf(real_type V, const StnParams& p) {
  return real_type(1) / (real_type(1) + Impl::clippedExp((V - p.Vr_half) * (real_type(1) / p.kr)));
}
KOKKOS_FORCEINLINE_FUNCTION real_type aInf(real_type V, const StnParams& p) {
  return real_type(1) / (real_type(1) + Impl::clippedExp((V - p.Vp_half) * -(real_type(1) / p.kp)));
}
KOKKOS_FORCEINLINE_FUNCTION real_type sInf(real_type V) {
  return real_type(1) / (real_type(1) + Impl::clippedExp((V + real_type(39)) * real_type(-1.0 / 8)));
}

/// Ionic currents (µA/cm², outward positive) for gates n, h, r at voltage V
/// and calcium Ca; m, a, s are instantaneous at V (model.md §2.5).
struct StnCurrents {
  real_type Na, K, L, T, CaH, AHP, H;
  KOKKOS_FORCEINLINE_FUNCTION real_type total() const { return Na + K + L + T + CaH + AHP + H; }
};

/// The currents given m∞, a∞, s∞ and I_AHP (the step computes them with
/// its gates).
KOKKOS_FORCEINLINE_FUNCTION StnCurrents currents(real_type V, real_type m, real_type n, real_type h, real_type r,
                                                 real_type a, real_type s, real_type I_ahp, const StnParams& p) {
  StnCurrents I;
  I.Na = p.gNa * m * m * m * h * (V - p.ENa);
  I.K = p.gK * (n * n) * (n * n) * (V - p.EK);
  I.L = p.gL * (V - p.EL);
  I.T = p.gT * a * a * a * r * r * (V - p.ECa);
  I.CaH = p.gCa * s * s * s * (V - p.ECa);
  I.AHP = I_ahp;
  I.H = p.gH * r * (V - p.E_H);
  return I;
}

KOKKOS_FORCEINLINE_FUNCTION StnCurrents currents(real_type V, real_type n, real_type h, real_type r,
                                                 real_type Ca, const StnParams& p) {
  const real_type I_ahp = p.gAHP * (V - p.EK) * Ca / math::atLeast(Ca + p.k1, real_type(1e-9));
  return currents(V, mInf(V), n, h, r, aInf(V, p), sInf(V), I_ahp, p);
}

/// One forward-Euler step of dt_ms for one neuron, in the prototype's order
/// (model.md §2.7): gates from the old V; currents from the new gates, old V
/// and old Ca; then V and Ca. I_input_uA_cm2 is the net input current,
/// positive depolarising (external drive and noise minus synaptic current).
/// Returns true if a spike is detected in this step. With a group of L > 1
/// lanes, every lane of it passes the same state and input and gets the
/// same result; the exponentials and quotients are shared out.
template <int L = 1>
KOKKOS_FORCEINLINE_FUNCTION bool step(StnState& x, const StnParams& p, real_type I_input_uA_cm2, real_type dt_ms,
                                      step_type step_index, step_type min_isi_steps,
                                      const LaneGroup<L>& group = LaneGroup<L>{}) {
  const real_type V = x.V;
  const StnReciprocals inv(p);

  real_type arg[kExponentials], e[kExponentials];
  exponentArguments(V, p, inv, arg);
  sharedOut(group, arg, arg, e, [](real_type a, real_type) { return Impl::clippedExp(a); });
  real_type num[kQuotients], den[kQuotients], q[kQuotients];
  quotientTerms(V, x.n, x.h, x.Ca, p, arg, e, num, den);
  sharedOut(group, num, den, q, [](real_type a, real_type b) { return a / b; });

  const real_type n = x.n + dt_ms * q[kNRate];
  const real_type h = x.h + dt_ms * q[kHRate];
  const real_type r = x.r + dt_ms * (q[kRInfQ] - x.r) * inv.tau_r;

  const StnCurrents I = currents(V, q[kMInf], n, h, r, q[kAInfQ], q[kSInfQ], q[kAhp], p);
  const real_type V_new = V + dt_ms * (-I.total() + p.ISTN + I_input_uA_cm2) * inv.Cm;
  const real_type Ca_new =
      math::atLeast(x.Ca + dt_ms * (-p.alpha_Ca * (I.T + I.CaH) - x.Ca * inv.tau_Ca), real_type(0));

  const bool spiked =
      crossesThreshold(V, V_new, p.V_spike_thresh, step_index, x.last_spike_step, min_isi_steps);
  x.V = V_new;
  x.n = n;
  x.h = h;
  x.r = r;
  x.Ca = Ca_new;
  if (spiked) x.last_spike_step = step_index;
  return spiked;
}

}  // namespace cbgtc::stn

namespace cbgtc::stn {

/// The population state of an STN model whose neurons are StnState (the
/// prototype's and the Terman–Rubin cell): one View per variable.
template <class Model, class MemorySpace>
struct StnStorage {
  using memory_space = MemorySpace;
  using model = Model;
  template <class T>
  using view = Kokkos::View<T*, MemorySpace>;
  view<real_type> V, n, h, r, Ca;
  view<step_type> last_spike_step;

  StnStorage() = default;
  StnStorage(const std::string& population, index_type size, DeviceArena<MemorySpace>* arena = nullptr)
      : V(stateView<decltype(V)>(arena, population, "V", size)),
        n(stateView<decltype(n)>(arena, population, "n", size)),
        h(stateView<decltype(h)>(arena, population, "h", size)),
        r(stateView<decltype(r)>(arena, population, "r", size)),
        Ca(stateView<decltype(Ca)>(arena, population, "Ca", size)),
        last_spike_step(stateView<decltype(last_spike_step)>(arena, population, "last_spike_step", size)) {}

  index_type size() const { return static_cast<index_type>(V.extent(0)); }
  KOKKOS_INLINE_FUNCTION StnState load(index_type i) const {
    return StnState{V(i), n(i), h(i), r(i), Ca(i), last_spike_step(i)};
  }
  KOKKOS_INLINE_FUNCTION void store(index_type i, const StnState& x) const {
    V(i) = x.V;
    n(i) = x.n;
    h(i) = x.h;
    r(i) = x.r;
    Ca(i) = x.Ca;
    last_spike_step(i) = x.last_spike_step;
  }
  /// The dynamic state a checkpoint keeps, each variable's View by name
  /// (src/checkpoint.cpp).
  template <class F>
  void forEachState(F&& f) const {
    f("V", V);
    f("n", n);
    f("h", h);
    f("r", r);
    f("Ca", Ca);
    f("last_spike_step", last_spike_step);
  }
};

/// What a [record] section can name of an StnState (last_spike_step is
/// bookkeeping of the spike rule, not physiology), and variable v of it.
inline constexpr StateVariable state_variables[] = {{"V", "mV"}, {"n", "1"}, {"h", "1"}, {"r", "1"},
                                                    {"Ca", "Ca units"}};
KOKKOS_INLINE_FUNCTION real_type stateValue(const StnState& x, int v) {
  return v == 0 ? x.V : v == 1 ? x.n : v == 2 ? x.h : v == 3 ? x.r : x.Ca;
}

}  // namespace cbgtc::stn

namespace cbgtc::models {

/// The STN Hodgkin–Huxley model as a population model (model.md §2).
struct StnHH {
  static constexpr const char* name = "stn_hh";
  static constexpr const char* current_units = "uA/cm^2";
  static constexpr const char* conductance_units = "mS/cm^2";
  using Params = stn::StnParams;
  using Init = stn::StnInit;
  using State = stn::StnState;
  using Settings = ModelSettingsOf<Params, Init>;

  template <class MemorySpace>
  using Storage = stn::StnStorage<StnHH, MemorySpace>;

  static constexpr const auto& state_variables = stn::state_variables;
  KOKKOS_INLINE_FUNCTION static real_type stateValue(const State& x, int v) { return stn::stateValue(x, v); }

  struct Step {
    // The STN shares a fused GPU launch with the two AdEx populations.
    static constexpr int fused_slots = 1;
    Params params;
    real_type dt_ms;
    step_type min_isi_steps;
    template <int L = 1>
    KOKKOS_FORCEINLINE_FUNCTION bool operator()(State& x, real_type I, step_type k,
                                                const LaneGroup<L>& group = LaneGroup<L>{}) const {
      return stn::step(x, params, I, dt_ms, k, min_isi_steps, group);
    }
  };

  static Step derive(const Settings& s, double dt_ms, const PopulationStreams& = {}) {
    return Step{s.params, static_cast<real_type>(dt_ms), stepsOf(s.params.min_isi_ms, dt_ms)};
  }

  static step_type leastSpikeSeparation(const Step& step) { return crossingSeparation(step.min_isi_steps); }

  /// Each variable base + N(0, heterogeneity·|base|); gates clipped to
  /// [0, 1], Ca to ≥ 0 (model.md §2.8).
  KOKKOS_INLINE_FUNCTION static State initialState(const Settings& s, std::uint64_t seed, std::uint32_t key,
                                                   index_type i) {
    const Init& init = s.init;
    const auto z0 = rng::normals(seed, rng::Stream::InitialState, key, static_cast<std::uint32_t>(i), 0);
    const auto z1 = rng::normals(seed, rng::Stream::InitialState, key, static_cast<std::uint32_t>(i), 1);
    const real_type het = init.heterogeneity;
    auto draw = [het](real_type base, double z) { return base + real_type(z) * het * math::fabs(base); };
    State x;
    x.V = draw(init.V, z0.v[0]);
    x.n = math::clamp(draw(init.n, z0.v[1]), real_type(0), real_type(1));
    x.h = math::clamp(draw(init.h, z0.v[2]), real_type(0), real_type(1));
    x.r = math::clamp(draw(init.r, z0.v[3]), real_type(0), real_type(1));
    x.Ca = math::fmax(draw(init.Ca, z1.v[0]), real_type(0));
    x.last_spike_step = stn::no_spike_step;
    return x;
  }

  template <class Visitor>
  static void bindKeys(Visitor& key, Settings& s) {
    auto& p = s.params;
    const auto g = KeyBound::NonNegative;
    key("gNa", p.gNa, "mS/cm^2", "fast Na+ conductance", g);
    key("gK", p.gK, "mS/cm^2", "delayed-rectifier K+ conductance", g);
    key("gT", p.gT, "mS/cm^2", "T-type Ca2+ conductance", g);
    key("gL", p.gL, "mS/cm^2", "leak conductance", g);
    key("gCa", p.gCa, "mS/cm^2", "high-voltage-activated Ca2+ conductance", g);
    key("gAHP", p.gAHP, "mS/cm^2", "Ca2+-activated K+ (AHP) conductance", g);
    key("gH", p.gH, "mS/cm^2", "H-current conductance", g);
    key("ENa", p.ENa, "mV", "Na+ reversal potential", KeyBound::Any);
    key("EK", p.EK, "mV", "K+ reversal potential (I_K, I_AHP)", KeyBound::Any);
    key("ECa", p.ECa, "mV", "Ca2+ reversal potential (I_T, I_CaH)", KeyBound::Any);
    key("EL", p.EL, "mV", "leak reversal potential", KeyBound::Any);
    key("E_H", p.E_H, "mV", "H-current reversal potential", KeyBound::Any);
    key("Cm", p.Cm, "uF/cm^2", "membrane capacitance", KeyBound::Positive);
    key("ISTN", p.ISTN, "uA/cm^2", "tonic drive current", KeyBound::Any);
    key("Vp_half", p.Vp_half, "mV", "T-type activation half point", KeyBound::Any);
    key("kp", p.kp, "mV", "T-type activation slope", KeyBound::Positive);
    key("Vr_half", p.Vr_half, "mV", "r-gate half point", KeyBound::Any);
    key("kr", p.kr, "mV", "r-gate slope", KeyBound::Positive);
    key("tau_r_ms", p.tau_r_ms, "ms", "r-gate time constant", KeyBound::Positive);
    key("alpha_Ca", p.alpha_Ca, "Ca/ms per uA/cm^2", "Ca2+ influx factor", g);
    key("tau_Ca_ms", p.tau_Ca_ms, "ms", "Ca2+ decay time constant", KeyBound::Positive);
    key("k1", p.k1, "Ca units", "AHP half-activation calcium", g);
    key("V_spike_thresh", p.V_spike_thresh, "mV", "spike detection threshold (upward crossing)", KeyBound::Any);
    key("min_isi_ms", p.min_isi_ms, "ms", "minimum interval between detected spikes", g);
    auto& x = s.init;
    key("V_init", x.V, "mV", "mean initial membrane potential", KeyBound::Any);
    key("n_init", x.n, "", "mean initial n gate", KeyBound::UnitInterval);
    key("h_init", x.h, "", "mean initial h gate", KeyBound::UnitInterval);
    key("r_init", x.r, "", "mean initial r gate", KeyBound::UnitInterval);
    key("Ca_init", x.Ca, "Ca units", "mean initial calcium", g);
    key("heterogeneity", x.heterogeneity, "", "relative s.d. of initial states (0: all neurons start alike)", g);
  }

  /// Cross-key checks at dt; returns "" or the message (key names relative
  /// to the section).
  static std::string inconsistency(const Settings& s, double dt_ms) {
    // The last spike step starts at no_spike_step: min_isi must stay far
    // below it.
    if (!(stepCountBelow(s.params.min_isi_ms, dt_ms, -stn::no_spike_step)))
      return "min_isi_ms is more steps of simulation.dt_ms than a spike interval is counted in";
    return "";
  }
};

}  // namespace cbgtc::models
