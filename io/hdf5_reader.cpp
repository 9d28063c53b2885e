#include "io/hdf5_reader.hpp"

#include <cstdio>
#include <cstring>

#ifdef CBGTC_ENABLE_HDF5
#include <hdf5.h>
#endif

namespace cbgtc::io {

std::string valuesDigest(const std::vector<double>& values) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  const auto mix = [&hash](std::uint64_t word) {
    for (int byte = 0; byte < 8; ++byte) {
      hash ^= (word >> (8 * byte)) & 0xff;
      hash *= 0x100000001b3ULL;
    }
  };
  mix(values.size());
  for (const double v : values) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    mix(bits);
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

#ifdef CBGTC_ENABLE_HDF5

namespace {

template <class T>
std::vector<T> readDataset(hid_t file, const std::string& path, const std::string& name, hid_t type,
                           std::size_t* columns = nullptr) {
  const hid_t d = H5Oexists_by_name(file, name.c_str(), H5P_DEFAULT) > 0
                      ? H5Dopen2(file, name.c_str(), H5P_DEFAULT)
                      : H5I_INVALID_HID;
  if (d < 0) throw OutputError("'" + path + "' has no dataset " + name);
  const hid_t space = H5Dget_space(d);
  const int rank = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
  hsize_t dims[2] = {0, 1};
  const bool shaped = rank == 1 || (rank == 2 && columns != nullptr);
  if (shaped) H5Sget_simple_extent_dims(space, dims, nullptr);
  const hsize_t n = dims[0] * dims[1];
  std::vector<T> out(static_cast<std::size_t>(n));
  const bool ok = shaped && (n == 0 || H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) >= 0);
  if (space >= 0) H5Sclose(space);
  H5Dclose(d);
  if (!ok) throw OutputError("'" + path + "': cannot read " + name + (columns ? " as a 1-D or 2-D dataset" : " as a 1-D dataset"));
  if (columns) *columns = static_cast<std::size_t>(dims[1]);
  return out;
}

hid_t openAttribute(hid_t file, const std::string& path, const std::string& object, const std::string& name) {
  const hid_t a = H5Oexists_by_name(file, object.c_str(), H5P_DEFAULT) > 0 &&
                          H5Aexists_by_name(file, object.c_str(), name.c_str(), H5P_DEFAULT) > 0
                      ? H5Aopen_by_name(file, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT)
                      : H5I_INVALID_HID;
  if (a < 0) throw OutputError("'" + path + "' has no attribute " + object + ":" + name);
  return a;
}

template <class T>
T readScalar(hid_t file, const std::string& path, const std::string& object, const std::string& name,
             hid_t type) {
  const hid_t a = openAttribute(file, path, object, name);
  T value{};
  const bool ok = H5Aread(a, type, &value) >= 0;
  H5Aclose(a);
  if (!ok) throw OutputError("'" + path + "': cannot read attribute " + object + ":" + name);
  return value;
}

std::string readText(hid_t a) {
  const hid_t type = H5Aget_type(a);
  std::string out;
  bool ok = type >= 0 && H5Tget_class(type) == H5T_STRING;
  if (ok && H5Tis_variable_str(type) > 0) {
    char* value = nullptr;
    const hid_t memory = H5Tcopy(H5T_C_S1);
    H5Tset_size(memory, H5T_VARIABLE);
    H5Tset_cset(memory, H5Tget_cset(type));
    ok = H5Aread(a, memory, &value) >= 0;
    if (ok && value) out = value;
    if (value) H5free_memory(value);
    H5Tclose(memory);
  } else if (ok) {
    const std::size_t size = H5Tget_size(type);
    std::string buffer(size, '\0');
    const hid_t memory = H5Tcopy(type);
    ok = H5Aread(a, memory, buffer.data()) >= 0;
    H5Tclose(memory);
    out = buffer.substr(0, buffer.find('\0'));
  }
  if (type >= 0) H5Tclose(type);
  if (!ok) throw OutputError("cannot read a string attribute");
  return out;
}

}  // namespace

Hdf5Reader::Hdf5Reader(const std::string& path) : _path(path) {
  checkInputFile("file", path);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  _file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (_file < 0) throw OutputError("cannot open '" + path + "' as HDF5 (missing, unreadable or truncated)");
}

Hdf5Reader::~Hdf5Reader() {
  if (_file >= 0) H5Fclose(static_cast<hid_t>(_file));
}

bool Hdf5Reader::exists(const std::string& object) const {
  return H5Oexists_by_name(static_cast<hid_t>(_file), object.c_str(), H5P_DEFAULT) > 0;
}

