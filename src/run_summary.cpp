// The run summary: each population's rate, CV of ISI and LFP-proxy spectrum
// after the burn-in, reduced over the ranks.

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "io/hdf5_reader.hpp"
#include "io/options.hpp"
#include "io/results_schema.hpp"
#include "src/analysis/oscillations.hpp"
#include "src/analysis/pulse_locking.hpp"
#include "src/analysis/spectral.hpp"
#include "src/analysis/spike_stats.hpp"
#include "src/analysis/trace_metrics.hpp"
#include "src/host_parallel.hpp"
#include "src/simulation.hpp"
#include "src/stimuli.hpp"

namespace cbgtc {

namespace {
// The pulse-locking test (docs/model.md §7.8): 999 block rotations, a
// latency where fewer than 1 % of them reach the observed peak; the
// rotations' own stream of the population's key.
constexpr int pulse_locking_surrogates = 999;
constexpr double pulse_locking_alpha = 0.01;
constexpr std::uint64_t pulse_locking_stream = 0x70756c73652d6c6bull;
}  // namespace

// Golomb's synchrony measure over the analysed samples [first, end):
// χ² = Var_t(mean_i V_i) / mean_i Var_t(V_i) (docs/model.md §7.8), from
// each rank's per-sample sums and per-neuron moments, summed over ranks.
double Simulation::voltageSynchrony(Population& r, std::int64_t first, std::int64_t end) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (r.v_sum.extent(0) == 0) return nan;  // (the same on every rank)
  std::vector<double> sums = r.v_sum_host;
  _comm.sum(sums);
  const auto moments = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), r.v_moments);
  const double samples = static_cast<double>(end - first);
  std::vector<double> neuron_variance(1, 0.0);
  for (std::size_t i = 0; i < moments.extent(0); ++i) {
    const double mean = moments(i, 0) / samples;
    neuron_variance[0] += std::max(0.0, moments(i, 1) / samples - mean * mean);
  }
  _comm.sum(neuron_variance);
  if (!(samples >= 2) || r.size == 0) return nan;
  double mean = 0, squares = 0;
  for (std::int64_t m = first; m < end; ++m) {
    const double v = sums[static_cast<std::size_t>(m)] / static_cast<double>(r.size);
    mean += v / samples;
    squares += v * v / samples;
  }
  const double population_variance = std::max(0.0, squares - mean * mean);
  const double mean_variance = neuron_variance[0] / static_cast<double>(r.size);
  return mean_variance > 0 ? std::sqrt(population_variance / mean_variance) : nan;
}

// The share of the kept neurons' analysed spikes in Poisson-surprise
// bursts (docs/model.md §7.8): each rank analyses the trains of its own
// neurons, and the ranks sum the counts. NaN without spikes, or when a kept
// train outgrew its buffer.
double Simulation::surpriseBurstFraction(Population& r, std::int64_t burn_in_steps, std::int64_t steps_done) {
  const double dt_ms = _config.simulation.dt_ms;
  std::vector<double> counts(3, 0.0);  // spikes, spikes in bursts, trains that overflowed
  if (r.stats.train.extent(0) > 0) {
    const auto trains = r.stats.hostTrains();
    const std::int64_t capacity = r.stats.trainCapacity();
    std::vector<double> times_ms;
    for (std::size_t row = 0; row < trains.extent(0); ++row) {
      const std::int64_t kept = trains(row, 0);
      if (kept > capacity) {
        ++counts[2];
        continue;
      }
      times_ms.clear();
      for (std::int64_t c = 0; c < kept; ++c)
        times_ms.push_back(static_cast<double>(trains(row, static_cast<std::size_t>(c) + 1)) * dt_ms);
      const analysis::SurpriseBursts b =
          analysis::surpriseBursts(times_ms, static_cast<double>(burn_in_steps) * dt_ms,
                                   static_cast<double>(steps_done) * dt_ms, _config.analysis.surprise_min);
      counts[0] += static_cast<double>(b.spikes);
      counts[1] += static_cast<double>(b.spikes_in_bursts);
    }
  }
  _comm.sum(counts);
  return counts[0] > 0 && counts[2] == 0 ? counts[1] / counts[0] : std::numeric_limits<double>::quiet_NaN();
}

