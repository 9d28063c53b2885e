// Ensembles in one process (src/replicas.hpp): runs merged into one network
// give each run's spikes, datasets and metrics bit for bit; keys a network
// shares are refused when the runs differ in them; the writer sends each
// write to its replica's file under the deck's names.

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "src/ensemble.hpp"
#include "src/replicas.hpp"
#include "src/simulation.hpp"
#include "tests/config_helpers.hpp"
#include "tests/memory_writer.hpp"

using namespace cbgtc;
using cbgtc::test::MemoryWriter;

namespace {

/// The default network with every kind of keyed draw: initial states, OU
/// noise, log-normal bias currents, connectivity with jittered delays,
/// depressing and facilitating synapses, a Poisson source with bursts, a
/// pulse train on a keyed half of the STN, axonal pulses from an electrode
/// firing keyed axons of placed cells (its reach written for both placed
/// populations), and the relay error index and pulse-triggered histograms.
SimulationConfig keyedConfig(std::int64_t seed) {
  SimulationConfig c;
  c.simulation.duration_ms = 400;
  c.simulation.seed = seed;
  c.analysis.burn_in_ms = 100;
  c.analysis.segment_ms = 100;
  c.analysis.pac_surrogates = 10;
  test::setSizes(c, 40, 60, 50);
  test::population(c, "GPe").noise.sigma = 40;
  test::population(c, "GPi").bias = BiasSettings{20, 0.5};
  for (auto& p : c.projections) {
    p.delay_jitter_ms = 1.0;
    if (p.name == "stn_gpe") {
      p.stp_U = 0.3;
      p.stp_tau_rec_ms = 200;
      p.stp_tau_fac_ms = 50;
    }
  }
  PopulationSettings ctx = PopulationSettings::of("CTX", "poisson", 30);
  auto& source = std::get<models::Poisson::Settings>(ctx.params).params;
  source.burst_rate_hz = 5;
  source.spikes_per_burst = 3;
  source.rate_fluctuation = 0.4;  // each replica's own table of the shared fluctuation
  source.rate_fluctuation_tau_ms = 10;
  c.populations.push_back(ctx);
  ProjectionSettings ctx_stn;
  ctx_stn.name = "ctx_stn";
  ctx_stn.source = "CTX";
  ctx_stn.target = "STN";
  ctx_stn.p = 0.2;
  ctx_stn.g_total = 1.0;
  ctx_stn.delay_ms = 2.5;
  c.projections.push_back(ctx_stn);
  StimulusSettings dbs;
  dbs.name = "dbs";
  dbs.kind = "pulse_train";
  dbs.population = "GPe";
  dbs.amplitude = 2000;
  dbs.frequency_hz = 130;
  dbs.fraction = 0.5;
  c.stimuli.push_back(dbs);
  StimulusSettings relay;
  relay.name = "relay";
  relay.kind = "pulse_train";
  relay.population = "STN";
  relay.amplitude = 200;
  relay.frequency_hz = 14;
  relay.interval_cv = 0.2;
  c.stimuli.push_back(relay);
  StimulusSettings axons;
  axons.name = "axons";
  axons.kind = "axonal";
  axons.population = "GPi";
  axons.frequency_hz = 60;
  axons.probability = 0.5;
  axons.electrode = true;
  axons.current_mA = 0.5;
  c.stimuli.push_back(axons);
  for (const char* placed : {"GPe", "GPi"}) {
    PopulationSettings& p = test::population(c, placed);
    p.placement = "sphere";
    p.extent_um = 1000;
  }
  c.analysis.relay_stimulus = "relay";
  c.analysis.relay_window_ms = 5;
  return c;
}

struct Outcome {
  MemoryWriter* out = nullptr;
  std::unique_ptr<MemoryWriter> owned;
  RunSummary summary;
};

void expectSameDoubles(const std::vector<double>& a, const std::vector<double>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t j = 0; j < a.size(); ++j)
    if (!(a[j] == b[j] || (std::isnan(a[j]) && std::isnan(b[j])))) {
      ADD_FAILURE() << what << "[" << j << "]: " << b[j] << " instead of " << a[j];
      return;
    }
}

/// Everything `alone` wrote, `replica` wrote: spikes, every dataset, number
/// and integer, bit for bit; and the same summary.
void expectSameRun(const Outcome& alone, const MemoryWriter& replica, const RunSummary& summary) {
  ASSERT_TRUE(alone.summary.complete) << alone.summary.failure;
  ASSERT_EQ(replica.spikes.size(), alone.out->spikes.size());
  for (const auto& [pop, spikes] : alone.out->spikes) {
    EXPECT_FALSE(spikes.empty()) << pop;
    EXPECT_EQ(replica.spikes.at(pop), spikes) << pop;
  }
  ASSERT_EQ(replica.datasets.size(), alone.out->datasets.size());
  for (const auto& [name, data] : alone.out->datasets) {
    ASSERT_TRUE(replica.datasets.count(name)) << name;
    expectSameDoubles(data, replica.datasets.at(name), name);
  }
  ASSERT_EQ(replica.numbers.size(), alone.out->numbers.size());
  for (const auto& [name, value] : alone.out->numbers) {
    ASSERT_TRUE(replica.numbers.count(name)) << name;
    expectSameDoubles({value}, {replica.numbers.at(name)}, name);
  }
  EXPECT_EQ(replica.integers, alone.out->integers);
  // Every number of the summary but the last, its wall time.
  std::vector<double> a = flattenSummary(alone.summary), b = flattenSummary(summary);
  a.pop_back();
  b.pop_back();
  expectSameDoubles(a, b, "summary");
}

}  // namespace

