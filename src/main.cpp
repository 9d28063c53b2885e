// cbgtc: driver only. Parse → initialise Kokkos → open output → run → write.
//
// Exit codes: 0 success (also --help, --version, --validate), 2 invalid
// configuration or output location, 1 failure during the run. On any
// failure the output file is not created (the writer removes its .partial).

#include <cstdio>
#include <iostream>

#include "io/options.hpp"
#include "io/output_writer.hpp"
#include "io/run_info.hpp"
#include "src/simulation.hpp"

#ifdef CBGTC_ENABLE_MPI
#include <mpi.h>
#endif

namespace {

void printSummary(const cbgtc::SimulationConfig& config, const cbgtc::RunSummary& s,
                  const std::string& file) {
  std::printf("\n%-6s %8s %10s %10s\n", "pop", "neurons", "spikes", "rate_Hz");
  for (const auto& p : s.populations)
    std::printf("%-6s %8d %10lld %10.2f\n", p.name.c_str(), p.size, static_cast<long long>(p.spikes), p.rate_hz);
  const double model_s = config.simulation.duration_ms / 1000.0;
  std::printf("\n%lld steps of %g ms in %.3f s wall (real-time factor %.3g)\n", static_cast<long long>(s.steps),
              config.simulation.dt_ms, s.wall_seconds, model_s > 0 ? s.wall_seconds / model_s : 0.0);
  if (!file.empty()) std::printf("output: %s\n", file.c_str());
}

int runCbgtc(int argc, char* argv[]) {
  cbgtc::io::CommandLine cl;
  try {
    cl = cbgtc::io::parseCommandLine(argc, argv);
  } catch (const cbgtc::io::ConfigError& e) {
    std::fprintf(stderr, "cbgtc: error: %s\n", e.what());
    return 2;
  }
  if (cl.help) {
    std::cout << cbgtc::io::helpText();
    return 0;
  }
  if (cl.version) {
    std::cout << cbgtc::io::versionText();
    return 0;
  }
  if (cl.validate_only) {
    std::printf("cbgtc: configuration is valid (%lld steps)\n", static_cast<long long>(cl.config.stepCount()));
    return 0;
  }

  Kokkos::ScopeGuard kokkos(argc, argv);
  const cbgtc::SimulationConfig& config = cl.config;

  std::unique_ptr<cbgtc::io::OutputWriter> writer;
  try {
    writer = cbgtc::io::makeOutputWriter(config.output.file, config.output.overwrite);
    cbgtc::io::AttributeList attributes = cbgtc::io::buildAttributes();
    attributes.emplace_back("seed", std::to_string(config.simulation.seed));
    attributes.emplace_back("config_file", cl.config_file);
    for (auto& kv : cbgtc::io::makeOptionTable(cl.config).resolved()) attributes.push_back(kv);
    writer->writeAttributes(attributes);
  } catch (const cbgtc::io::OutputError& e) {
    std::fprintf(stderr, "cbgtc: error: %s\n", e.what());
    return 2;
  }

  try {
    std::printf("cbgtc %s: STN %lld, GPe %lld, GPi %lld neurons; %g ms at dt %g ms; seed %lld; %s\n",
                CBGTC_VERSION, static_cast<long long>(config.network.n_stn),
                static_cast<long long>(config.network.n_gpe), static_cast<long long>(config.network.n_gpi),
                config.simulation.duration_ms, config.simulation.dt_ms,
                static_cast<long long>(config.simulation.seed), cbgtc::ExecutionSpace::name());
    std::fflush(stdout);
    cbgtc::RunSummary summary;
    {
      cbgtc::Simulation simulation(config);
      summary = simulation.run(writer.get());
    }
    writer->finalize(config.simulation.duration_ms);
    printSummary(config, summary, writer->path());
    writer.reset();
  } catch (const std::exception& e) {
    writer.reset();  // removes the partial file
    std::fprintf(stderr, "cbgtc: error: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char* argv[]) {
#ifdef CBGTC_ENABLE_MPI
  MPI_Init(&argc, &argv);
#endif
  const int rc = runCbgtc(argc, argv);
#ifdef CBGTC_ENABLE_MPI
  MPI_Finalize();
#endif
  return rc;
}
