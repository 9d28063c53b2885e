// Tests of the SONATA (HDF5) output writer: file layout read back through the
// HDF5 C API, and the .partial / rename / overwrite rules.

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/hdf5_output.hpp"
#include "io/output_writer.hpp"
#include "tests/hdf5_read.hpp"

namespace cbgtc::io {
namespace {

namespace fs = std::filesystem;
using test::isSameObject;
using test::objectExists;
using test::readDims;
using test::readDoubles;
using test::readEnumAttributeMembers;
using test::readEnumAttributeName;
using test::readEnumAttributeValue;
using test::readFloats;
using test::readStringAttribute;
using test::readU32;
using test::readU32Attribute;
using test::readU64;

std::string readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void writeBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

class Hdf5OutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::path(::testing::TempDir()) / "cbgtc_hdf5_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << "cannot create temp dir " << pattern;
    _dir = pattern;
  }

  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(_dir, ignored);
  }

  std::string file(const std::string& name) const { return (fs::path(_dir) / name).string(); }

  std::string _dir;
};

TEST_F(Hdf5OutputTest, RoundTripKeepsLayoutAndValues) {
  const std::string path = file("run.h5");
  const AttributeList attributes = {
      {"stn.gNa", "49"}, {"run.seed", "12345"}, {"provenance.note", "ünïcode ✓"}, {"empty", ""}};
  const std::vector<std::uint64_t> report_ids = {5, 9, 2};
  // Rows of [5 x 3], appended as 2 + 3 rows.
  const std::vector<float> report_rows = {-65.0f, -64.5f, -70.25f, -60.0f, 10.125f, -71.0f,
                                          -59.5f, 20.0f,  -72.0f,  -58.0f, -1e-3f,  -73.5f,
                                          -57.0f, 30.0f,  1e6f};
  {
    Hdf5Output out(path, false);
    EXPECT_EQ(out.path(), path);
    EXPECT_EQ(out.partialPath(), path + ".partial");
    out.writeAttributes(attributes);
    out.addSpikePopulation("STN");
    out.addSpikePopulation("GPe");
    out.addReport("STN", report_ids, 0.5, 0.25);
    out.appendSpikes("STN", {0.1, 0.1, 2.5}, {3, 7, 0});
    out.appendSpikes("GPe", {}, {});
    out.appendSpikes("STN", {}, {});
    out.appendSpikes("GPe", {}, {});
    out.appendReport("STN", report_rows.data(), 2);
    out.appendSpikes("STN", {2.5, 7.125}, {1, 18446744073709551615ull});
    out.appendSpikes("GPe", {}, {});
    out.appendReport("STN", report_rows.data() + 2 * 3, 3);
    out.finalize(1.75);
  }

  EXPECT_EQ(readU32Attribute(path, "/", "magic"), std::vector<std::uint32_t>{0x0A7A});
  EXPECT_EQ(readU32Attribute(path, "/", "version"), (std::vector<std::uint32_t>{0, 1}));
  for (const auto& [key, value] : attributes) {
    EXPECT_EQ(readStringAttribute(path, "/", key), value) << key;
  }

  EXPECT_EQ(readDoubles(path, "/spikes/STN/timestamps"),
            (std::vector<double>{0.1, 0.1, 2.5, 2.5, 7.125}));
  EXPECT_EQ(readU64(path, "/spikes/STN/node_ids"),
            (std::vector<std::uint64_t>{3, 7, 0, 1, 18446744073709551615ull}));
  EXPECT_EQ(readStringAttribute(path, "/spikes/STN/timestamps", "units"), "ms");
  EXPECT_EQ(readDims(path, "/spikes/GPe/timestamps"), std::vector<std::uint64_t>{0});
  EXPECT_EQ(readDims(path, "/spikes/GPe/node_ids"), std::vector<std::uint64_t>{0});
  EXPECT_TRUE(readDoubles(path, "/spikes/GPe/timestamps").empty());
  EXPECT_TRUE(readU64(path, "/spikes/GPe/node_ids").empty());
  EXPECT_EQ(readStringAttribute(path, "/spikes/GPe/timestamps", "units"), "ms");
  for (const std::string population : {"STN", "GPe"}) {
    const std::string group = "/spikes/" + population;
    EXPECT_EQ(readEnumAttributeValue(path, group, "sorting"), 2) << population;
    EXPECT_EQ(readEnumAttributeName(path, group, "sorting"), "by_time") << population;
    EXPECT_EQ(readEnumAttributeMembers(path, group, "sorting"),
              (std::map<std::string, int>{{"none", 0}, {"by_id", 1}, {"by_time", 2}}));
  }

  std::vector<std::uint64_t> dims;
  EXPECT_EQ(readFloats(path, "/report/STN/data", &dims), report_rows);
  EXPECT_EQ(dims, (std::vector<std::uint64_t>{5, 3}));
  EXPECT_EQ(readStringAttribute(path, "/report/STN/data", "units"), "mV");
  EXPECT_EQ(readU64(path, "/report/STN/mapping/node_ids"), report_ids);
  const std::vector<std::uint64_t> pointers = {0, 1, 2, 3};
  EXPECT_EQ(readU64(path, "/report/STN/mapping/index_pointers"), pointers);
  EXPECT_EQ(readU64(path, "/report/STN/mapping/index_pointer"), pointers);
  EXPECT_TRUE(isSameObject(path, "/report/STN/mapping/index_pointers",
                           "/report/STN/mapping/index_pointer"));
  EXPECT_FALSE(isSameObject(path, "/report/STN/mapping/index_pointers",
                            "/report/STN/mapping/node_ids"));
  EXPECT_EQ(readU32(path, "/report/STN/mapping/element_ids"),
            (std::vector<std::uint32_t>{0, 0, 0}));
  EXPECT_EQ(readDoubles(path, "/report/STN/mapping/time"), (std::vector<double>{0.5, 1.75, 0.25}));
  EXPECT_EQ(readStringAttribute(path, "/report/STN/mapping/time", "units"), "ms");
  EXPECT_FALSE(objectExists(path, "/report/GPe"));
}

