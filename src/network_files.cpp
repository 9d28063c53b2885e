#include "src/network_files.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <numeric>
#include <tuple>

#include "io/options.hpp"
#include "io/output_writer.hpp"
#include "io/run_info.hpp"
#include "src/model_settings.hpp"
#include "src/placement.hpp"
#include "src/simulation.hpp"

namespace cbgtc {

namespace {

// Type ids as bmtk numbers them: one node type per population, one edge
// type per projection (read only by the HDF5 writer).
[[maybe_unused]] constexpr std::uint64_t first_node_type = 100;
[[maybe_unused]] constexpr std::uint64_t first_edge_type = 100;

/// This rank's synapses of one projection as (source, global target,
/// weight, delay in ms) quadruples.
std::vector<double> localEdges(const Projection& proj, index_type target_begin, double dt_ms) {
  const auto row_map = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), proj.by_source.graph.row_map);
  const auto targets = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), proj.by_source.graph.entries);
  const auto weights = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), proj.by_source.values);
  const auto delays = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), proj.delays);
  std::vector<double> out;
  out.reserve(4 * static_cast<std::size_t>(proj.synapseCount()));
  for (std::size_t i = 0; i + 1 < row_map.extent(0); ++i) {
    for (auto e = row_map(i); e < row_map(i + 1); ++e) {
      const double delay_steps = delays.extent(0) > 0 ? delays(e) : proj.delay_steps;
      out.insert(out.end(), {static_cast<double>(i), static_cast<double>(target_begin + targets(e)),
                             static_cast<double>(weights(e)), delay_steps * dt_ms});
    }
  }
  return out;
}

[[maybe_unused]] std::string formatValue(double v) { return io::formatNumber(v); }

/// SONATA's edge index of one side (docs: "indices/source_to_target" and
/// "target_to_source"): for node n, rows [node_id_to_range[n][0],
/// node_id_to_range[n][1]) of range_to_edge_id, each a run [first, end) of
/// edge ids whose `node` is n. Returns both, row-major.
[[maybe_unused]] std::pair<std::vector<std::uint64_t>, std::vector<std::uint64_t>> edgeIndex(
    const std::vector<std::uint64_t>& node, std::uint64_t n_nodes) {
  std::vector<std::vector<std::uint64_t>> edges_of(n_nodes);
  for (std::uint64_t e = 0; e < node.size(); ++e) edges_of[node[e]].push_back(e);
  std::vector<std::uint64_t> node_to_range, range_to_edge;
  std::uint64_t ranges = 0;
  for (std::uint64_t n = 0; n < n_nodes; ++n) {
    const std::uint64_t first_range = ranges;
    const auto& list = edges_of[n];  // ascending
    for (std::size_t k = 0; k < list.size();) {
      std::size_t end = k + 1;
      while (end < list.size() && list[end] == list[end - 1] + 1) ++end;
      range_to_edge.insert(range_to_edge.end(), {list[k], list[end - 1] + 1});
      ++ranges;
      k = end;
    }
    node_to_range.insert(node_to_range.end(), {first_range, ranges});
  }
  return {node_to_range, range_to_edge};
}

}  // namespace

std::vector<std::string> networkFiles(const SimulationConfig& c) {
  if (!c.output.network) return {};
  const std::string stem = io::pathStem(c.output.file);
  return {stem + "_nodes.h5", stem + "_node_types.csv", stem + "_edges.h5", stem + "_edge_types.csv"};
}

