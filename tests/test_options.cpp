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
#include <utility>
#include <variant>
#include <vector>

#include "io/options.hpp"
#include "io/output_writer.hpp"
#include "kernels/time_steps.hpp"
#include "kernels/types.hpp"
#include "src/config.hpp"
#include "tests/cli_helpers.hpp"

using cbgtc::PopulationSettings;
using cbgtc::real_type;
using cbgtc::SimulationConfig;
using cbgtc::models::AdEx;
using cbgtc::models::StnHH;
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

/// The population called `name` (a test failure and an exception when
/// there is none).
const PopulationSettings& pop(const SimulationConfig& c, const std::string& name) {
  const PopulationSettings* p = c.population(name);
  if (!p) {
    ADD_FAILURE() << "no population " << name;
    throw std::runtime_error("no population " + name);
  }
  return *p;
}

/// The settings (parameters and initial state) of an stn_hh or adex population.
const StnHH::Settings& stn(const SimulationConfig& c, const std::string& name = "STN") {
  return std::get<StnHH::Settings>(pop(c, name).params);
}
const AdEx::Settings& adex(const SimulationConfig& c, const std::string& name) {
  return std::get<AdEx::Settings>(pop(c, name).params);
}

std::vector<std::string> populationNames(const SimulationConfig& c) {
  std::vector<std::string> names;
  for (const auto& p : c.populations) names.push_back(p.name);
  return names;
}

std::vector<std::string> projectionNames(const SimulationConfig& c) {
  std::vector<std::string> names;
  for (const auto& p : c.projections) names.push_back(p.name);
  return names;
}

/// resolved() entries whose key starts with `prefix`.
cbgtc::io::AttributeList resolvedWithPrefix(const SimulationConfig& c, const std::string& prefix) {
  cbgtc::io::AttributeList out;
  for (const auto& kv : resolvedOf(c))
    if (kv.first.rfind(prefix, 0) == 0) out.push_back(kv);
  return out;
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
  // The built-in circuit: STN, GPe, GPi (in this order) and four projections.
  EXPECT_EQ(populationNames(c), (std::vector<std::string>{"STN", "GPe", "GPi"}));
  EXPECT_EQ(projectionNames(c), (std::vector<std::string>{"stn_gpe", "gpe_stn", "stn_gpi", "gpe_gpi"}));
  EXPECT_EQ(pop(c, "STN").model, "stn_hh");
  EXPECT_EQ(pop(c, "GPe").model, "adex");
  EXPECT_EQ(pop(c, "GPi").model, "adex");
  EXPECT_EQ(pop(c, "STN").n, 100);
  EXPECT_EQ(pop(c, "GPe").n, 200);
  EXPECT_EQ(pop(c, "GPi").n, 150);
  EXPECT_EQ(pop(c, "STN").noise.mu, 1.8);
  EXPECT_EQ(pop(c, "STN").noise.sigma, 1.0);
  EXPECT_EQ(pop(c, "GPe").noise.mu, 0.0);
  EXPECT_EQ(pop(c, "GPi").noise.sigma, 1.0);
  EXPECT_EQ(stn(c).params.gNa, real_type(49));
  EXPECT_EQ(stn(c).params.ISTN, real_type(42));
  EXPECT_EQ(stn(c).params.gL, real_type(0.35));
  EXPECT_EQ(adex(c, "GPe").params.b, real_type(10));  // GPe preset
  EXPECT_EQ(adex(c, "GPe").params.a, real_type(0.5));
  EXPECT_EQ(adex(c, "GPe").params.I_baseline, real_type(300));
  EXPECT_EQ(adex(c, "GPe").init.V, real_type(-65));
  EXPECT_EQ(adex(c, "GPi").params.b, real_type(0));  // GPi preset
  EXPECT_EQ(adex(c, "GPi").params.I_baseline, real_type(250));
  EXPECT_EQ(c.execution.delivery, "auto");
  EXPECT_TRUE(c.execution.epoch_batching);
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
      parse({"--kokkos-threads=2", "--kokkos-num-devices=1", "--population.STN.ISTN=60", "--kokkos-disable-warnings"});
  EXPECT_EQ(stn(cl.config).params.ISTN, real_type(60));
  EXPECT_EQ(stn(cl.config).params.gNa, real_type(49));
}

// ---------------------------------------------------------------- precedence

TEST(OptionsPrecedence, CommandLineOverDeckOverDefaults) {
  TempDir dir;
  const std::string deck = (dir / "deck.ini").string();
  writeFile(deck,
            "# comment\n"
            "[simulation]\nduration_ms = 20\ndt_ms = 0.05\n"
            "[population.STN]\nISTN = 50\ngNa = 40\n"
            "[population.GPe]\nb = 7.5\n"
            "[population.GPi]\nnoise_mu = 3\n"
            "[projection.stn_gpe]\np = 0.2\n"
            "[execution]\ndelivery = pull\n"
            "[output]\nfile = from_deck.h5\noverwrite = true\n");
  const CommandLine cl = parse({"--config", deck, "--population.STN.ISTN=60", "--output.file=cmd.h5",
                                "--execution.delivery=team", "--projection.stn_gpe.g_total=4"});
  const SimulationConfig& c = cl.config;
  EXPECT_EQ(cl.config_file, deck);
  EXPECT_EQ(stn(c).params.ISTN, real_type(60));      // command line wins over the deck
  EXPECT_EQ(c.output.file, "cmd.h5");                // also for strings
  EXPECT_EQ(c.execution.delivery, "team");
  EXPECT_EQ(stn(c).params.gNa, real_type(40));       // deck only
  EXPECT_EQ(adex(c, "GPe").params.b, real_type(7.5));  // deck only
  EXPECT_EQ(pop(c, "GPi").noise.mu, 3.0);            // deck only
  EXPECT_EQ(c.simulation.duration_ms, 20.0);
  EXPECT_EQ(c.simulation.dt_ms, 0.05);
  EXPECT_TRUE(c.output.overwrite);
  EXPECT_EQ(stn(c).params.gK, real_type(57));        // neither: default
  EXPECT_EQ(adex(c, "GPe").params.a, real_type(0.5));  // neither: the built-in GPe's
  EXPECT_EQ(adex(c, "GPi").params.b, real_type(0));  // neither: the built-in GPi's
  EXPECT_EQ(pop(c, "GPe").n, 200);                   // neither: default
  EXPECT_EQ(pop(c, "GPe").model, "adex");
  EXPECT_EQ(pop(c, "STN").noise.sigma, 1.0);
  EXPECT_EQ(c.stepCount(), 400);
  // The deck's own projection (built-in keys it does not set, command line
  // over deck); the built-in projections it does not name are gone.
  ASSERT_EQ(projectionNames(c), std::vector<std::string>{"stn_gpe"});
  EXPECT_EQ(c.projections[0].source, "STN");
  EXPECT_EQ(c.projections[0].target, "GPe");
  EXPECT_EQ(c.projections[0].p, 0.2);
  EXPECT_EQ(c.projections[0].g_total, 4.0);
  EXPECT_EQ(c.projections[0].delay_ms, 5.0);

  // The short form of --config and the order of arguments do not matter.
  const CommandLine cl2 = parse({"--population.STN.ISTN=60", "-c", deck});
  EXPECT_EQ(stn(cl2.config).params.ISTN, real_type(60));
  EXPECT_EQ(stn(cl2.config).params.gNa, real_type(40));
  EXPECT_EQ(cl2.config.execution.delivery, "pull");
}

TEST(OptionsPrecedence, ShippedDecksParse) {
  // The single-neuron decks hold only their one population, no projection.
  const CommandLine cl = parse({"--config", cbgtc::test::inputDeck("single_stn.ini")});
  EXPECT_EQ(populationNames(cl.config), std::vector<std::string>{"STN"});
  EXPECT_TRUE(cl.config.projections.empty());
  EXPECT_EQ(pop(cl.config, "STN").n, 1);
  EXPECT_EQ(stn(cl.config).params.ISTN, real_type(42));
  EXPECT_EQ(stn(cl.config).init.heterogeneity, real_type(0));
  EXPECT_EQ(pop(cl.config, "STN").noise.mu, 0.0);
  EXPECT_EQ(pop(cl.config, "STN").noise.sigma, 0.0);
  for (const auto& [name, deck] : {std::pair<std::string, std::string>{"GPe", "single_gpe.ini"}, {"GPi", "single_gpi.ini"}}) {
    const CommandLine single = parse({"--config", cbgtc::test::inputDeck(deck)});
    EXPECT_EQ(populationNames(single.config), std::vector<std::string>{name});
    EXPECT_TRUE(single.config.projections.empty()) << name;
    EXPECT_EQ(pop(single.config, name).n, 1) << name;
    EXPECT_EQ(adex(single.config, name).init.V_sd, real_type(0)) << name;
    EXPECT_EQ(pop(single.config, name).noise.sigma, 0.0) << name;
  }
  EXPECT_EQ(adex(parse({"--config", cbgtc::test::inputDeck("single_gpe.ini")}).config, "GPe").params.b,
            real_type(10));
  EXPECT_EQ(adex(parse({"--config", cbgtc::test::inputDeck("single_gpi.ini")}).config, "GPi").params.b,
            real_type(0));

  // The default deck spells out the built-in circuit.
  const CommandLine def = parse({"--config", cbgtc::test::inputDeck("default.ini")});
  EXPECT_EQ(populationNames(def.config), populationNames(SimulationConfig{}));
  EXPECT_EQ(projectionNames(def.config), projectionNames(SimulationConfig{}));
  EXPECT_EQ(resolvedWithPrefix(def.config, "population."), resolvedWithPrefix(SimulationConfig{}, "population."));
  EXPECT_EQ(resolvedWithPrefix(def.config, "projection."), resolvedWithPrefix(SimulationConfig{}, "projection."));
}