TEST_F(Hdf5OutputTest, HelpersRejectWrongTypes) {
  const std::string path = file("types.h5");
  {
    Hdf5Output out(path, false);
    out.addSpikePopulation("STN");
    out.appendSpikes("STN", {1.0}, {2});
    out.finalize(2.0);
  }
  // Guards the strictness the round trip relies on: a float64 dataset read as
  // float32 (or uint64 as float64) must fail, not convert.
  EXPECT_THROW(readFloats(path, "/spikes/STN/timestamps"), std::runtime_error);
  EXPECT_THROW(readDoubles(path, "/spikes/STN/node_ids"), std::runtime_error);
  EXPECT_THROW(readStringAttribute(path, "/", "magic"), std::runtime_error);
  EXPECT_THROW(readEnumAttributeValue(path, "/", "magic"), std::runtime_error);
  EXPECT_THROW(readDoubles(path, "/spikes/missing"), std::runtime_error);
}

TEST_F(Hdf5OutputTest, UnsortedSpikesAreNotClaimedSortedByTime) {
  const std::string path = file("unsorted.h5");
  {
    Hdf5Output out(path, false);
    out.addSpikePopulation("STN");
    out.appendSpikes("STN", {1.0, 3.0}, {0, 1});
    out.appendSpikes("STN", {2.0}, {2});
    out.finalize(4.0);
  }
  EXPECT_EQ(readEnumAttributeValue(path, "/spikes/STN", "sorting"), 0);
  EXPECT_EQ(readDoubles(path, "/spikes/STN/timestamps"), (std::vector<double>{1.0, 3.0, 2.0}));
}

