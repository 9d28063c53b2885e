#!/usr/bin/env python3
"""Plot one metric of an ensemble table (cbgtc [ensemble]) against a grid key.

    scripts/plot_ensemble.py TABLE.tsv --x stimulus.dbs.frequency_hz --metric relative_beta \
        [--population STN,GPe] [--by stimulus.dbs.current_mA] [--log] [--out beta_vs_frequency.svg]

Draws each population's (and each value of --by's) mean ± sd over seeds as a
line with error bars (for beta_coherence, each pair's: the rows "STN~GPe"),
in an SVG file: Python's standard library only, so it runs on any machine
that runs cbgtc. The means and sds are the table's own "mean" and "sd" rows
(docs/network.md, "Ensembles"); a mean that fewer runs define than the point
has (the table's "defined" row) is marked "k of n runs". --log draws the metric on a logarithmic axis
(beta power, which DBS changes by orders of magnitude); a mean at or below 0
is then left out, and an error bar reaching 0 ends at the axis.
"""
import argparse
import math
import sys


def read_table(path):
    with open(path) as f:
        lines = [line for line in f if line.strip() and not line.startswith("#")]  # "# cbgtc <version>"
    header = lines[0].rstrip("\n").split("\t")
    rows = [dict(zip(header, line.rstrip("\n").split("\t"))) for line in lines[1:]]
    return header, rows


def overrides(text):
    if text == "-":
        return {}
    return dict(item.split("=", 1) for item in text.split(" "))


def pair_ends(name, names):
    """The two populations of a pair row ("STN~GPe"), or None for a
    population's row. A population may itself be named "<name>~<r>" (a
    replica's), so a pair is a name that splits at a "~" into two names of
    the table, not any name with a "~"."""
    for i, ch in enumerate(name):
        if ch == "~" and name[:i] in names and name[i + 1:] in names:
            return name[:i], name[i + 1:]
    return None


