#include "src/analysis/oscillations.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "src/analysis/spectral.hpp"

namespace cbgtc::analysis {

namespace {
constexpr double kPi = 3.14159265358979323846;
}

std::vector<std::complex<double>> analyticBand(const std::vector<double>& x, double fs_hz, double lo_hz,
                                               double hi_hz) {
  if (!(fs_hz > 0)) throw std::invalid_argument("analyticBand: sampling rate must be positive");
  if (!(hi_hz >= lo_hz) || lo_hz < 0) throw std::invalid_argument("analyticBand: empty band");
  const std::size_t n = x.size();
  if (n == 0) return {};
  double mean = 0;
  for (double v : x) mean += v / static_cast<double>(n);
  std::vector<std::complex<double>> a(n);
  for (std::size_t j = 0; j < n; ++j) a[j] = x[j] - mean;
  a = Impl::fft(std::move(a));
  const double df = fs_hz / static_cast<double>(n);
  for (std::size_t k = 0; k < n; ++k) {
    const double f = static_cast<double>(k) * df;
    const bool positive = k > 0 && 2 * k < n;
    a[k] = positive && f >= lo_hz && f <= hi_hz ? 2.0 * a[k] : std::complex<double>(0.0);
  }
  // Inverse transform: conj(FFT(conj(A)))/n.
  for (auto& v : a) v = std::conj(v);
  a = Impl::fft(std::move(a));
  for (auto& v : a) v = std::conj(v) / static_cast<double>(n);
  return a;
}

double modulationIndex(const std::vector<double>& x, double fs_hz, double phase_lo_hz, double phase_hi_hz,
                       double amp_lo_hz, double amp_hi_hz, int bins) {
  if (bins < 2 || x.size() < static_cast<std::size_t>(bins)) return std::numeric_limits<double>::quiet_NaN();
  const auto phase = analyticBand(x, fs_hz, phase_lo_hz, phase_hi_hz);
  const auto amp = analyticBand(x, fs_hz, amp_lo_hz, amp_hi_hz);
  std::vector<double> sum(static_cast<std::size_t>(bins), 0.0), count(static_cast<std::size_t>(bins), 0.0);
  for (std::size_t j = 0; j < x.size(); ++j) {
    const double angle = std::arg(phase[j]);  // (−π, π]
    auto b = static_cast<int>(std::floor((angle + kPi) / (2 * kPi) * bins));
    b = std::clamp(b, 0, bins - 1);
    sum[static_cast<std::size_t>(b)] += std::abs(amp[j]);
    count[static_cast<std::size_t>(b)] += 1;
  }
  double total = 0;
  std::vector<double> mean(static_cast<std::size_t>(bins), 0.0);
  for (int b = 0; b < bins; ++b) {
    if (count[b] > 0) mean[b] = sum[b] / count[b];
    total += mean[b];
  }
  if (!(total > 0)) return std::numeric_limits<double>::quiet_NaN();
  double entropy = 0;
  for (double m : mean)
    if (m > 0) entropy -= (m / total) * std::log(m / total);
  return (std::log(static_cast<double>(bins)) - entropy) / std::log(static_cast<double>(bins));
}

Bursts bursts(const std::vector<double>& x, double fs_hz, double lo_hz, double hi_hz, double percentile,
              double min_duration_ms) {
  Bursts out;
  if (x.empty()) return out;
  const auto a = analyticBand(x, fs_hz, lo_hz, hi_hz);
  std::vector<double> envelope(a.size());
  for (std::size_t j = 0; j < a.size(); ++j) envelope[j] = std::abs(a[j]);
  std::vector<double> sorted = envelope;
  const auto rank = static_cast<std::size_t>(std::clamp(percentile / 100.0, 0.0, 1.0) * (sorted.size() - 1));
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(rank), sorted.end());
  out.threshold = sorted[rank];
  const double dt_ms = 1000.0 / fs_hz;
  // The shortest burst in whole samples; the 1e-9 keeps a duration that is
  // an exact number of samples (100 ms at 1 kHz) from rounding up past it.
  const double min_samples = std::ceil(min_duration_ms / dt_ms - 1e-9);
  std::size_t j = 0;
  while (j < envelope.size()) {
    if (envelope[j] <= out.threshold) {
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
  out.rate_hz = seconds > 0 ? out.count / seconds : 0.0;
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
