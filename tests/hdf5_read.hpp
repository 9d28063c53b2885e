#pragma once
// Read-back helpers for tests of HDF5 output (HDF5 C API, header-only).
//
// Each helper also checks the stored type (class, size, signedness, string
// kind), not just the values: a converting read would hide a layout
// regression such as float32 timestamps where SONATA wants float64.
// All helpers throw std::runtime_error on any failure.

#include <hdf5.h>

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace cbgtc::test {
namespace detail {

class Handle {
 public:
  using Closer = herr_t (*)(hid_t);

  Handle(hid_t id, Closer closer, const std::string& what) : _id(id), _closer(closer) {
    if (id < 0) throw std::runtime_error("HDF5 read: cannot " + what);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() {
    if (_id >= 0) _closer(_id);
  }
  hid_t get() const { return _id; }

 private:
  hid_t _id;
  Closer _closer;
};

inline void check(herr_t status, const std::string& what) {
  if (status < 0) throw std::runtime_error("HDF5 read: cannot " + what);
}

inline Handle openFile(const std::string& file) {
  return Handle(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose,
                "open file '" + file + "'");
}

inline Handle openDataset(const Handle& file, const std::string& dataset) {
  return Handle(H5Dopen2(file.get(), dataset.c_str(), H5P_DEFAULT), H5Dclose,
                "open dataset '" + dataset + "'");
}

inline Handle openAttribute(const Handle& file, const std::string& object_path,
                            const std::string& name) {
  return Handle(H5Aopen_by_name(file.get(), object_path.c_str(), name.c_str(), H5P_DEFAULT,
                                H5P_DEFAULT),
                H5Aclose, "open attribute '" + name + "' on '" + object_path + "'");
}

inline std::vector<std::uint64_t> spaceDims(hid_t space, const std::string& what) {
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0) throw std::runtime_error("HDF5 read: cannot get rank of " + what);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0) check(H5Sget_simple_extent_dims(space, dims.data(), nullptr), "get dims of " + what);
  return std::vector<std::uint64_t>(dims.begin(), dims.end());
}

// expected_sign is H5T_SGN_ERROR for float types, where sign does not apply.
inline void expectType(hid_t type, H5T_class_t expected_class, std::size_t expected_size,
                       H5T_sign_t expected_sign, const std::string& what) {
  const H5T_class_t type_class = H5Tget_class(type);
  const std::size_t size = H5Tget_size(type);
  if (type_class != expected_class || size != expected_size) {
    throw std::runtime_error("HDF5 read: " + what + " has type class " +
                             std::to_string(static_cast<int>(type_class)) + " size " +
                             std::to_string(size) + ", expected class " +
                             std::to_string(static_cast<int>(expected_class)) + " size " +
                             std::to_string(expected_size));
  }
  if (expected_sign != H5T_SGN_ERROR && H5Tget_sign(type) != expected_sign) {
    throw std::runtime_error("HDF5 read: " + what + " has the wrong signedness");
  }
}

template <typename T>
std::vector<T> readDataset(const std::string& file, const std::string& dataset,
                           hid_t memory_type, H5T_class_t expected_class,
                           H5T_sign_t expected_sign, std::vector<std::uint64_t>* dims_out) {
  const std::string what = "dataset '" + dataset + "' in '" + file + "'";
  const Handle f = openFile(file);
  const Handle d = openDataset(f, dataset);
  const Handle type(H5Dget_type(d.get()), H5Tclose, "get type of " + what);
  expectType(type.get(), expected_class, sizeof(T), expected_sign, what);
  const Handle space(H5Dget_space(d.get()), H5Sclose, "get dataspace of " + what);
  const std::vector<std::uint64_t> dims = spaceDims(space.get(), what);
  std::size_t n = 1;
  for (const std::uint64_t dim : dims) n *= static_cast<std::size_t>(dim);
  std::vector<T> values(n);
  if (n > 0) {
    check(H5Dread(d.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
          "read " + what);
  }
  if (dims_out != nullptr) *dims_out = dims;
  return values;
}

}  // namespace detail

/// Dimensions of a dataset, e.g. {n_times, n_cells}.
inline std::vector<std::uint64_t> readDims(const std::string& file, const std::string& dataset) {
  const std::string what = "dataset '" + dataset + "' in '" + file + "'";
  const detail::Handle f = detail::openFile(file);
  const detail::Handle d = detail::openDataset(f, dataset);
  const detail::Handle space(H5Dget_space(d.get()), H5Sclose, "get dataspace of " + what);
  return detail::spaceDims(space.get(), what);
}

/// float64 dataset, flattened row-major.
inline std::vector<double> readDoubles(const std::string& file, const std::string& dataset) {
  return detail::readDataset<double>(file, dataset, H5T_NATIVE_DOUBLE, H5T_FLOAT, H5T_SGN_ERROR,
                                     nullptr);
}

/// float32 dataset, flattened row-major; dims (if given) receives its shape.
inline std::vector<float> readFloats(const std::string& file, const std::string& dataset,
                                     std::vector<std::uint64_t>* dims = nullptr) {
  return detail::readDataset<float>(file, dataset, H5T_NATIVE_FLOAT, H5T_FLOAT, H5T_SGN_ERROR,
                                    dims);
}

/// uint64 dataset, flattened row-major.
inline std::vector<std::uint64_t> readU64(const std::string& file, const std::string& dataset) {
  return detail::readDataset<std::uint64_t>(file, dataset, H5T_NATIVE_UINT64, H5T_INTEGER,
                                            H5T_SGN_NONE, nullptr);
}

/// uint32 dataset, flattened row-major.
inline std::vector<std::uint32_t> readU32(const std::string& file, const std::string& dataset) {
  return detail::readDataset<std::uint32_t>(file, dataset, H5T_NATIVE_UINT32, H5T_INTEGER,
                                            H5T_SGN_NONE, nullptr);
}

/// Scalar variable-length UTF-8 string attribute (anything else throws).
inline std::string readStringAttribute(const std::string& file, const std::string& object_path,
                                       const std::string& name) {
  const std::string what = "attribute '" + name + "' on '" + object_path + "' in '" + file + "'";
  const detail::Handle f = detail::openFile(file);
  const detail::Handle attribute = detail::openAttribute(f, object_path, name);
  const detail::Handle type(H5Aget_type(attribute.get()), H5Tclose, "get type of " + what);
  if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) <= 0) {
    throw std::runtime_error("HDF5 read: " + what + " is not a variable-length string");
  }
  if (H5Tget_cset(type.get()) != H5T_CSET_UTF8) {
    throw std::runtime_error("HDF5 read: " + what + " is not UTF-8");
  }
  const detail::Handle space(H5Aget_space(attribute.get()), H5Sclose, "get dataspace of " + what);
  if (H5Sget_simple_extent_type(space.get()) != H5S_SCALAR) {
    throw std::runtime_error("HDF5 read: " + what + " is not scalar");
  }
  const detail::Handle memory_type(H5Tcopy(H5T_C_S1), H5Tclose, "copy string type");
  detail::check(H5Tset_size(memory_type.get(), H5T_VARIABLE), "set string size");
  detail::check(H5Tset_cset(memory_type.get(), H5T_CSET_UTF8), "set string cset");
  char* text = nullptr;
  detail::check(H5Aread(attribute.get(), memory_type.get(), &text), "read " + what);
  std::string value = text != nullptr ? text : "";
  H5free_memory(text);
  return value;
}

