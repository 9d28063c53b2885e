#pragma once
// Launchers: the step of a population's neurons, calling the point
// functions of the model headers (kernels/models/) and of the drive.

#include <algorithm>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/chunk_claims.hpp"
#include "kernels/device_arena.hpp"
#include "kernels/models/model.hpp"
#include "kernels/population_drive.hpp"
#include "kernels/record_probe.hpp"
#include "kernels/spike_buffer.hpp"
#include "kernels/stimulus.hpp"

namespace cbgtc {

/// Initial states of the local neurons; local neuron i is global neuron
/// first_global + i, whose state depends only on (seed, key, global index).
template <class Model, class ExecutionSpace, class Storage>
void initializePopulation(const ExecutionSpace& space, const Storage& pop,
                          const typename Model::Settings& settings, std::uint64_t seed, std::uint32_t key,
                          index_type first_global = 0) {
  Kokkos::parallel_for(
      "cbgtc::Population::initialize", Kokkos::RangePolicy<ExecutionSpace>(space, 0, pop.size()),
      KOKKOS_LAMBDA(const index_type i) {
        pop.store(i, Model::initialState(settings, seed, key, first_global + i));
      });
}

/// Per-neuron spike statistics, accumulated where the spikes happen, so
/// that no spike has to visit the host for the run's metrics: counts, and
/// Welford's running mean and sum of squared deviations of the ISIs after
/// the burn-in (exact zero for a perfectly regular train, unlike E[x²] − E[x]²).
template <class MemorySpace>
struct SpikeStatistics {
  Kokkos::View<std::int64_t*, MemorySpace> total;    // whole run
  Kokkos::View<std::int64_t*, MemorySpace> counted;  // from the burn-in on; ISIs = counted − 1
  Kokkos::View<double*, MemorySpace> last_ms;        // last counted spike, −1: none yet
  Kokkos::View<double*, MemorySpace> isi_mean;       // ms
  Kokkos::View<double*, MemorySpace> isi_m2;         // ms²
  // Spike bursts (docs/model.md §7.8): runs of at least burst_min_spikes
  // counted spikes whose intervals are all at most burst_isi_ms.
  Kokkos::View<std::int32_t*, MemorySpace> run;       // spikes in the current short-interval run
  Kokkos::View<std::int64_t*, MemorySpace> in_burst;  // counted spikes that belong to a burst
  // Pulse-triggered histogram (docs/model.md §7.8): counted spikes in
  // [pulse_start_ms, pulse_stop_ms) by their time since the last pulse
  // onset (start + m·period), in pulse_bin_count bins of pulse_bin_ms, kept
  // per block of pulse_block_pulses pulses (block ⌊m / pulse_block_pulses⌋
  // mod pulse_blocks) for the locking test: row-major [block][bin]. Empty: none.
  Kokkos::View<std::int64_t*, MemorySpace> pulse_bins;
  double pulse_start_ms = 0, pulse_stop_ms = 0, pulse_period_ms = 1, pulse_bin_ms = 1;
  std::int32_t pulse_bin_count = 1, pulse_block_pulses = 1,
               pulse_blocks = 1;  // 32 bits: see fused_argument_bytes
  bool pulse_acts = true;  // the pulses reach some neuron: without, no histogram peak is a latency
  // Relay of input pulses (docs/model.md §7.9): for the pulses m whose
  // onset relay_onsets(m) is at least relay_from_ms and whose window ends
  // by relay_to_ms, each neuron's pulses answered (a spike within the
  // window, cut at the next onset), answered more than once (bursts) and
  // spikes after the window, before the next onset (spurious): relay's
  // columns (RelayColumn), one View rather than four, as a fused GPU launch
  // passes its steppers as one kernel argument of at most 4 KB. relay_pulse:
  // the last pulse answered, relay_in_window: its spikes so far. Empty: none.
  enum RelayColumn {
    relay_pulse = 0,
    relay_answered = 1,
    relay_bursts = 2,
    relay_spurious = 3,
    relay_columns = 4
  };
  Kokkos::View<std::int64_t* [relay_columns], Kokkos::LayoutLeft, MemorySpace> relay;
  Kokkos::View<std::int32_t*, MemorySpace> relay_in_window;
  Kokkos::View<double*, MemorySpace> relay_onsets;
  double relay_from_ms = 0, relay_to_ms = 0, relay_window_ms = 0;
  // Spike trains of every train_stride-th local neuron from train_phase,
  // for the Poisson-surprise bursts (docs/model.md §7.8): row r of train,
  // one per kept neuron, counts its counted spikes in column 0 and holds
  // their steps from column 1 on, as far as it has room. Empty: none kept.
  // Column by column in memory: the counts are one array, and the columns
  // that spikes have reached one block at the front, which crosses to the
  // host in one copy and, on a CPU, alone takes memory.
  // (Scalars rather than a View per neuron: a fused GPU launch passes its
  // steppers as one kernel argument of at most 4 KB.)
  Kokkos::View<step_type**, Kokkos::LayoutLeft, MemorySpace> train;
  std::int32_t train_phase = 0, train_stride = 1;
  // The analysed window [burn_in_steps, end_steps): spikes outside it are
  // counted in `total` only.
  step_type burn_in_steps = 0, end_steps = max_step_count;
  double dt_ms = 0;
  double burst_isi_ms = 10;
  std::int32_t burst_min_spikes = 3;

