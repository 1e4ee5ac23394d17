"""GPU benchmark of VitalRouteClassifier against the CPU (issue 22).

On a machine with CUDA, for 20k / 200k / 2M rows (10 classes, 64
features, MLP (128, 64)) and batch sizes 64 to 4096, interleaved with the
same fit on the CPU (one torch thread):

1. fit time on ``device="cuda"`` and ``device="cpu"`` (``tactics="none"``
   and the default route), and ``predict_proba`` on all the rows;
2. the host copies of one GPU training epoch, counted with torch's
   profiler (``Memcpy HtoD`` / ``DtoH`` events): the fast path moves the
   data to the GPU once per fit, so an epoch should copy a few tensors
   (the guard's and the monitor's readings), not one per batch;
3. whether the GPU fit's probabilities agree with the CPU fit's (same
   seed, the module is initialised on the CPU and moved), to ``--atol``.

Without CUDA it prints one line saying it skipped and exits with 0::

    .venv/bin/python benchmarks/bench_gpu.py --out report.md
    .venv/bin/python benchmarks/bench_gpu.py --quick   # 20k rows, 2 batch sizes

docs/scaling.md says what was measured and what was not.
"""

import argparse
import os
import platform
import statistics
import sys
import time
import warnings

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _cli  # noqa: E402

N_FEATURES = 64
N_CLASSES = 10
HIDDEN = (128, 64)
ROWS = (20_000, 200_000, 2_000_000)
BATCH_SIZES = (64, 256, 1024, 4096)
CONFIGS = ("none", "auto")
FIT_COLUMNS = (
    "rows", "batch", "config", "cpu fit s", "gpu fit s", "gpu / cpu (fit)",
    "cpu predict s", "gpu predict s", "gpu / cpu (predict)", "all rounds gpu / cpu",
)
COPY_COLUMNS = (
    "rows", "batch", "batches / epoch", "HtoD copies / epoch", "DtoH copies / epoch",
    "copies / batch", "no per-batch copies",
)
AGREE_COLUMNS = ("rows", "batch", "max |p_gpu - p_cpu|", "same labels", "agree")


