#pragma once
// Ensembles in one process: the runs of an ensemble advanced together as
// one network ([ensemble] replicas; docs/network.md, "Ensembles").
//
// Replica r's copy of a deck's section <name> is the section "<name>~r" of
// one merged network. Every population, projection and stimulus keeps its
// run's seed and the deck's name as its random identity (RandomIdentity), and
// a replica's projections and stimuli reach only its own populations, so
// replica r draws, connects and fires exactly as its run alone would: the
// same spikes, bit for bit, for any replica count, rank count or backend.
// The replicas share every kernel launch, spike exchange and epoch.
//
// The run's output is split again: ReplicaWriter passes each write to its
// replica's file under the deck's names, and replicaSummaries gives a
// replica's metrics.

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/output_writer.hpp"
#include "src/config.hpp"
#include "src/simulation.hpp"

namespace cbgtc {

/// "<name>~<replica>".
std::string replicaName(const std::string& name, std::size_t replica);

/// The runs as one network, replica r being runs[r], ensemble run
/// first_run + r. Keys outside the populations, projections and stimuli
/// (time step, duration, analysis, execution) are the network's and must be
/// equal in every run; the first one that differs is refused, named with
/// the two runs. [record] sections and output.network are refused (they are
/// for separate runs). Throws ConfigError naming ensemble.replicas and the key.
SimulationConfig mergeReplicas(const std::vector<SimulationConfig>& runs, std::size_t first_run = 0);

/// Each replica's part of the merged run's summary, under the deck's names:
/// its populations, and the pairs of them; a replica that failed alone
/// (RunSummary::replica_failures) has its failure and its own end.
std::vector<RunSummary> replicaSummaries(const RunSummary& merged, std::size_t replicas);

/// Passes each write to the writer of the replica whose tag its population
/// name or path carries ("/metrics/STN~2" to replica 2's as "/metrics/STN"),
/// and a write without a tag (root attributes, timers) to every one.
/// finalize() finalizes them in order; destroying it destroys them (each
/// unfinished one removes its partial file).
class ReplicaWriter final : public io::OutputWriter {
 public:
  explicit ReplicaWriter(std::vector<std::unique_ptr<io::OutputWriter>> writers);

  void writeAttributes(const io::AttributeList& attributes) override;
  using io::OutputWriter::writeDataset;
  void writeDataset(const std::string& group, const std::string& name, const std::vector<double>& data,
                    const io::AttributeList& attributes, const io::NumberList& numbers) override;
  void writeNumbers(const std::string& group, const io::NumberList& values) override;
  void writeIntegers(const std::string& group, const io::IntegerList& values) override;
  void writeIds(const std::string& group, const std::string& name, const std::vector<std::uint64_t>& data,
                const io::AttributeList& attributes, std::size_t columns) override;
  void addSpikePopulation(const std::string& population) override;
  void appendSpikes(const std::string& population, const std::vector<double>& timestamps_ms,
                    const std::vector<std::uint64_t>& node_ids) override;
  void addReport(const std::string& population, const std::vector<std::uint64_t>& node_ids, double start_ms,
                 double step_ms, const std::string& variable, const std::string& units) override;
  void appendReport(const std::string& population, const float* data, std::size_t n_times) override;
  void finalize(double stop_ms) override;
  void flush() override;
  /// The first replica's file.
  const std::string& path() const override;

  /// Replica r failed alone (RunSummary::replica_failures) at stop_ms: the
  /// network's end, written to every file (the root's `complete` and
  /// `stopped_at_ms`), reaches its file as complete = false, its failure
  /// and its own stop.
  void markFailed(std::size_t r, const std::string& failure, double stop_ms);

 private:
  /// The replica a name or path belongs to (npos: none) and the path under
  /// the deck's names.
  struct Route {
    std::size_t replica;
    std::string path;
  };
  Route route(const std::string& path) const;
  /// write(writer, path under the deck's names) for the replica `path`
  /// names, or write(writer, path) for every one when it names none.
  template <class Write>
  void toReplicaOf(const std::string& path, Write&& write);
  /// The writer of the replica a population belongs to, and its deck name
  /// (a population of no replica throws).
  io::OutputWriter& writerOf(const std::string& population, std::string& deck_name) const;

  std::vector<std::unique_ptr<io::OutputWriter>> _writers;
  struct Failure {
    std::string failure;
    double stop_ms;
  };
  std::map<std::size_t, Failure> _failed;  // markFailed's
};

}  // namespace cbgtc
