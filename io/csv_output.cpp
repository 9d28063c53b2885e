// Text spike output, the writer of builds without HDF5 (always compiled, so
// that every build tests it).
// Same file rules as the HDF5 writer: write "<path>.partial", rename it in
// finalize(), remove it if the writer dies unfinalized. Reports and
// writeDataset() data are dropped; writeNumbers() values become comment lines
// ("# /metrics/STN/rate_hz = 20.1") wherever the file is at the time, which
// readers skip like every line starting with '#'.

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "io/options.hpp"
#include "io/output_writer.hpp"

namespace cbgtc::io {
namespace {

std::string errnoText(int error) { return std::strerror(error); }

// A newline inside a value would end the comment and corrupt the data lines.
std::string oneLine(const std::string& text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (const char c : text) {
    if (c == '\n') {
      escaped += "\\n";
    } else if (c == '\r') {
      escaped += "\\r";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

class CsvOutput final : public OutputWriter {
 public:
  CsvOutput(const std::string& path, bool overwrite)
      : _path(path), _partial_path(path + ".partial"), _overwrite(overwrite) {
    checkOutputLocation(path, overwrite);
    const int fd = detail::createExclusive(_partial_path);
    _created = detail::identityOf(fd);
    _file = ::fdopen(fd, "w");
    if (_file == nullptr) {
      const int error = errno;
      ::close(fd);
      detail::removeIfSame(_partial_path, _created);
      throw OutputError("cannot create output file '" + _partial_path + "': " + errnoText(error));
    }
    // One spike line is ~20 bytes; a large buffer keeps write() calls rare.
    std::setvbuf(_file, nullptr, _IOFBF, 1 << 20);
  }

  ~CsvOutput() override {
    if (_file != nullptr) {
      std::fclose(_file);
      detail::removeIfSame(_partial_path, _created);
    }
  }

  CsvOutput(const CsvOutput&) = delete;
  CsvOutput& operator=(const CsvOutput&) = delete;

  void writeAttributes(const AttributeList& attributes) override {
    requireOpen("write attributes to");
    // Same rule as the HDF5 writer: every key new, checked before writing.
    detail::validateAttributeNames("/", attributes);
    for (const auto& [key, value] : attributes) {
      if (_attribute_keys.count(key) != 0) {
        throw OutputError("attribute '" + key + "' written twice to '" + _partial_path + "'");
      }
    }
    for (const auto& [key, value] : attributes) {
      _attribute_keys.insert(key);
      checkWrite(std::fprintf(_file, "# %s = %s\n", oneLine(key).c_str(), oneLine(value).c_str()));
    }
  }

  using OutputWriter::writeDataset;
  void writeDataset(const std::string& group, const std::string& name, const std::vector<double>&,
                    const AttributeList& attributes, const NumberList& numbers) override {
    requireOpen("write a dataset to");
    // Not representable in the text format, but checked like the HDF5
    // writer does, so that a call that fails there fails here too.
    detail::validateGroupPath(group);
    detail::validateDatasetName(group, name);
    const std::string full_path = detail::joinPath(group, name);
    detail::validateAttributeNames(full_path, attributes, numbers);
    if (!_datasets.insert(full_path).second) {
      throw OutputError("dataset '" + full_path + "' written twice to '" + _partial_path + "'");
    }
  }

  void writeIds(const std::string& group, const std::string& name, const std::vector<std::uint64_t>&,
                const AttributeList& attributes, std::size_t) override {
    writeDataset(group, name, {}, attributes, NumberList{});
  }

  /// Checks a writeNumbers()/writeIntegers() call like the HDF5 writer
  /// does (every name new in its group) and claims its names.
  template <class Values>
  void claimNumbers(const char* action, const std::string& group, const Values& values) {
    requireOpen(action);
    detail::validateGroupPath(group);
    detail::validateAttributeNames(group, values);
    std::set<std::string>& written = _numbers[group];
    for (const auto& [name, value] : values) {
      if (written.count(name) != 0) {
        throw OutputError("number '" + name + "' written twice to group '" + group + "' of '" +
                          _partial_path + "'");
      }
    }
    for (const auto& [name, value] : values) written.insert(name);
  }

  void writeNumbers(const std::string& group, const NumberList& values) override {
    claimNumbers("write numbers to", group, values);
    for (const auto& [name, value] : values) {
      // The shortest %g that round-trips (17 digits always do); NaN is
      // spelled "nan" whatever its sign bit, so strtod() reads it back as NaN.
      char text[32];
      if (std::isnan(value)) {
        std::snprintf(text, sizeof(text), "nan");
      } else {
        for (int digits = 15; digits <= 17; ++digits) {
          std::snprintf(text, sizeof(text), "%.*g", digits, value);
          if (std::strtod(text, nullptr) == value) break;
        }
      }
      checkWrite(std::fprintf(_file, "# %s = %s\n", oneLine(commentKey(group, name)).c_str(), text));
    }
  }

  void writeIntegers(const std::string& group, const IntegerList& values) override {
    claimNumbers("write integers to", group, values);
    for (const auto& [name, value] : values) {
      checkWrite(std::fprintf(_file, "# %s = %lld\n", oneLine(commentKey(group, name)).c_str(),
                              static_cast<long long>(value)));
    }
  }

  /// A number's name in its comment line: "<group>/<name>", and a root
  /// attribute's bare name, as writeAttributes() writes it.
  static std::string commentKey(const std::string& group, const std::string& name) {
    return group == "/" ? name : detail::joinPath(group, name);
  }

  void addSpikePopulation(const std::string& population) override {
    requireOpen("add a spike population to");
    // Fields are whitespace-separated, so a name with spaces would be
    // unreadable.
    bool valid = !population.empty();
    for (const char c : population) {
      if (std::isspace(static_cast<unsigned char>(c))) valid = false;
    }
    if (!valid) {
      throw OutputError("invalid spike population name '" + population +
                        "': it must be non-empty and contain no whitespace");
    }
    if (!_populations.insert(population).second) {
      throw OutputError("spike population '" + population + "' added twice to '" +
                        _partial_path + "'");
    }
    writeHeader();
  }

  void appendSpikes(const std::string& population, const std::vector<double>& timestamps_ms,
                    const std::vector<std::uint64_t>& node_ids) override {
    requireOpen("append spikes to");
    detail::validateSpikes(population, _populations.count(population) > 0, _partial_path, timestamps_ms.size(),
                           node_ids.size());
    // Shortest text that reads back to the same double (std::to_chars):
    // exact, like the HDF5 datasets, so files of different runs compare
    // equal or not. Formatted into one buffer per call: per-number
    // printf-style formatting is the slow path.
    std::string lines;
    lines.reserve(timestamps_ms.size() * (population.size() + 24));
    char number[32];
    for (std::size_t i = 0; i < timestamps_ms.size(); ++i) {
      lines.append(number, std::to_chars(number, number + sizeof number, timestamps_ms[i]).ptr);
      lines += ' ';
      lines += population;
      lines += ' ';
      lines.append(number, std::to_chars(number, number + sizeof number, node_ids[i]).ptr);
      lines += '\n';
    }
    if (!lines.empty() && std::fwrite(lines.data(), 1, lines.size(), _file) != lines.size()) checkWrite(-1);
  }

  void addReport(const std::string&, const std::vector<std::uint64_t>&, double, double, const std::string&,
                 const std::string&) override {
    requireOpen("add a report to");
  }

  void appendReport(const std::string&, const float*, std::size_t) override {
    requireOpen("append a report to");
  }

  void flush() override {
    requireOpen("flush");
    if (std::fflush(_file) != 0) checkWrite(-1);
  }

  void finalize(double) override {
    requireOpen("finalize");
    writeHeader();
    // fclose() flushes the buffer, so a full disk surfaces here.
    const bool flushed = std::ferror(_file) == 0 && std::fflush(_file) == 0;
    const int flush_error = errno;
    const bool closed = std::fclose(_file) == 0;
    const int close_error = errno;
    _file = nullptr;
    if (!flushed || !closed) {
      detail::removeIfSame(_partial_path, _created);
      throw OutputError("cannot write output file '" + _partial_path +
                        "': " + errnoText(flushed ? close_error : flush_error));
    }
    detail::publishPartial(_partial_path, _created, _path, _overwrite);
  }

  const std::string& path() const override { return _path; }

 private:
  void requireOpen(const char* operation) const {
    if (_file == nullptr) {
      throw OutputError(std::string("cannot ") + operation + " output file '" + _path +
                        "': finalize() was already called");
    }
  }

  void checkWrite(int status) {
    if (status < 0) {
      const int error = errno;
      throw OutputError("cannot write output file '" + _partial_path + "': " + errnoText(error));
    }
  }

  // Written lazily so that attribute comments can come first.
  void writeHeader() {
    if (_header_written) return;
    checkWrite(std::fprintf(_file, "timestamps population node_ids\n"));
    _header_written = true;
  }

  std::string _path;
  std::string _partial_path;
  bool _overwrite;
  detail::FileIdentity _created;  // the partial file this writer made
  std::FILE* _file = nullptr;
  bool _header_written = false;
  std::set<std::string> _populations;
  std::set<std::string> _attribute_keys;
  std::set<std::string> _datasets;                       // "<group>/<name>"
  std::map<std::string, std::set<std::string>> _numbers;  // group -> names
};

}  // namespace

std::unique_ptr<OutputWriter> makeCsvOutput(const std::string& path, bool overwrite) {
  return std::make_unique<CsvOutput>(path, overwrite);
}

std::unique_ptr<OutputWriter> makeOutputWriter(const std::string& path, bool overwrite) {
#ifdef CBGTC_ENABLE_HDF5
  return makeHdf5Output(path, overwrite);
#else
  return makeCsvOutput(path, overwrite);
#endif
}

bool writesReportFiles() {
#ifdef CBGTC_ENABLE_HDF5
  return true;
#else
  return false;
#endif
}

std::unique_ptr<OutputWriter> makeReportWriter(const std::string& path, bool overwrite) {
#ifdef CBGTC_ENABLE_HDF5
  return makeHdf5Output(path, overwrite);
#else
  (void)overwrite;
  throw OutputError("'" + path + "': [record] sections write SONATA HDF5 reports, and this build has no HDF5");
#endif
}

}  // namespace cbgtc::io
