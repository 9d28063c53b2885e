#include <algorithm>
// The option table and command-line/deck parser (io/options), in process:
// defaults, precedence (command line > deck > defaults), every rejected
// configuration, resolved() round trip and the --help text.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/options.hpp"
#include "kernels/time_steps.hpp"
#include "src/config.hpp"
#include "src/types.hpp"
#include "tests/cli_helpers.hpp"

using cbgtc::real_type;
using cbgtc::SimulationConfig;
using cbgtc::io::CommandLine;
using cbgtc::io::ConfigError;
using cbgtc::test::TempDir;

namespace {

/// parseCommandLine on "cbgtc <args...>".
CommandLine parse(const std::vector<std::string>& args) {
  std::vector<const char*> argv{"cbgtc"};
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  return cbgtc::io::parseCommandLine(static_cast<int>(argv.size() - 1), argv.data());
}

/// The message of the ConfigError that parsing `args` throws ("" and a test
/// failure when it throws nothing or something else).
std::string parseError(const std::vector<std::string>& args) {
  try {
    parse(args);
  } catch (const ConfigError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected ConfigError, got another exception: " << e.what();
    return "";
  }
  std::string joined;
  for (const auto& a : args) joined += a + " ";
  ADD_FAILURE() << "expected ConfigError for: " << joined;
  return "";
}

/// Expects parsing `args` to throw a ConfigError whose message contains every
/// string of `needles`.
void expectRejected(const std::vector<std::string>& args, std::initializer_list<std::string> needles) {
  const std::string message = parseError(args);
  for (const auto& n : needles)
    EXPECT_NE(message.find(n), std::string::npos) << "message '" << message << "' lacks '" << n << "'";
}

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

cbgtc::io::AttributeList resolvedOf(SimulationConfig config) {
  return cbgtc::io::makeOptionTable(config).resolved();
}

std::vector<std::string> tableKeys() {
  SimulationConfig c;
  const auto table = cbgtc::io::makeOptionTable(c);
  std::vector<std::string> keys;
  for (const auto& e : table.entries()) keys.push_back(e.key);
  return keys;
}

}  // namespace

// ---------------------------------------------------------------- defaults

TEST(OptionsDefaults, NoArgumentsGiveTheStructDefaults) {
  const CommandLine cl = parse({});
  const SimulationConfig& c = cl.config;
  EXPECT_FALSE(cl.help);
  EXPECT_FALSE(cl.version);
  EXPECT_FALSE(cl.validate_only);
  EXPECT_EQ(cl.config_file, "");

  EXPECT_EQ(c.simulation.duration_ms, 1000.0);
  EXPECT_EQ(c.simulation.dt_ms, 0.025);
  EXPECT_EQ(c.simulation.seed, 42);
  EXPECT_EQ(c.network.n_stn, 100);
  EXPECT_EQ(c.network.n_gpe, 200);
  EXPECT_EQ(c.network.n_gpi, 150);
  EXPECT_EQ(c.stn.gNa, real_type(49));
  EXPECT_EQ(c.stn.ISTN, real_type(42));
  EXPECT_EQ(c.stn.gL, real_type(0.35));
  EXPECT_EQ(c.gpe.b, real_type(10));  // GPe preset
  EXPECT_EQ(c.gpe.a, real_type(0.5));
  EXPECT_EQ(c.gpe.I_baseline, real_type(300));
  EXPECT_EQ(c.gpe_init.V, real_type(-65));
  EXPECT_EQ(c.gpi.b, real_type(0));  // GPi preset
  EXPECT_EQ(c.gpi.I_baseline, real_type(250));
  EXPECT_EQ(c.output.file, "cbgtc_output.h5");
  EXPECT_FALSE(c.output.overwrite);
  EXPECT_EQ(c.output.v_every_steps, 40);

  // Every key, not just the ones above.
  EXPECT_EQ(resolvedOf(c), resolvedOf(SimulationConfig{}));
}