TEST_F(Hdf5OutputTest, LargeAppendsCrossChunkBoundaries) {
  const std::string path = file("large.h5");
  // More than one 64Ki chunk of spikes, and a report wider than one chunk.
  const std::size_t n_spikes = 200003;
  const std::size_t n_cells = 70001;
  const std::size_t n_rows = 3;
  std::vector<double> all_times(n_spikes);
  std::vector<std::uint64_t> all_ids(n_spikes);
  for (std::size_t i = 0; i < n_spikes; ++i) {
    all_times[i] = 0.025 * static_cast<double>(i);
    all_ids[i] = (i * 7919) % 100000;
  }
  std::vector<std::uint64_t> cell_ids(n_cells);
  std::vector<float> rows(n_cells * n_rows);
  for (std::size_t i = 0; i < n_cells; ++i) cell_ids[i] = 2 * i;
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<float>(i) * 0.5f;
  {
    Hdf5Output out(path, false);
    out.addSpikePopulation("big");
    out.addReport("big", cell_ids, 0.0, 0.1);
    std::size_t begin = 0;
    for (const std::size_t size : {std::size_t{1}, std::size_t{65535}, std::size_t{100000},
                                   n_spikes - 165536}) {
      out.appendSpikes("big",
                       std::vector<double>(all_times.begin() + begin,
                                           all_times.begin() + begin + size),
                       std::vector<std::uint64_t>(all_ids.begin() + begin,
                                                  all_ids.begin() + begin + size));
      begin += size;
    }
    out.appendReport("big", rows.data(), 1);
    out.appendReport("big", rows.data() + n_cells, 2);
    out.finalize(0.3);
  }
  EXPECT_EQ(readDoubles(path, "/spikes/big/timestamps"), all_times);
  EXPECT_EQ(readU64(path, "/spikes/big/node_ids"), all_ids);
  std::vector<std::uint64_t> dims;
  EXPECT_EQ(readFloats(path, "/report/big/data", &dims), rows);
  EXPECT_EQ(dims, (std::vector<std::uint64_t>{n_rows, n_cells}));
  EXPECT_EQ(readU64(path, "/report/big/mapping/index_pointers").back(), n_cells);
}

TEST_F(Hdf5OutputTest, EmptyReportIsNotCreated) {
  const std::string path = file("empty_report.h5");
  {
    Hdf5Output out(path, false);
    out.addReport("GPi", {}, 0.0, 0.1);
    const float unused = 1.0f;
    out.appendReport("GPi", &unused, 1);
    out.finalize(1.0);
  }
  EXPECT_FALSE(objectExists(path, "/report"));
  EXPECT_FALSE(objectExists(path, "/spikes"));
  EXPECT_EQ(readU32Attribute(path, "/", "magic"), std::vector<std::uint32_t>{0x0A7A});
}

TEST_F(Hdf5OutputTest, MisuseThrowsOutputError) {
  Hdf5Output out(file("misuse.h5"), false);
  out.addSpikePopulation("STN");
  EXPECT_THROW(out.addSpikePopulation("STN"), OutputError);
  EXPECT_THROW(out.addSpikePopulation("a/b"), OutputError);
  EXPECT_THROW(out.addSpikePopulation(""), OutputError);
  EXPECT_THROW(out.appendSpikes("GPe", {1.0}, {1}), OutputError);
  EXPECT_THROW(out.appendSpikes("STN", {1.0, 2.0}, {1}), OutputError);
  EXPECT_THROW(out.appendReport("STN", nullptr, 1), OutputError);
  EXPECT_THROW(out.addReport("STN", {1}, 0.0, 0.0), OutputError);
  // An attribute written twice is an HDF5 failure; the message names it.
  out.writeAttributes({{"stn.gNa", "1"}});
  try {
    out.writeAttributes({{"stn.gNa", "2"}});
    FAIL() << "duplicate attribute accepted";
  } catch (const OutputError& error) {
    EXPECT_NE(std::string(error.what()).find("stn.gNa"), std::string::npos) << error.what();
  }
  out.finalize(1.0);
  EXPECT_THROW(out.finalize(1.0), OutputError);
  EXPECT_THROW(out.appendSpikes("STN", {1.0}, {1}), OutputError);
}

