#pragma once
// Everything that drives one population (the block of it this rank owns)
// from outside in a step: synaptic conductances and the OU background
// current.

#include <type_traits>

#include "kernels/ou_noise.hpp"
#include "kernels/stimulus.hpp"
#include "kernels/synapse.hpp"

namespace cbgtc {

template <class MemorySpace>
struct PopulationDrive {
  SynapticInputs<MemorySpace> synapses;
  OuParams noise;
  Kokkos::View<real_type*, MemorySpace> ou;            // x_k per neuron (empty when noise is off)
  std::uint64_t seed = 0;
  std::uint32_t key = 0;                               // the population's random key (rng::streamKey)
  index_type first_global = 0;                         // global index of local neuron 0
  Kokkos::View<const real_type*, MemorySpace> bias;    // per-neuron constant current (empty: none)
  Kokkos::View<const Stimulus*, MemorySpace> stimuli;  // current stimuli of this population (usually none)
  double dt_ms = 0;                                    // for the stimuli's step means
  bool axonal = false;                                 // some stimulus is Axonal

  /// What a thread keeps in registers while it advances neuron i through
  /// the steps of one launch: conductances, OU value, the noise block, the
  /// ring slot of the current step (advanced by one each step: a 64-bit
  /// modulo per input and step cost hundreds of GPU cycles), and the arrivals
  /// of the current step, loaded one step ahead so that their memory latency
  /// hides behind a step of arithmetic. The loops over these inputs run to
  /// the fixed capacity, a constant the compiler unrolls, so the arrays can
  /// stay in registers; inputs beyond it are stepped in memory.
  struct Local {
    real_type g[register_inputs];
    std::int64_t arrived[register_inputs];
    std::int32_t slot[register_inputs];
    real_type ou = 0;
    real_type bias = 0;
    NoiseCache noise;
  };

  /// Neuron i's drive before step k.
  KOKKOS_INLINE_FUNCTION Local load(index_type i, step_type k) const {
    Local x;
    for (int p = 0; p < register_inputs; ++p) {
      if (p < synapses.count) {
        const ConductanceInput& in = synapses.input[p];
        x.g[p] = in.g[i];
        x.slot[p] = static_cast<std::int32_t>(k % in.n_slots);
        x.arrived[p] = in.arrivalsAt(x.slot[p], k, i);
      }
    }
    if (noise.active) x.ou = ou(i);
    if (bias.extent(0) > 0) x.bias = bias(i);
    return x;
  }

  KOKKOS_INLINE_FUNCTION void store(index_type i, const Local& x) const {
    for (int p = 0; p < register_inputs; ++p)
      if (p < synapses.count) synapses.input[p].g[i] = x.g[p];
    if (noise.active) ou(i) = x.ou;
  }

  /// Net input current of neuron i in step k (positive depolarising): OU
  /// noise x_k plus the stimuli's and the bias current minus the synaptic current
  /// Σ g_k·(V_k − E) at V_k. Consumes
  /// (and zeroes) the arrivals of step k, loads those of step k + 1 when
  /// k + 1 < k_end (later ones may still be delivered), and advances the
  /// OU process; abs_syn receives Σ|I_syn| (the neuron's LFP proxy share)
  /// and G_syn Σ g_k, the synaptic conductance the current was computed
  /// with (for a model that integrates it implicitly, model.hpp).
  /// With a group of L lanes for neuron i, every lane gets the same result,
  /// and only the leader writes.
  template <int L = 1>
  KOKKOS_INLINE_FUNCTION real_type inputCurrent(index_type i, step_type k, step_type k_end, real_type V,
                                                real_type& abs_syn, real_type& G_syn, Local& x,
                                                const LaneGroup<L>& group = LaneGroup<L>{}) const {
    real_type total = 0;
    abs_syn = 0;
    G_syn = 0;
    // Every lane has read this step's arrivals (a step ago) before the
    // leader zeroes them.
    group.sync();
    for (int p = 0; p < register_inputs; ++p) {
      if (p < synapses.count) {
        const ConductanceInput& in = synapses.input[p];
        const std::int64_t arrived = x.arrived[p];
        const std::int32_t slot = x.slot[p];
        const std::int32_t next = slot + 1 == in.n_slots ? 0 : slot + 1;
        if (arrived != 0 && group.leader()) in.arrivals(slot, i) = 0;
        if (k + 1 < k_end) x.arrived[p] = in.arrivalsAt(next, k + 1, i);
        x.slot[p] = next;
        G_syn += addSynapticCurrent(x.g[p], arrived, in.decay, in.E_rev, V, total, abs_syn);
      }
    }
    for (int p = register_inputs; p < synapses.count; ++p) {
      const ConductanceInput& in = synapses[p];
      const std::int64_t slot = k % in.n_slots;
      const std::int64_t arrived = in.arrivalsAt(slot, k, i);
      real_type g = in.g[i];
      group.sync();
      G_syn += addSynapticCurrent(g, arrived, in.decay, in.E_rev, V, total, abs_syn);
      if (group.leader()) {
        if (arrived != 0) in.arrivals(slot, i) = 0;
        in.g[i] = g;
      }
    }
    real_type I = -total;
    if (stimuli.extent(0) > 0) I += stimulusCurrent(i, k);
    if (bias.extent(0) > 0) I += x.bias;
    if (noise.active) {
      I += x.ou;
      x.ou = ouAdvance(x.ou, noise, seed, key, first_global + i, k, x.noise, group);
    }
    return I;
  }

