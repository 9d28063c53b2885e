#pragma once
// Conductance-based synaptic input with delays (arrival rings) and its
// event-driven delivery.
//
// Semantics: a spike emitted by source i in step j adds its weight w to the
// conductance g of each target at the start of step j + d (d = delay in
// steps, ≥ 1). g then decays as g·e^{−dt/τ} per step. In step k a target
// receives I_syn = Σ_projections g_k·(V_k − E_rev), subtracted like the ionic
// currents (positive = outward), in the target's units: mS/cm²·mV = µA/cm²
// into the STN, nS·mV = pA into AdEx cells.
//
// Arrivals are accumulated as integer quanta of 2^-32 target units. Integer
// atomic adds are associative, so the conductance a target sees does not
// depend on the order in which threads (and later MPI ranks) deliver.

#include <algorithm>
#include <type_traits>
#include <utility>

#include "kernels/spike_record.hpp"
#include "kernels/types.hpp"

namespace cbgtc {

/// Weights are rounded to multiples of this (target units) when they arrive.
constexpr double conductance_quantum = 1.0 / 4294967296.0;

KOKKOS_INLINE_FUNCTION std::int64_t toQuanta(float w) {
  // Weights are non-negative; round half up.
  return static_cast<std::int64_t>(static_cast<double>(w) * 4294967296.0 + 0.5);
}

/// Quanta per target unit for a spike of the given efficacy (1: a static
/// synapse). Scaling by 2^32 is exact, so toQuanta(w, quantaPerUnit(1))
/// equals toQuanta(w) bit for bit, and w·efficacy is rounded once.
KOKKOS_INLINE_FUNCTION double quantaPerUnit(double efficacy) { return efficacy * 4294967296.0; }

/// A weight scaled by a spike's efficacy (short-term plasticity), in quanta.
KOKKOS_INLINE_FUNCTION std::int64_t toQuanta(float w, double quanta_per_unit) {
  return static_cast<std::int64_t>(static_cast<double>(w) * quanta_per_unit + 0.5);
}

/// g_k: the conductance g at the start of a step plus that step's arrived quanta.
KOKKOS_FORCEINLINE_FUNCTION real_type withArrivals(real_type g, std::int64_t arrived) {
  if (arrived != 0) g += static_cast<real_type>(static_cast<double>(arrived) * conductance_quantum);
  return g;
}

/// One input's part of a neuron's step: its current g_k·(V − E_rev) (outward
/// positive) added to the step's synaptic current and to Σ|I_syn| (the LFP
/// proxy's share); g becomes g_k·decay. Returns g_k, for models that
/// integrate the synaptic conductance with their own (population_drive.hpp).
KOKKOS_FORCEINLINE_FUNCTION real_type addSynapticCurrent(real_type& g, std::int64_t arrived, real_type decay,
                                                         real_type E_rev, real_type V, real_type& I_syn,
                                                         real_type& abs_syn) {
  const real_type gk = withArrivals(g, arrived);
  g = gk * decay;
  const real_type I = gk * (V - E_rev);
  I_syn += I;
  abs_syn += I < 0 ? -I : I;
  return gk;
}

/// One projection's inputs into its target population: the arrival ring and
/// the conductances, as raw device pointers (the Views that own them live
/// with the projection), so that any number of inputs can sit in a device
/// array.
///
/// A ring's slot holds the arrivals of one step at a time: the pending
/// steps of a ring of n slots are k … k + n − 1. Where the projection keeps
/// stamps, each delivery that adds to a slot writes the step it adds for
/// into the slot's stamp, and a slot whose stamp is not step k holds no
/// arrivals for step k: it is zero, and a step need neither read nor zero
/// it. In a few hundred neurons' network most slots of an epoch receive
/// nothing (a delay's worth of slots, one spiking step each), so the step
/// reads a fraction of the ring (docs/performance.md, "Arrival stamps").
struct ConductanceInput {
  std::int64_t* ring = nullptr;  // [slot][target], quanta: slot·targets + target
  const std::int64_t* stamps = nullptr;  // per slot: the step of its latest arrivals; nullptr: none kept
  real_type* g = nullptr;  // per target: conductance at the start of the next step, before arrivals
  real_type decay = 1;     // e^{−dt/τ}
  real_type E_rev = 0;
  index_type targets = 0;    // a slot's row
  std::int32_t n_slots = 1;  // > max delay in steps

