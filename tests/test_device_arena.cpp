// DeviceArena: a network's long-lived Views taken from a few blocks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/device_arena.hpp"
#include "kernels/types.hpp"

namespace cbgtc {
namespace {

template <class V>
std::pair<std::uintptr_t, std::uintptr_t> addressRange(const V& v) {
  const auto begin = reinterpret_cast<std::uintptr_t>(v.data());
  return {begin, begin + v.span() * sizeof(typename V::value_type)};
}

using Matrix = Kokkos::View<double**, Kokkos::LayoutRight, MemorySpace>;
using Pairs = Kokkos::View<double* [2], Kokkos::LayoutLeft, MemorySpace>;
using Counts = Kokkos::View<std::int32_t*, MemorySpace>;

// Every element of a (3 x 7) and b (5) and big (3000), and column 1 of c
// (11 x 2), on the device. (A device lambda cannot be in a test's body.)
void fill(const Matrix& a, const Counts& b, const Pairs& c, const Counts& big) {
  Kokkos::parallel_for(
      "fill", Kokkos::RangePolicy<ExecutionSpace>(0, 3000), KOKKOS_LAMBDA(const int i) {
        if (i < 21) a(i / 7, i % 7) = 1;
        if (i < 5) b(i) = -1;
        if (i < 11) c(i, 1) = 2;
        big(i) = 3;
      });
}

TEST(DeviceArena, ViewsStartAtZeroAlignedAndApart) {
  DeviceArena<MemorySpace> arena(4096);
  // Sizes that are no multiple of the alignment, one larger than a block.
  const Matrix a = arena.zeros<Matrix>("test", 3, 7);
  const Counts b = arena.zeros<Counts>("test", 5);
  const Pairs c = arena.zeros<Pairs>("test", 11);
  const Counts big = arena.zeros<Counts>("test", 3000);
  const Counts d = arena.zeros<Counts>("test", 1);
  EXPECT_EQ(a.extent(0), 3u);
  EXPECT_EQ(a.extent(1), 7u);
  EXPECT_EQ(c.extent(0), 11u);
  EXPECT_EQ(c.extent(1), 2u);
  EXPECT_EQ(big.extent(0), 3000u);

  // Every element written through one View leaves the others at zero.
  fill(a, b, c, big);
  const auto ha = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), a);
  const auto hb = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), b);
  const auto hc = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), c);
  const auto hbig = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), big);
  const auto hd = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), d);
  for (int i = 0; i < 21; ++i) EXPECT_EQ(ha(i / 7, i % 7), 1);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(hb(i), -1);
  for (int i = 0; i < 11; ++i) {
    EXPECT_EQ(hc(i, 0), 0);
    EXPECT_EQ(hc(i, 1), 2);
  }
  for (int i = 0; i < 3000; ++i) ASSERT_EQ(hbig(i), 3);
  EXPECT_EQ(hd(0), 0);

  std::vector<std::pair<std::uintptr_t, std::uintptr_t>> ranges = {
      addressRange(a), addressRange(b), addressRange(c), addressRange(big), addressRange(d)};
  for (const auto& [begin, end] : ranges) EXPECT_EQ(begin % DeviceArena<MemorySpace>::alignment, 0u);
  std::sort(ranges.begin(), ranges.end());
  for (std::size_t i = 1; i < ranges.size(); ++i) EXPECT_LE(ranges[i - 1].second, ranges[i].first);
}

TEST(DeviceArena, BlocksHoldManyViewsAndALargeViewHasOneOfItsOwn) {
  const std::size_t block = 4096, alignment = DeviceArena<MemorySpace>::alignment;
  DeviceArena<MemorySpace> arena(block);
  using Values = Kokkos::View<double*, MemorySpace>;
  // 100 Views of 8 doubles (64 bytes, 128 apart): at least 32 to a block.
  for (int i = 0; i < 100; ++i) arena.zeros<Values>("test", 8);
  const std::size_t small = arena.reservedBytes();
  EXPECT_EQ(small % (block + alignment), 0u);
  EXPECT_LE(small, 4 * (block + alignment));
  // Larger than a block: a block of its size (and room to align it).
  arena.zeros<Values>("test", 1000);
  EXPECT_EQ(arena.reservedBytes(), small + 8000 + alignment);
  // A View of nothing takes no memory.
  const Values none = arena.zeros<Values>("test", 0);
  EXPECT_EQ(none.extent(0), 0u);
  EXPECT_EQ(arena.reservedBytes(), small + 8000 + alignment);
}

// The kilobytes in huge pages of the mapping that holds `address`
// (/proc/self/smaps); −1 where none holds it.
long hugePageKilobytes(std::uintptr_t address) {
  std::ifstream smaps("/proc/self/smaps");
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    std::uintptr_t begin = 0, end = 0;
    char dash = 0;
    std::istringstream header(line);
    if (header >> std::hex >> begin >> dash >> end && dash == '-') {
      inside = begin <= address && address < end;
    } else if (inside && line.rfind("AnonHugePages:", 0) == 0) {
      return std::stol(line.substr(line.find(':') + 1));
    }
  }
  return -1;
}

// A network's large arrays in 2 MB pages: a page fault per 2 MB rather than
// per 4 KB (docs/performance.md). Where the system gives huge pages only on
// request (Linux's "madvise" mode) this fails without the arena's request.
TEST(DeviceArena, LargeHostBlocksAreInHugePages) {
  if (!std::is_same_v<MemorySpace, Kokkos::HostSpace> || !huge_pages_advised)
    GTEST_SKIP() << "huge pages are asked for in Linux host memory only";
  std::ifstream mode_file("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string mode;
  std::getline(mode_file, mode);
  if (mode.find("[always]") == std::string::npos && mode.find("[madvise]") == std::string::npos)
    GTEST_SKIP() << "this system gives no transparent huge pages (" << mode << ")";
  DeviceArena<MemorySpace> arena;
  // 8 MB, zeroed, so committed: four whole 2 MB pages where it starts on one.
  const auto values = arena.zeros<Kokkos::View<double*, MemorySpace>>("test", std::size_t(1) << 20);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(values.data()) % huge_page_bytes, 0u);
  EXPECT_GE(hugePageKilobytes(reinterpret_cast<std::uintptr_t>(values.data())), 4096);
}

}  // namespace
}  // namespace cbgtc
