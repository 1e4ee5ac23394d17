"""The race inside ``fit``: candidate plans scored on held-out rows, the winner kept.

The default router names the candidates (``RoutePlan.race``, from
``skvitalroute/routing/_race.py``); this module trains them. Each candidate
is a clone of the estimator with its plan fixed, fitted on a stratified
share of the training rows (taken before any resampling) and scored on the
held-out rows at a few checkpoints of its budget. The winner's settings and
budget become the route of the fit on all rows (docs/router.md, "The race").
"""

import warnings
from dataclasses import replace

import numpy as np
import torch
from sklearn.base import clone
from sklearn.metrics import balanced_accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.utils.class_weight import compute_sample_weight
from skorch.callbacks import Callback

from skvitalroute._utils._interrupt import propagate_user_interrupt
from skvitalroute.routing import profile_task
from skvitalroute.routing._estimator import estimator_route
from skvitalroute.routing._race import (
    CANDIDATES,
    DEFAULT_DROPOUT,
    DEFAULT_HIDDEN,
    SCORE_LABELS,
    candidate_settings,
    checkpoint_epochs,
    pick_winner,
    refit_epochs,
    shown_score,
    steps_per_epoch,
)


class _HeldOutScores(Callback):
    """The held-out rows' score at the checkpoint epochs, higher is better:
    balanced accuracy, or minus the balanced log-loss."""

    def __init__(self, X, y, epochs, scoring="balanced_accuracy"):
        self.X = X
        self.y = y
        self.epochs = epochs
        self.scoring = scoring

    def initialize(self):
        self.scores_ = {}
        return self

    def on_epoch_end(self, net, **kwargs):
        epoch = len(net.history)
        if epoch not in self.epochs:
            return
        module = net.module_
        module.eval()
        with torch.no_grad():
            X = torch.as_tensor(self.X, dtype=torch.float32, device=net.device)
            logits = module(X)
        module.train()
        if self.scoring == "balanced_log_loss":
            # the probabilities predict_proba gives (the softmax of the logits)
            proba = torch.softmax(logits.double(), dim=1).cpu().numpy()
            self.scores_[epoch] = -_balanced_log_loss(self.y, proba, net.classes_)
        else:
            pred = logits.argmax(dim=1).cpu().numpy()
            self.scores_[epoch] = _balanced_accuracy(self.y, net.classes_[pred])


def _balanced_accuracy(y_true, y_pred):
    """scikit-learn's balanced accuracy: the mean recall of the classes in
    ``y_true`` (a class predicted but absent from the held-out rows is
    expected on small splits, not worth a warning)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="y_pred contains classes not in")
        return float(balanced_accuracy_score(y_true, y_pred))


def _balanced_log_loss(y_true, proba, classes):
    """scikit-learn's log-loss with every class of ``y_true`` weighing the same."""
    weights = compute_sample_weight("balanced", y_true)
    return float(log_loss(y_true, proba, sample_weight=weights, labels=classes))


def _allowed(est, plan, name):
    """Whether candidate ``name`` changes only settings left to the router."""
    for key in CANDIDATES[name].needs():
        if key == "weight_decay" and key not in plan.settings:
            return False
        if key == "hidden_units" and (
            est.module is not None
            or tuple(est.hidden_units) != DEFAULT_HIDDEN
            or "module__hidden_units" in est.get_params_for("module")
        ):
            return False
        if key == "dropout" and (
            est.module is not None
            or est.dropout != DEFAULT_DROPOUT
            or "module__dropout" in est.get_params_for("module")
        ):
            return False
    return True


def _candidate_fit(est, name, rows, profile, checkpoints, scoring):
    """Fit candidate ``name`` on the race's training rows; its held-out scores.

    ``rows`` is ``(X, y, sample_weight, X_held, y_held)``, cut once for
    every candidate; ``profile`` the training rows' label profile.
    """
    X, y, weights, X_held, y_held = rows
    net = clone(est)
    net.set_params(callbacks=None, train_split=None, verbose=0, warm_start=False)
    plan = estimator_route(net, profile)
    # a candidate is scored by its network alone: no forest
    plan = replace(
        plan, settings=candidate_settings(plan.settings, name), race=None, forest=None
    )
    epochs = checkpoint_epochs(plan.settings["max_epochs"], checkpoints)
    scorer = _HeldOutScores(X_held, y_held, set(epochs), scoring)
    net.set_params(callbacks=[("race_scores", scorer)])
    net._race_plan_ = plan
    net.fit(X, y, sample_weight=weights)
    return scorer.scores_, plan.settings["max_epochs"]


