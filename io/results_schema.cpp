#include "io/results_schema.hpp"

namespace cbgtc::io {

void writePopulationResults(OutputWriter& writer, const PopulationResults& r) {
  writer.writeDataset(
      "/lfp", r.population, r.lfp,
      {{"units", r.current_units},
       {"description",
        "sum over neurons of |g (V - E_rev)| of every synaptic input, low-pass filtered and "
        "decimated to the sampling interval (docs/model.md 7.2; the filter may ring below 0)"}},
      {{"sampling_interval_ms", r.lfp_interval_ms}, {"start_ms", 0.0}});
  const std::string group = "/metrics/" + r.population;
  writer.writeNumbers(group, r.metrics);
  writer.writeDataset(group, "psd_freq_hz", r.psd_freq_hz, {{"units", "Hz"}});
  writer.writeDataset(group, "psd", r.psd, {{"units", "(" + r.current_units + ")^2/Hz"}});
}

}  // namespace cbgtc::io
