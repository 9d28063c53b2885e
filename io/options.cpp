#include "io/options.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <sstream>
#include <type_traits>

#include "kernels/stn_hh.hpp"
#include "kernels/synapse.hpp"
#include "kernels/time_steps.hpp"
#include "src/projection.hpp"

namespace po = boost::program_options;

namespace cbgtc::io {

namespace {

template <class T>
std::string toText(const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    return value ? "true" : "false";
  } else if constexpr (std::is_floating_point_v<T>) {
    return formatNumber(value);
  } else if constexpr (std::is_same_v<T, std::string>) {
    return value;
  } else {
    return std::to_string(value);
  }
}

template <class T>
void checkBound(const std::string& key, const T& value, Bound bound) {
  if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
    if constexpr (std::is_floating_point_v<T>) {
      if (!std::isfinite(value)) throw ConfigError(key + " must be a finite number, got " + toText(value));
    }
    switch (bound) {
      case Bound::Any: break;
      case Bound::NonNegative:
        if (value < 0) throw ConfigError(key + " must be >= 0, got " + toText(value));
        break;
      case Bound::Positive:
        if (!(value > 0)) throw ConfigError(key + " must be > 0, got " + toText(value));
        break;
      case Bound::UnitInterval:
        if (value < 0 || value > 1) throw ConfigError(key + " must be in [0, 1], got " + toText(value));
        break;
    }
  }
}

std::string sectionOf(const std::string& key) { return key.substr(0, key.find('.')); }

}  // namespace

std::string formatNumber(double value) {
  char buf[64];
  for (int digits = 6; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  return buf;
}

std::string formatNumber(float value) {
  char buf[64];
  for (int digits = 6; digits <= 9; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, static_cast<double>(value));
    if (std::strtof(buf, nullptr) == value) break;
  }
  return buf;
}

template <class T>
void OptionTable::add(const std::string& key, T* field, const std::string& unit,
                      const std::string& help, Bound bound) {
  const std::string default_text = toText(*field);
  const std::string described = (unit.empty() ? std::string() : "[" + unit + "] ") + help;
  Entry e;
  e.key = key;
  e.unit = unit;
  e.help = help;
  e.declare = [key, field, described, default_text](po::options_description& d) {
    auto* value = po::value<T>(field)->default_value(*field, default_text);
    if constexpr (std::is_same_v<T, bool>) value->implicit_value(true, "true");
    d.add_options()(key.c_str(), value, described.c_str());
  };
  e.value = [field] { return toText(*field); };
  e.check = [key, field, bound] { checkBound(key, *field, bound); };
  _entries.push_back(std::move(e));
}

template void OptionTable::add<double>(const std::string&, double*, const std::string&,
                                       const std::string&, Bound);
template void OptionTable::add<float>(const std::string&, float*, const std::string&,
                                      const std::string&, Bound);
template void OptionTable::add<std::int64_t>(const std::string&, std::int64_t*, const std::string&,
                                             const std::string&, Bound);
template void OptionTable::add<bool>(const std::string&, bool*, const std::string&,
                                     const std::string&, Bound);
template void OptionTable::add<std::string>(const std::string&, std::string*, const std::string&,
                                            const std::string&, Bound);

std::vector<po::options_description> OptionTable::describe() const {
  std::vector<std::string> sections;
  for (const auto& e : _entries) {
    const auto s = sectionOf(e.key);
    if (sections.empty() || sections.back() != s) sections.push_back(s);
  }
  std::vector<po::options_description> out;
  for (const auto& s : sections) {
    out.emplace_back("[" + s + "]", 100, 50);
    for (const auto& e : _entries)
      if (sectionOf(e.key) == s) e.declare(out.back());
  }
  return out;
}

void OptionTable::checkBounds() const {
  for (const auto& e : _entries) e.check();
}

AttributeList OptionTable::resolved() const {
  AttributeList out;
  for (const auto& e : _entries) out.emplace_back(e.key, e.value());
  return out;
}

