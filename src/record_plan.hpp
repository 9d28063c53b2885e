#pragma once
// Recordings resolved against the network: which neurons, which variables
// (README.md, "Recording"), how often, and the file of each variable.

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/record_probe.hpp"
#include "src/config.hpp"

namespace cbgtc {

struct RecordPlan {
  struct Variable {
    std::string name;   // as the deck names it ("V", "g_stn_gpe")
    std::string units;
    RecordedKind kind = RecordedKind::State;
    std::int32_t index = 0;  // State: the model's variable; Conductance: the projection's position
    std::string file;        // "": the run's output file
  };
  std::string name;             // the section's name; "" for output.v_neurons
  std::size_t population = 0;   // position in config.populations
  std::vector<std::uint64_t> node_ids;  // ascending, distinct
  std::int64_t every_steps = 1;
  std::vector<Variable> variables;
};

/// Every recording of `config`: the V report of output.v_neurons first (one
/// per population with neurons to record and a V, into the output file), then the
/// [record.<name>] sections in deck order. Throws ConfigError naming the key.
std::vector<RecordPlan> recordPlans(const SimulationConfig& config);

/// The node ids of "a, b, c" (a key's value), ascending; refused (naming
/// `key`) unless each is a node id of `population`, once.
std::vector<std::uint64_t> parseNodeIds(const std::string& key, const std::string& text,
                                        const PopulationSettings& population);

/// The files the [record] sections write, in recordPlans' order.
std::vector<std::string> recordFiles(const std::vector<RecordPlan>& plans);

}  // namespace cbgtc