  SpikeStatistics() = default;
  /// The per-neuron arrays of n neurons of population `name`, in `arena`.
  SpikeStatistics(DeviceArena<MemorySpace>& arena, const std::string& name, index_type n, step_type burn_in,
                  double dt, double burst_isi = 10, std::int32_t burst_min = 3)
      : total(arena.template zeros<decltype(total)>("cbgtc::" + name + "::spikes_total", n)),
        counted(arena.template zeros<decltype(counted)>("cbgtc::" + name + "::spikes_counted", n)),
        last_ms(arena.template zeros<decltype(last_ms)>("cbgtc::" + name + "::last_spike_ms", n)),
        isi_mean(arena.template zeros<decltype(isi_mean)>("cbgtc::" + name + "::isi_mean", n)),
        isi_m2(arena.template zeros<decltype(isi_m2)>("cbgtc::" + name + "::isi_m2", n)),
        run(arena.template zeros<decltype(run)>("cbgtc::" + name + "::burst_run", n)),
        in_burst(arena.template zeros<decltype(in_burst)>("cbgtc::" + name + "::spikes_in_bursts", n)),
        burn_in_steps(burn_in),
        dt_ms(dt),
        burst_isi_ms(burst_isi),
        burst_min_spikes(burst_min) {
    Kokkos::deep_copy(last_ms, -1.0);
  }

  /// Local neuron i spiked in step k (timestamp k·dt).
  KOKKOS_INLINE_FUNCTION void record(index_type i, step_type k) const {
    ++total(i);
    if (k < burn_in_steps || k >= end_steps) return;
    const std::int64_t n = ++counted(i) - 1;
    const double t = static_cast<double>(k) * dt_ms;
    bool short_interval = false;
    if (last_ms(i) >= 0) {
      const double isi = t - last_ms(i);
      const double delta = isi - isi_mean(i);
      isi_mean(i) += delta / static_cast<double>(n);
      isi_m2(i) += delta * (isi - isi_mean(i));
      // (An interval equal to the limit counts, whatever its rounding.)
      short_interval = isi <= burst_isi_ms + 1e-9 * dt_ms;
    }
    last_ms(i) = t;
    if (pulse_bins.extent(0) > 0 && t >= pulse_start_ms && t < pulse_stop_ms) {
      const double since = t - pulse_start_ms;
      const double pulse = math::floor(since / pulse_period_ms);
      const double latency = since - pulse * pulse_period_ms;
      const std::int64_t last = pulse_bin_count - 1;
      // Spike times are on the step grid and bin edges often too: an edge
      // belongs to the bin it starts, whatever the rounding of `latency`.
      auto bin = static_cast<std::int64_t>(latency / pulse_bin_ms + 1e-9);
      bin = bin < 0 ? 0 : bin > last ? last : bin;
      const std::int64_t block = (static_cast<std::int64_t>(pulse) / pulse_block_pulses) % pulse_blocks;
      Kokkos::atomic_add(&pulse_bins(block * pulse_bin_count + bin), std::int64_t(1));
    }
    if (relay.extent(0) > 0) relayResponse(i, t);
    if (train.extent(0) > 0) keepInTrain(i, k);
    // The run's first burst_min_spikes spikes join a burst together, once
    // the run is long enough; later ones one by one.
    const std::int32_t length = short_interval ? ++run(i) : (run(i) = 1);
    if (length == burst_min_spikes)
      in_burst(i) += burst_min_spikes;
    else if (length > burst_min_spikes)
      ++in_burst(i);
  }

  /// Column c of relay (RelayColumn): a View of its own.
  auto relayColumn(RelayColumn c) const { return Kokkos::subview(relay, Kokkos::ALL, int(c)); }

  /// Local neuron i's row of `train`, or −1 when it is not kept.
  KOKKOS_INLINE_FUNCTION std::int64_t trainRow(index_type i) const {
    const std::int64_t u = static_cast<std::int64_t>(i) - train_phase;
    if (u < 0 || u % train_stride != 0) return -1;
    const std::int64_t row = u / train_stride;
    return row < static_cast<std::int64_t>(train.extent(0)) ? row : -1;
  }

  /// Spikes a row of `train` has room for.
  KOKKOS_INLINE_FUNCTION std::int64_t trainCapacity() const {
    return static_cast<std::int64_t>(train.extent(1)) - 1;
  }

