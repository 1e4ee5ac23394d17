"""The default router, chosen by the calibration benchmark (docs/router.md).

Its rules come from ``benchmarks/calibrate_router.py`` and
``benchmarks/choose_router.py`` on the calibration suite (never on the
acceptance sets); every threshold is a keyword argument, so
``router__<name>`` tunes it in a grid search.
"""

import math
from numbers import Integral

from sklearn.utils._param_validation import Interval, validate_params

from skvitalroute.routing._plan import RoutePlan
from skvitalroute.routing._profile import TaskProfile


def _budget_epochs(n, batch_size, min_steps, min_epochs, max_epochs):
    """Epochs giving at least ``min_steps`` optimizer steps, within bounds."""
    per_epoch = max(1, math.ceil(n / batch_size))
    return int(min(max_epochs, max(min_epochs, math.ceil(min_steps / per_epoch))))


@validate_params(
    {
        "profile": [TaskProfile],
        "parent_pool_available": ["boolean"],
        "min_steps": [Interval(Integral, 0, None, closed="left")],
        "min_epochs": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def default_route(
    profile,
    parent_pool_available=False,
    *,
    min_steps=2000,
    min_epochs=30,
    max_epochs=500,
    batch_size=64,
):
    """Choose the rebalancing, the training budget and the tactics (router "default").

    Rules (each measured on the calibration suite, docs/router.md):

    - rebalancing: the logit-adjusted loss (Menon et al., 2021) on every
      task with more than one class; on balanced labels its adjustment is
      zero, so imbalanced labels are always rebalanced, whatever the size
      of the smallest class;
    - budget: at least ``min_steps`` optimizer steps, i.e. ``max_epochs =
      clip(ceil(min_steps / ceil(n / batch_size)), min_epochs, max_epochs)``;
    - tactics: none of the vitality tactics earned a place (hard-sample and
      class-stress resampling, LR scaling, dead-unit reset), so none is on;
      transfer is not routed (pass ``tactics=("transfer",)``).

    Parameters
    ----------
    profile : TaskProfile
        The output of :func:`~skvitalroute.profile_task`.
    parent_pool_available : bool, default=False
        Whether a pool of parent networks is given (reported, not routed).
    min_steps : int, default=2000
        Fewest optimizer steps of a fit.
    min_epochs : int, default=30
        Fewest epochs.
    max_epochs : int, default=500
        Most epochs.
    batch_size : int, default=64
        Batch size the budget assumes (the classifier passes its own).

    Returns
    -------
    plan : RoutePlan
        ``settings`` holds ``loss`` and ``max_epochs``.

    Examples
    --------
    >>> from skvitalroute import profile_task
    >>> from skvitalroute.routing import default_route
    >>> plan = default_route(profile_task([0] * 150 + [1] * 10))
    >>> plan.label, plan.settings["max_epochs"]
    ('logit_adjusted', 500)
    """
    n, k = profile.n_samples, profile.n_classes
    reasons = {}
    settings = {}
    if k > 1:
        settings["loss"] = "logit_adjusted"
        reasons["loss"] = (
            f"rebalancing: ratio {profile.ratio:.3f} (min class {profile.min_count}); "
            "logit adjustment ranked first on the calibration suite"
        )
    epochs = _budget_epochs(n, batch_size, min_steps, min_epochs, max_epochs)
    settings["max_epochs"] = epochs
    per_epoch = max(1, math.ceil(n / batch_size))
    reasons["max_epochs"] = (
        f"budget: n={n}, {per_epoch} steps an epoch; at least {min_steps} steps "
        f"within [{min_epochs}, {max_epochs}] epochs"
    )
    off = "no calibration win"
    reasons.update(
        transfer=(
            "parent pool given: your request (not calibrated, docs/router.md)"
            if parent_pool_available
            else "parent pool not given"
        ),
        **{"class": off, "hard": off, "lr_scale": off, "reset": off},
        monitor="always on (records only)",
    )
    tactics = ("transfer",) if parent_pool_available else ()
    return RoutePlan(
        tactics=tactics, settings=settings, reasons=reasons, router="default"
    )
