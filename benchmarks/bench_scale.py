"""Scale benchmark of skvitalroute (issue 6, part 5).

Four measurements, each printed as a Markdown table:

1. fit time of :class:`~skvitalroute.VitalRouteClassifier` with its tactics
   against a plain :class:`skorch.NeuralNetClassifier` holding the same
   module, loss, optimizer, learning rate, batch size and epochs, with the
   time spent in the tactic callbacks and in the probe's calls;
2. the cost of one probe reading (``observe``, ``per_class_stress``,
   ``per_sample_stress``) as the rows and the classes grow, with the number
   of forward passes and the rows they carried;
3. peak memory of a plain and a routed fit, each in a fresh process;
4. ``VitalitySampler.fit_resample`` against imbalanced-learn's SMOTE and
   RandomOverSampler on the same data.

Run from the repository root::

    .venv/bin/python benchmarks/bench_scale.py --out docs/_bench_scale.md
    .venv/bin/python benchmarks/bench_scale.py --quick   # a smoke run

The results and how to read them are in ``docs/performance.md``.
"""

import os
import platform
import statistics
import sys
import time
import tracemalloc
from contextlib import contextmanager
from functools import partial, wraps

import numpy as np
import torch
from skorch.callbacks import Callback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _cli  # noqa: E402

N_FEATURES = 64
SECTIONS = ("fit", "probe", "memory", "sampler")
FIT_CONFIGS = ("plain", "plain+groups", "none", "auto", "hard+lr_scale")
ROUTED_CONFIGS = ("none", "auto", "hard+lr_scale")
MEMORY_CONFIGS = ("plain",) + ROUTED_CONFIGS
PROBE_METHODS = (
    "observe(X)",
    "observe(X, y)",
    "per_class_stress",
    "per_sample_stress",
    "K x observe (one pass per class)",
)
SAMPLER_METHODS = (
    "RandomOverSampler",
    "SMOTE",
    "VitalitySampler(mode=auto)",
    "VitalitySampler(mode=sample)",
)

FULL = {
    "fit_rows": (10_000, 100_000),
    "fit_classes": (10, 100),
    "epochs": 3,
    "repeats": 3,
    "probe_rows": (1_000, 10_000, 100_000),
    "probe_classes": (2, 10, 100),
    "probe_fixed_rows": 10_000,
    "probe_repeats": 7,
    "memory_rows": (100_000,),
    "memory_classes": (10, 100),
    "sampler_rows": (10_000, 100_000),
    "sampler_classes": 10,
    "sampler_repeats": 3,
}
QUICK = {
    "fit_rows": (2_000,),
    "fit_classes": (5,),
    "epochs": 1,
    "repeats": 1,
    "probe_rows": (500, 2_000),
    "probe_classes": (2, 5),
    "probe_fixed_rows": 2_000,
    "probe_repeats": 2,
    "memory_rows": (2_000,),
    "memory_classes": (5,),
    "sampler_rows": (2_000,),
    "sampler_classes": 5,
    "sampler_repeats": 1,
}

FIT_COLUMNS = (
    "rows", "classes", "config", "route", "wall s", "vs plain", "CPU s",
    "vs plain (CPU)", "tactic callbacks s", "probe calls s", "probe calls",
    "guard s", "wall s (all runs)",
)
HOOK_COLUMNS = (
    "rows", "classes", "config", "route", "training batches",
    "hooks live in a training batch (max)", "probe readings",
)
PROBE_COLUMNS = (
    "rows", "classes", "call", "ms (median)", "forward passes", "rows forwarded",
)
MEMORY_COLUMNS = (
    "rows", "classes", "config", "peak RSS MiB", "RSS growth in fit MiB",
    "tracemalloc peak MiB",
)
SAMPLER_COLUMNS = (
    "rows", "classes", "method", "s (median)", "probe net training s",
    "rows out", "s (all)",
)


# ----------------------------------------------------------------------
# data
# ----------------------------------------------------------------------
def make_data(n_rows, n_classes, *, n_features=N_FEATURES, ratio=0.1, seed=0):
    """Imbalanced Gaussian blobs, float32.

    Class sizes fall geometrically from the largest class to ``ratio`` times
    it (min/max = ``ratio``), so that the router switches the class sampler
    on (ratio < 0.25) while the smallest class keeps at least 15 rows on
    the grid's sizes.

    Returns
    -------
    X : ndarray of shape (n_rows, n_features), float32
    y : ndarray of shape (n_rows,), int64, labels 0 .. n_classes - 1
    """
    rng = np.random.default_rng(seed)
    weights = ratio ** (np.arange(n_classes) / max(n_classes - 1, 1))
    counts = np.floor(weights / weights.sum() * n_rows).astype(int)
    counts[0] += n_rows - counts.sum()
    y = rng.permutation(np.repeat(np.arange(n_classes), counts)).astype(np.int64)
    centers = rng.normal(scale=1.5, size=(n_classes, n_features))
    X = centers[y] + rng.normal(size=(n_rows, n_features))
    return X.astype(np.float32), y