  /// The input of a ring View [slot][target], its stamps (an empty View:
  /// none kept) and a conductance View.
  template <class Ring, class Conductances, class Stamps>
  static ConductanceInput of(const Ring& ring, const Conductances& g, real_type decay, real_type E_rev,
                             const Stamps& stamps) {
    ConductanceInput in;
    in.ring = ring.data();
    in.stamps = stamps.extent(0) > 0 ? stamps.data() : nullptr;
    in.g = g.data();
    in.targets = static_cast<index_type>(ring.extent(1));
    in.n_slots = static_cast<std::int32_t>(ring.extent(0));
    in.decay = decay;
    in.E_rev = E_rev;
    return in;
  }

  /// The input of a ring without stamps.
  template <class Ring, class Conductances>
  static ConductanceInput of(const Ring& ring, const Conductances& g, real_type decay, real_type E_rev) {
    return of(ring, g, decay, E_rev, Kokkos::View<std::int64_t*, Kokkos::HostSpace>());
  }

  KOKKOS_FORCEINLINE_FUNCTION std::int64_t& arrivals(std::int64_t slot, index_type i) const {
    return ring[slot * targets + i];
  }

  /// Whether slot `slot` (k mod n_slots) may hold arrivals for step k.
  KOKKOS_FORCEINLINE_FUNCTION bool mayHold(std::int64_t slot, step_type k) const {
    return stamps == nullptr || stamps[slot] == k;
  }

  /// Target i's arrivals of step k, in slot `slot` (k mod n_slots).
  KOKKOS_FORCEINLINE_FUNCTION std::int64_t arrivalsAt(std::int64_t slot, step_type k, index_type i) const {
    return mayHold(slot, k) ? arrivals(slot, i) : 0;
  }
};

/// Stamps the slot of step `arrival` in a ring of n_slots as holding
/// arrivals for it (stamps nullptr: the ring keeps none). Every writer of a
/// slot within one delivery writes the same step; `plain`: one thread
/// delivers, so no atomic store is needed.
KOKKOS_FORCEINLINE_FUNCTION void stampArrival(std::int64_t* stamps, step_type n_slots, step_type arrival,
                                              bool plain) {
  if (stamps == nullptr) return;
  std::int64_t* const stamp = &stamps[arrival % n_slots];
  if (plain)
    *stamp = arrival;
  else
    static_cast<void>(Kokkos::atomic_exchange(stamp, static_cast<std::int64_t>(arrival)));
}

/// Inputs a GPU thread keeps in registers while it advances a neuron; any
/// further ones it reads and writes in memory.
constexpr int register_inputs = 4;

/// The synaptic projections into one population: the first register_inputs
/// inline (so a kernel captures them by value, and their loops unroll), the
/// rest in a device array.
template <class MemorySpace>
struct SynapticInputs {
  int count = 0;
  ConductanceInput input[register_inputs];
  Kokkos::View<ConductanceInput*, MemorySpace> more;

  KOKKOS_FORCEINLINE_FUNCTION const ConductanceInput& operator[](int p) const {
    return p < register_inputs ? input[p] : more(p - register_inputs);
  }

  /// Appends an input (host).
  void add(const ConductanceInput& in) {
    if (count < register_inputs) {
      input[count++] = in;
      return;
    }
    Kokkos::View<ConductanceInput*, MemorySpace> grown("cbgtc::Synapse::inputs", count + 1 - register_inputs);
    auto host = Kokkos::create_mirror_view(grown);
    if (more.extent(0) > 0) {
      auto old = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), more);
      for (std::size_t p = 0; p < old.extent(0); ++p) host(p) = old(p);
    }
    host(count - register_inputs) = in;
    Kokkos::deep_copy(grown, host);
    more = grown;
    ++count;
  }
};

/// The stretch [from, to) of the row [begin, end) whose targets part `part`
/// of `parts` owns: [chunkPartBegin(n, part, parts), chunkPartBegin(n,
/// part + 1, parts)) of the n targets, the ones that thread `part` of a CPU
/// launch advances. A row's targets are sorted on CPU backends
/// (makeProjection), so those are one stretch of it.
template <class Target, class Offset>
std::pair<Offset, Offset> rowPart(const Target* targets, const Offset begin, const Offset end,
                                  const index_type n, const int part, const int parts) {
  const auto from = static_cast<Offset>(
      std::lower_bound(targets + begin, targets + end, chunkPartBegin(n, part, parts)) - targets);
  const auto to = static_cast<Offset>(
      std::lower_bound(targets + from, targets + end, chunkPartBegin(n, part + 1, parts)) - targets);
  return {from, to};
}

