// The Poisson spike source (kernels/models/poisson.hpp): rates, count
// statistics, modulation and bursts against the distributions they follow,
// over several seeds.

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <map>
#include <vector>

#include "src/simulation.hpp"
#include "tests/memory_writer.hpp"

using namespace cbgtc;
using cbgtc::test::MemoryWriter;

namespace {

/// A network of one source population and nothing else.
SimulationConfig sourceOnly(std::int64_t n, double duration_ms, std::int64_t seed) {
  SimulationConfig c;
  c.populations = {PopulationSettings::of("SRC", "poisson", n)};
  c.projections.clear();
  c.simulation.duration_ms = duration_ms;
  c.simulation.seed = seed;
  c.analysis.burn_in_ms = 0;
  return c;
}

poisson::PoissonParams& params(SimulationConfig& c) {
  return std::get<models::Poisson::Settings>(c.populations[0].params).params;
}

/// sourceOnly's 20 sources at 50 Hz driving five LIF cells "T", every
/// source to every cell.
SimulationConfig sourceDrivingCells(double duration_ms) {
  auto c = sourceOnly(20, duration_ms, 1);
  params(c).rate_hz = 50;
  c.populations.push_back(PopulationSettings::of("T", "lif", 5));
  ProjectionSettings pr;
  pr.name = "src_t";
  pr.source = "SRC";
  pr.target = "T";
  pr.p = 1;
  pr.g_total = 50;
  c.projections = {pr};
  return c;
}

std::vector<std::pair<double, std::uint64_t>> spikesOf(const SimulationConfig& c) {
  MemoryWriter w;
  Simulation sim(c);
  sim.run(&w);
  return w.spikes.at("SRC");
}

}  // namespace

// Counts in windows of W steps are binomial(W, p), p = 1 − e^{−λ·dt}: their
// mean is W·p and their Fano factor 1 − p. The tolerances are five standard
// errors of those estimates over the windows.
TEST(PoissonSource, CountsFollowTheBinomialOfTheStep) {
  for (std::int64_t seed : {1, 2, 3}) {
    SCOPED_TRACE(seed);
    auto c = sourceOnly(200, 5000, seed);
    params(c).rate_hz = 20;
    const auto spikes = spikesOf(c);
    const double dt_s = c.simulation.dt_ms / 1000.0;
    const double p = 1.0 - std::exp(-20.0 * dt_s);
    const std::int64_t window_steps = 4000;  // 100 ms
    const std::int64_t windows_per_neuron = c.stepCount() / window_steps;
    std::map<std::pair<std::uint64_t, std::int64_t>, int> counts;
    for (const auto& [t, id] : spikes)
      ++counts[{id, static_cast<std::int64_t>(std::llround(t / c.simulation.dt_ms)) / window_steps}];
    const double m = static_cast<double>(200 * windows_per_neuron);
    double sum = 0, sum2 = 0;
    for (std::uint64_t id = 0; id < 200; ++id)
      for (std::int64_t w = 0; w < windows_per_neuron; ++w) {
        const auto found = counts.find({id, w});
        const double k = found == counts.end() ? 0.0 : found->second;
        sum += k;
        sum2 += k * k;
      }
    const double mean = sum / m, var = (sum2 - m * mean * mean) / (m - 1);
    const double expected_mean = window_steps * p, expected_var = window_steps * p * (1 - p);
    EXPECT_NEAR(mean, expected_mean, 5 * std::sqrt(expected_var / m));
    // The sample variance's standard error, 2σ⁴/(m−1) plus the excess kurtosis term (≈ var/m for a Poisson-like count).
    const double var_se = std::sqrt(2 * expected_var * expected_var / (m - 1) + expected_var / m);
    EXPECT_NEAR(var / mean, 1 - p, 5 * var_se / expected_mean);
  }
}