OptionTable makeOptionTable(SimulationConfig& c) {
  OptionTable t;
  auto& sim = c.simulation;
  t.add("simulation.duration_ms", &sim.duration_ms, "ms", "model time to simulate (multiple of dt_ms)",
        Bound::NonNegative);
  t.add("simulation.dt_ms", &sim.dt_ms, "ms", "integration step", Bound::Positive);
  t.add("simulation.seed", &sim.seed, "", "seed of every random stream (initial states, ...)",
        Bound::NonNegative);
  t.add("simulation.epoch_batching", &sim.epoch_batching, "",
        "advance each population through a whole exchange epoch per kernel launch (false: one launch per step; "
        "same results)");
  t.add("simulation.delivery", &sim.delivery, "",
        "spike delivery: thread (a thread per spike), team (a team per spike, for long rows on GPUs), auto "
        "(team on GPUs for rows of 64 or more) or pull (as auto, but steps where simulation.pull_fraction of a "
        "projection's sources fire together are one sparse matrix product; 12 more bytes per synapse); "
        "same results");
  t.add("simulation.pull_fraction", &sim.pull_fraction, "",
        "with delivery = pull: share of a projection's sources firing in one step from which that step is "
        "pulled (0: every step with spikes)",
        Bound::UnitInterval);
  t.add("simulation.lanes_per_neuron", &sim.lanes_per_neuron, "",
        "GPU lanes that advance one neuron together, sharing out its exponentials, divisions and noise: 1, 2, "
        "4 or 8, or 0 = auto (8 or 4 for small networks, which are latency-bound, else 1); ignored on CPUs; same "
        "results");

  auto& net = c.network;
  t.add("network.n_stn", &net.n_stn, "", "STN neurons (Hodgkin-Huxley)", Bound::NonNegative);
  t.add("network.n_gpe", &net.n_gpe, "", "GPe neurons (AdEx)", Bound::NonNegative);
  t.add("network.n_gpi", &net.n_gpi, "", "GPi neurons (AdEx)", Bound::NonNegative);

  auto& s = c.stn;
  const auto g = Bound::NonNegative;
  t.add("stn.gNa", &s.gNa, "mS/cm^2", "fast Na+ conductance", g);
  t.add("stn.gK", &s.gK, "mS/cm^2", "delayed-rectifier K+ conductance", g);
  t.add("stn.gT", &s.gT, "mS/cm^2", "T-type Ca2+ conductance", g);
  t.add("stn.gL", &s.gL, "mS/cm^2", "leak conductance", g);
  t.add("stn.gCa", &s.gCa, "mS/cm^2", "high-voltage-activated Ca2+ conductance", g);
  t.add("stn.gAHP", &s.gAHP, "mS/cm^2", "Ca2+-activated K+ (AHP) conductance", g);
  t.add("stn.gH", &s.gH, "mS/cm^2", "H-current conductance", g);
  t.add("stn.ENa", &s.ENa, "mV", "Na+ reversal potential");
  t.add("stn.EK", &s.EK, "mV", "K+ reversal potential (I_K, I_AHP)");
  t.add("stn.ECa", &s.ECa, "mV", "Ca2+ reversal potential (I_T, I_CaH)");
  t.add("stn.EL", &s.EL, "mV", "leak reversal potential");
  t.add("stn.E_H", &s.E_H, "mV", "H-current reversal potential");
  t.add("stn.Cm", &s.Cm, "uF/cm^2", "membrane capacitance", Bound::Positive);
  t.add("stn.ISTN", &s.ISTN, "uA/cm^2", "tonic drive current");
  t.add("stn.Vp_half", &s.Vp_half, "mV", "T-type activation half point");
  t.add("stn.kp", &s.kp, "mV", "T-type activation slope", Bound::Positive);
  t.add("stn.Vr_half", &s.Vr_half, "mV", "r-gate half point");
  t.add("stn.kr", &s.kr, "mV", "r-gate slope", Bound::Positive);
  t.add("stn.tau_r_ms", &s.tau_r_ms, "ms", "r-gate time constant", Bound::Positive);
  t.add("stn.alpha_Ca", &s.alpha_Ca, "Ca/ms per uA/cm^2", "Ca2+ influx factor", g);
  t.add("stn.tau_Ca_ms", &s.tau_Ca_ms, "ms", "Ca2+ decay time constant", Bound::Positive);
  t.add("stn.k1", &s.k1, "Ca units", "AHP half-activation calcium", g);
  t.add("stn.V_spike_thresh", &s.V_spike_thresh, "mV", "spike detection threshold (upward crossing)");
  t.add("stn.min_isi_ms", &s.min_isi_ms, "ms", "minimum interval between detected spikes", g);
  auto& si = c.stn_init;
  t.add("stn.V_init", &si.V, "mV", "mean initial membrane potential");
  t.add("stn.n_init", &si.n, "", "mean initial n gate", Bound::UnitInterval);
  t.add("stn.h_init", &si.h, "", "mean initial h gate", Bound::UnitInterval);
  t.add("stn.r_init", &si.r, "", "mean initial r gate", Bound::UnitInterval);
  t.add("stn.Ca_init", &si.Ca, "Ca units", "mean initial calcium", g);
  t.add("stn.heterogeneity", &si.heterogeneity, "",
        "relative s.d. of initial states (0: all neurons start alike)", g);

  auto addAdEx = [&t](const std::string& pop, adex::AdExParams& p, adex::AdExInit& x) {
    const std::string k = pop + ".";
    t.add(k + "C", &p.C, "pF", "membrane capacitance", Bound::Positive);
    t.add(k + "gL", &p.gL, "nS", "leak conductance", Bound::NonNegative);
    t.add(k + "EL", &p.EL, "mV", "leak reversal potential");
    t.add(k + "VT", &p.VT, "mV", "exponential threshold");
    t.add(k + "dT", &p.dT, "mV", "slope factor Delta_T", Bound::Positive);
    t.add(k + "a", &p.a, "nS", "subthreshold adaptation");
    t.add(k + "tau_w", &p.tau_w, "ms", "adaptation time constant", Bound::Positive);
    t.add(k + "b", &p.b, "pA", "spike-triggered adaptation increment");
    t.add(k + "V_reset", &p.V_reset, "mV", "reset potential");
    t.add(k + "V_peak", &p.V_peak, "mV", "spike cut-off");
    t.add(k + "t_ref_ms", &p.t_ref_ms, "ms", "absolute refractory period", Bound::NonNegative);
    t.add(k + "I_baseline", &p.I_baseline, "pA", "tonic drive current");
    t.add(k + "exp_arg_min", &p.exp_arg_min, "", "lower clip of (V-VT)/dT in the exponential");
    t.add(k + "exp_arg_max", &p.exp_arg_max, "", "upper clip of (V-VT)/dT in the exponential");
    t.add(k + "V_init", &x.V, "mV", "mean initial membrane potential");
    t.add(k + "V_init_sd", &x.V_sd, "mV", "s.d. of initial membrane potential", Bound::NonNegative);
    t.add(k + "w_init", &x.w, "pA", "mean initial adaptation current");
    t.add(k + "w_init_sd", &x.w_sd, "pA", "s.d. of initial adaptation current", Bound::NonNegative);
  };
  addAdEx("gpe", c.gpe, c.gpe_init);
  addAdEx("gpi", c.gpi, c.gpi_init);

  auto addNoise = [&t](const std::string& pop, NoiseSettings& n, const char* unit) {
    const std::string k = "noise." + pop + ".";
    t.add(k + "tau_ms", &n.tau_ms, "ms", "OU correlation time", Bound::Positive);
    t.add(k + "mu", &n.mu, unit, "OU mean current (positive depolarising)");
    t.add(k + "sigma", &n.sigma, unit, "OU stationary standard deviation", Bound::NonNegative);
  };
  addNoise("stn", c.stn_noise, "uA/cm^2");
  addNoise("gpe", c.gpe_noise, "pA");
  addNoise("gpi", c.gpi_noise, "pA");

  for (auto& pr : c.projections) {
    const std::string k = "projection." + pr.name + ".";
    t.add(k + "source", &pr.source, "", "source population (STN, GPe, GPi)");
    t.add(k + "target", &pr.target, "", "target population (STN, GPe, GPi)");
    t.add(k + "rule", &pr.rule, "", "fixed_probability or fixed_indegree");
    t.add(k + "p", &pr.p, "", "connection probability per pair (fixed_probability)", Bound::UnitInterval);
    t.add(k + "indegree", &pr.indegree, "", "sources per target (fixed_indegree)", Bound::NonNegative);
    t.add(k + "g_total", &pr.g_total, "mS/cm^2 into STN, nS into GPe/GPi",
          "summed mean weight per target neuron", Bound::NonNegative);
    t.add(k + "weight_cv", &pr.weight_cv, "", "coefficient of variation of the log-normal weights",
          Bound::NonNegative);
    t.add(k + "delay_ms", &pr.delay_ms, "ms", "axonal delay, rounded to steps", Bound::Positive);
    t.add(k + "delay_jitter_ms", &pr.delay_jitter_ms, "ms", "per-synapse delay uniform in delay +- jitter",
          Bound::NonNegative);
    t.add(k + "tau_ms", &pr.tau_ms, "ms", "conductance decay time constant", Bound::Positive);
    t.add(k + "E_rev_mV", &pr.E_rev_mV, "mV", "reversal potential");
    t.add(k + "autapses", &pr.autapses, "", "allow self-connections when source == target");
  }

  auto& a = c.analysis;
  t.add("analysis.burn_in_ms", &a.burn_in_ms, "ms", "initial time excluded from every metric", Bound::NonNegative);
  t.add("analysis.segment_ms", &a.segment_ms, "ms", "Welch segment length (1000: 1 Hz resolution)",
        Bound::Positive);
  t.add("analysis.lfp_sample_ms", &a.lfp_sample_ms, "ms", "LFP proxy sampling interval (multiple of dt_ms)",
        Bound::Positive);
  t.add("analysis.beta_lo_hz", &a.beta_lo_hz, "Hz", "lower edge of the beta band", Bound::NonNegative);
  t.add("analysis.beta_hi_hz", &a.beta_hi_hz, "Hz", "upper edge of the beta band", Bound::Positive);
  t.add("analysis.total_lo_hz", &a.total_lo_hz, "Hz", "lower edge of the band relative beta is taken over",
        Bound::NonNegative);
  t.add("analysis.total_hi_hz", &a.total_hi_hz, "Hz", "upper edge of that band", Bound::Positive);

  auto& o = c.output;
  t.add("output.file", &o.file, "", "output file (SONATA HDF5; CSV spikes in builds without HDF5)");
  t.add("output.spikes", &o.spikes, "",
        "write every spike to the file (false: rates, CV, LFP and spectra only; on one rank the spikes then "
        "never leave the device)");
  t.add("output.overwrite", &o.overwrite, "", "replace an existing output file");
  t.add("output.v_every_steps", &o.v_every_steps, "steps", "membrane-potential sampling interval",
        Bound::Positive);
  t.add("output.v_neurons", &o.v_neurons, "", "first cells of each population whose V is recorded",
        Bound::NonNegative);
  t.add("output.progress_interval_s", &o.progress_interval_s, "s", "wall time between progress lines (0: off)",
        Bound::NonNegative);
  t.add("output.timers", &o.timers, "",
        "time the phases of a step (neuron update, delivery, exchange, output); adds a fence per phase");
  return t;
}