PopulationSummary Simulation::gatherSummary(Population& r, std::int64_t steps_done, GatheredPopulation& g) {
  const auto& a = _config.analysis;
  const double dt_ms = _config.simulation.dt_ms;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  PopulationSummary p;
  p.name = r.name;
  p.size = r.size;

  // The analysed window [burn_in_steps, analysed_to) of the steps done.
  const step_type burn_in_steps = stepsOf(a.burn_in_ms, dt_ms);
  const step_type analysed_to =
      std::min<step_type>(steps_done, a.endStep(_config.simulation.duration_ms, dt_ms));
  const double analysed_s =
      std::max<double>(0.0, static_cast<double>(analysed_to - burn_in_steps)) * dt_ms / 1000.0;

  // Each rank reduces the statistics of its neurons, then the ranks sum.
  // CV of ISI (population standard deviation over mean) of neurons with at
  // least 3 spikes after burn-in; the prototype also counted 2-spike neurons
  // as CV 0 (model.md §9 D8).
  const auto total = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), r.stats.total);
  const auto counted = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), r.stats.counted);
  const auto isi_mean = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), r.stats.isi_mean);
  const auto isi_m2 = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), r.stats.isi_m2);
  const auto in_burst = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), r.stats.in_burst);
  std::int64_t spikes = 0, counted_spikes = 0, cv_neurons = 0, burst_spikes = 0;
  std::vector<double> cv_sum(1, 0.0);
  for (std::size_t i = 0; i < total.extent(0); ++i) {
    spikes += total(i);
    counted_spikes += counted(i);
    burst_spikes += in_burst(i);
    const std::int64_t n = counted(i) - 1;  // ISIs
    if (n < 2) continue;
    const double mean = isi_mean(i);
    const double var = isi_m2(i) / static_cast<double>(n);
    if (mean > 0) {
      cv_sum[0] += std::sqrt(var) / mean;
      ++cv_neurons;
    }
  }
  p.spikes = _comm.sum(spikes);
  counted_spikes = _comm.sum(counted_spikes);
  cv_neurons = _comm.sum(cv_neurons);
  burst_spikes = _comm.sum(burst_spikes);
  _comm.sum(cv_sum);
  // Undefined (NaN) for an empty population or an empty analysed window.
  g.analysed_ms = analysed_s * 1000.0;
  p.rate_hz = (r.size > 0 && analysed_s > 0) ? static_cast<double>(counted_spikes) / r.size / analysed_s : nan;
  const double cv_total = cv_sum[0];
  p.burst_spike_fraction =
      counted_spikes > 0 ? static_cast<double>(burst_spikes) / static_cast<double>(counted_spikes) : nan;
  p.cv_isi = cv_neurons > 0 ? cv_total / static_cast<double>(cv_neurons) : nan;
  p.surprise_burst_fraction = surpriseBurstFraction(r, burn_in_steps, analysed_to);

  // LFP proxy: the device's samples, low-passed and decimated to one per
  // lfp_sample_ms (§7.2); the analysis takes those from the burn-in on.
  const std::int64_t samples_done = (steps_done + _lfp.device_every - 1) / _lfp.device_every;
  flushLfp(r, samples_done);
  std::vector<double> device_lfp(r.lfp_host.begin(), r.lfp_host.begin() + samples_done);
  _comm.sum(device_lfp);  // partial sums of each rank's neurons
  g.lfp_all = analysis::decimate(device_lfp, _lfp.decimation);
  // The analysed trace is the one a run ending at the window's end would
  // decimate (the filter is centred: the last samples see the trace's end).
  const std::int64_t window_samples = (analysed_to + _lfp.device_every - 1) / _lfp.device_every;
  const std::vector<double> window_lfp =
      window_samples < samples_done
          ? analysis::decimate(std::vector<double>(device_lfp.begin(), device_lfp.begin() + window_samples),
                               _lfp.decimation)
          : g.lfp_all;
  const std::int64_t first = (burn_in_steps + _lfp.every - 1) / _lfp.every;
  g.lfp.clear();
  for (auto m = static_cast<std::size_t>(first); m < window_lfp.size(); ++m) g.lfp.push_back(window_lfp[m]);
  p.synchrony_chi =
      voltageSynchrony(r, (burn_in_steps + _lfp.device_every - 1) / _lfp.device_every, window_samples);
  // The pulse-triggered histogram, as a rate: counts over neurons, the
  // pulses' share of the analysed time and the bin.
  std::vector<double>& pulse_rate_hz = g.pulse_rate_hz;
  std::vector<double>& pulse_time_ms = g.pulse_time_ms;
  pulse_rate_hz.clear();
  pulse_time_ms.clear();
  p.pulse_latency_ms = nan;
  p.pulse_locking_p = nan;
  if (r.stats.pulse_bins.extent(0) > 0) {
    const auto device_bins = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), r.stats.pulse_bins);
    analysis::PulseBlocks blocks;
    for (std::size_t b = 0; b < device_bins.extent(0); ++b)
      blocks.counts.push_back(static_cast<double>(device_bins(b)));
    _comm.sum(blocks.counts);
    const double from = std::max(r.stats.pulse_start_ms, static_cast<double>(burn_in_steps) * dt_ms);
    const double to = std::min(r.stats.pulse_stop_ms, static_cast<double>(analysed_to) * dt_ms);
    const double bin = r.stats.pulse_bin_ms, period = r.stats.pulse_period_ms;
    // The analysed time whose latency since the last onset lies in [lo, hi):
    // in [start, x), whole periods and the rest of one, so that a window of
    // a part of a period (a low frequency, a short run) exposes only the
    // latencies it holds.
    const auto exposed_ms = [&](double x, double lo, double hi) {
      const double since = std::max(0.0, x - r.stats.pulse_start_ms);
      const double periods = std::floor(since / period);
      return periods * (hi - lo) + std::clamp(since - periods * period - lo, 0.0, hi - lo);
    };
    for (std::int64_t b = 0; b < r.stats.pulse_bin_count; ++b)
      blocks.width_ms.push_back(
          std::min(bin, period - static_cast<double>(b) * bin));  // the last bin may be short
    pulse_rate_hz = blocks.total();
    double largest = 0, largest_exposure = 0, total = 0, total_exposure = 0;
    for (std::size_t b = 0; b < pulse_rate_hz.size(); ++b) {
      const double width = blocks.width_ms[b];
      const double lo = static_cast<double>(b) * bin;
      const double exposure_s =
          to > from ? static_cast<double>(r.size) *
                          (exposed_ms(to, lo, lo + width) - exposed_ms(from, lo, lo + width)) / 1000.0
                    : 0.0;
      pulse_time_ms.push_back(static_cast<double>(b) * bin + width / 2);  // the short last bin's own centre
      const double counts = pulse_rate_hz[b];
      total += counts;
      total_exposure += exposure_s;
      pulse_rate_hz[b] = exposure_s > 0 ? counts / exposure_s : nan;
      if (counts > largest) {
        largest = counts;
        largest_exposure = exposure_s;
        p.pulse_latency_ms = pulse_time_ms.back();
      }
    }
    // A latency only where the pulses lock the spikes (docs/model.md §7.8):
    // pulses that act on some neuron (an electrode that reaches none, or a
    // zero amplitude, locks nothing), the largest bin more than 5 Poisson
    // s.d. above its share of a flat histogram of the same spikes, and the
    // peak at the same latency in every block of pulses, which a rhythm of
    // the population's own, beating with the pulses, does not give.
    // The rotations are keyed by (seed, population), like every draw.
    const std::uint64_t seed =
        (randomSeed(_config.populations[r.position], _config) * 0x9E3779B97F4A7C15ull + r.key) ^
        pulse_locking_stream;
    // No analysed pulse time (the train ends before the burn-in): no histogram to test.
    p.pulse_locking_p = to > from ? analysis::pulseLockingP(blocks, pulse_locking_surrogates, seed) : nan;
    const double flat = total_exposure > 0 ? total * largest_exposure / total_exposure : 0.0;
    if (!(largest > flat + 5 * std::sqrt(flat)) || !r.stats.pulse_acts ||
        !(p.pulse_locking_p < pulse_locking_alpha))
      p.pulse_latency_ms = nan;
  }
  // The relay error index (§7.9): every neuron is offered the same pulses.
  p.error_index = nan;
  g.relay.clear();
  if (countsRelay(_config, r.name)) {
    std::vector<double>& relay = g.relay;
    relay.assign(4, 0.0);  // pulses offered, misses, bursts, spurious
    const auto& st = r.stats;
    const auto onsets = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), st.relay_onsets);
    std::int64_t pulses = 0;
    for (std::size_t m = 0; m < onsets.extent(0); ++m)
      if (onsets(m) >= st.relay_from_ms && onsets(m) + st.relay_window_ms <= st.relay_to_ms) ++pulses;
    const auto answered =
        Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), st.relayColumn(st.relay_answered));
    const auto bursts =
        Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), st.relayColumn(st.relay_bursts));
    const auto spurious =
        Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), st.relayColumn(st.relay_spurious));
    for (std::size_t i = 0; i < answered.extent(0); ++i) {
      relay[1] += static_cast<double>(pulses - answered(i));
      relay[2] += static_cast<double>(bursts(i));
      relay[3] += static_cast<double>(spurious(i));
    }
    _comm.sum(relay);
    relay[0] = static_cast<double>(pulses) * static_cast<double>(r.size);
    if (relay[0] > 0) p.error_index = (relay[1] + relay[2] + relay[3]) / relay[0];
  }
  return p;
}

