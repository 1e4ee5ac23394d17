"""VitalitySampler: an imbalanced-learn over-sampler driven by vitality."""

from numbers import Integral, Real

import numpy as np
import torch
from imblearn.over_sampling.base import BaseOverSampler
from scipy import sparse
from sklearn.base import clone
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelEncoder, StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from skorch import NeuralNet, NeuralNetClassifier

from skvitalroute._sampler._input import (
    check_output_fits,
    numeric_copy,
    one_hot_labels,
    rows_source,
    take_rows,
)
from skvitalroute._sampler._strategy import (
    check_strategy_counts,
    class_targets,
    resolve_strategy,
    warn_capped,
)
from skvitalroute._utils._interrupt import propagate_user_interrupt
from skvitalroute._utils._rng import SEED_MAX, seed_random_states, torch_rng
from skvitalroute._utils._threads import fit_threads, torch_threads
from skvitalroute._utils._validation import (
    HIDDEN_UNITS,
    StrictInterval,
    Choices,
    check_float32_range,
    check_label_values,
    check_params,
)
from skvitalroute.callbacks._sampling import class_probabilities, sample_probabilities
from skvitalroute.nn import MLPModule
from skvitalroute.probe._probe import VitalityProbe
from skvitalroute.routing import default_route, profile_task

# (strength, beta) defaults of the two tactics: the callbacks table of
# docs/tactics.md (ClassStressSampler, HardSampleSampler).
_MODE_DEFAULTS = {"class": (0.7, 4.0), "sample": (0.6, 3.0)}
_MODE_ATTRIBUTES = (
    "class_stress_",
    "class_probabilities_",
    "sample_stress_",
    "sample_probabilities_",
)
# The default probe network: a short Adam run on standardized inputs.
_PROBE_LR = 1e-2
_PROBE_BATCH = 64