TEST(OptionsPrecedence, BooleanOverwrite) {
  EXPECT_FALSE(parse({}).config.output.overwrite);
  EXPECT_TRUE(parse({"--output.overwrite"}).config.output.overwrite);
  EXPECT_TRUE(parse({"--output.overwrite=true"}).config.output.overwrite);
  EXPECT_FALSE(parse({"--output.overwrite=false"}).config.output.overwrite);
}

TEST(OptionsPrecedence, PopulationsMayBeEmpty) {
  const CommandLine cl = parse({"--population.STN.n=0", "--population.GPe.n=0", "--population.GPi.n=0"});
  EXPECT_EQ(pop(cl.config, "STN").n, 0);
  EXPECT_EQ(pop(cl.config, "GPe").n, 0);
  EXPECT_EQ(pop(cl.config, "GPi").n, 0);
  EXPECT_EQ(cl.config.projections.size(), 4u);
}

// ---------------------------------------------------------------- errors

TEST(OptionsErrors, UnknownKeyOnCommandLine) {
  expectRejected({"--population.STN.foo=1"}, {"population.STN.foo"});
  expectRejected({"--population.GPe.ISTN=1"}, {"population.GPe.ISTN"});  // an stn_hh key on an adex population
  expectRejected({"--projection.stn_gpe.foo=1"}, {"projection.stn_gpe.foo"});
  expectRejected({"--nosuchsection.gNa=1"}, {"nosuchsection.gNa"});
}

TEST(OptionsErrors, UnknownKeyInDeck) {
  TempDir dir;
  const std::string deck = (dir / "bad_key.ini").string();
  writeFile(deck, "[population.STN]\nISTN = 50\nfoo = 1\n");
  expectRejected({"--config", deck}, {"population.STN.foo", "bad_key.ini"});
}

TEST(OptionsErrors, UnknownSectionInDeck) {
  TempDir dir;
  const std::string deck = (dir / "bad_section.ini").string();
  writeFile(deck, "[population.STN]\nISTN = 50\n[nosuch]\ngNa = 1\n");
  expectRejected({"--config", deck}, {"nosuch.gNa", "bad_section.ini"});
}

// A misspelt section name declares a new, incomplete section: the error
// names the existing section it is closest to.
TEST(OptionsErrors, MisspeltSectionNamesTheClosest) {
  expectRejected({"--population.STn.n=10"}, {"population.STn.model", "did you mean [population.STN]"});
  expectRejected({"--projection.stn_gep.g_total=3"},
                 {"[projection.stn_gep] has no source", "[projection.stn_gpe]"});
  const std::string dbs = cbgtc::test::inputDeck("parkinsonian_dbs.ini");
  expectRejected({"--config", dbs, "--stimulus.dsb.amplitude=3"},
                 {"[stimulus.dsb] has no population", "[stimulus.dbs]"});
  expectRejected({"--record.vv.count=1", "--record.v.population=STN"},
                 {"[record.vv] has no population", "[record.v]"});
  // Nothing close: the section's own error, without a guess.
  EXPECT_EQ(parseError({"--population.XYZ.n=10"}).find("did you mean"), std::string::npos);
  EXPECT_EQ(parseError({"--stimulus.pulse.amplitude=1"}).find("did you mean"), std::string::npos);
  // A complete new section near an existing name is a section of its own.
  const auto cl = parse({"--population.GPx.model=poisson", "--population.GPx.n=5"});
  EXPECT_EQ(pop(cl.config, "GPx").n, 5);
}

// A stimulus kind that is none of the kernel's names is refused naming the
// key, the value and every kind (kernels/stimulus.hpp's list).
TEST(OptionsErrors, AnUnknownStimulusKindNamesEveryKind) {
  const std::string dbs = cbgtc::test::inputDeck("parkinsonian_dbs.ini");
  expectRejected({"--config", dbs, "--stimulus.dbs.kind=square"},
                 {"stimulus.dbs.kind must be dc, sine, pulse_train or axonal, got 'square'"});
}

// Keys of the earlier deck format are refused with the key that replaces them.
TEST(OptionsErrors, MovedKeysNameTheirNewKey) {
  expectRejected({"--stn.gNa=49"}, {"stn.gNa", "population.STN.gNa"});
  expectRejected({"--gpe.C=200"}, {"gpe.C", "population.GPe.C_m"});
  expectRejected({"--gpi.I_baseline=250"}, {"gpi.I_baseline", "population.GPi.I_e"});
  // AdEx keys took NEST's aeif_cond_exp names; the old ones name the new.
  for (const auto& [old_name, new_name] : std::vector<std::pair<std::string, std::string>>{
           {"C", "C_m"}, {"gL", "g_L"}, {"EL", "E_L"}, {"VT", "V_th"}, {"dT", "Delta_T"}, {"tau_w", "tau_w_ms"},
           {"I_baseline", "I_e"}})
    expectRejected({"--population.GPe." + old_name + "=1"}, {"aeif_cond_exp", "population.GPe." + new_name});
  expectRejected({"--network.n_stn=3"}, {"network.n_stn", "population.STN.n"});
  expectRejected({"--noise.stn.mu=1"}, {"noise.stn.mu", "noise_mu"});
  expectRejected({"--noise.gpe.sigma=1"}, {"noise.gpe.sigma", "noise_sigma"});
  for (const char* k : {"delivery=pull", "pull_fraction=0.5", "lanes_per_neuron=2", "epoch_batching=false"}) {
    const std::string key = std::string(k).substr(0, std::string(k).find('='));
    expectRejected({std::string("--simulation.") + k}, {"simulation." + key, "execution." + key});
    // Also with the value as the next argument.
    expectRejected({"--simulation." + key, std::string(k).substr(key.size() + 1)},
                   {"simulation." + key, "execution." + key});
  }
  // A value with a dot in it does not hide the key.
  expectRejected({"--stn.gL=0.35"}, {"stn.gL", "population.STN.gL"});
  expectRejected({"--gpe.a", "0.5"}, {"gpe.a", "population.GPe.a"});
  // The hint names the key, not the key and the value.
  EXPECT_EQ(parseError({"--stn.gNa=49"}).find("population.STN.gNa="), std::string::npos);

  TempDir dir;
  const std::string deck = (dir / "old_deck.ini").string();
  writeFile(deck, "[simulation]\nduration_ms = 10\n[stn]\nISTN = 50\n");
  expectRejected({"--config", deck}, {"stn.ISTN", "population.STN.ISTN", "old_deck.ini"});
  writeFile(deck, "[network]\nn_gpe = 5\n");
  expectRejected({"--config", deck}, {"network.n_gpe", "population.", "old_deck.ini"});
  writeFile(deck, "[simulation]\ndelivery = team\n");
  expectRejected({"--config", deck}, {"simulation.delivery", "execution.delivery", "old_deck.ini"});
  writeFile(deck, "[noise.gpi]\ntau_ms = 4\n");
  expectRejected({"--config", deck}, {"noise.gpi.tau_ms", "noise_tau_ms", "old_deck.ini"});
}

// A typo gets the closest key; a key far from every key gets none.
TEST(OptionsErrors, UnknownKeyNamesTheClosestKey) {
  expectRejected({"--population.STN.gna=49"}, {"population.STN.gna", "did you mean 'population.STN.gNa'?"});
  expectRejected({"--simulation.dt=0.01"}, {"did you mean 'simulation.dt_ms'?"});
  expectRejected({"--simulation.duraton_ms=5"}, {"did you mean 'simulation.duration_ms'?"});
  expectRejected({"--population.GPe.tua_w_ms=5"}, {"did you mean 'population.GPe.tau_w_ms'?"});  // swapped letters
  EXPECT_EQ(parseError({"--simulation.colour=red"}).find("did you mean"), std::string::npos);
  EXPECT_EQ(parseError({"--population.STN.temperature=1"}).find("did you mean"), std::string::npos);
  TempDir dir;
  const std::string deck = (dir / "typo.ini").string();
  writeFile(deck, "[simulation]\nduration_ms = 10\nsed = 3\n");
  expectRejected({"--config", deck}, {"typo.ini:3", "simulation.sed", "did you mean 'simulation.seed'?"});
}