  /// The kept trains on the host, with every row's steps up to the most
  /// that any row holds, so that the mostly empty end of a long run's
  /// buffer stays where it is. (Mirrors: on a CPU they are no copies.)
  Kokkos::View<step_type**, Kokkos::LayoutLeft, Kokkos::HostSpace> hostTrains() const {
    const auto count =
        Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), Kokkos::subview(train, Kokkos::ALL, 0));
    std::int64_t held = 0;
    for (std::size_t row = 0; row < count.extent(0); ++row)
      held = std::max(held, std::min(count(row), trainCapacity()));
    return Kokkos::create_mirror_view_and_copy(
        Kokkos::HostSpace(),
        Kokkos::subview(train, Kokkos::ALL, std::pair<std::int64_t, std::int64_t>(0, held + 1)));
  }

  /// Keeps neuron i's spike of step k in its train, if it has one.
  KOKKOS_INLINE_FUNCTION void keepInTrain(index_type i, step_type k) const {
    const std::int64_t row = trainRow(i);
    if (row < 0) return;
    const step_type c = train(row, 0)++;
    if (c < trainCapacity()) train(row, c + 1) = k;
  }

  /// Classifies neuron i's spike at t against the relay pulses.
  KOKKOS_INLINE_FUNCTION void relayResponse(index_type i, double t) const {
    const auto pulses = static_cast<std::int64_t>(relay_onsets.extent(0));
    // The last onset at or before t.
    const std::int64_t m = firstAtOrAfter(relay_onsets.data(), pulses, t + 1e-9 * dt_ms) - 1;
    if (m < 0) return;
    const double onset = relay_onsets(m);
    if (onset < relay_from_ms || onset + relay_window_ms > relay_to_ms) return;
    const double gap = m + 1 < pulses ? relay_onsets(m + 1) - onset : relay_to_ms - onset;
    const double window = relay_window_ms < gap ? relay_window_ms : gap;
    if (t - onset >= window) {
      ++relay(i, relay_spurious);
    } else if (relay(i, relay_pulse) != m) {
      relay(i, relay_pulse) = m;
      relay_in_window(i) = 1;
      ++relay(i, relay_answered);
    } else if (relay_in_window(i)++ == 1) {
      ++relay(i, relay_bursts);
    }
  }
};

/// What a population's update leaves behind besides its state, for steps
/// [k0, k1) of one launch.
template <class MemorySpace>
struct StepRecording {
  SpikeBuffer<MemorySpace> spikes;  // (step, global index) of every spike
  SpikeStatistics<MemorySpace> stats;  // empty: not kept

  // LFP proxy: each neuron's Σ|I_syn| averaged over the steps of a sample
  // (k − lfp_every, k] for the steps k with k % lfp_every == 0 (only step 0
  // for k = 0), into lfp(k / lfp_every − lfp_first_sample, i): point
  // samples would alias the harmonics of fast (e.g. DBS-paced) spiking into
  // the beta band (docs/model.md §7.2). lfp_partial(i) carries the sum of a
  // sample's steps from one launch to the next. Empty: not recorded.
  Kokkos::View<real_type**, Kokkos::LayoutRight, MemorySpace> lfp;
  Kokkos::View<real_type*, MemorySpace> lfp_partial;
  // The membrane potential at the same samples, for the synchrony measure
  // (docs/model.md §7.8). Empty: not kept.
  Kokkos::View<real_type**, Kokkos::LayoutRight, MemorySpace> lfp_v;
  step_type lfp_every = 1;
  step_type lfp_first_sample = 0;

  // Recording probes of this population (record_probe.hpp). Empty: none.
  Kokkos::View<const RecordProbe*, MemorySpace> probes;

  /// A sampling schedule, counted down step by step rather than found by a
  /// 64-bit modulo each step (hundreds of cycles on a GPU).
  struct Clock {
    step_type wait = 0;     // steps until the next sample
    std::int64_t row = 0;   // its row
    step_type every = 1;
    /// The row of this step's sample, or −1; then on to the next step.
    KOKKOS_INLINE_FUNCTION std::int64_t tick() {
      std::int64_t due = -1;
      if (wait == 0) {
        due = row++;
        wait = every;
      }
      --wait;
      return due;
    }
  };

  /// For a launch from step k0: LFP samples end in the steps k with
  /// k % lfp_every == 0 ...
  KOKKOS_INLINE_FUNCTION Clock lfpClock(step_type k0) const {
    return Clock{(lfp_every - k0 % lfp_every) % lfp_every, (k0 + lfp_every - 1) / lfp_every - lfp_first_sample,
                 lfp_every};
  }
  /// The mean of a sample's summed steps: lfp_every of them, except for
  /// the first sample (step 0 alone).
  KOKKOS_INLINE_FUNCTION real_type lfpMean(real_type sum, step_type k) const {
    return sum / static_cast<real_type>(k >= lfp_every ? lfp_every : k + 1);
  }
  /// Local neuron i (global index `global`) spiked in step k.
  KOKKOS_INLINE_FUNCTION void spiked(index_type i, index_type global, step_type k) const {
    spikes.push(k, i, global);
    if (stats.total.extent(0) > 0) stats.record(i, k);
  }

  /// Once per launch, the membrane potential after its last step k: a
  /// numerical blow-up reaches V within steps, as NaN, ±inf or a finite
  /// value no model reaches (|V| > diverged_V_mV; NaN fails the comparison).
  KOKKOS_INLINE_FUNCTION void checkFinite(real_type V, step_type k) const {
    if (!(V <= real_type(diverged_V_mV) && V >= -real_type(diverged_V_mV))) spikes.flagNonFinite(k);
  }

