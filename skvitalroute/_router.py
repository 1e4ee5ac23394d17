"""Router: read the shape of the training labels and choose tactics.

The rules are those of the design (SPEC §4); every threshold is a keyword
argument of :func:`route_plan` so that a grid search can tune it.
"""

from dataclasses import dataclass, field

import numpy as np
from sklearn.utils.validation import column_or_1d

_TACTIC_ORDER = ("transfer", "class", "hard", "lr_scale")
# SPEC §4: with transfer on a small task, an imbalance milder than this does not
# need the class sampler (only reachable when imbalance_threshold > 0.5).
_MILD_RATIO = 0.5


@dataclass(frozen=True)
class TaskProfile:
    """Shape of a classification task's training labels.

    Parameters
    ----------
    n_samples : int
        Number of labelled rows.
    n_classes : int
        Number of distinct labels.
    classes : ndarray of shape (n_classes,)
        The sorted distinct labels.
    class_counts : ndarray of shape (n_classes,)
        Rows per class, in the order of ``classes``.

    Attributes
    ----------
    min_count : int
        Rows of the smallest class.
    max_count : int
        Rows of the largest class.
    ratio : float
        ``min_count / max_count``, in (0, 1].

    See Also
    --------
    profile_task : Build a profile from labels.
    """

    n_samples: int
    n_classes: int
    classes: np.ndarray = field(repr=False)
    class_counts: np.ndarray = field(repr=False)

    @property
    def min_count(self):
        return int(self.class_counts.min())

    @property
    def max_count(self):
        return int(self.class_counts.max())

    @property
    def ratio(self):
        return self.min_count / self.max_count


@dataclass(frozen=True)
class RoutePlan:
    """Which tactics the router switched on, and why.

    Parameters
    ----------
    use_class_sampler : bool
        Class-stress resampling ("imbalance").
    use_hard_sampler : bool
        Hard-sample resampling ("hard").
    use_lr_scale : bool
        Per-layer learning-rate damping ("lr_scale").
    use_transfer : bool
        Label-free transfer warm-start ("transfer").
    reasons : dict of str to str
        A readable explanation for each tactic, keyed by ``"class"``,
        ``"hard"``, ``"lr_scale"``, ``"transfer"`` and ``"monitor"``.
    use_monitor : bool, default=True
        The vitality monitor (and dead-unit reset) is always on.

    Attributes
    ----------
    label : str
        The active tactics joined by ``"+"`` in the order transfer,
        imbalance or hard, lr_scale; ``"monitor"`` when none is on.
    tactics : tuple of str
        The active tactics as accepted by ``VitalRouteClassifier(tactics=...)``.
    """

    use_class_sampler: bool
    use_hard_sampler: bool
    use_lr_scale: bool
    use_transfer: bool
    reasons: dict = field(default_factory=dict, compare=False)
    use_monitor: bool = True

    @property
    def tactics(self):
        on = {
            "transfer": self.use_transfer,
            "class": self.use_class_sampler,
            "hard": self.use_hard_sampler,
            "lr_scale": self.use_lr_scale,
        }
        return tuple(t for t in _TACTIC_ORDER if on[t])

    @property
    def label(self):
        names = {"class": "imbalance"}
        parts = [names.get(t, t) for t in self.tactics]
        return "+".join(parts) if parts else "monitor"

    def explain(self):
        """Return the plan as readable text, one line per tactic.

        Returns
        -------
        text : str
            ``"<label>"`` followed by one ``"- tactic: on/off (reason)"`` line
            per tactic.
        """
        on = dict.fromkeys(self.tactics, True)
        lines = [f"route: {self.label}"]
        for tactic in (*_TACTIC_ORDER, "monitor"):
            state = "on" if on.get(tactic, tactic == "monitor") else "off"
            lines.append(f"- {tactic}: {state} ({self.reasons.get(tactic, '')})")
        return "\n".join(lines)