# ----------------------------------------------------------------------
# timing instruments
# ----------------------------------------------------------------------
class _Timer:
    """Accumulate the wall time of the outermost calls it wraps."""

    def __init__(self):
        self.seconds, self.calls, self._depth = 0.0, 0, 0

    def wrap(self, fn):
        @wraps(fn)
        def timed(*args, **kwargs):
            if self._depth:
                return fn(*args, **kwargs)
            self._depth += 1
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start
                self.calls += 1
                self._depth -= 1

        return timed


def _guard_class():
    try:  # the divergence guard of VitalRouteClassifier, where it exists
        from skvitalroute.callbacks import DivergenceGuard
    except ImportError:
        return None
    return DivergenceGuard


@contextmanager
def instrument():
    """Time the probe's calls, the tactic callbacks' and the guard's hooks.

    Yields ``(callbacks, probe, guard)`` timers. Methods are patched on the
    classes for the duration of the block only.
    """
    from skvitalroute import VitalityProbe
    from skvitalroute.callbacks import (
        ClassStressSampler,
        HardSampleSampler,
        LayerLRScaler,
        VitalityMonitor,
    )
    from skvitalroute.callbacks._base import VitalityCallback
    from skvitalroute.callbacks._resampling import _ResamplingCallback

    callbacks, probe, guard = _Timer(), _Timer(), _Timer()
    targets = [
        (VitalityProbe, ("observe", "per_class_stress", "per_sample_stress"), probe),
    ]
    hooks = ("on_train_begin", "on_epoch_begin", "on_epoch_end", "on_train_end")
    for cls in (VitalityCallback, _ResamplingCallback, ClassStressSampler,
                HardSampleSampler, LayerLRScaler, VitalityMonitor):
        targets.append((cls, hooks, callbacks))
    if _guard_class() is not None:
        targets.append((_guard_class(), hooks + ("on_batch_end",), guard))
    saved = []
    for cls, names, timer in targets:
        for name in names:
            if name in cls.__dict__:
                saved.append((cls, name, cls.__dict__[name]))
                setattr(cls, name, timer.wrap(cls.__dict__[name]))
    try:
        yield callbacks, probe, guard
    finally:
        for cls, name, original in reversed(saved):
            setattr(cls, name, original)


# ----------------------------------------------------------------------
# 1. fit time
# ----------------------------------------------------------------------
def build_net(config, n_classes, *, epochs, batch_size=64, lr=1e-3,
              hidden_units=(128, 64), seed=0):
    """The plain skorch net or a VitalRouteClassifier, same network and training.

    ``config`` is ``"plain"`` (skorch), ``"plain+groups"`` (skorch with one
    optimizer group per hidden layer, as VitalRouteClassifier builds them),
    ``"none"`` (VitalRouteClassifier, tactics off, the monitor on),
    ``"auto"`` (the router decides) or a ``"+"``-joined tactic list such as
    ``"hard+lr_scale"``.
    """
    from skorch import NeuralNetClassifier

    from skvitalroute import VitalRouteClassifier
    from skvitalroute.nn import MLPModule

    common = dict(
        optimizer=torch.optim.Adam, lr=lr, batch_size=batch_size,
        max_epochs=epochs, train_split=None, verbose=0,
    )
    if config in ("plain", "plain+groups"):
        if config == "plain+groups":  # MLPModule: Linear layers at 0, 2, ...
            groups = [(f"{2 * i}.*", {}) for i in range(len(hidden_units))]
            common["optimizer__param_groups"] = groups
        return NeuralNetClassifier(
            MLPModule, module__n_features=N_FEATURES, module__n_classes=n_classes,
            module__hidden_units=hidden_units, criterion=torch.nn.CrossEntropyLoss,
            iterator_train__shuffle=True, **common,
        )
    tactics = config if config in ("auto", "none") else tuple(config.split("+"))
    return VitalRouteClassifier(
        hidden_units=hidden_units, tactics=tactics, random_state=seed, **common
    )