  /// Whether a probe records local neuron i.
  KOKKOS_INLINE_FUNCTION bool recorded(index_type i) const {
    bool any = false;
    for (std::size_t q = 0; q < probes.extent(0); ++q) any = any || probes(q).column[i] >= 0;
    return any;
  }

  /// The samples of local neuron i at the start of step k (before it), for
  /// the probes due in step k: its state x and its drive's values (`local`:
  /// the drive a thread holds in registers, or null: all in memory).
  template <class Model, class Drive>
  KOKKOS_INLINE_FUNCTION void sample(index_type i, step_type k, const typename Model::State& x, const Drive& drive,
                                     const typename Drive::Local* local) const {
    for (std::size_t q = 0; q < probes.extent(0); ++q) {
      const RecordProbe& probe = probes(q);
      const std::int32_t c = probe.column[i];
      if (c < 0 || k % probe.every != 0) continue;
      for (std::int32_t v = 0; v < probe.n_variables; ++v) {
        const RecordedVariable what = probe.variables[v];
        real_type value = 0;
        switch (what.kind) {
          case RecordedKind::State: value = Model::stateValue(x, what.index); break;
          case RecordedKind::Conductance: value = drive.conductanceAt(i, what.index, k, local); break;
          case RecordedKind::SynapticCurrent: value = drive.synapticCurrentAt(i, k, x.V, local); break;
          case RecordedKind::NoiseCurrent: value = drive.noiseAt(i, local); break;
          case RecordedKind::StimulusCurrent:
            value = drive.stimuli.extent(0) > 0 ? drive.stimulusCurrent(i, k) : real_type(0);
            break;
          case RecordedKind::BiasCurrent: value = drive.biasAt(i, local); break;
          case RecordedKind::InputCurrent: {
            real_type I = drive.synapticCurrentAt(i, k, x.V, local);
            if (drive.stimuli.extent(0) > 0) I += drive.stimulusCurrent(i, k);
            if (drive.bias.extent(0) > 0) I += drive.biasAt(i, local);
            value = I + drive.noiseAt(i, local);
            break;
          }
        }
        probe.at(k, v, c) = static_cast<float>(value);
      }
    }
  }
};

/// Whether a model's step has work to do only after a spike
/// (`afterSpike(State&, k)`, e.g. a source's next draw): the steppers call
/// it for the neurons that spiked, outside the CPU's vector loop.
template <class Step, class State, class = void>
struct HasAfterSpike : std::false_type {};
template <class Step, class State>
struct HasAfterSpike<
    Step, State,
    std::void_t<decltype(std::declval<const Step&>().afterSpike(std::declval<State&>(), step_type{}))>>
    : std::true_type {};

/// One population's part of a launch: advances neuron i through steps
/// [k0, k1), keeping its state and drive in registers for the whole range
/// and reading its arrivals from the ring slot of each step. Valid when no
/// spike emitted in [k0, k1) can arrive before k1, i.e. k1 − k0 is at most
/// the smallest delay (the exchange epoch); k1 = k0 + 1 is the per-step
/// mode. `advance(state, I, k)` is the model's step, or
/// `advance(state, I, G_syn, k)` for a model with implicit_synapses.
template <class Population, class Advance>
struct PopulationStepper {
  using memory_space = typename Population::memory_space;
  using model = typename Population::model;
  using Step = Advance;  // the model's step (FusedSlots reads its fused_slots)
  static constexpr bool implicit_synapses = ImplicitSynapses<Advance>::value;
  static constexpr bool after_spike = HasAfterSpike<Advance, typename model::State>::value;
  Population pop;
  PopulationDrive<memory_space> drive;
  StepRecording<memory_space> rec;
  Advance advance;

  index_type size() const { return pop.size(); }

  KOKKOS_INLINE_FUNCTION void operator()(index_type i, step_type k0, step_type k1) const {
    advanceGroup(i, LaneGroup<1>{}, k0, k1);
  }

  /// The same with a group of L GPU lanes for neuron i (lane_group.hpp):
  /// each lane computes the same state, and only the leader writes.
  template <int L>
  KOKKOS_INLINE_FUNCTION void advanceGroup(index_type i, const LaneGroup<L>& group, step_type k0,
                                           step_type k1) const {
    const bool leader = group.leader();
    const bool lfp_on = rec.lfp.extent(0) > 0 && leader;
    const bool v_on = rec.lfp_v.extent(0) > 0 && leader;
    const bool recorded = leader && rec.probes.extent(0) > 0 && rec.recorded(i);
    auto lfp = rec.lfpClock(k0);
    real_type lfp_sum = lfp_on ? rec.lfp_partial(i) : real_type(0);
    auto x = pop.load(i);
    auto input = drive.load(i, k0);
    for (step_type k = k0; k < k1; ++k) {
      if (recorded) rec.template sample<model>(i, k, x, drive, &input);
      real_type abs_syn = 0, G_syn = 0;
      const real_type I = drive.inputCurrent(i, k, k1, x.V, abs_syn, G_syn, input, group);
      if (lfp_on) {
        lfp_sum += abs_syn;
        const std::int64_t row = lfp.tick();
        if (row >= 0) {
          rec.lfp(row, i) = rec.lfpMean(lfp_sum, k);
          lfp_sum = 0;
          if (v_on) rec.lfp_v(row, i) = x.V;
        }
      }
      bool fired;
      if constexpr (implicit_synapses)
        fired = advance(x, I, G_syn, k, group);
      else
        fired = advance(x, I, k, group);
      if constexpr (after_spike)
        if (fired) advance.afterSpike(x, k);
      if (leader) {
        if (fired) {
          rec.spiked(i, drive.first_global + i, k);
        } else if (drive.axonal && drive.axonalSpike(i, k)) {
          rec.spikes.pushAxonal(k, i, drive.first_global + i);
        }
      }
    }
    if (leader) {
      pop.store(i, x);
      drive.store(i, input);
      if (lfp_on) rec.lfp_partial(i) = lfp_sum;
      if (k1 > k0) rec.checkFinite(x.V, k1 - 1);
    }
  }