namespace detail {

// Opens a scalar enum attribute with a uint8 base type and reads its raw value.
inline std::pair<std::uint8_t, std::string> readEnumAttribute(const std::string& file,
                                                              const std::string& object_path,
                                                              const std::string& name) {
  const std::string what = "attribute '" + name + "' on '" + object_path + "' in '" + file + "'";
  const Handle f = openFile(file);
  const Handle attribute = openAttribute(f, object_path, name);
  const Handle type(H5Aget_type(attribute.get()), H5Tclose, "get type of " + what);
  if (H5Tget_class(type.get()) != H5T_ENUM) {
    throw std::runtime_error("HDF5 read: " + what + " is not an enum");
  }
  const Handle base(H5Tget_super(type.get()), H5Tclose, "get base type of " + what);
  expectType(base.get(), H5T_INTEGER, 1, H5T_SGN_NONE, "base type of " + what);
  const Handle space(H5Aget_space(attribute.get()), H5Sclose, "get dataspace of " + what);
  if (H5Sget_simple_extent_type(space.get()) != H5S_SCALAR) {
    throw std::runtime_error("HDF5 read: " + what + " is not scalar");
  }
  // HDF5 has no enum-to-integer conversion, so read with the enum type itself.
  std::uint8_t value = 0;
  check(H5Aread(attribute.get(), type.get(), &value), "read " + what);
  char member[64] = {};
  check(H5Tenum_nameof(type.get(), &value, member, sizeof(member)),
        "name value " + std::to_string(value) + " of " + what);
  return {value, member};
}

}  // namespace detail

