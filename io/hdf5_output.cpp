#include "io/hdf5_output.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <utility>

namespace cbgtc::io {
namespace {

constexpr std::uint32_t kSonataMagic = 0x0A7A;
constexpr std::uint32_t kSonataVersion[2] = {0, 1};

// 8Ki elements per chunk: 64 KiB for float64/uint64 spikes, 32 KiB for
// float32 reports. Small enough that a single-neuron run gives a small file,
// and below HDF5's default 1 MiB chunk cache, so the partly filled last chunk
// stays in memory between appends instead of being read back each time.
constexpr hsize_t kChunkElements = 8192;

// Values fixed by the SONATA spec for the spikes "sorting" attribute.
enum class Sorting : std::uint8_t { none = 0, by_id = 1, by_time = 2 };

// Owns one HDF5 identifier and the function that releases it (H5Fclose,
// H5Dclose, ...), so every early exit by exception closes what was opened.
class Hdf5Handle {
 public:
  using Closer = herr_t (*)(hid_t);

  Hdf5Handle() noexcept = default;
  Hdf5Handle(hid_t id, Closer closer) noexcept : _id(id), _closer(closer) {}
  Hdf5Handle(Hdf5Handle&& other) noexcept
      : _id(std::exchange(other._id, H5I_INVALID_HID)), _closer(other._closer) {}
  Hdf5Handle& operator=(Hdf5Handle&& other) noexcept {
    if (this != &other) {
      close();
      _id = std::exchange(other._id, H5I_INVALID_HID);
      _closer = other._closer;
    }
    return *this;
  }
  Hdf5Handle(const Hdf5Handle&) = delete;
  Hdf5Handle& operator=(const Hdf5Handle&) = delete;
  ~Hdf5Handle() { close(); }

  hid_t get() const noexcept { return _id; }

  // Returns the status so finalize() can report a failed close (closing the
  // file is what flushes it); the destructor has to ignore it.
  herr_t close() noexcept {
    if (_id < 0) return 0;
    const herr_t status = _closer(_id);
    _id = H5I_INVALID_HID;
    return status;
  }

 private:
  hid_t _id = H5I_INVALID_HID;
  Closer _closer = nullptr;
};

herr_t keepInnermost(unsigned n, const H5E_error2_t* error, void* client_data) {
  if (n == 0 && error->desc != nullptr) {
    *static_cast<std::string*>(client_data) = error->desc;
  }
  return 0;
}

// The innermost entry of HDF5's error stack names the actual cause; the
// outer entries only repeat which API call failed. A failed system call
// reads "file write failed: time = ..., filename = ..., errno = 28, error
// message = 'No space left on device', ..." over two lines: kept are its
// first words and the system's message, so that the error is one line.
std::string hdf5ErrorDetail() {
  std::string detail;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keepInnermost, &detail);
  H5Eclear2(H5E_DEFAULT);
  if (detail.empty()) return "unknown HDF5 error";
  const std::string marker = "error message = '";
  const auto at = detail.find(marker);
  if (at != std::string::npos) {
    const auto begin = at + marker.size();
    const auto end = detail.find('\'', begin);
    detail = detail.substr(0, detail.find_first_of(":,")) + ": " +
             detail.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
  }
  for (char& c : detail)
    if (c == '\n' || c == '\r') c = ' ';
  return detail;
}

// Population names become HDF5 group names; a '/' would silently create
// nested groups that no SONATA reader looks for.
void validatePopulationName(const std::string& population, const char* kind) {
  if (population.empty() || population == "." || population.find('/') != std::string::npos) {
    throw OutputError(std::string("invalid ") + kind + " name '" + population +
                      "': it must be non-empty and must not contain '/'");
  }
}

struct SpikePopulation {
  Hdf5Handle group;
  Hdf5Handle timestamps;
  Hdf5Handle node_ids;
  hsize_t size = 0;  // rows written
  // Appended, not yet written: a run appends an epoch's spikes every few
  // milliseconds, and each write is two HDF5 dataset extensions.
  std::vector<double> pending_timestamps;
  std::vector<std::uint64_t> pending_node_ids;
  double last_timestamp = -std::numeric_limits<double>::infinity();
  bool sorted_by_time = true;
};

struct Report {
  Hdf5Handle data;
  hsize_t n_cells = 0;
  hsize_t n_rows = 0;
  double start_ms = 0.0;
  double step_ms = 0.0;
  // The rows that mapping/time says there are: a flush rewrites it only
  // when rows came since, so that it costs nothing for the other reports.
  hsize_t n_rows_in_time = 0;
  // Where the rows written so far end.
  double stopMs() const { return start_ms + static_cast<double>(n_rows) * step_ms; }
};

// Wall time, and bytes appended, between flushes of appended data (see
// State::flush).
constexpr std::chrono::seconds kFlushInterval{1};
constexpr std::uint64_t kFlushBytes = std::uint64_t(16) << 20;
// Spikes kept in memory before they are written (1 MiB); all are written at
// each flush, so at least every kFlushInterval.
constexpr std::size_t kPendingSpikes = std::size_t(1) << 16;

// What HDF5 may allocate for its metadata between two reserve() calls (chunk
// index nodes, object header and heap growth), and how far beyond what is
// needed the file is extended at once (see State::reserve).
constexpr std::uint64_t kMetadataSlack = std::uint64_t(1) << 20;
constexpr std::uint64_t kReserveStep = std::uint64_t(1) << 20;

}  // namespace

