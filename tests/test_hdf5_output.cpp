// Tests of the SONATA (HDF5) output writer: file layout read back through the
// HDF5 C API, and the .partial / rename / overwrite rules.

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "io/hdf5_output.hpp"
#include "io/output_writer.hpp"
#include "tests/hdf5_read.hpp"

namespace cbgtc::io {
namespace {

namespace fs = std::filesystem;
using test::isSameObject;
using test::objectExists;
using test::readAttributeNames;
using test::readDims;
using test::readDoubleAttribute;
using test::readDoubles;
using test::readEnumAttributeMembers;
using test::readEnumAttributeName;
using test::readEnumAttributeValue;
using test::readFloats;
using test::readInt64Attribute;
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
    out.addReport("STN", report_ids, 0.5, 0.25, "V", "mV");
    out.addReport("GPi", {4}, 0.0, 0.5, "g_stn_gpi", "nS");
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
  EXPECT_EQ(readStringAttribute(path, "/report/STN/data", "variable"), "V");
  // Each report keeps its own variable and units (bmtk reads them there).
  EXPECT_EQ(readStringAttribute(path, "/report/GPi/data", "variable"), "g_stn_gpi");
  EXPECT_EQ(readStringAttribute(path, "/report/GPi/data", "units"), "nS");
  EXPECT_EQ(readFloats(path, "/report/STN/mapping/element_pos"), (std::vector<float>{0.5f, 0.5f, 0.5f}));
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
    out.addReport("big", cell_ids, 0.0, 0.1, "V", "mV");
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

// Spikes wait in memory and are written in batches (every 64Ki spikes, and
// at each flush): two populations' many small appends, as a run's epochs
// make them, come out whole and in order, the last batch at finalize.
TEST_F(Hdf5OutputTest, ManySmallAppendsOfSeveralPopulationsComeOutWhole) {
  const std::string path = file("epochs.h5");
  std::vector<double> times_a, times_b;
  std::vector<std::uint64_t> ids_a, ids_b;
  {
    Hdf5Output out(path, false);
    out.addSpikePopulation("A");
    out.addSpikePopulation("B");
    for (int epoch = 0; epoch < 150; ++epoch) {
      std::vector<double> ta(1000 + epoch % 7), tb(500 - epoch % 5);
      std::vector<std::uint64_t> ia(ta.size()), ib(tb.size());
      for (std::size_t i = 0; i < ta.size(); ++i) {
        ta[i] = 5.0 * epoch + 0.001 * static_cast<double>(i);
        ia[i] = (i * 7919 + static_cast<std::size_t>(epoch)) % 4000;
      }
      for (std::size_t i = 0; i < tb.size(); ++i) {
        tb[i] = 5.0 * epoch + 0.002 * static_cast<double>(i);
        ib[i] = (i * 104729 + 3 * static_cast<std::size_t>(epoch)) % 1500;
      }
      out.appendSpikes("A", ta, ia);
      out.appendSpikes("B", tb, ib);
      times_a.insert(times_a.end(), ta.begin(), ta.end());
      ids_a.insert(ids_a.end(), ia.begin(), ia.end());
      times_b.insert(times_b.end(), tb.begin(), tb.end());
      ids_b.insert(ids_b.end(), ib.begin(), ib.end());
    }
    out.finalize(750.0);
  }
  ASSERT_GT(times_a.size() + times_b.size(), std::size_t{3} << 16);
  EXPECT_EQ(readDoubles(path, "/spikes/A/timestamps"), times_a);
  EXPECT_EQ(readU64(path, "/spikes/A/node_ids"), ids_a);
  EXPECT_EQ(readDoubles(path, "/spikes/B/timestamps"), times_b);
  EXPECT_EQ(readU64(path, "/spikes/B/node_ids"), ids_b);
  EXPECT_EQ(readEnumAttributeValue(path, "/spikes/A", "sorting"), 2);
}

TEST_F(Hdf5OutputTest, EmptyReportIsNotCreated) {
  const std::string path = file("empty_report.h5");
  {
    Hdf5Output out(path, false);
    out.addReport("GPi", {}, 0.0, 0.1, "V", "mV");
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
  EXPECT_THROW(out.addReport("STN", {1}, 0.0, 0.0, "V", "mV"), OutputError);
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
    out.addReport("STN", {1}, 0.0, 0.1, "V", "mV");
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

TEST_F(Hdf5OutputTest, DatasetRoundTripKeepsValuesAndAttributes) {
  const std::string path = file("datasets.h5");
  const std::vector<double> signal = {0.0,    -0.0, 1.5, -2.25e-300, 1e300,
                                      -7.125, std::numeric_limits<double>::infinity()};
  const AttributeList attributes = {
      {"units", "uA/cm^2"}, {"description", "ünïcode ✓"}, {"empty", ""}};
  {
    Hdf5Output out(path, false);
    out.writeDataset("/lfp", "signal", signal, attributes);
    out.writeDataset("/lfp", "time", {0.0, 0.5}, {{"units", "ms"}});
    out.writeDataset("/", "top", {42.0}, {});
    out.writeDataset("/a/b/c", "deep", {1.0, 2.0, 3.0}, {});
    out.finalize(1.0);
  }
  EXPECT_EQ(readDims(path, "/lfp/signal"), std::vector<std::uint64_t>{signal.size()});
  const std::vector<double> back = readDoubles(path, "/lfp/signal");
  EXPECT_EQ(back, signal);
  ASSERT_EQ(back.size(), signal.size());
  EXPECT_TRUE(std::signbit(back[1])) << "-0.0 lost its sign";
  // Stored as float64, not converted on the way.
  EXPECT_THROW(readFloats(path, "/lfp/signal"), std::runtime_error);
  for (const auto& [key, value] : attributes) {
    EXPECT_EQ(readStringAttribute(path, "/lfp/signal", key), value) << key;
  }
  EXPECT_EQ(readAttributeNames(path, "/lfp/signal"),
            (std::vector<std::string>{"description", "empty", "units"}));
  EXPECT_EQ(readDoubles(path, "/lfp/time"), (std::vector<double>{0.0, 0.5}));
  EXPECT_EQ(readStringAttribute(path, "/lfp/time", "units"), "ms");
  EXPECT_EQ(readDoubles(path, "/top"), std::vector<double>{42.0});
  EXPECT_TRUE(readAttributeNames(path, "/top").empty());
  EXPECT_EQ(readDoubles(path, "/a/b/c/deep"), (std::vector<double>{1.0, 2.0, 3.0}));
  // The SONATA root attributes are untouched.
  EXPECT_EQ(readU32Attribute(path, "/", "magic"), std::vector<std::uint32_t>{0x0A7A});
}

TEST_F(Hdf5OutputTest, NumbersRoundTripIncludingNaN) {
  const std::string path = file("numbers.h5");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  {
    Hdf5Output out(path, false);
    out.writeNumbers("/metrics/STN", {{"rate_hz", 20.1}, {"cv_isi", 0.4}, {"fano", nan}});
    out.writeNumbers("/metrics/STN", {{"peak_hz", -inf}, {"tiny", 4.9e-324}, {"zero", -0.0}});
    out.writeNumbers("/metrics/empty", {});
    out.writeNumbers("/", {{"duration_ms", 1000.0}});
    // int64 keeps integers past float64's 2^53 exact.
    out.writeIntegers("/", {{"seed", 9007199254740993}, {"n", -3}});
    EXPECT_THROW(out.writeIntegers("/", {{"seed", 1}}), io::OutputError);         // written before
    EXPECT_THROW(out.writeIntegers("/", {{"a", 1}, {"a", 2}}), io::OutputError);  // repeated
    EXPECT_THROW(out.writeIntegers("/", {{"duration_ms", 1}}), io::OutputError);  // a number's name
    out.finalize(1.0);
  }
  EXPECT_EQ(readInt64Attribute(path, "/", "seed"), 9007199254740993);
  EXPECT_EQ(readInt64Attribute(path, "/", "n"), -3);
  EXPECT_THROW(readInt64Attribute(path, "/", "duration_ms"), std::runtime_error);
  EXPECT_THROW(readDoubleAttribute(path, "/", "seed"), std::runtime_error);
  EXPECT_FALSE(objectExists(path, "/a"));
  EXPECT_EQ(readDoubleAttribute(path, "/metrics/STN", "rate_hz"), 20.1);
  EXPECT_EQ(readDoubleAttribute(path, "/metrics/STN", "cv_isi"), 0.4);
  EXPECT_TRUE(std::isnan(readDoubleAttribute(path, "/metrics/STN", "fano")));
  EXPECT_EQ(readDoubleAttribute(path, "/metrics/STN", "peak_hz"), -inf);
  EXPECT_EQ(readDoubleAttribute(path, "/metrics/STN", "tiny"), 4.9e-324);
  EXPECT_TRUE(std::signbit(readDoubleAttribute(path, "/metrics/STN", "zero")));
  EXPECT_EQ(readAttributeNames(path, "/metrics/STN"),
            (std::vector<std::string>{"cv_isi", "fano", "peak_hz", "rate_hz", "tiny", "zero"}));
  EXPECT_TRUE(objectExists(path, "/metrics/empty"));
  EXPECT_TRUE(readAttributeNames(path, "/metrics/empty").empty());
  EXPECT_EQ(readDoubleAttribute(path, "/", "duration_ms"), 1000.0);
  // The helper is strict too: a string or uint32 attribute is not a double.
  EXPECT_THROW(readDoubleAttribute(path, "/", "magic"), std::runtime_error);
  EXPECT_THROW(readDoubleAttribute(path, "/metrics/STN", "missing"), std::runtime_error);
}

TEST_F(Hdf5OutputTest, NestedGroupsAreCreatedOnceAndShared) {
  const std::string path = file("nested.h5");
  {
    Hdf5Output out(path, false);
    out.writeNumbers("/metrics/STN", {{"rate_hz", 20.0}});
    out.writeNumbers("/metrics/GPe", {{"rate_hz", 60.0}});
    // A group made by writeNumbers takes datasets, and the other way round.
    out.writeDataset("/metrics/STN", "psd", {1.0, 0.5}, {{"units", "1/Hz"}});
    out.writeDataset("/lfp", "signal", {3.0}, {});
    out.writeNumbers("/lfp", {{"fs_hz", 1000.0}});
    out.writeNumbers("/metrics", {{"n_populations", 2.0}});
    out.finalize(1.0);
  }
  EXPECT_EQ(readDoubleAttribute(path, "/metrics/STN", "rate_hz"), 20.0);
  EXPECT_EQ(readDoubleAttribute(path, "/metrics/GPe", "rate_hz"), 60.0);
  EXPECT_EQ(readDoubleAttribute(path, "/metrics", "n_populations"), 2.0);
  EXPECT_EQ(readDoubles(path, "/metrics/STN/psd"), (std::vector<double>{1.0, 0.5}));
  EXPECT_EQ(readStringAttribute(path, "/metrics/STN/psd", "units"), "1/Hz");
  EXPECT_EQ(readDoubles(path, "/lfp/signal"), std::vector<double>{3.0});
  EXPECT_EQ(readDoubleAttribute(path, "/lfp", "fs_hz"), 1000.0);
  EXPECT_FALSE(objectExists(path, "/metrics/GPe/psd"));
}

TEST_F(Hdf5OutputTest, DatasetsAndNumbersInSonataGroups) {
  const std::string path = file("sonata_groups.h5");
  {
    Hdf5Output out(path, false);
    out.addSpikePopulation("STN");
    out.appendSpikes("STN", {1.0, 2.0}, {4, 5});
    out.writeDataset("/spikes/STN", "isi_ms", {1.0}, {{"units", "ms"}});
    out.writeNumbers("/spikes/STN", {{"rate_hz", 12.5}});
    // Written before the writer creates its own groups there.
    out.writeNumbers("/spikes/GPe", {{"rate_hz", 0.0}});
    out.writeDataset("/report/GPe", "mean_v", {-65.0}, {{"units", "mV"}});
    out.addSpikePopulation("GPe");
    out.addReport("GPe", {3}, 0.0, 0.5, "V", "mV");
    const float v = -64.0f;
    out.appendReport("GPe", &v, 1);
    out.appendSpikes("STN", {3.0}, {6});
    out.appendSpikes("GPe", {0.5}, {3});
    out.finalize(0.5);
  }
  EXPECT_EQ(readDoubles(path, "/spikes/STN/timestamps"), (std::vector<double>{1.0, 2.0, 3.0}));
  EXPECT_EQ(readU64(path, "/spikes/STN/node_ids"), (std::vector<std::uint64_t>{4, 5, 6}));
  EXPECT_EQ(readEnumAttributeName(path, "/spikes/STN", "sorting"), "by_time");
  EXPECT_EQ(readDoubles(path, "/spikes/STN/isi_ms"), std::vector<double>{1.0});
  EXPECT_EQ(readStringAttribute(path, "/spikes/STN/isi_ms", "units"), "ms");
  EXPECT_EQ(readDoubleAttribute(path, "/spikes/STN", "rate_hz"), 12.5);
  EXPECT_EQ(readDoubleAttribute(path, "/spikes/GPe", "rate_hz"), 0.0);
  EXPECT_EQ(readEnumAttributeName(path, "/spikes/GPe", "sorting"), "by_time");
  EXPECT_EQ(readDoubles(path, "/spikes/GPe/timestamps"), std::vector<double>{0.5});
  EXPECT_EQ(readDoubles(path, "/report/GPe/mean_v"), std::vector<double>{-65.0});
  EXPECT_EQ(readFloats(path, "/report/GPe/data"), std::vector<float>{-64.0f});
  EXPECT_EQ(readDoubles(path, "/report/GPe/mapping/time"), (std::vector<double>{0.0, 0.5, 0.5}));
}

TEST_F(Hdf5OutputTest, EmptyDatasetHasLengthZero) {
  const std::string path = file("empty_dataset.h5");
  {
    Hdf5Output out(path, false);
    out.writeDataset("/lfp", "signal", {}, {{"units", "uA/cm^2"}});
    out.finalize(1.0);
  }
  EXPECT_EQ(readDims(path, "/lfp/signal"), std::vector<std::uint64_t>{0});
  EXPECT_TRUE(readDoubles(path, "/lfp/signal").empty());
  EXPECT_EQ(readStringAttribute(path, "/lfp/signal", "units"), "uA/cm^2");
}

TEST_F(Hdf5OutputTest, DuplicateDatasetsAndNumbersThrow) {
  const std::string path = file("duplicates.h5");
  {
    Hdf5Output out(path, false);
    out.writeDataset("/lfp", "signal", {1.0, 2.0}, {{"units", "mV"}});
    try {
      out.writeDataset("/lfp", "signal", {3.0}, {});
      FAIL() << "dataset written twice";
    } catch (const OutputError& error) {
      EXPECT_NE(std::string(error.what()).find("/lfp/signal"), std::string::npos) << error.what();
    }
    // A group of that name is also taken.
    out.writeNumbers("/lfp/sub", {{"x", 1.0}});
    EXPECT_THROW(out.writeDataset("/lfp", "sub", {1.0}, {}), OutputError);
    // A dataset cannot be used as a group.
    EXPECT_THROW(out.writeNumbers("/lfp/signal", {{"x", 1.0}}), OutputError);
    EXPECT_THROW(out.writeDataset("/lfp/signal/deeper", "y", {1.0}, {}), OutputError);
    // Repeated dataset attribute: rejected before the dataset is created.
    EXPECT_THROW(out.writeDataset("/lfp", "other", {1.0}, {{"units", "a"}, {"units", "b"}}),
                 OutputError);

    out.writeNumbers("/metrics/STN", {{"rate_hz", 20.0}});
    try {
      out.writeNumbers("/metrics/STN", {{"cv_isi", 0.5}, {"rate_hz", 21.0}});
      FAIL() << "number written twice";
    } catch (const OutputError& error) {
      EXPECT_NE(std::string(error.what()).find("rate_hz"), std::string::npos) << error.what();
    }
    // Repeated within one call.
    EXPECT_THROW(out.writeNumbers("/metrics/STN", {{"fano", 1.0}, {"fano", 2.0}}), OutputError);
    // The same name on another group is a different number.
    out.writeNumbers("/metrics/GPe", {{"rate_hz", 60.0}});
    // SONATA's own root attributes are taken too.
    EXPECT_THROW(out.writeNumbers("/", {{"magic", 1.0}}), OutputError);
    out.finalize(1.0);
  }
  EXPECT_EQ(readDoubles(path, "/lfp/signal"), (std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(readStringAttribute(path, "/lfp/signal", "units"), "mV");
  EXPECT_FALSE(objectExists(path, "/lfp/other"));
  // Failed calls wrote none of their values.
  EXPECT_EQ(readAttributeNames(path, "/metrics/STN"), std::vector<std::string>{"rate_hz"});
  EXPECT_EQ(readDoubleAttribute(path, "/metrics/STN", "rate_hz"), 20.0);
  EXPECT_EQ(readDoubleAttribute(path, "/metrics/GPe", "rate_hz"), 60.0);
  EXPECT_EQ(readU32Attribute(path, "/", "magic"), std::vector<std::uint32_t>{0x0A7A});
}

TEST_F(Hdf5OutputTest, InvalidGroupsAndNamesThrow) {
  Hdf5Output out(file("invalid.h5"), false);
  const std::vector<std::string> groups = {"",       "metrics", "/metrics/", "//metrics",
                                           "/a//b",  "/a/./b",  "/a/..",     "/.",
                                           std::string("/a\0b", 4)};
  for (const std::string& group : groups) {
    EXPECT_THROW(out.writeNumbers(group, {{"x", 1.0}}), OutputError) << group;
    EXPECT_THROW(out.writeDataset(group, "x", {1.0}, {}), OutputError) << group;
  }
  for (const std::string name : {"", ".", "..", "a/b"}) {
    EXPECT_THROW(out.writeDataset("/lfp", name, {1.0}, {}), OutputError) << name;
  }
  EXPECT_THROW(out.writeNumbers("/metrics", {{"", 1.0}}), OutputError);
  EXPECT_THROW(out.writeDataset("/lfp", "signal", {1.0}, {{"", "x"}}), OutputError);
  out.finalize(1.0);
  EXPECT_FALSE(objectExists(out.path(), "/metrics"));
  EXPECT_FALSE(objectExists(out.path(), "/lfp/signal"));
  EXPECT_THROW(out.writeNumbers("/metrics", {{"x", 1.0}}), OutputError);
  EXPECT_THROW(out.writeDataset("/lfp", "late", {1.0}, {}), OutputError);
}

TEST_F(Hdf5OutputTest, WriteAttributesAgainWithNewKeys) {
  const std::string path = file("attributes.h5");
  {
    Hdf5Output out(path, false);
    out.writeAttributes({{"run.seed", "42"}, {"stn.gNa", "49"}});
    out.addSpikePopulation("STN");
    out.appendSpikes("STN", {1.0}, {0});
    out.writeAttributes({{"complete", "true"}, {"stopped_at_ms", "1000"}});
    // A call with one taken key writes none of its keys.
    EXPECT_THROW(out.writeAttributes({{"late", "x"}, {"complete", "false"}}), OutputError);
    EXPECT_THROW(out.writeAttributes({{"twice", "1"}, {"twice", "2"}}), OutputError);
    out.finalize(1000.0);
  }
  EXPECT_EQ(readStringAttribute(path, "/", "run.seed"), "42");
  EXPECT_EQ(readStringAttribute(path, "/", "stn.gNa"), "49");
  EXPECT_EQ(readStringAttribute(path, "/", "complete"), "true");
  EXPECT_EQ(readStringAttribute(path, "/", "stopped_at_ms"), "1000");
  EXPECT_EQ(readAttributeNames(path, "/"),
            (std::vector<std::string>{"complete", "magic", "run.seed", "stn.gNa",
                                      "stopped_at_ms", "version"}));
}

TEST_F(Hdf5OutputTest, DestroyedWithoutFinalizeAfterDatasetsLeavesNoFile) {
  const std::string path = file("run.h5");
  {
    std::unique_ptr<OutputWriter> out = makeOutputWriter(path, false);
    out->writeAttributes({{"run.seed", "1"}});
    out->addSpikePopulation("STN");
    out->appendSpikes("STN", {1.0}, {1});
    out->writeDataset("/lfp", "signal", {1.0, 2.0}, {{"units", "uA/cm^2"}});
    out->writeDataset("/spikes/STN", "isi_ms", {}, {});
    out->writeNumbers("/metrics/STN", {{"rate_hz", 1.0}});
    out->writeNumbers("/spikes/STN", {{"rate_hz", 1.0}});
    out->writeAttributes({{"complete", "false"}});
    ASSERT_TRUE(fs::exists(path + ".partial"));
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".partial"));
  EXPECT_TRUE(fs::is_empty(_dir));
}

TEST_F(Hdf5OutputTest, DirectoryAsOutputPathThrows) {
  EXPECT_THROW(Hdf5Output(_dir, true), OutputError);
}

// Numbers are stored as numbers (float64), not as text such as "0.000000".
TEST_F(Hdf5OutputTest, DatasetNumberAttributesAreFloat64) {
  const std::string path = file("numbers.h5");
  {
    Hdf5Output out(path, false);
    out.writeDataset("/lfp", "STN", {1.0, 2.0}, {{"units", "pA"}},
                     {{"sampling_interval_ms", 0.025}, {"start_ms", 0.0}, {"tiny", 1e-9}});
    // A name in both lists is refused, and nothing of the call is written.
    EXPECT_THROW(out.writeDataset("/lfp", "GPe", {1.0}, {{"units", "pA"}}, {{"units", 1.0}}), OutputError);
    out.finalize(1.0);
  }
  EXPECT_EQ(readDoubleAttribute(path, "/lfp/STN", "sampling_interval_ms"), 0.025);
  EXPECT_EQ(readDoubleAttribute(path, "/lfp/STN", "start_ms"), 0.0);
  EXPECT_EQ(readDoubleAttribute(path, "/lfp/STN", "tiny"), 1e-9);
  EXPECT_EQ(readStringAttribute(path, "/lfp/STN", "units"), "pA");
  EXPECT_FALSE(objectExists(path, "/lfp/GPe"));
}

// A run stopped between samples: the range of mapping/time is that of the
// rows written (otherwise the report would hold one row more than it describes).
TEST_F(Hdf5OutputTest, ReportTimeDescribesTheRowsWritten) {
  const std::string path = file("stopped.h5");
  {
    Hdf5Output out(path, false);
    out.addReport("GPe", {0, 1}, 0.0, 1.0, "V", "mV");
    const std::vector<float> rows(6, -65.0f);
    out.appendReport("GPe", rows.data(), 3);
    out.finalize(2.5);  // stopped half way into the third interval
  }
  EXPECT_EQ(readDims(path, "/report/GPe/data").at(0), 3u);
  EXPECT_EQ(readDoubles(path, "/report/GPe/mapping/time"), (std::vector<double>{0.0, 3.0, 1.0}));
}

// A flush rewrites only the reports that grew since the last one; each
// report's range still follows its own rows through several flushes.
TEST_F(Hdf5OutputTest, EachReportTimeFollowsItsRowsAcrossFlushes) {
  const std::string path = file("two_reports.h5");
  {
    Hdf5Output out(path, false);
    out.addReport("STN", {0}, 0.0, 1.0, "V", "mV");
    out.addReport("GPe", {0}, 5.0, 0.5, "V", "mV");
    const std::vector<float> rows(4, -65.0f);
    out.appendReport("STN", rows.data(), 2);
    out.writeAttributes({{"first", "1"}});  // a flush (root attributes): STN grew, GPe did not
    out.appendReport("GPe", rows.data(), 3);
    out.writeAttributes({{"second", "2"}});  // GPe grew, STN did not
    out.appendReport("STN", rows.data(), 1);
    out.finalize(3.0);
  }
  EXPECT_EQ(readDoubles(path, "/report/STN/mapping/time"), (std::vector<double>{0.0, 3.0, 1.0}));
  EXPECT_EQ(readDoubles(path, "/report/GPe/mapping/time"), (std::vector<double>{5.0, 6.5, 0.5}));
}

}  // namespace
}  // namespace cbgtc::io
