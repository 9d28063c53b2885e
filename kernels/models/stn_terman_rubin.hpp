#pragma once
// The Terman–Rubin STN neuron (Terman et al. 2002; Rubin & Terman 2004):
// a T-type Ca2+ current with its own de-inactivation gate r (no H current),
// high-voltage Ca2+ and Ca2+-activated AHP currents, so that the cell fires
// a rebound burst after hyperpolarisation (docs/model.md §2.11). Units:
// mV, ms, µA/cm², mS/cm², µF/cm². Defaults are Rubin & Terman 2004's values
// (Terman et al. 2002's differ in tau_r0_ms, phi_r, theta_b, sigma_b and
// epsilon; docs/model.md lists both).
//
// Integrated by exponential Euler: each gate relaxes exactly towards its
// steady state at V_k over the step (Rush & Larsen 1978), and V relaxes
// exactly towards the reversal-weighted mean of its conductances at the new
// gates, the synaptic ones included, so the step is stable at any dt and
// any synaptic strength (the spike's conductances would make forward Euler
// unstable near dt = 0.025 ms, and so would a synchronous volley of
// inhibition above 2·C_m/dt = 80 mS/cm² taken as a current).

#include <limits>
#include <string>

#include "kernels/lane_group.hpp"
#include "kernels/models/model.hpp"
#include "kernels/models/stn_hh.hpp"
#include "kernels/rng.hpp"
#include "kernels/vectorizable_math.hpp"

