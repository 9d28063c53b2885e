#include "io/spike_input.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "io/hdf5_reader.hpp"
#include "io/output_writer.hpp"

#ifdef CBGTC_ENABLE_HDF5
#include <hdf5.h>
#endif

namespace cbgtc::io {

namespace {

bool isHdf5(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char signature[8] = {};
  in.read(signature, 8);
  return in.gcount() == 8 && std::memcmp(signature, "\x89HDF\r\n\x1a\n", 8) == 0;
}

#ifdef CBGTC_ENABLE_HDF5
template <class T>
std::vector<T> readColumn(hid_t file, const std::string& path, const std::string& dataset, hid_t type) {
  const hid_t d = H5Dopen2(file, dataset.c_str(), H5P_DEFAULT);
  if (d < 0) throw OutputError("spike file '" + path + "' has no dataset " + dataset);
  const hid_t space = H5Dget_space(d);
  const int rank = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
  hsize_t n = 0;
  if (rank == 1) H5Sget_simple_extent_dims(space, &n, nullptr);
  std::vector<T> out(static_cast<std::size_t>(n));
  const bool ok = rank == 1 && (n == 0 || H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) >= 0);
  if (space >= 0) H5Sclose(space);
  H5Dclose(d);
  if (!ok) throw OutputError("spike file '" + path + "': cannot read " + dataset + " as a 1-D numeric dataset");
  return out;
}

/// Node ids as stored: an integer dataset, none negative (a signed one is
/// read signed, so that −1 is not taken for a huge id or for node 0).
std::vector<std::uint64_t> readNodeIds(hid_t file, const std::string& path, const std::string& dataset) {
  const hid_t d = H5Dopen2(file, dataset.c_str(), H5P_DEFAULT);
  if (d < 0) throw OutputError("spike file '" + path + "' has no dataset " + dataset);
  const hid_t type = H5Dget_type(d);
  const bool integer = type >= 0 && H5Tget_class(type) == H5T_INTEGER;
  const bool is_signed = integer && H5Tget_sign(type) == H5T_SGN_2;
  if (type >= 0) H5Tclose(type);
  H5Dclose(d);
  if (!integer) throw OutputError("spike file '" + path + "': " + dataset + " holds no integers (node ids)");
  if (!is_signed) return readColumn<std::uint64_t>(file, path, dataset, H5T_NATIVE_UINT64);
  const std::vector<std::int64_t> ids = readColumn<std::int64_t>(file, path, dataset, H5T_NATIVE_INT64);
  std::vector<std::uint64_t> out;
  out.reserve(ids.size());
  for (const std::int64_t id : ids) {
    if (id < 0)
      throw OutputError("spike file '" + path + "': " + dataset + " holds the negative node id " +
                        std::to_string(id));
    out.push_back(static_cast<std::uint64_t>(id));
  }
  return out;
}

SpikeTable readHdf5(const std::string& path, const std::string& population) {
  // Errors are reported here, in one line, not by HDF5's error stack.
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) throw OutputError("cannot open spike file '" + path + "' as HDF5");
  SpikeTable t;
  try {
    const std::string base = "/spikes/" + population;
    if (H5Lexists(file, "/spikes", H5P_DEFAULT) > 0 && H5Lexists(file, base.c_str(), H5P_DEFAULT) <= 0) {
      // Name the populations the file has, as the CSV reader does.
      std::string names;
      const auto add = [](hid_t, const char* name, const H5L_info_t*, void* out) -> herr_t {
        auto& text = *static_cast<std::string*>(out);
        text += (text.empty() ? "" : ", ") + std::string(name);
        return 0;
      };
      H5Literate_by_name(file, "/spikes", H5_INDEX_NAME, H5_ITER_INC, nullptr, add, &names, H5P_DEFAULT);
      throw OutputError("spike file '" + path + "' has no population " + population + " under /spikes" +
                        (names.empty() ? std::string(" (nor any other)") : " (it has " + names + ")"));
    }
    t.timestamps_ms = readColumn<double>(file, path, base + "/timestamps", H5T_NATIVE_DOUBLE);
    t.node_ids = readNodeIds(file, path, base + "/node_ids");
  } catch (...) {
    H5Fclose(file);
    throw;
  }
  H5Fclose(file);
  // A run continued from a checkpoint without checkpoint.append writes the
  // spikes from the checkpoint on; its first part's file holds the rest.
  const Hdf5Reader reader(path);
  // SONATA gives the times' units; a file in seconds would otherwise replay
  // a thousand times too early.
  const std::string timestamps = "/spikes/" + population + "/timestamps";
  if (reader.hasAttribute(timestamps, "units")) {
    const std::string units = reader.text(timestamps, "units");
    if (units == "s" || units == "sec" || units == "second" || units == "seconds")
      for (double& v : t.timestamps_ms) v *= 1000.0;
    else if (!(units == "ms" || units == "msec" || units == "millisecond" || units == "milliseconds"))
      throw OutputError("spike file '" + path + "': " + timestamps + " has units '" + units +
                        "' (ms or s are read)");
  }
  if (reader.hasAttribute("/", "restarted_at_ms") &&
      !(reader.hasAttribute("/", "checkpoint.append") && reader.text("/", "checkpoint.append") == "true"))
    t.from_ms = reader.number("/", "restarted_at_ms");
  return t;
}
#endif

