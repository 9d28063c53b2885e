"""Figures of a cbgtc run (matplotlib), used by the cbgtc-plot command.

Each figure function draws into axes it is given (or a new figure) and
returns the figure, so scripts can combine them:

    import cbgtc, cbgtc.plot
    run = cbgtc.read("out.h5")
    fig = cbgtc.plot.summary(run)
    fig.savefig("out.png")
"""

import argparse
import math
import os
import sys

import numpy as np

from . import read

FIGURES = ("summary", "raster", "rates", "voltage", "spectrum", "spectrogram", "bursts", "pac", "pulse")


def _pyplot():
    import matplotlib

    if not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")  # files only: no display is needed
    import matplotlib.pyplot as plt

    return plt


# Twenty distinct colours (matplotlib's tab20: ten hues, then their light
# shades), so that the loop's eleven populations each have their own.
PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf", "#aec7e8", "#ff9896", "#98df8a", "#c5b0d5", "#ffbb78", "#c49c94", "#f7b6d2", "#c7c7c7",
           "#dbdb8d", "#9edae5"]


def _colours(run):
    """A population's colour in every panel: its place among the file's populations (then the
    spike populations that are none, such as axonal spikes), whatever a panel leaves out."""
    names = list(run.populations) + sorted(n for n in run.spikes if n not in run.populations)
    return {name: PALETTE[k % len(PALETTE)] for k, name in enumerate(names)}


def _window(run, t_start_ms, t_stop_ms):
    t0 = 0.0 if t_start_ms is None else t_start_ms
    t1 = run.duration_ms if t_stop_ms is None else t_stop_ms
    if t_stop_ms is None and not t1 > 0:
        raise ValueError("the file covers no model time (its run stopped before its first step)")
    if not t1 > t0:
        raise ValueError(f"empty time window [{t0}, {t1}) ms")
    return t0, t1


def _band(run):
    return (float(run.config.get("analysis.beta_lo_hz", 13)), float(run.config.get("analysis.beta_hi_hz", 30)))


def _analysed(run):
    """Populations with the spectrum of an LFP proxy (those with a
    membrane), in file order. A spike source (poisson) has a psd too, of no
    LFP: all 0 (its beta_power is NaN), and its spectrogram and comodulogram
    would be empty panels."""
    return [p for p in run.populations
            if p in run.metrics and "psd" in run.metrics[p] and np.any(run.metrics[p]["psd"] > 0)]


def _without_spikes(run, populations=None):
    """Populations the file holds no spikes of: output.spikes = false, or
    population.<name>.write_spikes = false (their metrics are kept)."""
    return [p for p in (populations or run.populations) if p not in run.spikes]


def _no_spikes(run, names):
    # Two short lines: a summary panel is a quarter of the page.
    if run.config.get("output.spikes") is False:
        return "this file holds no spikes\n(output.spikes = false)"
    if not run.spikes and not run.metrics:
        # A [record] file: its traces, not the run's spikes.
        return "this file holds no spikes\n(a report file: plot the run's output file)"
    return f"no spikes of {', '.join(names)} in this file\n(write_spikes = false)"


def _mark_absent(run, ax, t0, t1):
    """Shades the part of [t0, t1) before the file's spikes begin (a run
    continued from a checkpoint into a file of its own) and says why."""
    start = run.spikes_from_ms
    if start <= t0:
        return False
    ax.axvspan(t0, min(start, t1), color="0.9", zorder=0)
    ax.text(0.01, 0.97, f"no spikes before {start:g} ms in this file\n(continued from a checkpoint:\n"
                        "the first part's file has them)", fontsize="small", va="top", transform=ax.transAxes)
    return True


def _axes(ax, rows=1, columns=1, size=(8, 4)):
    if ax is not None:
        return ax.figure, ax
    plt = _pyplot()
    fig, axes = plt.subplots(rows, columns, figsize=size, squeeze=False)
    return fig, axes[0][0]


def raster_points(run, populations=None, t_start_ms=None, t_stop_ms=None, max_neurons=200):
    """The (time, row) points a raster shows, per population: the first
    max_neurons node ids of each, stacked bottom-up in file order."""
    t0, t1 = _window(run, t_start_ms, t_stop_ms)
    names = populations or [p for p in run.populations if p in run.spikes]
    points, offset = {}, 0
    for name in names:
        times, ids = run.spikes[name]
        shown = min(run.size(name) or (int(ids.max()) + 1 if ids.size else 0), max_neurons)
        keep = (times >= t0) & (times < t1) & (ids < shown)
        points[name] = (times[keep], ids[keep] + offset, offset, shown)
        offset += shown
    return points


