#pragma once
// A Poisson spike source (NEST's poisson_generator, Brian2's PoissonGroup),
// optionally rate-modulated by a sinusoid and firing bursts: the striatal and
// cortical drives of the circuit (docs/model.md §3.7). A population of this
// model has no membrane and takes no input; it connects through ordinary
// projections and is recorded like any population.
//
// In step k each neuron fires with probability 1 − e^{−λ(t_k)·dt}
// (at most one spike per step), λ(t) = rate_hz·(1 + m·sin(2π f t + φ))
// ·max(0, 1 + σ·x(t)), x a unit Ornstein–Uhlenbeck process of correlation
// time τ shared by the whole population (a slow common fluctuation of the
// areas the source stands for; docs/model.md §3.7), computed once for the
// run on the host (stepTable) and read by every neuron.
// Bursts: onsets with probability 1 − e^{−λ_b(t_k)·dt} (λ_b = burst_rate_hz,
// modulated alike) while no burst is under way; a burst is spikes_per_burst
// spikes intra_burst_interval_ms apart, its first in the onset step.
// Drawn by time rescaling, not a number per step: each neuron holds the
// hazard left until its next spike (an Exp(1) draw), subtracts λ(t_k)·dt
// every step and fires when none is left, which is the same process (the
// exponential is memoryless), so that a step costs a subtraction and a
// spike one draw (afterSpike). Each draw is keyed by (seed, population,
// global index, the neuron's count of draws): the spikes do not depend on
// the backend, the threads or the ranks (docs/model.md §3.7).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "kernels/lane_group.hpp"
#include "kernels/models/model.hpp"
#include "kernels/rng.hpp"
#include "kernels/vectorizable_math.hpp"

namespace cbgtc::poisson {

struct PoissonParams {
  real_type rate_hz = 10.0;                // mean rate of single spikes
  real_type modulation_depth = 0.0;        // m in [0, 1]
  real_type modulation_hz = 20.0;          // f
  real_type modulation_phase_rad = 0.0;    // φ
  real_type burst_rate_hz = 0.0;           // mean rate of burst onsets (0: no bursts)
  real_type spikes_per_burst = 3.0;        // whole number >= 1
  real_type intra_burst_interval_ms = 4.0;  // whole number of steps >= 1
  real_type rate_fluctuation = 0.0;         // σ: SD of the shared relative rate fluctuation (0: none)
  real_type rate_fluctuation_tau_ms = 100.0;  // τ: its correlation time
};

/// A source has no initial state to set.
struct PoissonInit {};

struct PoissonState {
  real_type V;                    // no membrane: always 0
  std::uint32_t index;            // global neuron index: keys the draws
  std::int32_t burst_spikes_left;
  std::int32_t burst_wait_steps;  // until the burst's next spike
  double hazard_left;             // until the next single spike: Exp(1) less Σ λ·dt since
  double burst_hazard_left;       // the same for the next burst onset (counted outside bursts)
  std::uint32_t draws;            // Exp(1) draws so far for single spikes: keys the next
  std::uint32_t burst_draws;      // the same for burst onsets
};

/// The Exp(1) draw number n of neuron `index`'s single spikes (burst = 0)
/// or burst onsets (burst = 1): the SpikeSource stream at block 2n + burst.
KOKKOS_INLINE_FUNCTION double exponentialDraw(std::uint64_t seed, std::uint32_t key, std::uint32_t index,
                                              std::uint32_t n, int burst) {
  const rng::Philox4x32 bits =
      rng::randomBits(seed, rng::Stream::SpikeSource, key, index, 2 * static_cast<std::uint64_t>(n) + burst);
  return -vmath::log(rng::uniformOpen(bits.v[0]));
}

}  // namespace cbgtc::poisson

namespace cbgtc::models {

struct Poisson {
  static constexpr const char* name = "poisson";
  static constexpr const char* current_units = "pA";      // unused: a source takes no input
  static constexpr const char* conductance_units = "nS";
  using Params = poisson::PoissonParams;
  using Init = poisson::PoissonInit;
  using State = poisson::PoissonState;
  using Settings = ModelSettingsOf<Params, Init>;
  static constexpr bool takes_input = false;  // projections into a source are refused

