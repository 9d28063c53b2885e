#pragma once
// Checkpoints: the whole dynamic state of a run at an exchange epoch's
// boundary, in an HDF5 file, keyed by population or projection name and
// global neuron index, so that a run continued from it on any number of
// ranks or any backend gives what the whole run gives (docs/checkpoint.md).
// The connectivity is not stored: it is regenerated from its keys, and a
// digest of it is stored and compared.

#include <string>
#include <vector>

#include "io/output_writer.hpp"
#include "kernels/time_steps.hpp"
#include "kernels/types.hpp"
#include "src/config.hpp"

namespace cbgtc {

/// The model times of checkpoint.at_ms ("1000, 2500"); throws ConfigError
/// naming the key for anything but non-negative numbers.
std::vector<double> checkpointTimes(const std::string& text);

/// The step of a checkpoint asked for at `ms`: its step (stepsOf) rounded
/// up to a multiple of `epoch_steps` (a spike exchange).
step_type checkpointStep(double ms, double dt_ms, step_type epoch_steps);

/// The steps at which `config` writes a checkpoint: each time of
/// checkpoint.at_ms and each multiple of checkpoint.every_ms, as a step
/// (stepsOf) rounded up to a multiple of `epoch_steps` (a spike exchange),
/// after step 0 and before the run's last step; ascending, each once.
std::vector<step_type> checkpointSteps(const SimulationConfig& config, step_type epoch_steps);

/// The keys a continued run must share with its checkpoint, with their
/// resolved values: every key but those of [execution], [output],
/// [checkpoint] and [ensemble], and simulation.duration_ms.
io::AttributeList physicsKeys(const SimulationConfig& config);

/// Throws ConfigError when the checkpoint's physics keys differ from
/// `config`'s, naming the first key (in `config`'s order) that differs or
/// that one of them lacks. The keys of a stimulus may differ where it
/// starts at or after the checkpoint's time `checkpoint_ms` in both, with
/// the same kind and population: it has not acted yet, so the continuation
/// is still the whole run of `config` (docs/checkpoint.md).
void checkSamePhysics(const io::AttributeList& saved, const SimulationConfig& config, const std::string& path,
                      double checkpoint_ms);

/// The checks of a checkpoint that need no network built, made by the run
/// and by --validate: a complete cbgtc checkpoint of this format and
/// precision, of `config`'s physics, at a spike exchange (every
/// `epoch_steps`) before the run's end, with each population's per-neuron
/// counts. Throws ConfigError naming the file.
void checkCheckpointFile(const std::string& path, const SimulationConfig& config, step_type epoch_steps);

}  // namespace cbgtc