// Drawn by time rescaling (docs/model.md §3.7), a source still fires in
// each step independently with probability p = 1 − e^{−λ·dt}, so its
// intervals in steps are geometric: P(j) = p·(1 − p)^{j−1}. Near the
// refused rate (λ·dt = 0.09) p differs from λ·dt by 4.4 %, which a
// hazard carried over a spike, a draw missed or an off-by-one step would
// move by more than the tolerances (five standard errors of the spikes
// per step, 0.0007, and of each interval's frequency, 0.0024 for j = 1).
TEST(PoissonSource, IntervalsAreGeometricNearTheHighestRate) {
  for (std::int64_t seed : {1, 2, 3}) {
    SCOPED_TRACE(seed);
    auto c = sourceOnly(200, 1000, seed);
    const double dt_s = c.simulation.dt_ms / 1000.0;
    params(c).rate_hz = 0.09 / dt_s;
    const double p = 1.0 - std::exp(-0.09);
    std::map<std::uint64_t, std::vector<std::int64_t>> steps_of;
    for (const auto& [t, id] : spikesOf(c)) steps_of[id].push_back(std::llround(t / c.simulation.dt_ms));
    std::map<std::int64_t, double> freq;
    double intervals = 0;
    for (const auto& [id, steps] : steps_of)
      for (std::size_t k = 1; k < steps.size(); ++k) {
        ++freq[steps[k] - steps[k - 1]];
        ++intervals;
      }
    ASSERT_GT(intervals, 1e5);
    EXPECT_EQ(freq.count(0), 0u) << "two spikes in one step";
    const double cells_steps = 200.0 * static_cast<double>(c.stepCount());
    EXPECT_NEAR((intervals + static_cast<double>(steps_of.size())) / cells_steps, p,
                5 * std::sqrt(p * (1 - p) / cells_steps));
    for (std::int64_t j = 1; j <= 10; ++j) {
      const double expected = p * std::pow(1 - p, static_cast<double>(j - 1));
      EXPECT_NEAR(freq[j] / intervals, expected, 5 * std::sqrt(expected * (1 - expected) / intervals)) << j;
    }
  }
}

// λ(t) = r·(1 + m·sin(2πft + φ)): the first Fourier coefficient of the
// spike phases gives m/2·e^{i(φ − π/2)}; its standard error is 1/sqrt(2N).
TEST(PoissonSource, ModulationDepthAndPhaseAreRecovered) {
  for (std::int64_t seed : {4, 5, 6}) {
    SCOPED_TRACE(seed);
    auto c = sourceOnly(100, 4000, seed);
    auto& p = params(c);
    p.rate_hz = 40;
    p.modulation_depth = 0.6;
    p.modulation_hz = 20;
    p.modulation_phase_rad = 1.0;
    const auto spikes = spikesOf(c);
    std::complex<double> z = 0;
    for (const auto& [t, id] : spikes) z += std::polar(1.0, -2 * M_PI * 20.0 * t / 1000.0);
    const double n = static_cast<double>(spikes.size());
    z /= n;
    const double depth = 2 * std::abs(z), phase = std::arg(z) + M_PI / 2;
    const double se = 1 / std::sqrt(2 * n);
    EXPECT_NEAR(n, 100 * 4.0 * 40, 5 * std::sqrt(100 * 4.0 * 40));
    EXPECT_NEAR(depth, 0.6, 5 * 2 * se);
    EXPECT_NEAR(std::remainder(phase - 1.0, 2 * M_PI), 0.0, 5 * 2 * se / 0.6);
  }
}

