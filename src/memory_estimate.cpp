#include "src/memory_estimate.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "kernels/spike_record.hpp"
#include "kernels/types.hpp"
#include "src/projection.hpp"
#include "src/record_plan.hpp"
#include "src/simulation.hpp"
#include "src/stimuli.hpp"

#if defined(KOKKOS_ENABLE_CUDA)
#include <cuda_runtime.h>
#elif defined(KOKKOS_ENABLE_HIP)
#include <hip/hip_runtime.h>
#endif

namespace cbgtc {

namespace {

/// The largest block of n on `ranks` ranks (comm::blockOf).
std::int64_t largestBlock(std::int64_t n, int ranks) { return (n + ranks - 1) / ranks; }

std::string gigabytes(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g GB", bytes / 1e9);
  return text;
}

}  // namespace

namespace {
// Bytes as a double: the product of an absurd deck's sizes must not wrap.
void add(std::vector<MemoryItem>& items, std::string what, double bytes, bool device) {
  items.push_back({std::move(what), bytes, device});
}
}  // namespace

std::vector<MemoryItem> estimateMemory(const SimulationConfig& c, int ranks) {
  std::vector<MemoryItem> items;
  const double dt = c.simulation.dt_ms;
  const std::int64_t steps = c.stepCount();
  const step_type epoch = epochSteps(c);
  const std::int64_t lfp_every = lfpSampling(c).device_every;
  const std::int64_t lfp_samples = (steps + lfp_every - 1) / lfp_every;
  std::int64_t spike_capacity = 1;
  const std::int64_t device_lfp_samples = lfpDeviceSamples(c);  // (a pass over the projections)
  for (const PopulationSettings& p : c.populations) {
    const std::int64_t n = largestBlock(p.n, ranks);
    const std::string key = "population." + p.name + ".n";
    // State, OU value, spike statistics (7 words), the epoch's LFP and V
    // scratch, V's moments.
    const std::int64_t per_neuron = static_cast<std::int64_t>(stateBytes(p.params)) + 8 + 56 + 16 +
                                    2 * (epoch / lfp_every + 2) * static_cast<std::int64_t>(sizeof(real_type));
    add(items, "neurons of " + p.name + " (" + key + ")", n * per_neuron, true);
    // The LFP proxy: a bounded buffer on the device, the whole run on the
    // host (kept, and summed over the ranks).
    // (and the same for the sum of V)
    add(items, "LFP buffer of " + p.name, 2 * device_lfp_samples * 8, true);
    add(items,
        "LFP proxy of " + p.name +
            " on the host (simulation.duration_ms at the device's LFP rate, docs/model.md §7.2)",
        2 * lfp_samples * 8 * 2, false);
    if (c.analysis.surprise_neurons > 0 && p.n > 0) {
      // The kept neurons are every s-th (s = n / kept): a block holds at
      // most block / s + 1 of them.
      const std::int64_t kept = std::min(p.n, c.analysis.surprise_neurons);
      const std::int64_t here = std::min(kept, n / (p.n / kept) + 1);
      add(items, "spike trains of " + p.name + " (analysis.surprise_neurons, simulation.duration_ms)",
          here * (surpriseTrainCapacity(c) + 1) * 8, true);
    }
    // Values of the model's step computed for the whole run (Model::stepTable,
    // such as a source's rate fluctuation); a single value is not counted.
    if (const std::int64_t table = stepTableBytes(p.params, steps); table > 8)
      add(items, "step table of " + p.name + " (population." + p.name + ", simulation.duration_ms)",
          static_cast<double>(table), true);
    const std::int64_t separation = std::max<std::int64_t>(1, leastSpikeSeparation(p.params, dt));
    spike_capacity += n * ((epoch - 1) / separation + 1);
    for (const StimulusSettings& st : c.stimuli)
      if (stimulusKind(st) == StimulusKind::Axonal && st.population == p.name)
        spike_capacity += n * axonalPulsesPerEpoch(st, c, epoch);
  }
  // Recordings: the buffer of samples and the column of each local neuron.
  for (const RecordPlan& r : recordPlans(c)) {
    const PopulationSettings& p = c.populations[r.population];
    const auto cells = static_cast<std::int64_t>(r.node_ids.size());
    const auto values = recordCapacity(c, r.every_steps) * static_cast<std::int64_t>(r.variables.size());
    const std::string what = r.name.empty() ? "voltage report of " + p.name + " (output.v_neurons)"
                                            : "recording " + r.name + " ([record." + r.name + "])";
    add(items, what, values * std::min(cells, largestBlock(p.n, ranks)) * 4 + largestBlock(p.n, ranks) * 4,
        true);
  }
  const auto record = static_cast<std::int64_t>(sizeof(SpikeRecord));
  add(items, "spike buffer (population.*.n)", spike_capacity * record, true);
  // Every rank's spikes of an epoch, gathered on every rank (at most).
  add(items, "exchanged spikes (population.*.n)", spike_capacity * ranks * record, false);

  const PopulationsByName population(c);
  for (const ProjectionSettings& pr : c.projections) {
    const PopulationSettings* source = population(pr.source);
    const PopulationSettings* target = population(pr.target);
    if (!source || !target) continue;
    const std::int64_t targets = largestBlock(target->n, ranks);
    const std::int64_t candidates = source->n - (source == target && !pr.autapses ? 1 : 0);
    const double per_target = meanIndegree(pr, candidates);
    // Bernoulli counts: the mean and five standard deviations.
    const double synapses = per_target * targets + 5 * std::sqrt(per_target * targets) + 1;
    const double per_synapse = sizeof(index_type) + sizeof(weight_type) + (pr.delay_jitter_ms > 0 ? 2 : 0) +
                               (c.execution.delivery == "pull" ? 12 : 0);
    // During construction the synapses exist grouped by target and by
    // source at once.
    const std::string k = "projection." + pr.name;
    const std::string sizes = "population." + source->name + ".n" +
                              (source == target ? "" : ", population." + target->name + ".n");
    add(items,
        "synapses of " + k + " (" +
            (pr.rule == "fixed_indegree"      ? k + ".indegree, "
             : pr.rule == "fixed_probability" ? k + ".p, "
                                              : "") +
            sizes + ")",
        2 * synapses * per_synapse + 8.0 * static_cast<double>(source->n + 1) +
            8.0 * static_cast<double>(targets + 1),
        true);
    // A projection without synapses has no ring (Simulation::buildProjections).
    // Beside its slots: a conductance per target and, with one delay, a
    // stamp per slot (keepsStamps).
    const std::int64_t slots = stepsOf(pr.delay_ms + pr.delay_jitter_ms, dt) + 1;
    const std::int64_t stamps = pr.delay_jitter_ms > 0 || c.execution.delivery == "pull" ? 0 : slots;
    if (per_target > 0)
      add(items, "arrival ring of " + k + " (" + k + ".delay_ms, population." + target->name + ".n)",
          slots * targets * 8 + targets * static_cast<std::int64_t>(sizeof(real_type)) + stamps * 8, true);
  }
  return items;
}

std::int64_t deviceMemoryAvailable() {
#if defined(KOKKOS_ENABLE_CUDA)
  std::size_t free_bytes = 0, total = 0;
  if (cudaMemGetInfo(&free_bytes, &total) == cudaSuccess) return static_cast<std::int64_t>(free_bytes);
  return -1;
#elif defined(KOKKOS_ENABLE_HIP)
  std::size_t free_bytes = 0, total = 0;
  if (hipMemGetInfo(&free_bytes, &total) == hipSuccess) return static_cast<std::int64_t>(free_bytes);
  return -1;
#else
  return hostMemoryAvailable();
#endif
}

std::int64_t hostMemoryAvailable() {
  // Linux: what can be allocated without swapping.
  std::ifstream meminfo("/proc/meminfo");
  std::string line;
  while (std::getline(meminfo, line)) {
    std::istringstream in(line);
    std::string name;
    long long kb = 0;
    if (in >> name >> kb && name == "MemAvailable:") return static_cast<std::int64_t>(kb) * 1024;
  }
  const long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<std::int64_t>(pages) * page : -1;
}

void checkMemory(const SimulationConfig& config, int ranks) {
  std::vector<MemoryItem> items = estimateMemory(config, ranks);
  constexpr bool shared = Kokkos::SpaceAccessibility<Kokkos::HostSpace, MemorySpace>::accessible;
  auto check = [&](bool device, std::int64_t available, const char* where) {
    if (available < 0) return;
    std::vector<MemoryItem> mine;
    double total = 0;
    for (const auto& item : items)
      if (shared || item.device == device) {
        mine.push_back(item);
        total += item.bytes;
      }
    if (total <= static_cast<double>(available)) return;
    std::sort(mine.begin(), mine.end(), [](const MemoryItem& a, const MemoryItem& b) { return a.bytes > b.bytes; });
    std::string largest;
    for (std::size_t i = 0; i < mine.size() && i < 3; ++i)
      largest += (i ? "; " : "") + mine[i].what + ": " + gigabytes(mine[i].bytes);
    throw ConfigError("the run needs about " + gigabytes(total) + " of " + where +
                      " memory per rank, more than the " + gigabytes(static_cast<double>(available)) +
                      " available (largest: " + largest + ")");
  };
  if (shared) {
    check(true, hostMemoryAvailable(), "host");
  } else {
    check(true, deviceMemoryAvailable(), "device");
    check(false, hostMemoryAvailable(), "host");
  }
}

}  // namespace cbgtc