class Hdf5Output::State {
 public:
  // `created` identifies the new file as soon as it exists, for the caller
  // to remove it if the rest of the set-up fails.
  State(std::string partial_path, detail::FileIdentity& created) : _partial_path(std::move(partial_path)) {
    Hdf5Handle access = checkId(H5Pcreate(H5P_FILE_ACCESS), H5Pclose,
                                "create file access property list");
    // With the default (weak) degree H5Fclose succeeds while objects are still
    // open and the real close and flush happen later, unchecked; semi makes a
    // forgotten handle an error we see in finalize().
    check(H5Pset_fclose_degree(access.get(), H5F_CLOSE_SEMI), "set file close degree");
    // The 1.8 format keeps an object's many attributes and links in an index
    // by name (the earliest format lists them): an ensemble's file in one
    // piece holds thousands, and each new one is checked against the rest.
    check(H5Pset_libver_bounds(access.get(), H5F_LIBVER_V18, H5F_LIBVER_V18), "set the file format version");
    // Changed metadata stays in memory until flush() writes all of it: the
    // file on disk is always the state of the last flush, so a run killed
    // at any moment (SIGKILL, a second SIGTERM) leaves a file that opens,
    // holding everything up to that flush. Without evictions the cache
    // grows as needed between flushes.
    H5AC_cache_config_t cache{};
    cache.version = H5AC__CURR_CACHE_CONFIG_VERSION;
    check(H5Pget_mdc_config(access.get(), &cache), "get metadata cache configuration");
    cache.evictions_enabled = false;
    cache.incr_mode = H5C_incr__off;
    cache.flash_incr_mode = H5C_flash_incr__off;
    cache.decr_mode = H5C_decr__off;
    check(H5Pset_mdc_config(access.get(), &cache), "disable metadata cache evictions");
    // A disk that is full already must show before HDF5 holds the file (see
    // reserve()), and errno's wording is clearer than HDF5's: a probe,
    // created exclusively and removed again.
    const int probe = detail::createExclusive(_partial_path);
    const detail::FileIdentity probed = detail::identityOf(probe);
    const int no_space = ::posix_fallocate(probe, 0, static_cast<off_t>(kMetadataSlack + kReserveStep));
    ::close(probe);
    detail::removeIfSame(_partial_path, probed);
    if (no_space != 0)
      throw OutputError("cannot create output file '" + _partial_path + "': " + std::strerror(no_space));
    // Exclusive: an existing file, or a link, at the name is neither
    // truncated nor followed.
    const hid_t file = H5Fcreate(_partial_path.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, access.get());
    _file = checkId(file, H5Fclose, "create file");
    void* handle = nullptr;
    check(H5Fget_vfd_handle(_file.get(), H5P_DEFAULT, &handle), "get the file descriptor");
    _fd = *static_cast<int*>(handle);
    created = detail::identityOf(_fd);

    reserve(0);
    Hdf5Handle scalar = scalarSpace("root attribute 'magic'");
    writeAttribute(_file.get(), "/", "magic", H5T_STD_U32LE, H5T_NATIVE_UINT32, scalar.get(),
                   &kSonataMagic);
    const hsize_t version_size = 2;
    Hdf5Handle pair = simpleSpace(1, &version_size, nullptr, "root attribute 'version'");
    writeAttribute(_file.get(), "/", "version", H5T_STD_U32LE, H5T_NATIVE_UINT32, pair.get(),
                   kSonataVersion);
    flush();
  }

  State(const State&) = delete;
  State& operator=(const State&) = delete;

  // Writes every change so far; the report times are brought up to the rows
  // written, so the file on disk is consistent whenever a run ends.
  void flush() {
    writePendingSpikes();
    reserve(0);
    // A report's rows reach the disk before its time range claims them: a
    // run killed between the two flushes leaves rows the range does not yet
    // name, never a range over rows the file lacks.
    bool times = false;
    for (const auto& [population, entry] : _reports) times = times || entry.n_rows != entry.n_rows_in_time;
    if (times) {
      check(H5Fflush(_file.get(), H5F_SCOPE_LOCAL), "flush file");
      for (auto& [population, entry] : _reports)
        if (entry.n_rows != entry.n_rows_in_time) writeReportTime(population, entry);
    }
    check(H5Fflush(_file.get(), H5F_SCOPE_LOCAL), "flush file");
    _pending_bytes = 0;
    _last_flush = std::chrono::steady_clock::now();
  }