// Three runs, two of them with the same seed and a grid value apart, as one
// network: each replica is its run alone.
TEST(Replicas, EachReplicaIsItsRunAlone) {
  std::vector<SimulationConfig> runs = {keyedConfig(7), keyedConfig(11), keyedConfig(7)};
  runs[1].stimuli[0].frequency_hz = 60;
  test::population(runs[2], "STN").bias = BiasSettings{5, 0.3};
  runs[2].projections[0].g_total *= 1.5;

  std::vector<Outcome> alone(runs.size());
  for (std::size_t r = 0; r < runs.size(); ++r) {
    alone[r].owned = std::make_unique<MemoryWriter>();
    alone[r].out = alone[r].owned.get();
    SimulationConfig one = runs[r];
    one.analysis.threads = 1;
    Simulation sim(one);
    alone[r].summary = sim.run(alone[r].out);
  }
  // The runs differ from each other (so that a mix-up would show).
  EXPECT_NE(alone[0].out->spikes.at("STN"), alone[1].out->spikes.at("STN"));
  EXPECT_NE(alone[0].out->spikes.at("STN"), alone[2].out->spikes.at("STN"));

  std::vector<MemoryWriter*> files;
  std::vector<std::unique_ptr<io::OutputWriter>> writers;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    writers.push_back(std::make_unique<MemoryWriter>());
    files.push_back(static_cast<MemoryWriter*>(writers.back().get()));
  }
  ReplicaWriter writer(std::move(writers));
  SimulationConfig merged = mergeReplicas(runs);
  EXPECT_EQ(merged.populations.size(), 3 * runs[0].populations.size());
  // The runs alone were analysed on one thread; the replicas' traces and
  // pairs on three at once.
  merged.analysis.threads = 3;
  Simulation sim(merged);
  const RunSummary summary = sim.run(&writer);
  ASSERT_TRUE(summary.complete) << summary.failure;
  const std::vector<RunSummary> parts = replicaSummaries(summary, runs.size());
  for (std::size_t r = 0; r < runs.size(); ++r) {
    SCOPED_TRACE("replica " + std::to_string(r));
    expectSameRun(alone[r], *files[r], parts[r]);
  }
}

TEST(Replicas, KeysOfTheNetworkMustAgree) {
  std::vector<SimulationConfig> runs = {keyedConfig(1), keyedConfig(2)};
  runs[1].simulation.dt_ms = 0.05;
  try {
    mergeReplicas(runs);
    ADD_FAILURE() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(
        std::string(e.what()).find("ensemble.replicas: simulation.dt_ms is 0.025 in run 0 but 0.05 in run 1"),
        std::string::npos)
        << e.what();
  }
  runs[1] = keyedConfig(2);
  runs[1].analysis.beta_lo_hz = 12;
  EXPECT_THROW(mergeReplicas(runs), ConfigError);
  runs[1] = keyedConfig(2);
  RecordSettings v;
  v.name = "v";
  v.population = "GPe";
  runs[1].records = {v};
  try {
    mergeReplicas(runs);
    ADD_FAILURE() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("ensemble.replicas: [record.v]"), std::string::npos) << e.what();
  }
}

// A replica's sections are renamed "<name>~r", keep the deck's name and
// their run's seed as their random identity, and reach only their replica.
TEST(Replicas, MergedSectionsKeepTheirRunsIdentity) {
  const SimulationConfig merged = mergeReplicas({keyedConfig(3), keyedConfig(9)});
  EXPECT_NO_THROW(checkConsistency(merged));
  const PopulationSettings* stn = merged.population("STN~1");
  ASSERT_NE(stn, nullptr);
  EXPECT_EQ(randomName(*stn), "STN");
  EXPECT_EQ(randomSeed(*stn, merged), 9u);
  EXPECT_EQ(randomKey(*stn), rng::streamKey("STN"));
  for (const ProjectionSettings& p : merged.projections) {
    EXPECT_EQ(replicaTag(p.source), replicaTag(p.name)) << p.name;
    EXPECT_EQ(replicaTag(p.target), replicaTag(p.name)) << p.name;
  }
  for (const StimulusSettings& s : merged.stimuli)
    EXPECT_EQ(replicaTag(s.population), replicaTag(s.name)) << s.name;
  // A section of the deck may not take a replica's name.
  SimulationConfig c = keyedConfig(1);
  test::population(c, "GPi").name = "GPi~0";
  EXPECT_THROW(checkConsistency(c), ConfigError);
}