namespace cbgtc::stn_tr {

struct TermanRubinParams {
  real_type gL = 2.25, gK = 45.0, gNa = 37.5, gT = 0.5, gCa = 0.5, gAHP = 9.0;  // mS/cm²
  real_type EL = -60.0, EK = -80.0, ENa = 55.0, ECa = 140.0;                     // mV
  real_type Cm = 1.0;                                                            // µF/cm²
  real_type I_app = 0.0;                                                         // µA/cm², tonic drive
  // Steady states x∞(V) = 1/(1 + exp(−(V − θ)/σ)), mV.
  real_type theta_m = -30.0, sigma_m = 15.0;
  real_type theta_h = -39.0, sigma_h = -3.1;
  real_type theta_n = -32.0, sigma_n = 8.0;
  real_type theta_r = -67.0, sigma_r = -2.0;
  real_type theta_a = -63.0, sigma_a = 7.8;
  real_type theta_s = -39.0, sigma_s = 8.0;
  // b∞(r) = 1/(1 + exp((r − θ_b)/σ_b)) − 1/(1 + exp(−θ_b/σ_b)), dimensionless.
  real_type theta_b = 0.25, sigma_b = 0.07;
  // τ_x(V) = τ0 + τ1/(1 + exp(−(V − θτ)/στ)), ms and mV; rates φ.
  real_type tau_n0_ms = 1.0, tau_n1_ms = 100.0, theta_tau_n = -80.0, sigma_tau_n = -26.0, phi_n = 0.75;
  real_type tau_h0_ms = 1.0, tau_h1_ms = 500.0, theta_tau_h = -57.0, sigma_tau_h = -3.0, phi_h = 0.75;
  real_type tau_r0_ms = 7.1, tau_r1_ms = 17.5, theta_tau_r = 68.0, sigma_tau_r = -2.2, phi_r = 0.5;
  // Calcium: dCa/dt = ε(−I_Ca − I_T − k_Ca·Ca); I_AHP = gAHP·(V − EK)·Ca/(Ca + k1).
  real_type epsilon_per_ms = 5e-5, k_Ca = 22.5, k1 = 15.0;
  real_type V_spike_thresh = -20.0;  // mV, spike detection (upward crossing)
  real_type min_isi_ms = 1.0;
};

/// Initial state: V ~ N(V_init, V_init_sd); the gates at their steady state
/// at that V; Ca = Ca_init.
struct TermanRubinInit {
  real_type V = -60.0, V_sd = 2.0, Ca = 0.1;
};

/// The same state as the prototype's STN (stn_hh.hpp): V, n, h, r, Ca and
/// the step of the last spike.
using TermanRubinState = stn::StnState;
using stn::no_spike_step;

KOKKOS_FORCEINLINE_FUNCTION real_type sigmoid(real_type V, real_type theta, real_type sigma) {
  return real_type(1) / (real_type(1) + vmath::exp(-(V - theta) / sigma));
}

/// What the step uses that does not depend on the state. Computed once, not
/// in every neuron's step: an exponential of constants inside the step
/// leaves a select on a loop-invariant condition that keeps GCC from
/// vectorising the CPU step loop.
struct TermanRubinConstants {
  real_type b_offset;  // 1/(1 + exp(−θ_b/σ_b)), so that b∞(0) = 0
  real_type Ca_decay;  // exp(−dt·ε·k_Ca), the Ca relaxation over a step
};

KOKKOS_INLINE_FUNCTION TermanRubinConstants constants(const TermanRubinParams& p, real_type dt_ms) {
  return {real_type(1) / (real_type(1) + vmath::exp(-p.theta_b / p.sigma_b)),
          vmath::exp(-dt_ms * p.epsilon_per_ms * p.k_Ca)};
}

KOKKOS_FORCEINLINE_FUNCTION real_type bInf(real_type r, const TermanRubinParams& p,
                                           const TermanRubinConstants& c) {
  return real_type(1) / (real_type(1) + vmath::exp((r - p.theta_b) / p.sigma_b)) - c.b_offset;
}

/// x relaxed exactly over dt towards x∞ with time constant τ/φ.
KOKKOS_FORCEINLINE_FUNCTION real_type relax(real_type x, real_type x_inf, real_type tau_ms, real_type phi,
                                            real_type dt_ms) {
  return x_inf + (x - x_inf) * vmath::exp(-dt_ms * phi / tau_ms);
}

/// One exponential-Euler step (see the header comment). I_input is the net
/// input current at V_k, positive depolarising, of which G_syn·(E − V_k) is
/// synaptic with total conductance G_syn: V relaxes with G_syn among its
/// conductances, towards a mean in which the synaptic reversal potentials
/// stand (I_input + G_syn·V_k is the part that does not depend on V).
/// True: a spike in this step.
KOKKOS_FORCEINLINE_FUNCTION bool step(TermanRubinState& x, const TermanRubinParams& p,
                                      const TermanRubinConstants& c, real_type I_input, real_type dt_ms,
                                      step_type k, step_type min_isi_steps, real_type G_syn = 0) {
  const real_type V = x.V;
  const real_type tau_n = p.tau_n0_ms + p.tau_n1_ms * sigmoid(V, p.theta_tau_n, p.sigma_tau_n);
  const real_type tau_h = p.tau_h0_ms + p.tau_h1_ms * sigmoid(V, p.theta_tau_h, p.sigma_tau_h);
  const real_type tau_r = p.tau_r0_ms + p.tau_r1_ms * sigmoid(V, p.theta_tau_r, p.sigma_tau_r);
  const real_type n = relax(x.n, sigmoid(V, p.theta_n, p.sigma_n), tau_n, p.phi_n, dt_ms);
  const real_type h = relax(x.h, sigmoid(V, p.theta_h, p.sigma_h), tau_h, p.phi_h, dt_ms);
  const real_type r = relax(x.r, sigmoid(V, p.theta_r, p.sigma_r), tau_r, p.phi_r, dt_ms);

  const real_type m = sigmoid(V, p.theta_m, p.sigma_m), a = sigmoid(V, p.theta_a, p.sigma_a),
                  s = sigmoid(V, p.theta_s, p.sigma_s), b = bInf(r, p, c);
  const real_type g_Na = p.gNa * m * m * m * h;
  const real_type g_K = p.gK * n * n * n * n;
  const real_type g_T = p.gT * a * a * a * b * b;
  const real_type g_Ca = p.gCa * s * s;
  const real_type g_AHP = p.gAHP * x.Ca / (x.Ca + p.k1);
  const real_type g_total = p.gL + g_Na + g_K + g_T + g_Ca + g_AHP + G_syn;
  const real_type V_inf = (p.gL * p.EL + g_Na * p.ENa + (g_K + g_AHP) * p.EK + (g_T + g_Ca) * p.ECa +
                           p.I_app + (I_input + G_syn * V)) /
                          g_total;
  const real_type V_new = V_inf + (V - V_inf) * vmath::exp(-dt_ms * g_total / p.Cm);

  // Ca relaxes towards −(I_Ca + I_T)/k_Ca at rate ε·k_Ca (currents at V_k).
  // A concentration, so at least 0: above E_Ca (a strong stimulus pulse)
  // the influx turns negative, and Ca reaching −k1 would make I_AHP diverge
  // (docs/model.md §2.11).
  const real_type influx = -(g_Ca + g_T) * (V - p.ECa);
  const real_type Ca_inf = influx / p.k_Ca;
  const real_type Ca = math::atLeast(Ca_inf + (x.Ca - Ca_inf) * c.Ca_decay, real_type(0));

  const bool spiked = crossesThreshold(V, V_new, p.V_spike_thresh, k, x.last_spike_step, min_isi_steps);
  x.V = V_new;
  x.n = n;
  x.h = h;
  x.r = r;
  x.Ca = Ca;
  if (spiked) x.last_spike_step = k;
  return spiked;
}

}  // namespace cbgtc::stn_tr