// A deck's unknown model names its line, like every other deck error.
TEST(OptionsErrors, AnUnknownModelInADeckNamesItsLine) {
  TempDir dir;
  const std::string deck = (dir / "models.ini").string();
  writeFile(deck, "[population.Z]\nn = 3\nmodel = izhikevic\n");
  expectRejected({"--config", deck}, {"models.ini:3: population.Z.model: unknown model 'izhikevic'"});
  // On the command line it has no line.
  EXPECT_EQ(
      parseError({"--population.Q.model=foo", "--population.Q.n=1"}).rfind("population.Q.model: unknown", 0),
      0u);
}

// A misspelt section kind gets the same section spelt right, and a key a
// population's model lacks is named as such: suggesting another
// population's key would mislead.
TEST(OptionsErrors, UnknownKeysOfANamedSectionStayInIt) {
  TempDir dir;
  const std::string deck = (dir / "net.ini").string();
  writeFile(deck, "[population.Z]\nmodel = lif\nn = 3\n[populaton.Y]\nmodel = lif\n");
  expectRejected({"--config", deck}, {"net.ini:5", "did you mean 'population.Y.model'?"});
  expectRejected({"--projecton.stn_gpe.g_total=1"}, {"did you mean 'projection.stn_gpe.g_total'?"});
  const std::string source =
      parseError({"--population.X.model=poisson", "--population.X.n=3", "--population.X.I_e=5"});
  EXPECT_NE(source.find("[population.X] has no key 'I_e'"), std::string::npos) << source;
  EXPECT_EQ(source.find("did you mean"), std::string::npos) << source;
}

// A named section without keys defines nothing: an error naming it and its
// line, also at the end of a deck; an unnamed one ([analysis] with every key
// commented out) sets nothing and is fine.
TEST(OptionsErrors, NamedSectionWithoutKeysIsRejected) {
  TempDir dir;
  const std::string deck = (dir / "empty.ini").string();
  writeFile(deck, "[simulation]\nduration_ms = 10\n[population.NEW]\n# n = 3\n\n[simulation.more]\n");
  expectRejected({"--config", deck}, {"empty.ini:3", "[population.NEW] has no keys"});
  writeFile(deck, "[simulation]\nduration_ms = 10\n[stimulus.dbs]\n");
  expectRejected({"--config", deck}, {"empty.ini:3", "[stimulus.dbs] has no keys"});
  writeFile(deck, "[analysis]\n# burn_in_ms = 100\n[simulation]\nduration_ms = 10\n");
  EXPECT_NO_THROW(parse({"--config", deck}));
}

// Values that cannot mean anything: a reversal potential beyond the ±10 V at
// which a membrane counts as diverged, and pulse-histogram bins that are no
// whole number of steps (bins of 2 and 3 steps in turn read as a rhythm).
TEST(OptionsErrors, AbsurdReversalPotentialAndUnevenPulseBinsAreRefused) {
  expectRejected({"--projection.stn_gpe.E_rev_mV=1e30"}, {"projection.stn_gpe.E_rev_mV", "10 V"});
  const std::string dbs = cbgtc::test::inputDeck("dbs_demo.ini");
  expectRejected({"--config", dbs, "--analysis.pulse_bin_ms=0.01"}, {"analysis.pulse_bin_ms", "multiple"});
  expectRejected({"--config", dbs, "--simulation.dt_ms=0.2"}, {"analysis.pulse_bin_ms (0.5)", "(0.2)"});
  EXPECT_NO_THROW(parse({"--config", dbs, "--analysis.pulse_bin_ms=0.25"}));
  // Without a pulse histogram the bin means nothing and is not checked.
  EXPECT_NO_THROW(parse({"--simulation.dt_ms=0.2"}));
}

// One deck per run: a second --config is refused as such, also when a key
// given after it names a section only the first deck declares (that used
// to report the section's missing model instead).
// A population's size is refused where its 32-bit neuron indices would
// leave the steps' arithmetic no room.
TEST(OptionsErrors, APopulationBeyond2To30NeuronsIsRefused) {
  expectRejected({"--population.STN.n=1073741825"}, {"population.STN.n must be <= 1073741824"});
  EXPECT_NO_THROW(parse({"--population.STN.n=1073741824", "--analysis.burn_in_ms=0"}));
}

TEST(OptionsErrors, SecondDeckIsRefused) {
  TempDir dir;
  const std::string a = (dir / "a.ini").string(), b = (dir / "b.ini").string();
  writeFile(a, "[population.SRC]\nmodel = poisson\nn = 3\n");
  writeFile(b, "[simulation]\nduration_ms = 10\n");
  expectRejected({"--config", a, "--config", b}, {"--config", "more than once"});
  expectRejected({"--config", a, "--config", b, "--population.SRC.rate_hz=5"},
                 {"--config", "more than once"});
}

// An empty path (an unset shell variable) would run the built-in network, or
// start over instead of continuing a checkpoint.
// A key with a dot too many names no key (nor the model a new population
// would need).
TEST(OptionsErrors, APopulationKeyWithADotTooManyIsUnknown) {
  expectRejected({"--population.a.b.model=lif"}, {"unknown key 'population.a.b.model'"});
}

TEST(OptionsErrors, AnEmptyDeckOrCheckpointPathIsRefused) {
  expectRejected({"--config", ""}, {"--config is given an empty path"});
  expectRejected({"--restart", ""}, {"--restart is given an empty path"});
}

TEST(OptionsErrors, NonNumericValue) {
  expectRejected({"--population.STN.ISTN=abc"}, {"population.STN.ISTN", "abc"});
  expectRejected({"--population.GPe.n=1.5"}, {"population.GPe.n"});
  expectRejected({"--population.STN.noise_mu=x"}, {"population.STN.noise_mu"});
  expectRejected({"--output.overwrite=maybe"}, {"output.overwrite"});
  expectRejected({"--execution.epoch_batching=maybe"}, {"execution.epoch_batching"});
  TempDir dir;
  const std::string deck = (dir / "nan_text.ini").string();
  writeFile(deck, "[population.GPi]\nI_e = lots\n");
  expectRejected({"--config", deck}, {"population.GPi.I_e", "nan_text.ini"});
}

TEST(OptionsErrors, NonPositiveTimeStep) {
  expectRejected({"--simulation.dt_ms=0"}, {"simulation.dt_ms"});
  expectRejected({"--simulation.dt_ms=-0.1"}, {"simulation.dt_ms"});
}

TEST(OptionsErrors, LanesPerNeuronOtherThanAutoOneTwoFourOrEight) {
  for (const char* bad : {"3", "16", "-1"})
    expectRejected({std::string("--execution.lanes_per_neuron=") + bad}, {"execution.lanes_per_neuron", bad});
  for (const char* good : {"0", "1", "2", "4", "8"})
    EXPECT_EQ(parse({std::string("--execution.lanes_per_neuron=") + good}).config.execution.lanes_per_neuron,
              std::stoll(good));
}

TEST(OptionsErrors, DeliveryAndPullFraction) {
  expectRejected({"--execution.delivery=push"}, {"execution.delivery", "push"});
  expectRejected({"--execution.pull_fraction=1.5"}, {"execution.pull_fraction"});
  for (const char* good : {"auto", "thread", "team", "pull"})
    EXPECT_EQ(parse({std::string("--execution.delivery=") + good}).config.execution.delivery, good);
  EXPECT_EQ(parse({"--execution.pull_fraction=0.25"}).config.execution.pull_fraction, 0.25);
  EXPECT_FALSE(parse({"--execution.epoch_batching=false"}).config.execution.epoch_batching);
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
  expectRejected({"--population.STN.n=-1"}, {"population.STN.n"});
  expectRejected({"--population.GPi.n=-3"}, {"population.GPi.n"});
  expectRejected({"--population.GPe.n=3000000000"}, {"population.GPe.n"});
}

TEST(OptionsErrors, NegativeConductance) {
  expectRejected({"--population.STN.gNa=-1"}, {"population.STN.gNa"});
  expectRejected({"--population.STN.gAHP=-0.5"}, {"population.STN.gAHP"});
  expectRejected({"--population.GPe.g_L=-1"}, {"population.GPe.g_L"});
  expectRejected({"--population.GPi.g_L=-1"}, {"population.GPi.g_L"});
}