  /// CPU backends: the chunk of lanes_per_chunk neurons from i0 (fewer at
  /// the population's end) through steps [k0, k1). A whole chunk takes
  /// advanceLanes' path with a constant lane count, and so does most of the
  /// population's last chunk, as chunks of 8 and 4 lanes: GCC runs a loop of
  /// a run-time count below a vector's lanes as scalar code
  /// (docs/performance.md, "The last chunk"). The last 1–3 lanes take the
  /// general path. A neuron's bits do not depend on its chunk.
  void advanceChunk(index_type i0, step_type k0, step_type k1) const {
    constexpr int W = lanes_per_chunk;
    const index_type n = size();
    if (n - i0 >= W) {
      advanceLanes<W, true>(i0, W, k0, k1);
      return;
    }
    if (n - i0 >= 8) {
      advanceLanes<8, true>(i0, 8, k0, k1);
      i0 += 8;
    }
    if (n - i0 >= 4) {
      advanceLanes<4, true>(i0, 4, k0, k1);
      i0 += 4;
    }
    if (n > i0) advanceLanes<W>(i0, n - i0, k0, k1);
  }

  /// CPU backends: neurons [i0, i0 + lanes) (lanes = chunk_lanes ≤ W)
  /// through steps [k0, k1), the same arithmetic as operator() with each
  /// step's lanes in loops the compiler vectorises. The state stays in the
  /// Views, which for one chunk are in L1; spikes, LFP and report samples are
  /// taken after each step's vector loops. Full: a whole chunk (lanes = W),
  /// whose loops then have a constant trip count, fully vectorised with no
  /// remainder handling.
  template <int W, bool Full = false>
  void advanceLanes(index_type i0, int chunk_lanes, step_type k0, step_type k1) const {
    const int lanes = Full ? W : chunk_lanes;
    const bool lfp_on = rec.lfp.extent(0) > 0;
    const bool v_on = rec.lfp_v.extent(0) > 0;
    bool recorded = false;
    if (rec.probes.extent(0) > 0)
      for (int l = 0; l < lanes; ++l) recorded = recorded || rec.recorded(i0 + l);
    auto lfp = rec.lfpClock(k0);
    real_type V[W], I[W], abs_syn[W], G_syn[W], lfp_sum[W] = {};
    if (lfp_on)
      for (int l = 0; l < lanes; ++l) lfp_sum[l] = rec.lfp_partial(i0 + l);
    // 64-bit flags: a bool array would make the compiler size the vectors
    // for bytes (16 lanes in 16 bytes) and split the doubles into SSE pairs.
    std::int64_t spiked[W];
    double z[4][W] = {};
    // Local copies: their Views' data pointers are then loop invariants the
    // compiler can keep in registers (a pointer reloaded in a loop stops
    // its vectorisation).
    const Population pop = this->pop;
    const Advance advance = this->advance;
    for (step_type k = k0; k < k1; ++k) {
      if (recorded)
        for (int l = 0; l < lanes; ++l)
          rec.template sample<model>(i0 + l, k, pop.load(i0 + l), drive, nullptr);
      CBGTC_SIMD_LOOP
      for (int l = 0; l < lanes; ++l) V[l] = pop.load(i0 + l).V;
      drive.template inputCurrents<W, Full>(i0, lanes, k, k == k0 || (k & 3) == 0, V, I, abs_syn,
                                            implicit_synapses ? G_syn : nullptr, z);
      if (lfp_on) {
        CBGTC_SIMD_LOOP
        for (int l = 0; l < lanes; ++l) lfp_sum[l] += abs_syn[l];
        const std::int64_t row = lfp.tick();
        if (row >= 0) {
          for (int l = 0; l < lanes; ++l) {
            rec.lfp(row, i0 + l) = rec.lfpMean(lfp_sum[l], k);
            lfp_sum[l] = 0;
          }
          if (v_on)
            for (int l = 0; l < lanes; ++l) rec.lfp_v(row, i0 + l) = V[l];
        }
      }
      CBGTC_SIMD_LOOP
      for (int l = 0; l < lanes; ++l) {
        auto x = pop.load(i0 + l);
        if constexpr (implicit_synapses)
          spiked[l] = advance(x, I[l], G_syn[l], k) ? 1 : 0;
        else
          spiked[l] = advance(x, I[l], k) ? 1 : 0;
        pop.store(i0 + l, x);
      }
      // Most steps no lane spikes: one vector reduction then skips the
      // scalar pass over the lanes.
      std::int64_t any = 0;
      for (int l = 0; l < lanes; ++l) any |= spiked[l];
      if (any == 0 && !drive.axonal) continue;
      for (int l = 0; l < lanes; ++l)
        if (spiked[l] != 0) {
          if constexpr (after_spike) {
            auto x = pop.load(i0 + l);
            advance.afterSpike(x, k);
            pop.store(i0 + l, x);
          }
          rec.spiked(i0 + l, drive.first_global + i0 + l, k);
        } else if (drive.axonal && drive.axonalSpike(i0 + l, k)) {
          rec.spikes.pushAxonal(k, i0 + l, drive.first_global + i0 + l);
        }
    }
    if (lfp_on)
      for (int l = 0; l < lanes; ++l) rec.lfp_partial(i0 + l) = lfp_sum[l];
    if (k1 > k0)
      for (int l = 0; l < lanes; ++l) rec.checkFinite(pop.load(i0 + l).V, k1 - 1);
  }
};