namespace cbgtc::models {

struct StnTermanRubin {
  static constexpr const char* name = "stn_terman_rubin";
  static constexpr const char* current_units = "uA/cm^2";
  static constexpr const char* conductance_units = "mS/cm^2";
  using Params = stn_tr::TermanRubinParams;
  using Init = stn_tr::TermanRubinInit;
  using State = stn_tr::TermanRubinState;
  using Settings = ModelSettingsOf<Params, Init>;

  template <class MemorySpace>
  using Storage = stn::StnStorage<StnTermanRubin, MemorySpace>;

  static constexpr const auto& state_variables = stn::state_variables;
  KOKKOS_INLINE_FUNCTION static real_type stateValue(const State& x, int v) { return stn::stateValue(x, v); }

  struct Step {
    static constexpr bool implicit_synapses = true;
    Params params;
    stn_tr::TermanRubinConstants constants;
    real_type dt_ms;
    step_type min_isi_steps;
    template <int L = 1>
    KOKKOS_FORCEINLINE_FUNCTION bool operator()(State& x, real_type I, real_type G_syn, step_type k,
                                                const LaneGroup<L>& = LaneGroup<L>{}) const {
      return stn_tr::step(x, params, constants, I, dt_ms, k, min_isi_steps, G_syn);
    }
  };

  static Step derive(const Settings& s, double dt_ms, const PopulationStreams& = {}) {
    const auto dt = static_cast<real_type>(dt_ms);
    return Step{s.params, stn_tr::constants(s.params, dt), dt, stepsOf(s.params.min_isi_ms, dt_ms)};
  }

  static step_type leastSpikeSeparation(const Step& step) { return crossingSeparation(step.min_isi_steps); }

  KOKKOS_INLINE_FUNCTION static State initialState(const Settings& s, std::uint64_t seed, std::uint32_t key,
                                                   index_type i) {
    const Init& init = s.init;
    const auto z = rng::normals(seed, rng::Stream::InitialState, key, static_cast<std::uint32_t>(i), 0);
    const Params& p = s.params;  // the gates start at the deck's steady state
    State x;
    x.V = init.V + real_type(z.v[0]) * init.V_sd;
    x.n = stn_tr::sigmoid(x.V, p.theta_n, p.sigma_n);
    x.h = stn_tr::sigmoid(x.V, p.theta_h, p.sigma_h);
    x.r = stn_tr::sigmoid(x.V, p.theta_r, p.sigma_r);
    x.Ca = init.Ca;
    x.last_spike_step = stn_tr::no_spike_step;
    return x;
  }