TEST(OptionsErrors, NonPositiveCapacitanceAndTimeConstants) {
  expectRejected({"--population.STN.Cm=0"}, {"population.STN.Cm"});
  expectRejected({"--population.GPe.C_m=-200"}, {"population.GPe.C_m"});
  expectRejected({"--population.GPi.tau_w_ms=0"}, {"population.GPi.tau_w_ms"});
  expectRejected({"--population.GPe.Delta_T=0"}, {"population.GPe.Delta_T"});
  expectRejected({"--population.STN.noise_tau_ms=0"}, {"population.STN.noise_tau_ms"});
}

TEST(OptionsErrors, NegativeNoiseSigma) {
  expectRejected({"--population.GPe.noise_sigma=-1"}, {"population.GPe.noise_sigma"});
  EXPECT_EQ(pop(parse({"--population.GPe.noise_mu=-5"}).config, "GPe").noise.mu, -5.0);  // a mean may be negative
}

TEST(OptionsErrors, NotFiniteValues) {
  expectRejected({"--population.STN.ISTN=nan"}, {"population.STN.ISTN"});
  expectRejected({"--population.STN.ISTN=inf"}, {"population.STN.ISTN"});
  expectRejected({"--population.GPe.E_L=-inf"}, {"population.GPe.E_L"});
  expectRejected({"--population.GPi.I_e=nan"}, {"population.GPi.I_e"});
  expectRejected({"--population.STN.noise_mu=nan"}, {"population.STN.noise_mu"});
  expectRejected({"--simulation.duration_ms=inf"}, {"simulation.duration_ms"});
  expectRejected({"--simulation.dt_ms=nan"}, {"simulation.dt_ms"});
}

TEST(OptionsErrors, GateInitOutsideUnitInterval) {
  expectRejected({"--population.STN.n_init=1.5"}, {"population.STN.n_init"});
  expectRejected({"--population.STN.h_init=-0.1"}, {"population.STN.h_init"});
  expectRejected({"--population.STN.r_init=2"}, {"population.STN.r_init"});
  EXPECT_NO_THROW(parse({"--population.STN.n_init=0", "--population.STN.h_init=1"}));
}

TEST(OptionsErrors, MissingDeck) {
  TempDir dir;
  const std::string deck = (dir / "nope.ini").string();
  expectRejected({"--config", deck}, {deck});
}

// ---------------------------------------------------------------- the deck itself

// Reading a directory gives no lines, which would run the defaults.
TEST(OptionsDeck, DirectoryIsRefused) {
  TempDir dir;
  expectRejected({"--config", dir.path().string()}, {dir.path().string(), "directory"});
}

// A pipe can be read only once: a deck read twice would take the second,
// empty, read (`--config <(...)`, `--config /dev/stdin`).
TEST(OptionsDeck, PipeIsReadOnce) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const std::string text = "[simulation]\nduration_ms = 20\n[population.STN]\nISTN = 50\n";
  ASSERT_EQ(write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fds[1]);
  const std::string path = "/dev/fd/" + std::to_string(fds[0]);
  CommandLine cl;
  EXPECT_NO_THROW(cl = parse({"--config", path}));
  close(fds[0]);
  EXPECT_EQ(std::get<cbgtc::models::StnHH::Settings>(cl.config.population("STN")->params).params.ISTN,
            real_type(50));
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

// A deck without --config, or any stray argument, is refused (it would be
// dropped silently).
TEST(OptionsDeck, PositionalArgumentsAreRefused) {
  const std::string deck = cbgtc::test::inputDeck("single_gpi.ini");
  expectRejected({deck}, {"unexpected argument", deck});
  expectRejected({"--population.STN.ISTN=60", ""}, {"unexpected argument ''"});
  expectRejected({"-"}, {"unexpected argument '-'"});
  expectRejected({"--config", deck, "extra"}, {"unexpected argument 'extra'"});
}

TEST(OptionsDeck, MalformedLinesNameFileAndLine) {
  TempDir dir;
  const std::string deck = (dir / "bad.ini").string();
  writeFile(deck, "# comment\n[population.STN]\nISTN = 50\nfoo\n");
  expectRejected({"--config", deck}, {deck + ":4:", "foo"});
  writeFile(deck, "[population.STN]\n\nISTN = 50\nfoo = 1\n");
  expectRejected({"--config", deck}, {deck + ":4:", "population.STN.foo"});
  writeFile(deck, "[population.GPi]\nI_e = lots\n");
  expectRejected({"--config", deck}, {deck + ":2:", "population.GPi.I_e", "lots"});
  writeFile(deck, "[population.STN]\nISTN = 50\n[population.GPe]\nI_e = 1\n[population.STN]\nISTN = 51\n");
  expectRejected({"--config", deck}, {deck + ":6:", "population.STN.ISTN", "line 2"});
  writeFile(deck, "[]\nISTN = 50\n");
  expectRejected({"--config", deck}, {deck + ":1:"});
  writeFile(deck, "[population.STN]\n = 50\n");
  expectRejected({"--config", deck}, {deck + ":2:"});
}

// A control byte is refused naming its line and code, never echoed (a NUL
// cut the message short); CRLF line ends and a leading byte-order mark are
// what Windows editors write, and read as plain text.
TEST(OptionsDeck, ControlBytesAreRefusedAndWindowsTextIsRead) {
  TempDir dir;
  const std::string deck = (dir / "bytes.ini").string();
  writeFile(deck, std::string("[simulation]\nseed = 7\0garbage\n", 31));
  EXPECT_EQ(parseError({"--config", deck}),
            deck + ":2: control character 0x00 in the line (a deck is a text file)");
  writeFile(deck, "[simulation]\nseed = 7\rgarbage\n");
  expectRejected({"--config", deck}, {deck + ":2: control character 0x0D", "carriage return"});
  writeFile(deck, "[simulation]\nduration_ms = 20\x01\n");
  expectRejected({"--config", deck}, {deck + ":2: control character 0x01"});
  writeFile(deck, "\xEF\xBB\xBF[simulation]\r\nduration_ms = 20\r\nseed = 9\r\n");
  const CommandLine cl = parse({"--config", deck});
  EXPECT_EQ(cl.config.simulation.duration_ms, 20.0);
  EXPECT_EQ(cl.config.simulation.seed, 9);
}

// boost reads "key =" as true for a boolean; a number's message named no cause.
TEST(OptionsDeck, AKeyWithoutAValueIsRefused) {
  TempDir dir;
  const std::string deck = (dir / "empty.ini").string();
  writeFile(deck, "[output]\nspikes =\n");
  expectRejected({"--config", deck}, {deck + ":2: output.spikes has no value"});
  writeFile(deck, "[simulation]\nduration_ms =   # none\n");
  expectRejected({"--config", deck}, {deck + ":2: simulation.duration_ms has no value"});
}

// The command line wins over the deck, but a deck value it overrides is
// still input: one that could not run on its own is refused.
TEST(OptionsDeck, ADeckValueTheCommandLineOverridesIsStillChecked) {
  TempDir dir;
  const std::string deck = (dir / "overridden.ini").string();
  const std::string key = "--simulation.duration_ms=100";
  writeFile(deck, "[simulation]\nduration_ms = abc\n");
  expectRejected({"--config", deck, key}, {deck + ":2:", "simulation.duration_ms", "abc"});
  writeFile(deck, "[simulation]\nduration_ms = -5\n");
  expectRejected({"--config", deck, key}, {deck + ":2: simulation.duration_ms must be >= 0, got -5"});
  writeFile(deck, "[simulation]\nduration_ms =\n");
  expectRejected({"--config", deck, key}, {deck + ":2: simulation.duration_ms has no value"});
  writeFile(deck, "[output]\nspikes = maybe\n");
  expectRejected({"--config", deck, "--output.spikes=false"}, {deck + ":2:", "output.spikes", "maybe"});
  // A good one is overridden as before, and leaves no trace.
  writeFile(deck, "[simulation]\nduration_ms = 50\n");
  EXPECT_EQ(parse({"--config", deck, key}).config.simulation.duration_ms, 100.0);
}

// A text key that takes one of a list: a deck's value outside it is refused
// even where the command line sets a good one, as it would be alone.
TEST(OptionsDeck, ADecksChoiceTheCommandLineOverridesIsStillOneOfItsList) {
  TempDir dir;
  const std::string deck = (dir / "choices.ini").string();
  struct Choice {
    std::string section, name, list, good;
  };
  const std::vector<Choice> choices = {
      {"execution", "delivery", "auto, thread, team or pull", "team"},
      {"ensemble", "replica_files", "each, one or none", "each"},
      {"population.STN", "placement", "none, box or sphere", "none"},
      {"projection.stn_gpe", "rule", "fixed_probability, fixed_indegree, all_to_all or one_to_one",
       "fixed_probability"},
      {"stimulus.dbs", "kind", "dc, sine, pulse_train or axonal", "dc"}};
  for (const Choice& c : choices) {
    const std::string key = c.section + "." + c.name;
    const bool stimulus = c.section == "stimulus.dbs";  // (a stimulus needs its population)
    writeFile(deck, "[" + c.section + "]\n" + (stimulus ? "population = STN\n" : "") + c.name + " = bogus\n");
    const std::string refusal = key + " must be " + c.list + ", got 'bogus'";
    expectRejected({"--config", deck}, {refusal});
    expectRejected({"--config", deck, "--" + key + "=" + c.good},
                   {deck + ":" + (stimulus ? "3" : "2") + ": " + refusal});
  }
  // A model and a lane count are lists too.
  writeFile(deck, "[population.STN]\nmodel = bogus\n");
  expectRejected({"--config", deck, "--population.STN.model=stn_hh"},
                 {deck + ":2: population.STN.model: unknown model 'bogus' (models: stn_hh,"});
  writeFile(deck, "[execution]\nlanes_per_neuron = 3\n");
  expectRejected({"--config", deck, "--execution.lanes_per_neuron=2"},
                 {deck + ":2: execution.lanes_per_neuron must be 0 (auto), 1, 2, 4 or 8, got 3"});
}