// A shared rate fluctuation λ(t) = r·max(0, 1 + σ·x(t)), x a unit OU
// process of correlation time τ common to all N neurons: the population's
// count C in bins of T (u = T/τ) has the binomial variance of its mean plus
// S·g(u), S = (N·r·T)²·σ², g(u) = 2(u − 1 + e^{−u})/u² (the variance of x
// averaged over a bin), and between bins L ≥ 1 apart the covariance
// S·e^{−(L−1)u}·(1 − e^{−u})²/u². Independent fluctuations per neuron
// would give S/N. Over three seeds: the excess variance recovers σ², and
// the autocorrelation at lag τ recovers τ, each within five standard
// errors (of a sample variance and, Bartlett's formula, of a sample
// autocorrelation, for a series whose lag-1 correlation is ρ).
TEST(PoissonSource, SharedRateFluctuationHasItsVarianceAndCorrelationTime) {
  const std::int64_t n = 400, bin_steps = 200, lag = 10;  // T = 5 ms, lag 50 ms = τ
  const double rate_hz = 20, sigma = 0.3, tau_ms = 50, duration_ms = 20000;
  double excess_sum = 0, r_lag_sum = 0, expected_excess = 0, expected_r_lag = 0, var_excess = 0,
         var_r_lag = 0;
  for (std::int64_t seed : {11, 12, 13}) {
    auto c = sourceOnly(n, duration_ms, seed);
    auto& p = params(c);
    p.rate_hz = rate_hz;
    p.rate_fluctuation = sigma;
    p.rate_fluctuation_tau_ms = tau_ms;
    const auto spikes = spikesOf(c);
    const std::int64_t bins = c.stepCount() / bin_steps;
    std::vector<double> count(bins, 0.0);
    for (const auto& [t, id] : spikes) {
      const std::int64_t b = static_cast<std::int64_t>(std::llround(t / c.simulation.dt_ms)) / bin_steps;
      if (b < bins) count[b] += 1;
    }
    const double m = static_cast<double>(bins);
    double mean = 0;
    for (double x : count) mean += x / m;
    std::vector<double> acov(lag + 1, 0.0);
    for (std::int64_t L = 0; L <= lag; ++L)
      for (std::int64_t i = 0; i + L < bins; ++i) acov[L] += (count[i] - mean) * (count[i + L] - mean) / m;
    const double dt_ms = c.simulation.dt_ms;
    const double p_step = 1 - std::exp(-rate_hz * dt_ms / 1000);
    const double poisson_var = mean * (1 - p_step);
    const double u = bin_steps * dt_ms / tau_ms;
    const double big_s = std::pow(n * rate_hz * bin_steps * dt_ms / 1000, 2) * sigma * sigma;
    const double g = 2 * (u - 1 + std::exp(-u)) / (u * u);
    const auto h = [&](std::int64_t L) {
      return std::exp(-(L - 1) * u) * std::pow(1 - std::exp(-u), 2) / (u * u);
    };
    const double v = big_s * g + poisson_var, rho = big_s * h(1) / v, rho_lag = big_s * h(lag) / v;
    excess_sum += acov[0] * m / (m - 1) - poisson_var;
    r_lag_sum += acov[lag] / acov[0];
    expected_excess += big_s * g;
    expected_r_lag += rho_lag;
    var_excess += 2 * v * v / m * (1 + rho * rho) / (1 - rho * rho);
    var_r_lag += ((1 + rho * rho) * (1 - std::pow(rho, 2 * lag)) / (1 - rho * rho) -
                  2 * lag * std::pow(rho, 2 * lag)) /
                 m;
  }
  EXPECT_NEAR(excess_sum / 3, expected_excess / 3, 5 * std::sqrt(var_excess) / 3);
  EXPECT_NEAR(r_lag_sum / 3, expected_r_lag / 3, 5 * std::sqrt(var_r_lag) / 3);
}

