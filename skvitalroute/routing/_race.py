"""The race's candidates and its rule: which plan variants compete, and who wins.

A *race* (docs/router.md, "The race") trains a few variants of the default
plan on a stratified internal split of the training rows, scores each on
the held-out rows after every epoch, and refits the winner on all rows.
This module holds what the routing layer decides: the candidate variants
(each a change to the plan's settings), their applicability, and the rule
that picks a (candidate, budget) from the held-out scores. The fits
themselves belong to the classifier (``skvitalroute/_classifier/_race.py``).
"""

import math
from dataclasses import dataclass, field

import numpy as np

#: The default network's shape (the classifier's ``hidden_units`` and
#: ``dropout`` defaults): a candidate changes them only from these values.
DEFAULT_HIDDEN = (128, 64)
DEFAULT_DROPOUT = 0.0


@dataclass(frozen=True)
class Candidate:
    """One variant of the default plan.

    Parameters
    ----------
    description : str
        Shown in ``explain()``.
    settings : dict, default={}
        Settings it sets (``hidden_units``, ``dropout``).
    decay_scale : float, default=1.0
        Factor on the plan's routed weight decay.
    """

    description: str
    settings: dict = field(default_factory=dict)
    decay_scale: float = 1.0

    def needs(self):
        """The estimator settings this candidate changes."""
        out = set(self.settings)
        if self.decay_scale != 1.0:
            out.add("weight_decay")
        return out


#: Every candidate the race knows, by name (``router__race_candidates``).
CANDIDATES = {
    "default": Candidate("the default plan"),
    "h32": Candidate("one hidden layer of 32", {"hidden_units": (32,)}),
    "do3": Candidate("dropout 0.3", {"dropout": 0.3}),
    "h32do3": Candidate(
        "one hidden layer of 32, dropout 0.3", {"hidden_units": (32,), "dropout": 0.3}
    ),
    "wd3": Candidate("3x the weight decay", decay_scale=3.0),
    "wd10": Candidate("10x the weight decay", decay_scale=10.0),
    "wd0": Candidate("no weight decay", decay_scale=0.0),
}


#: how explain() names each race scoring; the race maximises minus the log-loss
SCORE_LABELS = {
    "balanced_accuracy": "held-out bal. acc.",
    "balanced_log_loss": "held-out bal. log-loss",
}


def shown_score(scoring, score):
    """A race score as ``explain()`` prints it: the log-loss itself, not minus it.

    Parameters
    ----------
    scoring : {"balanced_accuracy", "balanced_log_loss"}
    score : float
        The score the race maximises.

    Returns
    -------
    value : float
    """
    return -score if scoring == "balanced_log_loss" else score


def candidate_settings(settings, name):
    """The plan settings of candidate ``name`` from the default plan's.

    Parameters
    ----------
    settings : dict
        The default plan's settings (``max_epochs``, ``loss``,
        ``weight_decay``, ...).
    name : str
        A key of :data:`CANDIDATES`.

    Returns
    -------
    settings : dict
        A new dict: the candidate's settings added, the weight decay scaled.
    """
    cand = CANDIDATES[name]
    out = {**settings, **cand.settings}
    if cand.decay_scale != 1.0 and "weight_decay" in out:
        out["weight_decay"] = float(out["weight_decay"] * cand.decay_scale)
    return out


def steps_per_epoch(n_samples, batch_size):
    """Optimizer steps of one epoch over ``n_samples`` rows.

    Parameters
    ----------
    n_samples : int
    batch_size : int
        ``-1`` for full batch (one step an epoch), as in skorch.

    Returns
    -------
    steps : int
        At least 1.
    """
    size = n_samples if batch_size == -1 else batch_size
    return max(1, math.ceil(n_samples / size))


def refit_epochs(epoch, inner_budget, full_budget, inner_steps, full_steps):
    """Epochs of the refit on all rows for a winner read at ``epoch``.

    The winner's full budget stays the full budget of the refit; an earlier
    checkpoint becomes the same number of optimizer steps on all rows.

    Parameters
    ----------
    epoch : int
        The checkpoint the winner was read at, in its race fit.
    inner_budget, full_budget : int
        The candidate's epochs on the race's rows and on all rows.
    inner_steps, full_steps : int
        Optimizer steps an epoch on the race's rows and on all rows.

    Returns
    -------
    epochs : int
        In ``[1, full_budget]``.
    """
    if epoch >= inner_budget:
        return int(full_budget)
    return int(min(full_budget, max(1, round(epoch * inner_steps / full_steps))))


def checkpoint_epochs(epochs, fractions):
    """The epochs at which a candidate's held-out score is read.

    Parameters
    ----------
    epochs : int
        The candidate's budget.
    fractions : sequence of float
        Fractions of the budget in (0, 1].

    Returns
    -------
    epochs : list of int
        Sorted, distinct, each at least 1; the budget itself is last.
    """
    picks = {max(1, int(round(f * epochs))) for f in fractions}
    picks.add(int(epochs))
    return sorted(e for e in picks if e <= epochs)


def pick_winner(scores, *, margin, default="default"):
    """The (candidate, epoch) with the best held-out score, the default's
    full budget winning unless beaten by more than ``margin``.

    Parameters
    ----------
    scores : dict of str to dict of int to float
        ``scores[candidate][epoch]``: the held-out score, higher is better
        (balanced accuracy, or minus the balanced log-loss).
    margin : float
        How much a challenger must beat the default by, in the score's
        units (e.g. 0.01 nats of log-loss, or 0.01 of balanced accuracy).
    default : str, default="default"
        The candidate that holds the title.

    Returns
    -------
    name : str
    epoch : int
    """
    best = None
    if default in scores:
        epoch = max(scores[default])
        best = (scores[default][epoch] + margin, default, epoch)
    for name, by_epoch in scores.items():
        for epoch, value in sorted(by_epoch.items()):
            if best is None or value > best[0] + 1e-12:
                best = (value, name, epoch)
    return best[1], best[2]


def race_rows(n_samples, holdout, class_counts):
    """Whether every class keeps a row on both sides of the race's split.

    Parameters
    ----------
    n_samples : int
    holdout : float
    class_counts : array-like of int

    Returns
    -------
    ok : bool
    """
    counts = np.asarray(class_counts)
    n_hold = int(np.ceil(holdout * n_samples))
    return bool(counts.min() >= 2 and n_hold >= len(counts) and n_samples - n_hold >= len(counts))
