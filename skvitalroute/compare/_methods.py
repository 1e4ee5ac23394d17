"""The compared methods: one network, different tactics, built on demand.

Every neural method is :class:`~skvitalroute.VitalRouteClassifier` with the
same module, epochs, optimizer and batch size; only the tactic differs
(docs/compare.md, "Methods"). The other libraries' classes (imbalanced-learn's
samplers, the scikit-learn reference models) are imported when a method is
built, so a missing piece fails only for the methods that need it.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.base import clone

from skvitalroute._classifier._estimator import VitalRouteClassifier
from skvitalroute._sampler._estimator import VitalitySampler
from skvitalroute.compare._data import CompareError


@dataclass(frozen=True)
class NetConfig:
    """Training settings shared by every neural method.

    Attributes
    ----------
    epochs : int or None
        Training epochs of every neural method; None gives each its own
        default: 30 epochs for a fixed-budget method, the router's budget
        for the routed ones (``vitalroute``, ``vitalroute_inv_freq``).
    hidden_units : tuple of int
        Hidden-layer widths of the default MLP.
    lr : float
        Adam learning rate.
    batch_size : int
        Mini-batch size.
    """

    epochs: int | None = None
    hidden_units: tuple = (128, 64)
    lr: float = 1e-3
    batch_size: int = 64


def _net(config, random_state, **params):
    return VitalRouteClassifier(
        hidden_units=tuple(config.hidden_units),
        max_epochs=config.epochs,
        lr=config.lr,
        batch_size=config.batch_size,
        random_state=random_state,
    ).set_params(**params)


def _ros(random_state, min_count):
    from imblearn.over_sampling import RandomOverSampler

    return RandomOverSampler(random_state=random_state)


def _smote(random_state, min_count):
    from imblearn.over_sampling import SMOTE

    # SMOTE needs k neighbours inside the smallest class.
    k = int(max(1, min(5, min_count - 1)))
    return SMOTE(k_neighbors=k, random_state=random_state)


def _vitality_sampler(random_state, min_count):
    return VitalitySampler(random_state=random_state)


# name -> (description, classifier params or a reference-model factory, sampler factory)
_NEURAL = {
    "uniform": ("plain cross-entropy", dict(tactics="none"), None),
    "inv_freq": (
        "inverse-frequency class weights (class_weight='balanced')",
        dict(tactics="none", class_weight="balanced"),
        None,
    ),
    "focal": ("focal loss, gamma=2", dict(tactics="none", loss="focal"), None),
    "logit_adjusted": (
        "logit-adjusted loss, tau=1 (Menon et al. 2021)",
        dict(tactics="none", loss="logit_adjusted"),
        None,
    ),
    "ros": ("RandomOverSampler + uniform net", dict(tactics="none"), _ros),
    "smote": ("SMOTE + uniform net", dict(tactics="none"), _smote),
    "vitality_sampler": (
        "VitalitySampler + uniform net",
        dict(tactics="none"),
        _vitality_sampler,
    ),
    "vitalroute": (
        "VitalRouteClassifier(): the default router (rebalancing, budget, tactics)",
        dict(tactics="auto"),
        None,
    ),
    "vitalroute_inv_freq": (
        "the default route with inv_freq in place of its rebalancing (budget control)",
        dict(tactics="auto", class_weight="balanced"),
        None,
    ),
    "vitalroute_seed": (
        "the seed's rule table, router='vitalroute' (30 epochs)",
        dict(tactics="auto", router="vitalroute"),
        None,
    ),
    "vitalroute_seed_blind": (
        "the seed's table with the stress signal off "
        "(tactic__class__beta=0, tactic__hard__beta=0)",
        dict(
            tactics="auto",
            router="vitalroute",
            tactic__class__beta=0.0,
            tactic__hard__beta=0.0,
        ),
        None,
    ),
}


def _logreg(random_state):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(class_weight="balanced", max_iter=2000)


def _hgb(random_state):
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        class_weight="balanced", random_state=random_state
    )


def _brf(random_state):
    from imblearn.ensemble import BalancedRandomForestClassifier

    # the settings of the router's benchmark (benchmarks/calibrate_router.py),
    # which are imbalanced-learn's defaults from 0.13 on, named so that they
    # hold across versions
    return BalancedRandomForestClassifier(
        n_estimators=100,
        sampling_strategy="all",
        replacement=True,
        bootstrap=False,
        random_state=random_state,
        n_jobs=1,
    )


_REFERENCE = {
    "logreg_balanced": ("LogisticRegression(class_weight='balanced')", _logreg),
    "hgb_balanced": ("HistGradientBoosting(class_weight='balanced')", _hgb),
    "brf": (
        "imbalanced-learn's BalancedRandomForestClassifier (100 trees)",
        _brf,
    ),
}

#: Every method name, in the default order.
METHODS = tuple(_NEURAL) + tuple(_REFERENCE)
#: Methods that train the shared network.
NEURAL_METHODS = tuple(_NEURAL)


def describe(name):
    """One-line description of a method.

    Parameters
    ----------
    name : str
        Method name.

    Returns
    -------
    text : str
        The description; an unknown name is returned as is.
    """
    entry = _NEURAL.get(name) or _REFERENCE.get(name)
    return entry[0] if entry else name


def routed_methods(names):
    """The methods among ``names`` whose tactics the router picks.

    Parameters
    ----------
    names : sequence of str
        Method names.

    Returns
    -------
    names : list of str
        Those built with ``tactics="auto"``, in the given order.

    Examples
    --------
    >>> routed_methods(["inv_freq", "vitalroute", "logreg_balanced"])
    ['vitalroute']
    """
    return [m for m in names if m in _NEURAL and _NEURAL[m][1].get("tactics") == "auto"]


def check_methods(names):
    """Validate method names, keeping their order and dropping repeats.

    Parameters
    ----------
    names : sequence of str
        Requested names; ``"all"`` stands for every method.

    Returns
    -------
    names : list of str

    Raises
    ------
    CompareError
        For an unknown name, with the closest known one.

    Examples
    --------
    >>> check_methods(["inv_freq", "uniform", "inv_freq"])
    ['inv_freq', 'uniform']
    >>> try:
    ...     check_methods(["unifrom"])
    ... except ValueError as exc:
    ...     print(exc)
    unknown method 'unifrom'. Did you mean 'uniform'? Known methods: ...
    """
    import difflib

    out = []
    for name in names:
        if name == "all":
            out.extend(METHODS)
            continue
        if name not in METHODS:
            close = difflib.get_close_matches(name, METHODS, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise CompareError(
                f"unknown method {name!r}.{hint} Known methods: {', '.join(METHODS)}."
            )
        out.append(name)
    return list(dict.fromkeys(out))


def build_method(
    name, preprocessor, config, *, random_state, min_class_count=6, **net_params
):
    """The full pipeline of one method, ready to fit.

    Parameters
    ----------
    name : str
        A name of :data:`METHODS`.
    preprocessor : transformer
        Cloned and put first (a ``StandardScaler`` or ``ColumnTransformer``).
    config : NetConfig
        Shared network settings.
    random_state : int
        Seed of the network, the sampler and the reference models.
    min_class_count : int, default=6
        Rows of the smallest training class (bounds SMOTE's neighbours).
    **net_params : dict
        Extra :class:`~skvitalroute.VitalRouteClassifier` parameters
        (e.g. ``parent_pool``, ``callbacks``); ignored by reference models.

    Returns
    -------
    pipeline : imblearn.pipeline.Pipeline
        ``preprocess -> [sampler ->] model``.
    """
    from imblearn.pipeline import Pipeline

    check_methods([name])
    steps = [("preprocess", clone(preprocessor))]
    if name in _REFERENCE:
        steps.append(("model", _REFERENCE[name][1](random_state)))
        return Pipeline(steps)
    _, params, sampler = _NEURAL[name]
    if sampler is not None:
        steps.append(("sampler", sampler(random_state, min_class_count)))
    steps.append(("model", _net(config, random_state, **{**params, **net_params})))
    return Pipeline(steps)


def _readings(history, key):
    values = [row[key] for row in history if row.get(key) is not None]
    return np.array(values, dtype=float) if values else None


def vitality_readings(pipeline):
    """What the vitality tactics read during one fit.

    Parameters
    ----------
    pipeline : imblearn.pipeline.Pipeline
        A fitted pipeline of :func:`build_method`.

    Returns
    -------
    readings : dict
        ``route`` (router label, neural methods), ``source``, and when
        available the class stress and class probabilities: their lowest
        and highest values over every reading (``stress_lo``, ``stress_hi``,
        ``prob_lo``, ``prob_hi``), the mean spread of one reading
        (``stress_spread``) and the per-class means (``class_stress``,
        ``class_probs``). The network's own history is used for the
        classifier (readings of every epoch), the sampler's attributes for
        ``vitality_sampler`` (one reading).
    """
    out = {}
    model = pipeline.named_steps["model"]
    if hasattr(model, "route_"):
        out["route"] = model.route_.label
    sampler = pipeline.named_steps.get("sampler")
    if sampler is not None and hasattr(sampler, "mode_"):
        out["source"] = f"sampler ({sampler.mode_})"
        out["route"] = f"sampler:{sampler.mode_}"
        if sampler.mode_ == "class":
            stress = np.array([list(sampler.class_stress_.values())], dtype=float)
            probs = np.array([list(sampler.class_probabilities_.values())], dtype=float)
            return {**out, **_spread(stress, probs)}
        rows = np.asarray(sampler.sample_stress_, dtype=float)
        lo, hi = float(rows.min()), float(rows.max())
        return {**out, "stress_lo": lo, "stress_hi": hi, "stress_spread": hi - lo}
    if hasattr(model, "history"):
        out["source"] = "classifier history"
        stress = _readings(model.history, "vitality_class_stress")
        probs = _readings(model.history, "vitality_class_probs")
        out.update(_spread(stress, probs))
    return out


def _spread(stress, probs):
    out = {}
    if stress is not None and stress.size:
        out.update(
            stress_lo=float(stress.min()),
            stress_hi=float(stress.max()),
            stress_spread=float(np.mean(stress.max(axis=1) - stress.min(axis=1))),
            class_stress=[float(v) for v in stress.mean(axis=0)],
        )
    if probs is not None and probs.size:
        out.update(
            prob_lo=float(probs.min()),
            prob_hi=float(probs.max()),
            class_probs=[float(v) for v in probs.mean(axis=0)],
        )
    return out
