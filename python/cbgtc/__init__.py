"""Read cbgtc output files into numpy arrays.

    import cbgtc
    run = cbgtc.read("out.h5")
    t, ids = run.spikes["STN"]            # spike times (ms) and 0-based node ids
    run.spikes_from_ms                    # where they begin: a continued run's own file starts at its checkpoint
    run.metrics["STN"]["rate_hz"]         # every scalar of /metrics/STN
    run.metrics["STN"]["psd"]             # and every array
    t, v = run.lfp["STN"]                 # LFP proxy and its sample times (ms)
    rep = run.reports["STN"]              # voltage report: rep.time_ms, rep.node_ids, rep.data
    run.config["population.STN.n"]        # the resolved configuration, typed
    rep = cbgtc.read_report("out_stn_gates.h5")   # a [record.<name>] file
    edges = cbgtc.read_edges("out.h5")["stn_gpe"]  # output.network: edges.source, .target, .weight, .delay_ms

Only h5py and numpy are needed. The layout is the README's "Output (SONATA)".
"""

import re
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

import numpy as np

__all__ = ["read", "read_report", "read_edges", "Run", "Report", "Edges", "typed"]
try:
    from ._version import version as __version__  # written by CMake from the project version
except ImportError:  # the source tree, not a build or an install
    __version__ = "unknown"


_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def typed(value):
    """A configuration value as Python reads it: bool, int, float or str.

    cbgtc writes numbers as numbers; text that is a decimal number (a value
    written by an older file, a replica's "key=value") is converted the same
    way, and other text (a population called "inf") is kept.
    """
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(()).item()
    if isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, str):
        return value
    if value in ("true", "false"):
        return value == "true"
    if not _DECIMAL.fullmatch(value):
        return value
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


@dataclass
class Report:
    """A SONATA report: data[row, column] is node node_ids[column] at time_ms[row]."""

    variable: str
    units: str
    time_ms: np.ndarray
    node_ids: np.ndarray
    data: np.ndarray

    def trace(self, node_id: int) -> np.ndarray:
        """The time series of one node."""
        columns = np.flatnonzero(self.node_ids == node_id)
        if columns.size == 0:
            raise KeyError(f"node {node_id} is not in this report (it has {list(self.node_ids)})")
        return self.data[:, columns[0]]


@dataclass
class Edges:
    """One projection's synapses (output.network), in (target, source) order."""

    source_population: str
    target_population: str
    source: np.ndarray    # node ids
    target: np.ndarray
    weight: np.ndarray    # the target's conductance units
    delay_ms: np.ndarray


