"""The ``scarce`` scenario: few rows a class, balanced.

The hard-sample and LR-scaling tactics the seed's router picks there, each
also on its own.
"""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

from skvitalroute.compare._data import Task
from skvitalroute.compare.scenarios._common import fit_jobs

DEFAULT_METHODS = (
    "uniform",
    "focal",
    "vitalroute",
    "vitalroute_seed",
    "vitalroute_seed_blind",
    "logreg_balanced",
)
#: Variants of the default run only: one tactic forced.
ONE_TACTIC = {
    "hard_only": ("vitalroute", {"net_params": {"tactics": ("hard",)}}),
    "lr_scale_only": ("vitalroute", {"net_params": {"tactics": ("lr_scale",)}}),
}


def scarce_task(per_class=10):
    """Digits, ``per_class`` training rows a class; every class counts as minority.

    Parameters
    ----------
    per_class : int, default=10
        Training rows per class (the splits draw them).

    Returns
    -------
    task : Task
    """
    X, y = load_digits(return_X_y=True)
    classes = np.unique(y)
    desc = (
        f"sklearn digits, {per_class} training rows a class (balanced, "
        f"{per_class * len(classes)} rows), tested on every other row; "
        "all classes count as 'minority'"
    )
    keep = {c: 1.0 for c in classes}
    return Task("scarce", X, y, classes, keep, list(classes), StandardScaler(), desc)


def scarce_section(result):
    """The seed router's route on the scarce labels, and what the variants force.

    Parameters
    ----------
    result : CompareResult
        The scenario's result.

    Returns
    -------
    text : str
    """
    routes = result.vitality.get("vitalroute_seed", {}).get("routes", {})
    return (
        "Seed router on the scarce labels: "
        + (", ".join(routes) or "(vitalroute_seed not run)")
        + ". vitalroute_seed_blind keeps that route but draws rows uniformly "
        "(tactic__hard__beta=0); hard_only / lr_scale_only force one tactic."
    )


def run_scarce(options, *, per_class=10):
    """The ``scarce`` scenario (60 epochs, 5 draws x 2 seeds by default).

    Parameters
    ----------
    options : ScenarioOptions
        The run's options.
    per_class : int, default=10
        Training rows a class.

    Returns
    -------
    result : CompareResult
        Paired against ``uniform``, with the route section.
    """
    task = scarce_task(per_class)
    config = options.net_config(60)
    splits, how = options.draw_splits(task.y, per_class)
    jobs = fit_jobs(task, splits, config, options.variants(DEFAULT_METHODS, ONE_TACTIC))
    result = options.run("scarce", task, jobs, config, how=how, baseline="uniform")
    result.sections.append(scarce_section(result))
    return result
