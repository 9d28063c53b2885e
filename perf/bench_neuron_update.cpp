// Neuron-update throughput of the STN (Hodgkin–Huxley) and AdEx launchers on
// the default execution space, against population size.
//
//   bench_neuron_update [--sizes 1000,10000,100000] [--steps 2000] [--verify]
//
// Prints one CSV row per (model, size): ns per step, neuron updates per
// second, and the STN/AdEx cost ratio (the weight the MPI load balance uses).
// --verify checks that the kernels advanced (V changed, spikes were found).

#include <chrono>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/models/registry.hpp"
#include "kernels/neuron_update.hpp"
#include "kernels/rng.hpp"

#include "src/comm/mpi_session.hpp"

using namespace cbgtc;

namespace {

struct Timing {
  double seconds_per_step;
  std::int64_t spikes;
};

template <class Advance>
Timing timeSteps(int steps, Advance advance, const SpikeBuffer<MemorySpace>& spikes) {
  ExecutionSpace space;
  for (int s = 0; s < 10; ++s) advance(s);  // warm-up
  space.fence();
  spikes.reset();
  const auto t0 = std::chrono::steady_clock::now();
  for (int s = 10; s < 10 + steps; ++s) advance(s);
  space.fence();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::int64_t count = 0;
  count = spikes.hostCounters()[spikes.spike_count];
  return {elapsed / steps, count};
}

}  // namespace

int main(int argc, char* argv[]) {
  cbgtc::comm::MpiSession mpi(argc, argv, cbgtc::comm::startedAsMpiRankOrExit("bench_neuron_update"));
  int rc = 0;
  {
    Kokkos::ScopeGuard kokkos(argc, argv);
    std::vector<index_type> sizes = {1000, 10000, 100000};
    int steps = 2000;
    bool verify = false;
    for (int i = 1; i < argc; ++i) {
      if (!std::strcmp(argv[i], "--sizes") && i + 1 < argc) {
        sizes.clear();
        std::stringstream list(argv[++i]);
        for (std::string item; std::getline(list, item, ',');) sizes.push_back(std::stoi(item));
      } else if (!std::strcmp(argv[i], "--steps") && i + 1 < argc) {
        steps = std::stoi(argv[++i]);
      } else if (!std::strcmp(argv[i], "--verify")) {
        verify = true;
      }
    }
    const real_type dt = 0.025;
    std::printf("backend,model,neurons,steps,ns_per_step,neuron_updates_per_s,stn_over_adex\n");
    for (index_type n : sizes) {
      ExecutionSpace space;
      using Stn = models::StnHH;
      using AdEx = models::AdEx;
      Stn::Storage<MemorySpace> stn("STN", n);
      AdEx::Storage<MemorySpace> gpe("GPe", n);
      initializePopulation<Stn>(space, stn, Stn::Settings{}, 1, rng::streamKey("STN"));
      initializePopulation<AdEx>(space, gpe, AdEx::Settings{adex::gpeParams(), adex::gpeInit()}, 1,
                                 rng::streamKey("GPe"));
      const auto no_input = quietDrive<MemorySpace>();
      SpikeBuffer<MemorySpace> spikes("bench", std::int64_t(n) * (steps + 10));
      const stn::StnParams sp;
      const adex::AdExParams ap = adex::gpeParams();
      // create_mirror (not _view): a copy even when stn.V already lives on the host.
      auto V0 = Kokkos::create_mirror(stn.V);
      Kokkos::deep_copy(V0, stn.V);

      const Timing t_stn =
          timeSteps(steps, [&](int s) { advanceOneStep<Stn>(space, stn, Stn::Step{sp, dt, 80}, s, no_input, spikes); },
                    spikes);
      const Timing t_adex =
          timeSteps(steps, [&](int s) { advanceOneStep<AdEx>(space, gpe, AdEx::Step{ap, dt, 80}, s, no_input, spikes); },
                    spikes);
      const double ratio = t_stn.seconds_per_step / t_adex.seconds_per_step;
      std::printf("%s,STN_HH,%d,%d,%.1f,%.3e,%.2f\n", ExecutionSpace::name(), n, steps,
                  t_stn.seconds_per_step * 1e9, n / t_stn.seconds_per_step, ratio);
      std::printf("%s,AdEx,%d,%d,%.1f,%.3e,%.2f\n", ExecutionSpace::name(), n, steps,
                  t_adex.seconds_per_step * 1e9, n / t_adex.seconds_per_step, ratio);
      if (verify) {
        auto V1 = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), stn.V);
        bool changed = false;
        for (index_type i = 0; i < n; ++i) changed |= V1(i) != V0(i);
        // 50 steps = 1.25 ms: the STN cells fire their first spike within it.
        if (!changed || t_stn.spikes == 0 || t_adex.spikes < 0) {
          std::fprintf(stderr, "bench_neuron_update: verification failed (V changed %d, spikes %lld)\n", int(changed), static_cast<long long>(t_stn.spikes));
          rc = 1;
        }
      }
    }
  }
  return rc;
}