  template <class Visitor>
  static void bindKeys(Visitor& key, Settings& s) {
    auto& p = s.params;
    const auto g = KeyBound::NonNegative, any = KeyBound::Any, pos = KeyBound::Positive;
    key("gL", p.gL, "mS/cm^2", "leak conductance", g);
    key("gK", p.gK, "mS/cm^2", "delayed-rectifier K+ conductance", g);
    key("gNa", p.gNa, "mS/cm^2", "fast Na+ conductance", g);
    key("gT", p.gT, "mS/cm^2", "T-type (low-threshold) Ca2+ conductance", g);
    key("gCa", p.gCa, "mS/cm^2", "high-voltage-activated Ca2+ conductance", g);
    key("gAHP", p.gAHP, "mS/cm^2", "Ca2+-activated K+ (AHP) conductance", g);
    key("EL", p.EL, "mV", "leak reversal potential", any);
    key("EK", p.EK, "mV", "K+ reversal potential", any);
    key("ENa", p.ENa, "mV", "Na+ reversal potential", any);
    key("ECa", p.ECa, "mV", "Ca2+ reversal potential", any);
    key("Cm", p.Cm, "uF/cm^2", "membrane capacitance", pos);
    key("I_app", p.I_app, "uA/cm^2", "tonic applied current", any);
    key("theta_m", p.theta_m, "mV", "m-infinity half point", any);
    key("sigma_m", p.sigma_m, "mV", "m-infinity slope", any);
    key("theta_h", p.theta_h, "mV", "h-infinity half point", any);
    key("sigma_h", p.sigma_h, "mV", "h-infinity slope", any);
    key("theta_n", p.theta_n, "mV", "n-infinity half point", any);
    key("sigma_n", p.sigma_n, "mV", "n-infinity slope", any);
    key("theta_r", p.theta_r, "mV", "r-infinity half point (T-current de-inactivation)", any);
    key("sigma_r", p.sigma_r, "mV", "r-infinity slope", any);
    key("theta_a", p.theta_a, "mV", "a-infinity half point (T-current activation)", any);
    key("sigma_a", p.sigma_a, "mV", "a-infinity slope", any);
    key("theta_s", p.theta_s, "mV", "s-infinity half point (Ca2+ activation)", any);
    key("sigma_s", p.sigma_s, "mV", "s-infinity slope", any);
    key("theta_b", p.theta_b, "", "b-infinity(r) half point", any);
    key("sigma_b", p.sigma_b, "", "b-infinity(r) slope", any);
    key("tau_n0_ms", p.tau_n0_ms, "ms", "n time constant, floor", pos);
    key("tau_n1_ms", p.tau_n1_ms, "ms", "n time constant, voltage-dependent part", g);
    key("theta_tau_n", p.theta_tau_n, "mV", "n time constant half point", any);
    key("sigma_tau_n", p.sigma_tau_n, "mV", "n time constant slope", any);
    key("phi_n", p.phi_n, "", "n rate factor", pos);
    key("tau_h0_ms", p.tau_h0_ms, "ms", "h time constant, floor", pos);
    key("tau_h1_ms", p.tau_h1_ms, "ms", "h time constant, voltage-dependent part", g);
    key("theta_tau_h", p.theta_tau_h, "mV", "h time constant half point", any);
    key("sigma_tau_h", p.sigma_tau_h, "mV", "h time constant slope", any);
    key("phi_h", p.phi_h, "", "h rate factor", pos);
    key("tau_r0_ms", p.tau_r0_ms, "ms", "r time constant, floor", pos);
    key("tau_r1_ms", p.tau_r1_ms, "ms", "r time constant, voltage-dependent part", g);
    key("theta_tau_r", p.theta_tau_r, "mV", "r time constant half point", any);
    key("sigma_tau_r", p.sigma_tau_r, "mV", "r time constant slope", any);
    key("phi_r", p.phi_r, "", "r rate factor", pos);
    key("epsilon_per_ms", p.epsilon_per_ms, "1/ms", "Ca2+ rate factor", pos);
    key("k_Ca", p.k_Ca, "", "Ca2+ removal rate", pos);
    key("k1", p.k1, "Ca units", "AHP half-activation calcium", pos);
    key("V_spike_thresh", p.V_spike_thresh, "mV", "spike detection threshold (upward crossing)", any);
    key("min_isi_ms", p.min_isi_ms, "ms", "minimum interval between detected spikes", g);
    key("V_init", s.init.V, "mV", "mean initial membrane potential (gates start at their steady state)", any);
    key("V_init_sd", s.init.V_sd, "mV", "s.d. of initial membrane potential", g);
    key("Ca_init", s.init.Ca, "Ca units", "initial calcium", g);
  }

  static std::string inconsistency(const Settings& s, double dt_ms) {
    const auto& p = s.params;
    for (const real_type sigma : {p.sigma_m, p.sigma_h, p.sigma_n, p.sigma_r, p.sigma_a, p.sigma_s, p.sigma_b,
                                  p.sigma_tau_n, p.sigma_tau_h, p.sigma_tau_r})
      if (sigma == 0) return "a sigma_* slope is zero";
    if (!stepCountBelow(p.min_isi_ms, dt_ms, -stn_tr::no_spike_step))
      return "min_isi_ms is more steps of simulation.dt_ms than a spike interval is counted in";
    return "";
  }
};

}  // namespace cbgtc::models
