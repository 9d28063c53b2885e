// A Kokkos Tools library that counts kernel launches by name and prints
// them when Kokkos finalizes: how many launches an epoch costs, which on a
// GPU (a few µs each) bounds the step time of many small populations.
//   KOKKOS_PROFILE_LIBRARY=build/lib/libcbgtc_launch_counter.so cbgtc ...   (Kokkos 3)
//   KOKKOS_TOOLS_LIBS=build/lib/libcbgtc_launch_counter.so cbgtc ...        (Kokkos 4)
// Prints "launches <count> <kind> <name>" per kernel and "launches <total> total" to stderr.

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>

namespace {
std::map<std::string, std::uint64_t>& counts() {
  static std::map<std::string, std::uint64_t> c;
  return c;
}
std::uint64_t next_id = 0;
void count(const char* kind, const char* name, std::uint64_t* id) {
  ++counts()[std::string(kind) + " " + name];
  *id = next_id++;
}
}  // namespace

struct KokkosPDeviceInfo;

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
void kokkosp_finalize_library() {
  std::uint64_t total = 0;
  for (const auto& [name, n] : counts()) {
    std::fprintf(stderr, "launches %llu %s\n", static_cast<unsigned long long>(n), name.c_str());
    total += n;
  }
  std::fprintf(stderr, "launches %llu total\n", static_cast<unsigned long long>(total));
}
}