bool Hdf5Reader::hasAttribute(const std::string& object, const std::string& attribute) const {
  return exists(object) &&
         H5Aexists_by_name(static_cast<hid_t>(_file), object.c_str(), attribute.c_str(), H5P_DEFAULT) > 0;
}

std::vector<double> Hdf5Reader::doubles(const std::string& dataset) const {
  std::vector<double> values =
      readDataset<double>(static_cast<hid_t>(_file), _path, dataset, H5T_NATIVE_DOUBLE);
  if (hasAttribute(dataset, values_digest_attribute) &&
      text(dataset, values_digest_attribute) != valuesDigest(values))
    throw OutputError("'" + _path + "': " + dataset +
                      " holds other values than were written (the file was changed or damaged since)");
  return values;
}

std::vector<std::uint64_t> Hdf5Reader::ids(const std::string& dataset) const {
  return readDataset<std::uint64_t>(static_cast<hid_t>(_file), _path, dataset, H5T_NATIVE_UINT64);
}

std::vector<float> Hdf5Reader::floats(const std::string& dataset, std::size_t& columns) const {
  return readDataset<float>(static_cast<hid_t>(_file), _path, dataset, H5T_NATIVE_FLOAT, &columns);
}

double Hdf5Reader::number(const std::string& object, const std::string& attribute) const {
  return readScalar<double>(static_cast<hid_t>(_file), _path, object, attribute, H5T_NATIVE_DOUBLE);
}

std::int64_t Hdf5Reader::integer(const std::string& object, const std::string& attribute) const {
  return readScalar<std::int64_t>(static_cast<hid_t>(_file), _path, object, attribute, H5T_NATIVE_INT64);
}

std::string Hdf5Reader::text(const std::string& object, const std::string& attribute) const {
  const hid_t a = openAttribute(static_cast<hid_t>(_file), _path, object, attribute);
  try {
    std::string out = readText(a);
    H5Aclose(a);
    return out;
  } catch (const OutputError&) {
    H5Aclose(a);
    throw OutputError("'" + _path + "': cannot read attribute " + object + ":" + attribute + " as a string");
  }
}

AttributeList Hdf5Reader::texts(const std::string& object) const {
  struct Collected {
    AttributeList list;
    bool failed = false;
  } collected;
  if (!exists(object)) throw OutputError("'" + _path + "' has no object " + object);
  const auto visit = [](hid_t location, const char* name, const H5A_info_t*, void* data) -> herr_t {
    auto& c = *static_cast<Collected*>(data);
    const hid_t a = H5Aopen(location, name, H5P_DEFAULT);
    if (a < 0) {
      c.failed = true;
      return 1;
    }
    try {
      c.list.emplace_back(name, readText(a));
    } catch (const OutputError&) {
      c.failed = true;
    }
    H5Aclose(a);
    return c.failed ? 1 : 0;
  };
  const hid_t o = H5Oopen(static_cast<hid_t>(_file), object.c_str(), H5P_DEFAULT);
  if (o < 0) throw OutputError("'" + _path + "': cannot open " + object);
  hsize_t index = 0;
  const herr_t status = H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_INC, &index, visit, &collected);
  H5Oclose(o);
  if (status < 0 || collected.failed)
    throw OutputError("'" + _path + "': cannot read the attributes of " + object);
  return collected.list;
}

#else

Hdf5Reader::Hdf5Reader(const std::string& path) : _path(path) {
  throw OutputError("cannot read '" + path + "': this build has no HDF5 (CBGTC_ENABLE_HDF5=OFF)");
}
Hdf5Reader::~Hdf5Reader() = default;
bool Hdf5Reader::exists(const std::string&) const { return false; }
bool Hdf5Reader::hasAttribute(const std::string&, const std::string&) const { return false; }
std::vector<double> Hdf5Reader::doubles(const std::string&) const { return {}; }
std::vector<std::uint64_t> Hdf5Reader::ids(const std::string&) const { return {}; }
std::vector<float> Hdf5Reader::floats(const std::string&, std::size_t&) const { return {}; }
double Hdf5Reader::number(const std::string&, const std::string&) const { return 0; }
std::int64_t Hdf5Reader::integer(const std::string&, const std::string&) const { return 0; }
std::string Hdf5Reader::text(const std::string&, const std::string&) const { return {}; }
AttributeList Hdf5Reader::texts(const std::string&) const { return {}; }

#endif

}  // namespace cbgtc::io