// PopulationsByName, with which the checks pass over a merged network's
// thousands of sections, finds what SimulationConfig::population finds:
// each population, the first of a name given twice, none of another name.
TEST(Replicas, PopulationsByNameFindWhatTheSearchFinds) {
  SimulationConfig merged = mergeReplicas({keyedConfig(3), keyedConfig(9), keyedConfig(4)});
  const std::size_t twice = merged.populations.size() / 2;  // of the second replica
  merged.populations.push_back(merged.populations[twice]);
  const std::string name = merged.populations[twice].name;
  const PopulationsByName population(merged);
  for (const PopulationSettings& p : merged.populations)
    EXPECT_EQ(population(p.name), merged.population(p.name)) << p.name;
  EXPECT_EQ(population(name), &merged.populations[twice]);
  EXPECT_EQ(population("GPe~3"), nullptr);
  EXPECT_EQ(merged.population("GPe~3"), nullptr);
  try {
    checkConsistency(merged);
    ADD_FAILURE() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("population '" + name + "' is defined twice"), std::string::npos)
        << e.what();
  }
}

TEST(Replicas, WritesGoToTheirReplicasFileUnderTheDecksNames) {
  std::vector<MemoryWriter*> files;
  std::vector<std::unique_ptr<io::OutputWriter>> writers;
  for (int r = 0; r < 3; ++r) {
    writers.push_back(std::make_unique<MemoryWriter>());
    files.push_back(static_cast<MemoryWriter*>(writers.back().get()));
  }
  ReplicaWriter w(std::move(writers));
  w.writeNumbers("/metrics/STN~2", {{"rate_hz", 12.5}});
  w.writeDataset("/lfp", "GPe~1", {1.0, 2.0}, {});
  w.writeDataset("/coherence/STN~0/GPe~0", "coherence", {0.5}, {});
  w.writeNumbers("/timers", {{"wall_s", 3.0}});
  w.addSpikePopulation("GPi~1");
  w.appendSpikes("GPi~1", {1.5}, {4});
  EXPECT_EQ(files[2]->numbers.at("/metrics/STN/rate_hz"), 12.5);
  EXPECT_EQ(files[1]->datasets.at("/lfp/GPe"), (std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(files[0]->datasets.at("/coherence/STN/GPe/coherence"), (std::vector<double>{0.5}));
  for (const MemoryWriter* f : files) EXPECT_EQ(f->numbers.at("/timers/wall_s"), 3.0);
  EXPECT_EQ(files[1]->spikes.at("GPi"), (std::vector<std::pair<double, std::uint64_t>>{{1.5, 4}}));
  EXPECT_EQ(files[0]->numbers.size() + files[0]->datasets.size() + files[0]->spikes.size(), 2u);
  EXPECT_THROW(w.writeNumbers("/coherence/STN~0/GPe~1", {{"x", 1.0}}), io::OutputError);
  EXPECT_THROW(w.writeNumbers("/metrics/STN~3", {{"x", 1.0}}), io::OutputError);
  EXPECT_THROW(w.addSpikePopulation("STN"), io::OutputError);
}

TEST(Replicas, ASummarySplitsIntoItsReplicas) {
  RunSummary merged;
  for (const char* name : {"STN~0", "GPe~0", "STN~1", "GPe~1"}) {
    PopulationSummary p;
    p.name = name;
    p.rate_hz = name[4] == '0' ? 10 : 20;
    merged.populations.push_back(p);
  }
  merged.pairs = {{"STN~0", "GPe~0", 0.25}, {"STN~1", "GPe~1", 0.75}};
  merged.steps = 400;
  const std::vector<RunSummary> parts = replicaSummaries(merged, 2);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].populations.size(), 2u);
  EXPECT_EQ(parts[0].populations[0].rate_hz, 10);
  EXPECT_EQ(parts[0].pairs[0].beta_coherence, 0.25);
  const RunSummary& one = parts[1];
  ASSERT_EQ(one.populations.size(), 2u);
  EXPECT_EQ(one.populations[0].name, "STN");
  EXPECT_EQ(one.populations[1].name, "GPe");
  EXPECT_EQ(one.populations[0].rate_hz, 20);
  ASSERT_EQ(one.pairs.size(), 1u);
  EXPECT_EQ(one.pairs[0].a, "STN");
  EXPECT_EQ(one.pairs[0].beta_coherence, 0.75);
  EXPECT_EQ(one.steps, 400);
  // A population of no replica of the network is an error, not dropped.
  merged.populations[3].name = "GPe~2";
  EXPECT_THROW(replicaSummaries(merged, 2), std::logic_error);
}
