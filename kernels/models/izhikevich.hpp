#pragma once
// The Izhikevich (2007) simple model, in the dimensional form of
// "Dynamical Systems in Neuroscience" ch. 8 (docs/model.md §3.9): cortical
// regular-spiking pyramidal cells and fast-spiking interneurons, striatal
// medium spiny neurons and fast-spiking interneurons are parameter sets of
// this one header. Units: mV, ms, pF, nS, pA.
//
//   C dV/dt = k (V − V_r)(V − V_t) − u + I_e + I
//   du/dt   = a (U(V) − u),   U(V) = b (V − V_r)        (u_cubic = 0)
//                             U(V) = b [V − V_b]₊³       (u_cubic = 1, FS cells)
//   V ≥ V_peak:  V ← c,  u ← u + d
//
// Dopamine (Humphries et al. 2009, docs/model.md §3.9) is a parameter: D1
// receptor activation φ₁ makes V_r more negative and d smaller
// (V_r(1 + K φ₁), d(1 − L φ₁)); D2 activation φ₂ lowers k (k(1 − α φ₂)).
// A population sets the φ of the receptor it carries; the Parkinsonian
// state lowers it.
//
// Forward Euler, V and u from the same V_k (Izhikevich's and Humphries'
// scheme); the step of a spike ends at c (the trace never shows the peak).

#include <string>

#include "kernels/lane_group.hpp"
#include "kernels/models/model.hpp"
#include "kernels/rng.hpp"
#include "kernels/types.hpp"

namespace cbgtc::izhikevich {

/// Defaults: Izhikevich 2007's regular-spiking neocortical pyramidal cell.
struct IzhikevichParams {
  real_type C_m = 100.0;       // pF
  real_type k = 0.7;           // nS/mV
  real_type V_r = -60.0;       // mV, resting potential
  real_type V_t = -40.0;       // mV, instantaneous threshold
  real_type V_peak = 35.0;     // mV, spike cut-off
  real_type a = 0.03;          // 1/ms, recovery rate
  real_type b = -2.0;          // nS (u_cubic: nS/mV²), recovery sensitivity
  real_type c = -50.0;         // mV, reset
  real_type d = 100.0;         // pA, spike-triggered recovery increment
  real_type I_e = 0.0;         // pA, constant drive
  real_type u_cubic = 0.0;     // 1: U(V) = b [V − V_b]₊³ (fast-spiking cells)
  real_type V_b = -55.0;       // mV, onset of the cubic nullcline
  real_type phi_D1 = 0.0;      // D1 receptor activation by dopamine, 0..1
  real_type phi_D2 = 0.0;      // D2 receptor activation by dopamine, 0..1
  real_type K_D1 = 0.0289;     // D1: V_r scaled by 1 + K φ₁
  real_type L_D1 = 0.331;      // D1: d scaled by 1 − L φ₁
  real_type alpha_D2 = 0.032;  // D2: k scaled by 1 − α φ₂
};

/// Initial state: V ~ N(V, V_sd), u = 0 (the recovery at rest, V = V_r).
struct IzhikevichInit {
  real_type V = -60.0;   // mV
  real_type V_sd = 2.0;  // mV
};

// 32-byte aligned: GCC 12 copies a 16-byte state as one vector move, which
// keeps the CPU step loop over lanes from vectorising (docs/performance.md).
struct alignas(32) IzhikevichState {
  real_type V;  // mV
  real_type u;  // pA
};

/// The parameters a step uses: the dopamine factors applied once.
struct Effective {
  real_type C_m, k, V_r, V_t, V_peak, a, b, c, d, I_e, V_b;
  bool cubic;
};

inline Effective effective(const IzhikevichParams& p) {
  Effective e{p.C_m, p.k, p.V_r, p.V_t, p.V_peak, p.a, p.b, p.c, p.d, p.I_e, p.V_b, p.u_cubic != 0};
  e.V_r = p.V_r * (real_type(1) + p.K_D1 * p.phi_D1);
  e.d = p.d * (real_type(1) - p.L_D1 * p.phi_D1);
  e.k = p.k * (real_type(1) - p.alpha_D2 * p.phi_D2);
  return e;
}

/// U(V), the recovery variable's steady state at V.
KOKKOS_FORCEINLINE_FUNCTION real_type recoveryTarget(const Effective& e, real_type V) {
  if (!e.cubic) return e.b * (V - e.V_r);
  const real_type x = V > e.V_b ? V - e.V_b : real_type(0);
  return e.b * x * x * x;
}

/// One forward-Euler step; I_input_pA is the net input, positive
/// depolarising. True: a spike in this step.
KOKKOS_FORCEINLINE_FUNCTION bool step(IzhikevichState& x, const Effective& e, real_type I_input_pA,
                                      real_type dt_ms) {
  const real_type dV = (e.k * (x.V - e.V_r) * (x.V - e.V_t) - x.u + e.I_e + I_input_pA) / e.C_m;
  const real_type du = e.a * (recoveryTarget(e, x.V) - x.u);
  real_type V = divergedAsNaN(x.V + dt_ms * dV);
  real_type u = x.u + dt_ms * du;
  const bool spiked = V >= e.V_peak;
  if (spiked) {
    V = e.c;
    u += e.d;
  }
  x.V = V;
  x.u = u;
  return spiked;
}

}  // namespace cbgtc::izhikevich

