#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "io/output_writer.hpp"

namespace cbgtc::io::detail {

// lstat, not stat: a dangling symlink at the output path is still something
// that overwrite=false must not replace.
bool pathExists(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

bool isDirectory(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

void publishPartial(const std::string& partial_path, const std::string& path, bool overwrite) {
  // Checked again because the file may have appeared during the run, and
  // rename() would silently replace it.
  if (!overwrite && pathExists(path)) {
    std::remove(partial_path.c_str());
    throw OutputError("output file '" + path + "' appeared during the run; set output.overwrite=true to replace it");
  }
  if (std::rename(partial_path.c_str(), path.c_str()) != 0) {
    const int error = errno;
    std::remove(partial_path.c_str());
    throw OutputError("cannot rename '" + partial_path + "' to '" + path + "': " + std::strerror(error));
  }
}

}  // namespace cbgtc::io::detail
