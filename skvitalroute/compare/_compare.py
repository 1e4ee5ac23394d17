"""One comparison: run the fits, aggregate, test against the baseline."""

import time

from skvitalroute.compare._data import CompareError
from skvitalroute.compare._methods import (
    NetConfig,
    build_method,
    describe,
    routed_methods,
)
from skvitalroute.compare._metrics import (
    CV_METRICS,
    HOLDOUT_METRICS,
    aggregate,
    compare_to_baseline,
    paired_differences,
    paired_test,
    summarize_vitality,
)
from skvitalroute.compare._result import CompareResult
from skvitalroute.compare._run import fit_one, make_splits, run_fits
from skvitalroute.routing import profile_task
from skvitalroute.routing._estimator import estimator_route

BASELINE = "inv_freq"


def compare(
    task,
    methods,
    config=None,
    *,
    protocol="cv",
    folds=5,
    seeds=(0, 1, 2),
    test_size=0.25,
    n_jobs=1,
    quiet=False,
    baseline=BASELINE,
    title=None,
):
    """Fit ``methods`` on ``task`` and gather everything the report shows.

    Parameters
    ----------
    task : Task
        The data (see :func:`~skvitalroute.compare.digits_task`).
    methods : list of str
        Method names (:data:`~skvitalroute.compare.METHODS`).
    config : NetConfig, default=None
        Shared network settings; ``None`` uses the defaults.
    protocol : {"cv", "holdout"}, default="cv"
        Repeated stratified k-fold, or the original study's holdout split.
    folds : int, default=5
        Folds per repeat (``"cv"``).
    seeds : sequence of int, default=(0, 1, 2)
        Repeats.
    test_size : float, default=0.25
        Test share (``"holdout"``).
    n_jobs : int, default=1
        Parallel fits (joblib).
    quiet : bool, default=False
        No progress bar.
    baseline : str, default="inv_freq"
        Reference of the paired comparison.
    title : str, default=None
        First line of the report.

    Returns
    -------
    result : CompareResult
        ``records`` (one per fit), ``summary`` (mean, std per method and
        metric), ``paired`` (tests against ``baseline``), ``vitality``
        (what the tactics read), the settings, the lines of the report and
        ``elapsed`` (seconds); also readable as a mapping of these keys.
    """
    if not methods:
        raise CompareError("methods is empty: give at least one method name.")
    config = config or NetConfig()
    seeds = list(seeds)
    start = time.perf_counter()
    splits = make_splits(
        task, protocol=protocol, folds=folds, seeds=seeds, test_size=test_size
    )
    jobs = [(fit_one, (task, m, s, config), {}) for m in methods for s in splits]
    records = run_fits(jobs, n_jobs=n_jobs, quiet=quiet)
    if protocol == "holdout":
        how = f"holdout: {len(seeds)} stratified splits (test share {test_size:g})"
    else:
        how = f"{folds}-fold stratified CV x {len(seeds)} seeds = {len(splits)} splits"
    settings = {
        "folds": folds,
        "seeds": seeds,
        "test_size": test_size,
        "n_jobs": n_jobs,
    }
    result = assemble(
        task,
        records,
        config,
        how=how,
        protocol=protocol,
        baseline=baseline,
        title=title,
        settings=settings,
    )
    result.notes = route_notes(task, splits, methods, config) + result.notes
    result.elapsed = time.perf_counter() - start
    return result