/// How a projection scatters an epoch's spikes (see deliverSpikes).
enum class Delivery {
  ThreadPerSpike,  // one thread walks a spiking source's whole row
  TeamPerSpike,    // a team per spike, its threads share the row: long rows on GPUs
};

/// deliverSpikes's thread per spike: spike s walks its source's row. With
/// Plain (one thread) the adds need not be atomic.
template <bool Plain, class SpikeView, class Matrix, class MemorySpace>
struct ThreadPerSpikeDelivery {
  SpikeView spikes;
  typename Matrix::StaticCrsGraphType::row_map_type::const_type row_map;
  typename Matrix::StaticCrsGraphType::entries_type::const_type targets;
  typename Matrix::values_type::const_type weights;
  Kokkos::View<const std::uint16_t*, MemorySpace> delays;
  Kokkos::View<std::int64_t**, Kokkos::LayoutRight, MemorySpace> ring;
  Kokkos::View<const std::int32_t*, MemorySpace> pulled;
  Kokkos::View<const double*, MemorySpace> efficacy;
  std::int64_t* stamps;  // the ring's (ConductanceInput); nullptr: none kept
  std::uint32_t source;
  std::int32_t delay_steps;
  step_type k0, n_slots;
  bool per_synapse_delay, skip_pulled, plastic;

  /// Whether spike s is this projection's to deliver here.
  KOKKOS_INLINE_FUNCTION bool delivers(const SpikeRecord& spike) const {
    return spike.source() == source &&
           !(skip_pulled && pulled(static_cast<std::int32_t>(spike.step - k0)) >= 0);
  }

  /// Spike s's synapses [from, to) of its row.
  template <class Offset>
  KOKKOS_INLINE_FUNCTION void deliverSynapses(const std::size_t s, const SpikeRecord& spike,
                                              const Offset from, const Offset to) const {
    const double per_unit = quantaPerUnit(plastic ? efficacy(s) : 1.0);
    // With one delay the slot is found once per spike, not by a 64-bit
    // modulo per synapse.
    const auto uniform_slot = static_cast<std::size_t>((spike.step + delay_steps) % n_slots);
    for (auto e = from; e < to; ++e) {
      const auto slot =
          per_synapse_delay
              ? static_cast<std::size_t>((spike.step + static_cast<step_type>(delays(e))) % n_slots)
              : uniform_slot;
      if constexpr (Plain)
        ring(slot, targets(e)) += toQuanta(weights(e), per_unit);
      else
        Kokkos::atomic_add(&ring(slot, targets(e)), toQuanta(weights(e), per_unit));
    }
  }

  KOKKOS_INLINE_FUNCTION void operator()(const std::size_t s) const {
    const auto spike = spikes(s);
    if (!delivers(spike)) return;
    stampArrival(stamps, n_slots, spike.step + delay_steps, Plain);
    deliverSynapses(s, spike, row_map(spike.index), row_map(spike.index + 1));
  }

  /// CPU backends: every spike to the targets of part `part` of `parts`
  /// only (rowPart), with plain adds, as deliverToPart; part 0 stamps.
  void deliverToPart(const std::size_t n_spikes, const int part, const int parts) const {
    const auto n_targets = static_cast<index_type>(ring.extent(1));
    for (std::size_t s = 0; s < n_spikes; ++s) {
      const auto spike = spikes(s);
      if (!delivers(spike)) continue;
      if (part == 0) stampArrival(stamps, n_slots, spike.step + delay_steps, true);
      const auto [from, to] =
          rowPart(targets.data(), row_map(spike.index), row_map(spike.index + 1), n_targets, part, parts);
      deliverSynapses(s, spike, from, to);
    }
  }
};

