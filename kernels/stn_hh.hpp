#pragma once
// STN neuron: single-compartment Hodgkin–Huxley model with seven currents
// (Na, K, leak, T-type Ca, high-threshold Ca, Ca-activated K (AHP), H), as
// specified in shared/docs/model.md §2 (the JAX prototype's stn_jax.py,
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

#include "kernels/vectorizable_math.hpp"
#include "src/types.hpp"

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
KOKKOS_FORCEINLINE_FUNCTION R clippedExp(R x) { return vmath::exp(math::clamp(x, R(-50), R(50))); }

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
/// neurons vectorises.
KOKKOS_FORCEINLINE_FUNCTION Fraction xOverOneMinusExpNegFraction(R x) {
  const bool near_zero = math::fabs(x) < R(0.05);
  const R x2 = x * x;
  const R series = R(1) + x * R(0.5) + x2 * (R(1.0 / 12) + x2 * (R(-1.0 / 720) + x2 * R(1.0 / 30240)));
  const R one_minus_exp = R(1) - vmath::exp(-math::clamp(x, R(-50), R(50)));
  return {near_zero ? series : x, near_zero ? R(1) : one_minus_exp};
}

KOKKOS_FORCEINLINE_FUNCTION R xOverOneMinusExpNeg(R x) {
  const Fraction f = xOverOneMinusExpNegFraction(x);
  return f.num / f.den;
}

/// (x∞ − x)/τ for a gate with x∞ = α/(α+β), α = an/ad, β = bn/bd, and
/// τ = 0.75·(1 + A/(1 + e)), with one division instead of five:
/// (an·bd − x·S)·(1 + e) / (0.75·S·(1 + e + A)), S = an·bd + bn·ad.
/// Divisions are the longest links of a step's dependency chain on a GPU
/// (a double division is a software sequence).
KOKKOS_FORCEINLINE_FUNCTION R relaxationRate(R an, R ad, R bn, R bd, R x, R e, R A) {
  const R S = an * bd + bn * ad;
  const R one_e = R(1) + e;
  return (an * bd - x * S) * one_e / (R(0.75) * S * (one_e + A));
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

/// What the step needs of the fast gates at V, one division each:
/// (n∞ − n)/τn, (h∞ − h)/τh and m∞ (the functions above, folded).
struct GateRates {
  real_type n_rate, h_rate, m_inf;
};
KOKKOS_FORCEINLINE_FUNCTION GateRates gateRates(real_type V, real_type n, real_type h) {
  using R = real_type;
  // α_n = 0.16·fn, β_n: the forms of alphaN, betaN; likewise for h and m.
  const Impl::Fraction fn = Impl::xOverOneMinusExpNegFraction((V + R(52)) * R(1.0 / 5));
  const R n_rate = Impl::relaxationRate(R(0.16) * fn.num, fn.den, betaN(V), R(1), n,
                                        Impl::clippedExp((V + R(80)) * R(1.0 / 26)), R(100));
  const R h_rate = Impl::relaxationRate(alphaH(V), R(1), R(4), R(1) + Impl::clippedExp((V + R(27)) * R(-1.0 / 5)), h,
                                        Impl::clippedExp((V + R(57)) * R(1.0 / 3)), R(500));
  const Impl::Fraction fa = Impl::xOverOneMinusExpNegFraction((V + R(54)) * R(1.0 / 4));
  const Impl::Fraction fb = Impl::xOverOneMinusExpNegFraction((V + R(27)) * R(-1.0 / 5));
  const R a = R(1.28) * fa.num * fb.den;
  const R m_inf = a / (a + R(1.4) * fb.num * fa.den);
  return {n_rate, h_rate, m_inf};
}

KOKKOS_FORCEINLINE_FUNCTION real_type rInf(real_type V, const StnParams& p) {
  return real_type(1) / (real_type(1) + Impl::clippedExp((V - p.Vr_half) / p.kr));
}
KOKKOS_FORCEINLINE_FUNCTION real_type aInf(real_type V, const StnParams& p) {
  return real_type(1) / (real_type(1) + Impl::clippedExp(-(V - p.Vp_half) / p.kp));
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

/// The currents with m = m∞(V) given (the step computes it with its gates).
KOKKOS_FORCEINLINE_FUNCTION StnCurrents currents(real_type V, real_type m, real_type n, real_type h, real_type r,
                                            real_type Ca, const StnParams& p) {
  const real_type a = aInf(V, p);
  const real_type s = sInf(V);
  StnCurrents I;
  I.Na = p.gNa * m * m * m * h * (V - p.ENa);
  I.K = p.gK * (n * n) * (n * n) * (V - p.EK);
  I.L = p.gL * (V - p.EL);
  I.T = p.gT * a * a * a * r * r * (V - p.ECa);
  I.CaH = p.gCa * s * s * s * (V - p.ECa);
  I.AHP = p.gAHP * (V - p.EK) * Ca / math::atLeast(Ca + p.k1, real_type(1e-9));
  I.H = p.gH * r * (V - p.E_H);
  return I;
}

KOKKOS_FORCEINLINE_FUNCTION StnCurrents currents(real_type V, real_type n, real_type h, real_type r,
                                            real_type Ca, const StnParams& p) {
  return currents(V, mInf(V), n, h, r, Ca, p);
}

/// One forward-Euler step of dt_ms for one neuron, in the prototype's order
/// (model.md §2.7): gates from the old V; currents from the new gates, old V
/// and old Ca; then V and Ca. I_input_uA_cm2 is the net input current,
/// positive depolarising (external drive and noise minus synaptic current).
/// Returns true if a spike is detected in this step.
KOKKOS_FORCEINLINE_FUNCTION bool step(StnState& x, const StnParams& p, real_type I_input_uA_cm2,
                                 real_type dt_ms, step_type step_index,
                                 step_type min_isi_steps) {
  const real_type V = x.V;
  // Reciprocals of parameters: loop-invariant, so a launch that advances a
  // neuron through many steps computes them once.
  const real_type inv_tau_r = real_type(1) / math::atLeast(p.tau_r_ms, real_type(1e-3));
  const real_type inv_tau_Ca = real_type(1) / math::atLeast(p.tau_Ca_ms, real_type(1e-3));
  const real_type inv_Cm = real_type(1) / p.Cm;

  const GateRates gates = gateRates(V, x.n, x.h);
  const real_type n = x.n + dt_ms * gates.n_rate;
  const real_type h = x.h + dt_ms * gates.h_rate;
  const real_type r = x.r + dt_ms * (rInf(V, p) - x.r) * inv_tau_r;

  const StnCurrents I = currents(V, gates.m_inf, n, h, r, x.Ca, p);
  const real_type V_new = V + dt_ms * (-I.total() + p.ISTN + I_input_uA_cm2) * inv_Cm;
  const real_type Ca_new =
      math::atLeast(x.Ca + dt_ms * (-p.alpha_Ca * (I.T + I.CaH) - x.Ca * inv_tau_Ca), real_type(0));

  const bool spiked = V_new >= p.V_spike_thresh && V < p.V_spike_thresh &&
                      step_index - x.last_spike_step >= min_isi_steps;
  x.V = V_new;
  x.n = n;
  x.h = h;
  x.r = r;
  x.Ca = Ca_new;
  if (spiked) x.last_spike_step = step_index;
  return spiked;
}

}  // namespace cbgtc::stn
