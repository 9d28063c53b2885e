#pragma once
// Output of one run: spikes and membrane-potential reports per population.
//
// Implementations write to "<path>.partial" and rename it to "<path>" only in
// finalize(), so an interrupted or failed run never leaves a file under the
// name the user asked for. Destroying a writer that was not finalized removes
// the partial file.

#include <cstdint>
#include <memory>
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

class OutputWriter {
 public:
  virtual ~OutputWriter() = default;

  /// Root attributes: strings, written once before any data.
  virtual void writeAttributes(const AttributeList& attributes) = 0;

  /// Declare a spike population (empty datasets are valid).
  virtual void addSpikePopulation(const std::string& population) = 0;

  /// Append spikes of one population. Callers append in (time, node id)
  /// order across calls, so the file ends up sorted by time.
  virtual void appendSpikes(const std::string& population,
                            const std::vector<double>& timestamps_ms,
                            const std::vector<std::uint64_t>& node_ids) = 0;

  /// Declare a membrane-potential report of the given cells, sampled every
  /// step_ms starting at start_ms.
  virtual void addReport(const std::string& population,
                         const std::vector<std::uint64_t>& node_ids,
                         double start_ms, double step_ms) = 0;

  /// Append n_times rows of the report; data is row-major [n_times x n_cells].
  virtual void appendReport(const std::string& population, const float* data,
                            std::size_t n_times) = 0;

  /// Write what is only known at the end (report stop time, sorting flag),
  /// close, and rename the partial file to its final name.
  virtual void finalize(double stop_ms) = 0;

  /// Path the finished file will have.
  virtual const std::string& path() const = 0;
};

/// Throws OutputError if `path` exists and overwrite is false, or if the
/// partial file cannot be created. Returns the HDF5 (SONATA) writer when built
/// with HDF5, otherwise a CSV spike writer.
std::unique_ptr<OutputWriter> makeOutputWriter(const std::string& path,
                                               bool overwrite);

}  // namespace cbgtc::io
