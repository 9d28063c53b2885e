#pragma once
// One population of a run, on this rank: its model's state and step, its
// drive, and what is recorded of it. Populations are data: the run holds a
// list of them, built from the deck's [population.<name>] sections.

#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "io/output_writer.hpp"
#include "kernels/models/registry.hpp"
#include "kernels/neuron_update.hpp"
#include "kernels/record_probe.hpp"
#include "kernels/stepper_table.hpp"
#include "src/comm/communicator.hpp"
#include "src/record_plan.hpp"

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

namespace Impl {
template <class... M>
constexpr std::size_t fusedTableBytes(models::ModelList<M...>) {
  return sizeof(FusedSteppers<StepperOf<M, Kokkos::HostSpace>...>);
}
}  // namespace Impl

// A View takes the same bytes in every memory space, so a CPU build checks
// the GPU's fused launch too: a field added to a stepper (SpikeStatistics,
// a model's Step) must leave the registry's table within a kernel argument.
static_assert(
    Impl::fusedTableBytes(models::Models{}) <= fused_argument_bytes,
    "the fused GPU launch's steppers exceed a kernel argument: shrink a stepper or lower a fused_slots");

namespace Impl {
template <class List>
struct StepperTableOf;
template <class... M>
struct StepperTableOf<models::ModelList<M...>> {
  using type = StepperTable<MemorySpace, StepperOf<M>...>;
};
}  // namespace Impl

/// The device table of a launch of the steppers of SteppersByModel.
using StepperTableByModel = Impl::StepperTableOf<models::Models>::type;

struct Population {
  std::string name;
  std::uint32_t key = 0;       // random key: randomKey of its settings (the deck's name)
  std::uint32_t position = 0;  // in the run's list: what spike records carry
  index_type size = 0;         // the whole population
  comm::Block block;           // this rank's neurons (global indices)
  std::string current_units;   // of the model's input current
  AnyModelState model;
  PopulationDrive<MemorySpace> drive;

  // What is recorded.
  SpikeBuffer<MemorySpace> spikes;      // the run's buffer, stamping this population
  SpikeStatistics<MemorySpace> stats;   // of this rank's neurons, on the device
  // The probes of the recordings of this population that have neurons on
  // this rank (Simulation::updateProbes).
  Kokkos::View<RecordProbe*, MemorySpace> probes;
  // The LFP proxy: a bounded device buffer of samples from lfp_device_first
  // on, moved to the host when full (Simulation::flushLfp), so device memory
  // does not grow with the duration.
  Kokkos::View<double*, MemorySpace> lfp;
  std::int64_t lfp_device_first = 0;
  std::vector<double> lfp_host;  // samples 0 .. lfp_device_first − 1 (this rank's partial sums)
  Kokkos::View<real_type**, Kokkos::LayoutRight, MemorySpace> lfp_scratch;  // [sample in epoch][neuron]
  Kokkos::View<real_type*, MemorySpace> lfp_partial;  // [neuron]: Σ|I_syn| of the sample under way
  // Voltage synchrony (docs/model.md §7.8), for models with a membrane:
  // V at the LFP samples, its sum over this rank's neurons per sample
  // (buffered and moved to the host with the LFP) and each neuron's
  // Σ V and Σ V² over the analysed samples. Empty for spike sources.
  Kokkos::View<real_type**, Kokkos::LayoutRight, MemorySpace> v_scratch;    // [sample in epoch][neuron]
  Kokkos::View<double*, MemorySpace> v_sum;
  std::vector<double> v_sum_host;
  // [neuron][Σ V, Σ V²], a neuron's two sums a population apart: addMoments
  // then adds a sample's row into contiguous sums on every backend.
  Kokkos::View<double* [2], Kokkos::LayoutLeft, MemorySpace> v_moments;

  index_type localSize() const { return static_cast<index_type>(block.size()); }
  index_type firstGlobal() const { return static_cast<index_type>(block.begin); }
};

/// One recording on this rank: its plan and the device buffer of samples
/// not yet written.
struct Recording {
  RecordPlan plan;
  index_type local_columns = 0;                           // its neurons on this rank
  Kokkos::View<std::int32_t*, MemorySpace> column;        // [local neuron]: column or −1
  Kokkos::View<RecordedVariable*, MemorySpace> variables; // as this rank's inputs are numbered
  Kokkos::View<float*, MemorySpace> rows;                 // [capacity][variable][local column]
  std::int64_t capacity = 0;                              // rows
  std::int64_t first_sample = 0;                          // sample number (k / every) of row 0
  std::int64_t filled = 0;                                // rows not yet written
  std::vector<io::OutputWriter*> writers;                 // per variable, on rank 0 (run())

  /// The probe a kernel sees.
  RecordProbe probe() const {
    RecordProbe p;
    p.column = column.data();
    p.variables = variables.data();
    p.rows = rows.data();
    p.n_variables = static_cast<std::int32_t>(plan.variables.size());
    p.n_columns = static_cast<std::int32_t>(local_columns);
    p.every = plan.every_steps;
    p.first_sample = first_sample;
    return p;
  }
};

}  // namespace cbgtc
