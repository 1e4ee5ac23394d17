"""The default router, chosen by the calibration benchmark (docs/router.md).

Its rules come from ``benchmarks/calibrate_router.py`` and
``benchmarks/choose_router.py`` on the calibration suite (never on the
acceptance sets); every threshold is a keyword argument, so
``router__<name>`` tunes it in a grid search.
"""

import math
from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from skvitalroute.routing._plan import RoutePlan
from skvitalroute.routing._profile import TaskProfile
from skvitalroute.routing._race import CANDIDATES, race_rows, steps_per_epoch

#: Fewest optimizer steps of a user-fixed budget for the logit-adjusted loss
#: (benchmarks/choose_router.py --budgets, docs/router.md "Calibration").
#: Off (0) by default: the switch gave a fold and the refit on all rows
#: different losses, for a gain whose interval included zero (issue 23).
SHORT_STEPS = 0
#: The race's defaults (benchmarks/choose_race.py; docs/router.md,
#: "The race"). On by default: the leave-one-data-set-out choice among 382
#: race rules on the calibration suite, chosen for all 40 sets; measured as
#: VitalRouteClassifier fits on 400 splits, +0.66 pp over the fixed plan
#: (95 % CI [-0.52, +1.85]) at about three times the fit time.
RACE_CANDIDATES = ("default", "wd10")
RACE_MAX_ROWS = 5000
RACE_HOLDOUT = 0.25
RACE_MARGIN = 0.01
RACE_CHECKPOINTS = (1.0,)
RACE_SCORING = "balanced_log_loss"
#: what the race scores the held-out rows by
RACE_SCORINGS = ("balanced_log_loss", "balanced_accuracy")
#: The forest blend: the network's probabilities averaged with a balanced
#: random forest's (benchmarks/calibrate_forest.py;
#: docs/router.md, "The forest blend"). On the calibration suite (40 sets,
#: 400 splits) the equal-weight blend scored +0.79 pp over the network
#: alone (95 % CI [+0.18, +1.41]) and +2.11 pp over the balanced random
#: forest alone ([+0.77, +3.44]); the weight 0.5 was also the
#: leave-one-data-set-out choice among 0.3, 0.5 and 0.7 on all 40 sets.
FOREST_WEIGHT = 0.5
FOREST_TREES = 100
#: Above this many rows the forest gets proportionally fewer trees (at least
#: FOREST_MIN_TREES), so that it costs about what 100 trees cost on 5000
#: rows: a cost rule (above 5000 rows a fit should cost at most twice the
#: network's), measured in docs/router.md, "The forest blend".
FOREST_ROWS = 5000
FOREST_MIN_TREES = 10


def _steps(n):
    return f"{n} step" if n == 1 else f"{n} steps"