  // Appends come every few milliseconds, and an ensemble's summaries are
  // thousands of small datasets: flushing each would cost more than the
  // run (a flush visits all the metadata so far). Root attributes (the end
  // mark among them) are flushed at once.
  void flushIfDue() {
    if (_pending_bytes >= kFlushBytes || std::chrono::steady_clock::now() - _last_flush >= kFlushInterval)
      flush();
  }

  // A full disk must be found here, not by HDF5: after a failed write HDF5
  // 1.10 can neither flush nor close the file, and its library crashes at
  // exit (at MPI_Finalize under MPI). So before each call that writes, the
  // file is extended (blocks allocated, not just a size) beyond all that
  // HDF5 may write until the next call, and a failure to extend it is the
  // full disk, reported with the file still in order. `bytes`: what the
  // call itself adds. HDF5 cuts the file back to its end of allocation when
  // it flushes; finalize() makes sure of it.
  void reserve(std::uint64_t bytes) {
    haddr_t end = 0;
    if (H5Fget_eoa(_file.get(), &end) < 0) fail("get the end of the file");
    // What was appended since the last flush may still wait in the chunk
    // caches, to be allocated when written, each dataset a chunk more.
    const std::uint64_t datasets = 2 * _spikes.size() + _reports.size() + 1;
    const std::uint64_t needed =
        end + _pending_bytes + bytes + datasets * kChunkElements * sizeof(double) + kMetadataSlack;
    struct stat info {};
    if (::fstat(_fd, &info) != 0) {
      const int error = errno;
      throw OutputError("HDF5 output '" + _partial_path + "': cannot write: " + std::strerror(error));
    }
    if (static_cast<std::uint64_t>(info.st_size) >= needed) return;
    const int error = ::posix_fallocate(_fd, 0, static_cast<off_t>(needed + kReserveStep));
    if (error != 0)
      throw OutputError("HDF5 output '" + _partial_path + "': cannot write: " + std::strerror(error));
  }

  // Checked up front so that a rejected call writes none of its attributes.
  void writeAttributes(const AttributeList& attributes) {
    detail::validateAttributeNames("/", attributes);
    requireNewAttributes(_file.get(), "/", attributes);
    std::uint64_t bytes = 0;
    for (const auto& [name, value] : attributes) bytes += name.size() + value.size() + 64;
    reserve(bytes);
    for (const auto& [name, value] : attributes) {
      writeStringAttribute(_file.get(), "/", name, value);
    }
    flush();
  }

  void writeDataset(const std::string& group, const std::string& name, const std::vector<double>& data,
                    const AttributeList& attributes, const NumberList& numbers) {
    writeVector(group, name, data.data(), data.size(), sizeof(double), H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                attributes, numbers);
  }

  void writeIds(const std::string& group, const std::string& name, const std::vector<std::uint64_t>& data,
                const AttributeList& attributes, std::size_t columns) {
    if (columns == 0 || data.size() % columns != 0)
      reject("'" + detail::joinPath(group, name) + "': " + std::to_string(data.size()) +
             " values are not rows of " + std::to_string(columns));
    writeVector(group, name, data.data(), data.size(), sizeof(std::uint64_t), H5T_STD_U64LE,
                H5T_NATIVE_UINT64, attributes, NumberList{}, columns);
  }