// A projection's key its rule does not read is refused (p with
// fixed_indegree would be ignored silently); the built-in default of the
// other key is no mistake.
TEST(OptionsDeck, AProjectionKeyItsRuleDoesNotReadIsRefused) {
  TempDir dir;
  const std::string deck = (dir / "rule.ini").string();
  writeFile(deck, "[projection.stn_gpe]\nrule = fixed_indegree\nindegree = 5\np = 0.3\n");
  expectRejected({"--config", deck},
                 {"projection.stn_gpe.p applies to rule = fixed_probability only (projection.stn_gpe.rule = "
                  "fixed_indegree)"});
  expectRejected({"--projection.stn_gpe.indegree=5"},
                 {"projection.stn_gpe.indegree applies to rule = fixed_indegree only"});
  EXPECT_EQ(parse({"--projection.stn_gpe.rule=fixed_indegree", "--projection.stn_gpe.indegree=5"})
                .config.projections[0]
                .indegree,
            5);
  writeFile(deck, "[projection.stn_gpe]\np = 0.3\n");
  EXPECT_EQ(parse({"--config", deck}).config.projections[0].p, 0.3);
  // all_to_all and one_to_one read neither.
  expectRejected({"--projection.stn_gpe.rule=all_to_all", "--projection.stn_gpe.p=0.5"},
                 {"projection.stn_gpe.p applies to rule = fixed_probability only (projection.stn_gpe.rule = "
                  "all_to_all)"});
  expectRejected(
      {"--projection.stn_gpe.rule=one_to_one", "--population.GPe.n=100", "--projection.stn_gpe.indegree=3"},
      {"projection.stn_gpe.indegree applies to rule = fixed_indegree only"});
}

// one_to_one pairs neuron i with neuron i: populations of one size, and
// within one population only with autapses.
TEST(OptionsDeck, OneToOneNeedsEqualSizesAndAutapsesWithinAPopulation) {
  expectRejected(
      {"--projection.stn_gpe.rule=one_to_one"},
      {"projection.stn_gpe.rule = one_to_one connects neuron i to neuron i: population.STN.n (100) "
       "and population.GPe.n (200) must be equal"});
  const std::vector<std::string> self = {"--projection.gg.source=GPe", "--projection.gg.target=GPe",
                                         "--projection.gg.rule=one_to_one", "--projection.gg.g_total=1"};
  expectRejected(self,
                 {"projection.gg.rule = one_to_one within population GPe connects each neuron to itself: "
                  "set projection.gg.autapses = true"});
  std::vector<std::string> with_autapses = self;
  with_autapses.push_back("--projection.gg.autapses=true");
  EXPECT_EQ(parse(with_autapses).config.projections.back().rule, "one_to_one");
  EXPECT_EQ(
      parse({"--projection.stn_gpe.rule=one_to_one", "--population.GPe.n=100"}).config.projections[0].rule,
      "one_to_one");
}

// The command line's model in place of the deck's: the deck's keys of the
// old model are refused naming the change, not as plain unknown keys.
TEST(OptionsDeck, KeysOfAModelTheCommandLineReplacedNameTheChange) {
  TempDir dir;
  const std::string deck = (dir / "source.ini").string();
  writeFile(deck, "[population.CTX]\nmodel = poisson\nn = 10\nrate_hz = 5\n");
  expectRejected(
      {"--config", deck, "--population.CTX.model=spike_times"},
      {deck + ":4:", "population.CTX.rate_hz", "population.CTX.model = spike_times", "the deck's poisson"});
  // A dt the burst interval is no whole number of steps of: both named, with their values.
  writeFile(deck, "[population.CTX]\nmodel = poisson\nn = 10\nintra_burst_interval_ms = 2.1\n");
  expectRejected({"--config", deck, "--simulation.dt_ms=0.04"},
                 {"population.CTX.intra_burst_interval_ms (2.1)", "simulation.dt_ms (0.04)", "52.5 steps"});
}

// '#' starts a comment anywhere, ';' only at a line's start: within a line
// it separates ensemble points.
TEST(OptionsDeck, CommentsStartWithHashOrALeadingSemicolon) {
  TempDir dir;
  const std::string deck = (dir / "comments.ini").string();
  writeFile(deck, "; a comment\n[simulation]\n  ; indented\nduration_ms = 100 # trailing\n");
  EXPECT_EQ(parse({"--config", deck}).config.simulation.duration_ms, 100.0);
  writeFile(deck, "[simulation]\nduration_ms = 100 ; trailing\n");
  expectRejected({"--config", deck}, {deck + ":2:", "simulation.duration_ms"});
  writeFile(deck, "[ensemble]\ngrid = simulation.seed = 1, 2; population.STN.n = 5, 6\n");
  EXPECT_EQ(parse({"--config", deck}).config.ensemble.grid,
            "simulation.seed = 1, 2; population.STN.n = 5, 6");
}

// A value in double quotes is the text between them, a '#' included; a '#'
// right after a value's text is refused, not silently taken as a comment
// that cuts a path short.
TEST(OptionsDeck, AQuotedValueKeepsItsHash) {
  TempDir dir;
  const std::string deck = (dir / "quotes.ini").string();
  writeFile(deck, "[output]\nfile = \"a b#2.h5\"  # the file\n[simulation]\nduration_ms = \"100\"\n");
  const CommandLine cl = parse({"--config", deck});
  EXPECT_EQ(cl.config.output.file, "a b#2.h5");
  EXPECT_EQ(cl.config.simulation.duration_ms, 100.0);
  writeFile(deck, "[simulation]\nseed = 3\n[output]\nfile = run#2.h5\n");
  expectRejected({"--config", deck}, {deck + ":4: output.file: '#' right after 'run'", "\"run#2.h5\""});
  writeFile(deck, "[output]\nfile = \"run.h5\n");
  expectRejected({"--config", deck}, {deck + ":2: output.file:", "not closed"});
  writeFile(deck, "[output]\nfile = \"run\".h5\n");
  expectRejected({"--config", deck}, {deck + ":2: output.file:", "'.h5' follows the closing quote"});
}

// ---------------------------------------------------------------- exact keys

// boost guesses a key from any unambiguous prefix unless told not to; the
// deck never did.
TEST(OptionsErrors, AbbreviatedKeysAreRefused) {
  expectRejected({"--population.STN.n_=5"}, {"population.STN.n_"});
  expectRejected({"--population.STN.gN=5"}, {"population.STN.gN"});
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
  expectRejected({"--population.GPe.V_reset=20"}, {"population.GPe.V_reset", "V_peak"});  // equal
  expectRejected({"--population.GPi.V_peak=-60"}, {"population.GPi.", "V_reset", "V_peak"});  // -55 > -60
}

// Forward Euler overshoots once the step exceeds a time constant
// (docs/model.md §3.3): C_m = 1e-9 pF fired input/single_gpe.ini's cell at
// 493 Hz.
TEST(OptionsErrors, AdExStepLongerThanItsTimeConstants) {
  expectRejected({"--population.GPe.C_m=1e-9"}, {"population.GPe.C_m", "g_L", "simulation.dt_ms"});
  expectRejected({"--population.GPi.g_L=5000", "--simulation.dt_ms=0.05"},
                 {"population.GPi.C_m", "g_L", "simulation.dt_ms"});  // 200/5000 ms < 0.05 ms
  expectRejected({"--population.GPe.tau_w_ms=0.01"}, {"population.GPe.tau_w_ms", "simulation.dt_ms"});
  EXPECT_NO_THROW(parse({"--population.GPe.g_L=0"}));  // no leak: no time constant to resolve
  EXPECT_NO_THROW(parse({"--population.GPe.tau_w_ms=0.03"}));
}

TEST(OptionsErrors, ExpClipRangeEmpty) {
  expectRejected({"--population.GPi.exp_arg_min=10"}, {"population.GPi.exp_arg_min", "exp_arg_max"});  // equal
  expectRejected({"--population.GPe.exp_arg_max=-30"}, {"population.GPe.exp_arg_min", "exp_arg_max"});
}