def raster(run, ax=None, populations=None, t_start_ms=None, t_stop_ms=None, max_neurons=200):
    """Spike raster: one row per neuron (at most max_neurons per population)."""
    fig, ax = _axes(ax)
    missing = _without_spikes(run, populations)
    drawn = [p for p in (populations or run.populations) if p not in missing]
    points = raster_points(run, drawn, t_start_ms, t_stop_ms, max_neurons) if drawn else {}
    colours = _colours(run)
    ticks, labels = [], []
    for name, (times, rows, offset, shown) in points.items():
        ax.scatter(times, rows, s=1.0, marker="|", color=colours[name], linewidths=0.5, label=name)
        ticks.append(offset + shown / 2)
        labels.append(name)
    ax.set_yticks(ticks)
    ax.set_yticklabels(labels)
    ax.set_xlim(*_window(run, t_start_ms, t_stop_ms))
    if points:
        _mark_absent(run, ax, *_window(run, t_start_ms, t_stop_ms))
    ax.set_xlabel("time (ms)")
    ax.set_title("spikes")
    if missing and not points:
        ax.text(0.5, 0.5, _no_spikes(run, missing), ha="center", va="center", transform=ax.transAxes)
    elif missing:
        ax.set_title("spikes; " + _no_spikes(run, missing).replace("\n", " "), fontsize="small")
    return fig


def population_rates(run, populations=None, t_start_ms=None, t_stop_ms=None, bin_ms=5.0):
    """Per population: bin centres (ms) and the mean rate per neuron (Hz) in
    each bin of bin_ms from the window's start, the last ending at the
    window's end (shorter where bin_ms does not divide the window: a run
    stopped at 809 ms ends with [805, 809)); NaN in bins that start before
    the file's spikes do (Run.spikes_from_ms), where a count of 0 would be
    false."""
    if not bin_ms > 0:
        raise ValueError(f"the bin must be positive (bin_ms = {bin_ms:g})")
    t0, t1 = _window(run, t_start_ms, t_stop_ms)
    edges = np.arange(t0, t1, bin_ms)
    # The window's end closes the last bin; a remainder within round-off of
    # a whole bin joins the one before.
    if len(edges) > 1 and t1 - edges[-1] < 1e-9 * bin_ms:
        edges = edges[:-1]
    edges = np.append(edges, t1)
    widths_s = np.diff(edges) * 1e-3
    rates = {}
    for name in populations or run.populations:
        if name not in run.spikes:
            continue  # mean_rates() has what the file holds of it
        times, _ = run.spikes[name]
        counts, _ = np.histogram(times[times < t1], edges)  # half-open, as every bin: a spike at t1 is the next's
        n = run.size(name) or 1
        r = counts / (n * widths_s)
        r[edges[:-1] < run.spikes_from_ms] = np.nan
        rates[name] = (0.5 * (edges[1:] + edges[:-1]), r)
    return rates


def mean_rates(run, populations=None):
    """Per population the file holds no spikes of: the analysed window
    (burn-in to end, ms) and the mean rate per neuron over it (Hz), which
    cbgtc counted as it ran (/metrics/<pop>@rate_hz)."""
    means = {}
    for name in _without_spikes(run, populations):
        m = run.metrics.get(name, {})
        if "rate_hz" in m:
            burn = float(m.get("burn_in_ms", 0.0))
            end = burn + float(m["analysed_ms"]) if "analysed_ms" in m else run.duration_ms
            means[name] = ((burn, end), float(m["rate_hz"]))
    return means