TEST(OptionsDefaults, HelpVersionValidateFlags) {
  EXPECT_TRUE(parse({"--help"}).help);
  EXPECT_TRUE(parse({"-h"}).help);
  EXPECT_TRUE(parse({"--version"}).version);
  EXPECT_TRUE(parse({"--validate"}).validate_only);
}

TEST(OptionsDefaults, KokkosArgumentsAreIgnored) {
  const CommandLine cl =
      parse({"--kokkos-threads=2", "--kokkos-num-devices=1", "--stn.ISTN=60", "--kokkos-disable-warnings"});
  EXPECT_EQ(cl.config.stn.ISTN, real_type(60));
  EXPECT_EQ(cl.config.stn.gNa, real_type(49));
}

// ---------------------------------------------------------------- precedence

TEST(OptionsPrecedence, CommandLineOverDeckOverDefaults) {
  TempDir dir;
  const std::string deck = (dir / "deck.ini").string();
  writeFile(deck,
            "# comment\n"
            "[simulation]\nduration_ms = 20\ndt_ms = 0.05\n"
            "[stn]\nISTN = 50\ngNa = 40\n"
            "[gpe]\nb = 7.5\n"
            "[output]\nfile = from_deck.h5\noverwrite = true\n");
  const CommandLine cl = parse({"--config", deck, "--stn.ISTN=60", "--output.file=cmd.h5"});
  const SimulationConfig& c = cl.config;
  EXPECT_EQ(cl.config_file, deck);
  EXPECT_EQ(c.stn.ISTN, real_type(60));    // command line wins over the deck
  EXPECT_EQ(c.output.file, "cmd.h5");      // also for strings
  EXPECT_EQ(c.stn.gNa, real_type(40));     // deck only
  EXPECT_EQ(c.gpe.b, real_type(7.5));      // deck only
  EXPECT_EQ(c.simulation.duration_ms, 20.0);
  EXPECT_EQ(c.simulation.dt_ms, 0.05);
  EXPECT_TRUE(c.output.overwrite);
  EXPECT_EQ(c.stn.gK, real_type(57));      // neither: default
  EXPECT_EQ(c.gpi.b, real_type(0));        // neither: default
  EXPECT_EQ(c.network.n_gpe, 200);         // neither: default
  EXPECT_EQ(c.stepCount(), 400);

  // The short form of --config and the order of arguments do not matter.
  const CommandLine cl2 = parse({"--stn.ISTN=60", "-c", deck});
  EXPECT_EQ(cl2.config.stn.ISTN, real_type(60));
  EXPECT_EQ(cl2.config.stn.gNa, real_type(40));
}

TEST(OptionsPrecedence, ShippedDecksParse) {
  const CommandLine cl = parse({"--config", cbgtc::test::inputDeck("single_stn.ini")});
  EXPECT_EQ(cl.config.network.n_stn, 1);
  EXPECT_EQ(cl.config.network.n_gpe, 0);
  EXPECT_EQ(cl.config.network.n_gpi, 0);
  EXPECT_EQ(cl.config.stn.ISTN, real_type(42));
  EXPECT_EQ(cl.config.stn_init.heterogeneity, real_type(0));
  for (const char* deck : {"default.ini", "single_gpe.ini", "single_gpi.ini"})
    EXPECT_NO_THROW(parse({"--config", cbgtc::test::inputDeck(deck)})) << deck;
}

TEST(OptionsPrecedence, BooleanOverwrite) {
  EXPECT_FALSE(parse({}).config.output.overwrite);
  EXPECT_TRUE(parse({"--output.overwrite"}).config.output.overwrite);
  EXPECT_TRUE(parse({"--output.overwrite=true"}).config.output.overwrite);
  EXPECT_FALSE(parse({"--output.overwrite=false"}).config.output.overwrite);
}

TEST(OptionsPrecedence, PopulationsMayBeEmpty) {
  const CommandLine cl = parse({"--network.n_stn=0", "--network.n_gpe=0", "--network.n_gpi=0"});
  EXPECT_EQ(cl.config.network.n_stn, 0);
  EXPECT_EQ(cl.config.network.n_gpe, 0);
  EXPECT_EQ(cl.config.network.n_gpi, 0);
}