namespace cbgtc::models {

/// The Izhikevich 2007 simple model as a population model (model.md §3.9).
struct Izhikevich {
  static constexpr const char* name = "izhikevich";
  static constexpr const char* current_units = "pA";
  static constexpr const char* conductance_units = "nS";
  using Params = izhikevich::IzhikevichParams;
  using Init = izhikevich::IzhikevichInit;
  using State = izhikevich::IzhikevichState;
  using Settings = ModelSettingsOf<Params, Init>;

  template <class MemorySpace>
  struct Storage {
    using memory_space = MemorySpace;
    using model = Izhikevich;
    Kokkos::View<real_type*, MemorySpace> V, u;

    Storage() = default;
    Storage(const std::string& population, index_type size, DeviceArena<MemorySpace>* arena = nullptr)
        : V(stateView<decltype(V)>(arena, population, "V", size)),
          u(stateView<decltype(u)>(arena, population, "u", size)) {}

    index_type size() const { return static_cast<index_type>(V.extent(0)); }
    KOKKOS_INLINE_FUNCTION State load(index_type i) const { return State{V(i), u(i)}; }
    KOKKOS_INLINE_FUNCTION void store(index_type i, const State& x) const {
      V(i) = x.V;
      u(i) = x.u;
    }
    /// The dynamic state a checkpoint keeps (src/checkpoint.cpp).
    template <class F>
    void forEachState(F&& f) const {
      f("V", V);
      f("u", u);
    }
  };

  static constexpr StateVariable state_variables[] = {{"V", "mV"}, {"u", "pA"}};
  KOKKOS_INLINE_FUNCTION static real_type stateValue(const State& x, int v) { return v == 0 ? x.V : x.u; }

  struct Step {
    izhikevich::Effective params;
    real_type dt_ms;
    template <int L = 1>
    KOKKOS_FORCEINLINE_FUNCTION bool operator()(State& x, real_type I, step_type,
                                                const LaneGroup<L>& = LaneGroup<L>{}) const {
      return izhikevich::step(x, params, I, dt_ms);
    }
  };

  static Step derive(const Settings& s, double dt_ms, const PopulationStreams& = {}) {
    return Step{izhikevich::effective(s.params), static_cast<real_type>(dt_ms)};
  }

  /// A spike resets V to c below V_peak: the next spike is a step later at
  /// the earliest.
  static step_type leastSpikeSeparation(const Step&) { return 1; }

  KOKKOS_INLINE_FUNCTION static State initialState(const Settings& s, std::uint64_t seed, std::uint32_t key,
                                                   index_type i) {
    const Init& init = s.init;
    const auto z = rng::normals(seed, rng::Stream::InitialState, key, static_cast<std::uint32_t>(i), 0);
    return State{init.V + real_type(z.v[0]) * init.V_sd, real_type(0)};
  }

  template <class Visitor>
  static void bindKeys(Visitor& key, Settings& s) {
    auto& p = s.params;
    const auto any = KeyBound::Any, pos = KeyBound::Positive, unit = KeyBound::UnitInterval;
    key("C_m", p.C_m, "pF", "membrane capacitance", pos);
    key("k", p.k, "nS/mV", "gain of the quadratic term", pos);
    key("V_r", p.V_r, "mV", "resting potential (before D1 modulation)", any);
    key("V_t", p.V_t, "mV", "instantaneous threshold potential", any);
    key("V_peak", p.V_peak, "mV", "spike cut-off", any);
    key("a", p.a, "1/ms", "recovery rate", KeyBound::NonNegative);
    key("b", p.b, "nS", "recovery sensitivity to V (nS/mV^2 with u_cubic)", any);
    key("c", p.c, "mV", "reset potential", any);
    key("d", p.d, "pA", "spike-triggered recovery increment (before D1 modulation)", any);
    key("I_e", p.I_e, "pA", "constant input current", any);
    key("u_cubic", p.u_cubic, "",
        "1: recovery nullcline b*max(V - V_b, 0)^3 (fast-spiking cells); 0: b*(V - V_r)", any);
    key("V_b", p.V_b, "mV", "onset of the cubic recovery nullcline", any);
    key("phi_D1", p.phi_D1, "", "D1 receptor activation by dopamine", unit);
    key("phi_D2", p.phi_D2, "", "D2 receptor activation by dopamine", unit);
    key("K_D1", p.K_D1, "", "D1 effect on V_r: V_r*(1 + K_D1*phi_D1)", any);
    key("L_D1", p.L_D1, "", "D1 effect on d: d*(1 - L_D1*phi_D1)", any);
    key("alpha_D2", p.alpha_D2, "", "D2 effect on k: k*(1 - alpha_D2*phi_D2)", any);
    key("V_init", s.init.V, "mV", "mean initial membrane potential", any);
    key("V_init_sd", s.init.V_sd, "mV", "s.d. of initial membrane potential", KeyBound::NonNegative);
  }

  static std::string inconsistency(const Settings& s, double) {
    const auto& p = s.params;
    if (p.u_cubic != 0 && p.u_cubic != 1) return "u_cubic must be 0 or 1";
    const auto e = izhikevich::effective(p);
    if (!(e.k > 0)) return "k*(1 - alpha_D2*phi_D2) must be positive";
    if (!(p.c < p.V_peak)) return "c must be below V_peak";
    if (!(p.V_t < p.V_peak)) return "V_t must be below V_peak";
    return "";
  }
};

}  // namespace cbgtc::models
