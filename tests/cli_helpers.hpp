#pragma once
// Run the cbgtc executable as a user would, and read back what it wrote.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#ifdef CBGTC_ENABLE_HDF5
#include "tests/hdf5_read.hpp"
#endif

namespace cbgtc::test {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cbgtc_test_XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    _path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(_path, ec);
  }
  const std::filesystem::path& path() const { return _path; }
  std::filesystem::path operator/(const std::string& name) const { return _path / name; }

 private:
  std::filesystem::path _path;
};

/// Runs `<launcher> cbgtc <args>` through the shell (args as written; the
/// launcher, e.g. "mpiexec -n 2", may be empty) with stdout and stderr
/// captured into files of `dir` named after `tag`.
inline RunResult runCbgtcWith(const std::string& launcher, const std::string& args, const TempDir& dir,
                              const std::string& tag = "") {
  const auto out = dir / ("stdout" + tag + ".txt");
  const auto err = dir / ("stderr" + tag + ".txt");
  const std::string cmd = launcher + " '" + CBGTC_EXE + "' " + args + " >'" + out.string() + "' 2>'" +
                          err.string() + "' </dev/null";
  const int status = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

inline RunResult runCbgtc(const std::string& args, const TempDir& dir) { return runCbgtcWith("", args, dir); }

/// A path quoted for the shell.
inline std::string quoted(const std::string& s) { return "'" + s + "'"; }
inline std::string quoted(const std::filesystem::path& p) { return quoted(p.string()); }

/// Path of a deck shipped in input/.
inline std::string inputDeck(const std::string& name) {
  return std::string(CBGTC_SOURCE_DIR) + "/input/" + name;
}

/// Spike times (ms) and node ids of one population from a run's output file
/// (SONATA HDF5, or the CSV of builds without HDF5).
struct Spikes {
  std::vector<double> times_ms;
  std::vector<std::uint64_t> node_ids;
};

inline Spikes readSpikes(const std::string& file, const std::string& population) {
  Spikes s;
#ifdef CBGTC_ENABLE_HDF5
  s.times_ms = readDoubles(file, "/spikes/" + population + "/timestamps");
  s.node_ids = readU64(file, "/spikes/" + population + "/node_ids");
#else
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line.rfind("timestamps", 0) == 0) continue;
    std::istringstream fields(line);
    double t;
    std::string pop;
    std::uint64_t id;
    if (fields >> t >> pop >> id && pop == population) {
      s.times_ms.push_back(t);
      s.node_ids.push_back(id);
    }
  }
#endif
  return s;
}

/// Names of the spike populations in a run's output file: the groups under
/// /spikes of a SONATA file, or (CSV, where an empty population leaves no
/// line) the populations that have spikes.
inline std::set<std::string> spikePopulations(const std::string& file) {
  std::set<std::string> names;
#ifdef CBGTC_ENABLE_HDF5
  const detail::Handle f = detail::openFile(file);
  const detail::Handle spikes(H5Gopen2(f.get(), "/spikes", H5P_DEFAULT), H5Gclose, "open group '/spikes'");
  H5G_info_t info;
  detail::check(H5Gget_info(spikes.get(), &info), "read group '/spikes'");
  for (hsize_t k = 0; k < info.nlinks; ++k) {
    const ssize_t size =
        H5Lget_name_by_idx(spikes.get(), ".", H5_INDEX_NAME, H5_ITER_INC, k, nullptr, 0, H5P_DEFAULT);
    if (size < 0) throw std::runtime_error("HDF5 read: cannot name a member of '/spikes'");
    std::string name(static_cast<std::size_t>(size) + 1, '\0');
    H5Lget_name_by_idx(spikes.get(), ".", H5_INDEX_NAME, H5_ITER_INC, k, name.data(), name.size(), H5P_DEFAULT);
    name.resize(static_cast<std::size_t>(size));
    names.insert(name);
  }
#else
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line.rfind("timestamps", 0) == 0) continue;
    std::istringstream fields(line);
    double t;
    std::string pop;
    if (fields >> t >> pop) names.insert(pop);
  }
#endif
  return names;
}

}  // namespace cbgtc::test