/// Raw uint8 value of a scalar enum attribute whose base type is uint8.
inline int readEnumAttributeValue(const std::string& file, const std::string& object_path,
                                  const std::string& name) {
  return detail::readEnumAttribute(file, object_path, name).first;
}

/// Member name of the value of a scalar uint8-based enum attribute.
inline std::string readEnumAttributeName(const std::string& file, const std::string& object_path,
                                         const std::string& name) {
  return detail::readEnumAttribute(file, object_path, name).second;
}

/// All members (name -> value) of the enum type of an attribute.
inline std::map<std::string, int> readEnumAttributeMembers(const std::string& file,
                                                           const std::string& object_path,
                                                           const std::string& name) {
  const std::string what = "attribute '" + name + "' on '" + object_path + "' in '" + file + "'";
  const detail::Handle f = detail::openFile(file);
  const detail::Handle attribute = detail::openAttribute(f, object_path, name);
  const detail::Handle type(H5Aget_type(attribute.get()), H5Tclose, "get type of " + what);
  if (H5Tget_class(type.get()) != H5T_ENUM || H5Tget_size(type.get()) != 1) {
    throw std::runtime_error("HDF5 read: " + what + " is not a 1-byte enum");
  }
  const int n_members = H5Tget_nmembers(type.get());
  if (n_members < 0) throw std::runtime_error("HDF5 read: cannot count members of " + what);
  std::map<std::string, int> members;
  for (int i = 0; i < n_members; ++i) {
    char* member_name = H5Tget_member_name(type.get(), static_cast<unsigned>(i));
    if (member_name == nullptr) throw std::runtime_error("HDF5 read: member name of " + what);
    const std::string key = member_name;
    H5free_memory(member_name);
    std::uint8_t value = 0;
    detail::check(H5Tget_member_value(type.get(), static_cast<unsigned>(i), &value),
                  "get member value of " + what);
    members[key] = value;
  }
  return members;
}

/// uint32 attribute, scalar (one element) or 1-D.
inline std::vector<std::uint32_t> readU32Attribute(const std::string& file,
                                                   const std::string& object_path,
                                                   const std::string& name) {
  const std::string what = "attribute '" + name + "' on '" + object_path + "' in '" + file + "'";
  const detail::Handle f = detail::openFile(file);
  const detail::Handle attribute = detail::openAttribute(f, object_path, name);
  const detail::Handle type(H5Aget_type(attribute.get()), H5Tclose, "get type of " + what);
  detail::expectType(type.get(), H5T_INTEGER, 4, H5T_SGN_NONE, what);
  const detail::Handle space(H5Aget_space(attribute.get()), H5Sclose, "get dataspace of " + what);
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (n < 0) throw std::runtime_error("HDF5 read: cannot size " + what);
  std::vector<std::uint32_t> values(static_cast<std::size_t>(n));
  if (n > 0) {
    detail::check(H5Aread(attribute.get(), H5T_NATIVE_UINT32, values.data()), "read " + what);
  }
  return values;
}

namespace detail {
/// A scalar attribute of exactly the given class and size (any other throws).
template <class T>
T readScalarAttribute(const std::string& file, const std::string& object_path, const std::string& name,
                      H5T_class_t type_class, H5T_sign_t sign, hid_t memory_type) {
  const std::string what = "attribute '" + name + "' on '" + object_path + "' in '" + file + "'";
  const Handle f = openFile(file);
  const Handle attribute = openAttribute(f, object_path, name);
  const Handle type(H5Aget_type(attribute.get()), H5Tclose, "get type of " + what);
  expectType(type.get(), type_class, sizeof(T), sign, what);
  const Handle space(H5Aget_space(attribute.get()), H5Sclose, "get dataspace of " + what);
  if (H5Sget_simple_extent_type(space.get()) != H5S_SCALAR) {
    throw std::runtime_error("HDF5 read: " + what + " is not scalar");
  }
  T value{};
  check(H5Aread(attribute.get(), memory_type, &value), "read " + what);
  return value;
}
}  // namespace detail