  /// A dataset of n elements of the given types: 1-D, or rows of `columns`.
  void writeVector(const std::string& group, const std::string& name, const void* data, std::size_t n,
                   std::size_t element_bytes, hid_t file_type, hid_t memory_type,
                   const AttributeList& attributes, const NumberList& numbers, std::size_t columns = 1) {
    detail::validateGroupPath(group);
    detail::validateDatasetName(group, name);
    const std::string full_path = detail::joinPath(group, name);
    detail::validateAttributeNames(full_path, attributes, numbers);
    reserve(n * element_bytes + numbers.size() * 128);
    Hdf5Handle parent = openOrCreateGroup(group);
    const htri_t exists = H5Lexists(parent.get(), name.c_str(), H5P_DEFAULT);
    if (exists < 0) fail("look up '" + full_path + "'");
    if (exists > 0) reject("'" + full_path + "' already exists");
    // Written once and never extended, so contiguous: no chunk index, and
    // the data is one block that any reader can map.
    const std::string what = "dataset '" + full_path + "'";
    const hsize_t shape[2] = {columns > 1 ? n / columns : n, columns};
    Hdf5Handle space = simpleSpace(columns > 1 ? 2 : 1, shape, nullptr, what);
    Hdf5Handle dataset = checkId(
        H5Dcreate2(parent.get(), name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
        H5Dclose, "create " + what);
    if (n > 0) {
      check(H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "write " + what);
    }
    for (const auto& [key, value] : attributes) {
      writeStringAttribute(dataset.get(), full_path, key, value);
    }
    if (!numbers.empty()) {
      Hdf5Handle scalar = scalarSpace("attributes on '" + full_path + "'");
      for (const auto& [key, value] : numbers)
        writeAttribute(dataset.get(), full_path, key, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, scalar.get(),
                       &value);
    }
    check(dataset.close(), "close " + what);
    check(parent.close(), "close group '" + group + "'");
    flushIfDue();
  }

  // IEEE float64 in the file, so NaN and infinities survive unchanged.
  void writeNumbers(const std::string& group, const NumberList& values) {
    writeScalars(group, values, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE);
  }

  void writeIntegers(const std::string& group, const IntegerList& values) {
    writeScalars(group, values, H5T_STD_I64LE, H5T_NATIVE_INT64);
  }

  /// Scalar attributes of one type on `group`, every name new.
  template <class Values>
  void writeScalars(const std::string& group, const Values& values, hid_t file_type, hid_t memory_type) {
    detail::validateGroupPath(group);
    detail::validateAttributeNames(group, values);
    reserve(values.size() * 128);
    Hdf5Handle target = openOrCreateGroup(group);
    requireNewAttributes(target.get(), group, values);
    Hdf5Handle scalar = scalarSpace("attributes on '" + group + "'");
    for (const auto& [name, value] : values)
      writeAttribute(target.get(), group, name, file_type, memory_type, scalar.get(), &value);
    check(target.close(), "close group '" + group + "'");
    flushIfDue();
  }

  void addSpikePopulation(const std::string& population) {
    validatePopulationName(population, "spike population");
    if (_spikes.count(population) != 0) {
      throw OutputError("spike population '" + population + "' added twice to '" +
                        _partial_path + "'");
    }
    // Opened rather than created (with "/spikes" if missing):
    // writeNumbers()/writeDataset() may have created these groups first.
    const std::string base = "/spikes/" + population;
    reserve(0);
    SpikePopulation entry;
    entry.group = openOrCreateGroup(base);
    writeSorting(entry.group.get(), base, Sorting::none, true);
    entry.timestamps =
        createExtendible(entry.group.get(), "timestamps", base + "/timestamps", H5T_IEEE_F64LE, 0);
    writeStringAttribute(entry.timestamps.get(), base + "/timestamps", "units", "ms");
    entry.node_ids =
        createExtendible(entry.group.get(), "node_ids", base + "/node_ids", H5T_STD_U64LE, 0);
    _spikes.emplace(population, std::move(entry));
    flushIfDue();
  }

  void appendSpikes(const std::string& population, const std::vector<double>& timestamps_ms,
                    const std::vector<std::uint64_t>& node_ids) {
    const auto found = _spikes.find(population);
    detail::validateSpikes(population, found != _spikes.end(), _partial_path, timestamps_ms.size(),
                           node_ids.size());
    if (timestamps_ms.empty()) return;
    SpikePopulation& entry = found->second;
    // "by_time" lets readers binary-search the timestamps, so it is claimed
    // only if the caller really kept the promised order.
    for (const double t : timestamps_ms) {
      if (t < entry.last_timestamp) entry.sorted_by_time = false;
      entry.last_timestamp = t;
    }
    entry.pending_timestamps.insert(entry.pending_timestamps.end(), timestamps_ms.begin(),
                                    timestamps_ms.end());
    entry.pending_node_ids.insert(entry.pending_node_ids.end(), node_ids.begin(), node_ids.end());
    _pending_spikes += timestamps_ms.size();
    if (_pending_spikes >= kPendingSpikes) writePendingSpikes();
    flushIfDue();
  }

  void writePendingSpikes() {
    for (auto& [population, entry] : _spikes) {
      const hsize_t n = entry.pending_timestamps.size();
      if (n == 0) continue;
      const std::string base = "/spikes/" + population;
      reserve(n * (sizeof(double) + sizeof(std::uint64_t)));
      appendRows(entry.timestamps, base + "/timestamps", H5T_NATIVE_DOUBLE, entry.pending_timestamps.data(),
                 entry.size, n, 0);
      appendRows(entry.node_ids, base + "/node_ids", H5T_NATIVE_UINT64, entry.pending_node_ids.data(),
                 entry.size, n, 0);
      entry.size += n;
      _pending_bytes += n * (sizeof(double) + sizeof(std::uint64_t));
      entry.pending_timestamps.clear();
      entry.pending_node_ids.clear();
    }
    _pending_spikes = 0;
  }

  void addReport(const std::string& population, const std::vector<std::uint64_t>& node_ids,
                 double start_ms, double step_ms, const std::string& variable, const std::string& units) {
    validatePopulationName(population, "report population");
    if (_reports.count(population) != 0 || _empty_reports.count(population) != 0) {
      throw OutputError("report '" + population + "' added twice to '" + _partial_path + "'");
    }
    if (node_ids.empty()) {
      // Remembered so that appendReport() for it is a no-op, not an error.
      _empty_reports.insert(population);
      return;
    }
    if (!std::isfinite(start_ms) || !std::isfinite(step_ms) || step_ms <= 0.0) {
      throw OutputError("report '" + population + "': start must be finite and step positive");
    }
    const std::string base = "/report/" + population;
    const hsize_t n_cells = node_ids.size();
    reserve(n_cells * 32);
    Report entry;
    entry.n_cells = n_cells;
    entry.start_ms = start_ms;
    entry.step_ms = step_ms;

    Hdf5Handle group = openOrCreateGroup(base);
    entry.data = createExtendible(group.get(), "data", base + "/data", H5T_IEEE_F32LE, n_cells);
    // bmtk's report reader takes the variable's name and units from here.
    writeStringAttribute(entry.data.get(), base + "/data", "variable", variable);
    writeStringAttribute(entry.data.get(), base + "/data", "units", units);

    const std::string mapping_path = base + "/mapping";
    Hdf5Handle mapping = openOrCreateGroup(mapping_path);
    writeFixed(mapping.get(), "node_ids", mapping_path, H5T_STD_U64LE, H5T_NATIVE_UINT64, n_cells,
               node_ids.data());
    // One element (the soma) per cell, so cell i owns element range [i, i+1).
    std::vector<std::uint64_t> index_pointers(n_cells + 1);
    std::iota(index_pointers.begin(), index_pointers.end(), std::uint64_t{0});
    writeFixed(mapping.get(), "index_pointers", mapping_path, H5T_STD_U64LE, H5T_NATIVE_UINT64,
               n_cells + 1, index_pointers.data());
    // libsonata reads "index_pointers", bmtk "index_pointer"; a hard link
    // serves both without storing the data twice.
    check(H5Lcreate_hard(mapping.get(), "index_pointers", mapping.get(), "index_pointer",
                         H5P_DEFAULT, H5P_DEFAULT),
          "create hard link '" + mapping_path + "/index_pointer'");
    const std::vector<std::uint32_t> element_ids(n_cells, 0);
    writeFixed(mapping.get(), "element_ids", mapping_path, H5T_STD_U32LE, H5T_NATIVE_UINT32,
               n_cells, element_ids.data());
    // A point neuron's one element sits in the middle of its one section.
    const std::vector<float> element_pos(n_cells, 0.5f);
    writeFixed(mapping.get(), "element_pos", mapping_path, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, n_cells,
               element_pos.data());
    // No rows yet: the report ends where it starts (flush() and finalize()
    // keep this up to date).
    const double time[3] = {start_ms, start_ms, step_ms};
    writeFixed(mapping.get(), "time", mapping_path, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 3, time,
               "ms");

    check(mapping.close(), "close group '" + mapping_path + "'");
    check(group.close(), "close group '" + base + "'");
    _reports.emplace(population, std::move(entry));
    flushIfDue();
  }

  void appendReport(const std::string& population, const float* data, std::size_t n_times) {
    if (_empty_reports.count(population) != 0) return;
    const auto found = _reports.find(population);
    if (found == _reports.end()) {
      throw OutputError("report rows appended to unknown report '" + population + "' in '" +
                        _partial_path + "' (call addReport first)");
    }
    if (n_times == 0) return;
    if (data == nullptr) {
      throw OutputError("report '" + population + "': null data for " + std::to_string(n_times) +
                        " rows");
    }
    Report& entry = found->second;
    const std::uint64_t bytes = n_times * entry.n_cells * sizeof(float);
    reserve(bytes);
    appendRows(entry.data, "/report/" + population + "/data", H5T_NATIVE_FLOAT, data, entry.n_rows,
               n_times, entry.n_cells);
    entry.n_rows += n_times;
    _pending_bytes += bytes;
    flushIfDue();
  }

  void finalize() {
    for (auto& [population, entry] : _spikes) {
      writeSorting(entry.group.get(), "/spikes/" + population,
                   entry.sorted_by_time ? Sorting::by_time : Sorting::none, false);
    }
    flush();
    // What reserve() added beyond HDF5's end of allocation is not part of
    // the file.
    haddr_t end = 0;
    if (H5Fget_eoa(_file.get(), &end) < 0) fail("get the end of the file");
    struct stat info {};
    if (::fstat(_fd, &info) == 0 && static_cast<std::uint64_t>(info.st_size) > end &&
        ::ftruncate(_fd, static_cast<off_t>(end)) != 0) {
      const int error = errno;
      reject(std::string("cannot cut the file to its end: ") + std::strerror(error));
    }
    closeAll();
  }

 private:
  // The range of the rows appended so far.
  void writeReportTime(const std::string& population, Report& entry) const {
    const std::string time_path = "/report/" + population + "/mapping/time";
    Hdf5Handle time = checkId(H5Dopen2(_file.get(), time_path.c_str(), H5P_DEFAULT), H5Dclose,
                              "open dataset '" + time_path + "'");
    const double values[3] = {entry.start_ms, entry.stopMs(), entry.step_ms};
    check(H5Dwrite(time.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values),
          "write dataset '" + time_path + "'");
    check(time.close(), "close dataset '" + time_path + "'");
    entry.n_rows_in_time = entry.n_rows;
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw OutputError("HDF5 output '" + _partial_path + "': cannot " + what + ": " +
                      hdf5ErrorDetail());
  }

  // A misuse HDF5 knows nothing about (it would not fail, or fail unclearly).
  [[noreturn]] void reject(const std::string& message) const {
    throw OutputError("HDF5 output '" + _partial_path + "': " + message);
  }

  void check(herr_t status, const std::string& what) const {
    if (status < 0) fail(what);
  }

  Hdf5Handle checkId(hid_t id, Hdf5Handle::Closer closer, const std::string& what) const {
    if (id < 0) fail(what);
    return Hdf5Handle(id, closer);
  }

  Hdf5Handle scalarSpace(const std::string& for_what) const {
    return checkId(H5Screate(H5S_SCALAR), H5Sclose, "create dataspace for " + for_what);
  }

  Hdf5Handle simpleSpace(int rank, const hsize_t* dims, const hsize_t* max_dims,
                         const std::string& for_what) const {
    return checkId(H5Screate_simple(rank, dims, max_dims), H5Sclose,
                   "create dataspace for " + for_what);
  }

  Hdf5Handle createGroup(hid_t parent, const std::string& name, const std::string& full_path) const {
    return checkId(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                   H5Gclose, "create group '" + full_path + "'");
  }

  // Opens the group at an absolute path (validated by the caller), creating
  // it and any missing parents; an existing non-group on the way throws.
  Hdf5Handle openOrCreateGroup(const std::string& path) const {
    Hdf5Handle current =
        checkId(H5Gopen2(_file.get(), "/", H5P_DEFAULT), H5Gclose, "open group '/'");
    std::string current_path;
    std::size_t begin = 1;
    while (begin < path.size()) {
      std::size_t end = path.find('/', begin);
      if (end == std::string::npos) end = path.size();
      const std::string name = path.substr(begin, end - begin);
      current_path += "/" + name;
      const htri_t exists = H5Lexists(current.get(), name.c_str(), H5P_DEFAULT);
      if (exists < 0) fail("look up '" + current_path + "'");
      if (exists == 0) {
        current = createGroup(current.get(), name, current_path);
      } else {
        Hdf5Handle next = checkId(H5Oopen(current.get(), name.c_str(), H5P_DEFAULT), H5Oclose,
                                  "open '" + current_path + "'");
        if (H5Iget_type(next.get()) != H5I_GROUP) {
          reject("'" + current_path + "' exists and is not a group");
        }
        current = std::move(next);
      }
      begin = end + 1;
    }
    return current;
  }

  // HDF5 would also refuse a second H5Acreate2 of a name, but only after the
  // earlier attributes of the same call were written.
  template <typename Pairs>
  void requireNewAttributes(hid_t object, const std::string& object_path,
                            const Pairs& pairs) const {
    for (const auto& pair : pairs) {
      const std::string& name = pair.first;
      const htri_t exists = H5Aexists(object, name.c_str());
      if (exists < 0) fail("look up attribute '" + name + "' on '" + object_path + "'");
      if (exists > 0) reject("attribute '" + name + "' already exists on '" + object_path + "'");
    }
  }

  void writeAttribute(hid_t object, const std::string& object_path, const std::string& name,
                      hid_t file_type, hid_t memory_type, hid_t space, const void* value) const {
    const std::string what = "attribute '" + name + "' on '" + object_path + "'";
    Hdf5Handle attribute =
        checkId(H5Acreate2(object, name.c_str(), file_type, space, H5P_DEFAULT, H5P_DEFAULT),
                H5Aclose, "create " + what);
    check(H5Awrite(attribute.get(), memory_type, value), "write " + what);
    check(attribute.close(), "close " + what);
  }

  void writeStringAttribute(hid_t object, const std::string& object_path, const std::string& name,
                            const std::string& value) const {
    const std::string what = "attribute '" + name + "' on '" + object_path + "'";
    Hdf5Handle type = checkId(H5Tcopy(H5T_C_S1), H5Tclose, "create string type for " + what);
    check(H5Tset_size(type.get(), H5T_VARIABLE), "set string size for " + what);
    check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "set UTF-8 for " + what);
    Hdf5Handle scalar = scalarSpace(what);
    const char* text = value.c_str();
    writeAttribute(object, object_path, name, type.get(), type.get(), scalar.get(), &text);
  }

