"""Terminal tables and the files of ``--out``: CSV, JSON and a figure."""

import csv
import json
import math
import textwrap
from pathlib import Path

import numpy as np

from skvitalroute import __version__
from skvitalroute.compare._files import write_files
from skvitalroute.compare._result import CompareResult

#: The original study's holdout figures (digits 5:1): overall, minority accuracy %.
#: Its "vitalroute" was the seed's rule table, today ``vitalroute_seed``.
ORIGINAL_HOLDOUT = {
    "uniform": (93.7, 87.9),
    "inv_freq": (94.4, 90.1),
    "vitalroute_seed": (95.1, 90.8),
}

_LABELS = {
    "balanced_accuracy": "balanced acc %",
    "macro_f1": "macro-F1 %",
    "minority_recall": "minority recall %",
    "accuracy": "overall acc %",
    "minority_accuracy": "minority acc %",
    "log_loss": "log-loss",
    "brier": "Brier",
    "roc_auc": "ROC-AUC %",
    "fit_time": "fit time s",
}
#: Metrics printed as plain numbers (the others in percent).
_PLAIN = ("fit_time", "log_loss", "brier")


def _pct(mean_std):
    mean, std = mean_std
    return f"{100 * mean:6.2f} ± {100 * std:4.2f}"


def _cell(metric, mean_std):
    if any(math.isnan(v) for v in mean_std):
        return "n/a"
    if metric == "fit_time":
        return f"{mean_std[0]:6.2f} ± {mean_std[1]:4.2f}"
    if metric in _PLAIN:
        return f"{mean_std[0]:.3f} ± {mean_std[1]:.3f}"
    return _pct(mean_std)


