#pragma once
// SONATA output (HDF5): spikes under /spikes/<population>, membrane-potential
// reports under /report/<population>. Readable by h5py, libsonata and bmtk.
// Anything else (analysis results, LFP) goes through writeDataset() and
// writeNumbers() into groups of the caller's choosing.
//
// The HDF5 types live in hdf5_output.cpp behind a pointer, so code that only
// includes this header needs no HDF5 include path.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "io/output_writer.hpp"

namespace cbgtc::io {

class Hdf5Output final : public OutputWriter {
 public:
  /// Creates "<path>.partial" exclusively. Throws OutputError if the
  /// location fails checkOutputLocation() or the partial file cannot be
  /// created.
  Hdf5Output(const std::string& path, bool overwrite);

  /// Removes the partial file it created unless finalize() succeeded. Never
  /// throws.
  ~Hdf5Output() override;

  Hdf5Output(const Hdf5Output&) = delete;
  Hdf5Output& operator=(const Hdf5Output&) = delete;

  void writeAttributes(const AttributeList& attributes) override;
  using OutputWriter::writeDataset;
  void writeDataset(const std::string& group, const std::string& name, const std::vector<double>& data,
                    const AttributeList& attributes, const NumberList& numbers) override;
  void writeNumbers(const std::string& group, const NumberList& values) override;
  void writeIntegers(const std::string& group, const IntegerList& values) override;
  void writeIds(const std::string& group, const std::string& name, const std::vector<std::uint64_t>& data,
                const AttributeList& attributes, std::size_t columns) override;
  void addSpikePopulation(const std::string& population) override;
  void appendSpikes(const std::string& population,
                    const std::vector<double>& timestamps_ms,
                    const std::vector<std::uint64_t>& node_ids) override;
  void addReport(const std::string& population, const std::vector<std::uint64_t>& node_ids, double start_ms,
                 double step_ms, const std::string& variable, const std::string& units) override;
  void appendReport(const std::string& population, const float* data,
                    std::size_t n_times) override;
  void finalize(double stop_ms) override;
  void flush() override;
  const std::string& path() const override;

  /// Where the data is written until finalize() renames it to path().
  const std::string& partialPath() const;

 private:
  class State;

  // Throws once the writer is finalized (or a finalize failed), because the
  // HDF5 handles are gone by then.
  State& openState(const char* operation);

  std::string _path;
  std::string _partial_path;
  bool _overwrite;
  detail::FileIdentity _created;  // the partial file this writer made
  std::unique_ptr<State> _state;  // null after finalize(), failed or not
};

}  // namespace cbgtc::io
