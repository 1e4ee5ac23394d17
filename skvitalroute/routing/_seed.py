"""The seed's rule table, router ``"vitalroute"``.

The original package's rules, kept by name so that its plans are
reproducible plan for plan (docs/router.md, "The seed's rule table"); every
threshold is a keyword argument of :func:`route_plan` and a
``router__<name>`` parameter of the classifier. Measured on the
calibration suite it trails the default router (docs/router.md).
"""

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, validate_params

from skvitalroute.routing._plan import RoutePlan
from skvitalroute.routing._profile import TaskProfile

# With transfer on a small task, an imbalance milder than this does not need
# the class sampler (only reachable when imbalance_threshold > 0.5).
_MILD_RATIO = 0.5


_COUNT = Interval(Integral, 0, None, closed="left")


@validate_params(
    {
        "profile": [TaskProfile],
        "parent_pool_available": ["boolean"],
        "imbalance_threshold": [Interval(Real, 0, 1, closed="both")],
        "min_class_for_sampler": [_COUNT],
        "max_samples_for_transfer": [_COUNT],
        "max_min_class_for_transfer": [_COUNT],
        "min_samples_for_lr_scale": [_COUNT],
        "min_samples_for_hard_sampler": [_COUNT],
    },
    prefer_skip_nested_validation=True,
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
    """Choose training tactics with the seed's rule table (router "vitalroute").

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
        The chosen tactics, their label and the reason for each. The seed's
        monitor always resets dead units, so ``"reset"`` is among the
        tactics (it is not part of the label).

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
    reasons["tilt"] = "not in the seed's table"
    reasons["reset"] = "the seed's monitor always resets dead units"
    chosen = [
        name
        for name, on in (
            ("transfer", use_transfer),
            ("class", use_class),
            ("hard", use_hard),
            ("lr_scale", use_lr),
        )
        if on
    ]
    return RoutePlan(tactics=(*chosen, "reset"), reasons=reasons, router="vitalroute")