namespace {

/// The steps `key` (ms) lasts at dt, refused when they do not fit `limit`
/// (the largest value of the type they are stored in, or what the code
/// that uses them allows).
std::int64_t checkedSteps(const std::string& key, double ms, double dt_ms, std::int64_t limit,
                          const char* why) {
  std::int64_t steps = 0;
  try {
    steps = stepsOf(ms, dt_ms);
  } catch (const std::out_of_range&) {
    steps = std::numeric_limits<std::int64_t>::max();
  }
  if (steps > limit)
    throw ConfigError(key + " (" + formatNumber(ms) + " ms) is more than " + std::to_string(limit) +
                      " steps of simulation.dt_ms (" + formatNumber(dt_ms) + " ms), " + why);
  return steps;
}

}  // namespace

void checkConsistency(const SimulationConfig& c) {
  const double dt = c.simulation.dt_ms;
  // dt first: a step longer than the run or the LFP sampling interval is
  // the key at fault, not those.
  if (c.simulation.duration_ms > 0 && dt > c.simulation.duration_ms)
    throw ConfigError("simulation.dt_ms (" + formatNumber(dt) + ") is longer than simulation.duration_ms (" +
                      formatNumber(c.simulation.duration_ms) + ")");
  if (dt > c.analysis.lfp_sample_ms)
    throw ConfigError("simulation.dt_ms (" + formatNumber(dt) + ") is longer than analysis.lfp_sample_ms (" +
                      formatNumber(c.analysis.lfp_sample_ms) + ")");
  checkedSteps("simulation.duration_ms", c.simulation.duration_ms, dt, max_step_count,
               "the limit of a step count");
  const double steps = c.simulation.duration_ms / dt;
  // Tolerance: a few ulps of the quotient, so typed decimal multiples pass
  // and nothing off by a fraction of a step is rounded silently.
  if (std::fabs(steps - std::round(steps)) > 1e-12 * std::max(1.0, steps))
    throw ConfigError("simulation.duration_ms (" + formatNumber(c.simulation.duration_ms) +
                      ") is not a multiple of simulation.dt_ms (" + formatNumber(c.simulation.dt_ms) + ")");
  // Each count as the simulation stores it: the STN's last spike step starts
  // at no_spike_step, the AdEx refractory countdown is 32-bit (plus one step
  // of separation), the rest are step indices.
  checkedSteps("stn.min_isi_ms", c.stn.min_isi_ms, dt, -stn::no_spike_step,
               "the limit of the STN's spike-interval count");
  for (const auto& [key, t_ref] : {std::pair<const char*, double>{"gpe.t_ref_ms", c.gpe.t_ref_ms},
                                   std::pair<const char*, double>{"gpi.t_ref_ms", c.gpi.t_ref_ms}})
    checkedSteps(key, t_ref, dt, std::numeric_limits<std::int32_t>::max() - 1,
                 "the limit of the 32-bit refractory countdown");
  checkedSteps("analysis.burn_in_ms", c.analysis.burn_in_ms, dt, max_step_count, "the limit of a step count");
  checkedSteps("analysis.lfp_sample_ms", c.analysis.lfp_sample_ms, dt, max_step_count,
               "the limit of a step count");

  const auto max_pop = static_cast<std::int64_t>(std::numeric_limits<index_type>::max());
  const std::pair<const char*, std::int64_t> sizes[] = {
      {"network.n_stn", c.network.n_stn}, {"network.n_gpe", c.network.n_gpe}, {"network.n_gpi", c.network.n_gpi}};
  for (const auto& [key, n] : sizes)
    if (n > max_pop) throw ConfigError(std::string(key) + " must be <= " + std::to_string(max_pop));
  const std::pair<const char*, const adex::AdExParams*> adex_pops[] = {{"gpe", &c.gpe}, {"gpi", &c.gpi}};
  for (const auto& [pop, p] : adex_pops) {
    const std::string k = pop;
    if (!(p->V_reset < p->V_peak))
      throw ConfigError(k + ".V_reset must be below " + k + ".V_peak");
    if (!(p->exp_arg_min < p->exp_arg_max))
      throw ConfigError(k + ".exp_arg_min must be below " + k + ".exp_arg_max");
  }
  if (c.output.file.empty()) throw ConfigError("output.file must not be empty");
  const std::int64_t lanes = c.simulation.lanes_per_neuron;
  if (lanes != 0 && lanes != 1 && lanes != 2 && lanes != 4 && lanes != 8)
    throw ConfigError("simulation.lanes_per_neuron must be 0 (auto), 1, 2, 4 or 8, got " +
                      std::to_string(c.simulation.lanes_per_neuron));
  if (c.simulation.delivery != "auto" && c.simulation.delivery != "thread" && c.simulation.delivery != "team" &&
      c.simulation.delivery != "pull")
    throw ConfigError("simulation.delivery must be auto, thread, team or pull, got '" + c.simulation.delivery +
                      "'");

  const double lfp_steps = c.analysis.lfp_sample_ms / dt;
  if (std::fabs(lfp_steps - std::round(lfp_steps)) > 1e-9 * std::max(1.0, lfp_steps) || std::round(lfp_steps) < 1)
    throw ConfigError("analysis.lfp_sample_ms must be a positive multiple of simulation.dt_ms");
  if (c.analysis.segment_ms < 2 * c.analysis.lfp_sample_ms)
    throw ConfigError("analysis.segment_ms must hold at least two LFP samples (2 x analysis.lfp_sample_ms)");
  if (!(c.analysis.beta_lo_hz < c.analysis.beta_hi_hz))
    throw ConfigError("analysis.beta_lo_hz must be below analysis.beta_hi_hz");
  if (!(c.analysis.total_lo_hz < c.analysis.total_hi_hz))
    throw ConfigError("analysis.total_lo_hz must be below analysis.total_hi_hz");
  // The LFP proxy's spectrum ends at its Nyquist frequency.
  const double nyquist_hz = 500.0 / c.analysis.lfp_sample_ms;
  for (const auto& [key, hz] :
       {std::pair<const char*, double>{"analysis.beta_hi_hz", c.analysis.beta_hi_hz},
        std::pair<const char*, double>{"analysis.total_hi_hz", c.analysis.total_hi_hz}})
    if (hz > nyquist_hz)
      throw ConfigError(std::string(key) + " (" + formatNumber(hz) + " Hz) is above the Nyquist frequency " +
                        formatNumber(nyquist_hz) + " Hz of the LFP proxy (500 / analysis.lfp_sample_ms)");

  auto sizeOf = [&c](PopulationId id) {
    switch (id) {
      case PopulationId::STN: return c.network.n_stn;
      case PopulationId::GPe: return c.network.n_gpe;
      case PopulationId::GPi: return c.network.n_gpi;
    }
    return std::int64_t(0);
  };
  int inputs[3] = {0, 0, 0};
  for (const auto& pr : c.projections) {
    const std::string k = "projection." + pr.name + ".";
    PopulationId source{}, target{};
    try {
      source = populationIdOf(pr.source);
    } catch (const std::invalid_argument&) {
      throw ConfigError(k + "source must be STN, GPe or GPi, got '" + pr.source + "'");
    }
    try {
      target = populationIdOf(pr.target);
    } catch (const std::invalid_argument&) {
      throw ConfigError(k + "target must be STN, GPe or GPi, got '" + pr.target + "'");
    }
    if (pr.rule != "fixed_probability" && pr.rule != "fixed_indegree")
      throw ConfigError(k + "rule must be fixed_probability or fixed_indegree, got '" + pr.rule + "'");
    const std::int64_t candidates = sizeOf(source) - ((source == target && !pr.autapses) ? 1 : 0);
    if (pr.rule == "fixed_indegree" && sizeOf(target) > 0 && pr.indegree > std::max<std::int64_t>(0, candidates))
      throw ConfigError(k + "indegree (" + std::to_string(pr.indegree) + ") exceeds the " +
                        std::to_string(std::max<std::int64_t>(0, candidates)) + " possible sources");
    // Checked before delaySteps() sees them: it keeps 32 bits.
    if (checkedSteps(k + "delay_ms plus delay_jitter_ms", pr.delay_ms + pr.delay_jitter_ms, dt, 65535,
                     "the limit of a synaptic delay") < 1 ||
        stepsOf(pr.delay_ms - pr.delay_jitter_ms, dt) < 1)
      throw ConfigError(k + "delay_ms minus delay_jitter_ms must be at least one step (simulation.dt_ms)");
    if (++inputs[static_cast<int>(target)] > max_inputs_per_population)
      throw ConfigError(std::string("more than ") + std::to_string(max_inputs_per_population) +
                        " projections into " + populationName(target) + " (" + k + "target)");
  }
}