/// Scatter the weights of spikes into the arrival slots of their targets:
/// a spike of source i (of population `source`) emitted in step s lands in
/// slot (s + delay) of every target in row i. The spikes of other
/// populations are skipped, and so are those of epoch steps that pull
/// delivery handles (pulled(step − k0) ≥ 0; pulled empty: none). Both
/// strategies add the same integers, so the rings are identical whichever runs.
/// `efficacy`, when not empty, scales spike s's weights by efficacy(s)
/// (short-term plasticity). `stamps`, when not empty, are the ring's
/// (ConductanceInput), kept for a projection with one delay whose steps are
/// never pulled (a pulled step would fill slots without stamping them).
template <class ExecutionSpace, class Matrix, class SpikeView, class MemorySpace>
void deliverSpikes(const ExecutionSpace& space, const Matrix& by_source, const SpikeView& spikes,
                   std::size_t n_spikes, std::uint32_t source,
                   const Kokkos::View<const std::uint16_t*, MemorySpace>& delays, std::int32_t delay_steps,
                   const Kokkos::View<std::int64_t**, Kokkos::LayoutRight, MemorySpace>& ring,
                   Delivery strategy = Delivery::ThreadPerSpike,
                   const Kokkos::View<const std::int32_t*, MemorySpace>& pulled = {}, step_type k0 = 0,
                   const Kokkos::View<const double*, MemorySpace>& efficacy = {},
                   const Kokkos::View<std::int64_t*, MemorySpace>& stamps = {}) {
  const auto row_map = by_source.graph.row_map;
  const auto targets = by_source.graph.entries;
  const auto weights = by_source.values;
  const auto n_slots = static_cast<step_type>(ring.extent(0));
  const bool per_synapse_delay = delays.extent(0) > 0;
  const bool skip_pulled = pulled.extent(0) > 0;
  const bool plastic = efficacy.extent(0) > 0;
  std::int64_t* const stamp_of_slot = !per_synapse_delay && stamps.extent(0) > 0 ? stamps.data() : nullptr;
  if (n_spikes == 0) return;
  if (strategy == Delivery::TeamPerSpike) {
    using Policy = Kokkos::TeamPolicy<ExecutionSpace>;
    using Member = typename Policy::member_type;
    Kokkos::parallel_for(
        "cbgtc::Synapse::deliver_team", lightweight(Policy(space, static_cast<int>(n_spikes), Kokkos::AUTO)),
        KOKKOS_LAMBDA(const Member& team) {
          const auto spike = spikes(team.league_rank());
          if (spike.source() != source) return;
          if (skip_pulled && pulled(static_cast<std::int32_t>(spike.step - k0)) >= 0) return;
          const auto i = spike.index;
          if (stamp_of_slot != nullptr)
            Kokkos::single(Kokkos::PerTeam(team),
                           [&] { stampArrival(stamp_of_slot, n_slots, spike.step + delay_steps, false); });
          const double per_unit = quantaPerUnit(plastic ? efficacy(team.league_rank()) : 1.0);
          const auto uniform_slot = static_cast<std::size_t>((spike.step + delay_steps) % n_slots);
          Kokkos::parallel_for(Kokkos::TeamThreadRange(team, row_map(i), row_map(i + 1)), [&](const auto e) {
            const auto slot =
                per_synapse_delay
                    ? static_cast<std::size_t>((spike.step + static_cast<step_type>(delays(e))) % n_slots)
                    : uniform_slot;
            Kokkos::atomic_add(&ring(slot, targets(e)), toQuanta(weights(e), per_unit));
          });
        });
    return;
  }
  // One thread (a CPU backend run with one thread) needs no atomic add, a
  // locked instruction that costs several plain ones
  // (perf/results/one_thread_delivery_cpu.txt); nor do several, each adding
  // to the targets it advances (as deliverToAll).
  const auto functor = [&](auto plain) {
    return ThreadPerSpikeDelivery<decltype(plain)::value, SpikeView, Matrix, MemorySpace>{
        spikes,  row_map,           targets,       weights, delays,      ring,
        pulled,  efficacy,          stamp_of_slot, source,  delay_steps, k0,
        n_slots, per_synapse_delay, skip_pulled,   plastic};
  };
  constexpr bool host = Kokkos::SpaceAccessibility<ExecutionSpace, Kokkos::HostSpace>::accessible;
  if constexpr (host) {
    const int parts = space.concurrency();
    if (parts > 1) {
      const auto deliver = functor(std::true_type{});
      Kokkos::parallel_for("cbgtc::Synapse::deliver_parts",
                           Kokkos::RangePolicy<ExecutionSpace>(space, 0, parts),
                           [=](const int part) { deliver.deliverToPart(n_spikes, part, parts); });
      return;
    }
  }
  const auto range = lightweight(Kokkos::RangePolicy<ExecutionSpace>(space, 0, n_spikes));
  if (space.concurrency() == 1)
    Kokkos::parallel_for("cbgtc::Synapse::deliver", range, functor(std::true_type{}));
  else
    Kokkos::parallel_for("cbgtc::Synapse::deliver", range, functor(std::false_type{}));
}

