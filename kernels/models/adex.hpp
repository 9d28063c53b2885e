#pragma once
// GPe and GPi neurons: adaptive exponential integrate-and-fire (Brette &
// Gerstner 2005), as docs/model.md §3 specifies it (the JAX prototype's
// model). Units: mV, ms, pF, nS, pA.
//
// Difference from the prototype, on purpose: the refractory period is an
// integer number of steps, round(t_ref_ms/dt) (80 at 2 ms, 0.025 ms). The
// prototype clamps for 81 steps because repeated float subtraction leaves a
// positive remainder (model.md §3.3, D12).

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "kernels/lane_group.hpp"
#include "kernels/models/model.hpp"
#include "kernels/rng.hpp"
#include "kernels/types.hpp"
#include "kernels/vectorizable_math.hpp"

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

/// How far the clipped exponential alone moves V in one step at most, in mV:
/// dt/C · g_L·Δ_T·e^exp_arg_max (55 mV at the defaults).
inline double exponentialReach(const AdExParams& p, double dt_ms) {
  return dt_ms / static_cast<double>(p.C) * static_cast<double>(p.gL) * static_cast<double>(p.dT) *
         std::exp(static_cast<double>(p.exp_arg_max));
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
/// spike step is V_reset (the trace never shows the peak). A step beyond
/// ±10 V has diverged (divergedAsNaN), or beyond `V_upper` above, where the
/// exponential's own upswing may overshoot the peak further (Step).
KOKKOS_FORCEINLINE_FUNCTION bool step(AdExState& x, const AdExParams& p, real_type I_input_pA,
                                      real_type dt_ms, std::int32_t refractory_steps,
                                      real_type V_upper = real_type(diverged_V_mV)) {
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
  real_type V = in_ref ? p.V_reset : divergedAsNaN(x.V + dt_ms * dV, V_upper);

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

namespace cbgtc::models {

/// Adaptive exponential integrate-and-fire as a population model (model.md §3).
struct AdEx {
  static constexpr const char* name = "adex";
  static constexpr const char* current_units = "pA";
  static constexpr const char* conductance_units = "nS";
  using Params = adex::AdExParams;
  using Init = adex::AdExInit;
  using State = adex::AdExState;
  using Settings = ModelSettingsOf<Params, Init>;

  template <class MemorySpace>
  struct Storage {
    using memory_space = MemorySpace;
    using model = AdEx;
    template <class T>
    using view = Kokkos::View<T*, MemorySpace>;
    view<real_type> V, w;
    view<std::int32_t> refractory_steps_left;

    Storage() = default;
    Storage(const std::string& population, index_type size, DeviceArena<MemorySpace>* arena = nullptr)
        : V(stateView<decltype(V)>(arena, population, "V", size)),
          w(stateView<decltype(w)>(arena, population, "w", size)),
          refractory_steps_left(
              stateView<decltype(refractory_steps_left)>(arena, population, "refractory_steps_left", size)) {}

    index_type size() const { return static_cast<index_type>(V.extent(0)); }
    KOKKOS_INLINE_FUNCTION State load(index_type i) const { return State{V(i), w(i), refractory_steps_left(i)}; }
    KOKKOS_INLINE_FUNCTION void store(index_type i, const State& x) const {
      V(i) = x.V;
      w(i) = x.w;
      refractory_steps_left(i) = x.refractory_steps_left;
    }
    /// The dynamic state a checkpoint keeps, each variable's View by name
    /// (src/checkpoint.cpp).
    template <class F>
    void forEachState(F&& f) const {
      f("V", V);
      f("w", w);
      f("refractory_steps_left", refractory_steps_left);
    }
  };

  static constexpr StateVariable state_variables[] = {
      {"V", "mV"}, {"w", "pA"}, {"refractory_steps_left", "steps"}};
  KOKKOS_INLINE_FUNCTION static real_type stateValue(const State& x, int v) {
    return v == 0 ? x.V : v == 1 ? x.w : static_cast<real_type>(x.refractory_steps_left);
  }

  struct Step {
    // Two AdEx populations (GPe, GPi) share a fused GPU launch with the STN.
    static constexpr int fused_slots = 2;
    Params params;
    real_type dt_ms;
    std::int32_t refractory_steps;
    // The highest V a step may reach: 10 V, or unbounded where the
    // exponential alone can move V by a tenth of that in a step (exp_arg_max
    // raised): a step past the peak is then a spike however far past it, an
    // overshoot of the model, not a divergence (and an absurd input passes
    // the peak unnoticed, as at the reset of any spike). A float: it fills
    // the padding after refractory_steps (a fused launch's steppers must fit
    // a kernel argument).
    float V_upper;
    // With L lanes every lane takes the whole (short) step.
    template <int L = 1>
    KOKKOS_FORCEINLINE_FUNCTION bool operator()(State& x, real_type I, step_type,
                                                const LaneGroup<L>& = LaneGroup<L>{}) const {
      return adex::step(x, params, I, dt_ms, refractory_steps, static_cast<real_type>(V_upper));
    }
  };

  static Step derive(const Settings& s, double dt_ms, const PopulationStreams& = {}) {
    return Step{
        s.params, static_cast<real_type>(dt_ms), static_cast<std::int32_t>(stepsOf(s.params.t_ref_ms, dt_ms)),
        adex::exponentialReach(s.params, dt_ms) > diverged_V_mV / 10 ? std::numeric_limits<float>::infinity()
                                                                     : static_cast<float>(diverged_V_mV)};
  }

  /// A spike is followed by the refractory steps.
  static step_type leastSpikeSeparation(const Step& step) { return step.refractory_steps + 1; }

  /// V ~ N(V, V_sd), w ~ N(w, w_sd) (model.md §3.4).
  KOKKOS_INLINE_FUNCTION static State initialState(const Settings& s, std::uint64_t seed, std::uint32_t key,
                                                   index_type i) {
    const Init& init = s.init;
    const auto z = rng::normals(seed, rng::Stream::InitialState, key, static_cast<std::uint32_t>(i), 0);
    State x;
    x.V = init.V + real_type(z.v[0]) * init.V_sd;
    x.w = init.w + real_type(z.v[1]) * init.w_sd;
    x.refractory_steps_left = 0;
    return x;
  }

  template <class Visitor>
  static void bindKeys(Visitor& key, Settings& s) {
    auto& p = s.params;
    // NEST's aeif_cond_exp names (t_ref and tau_w with their unit).
    key("C_m", p.C, "pF", "membrane capacitance", KeyBound::Positive);
    key("g_L", p.gL, "nS", "leak conductance", KeyBound::NonNegative);
    key("E_L", p.EL, "mV", "leak reversal potential", KeyBound::Any);
    key("V_th", p.VT, "mV", "exponential threshold (V_T)", KeyBound::Any);
    key("Delta_T", p.dT, "mV", "slope factor", KeyBound::Positive);
    key("a", p.a, "nS", "subthreshold adaptation", KeyBound::Any);
    key("tau_w_ms", p.tau_w, "ms", "adaptation time constant", KeyBound::Positive);
    key("b", p.b, "pA", "spike-triggered adaptation increment", KeyBound::Any);
    key("V_reset", p.V_reset, "mV", "reset potential", KeyBound::Any);
    key("V_peak", p.V_peak, "mV", "spike cut-off", KeyBound::Any);
    key("t_ref_ms", p.t_ref_ms, "ms", "absolute refractory period", KeyBound::NonNegative);
    key("I_e", p.I_baseline, "pA", "constant input current", KeyBound::Any);
    key("exp_arg_min", p.exp_arg_min, "", "lower clip of (V-V_th)/Delta_T in the exponential", KeyBound::Any);
    key("exp_arg_max", p.exp_arg_max, "", "upper clip of (V-V_th)/Delta_T in the exponential", KeyBound::Any);
    auto& x = s.init;
    key("V_init", x.V, "mV", "mean initial membrane potential", KeyBound::Any);
    key("V_init_sd", x.V_sd, "mV", "s.d. of initial membrane potential", KeyBound::NonNegative);
    key("w_init", x.w, "pA", "mean initial adaptation current", KeyBound::Any);
    key("w_init_sd", x.w_sd, "pA", "s.d. of initial adaptation current", KeyBound::NonNegative);
  }

  /// Cross-key checks at dt; returns "" or the message (key names relative
  /// to the section).
  static std::string inconsistency(const Settings& s, double dt_ms) {
    if (!(s.params.V_reset < s.params.V_peak)) return "V_reset must be below V_peak";
    if (!(s.params.exp_arg_min < s.params.exp_arg_max)) return "exp_arg_min must be below exp_arg_max";
    // A forward Euler step longer than a time constant overshoots the point
    // it relaxes to, and one of twice that diverges (docs/model.md §3.3).
    const double tau_m_ms = static_cast<double>(s.params.C) / static_cast<double>(s.params.gL);
    const double tau_w_ms = static_cast<double>(s.params.tau_w);
    if (!(dt_ms < tau_m_ms) || !(dt_ms < tau_w_ms)) {
      char text[200];
      std::snprintf(text, sizeof text,
                    "%s%g ms) must exceed simulation.dt_ms (%g ms) for the forward Euler step",
                    dt_ms < tau_m_ms ? "tau_w_ms (" : "C_m/g_L (the membrane time constant, ",
                    dt_ms < tau_m_ms ? tau_w_ms : tau_m_ms, dt_ms);
      return text;
    }
    // The refractory countdown is 32-bit, and a spike adds one step.
    if (!stepCountBelow(s.params.t_ref_ms, dt_ms, std::numeric_limits<std::int32_t>::max() - 1))
      return "t_ref_ms is more steps of simulation.dt_ms than the 32-bit refractory countdown holds";
    return "";
  }
};

}  // namespace cbgtc::models
