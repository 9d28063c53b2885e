#pragma once
// Output of one run: spikes and reports (recorded variables) per population.
//
// Implementations write to "<path>.partial" and rename it to "<path>" only in
// finalize(), so an interrupted or failed run never leaves a file under the
// name the user asked for. The partial file is created exclusively, and a
// writer removes only the file it created: destroying a writer that was not
// finalized removes its partial file.

#include <cstdint>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace cbgtc::io {

/// Any failure to create, write or rename an output file.
struct OutputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Key/value pairs written as root attributes (provenance and the resolved
/// configuration, every key as "section.name").
using AttributeList = std::vector<std::pair<std::string, std::string>>;

/// Name/number pairs, written as float64 attributes.
using NumberList = std::vector<std::pair<std::string, double>>;

/// Name/integer pairs, written as int64 attributes (counts, seeds: exact
/// beyond float64's 2^53).
using IntegerList = std::vector<std::pair<std::string, std::int64_t>>;

class OutputWriter {
 public:
  virtual ~OutputWriter() = default;

  /// Root attributes: strings. May be called more than once (e.g. again at
  /// the end of a run for "complete" and "stopped_at_ms"), but every key must
  /// be new: a key already written, or repeated within `attributes`, throws
  /// OutputError and nothing of that call is written.
  virtual void writeAttributes(const AttributeList& attributes) = 0;

  /// A 1-D float64 dataset "<group>/<name>", e.g. ("/lfp", "signal").
  /// `group` is an absolute path ("/" or "/a/b": no empty, "." or ".."
  /// components, no trailing '/'); it and any missing parents are created,
  /// and it may already exist, also as a group this writer manages
  /// ("/spikes/STN"). `name` must be non-empty and contain no '/'. Each
  /// of `attributes` becomes a scalar UTF-8 string attribute of the dataset
  /// (e.g. {"units", "uA/cm^2"}), each of `numbers` a scalar float64 one
  /// (e.g. {"sampling_interval_ms", 1.0}); names are unique across both.
  /// Empty data gives a dataset of length 0. Throws OutputError if the
  /// dataset already exists or an argument is invalid. Writers that cannot
  /// store datasets (CSV) validate and drop it.
  virtual void writeDataset(const std::string& group, const std::string& name,
                            const std::vector<double>& data, const AttributeList& attributes,
                            const NumberList& numbers) = 0;

  /// writeDataset with string attributes only.
  void writeDataset(const std::string& group, const std::string& name, const std::vector<double>& data,
                    const AttributeList& attributes) {
    writeDataset(group, name, data, attributes, NumberList{});
  }

  /// Scalar float64 attributes on `group` (same path rules as writeDataset;
  /// created with its parents as needed), e.g. ("/metrics/STN",
  /// {{"rate_hz", 20.1}, {"cv_isi", 0.4}}). NaN and infinities are stored
  /// as they are. A name already written on that group, or repeated within
  /// `values`, throws OutputError and nothing of that call is written. The
  /// CSV writer stores them as "# <group>/<name> = <value>" comment lines.
  virtual void writeNumbers(const std::string& group, const NumberList& values) = 0;

  /// writeNumbers for integers: scalar int64 attributes, same rules.
  virtual void writeIntegers(const std::string& group, const IntegerList& values) = 0;

  /// A uint64 dataset (node ids, indices), with the path rules and string
  /// attributes of writeDataset: 1-D, or [data.size() / columns][columns]
  /// row-major when columns > 1 (SONATA's index ranges). Writers that
  /// cannot store datasets (CSV) validate and drop it.
  virtual void writeIds(const std::string& group, const std::string& name,
                        const std::vector<std::uint64_t>& data, const AttributeList& attributes,
                        std::size_t columns = 1) = 0;

  /// Declare a spike population (empty datasets are valid).
  virtual void addSpikePopulation(const std::string& population) = 0;

  /// Append spikes of one population. Callers append in (time, node id)
  /// order across calls, so the file ends up sorted by time.
  virtual void appendSpikes(const std::string& population,
                            const std::vector<double>& timestamps_ms,
                            const std::vector<std::uint64_t>& node_ids) = 0;

  /// Declare a report of one variable (e.g. "V" in "mV") of the given
  /// cells of a population, sampled every step_ms from start_ms: SONATA's
  /// /report/<population>, one per population and file.
  virtual void addReport(const std::string& population, const std::vector<std::uint64_t>& node_ids,
                         double start_ms, double step_ms, const std::string& variable,
                         const std::string& units) = 0;

  /// Append n_times rows of the report; data is row-major [n_times x n_cells].
  virtual void appendReport(const std::string& population, const float* data,
                            std::size_t n_times) = 0;

  /// Write what is only known at the end (the sorting flag), close, and
  /// rename the partial file to its final name. `stop_ms` is where the run
  /// ended; a report's time range (mapping/time) is always that of the rows
  /// appended, so that it describes the data even if a run stopped between
  /// samples.
  virtual void finalize(double stop_ms) = 0;

  /// Make what was written so far part of the file that a killed run
  /// leaves: before work that writes nothing for a while (a run's
  /// analyses), whose wait would otherwise age it past the writers' second.
  virtual void flush() {}

  /// Path the finished file will have.
  virtual const std::string& path() const = 0;
};

namespace detail {

/// The rules for writeDataset()/writeNumbers() arguments, shared by all
/// writers so that a call rejected by one is rejected by every one.
inline void validateGroupPath(const std::string& group) {
  bool valid = !group.empty() && group.front() == '/' && group.find('\0') == std::string::npos;
  if (valid && group.size() > 1) {
    std::size_t begin = 1;
    while (valid && begin <= group.size()) {
      std::size_t end = group.find('/', begin);
      if (end == std::string::npos) end = group.size();
      const std::string component = group.substr(begin, end - begin);
      valid = !component.empty() && component != "." && component != "..";
      begin = end + 1;
    }
  }
  if (!valid) {
    throw OutputError("invalid group path '" + group +
                      "': it must be \"/\" or an absolute path like \"/metrics/STN\" without "
                      "empty, \".\" or \"..\" components");
  }
}

/// Dataset names are single path components.
inline void validateDatasetName(const std::string& group, const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos) {
    throw OutputError("invalid dataset name '" + name + "' in group '" + group +
                      "': it must be non-empty and must not contain '/'");
  }
}

/// Attribute names: non-empty and unique within one call (also across the
/// lists of `more`).
template <typename Pairs, typename... More>
void validateAttributeNames(const std::string& object_path, const Pairs& pairs, const More&... more) {
  std::set<std::string> seen;
  const auto check = [&](const auto& list) {
    for (const auto& pair : list) {
      const std::string& name = pair.first;
      if (name.empty() || name.find('\0') != std::string::npos) {
        throw OutputError("invalid attribute name '" + name + "' on '" + object_path +
                          "': it must be non-empty");
      }
      if (!seen.insert(name).second) {
        throw OutputError("attribute '" + name + "' given twice for '" + object_path + "'");
      }
    }
  };
  check(pairs);
  (check(more), ...);
}

/// "<group>/<name>" without a doubled '/' for the root group.
inline std::string joinPath(const std::string& group, const std::string& name) {
  return group == "/" ? "/" + name : group + "/" + name;
}

/// The rules for appendSpikes() arguments, shared by all writers.
inline void validateSpikes(const std::string& population, bool known, const std::string& file,
                           std::size_t timestamps, std::size_t node_ids) {
  if (!known) {
    throw OutputError("spikes appended to unknown population '" + population + "' in '" + file +
                      "' (call addSpikePopulation first)");
  }
  if (timestamps != node_ids) {
    throw OutputError("spikes of population '" + population + "': " + std::to_string(timestamps) +
                      " timestamps but " + std::to_string(node_ids) + " node ids");
  }
}

/// Whether something (also a dangling link) is at `path`.
bool pathExists(const std::string& path);
bool isDirectory(const std::string& path);

/// Which file a descriptor is, so that a writer removes its in-progress
/// file only while that name still holds the file it created.
struct FileIdentity {
  bool valid = false;
  unsigned long long device = 0;
  unsigned long long inode = 0;
};
FileIdentity identityOf(int fd);

/// Creates `path` exclusively (O_CREAT|O_EXCL|O_NOFOLLOW) and returns its
/// descriptor: an existing file or link there is never truncated or
/// followed. Throws OutputError naming `path`.
int createExclusive(const std::string& path);

/// Removes `path` if it is still the file `created` names; else nothing.
void removeIfSame(const std::string& path, const FileIdentity& created);

/// Renames a finished partial file to its final name; refuses (and removes
/// the partial file) if what is at the final name may not be replaced (see
/// checkOutputLocation). Throws OutputError.
void publishPartial(const std::string& partial_path, const FileIdentity& partial, const std::string& path,
                    bool overwrite);

}  // namespace detail