/// One projection of a fused delivery (deliverToAll): its rows, delays and
/// arrival ring as raw pointers, so that thousands fit one device table.
template <class Matrix>
struct DeliverySlot {
  const typename Matrix::size_type* row_map = nullptr;
  const typename Matrix::ordinal_type* targets = nullptr;
  const typename Matrix::value_type* weights = nullptr;
  const std::uint16_t* delays = nullptr;  // per synapse; nullptr: delay_steps for all
  std::int64_t* ring = nullptr;           // [slot][target], row-major
  std::int64_t* stamps = nullptr;         // the ring's stamps (ConductanceInput); nullptr: none kept
  std::int64_t ring_stride = 0;           // elements from one slot's row to the next
  step_type n_slots = 0;
  index_type n_targets = 0;  // the ring's targets (a slot's row)
  std::int32_t delay_steps = 0;
  // CPU backends: where parts 1 … part_count − 1 of row i start, from the
  // row's start: part_starts[i·(part_count − 1) + part − 1] (rowPartStarts).
  // nullptr: each spike's part is searched for (rowPart).
  const std::uint32_t* part_starts = nullptr;
  int part_count = 0;

  /// The stretch [from, to) of row i whose targets part `part` of `parts`
  /// owns (rowPart), read from part_starts where they were found for as
  /// many parts.
  std::pair<typename Matrix::size_type, typename Matrix::size_type> rowPartOf(index_type i, int part,
                                                                              int parts) const {
    const auto begin = row_map[i], end = row_map[i + 1];
    if (part_starts == nullptr || part_count != parts)
      return rowPart(targets, begin, end, n_targets, part, parts);
    const std::uint32_t* starts = part_starts + static_cast<std::int64_t>(i) * (parts - 1);
    return {part == 0 ? begin : begin + starts[part - 1], part == parts - 1 ? end : begin + starts[part]};
  }

  /// Stamps the slot a spike's synapses add to (kept only with a uniform
  /// delay, so one slot per spike).
  KOKKOS_INLINE_FUNCTION void stamp(const SpikeRecord& spike, bool plain) const {
    stampArrival(stamps, n_slots, spike.step + delay_steps, plain);
  }

  /// The ring's row that a spike's synapses add to where the projection
  /// has one delay (delays == nullptr), else nullptr: found once per spike
  /// instead of by a 64-bit modulo per synapse.
  KOKKOS_INLINE_FUNCTION std::int64_t* uniformRow(const SpikeRecord& spike) const {
    return delays != nullptr ? nullptr : ring + ((spike.step + delay_steps) % n_slots) * ring_stride;
  }

  /// Synapse e's add of a spike, `row` its uniformRow.
  KOKKOS_INLINE_FUNCTION void deliverSynapse(const SpikeRecord& spike, const typename Matrix::size_type e,
                                             std::int64_t* const row, bool plain) const {
    std::int64_t* const arrival =
        (row != nullptr ? row
                        : ring + ((spike.step + static_cast<step_type>(delays[e])) % n_slots) * ring_stride) +
        targets[e];
    if (plain)
      *arrival += toQuanta(weights[e]);
    else
      Kokkos::atomic_add(arrival, toQuanta(weights[e]));
  }

  /// A spike's synapses [from, to) of its row.
  KOKKOS_INLINE_FUNCTION void deliverRow(const SpikeRecord& spike, const typename Matrix::size_type from,
                                         const typename Matrix::size_type to, bool plain) const {
    std::int64_t* const row = uniformRow(spike);
    if (row != nullptr && plain) {  // a CPU's loop, without a branch per synapse
      for (auto e = from; e < to; ++e) row[targets[e]] += toQuanta(weights[e]);
      return;
    }
    for (auto e = from; e < to; ++e) deliverSynapse(spike, e, row, plain);
  }
};