def assemble(
    task,
    records,
    config,
    *,
    how,
    protocol="cv",
    baseline=BASELINE,
    title=None,
    settings=None,
):
    """Aggregate fit records into the result the report and files show.

    Parameters
    ----------
    task : Task
        The data the records were measured on.
    records : list of dict
        :func:`~skvitalroute.compare._run.fit_one` records.
    config : NetConfig
        Shared network settings.
    how : str
        One line on the splits (shown in the report).
    protocol : {"cv", "holdout"}, default="cv"
        Chooses the metrics: balanced accuracy, macro-F1 and minority
        recall, or the original study's overall and minority accuracy.
    baseline : str, default="inv_freq"
        Reference of the paired comparison.
    title : str, default=None
        First line of the report.
    settings : dict, default=None
        Extra settings stored with the result.

    Returns
    -------
    result : CompareResult
    """
    metrics = HOLDOUT_METRICS if protocol == "holdout" else CV_METRICS
    paired_metrics = (
        ("accuracy", "minority_accuracy")
        if protocol == "holdout"
        else ("balanced_accuracy", "minority_recall")
    )
    methods = list(dict.fromkeys(r["method"] for r in records))
    sections = (
        [signal_section(records, paired_metrics)] if _has_control(methods) else []
    )
    return CompareResult(
        title=title or "skvitalroute compare",
        task=task.description,
        protocol=protocol,
        settings={
            **(settings or {}),
            "epochs": config.epochs,
            "hidden_units": list(config.hidden_units),
            "lr": config.lr,
            "batch_size": config.batch_size,
            "methods": {m: describe(m) for m in methods},
        },
        settings_line=(
            f"{how}; every neural method: MLP {tuple(config.hidden_units)}, "
            f"{_epochs_text(config.epochs)}, Adam lr={config.lr:g}, "
            f"batch {config.batch_size}; inputs standardized"
        ),
        classes=list(task.classes),
        minority=list(task.minority),
        metrics=list(metrics),
        paired_metrics=list(paired_metrics),
        baseline=baseline,
        records=records,
        summary=aggregate(records, metrics),
        paired=compare_to_baseline(records, baseline, paired_metrics),
        vitality=summarize_vitality(records, len(task.classes)),
        sections=sections,
        notes=list(task.notes),
    )


def _epochs_text(epochs):
    if epochs is not None:
        return f"{epochs} epochs"
    return "30 epochs (the routed vitalroute methods: the router's budget)"


SIGNAL_PAIR = ("vitalroute_seed", "vitalroute_seed_blind")


def _has_control(methods):
    return all(m in methods for m in SIGNAL_PAIR)


def signal_section(records, metrics):
    """The signal-off control: ``vitalroute_seed`` minus ``vitalroute_seed_blind``.

    Both route the same way and resample the same number of rows; only the
    stress signal differs (``tactic__class__beta=0``,
    ``tactic__hard__beta=0`` in the control), so this difference is what
    the vitality signal itself adds.
    """
    parts = []
    for metric in metrics:
        p = paired_test(paired_differences(records, *SIGNAL_PAIR, metric))
        parts.append(
            f"{metric} {100 * p['mean']:+.2f} pp [{100 * p['ci_low']:+.2f}, "
            f"{100 * p['ci_high']:+.2f}], Wilcoxon p {p['p_value']:.3g}"
        )
    return (
        "Signal on vs off (vitalroute_seed - vitalroute_seed_blind, same route, "
        "same splits): " + "; ".join(parts) + "."
    )


def route_notes(task, splits, methods=None, config=None):
    """Training rows per class and the router's decision, as report lines.

    Parameters
    ----------
    task : Task
        The data.
    splits : list of Split
        The first one is described.
    methods : sequence of str, default=None
        The methods run; the router's decision is shown only when one of
        them is routed (``tactics="auto"``). ``None``: always shown.
    config : NetConfig, default=None
        The run's network settings (the plan depends on a fixed budget,
        the batch size and the learning rate); ``None``: the defaults.

    Returns
    -------
    lines : list of str
    """
    if not splits:
        return []
    y = task.y[splits[0].train]
    counts = ", ".join(f"{c}:{(y == c).sum()}" for c in task.classes)
    lines = [f"Training rows per class (first split): {counts}"]
    routed = routed_methods(methods) if methods is not None else ["vitalroute"]
    if not routed:
        return lines
    profile = profile_task(y)
    seed = [m for m in routed if m.startswith("vitalroute_seed")]
    default = [m for m in routed if m not in seed]
    config = NetConfig() if config is None else config
    for names in (default, seed):
        if names:
            # the plan the first method's net makes (the user's settings win)
            pipe = build_method(names[0], task.preprocessor, config, random_state=0)
            plan = estimator_route(pipe.named_steps["model"], profile)
            lines += [
                f"Router on these labels ({', '.join(names)}, tactics='auto'):",
                *("  " + line for line in plan.explain().splitlines()),
            ]
    return lines