// The analysed LFP proxy's sampling rate (one sample per analysis.lfp_sample_ms).
double Simulation::analysedLfpRateHz() const {
  return 1000.0 / (static_cast<double>(_lfp.every) * _config.simulation.dt_ms);
}

// Everything the analyses of a trace need from the deck (§7).
analysis::TraceSettings Simulation::traceSettings(const Population& r, bool comodulogram) const {
  const auto& a = _config.analysis;
  analysis::TraceSettings s;
  s.fs_hz = analysedLfpRateHz();
  s.segment_ms = a.segment_ms;
  s.beta_lo_hz = a.beta_lo_hz;
  s.beta_hi_hz = a.beta_hi_hz;
  s.total_lo_hz = a.total_lo_hz;
  s.total_hi_hz = a.total_hi_hz;
  s.peak_lo_hz = a.peak_lo_hz;
  s.peak_hi_hz = a.peak_hi_hz;
  s.gamma_lo_hz = a.gamma_lo_hz;
  s.gamma_hi_hz = a.gamma_hi_hz;
  s.passband_hz = analysis::passbandHz(_lfp, s.fs_hz);
  s.pac_surrogates = static_cast<int>(a.pac_surrogates);
  // The surrogates' lags are keyed by (seed, population), like every draw.
  s.pac_seed = randomSeed(_config.populations[r.position], _config) * 0x9E3779B97F4A7C15ull + r.key;
  s.burst_percentile = a.burst_percentile;
  s.burst_min_duration_ms = a.burst_min_duration_ms;
  if (const auto given = _burst_thresholds.find(r.name); given != _burst_thresholds.end())
    s.burst_threshold = given->second;
  s.comodulogram = comodulogram;
  return s;
}

