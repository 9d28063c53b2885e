#pragma once
// A table of plain rows that kernels read from device memory, refilled on
// the host as often as needed and copied to the device only when a row
// changed: for the per-epoch launches over many populations or projections
// (kernels/population_sums.hpp, deliverToAll in kernels/synapse.hpp).

#include <Kokkos_Core.hpp>
#include <vector>

namespace cbgtc {

template <class Row, class MemorySpace>
class DeviceTable {
 public:
  /// Starts a refill; the rows' storage is kept, so refills allocate nothing.
  void clear() { _rows.clear(); }
  void push(const Row& row) { _rows.push_back(row); }
  std::vector<Row>& rows() { return _rows; }

  /// The device's copy of the rows, copied again only when they changed.
  const Kokkos::View<Row*, MemorySpace>& sync() {
    if (_rows == _copied && _device.extent(0) == _rows.size()) return _device;
    if (_device.extent(0) != _rows.size())
      _device = Kokkos::View<Row*, MemorySpace>("cbgtc::table", _rows.size());
    Kokkos::deep_copy(_device,
                      Kokkos::View<const Row*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>(
                          _rows.data(), _rows.size()));
    _copied = _rows;
    return _device;
  }

  const Kokkos::View<Row*, MemorySpace>& device() const { return _device; }

 private:
  std::vector<Row> _rows, _copied;
  Kokkos::View<Row*, MemorySpace> _device;
};

}  // namespace cbgtc