  template <class MemorySpace>
  struct Storage {
    using memory_space = MemorySpace;
    using model = Poisson;
    template <class T>
    using view = Kokkos::View<T*, MemorySpace>;
    view<real_type> V;
    view<std::uint32_t> index;
    view<std::int32_t> burst_spikes_left, burst_wait_steps;
    view<double> hazard_left, burst_hazard_left;
    view<std::uint32_t> draws, burst_draws;

    Storage() = default;
    Storage(const std::string& population, index_type size, DeviceArena<MemorySpace>* arena = nullptr)
        : V(stateView<decltype(V)>(arena, population, "V", size)),
          index(stateView<decltype(index)>(arena, population, "index", size)),
          burst_spikes_left(
              stateView<decltype(burst_spikes_left)>(arena, population, "burst_spikes_left", size)),
          burst_wait_steps(
              stateView<decltype(burst_wait_steps)>(arena, population, "burst_wait_steps", size)),
          hazard_left(stateView<decltype(hazard_left)>(arena, population, "hazard_left", size)),
          burst_hazard_left(
              stateView<decltype(burst_hazard_left)>(arena, population, "burst_hazard_left", size)),
          draws(stateView<decltype(draws)>(arena, population, "draws", size)),
          burst_draws(stateView<decltype(burst_draws)>(arena, population, "burst_draws", size)) {}

    index_type size() const { return static_cast<index_type>(V.extent(0)); }
    KOKKOS_INLINE_FUNCTION State load(index_type i) const {
      return State{V(i),
                   index(i),
                   burst_spikes_left(i),
                   burst_wait_steps(i),
                   hazard_left(i),
                   burst_hazard_left(i),
                   draws(i),
                   burst_draws(i)};
    }
    KOKKOS_INLINE_FUNCTION void store(index_type i, const State& x) const {
      V(i) = x.V;
      index(i) = x.index;
      burst_spikes_left(i) = x.burst_spikes_left;
      burst_wait_steps(i) = x.burst_wait_steps;
      hazard_left(i) = x.hazard_left;
      burst_hazard_left(i) = x.burst_hazard_left;
      draws(i) = x.draws;
      burst_draws(i) = x.burst_draws;
    }
    /// The dynamic state a checkpoint keeps, each variable's View by name
    /// (src/checkpoint.cpp).
    template <class F>
    void forEachState(F&& f) const {
      f("burst_spikes_left", burst_spikes_left);
      f("burst_wait_steps", burst_wait_steps);
      f("hazard_left", hazard_left);
      f("burst_hazard_left", burst_hazard_left);
      f("draws", draws);
      f("burst_draws", burst_draws);
    }
  };

  static constexpr StateVariable state_variables[] = {{"burst_spikes_left", "1"}};
  KOKKOS_INLINE_FUNCTION static real_type stateValue(const State& x, int) {
    return static_cast<real_type>(x.burst_spikes_left);
  }

  struct Step {
    double dt_s = 0;
    double rate_hz = 0, burst_rate_hz = 0;
    double hazard = 0, burst_hazard = 0;  // λ·dt per step, unmodulated
    double depth = 0, modulation_hz = 0, phase_turns = 0;
    // depth + σ, > 0 when the rate varies: one comparison of a double (GCC
    // 12 keeps the CPU step loop scalar on a select on two, or on a bool).
    double variation = 0;
    // max(0, 1 + σ·x_k) by step; without a fluctuation the single value 1.
    StepTable table;
    std::int32_t spikes_per_burst = 1, burst_interval_steps = 1;
    std::uint64_t seed = 0;
    std::uint32_t key = 0;