TEST(OptionsErrors, SamplingIntervalAndOutputFile) {
  expectRejected({"--output.v_every_steps=0"}, {"output.v_every_steps"});
  expectRejected({"--output.v_every_steps=-4"}, {"output.v_every_steps"});
  expectRejected({"--output.v_neurons=-1"}, {"output.v_neurons"});
  expectRejected({"--output.file="}, {"output.file"});
}

// The HDF5 build writes HDF5 whatever the name; a text extension would mislabel it.
TEST(OptionsErrors, TextExtensionOnAnHdf5File) {
  if (!cbgtc::io::writesReportFiles()) GTEST_SKIP() << "a build without HDF5 writes text spike files";
  expectRejected({"--output.file=out.csv"}, {"output.file", "out.csv", ".h5"});
  expectRejected({"--output.file=runs/out.TSV"}, {"output.file", ".tsv"});
  expectRejected({"--record.v.population=STN", "--record.v.file=v.txt"}, {"record.v.file", "v.txt"});
  expectRejected({"--checkpoint.file=state.csv"}, {"checkpoint.file", "state.csv"});
  EXPECT_EQ(parse({"--output.file=out.h5"}).config.output.file, "out.h5");
  EXPECT_EQ(parse({"--output.file=runs.csv/out"}).config.output.file, "runs.csv/out");
  EXPECT_EQ(parse({"--output.file=out"}).config.output.file, "out");
}

// ---------------------------------------------------------------- populations and projections

// A deck that declares populations describes the whole circuit: its
// populations replace the built-in three, in deck order, and its projections
// (here none) replace the built-in ones.
TEST(OptionsPopulations, DeckPopulationsReplaceTheBuiltInCircuit) {
  TempDir dir;
  const std::string deck = (dir / "circuit.ini").string();
  writeFile(deck,
            "[population.B]\nmodel = adex\nn = 3\nI_e = 120\nnoise_sigma = 2\n"
            "[population.A]\nmodel = stn_hh\nn = 4\nISTN = 30\n"
            "[population.GPe]\nn = 7\n");
  const SimulationConfig c = parse({"--config", deck}).config;
  EXPECT_EQ(populationNames(c), (std::vector<std::string>{"B", "A", "GPe"}));
  EXPECT_TRUE(c.projections.empty());
  EXPECT_EQ(pop(c, "B").model, "adex");
  EXPECT_EQ(pop(c, "B").n, 3);
  EXPECT_EQ(pop(c, "B").noise.sigma, 2.0);
  EXPECT_EQ(pop(c, "B").noise.mu, 0.0);
  EXPECT_EQ(adex(c, "B").params.I_baseline, real_type(120));
  EXPECT_EQ(adex(c, "B").params.C, AdEx::Settings{}.params.C);  // the model's default
  EXPECT_EQ(pop(c, "A").model, "stn_hh");
  EXPECT_EQ(pop(c, "A").n, 4);
  EXPECT_EQ(stn(c, "A").params.ISTN, real_type(30));
  EXPECT_EQ(stn(c, "A").params.gNa, real_type(49));
  // A section without model naming a built-in population modifies that one.
  EXPECT_EQ(pop(c, "GPe").model, "adex");
  EXPECT_EQ(pop(c, "GPe").n, 7);
  EXPECT_EQ(adex(c, "GPe").params.b, real_type(10));  // the GPe preset
  EXPECT_EQ(adex(c, "GPe").params.I_baseline, real_type(300));
  // Every key of every declared population is in the option table.
  const auto resolved = resolvedOf(c);
  std::set<std::string> seen;
  for (const auto& kv : resolved) seen.insert(kv.first);
  for (const char* k : {"population.B.n", "population.B.I_e", "population.A.ISTN", "population.GPe.b"})
    EXPECT_EQ(seen.count(k), 1u) << k;
  for (const char* k : {"population.STN.n", "population.GPi.n", "projection.stn_gpe.p"})
    EXPECT_EQ(seen.count(k), 0u) << k;

  // With projections of its own.
  writeFile(deck,
            "[population.A]\nmodel = adex\nn = 5\n"
            "[projection.a_a]\nsource = A\ntarget = A\nrule = fixed_indegree\nindegree = 4\n");
  const SimulationConfig d = parse({"--config", deck}).config;
  EXPECT_EQ(populationNames(d), std::vector<std::string>{"A"});
  ASSERT_EQ(projectionNames(d), std::vector<std::string>{"a_a"});
  EXPECT_EQ(d.projections[0].indegree, 4);
  EXPECT_EQ(d.projections[0].rule, "fixed_indegree");
}

// A deck with projections but no populations keeps the built-in populations
// and replaces only the projections; one with neither keeps both.
TEST(OptionsPopulations, DeckProjectionsWithoutPopulationsReplaceOnlyTheProjections) {
  TempDir dir;
  const std::string deck = (dir / "projections.ini").string();
  writeFile(deck,
            "[projection.gpi_gpe]\nsource = GPi\ntarget = GPe\ng_total = 2\n"
            "[projection.stn_gpe]\np = 0.5\n");
  const SimulationConfig c = parse({"--config", deck}).config;
  EXPECT_EQ(populationNames(c), (std::vector<std::string>{"STN", "GPe", "GPi"}));
  ASSERT_EQ(projectionNames(c), (std::vector<std::string>{"gpi_gpe", "stn_gpe"}));
  EXPECT_EQ(c.projections[0].source, "GPi");
  EXPECT_EQ(c.projections[0].target, "GPe");
  EXPECT_EQ(c.projections[0].g_total, 2.0);
  EXPECT_EQ(c.projections[1].source, "STN");  // the built-in stn_gpe, modified
  EXPECT_EQ(c.projections[1].p, 0.5);
  EXPECT_EQ(c.projections[1].g_total, 10.0);

  writeFile(deck, "[simulation]\nduration_ms = 10\n");
  const SimulationConfig d = parse({"--config", deck}).config;
  EXPECT_EQ(populationNames(d), (std::vector<std::string>{"STN", "GPe", "GPi"}));
  EXPECT_EQ(projectionNames(d), projectionNames(SimulationConfig{}));
}

// The command line changes what the deck (or the built-ins) give, or adds to it.
TEST(OptionsPopulations, CommandLineModifiesOrAdds) {
  const SimulationConfig c = parse({"--population.Extra.model=adex", "--population.Extra.n=12",
                                    "--population.Extra.I_e=90", "--projection.extra_stn.source=Extra",
                                    "--projection.extra_stn.target=STN", "--projection.extra_stn.g_total=0.5",
                                    "--projection.gpe_stn.p=0.2"})
                                 .config;
  EXPECT_EQ(populationNames(c), (std::vector<std::string>{"STN", "GPe", "GPi", "Extra"}));
  EXPECT_EQ(projectionNames(c), (std::vector<std::string>{"stn_gpe", "gpe_stn", "stn_gpi", "gpe_gpi", "extra_stn"}));
  EXPECT_EQ(pop(c, "Extra").n, 12);
  EXPECT_EQ(adex(c, "Extra").params.I_baseline, real_type(90));
  EXPECT_EQ(c.projections[4].g_total, 0.5);
  EXPECT_EQ(c.projections[4].rule, "fixed_probability");  // a new projection's defaults
  EXPECT_EQ(c.projections[1].p, 0.2);
  EXPECT_EQ(c.projections[1].g_total, 1.0);  // the rest of the built-in gpe_stn

  // On top of a deck with its own circuit.
  const SimulationConfig d = parse({"--config", cbgtc::test::inputDeck("single_stn.ini"),
                                    "--population.STN.ISTN=60", "--population.G.model=adex",
                                    "--population.G.n=2", "--projection.stn_g.source=STN",
                                    "--projection.stn_g.target=G"})
                                 .config;
  EXPECT_EQ(populationNames(d), (std::vector<std::string>{"STN", "G"}));
  EXPECT_EQ(projectionNames(d), std::vector<std::string>{"stn_g"});
  EXPECT_EQ(pop(d, "STN").n, 1);  // the deck's
  EXPECT_EQ(stn(d).params.ISTN, real_type(60));
  EXPECT_EQ(stn(d).init.heterogeneity, real_type(0));  // the deck's
}

// Changing the model of a population gives it that model's defaults.
TEST(OptionsPopulations, ChangingTheModelOfAPopulation) {
  const SimulationConfig c = parse({"--population.GPe.model=stn_hh", "--population.GPe.ISTN=20"}).config;
  EXPECT_EQ(pop(c, "GPe").model, "stn_hh");
  EXPECT_EQ(pop(c, "GPe").n, 200);
  EXPECT_EQ(stn(c, "GPe").params.ISTN, real_type(20));
  EXPECT_EQ(stn(c, "GPe").params.gNa, real_type(49));
  // ...and its keys are those of the new model.
  expectRejected({"--population.GPe.model=stn_hh", "--population.GPe.b=1"}, {"population.GPe.b"});
  // Naming the model a population already has changes nothing.
  EXPECT_EQ(resolvedOf(parse({"--population.GPe.model=adex"}).config), resolvedOf(SimulationConfig{}));
}