def _timed_fit(config, X, y, n_classes, epochs):
    net = build_net(config, n_classes, epochs=epochs)
    torch.manual_seed(0)  # the plain net's initialisation and shuffling
    with instrument() as (callbacks, probe, guard):
        start, cpu = time.perf_counter(), time.process_time()
        net.fit(X, y)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "wall": seconds, "cpu": cpu, "callbacks": callbacks.seconds,
        "probe": probe.seconds, "probe_calls": probe.calls, "guard": guard.seconds,
        "route": net.route_.label if hasattr(net, "route_") else "-",
    }


def bench_fit(rows=(10_000,), classes=(10,), *, configs=FIT_CONFIGS, epochs=3,
              repeats=3, log=None):
    """Fit time of each config, repeats interleaved; one table row per config."""
    out = []
    for n in rows:
        for k in classes:
            X, y = make_data(n, k)
            _timed_fit("auto", X[:500], y[:500], k, 1)  # warm-up
            runs = {c: [] for c in configs}
            for _ in range(repeats):
                for config in configs:
                    runs[config].append(_timed_fit(config, X, y, k, epochs))
                    seconds = runs[config][-1]["wall"]
                    _cli.log_to(log, f"fit {n}x{k} {config}: {seconds:.2f} s")
            for config in configs:
                out.append(_fit_row(n, k, config, runs[config], runs.get("plain")))
    return out


def _fit_row(n, k, config, runs, plain_runs):
    def med(key):
        return statistics.median(r[key] for r in runs)

    def ratio(key):
        if not plain_runs:
            return "-"
        return f"{med(key) / statistics.median(r[key] for r in plain_runs):.3f}"

    own = config in ROUTED_CONFIGS or not config.startswith("plain")
    return {
        "rows": n, "classes": k, "config": config, "route": runs[0]["route"],
        "wall s": f"{med('wall'):.2f}", "vs plain": ratio("wall"),
        "CPU s": f"{med('cpu'):.2f}", "vs plain (CPU)": ratio("cpu"),
        "tactic callbacks s": f"{med('callbacks'):.3f}" if own else "-",
        "probe calls s": f"{med('probe'):.3f}" if own else "-",
        "probe calls": runs[0]["probe_calls"] if own else "-",
        "guard s": f"{med('guard'):.3f}" if own and _guard_class() else "-",
        "wall s (all runs)": " ".join(f"{r['wall']:.2f}" for r in runs),
    }


class _HookSpy(Callback):
    """The most forward hooks seen on the module during a training batch."""

    def __init__(self):
        self.batches, self.most = 0, 0

    def on_batch_begin(self, net, training=False, **kwargs):
        if training:
            self.batches += 1
            live = sum(len(m._forward_hooks) for m in net.module_.modules())
            self.most = max(self.most, live)


def check_hooks(n=10_000, n_classes=10, *, configs=ROUTED_CONFIGS, epochs=2):
    """Whether probe hooks are ever live while the network trains (untimed)."""
    out = []
    X, y = make_data(n, n_classes)
    for config in configs:
        spy = _HookSpy()
        net = build_net(config, n_classes, epochs=epochs)
        net.set_params(callbacks=[("hook_spy", spy)])
        with instrument() as (_, probe, _):
            net.fit(X, y)
        out.append({
            "rows": n, "classes": n_classes, "config": config,
            "route": net.route_.label, "training batches": spy.batches,
            "hooks live in a training batch (max)": spy.most,
            "probe readings": probe.calls,
        })
    return out


# ----------------------------------------------------------------------
# 2. probe cost per reading
# ----------------------------------------------------------------------
class _ForwardCounter:
    """Count the module's forward passes and the rows they carried."""

    def __init__(self, module):
        self.passes, self.rows = 0, 0
        self._handle = module.register_forward_hook(self._hook)

    def _hook(self, module, args, output):
        self.passes += 1
        self.rows += int(args[0].shape[0])

    def reset(self):
        self.passes, self.rows = 0, 0

    def remove(self):
        self._handle.remove()


def _probe_calls(probe, X, y):
    classes = np.unique(y)

    def one_pass_per_class():
        # What per_class_stress avoids: one reading per class.
        return [probe.observe(X[y == c]).composite_stress() for c in classes]

    return {
        "observe(X)": lambda: probe.observe(X),
        "observe(X, y)": lambda: probe.observe(X, y),
        "per_class_stress": lambda: probe.per_class_stress(X, y),
        "per_sample_stress": lambda: probe.per_sample_stress(X, y),
        "K x observe (one pass per class)": one_pass_per_class,
    }


