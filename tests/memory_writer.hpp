#pragma once
// An OutputWriter that keeps everything in memory, for tests of what the
// simulation hands out.

#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "io/output_writer.hpp"

namespace cbgtc::test {

/// Datasets equal bit for bit, a NaN (an undefined comodulogram cell) equal
/// to a NaN of the same bits: the check of two runs that must be identical.
inline bool sameBits(const std::map<std::string, std::vector<double>>& a,
                     const std::map<std::string, std::vector<double>>& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [name, data] : a) {
    const auto other = b.find(name);
    if (other == b.end() || other->second.size() != data.size() ||
        std::memcmp(other->second.data(), data.data(), data.size() * sizeof(double)) != 0)
      return false;
  }
  return true;
}

class MemoryWriter final : public cbgtc::io::OutputWriter {
 public:
  struct Report {
    std::vector<std::uint64_t> ids;
    double start = 0, step = 0;
    std::vector<float> data;
    std::string variable, units;
  };
  std::map<std::string, std::vector<std::pair<double, std::uint64_t>>> spikes;
  std::map<std::string, Report> reports;
  std::map<std::string, std::vector<double>> datasets;  // "<group>/<name>"
  std::map<std::string, double> numbers;                 // "<group>/<name>"
  std::map<std::string, std::int64_t> integers;          // "<group>/<name>"
  std::map<std::string, std::vector<std::uint64_t>> ids;  // "<group>/<name>"
  std::string file = "memory";
  // Called after each appendSpikes with its population and its spikes' times
  // (a test's hook: e.g. a stop request once the run reaches a time).
  std::function<void(const std::string&, const std::vector<double>&)> on_spikes;

  void writeAttributes(const cbgtc::io::AttributeList&) override {}
  void addSpikePopulation(const std::string& pop) override { spikes[pop]; }
  void appendSpikes(const std::string& pop, const std::vector<double>& t,
                    const std::vector<std::uint64_t>& ids) override {
    for (std::size_t k = 0; k < t.size(); ++k) spikes.at(pop).emplace_back(t[k], ids[k]);
    if (on_spikes) on_spikes(pop, t);
  }
  void addReport(const std::string& pop, const std::vector<std::uint64_t>& ids, double start, double step,
                 const std::string& variable, const std::string& units) override {
    reports[pop] = Report{ids, start, step, {}, variable, units};
  }
  void appendReport(const std::string& pop, const float* data, std::size_t n_times) override {
    auto& r = reports.at(pop);
    r.data.insert(r.data.end(), data, data + n_times * r.ids.size());
  }
  using cbgtc::io::OutputWriter::writeDataset;
  void writeDataset(const std::string& group, const std::string& name, const std::vector<double>& data,
                    const cbgtc::io::AttributeList&, const cbgtc::io::NumberList& attributes) override {
    datasets[group + "/" + name] = data;
    for (const auto& [attribute, v] : attributes) numbers[group + "/" + name + "/" + attribute] = v;
  }
  void writeNumbers(const std::string& group, const std::vector<std::pair<std::string, double>>& values) override {
    for (const auto& [name, v] : values) numbers[group + "/" + name] = v;
  }
  void writeIntegers(const std::string& group, const cbgtc::io::IntegerList& values) override {
    for (const auto& [name, v] : values) integers[group + "/" + name] = v;
  }
  void writeIds(const std::string& group, const std::string& name, const std::vector<std::uint64_t>& data,
                const cbgtc::io::AttributeList&, std::size_t) override {
    ids[group + "/" + name] = data;
  }
  void finalize(double) override {}
  const std::string& path() const override { return file; }
};

}  // namespace cbgtc::test