std::map<std::string, double> referenceBurstThresholds(const SimulationConfig& config) {
  std::map<std::string, double> out;
  const std::string& file = config.analysis.burst_threshold_file;
  if (file.empty()) return out;
  const std::string key = "analysis.burst_threshold_file: ";
  try {
    const io::Hdf5Reader reader(file);
    for (const PopulationSettings& p : config.populations) {
      if (!hasMembranePotential(p.params)) continue;  // a spike source has no envelope
      const std::string& deck = randomName(p);        // a replica's deck name
      const std::string object = "/metrics/" + deck;
      if (!reader.exists(object) || !reader.hasAttribute(object, "beta_burst_threshold"))
        throw ConfigError(key + file + " holds no " + object +
                          "@beta_burst_threshold (give the output file of "
                          "a run with population " +
                          deck + ")");
      // The proxy is a sum over neurons: a threshold of another size is of
      // another scale.
      const std::string size_key = "population." + deck + ".n";
      if (reader.hasAttribute("/", size_key) && reader.integer("/", size_key) != p.n)
        throw ConfigError(key + file + " is of a run whose " + deck + " has " +
                          std::to_string(reader.integer("/", size_key)) + " neurons, this run's " +
                          std::to_string(p.n) + " (its LFP proxy, a sum over them, is of another scale)");
      const double threshold = reader.number(object, "beta_burst_threshold");
      if (!std::isfinite(threshold))
        throw ConfigError(key + object + "@beta_burst_threshold in " + file +
                          " is not a number (that run's " + deck + " had no beta envelope)");
      // A percentile of an envelope, an amplitude.
      if (threshold < 0)
        throw ConfigError(key + object + "@beta_burst_threshold in " + file + " (" +
                          io::formatNumber(threshold) + ") is negative: no envelope's percentile is");
      out[p.name] = threshold;
    }
  } catch (const io::OutputError& e) {
    throw ConfigError(key + e.what());
  }
  return out;
}

