#pragma once
// GPe and GPi neurons: adaptive exponential integrate-and-fire (Brette &
// Gerstner 2005), as in the JAX prototype's adex_jax.py (shared/docs/model.md
// §3). Units: mV, ms, pF, nS, pA.
//
// Difference from the prototype, on purpose: the refractory period is an
// integer number of steps, round(t_ref_ms/dt) (80 at 2 ms, 0.025 ms). The
// prototype clamps for 81 steps because repeated float subtraction leaves a
// positive remainder (model.md §3.3, D12).

#include "kernels/vectorizable_math.hpp"
#include "src/types.hpp"

namespace cbgtc::adex {

struct AdExParams {
  real_type C = 200.0;          // pF
  real_type gL = 10.0;          // nS
  real_type EL = -60.0;         // mV
  real_type VT = -50.0;         // mV
  real_type dT = 2.0;           // mV, slope factor ΔT
  real_type a = 0.0;            // nS, subthreshold adaptation
  real_type tau_w = 20.0;       // ms
  real_type b = 0.0;            // pA, spike-triggered adaptation
  real_type V_reset = -55.0;    // mV
  real_type V_peak = 20.0;      // mV
  real_type t_ref_ms = 2.0;     // ms
  real_type I_baseline = 250.0; // pA, tonic drive
  real_type exp_arg_min = -20.0;  // clip of (V − VT)/ΔT in the exponential
  real_type exp_arg_max = 10.0;
};

/// Initial state distribution (model.md §3.4): V ~ N(V, V_sd), w ~ N(w, w_sd).
struct AdExInit {
  real_type V = -60.0;     // mV
  real_type V_sd = 2.0;    // mV
  real_type w = 0.0;       // pA
  real_type w_sd = 5.0;    // pA
};

/// GPe preset (default_adex_params_gpe): adapting, 62 Hz alone.
inline AdExParams gpeParams() {
  AdExParams p;
  p.a = 0.5;
  p.b = 10.0;
  p.V_reset = -60.0;
  p.I_baseline = 300.0;
  return p;
}
inline AdExInit gpeInit() {
  AdExInit x;
  x.V = -65.0;
  return x;
}

/// GPi preset (default_adex_params_gpi): non-adapting, 70 Hz alone.
inline AdExParams gpiParams() { return AdExParams{}; }
inline AdExInit gpiInit() { return AdExInit{}; }

struct AdExState {
  real_type V;  // mV
  real_type w;  // pA
  std::int32_t refractory_steps_left;
};

/// One forward-Euler step of one neuron in the prototype's order (model.md
/// §3.3). I_input_pA is the net input current, positive depolarising.
/// refractory_steps is round(t_ref_ms/dt). Returns true on a spike; the V of a
/// spike step is V_reset (the trace never shows the peak).
KOKKOS_FORCEINLINE_FUNCTION bool step(AdExState& x, const AdExParams& p, real_type I_input_pA,
                                 real_type dt_ms, std::int32_t refractory_steps) {
  const bool in_ref = x.refractory_steps_left > 0;
  const std::int32_t ref_left = in_ref ? x.refractory_steps_left - 1 : 0;

  const real_type V_w = in_ref ? p.V_reset : x.V;
  // Reciprocals of parameters: loop-invariant, so a launch that advances a
  // neuron through many steps computes them once.
  const real_type inv_tau_w = real_type(1) / p.tau_w;
  const real_type inv_dT = real_type(1) / p.dT;
  const real_type inv_C = real_type(1) / p.C;
  real_type w = x.w + dt_ms * (p.a * (V_w - p.EL) - x.w) * inv_tau_w;

  const real_type exp_arg = math::clamp((x.V - p.VT) * inv_dT, p.exp_arg_min, p.exp_arg_max);
  const real_type dV = (-p.gL * (x.V - p.EL) + p.gL * p.dT * vmath::exp(exp_arg) - x.w +
                        p.I_baseline + I_input_pA) * inv_C;
  real_type V = in_ref ? p.V_reset : x.V + dt_ms * dV;

  const bool spiked = !in_ref && V >= p.V_peak;
  x.refractory_steps_left = ref_left;
  if (spiked) {
    V = p.V_reset;
    w += p.b;
    x.refractory_steps_left = refractory_steps;
  }
  x.V = V;
  x.w = w;
  return spiked;
}

}  // namespace cbgtc::adex
