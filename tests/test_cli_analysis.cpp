// Analyses across runs through the command line: beta bursts counted at
// another run's envelope threshold (analysis.burst_threshold_file), so that
// two conditions compare at one threshold (docs/model.md §7.5).
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>

#include "tests/cli_helpers.hpp"
#include "tests/hdf5_read.hpp"

using namespace cbgtc::test;

#ifdef CBGTC_ENABLE_HDF5

namespace {

std::string shortRun(const std::string& file) {
  return "--config " + quoted(inputDeck("default.ini")) +
         " --simulation.duration_ms=1500 --analysis.comodulogram=false --analysis.pac_surrogates=0"
         " --output.file=" +
         quoted(file);
}

double metric(const std::string& file, const std::string& population, const std::string& name) {
  return readDoubleAttribute(file, "/metrics/" + population, name);
}

}  // namespace

// The same run at its own threshold, read back from its file, counts the
// same bursts; a run with another percentile counts at the file's threshold
// and so finds the first run's bursts, where its own percentile moves them.
// The reference counts at the median envelope with 20 ms bursts, so that
// every population has some to compare.
TEST(CliAnalysis, BurstsAtAnotherRunsThreshold) {
  TempDir dir;
  const std::string a = (dir / "a.h5").string(), b = (dir / "b.h5").string(), c = (dir / "c.h5").string(),
                    d = (dir / "d.h5").string();
  const std::string bursts = " --analysis.burst_min_duration_ms=20";
  ASSERT_EQ(runCbgtc(shortRun(a) + bursts + " --analysis.burst_percentile=50", dir).exit_code, 0);
  const std::string reference = " --analysis.burst_threshold_file=" + quoted(a);
  ASSERT_EQ(runCbgtc(shortRun(b) + bursts + reference + " --analysis.burst_percentile=50", dir).exit_code, 0);
  ASSERT_EQ(runCbgtc(shortRun(c) + bursts + reference, dir).exit_code, 0);
  ASSERT_EQ(runCbgtc(shortRun(d) + bursts, dir).exit_code, 0);
  for (const char* pop : {"STN", "GPe", "GPi"}) {
    const double threshold = metric(a, pop, "beta_burst_threshold");
    ASSERT_GT(threshold, 0) << pop;
    const std::string starts = "/metrics/" + std::string(pop) + "/beta_burst_start_ms";
    ASSERT_GT(readDoubles(a, starts).size(), 1u) << pop;
    for (const std::string& run : {b, c}) {
      EXPECT_EQ(metric(run, pop, "beta_burst_threshold"), threshold) << pop << " " << run;
      EXPECT_EQ(metric(run, pop, "beta_burst_rate_hz"), metric(a, pop, "beta_burst_rate_hz"))
          << pop << " " << run;
      EXPECT_EQ(readDoubles(run, starts), readDoubles(a, starts)) << pop << " " << run;
    }
    // Its own 75th percentile: a higher threshold, other bursts.
    EXPECT_GT(metric(d, pop, "beta_burst_threshold"), threshold) << pop;
    EXPECT_NE(readDoubles(d, starts), readDoubles(a, starts)) << pop;
  }
}

