#pragma once
// [stimulus.<name>] sections resolved against the network: checks, the
// kernel form (kernels/stimulus.hpp) and the neurons each drives.

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/stimulus.hpp"
#include "src/comm/communicator.hpp"
#include "src/config.hpp"

namespace cbgtc {

/// The spike population of a population's axonal stimuli:
/// "<name>_axonal", and for a replica's population "<name>~r",
/// "<name>_axonal~r" (a replica's every name ends in its "~r").
inline std::string axonalSpikePopulation(const std::string& population) {
  const std::string tag = replicaTag(population);
  return population.substr(0, population.size() - tag.size()) + "_axonal" + tag;
}

/// The kind that `s.kind` names. Throws ConfigError naming the key and
/// the kinds where it names none.
StimulusKind stimulusKind(const StimulusSettings& s);

/// Whether `s` delivers pulses (pulse_train or axonal).
inline bool isPulsed(const StimulusSettings& s) {
  const StimulusKind kind = stimulusKind(s);
  return kind == StimulusKind::PulseTrain || kind == StimulusKind::Axonal;
}

/// Checks every [stimulus] section; throws ConfigError naming the key.
void checkStimuli(const SimulationConfig& config);

/// The kernel form of a stimulus, without its targets.
Stimulus stimulusOf(const StimulusSettings& s, const SimulationConfig& config);

/// The stimulus whose pulses the pulse-triggered histograms follow
/// around `population`'s spikes (analysis.pulse_stimulus; of its replica in an
/// in-process ensemble), or nullptr.
const StimulusSettings* pulseHistogramStimulus(const SimulationConfig& config, const std::string& population);

/// Whether stimulus `s` acts on any neuron: a current that is not zero,
/// axons fired with a probability above zero, and some neuron it reaches
/// (its node ids, a fraction above zero, an electrode's activated set).
bool stimulusActs(const StimulusSettings& s, const SimulationConfig& config);

/// Whether `s` has a strength at all: an axonal train's probability, a
/// current's amplitude (or a sine's offset); not whom it reaches.
bool stimulusHasStrength(const StimulusSettings& s);

/// The stimulus whose pulses the relay error index counts
/// (analysis.relay_stimulus) of `population`'s replica, or nullptr.
const StimulusSettings* relayStimulus(const SimulationConfig& config, const std::string& population);

/// Whether `population` counts the relay of its own stimulus's pulses (its
/// relay counters exist): decided by the deck, so the same on every rank,
/// where the counters' extents are not (a rank that owns none of its neurons
/// has empty ones) and a collective over them must not depend on those.
bool countsRelay(const SimulationConfig& config, const std::string& population);

/// What an electrode stimulus reaches (docs/model.md §5.3): neurons within
/// r_act = sqrt((I − I0)/K) of it.
struct ElectrodeReach {
  std::int64_t activated = 0;    // neurons of the population
  double fraction = 0;           // of the population
  double radius_um = 0;          // r_act (0 when I < I0)
  double potential_mV = 0;       // the point source's potential I/(4πσ r) at r_act
};

/// Whether global neuron i of a placed population (by default the
/// stimulus's, the one it drives) is within its electrode's reach.
bool withinReach(const StimulusSettings& s, const SimulationConfig& config, std::int64_t i);
bool withinReach(const StimulusSettings& s, const SimulationConfig& config, const PopulationSettings& population,
                 std::int64_t i);

/// The reach of an electrode stimulus over a whole placed population (by
/// default the one it drives): the volume of tissue activated there.
ElectrodeReach electrodeReach(const StimulusSettings& s, const SimulationConfig& config);
ElectrodeReach electrodeReach(const StimulusSettings& s, const SimulationConfig& config,
                              const PopulationSettings& population);

/// The most pulses of an axonal stimulus in `epoch_steps` steps of dt_ms.
std::int64_t axonalPulsesPerEpoch(const StimulusSettings& s, const SimulationConfig& config,
                                  std::int64_t epoch_steps);

/// The onsets (ms, ascending) of a pulse_train or axonal stimulus's pulses
/// in [start_ms, stop): start + m/f, or with interval_cv > 0 each interval
/// 1000/rate_m with rate_m drawn from a gamma distribution of mean
/// frequency_hz and CV interval_cv (So et al. 2012; docs/model.md §5.1),
/// keyed by the seed, the stimulus's name and m. Those of a run that ends
/// at end_ms (its duration, or where it stopped) only.
std::vector<double> pulseOnsets(const StimulusSettings& s, const SimulationConfig& config, double end_ms);
/// The same for the whole run (simulation.duration_ms).
std::vector<double> pulseOnsets(const StimulusSettings& s, const SimulationConfig& config);

/// Which neurons of `block` (global indices) the stimulus drives, one flag
/// per neuron; empty when it drives all of them. A fraction is a keyed
/// random choice: neuron i is driven when its uniform draw for the
/// stimulus's name is below the fraction, on any number of ranks.
std::vector<std::uint8_t> stimulusTargets(const StimulusSettings& s, const SimulationConfig& config,
                                          const comm::Block& block);

}  // namespace cbgtc