  /// Neuron i's conductance g_k of input p at the start of step k (before
  /// the step consumes its arrivals). The first register_inputs come from
  /// `x` when a thread holds them in registers (x non-null), else from
  /// memory. x's arrays are read at constant indices only (an unrolled
  /// select), so that they can stay in registers.
  KOKKOS_INLINE_FUNCTION real_type conductanceAt(index_type i, int p, step_type k, const Local* x) const {
    if (p < 0) return 0;  // an input without synapses on this rank
    if (x != nullptr && p < register_inputs) {
      real_type g = 0;
      std::int64_t arrived = 0;
      for (int q = 0; q < register_inputs; ++q)
        if (q == p) {
          g = x->g[q];
          arrived = x->arrived[q];
        }
      return withArrivals(g, arrived);
    }
    const ConductanceInput& in = synapses[p];
    return withArrivals(in.g[i], in.arrivalsAt(k % in.n_slots, k, i));
  }

  /// The synaptic current of step k, −Σ g_k·(V_k − E_rev) (positive
  /// depolarising), summed in the order inputCurrent sums it.
  KOKKOS_INLINE_FUNCTION real_type synapticCurrentAt(index_type i, step_type k, real_type V, const Local* x) const {
    real_type total = 0;
    for (int p = 0; p < register_inputs; ++p) {
      if (p >= synapses.count) break;
      const ConductanceInput& in = synapses.input[p];
      const real_type g = x != nullptr ? withArrivals(x->g[p], x->arrived[p])
                                       : withArrivals(in.g[i], in.arrivalsAt(k % in.n_slots, k, i));
      total += g * (V - in.E_rev);
    }
    for (int p = register_inputs; p < synapses.count; ++p) total += conductanceAt(i, p, k, x) * (V - synapses[p].E_rev);
    return -total;
  }

  /// The stimuli's current into neuron i in step k: each one's mean over
  /// [t_k, t_{k+1}) (stimulus.hpp).
  KOKKOS_INLINE_FUNCTION real_type stimulusCurrent(index_type i, step_type k) const {
    const double t0 = static_cast<double>(k) * dt_ms, t1 = static_cast<double>(k + 1) * dt_ms;
    double I = 0;
    for (std::size_t s = 0; s < stimuli.extent(0); ++s)
      if (stimuli(s).drives(i)) I += stimuli(s).meanCurrent(t0, t1, dt_ms);
    return static_cast<real_type>(I);
  }

  /// Whether an axonal stimulus fires neuron i's axon in step k (a pulse
  /// onset in the step, and its keyed draw).
  KOKKOS_INLINE_FUNCTION bool axonalSpike(index_type i, step_type k) const {
    const double t0 = static_cast<double>(k) * dt_ms, t1 = static_cast<double>(k + 1) * dt_ms;
    bool fires = false;
    for (std::size_t s = 0; s < stimuli.extent(0); ++s) {
      const Stimulus& st = stimuli(s);
      if (st.kind != StimulusKind::Axonal || !st.drives(i)) continue;
      const std::int64_t m = st.pulseIn(t0, t1);
      if (m >= 0 && axonFires(st, m, first_global + i)) fires = true;
    }
    return fires;
  }

  /// Neuron i's constant bias current (0 without one).
  KOKKOS_INLINE_FUNCTION real_type biasAt(index_type i, const Local* x) const {
    if (bias.extent(0) == 0) return 0;
    return x != nullptr ? x->bias : bias(i);
  }

  /// The OU current of step k (0 without noise).
  KOKKOS_INLINE_FUNCTION real_type noiseAt(index_type i, const Local* x) const {
    if (!noise.active) return 0;
    return x != nullptr ? x->ou : ou(i);
  }