/// "timestamps population node_ids" lines; '#' lines are comments.
SpikeTable readCsv(const std::string& path, const std::string& population) {
  std::ifstream in(path);
  if (!in) throw OutputError("cannot open spike file '" + path + "'");
  SpikeTable t;
  std::string line;
  std::size_t number = 0;
  bool header = false;
  // A population is in the file when it has a spike line, or, without
  // spikes, the metrics comments cbgtc writes for each of its populations.
  bool present = false;
  const std::string metrics_comment = "# /metrics/" + population + "/";
  std::set<std::string> others;
  while (std::getline(in, line)) {
    ++number;
    if (line.rfind(metrics_comment, 0) == 0) present = true;
    if (line.empty() || line[0] == '#') continue;
    if (!header) {
      if (line != "timestamps population node_ids")
        throw OutputError("spike file '" + path + "': line " + std::to_string(number) +
                          " should be the header 'timestamps population node_ids'");
      header = true;
      continue;
    }
    std::istringstream words(line);
    std::string time, pop, id, extra;
    if (!(words >> time >> pop >> id) || (words >> extra))
      throw OutputError("spike file '" + path + "': line " + std::to_string(number) + " is not 'time population id'");
    if (pop != population) {
      others.insert(pop);
      continue;
    }
    present = true;
    double ms = 0;
    std::uint64_t node = 0;
    const auto a = std::from_chars(time.data(), time.data() + time.size(), ms);
    const auto b = std::from_chars(id.data(), id.data() + id.size(), node);
    if (a.ec != std::errc() || a.ptr != time.data() + time.size() || b.ec != std::errc() ||
        b.ptr != id.data() + id.size())
      throw OutputError("spike file '" + path + "': line " + std::to_string(number) + " is not 'time population id'");
    t.timestamps_ms.push_back(ms);
    t.node_ids.push_back(node);
  }
  // A read that failed (an I/O error) is not the end of the file.
  if (in.bad()) {
    const int error = errno;
    throw OutputError("cannot read spike file '" + path + "'" +
                      (number > 0 ? " after line " + std::to_string(number) : std::string()) + ": " +
                      (error != 0 ? std::strerror(error) : "read error"));
  }
  if (!header) throw OutputError("spike file '" + path + "' has no header 'timestamps population node_ids'");
  if (!present) {
    std::string names;
    for (const std::string& o : others) names += (names.empty() ? "" : ", ") + o;
    throw OutputError("spike file '" + path + "' has no population " + population +
                      (others.empty() ? std::string(" (nor any spike)") : " (it has " + names + ")"));
  }
  return t;
}

}  // namespace

SpikeTable readSpikeFile(const std::string& path, const std::string& population) {
  checkInputFile("spike file", path);
  SpikeTable t;
  if (isHdf5(path)) {
#ifdef CBGTC_ENABLE_HDF5
    t = readHdf5(path, population);
#else
    throw OutputError("spike file '" + path + "' is HDF5, and this build has no HDF5");
#endif
  } else {
    t = readCsv(path, population);
  }
  if (t.timestamps_ms.size() != t.node_ids.size())
    throw OutputError("spike file '" + path + "': population " + population + " has " +
                      std::to_string(t.timestamps_ms.size()) + " timestamps but " + std::to_string(t.node_ids.size()) +
                      " node ids");
  return t;
}

}  // namespace cbgtc::io
