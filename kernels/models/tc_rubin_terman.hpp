#pragma once
// The thalamocortical relay cell of Rubin & Terman (2004) (docs/model.md
// §3.10): fast Na+ and K+ currents sharing the inactivation h, and a T-type
// Ca2+ current with its de-inactivation gate r, so that a cell relays each
// depolarising (sensorimotor) pulse with one spike when its input from GPi
// is tonic, and misses pulses or fires rebound bursts when that input is
// rhythmic. Units: mV, ms, µA/cm², mS/cm², µF/cm².
//
//   C dV/dt = −g_L(V − E_L) − g_Na m∞³ h (V − E_Na) − g_K [0.75(1 − h)]⁴ (V − E_K)
//             − g_T p∞² r (V − E_T) + I
//   dh/dt = (h∞ − h)/τ_h,   dr/dt = (r∞ − r)/τ_r
//
// Integrated like stn_terman_rubin.hpp: each gate relaxes exactly over the
// step at V_k, then V relaxes exactly towards the reversal-weighted mean of
// its conductances, the synaptic ones included (stable at any dt and any
// synaptic strength).

#include <string>

#include "kernels/lane_group.hpp"
#include "kernels/models/model.hpp"
#include "kernels/models/stn_terman_rubin.hpp"
#include "kernels/rng.hpp"
#include "kernels/vectorizable_math.hpp"

namespace cbgtc::tc {

struct TcParams {
  real_type gL = 0.05, gNa = 3.0, gK = 5.0, gT = 5.0;      // mS/cm²
  real_type EL = -70.0, ENa = 50.0, EK = -90.0, ET = 0.0;  // mV
  real_type Cm = 1.0;                                      // µF/cm²
  real_type I_app = 0.0;                                   // µA/cm², tonic drive
  // Steady states 1/(1 + exp(−(V − θ)/σ)), mV (σ < 0: decreasing).
  real_type theta_m = -37.0, sigma_m = 7.0;
  real_type theta_h = -41.0, sigma_h = -4.0;
  real_type theta_p = -60.0, sigma_p = 6.2;
  real_type theta_r = -84.0, sigma_r = -4.0;
  // τ_h = 1/(α_h + β_h), α_h = 0.128 exp(−(V + 46)/18), β_h = 4/(1 + exp(−(V + 23)/5)).
  // τ_r = tau_r_scale·(tau_r0_ms + exp(−(V − theta_tau_r)/sigma_tau_r)).
  real_type tau_r_scale = 0.15, tau_r0_ms = 28.0, theta_tau_r = -25.0, sigma_tau_r = 10.5;
  real_type V_spike_thresh = -40.0;  // mV, spike detection (upward crossing)
  real_type min_isi_ms = 1.0;
};

/// Initial state: V ~ N(V, V_sd), h and r at their steady state at that V.
struct TcInit {
  real_type V = -65.0, V_sd = 2.0;
};

struct TcState {
  real_type V, h, r;
  step_type last_spike_step;
};

// The STN models' spike sentinel and steady-state function.
using stn::no_spike_step;
using stn_tr::sigmoid;

KOKKOS_FORCEINLINE_FUNCTION real_type tauH(real_type V) {
  const real_type alpha = real_type(0.128) * vmath::exp(-(V + real_type(46)) / real_type(18));
  const real_type beta = real_type(4) / (real_type(1) + vmath::exp(-(V + real_type(23)) / real_type(5)));
  return real_type(1) / (alpha + beta);
}

KOKKOS_FORCEINLINE_FUNCTION real_type tauR(real_type V, const TcParams& p) {
  return p.tau_r_scale * (p.tau_r0_ms + vmath::exp(-(V - p.theta_tau_r) / p.sigma_tau_r));
}

/// One exponential-Euler step. I_input is the net input current at V_k,
/// positive depolarising, with synaptic conductance G_syn in it (as in
/// stn_tr::step). True: a spike in this step.
KOKKOS_FORCEINLINE_FUNCTION bool step(TcState& x, const TcParams& p, real_type I_input, real_type dt_ms,
                                      step_type k, step_type min_isi_steps, real_type G_syn = 0) {
  const real_type V = x.V;
  const real_type h_inf = sigmoid(V, p.theta_h, p.sigma_h), r_inf = sigmoid(V, p.theta_r, p.sigma_r);
  const real_type h = h_inf + (x.h - h_inf) * vmath::exp(-dt_ms / tauH(V));
  const real_type r = r_inf + (x.r - r_inf) * vmath::exp(-dt_ms / tauR(V, p));

  const real_type m = sigmoid(V, p.theta_m, p.sigma_m), pT = sigmoid(V, p.theta_p, p.sigma_p);
  const real_type n = real_type(0.75) * (real_type(1) - h);
  const real_type g_Na = p.gNa * m * m * m * h;
  const real_type g_K = p.gK * n * n * n * n;
  const real_type g_T = p.gT * pT * pT * r;
  const real_type g_total = p.gL + g_Na + g_K + g_T + G_syn;
  const real_type V_inf =
      (p.gL * p.EL + g_Na * p.ENa + g_K * p.EK + g_T * p.ET + p.I_app + (I_input + G_syn * V)) / g_total;
  const real_type V_new = V_inf + (V - V_inf) * vmath::exp(-dt_ms * g_total / p.Cm);

  const bool spiked = crossesThreshold(V, V_new, p.V_spike_thresh, k, x.last_spike_step, min_isi_steps);
  x.V = V_new;
  x.h = h;
  x.r = r;
  if (spiked) x.last_spike_step = k;
  return spiked;
}

}  // namespace cbgtc::tc