/// Scalar float64 attribute (a float32, integer or 1-D attribute throws).
inline double readDoubleAttribute(const std::string& file, const std::string& object_path,
                                  const std::string& name) {
  return detail::readScalarAttribute<double>(file, object_path, name, H5T_FLOAT, H5T_SGN_ERROR,
                                             H5T_NATIVE_DOUBLE);
}

/// Scalar int64 attribute (any other type throws).
inline std::int64_t readInt64Attribute(const std::string& file, const std::string& object_path,
                                       const std::string& name) {
  return detail::readScalarAttribute<std::int64_t>(file, object_path, name, H5T_INTEGER, H5T_SGN_2,
                                                   H5T_NATIVE_INT64);
}

/// Names of the attributes of an object, in HDF5's name order.
inline std::vector<std::string> readAttributeNames(const std::string& file,
                                                   const std::string& object_path) {
  const std::string what = "attributes of '" + object_path + "' in '" + file + "'";
  const detail::Handle f = detail::openFile(file);
  const detail::Handle object(H5Oopen(f.get(), object_path.c_str(), H5P_DEFAULT), H5Oclose,
                              "open " + what);
  std::vector<std::string> names;
  const auto collect = [](hid_t, const char* attribute_name, const H5A_info_t*,
                          void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(attribute_name);
    return 0;
  };
  hsize_t index = 0;
  detail::check(H5Aiterate2(object.get(), H5_INDEX_NAME, H5_ITER_INC, &index, collect, &names),
                "iterate " + what);
  return names;
}

/// Whether an absolute path ("/report/STN/data") names an object; missing
/// intermediate groups count as "no" rather than an error.
inline bool objectExists(const std::string& file, const std::string& path) {
  const detail::Handle f = detail::openFile(file);
  std::string prefix;
  std::size_t begin = 1;
  while (begin <= path.size()) {
    std::size_t end = path.find('/', begin);
    if (end == std::string::npos) end = path.size();
    prefix += "/" + path.substr(begin, end - begin);
    const htri_t exists = H5Lexists(f.get(), prefix.c_str(), H5P_DEFAULT);
    if (exists < 0) throw std::runtime_error("HDF5 read: cannot look up '" + prefix + "'");
    if (exists == 0) return false;
    begin = end + 1;
  }
  return true;
}

/// Whether two paths are hard links to one object (not copies).
inline bool isSameObject(const std::string& file, const std::string& path_a,
                         const std::string& path_b) {
  const detail::Handle f = detail::openFile(file);
#if H5_VERSION_GE(1, 12, 0)
  H5O_info2_t info_a{};
  H5O_info2_t info_b{};
  detail::check(H5Oget_info_by_name3(f.get(), path_a.c_str(), &info_a, H5O_INFO_BASIC, H5P_DEFAULT),
                "get object info of '" + path_a + "'");
  detail::check(H5Oget_info_by_name3(f.get(), path_b.c_str(), &info_b, H5O_INFO_BASIC, H5P_DEFAULT),
                "get object info of '" + path_b + "'");
  int compare = 0;
  detail::check(H5Otoken_cmp(f.get(), &info_a.token, &info_b.token, &compare),
                "compare objects");
  return compare == 0;
#else
  H5O_info_t info_a{};
  H5O_info_t info_b{};
  detail::check(H5Oget_info_by_name2(f.get(), path_a.c_str(), &info_a, H5O_INFO_BASIC, H5P_DEFAULT),
                "get object info of '" + path_a + "'");
  detail::check(H5Oget_info_by_name2(f.get(), path_b.c_str(), &info_b, H5O_INFO_BASIC, H5P_DEFAULT),
                "get object info of '" + path_b + "'");
  return info_a.fileno == info_b.fileno && info_a.addr == info_b.addr;
#endif
}

}  // namespace cbgtc::test