template <class Population, class Advance>
PopulationStepper<Population, Advance> stepper(const Population& pop,
                                               const PopulationDrive<typename Population::memory_space>& drive,
                                               const StepRecording<typename Population::memory_space>& rec,
                                               const Advance& advance) {
  return {pop, drive, rec, advance};
}

/// The stepper of a population of `Model` in MemorySpace.
template <class Model, class MemorySpace = cbgtc::MemorySpace>
using StepperOf = PopulationStepper<typename Model::template Storage<MemorySpace>, typename Model::Step>;

/// Steps [k0, k1) of one population in one launch.
/// On GPUs a thread per neuron; on CPU backends a chunk of lanes_per_chunk
/// neurons per work item, advanced in vector loops (advanceLanes).
template <class ExecutionSpace, class Stepper>
void advancePopulation(const ExecutionSpace& space, const char* label, const Stepper& population, step_type k0,
                       step_type k1) {
  constexpr bool host = Kokkos::SpaceAccessibility<ExecutionSpace, Kokkos::HostSpace>::accessible;
  if constexpr (host) {
    constexpr int W = lanes_per_chunk;
    const index_type n = population.size();
    Kokkos::parallel_for(label, Kokkos::RangePolicy<ExecutionSpace>(space, 0, (n + W - 1) / W),
                         [=](const index_type chunk) {
                           const index_type i0 = chunk * W;
                           population.advanceChunk(i0, k0, k1);
                         });
  } else {
    Kokkos::parallel_for(
        label, lightweight(Kokkos::RangePolicy<ExecutionSpace>(space, 0, population.size())),
        KOKKOS_LAMBDA(const index_type i) { population(i, k0, k1); });
  }
}

/// Populations of a model that one fused GPU launch takes: the launch's
/// functor holds their steppers by value, and all of them must fit in a
/// kernel argument (4 KB). A model's step asks for slots
/// (`static constexpr int fused_slots`), e.g. two for the AdEx model, of
/// which the default network has two populations; without it, none: its
/// populations are launched on their own, and a new model cannot push the
/// fused launch past the argument limit.
template <class Stepper, class = void>
struct FusedSlots {
  static constexpr int value = 0;
};
template <class Stepper>
struct FusedSlots<Stepper, std::void_t<decltype(Stepper::Step::fused_slots)>> {
  static constexpr int value = Stepper::Step::fused_slots;
};

/// Up to FusedSlots populations of each of the stepper types S...,
/// each on its own range of threads, padded to whole blocks: a fused
/// launch's range table.
template <class... S>
struct FusedSteppers;

template <>
struct FusedSteppers<> {
  index_type end = 0;  // of the last model's ranges: the launch's threads
  index_type launchThreads() const { return end; }
  template <int L>
  KOKKOS_INLINE_FUNCTION void advance(index_type, step_type, step_type) const {}
};

template <class S, class... Rest>
struct FusedSteppersWith;

/// A model without fused slots holds nothing: the table of the others.
template <class S, class... Rest>
struct FusedSteppers<S, Rest...>
    : std::conditional_t<(FusedSlots<S>::value > 0), FusedSteppersWith<S, Rest...>, FusedSteppers<Rest...>> {};

template <class S, class... Rest>
struct FusedSteppersWith {
  static constexpr int slots = FusedSlots<S>::value;
  S pops[slots];
  index_type begin[slots] = {};
  index_type threads[slots] = {};  // neurons × lanes
  int count = 0;
  index_type end = 0;  // of this model's ranges
  FusedSteppers<Rest...> rest;

  /// Threads of the launch: up to the end of the last model's ranges (not
  /// this model's `end`, which would leave the later models unadvanced).
  index_type launchThreads() const { return rest.launchThreads(); }

