"""Speed benchmark: skvitalroute against skorch, scikit-learn, torch (issues 11, 22).

Six measurements, each printed as a Markdown table, all in one process and
interleaved (A, B, C, ..., then A, B, C, ... again), with ratios taken
within a round, because the machine is shared and its speed drifts:

1. fit: ``VitalRouteClassifier()``'s network (``auto``, with
   ``router__forest_weight=0``: the forest blend's cost is measured by
   ``bench_race_cost.py``) and ``tactics="none"``, plain
   :class:`skorch.NeuralNetClassifier`, scikit-learn's ``MLPClassifier``
   and a minimal torch loop (default and fused Adam), the same network
   (MLP (128, 64), ReLU), Adam lr 1e-3, batch 64 and epochs, at 2k / 20k /
   200k rows (10 classes) and 100 / 1,000 classes (20k rows): fit time,
   time per epoch, held-out accuracy, ratio to plain skorch;
2. ``predict_proba`` on 100,000 rows and on 1, 10, 100 and 1,000 rows
   against the bare module's forward (plus softmax) on the same tensor;
3. peak memory of one fit of each, each in a fresh process;
4. torch threads: the default fit with 1 and 2 intra-op threads, and one
   optimizer step of networks of growing size (the measurement behind
   ``n_jobs=None``);
5. per-epoch fixed costs: the divergence guard and the monitor against an
   epoch of training;
6. the issues' targets, met or missed, from the tables above.

Run from the repository root::

    .venv/bin/python benchmarks/bench_speed.py --out report.md
    .venv/bin/python benchmarks/bench_speed.py --quick   # a smoke run
    .venv/bin/python benchmarks/bench_speed.py --sections fit,predict --cells 20000x10

``--cells`` keeps the fit cells of those rows x classes; ``--compile`` adds
the config ``compile`` (the default route with skorch's ``compile=True``).

torch runs on one intra-op thread (``--threads``), BLAS (scikit-learn) on
one thread; the results and how to read them are in docs/performance.md.
"""

import os
import platform
import statistics
import sys
import time
import warnings
from functools import partial

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _cli  # noqa: E402

N_FEATURES = 64
HIDDEN = (128, 64)
BATCH = 64
LR = 1e-3
CONFIGS = ("auto", "none", "skorch", "mlp", "torch", "torch+fused")
COMPILE = "compile"  # auto with compile=True (torch.compile), on request
REFERENCE = "skorch"
SECTIONS = ("fit", "predict", "memory", "threads", "fixed")

FULL = {
    # (rows, classes, epochs); 10 % more rows are held out for accuracy
    "fit_cells": (
        (2_000, 10, 20),
        (20_000, 10, 5),
        (200_000, 10, 2),
        (20_000, 100, 5),
        (20_000, 1_000, 5),
    ),
    "rounds": 5,
    "predict": dict(
        train_rows=20_000,
        classes=10,
        rows=100_000,
        repeats=7,
        calls=200,
        small=(1, 10, 100, 1_000),
    ),
    "memory": dict(rows=200_000, classes=10, epochs=1, configs=CONFIGS),
    "threads": dict(
        rows=2_000,
        classes=10,
        epochs=10,
        rounds=3,
        step_repeats=15,
        networks=(
            ((128, 64), 64),
            ((128, 64), 512),
            ((512, 512), 256),
            ((1024, 1024), 256),
            ((2048, 2048), 512),
        ),
    ),
    "fixed": dict(cells=((2_000, 10), (20_000, 10), (20_000, 1_000)), repeats=5),
}
QUICK = {
    "fit_cells": ((400, 3, 2), (1_200, 5, 1)),
    "rounds": 1,
    "predict": dict(
        train_rows=400, classes=3, rows=2_000, repeats=2, calls=5, small=(1, 10)
    ),
    "memory": dict(rows=400, classes=3, epochs=1, configs=("auto", REFERENCE)),
    "threads": dict(
        rows=300,
        classes=3,
        epochs=1,
        rounds=1,
        step_repeats=2,
        networks=(((16,), 32),),
    ),
    "fixed": dict(cells=((300, 3),), repeats=1),
}

