// Spike exchange and delivery: at the end of an epoch, every rank's spikes
// of the epoch are gathered, delivered into the arrival rings of this
// rank's targets, and (rank 0) handed to the writer.

#include <algorithm>

#include <Kokkos_Sort.hpp>

#include "src/simulation.hpp"

namespace cbgtc {

namespace {

/// A projection deliverToAll takes: one whose spikes all carry the same
/// efficacy and none of whose steps are pulled.
bool deliveredToAll(const Projection& proj) { return !proj.plasticity.enabled() && !proj.pull.enabled(); }

/// Where the parts of a CPU delivery (deliverToPart) start in each row of
/// the projection (rowPartStarts), on a CPU backend with several threads,
/// where the table takes at most an eighth of the rows' bytes (4 of 8 per
/// synapse: target and weight); otherwise none (each part is searched for).
template <class Space>
Kokkos::View<std::uint32_t*, Kokkos::HostSpace> partStarts(const Projection& proj, index_type n_targets) {
  if constexpr (Kokkos::SpaceAccessibility<Space, Kokkos::HostSpace>::accessible) {
    const int parts = Space().concurrency();
    if (parts > 1 && std::int64_t(proj.by_source.numRows()) * (parts - 1) * 4 <= proj.synapseCount())
      return rowPartStarts(proj.by_source, n_targets, parts);
  }
  return {};
}

/// Sorted keys ((step − k0)·2·populations + 2·population + axonal) << 32 |
/// index of the first keys.extent(0) records: the (step, population, index)
/// order of SpikeRecord in one 64-bit word: for epochs · 2 · populations of
/// at most 2^32 (an epoch has at most 4000 steps, so up to 2^19 populations
/// in any run; exchangeSpikes checks).
template <class ExecutionSpace, class Records, class Keys>
void sortKeys(const ExecutionSpace& space, const Records& records, const Keys& keys, step_type k0,
              std::int64_t populations) {
  Kokkos::parallel_for(
      "cbgtc::Exchange::keys", lightweight(Kokkos::RangePolicy<ExecutionSpace>(space, 0, keys.extent(0))),
      KOKKOS_LAMBDA(const std::size_t k) {
        const SpikeRecord r = records(k);
        const std::int64_t high = (r.step - k0) * 2 * populations + 2 * std::int64_t(r.source()) + (r.axonal() ? 1 : 0);
        keys(k) = (static_cast<std::uint64_t>(high) << 32) | r.index;
      });
  Kokkos::sort(keys);
}

/// Sorts a list made of sorted runs (each rank's spikes, gathered) by
/// merging neighbouring runs, log2(runs) passes: O(n log P) where a sort is
/// O(n log n) — at scale the gathered list is every spike of the network,
/// and every rank that needs it in order handles all of it.
void mergeSortedRuns(std::vector<SpikeRecord>& spikes) {
  std::vector<std::size_t> starts = {0};
  for (std::size_t i = 1; i < spikes.size(); ++i)
    if (spikes[i] < spikes[i - 1]) starts.push_back(i);
  while (starts.size() > 1) {
    std::vector<std::size_t> merged;
    for (std::size_t r = 0; r < starts.size(); r += 2) {
      merged.push_back(starts[r]);
      if (r + 1 == starts.size()) break;
      const std::size_t end = r + 2 < starts.size() ? starts[r + 2] : spikes.size();
      std::inplace_merge(spikes.begin() + static_cast<std::ptrdiff_t>(starts[r]),
                         spikes.begin() + static_cast<std::ptrdiff_t>(starts[r + 1]),
                         spikes.begin() + static_cast<std::ptrdiff_t>(end));
    }
    starts = std::move(merged);
  }
}

}  // namespace

// End of an epoch: gather every rank's spikes of the epoch on every rank,
// deliver them into the local arrival rings, and (rank 0) record them. The
// merged list is put in (step, population, index) order where something
// reads it in order: the writer (so that what is written does not depend on
// the number of ranks or threads) and short-term plasticity (each source's
// spikes in step order). Delivery does not depend on the order (integer
// arrivals), so other ranks leave it as gathered.
void Simulation::exchangeSpikes(step_type k0, io::OutputWriter* writer) {
  const bool timed = _config.output.timers;
  const ExecutionSpace space;
  // A single rank delivers from the device buffer itself; with several, the
  // gathered spikes are copied to the device. The spikes themselves visit
  // the host only where needed: several ranks, spikes written to the file,
  // or pull delivery planning from their steps.
  const bool gathered = _comm.size() > 1;
  bool planning = false, plastic = false;
  for (const auto& proj : _projections) {
    planning |= proj.pull.enabled();
    plastic |= proj.plasticity.enabled() && proj.synapseCount() > 0;
  }
  // Short-term plasticity follows each source's spikes in step order: it
  // reads the sorted list on the host, and delivery then uses that list.
  const bool from_list = gathered || plastic;
  const bool to_host = from_list || planning || (_comm.isRoot() && writer && _config.output.spikes);
  const auto populations = static_cast<std::int64_t>(_populations.size());
  // A device sorts keys whose high word holds (step − k0, population,
  // axonal): where an epoch's steps and the populations (hundreds of
  // thousands of replicas' populations) need more than 32 bits, the host
  // sorts the records instead.
  const bool sort_on_device = !Kokkos::SpaceAccessibility<ExecutionSpace, Kokkos::HostSpace>::accessible &&
                              _epoch_steps * 2 * populations <= (std::int64_t(1) << 32);
  std::vector<SpikeRecord> all;
  std::int64_t n_spikes = 0;
  {
    PhaseTimer timer(timed, _phases.exchange);
    const auto counters = _spikes.gather();
    const std::int64_t count = counters[SpikeBuffer<MemorySpace>::spike_count];
    _first_non_finite = std::min(_first_non_finite, counters[SpikeBuffer<MemorySpace>::first_non_finite]);
    if (count > _spikes.capacity())
      throw std::runtime_error("spike buffer overflowed (" + std::to_string(count) + " spikes, capacity " +
                               std::to_string(_spikes.capacity()) + ")");
    std::vector<SpikeRecord> local(to_host ? static_cast<std::size_t>(count) : 0);
    if (count > 0 && to_host && sort_on_device) {
      // A GPU sorts (step, population, index) keys, half the bytes of the
      // records, before they cross: an epoch of a large network holds
      // 1e5–1e6 spikes, too many to sort on the host every epoch
      // (perf/results/spike_sort_cpu.txt).
      if (_spike_keys.extent(0) < static_cast<std::size_t>(count))
        _spike_keys = Kokkos::View<std::uint64_t*, MemorySpace>(
            Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::Exchange::keys"), _spikes.capacity());
      const auto keys = Kokkos::subview(_spike_keys, std::pair<std::int64_t, std::int64_t>(0, count));
      sortKeys(space, _spikes.records, keys, k0, populations);
      std::vector<std::uint64_t> sorted(static_cast<std::size_t>(count));
      Kokkos::deep_copy(
          Kokkos::View<std::uint64_t*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>(sorted.data(),
                                                                                                 sorted.size()),
          keys);
      for (std::size_t k = 0; k < sorted.size(); ++k) {
        const auto high = static_cast<std::int64_t>(sorted[k] >> 32);
        const auto slot = static_cast<std::uint32_t>(high % (2 * populations));
        local[k] = SpikeRecord{k0 + high / (2 * populations),
                               (slot / 2) | (slot % 2 != 0 ? SpikeRecord::axonal_flag : 0u),
                               static_cast<std::uint32_t>(sorted[k] & 0xFFFFFFFFu)};
      }
    } else if (count > 0 && to_host) {
      const Kokkos::View<SpikeRecord*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> host(
          local.data(), local.size());
      Kokkos::deep_copy(host, Kokkos::subview(_spikes.records, std::pair<std::int64_t, std::int64_t>(0, count)));
      sortSpikesByStep(local, k0);
    }
    if (count > 0) _spikes.clearSpikes(space);
    if (gathered) {
      all = _comm.allgather(local);  // each rank's part sorted
      if (plastic || (_comm.isRoot() && writer && _config.output.spikes)) mergeSortedRuns(all);
      n_spikes = static_cast<std::int64_t>(all.size());
    } else {
      all = std::move(local);
      n_spikes = count;
    }
  }
  if (n_spikes > 0) {
    PhaseTimer timer(timed, _phases.delivery);
    Kokkos::View<SpikeRecord*, MemorySpace> spikes = _spikes.records;
    if (from_list) {
      if (_epoch_spikes.extent(0) < all.size())
        _epoch_spikes = Kokkos::View<SpikeRecord*, MemorySpace>(
            Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::Exchange::spikes"), 2 * all.size());
      const Kokkos::View<const SpikeRecord*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>
          host(all.data(), all.size());
      Kokkos::deep_copy(Kokkos::subview(_epoch_spikes, std::pair<std::size_t, std::size_t>(0, all.size())),
                        host);
      spikes = _epoch_spikes;
    }
    // Spikes per population and epoch step: what pull delivery plans with.
    std::vector<std::vector<std::int64_t>> per_step(_populations.size());
    if (planning) {
      for (auto& counts : per_step) counts.assign(static_cast<std::size_t>(_epoch_steps), 0);
      for (const auto& spike : all) ++per_step[spike.source()][static_cast<std::size_t>(spike.step - k0)];
    }
    const auto n = static_cast<std::size_t>(n_spikes);
    updateDeliveryTables();
    for (const Delivery strategy : {Delivery::ThreadPerSpike, Delivery::TeamPerSpike}) {
      const FusedDelivery& fused = _fused_delivery[static_cast<int>(strategy)];
      deliverToAll(space, fused.slots.device(), fused.first.device(), spikes, n, strategy);
    }
    for (std::size_t p = 0; p < _projections.size(); ++p) {
      Projection& proj = _projections[p];
      if (proj.synapseCount() == 0 || deliveredToAll(proj)) continue;
      const auto source = static_cast<std::uint32_t>(proj.source);
      Kokkos::View<const double*, MemorySpace> efficacy;
      if (proj.plasticity.enabled()) efficacy = releaseEfficacies(proj, all);
      std::int32_t pulled = 0;
      if (proj.pull.enabled()) {
        pulled = planPull(per_step[source], proj.by_source.numRows(), _config.execution.pull_fraction,
                          proj.pull.capacity, proj.pull.host_columns);
        pullSpikes(space, proj.pull, pulled, spikes, n, source, k0, proj.delay_steps, _rings[p]);
      }
      deliverSpikes(space, proj.by_source, spikes, n, source,
                    Kokkos::View<const delay_type*, MemorySpace>(proj.delays), proj.delay_steps, _rings[p],
                    proj.delivery,
                    pulled > 0 ? Kokkos::View<const std::int32_t*, MemorySpace>(proj.pull.columns)
                               : Kokkos::View<const std::int32_t*, MemorySpace>(),
                    k0, efficacy, _ring_stamps[p]);
    }
  }
  PhaseTimer timer(timed, _phases.output);
  if (_comm.isRoot() && writer && _config.output.spikes) writeSpikes(all, *writer);
}

// The projections without plasticity or pull delivery, as rows of
// deliverToAll's tables, sorted by source population; copied to the device
// when they change (a restore replaces the rings).
void Simulation::updateDeliveryTables() {
  if (!_fused_delivery_planned) {
    for (std::size_t p = 0; p < _projections.size(); ++p)
      if (_projections[p].synapseCount() > 0 && deliveredToAll(_projections[p]))
        _fused_delivery[static_cast<int>(_projections[p].delivery)].projections.push_back(p);
    for (FusedDelivery& fused : _fused_delivery)
      std::stable_sort(fused.projections.begin(), fused.projections.end(), [&](std::size_t a, std::size_t b) {
        return _projections[a].source < _projections[b].source;
      });
    _part_starts.assign(_projections.size(), {});
    for (const FusedDelivery& fused : _fused_delivery)
      for (const std::size_t p : fused.projections)
        _part_starts[p] =
            partStarts<ExecutionSpace>(_projections[p], static_cast<index_type>(_rings[p].extent(1)));
    _fused_delivery_planned = true;
  }
  for (FusedDelivery& fused : _fused_delivery) {
    fused.slots.clear();
    std::vector<std::int32_t>& first = fused.first.rows();
    first.assign(_populations.size() + 1, 0);
    for (const std::size_t p : fused.projections) {
      const Projection& proj = _projections[p];
      DeliverySlot<ProjectionMatrix> slot =
          deliverySlot(proj.by_source, proj.delays, proj.delay_steps, _rings[p], _ring_stamps[p]);
      if (_part_starts[p].extent(0) > 0) {
        slot.part_starts = _part_starts[p].data();
        slot.part_count = ExecutionSpace().concurrency();
      }
      fused.slots.push(slot);
      ++first[proj.source + 1];
    }
    for (std::size_t q = 0; q + 1 < first.size(); ++q) first[q + 1] += first[q];
    fused.slots.sync();
    fused.first.sync();
  }
}

// The efficacy of each of the epoch's spikes through a projection with
// short-term plasticity (1 for other populations' spikes, which its
// delivery skips), in the order of `spikes`: sorted by (step, population,
// index), so each source's spikes come in step order, on every rank alike.
Kokkos::View<const double*, MemorySpace> Simulation::releaseEfficacies(
    Projection& proj, const std::vector<SpikeRecord>& spikes) {
  std::vector<double>& efficacy = _host_efficacy;  // kept: no allocation per epoch once grown
  efficacy.assign(spikes.size(), 1.0);
  const auto source = static_cast<std::uint32_t>(proj.source);
  for (std::size_t s = 0; s < spikes.size(); ++s) {
    if (spikes[s].source() != source) continue;
    efficacy[s] =
        releaseAt(proj.plasticity, proj.release[spikes[s].index], spikes[s].step, _config.simulation.dt_ms);
  }
  if (_epoch_efficacy.extent(0) < spikes.size())
    _epoch_efficacy = Kokkos::View<double*, MemorySpace>(
        Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::Exchange::efficacy"), 2 * spikes.size());
  const auto used = Kokkos::subview(_epoch_efficacy, std::pair<std::size_t, std::size_t>(0, spikes.size()));
  Kokkos::deep_copy(used,
                    Kokkos::View<const double*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>(
                        efficacy.data(), efficacy.size()));
  return used;
}

}  // namespace cbgtc