// ---------------------------------------------------------------- errors

TEST(OptionsErrors, UnknownKeyOnCommandLine) {
  expectRejected({"--stn.foo=1"}, {"stn.foo"});
  expectRejected({"--nosuchsection.gNa=1"}, {"nosuchsection.gNa"});
}

TEST(OptionsErrors, UnknownKeyInDeck) {
  TempDir dir;
  const std::string deck = (dir / "bad_key.ini").string();
  writeFile(deck, "[stn]\nISTN = 50\nfoo = 1\n");
  expectRejected({"--config", deck}, {"stn.foo", "bad_key.ini"});
}

TEST(OptionsErrors, UnknownSectionInDeck) {
  TempDir dir;
  const std::string deck = (dir / "bad_section.ini").string();
  writeFile(deck, "[stn]\nISTN = 50\n[nosuch]\ngNa = 1\n");
  expectRejected({"--config", deck}, {"nosuch.gNa", "bad_section.ini"});
}

TEST(OptionsErrors, NonNumericValue) {
  expectRejected({"--stn.ISTN=abc"}, {"stn.ISTN", "abc"});
  expectRejected({"--network.n_gpe=1.5"}, {"network.n_gpe"});
  expectRejected({"--output.overwrite=maybe"}, {"output.overwrite"});
  TempDir dir;
  const std::string deck = (dir / "nan_text.ini").string();
  writeFile(deck, "[gpi]\nI_baseline = lots\n");
  expectRejected({"--config", deck}, {"gpi.I_baseline", "nan_text.ini"});
}

TEST(OptionsErrors, NonPositiveTimeStep) {
  expectRejected({"--simulation.dt_ms=0"}, {"simulation.dt_ms"});
  expectRejected({"--simulation.dt_ms=-0.1"}, {"simulation.dt_ms"});
}

TEST(OptionsErrors, LanesPerNeuronOtherThanAutoOneTwoFourOrEight) {
  for (const char* bad : {"3", "16", "-1"})
    expectRejected({std::string("--simulation.lanes_per_neuron=") + bad}, {"simulation.lanes_per_neuron", bad});
  for (const char* good : {"0", "1", "2", "4", "8"})
    EXPECT_EQ(parse({std::string("--simulation.lanes_per_neuron=") + good}).config.simulation.lanes_per_neuron,
              std::stoll(good));
}

TEST(OptionsErrors, DurationNotAMultipleOfDt) {
  expectRejected({"--simulation.duration_ms=1.01"}, {"simulation.duration_ms", "simulation.dt_ms"});
  expectRejected({"--simulation.duration_ms=1.0125"}, {"simulation.duration_ms"});
  expectRejected({"--simulation.dt_ms=0.1", "--simulation.duration_ms=0.35"}, {"simulation.duration_ms"});
  expectRejected({"--simulation.dt_ms=0.3", "--simulation.duration_ms=1"}, {"simulation.duration_ms"});
}

// A long run must not be rounded to a whole number of steps either: 2.5e6 ms
// at dt 0.025 ms is 1e8 steps, and 0.001 ms more is 0.04 of a step.
TEST(OptionsErrors, LongDurationNotAMultipleOfDt) {
  expectRejected({"--simulation.duration_ms=2500000.001"}, {"simulation.duration_ms"});
  expectRejected({"--simulation.duration_ms=25000000.0125"}, {"simulation.duration_ms"});
}

TEST(OptionsErrors, NegativeOrHugePopulationSize) {
  expectRejected({"--network.n_stn=-1"}, {"network.n_stn"});
  expectRejected({"--network.n_gpi=-3"}, {"network.n_gpi"});
  expectRejected({"--network.n_gpe=3000000000"}, {"network.n_gpe"});
}

TEST(OptionsErrors, NegativeConductance) {
  expectRejected({"--stn.gNa=-1"}, {"stn.gNa"});
  expectRejected({"--stn.gAHP=-0.5"}, {"stn.gAHP"});
  expectRejected({"--gpe.gL=-1"}, {"gpe.gL"});
  expectRejected({"--gpi.gL=-1"}, {"gpi.gL"});
}