def format_table(header, rows):
    """Plain-text table with left-aligned first column and right-aligned others.

    Parameters
    ----------
    header : list of str
        Column titles.
    rows : list of list of str
        Cells.

    Returns
    -------
    text : str

    Examples
    --------
    >>> print(format_table(["a", "bb"], [["x", "1"], ["yy", "22"]]))
    a   bb
    --  --
    x    1
    yy  22
    """
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells):
        first = str(cells[0]).ljust(widths[0])
        rest = [str(c).rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def method_order(result):
    """Methods sorted by mean balanced accuracy, best first."""
    summary = result.summary
    return sorted(summary, key=lambda m: -summary[m]["balanced_accuracy"][0])


def metrics_table(result):
    """The main table: mean ± std of every metric, sorted by balanced accuracy."""
    metrics = result.metrics
    header = ["method", *(_LABELS.get(m, m) for m in metrics), "fits"]
    rows = []
    for m in method_order(result):
        s = result.summary[m]
        rows.append([m, *(_cell(k, s[k]) for k in metrics), str(s["n"])])
    if result.protocol == "holdout":
        header[1:1] = ["original overall %", "original minority %"]
        for row in rows:
            orig = ORIGINAL_HOLDOUT.get(row[0])
            row[1:1] = [f"{orig[0]:.1f}", f"{orig[1]:.1f}"] if orig else ["", ""]
    return format_table(header, rows)


def _diff(p):
    if p["n"] == 0:
        return "", ""
    mean = f"{100 * p['mean']:+.2f}"
    ci = (
        ""
        if math.isnan(p["ci_low"])
        else f" [{100 * p['ci_low']:+.2f}, {100 * p['ci_high']:+.2f}]"
    )
    pv = "n/a" if math.isnan(p["p_value"]) else f"{p['p_value']:.3g}"
    return mean + ci, pv


def paired_table(result):
    """Per-split differences against the baseline, in percentage points."""
    paired, metrics = result.paired, result.paired_metrics
    if not paired:
        return ""
    header = ["method"]
    for m in metrics:
        header += [f"Δ {_LABELS.get(m, m).rstrip(' %')} pp [95% CI]", "p"]
    header.append("wins/ties/losses")
    rows = []
    for m in method_order(result):
        if m not in paired:
            continue
        row = [m]
        for k in metrics:
            row += list(_diff(paired[m][k]))
        first = paired[m][metrics[0]]
        row.append(f"{first['wins']}/{first['ties']}/{first['losses']}")
        rows.append(row)
    title = (
        f"Paired against {result.baseline} on the same splits "
        f"(difference = method - {result.baseline}; Wilcoxon signed-rank p; "
        f"wins/ties/losses on {_LABELS.get(metrics[0], metrics[0]).rstrip(' %')}):"
    )
    return title + "\n" + format_table(header, rows)


def vitality_table(result):
    """Spread of the class stress and class probabilities the tactics read."""
    vit = result.vitality
    shown = [m for m in method_order(result) if m in vit and "prob_lo" in vit[m]]
    shown += [
        m
        for m in ("vitalroute_seed", "vitalroute_seed_blind")
        if m in vit and m not in shown
    ]
    if not shown:
        return ""
    header = [
        "method",
        "route",
        "class stress lo-hi",
        "spread",
        "class prob lo-hi",
        "hi/lo",
    ]
    rows = []
    for m in shown:
        v = vit[m]
        route = ", ".join(f"{k}×{n}" for k, n in v["routes"].items())
        stress = (
            f"{v['stress_lo']:.3f}-{v['stress_hi']:.3f}" if "stress_lo" in v else ""
        )
        spread = f"{v['stress_spread']:.3f}" if "stress_spread" in v else ""
        probs = (
            f"{v['prob_lo']:.3f}-{v['prob_hi']:.3f}"
            if "prob_lo" in v
            else "(no class sampler)"
        )
        ratio = f"{v['prob_ratio']:.2f}" if "prob_ratio" in v else ""
        rows.append([m, route, stress, spread, probs, ratio])
    uniform = 1.0 / len(result.classes)
    lines = [
        "What the vitality tactics read (means over fits of each fit's lowest/highest "
        f"reading; uniform class probability = {uniform:.3f}):",
        format_table(header, rows),
    ]
    lines += [
        verdict(m, vit[m], result.classes) for m in shown if "prob_ratio" in vit[m]
    ]
    return "\n".join(lines)


def verdict(method, entry, classes):
    """One honest sentence on whether the class signal was informative."""
    probs = np.asarray(entry["class_probs"])
    top = ", ".join(str(classes[i]) for i in np.argsort(-probs)[:3])
    ratio = entry["prob_ratio"]
    if ratio < 1.01:
        return f"  {method}: class probabilities uniform (signal off or no difference)."
    if ratio < 1.25:
        return (
            f"  {method}: class probabilities barely varied (hi/lo {ratio:.2f}): in "
            f"effect class-balanced resampling; most favoured classes {top}."
        )
    return (
        f"  {method}: class probabilities varied (hi/lo {ratio:.2f}); "
        f"most favoured classes {top}."
    )


def render(result):
    """The whole terminal report.

    Parameters
    ----------
    result : CompareResult or Mapping
        As built by :func:`skvitalroute.compare.compare` (or a mapping of
        its keys, such as a loaded ``results.json``).

    Returns
    -------
    text : str
    """
    result = CompareResult.from_mapping(result)
    parts = [
        result.title,
        result.task,
        result.settings_line,
        "",
        metrics_table(result),
    ]
    extras = [paired_table(result), vitality_table(result), *result.sections]
    for extra in extras:
        if extra:
            parts += ["", extra]
    parts += [""] + result.notes
    return "\n".join(parts).rstrip() + "\n"


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and math.isnan(obj):
        return None
    return obj


def summary_rows(result):
    """Rows of ``results.csv``: one per method, sorted as the table."""
    rows = []
    for m in method_order(result):
        s = result.summary[m]
        row = {"method": m, "n_fits": s["n"]}
        for k in result.metrics:
            row[f"{k}_mean"], row[f"{k}_std"] = s[k]
        for k in result.paired_metrics:
            p = result.paired.get(m, {}).get(k)
            for stat in ("mean", "ci_low", "ci_high", "p_value"):
                row[f"{k}_diff_vs_{result.baseline}_{stat}"] = (
                    "" if p is None else p[stat]
                )
        vit = result.vitality.get(m, {})
        row["route"] = ";".join(vit.get("routes", {}))
        for key in ("stress_lo", "stress_hi", "prob_lo", "prob_hi"):
            row[f"class_{key}"] = vit.get(key, "")
        rows.append(row)
    return rows


def fold_rows(result):
    """Rows of ``folds.csv``: one per fit, with per-class recall columns."""
    rows = []
    for r in result.records:
        row = {k: v for k, v in r.items() if k not in ("per_class_recall", "vitality")}
        for c, rec in zip(result.classes, r["per_class_recall"], strict=True):
            row[f"recall_{c}"] = rec
        row["route"] = r.get("vitality", {}).get("route", "")
        rows.append(row)
    return rows


def _write_csv(path, rows):
    """Write dict rows; columns are the union over rows, nested values as JSON."""
    fields = list(dict.fromkeys(k for row in rows for k in row))
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, restval="")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    k: json.dumps(_jsonable(v)) if isinstance(v, dict | list) else v
                    for k, v in row.items()
                }
            )