TEST(OptionsPopulations, NewPopulationNeedsAKnownModel) {
  expectRejected({"--population.Striatum.n=10"}, {"population.Striatum.model is required"});
  expectRejected({"--population.Striatum.model=hodgkin_huxley"},
                 {"population.Striatum.model", "hodgkin_huxley", "stn_hh", "adex", "izhikevich"});
  expectRejected({"--population.STN.model=nosuch"}, {"population.STN.model", "nosuch"});
  TempDir dir;
  const std::string deck = (dir / "no_model.ini").string();
  writeFile(deck, "[population.Striatum]\nn = 10\n");
  expectRejected({"--config", deck}, {"population.Striatum.model is required"});
  // A deck's circuit replaces the built-in one: a built-in name it does not
  // declare is a new population on the command line.
  expectRejected({"--config", cbgtc::test::inputDeck("single_stn.ini"), "--population.GPe.n=3"},
                 {"population.GPe.model is required"});
}

TEST(OptionsPopulations, PopulationNamesAreLettersDigitsAndUnderscores) {
  EXPECT_NO_THROW(parse({"--population.Str_D1.model=adex", "--population.Str_D1.n=1"}));
  expectRejected({"--population.my-pop.model=adex"}, {"my-pop"});
}

TEST(OptionsPopulations, ProjectionsMustNamePopulations) {
  expectRejected({"--projection.x.source=Striatum", "--projection.x.target=STN"},
                 {"projection.x.source", "Striatum"});
  expectRejected({"--projection.x.source=STN", "--projection.x.target=stn"}, {"projection.x.target", "stn"});
  expectRejected({"--projection.x.target=STN"}, {"projection.x.source"});  // no source at all
  // The single-STN deck has no GPe.
  expectRejected({"--config", cbgtc::test::inputDeck("single_stn.ini"), "--projection.p.source=STN",
                  "--projection.p.target=GPe"},
                 {"projection.p.target", "GPe"});
  expectRejected({"--projection.gpe_gpe.source=GPe", "--projection.gpe_gpe.target=GPe",
                  "--projection.gpe_gpe.rule=fixed_indegree", "--projection.gpe_gpe.indegree=200"},
                 {"projection.gpe_gpe.indegree", "199"});
  expectRejected({"--projection.stn_gpe.rule=pairwise_bernoulli"},
                 {"projection.stn_gpe.rule", "pairwise_bernoulli"});
}

// No cap on the projections into one population.
TEST(OptionsPopulations, SixProjectionsIntoOnePopulationAreAccepted) {
  std::vector<std::string> args;
  for (int k = 0; k < 6; ++k) {
    const std::string name = "--projection.into_gpi_" + std::to_string(k) + ".";
    args.push_back(name + "source=" + std::string(k % 2 ? "STN" : "GPe"));
    args.push_back(name + "target=GPi");
    args.push_back(name + "g_total=1");
  }
  const SimulationConfig c = parse(args).config;
  EXPECT_EQ(c.projections.size(), 4u + 6u);
  EXPECT_EQ(std::count_if(c.projections.begin(), c.projections.end(),
                          [](const auto& p) { return p.target == "GPi"; }),
            8);
  EXPECT_NO_THROW(cbgtc::checkConsistency(c));
}

// ---------------------------------------------------------------- dt and duration

