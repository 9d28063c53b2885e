#pragma once
// An OutputWriter that keeps everything in memory, for tests of what the
// simulation hands out.

#include <map>
#include <string>
#include <vector>

#include "io/output_writer.hpp"

namespace cbgtc::test {

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

  void writeAttributes(const cbgtc::io::AttributeList&) override {}
  void addSpikePopulation(const std::string& pop) override { spikes[pop]; }
  void appendSpikes(const std::string& pop, const std::vector<double>& t,
                    const std::vector<std::uint64_t>& ids) override {
    for (std::size_t k = 0; k < t.size(); ++k) spikes.at(pop).emplace_back(t[k], ids[k]);
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
