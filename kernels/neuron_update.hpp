#pragma once
// Launchers: one thread per neuron, calling the point functions of
// stn_hh.hpp / adex.hpp / initial_state.hpp on the population's Views.

#include "kernels/initial_state.hpp"
#include "src/population.hpp"
#include "src/spike_buffer.hpp"

namespace cbgtc {

template <class ExecutionSpace, class MemorySpace>
void initializeStn(const ExecutionSpace& space, const StnPopulation<MemorySpace>& pop,
                   const stn::StnInit& init, std::uint64_t seed, PopulationId id) {
  const auto population = static_cast<std::uint32_t>(id);
  Kokkos::parallel_for(
      "cbgtc::STN::initialize", Kokkos::RangePolicy<ExecutionSpace>(space, 0, pop.size()),
      KOKKOS_LAMBDA(const index_type i) { pop.store(i, stnInitialState(init, seed, population, i)); });
}

template <class ExecutionSpace, class MemorySpace>
void initializeAdEx(const ExecutionSpace& space, const AdExPopulation<MemorySpace>& pop,
                    const adex::AdExInit& init, std::uint64_t seed, PopulationId id) {
  const auto population = static_cast<std::uint32_t>(id);
  Kokkos::parallel_for(
      "cbgtc::AdEx::initialize", Kokkos::RangePolicy<ExecutionSpace>(space, 0, pop.size()),
      KOKKOS_LAMBDA(const index_type i) { pop.store(i, adexInitialState(init, seed, population, i)); });
}

/// Advance every STN neuron by one step. input_uA_cm2 is the net input
/// current per neuron (empty: no input).
template <class ExecutionSpace, class MemorySpace>
void advanceStn(const ExecutionSpace& space, const StnPopulation<MemorySpace>& pop,
                const stn::StnParams& params, real_type dt_ms, step_type step,
                step_type min_isi_steps, const Kokkos::View<const real_type*, MemorySpace>& input_uA_cm2,
                const SpikeBuffer<MemorySpace>& spikes) {
  const bool has_input = input_uA_cm2.extent(0) > 0;
  Kokkos::parallel_for(
      "cbgtc::STN::advance", Kokkos::RangePolicy<ExecutionSpace>(space, 0, pop.size()),
      KOKKOS_LAMBDA(const index_type i) {
        stn::StnState x = pop.load(i);
        const real_type I = has_input ? input_uA_cm2(i) : real_type(0);
        if (stn::step(x, params, I, dt_ms, step, min_isi_steps)) spikes.push(step, i);
        pop.store(i, x);
      });
}

template <class ExecutionSpace, class MemorySpace>
void advanceAdEx(const ExecutionSpace& space, const AdExPopulation<MemorySpace>& pop,
                 const adex::AdExParams& params, real_type dt_ms, step_type step,
                 std::int32_t refractory_steps, const Kokkos::View<const real_type*, MemorySpace>& input_pA,
                 const SpikeBuffer<MemorySpace>& spikes) {
  const bool has_input = input_pA.extent(0) > 0;
  Kokkos::parallel_for(
      "cbgtc::AdEx::advance", Kokkos::RangePolicy<ExecutionSpace>(space, 0, pop.size()),
      KOKKOS_LAMBDA(const index_type i) {
        adex::AdExState x = pop.load(i);
        const real_type I = has_input ? input_pA(i) : real_type(0);
        if (adex::step(x, params, I, dt_ms, refractory_steps)) spikes.push(step, i);
        pop.store(i, x);
      });
}

/// Copy V of the first report.extent(1) neurons into row `row` of the report.
template <class ExecutionSpace, class MemorySpace>
void sampleVoltage(const ExecutionSpace& space, const Kokkos::View<real_type*, MemorySpace>& V,
                   const Kokkos::View<float**, Kokkos::LayoutRight, MemorySpace>& report, std::int64_t row) {
  Kokkos::parallel_for(
      "cbgtc::Report::sample", Kokkos::RangePolicy<ExecutionSpace>(space, 0, report.extent(1)),
      KOKKOS_LAMBDA(const std::size_t i) { report(row, i) = static_cast<float>(V(i)); });
}

}  // namespace cbgtc
