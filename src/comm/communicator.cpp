#include "src/comm/communicator.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

#ifdef CBGTC_ENABLE_MPI
#include <mpi.h>
#endif

namespace cbgtc::comm {

#ifdef CBGTC_ENABLE_MPI
namespace {

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw std::runtime_error(std::string("MPI error in ") + what);
}

/// MPI_COMM_WORLD or a part of it. Spikes travel as bytes: the record is trivially copyable
/// and every rank runs the same binary.
class MpiCommunicator final : public Communicator {
 public:
  /// Over `comm`, which it frees at the end when `owned`.
  explicit MpiCommunicator(MPI_Comm comm = MPI_COMM_WORLD, bool owned = false) : _comm(comm), _owned(owned) {
    MPI_Comm_rank(_comm, &_rank);
    MPI_Comm_size(_comm, &_size);
    // One int on rank 0 that the first failing rank claims (firstToFail).
    if (MPI_Win_allocate(_rank == 0 ? sizeof(int) : 0, sizeof(int), MPI_INFO_NULL, _comm, &_claimed,
                         &_window) != MPI_SUCCESS)
      _window = MPI_WIN_NULL;
    if (_window != MPI_WIN_NULL && _rank == 0) {
      MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, _window);
      *_claimed = 0;
      MPI_Win_unlock(0, _window);
    }
    MPI_Barrier(_comm);
  }
  ~MpiCommunicator() override {
    if (_window != MPI_WIN_NULL) MPI_Win_free(&_window);
    if (_owned) MPI_Comm_free(&_comm);
  }
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;
  int rank() const override { return _rank; }
  int size() const override { return _size; }