TEST(OptionsErrors, NonPositiveCapacitanceAndTimeConstants) {
  expectRejected({"--stn.Cm=0"}, {"stn.Cm"});
  expectRejected({"--gpe.C=-200"}, {"gpe.C"});
  expectRejected({"--gpi.tau_w=0"}, {"gpi.tau_w"});
  expectRejected({"--gpe.dT=0"}, {"gpe.dT"});
}

TEST(OptionsErrors, NotFiniteValues) {
  expectRejected({"--stn.ISTN=nan"}, {"stn.ISTN"});
  expectRejected({"--stn.ISTN=inf"}, {"stn.ISTN"});
  expectRejected({"--gpe.EL=-inf"}, {"gpe.EL"});
  expectRejected({"--gpi.I_baseline=nan"}, {"gpi.I_baseline"});
  expectRejected({"--simulation.duration_ms=inf"}, {"simulation.duration_ms"});
  expectRejected({"--simulation.dt_ms=nan"}, {"simulation.dt_ms"});
}

TEST(OptionsErrors, GateInitOutsideUnitInterval) {
  expectRejected({"--stn.n_init=1.5"}, {"stn.n_init"});
  expectRejected({"--stn.h_init=-0.1"}, {"stn.h_init"});
  expectRejected({"--stn.r_init=2"}, {"stn.r_init"});
  EXPECT_NO_THROW(parse({"--stn.n_init=0", "--stn.h_init=1"}));
}

TEST(OptionsErrors, MissingDeck) {
  TempDir dir;
  const std::string deck = (dir / "nope.ini").string();
  expectRejected({"--config", deck}, {deck});
}

// ---------------------------------------------------------------- the deck itself

// Reading a directory gives no lines, which used to run the defaults.
TEST(OptionsDeck, DirectoryIsRefused) {
  TempDir dir;
  expectRejected({"--config", dir.path().string()}, {dir.path().string(), "directory"});
}

// A pipe can be read only once: the deck used to be read twice and the
// second, empty, read won (`--config <(...)`, `--config /dev/stdin`).
TEST(OptionsDeck, PipeIsReadOnce) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const std::string text = "[simulation]\nduration_ms = 20\n[stn]\nISTN = 50\n";
  ASSERT_EQ(write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fds[1]);
  const std::string path = "/dev/fd/" + std::to_string(fds[0]);
  CommandLine cl;
  EXPECT_NO_THROW(cl = parse({"--config", path}));
  close(fds[0]);
  EXPECT_EQ(cl.config.stn.ISTN, real_type(50));
  EXPECT_EQ(cl.config.simulation.duration_ms, 20.0);
}

// A named pipe nobody writes to must not hang the program, nor give the
// defaults.
TEST(OptionsDeck, NamedPipeWithoutWriterIsRefused) {
  TempDir dir;
  const std::string fifo = (dir / "deck.fifo").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  expectRejected({"--config", fifo}, {fifo, "pipe"});
}

TEST(OptionsDeck, NotARegularFileIsRefused) {
  struct stat info {};
  ASSERT_EQ(stat("/dev/null", &info), 0);
  ASSERT_TRUE(S_ISCHR(info.st_mode));
  expectRejected({"--config", "/dev/null"}, {"/dev/null", "not a regular file"});
}

// Without --config a deck used to be dropped silently, as were stray
// arguments.
TEST(OptionsDeck, PositionalArgumentsAreRefused) {
  const std::string deck = cbgtc::test::inputDeck("single_gpi.ini");
  expectRejected({deck}, {"unexpected argument", deck});
  expectRejected({"--stn.ISTN=60", ""}, {"unexpected argument ''"});
  expectRejected({"-"}, {"unexpected argument '-'"});
  expectRejected({"--config", deck, "extra"}, {"unexpected argument 'extra'"});
}

