"""The Python reader (cbgtc.read), cbgtc-plot, and bmtk reading cbgtc's files.

Run by ctest (tests/CMakeLists.txt) with CBGTC_EXE, CBGTC_PLOT and
PYTHONPATH set; exits 77 (skipped) where h5py, numpy or matplotlib are
missing. Each check compares two independent routes to the same numbers:
the reader against h5py on the raw file and against the metrics cbgtc
computed in C++, the plots' drawn data against the reader, bmtk's readers
against cbgtc's.
"""

import os
import subprocess
import sys
import tempfile
import unittest

try:
    import h5py
    import numpy as np
    import matplotlib
    import matplotlib.image

    matplotlib.use("Agg")
except ImportError as e:  # pragma: no cover
    print(f"skipped: {e}")
    sys.exit(77)

import cbgtc
import cbgtc.plot

EXE = os.environ["CBGTC_EXE"]
PLOT = os.environ["CBGTC_PLOT"]
DURATION_MS = 1500.0
N_STN = 60

DECK = """
[simulation]
duration_ms = 1500
seed = 7

[output]
v_neurons = 2
v_every_steps = 40

[record.stn]
population = STN
variables = V, Ca
node_ids = 3, 11, 42
interval_ms = 0.5
"""


def run_cbgtc(folder, *args, name="run.h5"):
    deck = os.path.join(folder, "deck.ini")
    with open(deck, "w") as f:
        f.write(DECK)
    out = os.path.join(folder, name)
    subprocess.run([EXE, "--config", deck, f"--population.STN.n={N_STN}", f"--output.file={out}", *args],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return out


class Fixture(unittest.TestCase):
    """One run of the deck with ARGS, read once for the class's tests."""
    ARGS = ("--output.network=true",)

    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.TemporaryDirectory()
        cls.path = run_cbgtc(cls.folder.name, *cls.ARGS)
        cls.res = cbgtc.read(cls.path)

    @classmethod
    def tearDownClass(cls):
        cls.folder.cleanup()


class Reader(Fixture):
    def test_config_is_typed_and_matches_the_command_line(self):
        self.assertEqual(self.res.config["population.STN.n"], N_STN)
        self.assertIsInstance(self.res.config["population.STN.n"], int)
        self.assertEqual(self.res.config["simulation.duration_ms"], DURATION_MS)
        self.assertIs(self.res.config["output.spikes"], True)
        self.assertEqual(self.res.config["population.STN.model"], "stn_hh")
        self.assertEqual(self.res.size("STN"), N_STN)
        self.assertTrue(self.res.complete)
        self.assertEqual(sorted(self.res.populations), ["GPe", "GPi", "STN"])

    def killed_copy(self, name, *removed):
        """The run's file as a killed run leaves it (no end mark, cbgtc writes it only at
        the end), without the datasets `removed`: its path and what cbgtc.read makes of it."""
        import shutil

        partial = os.path.join(self.folder.name, name)
        shutil.copyfile(self.path, partial)
        with h5py.File(partial, "a") as f:
            del f.attrs["complete"]
            f.attrs.pop("stopped_at_ms", None)
            for path in removed:
                del f[path]
        return partial, cbgtc.read(partial)

    def test_a_file_without_the_end_mark_is_incomplete(self):
        partial, run = self.killed_copy("killed.h5.partial", "spikes/STN")  # fewer data than the run's end
        self.assertFalse(run.complete)
        held = ([t[-1] for t, _ in run.spikes.values() if len(t)] + [t[-1] for t, _ in run.lfp.values() if len(t)]
                + [r.time_ms[-1] for r in run.reports.values() if r.time_ms.size])
        self.assertEqual(run.duration_ms, max(held))
        self.assertLessEqual(run.duration_ms, DURATION_MS)
        # Its figures are named for the run, not "killed.h5_summary.png".
        with tempfile.TemporaryDirectory() as out:
            r = subprocess.run([PLOT, partial, "rates", "-o", out, "--dpi", "30"], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.strip(), os.path.join(out, "killed_rates.png"))

    def test_a_killed_file_of_traces_covers_their_time(self):
        # A killed run's .partial without spikes (output.spikes = false) or
        # LFP (a [record] file): the time it covers is its reports'.
        _, run = self.killed_copy("traces.h5.partial", "spikes", "lfp")
        self.assertEqual(run.duration_ms, max(r.time_ms[-1] for r in run.reports.values()))
        self.assertGreater(run.duration_ms, 0.5 * DURATION_MS)

    def test_spikes_equal_the_raw_datasets(self):
        with h5py.File(self.path, "r") as f:
            for pop in self.res.populations:
                t, ids = self.res.spikes[pop]
                np.testing.assert_array_equal(t, f[f"spikes/{pop}/timestamps"][()])
                np.testing.assert_array_equal(ids, f[f"spikes/{pop}/node_ids"][()])
                self.assertTrue(np.all(np.diff(t) >= 0))
                self.assertTrue(np.all((ids >= 0) & (ids < self.res.size(pop))))

    def test_rates_from_the_spikes_equal_the_metrics_cbgtc_computed(self):
        for pop in self.res.populations:
            m = self.res.metrics[pop]
            t, _ = self.res.spikes[pop]
            burn = m["burn_in_ms"]
            counted = np.count_nonzero((t >= burn) & (t < DURATION_MS))
            rate = counted / (self.res.size(pop) * m["analysed_ms"] * 1e-3)
            self.assertAlmostEqual(rate, m["rate_hz"], delta=1e-9 * max(1.0, rate), msg=pop)
            self.assertEqual(m["analysed_ms"], DURATION_MS - burn)

    def test_lfp_and_reports_have_their_sampling(self):
        for pop in self.res.populations:
            t, v = self.res.lfp[pop]
            step = self.res.config["analysis.lfp_sample_ms"]
            self.assertEqual(v.size, round(DURATION_MS / step))
            np.testing.assert_allclose(np.diff(t), step)
            rep = self.res.reports[pop]
            np.testing.assert_array_equal(rep.node_ids, [0, 1])
            self.assertEqual(rep.variable, "V")
            self.assertEqual(rep.data.shape, (rep.time_ms.size, 2))
            np.testing.assert_allclose(rep.time_ms[1] - rep.time_ms[0], 40 * self.res.config["simulation.dt_ms"])

    def test_record_file(self):
        stem = os.path.splitext(self.path)[0]
        rep = cbgtc.read_report(stem + "_stn_V.h5")
        np.testing.assert_array_equal(rep.node_ids, [3, 11, 42])
        self.assertEqual((rep.variable, rep.units), ("V", "mV"))
        np.testing.assert_allclose(np.diff(rep.time_ms), 0.5)
        ca = cbgtc.read_report(stem + "_stn_Ca.h5")
        self.assertEqual(ca.variable, "Ca")
        self.assertTrue(np.all(ca.data >= 0))
        with self.assertRaises(KeyError):
            rep.trace(5)

    def test_edges_match_the_configuration(self):
        edges = cbgtc.read_edges(self.path)
        self.assertEqual(sorted(edges), ["gpe_gpi", "gpe_stn", "stn_gpe", "stn_gpi"])
        for name, e in edges.items():
            self.assertEqual(e.source_population, self.res.config[f"projection.{name}.source"])
            self.assertEqual(e.target_population, self.res.config[f"projection.{name}.target"])
            self.assertTrue(np.all(e.source < self.res.size(e.source_population)))
            self.assertTrue(np.all(np.diff(e.target) >= 0), "sorted by target")
            np.testing.assert_allclose(e.delay_ms, self.res.config[f"projection.{name}.delay_ms"])
            # fixed_probability p: the edge count is binomial(n_pre * n_post, p), within 5 sd.
            n = self.res.size(e.source_population) * self.res.size(e.target_population)
            p = self.res.config[f"projection.{name}.p"]
            if name in ("stn_gpe", "stn_gpi"):  # source STN != target: every pair is a candidate
                self.assertLess(abs(e.source.size - n * p), 5 * np.sqrt(n * p * (1 - p)), name)

    def test_typed_converts_text_numbers(self):
        self.assertIs(cbgtc.typed(b"true"), True)
        self.assertEqual(cbgtc.typed("42"), 42)
        self.assertEqual(cbgtc.typed("0.025"), 0.025)
        self.assertEqual(cbgtc.typed("stn_hh"), "stn_hh")
        self.assertEqual(cbgtc.typed("-2.5e3"), -2500.0)
        # Words Python's float() would take are names (a population "inf" or "nan").
        for word in ("inf", "nan", "Infinity", "1_000"):
            self.assertEqual(cbgtc.typed(word), word)
        # A commit's hash of digits only stays text, leading zeros and all.
        hashed = os.path.join(self.folder.name, "hashed.h5")
        import shutil

        shutil.copyfile(self.path, hashed)
        with h5py.File(hashed, "a") as f:
            f.attrs["git_hash"] = "0123456"
        self.assertEqual(cbgtc.read(hashed).attrs["git_hash"], "0123456")

    def test_an_output_file_named_like_an_edges_file_finds_its_edges(self):
        with tempfile.TemporaryDirectory() as folder:
            path = run_cbgtc(folder, "--output.network=true", "--simulation.duration_ms=20",
                             "--analysis.burn_in_ms=0", name="my_edges.h5")
            edges = cbgtc.read_edges(path)
            self.assertEqual(sorted(edges), ["gpe_gpi", "gpe_stn", "stn_gpe", "stn_gpi"])
            same = cbgtc.read_edges(os.path.join(folder, "my_edges_edges.h5"))
            for name, e in edges.items():
                np.testing.assert_array_equal(e.source, same[name].source)


class Plots(Fixture):
    def test_raster_draws_every_spike_of_its_window_once(self):
        t0, t1 = 500.0, 900.0
        fig = cbgtc.plot.raster(self.res, t_start_ms=t0, t_stop_ms=t1, max_neurons=50)
        drawn = {c.get_label(): c.get_offsets() for c in fig.axes[0].collections}
        offset = 0
        for pop in sorted(drawn, key=lambda p: self.res.populations.index(p)):
            t, ids = self.res.spikes[pop]
            keep = (t >= t0) & (t < t1) & (ids < 50)
            np.testing.assert_array_equal(drawn[pop][:, 0], t[keep])
            np.testing.assert_array_equal(drawn[pop][:, 1], ids[keep] + offset)
            offset += min(50, self.res.size(pop))

    def test_rates_integrate_to_the_spike_count(self):
        bin_ms = 10.0
        rates = cbgtc.plot.population_rates(self.res, t_start_ms=0, t_stop_ms=DURATION_MS, bin_ms=bin_ms)
        for pop, (centres, r) in rates.items():
            self.assertEqual(centres.size, DURATION_MS / bin_ms)
            count = np.sum(r) * self.res.size(pop) * bin_ms * 1e-3
            self.assertAlmostEqual(count, self.res.spikes[pop][0].size, delta=1e-6)

    def test_a_window_that_is_no_whole_number_of_bins_ends_with_a_shorter_bin(self):
        # [1230, 1234] holds 4 ms: its rate is its count over 4 ms, not 10.
        bin_ms, t_stop_ms = 10.0, 1234.0
        rates = cbgtc.plot.population_rates(self.res, t_start_ms=0, t_stop_ms=t_stop_ms, bin_ms=bin_ms)
        for pop, (centres, r) in rates.items():
            self.assertEqual(centres[-1], 1232.0)
            widths_s = np.append(np.full(centres.size - 1, bin_ms), 4.0) * 1e-3
            count = np.sum(r * widths_s) * self.res.size(pop)
            self.assertAlmostEqual(count, np.sum(self.res.spikes[pop][0] < t_stop_ms), delta=1e-6)
        with self.assertRaises(ValueError):
            cbgtc.plot.population_rates(self.res, bin_ms=0)

    def test_a_spike_at_the_windows_end_is_not_in_its_last_bin(self):
        # Bins are half-open, the last one too: a window that ends on a spike leaves it out.
        t, _ = self.res.spikes["GPe"]
        t_stop_ms = float(t[t.size // 2])
        centres, r = cbgtc.plot.population_rates(self.res, ["GPe"], t_start_ms=0, t_stop_ms=t_stop_ms,
                                                 bin_ms=10.0)["GPe"]
        widths_s = np.diff(np.append(np.arange(0, t_stop_ms, 10.0), t_stop_ms)) * 1e-3
        count = np.sum(r * widths_s) * self.res.size("GPe")
        self.assertAlmostEqual(count, np.sum(t < t_stop_ms), delta=1e-6)

    def test_spectrum_draws_the_written_psd(self):
        fig = cbgtc.plot.spectrum(self.res)
        lines = {l.get_label(): l for l in fig.axes[0].get_lines()}
        for pop in self.res.populations:
            f, p = self.res.metrics[pop]["psd_freq_hz"], self.res.metrics[pop]["psd"]
            keep = (f > 0) & (f <= 100)
            np.testing.assert_allclose(lines[pop].get_ydata(), p[keep] / p[keep].sum(), rtol=1e-12)

    def test_the_loops_populations_have_colours_of_their_own(self):
        names = ["CTX_E", "CTX_I", "D1", "D2", "FSI", "STN", "GPe_TI", "GPe_TA", "GPi", "TC"]
        import types

        colours = cbgtc.plot._colours(types.SimpleNamespace(populations=names, spikes={"TC_axonal": None}))
        self.assertEqual(len(set(colours.values())), len(names) + 1)
        with open(PLOT_ENSEMBLE) as script:  # the ensemble plot's palette is the same
            text = script.read()
        for colour in cbgtc.plot.PALETTE:
            self.assertIn(f'"{colour}"', text)

    def test_a_population_has_one_colour_in_every_panel(self):
        # The spectrum of GPi alone draws it in the colour the raster of all gives it.
        raster = cbgtc.plot.raster(self.res)
        dots = {c.get_label(): tuple(c.get_edgecolor()[0]) for c in raster.axes[0].collections}
        spectrum = cbgtc.plot.spectrum(self.res, populations=["GPi"])
        line = next(l for l in spectrum.axes[0].get_lines() if l.get_label() == "GPi")
        self.assertEqual(matplotlib.colors.to_rgba(line.get_color()), dots["GPi"])

    def test_command_writes_png_and_pdf(self):
        with tempfile.TemporaryDirectory() as out:
            r = subprocess.run([PLOT, self.path, "-o", out, "--dpi", "50"], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            png = os.path.join(out, "run_summary.png")
            self.assertEqual(r.stdout.strip(), png)
            image = matplotlib.image.imread(png)
            self.assertEqual(image.shape[:2], (50 * 3.6 * 3, 50 * 12))  # three rows (PAC), 12 inches wide
            self.assertGreater(np.std(image[..., :3]), 0.05)  # not blank
            pdf = os.path.join(out, "spec.pdf")
            r = subprocess.run([PLOT, self.path, "spectrum", "-o", pdf], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(pdf, "rb") as f:
                self.assertEqual(f.read(5), b"%PDF-")

    def test_command_refuses_bad_input_with_one_line(self):
        r = subprocess.run([PLOT, self.path, "histogramz"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("histogramz", r.stderr)
        r = subprocess.run([PLOT, os.path.join(self.folder.name, "missing.h5")], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("missing.h5", r.stderr)
        # An HDF5 file that is not cbgtc's, and a directory: one line each
        # (the first drew empty figures, with exit 0).
        foreign = os.path.join(self.folder.name, "foreign.h5")
        with h5py.File(foreign, "w") as f:
            f.create_dataset("spikes", data=np.arange(3))
        with self.assertRaises(ValueError):
            cbgtc.read(foreign)
        for path in (foreign, self.folder.name):
            r = subprocess.run([PLOT, path, "raster"], capture_output=True, text=True)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            self.assertIn(path, r.stderr)
        # A bin that is not positive (refused with the usage, as a bad
        # figure), and a population the file does not have, a format
        # matplotlib cannot write and a network file, one line each.
        r = subprocess.run([PLOT, self.path, "rates", "--bin-ms", "0"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--bin-ms", r.stderr.strip().splitlines()[-1])
        for args, named in (([self.path, "raster", "--populations", "XYZ"], "XYZ"),
                            ([self.path, "raster", "-o", os.path.join(self.folder.name, "r.txt")], "r.txt"),
                            ([os.path.join(self.folder.name, "run_edges.h5")], "network file")):
            r = subprocess.run([PLOT, *args], capture_output=True, text=True)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            self.assertIn(named, r.stderr)
        # A population of the file without the figure's data (no voltage report): one line naming it.
        import shutil

        without = os.path.join(self.folder.name, "without_report.h5")
        shutil.copyfile(self.path, without)
        with h5py.File(without, "a") as f:
            del f["report/GPi"]
        r = subprocess.run([PLOT, without, "voltage", "--populations", "GPi"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("holds no data of 'GPi'", r.stderr)
        # An ensemble's table is text: the message names the script that draws it.
        table = os.path.join(self.folder.name, "run_ensemble.tsv")
        with open(table, "w") as f:
            f.write("run\tseed\n0\t1\n")
        r = subprocess.run([PLOT, table], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("scripts/plot_ensemble.py", r.stderr)


class StimuliAndTimers(Fixture):
    """Irregular axonal pulses into the STN, each firing every axon, and the phases' timers."""
    ARGS = ("--stimulus.p.kind=axonal", "--stimulus.p.population=STN", "--stimulus.p.frequency_hz=100",
            "--stimulus.p.interval_cv=0.2", "--output.timers=true")

    def test_the_pulse_onsets_are_the_axonal_spikes_steps(self):
        onsets = self.res.stimuli["p"]["pulse_onsets_ms"]
        self.assertGreater(onsets.size, 10)
        t, ids = self.res.spikes["STN_axonal"]
        dt = float(self.res.config["simulation.dt_ms"])
        steps = np.floor(onsets / dt + 1e-9)
        np.testing.assert_array_equal(np.unique(np.round(t / dt)), steps)
        # A somatic spike in a pulse's step stands for the axonal one (docs/model.md §5.2).
        somatic = np.round(self.res.spikes["STN"][0] / dt)
        self.assertEqual(t.size, onsets.size * N_STN - np.isin(somatic, steps).sum())

    def test_axonal_spikes_are_rates_per_axon_of_their_population(self):
        self.assertEqual(self.res.size("STN_axonal"), N_STN)
        rates = cbgtc.plot.population_rates(self.res, ["STN_axonal"], t_start_ms=0, t_stop_ms=DURATION_MS)
        centres, r = rates["STN_axonal"]
        count = np.sum(r) * N_STN * 5.0 * 1e-3
        self.assertAlmostEqual(count, self.res.spikes["STN_axonal"][0].size, delta=1e-6)

    def test_the_timers_are_read(self):
        self.assertEqual(self.res.timers["steps"], DURATION_MS / float(self.res.config["simulation.dt_ms"]))
        self.assertGreater(self.res.timers["wall_s"], self.res.timers["update_s"])


class FileOfReplicas(unittest.TestCase):
    """Two runs of an ensemble in one file (ensemble.replica_files = one): the reader names each
    replica's run and seed, and each replica's spikes are its separate run's."""

    def test_each_replica_is_its_run(self):
        with tempfile.TemporaryDirectory() as folder:
            def run(name, *args):  # the default network ([record] sections are for separate runs)
                subprocess.run([EXE, "--simulation.duration_ms=200", f"--output.file={os.path.join(folder, name)}",
                                *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                return os.path.join(folder, name)

            run("e.h5", "--ensemble.seeds=3,5", "--ensemble.replicas=2", "--ensemble.replica_files=one")
            single = run("s.h5", "--simulation.seed=5")
            run = cbgtc.read(os.path.join(folder, "e_0-1.h5"))
            self.assertEqual({j: (r["run"], r["seed"]) for j, r in run.replicas.items()}, {0: (0, 3), 1: (1, 5)})
            alone = cbgtc.read(single)
            self.assertEqual(alone.replicas, {})
            for pop in ("STN", "GPe", "GPi"):
                np.testing.assert_array_equal(run.spikes[f"{pop}~1"][0], alone.spikes[pop][0])
            fig = cbgtc.plot.summary(run)
            self.assertIn("replicas of runs 0-1, seeds 3,5", fig._suptitle.get_text())

    def test_each_replicas_configuration_is_its_runs(self):
        # The file's root holds its first run's configuration; replica_config(j) is run j's, every key
        # as run j alone records it (but the file and the ensemble's own keys), and so are its sizes.
        with tempfile.TemporaryDirectory() as folder:
            def run(name, *args):
                subprocess.run([EXE, "--simulation.duration_ms=50", f"--output.file={os.path.join(folder, name)}",
                                *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                return os.path.join(folder, name)

            run("e.h5", "--ensemble.grid=population.GPi.n = 150, 120", "--ensemble.replicas=2",
                "--ensemble.replica_files=one")
            merged = cbgtc.read(os.path.join(folder, "e_0-1.h5"))
            alone = cbgtc.read(run("s.h5", "--population.GPi.n=120"))
            self.assertEqual((merged.size("GPi~0"), merged.size("GPi~1"), alone.size("GPi")), (150, 120, 120))
            self.assertEqual(sorted(merged.populations), sorted(f"{p}~{j}" for p in alone.populations for j in (0, 1)))
            mine = merged.replica_config(1)
            for key, value in alone.config.items():
                if key.startswith("ensemble.") or key == "output.file":
                    continue
                same = mine[key] == value or (isinstance(value, float) and np.isnan(value) and np.isnan(mine[key]))
                self.assertTrue(same, f"{key}: {mine[key]} against {value}")


    def test_a_replica_that_failed_alone_says_so(self):
        # Its failure and end, which are its run's alone; the plot of the file still draws.
        with tempfile.TemporaryDirectory() as folder:
            def run(name, *args):
                done = subprocess.run([EXE, "--simulation.duration_ms=100", f"--output.file={os.path.join(folder, name)}",
                                       *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                self.assertEqual(done.returncode, 1, done.stderr)
                return os.path.join(folder, name)

            run("e.h5", "--ensemble.grid=projection.gpe_stn.g_total = 1, 1e300", "--ensemble.replicas=2",
                "--ensemble.replica_files=one")
            merged = cbgtc.read(os.path.join(folder, "e_0-1.h5"))
            alone = cbgtc.read(run("s.h5", "--projection.gpe_stn.g_total=1e300"))
            self.assertNotIn("failure", merged.replicas[0])
            self.assertEqual(merged.replicas[1]["stopped_at_ms"], alone.duration_ms)
            self.assertLess(alone.duration_ms, 100)
            self.assertEqual(merged.replicas[1]["failure"].replace("STN~1", "STN"), alone.attrs["failure"])
            np.testing.assert_array_equal(merged.spikes["GPe~1"][0], alone.spikes["GPe"][0])
            cbgtc.plot.summary(merged)


class FileWithoutSpikes(Fixture):
    """output.spikes = false: the file has LFP proxies, spectra and metrics, no /spikes."""
    ARGS = ("--output.spikes=false",)

    def test_the_command_draws_the_summary(self):
        self.assertEqual(self.res.spikes, {})
        with tempfile.TemporaryDirectory() as out:
            r = subprocess.run([PLOT, self.path, "summary", "raster", "rates", "-o", out, "--dpi", "50"],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            image = matplotlib.image.imread(os.path.join(out, "run_summary.png"))
            self.assertGreater(np.std(image[..., :3]), 0.05)  # not blank

    def test_rates_are_the_metrics_means(self):
        fig = cbgtc.plot.rates(self.res)
        lines = {l.get_label(): l for l in fig.axes[0].get_lines()}
        for pop in self.res.populations:
            m = self.res.metrics[pop]
            line = lines[f"{pop} (mean)"]
            np.testing.assert_array_equal(line.get_xdata(), [m["burn_in_ms"], DURATION_MS])
            np.testing.assert_array_equal(line.get_ydata(), [m["rate_hz"], m["rate_hz"]])
            self.assertGreater(m["rate_hz"], 0, pop)

    def test_the_raster_says_the_file_holds_no_spikes(self):
        fig = cbgtc.plot.raster(self.res)
        self.assertEqual(len(fig.axes[0].collections), 0)
        said = " ".join(t.get_text() for t in fig.axes[0].texts)
        self.assertIn("no spikes", said)
        self.assertIn("(output.spikes = false)", said)


class ReportFile(Fixture):
    """A [record] file: traces of a few neurons, neither spikes nor metrics."""
    ARGS = ("--record.r.population=STN", "--record.r.variables=V", "--record.r.node_ids=0, 1")

    def test_the_raster_says_it_is_a_report_file(self):
        report = cbgtc.read(self.path[:-len(".h5")] + "_r.h5")  # one variable: no suffix
        fig = cbgtc.plot.raster(report)
        said = " ".join(t.get_text() for t in fig.axes[0].texts)
        self.assertIn("a report file", said)
        self.assertNotIn("write_spikes", said)


class PulseBins(unittest.TestCase):
    def test_the_edges_come_from_the_centres_with_a_short_last_bin(self):
        # 130 Hz, 1 ms bins: 7 full bins and one of 0.692 ms. The plot drew
        # each bin from its centre on, half a bin late.
        period = 1000.0 / 130
        centres = [b + 0.5 for b in range(7)] + [(7 + period) / 2]
        np.testing.assert_allclose(cbgtc.plot.pulse_bin_edges(centres), list(range(8)) + [period], rtol=0,
                                   atol=1e-12)


class ContinuedRun(unittest.TestCase):
    """The run of the fixture continued from a checkpoint at 500 ms
    (docs/checkpoint.md): into a file of its own, which holds the spikes from
    the checkpoint on, and with checkpoint.append, which holds the whole run.
    With a Poisson source CTX, first in the file as in input/parkinsonian.ini."""

    AT_MS = 500.0  # a spike exchange (every 5 ms here)
    SOURCE = ("--population.CTX.model=poisson", "--population.CTX.n=50", "--population.CTX.rate_hz=20")

    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.TemporaryDirectory()
        folder = cls.folder.name
        cls.whole = cbgtc.read(run_cbgtc(folder, *cls.SOURCE, name="whole.h5"))
        cls.checkpoint = os.path.join(folder, "state.h5")
        run_cbgtc(folder, *cls.SOURCE, f"--checkpoint.file={cls.checkpoint}", f"--checkpoint.at_ms={cls.AT_MS:g}",
                  name="appended.h5")
        cls.appended = cbgtc.read(run_cbgtc(folder, *cls.SOURCE, f"--restart={cls.checkpoint}",
                                            "--checkpoint.append=true", name="appended.h5"))
        cls.continued = cbgtc.read(run_cbgtc(folder, *cls.SOURCE, f"--restart={cls.checkpoint}", name="continued.h5"))

    def test_the_checkpoint_is_no_output_file(self):
        # It has cbgtc_version and complete = true: it would read as an empty run.
        with self.assertRaisesRegex(ValueError, "is a cbgtc checkpoint, not an output file"):
            cbgtc.read(self.checkpoint)
        r = subprocess.run([PLOT, self.checkpoint], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("checkpoint", r.stderr)

    def test_a_spike_source_first_in_the_file_is_not_the_summarys_lfp(self):
        # The spectrogram and comodulogram would be CTX's: empty, a spike source has no LFP proxy.
        run = self.whole
        self.assertEqual(run.populations[0], "CTX")
        self.assertEqual(run.config["population.CTX.model"], "poisson")
        self.assertFalse(np.any(run.lfp["CTX"][1]))
        fig = cbgtc.plot.summary(run)
        titles = {a.get_title().split(":")[-1].strip(): a for a in fig.axes if ":" in a.get_title()}
        for panel in ("LFP-proxy spectrogram (dB)", "PAC comodulogram (Tort MI)"):
            a = titles[panel]
            name = a.get_title().split(":")[0]
            self.assertNotEqual(run.config[f"population.{name}.model"], "poisson", panel)
            self.assertTrue(np.isfinite(run.metrics[name]["beta_power"]), panel)
            image = np.ma.filled(a.get_images()[0].get_array() if a.get_images() else a.collections[0].get_array(),
                                 np.nan)
            # The comodulogram's cells where a ± p reaches into the phase band are undefined.
            finite = image[np.isfinite(image)]
            self.assertGreater(finite.size, image.size / 2 if "comodulogram" in panel else image.size - 1, panel)
            self.assertGreater(np.ptp(finite), 0, panel)
        fig = cbgtc.plot.spectrogram(run, population="CTX")  # asked for: said, not an empty panel
        self.assertIn("constant", " ".join(t.get_text() for t in fig.axes[0].texts))

    @classmethod
    def tearDownClass(cls):
        cls.folder.cleanup()

    def test_an_appended_file_holds_the_whole_runs_spikes_and_rates(self):
        self.assertEqual(self.appended.attrs["restarted_at_ms"], self.AT_MS)
        self.assertEqual(self.appended.spikes_from_ms, 0.0)
        whole = cbgtc.plot.population_rates(self.whole, bin_ms=10.0)
        for pop, (t, r) in cbgtc.plot.population_rates(self.appended, bin_ms=10.0).items():
            np.testing.assert_array_equal(self.appended.spikes[pop][0], self.whole.spikes[pop][0])
            np.testing.assert_array_equal(r, whole[pop][1])
            self.assertGreater(np.sum(r[t < self.AT_MS]), 0, pop)  # the first part is not 0 Hz

    def test_a_continued_file_holds_no_rates_before_the_checkpoint(self):
        run = self.continued
        whole = cbgtc.plot.population_rates(self.whole, bin_ms=10.0)
        for pop, (t, r) in cbgtc.plot.population_rates(run, bin_ms=10.0).items():
            self.assertGreaterEqual(run.spikes[pop][0].min(), self.AT_MS, pop)
            self.assertTrue(np.all(np.isnan(r[t < self.AT_MS])), f"{pop}: {r[t < self.AT_MS][:4]} Hz")  # absent, not 0
            np.testing.assert_array_equal(r[t > self.AT_MS], whole[pop][1][t > self.AT_MS])
        fig = cbgtc.plot.rates(run)
        for line in fig.axes[0].get_lines():
            t, r = line.get_data()
            self.assertFalse(np.any(np.isfinite(r[t < self.AT_MS])), line.get_label())
        said = " ".join(t.get_text() for t in fig.axes[0].texts)
        self.assertIn("no spikes before 500 ms", said)
        fig = cbgtc.plot.raster(run)
        self.assertIn("no spikes before 500 ms", " ".join(t.get_text() for t in fig.axes[0].texts))
        self.assertEqual(run.attrs["restarted_at_ms"], self.AT_MS)
        self.assertEqual(run.spikes_from_ms, self.AT_MS)

    def test_the_rates_legend_leaves_the_note_readable(self):
        # Four populations: the legend's four columns covered the note in the summary's panel.
        fig = cbgtc.plot.summary(self.continued)
        fig.canvas.draw()
        a = next(a for a in fig.axes if a.get_title() == "population rates")
        legend = a.get_legend().get_window_extent()
        notes = [t for t in a.texts if "no spikes before" in t.get_text()]
        self.assertEqual(len(notes), 1)
        self.assertFalse(notes[0].get_window_extent().overlaps(legend))

    def test_a_continued_file_without_the_time_takes_its_first_record(self):
        # Files written before restarted_at_ms existed: where the spikes begin
        # is then bounded by the first spike and the first report sample.
        import shutil

        old = os.path.join(self.folder.name, "old.h5")
        shutil.copyfile(self.continued.path, old)
        with h5py.File(old, "a") as f:
            del f.attrs["restarted_at_ms"]
        run = cbgtc.read(old)
        first = min(t[0] for t, _ in run.spikes.values())
        self.assertGreaterEqual(run.spikes_from_ms, self.AT_MS)
        self.assertLessEqual(run.spikes_from_ms, first)


PLOT_ENSEMBLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "plot_ensemble.py")


class EnsemblePlot(unittest.TestCase):
    """scripts/plot_ensemble.py on a real table: two grid points, two seeds,
    no stimulus (so pulse_latency_ms and error_index are NaN in every run)."""

    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.TemporaryDirectory()
        out = os.path.join(cls.folder.name, "e.h5")
        subprocess.run([EXE, "--simulation.duration_ms=600", "--ensemble.seeds=1-2",
                        f"--ensemble.grid=population.STN.n = 40, {N_STN}", f"--output.file={out}"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        cls.table = os.path.join(cls.folder.name, "e_ensemble.tsv")

    @classmethod
    def tearDownClass(cls):
        cls.folder.cleanup()

    def plot(self, metric, *extra):
        svg = os.path.join(self.folder.name, f"{metric}.svg")
        r = subprocess.run([sys.executable, PLOT_ENSEMBLE, self.table, "--x", "population.STN.n", "--metric", metric,
                            *extra, "--out", svg], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), svg)
        with open(svg) as f:
            return f.read()

    def test_values_that_are_not_numbers_are_categories(self):
        # The same table with the STN sizes named: one point per name and population, each name a tick.
        with open(self.table) as f:
            text = f.read().replace("population.STN.n=40", "population.STN.n=small").replace(
                f"population.STN.n={N_STN}", "population.STN.n=large")
        named = os.path.join(self.folder.name, "named.tsv")
        with open(named, "w") as f:
            f.write(text)
        svg = os.path.join(self.folder.name, "named.svg")
        r = subprocess.run([sys.executable, PLOT_ENSEMBLE, named, "--x", "population.STN.n", "--metric", "rate_hz",
                            "--out", svg], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(svg) as f:
            drawn = f.read()
        self.assertEqual(drawn.count("<circle"), 3 * 2)
        self.assertNotIn("nan", drawn)
        self.assertIn('text-anchor="middle">small</text>', drawn)
        self.assertIn('text-anchor="middle">large</text>', drawn)

    def test_a_metric_nan_in_every_run_is_marked_not_a_crash(self):
        for metric in ("pulse_latency_ms", "error_index"):
            svg = self.plot(metric)
            self.assertIn("n/a in every run", svg, metric)
            self.assertNotIn("<circle", svg, metric)  # no point drawn for a NaN
            for pop in ("STN", "GPe", "GPi"):  # the legend still names each population
                self.assertIn(f">{pop} (n/a)</text>", svg, metric)
            import xml.etree.ElementTree

            xml.etree.ElementTree.fromstring(svg)  # well-formed

    def test_a_defined_metric_draws_a_point_per_population_and_grid_value(self):
        svg = self.plot("rate_hz")
        self.assertEqual(svg.count("<circle"), 3 * 2)
        self.assertNotIn("n/a", svg)

    def test_a_logarithmic_axis_places_each_mean_by_its_logarithm(self):
        import math
        import re

        svg = self.plot("rate_hz", "--log")
        heights = [float(y) for y in re.findall(r'<circle cx="[^"]+" cy="([^"]+)"', svg)]
        # The points in drawing order: series by name, then by x.
        with open(self.table) as f:
            lines = [line.rstrip("\n").split("\t") for line in f if not line.startswith("#")]
        rows = [dict(zip(lines[0], line)) for line in lines[1:]]
        means = sorted((row["population"], float(row["overrides"].split("=")[1]), float(row["rate_hz"]))
                       for row in rows if row["row"] == "mean" and row["population"] in ("STN", "GPe", "GPi"))
        logs = [math.log10(m) for _, _, m in means]
        self.assertEqual(len(heights), len(logs))
        # cy = a − b·log10(mean), b > 0 (SVG y grows downwards), within the
        # SVG's 0.1 px rounding.
        lo, hi = logs.index(min(logs)), logs.index(max(logs))
        b = (heights[lo] - heights[hi]) / (logs[hi] - logs[lo])
        self.assertGreater(b, 0)
        for y, l in zip(heights, logs):
            self.assertAlmostEqual(y, heights[lo] - b * (l - logs[lo]), delta=0.2)
        self.assertIn("log scale", svg)


class EnsemblePlotDefinedRuns(unittest.TestCase):
    """A mean that only some runs define (NaN is an outcome: no burst, no
    locking) says over how many runs; a point no run defines says so. A
    table of the shape cbgtc writes, two runs per point."""

    def test_points_defined_in_fewer_runs_say_how_many(self):
        with tempfile.TemporaryDirectory() as folder:
            table, svg = os.path.join(folder, "t.tsv"), os.path.join(folder, "t.svg")
            head = "row\tpoint\tseed\toverrides\tpopulation\tn\tbeta_burst_mean_ms\n"
            rows = ["mean\t0\t-\tstimulus.dbs.frequency_hz=20\tSTN\t2\t141",
                    "sd\t0\t-\tstimulus.dbs.frequency_hz=20\tSTN\t2\tnan",
                    "defined\t0\t-\tstimulus.dbs.frequency_hz=20\tSTN\t2\t1",
                    "mean\t1\t-\tstimulus.dbs.frequency_hz=130\tSTN\t2\tnan",
                    "sd\t1\t-\tstimulus.dbs.frequency_hz=130\tSTN\t2\tnan",
                    "defined\t1\t-\tstimulus.dbs.frequency_hz=130\tSTN\t2\t0"]
            with open(table, "w") as f:
                f.write("# cbgtc test\n" + head + "\n".join(rows) + "\n")
            r = subprocess.run([sys.executable, PLOT_ENSEMBLE, table, "--x", "stimulus.dbs.frequency_hz",
                                "--metric", "beta_burst_mean_ms", "--out", svg], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(svg) as f:
                drawn = f.read()
        self.assertEqual(drawn.count("<circle"), 1)
        self.assertIn(">1 of 2 runs</text>", drawn)
        self.assertIn(">0 of 2 runs</text>", drawn)


class EnsembleGridPlot(unittest.TestCase):
    """plot_ensemble.py on a table of two grid keys, two values each (one
    seed, short runs: only the table's shape matters here)."""

    @classmethod
    def setUpClass(cls):
        cls.folder = tempfile.TemporaryDirectory()
        out = os.path.join(cls.folder.name, "g.h5")
        subprocess.run([EXE, "--simulation.duration_ms=400", "--analysis.burn_in_ms=100", "--analysis.segment_ms=100",
                        "--ensemble.grid=population.STN.n = 20, 30; population.GPe.n = 40, 50",
                        f"--output.file={out}"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        cls.table = os.path.join(cls.folder.name, "g_ensemble.tsv")

    @classmethod
    def tearDownClass(cls):
        cls.folder.cleanup()

    def plot(self, *args):
        svg = os.path.join(self.folder.name, "g.svg")
        if os.path.exists(svg):
            os.remove(svg)
        r = subprocess.run([sys.executable, PLOT_ENSEMBLE, self.table, "--x", "population.STN.n", *args,
                            "--out", svg], capture_output=True, text=True)
        if not os.path.exists(svg):
            return r, None
        with open(svg) as f:
            return r, f.read()

    def test_a_second_varied_key_is_refused_without_by(self):
        # It drew the last GPe.n's mean at each STN.n, the other overwritten.
        r, svg = self.plot("--metric", "rate_hz")
        self.assertNotEqual(r.returncode, 0)
        self.assertIsNone(svg)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("population.GPe.n", r.stderr)
        self.assertIn("--by population.GPe.n", r.stderr)
        r, svg = self.plot("--metric", "rate_hz", "--by", "population.GPe.n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(svg.count("<circle"), 3 * 2 * 2)  # populations x GPe.n x STN.n
        for pop in ("STN", "GPe", "GPi"):
            for n in (40, 50):
                self.assertIn(f">{pop} population.GPe.n={n}</text>", svg)


    def test_beta_coherence_is_drawn_from_the_pair_rows(self):
        # It skipped every row with a "~", and so the only rows with values.
        r, svg = self.plot("--metric", "beta_coherence", "--by", "population.GPe.n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("n/a", svg)
        self.assertEqual(svg.count("<circle"), 3 * 2 * 2)  # pairs x GPe.n x STN.n
        for pair in ("STN~GPe", "STN~GPi", "GPe~GPi"):
            self.assertIn(f">{pair} population.GPe.n=40</text>", svg)
        self.assertNotIn(">STN population", svg)  # a population's beta_coherence is NaN
        r, svg = self.plot("--metric", "beta_coherence", "--by", "population.GPe.n", "--population", "STN,GPe")
        self.assertEqual(svg.count("<circle"), 1 * 2 * 2, r.stderr)
        r, svg = self.plot("--metric", "rate_hz", "--by", "population.GPe.n")
        self.assertNotIn("~", svg)  # a pair's rate_hz is NaN

    def test_a_replicas_name_is_a_population_not_a_pair(self):
        # A population named "<name>~<r>" (a replica's): its pair is "STN~0~GPe~0".
        table = os.path.join(self.folder.name, "replicas.tsv")
        header = "row\tpoint\tseed\toverrides\tpopulation\tn\trate_hz\tbeta_coherence\n"
        lines = [f"{row}\t{p}\t-\tpopulation.STN.n={n}\t{pop}\t1\t{rate}\t{coherence}\n"
                 for p, n in enumerate((20, 30)) for row in ("mean", "sd")
                 for pop, rate, coherence in (("STN~0", 10, "nan"), ("GPe~0", 50, "nan"), ("STN~0~GPe~0", "nan", 0.5))]
        with open(table, "w") as f:
            f.write(header + "".join(lines))
        for metric, shown in (("rate_hz", ("STN~0", "GPe~0")), ("beta_coherence", ("STN~0~GPe~0",))):
            svg = os.path.join(self.folder.name, f"replicas_{metric}.svg")
            r = subprocess.run([sys.executable, PLOT_ENSEMBLE, table, "--x", "population.STN.n", "--metric", metric,
                                "--out", svg], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(svg) as f:
                text = f.read()
            self.assertEqual(text.count("<circle"), 2 * len(shown), metric)
            for name in shown:
                self.assertIn(f">{name}</text>", text, metric)


try:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from bmtk.utils.reports.spike_trains import SpikeTrains
        from bmtk.utils.reports.compartment import CompartmentReport
        from bmtk.utils import sonata
    HAVE_BMTK = True
except ImportError:
    HAVE_BMTK = False


@unittest.skipUnless(HAVE_BMTK, "bmtk is not installed (Debian: python3-bmtk)")
class Bmtk(Fixture):
    def test_bmtk_reads_the_spikes(self):
        trains = SpikeTrains.load(self.path)
        self.assertEqual(sorted(trains.populations), sorted(self.res.populations))
        frame = trains.to_dataframe()
        for pop in self.res.populations:
            rows = frame[frame["population"] == pop].sort_values(["timestamps", "node_ids"], kind="stable")
            t, ids = self.res.spikes[pop]
            np.testing.assert_array_equal(rows["timestamps"].to_numpy(), t)
            np.testing.assert_array_equal(rows["node_ids"].to_numpy(), ids)

    def test_bmtk_reads_the_reports(self):
        stem = os.path.splitext(self.path)[0]
        for path, pop in ((self.path, "STN"), (stem + "_stn_V.h5", "STN")):
            ours = cbgtc.read_report(path, pop)
            theirs = CompartmentReport(path, mode="r")
            self.assertEqual(theirs.variable(population=pop), ours.variable)
            self.assertEqual(theirs.units(population=pop), ours.units)
            np.testing.assert_array_equal(theirs.node_ids(population=pop), ours.node_ids)
            np.testing.assert_array_equal(theirs.data(population=pop), ours.data)
            self.assertAlmostEqual(theirs.dt(population=pop), ours.time_ms[1] - ours.time_ms[0])
            self.assertAlmostEqual(theirs.tstart(population=pop), ours.time_ms[0])


@unittest.skipUnless(HAVE_BMTK, "bmtk is not installed (Debian: python3-bmtk)")
class BmtkNetwork(Fixture):
    def test_bmtk_finds_every_nodes_edges(self):
        stem = os.path.splitext(self.path)[0]
        net = sonata.File(data_files=[stem + "_nodes.h5", stem + "_edges.h5"],
                          data_type_files=[stem + "_node_types.csv", stem + "_edge_types.csv"])
        self.assertEqual(sorted(net.nodes.population_names), sorted(self.res.populations))
        with h5py.File(stem + "_edges.h5", "r") as f:
            for name in ("stn_gpe", "gpe_stn"):
                group = f["edges"][name]
                source, target = group["source_node_id"][()], group["target_node_id"][()]
                weight = group["0/syn_weight"][()]
                edges = net.edges[name]
                self.assertEqual(len(edges), source.size)
                self.assertEqual(edges.source_population, self.res.config[f"projection.{name}.source"])
                n_target = self.res.size(edges.target_population)
                for node in (0, 7, n_target - 1):
                    found = sorted((e.source_node_id, e["syn_weight"]) for e in edges.get_target(node))
                    ours = sorted(zip(source[target == node].tolist(), weight[target == node].tolist()))
                    self.assertEqual(found, ours, f"{name} into node {node}")
                self.assertEqual(next(iter(edges.get_target(0)))["tau_ms"],
                                 self.res.config[f"projection.{name}.tau_ms"])


if __name__ == "__main__":
    unittest.main()