  // MPI_Allgatherv: every rank needs every spike (any rank may own a target
  // of any source), and the counts per epoch are small; a sparse
  // neighbourhood exchange pays only when ranks share few connections.
  std::vector<SpikeRecord> allgather(const std::vector<SpikeRecord>& local) const override {
    // Byte counts in 64 bits, checked before MPI's int counts take them:
    // every rank sees every count, so all refuse together.
    const long long bytes = static_cast<long long>(local.size() * sizeof(SpikeRecord));
    std::vector<long long> sizes(_size);
    check(MPI_Allgather(&bytes, 1, MPI_LONG_LONG, sizes.data(), 1, MPI_LONG_LONG, _comm), "MPI_Allgather");
    long long total = 0;
    for (const long long size : sizes) total += size;
    if (total > std::numeric_limits<int>::max())
      throw std::runtime_error("spike exchange of one epoch exceeds 2 GiB (" + std::to_string(total) +
                               " bytes)");
    std::vector<int> counts(_size), displs(_size);
    for (int r = 0, at = 0; r < _size; ++r) {
      counts[r] = static_cast<int>(sizes[r]);
      displs[r] = at;
      at += counts[r];
    }
    std::vector<SpikeRecord> all(static_cast<std::size_t>(total) / sizeof(SpikeRecord));
    check(MPI_Allgatherv(local.data(), counts[_rank], MPI_BYTE, all.data(), counts.data(), displs.data(),
                         MPI_BYTE, _comm),
          "MPI_Allgatherv");
    return all;
  }
  void sum(std::vector<double>& values) const override {
    check(MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_DOUBLE, MPI_SUM,
                        _comm),
          "MPI_Allreduce");
  }
  std::int64_t sum(std::int64_t value) const override {
    long long v = value, out = 0;
    check(MPI_Allreduce(&v, &out, 1, MPI_LONG_LONG, MPI_SUM, _comm), "MPI_Allreduce");
    return out;
  }
  bool any(bool value) const override {
    int v = value ? 1 : 0, out = 0;
    check(MPI_Allreduce(&v, &out, 1, MPI_INT, MPI_LOR, _comm), "MPI_Allreduce");
    return out != 0;
  }
  void min(std::vector<std::int64_t>& values) const override {
    static_assert(sizeof(long long) == sizeof(std::int64_t));
    check(MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_LONG_LONG, MPI_MIN,
                        _comm),
          "MPI_Allreduce");
  }
  std::vector<float> gatherToRoot(const std::vector<float>& local) const override {
    return gather(local, MPI_FLOAT);
  }
  std::vector<double> gatherToRoot(const std::vector<double>& local) const override {
    return gather(local, MPI_DOUBLE);
  }
  std::string broadcast(const std::string& text) const override {
    unsigned long long size = text.size();
    check(MPI_Bcast(&size, 1, MPI_UNSIGNED_LONG_LONG, 0, _comm), "MPI_Bcast");
    std::string out = _rank == 0 ? text : std::string(size, '\0');
    // In pieces: MPI counts are int.
    for (unsigned long long done = 0; done < size;) {
      const int piece = static_cast<int>(std::min<unsigned long long>(size - done, 1ull << 30));
      check(MPI_Bcast(out.data() + done, piece, MPI_CHAR, 0, _comm), "MPI_Bcast");
      done += static_cast<unsigned long long>(piece);
    }
    return out;
  }
  std::unique_ptr<Communicator> split(int color) const override {
    MPI_Comm part = MPI_COMM_NULL;
    check(MPI_Comm_split(_comm, color, _rank, &part), "MPI_Comm_split");
    return std::make_unique<MpiCommunicator>(part, true);
  }
  void abort(int code) const override { MPI_Abort(MPI_COMM_WORLD, code); }
  // A passive-target compare-and-swap on rank 0's int: rank 0 need not call
  // anything, and may itself be failing or waiting in a collective.
  bool firstToFail() const override {
    if (_window == MPI_WIN_NULL) return true;
    const int mine = 1, unclaimed = 0;
    int previous = 0;
    if (MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, _window) != MPI_SUCCESS) return true;
    const int rc = MPI_Compare_and_swap(&mine, &unclaimed, &previous, MPI_INT, 0, 0, _window);
    MPI_Win_unlock(0, _window);
    return rc != MPI_SUCCESS || previous == unclaimed;
  }
  // Every rank has left the last claim's failure before rank 0 clears it,
  // and none claims again before it is cleared.
  void newFailureClaim() const override {
    if (_window == MPI_WIN_NULL) return;
    MPI_Barrier(_comm);
    if (_rank == 0) {
      MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, _window);
      *_claimed = 0;
      MPI_Win_unlock(0, _window);
    }
    MPI_Barrier(_comm);
  }

 private:
  /// Every rank's `local`, concatenated in rank order on rank 0 (empty
  /// elsewhere).
  template <class T>
  std::vector<T> gather(const std::vector<T>& local, MPI_Datatype type) const {
    if (local.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
      throw std::runtime_error("a gather of " + std::to_string(local.size()) +
                               " values from one rank exceeds MPI's "
                               "int counts");
    const int n = static_cast<int>(local.size());
    std::vector<int> counts(_size), displs(_size);
    check(MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, _comm), "MPI_Gather");
    long long total = 0;
    for (int r = 0; r < _size; ++r) {
      if (total > std::numeric_limits<int>::max())
        throw std::runtime_error("a gather of more than 2^31 values exceeds MPI's int displacements");
      displs[r] = static_cast<int>(total);
      total += counts[r];
    }
    std::vector<T> all(_rank == 0 ? static_cast<std::size_t>(total) : 0);
    check(MPI_Gatherv(local.data(), n, type, all.data(), counts.data(), displs.data(), type, 0, _comm),
          "MPI_Gatherv");
    return all;
  }

  MPI_Comm _comm;
  bool _owned;
  int _rank = 0, _size = 1;
  int* _claimed = nullptr;
  MPI_Win _window = MPI_WIN_NULL;
};

}  // namespace
#endif

std::unique_ptr<Communicator> worldCommunicator() {
#ifdef CBGTC_ENABLE_MPI
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) return std::make_unique<MpiCommunicator>();
#endif
  return std::make_unique<LocalCommunicator>();
}

}  // namespace cbgtc::comm