TEST(OptionsDeck, MalformedLinesNameFileAndLine) {
  TempDir dir;
  const std::string deck = (dir / "bad.ini").string();
  writeFile(deck, "# comment\n[stn]\nISTN = 50\nfoo\n");
  expectRejected({"--config", deck}, {deck + ":4:", "foo"});
  writeFile(deck, "[stn]\n\nISTN = 50\nfoo = 1\n");
  expectRejected({"--config", deck}, {deck + ":4:", "stn.foo"});
  writeFile(deck, "[gpi]\nI_baseline = lots\n");
  expectRejected({"--config", deck}, {deck + ":2:", "gpi.I_baseline", "lots"});
  writeFile(deck, "[stn]\nISTN = 50\n[gpe]\n[stn]\nISTN = 51\n");
  expectRejected({"--config", deck}, {deck + ":5:", "stn.ISTN", "line 2"});
  writeFile(deck, "[]\nISTN = 50\n");
  expectRejected({"--config", deck}, {deck + ":1:"});
  writeFile(deck, "[stn]\n = 50\n");
  expectRejected({"--config", deck}, {deck + ":2:"});
}

// ---------------------------------------------------------------- exact keys

// boost guesses a key from any unambiguous prefix unless told not to; the
// deck never did.
TEST(OptionsErrors, AbbreviatedKeysAreRefused) {
  expectRejected({"--network.n_st=5"}, {"network.n_st"});
  expectRejected({"--conf", cbgtc::test::inputDeck("single_gpi.ini")}, {"--conf"});
  expectRejected({"--valid"}, {"--valid"});
  expectRejected({"--vers"}, {"--vers"});
}

TEST(OptionsErrors, UnknownKokkosOptionsAreRefused) {
  expectRejected({"--kokkos-num-thread=2"}, {"--kokkos-num-thread"});
  expectRejected({"--kokkos-foo"}, {"--kokkos-foo"});
  expectRejected({"--kokkosthreads=2"}, {"--kokkosthreads"});
  expectRejected({"--kokkos-num-threads=two"}, {"--kokkos-num-threads"});
  expectRejected({"--kokkos-num-threads=0"}, {"--kokkos-num-threads"});
  for (const char* known :
       {"--kokkos-num-threads=2", "--kokkos-device-id=0", "--kokkos-disable-warnings",
        "--kokkos-print-configuration", "--kokkos-tune-internals", "--kokkos-tools-libs=x.so",
        "--kokkos-tools-args=a", "--kokkos-map-device-id-by=mpi_rank", "--kokkos-num-devices=1",
        "--kokkos-threads=2", "--kokkos-numa=1", "--kokkos-ndevices=1"})
    EXPECT_NO_THROW(parse({known})) << known;
  EXPECT_EQ(parse({"--kokkos-num-threads=3"}).requested_threads, 3);
  EXPECT_EQ(parse({"--kokkos-threads=2"}).requested_threads, 2);
  EXPECT_EQ(parse({}).requested_threads, 0);
  EXPECT_TRUE(parse({"--kokkos-help"}).kokkos_help);
  EXPECT_FALSE(parse({}).kokkos_help);
}

TEST(OptionsErrors, ResetNotBelowPeak) {
  expectRejected({"--gpe.V_reset=20"}, {"gpe.V_reset", "gpe.V_peak"});  // equal
  expectRejected({"--gpi.V_peak=-60"}, {"gpi.V_reset", "gpi.V_peak"});  // -55 > -60
}

TEST(OptionsErrors, ExpClipRangeEmpty) {
  expectRejected({"--gpi.exp_arg_min=10"}, {"gpi.exp_arg_min", "gpi.exp_arg_max"});  // equal
  expectRejected({"--gpe.exp_arg_max=-30"}, {"gpe.exp_arg_min", "gpe.exp_arg_max"});
}

TEST(OptionsErrors, SamplingIntervalAndOutputFile) {
  expectRejected({"--output.v_every_steps=0"}, {"output.v_every_steps"});
  expectRejected({"--output.v_every_steps=-4"}, {"output.v_every_steps"});
  expectRejected({"--output.v_neurons=-1"}, {"output.v_neurons"});
  expectRejected({"--output.file="}, {"output.file"});
}

