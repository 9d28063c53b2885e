#pragma once
// output.network: the circuit as SONATA nodes and edges files, the way
// bmtk writes a network, so that connectivity can be inspected with bmtk or
// h5py (as NEST users use GetConnections).

#include <string>
#include <vector>

#include "src/comm/communicator.hpp"
#include "src/config.hpp"

namespace cbgtc {

class Simulation;

/// The four files, next to the output file: <stem>_nodes.h5,
/// <stem>_node_types.csv, <stem>_edges.h5, <stem>_edge_types.csv; none
/// without output.network.
std::vector<std::string> networkFiles(const SimulationConfig& config);

/// Gathers every rank's synapses on rank 0, which writes networkFiles()
/// with the output files' care (in-progress names, renamed when
/// complete). Collective; throws io::OutputError on rank 0.
void writeNetworkFiles(const SimulationConfig& config, const Simulation& simulation,
                       const comm::Communicator& comm);

}  // namespace cbgtc
