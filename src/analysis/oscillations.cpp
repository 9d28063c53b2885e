#include "src/analysis/oscillations.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "src/analysis/spectral.hpp"

namespace cbgtc::analysis {

namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The phase bin of each sample of an analytic signal, of `bins` equal bins
// of (−π, π]: computed once for the index and all its surrogates. None
// (empty) where the signal is 0 throughout, a band that holds no frequency
// of the trace's spectrum (narrower than its resolution fs/n): its phase is
// undefined, not 0.
std::vector<int> phaseBinsOf(const std::vector<std::complex<double>>& analytic, int bins) {
  if (std::all_of(analytic.begin(), analytic.end(), [](const std::complex<double>& a) { return a == 0.0; }))
    return {};
  std::vector<int> bin(analytic.size());
  for (std::size_t j = 0; j < analytic.size(); ++j) {
    const double phase = std::arg(analytic[j]);  // (−π, π]
    bin[j] = std::clamp(static_cast<int>(std::floor((phase + kPi) / (2 * kPi) * bins)), 0, bins - 1);
  }
  return bin;
}

// |a|: sqrt(re² + im²), not std::abs's hypot, which guards against an
// overflow or underflow no trace comes near (|a| beyond 1e±154) at several
// times the cost; a comodulogram takes hundreds of envelopes.
std::vector<double> envelopeOf(const std::vector<std::complex<double>>& analytic) {
  std::vector<double> envelope(analytic.size());
  for (std::size_t j = 0; j < analytic.size(); ++j) envelope[j] = std::sqrt(std::norm(analytic[j]));
  return envelope;
}

// Tort's index (docs/model.md §7.5) of envelope[(j + lag) mod n] by the
// phase bin of sample j (phaseBinsOf); lag 0 is the trace itself, any other
// lag a surrogate.
double tortIndex(const std::vector<int>& phase_bin, const std::vector<double>& envelope, std::size_t lag,
                 int bins) {
  const std::size_t n = phase_bin.size();
  if (n == 0) return kNaN;  // no phase
  std::vector<double> sum(static_cast<std::size_t>(bins), 0.0), count(static_cast<std::size_t>(bins), 0.0);
  std::size_t shifted = lag % n;
  for (std::size_t j = 0; j < n; ++j) {
    const auto b = static_cast<std::size_t>(phase_bin[j]);
    sum[b] += envelope[shifted];
    count[b] += 1;
    if (++shifted == n) shifted = 0;
  }
  double total = 0;
  std::vector<double> mean(static_cast<std::size_t>(bins), 0.0);
  for (int b = 0; b < bins; ++b) {
    if (count[b] > 0) mean[b] = sum[b] / count[b];
    total += mean[b];
  }
  if (!(total > 0)) return kNaN;
  double entropy = 0;
  for (double m : mean)
    if (m > 0) entropy -= (m / total) * std::log(m / total);
  return (std::log(static_cast<double>(bins)) - entropy) / std::log(static_cast<double>(bins));
}

// A band that starts at 0 Hz or above and ends at limit_hz or below.
bool bandWithin(double lo_hz, double hi_hz, double limit_hz) {
  return lo_hz >= 0 && hi_hz >= lo_hz && hi_hz <= limit_hz;
}
}  // namespace

namespace Impl {
std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
}  // namespace Impl

AnalyticBands::AnalyticBands(const std::vector<double>& x, double fs_hz) : fs_hz_(fs_hz), fft_(x.size()) {
  if (!(fs_hz > 0)) throw std::invalid_argument("analyticBand: sampling rate must be positive");
  const std::size_t n = x.size();
  if (n == 0) return;
  double mean = 0;
  for (double v : x) mean += v / static_cast<double>(n);
  spectrum_.resize(n);
  for (std::size_t j = 0; j < n; ++j) spectrum_[j] = x[j] - mean;
  spectrum_ = fft_.forward(std::move(spectrum_));
}

std::vector<std::complex<double>> AnalyticBands::band(double lo_hz, double hi_hz) const {
  if (!(hi_hz >= lo_hz) || lo_hz < 0) throw std::invalid_argument("analyticBand: empty band");
  const std::size_t n = spectrum_.size();
  if (n == 0) return {};
  const double df = fs_hz_ / static_cast<double>(n);
  std::vector<std::complex<double>> a(n);
  for (std::size_t k = 0; k < n; ++k) {
    const double f = static_cast<double>(k) * df;
    const bool positive = k > 0 && 2 * k < n;
    a[k] = positive && f >= lo_hz && f <= hi_hz ? 2.0 * spectrum_[k] : std::complex<double>(0.0);
  }
  // Inverse transform: conj(FFT(conj(A)))/n.
  for (auto& v : a) v = std::conj(v);
  a = fft_.forward(std::move(a));
  for (auto& v : a) v = std::conj(v) / static_cast<double>(n);
  return a;
}

