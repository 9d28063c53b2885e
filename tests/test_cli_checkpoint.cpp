// Checkpoints through the command line: SIGTERM with checkpoint.on_signal
// leaves a checkpoint that continues to the whole run's result; a restart
// with other physics, and checkpoint files that may not be written, are
// one line and exit 2 before anything is written.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "tests/cli_helpers.hpp"
#include "tests/hdf5_read.hpp"

using namespace cbgtc::test;

#ifdef CBGTC_ENABLE_HDF5

TEST(CliCheckpoint, SigtermLeavesACheckpointThatContinuesTheRun) {
  TempDir dir;
  const auto stopped_file = (dir / "stopped.h5").string(), checkpoint = (dir / "state.h5").string();
  const std::string deck = inputDeck("default.ini");
  const auto log = (dir / "run.log").string();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string out = "--output.file=" + stopped_file, ck = "--checkpoint.file=" + checkpoint;
    freopen(log.c_str(), "w", stdout);
    execl(CBGTC_EXE, CBGTC_EXE, "--config", deck.c_str(), "--simulation.duration_ms=600000", out.c_str(),
          ck.c_str(), "--checkpoint.on_signal=true", "--output.progress_interval_s=0.1",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // The signal must come while the run steps, not while it builds the
  // network (a loaded machine can take seconds): wait for the first
  // progress line, which is flushed.
  const auto stepping = [&] {
    std::ifstream in(log);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.find("Model time:") != std::string::npos;
  };
  for (int i = 0; i < 1200 && !stepping(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (!stepping()) {  // leave no 600 s run behind
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    FAIL() << "no progress line within 60 s";
  }
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
  ASSERT_TRUE(std::filesystem::exists(checkpoint));
  const double at_ms = readDoubleAttribute(checkpoint, "/checkpoint", "t_ms");
  EXPECT_EQ(at_ms, readDoubleAttribute(stopped_file, "/", "stopped_at_ms"));

  // The whole run to a little past the stop, and the continuation to there.
  const std::string until =
      "--simulation.duration_ms=" + std::to_string(static_cast<long long>(std::ceil(at_ms)) + 100);
  const auto whole = (dir / "whole.h5").string(), continued = (dir / "continued.h5").string();
  RunResult r = runCbgtc("--config '" + deck + "' " + until + " --output.file='" + whole + "'", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = runCbgtc("--config '" + deck + "' " + until + " --restart='" + checkpoint + "' --output.file='" +
                   continued + "'",
               dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("continuing from"), std::string::npos) << r.out;
  EXPECT_EQ(readStringAttribute(continued, "/", "restarted_from"), checkpoint);
  // Where its spikes begin: a reader tells the first part's time from silence by it.
  EXPECT_EQ(readDoubleAttribute(continued, "/", "restarted_at_ms"), at_ms);
  // Its spikes start at the checkpoint: a replay of them would be silent before it.
  const RunResult replay = runCbgtc(
      "--config '" + deck + "' --population.R.model=spike_times --population.R.n=100" +
          " --population.R.spike_population=STN --population.R.spike_file='" + continued + "' --validate",
      dir);
  EXPECT_EQ(replay.exit_code, 2) << replay.out;
  EXPECT_NE(replay.err.find("population.R.spike_file: '" + continued + "' is the file of a run continued"),
            std::string::npos)
      << replay.err;
  for (const char* pop : {"STN", "GPe", "GPi"}) {
    const Spikes all = readSpikes(whole, pop), rest = readSpikes(continued, pop);
    std::vector<double> times;
    for (double t : all.times_ms)
      if (t >= at_ms) times.push_back(t);
    ASSERT_FALSE(times.empty()) << pop;
    EXPECT_EQ(rest.times_ms, times) << pop;
    EXPECT_EQ(readDoubles(continued, std::string("/lfp/") + pop),
              readDoubles(whole, std::string("/lfp/") + pop));
  }
}

// checkpoint.append: the continued run's files replace the first run's and
// hold the whole run, as if it had never stopped: spikes, LFP, the
// voltage report and a [record] file.
TEST(CliCheckpoint, AppendedFilesHoldTheWholeRun) {
  TempDir dir;
  const std::string deck = "--config '" + inputDeck("default.ini") +
                           "' --output.v_neurons=3"
                           " --record.gv.population=GPe --record.gv.variables='V, w' --record.gv.count=4"
                           " --record.gv.interval_ms=0.5";
  const auto whole = (dir / "whole.h5").string(), run = (dir / "run.h5").string();
  const auto checkpoint = (dir / "state.h5").string();
  ASSERT_EQ(runCbgtc(deck + " --simulation.duration_ms=250 --output.file='" + whole + "'", dir).exit_code, 0);
  // The first part stops at 180 ms; its checkpoint is at 137 ms (rounded up
  // to an exchange), so its spikes after that are replaced.
  RunResult r = runCbgtc(deck + " --simulation.duration_ms=180 --checkpoint.file='" + checkpoint +
                             "' --checkpoint.at_ms=137 --output.file='" + run + "'",
                         dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Another run's file at that path, or none, is refused and left as it is.
  const auto other = (dir / "other.h5").string();
  ASSERT_EQ(
      runCbgtc(deck + " --simulation.seed=43 --simulation.duration_ms=180 --output.file='" + other + "'", dir)
          .exit_code,
      0);
  const std::string other_bytes = slurp(other);
  // (and a copy of the first part's file cut short, as by a full disk)
  const auto truncated = (dir / "truncated.h5").string();
  std::ofstream(truncated, std::ios::binary) << slurp(run).substr(0, 2000);
  for (const auto& [file, expected] :
       {std::pair<std::string, std::string>{other, "is not the output of the run that wrote"},
        {(dir / "none.h5").string(), "does not exist"},
        {truncated, "', and '" + truncated + "' cannot be read ("}}) {
    r = runCbgtc(deck + " --simulation.duration_ms=250 --restart='" + checkpoint +
                     "' --checkpoint.append=true --output.file='" + file + "'",
                 dir);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
  }
  EXPECT_EQ(slurp(other), other_bytes);
  EXPECT_FALSE(std::filesystem::exists(dir / "none.h5"));
  // Reports that the continued run would sample otherwise (rows copied
  // from the first part would carry this run's times), of other cells, and
  // an output file that is the checkpoint itself: refused before the run,
  // the files as they were.
  const std::string run_bytes = slurp(run), checkpoint_bytes = slurp(checkpoint);
  const auto changed = [&](const std::string& from, const std::string& to) {
    std::string d = deck;
    d.replace(d.find(from), from.size(), to);
    return d;
  };
  const std::string continued =
      " --simulation.duration_ms=250 --restart='" + checkpoint + "' --checkpoint.append=true";
  const std::string into_run = " --output.file='" + run + "'";
  for (const auto& [command, expected] :
       {std::pair<std::string, std::string>{deck + continued + into_run + " --output.v_every_steps=41",
                                            "is sampled every 1 ms, this run every 1.025 ms"},
        {changed("v_neurons=3", "v_neurons=2") + continued + into_run, "has other cells than this run's"},
        // (the first part's spikes would be gone from the file that replaces it)
        {deck + continued + into_run + " --output.spikes=false",
         " ms, which this run would drop (output.spikes = false)"},
        {deck + continued + " --output.file='" + checkpoint + "'", "is the checkpoint this run continues"}}) {
    r = runCbgtc(command, dir);
    EXPECT_EQ(r.exit_code, 2) << command << ": " << r.err;
    EXPECT_NE(r.err.find(expected), std::string::npos) << command << ": " << r.err;
  }
  EXPECT_EQ(slurp(run), run_bytes);
  EXPECT_EQ(slurp(checkpoint), checkpoint_bytes);
  r = runCbgtc(deck + " --simulation.duration_ms=250 --restart='" + checkpoint +
                   "' --checkpoint.append=true --output.overwrite=false" +
                   " --output.file='" + run + "'",
               dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* pop : {"STN", "GPe", "GPi"}) {
    const Spikes a = readSpikes(whole, pop), b = readSpikes(run, pop);
    EXPECT_EQ(b.times_ms, a.times_ms) << pop;
    EXPECT_EQ(b.node_ids, a.node_ids) << pop;
    EXPECT_EQ(readDoubles(run, std::string("/lfp/") + pop), readDoubles(whole, std::string("/lfp/") + pop)) << pop;
    EXPECT_EQ(readFloats(run, std::string("/report/") + pop + "/data"),
              readFloats(whole, std::string("/report/") + pop + "/data"))
        << pop;
  }
  for (const char* variable : {"V", "w"}) {
    const auto file = [&](const std::string& stem) { return (dir / (stem + "_gv_" + variable + ".h5")).string(); };
    const std::vector<float> a = readFloats(file("whole"), "/report/GPe/data");
    EXPECT_EQ(a.size(), 500u * 4) << variable;
    EXPECT_EQ(readFloats(file("run"), "/report/GPe/data"), a) << variable;
  }
  EXPECT_EQ(readStringAttribute(run, "/", "complete"), "true");
  EXPECT_EQ(readDoubleAttribute(run, "/", "restarted_at_ms"),
            readDoubleAttribute(checkpoint, "/checkpoint", "t_ms"));
  // An appended file holds the whole run: it may be replayed.
  EXPECT_EQ(
      runCbgtc(
          deck +
              " --population.R.model=spike_times --population.R.n=100 --population.R.spike_population=STN" +
              " --population.R.spike_file='" + run + "' --validate",
          dir)
          .exit_code,
      0);
}

// checkpoint.append: a continued run stopped short of where the first part's
// file reaches leaves that file as it was (it holds all the continuation
// would, and more), and leaves no file of its own.
TEST(CliCheckpoint, AStoppedContinuationKeepsTheFileItWouldHaveReplaced) {
  TempDir dir;
  const std::string deck = inputDeck("default.ini");
  const auto run = (dir / "run.h5").string(), checkpoint = (dir / "state.h5").string();
  const std::string out = "--output.file=" + run;
  RunResult r = runCbgtc("--config '" + deck + "' --simulation.duration_ms=10000 --checkpoint.file='" +
                             checkpoint + "' --checkpoint.at_ms=200 " + out,
                         dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string before = slurp(run);
  const auto log = (dir / "run.log").string(), err = (dir / "run.err").string();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    freopen(log.c_str(), "w", stdout);
    freopen(err.c_str(), "w", stderr);
    const std::string restart = "--restart=" + checkpoint;
    execl(CBGTC_EXE, CBGTC_EXE, "--config", deck.c_str(), "--simulation.duration_ms=10000", out.c_str(),
          restart.c_str(), "--checkpoint.append=true", "--output.progress_interval_s=0.05",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto stepping = [&] { return slurp(log).find("Model time:") != std::string::npos; };
  for (int i = 0; i < 1200 && !stepping() && waitpid(pid, nullptr, WNOHANG) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM) << slurp(err);
  EXPECT_NE(slurp(err).find("'" + run + "', which reaches 10000 ms, is kept as it was"), std::string::npos)
      << slurp(err);
  EXPECT_TRUE(slurp(run) == before) << "the first part's file changed";
  EXPECT_FALSE(std::filesystem::exists(run + ".partial"));
}

// An ensemble continues one checkpoint in each of its runs, a grid over a
// stimulus that has not started yet: each run's file is the single
// continuation's with that value (docs/checkpoint.md).
// The documented continuation without a new output.file would replace the
// first part's complete output (every shipped deck sets overwrite) with its
// own, which starts at the checkpoint.
TEST(CliCheckpoint, AContinuationDoesNotReplaceTheFirstPartsOutput) {
  TempDir dir;
  const std::string deck = "--config '" + inputDeck("default.ini") + "' --simulation.duration_ms=100 " +
                           "--output.overwrite=true --checkpoint.file='" + (dir / "state.h5").string() + "'";
  const std::string first = (dir / "first.h5").string(), second = (dir / "second.h5").string();
  RunResult r = runCbgtc(deck + " --checkpoint.at_ms=50 --output.file='" + first + "'", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string before = slurp(first);
  const std::string restart = " --restart='" + (dir / "state.h5").string() + "'";
  r = runCbgtc(deck + restart + " --output.file='" + first + "'", dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("output.file: '" + first + "' is the output of the run that wrote"), std::string::npos)
      << r.err;
  EXPECT_EQ(slurp(first), before);
  // Into a file of its own, twice: the second try replaces the first's.
  for (int attempt = 0; attempt < 2; ++attempt) {
    r = runCbgtc(deck + restart + " --output.file='" + second + "'", dir);
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  // And checkpoint.append continues the first part's file.
  r = runCbgtc(deck + restart + " --checkpoint.append=true --output.file='" + first + "'", dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(CliCheckpoint, AnEnsembleSweepsAStimulusFromOneCheckpoint) {
  TempDir dir;
  const std::string deck = "--config '" + inputDeck("default.ini") +
                           "' --stimulus.dbs.kind=pulse_train --stimulus.dbs.population=STN"
                           " --stimulus.dbs.start_ms=60 --stimulus.dbs.amplitude=40 --analysis.burn_in_ms=60";
  const auto checkpoint = (dir / "warm.h5").string();
  RunResult r = runCbgtc(deck + " --simulation.duration_ms=61 --checkpoint.file='" + checkpoint +
                             "' --checkpoint.at_ms=60 --output.file='" + (dir / "warm_run.h5").string() + "'",
                         dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string continued = deck + " --simulation.duration_ms=160 --restart='" + checkpoint + "'";
  r = runCbgtc(continued + " --ensemble.grid='stimulus.dbs.frequency_hz = 60, 130'" + " --output.file='" +
                   (dir / "sweep.h5").string() + "'",
               dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir / "sweep_ensemble.tsv"));
  std::vector<double> stn_spikes;
  for (const char* hz : {"60", "130"}) {
    const auto single = (dir / (std::string("single_") + hz + ".h5")).string();
    r = runCbgtc(continued + " --stimulus.dbs.frequency_hz=" + hz + " --output.file='" + single + "'", dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto run = (dir / (std::string("sweep_") + (hz[0] == '6' ? "0" : "1") + ".h5")).string();
    for (const char* pop : {"STN", "GPe", "GPi"}) {
      const Spikes a = readSpikes(single, pop), b = readSpikes(run, pop);
      EXPECT_EQ(b.times_ms, a.times_ms) << pop << " at " << hz << " Hz";
      EXPECT_EQ(b.node_ids, a.node_ids) << pop << " at " << hz << " Hz";
    }
    stn_spikes.push_back(static_cast<double>(readSpikes(run, "STN").times_ms.size()));
  }
  EXPECT_NE(stn_spikes[0], stn_spikes[1]);  // the runs differ: each took its own value
}

TEST(CliCheckpoint, RefusalsAreOneLineBeforeAnythingIsWritten) {
  TempDir dir;
  const std::string deck = "--config '" + inputDeck("default.ini") + "' --simulation.duration_ms=100";
  const auto checkpoint = (dir / "state.h5").string();
  RunResult r = runCbgtc(deck + " --checkpoint.file='" + checkpoint +
                             "' --checkpoint.at_ms=50 --output.file='" + (dir / "a.h5").string() + "'",
                         dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int calls = 0;
  const auto refused = [&](const std::string& args, const std::string& expected) {
    const auto out = (dir / ("refused" + std::to_string(++calls) + ".h5")).string();
    const RunResult x = runCbgtc(args + " --output.file='" + out + "'", dir);
    EXPECT_EQ(x.exit_code, 2) << args << "\n" << x.err;
    EXPECT_NE(x.err.find(expected), std::string::npos) << x.err;
    // One error line (a Kokkos OpenMP build may add its own start-up notes).
    std::size_t errors = 0;
    for (std::size_t at = x.err.find("cbgtc: "); at != std::string::npos; at = x.err.find("cbgtc: ", at + 1))
      ++errors;
    EXPECT_EQ(errors, 1u) << x.err;
    EXPECT_EQ(x.err.back(), '\n');
    EXPECT_FALSE(std::filesystem::exists(out)) << args;
    EXPECT_FALSE(std::filesystem::exists(out + ".partial")) << args;
  };
  // Other physics: the key is named.
  refused(deck + " --population.GPe.b=1 --restart='" + checkpoint + "'", "population.GPe.b");
  // Not a checkpoint, or none there.
  refused(deck + " --restart='" + (dir / "a.h5").string() + "'", "not a cbgtc checkpoint");
  refused(deck + " --restart='" + (dir / "none.h5").string() + "'", "none.h5");
  // An existing checkpoint file is not replaced without output.overwrite.
  refused(deck + " --output.overwrite=false --checkpoint.file='" + checkpoint + "' --checkpoint.at_ms=50",
          "state.h5");
  // Keys that need a file, and ensembles.
  refused(deck + " --checkpoint.every_ms=10", "checkpoint.file");
  refused(deck + " --checkpoint.at_ms=ten --checkpoint.file=x.h5", "checkpoint.at_ms");
  // A time the run never reaches would never be written.
  refused(deck + " --checkpoint.at_ms=150 --checkpoint.file=x.h5",
          "simulation.duration_ms = 100): ask for at most 95 ms");
  // ... nor one that rounds up to the run's end (exchanges every 5 ms: the
  // smallest delay), nor one at its start: they would be dropped without a word.
  refused(deck + " --checkpoint.at_ms=97 --checkpoint.file=x.h5",
          "rounds up to the spike exchange at 100 ms (spike exchanges every 5 ms), which is not before the "
          "run's end "
          "(simulation.duration_ms = 100): ask for at most 95 ms");
  refused(deck + " --checkpoint.at_ms=0 --checkpoint.file=x.h5",
          "0 ms is the run's start, where no spike exchange has been: ask for at least 5 ms");
  // --validate checks the checkpoint's time too (it would say "valid").
  refused("--config '" + inputDeck("default.ini") + "' --simulation.duration_ms=40 --restart='" + checkpoint +
              "' --validate",
          "its time (50 ms) is not before simulation.duration_ms");
  refused(deck + " --checkpoint.at_ms=1e-9 --checkpoint.file=x.h5", "1e-09 ms rounds to the run's start");
  // An interval shorter than the exchanges would ask for a checkpoint list
  // of 1e11 entries, until the memory runs out.
  refused(deck + " --checkpoint.every_ms=1e-9 --checkpoint.file=x.h5",
          "checkpoint.every_ms (1e-09 ms) is shorter than the 5 ms between spike exchanges");
  // An ensemble's runs continue the checkpoint each, with its physics.
  refused(deck + " --ensemble.seeds=42-43 --restart='" + checkpoint + "'", "ensemble run 1: simulation.seed");
  refused(deck + " --ensemble.seeds=42-43 --ensemble.replicas=2 --restart='" + checkpoint + "'",
          "ensemble.replicas must be 1");
  refused(deck + " --checkpoint.append=true", "give --restart");
  // The output file under another spelling (the run would fail at the checkpoint, its file incomplete).
  const std::string next = "refused" + std::to_string(calls + 1) + ".h5";
  refused(deck + " --checkpoint.at_ms=50 --checkpoint.file='" + (dir / "." / next).string() + "'",
          "checkpoint.file must differ from output.file");
  // A checkpoint on a file the run writes anyway.
  const auto report = (dir / "report.h5").string();
  refused(deck + " --record.r.population=STN --record.r.count=1 --record.r.file='" + report +
              "' --checkpoint.at_ms=50 --checkpoint.file='" + report + "'",
          "checkpoint.file");
  EXPECT_FALSE(std::filesystem::exists(report));
  // The checkpoint it continues from may be replaced by the continued run's.
  r = runCbgtc(deck + " --output.overwrite=false --restart='" + checkpoint + "' --checkpoint.file='" + checkpoint +
                   "' --checkpoint.at_ms=80 --output.file='" + (dir / "b.h5").string() + "'",
               dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GE(readDoubleAttribute(checkpoint, "/checkpoint", "t_ms"), 80.0);
}

#endif