/// Whether two output paths name the same file (neither need exist yet):
/// ./out.h5, out.h5, its absolute path and a symbolic link to it do, as do
/// paths through a linked folder, and hard links of an existing file.
bool samePath(const std::string& a, const std::string& b);

/// The text samePath compares (links resolved): equal for paths it calls the
/// same but hard links, so that many paths are checked for repeats by
/// sorting, not pair by pair.
std::string pathKey(const std::string& path);

/// The checks of the output location a run makes before its first step
/// (also run by --validate). Throws OutputError naming the path if `path` is
/// empty; if something is at `path` that is not a regular file (a
/// directory, device, FIFO or symbolic link), or is one and overwrite is
/// false; if "<path>.partial" exists (another run writing `path`, or one
/// that was killed); or if the directory is missing or not writable.
void checkOutputLocation(const std::string& path, bool overwrite);

/// Runs checkOutputLocation and creates "<path>.partial" exclusively;
/// throws OutputError. Returns the HDF5 (SONATA) writer when built
/// with HDF5, otherwise a CSV spike writer.
std::unique_ptr<OutputWriter> makeOutputWriter(const std::string& path,
                                               bool overwrite);

/// A SONATA report file's writer (a [record] section's variable): runs
/// checkOutputLocation and creates "<path>.partial" exclusively. Builds
/// without HDF5 refuse it; throws OutputError naming `path`.
std::unique_ptr<OutputWriter> makeReportWriter(const std::string& path, bool overwrite);