std::vector<std::complex<double>> analyticBand(const std::vector<double>& x, double fs_hz, double lo_hz,
                                               double hi_hz) {
  return AnalyticBands(x, fs_hz).band(lo_hz, hi_hz);
}

double modulationIndex(const std::vector<double>& x, double fs_hz, double phase_lo_hz, double phase_hi_hz,
                       double amp_lo_hz, double amp_hi_hz, int bins) {
  if (bins < 2 || x.size() < static_cast<std::size_t>(bins)) return kNaN;
  const AnalyticBands bands(x, fs_hz);
  const auto phase_bin = phaseBinsOf(bands.band(phase_lo_hz, phase_hi_hz), bins);
  const auto envelope = envelopeOf(bands.band(amp_lo_hz, amp_hi_hz));
  return tortIndex(phase_bin, envelope, 0, bins);
}

PacResult modulationIndexZ(const std::vector<double>& x, double fs_hz, double phase_lo_hz, double phase_hi_hz,
                           double amp_lo_hz, double amp_hi_hz, int surrogates, std::uint64_t seed, int bins) {
  PacResult out{kNaN, kNaN, kNaN, kNaN, 0};
  if (bins < 2 || x.size() < static_cast<std::size_t>(bins)) return out;
  const AnalyticBands bands(x, fs_hz);
  const auto phase_bin = phaseBinsOf(bands.band(phase_lo_hz, phase_hi_hz), bins);
  const auto envelope = envelopeOf(bands.band(amp_lo_hz, amp_hi_hz));
  out.mi = tortIndex(phase_bin, envelope, 0, bins);

  // Lags of at least a second leave any beta-band envelope many cycles from
  // its true alignment, where that leaves a second of lags to draw from (at
  // 2 s every lag would be the same); a shorter trace keeps a tenth of
  // itself either side.
  const std::size_t n = x.size();
  const auto one_second = static_cast<std::size_t>(std::llround(fs_hz));
  std::size_t lag_lo = n / 10, lag_hi = n - n / 10;
  if (one_second >= 1 && n >= 3 * one_second) {
    lag_lo = one_second;
    lag_hi = n - one_second;
  }
  lag_lo = std::max<std::size_t>(lag_lo, 1);  // lag 0 would be the trace itself
  lag_hi = std::max(lag_hi, lag_lo);
  const std::uint64_t lag_span = lag_hi - lag_lo + 1;

  out.surrogates = std::max(surrogates, 0);
  std::uint64_t state = seed;
  double sum = 0, sum_squares = 0;
  std::vector<double> indices(static_cast<std::size_t>(out.surrogates));
  for (double& index : indices) {
    // The modulo's bias is at most lag_span / 2^64: nil for any trace.
    const std::size_t lag = lag_lo + static_cast<std::size_t>(Impl::splitmix64(state) % lag_span);
    index = tortIndex(phase_bin, envelope, lag, bins);
    sum += index;
  }
  if (out.surrogates < 1) return out;
  out.surrogate_mean = sum / out.surrogates;
  if (out.surrogates < 2) return out;
  // Deviations from the mean, not sum x² − n·mean²: the indices are ~1e-3
  // with a spread ~1e-4, where the difference form cancels digits.
  for (double index : indices) sum_squares += (index - out.surrogate_mean) * (index - out.surrogate_mean);
  out.surrogate_sd = std::sqrt(sum_squares / (out.surrogates - 1));
  // A spread at round-off level (surrogates that are all the same coupling,
  // as of a strictly periodic trace) is no null distribution.
  out.z = out.surrogate_sd > 1e-9 * out.surrogate_mean ? (out.mi - out.surrogate_mean) / out.surrogate_sd : kNaN;
  return out;
}

