#pragma once
// Launchers: one thread per neuron, calling the point functions of
// stn_hh.hpp / adex.hpp / initial_state.hpp on the population's Views.

#include "kernels/initial_state.hpp"
#include "kernels/population_drive.hpp"
#include "src/population.hpp"
#include "src/spike_buffer.hpp"

namespace cbgtc {

/// Initial states of the local neurons; local neuron i is global neuron
/// first_global + i, whose state depends only on (seed, population, global).
template <class ExecutionSpace, class MemorySpace>
void initializeStn(const ExecutionSpace& space, const StnPopulation<MemorySpace>& pop,
                   const stn::StnInit& init, std::uint64_t seed, PopulationId id, index_type first_global = 0) {
  const auto population = static_cast<std::uint32_t>(id);
  Kokkos::parallel_for(
      "cbgtc::STN::initialize", Kokkos::RangePolicy<ExecutionSpace>(space, 0, pop.size()),
      KOKKOS_LAMBDA(const index_type i) {
        pop.store(i, stnInitialState(init, seed, population, first_global + i));
      });
}

template <class ExecutionSpace, class MemorySpace>
void initializeAdEx(const ExecutionSpace& space, const AdExPopulation<MemorySpace>& pop,
                    const adex::AdExInit& init, std::uint64_t seed, PopulationId id, index_type first_global = 0) {
  const auto population = static_cast<std::uint32_t>(id);
  Kokkos::parallel_for(
      "cbgtc::AdEx::initialize", Kokkos::RangePolicy<ExecutionSpace>(space, 0, pop.size()),
      KOKKOS_LAMBDA(const index_type i) {
        pop.store(i, adexInitialState(init, seed, population, first_global + i));
      });
}

/// Advance every STN neuron by one step (step index `step`), driven by
/// `drive` (synapses, noise), recording spikes (global indices) into `spikes`.
template <class ExecutionSpace, class MemorySpace>
void advanceStn(const ExecutionSpace& space, const StnPopulation<MemorySpace>& pop,
                const stn::StnParams& params, real_type dt_ms, step_type step, step_type min_isi_steps,
                const PopulationDrive<MemorySpace>& drive, const SpikeBuffer<MemorySpace>& spikes) {
  Kokkos::parallel_for(
      "cbgtc::STN::advance", Kokkos::RangePolicy<ExecutionSpace>(space, 0, pop.size()),
      KOKKOS_LAMBDA(const index_type i) {
        stn::StnState x = pop.load(i);
        const real_type I = drive.inputCurrent(i, step, x.V);
        if (stn::step(x, params, I, dt_ms, step, min_isi_steps)) spikes.push(step, drive.first_global + i);
        pop.store(i, x);
      });
}

template <class ExecutionSpace, class MemorySpace>
void advanceAdEx(const ExecutionSpace& space, const AdExPopulation<MemorySpace>& pop,
                 const adex::AdExParams& params, real_type dt_ms, step_type step, std::int32_t refractory_steps,
                 const PopulationDrive<MemorySpace>& drive, const SpikeBuffer<MemorySpace>& spikes) {
  Kokkos::parallel_for(
      "cbgtc::AdEx::advance", Kokkos::RangePolicy<ExecutionSpace>(space, 0, pop.size()),
      KOKKOS_LAMBDA(const index_type i) {
        adex::AdExState x = pop.load(i);
        const real_type I = drive.inputCurrent(i, step, x.V);
        if (adex::step(x, params, I, dt_ms, refractory_steps)) spikes.push(step, drive.first_global + i);
        pop.store(i, x);
      });
}

/// Start every neuron's OU process from its stationary distribution.
template <class ExecutionSpace, class MemorySpace>
void initializeNoise(const ExecutionSpace& space, const PopulationDrive<MemorySpace>& drive) {
  Kokkos::parallel_for(
      "cbgtc::Noise::initialize", Kokkos::RangePolicy<ExecutionSpace>(space, 0, drive.ou.extent(0)),
      KOKKOS_LAMBDA(const index_type i) {
        drive.ou(i) = ouInitial(drive.noise, drive.seed, drive.population, drive.first_global + i);
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