namespace {

po::options_description howToRun() {
  po::options_description d("How to run", 100, 50);
  d.add_options()("help,h", "print this help and exit")(
      "version", "print version, Kokkos, MPI and HDF5 information and exit")(
      "config,c", po::value<std::string>(), "input deck (INI); keys given here override it")(
      "validate", "check the configuration and exit without running");
  return d;
}

}  // namespace

std::string helpText() {
  SimulationConfig defaults;
  const OptionTable table = makeOptionTable(defaults);
  std::ostringstream out;
  out << "Usage: cbgtc [--config deck.ini] [--section.key=value ...]\n\n"
      << "Simulates the STN-GPe-GPi network of the basal ganglia. Every key can be\n"
      << "set in the deck (section [stn], line 'gNa = 49') or on the command line\n"
      << "(--stn.gNa=49); the command line wins. Units are in brackets.\n\n"
      << howToRun() << "\n";
  for (const auto& d : table.describe()) out << d << "\n";
  return out.str();
}

namespace {

// Exact keys only: boost's default style also accepts any unambiguous
// prefix ("--network.n_st" for network.n_stn), which the deck never does.
constexpr int kCommandLineStyle =
    po::command_line_style::default_style & ~po::command_line_style::allow_guessing;

// The options Kokkos reads from the command line (Kokkos 3.4 and 4.x); every
// other "--kokkos..." argument is a typo that Kokkos would drop silently.
constexpr const char* kKokkosOptions[] = {"--kokkos-num-threads",
                                          "--kokkos-device-id",
                                          "--kokkos-help",
                                          "--kokkos-disable-warnings",
                                          "--kokkos-print-configuration",
                                          "--kokkos-tune-internals",
                                          "--kokkos-tools-libs",
                                          "--kokkos-tools-args",
                                          "--kokkos-map-device-id-by",
                                          "--kokkos-num-devices",
                                          "--kokkos-threads",
                                          "--kokkos-numa",
                                          "--kokkos-ndevices"};

/// The Kokkos option `arg` is ("--kokkos-num-threads" for
/// "--kokkos-num-threads=4"), or throws for an unknown one.
std::string kokkosOptionOf(const std::string& arg) {
  const std::string name = arg.substr(0, arg.find('='));
  for (const char* known : kKokkosOptions)
    if (name == known) return name;
  throw ConfigError("unknown Kokkos option '" + name + "' (see --kokkos-help)");
}

int threadCountOf(const std::string& arg) {
  const auto eq = arg.find('=');
  const std::string name = arg.substr(0, eq);
  const std::string text = eq == std::string::npos ? "" : arg.substr(eq + 1);
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < 1)
    throw ConfigError(name + " must be '=' and a positive whole number of threads, got '" + arg + "'");
  return value;
}