  /// Thread t of the launch: lane t % L of neuron t / L of the population
  /// whose range holds t. The populations are visited with compile-time
  /// indices, so their steppers stay kernel parameters.
  template <int L>
  KOKKOS_INLINE_FUNCTION void advance(index_type t, step_type k0, step_type k1) const {
    if (t >= end) {
      rest.template advance<L>(t, k0, k1);
      return;
    }
    visit<L>(t, k0, k1, std::make_integer_sequence<int, slots>{});
  }

 private:
  template <int L, int... p>
  KOKKOS_INLINE_FUNCTION void visit(index_type t, step_type k0, step_type k1,
                                    std::integer_sequence<int, p...>) const {
    (visitOne<L, p>(t, k0, k1), ...);
  }
  template <int L, int p>
  KOKKOS_INLINE_FUNCTION void visitOne(index_type t, step_type k0, step_type k1) const {
    if (p >= count) return;
    const index_type u = t - begin[p];
    if (u >= 0 && u < threads[p])
      pops[p].advanceGroup(u >> LaneGroup<L>::log2_size, LaneGroup<L>{static_cast<int>(u & (L - 1))}, k0, k1);
  }
};

/// The most bytes a fused launch's steppers may take: light-weight launches
/// pass the functor as a kernel argument only up to 4 KB (kokkos_compat.hpp);
/// beyond, Kokkos copies it to global memory before every launch.
/// src/population.hpp checks the registry's table against it on every backend.
inline constexpr std::size_t fused_argument_bytes = 4000;

/// On a GPU, steps [k0, k1) of the populations of `table` in one launch with
/// L lanes per neuron, each population on its own warps (ranges padded to
/// 64 threads), so that the populations' latencies overlap instead of
/// adding up: small networks are latency-bound.
template <int L, class ExecutionSpace, class Table>
void advanceFused(const ExecutionSpace& space, step_type k0, step_type k1, const Table& table) {
  constexpr index_type warp_multiple = 64;
  // Blocks of 64 threads: a small network's few warps spread over many
  // multiprocessors instead of sharing a few, and the compiler may give
  // each thread all the registers this long kernel wants.
  using Policy = Kokkos::RangePolicy<ExecutionSpace, Kokkos::LaunchBounds<warp_multiple, 1>>;
  static_assert(sizeof(Table) <= fused_argument_bytes,
                "a fused launch's steppers exceed a kernel argument: lower a fused_slots");
  Kokkos::parallel_for(
      "cbgtc::Network::advance", lightweight(Policy(space, 0, table.launchThreads())),
      KOKKOS_LAMBDA(const index_type t) { table.template advance<L>(t, k0, k1); });
}

/// Lays out the ranges of a fused launch: chunk `chunk` (FusedSlots
/// populations) of each model's list, with L lanes per neuron.
template <int L, class... S>
struct FusedLayout {
  static constexpr index_type warp_multiple = 64;
  static index_type padded(index_type n) { return (n * L + warp_multiple - 1) / warp_multiple * warp_multiple; }

  static FusedSteppers<> make(std::size_t, index_type begin) {
    FusedSteppers<> t;
    t.end = begin;
    return t;
  }
  template <class T, class... Rest>
  static FusedSteppers<T, Rest...> make(std::size_t chunk, index_type begin, const std::vector<T>& list,
                                        const std::vector<Rest>&... rest) {
    FusedSteppers<T, Rest...> t;
    constexpr int slots = FusedSlots<T>::value;
    if constexpr (slots == 0) {
      static_cast<FusedSteppers<Rest...>&>(t) = make(chunk, begin, rest...);
      return t;
    } else {
    for (std::size_t q = chunk * slots; q < list.size() && t.count < slots; ++q) {
      t.pops[t.count] = list[q];
      t.begin[t.count] = begin;
      t.threads[t.count] = list[q].size() * L;
      begin += padded(list[q].size());
      ++t.count;
    }
    t.end = begin;
    t.rest = make(chunk, begin, rest...);
    return t;
    }
  }
};

/// Fused GPU launches that the populations of the lists take: each takes
/// up to FusedSlots populations of every model with fused slots.
template <class... S>
std::size_t fusedLaunches(const std::vector<S>&... lists) {
  std::size_t chunks = 0;
  auto count = [&](const auto& list) {
    using T = typename std::decay_t<decltype(list)>::value_type;
    constexpr std::size_t slots = FusedSlots<T>::value;
    if constexpr (slots > 0) chunks = std::max(chunks, (list.size() + slots - 1) / slots);
  };
  (count(lists), ...);
  return chunks;
}