    template <int L = 1>
    KOKKOS_FORCEINLINE_FUNCTION bool operator()(State& x, real_type, step_type k,
                                                const LaneGroup<L>& = LaneGroup<L>{}) const {
      // Read in every step: a load under the condition keeps the CPU step
      // loop scalar (GCC 12 has no vector form of a masked load of one
      // address).
      const double scale = table.at(k);
      double h = hazard, hb = burst_hazard;
      if (variation > 0) {
        // sin(2π(f·t + φ/2π)), the turns reduced to [0, 1); with depth 0
        // the factor 1 + 0·s is 1 exactly.
        double turns = modulation_hz * dt_s * static_cast<double>(k) + phase_turns;
        turns -= math::floor(turns);
        double s = 0, c = 0;
        vmath::sinCosTwoPi(turns, s, c);
        const double factor = scale * (1.0 + depth * s);
        h = rate_hz * factor * dt_s;
        hb = burst_rate_hz * factor * dt_s;
      }
      // Inside a burst a spike every burst_interval_steps; outside, the
      // onset hazard runs down. Selects, not branches: the CPU step loop
      // then vectorises.
      const bool in_burst = x.burst_spikes_left > 0;
      const std::int32_t wait = x.burst_wait_steps - 1;
      const bool burst_spike = in_burst && wait == 0;
      x.burst_hazard_left -= in_burst ? 0.0 : hb;
      const bool burst_start = !in_burst && x.burst_hazard_left <= 0;
      x.burst_spikes_left = burst_spike   ? x.burst_spikes_left - 1
                            : burst_start ? spikes_per_burst - 1
                                          : x.burst_spikes_left;
      x.burst_wait_steps = burst_spike || burst_start ? burst_interval_steps
                           : in_burst                 ? wait
                                                      : x.burst_wait_steps;
      x.hazard_left -= h;
      return x.hazard_left <= 0 || burst_spike || burst_start;
    }

    /// After a spike in step k: a new Exp(1) for each process that fired
    /// (its hazard ran out). Called only for neurons that spiked, so the
    /// draws cost per spike, not per step.
    KOKKOS_INLINE_FUNCTION void afterSpike(State& x, step_type) const {
      if (x.hazard_left <= 0) x.hazard_left = poisson::exponentialDraw(seed, key, x.index, x.draws++, 0);
      if (x.burst_hazard_left <= 0)
        x.burst_hazard_left = poisson::exponentialDraw(seed, key, x.index, x.burst_draws++, 1);
    }
  };

  static Step derive(const Settings& s, double dt_ms, const PopulationStreams& streams = {}) {
    const auto& p = s.params;
    Step step;
    step.dt_s = dt_ms / 1000.0;
    step.rate_hz = p.rate_hz;
    step.burst_rate_hz = p.burst_rate_hz;
    step.hazard = p.rate_hz * step.dt_s;
    step.burst_hazard = p.burst_rate_hz * step.dt_s;
    step.depth = p.modulation_depth;
    step.variation = p.modulation_depth + p.rate_fluctuation;
    step.modulation_hz = p.modulation_hz;
    constexpr double two_pi = 6.283185307179586476925286766559;
    step.phase_turns = static_cast<double>(p.modulation_phase_rad) / two_pi;
    step.phase_turns -= std::floor(step.phase_turns);
    step.spikes_per_burst = static_cast<std::int32_t>(p.spikes_per_burst);
    step.burst_interval_steps = static_cast<std::int32_t>(std::max<std::int64_t>(1, stepsOf(p.intra_burst_interval_ms, dt_ms)));
    step.seed = streams.seed;
    step.key = streams.key;
    return step;
  }

  /// The length of stepTable's table: a value per step with a fluctuation,
  /// else one.
  static std::int64_t stepTableLength(const Settings& s, std::int64_t n_steps) {
    return s.params.rate_fluctuation > 0 && n_steps >= 1 ? n_steps : 1;
  }