def rates(run, ax=None, populations=None, t_start_ms=None, t_stop_ms=None, bin_ms=5.0):
    """Population rates (Hz per neuron) in bins of bin_ms; for a population
    without spikes in the file, its mean after burn-in from the metrics."""
    fig, ax = _axes(ax)
    series = population_rates(run, populations, t_start_ms, t_stop_ms, bin_ms)
    means = mean_rates(run, populations)
    colours = _colours(run)
    for name, (t, r) in series.items():
        ax.plot(t, r, color=colours[name], lw=0.8, label=name)
    t0, t1 = _window(run, t_start_ms, t_stop_ms)
    marked = bool(series) and _mark_absent(run, ax, t0, t1)
    for name, ((start, end), r) in means.items():
        start, end = max(start, t0), min(end, t1)
        if start < end:
            ax.plot([start, end], [r, r], color=colours[name], lw=1.2, ls="--", label=f"{name} (mean)")
    if means:
        # Room above the highest rate for the note and the legend.
        top = max([r for _, r in means.values()] + [np.nanmax(r) for _, r in series.values() if np.isfinite(r).any()])
        ax.set_ylim(0, 1.7 * top if top > 0 else 1.0)
        note = "dashed: the mean rate after burn-in (metrics);\n" + _no_spikes(run, list(means))
        ax.text(0.01, 0.75 if marked else 0.97, note, fontsize="small", va="top", transform=ax.transAxes)
    ax.set_xlim(t0, t1)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"rate (Hz, {bin_ms:g} ms bins)" if series else "rate (Hz)")
    ax.set_title("population rates")
    if ax.get_lines():
        # One column beside a note at the top left: a row of four covered it.
        ncol = 1 if means or marked else min(len(ax.get_lines()), 4)
        ax.legend(fontsize="small", ncol=ncol, loc="upper right")
    else:
        ax.text(0.5, 0.5, "no spikes or rates in this file", ha="center", va="center", transform=ax.transAxes)
    return fig


def spectrum(run, ax=None, populations=None, max_hz=100.0):
    """Welch spectra of the LFP proxies (after burn-in), beta band shaded."""
    fig, ax = _axes(ax)
    names = populations or _analysed(run)
    colours = _colours(run)
    for name in names:
        m = run.metrics[name]
        f, p = m["psd_freq_hz"], m["psd"]
        keep = (f > 0) & (f <= max_hz)
        # Each population in its own units: normalise to its total power so they share an axis.
        total = np.sum(p[keep])
        if total > 0:
            ax.semilogy(f[keep], p[keep] / total, color=colours[name], lw=1.0, label=name)
    lo, hi = _band(run)
    ax.axvspan(lo, hi, color="0.85", zorder=0, label=f"beta {lo:g}-{hi:g} Hz")
    ax.set_xlim(0, max_hz)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("power (fraction per bin)")
    ax.set_title("LFP-proxy spectrum")
    ax.legend(fontsize="small", loc="upper right")
    return fig


def _lfp_after_burn_in(run, name):
    t, v = run.lfp[name]
    burn = float(run.metrics.get(name, {}).get("burn_in_ms", 0.0))
    keep = t >= burn
    return t[keep], v[keep]