TEST_F(Hdf5OutputTest, PartialFileUntilFinalize) {
  const std::string path = file("run.h5");
  Hdf5Output out(path, false);
  out.addSpikePopulation("STN");
  out.appendSpikes("STN", {1.0}, {1});
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::exists(path + ".partial"));
  out.finalize(2.0);
  EXPECT_TRUE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".partial"));
}

TEST_F(Hdf5OutputTest, DestroyedWithoutFinalizeLeavesNoFile) {
  const std::string path = file("run.h5");
  {
    Hdf5Output out(path, false);
    out.addSpikePopulation("STN");
    out.appendSpikes("STN", {1.0}, {1});
    out.addReport("STN", {1}, 0.0, 0.1);
    ASSERT_TRUE(fs::exists(path + ".partial"));
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".partial"));
  EXPECT_TRUE(fs::is_empty(_dir));
}

TEST_F(Hdf5OutputTest, ExistingFileWithoutOverwriteThrowsAndIsKept) {
  const std::string path = file("run.h5");
  const std::string original = std::string("not HDF5\0\x01\x02", 11);
  writeBytes(path, original);
  try {
    Hdf5Output out(path, false);
    FAIL() << "existing file accepted without overwrite";
  } catch (const OutputError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("output.overwrite=true"), std::string::npos) << message;
  }
  EXPECT_EQ(readBytes(path), original);
  EXPECT_FALSE(fs::exists(path + ".partial"));
  // The factory applies the same rule.
  EXPECT_THROW(makeOutputWriter(path, false), OutputError);
  EXPECT_EQ(readBytes(path), original);
}

TEST_F(Hdf5OutputTest, OverwriteReplacesExistingFile) {
  const std::string path = file("run.h5");
  writeBytes(path, "old contents");
  std::unique_ptr<OutputWriter> out = makeOutputWriter(path, true);
  ASSERT_NE(dynamic_cast<Hdf5Output*>(out.get()), nullptr);
  out->addSpikePopulation("STN");
  out->appendSpikes("STN", {4.0}, {2});
  // The old file stays readable until the new one is complete.
  EXPECT_EQ(readBytes(path), "old contents");
  out->finalize(5.0);
  EXPECT_EQ(readDoubles(path, "/spikes/STN/timestamps"), std::vector<double>{4.0});
  EXPECT_FALSE(fs::exists(path + ".partial"));
}

TEST_F(Hdf5OutputTest, FileAppearingDuringRunIsNotReplaced) {
  const std::string path = file("run.h5");
  Hdf5Output out(path, false);
  out.addSpikePopulation("STN");
  writeBytes(path, "someone else's");
  EXPECT_THROW(out.finalize(1.0), OutputError);
  EXPECT_EQ(readBytes(path), "someone else's");
  EXPECT_FALSE(fs::exists(path + ".partial"));
}

TEST_F(Hdf5OutputTest, FailedRenameRemovesPartial) {
  const std::string path = file("run.h5");
  Hdf5Output out(path, true);
  out.addSpikePopulation("STN");
  // rename() cannot replace a non-empty directory.
  fs::create_directories(fs::path(path) / "child");
  try {
    out.finalize(1.0);
    FAIL() << "rename onto a directory succeeded";
  } catch (const OutputError& error) {
    EXPECT_NE(std::string(error.what()).find(path + ".partial"), std::string::npos)
        << error.what();
  }
  EXPECT_FALSE(fs::exists(path + ".partial"));
  EXPECT_TRUE(fs::is_directory(path));
}

TEST_F(Hdf5OutputTest, UnwritableLocationThrowsWithPath) {
  const std::string path = "/nonexistent_dir_cbgtc/x.h5";
  try {
    Hdf5Output out(path, false);
    FAIL() << "created a file in a missing directory";
  } catch (const OutputError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("No such file or directory"), std::string::npos) << message;
  }
  EXPECT_THROW(makeOutputWriter(path, true), OutputError);
}

TEST_F(Hdf5OutputTest, DirectoryAsOutputPathThrows) {
  EXPECT_THROW(Hdf5Output(_dir, true), OutputError);
}

}  // namespace
}  // namespace cbgtc::io