  void writeSorting(hid_t group, const std::string& group_path, Sorting sorting,
                    bool create) const {
    const std::string what = "attribute 'sorting' on '" + group_path + "'";
    Hdf5Handle type = checkId(H5Tenum_create(H5T_STD_U8LE), H5Tclose, "create enum type for " + what);
    const std::pair<const char*, Sorting> members[] = {
        {"none", Sorting::none}, {"by_id", Sorting::by_id}, {"by_time", Sorting::by_time}};
    for (const auto& [name, member] : members) {
      const auto raw = static_cast<std::uint8_t>(member);
      check(H5Tenum_insert(type.get(), name, &raw), std::string("add '") + name + "' to " + what);
    }
    const auto raw = static_cast<std::uint8_t>(sorting);
    if (create) {
      Hdf5Handle scalar = scalarSpace(what);
      writeAttribute(group, group_path, "sorting", type.get(), type.get(), scalar.get(), &raw);
      return;
    }
    Hdf5Handle attribute =
        checkId(H5Aopen(group, "sorting", H5P_DEFAULT), H5Aclose, "open " + what);
    check(H5Awrite(attribute.get(), type.get(), &raw), "write " + what);
    check(attribute.close(), "close " + what);
  }

  // 1-D when row_width is 0, else [rows x row_width]; extendible in rows.
  Hdf5Handle createExtendible(hid_t parent, const std::string& name, const std::string& full_path,
                              hid_t file_type, hsize_t row_width) const {
    const int rank = row_width == 0 ? 1 : 2;
    const hsize_t dims[2] = {0, row_width};
    const hsize_t max_dims[2] = {H5S_UNLIMITED, row_width};
    hsize_t chunk[2] = {kChunkElements, 0};
    if (rank == 2) {
      // Very wide reports are also split across cells so one chunk never
      // outgrows the chunk cache.
      chunk[1] = std::min(row_width, kChunkElements);
      chunk[0] = std::max<hsize_t>(1, kChunkElements / chunk[1]);
    }
    const std::string what = "dataset '" + full_path + "'";
    Hdf5Handle space = simpleSpace(rank, dims, max_dims, what);
    Hdf5Handle create = checkId(H5Pcreate(H5P_DATASET_CREATE), H5Pclose,
                                "create property list for " + what);
    check(H5Pset_chunk(create.get(), rank, chunk), "set chunking of " + what);
    // Every element up to the extent is written by appendRows(), so
    // pre-filling chunks would only cost time.
    check(H5Pset_fill_time(create.get(), H5D_FILL_TIME_NEVER), "set fill time of " + what);
    return checkId(H5Dcreate2(parent, name.c_str(), file_type, space.get(), H5P_DEFAULT,
                              create.get(), H5P_DEFAULT),
                   H5Dclose, "create " + what);
  }