def number(text):
    try:
        return float(text)
    except ValueError:
        return math.nan


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("table")
    parser.add_argument("--x", required=True, help="grid key on the horizontal axis")
    parser.add_argument("--metric", required=True, help="a column of the table, e.g. relative_beta")
    parser.add_argument("--population", default="", help="comma-separated populations (default: all)")
    parser.add_argument("--by", default="", help="another grid key: one line per value")
    parser.add_argument("--log", action="store_true", help="a logarithmic axis for the metric")
    parser.add_argument("--out", default="", help="SVG file (default: <table>_<metric>.svg)")
    args = parser.parse_args()

    header, rows = read_table(args.table)
    if args.metric not in header:
        sys.exit(f"plot_ensemble: no column '{args.metric}' in {args.table}")
    wanted = [p for p in args.population.split(",") if p]
    statistics = [row for row in rows if row["row"] in ("mean", "sd", "defined")]
    # Each grid key besides --x and --by takes one value, or the points at one
    # x would overwrite each other and the line would show the last point's.
    values = {}  # key -> its values over the grid
    for row in statistics:
        keys = overrides(row["overrides"])
        if args.x not in keys:
            sys.exit(f"plot_ensemble: '{args.x}' is not a grid key of {args.table}")
        for key, value in keys.items():
            values.setdefault(key, set()).add(value)
    varied = sorted(k for k, v in values.items() if len(v) > 1 and k not in (args.x, args.by))
    if varied:
        sys.exit(f"plot_ensemble: the grid also varies {', '.join(varied)}, whose points would overwrite each "
                 f"other at one {args.x}: give --by {varied[0]}"
                 + (" and a table of one value of the others" if len(varied) > 1 else ""))
    # Values that are not all numbers (execution.delivery = thread, pull;
    # biphasic = true, false) are categories, placed in the grid's order.
    x_texts = []
    for row in statistics:
        text = overrides(row["overrides"])[args.x]
        if text not in x_texts:
            x_texts.append(text)
    categories = x_texts if any(math.isnan(number(t)) for t in x_texts) else None

    def x_of(text):
        return float(categories.index(text)) if categories else number(text)

    # beta_coherence is a pair's (the populations' rows hold NaN), every
    # other metric a population's (the pairs' rows hold NaN).
    names = {row["population"] for row in rows}
    pairs = args.metric == "beta_coherence"
    series = {}  # (population or pair, by value) -> {x: (mean, sd)}
    for row in statistics:
        keys = overrides(row["overrides"])
        pop = row["population"]
        ends = pair_ends(pop, names)
        if (ends is not None) != pairs:
            continue
        # --population STN,GPe keeps the pair STN~GPe too.
        if wanted and pop not in wanted and not (ends and all(e in wanted for e in ends)):
            continue
        label = pop + (f" {args.by}={keys.get(args.by, '?')}" if args.by else "")
        # mean, sd, runs defining the metric, runs
        point = series.setdefault(label, {}).setdefault(x_of(keys[args.x]), [math.nan, math.nan, math.nan, math.nan])
        point[{"mean": 0, "sd": 1, "defined": 2}[row["row"]]] = number(row[args.metric])
        point[3] = number(row["n"])
    if not series:
        sys.exit("plot_ensemble: nothing to plot" + (" (beta_coherence is a pair's, and the table has no pair rows "
                                                     "such as STN~GPe)" if pairs else ""))

    if args.log:  # a mean at or below 0 has no place on a logarithmic axis
        for points in series.values():
            for point in points.values():
                if not point[0] > 0:
                    point[0] = math.nan
    width, height, margin = 720, 440, 70
    xs = sorted({x for s in series.values() for x in s})
    ys = [m + k * (sd if not math.isnan(sd) else 0) for s in series.values() for m, sd, _, _ in s.values()
          for k in (-1, 1) if not math.isnan(m)]
    x0, x1 = min(xs), max(xs)
    if args.log:
        # Whole decades around every mean ± sd that is above 0.
        logs = [math.log10(y) for y in ys if y > 0]
        y0, y1 = (math.floor(min(logs)), math.ceil(max(logs))) if logs else (0.0, 1.0)
    else:
        # The axis spans 0 and every mean ± sd; a metric NaN in every run (a
        # pulse latency without pulses) has none, and keeps the empty 0..1 axis.
        y0, y1 = min([0.0] + ys), max([0.0] + ys) * 1.05
    x1 = x1 if x1 > x0 else x0 + 1
    y1 = y1 if y1 > y0 else y0 + 1

    def px(x):
        return margin + (x - x0) / (x1 - x0) * (width - 2 * margin)

    def py(y):
        if args.log:
            y = math.log10(y) if y > 0 else y0  # an error bar reaching 0 ends at the axis
        return height - margin - (y - y0) / (y1 - y0) * (height - 2 * margin)

    # cbgtc.plot's palette (this script needs no package): twenty distinct colours.
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
               "#17becf", "#aec7e8", "#ff9896", "#98df8a", "#c5b0d5", "#ffbb78", "#c49c94", "#f7b6d2", "#c7c7c7",
               "#dbdb8d", "#9edae5"]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
           f'font-size="12"><rect width="100%" height="100%" fill="white"/>']
    bottom, top = (10.0 ** y0, 10.0 ** y1) if args.log else (y0, y1)
    out.append(f'<line x1="{margin}" y1="{py(bottom)}" x2="{width - margin}" y2="{py(bottom)}" stroke="black"/>')
    out.append(f'<line x1="{margin}" y1="{py(bottom)}" x2="{margin}" y2="{py(top)}" stroke="black"/>')
    x_ticks = [(float(i), t) for i, t in enumerate(categories)] if categories else \
        [(x0 + k * (x1 - x0) / 5, f"{x0 + k * (x1 - x0) / 5:g}") for k in range(6)]
    for xv, text in x_ticks:
        out.append(f'<text x="{px(xv)}" y="{height - margin + 18}" text-anchor="middle">{text}</text>')
    # Linear: six ticks; logarithmic: one per decade.
    ticks = [10.0 ** d for d in range(int(y0), int(y1) + 1)] if args.log else \
        [y0 + k * (y1 - y0) / 5 for k in range(6)]
    for yv in ticks:
        out.append(f'<text x="{margin - 6}" y="{py(yv) + 4}" text-anchor="end">{yv:.3g}</text>')
    out.append(f'<text x="{width / 2}" y="{height - 20}" text-anchor="middle">{args.x}</text>')
    out.append(f'<text x="18" y="{height / 2}" transform="rotate(-90 18 {height / 2})" '
               f'text-anchor="middle">{args.metric} (mean ± sd{", log scale" if args.log else ""})</text>')
    for i, (label, points) in enumerate(sorted(series.items())):
        colour = colours[i % len(colours)]
        ordered = [(x, m, sd) for x, (m, sd, _, _) in sorted(points.items()) if not math.isnan(m)]
        if ordered:
            path = " ".join(f"{'M' if j == 0 else 'L'}{px(x):.1f},{py(m):.1f}" for j, (x, m, _) in enumerate(ordered))
            out.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, m, sd in ordered:
            out.append(f'<circle cx="{px(x):.1f}" cy="{py(m):.1f}" r="3" fill="{colour}"/>')
            if not math.isnan(sd):
                out.append(f'<line x1="{px(x):.1f}" y1="{py(m - sd):.1f}" x2="{px(x):.1f}" y2="{py(m + sd):.1f}" '
                           f'stroke="{colour}"/>')
        # A mean over fewer runs than the point has (a NaN is an outcome: no
        # beta burst, no locking) says over how many; a point no run defines
        # says so at the axis.
        for x, (m, _, defined, runs) in sorted(points.items()):
            if math.isnan(defined) or math.isnan(runs) or defined >= runs:
                continue
            at = py(m) - 6 if not math.isnan(m) else py(10.0 ** y0 if args.log else y0) - 4 - 10 * i
            out.append(f'<text x="{px(x) + 5:.1f}" y="{at:.1f}" fill="{colour}" font-size="10">'
                       f'{defined:g} of {runs:g} runs</text>')
        # A line left out is still named, so that it is not taken for one forgotten.
        shown = label if ordered else f"{label} (n/a)"
        out.append(f'<text x="{width - margin + 4 - 150}" y="{margin + 16 * i}" fill="{colour}">{shown}</text>')
    if not ys:
        out.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" font-size="16">'
                   f'{args.metric}: n/a in every run (NaN in the table)</text>')
    out.append("</svg>")
    path = args.out or args.table.rsplit(".", 1)[0] + f"_{args.metric}.svg"
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    print(path)


if __name__ == "__main__":
    main()