/// One `key = value` line of a deck.
struct DeckEntry {
  std::string key;  // "section.name"
  std::string value;
  int line = 0;
};

std::string trimmed(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\v\f");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\v\f") - first + 1);
}

}  // namespace

// A pipe or process substitution (`--config <(...)`, /dev/stdin) cannot be
// read a second time.
std::string readDeck(const std::string& path) {
  // O_NONBLOCK: opening a named pipe nobody writes to returns at once
  // instead of waiting for a writer; its read then ends at once, empty.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    throw ConfigError("cannot open input deck '" + path + "': " + std::strerror(error));
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int error = errno;
    throw ConfigError("cannot read input deck '" + path + "': " + std::strerror(error));
  }
  if (S_ISDIR(info.st_mode)) throw ConfigError("input deck '" + path + "' is a directory");
  const bool pipe = S_ISFIFO(info.st_mode);
  if (!S_ISREG(info.st_mode) && !pipe)
    throw ConfigError("input deck '" + path + "' is not a regular file or a pipe");
  // Blocking again, so that a pipe is read until its writer closes it.
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      throw ConfigError("cannot read input deck '" + path + "': " + std::strerror(error));
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
  // An empty pipe is a deck that was never written (or already consumed),
  // not a request for the defaults.
  if (pipe && text.empty()) throw ConfigError("input deck '" + path + "' is a pipe that gave no data");
  return text;
}

