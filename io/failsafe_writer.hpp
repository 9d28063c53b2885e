#pragma once
// An OutputWriter that turns the first write failure (a full disk) into a
// stop of the run instead of an exception: the exception would leave rank 0
// while the other ranks wait for it in the next collective. It drops the
// failed writer (which removes its partial file), ignores every later call,
// and raises the run's stop flag, so that every rank stops at the next
// exchange; the caller then reports error() once.

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "io/output_writer.hpp"

namespace cbgtc::io {

class FailSafeWriter final : public OutputWriter {
 public:
  /// `writer` may be null (ranks that write nothing); `stop` is the flag the
  /// step loop polls.
  FailSafeWriter(std::unique_ptr<OutputWriter> writer, std::atomic<bool>* stop)
      : _writer(std::move(writer)), _stop(stop) {
    if (_writer) _path = _writer->path();
  }

  bool failed() const { return !_error.empty(); }
  const std::string& error() const { return _error; }

  /// Drops the writer without finalizing it (its partial file goes).
  void abandon() { _writer.reset(); }

  void writeAttributes(const AttributeList& attributes) override {
    guard([&] { _writer->writeAttributes(attributes); });
  }
  using OutputWriter::writeDataset;
  void writeDataset(const std::string& group, const std::string& name, const std::vector<double>& data,
                    const AttributeList& attributes, const NumberList& numbers) override {
    guard([&] { _writer->writeDataset(group, name, data, attributes, numbers); });
  }
  void writeNumbers(const std::string& group, const NumberList& values) override {
    guard([&] { _writer->writeNumbers(group, values); });
  }
  void writeIntegers(const std::string& group, const IntegerList& values) override {
    guard([&] { _writer->writeIntegers(group, values); });
  }
  void writeIds(const std::string& group, const std::string& name, const std::vector<std::uint64_t>& data,
                const AttributeList& attributes, std::size_t columns) override {
    guard([&] { _writer->writeIds(group, name, data, attributes, columns); });
  }
  void addSpikePopulation(const std::string& population) override {
    guard([&] { _writer->addSpikePopulation(population); });
  }
  void appendSpikes(const std::string& population, const std::vector<double>& timestamps_ms,
                    const std::vector<std::uint64_t>& node_ids) override {
    guard([&] { _writer->appendSpikes(population, timestamps_ms, node_ids); });
  }
  void addReport(const std::string& population, const std::vector<std::uint64_t>& node_ids, double start_ms,
                 double step_ms, const std::string& variable, const std::string& units) override {
    guard([&] { _writer->addReport(population, node_ids, start_ms, step_ms, variable, units); });
  }
  void appendReport(const std::string& population, const float* data, std::size_t n_times) override {
    guard([&] { _writer->appendReport(population, data, n_times); });
  }
  void flush() override {
    guard([&] { _writer->flush(); });
  }
  void finalize(double stop_ms) override {
    guard([&] { _writer->finalize(stop_ms); });
    _writer.reset();
  }
  const std::string& path() const override { return _path; }

 private:
  template <class Call>
  void guard(Call call) {
    if (!_writer) return;
    try {
      call();
    } catch (const OutputError& e) {
      _error = e.what();
      _writer.reset();
      if (_stop != nullptr) _stop->store(true);
    }
  }

  std::unique_ptr<OutputWriter> _writer;
  std::atomic<bool>* _stop;
  std::string _path;
  std::string _error;
};

}  // namespace cbgtc::io
