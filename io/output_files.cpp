#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "io/output_writer.hpp"

namespace cbgtc::io {

namespace {

std::string errnoText(int error) { return std::strerror(error); }

std::string directoryOf(const std::string& path) {
  const std::string parent = std::filesystem::path(path).parent_path().string();
  return parent.empty() ? std::string(".") : parent;
}

// Only a regular file may be replaced: rename() would put a regular file in
// place of a device node, a FIFO or a symbolic link, and cannot replace a
// directory.
void requireReplaceable(const std::string& path, bool overwrite) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) return;
  if (S_ISDIR(info.st_mode)) throw OutputError("output path '" + path + "' is a directory");
  if (S_ISLNK(info.st_mode))
    throw OutputError("output path '" + path + "' exists and is a symbolic link, not a regular file");
  if (!S_ISREG(info.st_mode))
    throw OutputError("output path '" + path + "' exists and is not a regular file");
  if (!overwrite)
    throw OutputError("output file '" + path + "' exists; set output.overwrite=true to replace it");
}

}  // namespace

void checkOutputLocation(const std::string& path, bool overwrite) {
  if (path.empty()) throw OutputError("output file path is empty");
  requireReplaceable(path, overwrite);
  const std::string partial = path + ".partial";
  if (detail::pathExists(partial))
    throw OutputError("in-progress file '" + partial + "' exists (a run writing '" + path +
                      "', or one that was killed): remove it, or write this file elsewhere");
  const std::string directory = directoryOf(path);
  struct stat info {};
  if (::stat(directory.c_str(), &info) != 0) {
    const int error = errno;
    throw OutputError("cannot create output file '" + path + "': directory '" + directory +
                      "': " + errnoText(error));
  }
  if (!S_ISDIR(info.st_mode))
    throw OutputError("cannot create output file '" + path + "': '" + directory + "' is not a directory");
  if (::access(directory.c_str(), W_OK | X_OK) != 0) {
    const int error = errno;
    throw OutputError("cannot create output file '" + path + "' in '" + directory + "': " + errnoText(error));
  }
}

std::string pathStem(const std::string& path) {
  const auto slash = path.find_last_of('/');
  const auto dot = path.find_last_of('.');
  const bool has_extension = dot != std::string::npos && (slash == std::string::npos || dot > slash + 1);
  return has_extension ? path.substr(0, dot) : path;
}

void writeTextFile(const std::string& path, const std::string& text, bool overwrite) {
  checkOutputLocation(path, overwrite);
  const std::string partial = path + ".partial";
  const int fd = detail::createExclusive(partial);
  const detail::FileIdentity created = detail::identityOf(fd);
  std::size_t done = 0;
  int error = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = errno;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error != 0) {
    detail::removeIfSame(partial, created);
    throw OutputError("cannot write '" + partial + "': " + errnoText(error));
  }
  detail::publishPartial(partial, created, path, overwrite);
}

namespace detail {

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

FileIdentity identityOf(int fd) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) return {};
  return {true, info.st_dev, info.st_ino};
}

int createExclusive(const std::string& path) {
  // O_EXCL also refuses a symbolic link (even a dangling one) at `path`, so
  // no other file is ever truncated or written through a link.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0) {
    const int error = errno;
    if (error == EEXIST)
      throw OutputError("in-progress file '" + path +
                        "' exists (another run writing the same output file, or " +
                        "one that was killed): remove it, or write this file elsewhere");
    throw OutputError("cannot create output file '" + path + "': " + errnoText(error));
  }
  return fd;
}

void removeIfSame(const std::string& path, const FileIdentity& created) {
  if (!created.valid) return;
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) return;
  if (info.st_dev == created.device && info.st_ino == created.inode) ::unlink(path.c_str());
}

void publishPartial(const std::string& partial_path, const FileIdentity& partial, const std::string& path,
                    bool overwrite) {
  // Checked again because something may have appeared at `path` during the
  // run, and rename() would silently replace it.
  try {
    requireReplaceable(path, overwrite);
  } catch (const OutputError& e) {
    removeIfSame(partial_path, partial);
    throw OutputError("cannot rename '" + partial_path + "' to '" + path +
                      "', something appeared there during the run: " + e.what());
  }
  if (std::rename(partial_path.c_str(), path.c_str()) != 0) {
    const int error = errno;
    removeIfSame(partial_path, partial);
    throw OutputError("cannot rename '" + partial_path + "' to '" + path + "': " + errnoText(error));
  }
}

}  // namespace detail

void checkInputFile(const std::string& what, const std::string& path) {
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);  // follows links
  if (error || !std::filesystem::exists(status) || std::filesystem::is_regular_file(status)) return;
  throw OutputError(what + " '" + path + "' is " +
                    (std::filesystem::is_directory(status)
                         ? "a directory"
                         : "not a regular file (a pipe or device is not read)"));
}

std::string pathKey(const std::string& path) {
  // Symbolic links resolved where the path exists (a file to be written: its folders').
  const std::filesystem::path absolute = std::filesystem::absolute(path);
  std::error_code error;
  const std::filesystem::path resolved = std::filesystem::weakly_canonical(absolute, error);
  return (error ? absolute.lexically_normal() : resolved).string();
}

bool samePath(const std::string& a, const std::string& b) {
  if (pathKey(a) == pathKey(b)) return true;
  std::error_code error;
  return std::filesystem::equivalent(a, b, error);  // (hard links of one file)
}
}  // namespace cbgtc::io