FIT_COLUMNS = (
    "rows",
    "classes",
    "epochs",
    "config",
    "fit s",
    "per epoch s",
    "vs skorch",
    "vs skorch (all rounds)",
    "accuracy",
)
PREDICT_COLUMNS = ("what", "rows", "ms (median)", "vs bare module", "all runs ms")
MEMORY_COLUMNS = (
    "rows",
    "classes",
    "config",
    "RSS before fit MiB",
    "peak RSS in fit MiB",
    "RSS growth in fit MiB",
)
THREAD_COLUMNS = ("what", "1 thread", "2 threads", "2 / 1 (median)", "2 / 1 (best)")
FIXED_COLUMNS = (
    "rows",
    "classes",
    "epoch ms",
    "guard ms / epoch",
    "guard's copy ms (in place)",
    "deep copy ms (before)",
    "monitor reading ms",
    "monitor reads every",
    "guard + monitor / epoch",
)
TARGET_COLUMNS = ("issue", "target", "measured", "met")


# ----------------------------------------------------------------------
# data and the configurations
# ----------------------------------------------------------------------
def make_data(n_rows, n_classes, *, seed=0):
    """Standardised Gaussian clusters: train rows and 10 % more held out.

    Returns
    -------
    X, y, X_test, y_test : float32 / int64 arrays
    """
    from sklearn.datasets import make_classification

    n_test = max(n_rows // 10, n_classes)
    X, y = make_classification(
        n_samples=n_rows + n_test,
        n_features=N_FEATURES,
        n_informative=32,
        n_redundant=0,
        n_classes=n_classes,
        n_clusters_per_class=1,
        class_sep=1.5,
        random_state=seed,
    )
    X = ((X - X.mean(0)) / X.std(0)).astype(np.float32)
    return X[:n_rows], y[:n_rows], X[n_rows:], y[n_rows:]


def _torch_loop(X, y, n_classes, epochs, seed, *, fused):
    """A minimal torch training loop over pre-made tensors."""
    from skvitalroute.nn import MLPModule

    torch.manual_seed(seed)
    module = MLPModule(X.shape[1], n_classes, HIDDEN)
    opt = torch.optim.Adam(module.parameters(), lr=LR, fused=fused or None)
    Xt, yt = torch.as_tensor(X), torch.as_tensor(y)
    n = len(Xt)
    for _ in range(epochs):
        order = torch.randperm(n)
        if fused:  # one shuffled contiguous copy per epoch
            Xe, ye = Xt[order], yt[order]
        for start in range(0, n, BATCH):
            if fused:
                xb, yb = Xe[start : start + BATCH], ye[start : start + BATCH]
            else:
                rows = order[start : start + BATCH]
                xb, yb = Xt[rows], yt[rows]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(module(xb), yb).backward()
            opt.step()
    return module.eval()


class TorchLoop:
    """The torch loop as an object with ``fit`` / ``predict``."""

    def __init__(self, n_classes, epochs, seed, fused):
        self.n_classes, self.epochs, self.seed, self.fused = (
            n_classes,
            epochs,
            seed,
            fused,
        )

    def fit(self, X, y):
        self.module_ = _torch_loop(
            X, y, self.n_classes, self.epochs, self.seed, fused=self.fused
        )
        return self

    def predict(self, X):
        with torch.no_grad():
            return self.module_(torch.as_tensor(X)).argmax(1).numpy()


def build(config, n_classes, epochs, seed):
    """An unfitted estimator of ``config``."""
    from sklearn.neural_network import MLPClassifier
    from skorch import NeuralNetClassifier

    from skvitalroute import VitalRouteClassifier
    from skvitalroute.nn import MLPModule

    if config == "auto":  # the network (the forest blend: bench_race_cost.py)
        return VitalRouteClassifier(
            max_epochs=epochs, random_state=seed, router__forest_weight=0.0
        )
    if config == "none":
        return VitalRouteClassifier(
            tactics="none", max_epochs=epochs, random_state=seed
        )
    if config == COMPILE:
        return VitalRouteClassifier(
            max_epochs=epochs,
            random_state=seed,
            compile=True,
            router__forest_weight=0.0,
        )
    if config == "skorch":
        return NeuralNetClassifier(
            MLPModule,
            module__n_features=N_FEATURES,
            module__n_classes=n_classes,
            module__hidden_units=HIDDEN,
            criterion=torch.nn.CrossEntropyLoss,
            optimizer=torch.optim.Adam,
            lr=LR,
            batch_size=BATCH,
            max_epochs=epochs,
            train_split=None,
            iterator_train__shuffle=True,
            verbose=0,
        )
    if config == "mlp":
        return MLPClassifier(
            HIDDEN,
            alpha=0.0,
            batch_size=BATCH,
            learning_rate_init=LR,
            max_iter=epochs,
            n_iter_no_change=epochs + 1,
            tol=0.0,
            random_state=seed,
        )
    if config in ("torch", "torch+fused"):
        return TorchLoop(n_classes, epochs, seed, fused=config == "torch+fused")
    raise ValueError(f"unknown config {config!r}")


def _fit(config, X, y, n_classes, epochs, seed):
    model = build(config, n_classes, epochs, seed)
    torch.manual_seed(seed)  # skorch's initialisation and shuffling
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MLPClassifier's ConvergenceWarning
        start = time.perf_counter()
        model.fit(X, y)
        return model, time.perf_counter() - start


# ----------------------------------------------------------------------
# 1. fit time
# ----------------------------------------------------------------------
def bench_fit(cells, *, configs=CONFIGS, rounds=3, log=None):
    """Interleaved fits of every config per cell; ratios within each round."""
    out = []
    for n, k, epochs in cells:
        X, y, X_test, y_test = make_data(n, k)
        for config in configs:  # warm-up: first-call costs of each library
            _fit(config, X[: min(n, 256)], y[: min(n, 256)], k, 1, 0)
        times = {c: [] for c in configs}
        accuracy = {c: [] for c in configs}
        for seed in range(rounds):
            for config in configs:
                model, seconds = _fit(config, X, y, k, epochs, seed)
                times[config].append(seconds)
                accuracy[config].append(float(np.mean(model.predict(X_test) == y_test)))
            _cli.log_to(
                log,
                f"fit {n}x{k} round {seed + 1}: "
                + ", ".join(f"{c} {times[c][-1]:.2f}s" for c in configs),
            )
        for config in configs:
            out.append(_fit_row(n, k, epochs, config, times, accuracy[config]))
    return out


def _fit_row(n, k, epochs, config, times, accuracy):
    median = statistics.median(times[config])
    ratios = [a / b for a, b in zip(times[config], times[REFERENCE], strict=True)]
    acc = f"{np.mean(accuracy):.3f}"
    if len(accuracy) > 1:
        acc += f" ± {np.std(accuracy):.3f}"
    return {
        "rows": n,
        "classes": k,
        "epochs": epochs,
        "config": config,
        "fit s": f"{median:.2f}",
        "per epoch s": f"{median / epochs:.3f}",
        "vs skorch": f"{statistics.median(ratios):.2f}",
        "vs skorch (all rounds)": " ".join(f"{r:.2f}" for r in ratios),
        "accuracy": acc,
    }


# ----------------------------------------------------------------------
# 2. prediction
# ----------------------------------------------------------------------
def bench_predict(
    train_rows=20_000,
    classes=10,
    rows=100_000,
    *,
    repeats=7,
    calls=200,
    small=(1,),
    log=None,
):
    """predict_proba on ``rows`` rows and on each of ``small`` rows,
    interleaved, against the bare module's forward + softmax on the same
    tensor (a call on ``k`` small rows is repeated ``calls / k`` times, at
    least 5)."""
    X, y, _, _ = make_data(train_rows, classes)
    X_big = np.resize(X, (rows, X.shape[1]))
    fitted = {c: _fit(c, X, y, classes, 1, 0)[0] for c in ("auto", "skorch", "mlp")}
    module = fitted["auto"].module_
    X_tensor = torch.as_tensor(X_big)

    def bare(Xt):
        with torch.no_grad():
            return torch.softmax(module(Xt), dim=1)

    def calls_on(X_rows, X_rows_tensor):
        return {
            "VitalRouteClassifier.predict_proba": lambda: fitted["auto"].predict_proba(
                X_rows
            ),
            "skorch predict_proba": lambda: fitted["skorch"].predict_proba(X_rows),
            "MLPClassifier.predict_proba": lambda: fitted["mlp"].predict_proba(X_rows),
            "bare module forward + softmax": lambda: bare(X_rows_tensor),
        }

    out = _time_calls(calls_on(X_big, X_tensor), rows, repeats, 1)
    for k in small:
        out += _time_calls(
            calls_on(X_big[:k], X_tensor[:k]), k, repeats, max(5, calls // k)
        )
    _cli.log_to(log, "predict done")
    return out


def _time_calls(funcs, rows, repeats, calls):
    times = {name: [] for name in funcs}
    for _ in range(repeats + 1):  # the first round warms up
        for name, func in funcs.items():
            start = time.perf_counter()
            for _ in range(calls):
                func()
            times[name].append((time.perf_counter() - start) / calls * 1e3)
    times = {name: values[1:] for name, values in times.items()}
    bare = statistics.median(times["bare module forward + softmax"])
    return [
        {
            "what": name,
            "rows": rows,
            "ms (median)": f"{statistics.median(values):.3f}",
            "vs bare module": f"{statistics.median(values) / bare:.2f}",
            "all runs ms": " ".join(f"{v:.3f}" for v in values),
        }
        for name, values in times.items()
    ]


# ----------------------------------------------------------------------
# 3. peak memory, one fresh process per fit
# ----------------------------------------------------------------------
def _reset_peak():
    """Reset VmHWM to the current RSS (Linux >= 4.0); False if unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def memory_child(spec):
    """One fit in this process; its peak RSS before and after (MiB).

    The peak is reset after the data are made (their float64 temporaries
    would hide the fit's own peak), when the kernel allows it.
    """
    torch.set_num_threads(spec["threads"])
    _limit_blas()
    X, y, _, _ = make_data(spec["rows"], spec["classes"])
    _fit(spec["config"], X[:256], y[:256], spec["classes"], 1, 0)
    reset = _reset_peak()
    before = _cli.vm_hwm_mib()
    _fit(spec["config"], X, y, spec["classes"], spec["epochs"], 0)
    return {"peak": max(_cli.vm_hwm_mib(), before), "before": before, "reset": reset}


def bench_memory(
    rows=200_000, classes=10, epochs=1, *, configs=CONFIGS, threads=1, log=None
):
    """Peak RSS of one fit of each config, each in a fresh process."""
    out = []
    for config in configs:
        spec = dict(
            rows=rows, classes=classes, config=config, epochs=epochs, threads=threads
        )
        result = _cli.run_child(__file__, spec)
        _cli.log_to(log, f"memory {config}: {result['peak']:.0f} MiB")
        out.append(
            {
                "rows": rows,
                "classes": classes,
                "config": config,
                "RSS before fit MiB": f"{result['before']:.0f}",
                "peak RSS in fit MiB": f"{result['peak']:.0f}"
                + ("" if result["reset"] else " (peak since start)"),
                "RSS growth in fit MiB": f"{result['peak'] - result['before']:.0f}",
            }
        )
    return out


# ----------------------------------------------------------------------
# 4. threads
# ----------------------------------------------------------------------
def bench_threads(
    rows=2_000,
    classes=10,
    epochs=10,
    *,
    rounds=3,
    step_repeats=15,
    networks=(((128, 64), 64),),
    log=None,
):
    """Default fits with n_jobs=1 and 2, and one training step of growing
    networks on 1 and 2 threads, interleaved."""
    from skvitalroute import VitalRouteClassifier

    X, y, _, _ = make_data(rows, classes)
    fits = {1: [], 2: []}
    for _ in range(rounds):
        for threads in (1, 2):
            clf = VitalRouteClassifier(
                max_epochs=epochs,
                n_jobs=threads,
                random_state=0,
                router__forest_weight=0.0,
            )
            start = time.perf_counter()
            clf.fit(X, y)
            fits[threads].append(time.perf_counter() - start)
    _cli.log_to(log, "threads: fits done")
    out = [_thread_row(f"default fit, {rows} rows, {epochs} epochs (s)", fits)]
    for hidden, batch in networks:
        out.append(_step_row(hidden, batch, classes, step_repeats))
    _cli.log_to(log, "threads: steps done")
    return out


def _step_row(hidden, batch, n_classes, repeats):
    from skvitalroute.nn import MLPModule

    torch.manual_seed(0)
    module = MLPModule(N_FEATURES, n_classes, hidden)
    opt = torch.optim.Adam(module.parameters(), lr=LR, fused=True)
    xb = torch.randn(batch, N_FEATURES)
    yb = torch.randint(0, n_classes, (batch,))
    params = sum(p.numel() for p in module.parameters())

    def step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(module(xb), yb).backward()
        opt.step()

    times = {1: [], 2: []}
    before = torch.get_num_threads()
    try:
        for _ in range(repeats):
            for threads in (1, 2):
                torch.set_num_threads(threads)
                step()
                start = time.perf_counter()
                for _ in range(5):
                    step()
                times[threads].append((time.perf_counter() - start) / 5 * 1e3)
    finally:
        torch.set_num_threads(before)
    flops = 6 * batch * params
    return _thread_row(
        f"one Adam step, MLP {hidden}, batch {batch}, {flops / 1e6:.0f} MFLOP (ms)",
        times,
    )


def _thread_row(what, times):
    one, two = statistics.median(times[1]), statistics.median(times[2])
    return {
        "what": what,
        "1 thread": f"{one:.3g}",
        "2 threads": f"{two:.3g}",
        "2 / 1 (median)": f"{two / one:.2f}",
        "2 / 1 (best)": f"{min(times[2]) / min(times[1]):.2f}",
    }


# ----------------------------------------------------------------------
# 5. per-epoch fixed costs
# ----------------------------------------------------------------------
def bench_fixed(
    cells=((2_000, 10), (20_000, 10), (20_000, 1_000)), *, repeats=5, log=None
):
    """What the divergence guard and the monitor add to an epoch.

    The guard's per-epoch work (its start-of-epoch check and copy, its
    end-of-epoch check) and its state copy alone, next to the deep copy it
    replaced; one monitor reading, and what it adds per epoch on its
    ``"auto"`` schedule; one training epoch for scale. Medians of
    ``repeats`` timings, after a warm-up.
    """
    out = []
    for n, k in cells:
        out.append(_fixed_costs(n, k, repeats))
        _cli.log_to(log, f"fixed costs {n}x{k} done")
    return out


def _fixed_costs(n, k, repeats):
    import copy

    from skvitalroute import VitalRouteClassifier
    from skvitalroute.callbacks._guard import _snapshot

    X, y, _, _ = make_data(n, k)
    net = VitalRouteClassifier(max_epochs=1, random_state=0).fit(X, y)
    data = net.get_dataset(X, net.label_encoder_.transform(y))
    callbacks = dict(net.callbacks_)
    guard, monitor = callbacks["divergence_guard"], callbacks["vitality_monitor"]
    guard.initialize()
    monitor.initialize()
    iterator = net.get_iterator(data, training=True)

    def guard_epoch():
        guard.on_epoch_begin(net, dataset_train=data)
        guard.on_epoch_end(net, dataset_train=data)

    def deep_copy():  # what the guard copied each epoch before
        {name: v.detach().clone() for name, v in net.module_.state_dict().items()}
        copy.deepcopy(net.optimizer_.state_dict())

    def reading():
        net.history.new_epoch()
        monitor.epochs_ = 0  # a reading epoch
        monitor.on_epoch_end(net, dataset_train=data)

    def epoch():
        net.run_single_epoch(
            iterator, training=True, prefix="train", step_fn=net.train_step
        )

    times = {
        name: _median_ms(f, repeats)
        for name, f in (
            ("epoch", epoch),
            ("guard", guard_epoch),
            ("snapshot", lambda: _snapshot(net, guard.good_)),
            ("deep copy", deep_copy),
            ("reading", reading),
        )
    }
    every = monitor.refresh_every_
    fixed = times["guard"] + times["reading"] / every
    return {
        "rows": n,
        "classes": k,
        "epoch ms": f"{times['epoch']:.1f}",
        "guard ms / epoch": f"{times['guard']:.2f}",
        "guard's copy ms (in place)": f"{times['snapshot']:.3f}",
        "deep copy ms (before)": f"{times['deep copy']:.3f}",
        "monitor reading ms": f"{times['reading']:.2f}",
        "monitor reads every": every,
        "guard + monitor / epoch": f"{100 * fixed / times['epoch']:.1f} %",
    }


def _median_ms(func, repeats):
    func()
    values = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        values.append((time.perf_counter() - start) * 1e3)
    return statistics.median(values)


# ----------------------------------------------------------------------
# 6. targets
# ----------------------------------------------------------------------
def check_targets(fit_rows, predict_rows):
    """The issues' targets (11, then 22) against the measured ratios."""
    ratio = {
        (r["rows"], r["classes"], r["config"]): float(r["vs skorch"]) for r in fit_rows
    }
    rounds = {
        (r["rows"], r["classes"], r["config"]): [
            float(v) for v in r.get("vs skorch (all rounds)", r["vs skorch"]).split()
        ]
        for r in fit_rows
    }
    out = []

    def add(issue, target, value, limit, digits=2):
        out.append(
            {
                "issue": issue,
                "target": target,
                "measured": f"{value:.{digits}f}",
                "met": "yes" if value <= limit else "no",
            }
        )

    for (n, k, config), value in sorted(ratio.items()):
        if config != "auto":
            continue
        if k == 10 and n >= 20_000:
            add(11, f"auto fit / skorch at {n} rows <= 0.6", value, 0.6)
            mlp = ratio.get((n, k, "mlp"))
            if mlp is not None:
                add(
                    11,
                    f"auto fit / skorch at {n} rows <= MLPClassifier's ({mlp:.2f})",
                    value,
                    mlp,
                )
        elif k == 10:
            add(11, f"auto fit / skorch at {n} rows <= 1.0", value, 1.0)
        elif k >= 1_000:
            add(11, f"auto fit / skorch at {k} classes <= 1.1", value, 1.1)
    for r in predict_rows:
        if r["what"] == "VitalRouteClassifier.predict_proba" and r["rows"] >= 100_000:
            add(
                11,
                f"predict_proba on {r['rows']} rows / bare module <= 1.5",
                float(r["vs bare module"]),
                1.5,
            )
    for (n, k, config), value in sorted(ratio.items()):
        if config not in ("auto", "none") or k != 10 or n < 20_000:
            continue
        add(22, f"{config} fit / skorch at {n} rows <= 0.45", value, 0.45)
        for other in ("torch+fused", "mlp"):
            if (n, k, other) in rounds:  # per round: this config's time over other's
                per_round = [
                    a / b
                    for a, b in zip(
                        rounds[(n, k, config)], rounds[(n, k, other)], strict=True
                    )
                ]
                add(
                    22,
                    f"{config} fit / {other} fit at {n} rows <= 1.1 "
                    "(median of the rounds)",
                    statistics.median(per_round),
                    1.1,
                )
    for r in predict_rows:
        if r["what"] != "VitalRouteClassifier.predict_proba":
            continue
        if r["rows"] == 1:
            add(
                22,
                "predict_proba on 1 row <= 0.15 ms",
                float(r["ms (median)"]),
                0.15,
                3,
            )
        if r["rows"] <= 1_000:
            add(
                22,
                f"predict_proba on {r['rows']} rows / bare module <= 1.5",
                float(r["vs bare module"]),
                1.5,
            )
    return out


# ----------------------------------------------------------------------
# report
# ----------------------------------------------------------------------
def machine_info(threads):
    """One line on the machine, the library versions, the threads and the load."""
    import sklearn
    import skorch

    cpu = _cli.cpu_name(platform.machine())
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"torch {torch.__version__} ({threads} intra-op thread), "
        f"skorch {skorch.__version__}, scikit-learn {sklearn.__version__} "
        f"(BLAS limited to 1 thread); load average {_cli.load_average()}"
    )


def _settings(grid):
    """The training settings, for the report's header."""
    return (
        f"MLP {HIDDEN}, Adam lr {LR}, batch {BATCH}, {N_FEATURES} features, "
        f"{grid['rounds']} interleaved rounds"
    )


def _limit_blas():
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


_TITLES = {
    "fit": (
        "Fit time (interleaved; ratio to plain skorch within each round)",
        FIT_COLUMNS,
    ),
    "predict": ("predict_proba", PREDICT_COLUMNS),
    "memory": ("Peak memory (one fresh process per fit)", MEMORY_COLUMNS),
    "threads": ("torch threads (interleaved)", THREAD_COLUMNS),
    "fixed": ("Per-epoch fixed costs (median ms)", FIXED_COLUMNS),
    "targets": ("Targets of issues 11 and 22", TARGET_COLUMNS),
}


def run(grid, *, sections=SECTIONS, threads=1, log=None):
    """Run the chosen sections on ``grid``; return ``{section: table rows}``."""
    torch.set_num_threads(threads)
    _limit_blas()
    tables = {}
    if "fit" in sections:
        configs = CONFIGS + ((COMPILE,) if grid.get("compile") else ())
        tables["fit"] = bench_fit(
            grid["fit_cells"], configs=configs, rounds=grid["rounds"], log=log
        )
    if "predict" in sections:
        tables["predict"] = bench_predict(**grid["predict"], log=log)
    if "memory" in sections:
        tables["memory"] = bench_memory(**grid["memory"], threads=threads, log=log)
    if "threads" in sections:
        tables["threads"] = bench_threads(**grid["threads"], log=log)
        torch.set_num_threads(threads)
    if "fixed" in sections:
        tables["fixed"] = bench_fixed(**grid["fixed"], log=log)
    if "fit" in tables or "predict" in tables:
        tables["targets"] = check_targets(
            tables.get("fit", []), tables.get("predict", [])
        )
    return tables


def report(tables, header=""):
    """The Markdown report of ``run``'s tables."""
    return _cli.report(tables, _TITLES, header)


def _add_rounds_argument(parser):
    parser.add_argument("--rounds", type=int, help="interleaved rounds of fits")
    parser.add_argument(
        "--cells", help="fit cells to keep, as ROWSxCLASSES,... (e.g. 20000x10)"
    )
    parser.add_argument(
        "--compile",
        action="store_true",
        help="also fit the default route with compile=True (torch.compile)",
    )


def main(argv=None):
    args = _cli.parse_args(argv, __doc__, SECTIONS, _add_rounds_argument)
    grid = dict(QUICK if args.quick else FULL)
    if args.rounds:
        grid["rounds"] = args.rounds
    if args.cells:
        keep = {
            tuple(int(v) for v in cell.split("x")) for cell in args.cells.split(",")
        }
        grid["fit_cells"] = tuple(c for c in grid["fit_cells"] if c[:2] in keep)
    grid["compile"] = args.compile
    return _cli.run_and_report(
        "bench_speed.py",
        argv,
        args,
        memory_child,
        partial(run, grid),
        machine_info,
        _settings(grid),
        _TITLES,
    )


if __name__ == "__main__":
    sys.exit(main())
