#pragma once
// Reading back what an OutputWriter wrote to HDF5 (a checkpoint file):
// 1-D float64 and uint64 datasets, scalar attributes. Every failure is an
// OutputError naming the file and the path inside it.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/output_writer.hpp"

namespace cbgtc::io {

/// The attribute that seals a dataset's values (a checkpoint's): valuesDigest
/// of what was written; Hdf5Reader::doubles checks it where it is present.
inline constexpr const char* values_digest_attribute = "values_digest";

/// FNV-1a (64 bits) of the values' IEEE-754 bits and their count, as 16 hex
/// digits: a value changed in the file after it was written (a flipped bit,
/// an edit) no longer matches.
std::string valuesDigest(const std::vector<double>& values);

class Hdf5Reader {
 public:
  /// Opens `path` read-only; throws OutputError when it is not a readable
  /// HDF5 file (a truncated file is not) or the build has no HDF5.
  explicit Hdf5Reader(const std::string& path);
  ~Hdf5Reader();
  Hdf5Reader(const Hdf5Reader&) = delete;
  Hdf5Reader& operator=(const Hdf5Reader&) = delete;

  bool exists(const std::string& object) const;
  bool hasAttribute(const std::string& object, const std::string& attribute) const;
  /// A float64 dataset's values; throws OutputError naming it where it
  /// carries values_digest_attribute and the values do not match it.
  std::vector<double> doubles(const std::string& dataset) const;
  std::vector<std::uint64_t> ids(const std::string& dataset) const;
  /// A 1-D or 2-D float32 dataset, row-major; `columns` gets its second
  /// extent (1 for 1-D).
  std::vector<float> floats(const std::string& dataset, std::size_t& columns) const;
  double number(const std::string& object, const std::string& attribute) const;
  std::int64_t integer(const std::string& object, const std::string& attribute) const;
  std::string text(const std::string& object, const std::string& attribute) const;
  /// Every string attribute of `object`, by name (sorted).
  AttributeList texts(const std::string& object) const;
  const std::string& path() const { return _path; }

 private:
  std::string _path;
  std::int64_t _file = -1;
};

}  // namespace cbgtc::io