  void appendRows(const Hdf5Handle& dataset, const std::string& full_path, hid_t memory_type,
                  const void* buffer, hsize_t old_rows, hsize_t n_rows, hsize_t row_width) const {
    const int rank = row_width == 0 ? 1 : 2;
    const std::string what = "dataset '" + full_path + "'";
    const hsize_t new_dims[2] = {old_rows + n_rows, row_width};
    check(H5Dset_extent(dataset.get(), new_dims), "extend " + what);
    Hdf5Handle file_space =
        checkId(H5Dget_space(dataset.get()), H5Sclose, "get dataspace of " + what);
    const hsize_t start[2] = {old_rows, 0};
    const hsize_t count[2] = {n_rows, row_width};
    check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
          "select rows of " + what);
    Hdf5Handle memory_space = simpleSpace(rank, count, nullptr, what);
    check(H5Dwrite(dataset.get(), memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT,
                   buffer),
          "write " + what);
  }

  void writeFixed(hid_t parent, const std::string& name, const std::string& parent_path,
                  hid_t file_type, hid_t memory_type, hsize_t size, const void* values,
                  const char* units = nullptr) const {
    const std::string full_path = parent_path + "/" + name;
    const std::string what = "dataset '" + full_path + "'";
    Hdf5Handle space = simpleSpace(1, &size, nullptr, what);
    Hdf5Handle dataset = checkId(H5Dcreate2(parent, name.c_str(), file_type, space.get(),
                                            H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                                 H5Dclose, "create " + what);
    check(H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values),
          "write " + what);
    if (units != nullptr) writeStringAttribute(dataset.get(), full_path, "units", units);
    check(dataset.close(), "close " + what);
  }

  // Closes everything even after a failure, so that the file id is the last
  // one open, then reports the first failure.
  void closeAll() {
    std::string first_failure;
    const auto closeOne = [&first_failure](Hdf5Handle& handle, const std::string& what) {
      if (handle.close() < 0 && first_failure.empty()) {
        first_failure = "close " + what + ": " + hdf5ErrorDetail();
      }
    };
    for (auto& [population, entry] : _spikes) {
      const std::string base = "/spikes/" + population;
      closeOne(entry.timestamps, "dataset '" + base + "/timestamps'");
      closeOne(entry.node_ids, "dataset '" + base + "/node_ids'");
      closeOne(entry.group, "group '" + base + "'");
    }
    for (auto& [population, entry] : _reports) {
      closeOne(entry.data, "dataset '/report/" + population + "/data'");
    }
    closeOne(_file, "file");
    if (!first_failure.empty()) {
      throw OutputError("HDF5 output '" + _partial_path + "': cannot " + first_failure);
    }
  }

  std::string _partial_path;
  // Declared first so it is destroyed last, after every object inside it.
  Hdf5Handle _file;
  std::map<std::string, SpikePopulation> _spikes;
  std::map<std::string, Report> _reports;
  std::set<std::string> _empty_reports;
  int _fd = -1;                      // HDF5's descriptor of the file
  std::uint64_t _pending_bytes = 0;  // appended since the last flush
  std::size_t _pending_spikes = 0;   // in the populations' pending rows
  std::chrono::steady_clock::time_point _last_flush;
};