/// The slot of a projection: its matrix by source, per-synapse delays (or
/// none) and uniform delay, its arrival ring [slot][target] and the ring's
/// stamps (empty: none kept; kept only with a uniform delay).
template <class Matrix, class Delays, class Ring, class Stamps>
DeliverySlot<Matrix> deliverySlot(const Matrix& by_source, const Delays& delays, std::int32_t delay_steps,
                                  const Ring& ring, const Stamps& stamps) {
  DeliverySlot<Matrix> slot;
  slot.row_map = by_source.graph.row_map.data();
  slot.targets = by_source.graph.entries.data();
  slot.weights = by_source.values.data();
  slot.delays = delays.extent(0) > 0 ? delays.data() : nullptr;
  slot.ring = ring.data();
  slot.stamps = slot.delays == nullptr && stamps.extent(0) > 0 ? stamps.data() : nullptr;
  slot.ring_stride = static_cast<std::int64_t>(ring.stride(0));
  slot.n_slots = static_cast<step_type>(ring.extent(0));
  slot.n_targets = static_cast<index_type>(ring.extent(1));
  slot.delay_steps = delay_steps;
  return slot;
}

/// The slot of a projection whose ring keeps no stamps.
template <class Matrix, class Delays, class Ring>
DeliverySlot<Matrix> deliverySlot(const Matrix& by_source, const Delays& delays, std::int32_t delay_steps,
                                  const Ring& ring) {
  return deliverySlot(by_source, delays, delay_steps, ring, Kokkos::View<std::int64_t*, Kokkos::HostSpace>());
}

template <class Matrix>
bool operator==(const DeliverySlot<Matrix>& a, const DeliverySlot<Matrix>& b) {
  return a.row_map == b.row_map && a.targets == b.targets && a.weights == b.weights && a.delays == b.delays &&
         a.ring == b.ring && a.stamps == b.stamps && a.ring_stride == b.ring_stride &&
         a.n_slots == b.n_slots && a.n_targets == b.n_targets && a.delay_steps == b.delay_steps &&
         a.part_starts == b.part_starts && a.part_count == b.part_count;
}

/// Where parts 1 … parts − 1 of every row of a matrix by source start, from
/// the row's start, for a CPU delivery of `parts` parts to n_targets
/// targets (DeliverySlot::part_starts): rowPart's answers, found once
/// instead of in two searches per spike and part, whose probes wait on each
/// other's loads (docs/performance.md, "OpenMP threads against ranks").
template <class Matrix>
Kokkos::View<std::uint32_t*, Kokkos::HostSpace> rowPartStarts(const Matrix& by_source, index_type n_targets,
                                                              int parts) {
  const auto row_map = by_source.graph.row_map;
  const auto targets = by_source.graph.entries;
  const auto rows = static_cast<std::int64_t>(row_map.extent(0)) - 1;
  Kokkos::View<std::uint32_t*, Kokkos::HostSpace> starts(
      Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::Synapse::part_starts"),
      static_cast<std::size_t>(std::max<std::int64_t>(rows, 0) * (parts - 1)));
  Kokkos::parallel_for(
      "cbgtc::Synapse::part_starts",
      Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(0, std::max<std::int64_t>(rows, 0)),
      [=](const std::int64_t i) {
        for (int part = 1; part < parts; ++part)
          starts(i * (parts - 1) + part - 1) = static_cast<std::uint32_t>(
              rowPart(targets.data(), row_map(i), row_map(i + 1), n_targets, part, parts).first - row_map(i));
      });
  Kokkos::fence();
  return starts;
}

/// Part `part` of `parts` of a fused delivery on a CPU backend: every spike
/// of population p through the projections out of p (as deliverToAll), to
/// the targets that thread `part` advances only (rowPart); the parts'
/// targets do not overlap, so plain adds. Part 0 alone stamps the slots.
template <class Slots, class First, class SpikeView>
void deliverToPart(int part, int parts, const Slots& slots, const First& first, const SpikeView& spikes,
                   std::size_t n_spikes) {
  const auto populations = static_cast<std::uint32_t>(first.extent(0) - 1);
  for (std::size_t s = 0; s < n_spikes; ++s) {
    const auto spike = spikes(s);
    if (spike.source() >= populations) continue;
    for (auto q = first(spike.source()); q < first(spike.source() + 1); ++q) {
      const auto slot = slots(q);
      if (part == 0) slot.stamp(spike, true);
      const auto [from, to] = slot.rowPartOf(static_cast<index_type>(spike.index), part, parts);
      slot.deliverRow(spike, from, to, true);
    }
  }
}