def profile_task(y):
    """Profile the training labels of a classification task.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels of any type (integers, strings, ...); classes are inferred.

    Returns
    -------
    profile : TaskProfile
        Counts per class and the imbalance ratio.

    Examples
    --------
    >>> from skvitalroute import profile_task
    >>> p = profile_task(["a"] * 30 + ["b"] * 10)
    >>> p.n_samples, p.n_classes, p.min_count, p.max_count, round(p.ratio, 3)
    (40, 2, 10, 30, 0.333)
    """
    y = column_or_1d(y, warn=True)
    if y.shape[0] == 0:
        raise ValueError("profile_task needs at least one label; got an empty y.")
    classes, counts = np.unique(y, return_counts=True)
    return TaskProfile(
        n_samples=int(y.shape[0]),
        n_classes=int(classes.shape[0]),
        classes=classes,
        class_counts=counts,
    )


def route_plan(
    profile,
    parent_pool_available=False,
    *,
    imbalance_threshold=0.25,
    min_class_for_sampler=15,
    max_samples_for_transfer=200,
    max_min_class_for_transfer=12,
    min_samples_for_lr_scale=80,
    min_samples_for_hard_sampler=40,
):
    """Choose training tactics from a task profile (SPEC §4).

    Parameters
    ----------
    profile : TaskProfile
        The output of :func:`profile_task`.
    parent_pool_available : bool, default=False
        Whether a pool of parent networks is given for transfer.
    imbalance_threshold : float, default=0.25
        The class sampler needs ``ratio < imbalance_threshold``.
    min_class_for_sampler : int, default=15
        ... and ``min_count >= min_class_for_sampler``.
    max_samples_for_transfer : int, default=200
        Transfer when ``n_samples <= max_samples_for_transfer`` ...
    max_min_class_for_transfer : int, default=12
        ... or ``min_count <= max_min_class_for_transfer`` (pool needed).
    min_samples_for_lr_scale : int, default=80
        LR scaling needs ``n_samples >= min_samples_for_lr_scale``.
    min_samples_for_hard_sampler : int, default=40
        The hard sampler needs ``n_samples >= min_samples_for_hard_sampler``.

    Returns
    -------
    plan : RoutePlan
        The chosen tactics, their label and the reason for each.

    Examples
    --------
    >>> from skvitalroute import profile_task, route_plan
    >>> route_plan(profile_task([0] * 3000 + [1] * 400)).label
    'imbalance'
    >>> route_plan(profile_task([0] * 80 + [1] * 80), True).label
    'transfer+hard+lr_scale'
    """
    n, k = profile.n_samples, profile.n_classes
    lo, ratio = profile.min_count, profile.ratio
    multi = k > 1
    reasons = {}

    use_class = ratio < imbalance_threshold and lo >= min_class_for_sampler and multi
    reasons["class"] = (
        f"ratio {ratio:.3f} {'<' if ratio < imbalance_threshold else '>='} "
        f"{imbalance_threshold}, min class {lo} "
        f"{'>=' if lo >= min_class_for_sampler else '<'} {min_class_for_sampler}, "
        f"{k} classes"
    )

    small = n <= max_samples_for_transfer or lo <= max_min_class_for_transfer
    use_transfer = bool(parent_pool_available) and small
    reasons["transfer"] = (
        f"parent pool {'given' if parent_pool_available else 'not given'}; "
        f"n={n} (<= {max_samples_for_transfer}: {n <= max_samples_for_transfer}), "
        f"min class {lo} (<= {max_min_class_for_transfer}: "
        f"{lo <= max_min_class_for_transfer})"
    )
    few_rows = n <= max_samples_for_transfer
    if use_transfer and use_class and ratio >= _MILD_RATIO and few_rows:
        use_class = False
        reasons["class"] += "; off: transfer on a small, mildly imbalanced task"

    use_lr = not use_class and n >= min_samples_for_lr_scale and multi
    reasons["lr_scale"] = (
        f"class sampler {'on' if use_class else 'off'}, n={n} "
        f"{'>=' if n >= min_samples_for_lr_scale else '<'} {min_samples_for_lr_scale}"
    )
    use_hard = not use_class and n >= min_samples_for_hard_sampler and multi
    reasons["hard"] = (
        f"class sampler {'on' if use_class else 'off'}, n={n} "
        f"{'>=' if n >= min_samples_for_hard_sampler else '<'} "
        f"{min_samples_for_hard_sampler}"
    )
    reasons["monitor"] = "always on"
    return RoutePlan(
        use_class_sampler=bool(use_class),
        use_hard_sampler=bool(use_hard),
        use_lr_scale=bool(use_lr),
        use_transfer=bool(use_transfer),
        reasons=reasons,
    )