  /// CPU backends: the net input currents of neurons [i0, i0 + lanes)
  /// (lanes = chunk_lanes ≤ W, or W when Full) in step k, for their voltages V[l], into I[l] and
  /// abs_syn[l] (and Σ g_k into G_syn[l] unless G_syn is null; each of
  /// these three holds W values, and lanes beyond `lanes` are zeroed), by the
  /// point functions inputCurrent uses
  /// (addSynapticCurrent, noiseNormals, ouStep), each stage over the lanes
  /// in a loop the compiler vectorises. The conductances and OU values stay in their
  /// Views (a chunk's are in L1). z holds the lanes' normals of noise
  /// block k/4; refill it when k % 4 == 0 or k is a launch's first step.
  template <int W, bool Full = false>
  void inputCurrents(index_type i0, int chunk_lanes, step_type k, bool refill_noise, const real_type* V,
                     real_type* I, real_type* abs_syn, real_type* G_syn, double (*z)[W]) const {
    const int lanes = Full ? W : chunk_lanes;
    // All W lanes, a constant count: the compiler then stores vectors
    // where a loop to `lanes` becomes a call to memset.
    for (int l = 0; l < W; ++l) {
      I[l] = 0;
      abs_syn[l] = 0;
    }
    if (G_syn != nullptr)
      for (int l = 0; l < W; ++l) G_syn[l] = 0;
    for (int p = 0; p < synapses.count; ++p) {
      const ConductanceInput& in = synapses[p];
      // The slots of successive steps are a ring row apart, more than a page
      // for a few hundred neurons, where hardware prefetchers stop: ask for
      // the row of a few steps ahead, to be written, since the step zeroes
      // what it reads. Every line the lanes touch: a row need not start on a
      // line (1500 targets), and then a chunk's slots span one line more.
      constexpr step_type ahead = 4;
      constexpr int per_line = 64 / sizeof(std::int64_t);
      const std::int64_t later_slot = (k + ahead) % in.n_slots;
      if (in.mayHold(later_slot, k + ahead)) {
        const std::int64_t* const later = &in.arrivals(later_slot, i0);
        for (int l = 0; l < lanes; l += per_line) prefetchForWrite(later + l);
        prefetchForWrite(later + (lanes - 1));
      }
      const std::int64_t slot = k % in.n_slots;
      std::int64_t* const arrivals = &in.arrivals(slot, i0);
      real_type* const g = in.g + i0;
      const real_type decay = in.decay, E_rev = in.E_rev;
      // A slot without arrivals for step k is zero: it is neither read nor
      // zeroed (ConductanceInput), and g_k is g.
      const auto add = [&](auto with_arrivals, auto with_conductance) {
        CBGTC_SIMD_LOOP
        for (int l = 0; l < lanes; ++l) {
          std::int64_t arrived = 0;
          if constexpr (decltype(with_arrivals)::value) {
            arrived = arrivals[l];
            arrivals[l] = 0;
          }
          real_type gl = g[l];
          const real_type gk = addSynapticCurrent(gl, arrived, decay, E_rev, V[l], I[l], abs_syn[l]);
          if constexpr (decltype(with_conductance)::value) G_syn[l] += gk;
          g[l] = gl;
        }
      };
      const bool arrive = in.mayHold(slot, k);
      if (arrive && G_syn == nullptr) add(std::true_type{}, std::false_type{});
      if (arrive && G_syn != nullptr) add(std::true_type{}, std::true_type{});
      if (!arrive && G_syn == nullptr) add(std::false_type{}, std::false_type{});
      if (!arrive && G_syn != nullptr) add(std::false_type{}, std::true_type{});
    }
    CBGTC_SIMD_LOOP
    for (int l = 0; l < lanes; ++l) I[l] = -I[l];
    if (stimuli.extent(0) > 0)
      for (int l = 0; l < lanes; ++l) I[l] += stimulusCurrent(i0 + l, k);
    if (bias.extent(0) > 0) {
      CBGTC_SIMD_LOOP
      for (int l = 0; l < lanes; ++l) I[l] += bias(i0 + l);
    }
    if (!noise.active) return;
    // Loop invariants in locals: the compiler cannot tell that the stores
    // through z do not change members of *this.
    const index_type global0 = first_global + i0;
    const std::uint64_t noise_seed = seed;
    const std::uint32_t noise_key = key;
    if (noise.sigma > 0 && refill_noise) {
      const auto block = static_cast<std::uint64_t>(k >> 2);
      CBGTC_SIMD_LOOP
      for (int l = 0; l < lanes; ++l) {
        const rng::Normal4 n = noiseNormals(noise_seed, noise_key, global0 + l, block);
        z[0][l] = n.v[0];
        z[1][l] = n.v[1];
        z[2][l] = n.v[2];
        z[3][l] = n.v[3];
      }
    }
    const double* const zk = z[k & 3];
    real_type* const x = &ou(i0);
    const OuParams p = noise;
    CBGTC_SIMD_LOOP
    for (int l = 0; l < lanes; ++l) {
      I[l] += x[l];
      x[l] = ouStep(x[l], p, zk[l]);
    }
  }
};

/// A drive with no synapses and no noise.
template <class MemorySpace>
PopulationDrive<MemorySpace> quietDrive() {
  return PopulationDrive<MemorySpace>{};
}

}  // namespace cbgtc