namespace {

void applyTraceMetrics(const analysis::TraceMetrics& m, PopulationSummary& p) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  p.lfp_mean = m.mean;
  p.beta_power = m.beta.beta_power;
  p.relative_beta = m.beta.relative_beta;
  p.beta_peak_hz = m.beta.peak_hz;
  p.beta_prominence = m.beta_prominence;
  p.peak_hz = m.peak_hz;
  p.spectral_entropy = m.spectral_entropy;
  p.flattened_entropy = m.flattened_entropy;
  p.welch_segment_ms = m.spectrum.df_hz > 0 ? 1000.0 / m.spectrum.df_hz : nan;
  p.pac_mi = m.pac.mi;
  p.pac_z = m.pac.z;
  // A constant trace (a spike source's: no synaptic input) has no envelope
  // to threshold.
  p.beta_burst_rate_hz = m.constant ? nan : m.bursts.rate_hz;
  p.beta_burst_mean_ms = m.bursts.count > 0 ? m.bursts.mean_duration_ms : nan;
  p.beta_burst_amplitude = m.bursts.count > 0 ? m.bursts.mean_amplitude : nan;
}

}  // namespace

void Simulation::writePopulation(io::OutputWriter& writer, const Population& r, const PopulationSummary& p,
                                 const GatheredPopulation& g, const analysis::TraceMetrics& m) const {
  const auto& a = _config.analysis;
  io::PopulationResults out;
  out.population = r.name;
  out.current_units = r.current_units;
  out.lfp = g.lfp_all;
  out.lfp_interval_ms = static_cast<double>(_lfp.every) * _config.simulation.dt_ms;
  out.metrics = {
      {"rate_hz", p.rate_hz},
      {"cv_isi", p.cv_isi},
      {"beta_power", p.beta_power},
      {"relative_beta", p.relative_beta},
      {"beta_peak_hz", p.beta_peak_hz},
      {"beta_prominence", p.beta_prominence},
      {"lfp_mean", p.lfp_mean},
      {"pac_mi", p.pac_mi},
      {"beta_burst_rate_hz", p.beta_burst_rate_hz},
      {"beta_burst_mean_ms", p.beta_burst_mean_ms},
      {"beta_burst_amplitude", p.beta_burst_amplitude},
      {"beta_burst_threshold", m.constant ? std::numeric_limits<double>::quiet_NaN() : m.bursts.threshold},
      {"peak_hz", p.peak_hz},
      {"spectral_entropy", p.spectral_entropy},
      {"flattened_entropy", p.flattened_entropy},
      {"pac_z", p.pac_z},
      {"burst_spike_fraction", p.burst_spike_fraction},
      {"surprise_burst_fraction", p.surprise_burst_fraction},
      {"synchrony_chi", p.synchrony_chi},
      {"pulse_latency_ms", p.pulse_latency_ms},
      {"pulse_locking_p", p.pulse_locking_p},
      {"error_index", p.error_index},
      {"burn_in_ms", a.burn_in_ms},
      {"analysed_ms", g.analysed_ms},
      {"welch_segment_ms", p.welch_segment_ms},
      {"psd_resolution_hz", m.spectrum.df_hz},
      {"welch_segments", static_cast<double>(m.spectrum.segments)}};
  out.psd_freq_hz = m.spectrum.freq_hz;
  out.psd = m.spectrum.psd;
  io::writePopulationResults(writer, out);
  // Tort indices of every (phase, amplitude) pair of a fixed grid (§7.7),
  // stored row-major [phase][amplitude].
  const std::string group = "/metrics/" + r.name;
  if (a.comodulogram) {
    const analysis::Comodulogram& c = m.comodulogram;
    writer.writeDataset(group, "comodulogram_phase_hz", c.phase_hz, {{"units", "Hz"}});
    writer.writeDataset(group, "comodulogram_amplitude_hz", c.amp_hz, {{"units", "Hz"}});
    writer.writeDataset(group, "comodulogram", c.mi,
                        {{"description",
                          "Tort modulation index, row-major [phase][amplitude]; NaN: band past "
                          "the LFP proxy's passband"}});
  }
  if (!g.relay.empty())
    writer.writeIntegers(group, {{"relay_pulses", static_cast<std::int64_t>(g.relay[0])},
                                 {"relay_misses", static_cast<std::int64_t>(g.relay[1])},
                                 {"relay_bursts", static_cast<std::int64_t>(g.relay[2])},
                                 {"relay_spurious", static_cast<std::int64_t>(g.relay[3])}});
  // Each beta burst, for its distributions (§7.5): start from the analysed
  // trace's first sample, duration, peak envelope.
  writer.writeDataset(
      group, "beta_burst_start_ms", m.bursts.start_ms,
      {{"units", "ms"},
       {"description",
        "beta bursts' starts, from the analysed LFP's first sample (the first at or after the "
        "burn-in)"}});
  writer.writeDataset(group, "beta_burst_duration_ms", m.bursts.duration_ms, {{"units", "ms"}});
  writer.writeDataset(
      group, "beta_burst_peak", m.bursts.amplitude,
      {{"units", r.current_units}, {"description", "peak of the beta envelope in each burst"}});
  if (!g.pulse_rate_hz.empty()) {
    writer.writeDataset(group, "pulse_histogram_time_ms", g.pulse_time_ms,
                        {{"units", "ms"}, {"description", "bin centres: time since the last pulse onset"}});
    writer.writeDataset(
        group, "pulse_histogram_hz", g.pulse_rate_hz,
        {{"units", "Hz"},
         {"description", "rate of spikes by time since the last pulse onset (analysis.pulse_stimulus)"}},
        {{"bin_ms", r.stats.pulse_bin_ms}, {"period_ms", r.stats.pulse_period_ms}});
  }
}

