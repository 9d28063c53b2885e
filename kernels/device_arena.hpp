#pragma once
// Memory for the arrays that live as long as a network, taken from a few
// large blocks rather than allocated one by one. On a GPU each View of its
// own is a cudaMalloc, and one that starts at zero is also a fill kernel
// and a wait for the device: hundreds of such operations per replica, a
// floor under an ensemble's time that grows with its replicas
// (docs/performance.md, "What the host spends beside the steps"). From an
// arena, a View is a pointer and its extents.
//
// A View from the arena is unmanaged: it must not outlive the arena. Copies
// of an arena share its blocks and keep them alive.

#include <Kokkos_Core.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace cbgtc {

// Host memory in 2 MB pages where the system gives them on request
// (Linux's transparent huge pages in "madvise" mode): a page fault then
// commits 2 MB rather than 4 KB. Where a fault is expensive (a VM),
// committing a network's arrays 4 KB at a time would be most of its build
// (docs/performance.md, "What the host spends beside the steps").
constexpr std::size_t huge_page_bytes = std::size_t(1) << 21;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
constexpr bool huge_pages_advised = true;
#else
constexpr bool huge_pages_advised = false;
#endif

/// Asks for huge pages for the whole 2 MB pages within host memory
/// [p, p + bytes) that nothing has touched yet. Advice only: where the
/// system has none, 4 KB pages serve.
inline void adviseHugePages([[maybe_unused]] void* p, [[maybe_unused]] std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const std::uintptr_t begin =
      (reinterpret_cast<std::uintptr_t>(p) + huge_page_bytes - 1) / huge_page_bytes * huge_page_bytes;
  const std::uintptr_t end =
      (reinterpret_cast<std::uintptr_t>(p) + bytes) / huge_page_bytes * huge_page_bytes;
  if (end > begin) (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#endif
}

template <class MemorySpace>
class DeviceArena {
 public:
  /// Where every View starts: a multiple of a GPU's memory transaction and
  /// of a CPU's cache line.
  static constexpr std::size_t alignment = 128;

  /// Blocks of `block_bytes` (a larger View gets a block of its own), and
  /// room to align their first View.
  explicit DeviceArena(std::size_t block_bytes = std::size_t(1) << 24) : _block_bytes(block_bytes) {}

  /// A View of `extents` (as the View's constructor takes them), every
  /// element zero, in the arena's memory. A block that cannot be allocated
  /// for it is named after `label` in Kokkos's error.
  template <class ViewType, class... Extents>
  ViewType zeros(const std::string& label, Extents... extents) {
    static_assert(std::is_same_v<typename ViewType::memory_space, MemorySpace>,
                  "a View from an arena lives in the arena's memory space");
    const std::size_t bytes = ViewType::required_allocation_size(static_cast<std::size_t>(extents)...);
    return ViewType(reinterpret_cast<typename ViewType::pointer_type>(take(bytes, label)),
                    static_cast<std::size_t>(extents)...);
  }

  /// Bytes of the blocks allocated so far.
  std::size_t reservedBytes() const {
    std::size_t total = 0;
    for (const auto& b : _blocks) total += b.extent(0);
    return total;
  }

 private:
  // Host memory is zeroed View by View: a page is then committed only when
  // a View on it is taken (and a block's unused end never is). A device's
  // block is zeroed once, by one kernel, when it is allocated.
  static constexpr bool host = Kokkos::SpaceAccessibility<Kokkos::HostSpace, MemorySpace>::accessible;

  unsigned char* take(std::size_t bytes, const std::string& label) {
    if (bytes == 0) return nullptr;
    std::uintptr_t at = alignedAfter(_next);
    if (_blocks.empty() || at + bytes > _end) {
      // (The block's start need not be aligned: room to align it, to a
      // whole huge page where they are asked for.)
      const std::size_t wanted = bytes > _block_bytes ? bytes : _block_bytes;
      const std::size_t room = hugePages(wanted) ? huge_page_bytes : alignment;
      const std::size_t size = wanted + room;
      if constexpr (host)
        _blocks.emplace_back(Kokkos::view_alloc(Kokkos::WithoutInitializing, "cbgtc::arena for " + label),
                             size);
      else
        _blocks.emplace_back("cbgtc::arena for " + label, size);
      const auto start = reinterpret_cast<std::uintptr_t>(_blocks.back().data());
      _next = (start + room - 1) / room * room;
      _end = start + size;
      if (room == huge_page_bytes) adviseHugePages(reinterpret_cast<void*>(_next), _end - _next);
      at = alignedAfter(_next);
    }
    _next = at + bytes;
    auto* const p = reinterpret_cast<unsigned char*>(at);
    if constexpr (host) zero(p, bytes);
    return p;
  }

  static bool hugePages(std::size_t bytes) {
    return std::is_same_v<MemorySpace, Kokkos::HostSpace> && huge_pages_advised &&
           bytes >= 2 * huge_page_bytes;
  }

  // In pieces over the host's threads, as Kokkos fills a View: a page then
  // lies in the memory of the socket whose threads step its neurons.
  static void zero(unsigned char* p, std::size_t bytes) {
    constexpr std::size_t piece = std::size_t(1) << 16;
    Kokkos::parallel_for(
        "cbgtc::DeviceArena::zero",
        Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(0, (bytes + piece - 1) / piece),
        [=](const std::size_t i) {
          const std::size_t begin = i * piece, end = begin + piece < bytes ? begin + piece : bytes;
          std::memset(p + begin, 0, end - begin);
        });
  }

  static std::uintptr_t alignedAfter(std::uintptr_t address) {
    return (address + alignment - 1) / alignment * alignment;
  }

  std::size_t _block_bytes;
  std::vector<Kokkos::View<unsigned char*, MemorySpace>> _blocks;
  std::uintptr_t _next = 0, _end = 0;  // the last block's free part
};

/// A View of `extents`, every element zero: in `arena` where there is one,
/// else allocated on its own under `label` (a network's arrays come from its
/// arena; a part built alone, as in a test, owns its memory).
template <class ViewType, class MemorySpace, class... Extents>
ViewType zerosIn(DeviceArena<MemorySpace>* arena, const std::string& label, Extents... extents) {
  if (arena != nullptr) return arena->template zeros<ViewType>(label, extents...);
  return ViewType(label, static_cast<std::size_t>(extents)...);
}

}  // namespace cbgtc