/// deliverSpikes for many projections in one launch: spike s of population
/// p goes through projections slots(q), q in [first(p), first(p + 1)), the
/// projections out of p (first: offsets by source population, slots sorted
/// by source). The same integers reach the same rings as with a launch per
/// projection, so the rings are identical. Without plasticity or pulled
/// steps: those projections keep their own launches.
///
/// On a CPU backend with several threads, thread t delivers to the targets
/// it advances (deliverToPart), with plain adds: atomic adds from every
/// thread into every ring would make each add a locked instruction and pass
/// the rings' cache lines between cores (docs/performance.md, "OpenMP threads
/// against ranks").
template <class ExecutionSpace, class Slots, class First, class SpikeView>
void deliverToAll(const ExecutionSpace& space, const Slots& slots, const First& first,
                  const SpikeView& spikes, std::size_t n_spikes, Delivery strategy) {
  if (n_spikes == 0 || slots.extent(0) == 0) return;
  const auto populations = static_cast<std::uint32_t>(first.extent(0) - 1);
  constexpr bool host = Kokkos::SpaceAccessibility<ExecutionSpace, Kokkos::HostSpace>::accessible;
  if constexpr (host) {
    const int parts = space.concurrency();
    if (parts > 1) {
      Kokkos::parallel_for(
          "cbgtc::Synapse::deliver_all", Kokkos::RangePolicy<ExecutionSpace>(space, 0, parts),
          [=](const int part) { deliverToPart(part, parts, slots, first, spikes, n_spikes); });
      return;
    }
  }
  if (strategy == Delivery::TeamPerSpike) {
    using Policy = Kokkos::TeamPolicy<ExecutionSpace>;
    using Member = typename Policy::member_type;
    Kokkos::parallel_for(
        "cbgtc::Synapse::deliver_all_team",
        lightweight(Policy(space, static_cast<int>(n_spikes), Kokkos::AUTO)),
        KOKKOS_LAMBDA(const Member& team) {
          const auto spike = spikes(team.league_rank());
          if (spike.source() >= populations) return;
          for (auto q = first(spike.source()); q < first(spike.source() + 1); ++q) {
            const auto slot = slots(q);
            Kokkos::single(Kokkos::PerTeam(team), [&] { slot.stamp(spike, false); });
            std::int64_t* const row = slot.uniformRow(spike);
            Kokkos::parallel_for(
                Kokkos::TeamThreadRange(team, slot.row_map[spike.index], slot.row_map[spike.index + 1]),
                [&](const auto e) { slot.deliverSynapse(spike, e, row, false); });
          }
        });
    return;
  }
  // One thread (a CPU backend run with one thread) needs no atomic add.
  const bool plain = space.concurrency() == 1;
  Kokkos::parallel_for(
      "cbgtc::Synapse::deliver_all", lightweight(Kokkos::RangePolicy<ExecutionSpace>(space, 0, n_spikes)),
      KOKKOS_LAMBDA(const std::size_t s) {
        const auto spike = spikes(s);
        if (spike.source() >= populations) return;
        for (auto q = first(spike.source()); q < first(spike.source() + 1); ++q) {
          const auto slot = slots(q);
          slot.stamp(spike, plain);
          slot.deliverRow(spike, slot.row_map[spike.index], slot.row_map[spike.index + 1], plain);
        }
      });
}

/// The strategy for a projection: a team per spike only pays on a GPU and
/// for rows long enough to occupy it; on CPU backends a thread per spike.
/// A team per spike pays on a GPU from rows of about 100 synapses
/// (docs/performance.md, "Delivery strategies"; perf/results/delivery_gpu.csv).
template <class ExecutionSpace>
Delivery chooseDelivery(double mean_row_length) {
  const bool host = Kokkos::SpaceAccessibility<ExecutionSpace, Kokkos::HostSpace>::accessible;
  return (!host && mean_row_length >= 32.0) ? Delivery::TeamPerSpike : Delivery::ThreadPerSpike;
}

}  // namespace cbgtc