std::size_t Simulation::analysisThreads() const {
  const std::int64_t asked = _config.analysis.threads;
  return static_cast<std::size_t>(asked > 0 ? asked : Kokkos::DefaultHostExecutionSpace().concurrency());
}

// The ranks gather each population's counts and traces (collectives, in
// deck order); the traces are then analysed on the host's threads, each
// population and pair on its own; the results are written in deck order.
void Simulation::summarizeRun(std::int64_t steps_done, io::OutputWriter* writer, RunSummary& summary) {
  const std::size_t n = _populations.size();
  std::vector<GatheredPopulation> gathered(n);
  for (std::size_t q = 0; q < n; ++q)
    summary.populations.push_back(gatherSummary(_populations[q], steps_done, gathered[q]));
  std::vector<analysis::TraceSettings> settings;
  const bool comodulogram = writer != nullptr && _config.analysis.comodulogram;
  for (const Population& p : _populations) settings.push_back(traceSettings(p, comodulogram));
  std::vector<analysis::TraceMetrics> metrics(n);
  // A failed replica's values are no results (its summary is replaced):
  // neither analysed nor written.
  forEachIndex(n, analysisThreads(), [&](std::size_t q) {
    if (!replicaFailed(q)) metrics[q] = analysis::traceMetrics(gathered[q].lfp, settings[q]);
  });
  for (std::size_t q = 0; q < n; ++q) {
    if (replicaFailed(q)) continue;
    applyTraceMetrics(metrics[q], summary.populations[q]);
    // A spike source has no synaptic current: no LFP proxy, as its spectral
    // metrics already say (its trace is all zeros, not a silent proxy).
    if (!hasMembranePotential(_config.populations[_populations[q].position].params)) {
      summary.populations[q].beta_power = std::numeric_limits<double>::quiet_NaN();
      summary.populations[q].lfp_mean = std::numeric_limits<double>::quiet_NaN();
    }
    if (writer) writePopulation(*writer, _populations[q], summary.populations[q], gathered[q], metrics[q]);
  }
  summary.pairs = summarizePairs(gathered, writer);
}