def run_race(est, X, y, sample_weight):
    """Race the candidates of ``est.route_.race``; set the winner's route.

    Parameters
    ----------
    est : VitalRouteClassifier
        With ``route_`` (holding the race's spec) and ``_seed_``.
    X : ndarray of shape (n_samples, n_features)
        The validated training data.
    y : ndarray of shape (n_samples,)
        The training labels (original values).
    sample_weight : ndarray of shape (n_samples,) or None
        Row weights, passed to the candidates' fits.
    """
    plan = est.route_
    spec = plan.race
    names = [c for c in spec["candidates"] if _allowed(est, plan, c)]
    off = None
    if "max_epochs" not in plan.settings:  # e.g. the user's max_epochs=0
        off = "off: the user's max_epochs fixes the budget"
    elif len(names) < 2:
        off = "off: your settings leave fewer than two candidates"
    if off:
        est.route_ = replace(plan, race=None, reasons={**plan.reasons, "race": off})
        return
    inner, held = train_test_split(
        np.arange(len(y)),
        test_size=spec["holdout"],
        stratify=y,
        random_state=est._seed_ % (2**32),
    )
    weights = None if sample_weight is None else sample_weight[inner]
    rows = (X[inner], y[inner], weights, X[held], y[held])
    profile = profile_task(rows[1])
    scores, budgets = {}, {}
    with propagate_user_interrupt():
        for name in names:
            scores[name], budgets[name] = _candidate_fit(
                est, name, rows, profile, spec["checkpoints"], spec["scoring"]
            )
    name, epoch = pick_winner(scores, margin=spec["margin"])
    est.route_ = _winner_plan(
        est, plan, spec, scores, budgets, (name, epoch), len(inner)
    )


def skip_race(plan):
    """``plan`` without its race, for a fit that continues a fitted network.

    Parameters
    ----------
    plan : RoutePlan

    Returns
    -------
    plan : RoutePlan
    """
    reasons = {**plan.reasons, "race": "off: a warm start continues the fitted network"}
    return replace(plan, race=None, reasons=reasons)


def _winner_plan(est, plan, spec, scores, budgets, winner, n_inner):
    """The route of the refit on all rows: the winner's settings and budget."""
    name, epoch = winner
    per_inner = steps_per_epoch(n_inner, est.batch_size)
    per_full = steps_per_epoch(est.profile_.n_samples, est.batch_size)
    settings = candidate_settings(plan.settings, name)
    settings["max_epochs"] = refit_epochs(
        epoch, budgets[name], settings["max_epochs"], per_inner, per_full
    )
    table = [
        {"candidate": c, "epoch": e, "steps": e * per_inner, "score": s}
        for c, by_epoch in scores.items()
        for e, s in sorted(by_epoch.items())
    ]
    default = scores.get("default", {})
    best = scores[name][epoch]
    why = f"race winner: {CANDIDATES[name].description} at {epoch * per_inner} steps"
    scoring = spec["scoring"]
    label = SCORE_LABELS[scoring]
    if (name, epoch) != ("default", budgets.get("default")) and default:
        base = shown_score(scoring, default[max(default)])
        why += (
            f" ({label} {shown_score(scoring, best):.4f} vs {base:.4f} for the "
            "default plan)"
        )
    else:
        why += f" ({label} {shown_score(scoring, best):.4f}; no candidate beat it)"
    reasons = dict(plan.reasons)
    for key in settings:
        if settings[key] != plan.settings.get(key) or key in CANDIDATES[name].settings:
            reasons[key] = why
    race = {
        **spec,
        "candidates": tuple(scores),
        "table": table,
        "winner": {"candidate": name, "epoch": epoch, "score": best},
    }
    return replace(plan, settings=settings, reasons=reasons, race=race)
