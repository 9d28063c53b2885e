#pragma once
// What the simulation needs from its peers, behind one interface with a
// serial twin: LocalCommunicator (one process, no MPI) and MpiCommunicator.
// Both run the same code path, so a serial build exercises the exchange.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/spike_record.hpp"

namespace cbgtc::comm {

using cbgtc::SpikeRecord;

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  bool isRoot() const { return rank() == 0; }

  /// Every rank's records, concatenated in rank order, on every rank.
  virtual std::vector<SpikeRecord> allgather(const std::vector<SpikeRecord>& local) const = 0;
  /// Element-wise sum over ranks, result on every rank.
  virtual void sum(std::vector<double>& values) const = 0;
  virtual std::int64_t sum(std::int64_t value) const = 0;
  /// True on every rank if it is true on any.
  virtual bool any(bool value) const = 0;
  /// Element-wise minimum over ranks, result on every rank.
  virtual void min(std::vector<std::int64_t>& values) const = 0;
  /// Rank 0's `text` on every rank.
  virtual std::string broadcast(const std::string& text) const = 0;
  /// Every rank's floats concatenated in rank order, on rank 0 only.
  virtual std::vector<float> gatherToRoot(const std::vector<float>& local) const = 0;
  virtual std::vector<double> gatherToRoot(const std::vector<double>& local) const = 0;
  /// The ranks that give the same `color`, as a communicator of their own
  /// (collective: every rank calls it), ranked in this one's order.
  virtual std::unique_ptr<Communicator> split(int color) const = 0;
  /// Ends every rank of the job after a failure on one (no-op for a single
  /// process).
  virtual void abort(int code) const = 0;
  /// True for the first rank that asks, false for every later one, with no
  /// other rank taking part: a failure that several ranks meet alike (an
  /// allocation) is reported once.
  virtual bool firstToFail() const = 0;
  /// Collective: the next firstToFail is true again for the first rank that
  /// asks (each run of an ensemble reports its own failure).
  virtual void newFailureClaim() const = 0;
};

class LocalCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::vector<SpikeRecord> allgather(const std::vector<SpikeRecord>& local) const override { return local; }
  void sum(std::vector<double>&) const override {}
  std::int64_t sum(std::int64_t value) const override { return value; }
  bool any(bool value) const override { return value; }
  void min(std::vector<std::int64_t>&) const override {}
  std::vector<float> gatherToRoot(const std::vector<float>& local) const override { return local; }
  std::vector<double> gatherToRoot(const std::vector<double>& local) const override { return local; }
  std::string broadcast(const std::string& text) const override { return text; }
  std::unique_ptr<Communicator> split(int) const override { return std::make_unique<LocalCommunicator>(); }
  void abort(int) const override {}
  bool firstToFail() const override { return true; }
  void newFailureClaim() const override {}
};

/// MPI_COMM_WORLD when built with MPI and MPI is initialised, else local.
std::unique_ptr<Communicator> worldCommunicator();

/// Contiguous block of a population owned by one rank: sizes differ by at
/// most one, and ranks beyond the population size get empty blocks.
struct Block {
  std::int64_t begin = 0, end = 0;
  std::int64_t size() const { return end - begin; }
};

inline Block blockOf(std::int64_t n, int ranks, int rank) {
  return Block{n * rank / ranks, n * (rank + 1) / ranks};
}

}  // namespace cbgtc::comm