Hdf5Output::Hdf5Output(const std::string& path, bool overwrite)
    : _path(path), _partial_path(path + ".partial"), _overwrite(overwrite) {
  // Failures reach the caller as OutputError with HDF5's innermost message;
  // the default handler would also dump the whole error stack to stderr.
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  checkOutputLocation(path, overwrite);
  try {
    _state = std::make_unique<State>(_partial_path, _created);
  } catch (...) {
    detail::removeIfSame(_partial_path, _created);
    throw;
  }
}

Hdf5Output::~Hdf5Output() {
  if (_state) {
    _state.reset();
    detail::removeIfSame(_partial_path, _created);
  }
}

Hdf5Output::State& Hdf5Output::openState(const char* operation) {
  if (!_state) {
    throw OutputError(std::string("cannot ") + operation + " output file '" + _path +
                      "': finalize() was already called");
  }
  return *_state;
}

void Hdf5Output::writeAttributes(const AttributeList& attributes) {
  openState("write attributes to").writeAttributes(attributes);
}

void Hdf5Output::writeDataset(const std::string& group, const std::string& name,
                              const std::vector<double>& data, const AttributeList& attributes,
                              const NumberList& numbers) {
  openState("write a dataset to").writeDataset(group, name, data, attributes, numbers);
}