def make_data(n_rows, *, seed=0):
    """Standardised float32 Gaussian clusters (10 classes): ``X, y``."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=1.5, size=(N_CLASSES, N_FEATURES))
    y = rng.integers(0, N_CLASSES, n_rows)
    X = centres[y] + rng.normal(size=(n_rows, N_FEATURES))
    X = (X - X.mean(0)) / X.std(0)
    return X.astype(np.float32), y


def build(config, device, batch, epochs):
    """An unfitted classifier on ``device``."""
    from skvitalroute import VitalRouteClassifier

    return VitalRouteClassifier(
        hidden_units=HIDDEN, tactics="none" if config == "none" else "auto",
        batch_size=batch, max_epochs=epochs, device=device, random_state=0,
    )


def _timed(func):
    torch.cuda.synchronize()
    start = time.perf_counter()
    out = func()
    torch.cuda.synchronize()
    return out, time.perf_counter() - start


def bench_fit(rows, batch_sizes, *, epochs, rounds, log):
    """Interleaved CPU and GPU fits and predictions; ratios within a round."""
    out = []
    for n in rows:
        X, y = make_data(n)
        for batch in batch_sizes:
            for config in CONFIGS:
                times = {key: [] for key in ("cpu", "gpu", "cpu_p", "gpu_p")}
                for _ in range(rounds):
                    for device, key in (("cpu", "cpu"), ("cuda", "gpu")):
                        clf, seconds = _timed(
                            lambda d=device: build(config, d, batch, epochs).fit(X, y)
                        )
                        times[key].append(seconds)
                        times[key + "_p"].append(_timed(lambda c=clf: c.predict_proba(X))[1])
                log(f"fit {n} rows, batch {batch}, {config}: cpu {times['cpu'][-1]:.2f}s, "
                    f"gpu {times['gpu'][-1]:.2f}s")
                out.append(_fit_row(n, batch, config, times))
    return out


def _fit_row(n, batch, config, times):
    med = {key: statistics.median(values) for key, values in times.items()}
    ratios = [g / c for g, c in zip(times["gpu"], times["cpu"], strict=True)]
    return {
        "rows": n, "batch": batch, "config": config,
        "cpu fit s": f"{med['cpu']:.2f}", "gpu fit s": f"{med['gpu']:.2f}",
        "gpu / cpu (fit)": f"{statistics.median(ratios):.2f}",
        "cpu predict s": f"{med['cpu_p']:.3f}", "gpu predict s": f"{med['gpu_p']:.3f}",
        "gpu / cpu (predict)": f"{med['gpu_p'] / med['cpu_p']:.2f}",
        "all rounds gpu / cpu": " ".join(f"{r:.2f}" for r in ratios),
    }


def count_copies(X, y, batch):
    """Host <-> GPU copies of one training epoch (a warm fit's second epoch)."""
    from torch.profiler import ProfilerActivity, profile

    clf = build("none", "cuda", batch, 1).fit(X, y)
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        clf.partial_fit(X, y)
        torch.cuda.synchronize()
    from torch.autograd import DeviceType

    events = prof.events()
    htod = sum("Memcpy HtoD" in event.name for event in events)
    dtoh = sum("Memcpy DtoH" in event.name for event in events)
    batches = clf.history[-1]["train_batch_count"]
    traced = any(event.device_type == DeviceType.CUDA for event in events)
    per_batch = (htod + dtoh) / batches
    return {
        "rows": len(X), "batch": batch, "batches / epoch": batches,
        "HtoD copies / epoch": htod if traced else "n/a",
        "DtoH copies / epoch": dtoh if traced else "n/a",
        "copies / batch": f"{per_batch:.3f}" if traced else "n/a",
        # a few copies per epoch (guard, monitor), far fewer than batches
        "no per-batch copies": ("yes" if per_batch < 0.1 else "no") if traced
        else "not traced (no CUDA events from the profiler)",
    }


def agreement(X, y, batch, atol):
    """The CPU and the GPU fit of the same seed: their probabilities."""
    cpu = build("none", "cpu", batch, 2).fit(X, y)
    gpu = build("none", "cuda", batch, 2).fit(X, y)
    X_check = X[:20_000]
    p_cpu, p_gpu = cpu.predict_proba(X_check), gpu.predict_proba(X_check)
    diff = float(np.abs(p_cpu - p_gpu).max())
    same = float(np.mean(p_cpu.argmax(1) == p_gpu.argmax(1)))
    return {
        "rows": len(X), "batch": batch, "max |p_gpu - p_cpu|": f"{diff:.2e}",
        "same labels": f"{same:.4f}", "agree": "yes" if diff <= atol else "no",
    }


def machine_info():
    """One line on the machine, the GPU, the versions and the load."""
    import skorch

    gpu = torch.cuda.get_device_name(0)
    return (
        f"{os.cpu_count()} cores ({_cli.cpu_name(platform.machine())}), GPU {gpu}, "
        f"Python {platform.python_version()}, torch {torch.__version__} (CUDA "
        f"{torch.version.cuda}; CPU fits on 1 intra-op thread), skorch "
        f"{skorch.__version__}; load average {_cli.load_average()}"
    )


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20k rows, batch 256 and 4096")
    parser.add_argument("--rows", default=",".join(map(str, ROWS)))
    parser.add_argument("--batch-sizes", default=",".join(map(str, BATCH_SIZES)))
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--atol", type=float, default=1e-3,
                        help="largest CPU/GPU probability difference that agrees")
    parser.add_argument("--out", help="also write the Markdown report here")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if not torch.cuda.is_available():
        print(f"bench_gpu.py: skipped, no CUDA device (torch {torch.__version__}, "
              "torch.cuda.is_available() is False)")
        return 0
    rows = [20_000] if args.quick else [int(r) for r in args.rows.split(",")]
    batches = [256, 4096] if args.quick else [int(b) for b in args.batch_sizes.split(",")]
    torch.set_num_threads(1)  # the CPU side, as in bench_speed.py

    def log(message):
        print(message, file=sys.stderr, flush=True)

    start = time.perf_counter()
    header = machine_info()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits = bench_fit(rows, batches, epochs=args.epochs, rounds=args.rounds, log=log)
        copies, agree = [], []
        for n in rows:
            X, y = make_data(n)
            for batch in batches:
                copies.append(count_copies(X, y, batch))
                agree.append(agreement(X, y, batch, args.atol))
                log(f"copies and agreement {n} rows, batch {batch} done")
    command = "python benchmarks/bench_gpu.py " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    text = "\n\n".join([
        f"`{command.strip()}`\n\n{header} (at start); load at end "
        f"{_cli.load_average()}; {args.epochs} epochs, {args.rounds} interleaved "
        f"rounds, MLP {HIDDEN}, {N_FEATURES} features, {N_CLASSES} classes; wall "
        f"time {time.perf_counter() - start:.0f} s",
        "### Fit and predict_proba, GPU against CPU (interleaved)\n\n"
        + _cli.markdown_table(fits, FIT_COLUMNS),
        "### Host copies in one GPU training epoch\n\n"
        + _cli.markdown_table(copies, COPY_COLUMNS),
        f"### CPU and GPU probabilities (same seed, atol {args.atol})\n\n"
        + _cli.markdown_table(agree, AGREE_COLUMNS),
    ]) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