// A file without a population's threshold, or no HDF5 file at all: one
// line naming the key, before anything is written.
TEST(CliAnalysis, AReferenceWithoutThePopulationIsRefused) {
  TempDir dir;
  const std::string gpi_only = (dir / "gpi.h5").string();
  ASSERT_EQ(runCbgtc("--config " + quoted(inputDeck("single_gpi.ini")) +
                         " --simulation.duration_ms=300 --output.file=" + quoted(gpi_only),
                     dir)
                .exit_code,
            0);
  const std::string out = (dir / "out.h5").string();
  RunResult r = runCbgtc(shortRun(out) + " --analysis.burst_threshold_file=" + quoted(gpi_only), dir);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("analysis.burst_threshold_file"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/metrics/STN@beta_burst_threshold"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  // A population of another size: its proxy, a sum over neurons, is of another scale.
  const std::string full = (dir / "full.h5").string();
  ASSERT_EQ(runCbgtc(shortRun(full), dir).exit_code, 0);
  r = runCbgtc(shortRun(out) + " --population.GPe.n=100 --analysis.burst_threshold_file=" + quoted(full),
               dir);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("GPe has 200 neurons, this run's 100"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  r = runCbgtc(shortRun(out) + " --analysis.burst_threshold_file=" + quoted(inputDeck("default.ini")), dir);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("analysis.burst_threshold_file"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  // A negative threshold, which no envelope's percentile is.
  const std::string negative = (dir / "negative.h5").string();
  std::filesystem::copy_file(full, negative);
  {
    const hid_t file = H5Fopen(negative.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    const hid_t group = H5Gopen2(file, "/metrics/STN", H5P_DEFAULT);
    ASSERT_GE(group, 0);
    ASSERT_GE(H5Adelete(group, "beta_burst_threshold"), 0);
    const hid_t scalar = H5Screate(H5S_SCALAR);
    const hid_t attribute =
        H5Acreate2(group, "beta_burst_threshold", H5T_NATIVE_DOUBLE, scalar, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(attribute, 0);
    const double value = -5;
    ASSERT_GE(H5Awrite(attribute, H5T_NATIVE_DOUBLE, &value), 0);
    H5Aclose(attribute);
    H5Sclose(scalar);
    H5Gclose(group);
    H5Fclose(file);
  }
  r = runCbgtc(shortRun(out) + " --analysis.burst_threshold_file=" + quoted(negative), dir);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("/metrics/STN@beta_burst_threshold"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("negative"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

// analysis.end_ms: a run analysed up to 700 ms of its 1500, with pulses
// into the STN from 700 ms on, has every metric of a 700 ms run without
// them, bit for bit (the spikes counted, the LFP decimated as that run's,
// the synchrony's samples); a window's end before its start is refused.
TEST(CliAnalysis, AnAnalysedWindowEndsBeforeTheRun) {
  TempDir dir;
  const std::string window = (dir / "window.h5").string(), shorter = (dir / "short.h5").string();
  const auto run = [&](const std::string& file, const std::string& extra) {
    return runCbgtc("--config " + quoted(inputDeck("default.ini")) +
                        " --analysis.pac_surrogates=0 --output.file=" + quoted(file) + " " + extra,
                    dir);
  };
  RunResult r =
      run(window,
          "--simulation.duration_ms=1500 --analysis.end_ms=700 --stimulus.dbs.kind=pulse_train"
          " --stimulus.dbs.population=STN --stimulus.dbs.amplitude=300 --stimulus.dbs.start_ms=700");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run(shorter, "--simulation.duration_ms=700");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* pop : {"STN", "GPe", "GPi"}) {
    const std::string group = std::string("/metrics/") + pop;
    EXPECT_EQ(metric(window, pop, "analysed_ms"), 500.0) << pop;
    EXPECT_GT(metric(window, pop, "synchrony_chi"), 0.0) << pop;
    for (const std::string& name : readAttributeNames(shorter, group)) {
      const double a = metric(shorter, pop, name), b = metric(window, pop, name);
      EXPECT_TRUE(std::memcmp(&a, &b, sizeof a) == 0) << pop << " " << name << ": " << b << " against " << a;
    }
    for (const char* dataset : {"/psd", "/comodulogram"}) {  // (NaN cells where the bands meet)
      const auto a = readDoubles(shorter, group + dataset), b = readDoubles(window, group + dataset);
      ASSERT_EQ(a.size(), b.size()) << pop << dataset;
      EXPECT_TRUE(std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0) << pop << dataset;
    }
  }
  // The stimulus is the run's: the whole LFP proxy is written.
  EXPECT_GT(readDims(window, "/lfp/STN").at(0), readDims(shorter, "/lfp/STN").at(0));
  const std::string out = (dir / "out.h5").string();
  r = runCbgtc(shortRun(out) + " --analysis.end_ms=100", dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("analysis.end_ms (100) must be after analysis.burn_in_ms (200)"), std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

#endif