// Beta coherence of every pair of populations with a membrane (§7.6), of
// one run (not across an in-process ensemble's replicas).
std::vector<PairSummary> Simulation::summarizePairs(const std::vector<GatheredPopulation>& gathered,
                                                    io::OutputWriter* writer) const {
  const auto& a = _config.analysis;
  const double fs_hz = analysedLfpRateHz();
  analysis::WelchSettings welch_settings;
  welch_settings.segment_ms = a.segment_ms;
  std::vector<PairSummary> pairs;
  std::vector<std::pair<std::size_t, std::size_t>> members;
  // The populations with a membrane of each replica (one list without
  // replicas), in order: pairs are taken within a list, so that the
  // thousands of replicas of an ensemble are not paired with each other.
  std::map<std::string, std::vector<std::size_t>> by_replica;
  for (std::size_t x = 0; x < _populations.size(); ++x)
    if (_populations[x].v_sum.extent(0) > 0) by_replica[replicaTag(_populations[x].name)].push_back(x);
  for (std::size_t x = 0; x < _populations.size(); ++x) {
    if (_populations[x].v_sum.extent(0) == 0) continue;
    const std::vector<std::size_t>& with = by_replica[replicaTag(_populations[x].name)];
    for (auto y = std::upper_bound(with.begin(), with.end(), x); y != with.end(); ++y) {
      pairs.push_back(
          PairSummary{_populations[x].name, _populations[*y].name, std::numeric_limits<double>::quiet_NaN()});
      members.emplace_back(x, *y);
    }
  }
  std::vector<analysis::Coherence> coherences(pairs.size());
  // (A failed replica's pairs keep NaN, unwritten.)
  forEachIndex(pairs.size(), analysisThreads(), [&](std::size_t i) {
    if (replicaFailed(members[i].first)) return;
    coherences[i] = analysis::coherence(gathered[members[i].first].lfp, gathered[members[i].second].lfp,
                                        fs_hz, welch_settings);
  });
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    if (replicaFailed(members[i].first)) continue;
    const analysis::Coherence& c = coherences[i];
    PairSummary& pair = pairs[i];
    // One segment's coherence is 1 at every frequency, whatever the signals.
    if (c.segments >= 2) pair.beta_coherence = analysis::bandMeanCoherence(c, a.beta_lo_hz, a.beta_hi_hz);
    if (writer) {
      const std::string group = "/coherence/" + pair.a + "/" + pair.b;
      writer->writeDataset(group, "freq_hz", c.freq_hz, {{"units", "Hz"}});
      writer->writeDataset(group, "coherence", c.coherence,
                           {{"description", "magnitude-squared coherence of the LFP proxies (Welch)"}},
                           {{"beta_mean", pair.beta_coherence}});
    }
  }
  return pairs;
}

}  // namespace cbgtc
