#include "src/model_settings.hpp"

#include <algorithm>
#include <iterator>
#include <type_traits>

#include <stdexcept>

namespace cbgtc {

namespace {

template <class F, class... M>
void forEachModel(models::ModelList<M...>, F&& f) {
  (f(M{}), ...);
}

template <class Settings>
struct ModelOf;

/// The model type whose Settings is S.
template <class S>
using ModelFor = typename ModelOf<S>::type;

template <class S, class... M>
struct Find;
template <class S, class First, class... M>
struct Find<S, First, M...> {
  using type = std::conditional_t<std::is_same_v<S, typename First::Settings>, First, typename Find<S, M...>::type>;
};
template <class S>
struct Find<S> {
  using type = void;
};
template <class S, class... M>
struct FindIn;
template <class S, class... M>
struct FindIn<S, models::ModelList<M...>> {
  using type = typename Find<S, M...>::type;
};
template <class Settings>
struct ModelOf {
  using type = typename FindIn<Settings, models::Models>::type;
};

}  // namespace

std::string modelName(const ModelSettings& s) {
  return std::visit([](const auto& x) { return std::string(ModelFor<std::decay_t<decltype(x)>>::name); }, s);
}

std::vector<std::string> modelNames() {
  std::vector<std::string> names;
  forEachModel(models::Models{}, [&](auto m) { names.emplace_back(decltype(m)::name); });
  return names;
}

ModelSettings defaultModelSettings(const std::string& name) {
  ModelSettings out;
  bool found = false;
  forEachModel(models::Models{}, [&](auto m) {
    using M = decltype(m);
    if (!found && name == M::name) {
      out = typename M::Settings{};
      found = true;
    }
  });
  if (found) return out;
  std::string known;
  for (const auto& n : modelNames()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown model '" + name + "' (models: " + known + ")");
}

std::vector<ModelKey> modelKeys(ModelSettings& s) {
  std::vector<ModelKey> keys;
  std::visit(
      [&](auto& x) {
        auto add = [&](const char* name, real_type& field, const char* unit, const char* help, KeyBound bound) {
          keys.push_back(ModelKey{name, &field, unit, help, bound});
        };
        ModelFor<std::decay_t<decltype(x)>>::bindKeys(add, x);
      },
      s);
  return keys;
}

const char* currentUnits(const ModelSettings& s) {
  return std::visit([](const auto& x) { return ModelFor<std::decay_t<decltype(x)>>::current_units; }, s);
}

namespace {
template <class M, class = void>
struct TakesInput : std::true_type {};
template <class M>
struct TakesInput<M, std::void_t<decltype(M::takes_input)>> : std::bool_constant<M::takes_input> {};
}  // namespace

template <class M, class = void>
struct ReadsSpikeTrains : std::false_type {};
template <class M>
struct ReadsSpikeTrains<M, std::void_t<decltype(M::reads_spike_trains)>> : std::bool_constant<M::reads_spike_trains> {};

bool readsSpikeTrains(const ModelSettings& s) {
  return std::visit([](const auto& x) { return ReadsSpikeTrains<ModelFor<std::decay_t<decltype(x)>>>::value; }, s);
}

bool takesInput(const ModelSettings& s) {
  return std::visit([](const auto& x) { return TakesInput<ModelFor<std::decay_t<decltype(x)>>>::value; }, s);
}

std::vector<StateVariable> stateVariables(const ModelSettings& s) {
  return std::visit(
      [](const auto& x) {
        const auto& list = ModelFor<std::decay_t<decltype(x)>>::state_variables;
        return std::vector<StateVariable>(std::begin(list), std::end(list));
      },
      s);
}

bool hasMembranePotential(const ModelSettings& s) {
  const auto state = stateVariables(s);
  return std::any_of(state.begin(), state.end(), [](const StateVariable& v) { return v.name == std::string("V"); });
}

const char* conductanceUnits(const ModelSettings& s) {
  return std::visit([](const auto& x) { return ModelFor<std::decay_t<decltype(x)>>::conductance_units; }, s);
}

std::size_t stateBytes(const ModelSettings& s) {
  return std::visit([](const auto& x) { return sizeof(typename ModelFor<std::decay_t<decltype(x)>>::State); }, s);
}

std::int64_t stepTableBytes(const ModelSettings& s, std::int64_t n_steps) {
  return std::visit(
      [n_steps](const auto& x) -> std::int64_t {
        using M = ModelFor<std::decay_t<decltype(x)>>;
        if constexpr (HasStepTable<M>::value)
          return M::stepTableLength(x, n_steps) * static_cast<std::int64_t>(sizeof(double));
        else
          return 0;
      },
      s);
}

std::int64_t leastSpikeSeparation(const ModelSettings& s, double dt_ms) {
  return std::visit(
      [dt_ms](const auto& x) {
        using M = ModelFor<std::decay_t<decltype(x)>>;
        return static_cast<std::int64_t>(M::leastSpikeSeparation(M::derive(x, dt_ms)));
      },
      s);
}

std::string modelInconsistency(const ModelSettings& s, double dt_ms) {
  return std::visit([dt_ms](const auto& x) { return ModelFor<std::decay_t<decltype(x)>>::inconsistency(x, dt_ms); },
                    s);
}

}  // namespace cbgtc
