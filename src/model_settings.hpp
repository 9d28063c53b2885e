#pragma once
// The registry's models as configuration: the settings of any model as one
// variant, made from models::Models, and what the deck parser needs of
// them without knowing the models (names, defaults, keys).

#include <functional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "kernels/models/registry.hpp"

namespace cbgtc {

namespace Impl {
template <class List>
struct SettingsVariant;
template <class T, class... U>
constexpr int countOf() {
  return (0 + ... + int(std::is_same_v<T, U>));
}
template <class... M>
struct SettingsVariant<models::ModelList<M...>> {
  // The model is found from the type the variant holds.
  static_assert(((countOf<typename M::Settings, typename M::Settings...>() == 1) && ...),
                "two models of the registry share one Settings type: give each its own Params struct "
                "(docs/adding_a_model.md)");
  using type = std::variant<typename M::Settings...>;
};
}  // namespace Impl

/// A population's model and its parameters: one alternative per model.
using ModelSettings = Impl::SettingsVariant<models::Models>::type;

/// The model whose settings `s` holds, e.g. "stn_hh".
std::string modelName(const ModelSettings& s);

/// Every model name of the build, in registry order.
std::vector<std::string> modelNames();

/// The default settings of the model called `name`; throws
/// std::invalid_argument naming the known models.
ModelSettings defaultModelSettings(const std::string& name);

/// One deck key of a model (relative to its population's section).
struct ModelKey {
  const char* name;
  real_type* field;
  const char* unit;
  const char* help;
  KeyBound bound;
};

/// Every key of the model `s` holds, bound to its fields.
std::vector<ModelKey> modelKeys(ModelSettings& s);

/// The model's units of input current and of synaptic conductance.
const char* currentUnits(const ModelSettings& s);
const char* conductanceUnits(const ModelSettings& s);

/// The state variables a [record] section can name (Model::state_variables).
std::vector<StateVariable> stateVariables(const ModelSettings& s);
/// Whether the model has a membrane potential V (spike sources have none).
bool hasMembranePotential(const ModelSettings& s);

/// Whether projections may target a population of the model (false for
/// spike sources: Model::takes_input).
bool takesInput(const ModelSettings& s);

/// Whether the model replays spike trains from population.<name>.spike_file
/// (Model::reads_spike_trains).
bool readsSpikeTrains(const ModelSettings& s);

/// Bytes of one neuron's state in the model's storage.
std::size_t stateBytes(const ModelSettings& s);

/// Bytes of the model's step table for a run of n_steps (Model::stepTable;
/// 0 for a model without one).
std::int64_t stepTableBytes(const ModelSettings& s, std::int64_t n_steps);

/// The least number of steps between two spikes of one neuron at dt.
std::int64_t leastSpikeSeparation(const ModelSettings& s, double dt_ms);

/// "" or what is inconsistent between the model's keys at dt.
std::string modelInconsistency(const ModelSettings& s, double dt_ms);

}  // namespace cbgtc
