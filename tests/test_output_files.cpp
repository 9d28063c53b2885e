// The file rules every output writer shares (io/output_files.cpp): the
// in-progress file is created exclusively, only a regular file is ever
// replaced, and a writer removes no file but the one it created.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "io/output_writer.hpp"
#include "tests/cli_helpers.hpp"

using cbgtc::io::OutputError;
using cbgtc::io::OutputWriter;
using cbgtc::test::slurp;
using cbgtc::test::TempDir;
namespace fs = std::filesystem;

namespace {

using Factory = std::function<std::unique_ptr<OutputWriter>(const std::string&, bool)>;

struct Writer {
  const char* name;
  Factory make;
};

std::vector<Writer> writers() {
  std::vector<Writer> all{{"csv", cbgtc::io::makeCsvOutput}};
#ifdef CBGTC_ENABLE_HDF5
  all.push_back({"hdf5", cbgtc::io::makeHdf5Output});
#endif
  return all;
}

void writeText(const fs::path& p, const std::string& text) {
  std::ofstream out(p);
  out << text;
}

/// The message of the OutputError that `make` throws ("" and a failure if none).
std::string refusal(const Writer& w, const std::string& path, bool overwrite) {
  try {
    w.make(path, overwrite);
  } catch (const OutputError& e) {
    return e.what();
  }
  ADD_FAILURE() << w.name << ": no OutputError for " << path;
  return "";
}

}  // namespace

// A second run writing the same file is refused: it would truncate the first
// one's .partial, fail, delete it, and make the first run fail at its rename.
TEST(OutputFiles, SecondWriterOfTheSameFileIsRefusedAndTheFirstFinishes) {
  for (const Writer& w : writers()) {
    SCOPED_TRACE(w.name);
    TempDir dir;
    const std::string path = (dir / "out").string();
    auto first = w.make(path, false);
    first->addSpikePopulation("STN");
    first->appendSpikes("STN", {1.0}, {0});
    const std::string message = refusal(w, path, false);
    EXPECT_NE(message.find(path + ".partial"), std::string::npos) << message;
    EXPECT_TRUE(fs::exists(path + ".partial"));
    EXPECT_NO_THROW(first->finalize(2.0));
    EXPECT_TRUE(fs::exists(path));
    EXPECT_FALSE(fs::exists(path + ".partial"));
  }
}

// A .partial left by a killed run is someone's data: kept, not truncated.
TEST(OutputFiles, ExistingPartialIsKept) {
  for (const Writer& w : writers()) {
    SCOPED_TRACE(w.name);
    TempDir dir;
    const std::string path = (dir / "out").string();
    writeText(path + ".partial", "left by a killed run");
    const std::string message = refusal(w, path, true);
    EXPECT_NE(message.find(path + ".partial"), std::string::npos) << message;
    EXPECT_EQ(slurp(path + ".partial"), "left by a killed run");
    EXPECT_THROW(cbgtc::io::checkOutputLocation(path, true), OutputError);
  }
}

// A .partial that is a symbolic link is not followed (that would overwrite its target).
TEST(OutputFiles, SymlinkAsPartialIsNotFollowed) {
  for (const Writer& w : writers()) {
    SCOPED_TRACE(w.name);
    TempDir dir;
    const std::string path = (dir / "out").string();
    const fs::path victim = dir / "victim";
    writeText(victim, "precious");
    fs::create_symlink(victim, path + ".partial");
    refusal(w, path, true);
    EXPECT_EQ(slurp(victim), "precious");
    EXPECT_TRUE(fs::is_symlink(path + ".partial"));
  }
}

// With overwrite, only a regular file at the output path is replaced; a
// device node, FIFO or link would be replaced by a regular file.
TEST(OutputFiles, OnlyARegularFileIsReplaced) {
  for (const Writer& w : writers()) {
    SCOPED_TRACE(w.name);
    TempDir dir;
    const std::string fifo = (dir / "fifo").string();
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    std::string message = refusal(w, fifo, true);
    EXPECT_NE(message.find(fifo), std::string::npos) << message;
    EXPECT_NE(message.find("not a regular file"), std::string::npos) << message;
    EXPECT_TRUE(fs::is_fifo(fifo));

    const std::string link = (dir / "link").string();
    writeText(dir / "target", "kept");
    fs::create_symlink(dir / "target", link);
    message = refusal(w, link, true);
    EXPECT_NE(message.find(link), std::string::npos) << message;
    EXPECT_TRUE(fs::is_symlink(link));
    EXPECT_EQ(slurp(dir / "target"), "kept");

    message = refusal(w, "/dev/null", true);
    EXPECT_NE(message.find("/dev/null"), std::string::npos) << message;
    EXPECT_NE(message.find("not a regular file"), std::string::npos) << message;
    EXPECT_FALSE(fs::exists("/dev/null.partial"));
    EXPECT_TRUE(fs::is_directory(dir.path()));
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 3);
  }
}

// Something that is not a regular file appearing at the output path during
// the run is not replaced either.
TEST(OutputFiles, FifoAppearingDuringTheRunIsNotReplaced) {
  for (const Writer& w : writers()) {
    SCOPED_TRACE(w.name);
    TempDir dir;
    const std::string path = (dir / "out").string();
    auto writer = w.make(path, true);
    writer->addSpikePopulation("STN");
    ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
    EXPECT_THROW(writer->finalize(1.0), OutputError);
    EXPECT_TRUE(fs::is_fifo(path));
    EXPECT_FALSE(fs::exists(path + ".partial"));
  }
}

// Not finalized: the writer removes its own partial file, and only that.
TEST(OutputFiles, UnfinishedWriterRemovesOnlyTheFileItCreated) {
  for (const Writer& w : writers()) {
    SCOPED_TRACE(w.name);
    TempDir dir;
    const std::string path = (dir / "out").string();
    {
      auto writer = w.make(path, false);
      // Someone replaced the in-progress file meanwhile (as a second run
      // could): theirs is kept.
      ASSERT_EQ(::unlink((path + ".partial").c_str()), 0);
      writeText(path + ".partial", "someone else's");
    }
    EXPECT_EQ(slurp(path + ".partial"), "someone else's");
  }
}

TEST(OutputFiles, LocationChecks) {
  TempDir dir;
  EXPECT_NO_THROW(cbgtc::io::checkOutputLocation((dir / "new.h5").string(), false));
  EXPECT_NO_THROW(cbgtc::io::checkOutputLocation("relative_new_file.h5", false));
  EXPECT_THROW(cbgtc::io::checkOutputLocation("", true), OutputError);
  EXPECT_THROW(cbgtc::io::checkOutputLocation(dir.path().string(), true), OutputError);
  EXPECT_THROW(cbgtc::io::checkOutputLocation((dir / "missing" / "x.h5").string(), true), OutputError);
  writeText(dir / "file", "x");
  EXPECT_THROW(cbgtc::io::checkOutputLocation((dir / "file").string(), false), OutputError);
  EXPECT_NO_THROW(cbgtc::io::checkOutputLocation((dir / "file").string(), true));
  EXPECT_THROW(cbgtc::io::checkOutputLocation((dir / "file" / "x.h5").string(), true), OutputError);
}
