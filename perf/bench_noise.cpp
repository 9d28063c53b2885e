// The OU noise's random numbers on the CPU, as inputCurrents makes them: for
// chunks of 16 neurons, one noise block (four steps) each, in a loop the
// compiler vectorises. Times Philox alone and Philox with Box–Muller.
//
//   bench_noise [--neurons 4496] [--blocks 2000] [--repeats 7] [--verify]
//
// Prints one CSV row per variant: the fastest repeat's ns per neuron and
// block (four normals). --verify checks the normals' mean and variance
// against their standard errors (a loop that computed nothing fails it).

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/ou_noise.hpp"
#include "kernels/vectorizable_math.hpp"

using namespace cbgtc;

namespace {

constexpr int chunk = 16;
constexpr std::uint64_t seed = 42;
constexpr std::uint32_t key = rng::streamKey("STN");

/// z[j][i] = draw(i, block).v[j] for the neurons of whole chunks, each
/// chunk's lanes in a loop the compiler vectorises (as inputCurrents').
template <class Draw>
void fillChunks(std::vector<double> (&z)[4], int neurons, std::uint64_t block, Draw draw) {
  for (int i0 = 0; i0 + chunk <= neurons; i0 += chunk) {
    double* const z0 = z[0].data() + i0;
    double* const z1 = z[1].data() + i0;
    double* const z2 = z[2].data() + i0;
    double* const z3 = z[3].data() + i0;
    CBGTC_SIMD_LOOP
    for (int l = 0; l < chunk; ++l) {
      const auto four = draw(i0 + l, block);
      z0[l] = four.v[0];
      z1[l] = four.v[1];
      z2[l] = four.v[2];
      z3[l] = four.v[3];
    }
  }
}

/// The noise's normals: Philox and Box–Muller.
void normals(std::vector<double> (&z)[4], int neurons, std::uint64_t block) {
  fillChunks(z, neurons, block, [](int i, std::uint64_t b) { return noiseNormals(seed, key, i, b); });
}

/// The Philox words alone, as doubles (so the stores match normals').
void bits(std::vector<double> (&z)[4], int neurons, std::uint64_t block) {
  fillChunks(z, neurons, block, [](int i, std::uint64_t b) {
    return rng::randomBits(seed, rng::Stream::Noise, key, static_cast<std::uint32_t>(i), b);
  });
}

template <class Fill>
double nsPerNeuronBlock(Fill fill, std::vector<double> (&z)[4], int neurons, int blocks, int repeats) {
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int b = 0; b < blocks; ++b) fill(z, neurons, static_cast<std::uint64_t>(b));
    const auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
  }
  return best * 1e9 / (static_cast<double>(neurons) * blocks);
}

}  // namespace

int main(int argc, char** argv) {
  int neurons = 4496, blocks = 2000, repeats = 7;
  bool verify = false;
  for (int a = 1; a < argc; ++a) {
    const std::string arg = argv[a];
    const bool has_value = a + 1 < argc;
    if (arg == "--neurons" && has_value)
      neurons = std::stoi(argv[++a]);
    else if (arg == "--blocks" && has_value)
      blocks = std::stoi(argv[++a]);
    else if (arg == "--repeats" && has_value)
      repeats = std::stoi(argv[++a]);
    else if (arg == "--verify")
      verify = true;
    else {
      std::fprintf(stderr, "bench_noise: unknown or incomplete argument '%s'\n", arg.c_str());
      return 2;
    }
  }
  neurons = std::max(chunk, neurons - neurons % chunk);
  if (blocks < 1 || repeats < 1) {
    std::fprintf(stderr, "bench_noise: --blocks and --repeats must be at least 1\n");
    return 2;
  }
  std::vector<double> z[4];
  for (auto& column : z) column.assign(static_cast<std::size_t>(neurons), 0.0);
  std::printf("variant,neurons,blocks,ns_per_neuron_block\n");
  std::printf("philox,%d,%d,%.3f\n", neurons, blocks, nsPerNeuronBlock(bits, z, neurons, blocks, repeats));
  std::printf("philox_box_muller,%d,%d,%.3f\n", neurons, blocks,
              nsPerNeuronBlock(normals, z, neurons, blocks, repeats));
  if (!verify) return 0;
  // The last block's 4·neurons normals: mean 0 (standard error 1/√n) and
  // variance 1 (standard error √(2/n)); 5 standard errors either way.
  double sum = 0, sum2 = 0;
  for (const auto& column : z)
    for (const double x : column) {
      sum += x;
      sum2 += x * x;
    }
  const double n = 4.0 * neurons, mean = sum / n, variance = sum2 / n - mean * mean;
  const bool ok = std::fabs(mean) < 5 / std::sqrt(n) && std::fabs(variance - 1) < 5 * std::sqrt(2 / n);
  std::fprintf(stderr, "bench_noise: mean %.4f, variance %.4f over %.0f normals: %s\n", mean, variance, n,
               ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