def spectrogram(run, ax=None, population=None, max_hz=100.0, window_ms=500.0):
    """Spectrogram of one population's LFP proxy (default: the first with
    one, not a spike source), beta band marked."""
    fig, ax = _axes(ax)
    names = _analysed(run)
    name = population or (names[0] if names else None)
    if name is None or name not in run.lfp:
        ax.text(0.5, 0.5, "no LFP proxy in this file", ha="center", va="center", transform=ax.transAxes)
        return fig
    t, v = _lfp_after_burn_in(run, name)
    if v.size and not np.any(v != v[0]):
        ax.text(0.5, 0.5, f"{name}: its LFP proxy is constant\n(a spike source has none)", ha="center",
                va="center", transform=ax.transAxes)
        return fig
    dt_ms = t[1] - t[0] if t.size > 1 else 1.0
    fs = 1000.0 / dt_ms
    nfft = int(2 ** math.floor(math.log2(max(16, min(window_ms / dt_ms, max(16, v.size // 2))))))
    if v.size < nfft:
        ax.text(0.5, 0.5, "LFP proxy too short for a spectrogram", ha="center", va="center", transform=ax.transAxes)
        return fig
    _, _, _, image = ax.specgram(v - v.mean(), NFFT=nfft, Fs=fs, noverlap=nfft * 3 // 4, xextent=(t[0], t[-1]),
                                 cmap="viridis", scale="dB")
    lo, hi = _band(run)
    for f in (lo, hi):
        ax.axhline(f, color="w", lw=0.6, ls="--")
    ax.set_ylim(0, min(max_hz, fs / 2))
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("frequency (Hz)")
    ax.set_title(f"{name}: LFP-proxy spectrogram (dB)")
    fig.colorbar(image, ax=ax, pad=0.01)
    return fig


def voltage(run, ax=None, populations=None, traces=3, t_start_ms=None, t_stop_ms=None):
    """Recorded traces of the file's /report (output.v_neurons)."""
    names = populations or [p for p in run.populations if p in run.reports]
    plt = _pyplot()
    if ax is None:
        fig, axes = plt.subplots(max(1, len(names)), 1, figsize=(8, 1.8 * max(1, len(names))), sharex=True,
                                 squeeze=False)
        axes = [a[0] for a in axes]
    else:
        fig, axes = ax.figure, [ax] * max(1, len(names))
    if not names:
        axes[0].text(0.5, 0.5, "no voltage report (set output.v_neurons)", ha="center", va="center",
                     transform=axes[0].transAxes)
        return fig
    t0, t1 = _window(run, t_start_ms, t_stop_ms)
    for a, name in zip(axes, names):
        rep = run.reports[name]
        keep = (rep.time_ms >= t0) & (rep.time_ms < t1)
        for column in range(min(traces, rep.data.shape[1])):
            a.plot(rep.time_ms[keep], rep.data[keep, column], lw=0.6, label=f"{name} {rep.node_ids[column]}")
        a.set_ylabel(f"{rep.variable} ({rep.units})")
        a.legend(fontsize="x-small", loc="upper right")
    axes[-1].set_xlabel("time (ms)")
    return fig


def _grid(n, size_per=(4, 3)):
    plt = _pyplot()
    columns = min(n, 3)
    rows = max(1, math.ceil(n / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(size_per[0] * columns, size_per[1] * rows), squeeze=False,
                             layout="constrained")  # titles clear of the row above's labels
    flat = [a for row in axes for a in row]
    for a in flat[n:]:
        a.set_visible(False)
    return fig, flat


def bursts(run, populations=None):
    """Histograms of beta-burst durations (docs/model.md §7.5)."""
    names = [p for p in (populations or _analysed(run)) if "beta_burst_duration_ms" in run.metrics[p]]
    fig, axes = _grid(max(1, len(names)))
    for a, name in zip(axes, names):
        d = run.metrics[name]["beta_burst_duration_ms"]
        if d.size:
            a.hist(d, bins=np.arange(0, max(d.max(), 100) + 50, 50), color="0.4")
        a.set_title(f"{name}: {d.size} beta bursts")
        a.set_xlabel("duration (ms)")
    return fig


def _comodulogram(run, name, a, title):
    m = run.metrics[name]
    phase, amplitude = m["comodulogram_phase_hz"], m["comodulogram_amplitude_hz"]
    mi = np.asarray(m["comodulogram"], dtype=float).reshape(phase.size, amplitude.size)
    # Grey: undefined cells, whose amplitude band a ± p reaches into the
    # phase band or past the passband (docs/model.md §7.7).
    colours = _pyplot().get_cmap("magma").copy()
    colours.set_bad("0.85")
    image = a.pcolormesh(phase, amplitude, np.ma.masked_invalid(mi.T), shading="nearest", cmap=colours)
    a.figure.colorbar(image, ax=a, pad=0.01)
    a.set_title(title)
    a.set_xlabel("phase frequency (Hz)")
    a.set_ylabel("amplitude frequency (Hz)")


def pac(run, populations=None):
    """Comodulograms: Tort modulation index over phase and amplitude frequencies."""
    names = [p for p in (populations or _analysed(run)) if "comodulogram" in run.metrics[p]]
    fig, axes = _grid(max(1, len(names)))
    for a, name in zip(axes, names):
        _comodulogram(run, name, a, f"{name}: PAC (Tort MI)")
    return fig


def pulse_bin_edges(centres_ms):
    """The bins' edges from their centres: bins of one width from 0, the
    last one shorter where the pulse interval ends (docs/model.md §7.8)."""
    centres = np.asarray(centres_ms, dtype=float)
    width = 2.0 * centres[0]
    starts = np.arange(centres.size) * width
    return np.append(starts, 2.0 * centres[-1] - starts[-1])


def pulse(run, populations=None):
    """Pulse-triggered spike histograms around stimulation pulses."""
    names = [p for p in (populations or run.populations)
             if p in run.metrics and "pulse_histogram_hz" in run.metrics[p]]
    fig, axes = _grid(max(1, len(names)))
    if not names:
        axes[0].text(0.5, 0.5, "no pulse stimulus in this run", ha="center", va="center",
                     transform=axes[0].transAxes)
    for a, name in zip(axes, names):
        m = run.metrics[name]
        a.stairs(m["pulse_histogram_hz"], pulse_bin_edges(m["pulse_histogram_time_ms"]), color="k", lw=0.8)
        latency = m.get("pulse_latency_ms", float("nan"))
        a.set_title(f"{name}: " + (f"peak {latency:.2f} ms after onset" if np.isfinite(latency)
                                   else "not locked"))
        a.set_xlabel("time since pulse onset (ms)")
        a.set_ylabel("rate (Hz)")
    return fig


def summary(run, t_start_ms=None, t_stop_ms=None, max_neurons=200):
    """One page: raster, rates, spectrum and spectrogram, plus the
    comodulogram and pulse histograms of the first population where the
    file has them."""
    plt = _pyplot()
    names = _analysed(run)
    extra_pac = next((p for p in names if "comodulogram" in run.metrics[p]), None)
    extra_pulse = next((p for p in run.populations
                        if p in run.metrics and "pulse_histogram_hz" in run.metrics[p]), None)
    rows = 3 if (extra_pac or extra_pulse) else 2
    fig = plt.figure(figsize=(12, 3.6 * rows), layout="constrained")
    grid = fig.add_gridspec(rows, 2)
    raster_start, raster_stop = t_start_ms, t_stop_ms
    if t_start_ms is None and t_stop_ms is None and run.duration_ms > 1000:
        raster_start, raster_stop = run.duration_ms - 500.0, run.duration_ms  # spikes stay visible
    raster(run, fig.add_subplot(grid[0, 0]), t_start_ms=raster_start, t_stop_ms=raster_stop, max_neurons=max_neurons)
    rates(run, fig.add_subplot(grid[0, 1]), t_start_ms=t_start_ms, t_stop_ms=t_stop_ms)
    spectrum(run, fig.add_subplot(grid[1, 0]))
    spectrogram(run, fig.add_subplot(grid[1, 1]))
    if extra_pac:
        _comodulogram(run, extra_pac, fig.add_subplot(grid[2, 0]), f"{extra_pac}: PAC comodulogram (Tort MI)")
    if extra_pulse:
        a = fig.add_subplot(grid[2, 1])
        colours = _colours(run)
        for name in [p for p in run.populations if p in run.metrics and "pulse_histogram_hz" in run.metrics[p]]:
            m = run.metrics[name]
            a.stairs(m["pulse_histogram_hz"], pulse_bin_edges(m["pulse_histogram_time_ms"]), lw=0.8, label=name,
                     color=colours[name])
        a.set_title("pulse-triggered spike histograms")
        a.set_xlabel("time since pulse onset (ms)")
        a.set_ylabel("rate (Hz)")
        a.legend(fontsize="small")
    title = os.path.basename(run.path)
    if run.replicas:
        runs = sorted(r["run"] for r in run.replicas.values())
        what = f"replicas of runs {runs[0]}-{runs[-1]}, seeds {','.join(str(r['seed']) for _, r in sorted(run.replicas.items()))}"
    else:
        what = f"seed {run.config.get('simulation.seed')}"
    fig.suptitle(f"{title}  ({what}, {run.duration_ms:g} ms{'' if run.complete else ', incomplete'})")
    return fig


def _check_names(run, names):
    """A name the file has no data of is a mistake, not an empty plot."""
    known = set(run.populations) | set(run.spikes) | set(run.metrics) | set(run.lfp) | set(run.reports)
    data = set(run.spikes) | set(run.metrics) | set(run.lfp) | set(run.reports)
    for name in names:
        if name not in known:
            raise ValueError(f"no population {name!r} in this file (it has {', '.join(sorted(known))})")
        if name not in data and any(k.startswith(name + "~") for k in data):
            raise ValueError(f"this file holds replicas: its populations are {name}~0, {name}~1, ...")


def figure(run, name, args):
    """The named figure of a run, with the command line's options."""
    pops = [p.strip() for p in args.populations.split(",") if p.strip()] if args.populations else None
    if pops:
        _check_names(run, pops)
    if name == "summary":
        return summary(run, args.t_start_ms, args.t_stop_ms, args.max_neurons)
    if name == "raster":
        return raster(run, None, pops, args.t_start_ms, args.t_stop_ms, args.max_neurons)
    if name == "rates":
        return rates(run, None, pops, args.t_start_ms, args.t_stop_ms, args.bin_ms)
    if name == "voltage":
        return voltage(run, None, pops, t_start_ms=args.t_start_ms, t_stop_ms=args.t_stop_ms)
    if name == "spectrum":
        return spectrum(run, None, pops)
    if name == "spectrogram":
        return spectrogram(run, None, pops[0] if pops else None)
    if name == "bursts":
        return bursts(run, pops)
    if name == "pac":
        return pac(run, pops)
    if name == "pulse":
        return pulse(run, pops)
    raise ValueError(f"unknown figure {name!r} (figures: {', '.join(FIGURES)})")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="cbgtc-plot",
        description="Figures of a cbgtc output file: " + ", ".join(FIGURES) + ".",
        epilog="Example: cbgtc-plot out.h5 (writes out_summary.png); cbgtc-plot out.h5 raster spectrum --format pdf")
    parser.add_argument("file", help="cbgtc output file (.h5)")
    parser.add_argument("figures", nargs="*", default=["summary"], metavar="FIGURE",
                        help="which figures (default: summary)")
    parser.add_argument("-o", "--output", help="output file (one figure) or directory (default: beside the input, "
                                               "<stem>_<figure>.<format>)")
    parser.add_argument("--format", choices=("png", "pdf", "svg"), default="png")
    parser.add_argument("--dpi", type=int, default=120)
    parser.add_argument("--populations", help="comma-separated population names (default: all)")
    parser.add_argument("--t-start-ms", type=float, help="start of the time window (default: 0; the summary's "
                                                         "raster shows the last 500 ms of a longer run)")
    parser.add_argument("--t-stop-ms", type=float, help="end of the time window (default: the end of the run)")
    parser.add_argument("--bin-ms", type=float, default=5.0, help="rate histogram bin (ms)")
    parser.add_argument("--max-neurons", type=int, default=200, help="neurons per population in a raster")
    args = parser.parse_args(argv)
    if not args.bin_ms > 0:
        parser.error(f"--bin-ms must be positive (got {args.bin_ms:g})")
    for name in args.figures:
        if name not in FIGURES:
            parser.error(f"unknown figure {name!r} (figures: {', '.join(FIGURES)})")
    if args.output and len(args.figures) > 1 and not os.path.isdir(args.output):
        parser.error("--output names a file, but several figures were asked for: give a directory")
    if os.path.isdir(args.file):
        print(f"cbgtc-plot: cannot read {args.file}: it is a directory", file=sys.stderr)
        return 2
    try:
        run = read(args.file)
    except (OSError, KeyError, ValueError, AttributeError, TypeError) as e:
        # One line: h5py's messages can span several.
        message = " ".join(str(e).split())
        if args.file.endswith((".tsv", ".csv", ".txt")) and os.path.isfile(args.file):
            message = ("it is a text file, and cbgtc-plot draws cbgtc's HDF5 output files"
                       " (an ensemble's table: scripts/plot_ensemble.py)")
        print(f"cbgtc-plot: cannot read {args.file}: {message}", file=sys.stderr)
        return 2
    name = os.path.basename(args.file)
    stem = os.path.splitext(name[: -len(".partial")] if name.endswith(".partial") else name)[0]
    for name in args.figures:
        try:
            fig = figure(run, name, args)
        except ValueError as e:
            print(f"cbgtc-plot: {name}: {e}", file=sys.stderr)
            return 2
        except KeyError as e:
            print(f"cbgtc-plot: {name}: {args.file} holds no data of {e.args[0]!r} for this figure", file=sys.stderr)
            return 2
        if args.output and not os.path.isdir(args.output):
            out = args.output
        else:
            folder = args.output or os.path.dirname(os.path.abspath(args.file))
            out = os.path.join(folder, f"{stem}_{name}.{args.format}")
        try:
            fig.savefig(out, dpi=args.dpi, format=os.path.splitext(out)[1][1:] or args.format)
        except (OSError, ValueError) as e:
            print(f"cbgtc-plot: cannot write {out}: {' '.join(str(e).split())}", file=sys.stderr)
            return 2
        finally:
            _pyplot().close(fig)
        print(out)
    return 0