namespace {

/// The INI syntax boost::program_options reads ('#' comments, [section],
/// key = value), scanned here so that every complaint can name its line.
std::vector<DeckEntry> scanDeck(const std::string& path, const std::string& text) {
  std::vector<DeckEntry> entries;
  std::map<std::string, int> first_line;
  std::istringstream in(text);
  std::string raw, section;
  for (int line = 1; std::getline(in, raw); ++line) {
    const std::string where = path + ":" + std::to_string(line) + ": ";
    const std::string s = trimmed(raw.substr(0, raw.find('#')));
    if (s.empty()) continue;
    if (s.front() == '[' && s.back() == ']') {
      section = trimmed(s.substr(1, s.size() - 2));
      if (section.empty()) throw ConfigError(where + "empty section name '" + s + "'");
      continue;
    }
    const auto eq = s.find('=');
    if (eq == std::string::npos)
      throw ConfigError(where + "expected 'key = value' or '[section]', got '" + s + "'");
    const std::string name = trimmed(s.substr(0, eq));
    if (name.empty()) throw ConfigError(where + "no key before '=' in '" + s + "'");
    DeckEntry e;
    e.key = section.empty() ? name : section + "." + name;
    e.value = trimmed(s.substr(eq + 1));
    e.line = line;
    const auto [it, fresh] = first_line.emplace(e.key, line);
    if (!fresh)
      throw ConfigError(where + e.key + " is set twice (first on line " + std::to_string(it->second) + ")");
    entries.push_back(std::move(e));
  }
  return entries;
}

/// "projection.<name>.<key>" -> name, or "" for other keys.
std::string projectionNameOf(const std::string& key) {
  const std::string prefix = "projection.";
  if (key.rfind(prefix, 0) != 0) return "";
  const auto dot = key.find('.', prefix.size());
  return dot == std::string::npos ? "" : key.substr(prefix.size(), dot - prefix.size());
}

/// Projections are sections named by the user ([projection.gpe_gpe]): every
/// name `keys` use gets a projection, so that its keys can be declared
/// before the real parse.
void addDeclaredProjections(const std::vector<std::string>& keys, SimulationConfig& config) {
  for (const auto& key : keys) {
    const std::string name = projectionNameOf(key);
    if (name.empty()) continue;
    const bool known = std::any_of(config.projections.begin(), config.projections.end(),
                                   [&](const ProjectionSettings& p) { return p.name == name; });
    if (known) continue;
    ProjectionSettings added;
    added.name = name;
    config.projections.push_back(added);
  }
}

}  // namespace