def bench_probe(rows=(1_000, 10_000, 100_000), classes=(2, 10, 100), *,
                fixed_rows=10_000, fixed_classes=10, probe_size=1024, repeats=7,
                methods=PROBE_METHODS):
    """Cost of one probe reading as rows grow (classes fixed) and vice versa."""
    from skvitalroute import VitalityProbe
    from skvitalroute.nn import MLPModule

    cells = [(n, fixed_classes) for n in rows]
    cells += [(fixed_rows, k) for k in classes if (fixed_rows, k) not in cells]
    out = []
    for n, k in cells:
        X, y = make_data(n, k)
        torch.manual_seed(0)
        module = MLPModule(N_FEATURES, k, hidden_units=(128, 64))
        probe = VitalityProbe(module, probe_size=probe_size)
        counter = _ForwardCounter(module)
        calls = _probe_calls(probe, X, y)
        for name in methods:
            calls[name]()  # warm-up
            times = []
            for _ in range(repeats):
                counter.reset()
                start = time.perf_counter()
                calls[name]()
                times.append(time.perf_counter() - start)
            out.append({
                "rows": n, "classes": k, "call": name,
                "ms (median)": f"{1e3 * statistics.median(times):.1f}",
                "forward passes": counter.passes, "rows forwarded": counter.rows,
            })
        counter.remove()
    return out


# ----------------------------------------------------------------------
# 3. peak memory, one fresh process per fit
# ----------------------------------------------------------------------
def memory_child(spec):
    """Run one fit in this process and return its memory figures (a dict)."""
    torch.set_num_threads(spec["threads"])
    X, y = make_data(spec["rows"], spec["classes"])
    build_net(spec["config"], spec["classes"], epochs=1).fit(X[:200], y[:200])
    net = build_net(spec["config"], spec["classes"], epochs=spec["epochs"])
    before = _cli.vm_hwm_mib()
    if spec["tracemalloc"]:
        tracemalloc.start()
    net.fit(X, y)
    result = {"peak": max(_cli.vm_hwm_mib(), before), "before": before}
    if spec["tracemalloc"]:
        result["traced_peak"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return result


def bench_memory(rows=(100_000,), classes=(10,), *, configs=MEMORY_CONFIGS,
                 epochs=3, threads=1, log=None):
    """Peak RSS (one process per fit) and tracemalloc's peak (another process)."""
    out = []
    for n in rows:
        for k in classes:
            for config in configs:
                spec = dict(rows=n, classes=k, config=config, epochs=epochs,
                            threads=threads, tracemalloc=False)
                rss = _cli.run_child(__file__, spec)
                traced = _cli.run_child(__file__, {**spec, "tracemalloc": True})
                _cli.log_to(log, f"memory {n}x{k} {config}: {rss['peak']:.0f} MiB")
                out.append({
                    "rows": n, "classes": k, "config": config,
                    "peak RSS MiB": f"{rss['peak']:.0f}",
                    "RSS growth in fit MiB": f"{rss['peak'] - rss['before']:.0f}",
                    "tracemalloc peak MiB": f"{traced['traced_peak']:.1f}",
                })
    return out


# ----------------------------------------------------------------------
# 4. VitalitySampler against imbalanced-learn
# ----------------------------------------------------------------------
def _samplers():
    from imblearn.over_sampling import SMOTE, RandomOverSampler

    from skvitalroute import VitalitySampler

    return {
        "RandomOverSampler": lambda: RandomOverSampler(random_state=0),
        "SMOTE": lambda: SMOTE(random_state=0),
        "VitalitySampler(mode=auto)": lambda: VitalitySampler(random_state=0),
        "VitalitySampler(mode=sample)": lambda: VitalitySampler(
            mode="sample", random_state=0
        ),
    }


@contextmanager
def _time_probe_training(timer):
    from skvitalroute import VitalitySampler

    original = VitalitySampler._fit_network
    VitalitySampler._fit_network = timer.wrap(original)
    try:
        yield
    finally:
        VitalitySampler._fit_network = original


def bench_sampler(rows=(10_000, 100_000), n_classes=10, *, repeats=3,
                  methods=SAMPLER_METHODS, log=None):
    """fit_resample time of each over-sampler on the same imbalanced data."""
    makers = _samplers()
    out = []
    for n in rows:
        X, y = make_data(n, n_classes)
        for name in methods:
            times, training, n_out = [], [], None
            for _ in range(repeats):
                timer = _Timer()
                with _time_probe_training(timer):
                    start = time.perf_counter()
                    _, y_res = makers[name]().fit_resample(X, y)
                    times.append(time.perf_counter() - start)
                training.append(timer.seconds)
                n_out = len(y_res)
            _cli.log_to(log, f"sampler {n} {name}: {statistics.median(times):.2f} s")
            vital = name.startswith("Vitality")
            out.append({
                "rows": n, "classes": n_classes, "method": name,
                "s (median)": f"{statistics.median(times):.2f}",
                "probe net training s": (
                    f"{statistics.median(training):.2f}" if vital else "-"
                ),
                "rows out": n_out,
                "s (all)": " ".join(f"{t:.2f}" for t in times),
            })
    return out


# ----------------------------------------------------------------------
# report
# ----------------------------------------------------------------------
def machine_info(threads):
    """One line on the machine, the library versions, the threads and the load."""
    import sklearn
    import skorch

    cpu = _cli.cpu_name(platform.processor() or platform.machine())
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"torch {torch.__version__} ({threads} thread), skorch {skorch.__version__}, "
        f"scikit-learn {sklearn.__version__}; load average {_cli.load_average()}"
    )