/// Steps [k0, k1) of every population, given per model the list of their
/// steppers. On a GPU in fused launches (advanceFused) of up to
/// FusedSlots populations per model, with `lanes` lanes per neuron
/// (1, 2, 4 or 8). On CPU backends in one launch of one part per thread,
/// one lane per neuron: thread t advances its share of every population's
/// chunks in turn (chunkPartBegin, which the delivery's parts share), then
/// helps with the other threads' remaining chunks (ChunkClaims). Every
/// population's share balances the threads' load (an STN step costs more
/// than an AdEx step); and with one launch for all populations the threads
/// wait for each other once an epoch, not once per population.
template <class ExecutionSpace, class... S>
void advancePopulations(const ExecutionSpace& space, step_type k0, step_type k1, int lanes,
                        const std::vector<S>&... lists) {
  constexpr bool host = Kokkos::SpaceAccessibility<ExecutionSpace, Kokkos::HostSpace>::accessible;
  if constexpr (host) {
    (void)lanes;
    const int parts = space.concurrency();
    if (parts == 1) {
      Kokkos::parallel_for("cbgtc::Population::advance", Kokkos::RangePolicy<ExecutionSpace>(space, 0, 1),
                           [&](int) {
                             auto each = [&](const auto& list) {
                               for (const auto& population : list)
                                 for (index_type i0 = 0; i0 < population.size(); i0 += lanes_per_chunk)
                                   population.advanceChunk(i0, k0, k1);
                             };
                             (each(lists), ...);
                           });
      return;
    }
    // Allocated per launch (an epoch, or a step without epoch batching): a
    // few hundred bytes, against the step of every neuron.
    std::vector<index_type> sizes;
    auto size = [&](const auto& list) {
      for (const auto& population : list) sizes.push_back(population.size());
    };
    (size(lists), ...);
    ChunkClaims claims(sizes, parts);
    Kokkos::parallel_for("cbgtc::Population::advance", Kokkos::RangePolicy<ExecutionSpace>(space, 0, parts),
                         [&](const int part) {
                           ChunkClaims::Chunk chunk;
                           while (claims.claim(part, chunk)) {
                             // Population chunk.population of the lists, in order.
                             std::size_t first = 0;
                             auto advance = [&](const auto& list) {
                               if (chunk.population >= first && chunk.population - first < list.size())
                                 list[chunk.population - first].advanceChunk(chunk.first, k0, k1);
                               first += list.size();
                             };
                             (advance(lists), ...);
                           }
                         });
  } else {
    // Models without fused slots: a launch per population.
    auto alone = [&](const auto& list) {
      using T = typename std::decay_t<decltype(list)>::value_type;
      if constexpr (FusedSlots<T>::value == 0)
        for (const auto& population : list) advancePopulation(space, "cbgtc::Population::advance", population, k0, k1);
    };
    (alone(lists), ...);
    const std::size_t chunks = fusedLaunches(lists...);
    for (std::size_t c = 0; c < chunks; ++c) {
      if (lanes == 8) {
        advanceFused<8>(space, k0, k1, FusedLayout<8>::make(c, 0, lists...));
      } else if (lanes == 4) {
        advanceFused<4>(space, k0, k1, FusedLayout<4>::make(c, 0, lists...));
      } else if (lanes == 2) {
        advanceFused<2>(space, k0, k1, FusedLayout<2>::make(c, 0, lists...));
      } else {
        advanceFused<1>(space, k0, k1, FusedLayout<1>::make(c, 0, lists...));
      }
    }
  }
}

/// Lanes per neuron for a GPU launch of `neurons` neurons (setting 0 =
/// auto): the most of 8 or 4 for which lanes·neurons fit in an eighth of
/// the device's resident threads, where the launch is latency-bound and
/// idle lanes are free; beyond, every lane is busy and the lanes' repeated
/// work would cost, so 1 (docs/performance.md, "Several lanes per neuron").
template <class ExecutionSpace>
int chooseLanesPerNeuron(std::int64_t setting, std::int64_t neurons) {
  if (Kokkos::SpaceAccessibility<ExecutionSpace, Kokkos::HostSpace>::accessible) return 1;
#if !defined(KOKKOS_ENABLE_CUDA) && !defined(KOKKOS_ENABLE_HIP)
  // A lane group exchanges values by CUDA's and HIP's warp shuffles
  // (LaneGroup::fromLane): another device backend has none.
  return 1;
#endif
  if (setting > 0) return static_cast<int>(setting);
  const std::int64_t idle = ExecutionSpace().concurrency() / 8;
  return 8 * neurons <= idle ? 8 : 4 * neurons <= idle ? 4 : 1;
}

/// One step of every neuron of a population, recording spikes only.
template <class Model, class ExecutionSpace, class Storage, class MemorySpace>
void advanceOneStep(const ExecutionSpace& space, const Storage& pop, const typename Model::Step& step,
                    step_type k, const PopulationDrive<MemorySpace>& drive, const SpikeBuffer<MemorySpace>& spikes) {
  StepRecording<MemorySpace> rec;
  rec.spikes = spikes;
  advancePopulation(space, "cbgtc::Population::advance", stepper(pop, drive, rec, step), k, k + 1);
}

/// Start every neuron's OU process from its stationary distribution.
template <class ExecutionSpace, class MemorySpace>
void initializeNoise(const ExecutionSpace& space, const PopulationDrive<MemorySpace>& drive) {
  Kokkos::parallel_for(
      "cbgtc::Noise::initialize", Kokkos::RangePolicy<ExecutionSpace>(space, 0, drive.ou.extent(0)),
      KOKKOS_LAMBDA(const index_type i) {
        drive.ou(i) = ouInitial(drive.noise, drive.seed, drive.key, drive.first_global + i);
      });
}

}  // namespace cbgtc