// Bursts alone: every burst is spikes_per_burst spikes exactly the
// intra-burst interval apart (a new burst may follow at once); onsets are Poisson, so the count of bursts per
// neuron has the binomial mean of the onset probability over the steps
// where no burst is under way.
TEST(PoissonSource, BurstsAreTrainsOfFixedLength) {
  auto c = sourceOnly(100, 4000, 7);
  auto& p = params(c);
  p.rate_hz = 0;
  p.burst_rate_hz = 5;
  p.spikes_per_burst = 4;
  p.intra_burst_interval_ms = 3;
  const auto spikes = spikesOf(c);
  std::map<std::uint64_t, std::vector<double>> by_neuron;
  for (const auto& [t, id] : spikes) by_neuron[id].push_back(t);
  double bursts = 0;
  for (const auto& [id, times] : by_neuron) {
    std::size_t k = 0;
    while (k < times.size()) {
      ++bursts;
      std::size_t j = k + 1;
      // No onset while a burst is under way: the spikes fall in groups of four.
      for (; j < times.size() && j < k + 4; ++j) ASSERT_NEAR(times[j] - times[j - 1], 3.0, 1e-9) << id;
      if (j - k < 4) EXPECT_GT(times[k], c.simulation.duration_ms - 4 * 3.0) << "a short burst is the last one";
      k = j;
    }
  }
  // Onsets are possible in the steps outside bursts (9 ms of every burst).
  const double dt_s = c.simulation.dt_ms / 1000.0;
  const double q = 1 - std::exp(-5.0 * dt_s);
  const double free_steps_per_burst = 1 / q;  // mean wait, in steps
  const double expected = 100 * c.stepCount() / (free_steps_per_burst + 9.0 / c.simulation.dt_ms);
  EXPECT_NEAR(bursts, expected, 5 * std::sqrt(expected));
}

// A source takes no input: a projection into it is refused.
TEST(PoissonSource, ProjectionsIntoASourceAreRefused) {
  auto c = sourceOnly(10, 10, 1);
  c.populations.push_back(PopulationSettings::of("STN", "stn_hh", 10));
  ProjectionSettings pr;
  pr.name = "stn_src";
  pr.source = "STN";
  pr.target = "SRC";
  c.projections.push_back(pr);
  try {
    checkConsistency(c);
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("projection.stn_src.target"), std::string::npos) << e.what();
  }
}

// ... nor background current: noise or bias on a source is refused (it
// would be written into the file's configuration and ignored).
TEST(PoissonSource, NoiseAndBiasOnASourceAreRefused) {
  for (const std::string key : {"noise_mu", "noise_sigma", "bias_mean", "bias_cv"}) {
    auto c = sourceOnly(10, 10, 1);
    PopulationSettings& src = c.populations.at(0);
    if (key == "noise_mu") src.noise.mu = 5;
    if (key == "noise_sigma") src.noise.sigma = 5;
    if (key == "bias_mean") src.bias.mean = 100;
    if (key == "bias_cv") src.bias.cv = 0.3;
    try {
      checkConsistency(c);
      FAIL() << key << " accepted";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("population.SRC." + key + ": population SRC is a spike source"),
                std::string::npos)
          << e.what();
    }
  }
}

// A source's spikes can stay out of the file (write_spikes = false); they
// still drive their targets and count in the metrics.
TEST(PoissonSource, UnwrittenSpikesStillDrive) {
  auto c = sourceDrivingCells(200);
  MemoryWriter shown, hidden;
  RunSummary a, b;
  {
    Simulation sim(c);
    a = sim.run(&shown);
  }
  c.populations[0].write_spikes = false;
  {
    Simulation sim(c);
    b = sim.run(&hidden);
  }
  EXPECT_EQ(hidden.spikes.count("SRC"), 0u);
  EXPECT_EQ(hidden.spikes.at("T"), shown.spikes.at("T"));
  EXPECT_FALSE(shown.spikes.at("T").empty());
  EXPECT_EQ(a.populations[0].spikes, b.populations[0].spikes);
}

// A source has no synaptic current, so no LFP proxy: every metric of the
// proxy is undefined, while its target's proxy is measured.
TEST(PoissonSource, HasNoLfpProxyMetrics) {
  auto c = sourceDrivingCells(400);
  c.analysis.burn_in_ms = 100;
  c.analysis.segment_ms = 100;
  Simulation sim(c);
  const RunSummary s = sim.run(nullptr);
  const PopulationSummary& source = s.populations[0];
  const PopulationSummary& target = s.populations[1];
  EXPECT_GT(source.rate_hz, 0);
  for (double v : {source.beta_power, source.lfp_mean, source.relative_beta, source.peak_hz})
    EXPECT_TRUE(std::isnan(v)) << v;
  EXPECT_GT(target.beta_power, 0);
  EXPECT_GT(target.lfp_mean, 0);
}