def _settings(grid):
    """The training settings, for the report's header."""
    return (
        f"{grid['epochs']} epochs, batch 64, MLP (128, 64), Adam lr 1e-3, "
        f"{N_FEATURES} features"
    )


def run(grid, *, sections=SECTIONS, threads=1, log=None):
    """Run the chosen sections on ``grid``; return ``{section: table rows}``."""
    torch.set_num_threads(threads)
    tables = {}
    if "fit" in sections:
        tables["fit"] = bench_fit(
            grid["fit_rows"], grid["fit_classes"], epochs=grid["epochs"],
            repeats=grid["repeats"], log=log,
        )
        tables["hooks"] = check_hooks(grid["fit_rows"][0], grid["fit_classes"][0])
    if "probe" in sections:
        tables["probe"] = bench_probe(
            grid["probe_rows"], grid["probe_classes"],
            fixed_rows=grid["probe_fixed_rows"],
            fixed_classes=grid["fit_classes"][0], repeats=grid["probe_repeats"],
        )
    if "memory" in sections:
        tables["memory"] = bench_memory(
            grid["memory_rows"], grid["memory_classes"], epochs=grid["epochs"],
            threads=threads, log=log,
        )
    if "sampler" in sections:
        tables["sampler"] = bench_sampler(
            grid["sampler_rows"], grid["sampler_classes"],
            repeats=grid["sampler_repeats"], log=log,
        )
    return tables


_TITLES = {
    "fit": ("Fit time", FIT_COLUMNS),
    "hooks": ("Probe hooks during training (untimed check)", HOOK_COLUMNS),
    "probe": ("Probe cost per reading", PROBE_COLUMNS),
    "memory": ("Peak memory", MEMORY_COLUMNS),
    "sampler": ("VitalitySampler vs imbalanced-learn", SAMPLER_COLUMNS),
}


def report(tables, header=""):
    """The Markdown report of ``run``'s tables."""
    return _cli.report(tables, _TITLES, header)


def _add_grid_arguments(parser):
    parser.add_argument("--epochs", type=int, help="epochs per fit (default 3)")
    parser.add_argument("--repeats", type=int, help="repeats per fit (default 3)")
    parser.add_argument(
        "--rows", help="comma-separated rows of the fit grid (default 10000,100000)"
    )
    parser.add_argument(
        "--classes", help="comma-separated classes of the fit grid (default 10,100)"
    )


def _grid(args):
    """QUICK or FULL, with the command line's changes to the fit grid."""
    grid = dict(QUICK if args.quick else FULL)
    if args.epochs:
        grid["epochs"] = args.epochs
    if args.repeats:
        grid["repeats"] = grid["sampler_repeats"] = args.repeats
    if args.rows:
        grid["fit_rows"] = tuple(int(v) for v in args.rows.split(","))
    if args.classes:
        grid["fit_classes"] = tuple(int(v) for v in args.classes.split(","))
    return grid


def main(argv=None):
    args = _cli.parse_args(argv, __doc__, SECTIONS, _add_grid_arguments)
    grid = _grid(args)
    return _cli.run_and_report(
        "bench_scale.py", argv, args, memory_child, partial(run, grid), machine_info,
        _settings(grid), _TITLES,
    )


if __name__ == "__main__":
    sys.exit(main())