namespace cbgtc::models {

/// Rubin & Terman's thalamocortical relay cell as a population model.
struct TcRubinTerman {
  static constexpr const char* name = "tc_rubin_terman";
  static constexpr const char* current_units = "uA/cm^2";
  static constexpr const char* conductance_units = "mS/cm^2";
  using Params = tc::TcParams;
  using Init = tc::TcInit;
  using State = tc::TcState;
  using Settings = ModelSettingsOf<Params, Init>;

  template <class MemorySpace>
  struct Storage {
    using memory_space = MemorySpace;
    using model = TcRubinTerman;
    template <class T>
    using view = Kokkos::View<T*, MemorySpace>;
    view<real_type> V, h, r;
    view<step_type> last_spike_step;

    Storage() = default;
    Storage(const std::string& population, index_type size, DeviceArena<MemorySpace>* arena = nullptr)
        : V(stateView<decltype(V)>(arena, population, "V", size)),
          h(stateView<decltype(h)>(arena, population, "h", size)),
          r(stateView<decltype(r)>(arena, population, "r", size)),
          last_spike_step(stateView<decltype(last_spike_step)>(arena, population, "last_spike_step", size)) {}

    index_type size() const { return static_cast<index_type>(V.extent(0)); }
    KOKKOS_INLINE_FUNCTION State load(index_type i) const {
      return State{V(i), h(i), r(i), last_spike_step(i)};
    }
    KOKKOS_INLINE_FUNCTION void store(index_type i, const State& x) const {
      V(i) = x.V;
      h(i) = x.h;
      r(i) = x.r;
      last_spike_step(i) = x.last_spike_step;
    }
    /// The dynamic state a checkpoint keeps (src/checkpoint.cpp).
    template <class F>
    void forEachState(F&& f) const {
      f("V", V);
      f("h", h);
      f("r", r);
      f("last_spike_step", last_spike_step);
    }
  };

  static constexpr StateVariable state_variables[] = {{"V", "mV"}, {"h", "1"}, {"r", "1"}};
  KOKKOS_INLINE_FUNCTION static real_type stateValue(const State& x, int v) {
    return v == 0 ? x.V : v == 1 ? x.h : x.r;
  }

  struct Step {
    static constexpr bool implicit_synapses = true;
    Params params;
    real_type dt_ms;
    step_type min_isi_steps;
    template <int L = 1>
    KOKKOS_FORCEINLINE_FUNCTION bool operator()(State& x, real_type I, real_type G_syn, step_type k,
                                                const LaneGroup<L>& = LaneGroup<L>{}) const {
      return tc::step(x, params, I, dt_ms, k, min_isi_steps, G_syn);
    }
  };

