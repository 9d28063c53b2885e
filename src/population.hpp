#pragma once
// One population of a run, on this rank: its model's state and step, its
// drive, and what is recorded of it. Populations are data: the run holds a
// list of them, built from the deck's [population.<name>] sections.

#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "kernels/models/registry.hpp"
#include "kernels/neuron_update.hpp"
#include "src/comm/communicator.hpp"

namespace cbgtc {

/// A model's population state and its step (with the constants derived for
/// this run's dt).
template <class Model>
struct ModelState {
  using model = Model;
  typename Model::template Storage<MemorySpace> storage;
  typename Model::Step step;
};

namespace Impl {
template <class List>
struct StateVariant;
template <class... M>
struct StateVariant<models::ModelList<M...>> {
  using type = std::variant<ModelState<M>...>;
};
}  // namespace Impl

/// The state of a population of any model of the registry.
using AnyModelState = Impl::StateVariant<models::Models>::type;

namespace Impl {
template <class List>
struct StepperLists;
template <class... M>
struct StepperLists<models::ModelList<M...>> {
  using type = std::tuple<std::vector<StepperOf<M>>...>;
};
}  // namespace Impl

/// One list of steppers per model of the registry: a launch's populations.
using SteppersByModel = Impl::StepperLists<models::Models>::type;

struct Population {
  std::string name;
  std::uint32_t key = 0;       // random key: rng::streamKey(name)
  std::uint32_t position = 0;  // in the run's list: what spike records carry
  index_type size = 0;         // the whole population
  comm::Block block;           // this rank's neurons (global indices)
  std::string current_units;   // of the model's input current
  AnyModelState model;
  PopulationDrive<MemorySpace> drive;

  // What is recorded.
  SpikeBuffer<MemorySpace> spikes;      // the run's buffer, stamping this population
  SpikeStatistics<MemorySpace> stats;   // of this rank's neurons, on the device
  Kokkos::View<real_type*, MemorySpace> V;
  index_type report_cells = 0;          // whole report (the first output.v_neurons cells)
  index_type local_report_cells = 0;    // of them, on this rank
  Kokkos::View<float**, Kokkos::LayoutRight, MemorySpace> report;
  std::int64_t report_rows = 0;         // filled rows not yet flushed
  std::int64_t report_capacity = 0;
  // The LFP proxy: a bounded device buffer of samples from lfp_device_first
  // on, moved to the host when full (Simulation::flushLfp), so device memory
  // does not grow with the duration.
  Kokkos::View<double*, MemorySpace> lfp;
  std::int64_t lfp_device_first = 0;
  std::vector<double> lfp_host;  // samples 0 .. lfp_device_first − 1 (this rank's partial sums)
  Kokkos::View<real_type**, Kokkos::LayoutRight, MemorySpace> lfp_scratch;  // [sample in epoch][neuron]

  index_type localSize() const { return static_cast<index_type>(block.size()); }
  index_type firstGlobal() const { return static_cast<index_type>(block.begin); }
};

}  // namespace cbgtc