TEST(OptionsSteps, ExactMultiplesAreAccepted) {
  struct Case {
    const char* duration;
    const char* dt;
    std::int64_t steps;
  };
  for (const Case& k :
       {Case{"0.5", "0.025", 20}, Case{"1000", "0.025", 40000}, Case{"0.3", "0.1", 3}, Case{"0.7", "0.1", 7},
        Case{"0.025", "0.025", 1}, Case{"10", "0.01", 1000}, Case{"500", "0.025", 20000}}) {
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

// Each of these would wrap around a 32-bit step count: a segfault
// (burn-in) or silently other dynamics.
TEST(OptionsSteps, TimesBeyondTheirStepCountsAreRefused) {
  expectRejected({"--population.GPe.t_ref_ms=53687092"}, {"population.GPe.", "t_ref_ms"});
  expectRejected({"--population.GPi.t_ref_ms=1e300"}, {"population.GPi.", "t_ref_ms"});
  expectRejected({"--population.STN.min_isi_ms=1e12"}, {"population.STN.", "min_isi_ms"});
  expectRejected({"--simulation.dt_ms=1e-300"}, {"simulation.duration_ms"});
  expectRejected({"--analysis.burn_in_ms=1e300"}, {"analysis.burn_in_ms"});
  expectRejected({"--projection.stn_gpe.delay_ms=1e300"}, {"projection.stn_gpe.delay_ms"});
  expectRejected({"--projection.stn_gpe.delay_jitter_ms=1e300"}, {"projection.stn_gpe.delay"});
  // 64-bit counts hold these.
  EXPECT_NO_THROW(parse({"--analysis.burn_in_ms=53687092"}));
  EXPECT_NO_THROW(parse({"--population.GPe.t_ref_ms=50000000"}));
  EXPECT_NO_THROW(parse({"--population.STN.min_isi_ms=53687092"}));
}

// A time step too long for the run is blamed on itself, not on analysis.lfp_sample_ms.
TEST(OptionsErrors, TimeStepLongerThanTheRunNamesTheTimeStep) {
  EXPECT_EQ(parseError({"--simulation.dt_ms=1e300"}).rfind("simulation.dt_ms", 0), 0u);
  EXPECT_EQ(parseError({"--simulation.dt_ms=2", "--simulation.duration_ms=0"}).rfind("simulation.dt_ms", 0),
            0u);
}

// A population added without a size is refused (it would get 0 neurons silently).
TEST(OptionsErrors, AnAddedPopulationNeedsItsSize) {
  EXPECT_EQ(parseError({"--population.X.model=lif"}).rfind("population.X.n is required", 0), 0u)
      << parseError({"--population.X.model=lif"});
  EXPECT_NO_THROW(parse({"--population.X.model=lif", "--population.X.n=0"}));
  // A built-in population keeps its own.
  EXPECT_NO_THROW(parse({"--population.GPe.b=1"}));
}

// A run of no steps is refused: it would write a "complete" file without
// even its initial report row.
TEST(OptionsErrors, ARunOfNoStepsIsRefused) {
  EXPECT_EQ(parseError({"--simulation.duration_ms=0"}).rfind("simulation.duration_ms must be more than 0", 0),
            0u);
}

// The decimated proxy (1 ms from 8 kHz) holds up to 0.27·f_s, 270 Hz;
// without decimation (one step per sample) up to its Nyquist frequency.
TEST(OptionsErrors, BandsAboveTheProxysPassband) {
  expectRejected({"--analysis.total_hi_hz=271"},
                 {"analysis.total_hi_hz", "270 Hz", "analysis.lfp_sample_ms"});
  expectRejected({"--analysis.lfp_sample_ms=10", "--analysis.total_hi_hz=60", "--analysis.beta_hi_hz=51"},
                 {"analysis.beta_hi_hz", "27 Hz"});
  EXPECT_NO_THROW(parse({"--analysis.total_hi_hz=270"}));
  EXPECT_NO_THROW(parse({"--analysis.lfp_sample_ms=2", "--analysis.total_hi_hz=135"}));
  expectRejected({"--analysis.lfp_sample_ms=2", "--analysis.total_hi_hz=136"},
                 {"analysis.total_hi_hz", "135 Hz"});
  EXPECT_NO_THROW(
      parse({"--simulation.dt_ms=0.5", "--analysis.lfp_sample_ms=0.5", "--analysis.total_hi_hz=1000"}));
  expectRejected({"--simulation.dt_ms=0.5", "--analysis.lfp_sample_ms=0.5", "--analysis.total_hi_hz=1001"},
                 {"analysis.total_hi_hz", "1000 Hz"});
}

// ---------------------------------------------------------------- resolved()

TEST(OptionsResolved, EveryKeyOnce) {
  const auto keys = tableKeys();
  // Text keys left empty are not listed (they would not read back as
  // "--key="): the ensemble's, the checkpoint's, analysis.pulse_stimulus,
  // analysis.relay_stimulus and analysis.burst_threshold_file are set here,
  // and absent by default.
  const auto resolved = resolvedOf(
      parse({"--ensemble.seeds=1-2", "--ensemble.grid=simulation.dt_ms = 0.025", "--ensemble.table=t.tsv",
             "--ensemble.sets=simulation.dt_ms = 0.025", "--analysis.pulse_stimulus=none",
             "--analysis.relay_stimulus=none", "--analysis.burst_threshold_file=healthy.h5",
             "--checkpoint.file=state.h5", "--checkpoint.at_ms=10"})
          .config);
  ASSERT_EQ(resolved.size(), keys.size());
  EXPECT_EQ(resolvedOf(parse({}).config).size(), keys.size() - 9);
  std::set<std::string> seen;
  for (std::size_t i = 0; i < resolved.size(); ++i) {
    EXPECT_TRUE(seen.insert(resolved[i].first).second) << "duplicate key " << resolved[i].first;
    EXPECT_EQ(resolved[i].first, keys[i]);
    const auto dot = resolved[i].first.find('.');
    EXPECT_NE(dot, std::string::npos) << resolved[i].first;
    // Sections are one word, or "population.<name>" / "projection.<name>".
    const auto dots = std::count(resolved[i].first.begin(), resolved[i].first.end(), '.');
    const bool nested =
        resolved[i].first.rfind("population.", 0) == 0 || resolved[i].first.rfind("projection.", 0) == 0;
    EXPECT_EQ(dots, nested ? 2 : 1) << resolved[i].first;
  }
  for (const char* k :
       {"simulation.duration_ms", "simulation.dt_ms", "simulation.seed", "execution.epoch_batching",
        "execution.delivery", "execution.pull_fraction", "execution.lanes_per_neuron", "population.STN.model",
        "population.STN.n", "population.GPe.n", "population.GPi.n", "population.STN.noise_tau_ms",
        "population.STN.noise_mu", "population.GPe.noise_sigma", "population.STN.gNa", "population.STN.ISTN",
        "population.STN.n_init", "population.GPe.I_e", "population.GPe.b", "population.GPi.b",
        "population.GPi.exp_arg_max", "projection.stn_gpe.source", "projection.gpe_gpi.g_total",
        "output.file", "output.overwrite", "output.v_every_steps", "output.v_neurons"})
    EXPECT_EQ(seen.count(k), 1u) << k;
  // Each population has exactly its model's keys.
  for (const char* k : {"population.STN.b", "population.GPe.ISTN", "population.GPi.gNa"})
    EXPECT_EQ(seen.count(k), 0u) << k;
}

TEST(OptionsResolved, ReflectsParsedValues) {
  const auto resolved = resolvedOf(parse({"--population.STN.ISTN=60", "--output.overwrite"}).config);
  auto value = [&resolved](const std::string& key) {
    for (const auto& [k, v] : resolved)
      if (k == key) return v;
    return std::string("<missing>");
  };
  EXPECT_EQ(value("population.STN.ISTN"), "60");
  EXPECT_EQ(value("output.overwrite"), "true");
  EXPECT_EQ(value("simulation.dt_ms"), "0.025");
  EXPECT_EQ(value("population.GPe.n"), "200");
  EXPECT_EQ(value("population.GPe.model"), "adex");
  EXPECT_EQ(value("projection.gpe_stn.source"), "GPe");
}

TEST(OptionsResolved, RoundTripThroughCommandLine) {
  const CommandLine first = parse(
      {"--population.STN.gL=0.1", "--population.STN.alpha_Ca=1e-7", "--population.GPe.V_init=-65.123456789012",
       "--population.GPi.a=0.3333333333333333", "--simulation.seed=123456789012", "--simulation.dt_ms=0.01",
       "--simulation.duration_ms=0.3", "--population.GPi.n=7", "--population.GPi.noise_mu=0.1",
       "--population.Extra.model=stn_hh", "--population.Extra.n=3", "--population.Extra.ISTN=12.5",
       "--projection.extra_gpi.source=Extra", "--projection.extra_gpi.target=GPi",
       "--projection.extra_gpi.delay_jitter_ms=0.5", "--execution.delivery=pull",
       "--execution.pull_fraction=0.123", "--output.file=dir with space/out.h5", "--output.overwrite=true",
       "--output.v_neurons=3"});
  const auto resolved = resolvedOf(first.config);

  std::vector<std::string> args;
  for (const auto& [key, value] : resolved) args.push_back("--" + key + "=" + value);
  const CommandLine second = parse(args);
  const SimulationConfig& a = first.config;
  const SimulationConfig& b = second.config;

  EXPECT_EQ(resolvedOf(b), resolved);
  EXPECT_EQ(populationNames(b), (std::vector<std::string>{"STN", "GPe", "GPi", "Extra"}));
  EXPECT_EQ(projectionNames(b), projectionNames(a));
  EXPECT_EQ(stn(b).params.gL, stn(a).params.gL);
  EXPECT_EQ(stn(b).params.gL, real_type(0.1));
  EXPECT_EQ(stn(b).params.alpha_Ca, stn(a).params.alpha_Ca);
  EXPECT_EQ(stn(b).params.alpha_Ca, real_type(1e-7));
  EXPECT_EQ(adex(b, "GPe").init.V, adex(a, "GPe").init.V);
  EXPECT_EQ(adex(b, "GPi").params.a, adex(a, "GPi").params.a);
  EXPECT_EQ(b.simulation.dt_ms, 0.01);
  EXPECT_EQ(b.simulation.duration_ms, 0.3);
  EXPECT_EQ(b.simulation.seed, 123456789012);
  EXPECT_EQ(pop(b, "GPi").n, 7);
  EXPECT_EQ(pop(b, "GPi").noise.mu, 0.1);
  EXPECT_EQ(pop(b, "Extra").model, "stn_hh");
  EXPECT_EQ(pop(b, "Extra").n, 3);
  EXPECT_EQ(stn(b, "Extra").params.ISTN, real_type(12.5));
  EXPECT_EQ(b.projections.back().source, "Extra");
  EXPECT_EQ(b.projections.back().delay_jitter_ms, 0.5);
  EXPECT_EQ(b.execution.delivery, "pull");
  EXPECT_EQ(b.execution.pull_fraction, 0.123);
  EXPECT_EQ(b.output.file, "dir with space/out.h5");
  EXPECT_TRUE(b.output.overwrite);
  EXPECT_EQ(b.output.v_neurons, 3);
  EXPECT_EQ(stn(b).params.gNa, stn(a).params.gNa);
  EXPECT_EQ(adex(b, "GPe").params.b, adex(a, "GPe").params.b);
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
  EXPECT_NE(help.find("--population.STN.gNa arg (=49)"), std::string::npos);
  EXPECT_NE(help.find("--population.STN.n arg (=100)"), std::string::npos);
  EXPECT_NE(help.find("--population.STN.model arg (=stn_hh)"), std::string::npos);
  EXPECT_NE(help.find("--simulation.dt_ms arg (=0.025)"), std::string::npos);
  EXPECT_NE(help.find("--execution.delivery arg (=auto)"), std::string::npos);
  EXPECT_NE(help.find("--population.GPe.b arg (=10)"), std::string::npos);
  EXPECT_NE(help.find("--population.GPi.b arg (=0)"), std::string::npos);
  EXPECT_NE(help.find("--projection.stn_gpe.source arg (=STN)"), std::string::npos);
}

// One help section per deck section, in deck order; the models are named.
TEST(OptionsHelp, OneSectionPerDeckSection) {
  const std::string help = cbgtc::io::helpText();
  std::size_t last = 0;
  for (const char* section : {"[simulation]", "[execution]", "[population.STN]", "[population.GPe]",
                              "[population.GPi]", "[projection.stn_gpe]", "[projection.gpe_gpi]",
                              "[record.<name>]", "[analysis]", "[output]"}) {
    const auto at = help.find(std::string(section) + ":");
    ASSERT_NE(at, std::string::npos) << section << "\n" << help;
    EXPECT_GT(at, last) << section;
    last = at;
  }
  EXPECT_NE(help.find("stn_hh"), std::string::npos);
  EXPECT_NE(help.find("adex"), std::string::npos);
  // What a recording can name, per model.
  EXPECT_NE(help.find("--record.<name>.variables"), std::string::npos);
  EXPECT_NE(help.find("record variables: V n h r Ca I_syn"), std::string::npos);
}

// --help lists every model of the registry with its keys, also those the
// built-in network does not use.
TEST(OptionsHelp, ListsEveryModelAndItsKeys) {
  const std::string help = cbgtc::io::helpText();
  for (const auto& name : cbgtc::modelNames()) {
    cbgtc::ModelSettings settings = cbgtc::defaultModelSettings(name);
    const auto line_start = help.find("\n  " + name + " (");
    ASSERT_NE(line_start, std::string::npos) << name;
    const std::string line = help.substr(line_start + 1, help.find('\n', line_start + 1) - line_start - 1);
    for (const auto& key : cbgtc::modelKeys(settings))
      EXPECT_NE(line.find(std::string(" ") + key.name), std::string::npos) << name << "." << key.name;
  }
}