Comodulogram comodulogram(const std::vector<double>& x, double fs_hz, const std::vector<double>& phase_hz,
                          const std::vector<double>& amp_hz, double phase_half_width_hz,
                          double amp_half_width_hz, int bins, double band_limit_hz) {
  if (!(fs_hz > 0)) throw std::invalid_argument("comodulogram: sampling rate must be positive");
  const double limit_hz = band_limit_hz > 0 ? std::min(band_limit_hz, fs_hz / 2) : fs_hz / 2;
  if (!(phase_half_width_hz >= 0) || !(amp_half_width_hz >= 0))
    throw std::invalid_argument("comodulogram: band half-widths must be >= 0");
  Comodulogram out;
  out.phase_hz = phase_hz;
  out.amp_hz = amp_hz;
  out.mi.assign(phase_hz.size() * amp_hz.size(), kNaN);
  if (bins < 2 || x.size() < static_cast<std::size_t>(bins)) return out;
  const AnalyticBands bands(x, fs_hz);

  // With a fixed amplitude half-width each amplitude band is one envelope
  // for every phase; otherwise the band depends on the row's phase frequency.
  const bool fixed_amp_width = amp_half_width_hz > 0;
  std::vector<std::vector<double>> fixed_envelopes(fixed_amp_width ? amp_hz.size() : 0);
  for (std::size_t a = 0; a < fixed_envelopes.size(); ++a) {
    const double lo = amp_hz[a] - amp_half_width_hz, hi = amp_hz[a] + amp_half_width_hz;
    if (bandWithin(lo, hi, limit_hz)) fixed_envelopes[a] = envelopeOf(bands.band(lo, hi));
  }
  for (std::size_t p = 0; p < phase_hz.size(); ++p) {
    const double phase_lo = phase_hz[p] - phase_half_width_hz, phase_hi = phase_hz[p] + phase_half_width_hz;
    if (!bandWithin(phase_lo, phase_hi, limit_hz)) continue;
    const auto phase_bin = phaseBinsOf(bands.band(phase_lo, phase_hi), bins);
    const double amp_width = fixed_amp_width ? amp_half_width_hz : phase_hz[p];
    for (std::size_t a = 0; a < amp_hz.size(); ++a) {
      const double lo = amp_hz[a] - amp_width, hi = amp_hz[a] + amp_width;
      // An amplitude band that reaches into the phase band holds the phase
      // rhythm itself, whose envelope then follows its own phase.
      if (!bandWithin(lo, hi, limit_hz) || lo <= phase_hi) continue;
      const double index = fixed_amp_width ? tortIndex(phase_bin, fixed_envelopes[a], 0, bins)
                                           : tortIndex(phase_bin, envelopeOf(bands.band(lo, hi)), 0, bins);
      out.mi[p * amp_hz.size() + a] = index;
    }
  }
  return out;
}

Bursts bursts(const std::vector<double>& x, double fs_hz, double lo_hz, double hi_hz, double percentile,
              double min_duration_ms, double threshold) {
  Bursts out;
  if (x.empty()) return out;
  const std::vector<double> envelope = envelopeOf(analyticBand(x, fs_hz, lo_hz, hi_hz));
  if (std::isfinite(threshold)) {
    out.threshold = threshold;
  } else {
    std::vector<double> sorted = envelope;
    const auto rank =
        static_cast<std::size_t>(std::clamp(percentile / 100.0, 0.0, 1.0) * (sorted.size() - 1));
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(rank), sorted.end());
    out.threshold = sorted[rank];
  }
  const double dt_ms = 1000.0 / fs_hz;
  // The shortest burst in whole samples; the 1e-9 keeps a duration that is
  // an exact number of samples (100 ms at 1 kHz) from rounding up past it.
  const double min_samples = std::ceil(min_duration_ms / dt_ms - 1e-9);
  // (A non-finite sample is never above the threshold, and every pass of
  // the loop moves on by at least one sample.)
  std::size_t j = 0;
  while (j < envelope.size()) {
    if (!(envelope[j] > out.threshold)) {
      ++j;
      continue;
    }
    const std::size_t start = j;
    double peak = envelope[j];
    while (j < envelope.size() && envelope[j] > out.threshold) peak = std::max(peak, envelope[j++]);
    if (static_cast<double>(j - start) < min_samples) continue;
    out.start_ms.push_back(static_cast<double>(start) * dt_ms);
    out.duration_ms.push_back(static_cast<double>(j - start) * dt_ms);
    out.amplitude.push_back(peak);
  }
  out.count = static_cast<int>(out.start_ms.size());
  const double seconds = static_cast<double>(x.size()) / fs_hz;
  // A trace shorter than the shortest burst cannot hold one: no rate, rather than none.
  out.rate_hz = static_cast<double>(x.size()) >= min_samples ? out.count / seconds
                                                             : std::numeric_limits<double>::quiet_NaN();
  double total_ms = 0, total_amplitude = 0;
  for (int k = 0; k < out.count; ++k) {
    total_ms += out.duration_ms[k];
    total_amplitude += out.amplitude[k];
  }
  out.mean_duration_ms = out.count > 0 ? total_ms / out.count : 0.0;
  out.mean_amplitude = out.count > 0 ? total_amplitude / out.count : 0.0;
  return out;
}

}  // namespace cbgtc::analysis