def _have_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def write_outputs(result, out_dir):
    """Write ``results.csv``, ``folds.csv``, ``results.json`` and ``comparison.png``.

    Every file is written under a temporary name and renamed once all are
    complete; on any failure (also ``KeyboardInterrupt``) nothing is left:
    no temporary file, no file of this call, no folder it created.

    Parameters
    ----------
    result : CompareResult or Mapping
        The comparison result (or a mapping of its keys).
    out_dir : str or Path
        Created when missing.

    Returns
    -------
    paths : list of Path
        The files written (the figure is skipped without matplotlib).
    """
    result = CompareResult.from_mapping(result)
    payload = dict(result)  # the result's keys, in order, and the report
    payload["report"] = render(result)
    text = json.dumps(_jsonable(payload), indent=2) + "\n"
    writers = [
        ("results.csv", lambda p: _write_csv(p, summary_rows(result))),
        ("folds.csv", lambda p: _write_csv(p, fold_rows(result))),
        ("results.json", lambda p: p.write_text(text)),
    ]
    if _have_matplotlib():
        writers.append(("comparison.png", lambda p: plot_comparison(result, p)))
    return write_files(out_dir, writers)


def plot_comparison(result, path):
    """Save :func:`comparison_figure` as a PNG.

    Parameters
    ----------
    result : CompareResult
        The comparison result.
    path : str or Path
        PNG file.

    Returns
    -------
    path : Path or None
        None when matplotlib is not installed.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig = comparison_figure(result)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def comparison_figure(result):
    """The comparison as a figure: scores, differences to the baseline, recall.

    Left, mean ± std bars of the headline and minority metrics on the whole
    0-100 % scale (error bars clipped to it), the baseline's mean marked;
    middle, the paired differences to the baseline in percentage points
    with their 95 % intervals (where small gaps can be read); right, the
    per-class recall. The title gives the data and the settings.

    Parameters
    ----------
    result : CompareResult
        The comparison result.

    Returns
    -------
    figure : matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    order = method_order(result)
    paired = bool(result.paired)
    widths = [1, 0.8, 1.25] if paired else [1, 1.25]
    fig, axes = plt.subplots(
        1,
        len(widths),
        figsize=(5.2 * sum(widths), 0.42 * len(order) + 3.4),
        gridspec_kw={"width_ratios": widths},
        layout="constrained",
    )
    _bars(axes[0], result, order)
    if paired:
        _differences(axes[1], result, order)
    fig.colorbar(_heatmap(axes[-1], result, order), ax=axes[-1])
    # one legend under the panels (the colours mean the same in both), never
    # over a bar
    fig.legend(
        *axes[0].get_legend_handles_labels(),
        loc="outside lower center",
        ncol=3,
        fontsize=8,
        frameon=False,
    )
    fig.suptitle(_figure_title(result), fontsize=9, ha="left", x=0.01)
    return fig


def _figure_title(result):
    lines = [f"{result.title} (skvitalroute {__version__})"]
    for text in (result.task, result.settings_line):
        lines += textwrap.wrap(text, 190)
    return "\n".join(lines)