class VitalitySampler(BaseOverSampler):
    """Over-sample the classes or rows that stress a probe network.

    A probe network is trained on ``(X, y)`` (or ``estimator`` is cloned and
    fitted), :class:`~skvitalroute.VitalityProbe` reads the stress of its
    hidden units, and the rows added are duplicates chosen by the vitality
    probabilities of the resampling tactics (``docs/tactics.md``,
    "Class-stress sampling" and "Hard-sample sampling"). Every original
    row is kept, first and in its original order; the extra rows follow.

    - ``mode="class"``: per-class stress gives class probabilities
      ``p = (1 - strength) * uniform + strength * softmax(beta * stress)``.
      Each targeted class gets its ``sampling_strategy`` count scaled by
      ``p_c / min p`` (see Notes); rows are drawn uniformly within a class.
    - ``mode="sample"``: per-sample stress gives, within each targeted
      class, row probabilities ``(1 - strength) / n_c + strength *
      softmax(beta * stress)``; each targeted class gets exactly the rows
      ``sampling_strategy`` asks for, stressed rows more often.
    - ``mode="auto"``: ``"class"`` when the default router
      (:func:`~skvitalroute.routing.default_route`) rebalances the classes
      of ``y`` (imbalanced labels always are, whatever the size of the
      smallest class), else ``"sample"``.

    Parameters
    ----------
    estimator : estimator object, default=None
        The probe network, cloned and fitted on ``X`` and the encoded labels
        ``0 .. n_classes - 1``: a skorch net (any ``NeuralNet`` with a
        ``module_``, including :class:`~skvitalroute.VitalRouteClassifier`),
        a :class:`~sklearn.neural_network.MLPClassifier`, or a
        :class:`~sklearn.pipeline.Pipeline` ending in one (its other steps
        transform ``X`` before the network reads it). It is fitted on a
        float32 copy of ``X``. ``None`` trains a standardizing pipeline in
        front of a small skorch MLP (``probe_hidden_units``) for
        ``probe_epochs`` epochs.
    mode : {"auto", "class", "sample"}, default="auto"
        Which stress drives the duplicates.
    strength : float, default=None
        Weight in [0, 1] of the stress-driven part of the probabilities.
        ``None`` uses the default of the mode's tactic (``docs/tactics.md``):
        0.7 for ``"class"``, 0.6 for ``"sample"``.
    beta : float, default=None
        Softmax temperature (>= 0) on stress; ``beta=0`` switches the signal
        off. ``None`` uses 4.0 for ``"class"``, 3.0 for ``"sample"``.
    sampling_strategy : float, str, dict or callable, default="auto"
        The rows imbalanced-learn's over-samplers would add (which classes,
        how many); see :class:`~imblearn.over_sampling.RandomOverSampler`.
        In ``"class"`` mode it is the minimum each targeted class reaches.
    probe_size : int, default=1024
        Maximum rows in the probe's reading.
    probe_epochs : int, default=5
        Training epochs of the default probe network.
    probe_hidden_units : tuple of int, default=(64,)
        Hidden-layer widths of the default probe network.
    max_growth : float >= 1 or None, default=10.0
        In ``"class"`` mode, the most a targeted class may end with, as a
        multiple of the count ``sampling_strategy`` asks for (see Notes);
        a class held back warns (``UserWarning``). ``None``: no bound (the
        output-memory check still applies). Unused in ``"sample"`` mode,
        which adds exactly the rows asked for.
    random_state : int, RandomState instance or None, default=None
        Seeds the probe network's training (torch's global RNG is left
        untouched), every ``random_state`` parameter of ``estimator``, the
        probe batch and the draws.

    Attributes
    ----------
    sampling_strategy_ : dict
        imbalanced-learn's requested number of extra rows per targeted class.
    n_added_ : dict
        Number of rows actually added per targeted class.
    mode_ : {"class", "sample"}
        The mode used.
    estimator_ : estimator object
        The fitted probe network (or pipeline).
    class_stress_ : dict
        Per-class stress, keyed by label. Only when ``mode_ == "class"``.
    class_probabilities_ : dict
        Class probabilities computed from ``class_stress_``, keyed by label.
        Only when ``mode_ == "class"``.
    sample_stress_ : ndarray of shape (n_samples,)
        Per-sample stress (at most 4096 rows are scored, the others get
        their mean). Only when ``mode_ == "sample"``.
    sample_probabilities_ : ndarray of shape (n_samples,)
        Each row's probability of being drawn within its class (0 for the
        classes that are not targeted). Only when ``mode_ == "sample"``.
    sample_indices_ : ndarray of shape (n_new_samples,)
        Indices of the output rows in the input: ``0 .. n_samples - 1``
        followed by the duplicated rows.
    n_features_in_ : int
        Number of features in the input.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit_resample``, when ``X`` has
        string column names.

    See Also
    --------
    imblearn.over_sampling.RandomOverSampler : Uniform duplicates.
    skvitalroute.VitalityProbe : Reads the stress.
    skvitalroute.VitalRouteClassifier : The same tactics inside training.

    Notes
    -----
    Target counts. Let ``n_c`` be the rows of class ``c`` and ``r_c`` the
    extra rows ``sampling_strategy_`` asks for (its targeted classes ``S``;
    with ``"auto"``, every class but the majority, ``r_c = n_max - n_c``).
    Classes outside ``S`` are never changed.

    - ``"sample"``: class ``c`` in ``S`` gains exactly ``r_c`` rows.
    - ``"class"``: with ``t_c = n_c + r_c`` and ``w_c = p_c / min_{j in S}
      p_j``, class ``c`` in ``S`` ends with ``T_c = max(t_c, floor(t_c *
      w_c + 0.5))`` rows, i.e. gains ``T_c - n_c``. The least-stressed
      targeted class gets exactly its requested count and the others grow
      in proportion to their class probability, so under ``"auto"`` the
      class shares of the output follow ``p`` (the class tactic's draw,
      ``docs/tactics.md``) while every class still reaches the count
      ``sampling_strategy`` asks for (imbalanced-learn's contract). With
      equal stress or ``beta=0`` the counts equal
      :class:`~imblearn.over_sampling.RandomOverSampler`'s.
      The growth ``T_c / t_c`` is at most ``max p / min p`` and at most
      ``max_growth``: ``T_c`` is capped at ``max(t_c, floor(max_growth *
      t_c))``, with a ``UserWarning`` naming the classes held back. With
      ``strength < 1`` every ``p_c >= (1 - strength) / K``, so
      ``max p / min p <= 1 + K * strength / (1 - strength)`` (8 for 3
      classes at the default 0.7); at ``strength=1`` a large ``beta``
      makes the ratio unbounded (the softmax underflows to 0), which only
      the cap keeps finite.

    ``sampling_strategy`` counts (a dict, any other mapping, or what a
    callable returns) must be ints of at most ``2**63 - 1``: a float such
    as ``40.5`` is refused, never truncated. A one-hot ``y``
    (imbalanced-learn's one-vs-all input) is resampled by the column of
    each row's 1 and returned as the rows of ``y`` itself: the same
    columns (two for a binary one-hot ``y``), dtype and container (a
    DataFrame too); the ``sampling_strategy`` keys are column positions.
    A row with no 1 or several is refused (multi-label ``y`` is not
    supported).

    A sparse ``X`` is densified for the probe network (the output stays
    sparse).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_classification
    >>> from skvitalroute import VitalitySampler
    >>> X, y = make_classification(n_samples=200, weights=[0.8, 0.2],
    ...                            random_state=0)
    >>> y = np.where(y == 1, "rare", "common")
    >>> np.unique(y, return_counts=True)[1].tolist()
    [159, 41]
    >>> sampler = VitalitySampler(mode="sample", probe_epochs=2, random_state=0)
    >>> X_res, y_res = sampler.fit_resample(X, y)
    >>> np.unique(y_res, return_counts=True)[1].tolist()
    [159, 159]
    >>> bool((X_res[:200] == X).all()), sampler.sample_indices_.shape
    (True, (318,))
    >>> sampler.n_added_
    {np.str_('rare'): 118}

    The stressed rows of the rare class are the ones duplicated most:

    >>> hot = sampler.sample_stress_ > np.median(sampler.sample_stress_[y == "rare"])
    >>> drawn = np.bincount(sampler.sample_indices_[200:], minlength=200)
    >>> bool(drawn[hot & (y == "rare")].mean() > drawn[~hot & (y == "rare")].mean())
    True
    """

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        # imbalanced-learn's own constraints, with its string options in a
        # fixed order (a StrOptions set prints in a per-process order)
        "sampling_strategy": [
            Choices(["auto", "minority", "not minority", "not majority", "all"])
            if isinstance(c, StrOptions)
            else c
            for c in BaseOverSampler._parameter_constraints["sampling_strategy"]
        ],
        "estimator": [HasMethods(["fit"]), None],
        "mode": [Choices(["auto", "class", "sample"])],
        "strength": [Interval(Real, 0, 1, closed="both"), None],
        "beta": [Interval(Real, 0, None, closed="left"), None],
        "probe_size": [Interval(Integral, 1, None, closed="left")],
        "probe_epochs": [Interval(Integral, 1, None, closed="left")],
        "probe_hidden_units": ["array-like"],
        "max_growth": [StrictInterval(Real, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        *,
        estimator=None,
        mode="auto",
        strength=None,
        beta=None,
        sampling_strategy="auto",
        probe_size=1024,
        probe_epochs=5,
        probe_hidden_units=(64,),
        max_growth=10.0,
        random_state=None,
    ):
        super().__init__(sampling_strategy=sampling_strategy)
        self.estimator = estimator
        self.mode = mode
        self.strength = strength
        self.beta = beta
        self.probe_size = probe_size
        self.probe_epochs = probe_epochs
        self.probe_hidden_units = probe_hidden_units
        self.max_growth = max_growth
        self.random_state = random_state

    def fit_resample(self, X, y, **params):
        """Resample ``(X, y)``: every original row, then the duplicates.

        Parameters
        ----------
        X : {array-like, dataframe, sparse matrix} of shape (n_samples, n_features)
            The rows. The output rows are taken from ``X`` itself, with its
            values and dtypes (a DataFrame keeps its columns' dtypes).
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            The labels, of any type, or one-hot (one-vs-all input: an
            array or DataFrame with exactly one 1 a row).
        **params : dict
            Unused; accepted for imbalanced-learn's signature.

        Returns
        -------
        X_resampled : {ndarray, dataframe, sparse matrix}
            Of shape (n_samples_new, n_features): the rows of ``X`` followed
            by the duplicates.
        y_resampled : array-like of shape (n_samples_new,) or (n_samples_new, k)
            Their labels (one-hot rows of ``y`` for a one-hot ``y``).
        """
        check_label_values(y)  # before imbalanced-learn's "unknown" label type
        check_strategy_counts(self.sampling_strategy)  # before its int64 arithmetic
        one_hot = one_hot_labels(y)
        try:
            if one_hot is None:
                return super().fit_resample(X, y, **params)
            # one-hot y: resampled as its labels, returned as its own rows
            # (imbalanced-learn re-binarizes binary one-hot into one column)
            labels, y = one_hot
            X_res, _ = super().fit_resample(X, labels, **params)
        except OverflowError as exc:  # a callable's count, in imbalanced-learn
            if not callable(self.sampling_strategy):
                raise
            name = getattr(self.sampling_strategy, "__qualname__", "callable")
            raise ValueError(
                f"sampling_strategy (the callable {name}) returned a count "
                f"imbalanced-learn cannot subtract from the class sizes ({exc}); "
                "ask for fewer rows (at most 2**63 - 1)."
            ) from None
        return X_res, take_rows(y, self.sample_indices_)

    def _check_X_y(self, X, y, accept_sparse=None):
        # imbalanced-learn's validation (its errors, n_features_in_ and
        # feature_names_in_); the rows returned are the input's own where
        # the validated numeric copy may differ from it (_sampler_input.py).
        X_valid, y, binarize_y = super()._check_X_y(X, y, accept_sparse)
        return rows_source(X, X_valid), y, binarize_y

    def _fit_resample(self, X, y):
        for name in _MODE_ATTRIBUTES:  # a refit in the other mode must not keep them
            self.__dict__.pop(name, None)
        self.sampling_strategy_ = resolve_strategy(self, y, self.sampling_strategy_)
        self._check_probe_params()
        check_output_fits(self, X, y, sum(self.sampling_strategy_.values()))
        X_num = numeric_copy(X)
        check_float32_range(X_num, self)
        rng = check_random_state(self.random_state)
        fit_seed, probe_seed = rng.randint(SEED_MAX, size=2)
        y_enc = LabelEncoder().fit_transform(y)
        self.mode_ = self._resolve_mode(y)
        strength, beta = self._formula_params()

        X32 = X_num.toarray() if sparse.issparse(X_num) else X_num
        X32 = np.asarray(X32, dtype=np.float32)
        self.estimator_ = self._fit_network(X32, y_enc, fit_seed)
        network, X_probe = _network_and_input(self.estimator_, X32)
        probe = VitalityProbe(
            network, probe_size=self.probe_size, random_state=int(probe_seed)
        )
        if not probe.layer_names():
            raise ValueError(
                "VitalitySampler reads hidden units: the probe network needs at "
                "least one hidden layer; got none (probe_hidden_units="
                f"{self.probe_hidden_units!r}, estimator={self.estimator!r})."
            )
        if not np.isfinite(X_probe).all():  # before the probe names a NaN not in X
            raise ValueError(
                "VitalitySampler cannot read the probe network: its inputs on X "
                "are not finite (NaN or inf) once the estimator's steps before the "
                "network (the default probe's StandardScaler) have transformed X, "
                "because the inputs overflow their float32 arithmetic. Scale the "
                "features (e.g. StandardScaler)."
            )
        if self.mode_ == "class":
            extra = self._class_draws(probe, X_probe, X, y, y_enc, strength, beta, rng)
        else:
            extra = self._sample_draws(probe, X_probe, y, y_enc, strength, beta, rng)

        self.sample_indices_ = np.concatenate([np.arange(y.shape[0]), extra])
        return take_rows(X, self.sample_indices_), y[self.sample_indices_]

    def _check_probe_params(self):
        """Check what imbalanced-learn's validation lets through, before any
        training: the probe network's kind, or the default network's
        widths."""
        if self.estimator is not None:
            final = self.estimator
            if isinstance(final, Pipeline):
                final = final[-1]
            if not isinstance(final, NeuralNet | MLPClassifier):
                _raise_not_a_network(final)
            return
        check_params(
            {"probe_hidden_units": [HIDDEN_UNITS]},
            {"probe_hidden_units": self.probe_hidden_units},
            type(self).__name__,
        )
        if len(self.probe_hidden_units) == 0:
            raise ValueError(
                "VitalitySampler reads hidden units: probe_hidden_units needs at "
                "least one hidden layer; got ()."
            )

    def _resolve_mode(self, y):
        if self.mode != "auto":
            return self.mode
        profile = profile_task(y)
        rebalance = profile.ratio < 1 and default_route(profile).rebalances
        return "class" if rebalance else "sample"

    def _formula_params(self):
        strength, beta = _MODE_DEFAULTS[self.mode_]
        if self.strength is not None:
            strength = float(self.strength)
        if self.beta is not None:
            beta = float(self.beta)
        return strength, beta

    def _default_network(self, n_features, n_classes):
        net = NeuralNetClassifier(
            MLPModule,
            module__n_features=n_features,
            module__n_classes=n_classes,
            module__hidden_units=tuple(self.probe_hidden_units),
            criterion=torch.nn.CrossEntropyLoss,
            optimizer=torch.optim.Adam,
            lr=_PROBE_LR,
            batch_size=_PROBE_BATCH,
            max_epochs=self.probe_epochs,
            train_split=None,
            verbose=0,
        )
        return Pipeline([("scale", StandardScaler()), ("net", net)])

    def _fit_network(self, X, y_enc, seed):
        if self.estimator is None:
            estimator = self._default_network(X.shape[1], int(y_enc.max()) + 1)
        else:
            estimator = clone(self.estimator)
        seed_random_states(estimator, seed)
        # skorch swallows a KeyboardInterrupt in fit and keeps the model as
        # it is; rows chosen by a half-trained probe must not be returned.
        threads = torch_threads(self._probe_threads(X.shape[1], int(y_enc.max()) + 1))
        with torch_rng(seed), propagate_user_interrupt(), threads:
            estimator.fit(X, y_enc)
        return estimator

    def _probe_threads(self, n_features, n_classes):
        """torch threads for the default probe network's fit (None: leave
        them); a given estimator keeps its own settings."""
        if self.estimator is not None:
            return None
        widths = [n_features, *self.probe_hidden_units, n_classes]
        params = sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:], strict=True))
        return fit_threads(None, params, _PROBE_BATCH)

    def _class_draws(self, probe, X, rows, y, y_enc, strength, beta, rng):
        stress = probe.per_class_stress(X, y_enc)
        probs = class_probabilities(stress, strength=strength, beta=beta)
        classes = np.unique(y)
        self.class_stress_ = dict(zip(classes, stress.tolist(), strict=True))
        self.class_probabilities_ = dict(zip(classes, probs.tolist(), strict=True))
        counts = {c: int(np.sum(y == c)) for c in classes}
        self.n_added_, capped = class_targets(
            counts,
            self.sampling_strategy_,
            self.class_probabilities_,
            None if self.max_growth is None else float(self.max_growth),
        )
        warn_capped(counts, self.n_added_, capped, self.max_growth)
        check_output_fits(
            self,
            rows,
            y,
            sum(self.n_added_.values()),
            ", scaled by the class probabilities in mode='class'",
        )
        draws = [
            rng.choice(np.flatnonzero(y == c), size=n, replace=True)
            for c, n in self.n_added_.items()
        ]
        return np.concatenate([np.empty(0, dtype=np.intp), *draws]).astype(np.intp)

    def _sample_draws(self, probe, X, y, y_enc, strength, beta, rng):
        self.sample_stress_ = probe.per_sample_stress(X, y_enc)
        if not np.isfinite(self.sample_stress_).all():
            raise ValueError(
                "VitalitySampler cannot read the per-sample stress: the probe "
                "network's outputs on X are not finite (NaN or inf), because "
                "the inputs overflow its float32 arithmetic or its training "
                "diverged. Scale the features (e.g. StandardScaler)."
            )
        self.sample_probabilities_ = np.zeros(y.shape[0])
        self.n_added_ = {}
        draws = [np.empty(0, dtype=np.intp)]
        for c, n in self.sampling_strategy_.items():
            rows = np.flatnonzero(y == c)
            p = sample_probabilities(
                self.sample_stress_[rows], strength=strength, beta=beta
            )
            self.sample_probabilities_[rows] = p
            draws.append(rng.choice(rows, size=n, replace=True, p=p))
            self.n_added_[c] = int(n)
        return np.concatenate(draws).astype(np.intp)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.sampler_tags.sample_indices = True
        return tags


def _network_and_input(estimator, X):
    """The fitted torch module (or MLPClassifier) to probe, and its input."""
    final = estimator
    if isinstance(estimator, Pipeline):
        X = estimator[:-1].transform(X) if len(estimator) > 1 else X
        final = estimator[-1]
    if isinstance(final, MLPClassifier):
        return final, np.asarray(X)
    module = getattr(final, "module_", None)
    if isinstance(module, torch.nn.Module):
        return module, np.asarray(X, dtype=np.float32)
    _raise_not_a_network(final)


def _raise_not_a_network(final):
    raise TypeError(
        "VitalitySampler reads a network: estimator must be a skorch net (with "
        "a torch module_), a VitalRouteClassifier, an MLPClassifier, or a "
        f"Pipeline ending in one; got {type(final).__name__}."
    )
