#pragma once
// Current stimuli: drive terms added to a neuron's input current in the
// synaptic-input stage (docs/model.md §5.1). A stimulus's current in step k
// is its mean over the step, (1/dt)·∫_{t_k}^{t_{k+1}} I(t) dt, integrated
// exactly: a pulse of any width (clinical DBS pulses of 60–90 µs are not
// multiples of the 25 µs step) delivers its whole charge, whatever dt.

#include "kernels/kokkos_compat.hpp"
#include "kernels/rng.hpp"
#include "kernels/types.hpp"

namespace cbgtc {

/// The first index j of the ascending a[0..n) with a[j] ≥ t (n if none).
KOKKOS_INLINE_FUNCTION std::int64_t firstAtOrAfter(const double* a, std::int64_t n, double t) {
  std::int64_t lo = 0, hi = n;
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    if (a[mid] < t)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

enum class StimulusKind : std::int32_t {
  Dc,          // amplitude from start to stop
  Sine,        // offset + amplitude·sin(2π f (t − start) + phase)
  PulseTrain,  // pulses at start + m/f: amplitude for width, then (biphasic) a gap and the opposite phase
  Axonal,      // pulses at start + m/f that fire each driven axon with a probability (no current)
};

/// Each kind's name in a deck (`kind = pulse_train`): the one list that
/// reading a deck and its error messages use.
struct StimulusKindName {
  StimulusKind kind;
  const char* name;
};
inline constexpr StimulusKindName stimulus_kind_names[] = {{StimulusKind::Dc, "dc"},
                                                           {StimulusKind::Sine, "sine"},
                                                           {StimulusKind::PulseTrain, "pulse_train"},
                                                           {StimulusKind::Axonal, "axonal"}};

/// One stimulus as a kernel sees it. Times in ms, currents in the target
/// model's units, positive depolarising.
struct Stimulus {
  StimulusKind kind = StimulusKind::Dc;
  double start_ms = 0, stop_ms = 0;
  double amplitude = 0;
  double offset = 0;                  // Sine
  double frequency_hz = 0;            // Sine, PulseTrain
  double phase_rad = 0;               // Sine
  double width_ms = 0;                // PulseTrain: first phase
  double gap_ms = 0;                  // PulseTrain: interphase gap
  double second_amplitude = 0;        // PulseTrain: second phase (0: monophasic)
  double second_width_ms = 0;
  double probability = 1;             // Axonal: per pulse and neuron
  std::uint64_t seed = 0;             // Axonal: keys the draws, with the stimulus's key
  std::uint32_t key = 0;
  // PulseTrain, Axonal with irregular intervals: the onsets, ascending (ms).
  // Null: regular, onset m at start + m/f.
  const double* onsets = nullptr;
  std::int64_t onset_count = 0;
  const std::uint8_t* targets = nullptr;  // [local neuron]: 1 if driven; null: every neuron

  KOKKOS_INLINE_FUNCTION bool drives(index_type i) const { return targets == nullptr || targets[i] != 0; }

  /// ∫ of a constant `level` over [a, b) ∩ [lo, hi).
  KOKKOS_INLINE_FUNCTION static double overlap(double a, double b, double lo, double hi, double level) {
    const double from = a > lo ? a : lo, to = b < hi ? b : hi;
    return to > from ? level * (to - from) : 0.0;
  }

  /// The number m of the pulse whose onset start + m/f falls in [t0, t1)
  /// and before stop, or −1. Each onset falls in exactly one step: the
  /// candidate is corrected against the same onset formula the test uses.
  /// An onset within round-off (10⁻⁹ of the step) below a step's start
  /// belongs to that step, as an edge belongs to the bin it starts
  /// (docs/model.md §5.2): a start_ms of 700.3 ms fired the axons in the
  /// step before it.
  static constexpr double onset_edge = 1e-9;  // of a step
  KOKKOS_INLINE_FUNCTION std::int64_t pulseIn(double step_t0, double step_t1) const {
    const double edge = onset_edge * (step_t1 - step_t0);
    const double t0 = step_t0 - edge, t1 = step_t1 - edge;
    if (onsets != nullptr) {
      const std::int64_t m = firstAtOrAfter(onsets, onset_count, t0);
      return m < onset_count && onsets[m] < t1 && onsets[m] < stop_ms ? m : -1;
    }
    if (!(t1 > start_ms)) return -1;
    const double period = 1000.0 / frequency_hz;
    auto m = static_cast<std::int64_t>(-math::floor((start_ms - t0) / period));  // ⌈(t0 − start)/T⌉
    if (m < 0) m = 0;
    if (m > 0 && start_ms + static_cast<double>(m - 1) * period >= t0) --m;
    if (start_ms + static_cast<double>(m) * period < t0) ++m;
    const double onset = start_ms + static_cast<double>(m) * period;
    return onset < t1 && onset < stop_ms ? m : -1;
  }

  /// Adds to `charge` the charge over [a, b) of the pulse starting at `onset`.
  KOKKOS_INLINE_FUNCTION void addPulseCharge(double a, double b, double onset, double& charge) const {
    charge += overlap(a, b, onset, onset + width_ms, amplitude);
    const double second = onset + width_ms + gap_ms;
    charge += overlap(a, b, second, second + second_width_ms, second_amplitude);
  }

  /// The mean current over the step [t0, t1) of length dt. Consecutive
  /// steps share their bounds exactly (t_k = k·dt), so the charges of the
  /// steps add up to the pulse's to round-off.
  KOKKOS_INLINE_FUNCTION double meanCurrent(double t0, double t1, double dt) const {
    // The step within the stimulus's window.
    const double a = t0 > start_ms ? t0 : start_ms;
    const double b = t1 < stop_ms ? t1 : stop_ms;
    if (!(b > a)) return 0.0;
    switch (kind) {
      case StimulusKind::Dc:
        return amplitude * (b - a) / dt;
      case StimulusKind::Sine: {
        const double w = 2.0 * 3.14159265358979323846 * frequency_hz / 1000.0;  // rad/ms
        const double charge = offset * (b - a) +
                              (w > 0 ? amplitude * (math::cos(w * (a - start_ms) + phase_rad) -
                                                    math::cos(w * (b - start_ms) + phase_rad)) / w
                                     : amplitude * math::sin(phase_rad) * (b - a));
        return charge / dt;
      }
      case StimulusKind::PulseTrain: {
        const double period = 1000.0 / frequency_hz;
        const double pulse = width_ms + gap_ms + second_width_ms;
        if (onsets != nullptr) {
          double charge = 0;
          for (std::int64_t m = firstAtOrAfter(onsets, onset_count, a - pulse);
               m < onset_count && onsets[m] < b; ++m)
            addPulseCharge(a, b, onsets[m], charge);
          return charge / dt;
        }
        // Pulses m whose [onset, onset + pulse) meets [a, b).
        auto m = static_cast<std::int64_t>(math::floor((a - start_ms - pulse) / period));
        if (m < 0) m = 0;
        double charge = 0;
        for (; start_ms + static_cast<double>(m) * period < b; ++m)
          addPulseCharge(a, b, start_ms + static_cast<double>(m) * period, charge);
        return charge / dt;
      }
      case StimulusKind::Axonal:
        return 0.0;
    }
    return 0.0;
  }
};

/// Whether pulse m of axonal stimulus s fires the axon of global neuron
/// `global` (a keyed draw: the same on any decomposition).
KOKKOS_INLINE_FUNCTION bool axonFires(const Stimulus& s, std::int64_t m, index_type global) {
  const auto bits = rng::randomBits(s.seed, rng::Stream::AxonalActivation, s.key, static_cast<std::uint32_t>(global),
                                    static_cast<std::uint64_t>(m));
  return rng::uniformOpen(bits.v[0]) < s.probability;
}

}  // namespace cbgtc