void writeNetworkFiles(const SimulationConfig& c, const Simulation& simulation,
                       const comm::Communicator& comm) {
  const std::vector<std::string> files = networkFiles(c);
  if (files.empty()) return;
  // Every rank's synapses, on rank 0, ordered by (target, source): the same
  // file whatever the number of ranks (a pair is connected at most once).
  std::vector<std::vector<std::array<double, 4>>> edges(c.projections.size());
  for (std::size_t p = 0; p < c.projections.size(); ++p) {
    const Projection& proj = simulation.projections()[p];
    const auto local =
        localEdges(proj, static_cast<index_type>(simulation.block(proj.target).begin), c.simulation.dt_ms);
    const std::vector<double> all = comm.gatherToRoot(local);
    auto& list = edges[p];
    for (std::size_t k = 0; k + 3 < all.size(); k += 4)
      list.push_back({all[k], all[k + 1], all[k + 2], all[k + 3]});
    std::sort(list.begin(), list.end(),
              [](const auto& a, const auto& b) { return a[1] != b[1] ? a[1] < b[1] : a[0] < b[0]; });
  }
  if (!comm.isRoot()) return;
#ifndef CBGTC_ENABLE_HDF5
  throw io::OutputError("'" + files[0] +
                        "': output.network writes SONATA HDF5 files, and this build has no HDF5");
#else
  const bool overwrite = c.output.overwrite;

  const io::AttributeList provenance = io::buildAttributes();  // version and build, as every output file
  auto nodes = io::makeHdf5Output(files[0], overwrite);
  nodes->writeAttributes(provenance);
  // SONATA's required columns (population, model_type, model_template) and
  // the deck's model: a spike source is a virtual node, one that is not
  // simulated but emits spikes.
  std::string node_types = "node_type_id pop_name population model_type model_template model_name\n";
  for (std::size_t k = 0; k < c.populations.size(); ++k) {
    const PopulationSettings& pop = c.populations[k];
    const std::string group = "/nodes/" + pop.name;
    const auto n = static_cast<std::size_t>(pop.n);
    std::vector<std::uint64_t> ids(n);
    std::iota(ids.begin(), ids.end(), std::uint64_t(0));
    nodes->writeIds(group, "node_id", ids, {});
    nodes->writeIds(group, "node_group_index", ids, {});
    nodes->writeIds(group, "node_type_id", std::vector<std::uint64_t>(n, first_node_type + k), {});
    nodes->writeIds(group, "node_group_id", std::vector<std::uint64_t>(n, 0), {});
    nodes->writeNumbers(group + "/0", {});  // the one node group; its attributes are the type's
    // A placed population's positions, as SONATA's x, y, z (um, as bmtk).
    if (isPlaced(pop)) {
      const Positions at = positionsOf(pop, randomSeed(pop, c));
      nodes->writeDataset(group + "/0", "x", at.x_um, {{"units", "um"}});
      nodes->writeDataset(group + "/0", "y", at.y_um, {{"units", "um"}});
      nodes->writeDataset(group + "/0", "z", at.z_um, {{"units", "um"}});
    }
    node_types += std::to_string(first_node_type + k) + " " + pop.name + " " + pop.name +
                  (hasMembranePotential(pop.params) ? " point_neuron" : " virtual") + " cbgtc:" + pop.model +
                  " " + pop.model + "\n";
  }

  auto edge_file = io::makeHdf5Output(files[2], overwrite);
  edge_file->writeAttributes(provenance);
  std::string edge_types =
      "edge_type_id edge_name population model_template tau_ms E_rev_mV stp_U stp_tau_rec_ms "
      "stp_tau_fac_ms\n";
  for (std::size_t p = 0; p < c.projections.size(); ++p) {
    const ProjectionSettings& s = c.projections[p];
    const std::string group = "/edges/" + s.name;
    const auto& list = edges[p];
    std::vector<std::uint64_t> source(list.size()), target(list.size()), index(list.size());
    std::vector<double> weight(list.size()), delay(list.size());
    for (std::size_t e = 0; e < list.size(); ++e) {
      source[e] = static_cast<std::uint64_t>(list[e][0]);
      target[e] = static_cast<std::uint64_t>(list[e][1]);
      weight[e] = list[e][2];
      delay[e] = list[e][3];
      index[e] = e;
    }
    edge_file->writeIds(group, "source_node_id", source, {{"node_population", s.source}});
    edge_file->writeIds(group, "target_node_id", target, {{"node_population", s.target}});
    edge_file->writeIds(group, "edge_type_id", std::vector<std::uint64_t>(list.size(), first_edge_type + p),
                        {});
    edge_file->writeIds(group, "edge_group_id", std::vector<std::uint64_t>(list.size(), 0), {});
    edge_file->writeIds(group, "edge_group_index", index, {});
    const PopulationSettings* target_pop = c.population(s.target);
    edge_file->writeDataset(
        group + "/0", "syn_weight", weight,
        {{"units", target_pop ? conductanceUnits(target_pop->params) : ""},
         {"description", "conductance a spike adds (a rested synapse's, with plasticity)"}});
    edge_file->writeDataset(group + "/0", "delay", delay, {{"units", "ms"}});
    // The indices bmtk's readers use to find a node's edges.
    const PopulationSettings* source_pop = c.population(s.source);
    for (const auto& [side, nodes_of, n_nodes] :
         {std::tuple{"target_to_source", &target, target_pop ? target_pop->n : 0},
          std::tuple{"source_to_target", &source, source_pop ? source_pop->n : 0}}) {
      const auto [to_range, to_edge] = edgeIndex(*nodes_of, static_cast<std::uint64_t>(n_nodes));
      const std::string at = group + "/indices/" + side;
      edge_file->writeIds(at, "node_id_to_range", to_range, {}, 2);
      edge_file->writeIds(at, "range_to_edge_id", to_edge, {}, 2);
    }
    edge_types += std::to_string(first_edge_type + p) + " " + s.name + " " + s.name + " exp_conductance " +
                  formatValue(s.tau_ms) + " " + formatValue(s.E_rev_mV) + " " + formatValue(s.stp_U) + " " +
                  formatValue(s.stp_tau_rec_ms) + " " + formatValue(s.stp_tau_fac_ms) + "\n";
  }
  // Published one after the other; if one fails, those already published
  // by this call are removed again, so the four files appear together or
  // not at all.
  std::vector<std::string> published;
  try {
    nodes->finalize(0.0);
    published.push_back(files[0]);
    edge_file->finalize(0.0);
    published.push_back(files[2]);
    io::writeTextFile(files[1], node_types, overwrite);
    published.push_back(files[1]);
    io::writeTextFile(files[3], edge_types, overwrite);
  } catch (...) {
    for (const auto& f : published) std::remove(f.c_str());
    throw;
  }
#endif
}

}  // namespace cbgtc