// ---------------------------------------------------------------- dt and duration

TEST(OptionsSteps, ExactMultiplesAreAccepted) {
  struct Case {
    const char* duration;
    const char* dt;
    std::int64_t steps;
  };
  for (const Case& k : {Case{"0.5", "0.025", 20}, Case{"1000", "0.025", 40000}, Case{"0.3", "0.1", 3},
                        Case{"0.7", "0.1", 7}, Case{"0", "0.025", 0}, Case{"0.025", "0.025", 1},
                        Case{"10", "0.01", 1000}, Case{"500", "0.025", 20000}}) {
    const std::vector<std::string> args{std::string("--simulation.duration_ms=") + k.duration,
                                        std::string("--simulation.dt_ms=") + k.dt};
    CommandLine cl;
    EXPECT_NO_THROW(cl = parse(args)) << k.duration << " / " << k.dt;
    EXPECT_EQ(cl.config.stepCount(), k.steps) << k.duration << " / " << k.dt;
  }
}

// Every duration a user could type as a multiple of 0.025 ms (n * 0.025 in
// decimal) is accepted and gives n steps, whatever the rounding of the text.
TEST(OptionsSteps, DecimalMultiplesOfDtAreAccepted) {
  for (std::int64_t n = 1; n <= 2000000; n += (n < 1000 ? 1 : 997)) {
    const std::int64_t thousandths = n * 25;
    std::ostringstream text;
    text << thousandths / 1000 << '.' << (thousandths % 1000) / 100 << (thousandths % 100) / 10
         << thousandths % 10;
    SimulationConfig c;
    c.simulation.dt_ms = 0.025;
    c.simulation.duration_ms = std::stod(text.str());
    EXPECT_NO_THROW(cbgtc::io::checkConsistency(c)) << text.str();
    EXPECT_EQ(c.stepCount(), n) << text.str();
  }
}

// ---------------------------------------------------------------- times as step counts

TEST(OptionsSteps, StepsOfRoundsToNearestIn64Bits) {
  EXPECT_EQ(cbgtc::stepsOf(53687092.0, 0.025), std::int64_t(2147483680));  // past 2^31
  EXPECT_EQ(cbgtc::stepsOf(0.0125, 0.025), 1);
  EXPECT_EQ(cbgtc::stepsOf(0.0124, 0.025), 0);
  EXPECT_EQ(cbgtc::stepsOf(1.0, 0.025), 40);
  EXPECT_THROW(cbgtc::stepsOf(1.0, 1e-300), std::out_of_range);
  EXPECT_THROW(cbgtc::stepsOf(std::numeric_limits<double>::infinity(), 0.025), std::out_of_range);
}

// Each of these used to wrap around a 32-bit step count: a segfault
// (burn-in) or silently other dynamics.
TEST(OptionsSteps, TimesBeyondTheirStepCountsAreRefused) {
  expectRejected({"--gpe.t_ref_ms=53687092"}, {"gpe.t_ref_ms"});
  expectRejected({"--gpi.t_ref_ms=1e300"}, {"gpi.t_ref_ms"});
  expectRejected({"--stn.min_isi_ms=1e12"}, {"stn.min_isi_ms"});
  expectRejected({"--simulation.dt_ms=1e-300"}, {"simulation.duration_ms"});
  expectRejected({"--analysis.burn_in_ms=1e300"}, {"analysis.burn_in_ms"});
  expectRejected({"--projection.stn_gpe.delay_ms=1e300"}, {"projection.stn_gpe.delay_ms"});
  expectRejected({"--projection.stn_gpe.delay_jitter_ms=1e300"}, {"projection.stn_gpe.delay"});
  // 64-bit counts hold these.
  EXPECT_NO_THROW(parse({"--analysis.burn_in_ms=53687092"}));
  EXPECT_NO_THROW(parse({"--gpe.t_ref_ms=50000000"}));
  EXPECT_NO_THROW(parse({"--stn.min_isi_ms=53687092"}));
}