  /// The rate's factor max(0, 1 + σ·x_k) for steps [0, n_steps), x the
  /// shared unit OU process updated exactly, x_{k+1} = e^{−dt/τ}·x_k +
  /// sqrt(1 − e^{−2dt/τ})·ξ_k; ξ_k is the normal of block k of the
  /// population's SourceRate stream, x_0 the normal of a block no step
  /// reaches (docs/model.md §3.7, §10). A pure function of the seed and the
  /// population: a restart or another rank computes the same table.
  /// Without a fluctuation, the single value 1.
  static std::vector<double> stepTable(const Settings& s, double dt_ms, const PopulationStreams& streams,
                                       std::int64_t n_steps) {
    const auto& p = s.params;
    if (stepTableLength(s, n_steps) == 1) return {1.0};
    const double decay = std::exp(-dt_ms / p.rate_fluctuation_tau_ms);
    const double kick = std::sqrt(1.0 - decay * decay);
    const auto normal = [&](std::uint64_t block) {
      return rng::firstNormal(rng::randomBits(streams.seed, rng::Stream::SourceRate, streams.key, 0, block));
    };
    constexpr std::uint64_t initial_block = (std::uint64_t{1} << 56) - 1;
    double x = normal(initial_block);
    std::vector<double> scale(static_cast<std::size_t>(n_steps));
    for (std::int64_t k = 0; k < n_steps; ++k) {
      scale[static_cast<std::size_t>(k)] = std::max(0.0, 1.0 + p.rate_fluctuation * x);
      x = decay * x + kick * normal(static_cast<std::uint64_t>(k));
    }
    return scale;
  }

  /// A source may fire in every step.
  static step_type leastSpikeSeparation(const Step&) { return 1; }

  /// Each process's first Exp(1), draw 0.
  KOKKOS_INLINE_FUNCTION static State initialState(const Settings&, std::uint64_t seed, std::uint32_t key,
                                                   index_type i) {
    const auto index = static_cast<std::uint32_t>(i);
    return State{0,
                 index,
                 0,
                 0,
                 poisson::exponentialDraw(seed, key, index, 0, 0),
                 poisson::exponentialDraw(seed, key, index, 0, 1),
                 1,
                 1};
  }

  template <class Visitor>
  static void bindKeys(Visitor& key, Settings& s) {
    auto& p = s.params;
    key("rate_hz", p.rate_hz, "Hz", "mean rate of single spikes", KeyBound::NonNegative);
    key("modulation_depth", p.modulation_depth, "", "sinusoidal rate modulation depth (0: constant rate)",
        KeyBound::UnitInterval);
    key("modulation_hz", p.modulation_hz, "Hz", "modulation frequency", KeyBound::NonNegative);
    key("modulation_phase_rad", p.modulation_phase_rad, "rad", "modulation phase at t = 0", KeyBound::Any);
    key("burst_rate_hz", p.burst_rate_hz, "Hz", "mean rate of burst onsets (0: no bursts)", KeyBound::NonNegative);
    key("spikes_per_burst", p.spikes_per_burst, "", "spikes in a burst", KeyBound::Positive);
    key("intra_burst_interval_ms", p.intra_burst_interval_ms, "ms", "interval between a burst's spikes",
        KeyBound::Positive);
    key("rate_fluctuation", p.rate_fluctuation, "",
        "SD of a slow rate fluctuation shared by the population (0: none)", KeyBound::NonNegative);
    key("rate_fluctuation_tau_ms", p.rate_fluctuation_tau_ms, "ms",
        "correlation time of the shared fluctuation", KeyBound::Positive);
  }

  static std::string inconsistency(const Settings& s, double dt_ms) {
    const auto& p = s.params;
    if (p.spikes_per_burst != std::floor(p.spikes_per_burst) || p.spikes_per_burst > 1e6)
      return "spikes_per_burst must be a whole number (at most 10^6)";
    const double steps = p.intra_burst_interval_ms / dt_ms;
    if (std::fabs(steps - std::round(steps)) > 1e-9 * steps || std::round(steps) < 1 || steps > 1e9) {
      char text[160];
      std::snprintf(text, sizeof text,
                    "intra_burst_interval_ms (%g) must be a whole number of steps of simulation.dt_ms (%g): "
                    "it is %g steps",
                    p.intra_burst_interval_ms, dt_ms, steps);
      return text;
    }
    // One spike per step at most: a rate near 1/dt would saturate.
    // The shared fluctuation counted at four standard deviations.
    const double peak_factor = (1 + p.modulation_depth) * (1 + 4 * p.rate_fluctuation);
    if ((p.rate_hz + p.burst_rate_hz) * peak_factor * dt_ms / 1000.0 > 0.1)
      return "rate_hz (with bursts, modulation and rate_fluctuation) exceeds a tenth of a spike per step; "
             "lower it or dt_ms";
    return "";
  }
};

}  // namespace cbgtc::models
