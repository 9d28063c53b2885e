#pragma once
// The layout of a run's analysis in the output file (non-SONATA groups):
//   /lfp/<population>                  the LFP proxy over the whole run
//       attributes units, description (text), sampling_interval_ms, start_ms (numbers)
//   /metrics/<population>              float64 attributes: rate_hz, cv_isi, ...
//   /metrics/<population>/psd_freq_hz  Welch frequencies (Hz)
//   /metrics/<population>/psd          Welch power spectral density
//   /metrics/<population>/comodulogram (+ _phase_hz, _amplitude_hz)   Tort indices, docs/model.md §7.7
//   /coherence/<a>/<b>/{freq_hz, coherence}   pairs of populations, docs/model.md §7.7
// Every population has both groups, also one of size 0 (its metrics NaN).

#include <string>
#include <utility>
#include <vector>

#include "io/output_writer.hpp"

namespace cbgtc::io {

/// What the analysis of one population leaves, as plain host data.
struct PopulationResults {
  std::string population;
  std::string current_units;         // of the LFP proxy
  std::vector<double> lfp;           // one sample per interval from t = 0
  double lfp_interval_ms = 1;
  NumberList metrics;                // name, value
  std::vector<double> psd_freq_hz;
  std::vector<double> psd;
};

void writePopulationResults(OutputWriter& writer, const PopulationResults& results);

}  // namespace cbgtc::io