CommandLine parseCommandLine(int argc, const char* const argv[], const DeckReader& read_deck) {
  CommandLine cl;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--kokkos", 0) != 0) {
      args.push_back(a);
      continue;
    }
    const std::string option = kokkosOptionOf(a);
    if (option == "--kokkos-help") cl.kokkos_help = true;
    if (option == "--kokkos-num-threads" || option == "--kokkos-threads")
      cl.requested_threads = threadCountOf(a);
  }

  // First pass, over the command line only: the deck and every key given,
  // to declare the projections that the command line or the deck name.
  std::vector<std::string> keys;
  std::string deck_path;
  try {
    const po::options_description how = howToRun();
    const po::parsed_options first =
        po::command_line_parser(args).options(how).style(kCommandLineStyle).allow_unregistered().run();
    for (const auto& o : first.options) {
      if (o.string_key == "config" && !o.value.empty()) deck_path = o.value.front();
      keys.push_back(o.string_key);
    }
  } catch (const po::error& e) {
    throw ConfigError(e.what());
  }
  std::vector<DeckEntry> deck;
  if (!deck_path.empty()) {
    deck = scanDeck(deck_path, read_deck(deck_path));
    for (const auto& e : deck) keys.push_back(e.key);
  }
  addDeclaredProjections(keys, cl.config);

  OptionTable table = makeOptionTable(cl.config);
  po::options_description declared;
  for (const auto& d : table.describe()) declared.add(d);
  po::options_description all;
  all.add(howToRun()).add(declared);

  po::variables_map vm;
  try {
    const po::parsed_options parsed =
        po::command_line_parser(args).options(all).style(kCommandLineStyle).run();
    // Without this check boost drops them: a deck named without --config
    // would silently run the defaults.
    for (const auto& o : parsed.options) {
      if (o.position_key < 0 && !o.string_key.empty()) continue;
      const std::string token = o.original_tokens.empty() ? std::string() : o.original_tokens.front();
      throw ConfigError("unexpected argument '" + token +
                        "' (give a deck with --config and keys as --section.key=value)");
    }
    po::store(parsed, vm);
  } catch (const po::unknown_option& e) {
    const std::string name = e.get_option_name();
    throw ConfigError("unknown option '" + name.substr(0, name.find('=')) + "' (see --help for every key)");
  } catch (const po::error& e) {
    throw ConfigError(e.what());
  }
  cl.help = vm.count("help") > 0;
  cl.version = vm.count("version") > 0;
  cl.validate_only = vm.count("validate") > 0;
  if (cl.help || cl.version || cl.kokkos_help) return cl;

  if (vm.count("config")) cl.config_file = vm["config"].as<std::string>();
  for (const auto& e : deck) {
    const std::string where = cl.config_file + ":" + std::to_string(e.line) + ": ";
    if (declared.find_nothrow(e.key, false) == nullptr)
      throw ConfigError(where + "unknown key '" + e.key + "' (see --help for every key)");
    // One entry at a time, so that a rejected value names its line; the
    // command line's values are final already and are kept.
    po::parsed_options one(&declared);
    po::option o(e.key, {e.value});
    o.original_tokens = {e.key, e.value};
    one.options.push_back(o);
    try {
      po::store(one, vm);
    } catch (const po::error& error) {
      throw ConfigError(where + error.what());
    }
  }
  try {
    po::notify(vm);
  } catch (const po::error& e) {
    throw ConfigError(e.what());
  }
  table.checkBounds();
  checkConsistency(cl.config);
  return cl;
}

}  // namespace cbgtc::io