// A time step too long for the run used to be blamed on analysis.lfp_sample_ms.
TEST(OptionsErrors, TimeStepLongerThanTheRunNamesTheTimeStep) {
  EXPECT_EQ(parseError({"--simulation.dt_ms=1e300"}).rfind("simulation.dt_ms", 0), 0u);
  EXPECT_EQ(parseError({"--simulation.dt_ms=2", "--simulation.duration_ms=0"}).rfind("simulation.dt_ms", 0),
            0u);
}

TEST(OptionsErrors, BandsAboveTheNyquistFrequency) {
  expectRejected({"--analysis.total_hi_hz=501"}, {"analysis.total_hi_hz", "Nyquist"});
  expectRejected({"--analysis.lfp_sample_ms=10", "--analysis.total_hi_hz=60", "--analysis.beta_hi_hz=51"},
                 {"analysis.beta_hi_hz", "Nyquist"});
  EXPECT_NO_THROW(parse({"--analysis.total_hi_hz=500"}));
  EXPECT_NO_THROW(parse({"--analysis.lfp_sample_ms=10", "--analysis.total_hi_hz=50"}));
}

// ---------------------------------------------------------------- resolved()

TEST(OptionsResolved, EveryKeyOnce) {
  const auto keys = tableKeys();
  const auto resolved = resolvedOf(parse({}).config);
  ASSERT_EQ(resolved.size(), keys.size());
  std::set<std::string> seen;
  for (std::size_t i = 0; i < resolved.size(); ++i) {
    EXPECT_TRUE(seen.insert(resolved[i].first).second) << "duplicate key " << resolved[i].first;
    EXPECT_EQ(resolved[i].first, keys[i]);
    const auto dot = resolved[i].first.find('.');
    EXPECT_NE(dot, std::string::npos) << resolved[i].first;
    // Sections are one word, or "noise.<pop>" / "projection.<name>".
    const auto dots = std::count(resolved[i].first.begin(), resolved[i].first.end(), '.');
    const bool nested = resolved[i].first.rfind("noise.", 0) == 0 || resolved[i].first.rfind("projection.", 0) == 0;
    EXPECT_EQ(dots, nested ? 2 : 1) << resolved[i].first;
  }
  for (const char* k : {"simulation.duration_ms", "simulation.dt_ms", "simulation.seed", "network.n_stn",
                        "network.n_gpe", "network.n_gpi", "stn.gNa", "stn.ISTN", "stn.n_init",
                        "gpe.I_baseline", "gpe.b", "gpi.b", "gpi.exp_arg_max", "output.file",
                        "output.overwrite", "output.v_every_steps", "output.v_neurons"})
    EXPECT_EQ(seen.count(k), 1u) << k;
}

TEST(OptionsResolved, ReflectsParsedValues) {
  const auto resolved = resolvedOf(parse({"--stn.ISTN=60", "--output.overwrite"}).config);
  auto value = [&resolved](const std::string& key) {
    for (const auto& [k, v] : resolved)
      if (k == key) return v;
    return std::string("<missing>");
  };
  EXPECT_EQ(value("stn.ISTN"), "60");
  EXPECT_EQ(value("output.overwrite"), "true");
  EXPECT_EQ(value("simulation.dt_ms"), "0.025");
  EXPECT_EQ(value("network.n_gpe"), "200");
}

