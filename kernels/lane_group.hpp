#pragma once
// A group of L adjacent GPU lanes that advance one neuron together. A small
// network is latency-bound on a GPU: each thread's step is a long chain of
// dependent double-precision operations, and there are too few neurons to
// hide it behind other warps. With L lanes per neuron, the independent parts
// of a step (the STN gates' exponentials and divisions, the noise blocks)
// are shared out among the lanes and the results exchanged with warp
// shuffles; the rest is computed by every lane alike. Each value is computed
// by exactly the same operations as with one lane, so L does not change a
// bit of the results (tested on the GPU).
//
// Host backends use L = 1 only. On a GPU, lane q of a group must sit in
// hardware lane q of an aligned segment of L lanes: work item t is neuron
// t / L, lane t % L, and Kokkos' range launches put consecutive work items
// in consecutive lanes of a warp (blocks of a multiple of 32 threads).

#include <Kokkos_Core.hpp>

#include "kernels/vectorizable_math.hpp"

namespace cbgtc {

template <int L>
struct LaneGroup {
  static_assert(L == 1 || L == 2 || L == 4 || L == 8, "lanes per neuron: 1, 2, 4 or 8");
  static constexpr int size = L;
  static constexpr int log2_size = L == 1 ? 0 : L == 2 ? 1 : L == 4 ? 2 : 3;
  int lane = 0;  // 0 ≤ lane < L

  /// The lane that stores state and records spikes for the group.
  KOKKOS_FORCEINLINE_FUNCTION bool leader() const { return lane == 0; }

  /// Waits until every lane of the group got here, and orders their memory
  /// accesses before it before those after it: a lane may otherwise run
  /// ahead of the others (independent thread scheduling on NVIDIA GPUs). An
  /// AMD wavefront runs its lanes in lockstep, so HIP needs no barrier.
  KOKKOS_FORCEINLINE_FUNCTION void sync() const {
    if constexpr (L > 1) {
#if defined(__CUDA_ARCH__)
      __syncwarp(hardwareMask());
#endif
    }
  }

  /// `v` (double or float) of lane `src` of this group, to every lane of it.
  template <class T>
  KOKKOS_FORCEINLINE_FUNCTION T fromLane(T v, int src) const {
    if constexpr (L > 1) {
#if defined(__CUDA_ARCH__)
      return __shfl_sync(hardwareMask(), v, src, L);
#elif defined(__HIP_DEVICE_COMPILE__)
      return __shfl(v, src, L);
#endif
    }
    (void)src;
    return v;  // one lane (host backends always have one)
  }

  /// Of values[slot·L, slot·L + L), known to every lane, the one of this lane:
  /// selects, not an index, so that the array stays in registers.
  template <class T, int N>
  KOKKOS_FORCEINLINE_FUNCTION T mine(const T (&values)[N], int slot) const {
    T v = values[slot * L];
    CBGTC_UNROLL
    for (int q = 1; q < L; ++q)
      if (lane == q && slot * L + q < N) v = values[slot * L + q];
    return v;
  }

 private:
#if defined(__CUDA_ARCH__)
  /// The warp's lanes of this group: an aligned segment of L lanes.
  KOKKOS_FORCEINLINE_FUNCTION static unsigned hardwareMask() {
    unsigned hw_lane;
    asm("mov.u32 %0, %%laneid;" : "=r"(hw_lane));
    return ((1u << L) - 1u) << (hw_lane & ~static_cast<unsigned>(L - 1));
  }
#endif
};

}  // namespace cbgtc
