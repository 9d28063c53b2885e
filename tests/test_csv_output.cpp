// The CSV spike writer of builds without HDF5, tested in every build.

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "io/output_writer.hpp"
#include "tests/cli_helpers.hpp"

using namespace cbgtc;
using cbgtc::test::TempDir;

TEST(CsvOutput, WritesSpikesAndCommentsAndRenamesOnFinalize) {
  TempDir dir;
  const std::string path = (dir / "spikes.csv").string();
  {
    auto w = io::makeCsvOutput(path, false);
    w->writeAttributes({{"seed", "42"}, {"stn.gNa", "49"}});
    w->addSpikePopulation("STN");
    w->addSpikePopulation("GPe");
    w->appendSpikes("STN", {0.375, 23.7}, {0, 0});
    w->appendSpikes("GPe", {1.5}, {17});
    w->appendSpikes("STN", {}, {});
    w->addReport("STN", {0}, 0.0, 1.0, "V", "mV");  // dropped: not representable
    w->writeNumbers("/metrics/STN", {{"rate_hz", 20.0}, {"cv_isi", std::nan("")}});
    w->writeNumbers("/", {{"simulation.dt_ms", 0.025}});
    w->writeIntegers("/", {{"population.STN.n", 9007199254740993}});
    EXPECT_THROW(w->writeIntegers("/", {{"population.STN.n", 1}}), io::OutputError);
    EXPECT_TRUE(std::filesystem::exists(path + ".partial"));
    EXPECT_FALSE(std::filesystem::exists(path));
    w->finalize(500.0);
  }
  ASSERT_TRUE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
  const std::string text = cbgtc::test::slurp(path);
  EXPECT_NE(text.find("# seed = 42"), std::string::npos) << text;
  EXPECT_NE(text.find("timestamps population node_ids"), std::string::npos) << text;
  EXPECT_NE(text.find("# /metrics/STN/rate_hz = 20"), std::string::npos) << text;
  EXPECT_NE(text.find("# /metrics/STN/cv_isi = nan"), std::string::npos) << text;
  // Root numbers read like the text attributes: "# key = value".
  EXPECT_NE(text.find("\n# simulation.dt_ms = 0.025\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\n# population.STN.n = 9007199254740993\n"), std::string::npos) << text;
  // The data lines read back through the same reader the CLI tests use for
  // CSV builds.
  std::vector<std::pair<double, std::string>> rows;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#' || line.rfind("timestamps", 0) == 0) continue;
    std::istringstream f(line);
    double t;
    std::string pop;
    std::uint64_t id;
    ASSERT_TRUE(static_cast<bool>(f >> t >> pop >> id)) << line;
    rows.emplace_back(t, pop + ":" + std::to_string(id));
  }
  const std::vector<std::pair<double, std::string>> expected = {
      {0.375, "STN:0"}, {23.7, "STN:0"}, {1.5, "GPe:17"}};
  EXPECT_EQ(rows, expected);
}

TEST(CsvOutput, ExistingFileIsKeptAndUnfinishedFileRemoved) {
  TempDir dir;
  const std::string path = (dir / "spikes.csv").string();
  { std::ofstream(path) << "keep me"; }
  EXPECT_THROW(io::makeCsvOutput(path, false), io::OutputError);
  EXPECT_EQ(cbgtc::test::slurp(path), "keep me");
  {
    auto w = io::makeCsvOutput(path, true);
    w->addSpikePopulation("STN");
    w->appendSpikes("STN", {1.0}, {3});
  }  // destroyed without finalize
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
  EXPECT_EQ(cbgtc::test::slurp(path), "keep me");
  EXPECT_THROW(io::makeCsvOutput((dir / "no_such_dir" / "x.csv").string(), false), io::OutputError);
}

// The rules of writeDataset() are those of the HDF5 writer, numbers included.
TEST(CsvOutput, DatasetNumbersAreValidatedLikeHdf5) {
  TempDir dir;
  auto w = io::makeCsvOutput((dir / "x.csv").string(), false);
  EXPECT_NO_THROW(w->writeDataset("/lfp", "STN", {1.0}, {{"units", "pA"}}, {{"sampling_interval_ms", 1.0}}));
  EXPECT_THROW(w->writeDataset("/lfp", "GPe", {1.0}, {{"units", "pA"}}, {{"units", 1.0}}), io::OutputError);
  EXPECT_THROW(w->writeDataset("/lfp", "GPi", {1.0}, {}, {{"", 1.0}}), io::OutputError);
}
