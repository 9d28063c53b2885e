// A Kokkos Tools library that counts kernel launches by name, and memory
// allocations and deep copies by memory space, and prints them when Kokkos
// finalizes: how many launches an epoch costs, which on a GPU (a few µs
// each) bounds the step time of many small populations, and how many
// allocations and copies a network's construction makes (on a GPU a
// cudaMalloc or a synchronous copy each, tens of µs).
//   KOKKOS_PROFILE_LIBRARY=build/lib/libcbgtc_launch_counter.so cbgtc ...   (Kokkos 3)
//   KOKKOS_TOOLS_LIBS=build/lib/libcbgtc_launch_counter.so cbgtc ...        (Kokkos 4)
// Prints "launches <count> <kind> <name>" per kernel, "launches <total> total",
// "allocations <count> <bytes> <space>" and "deep_copies <count> <bytes> <from>-><to>" to stderr.

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>

namespace {
std::map<std::string, std::uint64_t>& counts() {
  static std::map<std::string, std::uint64_t> c;
  return c;
}
struct Tally {
  std::uint64_t count = 0, bytes = 0;
};
std::map<std::string, Tally>& allocations() {
  static std::map<std::string, Tally> a;
  return a;
}
std::map<std::string, Tally>& copies() {
  static std::map<std::string, Tally> c;
  return c;
}
std::uint64_t next_id = 0;
void count(const char* kind, const char* name, std::uint64_t* id) {
  ++counts()[std::string(kind) + " " + name];
  *id = next_id++;
}
}  // namespace

struct KokkosPDeviceInfo;
// Kokkos Tools' name of a memory space.
struct SpaceHandle {
  char name[64];
};

extern "C" {
void kokkosp_init_library(int, std::uint64_t, std::uint32_t, KokkosPDeviceInfo*) {}
void kokkosp_begin_parallel_for(const char* name, std::uint32_t, std::uint64_t* id) {
  count("for", name, id);
}
void kokkosp_end_parallel_for(std::uint64_t) {}
void kokkosp_begin_parallel_reduce(const char* name, std::uint32_t, std::uint64_t* id) {
  count("reduce", name, id);
}
void kokkosp_end_parallel_reduce(std::uint64_t) {}
void kokkosp_begin_parallel_scan(const char* name, std::uint32_t, std::uint64_t* id) {
  count("scan", name, id);
}
void kokkosp_end_parallel_scan(std::uint64_t) {}
void kokkosp_allocate_data(SpaceHandle space, const char*, const void*, std::uint64_t size) {
  Tally& t = allocations()[space.name];
  ++t.count;
  t.bytes += size;
}
void kokkosp_deallocate_data(SpaceHandle, const char*, const void*, std::uint64_t) {}
void kokkosp_begin_deep_copy(SpaceHandle to, const char*, const void*, SpaceHandle from, const char*,
                             const void*, std::uint64_t size) {
  Tally& t = copies()[std::string(from.name) + "->" + to.name];
  ++t.count;
  t.bytes += size;
}
void kokkosp_end_deep_copy() {}
void kokkosp_finalize_library() {
  std::uint64_t total = 0;
  for (const auto& [name, n] : counts()) {
    std::fprintf(stderr, "launches %llu %s\n", static_cast<unsigned long long>(n), name.c_str());
    total += n;
  }
  std::fprintf(stderr, "launches %llu total\n", static_cast<unsigned long long>(total));
  for (const auto& [space, t] : allocations())
    std::fprintf(stderr, "allocations %llu %llu %s\n", static_cast<unsigned long long>(t.count),
                 static_cast<unsigned long long>(t.bytes), space.c_str());
  for (const auto& [route, t] : copies())
    std::fprintf(stderr, "deep_copies %llu %llu %s\n", static_cast<unsigned long long>(t.count),
                 static_cast<unsigned long long>(t.bytes), route.c_str());
}
}