TEST(OptionsResolved, RoundTripThroughCommandLine) {
  const CommandLine first = parse({"--stn.gL=0.1", "--stn.alpha_Ca=1e-7", "--gpe.V_init=-65.123456789012",
                                   "--gpi.a=0.3333333333333333", "--simulation.seed=123456789012",
                                   "--simulation.dt_ms=0.01", "--simulation.duration_ms=0.3",
                                   "--network.n_gpi=7", "--output.file=dir with space/out.h5",
                                   "--output.overwrite=true", "--output.v_neurons=3"});
  const auto resolved = resolvedOf(first.config);

  std::vector<std::string> args;
  for (const auto& [key, value] : resolved) args.push_back("--" + key + "=" + value);
  const CommandLine second = parse(args);
  const SimulationConfig& a = first.config;
  const SimulationConfig& b = second.config;

  EXPECT_EQ(resolvedOf(b), resolved);
  EXPECT_EQ(b.stn.gL, a.stn.gL);
  EXPECT_EQ(b.stn.gL, real_type(0.1));
  EXPECT_EQ(b.stn.alpha_Ca, a.stn.alpha_Ca);
  EXPECT_EQ(b.stn.alpha_Ca, real_type(1e-7));
  EXPECT_EQ(b.gpe_init.V, a.gpe_init.V);
  EXPECT_EQ(b.gpi.a, a.gpi.a);
  EXPECT_EQ(b.simulation.dt_ms, 0.01);
  EXPECT_EQ(b.simulation.duration_ms, 0.3);
  EXPECT_EQ(b.simulation.seed, 123456789012);
  EXPECT_EQ(b.network.n_gpi, 7);
  EXPECT_EQ(b.output.file, "dir with space/out.h5");
  EXPECT_TRUE(b.output.overwrite);
  EXPECT_EQ(b.output.v_neurons, 3);
  EXPECT_EQ(b.stn.gNa, a.stn.gNa);
  EXPECT_EQ(b.gpe.b, a.gpe.b);
}

TEST(OptionsResolved, FormatNumberReadsBack) {
  for (double v : {0.1, 1e-7, 0.025, 1.0 / 3.0, -65.123456789012, 1e300, 0.0, 42.0})
    EXPECT_EQ(std::stod(cbgtc::io::formatNumber(v)), v) << cbgtc::io::formatNumber(v);
  for (float v : {0.1f, 1e-7f, 0.025f, 1.0f / 3.0f, -65.12345f, 3e38f})
    EXPECT_EQ(std::stof(cbgtc::io::formatNumber(v)), v) << cbgtc::io::formatNumber(v);
  EXPECT_EQ(cbgtc::io::formatNumber(0.1), "0.1");
  EXPECT_EQ(cbgtc::io::formatNumber(1e-7), "1e-07");
}

// ---------------------------------------------------------------- --help

TEST(OptionsHelp, MentionsEveryKeyWithItsUnit) {
  const std::string help = cbgtc::io::helpText();
  EXPECT_NE(help.find("Usage"), std::string::npos);
  EXPECT_NE(help.find("--config"), std::string::npos);
  EXPECT_NE(help.find("--validate"), std::string::npos);
  SimulationConfig c;
  const auto table = cbgtc::io::makeOptionTable(c);
  for (const auto& e : table.entries()) {
    const std::string flag = "--" + e.key + " ";
    const auto at = help.find(flag);
    ASSERT_NE(at, std::string::npos) << e.key;
    if (e.unit.empty()) continue;
    // The entry's text runs up to the next option; boost may wrap it, so
    // compare with whitespace collapsed.
    auto end = help.find("\n  -", at);
    std::string block = help.substr(at, end == std::string::npos ? std::string::npos : end - at);
    std::string collapsed;
    for (char ch : block) {
      const bool space = ch == ' ' || ch == '\n' || ch == '\t';
      if (space && !collapsed.empty() && collapsed.back() == ' ') continue;
      collapsed += space ? ' ' : ch;
    }
    EXPECT_NE(collapsed.find("[" + e.unit + "]"), std::string::npos) << e.key << ": " << block;
  }
}

TEST(OptionsHelp, ShowsDefaults) {
  const std::string help = cbgtc::io::helpText();
  EXPECT_NE(help.find("--stn.gNa arg (=49)"), std::string::npos);
  EXPECT_NE(help.find("--simulation.dt_ms arg (=0.025)"), std::string::npos);
  EXPECT_NE(help.find("--gpe.b arg (=10)"), std::string::npos);
  EXPECT_NE(help.find("--gpi.b arg (=0)"), std::string::npos);
}
