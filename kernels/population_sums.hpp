#pragma once
// The per-epoch sums over every population in two launches, whatever the
// number of populations: each sample's LFP proxy and mean V (a sum over
// the population's neurons), and each neuron's V moments (a sum over the
// epoch's analysed samples). A merged ensemble has thousands of small
// populations, and on a GPU a launch each would cost more than the work.
//
// The populations are rows of a device table of raw pointers: a View per
// population cannot be a kernel's argument when there are thousands.

#include <Kokkos_Core.hpp>
#include <cstdint>

#include "kernels/types.hpp"
#include "kernels/vectorizable_math.hpp"

namespace cbgtc {

/// One population's epoch scratch [sample][neuron] (row-major) and where its
/// rows' sums go: row m, sample offset + m of the run, to
/// out[offset + m − first], where `first` is the sample out[0] holds.
struct SampleSumSlot {
  const real_type* scratch = nullptr;
  index_type neurons = 0;
  std::int64_t row_stride = 0;  // elements from one sample's row to the next
  double* out = nullptr;
  std::int64_t first = 0;
};

/// One population's V scratch [sample][neuron] and its neurons' moments:
/// (Σ V, Σ V²) of neuron i at moments[i·stride_neuron] and
/// moments[i·stride_neuron + stride_moment].
struct MomentSlot {
  const real_type* scratch = nullptr;
  index_type neurons = 0;
  std::int64_t row_stride = 0;
  double* moments = nullptr;
  std::int64_t stride_neuron = 0, stride_moment = 0;
};

// (The host compares a table with the one on the device.)
inline bool operator==(const SampleSumSlot& a, const SampleSumSlot& b) {
  return a.scratch == b.scratch && a.neurons == b.neurons && a.row_stride == b.row_stride && a.out == b.out &&
         a.first == b.first;
}

inline bool operator==(const MomentSlot& a, const MomentSlot& b) {
  return a.scratch == b.scratch && a.neurons == b.neurons && a.row_stride == b.row_stride &&
         a.moments == b.moments && a.stride_neuron == b.stride_neuron && a.stride_moment == b.stride_moment;
}

/// Every slot's row sums of samples [offset, offset + samples) (rows 0 ..
/// samples − 1 of its scratch): a team per slot and sample, the team's
/// threads reducing over the neurons.
template <class ExecutionSpace, class Slots>
void sumSamples(const ExecutionSpace& space, const Slots& slots, std::int64_t offset, std::int64_t samples) {
  const auto n_slots = static_cast<std::int64_t>(slots.extent(0));
  if (n_slots == 0 || samples <= 0) return;
  constexpr bool host = Kokkos::SpaceAccessibility<ExecutionSpace, Kokkos::HostSpace>::accessible;
  if constexpr (host) {
    // A thread per row, its sum in vector lanes: the team's reduction is
    // one chain of dependent adds on a CPU. The order of the adds differs,
    // so the proxy differs in round-off, as it does between rank counts
    // (docs/model.md §6.3); every thread count gives the same bits.
    Kokkos::parallel_for("cbgtc::Lfp::sum", Kokkos::RangePolicy<ExecutionSpace>(space, 0, n_slots * samples),
                         [=](const std::int64_t t) {
                           const std::int64_t s = t / samples, m = t % samples;
                           const SampleSumSlot slot = slots(s);
                           const real_type* row = slot.scratch + m * slot.row_stride;
                           double sum = 0;
                           CBGTC_SIMD_SUM(sum)
                           for (index_type i = 0; i < slot.neurons; ++i) sum += static_cast<double>(row[i]);
                           slot.out[offset + m - slot.first] = sum;
                         });
    return;
  }
  using Policy = Kokkos::TeamPolicy<ExecutionSpace>;
  using Member = typename Policy::member_type;
  Kokkos::parallel_for(
      "cbgtc::Lfp::sum", lightweight(Policy(space, static_cast<int>(n_slots * samples), Kokkos::AUTO)),
      KOKKOS_LAMBDA(const Member& team) {
        const std::int64_t s = team.league_rank() / samples, m = team.league_rank() % samples;
        const SampleSumSlot slot = slots(s);
        const real_type* row = slot.scratch + m * slot.row_stride;
        double sum = 0;
        Kokkos::parallel_reduce(
            Kokkos::TeamThreadRange(team, slot.neurons),
            [&](const index_type i, double& partial) { partial += static_cast<double>(row[i]); }, sum);
        Kokkos::single(Kokkos::PerTeam(team), [&] { slot.out[offset + m - slot.first] = sum; });
      });
}

/// Neurons per team of addMoments.
constexpr index_type moment_block_neurons = 256;

/// Adds V and V² of rows [first_row, samples) of every slot's scratch to
/// its neurons' moments, one sample after another: a team per slot and block of
/// moment_block_neurons neurons (max_neurons: the most any slot has), a
/// thread per neuron. A team per slot would leave a large network's
/// moments to as many teams as it has populations (three of a GPU's
/// hundred-odd multiprocessors).
template <class ExecutionSpace, class Slots>
void addMoments(const ExecutionSpace& space, const Slots& slots, std::int64_t first_row, std::int64_t samples,
                index_type max_neurons) {
  const auto n_slots = static_cast<std::int64_t>(slots.extent(0));
  if (n_slots == 0 || first_row >= samples || max_neurons <= 0) return;
  const std::int64_t blocks = (max_neurons + moment_block_neurons - 1) / moment_block_neurons;
  constexpr bool host = Kokkos::SpaceAccessibility<ExecutionSpace, Kokkos::HostSpace>::accessible;
  if constexpr (host) {
    // The samples in the outer loop and the block's neurons in vector lanes
    // (a neuron's samples lie a row apart): each neuron still adds its
    // samples in turn, so the sums are the same bits.
    Kokkos::parallel_for(
        "cbgtc::Synchrony::moments", Kokkos::RangePolicy<ExecutionSpace>(space, 0, n_slots * blocks),
        [=](const std::int64_t t) {
          const MomentSlot slot = slots(t / blocks);
          const auto begin = static_cast<index_type>((t % blocks) * moment_block_neurons);
          if (begin >= slot.neurons) return;
          const index_type end =
              slot.neurons - begin < moment_block_neurons ? slot.neurons : begin + moment_block_neurons;
          double* const sums = slot.moments;
          double* const squares = slot.moments + slot.stride_moment;
          const std::int64_t stride = slot.stride_neuron;
          for (std::int64_t m = first_row; m < samples; ++m) {
            const real_type* row = slot.scratch + m * slot.row_stride;
            CBGTC_SIMD_LOOP
            for (index_type i = begin; i < end; ++i) {
              const double v = static_cast<double>(row[i]);
              sums[i * stride] += v;
              squares[i * stride] += v * v;
            }
          }
        });
    return;
  }
  using Policy = Kokkos::TeamPolicy<ExecutionSpace>;
  using Member = typename Policy::member_type;
  Kokkos::parallel_for(
      "cbgtc::Synchrony::moments",
      lightweight(Policy(space, static_cast<int>(n_slots * blocks), Kokkos::AUTO)),
      KOKKOS_LAMBDA(const Member& team) {
        const MomentSlot slot = slots(team.league_rank() / blocks);
        const auto begin = static_cast<index_type>((team.league_rank() % blocks) * moment_block_neurons);
        if (begin >= slot.neurons) return;
        const index_type end =
            slot.neurons - begin < moment_block_neurons ? slot.neurons : begin + moment_block_neurons;
        Kokkos::parallel_for(Kokkos::TeamThreadRange(team, begin, end), [&](const index_type i) {
          // Each sample added to the run's sums in turn, so that they do not
          // depend on where epochs end (a merged ensemble's epoch is its
          // replicas' smallest delay, which a replica alone may not share).
          double& sum = slot.moments[i * slot.stride_neuron];
          double& squares = slot.moments[i * slot.stride_neuron + slot.stride_moment];
          double s = sum, q = squares;
          for (std::int64_t m = first_row; m < samples; ++m) {
            const double v = static_cast<double>(slot.scratch[m * slot.row_stride + i]);
            s += v;
            q += v * v;
          }
          sum = s;
          squares = q;
        });
      });
}

}  // namespace cbgtc