/// A small text file written whole, with the output files' care: checked
/// like them, written to "<path>.partial" (created exclusively) and renamed
/// when complete; on any failure the partial file is removed. Throws
/// OutputError naming the path.
void writeTextFile(const std::string& path, const std::string& text, bool overwrite);

/// A file a run reads (a checkpoint, a spike or threshold file) must be a
/// regular file where it exists: opening a FIFO blocks until a writer comes,
/// and HDF5 opens its file more than once. Throws OutputError naming `what`
/// and the path; a missing path is left to the reader's own message.
void checkInputFile(const std::string& what, const std::string& path);

/// A path without its extension ("out/run.h5" -> "out/run"; a dot in a
/// directory name is not an extension): the stem of the files a run writes
/// next to its output file.
std::string pathStem(const std::string& path);

/// Whether this build writes report files (it has HDF5).
bool writesReportFiles();

/// The CSV spike writer (`timestamps population node_ids`), in every build.
std::unique_ptr<OutputWriter> makeCsvOutput(const std::string& path, bool overwrite);
#ifdef CBGTC_ENABLE_HDF5
/// The SONATA HDF5 writer.
std::unique_ptr<OutputWriter> makeHdf5Output(const std::string& path, bool overwrite);
#endif

}  // namespace cbgtc::io