def _bars(ax, result, order):
    """Mean ± std bars of the headline and minority metrics, best on top."""
    bottom_up = order[::-1]
    pos = np.arange(len(order))
    bars = [result.metrics[0], result.paired_metrics[1]]
    summary = result.summary
    for i, k in enumerate(bars):
        means = np.array([100 * summary[m][k][0] for m in bottom_up])
        stds = np.array([100 * summary[m][k][1] for m in bottom_up])
        # a score cannot leave [0, 100]: clip the whiskers, not the data
        xerr = [np.minimum(stds, means), np.minimum(stds, 100 - means)]
        ax.barh(
            pos + (0.5 - i) * 0.4,
            means,
            0.4,
            xerr=xerr,
            capsize=2,
            color=f"C{i}",
            label=_LABELS[k],
        )
    baseline = result.baseline
    if baseline in summary:
        ax.axvline(
            100 * summary[baseline][bars[0]][0],
            color="0.3",
            ls="--",
            lw=1,
            label=f"{baseline} (baseline), {_LABELS[bars[0]]}",
        )
    ax.set_yticks(pos, [_tick(m, baseline) for m in bottom_up])
    _bold_baseline(ax, baseline)
    ax.set_xlim(0, 100)
    ax.set_ylim(-0.6, len(order) - 0.4)
    ax.set_xlabel("% (mean ± std over splits, clipped to 0-100)")
    ax.set_title("Scores, sorted by " + _LABELS[bars[0]].rstrip(" %"), fontsize=10)


def _tick(method, baseline):
    return f"{method} (baseline)" if method == baseline else method


def _bold_baseline(ax, baseline):
    for label in ax.get_yticklabels():
        if label.get_text() == _tick(baseline, baseline):
            label.set_fontweight("bold")


def _differences(ax, result, order):
    """Paired differences to the baseline (pp), 95 % intervals, best on top."""
    bottom_up = order[::-1]
    pos = np.arange(len(order))
    baseline, paired = result.baseline, result.paired
    for i, k in enumerate(result.paired_metrics):
        shown = [(p, paired[m][k]) for p, m in enumerate(bottom_up) if m in paired]
        if not shown:
            continue
        y = np.array([p for p, _ in shown]) + (0.5 - i) * 0.4
        mean = np.array([100 * d["mean"] for _, d in shown])
        lo = np.array([100 * d["ci_low"] for _, d in shown])
        hi = np.array([100 * d["ci_high"] for _, d in shown])
        err = np.nan_to_num([mean - lo, hi - mean])  # no interval from one split
        ax.errorbar(mean, y, xerr=err, fmt="o", ms=4, capsize=2, color=f"C{i}")
    ax.axvline(0, color="0.3", ls="--", lw=1)
    ax.set_yticks(pos, [_tick(m, baseline) for m in bottom_up])
    _bold_baseline(ax, baseline)
    ax.set_ylim(-0.6, len(order) - 0.4)
    ax.set_xlabel(f"method - {baseline}, pp (mean, 95 % interval over splits)")
    ax.set_title(
        f"Paired difference to {baseline} (dashed: no difference)", fontsize=10
    )


def _heatmap(ax, result, order):
    """Per-class recall (mean over splits), one row per method, best on top."""
    records = result.records
    recall = 100 * np.array(
        [
            np.mean(
                [r["per_class_recall"] for r in records if r["method"] == m], axis=0
            )
            for m in order
        ]
    )
    im = ax.imshow(recall, aspect="auto", cmap="viridis")
    ax.set_yticks(np.arange(len(order)), order)
    if recall.size <= 400:
        for (i, j), value in np.ndenumerate(recall):
            color = "white" if value < recall.mean() else "black"
            ax.text(
                j, i, f"{value:.0f}", ha="center", va="center", fontsize=7, color=color
            )
    classes = [str(c) for c in result.classes]
    ax.set_xticks(np.arange(len(classes)), classes)
    ax.set_xlabel("class (minority: " + ", ".join(map(str, result.minority)) + ")")
    ax.set_title("Per-class recall % (mean over splits)", fontsize=10)
    return im