@dataclass
class Run:
    """Everything one cbgtc output file holds."""

    path: str
    attrs: Dict[str, object]                      # every root attribute, typed
    config: Dict[str, object]                     # the resolved "section.key" values (replicas: the first run's)
    populations: list                             # names, in the file's order
    spikes: Dict[str, Tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    lfp: Dict[str, Tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    lfp_units: Dict[str, str] = field(default_factory=dict)
    metrics: Dict[str, Dict[str, object]] = field(default_factory=dict)
    reports: Dict[str, Report] = field(default_factory=dict)
    coherence: Dict[Tuple[str, str], Tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    positions: Dict[str, np.ndarray] = field(default_factory=dict)
    # /stimuli/<name>: pulse_onsets_ms, an electrode's reach; <pop>: its reach in each placed population
    stimuli: Dict[str, Dict[str, object]] = field(default_factory=dict)
    timers: Dict[str, float] = field(default_factory=dict)  # /timers, with output.timers
    # /replicas/<j> of a file of replicas (ensemble.replica_files = one): run, seed and values
    # ("key=value ..." or "-") of the run whose sections are "<name>~j", and for one that failed
    # alone its failure and stopped_at_ms
    replicas: Dict[int, Dict[str, object]] = field(default_factory=dict)

    @property
    def duration_ms(self) -> float:
        """Model time the file covers: the run's duration, where it stopped,
        or, for a file whose run was killed, the last time it holds."""
        if "stopped_at_ms" in self.attrs:
            return float(self.attrs["stopped_at_ms"])
        if self.complete:
            return float(self.config.get("simulation.duration_ms", 0.0))
        ends = [float(t[-1]) for t, _ in self.spikes.values() if len(t)]
        ends += [float(t[-1]) for t, _ in self.lfp.values() if len(t)]
        ends += [float(r.time_ms[-1]) for r in self.reports.values() if r.time_ms.size]
        return max(ends, default=0.0)

    @property
    def spikes_from_ms(self) -> float:
        """Model time the file's spikes begin: 0, or for a run continued from
        a checkpoint into a file of its own (without checkpoint.append), the
        checkpoint's time; the first part's file holds the spikes before it
        (docs/checkpoint.md). Before it the file is silent because it holds
        nothing, not because nothing fired."""
        if "restarted_from" not in self.attrs or self.config.get("checkpoint.append", False):
            return 0.0
        if "restarted_at_ms" in self.attrs:
            return float(self.attrs["restarted_at_ms"])
        # Files from before restarted_at_ms existed. The checkpoint is at or before
        # the first spike and the first report sample, so the earliest of
        # them is where the file is known to hold everything.
        starts = [float(t[0]) for t, _ in self.spikes.values() if t.size]
        starts += [float(r.time_ms[0]) for r in self.reports.values() if r.time_ms.size]
        return min(starts, default=self.duration_ms)

    @property
    def complete(self) -> bool:
        """cbgtc marks a file at the end of its run; a file without the mark
        (a killed run's .partial) is incomplete."""
        return bool(self.attrs.get("complete", False))

    def replica_config(self, j: int) -> Dict[str, object]:
        """Run j's configuration in a file of replicas, whose root holds its first run's: that one
        with run j's seed and the values of its grid point or set."""
        config = dict(self.config)
        replica = self.replicas[j]
        config["simulation.seed"] = replica["seed"]
        values = str(replica.get("values", "-"))
        for item in ([] if values == "-" else values.split(" ")):
            key, _, value = item.partition("=")
            config[key] = typed(value)
        return config

    def size(self, population: str) -> Optional[int]:
        """The population's neuron count, from the configuration (a replica's "<name>~j": run j's;
        an axonal stimulus's spikes "<name>_axonal": the axons of <name>'s neurons)."""
        name, tilde, j = population.rpartition("~")
        replica = bool(tilde) and j.isdigit() and int(j) in self.replicas
        if not replica:
            name = population
        config = self.replica_config(int(j)) if replica else self.config
        n = config.get(f"population.{name}.n")
        if n is None and name.endswith("_axonal"):
            n = config.get(f"population.{name[:-len('_axonal')]}.n")
        return None if n is None else int(n)


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _report(group) -> Report:
    data = group["data"]
    mapping = group["mapping"]
    start, stop, step = (float(x) for x in mapping["time"][()])
    rows = data.shape[0]
    return Report(
        variable=_text(data.attrs.get("variable", "")),
        units=_text(data.attrs.get("units", "")),
        time_ms=start + step * np.arange(rows),
        node_ids=np.asarray(mapping["node_ids"][()], dtype=np.int64),
        data=np.asarray(data[()]),
    )


def read_report(path: str, population: Optional[str] = None) -> Report:
    """A report file written by a [record.<name>] section (or the /report
    group of an output file): the one population it holds, or `population`."""
    import h5py

    with h5py.File(path, "r") as f:
        if "report" not in f:
            raise ValueError(f"{path} holds no reports (a [record.<name>] section writes a file of its own,"
                             " <output stem>_<name>_<variable>.h5)")
        reports = f["report"]
        names = list(reports.keys())
        if population is None:
            if len(names) != 1:
                raise ValueError(f"{path}: holds reports of {names}; name one")
            population = names[0]
        if population not in reports:
            raise KeyError(f"{path}: no report of {population!r} (it has {names})")
        return _report(reports[population])


def read_edges(path: str) -> Dict[str, Edges]:
    """Every projection of the network files written beside an output file
    (output.network = true): `path` is the output file or the edges file."""
    import os

    import h5py

    # An output file's own name may end in "_edges": the edges file is the one that holds /edges.
    with h5py.File(path, "r") as f:
        edges_path = path if "edges" in f else os.path.splitext(path)[0] + "_edges.h5"
    out = {}
    with h5py.File(edges_path, "r") as f:
        for name, g in f["edges"].items():
            out[name] = Edges(
                source_population=_text(g["source_node_id"].attrs["node_population"]),
                target_population=_text(g["target_node_id"].attrs["node_population"]),
                source=np.asarray(g["source_node_id"][()], dtype=np.int64),
                target=np.asarray(g["target_node_id"][()], dtype=np.int64),
                weight=np.asarray(g["0/syn_weight"][()]),
                delay_ms=np.asarray(g["0/delay"][()]),
            )
    return out


def read(path: str) -> Run:
    """Reads a cbgtc output file (HDF5) whole."""
    import h5py

    with h5py.File(path, "r") as f:
        # (A commit's hash of digits only is still text.)
        attrs = {k: _text(v) if k == "git_hash" else typed(v) for k, v in f.attrs.items()}
        if "cbgtc_version" not in attrs:
            raise ValueError(f"{path} is not a cbgtc output file (it has no cbgtc_version attribute)")
        if attrs.get("cbgtc_checkpoint") in (True, "true"):
            raise ValueError(f"{path} is a cbgtc checkpoint, not an output file (continue it with cbgtc --restart)")
        if ("nodes" in f or "edges" in f) and not any(g in f for g in ("spikes", "metrics", "lfp", "report")):
            raise ValueError(f"{path} is a network file (output.network), not an output file "
                             "(its projections: cbgtc.read_edges)")
        config = {k: v for k, v in attrs.items() if "." in k}
        populations = [k[len("population."):-len(".model")] for k in config
                       if k.startswith("population.") and k.endswith(".model")]
        run = Run(path=path, attrs=attrs, config=config, populations=populations)
        for name, group in f.get("spikes", {}).items():
            run.spikes[name] = (np.asarray(group["timestamps"][()], dtype=float),
                                np.asarray(group["node_ids"][()], dtype=np.int64))
        for name, data in f.get("lfp", {}).items():
            dt = float(data.attrs["sampling_interval_ms"])
            start = float(data.attrs.get("start_ms", 0.0))
            values = np.asarray(data[()])
            run.lfp[name] = (start + dt * np.arange(values.size), values)
            run.lfp_units[name] = _text(data.attrs.get("units", ""))
        for name, group in f.get("metrics", {}).items():
            m = {k: typed(v) for k, v in group.attrs.items()}
            for k, d in group.items():
                m[k] = np.asarray(d[()])
            run.metrics[name] = m
        for name, group in f.get("report", {}).items():
            run.reports[name] = _report(group)
        for a, inner in f.get("coherence", {}).items():
            for b, group in inner.items():
                run.coherence[(a, b)] = (np.asarray(group["freq_hz"][()]), np.asarray(group["coherence"][()]))
        for name, group in f.get("positions", {}).items():
            run.positions[name] = np.column_stack([group[c][()] for c in ("x_um", "y_um", "z_um")])
        for name, group in f.get("stimuli", {}).items():
            s = {k: typed(v) for k, v in group.attrs.items()}
            for k, item in group.items():
                s[k] = ({a: typed(v) for a, v in item.attrs.items()} if isinstance(item, h5py.Group)
                        else np.asarray(item[()]))
            run.stimuli[name] = s
        if "timers" in f:
            run.timers = {k: float(v) for k, v in f["timers"].attrs.items()}
        for j, group in f.get("replicas", {}).items():
            r = {k: typed(v) for k, v in group.attrs.items()}
            if "overrides" in group:
                r["values"] = typed(group["overrides"].attrs.get("values", "-"))
            if "failure" in group:  # it diverged alone: its sections end at stopped_at_ms
                r["failure"] = str(group["failure"].attrs.get("message", ""))
                r["stopped_at_ms"] = float(group["failure"].attrs.get("stopped_at_ms", 0.0))
            run.replicas[int(j)] = r
        if run.replicas:  # run j's populations are "<name>~j"
            run.populations = [f"{p}~{j}" for p in populations for j in sorted(run.replicas)]
        return run
