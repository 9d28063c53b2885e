#pragma once
// Leaky integrate-and-fire neuron with conductance synapses (as NEST's
// iaf_cond_exp with the synapses of cbgtc), integrated exactly for an input
// that is constant within a step (docs/model.md §3.6). Units: mV, ms, pF,
// nS, pA. A minimal model: a template for new ones, and a cell for inputs
// and cortical populations.

#include <limits>
#include <string>

#include "kernels/lane_group.hpp"
#include "kernels/models/model.hpp"
#include "kernels/rng.hpp"
#include "kernels/vectorizable_math.hpp"

namespace cbgtc::lif {

struct LifParams {
  real_type C_m = 250.0;      // pF
  real_type g_L = 16.7;       // nS (τ_m = C_m / g_L ≈ 15 ms)
  real_type E_L = -70.0;      // mV
  real_type V_th = -55.0;     // mV
  real_type V_reset = -70.0;  // mV
  real_type t_ref_ms = 2.0;   // ms
  real_type I_e = 0.0;        // pA, constant drive
};

/// Initial state: V ~ N(V, V_sd).
struct LifInit {
  real_type V = -70.0;   // mV
  real_type V_sd = 0.0;  // mV
};

// 32-byte aligned: GCC 12 copies a 16-byte state as one vector move, which
// keeps the CPU step loop over lanes from vectorising (docs/performance.md).
struct alignas(32) LifState {
  real_type V;  // mV
  std::int32_t refractory_steps_left;
};

/// One step of dt: V relaxes towards E_L + (I_e + I)/g_L with τ_m = C_m/g_L,
/// exactly for I constant within the step; V ≥ V_th is a spike, after which
/// V is held at V_reset for the refractory steps. decay = e^{−dt/τ_m}.
KOKKOS_FORCEINLINE_FUNCTION bool step(LifState& x, const LifParams& p, real_type I_input_pA, real_type decay,
                                      std::int32_t refractory_steps) {
  const bool in_ref = x.refractory_steps_left > 0;
  const real_type V_inf = p.E_L + (p.I_e + I_input_pA) / p.g_L;
  const real_type V = in_ref ? p.V_reset : divergedAsNaN(V_inf + (x.V - V_inf) * decay);
  const bool spiked = !in_ref && V >= p.V_th;
  x.refractory_steps_left = spiked ? refractory_steps : (in_ref ? x.refractory_steps_left - 1 : 0);
  x.V = spiked ? p.V_reset : V;
  return spiked;
}

}  // namespace cbgtc::lif

namespace cbgtc::models {

struct Lif {
  static constexpr const char* name = "lif";
  static constexpr const char* current_units = "pA";
  static constexpr const char* conductance_units = "nS";
  using Params = lif::LifParams;
  using Init = lif::LifInit;
  using State = lif::LifState;
  using Settings = ModelSettingsOf<Params, Init>;

  template <class MemorySpace>
  struct Storage {
    using memory_space = MemorySpace;
    using model = Lif;
    Kokkos::View<real_type*, MemorySpace> V;
    Kokkos::View<std::int32_t*, MemorySpace> refractory_steps_left;

    Storage() = default;
    Storage(const std::string& population, index_type size, DeviceArena<MemorySpace>* arena = nullptr)
        : V(stateView<decltype(V)>(arena, population, "V", size)),
          refractory_steps_left(
              stateView<decltype(refractory_steps_left)>(arena, population, "refractory_steps_left", size)) {}

    index_type size() const { return static_cast<index_type>(V.extent(0)); }
    KOKKOS_INLINE_FUNCTION State load(index_type i) const { return State{V(i), refractory_steps_left(i)}; }
    KOKKOS_INLINE_FUNCTION void store(index_type i, const State& x) const {
      V(i) = x.V;
      refractory_steps_left(i) = x.refractory_steps_left;
    }
    /// The dynamic state a checkpoint keeps, each variable's View by name
    /// (src/checkpoint.cpp).
    template <class F>
    void forEachState(F&& f) const {
      f("V", V);
      f("refractory_steps_left", refractory_steps_left);
    }
  };

  static constexpr StateVariable state_variables[] = {{"V", "mV"}, {"refractory_steps_left", "steps"}};
  KOKKOS_INLINE_FUNCTION static real_type stateValue(const State& x, int v) {
    return v == 0 ? x.V : static_cast<real_type>(x.refractory_steps_left);
  }

  struct Step {
    Params params;
    real_type decay;  // e^{−dt/τ_m}
    std::int32_t refractory_steps;
    // With L lanes every lane takes the whole (short) step.
    template <int L = 1>
    KOKKOS_FORCEINLINE_FUNCTION bool operator()(State& x, real_type I, step_type,
                                                const LaneGroup<L>& = LaneGroup<L>{}) const {
      return lif::step(x, params, I, decay, refractory_steps);
    }
  };

  static Step derive(const Settings& s, double dt_ms, const PopulationStreams& = {}) {
    const double tau_m = static_cast<double>(s.params.C_m) / static_cast<double>(s.params.g_L);
    return Step{s.params, static_cast<real_type>(std::exp(-dt_ms / tau_m)),
                static_cast<std::int32_t>(stepsOf(s.params.t_ref_ms, dt_ms))};
  }

  /// A spike is followed by the refractory steps.
  static step_type leastSpikeSeparation(const Step& step) { return step.refractory_steps + 1; }

  KOKKOS_INLINE_FUNCTION static State initialState(const Settings& s, std::uint64_t seed, std::uint32_t key,
                                                   index_type i) {
    const Init& init = s.init;
    const auto z = rng::normals(seed, rng::Stream::InitialState, key, static_cast<std::uint32_t>(i), 0);
    return State{init.V + real_type(z.v[0]) * init.V_sd, 0};
  }

  template <class Visitor>
  static void bindKeys(Visitor& key, Settings& s) {
    auto& p = s.params;
    key("C_m", p.C_m, "pF", "membrane capacitance", KeyBound::Positive);
    key("g_L", p.g_L, "nS", "leak conductance", KeyBound::Positive);
    key("E_L", p.E_L, "mV", "leak reversal potential", KeyBound::Any);
    key("V_th", p.V_th, "mV", "spike threshold", KeyBound::Any);
    key("V_reset", p.V_reset, "mV", "reset potential", KeyBound::Any);
    key("t_ref_ms", p.t_ref_ms, "ms", "absolute refractory period", KeyBound::NonNegative);
    key("I_e", p.I_e, "pA", "constant input current", KeyBound::Any);
    key("V_init", s.init.V, "mV", "mean initial membrane potential", KeyBound::Any);
    key("V_init_sd", s.init.V_sd, "mV", "s.d. of initial membrane potential", KeyBound::NonNegative);
  }

  static std::string inconsistency(const Settings& s, double dt_ms) {
    if (!(s.params.V_reset < s.params.V_th)) return "V_reset must be below V_th";
    if (!stepCountBelow(s.params.t_ref_ms, dt_ms, std::numeric_limits<std::int32_t>::max() - 1))
      return "t_ref_ms is more steps of simulation.dt_ms than the 32-bit refractory countdown holds";
    return "";
  }
};

}  // namespace cbgtc::models