  static Step derive(const Settings& s, double dt_ms, const PopulationStreams& = {}) {
    return Step{s.params, static_cast<real_type>(dt_ms), stepsOf(s.params.min_isi_ms, dt_ms)};
  }

  static step_type leastSpikeSeparation(const Step& step) { return crossingSeparation(step.min_isi_steps); }

  KOKKOS_INLINE_FUNCTION static State initialState(const Settings& s, std::uint64_t seed, std::uint32_t key,
                                                   index_type i) {
    const Init& init = s.init;
    const auto z = rng::normals(seed, rng::Stream::InitialState, key, static_cast<std::uint32_t>(i), 0);
    const Params& p = s.params;  // the gates start at the deck's steady state
    State x;
    x.V = init.V + real_type(z.v[0]) * init.V_sd;
    x.h = tc::sigmoid(x.V, p.theta_h, p.sigma_h);
    x.r = tc::sigmoid(x.V, p.theta_r, p.sigma_r);
    x.last_spike_step = tc::no_spike_step;
    return x;
  }

  template <class Visitor>
  static void bindKeys(Visitor& key, Settings& s) {
    auto& p = s.params;
    const auto g = KeyBound::NonNegative, any = KeyBound::Any, pos = KeyBound::Positive;
    key("gL", p.gL, "mS/cm^2", "leak conductance", g);
    key("gNa", p.gNa, "mS/cm^2", "fast Na+ conductance", g);
    key("gK", p.gK, "mS/cm^2", "K+ conductance", g);
    key("gT", p.gT, "mS/cm^2", "T-type (low-threshold) Ca2+ conductance", g);
    key("EL", p.EL, "mV", "leak reversal potential", any);
    key("ENa", p.ENa, "mV", "Na+ reversal potential", any);
    key("EK", p.EK, "mV", "K+ reversal potential", any);
    key("ET", p.ET, "mV", "T-current reversal potential", any);
    key("Cm", p.Cm, "uF/cm^2", "membrane capacitance", pos);
    key("I_app", p.I_app, "uA/cm^2", "tonic applied current", any);
    key("theta_m", p.theta_m, "mV", "m-infinity half point", any);
    key("sigma_m", p.sigma_m, "mV", "m-infinity slope", any);
    key("theta_h", p.theta_h, "mV", "h-infinity half point", any);
    key("sigma_h", p.sigma_h, "mV", "h-infinity slope", any);
    key("theta_p", p.theta_p, "mV", "p-infinity half point (T-current activation)", any);
    key("sigma_p", p.sigma_p, "mV", "p-infinity slope", any);
    key("theta_r", p.theta_r, "mV", "r-infinity half point (T-current de-inactivation)", any);
    key("sigma_r", p.sigma_r, "mV", "r-infinity slope", any);
    key("tau_r_scale", p.tau_r_scale, "", "factor of the r time constant", pos);
    key("tau_r0_ms", p.tau_r0_ms, "ms", "r time constant, constant part (before the factor)", g);
    key("theta_tau_r", p.theta_tau_r, "mV", "r time constant half point", any);
    key("sigma_tau_r", p.sigma_tau_r, "mV", "r time constant slope", any);
    key("V_spike_thresh", p.V_spike_thresh, "mV", "spike detection threshold (upward crossing)", any);
    key("min_isi_ms", p.min_isi_ms, "ms", "minimum interval between detected spikes", g);
    key("V_init", s.init.V, "mV", "mean initial membrane potential (gates start at their steady state)", any);
    key("V_init_sd", s.init.V_sd, "mV", "s.d. of initial membrane potential", g);
  }

  static std::string inconsistency(const Settings& s, double dt_ms) {
    const auto& p = s.params;
    for (const real_type sigma : {p.sigma_m, p.sigma_h, p.sigma_p, p.sigma_r, p.sigma_tau_r})
      if (sigma == 0) return "a sigma_* slope is zero";
    if (!stepCountBelow(p.min_isi_ms, dt_ms, -tc::no_spike_step))
      return "min_isi_ms is more steps of simulation.dt_ms than a spike interval is counted in";
    return "";
  }
};

}  // namespace cbgtc::models