@validate_params(
    {
        "profile": [TaskProfile],
        "parent_pool_available": ["boolean"],
        "min_steps": [Interval(Integral, 0, None, closed="left")],
        "min_epochs": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "weight_decay_rows": [Interval(Real, 0, None, closed="left")],
        "max_weight_decay": [Interval(Real, 0, None, closed="left")],
        "tilt": ["boolean"],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "epochs": [Interval(Integral, 1, None, closed="left"), None],
        "short_steps": [Interval(Integral, 0, None, closed="left")],
        "race": ["boolean"],
        "race_candidates": [tuple, list],
        "race_max_rows": [Interval(Integral, 0, None, closed="left")],
        "race_holdout": [Interval(Real, 0, 1, closed="neither")],
        "race_margin": [Interval(Real, 0, None, closed="left")],
        "race_checkpoints": [tuple, list],
        "race_scoring": [StrOptions(set(RACE_SCORINGS))],
        "forest_weight": [Interval(Real, 0, 1, closed="both")],
        "forest_trees": [Interval(Integral, 1, None, closed="left")],
        "forest_rows": [Interval(Integral, 1, None, closed="left")],
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
    weight_decay_rows=3000.0,
    max_weight_decay=1.0,
    tilt=False,
    lr=1e-3,
    epochs=None,
    short_steps=SHORT_STEPS,
    race=True,
    race_candidates=RACE_CANDIDATES,
    race_max_rows=RACE_MAX_ROWS,
    race_holdout=RACE_HOLDOUT,
    race_margin=RACE_MARGIN,
    race_checkpoints=RACE_CHECKPOINTS,
    race_scoring=RACE_SCORING,
    forest_weight=FOREST_WEIGHT,
    forest_trees=FOREST_TREES,
    forest_rows=FOREST_ROWS,
):
    """Choose the rebalancing, the training budget and the tactics (router "default").

    Each rule was chosen on the calibration suite, leaving each data set
    out in turn (docs/router.md, "Calibration"):

    - rebalancing: the logit-adjusted loss (Menon et al., 2021) on every
      task with more than one class. On balanced labels its adjustment is
      zero, so imbalanced labels are always rebalanced, whatever the size
      of the smallest class. When the user fixes the number of epochs
      (``epochs``) and the fit has fewer than ``short_steps`` optimizer
      steps, inverse-frequency class weights instead: logit adjustment
      trailed them on such short fits;
    - budget: at least ``min_steps`` optimizer steps, ``max_epochs =
      clip(ceil(min_steps / ceil(n / batch_size)), min_epochs, max_epochs)``;
    - regularisation: decoupled weight decay (AdamW) of
      ``min(max_weight_decay, weight_decay_rows / n) * 1e-3 / lr``: strong
      on small data, fading on large data; the ``1e-3 / lr`` keeps the
      shrink of each step (``lr * weight_decay``) what was calibrated at
      Adam's default rate. Only with the routed budget: on user-fixed
      budgets the decay did not help, so none is routed;
    - tactics: none of the vitality tactics earned a place (class-stress
      and hard-sample resampling, LR scaling, dead-unit reset, the class
      tilt), so none is routed; ``tilt=True`` opts into the class tilt
      (``router__tilt=True`` on the classifier); transfer is on when a
      parent pool is given (the pool is the user's request);
    - the race (on by default; in calibration it scored above the fixed
      plan, not significantly): with the routed budget and at most
      ``race_max_rows`` rows, the plan names ``race_candidates`` (variants
      of its capacity and regularisation) that the classifier trains on a
      stratified share of the rows and scores on the rest at
      ``race_checkpoints`` of their budget; the winner (the default plan
      unless beaten by more than ``race_margin``) is refitted on all rows
      (docs/router.md, "The race");
    - the forest blend (on by default; in calibration it scored above the
      network alone and above the forest alone, both significantly): after
      the network, ``fit`` trains imbalanced-learn's
      ``BalancedRandomForestClassifier`` on the same rows, and the
      classifier's probabilities are ``(1 - forest_weight)`` times the
      network's plus ``forest_weight`` times the forest's
      (docs/router.md, "The forest blend").

    Parameters
    ----------
    profile : TaskProfile
        The output of :func:`~skvitalroute.profile_task`.
    parent_pool_available : bool, default=False
        Whether a pool of parent networks is given.
    min_steps : int, default=2000
        Fewest optimizer steps of a fit.
    min_epochs : int, default=30
        Fewest epochs.
    max_epochs : int, default=500
        Most epochs (it wins over ``min_epochs`` and ``min_steps``).
    batch_size : int, default=64
        Batch size the budget counts steps in (the classifier passes its
        own ``batch_size``).
    weight_decay_rows : float, default=3000.0
        Weight decay is ``weight_decay_rows / n`` ...
    max_weight_decay : float, default=1.0
        ... at most this (0 switches weight decay off).
    tilt : bool, default=False
        Add the class tilt tactic (opt-in: no calibration win).
    lr : float, default=1e-3
        Learning rate the weight decay is scaled to (the classifier passes
        its own ``lr``).
    epochs : int or None, default=None
        The user's fixed number of epochs (the classifier passes its
        ``max_epochs`` when set); ``None`` routes the budget.
    short_steps : int, default=0
        With ``epochs`` given, a fit of fewer optimizer steps than this is
        short: it is rebalanced by inverse-frequency class weights
        (``class_weight="balanced"``) instead of the logit-adjusted loss
        (not with ``tilt=True``: the tilt needs the logit-adjusted loss).
        0, the default, never switches, so that a cross-validation fold
        and the refit on all rows get the same loss (235 was the
        calibrated threshold of earlier releases).
    race : bool, default=True
        Race plan variants on the task's own rows (docs/router.md, "The
        race"), where the budget is routed, there are at least two classes,
        no parent pool is given and ``n <= race_max_rows``. On the
        calibration suite it scored above the fixed plan, not
        significantly (a fit costs about three times as long);
        ``router__race=False`` trains the fixed plan.
    race_candidates : tuple of str, default=("default", "wd10")
        The variants raced, names of
        :data:`skvitalroute.routing._race.CANDIDATES`: ``"default"`` (the
        plan as routed), ``"h32"`` (one hidden layer of 32), ``"do3"``
        (dropout 0.3), ``"h32do3"``, ``"wd3"`` / ``"wd10"`` (3x / 10x the
        weight decay), ``"wd0"`` (no weight decay). The default pair was
        the leave-one-data-set-out choice among 382 rules
        (``benchmarks/choose_race.py``).
    race_max_rows : int, default=5000
        Largest training set that is raced (above it the race would cost
        more than twice a fit; the default plan runs).
    race_holdout : float, default=0.25
        Share of the rows held out (stratified) to score the candidates.
    race_margin : float, default=0.01
        How much better a challenger's held-out score must be than the
        default plan's to replace it (in nats of balanced log-loss, or in
        balanced accuracy, as ``race_scoring`` says).
    race_checkpoints : tuple of float, default=(1.0,)
        Fractions of each candidate's budget at which it is scored; more
        than one lets the race also pick the budget.
    race_scoring : {"balanced_log_loss", "balanced_accuracy"}, default="balanced_log_loss"
        What the held-out rows are scored by: the log-loss of the
        predicted probabilities with each class weighing the same
        (scikit-learn's ``log_loss`` with balanced sample weights, lower is
        better), or balanced accuracy. The log-loss reads more than the
        argmax on a small held-out share, and was the leave-one-out choice.
    forest_weight : float, default=0.5
        Weight of the balanced random forest in the predicted
        probabilities; 0 trains the network alone (``router__forest_weight=0``).
    forest_trees : int, default=100
        Number of trees of the forest, up to ``forest_rows`` rows.
    forest_rows : int, default=5000
        Above this many rows the forest gets ``forest_trees * forest_rows /
        n`` trees (rounded up, at least 10 or ``forest_trees`` if fewer):
        its cost stays about that of ``forest_trees`` trees on
        ``forest_rows`` rows.

    Returns
    -------
    plan : RoutePlan
        ``settings`` holds ``loss``, ``max_epochs`` and ``weight_decay``;
        ``race`` what to race (None when no race runs); ``forest`` the
        forest blend (None when the network predicts alone).

    Examples
    --------
    >>> from skvitalroute import profile_task
    >>> from skvitalroute.routing import default_route
    >>> plan = default_route(profile_task([0] * 150 + [1] * 10))
    >>> plan.label, plan.settings["max_epochs"], plan.settings["weight_decay"]
    ('logit_adjusted', 500, 1.0)
    >>> default_route(profile_task([0] * 27000 + [1] * 3000)).settings["weight_decay"]
    0.1
    """
    n, k = profile.n_samples, profile.n_classes
    reasons, settings = {}, {}
    per_epoch = steps_per_epoch(n, batch_size)
    if epochs is None:
        epochs = int(min(max_epochs, max(min_epochs, math.ceil(min_steps / per_epoch))))
        settings["max_epochs"] = epochs
        reasons["max_epochs"] = (
            f"budget: n={n}, {_steps(per_epoch)} an epoch; at least {min_steps} "
            f"steps and {min_epochs} epochs, at most {max_epochs} epochs"
        )
        if epochs * per_epoch < min_steps:  # the epoch cap binds (few rows)
            reasons["max_epochs"] += f": capped, {_steps(epochs * per_epoch)}"
        short = False
    else:
        # the tilt shifts the logit adjustment: with it the loss stays
        short = epochs * per_epoch < short_steps and not tilt
        reasons["max_epochs"] = (
            f"not routed: the user's max_epochs={epochs} wins "
            f"({epochs * per_epoch} optimizer steps)"
        )
    steps = epochs * per_epoch
    if k > 1:
        why = (
            f"rebalancing for ratio {profile.ratio:.3f} "
            f"(smallest class {profile.min_count} rows)"
        )
        if short:
            settings["class_weight"] = "balanced"
            reasons["class_weight"] = (
                f"{why}: {steps} steps < short_steps={short_steps}, inverse "
                "frequency ranked first on short fits"
            )
        else:
            settings["loss"] = "logit_adjusted"
            reasons["loss"] = f"{why}: logit adjustment ranked first"
    if "max_epochs" not in settings:
        reasons["weight_decay"] = (
            "off: calibrated with the routed budget, not with the user's"
        )
    else:
        decay = min(max_weight_decay, weight_decay_rows / n) * 1e-3 / lr
        settings["weight_decay"] = float(decay)
        reasons["weight_decay"] = (
            f"decoupled (AdamW): min({max_weight_decay:g}, {weight_decay_rows:g} / n)"
            f" * 1e-3 / lr (lr={lr:g})"
        )
    off = "no calibration win"
    reasons.update(
        transfer=(
            "parent pool given: your request (not calibrated)"
            if parent_pool_available
            else "parent pool not given"
        ),
        **{"class": off, "hard": off, "lr_scale": off, "reset": off},
        tilt="router__tilt=True: opted in" if tilt else f"{off} (opt in: router__tilt)",
        monitor="always on (records only)",
    )
    tactics = ("transfer",) * bool(parent_pool_available) + ("tilt",) * bool(tilt)
    spec, reasons["race"] = _race_spec(
        profile,
        routed="max_epochs" in settings,
        pool=parent_pool_available,
        race=race,
        candidates=race_candidates,
        max_rows=race_max_rows,
        holdout=race_holdout,
        margin=race_margin,
        checkpoints=race_checkpoints,
        scoring=race_scoring,
    )
    forest, reasons["forest"] = _forest_spec(
        profile, forest_weight, forest_trees, forest_rows
    )
    return RoutePlan(
        tactics=tactics,
        settings=settings,
        reasons=reasons,
        router="default",
        race=spec,
        forest=forest,
    )


def _forest_spec(profile, weight, trees, rows):
    """The forest blend on this profile, or None, and the reason."""
    if weight == 0:
        return None, "off: router__forest_weight=0 (the network alone)"
    if profile.n_classes < 2:
        return None, "off: one class"
    n = profile.n_samples
    used = trees
    if n > rows:
        used = max(min(trees, FOREST_MIN_TREES), math.ceil(trees * rows / n))
    size = f"{used} trees" + (
        f" = {trees} x {rows} / n={n} (at least {FOREST_MIN_TREES}), to bound its cost"
        if used != trees
        else ""
    )
    why = (
        f"on: probabilities {1 - weight:g} x the network's + {weight:g} x a "
        f"balanced random forest's ({size}; fitted on the same rows after the "
        "network)"
    )
    return {"weight": float(weight), "n_estimators": int(used)}, why


def _race_spec(
    profile,
    *,
    routed,
    pool,
    race,
    candidates,
    max_rows,
    holdout,
    margin,
    checkpoints,
    scoring,
):
    """What to race on this profile, or None, and the reason."""
    unknown = [c for c in candidates if c not in CANDIDATES]
    if unknown:
        raise ValueError(
            f"router__race_candidates must name candidates of {list(CANDIDATES)}; "
            f"got {unknown}."
        )
    bad = [f for f in checkpoints if not 0 < f <= 1]
    if bad or not checkpoints:
        raise ValueError(
            "router__race_checkpoints must be a non-empty tuple of fractions in "
            f"(0, 1]; got {tuple(checkpoints)!r}."
        )
    n = profile.n_samples
    off = None
    if not race:
        off = "off: router__race=False (the fixed plan)"
    elif profile.n_classes < 2:
        off = "off: one class"
    elif not routed:
        off = "off: the user's max_epochs fixes the budget"
    elif pool:
        off = "off: a parent pool is given (the transfer warm start)"
    elif n > max_rows:
        off = (
            f"off: n={n} > race_max_rows={max_rows} (the race would cost more "
            "than twice a fit; the default plan runs)"
        )
    elif len(set(candidates)) < 2:
        off = "off: fewer than two candidates"
    elif not race_rows(n, holdout, profile.class_counts):
        off = "off: a class has too few rows for the held-out split"
    if off:
        return None, off
    spec = {
        "candidates": tuple(dict.fromkeys(candidates)),
        "holdout": float(holdout),
        "margin": float(margin),
        "checkpoints": tuple(float(f) for f in checkpoints),
        "scoring": scoring,
    }
    why = (
        f"on: {len(spec['candidates'])} candidates trained on {1 - holdout:.0%} of "
        f"the rows, scored by {scoring.replace('_', ' ')} on a stratified "
        f"{holdout:.0%} held out, the winner refitted on all rows"
    )
    return spec, why