void Hdf5Output::writeNumbers(const std::string& group, const NumberList& values) {
  openState("write numbers to").writeNumbers(group, values);
}

void Hdf5Output::writeIntegers(const std::string& group, const IntegerList& values) {
  openState("write integers to").writeIntegers(group, values);
}

void Hdf5Output::writeIds(const std::string& group, const std::string& name,
                          const std::vector<std::uint64_t>& data, const AttributeList& attributes,
                          std::size_t columns) {
  openState("write a dataset to").writeIds(group, name, data, attributes, columns);
}

void Hdf5Output::addSpikePopulation(const std::string& population) {
  openState("add a spike population to").addSpikePopulation(population);
}

void Hdf5Output::appendSpikes(const std::string& population,
                              const std::vector<double>& timestamps_ms,
                              const std::vector<std::uint64_t>& node_ids) {
  openState("append spikes to").appendSpikes(population, timestamps_ms, node_ids);
}

void Hdf5Output::addReport(const std::string& population, const std::vector<std::uint64_t>& node_ids,
                           double start_ms, double step_ms, const std::string& variable, const std::string& units) {
  openState("add a report to").addReport(population, node_ids, start_ms, step_ms, variable, units);
}

void Hdf5Output::appendReport(const std::string& population, const float* data,
                              std::size_t n_times) {
  openState("append a report to").appendReport(population, data, n_times);
}

void Hdf5Output::finalize(double) {
  State& state = openState("finalize");
  try {
    state.finalize();
  } catch (...) {
    _state.reset();
    detail::removeIfSame(_partial_path, _created);
    throw;
  }
  _state.reset();
  detail::publishPartial(_partial_path, _created, _path, _overwrite);
}

void Hdf5Output::flush() { openState("flush").flush(); }

const std::string& Hdf5Output::path() const { return _path; }

const std::string& Hdf5Output::partialPath() const { return _partial_path; }

std::unique_ptr<OutputWriter> makeHdf5Output(const std::string& path, bool overwrite) {
  return std::make_unique<Hdf5Output>(path, overwrite);
}

}  // namespace cbgtc::io
