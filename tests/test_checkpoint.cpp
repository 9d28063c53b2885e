// Checkpoints: a run continued from a checkpoint gives what the whole run
// gives, bit for bit; a checkpoint of another network, or a damaged one,
// is refused with one message naming the key or the file.

#include <gtest/gtest.h>
#include <hdf5.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <thread>

#include "io/hdf5_reader.hpp"
#include "src/checkpoint.hpp"
#include "src/simulation.hpp"
#include "tests/cli_helpers.hpp"
#include "tests/config_helpers.hpp"
#include "tests/memory_writer.hpp"

using namespace cbgtc;
using cbgtc::test::MemoryWriter;
using cbgtc::test::TempDir;

namespace {

ProjectionSettings projection(const char* name, const char* source, const char* target, double p,
                              double g_total, double delay_ms, double tau_ms) {
  ProjectionSettings s;
  s.name = name;
  s.source = source;
  s.target = target;
  s.p = p;
  s.g_total = g_total;
  s.delay_ms = delay_ms;
  s.tau_ms = tau_ms;
  return s;
}

/// The default network with every kind of state a checkpoint keeps:
/// noise, a depressing and facilitating projection (release states),
/// spike bursts, a biphasic pulse train (pulse-triggered histograms and
/// the STN's relay of its pulses), a Poisson source with bursts, and a
/// voltage report.
SimulationConfig richConfig() {
  SimulationConfig c;
  c.simulation.duration_ms = 600;
  c.simulation.seed = 7;
  c.analysis.burn_in_ms = 100;
  c.analysis.segment_ms = 200;
  c.analysis.pac_surrogates = 10;
  test::setSizes(c, 40, 60, 50);
  for (auto& p : c.projections)
    if (p.name == "stn_gpe") {
      p.stp_U = 0.3;
      p.stp_tau_rec_ms = 200;
      p.stp_tau_fac_ms = 50;
    }
  PopulationSettings ctx = PopulationSettings::of("CTX", "poisson", 30);
  // A shared rate fluctuation: its table is read at the run's step, not
  // the continuation's.
  auto& source = std::get<models::Poisson::Settings>(ctx.params).params;
  source.rate_fluctuation = 0.4;
  source.rate_fluctuation_tau_ms = 10;
  c.populations.push_back(ctx);
  c.projections.push_back(projection("ctx_stn", "CTX", "STN", 0.2, 1.0, 2.5, 4));
  StimulusSettings dbs;
  dbs.name = "dbs";
  dbs.kind = "pulse_train";
  dbs.population = "STN";
  dbs.amplitude = 300;
  dbs.frequency_hz = 130;
  dbs.biphasic = true;
  c.stimuli.push_back(dbs);
  c.analysis.relay_stimulus = "dbs";  // the STN's relay of the pulses (error-index counters)
  c.analysis.relay_window_ms = 3;
  RecordSettings v;
  v.name = "gpe_v";
  v.population = "GPe";
  v.variables = "V";
  v.count = 5;
  v.interval_ms = 0.5;
  c.records.push_back(v);
  return c;
}

struct Outcome {
  MemoryWriter main, report;
  RunSummary summary;
};

/// Runs `c` (from `restart` unless empty) into memory.
void runInto(const SimulationConfig& c, Outcome& out, const std::string& restart = "",
             const std::atomic<bool>* stop = nullptr) {
  Simulation sim(c);
  if (!restart.empty()) sim.restore(restart);
  out.summary = sim.run(&out.main, stop, nullptr, {&out.report});
}

/// Runs `c` into `out` with one checkpoint at `at_ms` (a deck's text) into
/// `file`; returns the model time it was taken at.
double runWithCheckpoint(const SimulationConfig& c, const std::string& at_ms, const std::string& file,
                         Outcome& out) {
  SimulationConfig writing = c;
  writing.checkpoint.file = file;
  writing.checkpoint.at_ms = at_ms;
  runInto(writing, out);
  return io::Hdf5Reader(file).number("/checkpoint", "t_ms");
}

/// The continued run's spikes are the whole run's from `from_ms` on; its
/// LFP proxies, metrics and datasets are the whole run's; its report rows
/// are the whole run's last ones.
void expectContinues(const Outcome& whole, const Outcome& continued, double from_ms) {
  ASSERT_TRUE(continued.summary.complete) << continued.summary.failure;
  for (const auto& [pop, spikes] : whole.main.spikes) {
    std::vector<std::pair<double, std::uint64_t>> later;
    for (const auto& s : spikes)
      if (s.first >= from_ms) later.push_back(s);
    ASSERT_FALSE(later.empty()) << pop;
    EXPECT_EQ(continued.main.spikes.at(pop), later) << pop;
  }
  // Every dataset (LFP proxies, spectra, histograms, bursts) and metric, bit for bit.
  ASSERT_EQ(continued.main.datasets.size(), whole.main.datasets.size());
  for (const auto& [name, data] : whole.main.datasets) {
    const auto& other = continued.main.datasets.at(name);
    ASSERT_EQ(other.size(), data.size()) << name;
    for (std::size_t j = 0; j < data.size(); ++j)
      if (!(other[j] == data[j] || (std::isnan(other[j]) && std::isnan(data[j])))) {
        ADD_FAILURE() << name << "[" << j << "]: " << other[j] << " instead of " << data[j];
        break;
      }
  }
  ASSERT_EQ(continued.main.numbers.size(), whole.main.numbers.size());
  for (const auto& [name, value] : whole.main.numbers) {
    const double other = continued.main.numbers.at(name);
    if (std::isnan(value)) {
      EXPECT_TRUE(std::isnan(other)) << name;
    } else {
      EXPECT_EQ(other, value) << name;
    }
  }
  EXPECT_EQ(continued.main.integers, whole.main.integers);
  EXPECT_FALSE(std::isnan(continued.summary.populations[0].error_index));
  const auto& a = whole.report.reports.begin()->second;
  const auto& b = continued.report.reports.begin()->second;
  ASSERT_EQ(a.ids, b.ids);
  ASSERT_LE(b.data.size(), a.data.size());
  ASSERT_FALSE(b.data.empty());
  EXPECT_TRUE(
      std::equal(b.data.begin(), b.data.end(), a.data.end() - static_cast<std::ptrdiff_t>(b.data.size())));
  EXPECT_DOUBLE_EQ(b.start,
                   a.start + static_cast<double>(a.data.size() - b.data.size()) / a.ids.size() * a.step);
}

/// richConfig's run with a checkpoint at 200 ms in dir/state.h5; the
/// checkpoint's path.
std::string checkpointAt200ms(const TempDir& dir) {
  SimulationConfig c = richConfig();
  c.checkpoint.file = (dir / "state.h5").string();
  c.checkpoint.at_ms = "200";
  Outcome first;
  runInto(c, first);
  return c.checkpoint.file;
}

/// Why a run of `config` refuses to continue `checkpoint` ("": it does not).
std::string refusalOf(const SimulationConfig& config, const std::string& checkpoint) {
  try {
    Simulation sim(config);
    sim.restore(checkpoint);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

/// Opens dataset `name` of a checkpoint to change it, hands it to `change`,
/// and closes the file: as an earlier version wrote it (without its values'
/// digest, so that the checks of the values themselves are reached), or,
/// with `sealed`, as damaged since it was written (the digest kept).
template <class Change>
void changeDataset(const std::string& checkpoint, const char* name, Change change, bool sealed = false) {
  const hid_t file = H5Fopen(checkpoint.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const hid_t set = H5Dopen2(file, name, H5P_DEFAULT);
  ASSERT_GE(set, 0);
  change(set);
  if (!sealed && H5Aexists(set, io::values_digest_attribute) > 0) H5Adelete(set, io::values_digest_attribute);
  H5Dclose(set);
  H5Fclose(file);
}

}  // namespace

// A checkpoint at a time that is neither an LFP sample's nor a report
// sample's end (rounded up to the next exchange), continued with other
// execution settings: the continuation is the whole run's.
TEST(Checkpoint, ContinuedRunEqualsTheWholeRun) {
  TempDir dir;
  const SimulationConfig c = richConfig();
  Outcome whole;
  runInto(c, whole);

  const std::string file = (dir / "state.h5").string();
  Outcome with_checkpoint;
  const double at_ms = runWithCheckpoint(c, "250.3", file, with_checkpoint);
  // Writing a checkpoint changes nothing.
  EXPECT_EQ(with_checkpoint.main.spikes, whole.main.spikes);
  EXPECT_GE(at_ms, 250.3);
  EXPECT_LT(at_ms, 256.0);

  for (const char* delivery : {"auto", "team"}) {
    SimulationConfig continuing = c;
    continuing.execution.delivery = delivery;
    Outcome continued;
    runInto(continuing, continued, file);
    SCOPED_TRACE(delivery);
    expectContinues(whole, continued, at_ms);
  }
}

// Every model of the registry continues from a checkpoint as its whole run
// (a model added to the list is checked here): one population of it, driven
// to fire, every state variable recorded. A variable its storage's
// forEachState leaves out would restart from its initial value.
namespace {
/// A dc drive that makes 20 neurons of the model fire, in its current units
/// (0: they fire on their own; a source takes none).
double firingDrive(const std::string& model) {
  const std::map<std::string, double> drive = {
      {"lif", 500}, {"izhikevich", 300}, {"stn_terman_rubin", 20}, {"tc_rubin_terman", 2}};
  return drive.count(model) ? drive.at(model) : 0.0;
}

template <class M>
void checkModelContinues() {
  SCOPED_TRACE(M::name);
  if (std::string(M::name) == "spike_times") return;  // replays a file: ReplayedTrainsAndAxonalPulsesContinue
  TempDir dir;
  SimulationConfig c;
  c.populations = {PopulationSettings::of("X", M::name, 20)};
  c.projections.clear();
  c.stimuli.clear();
  c.simulation.duration_ms = 300;
  c.simulation.seed = 7;
  c.analysis.burn_in_ms = 50;
  if (firingDrive(M::name) > 0) {
    StimulusSettings dc;
    dc.name = "dc";
    dc.population = "X";
    dc.amplitude = firingDrive(M::name);
    c.stimuli.push_back(dc);
  }
  RecordSettings every;
  every.name = "x";
  every.population = "X";
  every.variables.clear();
  for (const StateVariable& v : M::state_variables)
    every.variables += (every.variables.empty() ? "" : ",") + std::string(v.name);
  every.count = 20;
  every.interval_ms = 0.5;
  c.records.push_back(every);
  Outcome whole, with_checkpoint, continued;
  runInto(c, whole);
  ASSERT_GT(whole.main.spikes.at("X").size(), 40u) << "give " << M::name << " a drive in firingDrive";
  const std::string file = (dir / "state.h5").string();
  const double at_ms = runWithCheckpoint(c, "150", file, with_checkpoint);
  runInto(c, continued, file);
  std::vector<std::pair<double, std::uint64_t>> later;
  for (const auto& spike : whole.main.spikes.at("X"))
    if (spike.first >= at_ms) later.push_back(spike);
  EXPECT_EQ(continued.main.spikes.at("X"), later);
  const auto& a = whole.report.reports.begin()->second;
  const auto& b = continued.report.reports.begin()->second;
  ASSERT_FALSE(b.data.empty());
  ASSERT_LE(b.data.size(), a.data.size());
  EXPECT_TRUE(
      std::equal(b.data.begin(), b.data.end(), a.data.end() - static_cast<std::ptrdiff_t>(b.data.size())));
}

template <class... M>
void checkEveryModelContinues(models::ModelList<M...>) {
  (checkModelContinues<M>(), ...);
}
}  // namespace

TEST(Checkpoint, EveryModelContinuesAsItsWholeRun) { checkEveryModelContinues(models::Models{}); }

// The other inputs: a spike_times population replaying a run's STN spikes
// into GPi (its place in each train is found again from the continued
// step), and axonal activation of GPe (keyed draws per pulse).
TEST(Checkpoint, ReplayedTrainsAndAxonalPulsesContinue) {
  TempDir dir;
  Outcome source;
  runInto(richConfig(), source);
  const std::string trains = (dir / "trains.csv").string();
  {
    auto out = io::makeCsvOutput(trains, true);
    out->addSpikePopulation("STN");
    std::vector<double> t;
    std::vector<std::uint64_t> ids;
    for (const auto& [ms, id] : source.main.spikes.at("STN")) {
      t.push_back(ms);
      ids.push_back(id);
    }
    out->appendSpikes("STN", t, ids);
    out->finalize(600);
  }
  SimulationConfig c = richConfig();
  PopulationSettings replay = PopulationSettings::of("REPLAY", "spike_times", 40);
  replay.spike_file = trains;
  replay.spike_population = "STN";
  c.populations.push_back(replay);
  c.projections.push_back(projection("replay_gpi", "REPLAY", "GPi", 0.3, 5, 1.5, 3));
  StimulusSettings axonal;
  axonal.name = "axons";
  axonal.kind = "axonal";
  axonal.population = "GPe";
  axonal.probability = 0.3;
  axonal.start_ms = 50;
  c.stimuli.push_back(axonal);
  Outcome whole;
  runInto(c, whole);
  ASSERT_FALSE(whole.main.spikes.at("GPe_axonal").empty());
  const std::string file = (dir / "state.h5").string();
  Outcome first;
  const double at_ms = runWithCheckpoint(c, "333", file, first);
  Outcome continued;
  runInto(c, continued, file);
  expectContinues(whole, continued, at_ms);
}

// checkpoint.every_ms replaces the file at each multiple; a continuation
// from the last one is the whole run's, and may itself be continued.
TEST(Checkpoint, RepeatedCheckpointsAndAChainOfContinuations) {
  TempDir dir;
  const SimulationConfig c = richConfig();
  Outcome whole;
  runInto(c, whole);
  SimulationConfig first = c;
  first.checkpoint.file = (dir / "a.h5").string();
  first.checkpoint.every_ms = 200;  // 200, 400
  Outcome a;
  runInto(first, a);
  SimulationConfig second = c;
  second.simulation.duration_ms = 600;
  second.checkpoint.file = (dir / "b.h5").string();
  second.checkpoint.at_ms = "500";
  Outcome b;
  runInto(second, b, first.checkpoint.file);  // from 400 ms, checkpoint at 500
  expectContinues(whole, b, 400);
  Outcome last;
  runInto(c, last, second.checkpoint.file);
  expectContinues(whole, last, 500);
}

// A stop request (the signal handler's flag) with checkpoint.on_signal
// leaves a checkpoint of where the run stopped, from which it continues.
TEST(Checkpoint, OnSignalTheStoppedRunContinues) {
  TempDir dir;
  SimulationConfig c = richConfig();
  c.simulation.duration_ms = 4000;
  Outcome whole;
  runInto(c, whole);
  SimulationConfig stopping = c;
  stopping.checkpoint.file = (dir / "stopped.h5").string();
  stopping.checkpoint.on_signal = true;
  std::atomic<bool> stop{false};
  Outcome stopped;
  std::thread signal([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stop = true;
  });
  runInto(stopping, stopped, "", &stop);
  signal.join();
  ASSERT_FALSE(stopped.summary.complete) << "the run ended before the stop request: make it longer";
  const double at_ms = static_cast<double>(stopped.summary.steps) * c.simulation.dt_ms;
  Outcome continued;
  runInto(c, continued, stopping.checkpoint.file);
  expectContinues(whole, continued, at_ms);
}

// A checkpoint of other physics is refused naming the first key that
// differs; execution keys and the duration may change.
TEST(Checkpoint, OtherPhysicsIsRefusedByName) {
  TempDir dir;
  const std::string checkpoint = checkpointAt200ms(dir);
  const auto refusal = [&](const SimulationConfig& other) { return refusalOf(other, checkpoint); };
  SimulationConfig changed = richConfig();
  test::adexSettings(changed, "GPe").params.b += 1;
  const std::string b_message = refusal(changed);
  EXPECT_NE(b_message.find("population.GPe.b "), std::string::npos) << b_message;
  SimulationConfig seed = richConfig();
  seed.simulation.seed = 8;
  EXPECT_NE(refusal(seed).find("simulation.seed"), std::string::npos);
  SimulationConfig smaller = richConfig();
  test::setSizes(smaller, 40, 60, 49);
  EXPECT_NE(refusal(smaller).find("population.GPi.n"), std::string::npos);
  SimulationConfig shorter = richConfig();
  shorter.simulation.duration_ms = 150;
  EXPECT_NE(refusal(shorter).find("not before simulation.duration_ms"), std::string::npos);
  SimulationConfig longer = richConfig();
  longer.simulation.duration_ms = 900;
  longer.execution.delivery = "team";
  longer.output.file = "elsewhere.h5";
  EXPECT_EQ(refusal(longer), "");
  // The analyses after the run may change; the burn-in, from which the run
  // counts its spikes, may not.
  SimulationConfig analysed = richConfig();
  analysed.analysis.threads = 3;
  analysed.analysis.comodulogram = !analysed.analysis.comodulogram;
  analysed.analysis.beta_lo_hz = 15;
  analysed.analysis.pac_surrogates = 0;
  analysed.analysis.segment_ms = 100;
  EXPECT_EQ(refusal(analysed), "");
  SimulationConfig burn_in = richConfig();
  burn_in.analysis.burn_in_ms = 50;
  EXPECT_NE(refusal(burn_in).find("analysis.burn_in_ms"), std::string::npos);
}

// A stimulus that has not started by the checkpoint may be changed on the
// restart (a DBS sweep from one warm state): the continuation is the whole
// run of the changed deck. Its pulse-triggered histogram, empty at the
// checkpoint, takes the changed period's bins. One that has started, or
// whose kind or population changes, is refused by name.
TEST(Checkpoint, AStimulusNotYetStartedMayChange) {
  TempDir dir;
  const auto dbsOf = [](SimulationConfig& c) -> StimulusSettings& { return c.stimuli.at(0); };
  SimulationConfig later = richConfig();
  dbsOf(later).start_ms = 300;
  later.analysis.pulse_stimulus = "dbs";
  Outcome whole;
  runInto(later, whole);
  ASSERT_FALSE(whole.main.datasets.at("/metrics/STN/pulse_histogram_hz").empty());

  SimulationConfig before = later;  // another train, starting later still
  dbsOf(before).amplitude = 100;
  dbsOf(before).frequency_hz = 90;
  dbsOf(before).start_ms = 400;
  const std::string file = (dir / "state.h5").string();
  Outcome first;
  const double at_ms = runWithCheckpoint(before, "250", file, first);
  ASSERT_LE(at_ms, 300.0);
  Outcome continued;
  runInto(later, continued, file);
  expectContinues(whole, continued, at_ms);

  const auto refusal = [&](const SimulationConfig& other) { return refusalOf(other, file); };
  SimulationConfig started = later;
  dbsOf(started).start_ms = 200;  // before the checkpoint
  EXPECT_NE(refusal(started).find("stimulus.dbs.start_ms"), std::string::npos) << refusal(started);
  EXPECT_NE(refusal(started).find("starts at or after the checkpoint's time"), std::string::npos);
  SimulationConfig elsewhere = later;
  dbsOf(elsewhere).population = "GPe";
  EXPECT_NE(refusal(elsewhere).find("stimulus.dbs.population"), std::string::npos) << refusal(elsewhere);
  SimulationConfig sine = later;
  dbsOf(sine).kind = "sine";
  dbsOf(sine).pulse_width_us = StimulusSettings{}.pulse_width_us;
  dbsOf(sine).biphasic = StimulusSettings{}.biphasic;
  sine.analysis.pulse_stimulus = "";
  sine.analysis.relay_stimulus = "";
  EXPECT_NE(refusal(sine).find("stimulus.dbs.kind"), std::string::npos) << refusal(sine);
  EXPECT_NE(refusal(sine).find("kind and population never change"), std::string::npos) << refusal(sine);

  // Without analysis.pulse_stimulus the histograms follow the first
  // periodic train: a change to a later stimulus may not switch them to
  // (or from) one that has been counting.
  SimulationConfig two = richConfig();
  two.analysis.relay_stimulus = "";
  StimulusSettings late = dbsOf(two);
  late.name = "late";
  late.start_ms = 300;
  two.stimuli.insert(two.stimuli.begin(), late);  // first in the deck: the histograms follow it
  const std::string two_file = (dir / "two.h5").string();
  Outcome two_first;
  runWithCheckpoint(two, "250", two_file, two_first);
  SimulationConfig switched = two;
  switched.stimuli.front().interval_cv =
      0.2;  // no longer periodic: dbs, counting since 0 ms, would be followed
  const std::string why = refusalOf(switched, two_file);
  EXPECT_NE(why.find("the pulse histograms' stimulus is dbs here but late"), std::string::npos) << why;
  EXPECT_NE(why.find("name the stimulus they follow with analysis.pulse_stimulus"), std::string::npos) << why;
}

// A checkpoint of an earlier version, which also compared the settings of
// the analyses after the run (here: other values of two of them) and did
// not hold the pulse histograms' stimulus, is continued.
TEST(Checkpoint, KeysNoLongerComparedAreIgnoredInTheFile) {
  TempDir dir;
  const std::string checkpoint = checkpointAt200ms(dir);
  changeDataset(checkpoint, "/checkpoint/physics", [](hid_t set) {
    for (const auto& [key, value] :
         {std::pair<std::string, std::string>{"analysis.threads", "7"}, {"analysis.beta_lo_hz", "12"}}) {
      const hid_t type = H5Tcopy(H5T_C_S1);
      H5Tset_size(type, value.size());
      const hid_t space = H5Screate(H5S_SCALAR);
      const hid_t attribute = H5Acreate2(set, key.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT);
      ASSERT_GE(attribute, 0) << key;
      ASSERT_GE(H5Awrite(attribute, type, value.data()), 0);
      H5Aclose(attribute);
      H5Sclose(space);
      H5Tclose(type);
    }
    // Nor had it the derived key of the stimulus the pulse histograms follow.
    ASSERT_GE(H5Adelete(set, "the pulse histograms' stimulus"), 0);
  });
  Simulation sim(richConfig());
  EXPECT_NO_THROW(sim.restore(checkpoint));
}

// A truncated checkpoint (a copy cut short, as by a full disk or a kill
// without the in-progress name) and a file that is no checkpoint are
// refused whole, naming the file.
TEST(Checkpoint, DamagedOrForeignFilesAreRefused) {
  TempDir dir;
  const std::string checkpoint = checkpointAt200ms(dir);
  const auto size = std::filesystem::file_size(checkpoint);
  for (const double share : {0.5, 0.95}) {
    const std::string cut = (dir / "cut.h5").string();
    std::filesystem::copy_file(checkpoint, cut, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::resize_file(cut, static_cast<std::uintmax_t>(share * static_cast<double>(size)));
    Simulation sim(richConfig());
    try {
      sim.restore(cut);
      ADD_FAILURE() << "a checkpoint cut to " << share << " of its size was read";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(cut), std::string::npos) << e.what();
    }
  }
  // Another run's output file is not a checkpoint.
  SimulationConfig out = richConfig();
  Simulation sim(out);
  const std::string text = (dir / "text.h5").string();
  std::ofstream(text) << "not HDF5\n";
  EXPECT_THROW(sim.restore(text), ConfigError);
  EXPECT_THROW(sim.restore((dir / "missing.h5").string()), ConfigError);
}

// --validate makes the checks that need no network (checkCheckpointFile):
// without them it would pass a checkpoint the run then refused.
TEST(Checkpoint, TheFileIsCheckedWithoutANetwork) {
  TempDir dir;
  const std::string checkpoint = checkpointAt200ms(dir);
  const SimulationConfig c = richConfig();
  EXPECT_NO_THROW(checkCheckpointFile(checkpoint, c, epochSteps(c)));
  const auto refusal = [&](const SimulationConfig& config, const std::string& file) {
    try {
      checkCheckpointFile(file, config, epochSteps(config));
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  SimulationConfig shorter = c;
  shorter.simulation.duration_ms = 150;
  EXPECT_NE(refusal(shorter, checkpoint).find("is not before simulation.duration_ms"), std::string::npos);
  // A time its step does not give (it would be reported as an LFP of the wrong length).
  const std::string moved = (dir / "moved.h5").string();
  std::filesystem::copy_file(checkpoint, moved);
  {
    const hid_t file = H5Fopen(moved.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    const hid_t group = H5Gopen2(file, "/checkpoint", H5P_DEFAULT);
    ASSERT_GE(group, 0);
    ASSERT_GE(H5Adelete(group, "t_ms"), 0);
    const hid_t scalar = H5Screate(H5S_SCALAR);
    const hid_t t = H5Acreate2(group, "t_ms", H5T_NATIVE_DOUBLE, scalar, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(t, 0);
    const double elsewhere_ms = 50;
    ASSERT_GE(H5Awrite(t, H5T_NATIVE_DOUBLE, &elsewhere_ms), 0);
    H5Aclose(t);
    H5Sclose(scalar);
    H5Gclose(group);
    H5Fclose(file);
  }
  EXPECT_NE(refusal(c, moved).find("and its time (50 ms) disagree"), std::string::npos) << refusal(c, moved);
  {
    const hid_t file = H5Fopen(checkpoint.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    ASSERT_GE(H5Ldelete(file, "/populations/GPi/spikes_total", H5P_DEFAULT), 0);
    H5Fclose(file);
  }
  EXPECT_NE(refusal(c, checkpoint).find("/populations/GPi/spikes_total"), std::string::npos);
  EXPECT_NE(refusalOf(c, checkpoint).find("/populations/GPi/spikes_total"), std::string::npos);
}

// Counts and arrivals out of their range (a negative spike count, an
// arrival at a neuron the target lacks) are refused: read, a target outside
// a rank's block would be skipped as another rank's, and the run would go
// on with other results.
TEST(Checkpoint, CountsAndArrivalsOutOfRangeAreRefused) {
  TempDir dir;
  const std::string checkpoint = checkpointAt200ms(dir);
  const std::string copy = (dir / "copy.h5").string();
  const auto damaged = [&](const char* dataset, const std::function<void(std::vector<double>&)>& change) {
    std::filesystem::copy_file(checkpoint, copy, std::filesystem::copy_options::overwrite_existing);
    changeDataset(copy, dataset, [&](hid_t set) {
      const hid_t space = H5Dget_space(set);
      std::vector<double> v(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
      H5Sclose(space);
      ASSERT_GE(H5Dread(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), 0);
      change(v);
      ASSERT_GE(H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), 0);
    });
    return refusalOf(richConfig(), copy);
  };
  EXPECT_NE(damaged("/populations/GPe/spikes_total", [](std::vector<double>& v) { v[3] = -7.5; })
                .find("/populations/GPe/spikes_total holds a count that is not a whole number >= 0"),
            std::string::npos);
  const SimulationConfig c = richConfig();
  std::string pending;  // a projection's with arrivals in flight
  for (const ProjectionSettings& p : c.projections)
    if (pending.empty() && !io::Hdf5Reader(checkpoint).doubles("/projections/" + p.name + "/pending").empty())
      pending = "/projections/" + p.name + "/pending";
  ASSERT_FALSE(pending.empty());
  EXPECT_NE(damaged(pending.c_str(),
                    [](std::vector<double>& v) {
                      ASSERT_GE(v.size(), 4u);
                      v[1] = 1e9;
                    })
                .find("pending holds an arrival at a neuron"),
            std::string::npos);
  EXPECT_NE(damaged(pending.c_str(),
                    [](std::vector<double>& v) {
                      ASSERT_GE(v.size(), 4u);
                      v[3] = std::numeric_limits<double>::quiet_NaN();
                    })
                .find("pending holds an arrival that is not a whole number of quanta"),
            std::string::npos);
  EXPECT_EQ(refusalOf(c, checkpoint), "");
}

// Values no run could have saved are refused at load, naming the dataset,
// not run until they diverge or written into a result: a non-finite value
// anywhere (a run stops at a non-finite state), a potential beyond ±10 V, a
// negative conductance, a release fraction outside [0, 1]. The undamaged
// checkpoint loads.
TEST(Checkpoint, ValuesNoRunCouldHaveSavedAreRefusedAtLoad) {
  TempDir dir;
  const std::string checkpoint = checkpointAt200ms(dir);
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  const struct {
    const char* dataset;
    double value;
    const char* why;
  } damages[] = {
      {"/populations/GPe/state_V", nan, "not finite"},
      {"/populations/GPe/state_V", 2e4, "beyond ±10 V"},
      {"/populations/STN/state_h", inf, "not finite"},
      {"/populations/GPe/ou", inf, "not finite"},
      {"/populations/GPi/lfp", nan, "not finite"},
      {"/populations/STN/isi_mean", nan, "not finite"},
      {"/projections/gpe_stn/g", nan, "not finite"},
      {"/projections/gpe_stn/g", -1e30, "negative conductance"},
      {"/projections/stn_gpe/release_u", 1.5, "out of range"},
  };
  for (const auto& damage : damages) {
    const std::string copy = (dir / "damaged.h5").string();
    std::filesystem::copy_file(checkpoint, copy, std::filesystem::copy_options::overwrite_existing);
    changeDataset(copy, damage.dataset, [&](hid_t set) {
      const hid_t space = H5Dget_space(set);
      std::vector<double> v(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
      H5Sclose(space);
      ASSERT_GE(v.size(), 4u);
      ASSERT_GE(H5Dread(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), 0);
      v[3] = damage.value;
      ASSERT_GE(H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), 0);
    });
    Simulation sim(richConfig());
    try {
      sim.restore(copy);
      ADD_FAILURE() << damage.dataset << " = " << damage.value << " was read";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(damage.dataset), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(damage.why), std::string::npos) << e.what();
    }
  }
  Simulation sim(richConfig());
  EXPECT_NO_THROW(sim.restore(checkpoint));
}

// Every value is sealed by its dataset's digest: a value changed since the
// checkpoint was written, even to one a run could have saved (a flipped
// bit), is refused naming the dataset; the checkpoint as written loads.
TEST(Checkpoint, AValueChangedSinceItWasWrittenIsRefused) {
  TempDir dir;
  const std::string checkpoint = checkpointAt200ms(dir);
  for (const char* dataset :
       {"/populations/GPe/state_V", "/populations/STN/spikes_total", "/projections/gpe_stn/g"}) {
    const std::string copy = (dir / "flipped.h5").string();
    std::filesystem::copy_file(checkpoint, copy, std::filesystem::copy_options::overwrite_existing);
    changeDataset(
        copy, dataset,
        [&](hid_t set) {
          const hid_t space = H5Dget_space(set);
          std::vector<double> v(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
          H5Sclose(space);
          ASSERT_GE(v.size(), 4u);
          ASSERT_GE(H5Dread(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), 0);
          std::uint64_t bits = 0;
          std::memcpy(&bits, &v[3], sizeof bits);
          bits ^= std::uint64_t(1) << 40;  // a mantissa bit: the value stays in range
          std::memcpy(&v[3], &bits, sizeof bits);
          ASSERT_GE(H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), 0);
        },
        true);
    const std::string refused = refusalOf(richConfig(), copy);
    EXPECT_NE(refused.find(std::string(dataset) + " holds other values than were written"), std::string::npos)
        << dataset << ": " << refused;
  }
  EXPECT_EQ(refusalOf(richConfig(), checkpoint), "");
}

// checkpoint.at_ms lists model times; a bad entry names the key.
TEST(Checkpoint, TimesAreParsedAndRoundedToExchanges) {
  EXPECT_EQ(checkpointTimes("100, 250.5,1e3"), (std::vector<double>{100, 250.5, 1000}));
  EXPECT_TRUE(checkpointTimes("").empty());
  EXPECT_TRUE(checkpointTimes(" ").empty());
  for (const char* bad : {"ten", "-5", "100 ms", "nan", "10,,15", "10, "}) {
    try {
      checkpointTimes(bad);
      ADD_FAILURE() << bad;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("checkpoint.at_ms"), std::string::npos) << e.what();
    }
  }
  SimulationConfig c;
  c.simulation.duration_ms = 100;
  c.checkpoint.at_ms = "0, 10, 10.01, 10.03, 99.99, 100, 150";
  c.checkpoint.every_ms = 40;
  // dt 0.025 ms: 10 ms is step 400 (and 10.01 ms the nearest step, 400;
  // 10.03 ms step 401); epochs of 40 steps; none at 0 or at the end.
  EXPECT_EQ(checkpointSteps(c, 40), (std::vector<step_type>{400, 440, 1600, 3200}));
}
