"""VitalRouteClassifier: a skorch classifier that routes its own tactics."""

import warnings
from contextlib import contextmanager
from dataclasses import replace

import numpy as np
import torch
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch import NeuralNetClassifier
from skorch.callbacks import PrintLog
from skorch.dataset import ValidSplit
from skorch.utils import is_dataset, to_device

from skvitalroute._classifier_io import load_labels, save_labels
from skvitalroute._classifier_params import (
    check_class_weight_vector,
    check_hidden_units,
    check_unknown_kwargs,
    check_vitality_params,
)
from skvitalroute._device import check_device
from skvitalroute._iterator import batch_iterator, eval_batch_size
from skvitalroute._losses import build_loss, class_weight_vector, per_row, weighted_mean
from skvitalroute._module import MLPModule
from skvitalroute._optim import build_optimizer
from skvitalroute._repr import params_html, text_repr, with_inherited_signature
from skvitalroute._sample_weight import (
    batch_sample_weight,
    check_sample_weight,
    module_input,
    with_sample_weight,
)
from skvitalroute._threads import fit_threads, torch_threads
from skvitalroute._validation import check_float32_range, check_label_values
from skvitalroute.callbacks import VitalityMonitor, layer_param_groups
from skvitalroute.callbacks._registry import reserved_callback_names, tactic_callbacks
from skvitalroute.routing import (
    explicit_plan,
    get_router,
    profile_task,
    router_parameters,
)

_FLOAT_DTYPES = (np.float64, np.float32)
_SEED_MAX = np.iinfo(np.int32).max
# Epochs of a fit whose max_epochs is None and whose route sets no budget.
_DEFAULT_EPOCHS = 30

_NON_SCALAR_KEYS = [
    "vitality_class_probs",
    "vitality_class_stress",
    "vitality_layer_stasis",
    "vitality_lr_scales",
]


class _PrivateState:
    """Store one of skorch's run-state attributes under a private name.

    skorch's ``__init__`` sets ``history_``, ``initialized_`` and
    ``virtual_params_``; scikit-learn requires ``__init__`` to set nothing
    but parameters (private names excepted). The value lives in
    ``__dict__["_<name>"]``; reading it before it was ever set raises
    ``AttributeError``, exactly as a missing attribute would, which skorch
    relies on while its ``__init__`` runs.
    """

    def __set_name__(self, owner, name):
        self.name, self.private = name, "_" + name

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        try:
            return obj.__dict__[self.private]
        except KeyError:
            raise AttributeError(self.name) from None

    def __set__(self, obj, value):
        obj.__dict__[self.private] = value

    def __delete__(self, obj):
        obj.__dict__.pop(self.private, None)


@contextmanager
def _torch_rng(seed=None):
    """Run a block on a private copy of torch's global RNG.

    The global generator is restored on exit, so neither a fit nor a
    prediction reads or advances the user's torch random stream; with
    ``seed`` the block starts from that seed.
    """
    devices = None if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        if seed is not None:
            torch.manual_seed(int(seed))
        yield


def _check_finite_proba(proba):
    """Raise rather than return NaN or infinite probabilities."""
    bad = ~np.isfinite(proba).all(axis=1)
    if bad.any():
        raise ValueError(
            f"The network's output is not finite for {int(bad.sum())} of "
            f"{len(proba)} rows, so it has no probabilities for them: its "
            "parameters or these inputs overflow float32. Scale the inputs "
            "(e.g. StandardScaler) and check that training did not diverge."
        )


@with_inherited_signature
class VitalRouteClassifier(NeuralNetClassifier):
    """Neural classifier that reads its units' vitality and routes tactics.

    A :class:`skorch.NeuralNetClassifier` with scikit-learn manners. At
    ``fit`` a router reads the training labels and returns a plan: the
    rebalancing (the logit-adjusted loss under the default router), the
    training budget, the weight decay and which tactics run (class-stress
    or hard-sample resampling, per-layer learning-rate damping, the class
    tilt, dead-unit resets, a label-free warm start from ``parent_pool``);
    see ``docs/router.md``. Every setting you pass yourself wins over the
    plan's. A vitality monitor is always on: it records per-layer stasis,
    composite stress, per-class stress and LR scales into ``history``
    (every ``monitor_refresh`` epochs, and the last). The same estimator
    also holds the comparison baselines: ``class_weight`` and ``loss``
    (focal, logit-adjusted).

    On top of skorch it accepts any label type, float64, list and pandas
    input, sets ``classes_``, ``n_features_in_`` and ``feature_names_in_``,
    builds a default MLP sized from the data, and makes fits reproducible
    with ``random_state`` without touching torch's global RNG.

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        The network, as in skorch; it must output one logit per class.
        ``None`` builds :class:`~skvitalroute._module.MLPModule` at fit,
        with ``n_features_in_`` inputs and ``len(classes_)`` outputs.
    hidden_units : tuple of int, default=(128, 64)
        Hidden-layer widths of the default module.
    dropout : float, default=0.0
        Dropout after each hidden ReLU of the default module.
    tactics : "auto", "none" or tuple of str, default="auto"
        ``"auto"`` follows the router; ``"none"`` trains plainly (nothing
        changes training; the monitor still records); a tuple of names of
        the tactic registry (``"transfer"``, ``"class"``, ``"hard"``,
        ``"lr_scale"``, ``"tilt"``, ``"reset"``) forces exactly those
        tactics, with no routed settings.
    class_weight : None, "balanced" or dict, default=None
        Per-class loss weights. ``"balanced"`` weighs class ``c`` by
        ``n_samples / (n_classes * count_c)`` (inverse frequency); a dict
        maps labels to weights. Setting it replaces the routed rebalancing.
    loss : {"auto", "cross_entropy", "focal", "logit_adjusted"}, default="auto"
        Training loss on the logits. ``"auto"`` takes the route's loss
        (cross-entropy when the route sets none or ``tactics`` is not
        ``"auto"``).
    focal_gamma : float, default=2.0
        Focusing parameter of the focal loss.
    logit_adjust_tau : float, default=1.0
        Scale of the logit adjustment (``tau * log(prior)`` is added to the
        logits during training only).
    parent_pool : list, default=None
        Candidate parents for transfer: ``(name, model)`` pairs, where a
        model is a ``torch.nn.Module``, a fitted net, a ``state_dict`` of a
        network built like this one (the head may differ) or the path of a
        file holding one (read with ``torch.load(weights_only=True)``); see
        :class:`~skvitalroute.callbacks.TransferWarmStart`.
    freeze_transfer : bool, default=False
        Freeze the transferred trunk (dead-unit resets are then skipped).
    router : "default", "vitalroute" or callable, default="default"
        The rules of ``tactics="auto"``. ``"default"``
        (:func:`~skvitalroute.routing.default_route`) was chosen on the
        calibration benchmark; ``"vitalroute"``
        (:func:`~skvitalroute.route_plan`) is the seed's rule table. A
        callable ``router(profile, parent_pool_available, **params)``
        returning a :class:`~skvitalroute.RoutePlan` is used as given. Its
        keyword arguments are set as ``router__<name>`` parameters (tunable
        by ``GridSearchCV``).
    sampler_strength : float, default=0.7
        Class sampler: weight of the stress-driven class probabilities.
    sampler_beta : float, default=4.0
        Class sampler: softmax temperature on class stress (0 = uniform).
    sampler_refresh : int, default=2
        Class sampler: epochs between stress readings.
    hard_strength : float, default=0.6
        Hard sampler: weight of the stress-driven row probabilities.
    hard_beta : float, default=3.0
        Hard sampler: softmax temperature on per-sample stress.
    hard_refresh : int, default=1
        Hard sampler: epochs between stress readings.
    lr_scale_alpha : float, default=4.0
        LR scaling: layer rate ``lr * max(0.1, 1 / (1 + alpha * stasis))``.
    tilt_strength : float, default=0.5
        Class tilt: largest per-class logit offset, in nats.
    tilt_refresh : int, default=2
        Class tilt: epochs between overlap readings.
    reset_threshold : float, default=0.12
        Reset tactic: reset dead units after an epoch whose mean stasis
        reaches this value.
    probe_size : int, default=1024
        Rows in each vitality reading.
    monitor_refresh : int or "auto", default="auto"
        Epochs between the monitor's readings (the first and the last
        epoch of a fit always have one). ``"auto"`` reads every epoch under
        the reset tactic and otherwise as often as keeps the readings to a
        few percent of the training time: every epoch from about 11 000
        training rows (10 classes), less often on fewer rows or more
        classes (:class:`~skvitalroute.callbacks.VitalityMonitor`).
    n_jobs : int or None, default=None
        torch intra-op threads during this estimator's ``fit``,
        ``partial_fit`` and ``predict``/``predict_proba``; the previous
        setting is restored afterwards. ``None`` picks the count measured
        fastest for networks of this size (one thread for a default-sized
        MLP, docs/performance.md); ``-1`` uses every core, ``-2`` all but
        one, as in scikit-learn.
    max_epochs : int or None, default=None
        Training epochs; ``None`` takes the route's budget (30 epochs when
        the route sets none). The epochs run are in ``max_epochs_``.
    lr : float, default=1e-3
        Base learning rate.
    batch_size : int, default=64
        Mini-batch size (``-1`` for full batch).
    optimizer : torch optimizer class, default=torch.optim.Adam
        The optimizer; ``optimizer__*`` parameters are passed to it.
    train_split : None, float, int or callable, default=None
        Internal validation split, taken before any resampling. ``None``
        trains on all rows; a float or int builds a stratified
        :class:`skorch.dataset.ValidSplit` seeded by ``random_state``; a
        callable is used as in skorch.
    callbacks : list or None, default=None
        User callbacks, as in skorch; the tactic callbacks run after them.
    random_state : int, RandomState instance or None, default=None
        Seeds the module initialisation, shuffling, dropout, the split and
        the tactics' draws. Fits run on a private copy of torch's global RNG,
        which is left untouched.
    device : str or torch.device, default="cpu"
        Device to train on.
    verbose : int, default=0
        Print the epoch log when positive.
    **kwargs : dict
        Any other skorch argument (``criterion``, ``iterator_train__*``,
        ``module__*``, ``optimizer__*``, ``callbacks__*``, ``warm_start``,
        ...). A ``criterion`` replaces the built-in loss.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    label_encoder_ : sklearn.preprocessing.LabelEncoder
        Maps labels to the network's output columns.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names seen during fit, when ``X`` has string column names.
    profile_ : TaskProfile
        The training labels' profile that the router read.
    route_ : RoutePlan
        The tactics used and, in ``route_.reasons``, why each is on or off
        (``route_.explain()`` prints them).
    max_epochs_ : int
        Epochs of the last fit: ``max_epochs``, else the route's budget.
    class_weight_ : ndarray of shape (n_classes,) or None
        Loss weight of each class.
    class_prior_ : ndarray of shape (n_classes,)
        Class frequencies of the training labels.
    train_sampler_ : torch.utils.data.Sampler or None
        The resampling tactic's sampler for the current fit, if any.
    module_, criterion_, optimizer_, callbacks_, history : see skorch
        ``history`` holds, per epoch, the vitality readings
        (``vitality_mean_stasis``, ``vitality_stress``,
        ``vitality_layer_stasis``, ``vitality_class_stress``,
        ``vitality_lr_scales``, ``vitality_resets``, ...).

    See Also
    --------
    skvitalroute.VitalitySampler : The same tactics in front of any classifier.
    skvitalroute.default_route : The default router's rules.
    skvitalroute.route_plan : The seed's rule table (``router="vitalroute"``).

    Notes
    -----
    Inside the skorch training loop (callbacks, scoring) targets are the
    encoded labels ``0 .. n_classes - 1``, and ``predict`` on a torch
    ``Dataset`` returns those indices, as skorch does; ``predict`` on an
    array-like returns the original labels.

    A :class:`~skvitalroute.callbacks.DivergenceGuard` runs in every fit: a
    non-finite training loss, parameter or output stops training with a
    ``ValueError`` naming the epoch, after restoring the parameters the
    diverging epoch started from (see ``docs/reliability.md``).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skvitalroute import VitalRouteClassifier
    >>> X, y = make_classification(n_samples=120, random_state=0)
    >>> clf = VitalRouteClassifier(hidden_units=(16,), max_epochs=3, random_state=0)
    >>> clf.fit(X, y).route_.label  # a short fit: inverse-frequency weights
    'inv_freq'
    >>> print(clf.route_.reasons["max_epochs"])
    not routed: the user's max_epochs=3 wins (6 optimizer steps)
    >>> clf.predict(X[:3]).shape
    (3,)
    >>> len(clf.history), "vitality_mean_stasis" in clf.history[-1]
    (3, True)
    """

    history_ = _PrivateState()
    initialized_ = _PrivateState()
    virtual_params_ = _PrivateState()
    # router__<name> parameters reach the router (skorch-style prefix)
    prefixes_ = [*NeuralNetClassifier.prefixes_, "router"]

    def __init__(
        self,
        module=None,
        *,
        hidden_units=(128, 64),
        dropout=0.0,
        tactics="auto",
        class_weight=None,
        loss="auto",
        focal_gamma=2.0,
        logit_adjust_tau=1.0,
        parent_pool=None,
        freeze_transfer=False,
        router="default",
        sampler_strength=0.7,
        sampler_beta=4.0,
        sampler_refresh=2,
        hard_strength=0.6,
        hard_beta=3.0,
        hard_refresh=1,
        lr_scale_alpha=4.0,
        tilt_strength=0.5,
        tilt_refresh=2,
        reset_threshold=0.12,
        probe_size=1024,
        monitor_refresh="auto",
        n_jobs=None,
        max_epochs=None,
        lr=1e-3,
        batch_size=64,
        optimizer=torch.optim.Adam,
        train_split=None,
        callbacks=None,
        random_state=None,
        device="cpu",
        verbose=0,
        **kwargs,
    ):
        # None: the loss is built from `loss` and `class_weight` at fit.
        kwargs.setdefault("criterion", None)
        super().__init__(
            module,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            callbacks=callbacks,
            device=device,
            verbose=verbose,
            **kwargs,
        )
        self.hidden_units = hidden_units
        self.dropout = dropout
        self.tactics = tactics
        self.class_weight = class_weight
        self.loss = loss
        self.focal_gamma = focal_gamma
        self.logit_adjust_tau = logit_adjust_tau
        self.parent_pool = parent_pool
        self.freeze_transfer = freeze_transfer
        self.router = router
        self.sampler_strength = sampler_strength
        self.sampler_beta = sampler_beta
        self.sampler_refresh = sampler_refresh
        self.hard_strength = hard_strength
        self.hard_beta = hard_beta
        self.hard_refresh = hard_refresh
        self.lr_scale_alpha = lr_scale_alpha
        self.tilt_strength = tilt_strength
        self.tilt_refresh = tilt_refresh
        self.reset_threshold = reset_threshold
        self.probe_size = probe_size
        self.monitor_refresh = monitor_refresh
        self.n_jobs = n_jobs
        self.random_state = random_state

    # ------------------------------------------------------------------
    # scikit-learn surface
    # ------------------------------------------------------------------
    @property
    def classes_(self):
        try:
            return self.label_encoder_.classes_
        except AttributeError:
            raise AttributeError(
                f"{type(self).__name__} has no classes_ before fit; call fit first."
            ) from None

    def get_params(self, deep=True, **kwargs):
        """Get the parameters of this estimator.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of callbacks and sub-objects.
        **kwargs : dict
            Passed to skorch's ``get_params``.

        Returns
        -------
        params : dict
            Parameter names mapped to their values; skorch's private
            bookkeeping (names starting with ``_``) is left out.
        """
        params = super().get_params(deep=deep, **kwargs)
        return {k: v for k, v in params.items() if not k.startswith("_")}

    def __repr__(self, N_CHAR_MAX=700):
        # scikit-learn's repr (the parameters the user changed), not skorch's
        return text_repr(self, N_CHAR_MAX)

    def _get_params_html(self, deep=True, doc_link=""):
        params = super()._get_params_html(deep=deep, doc_link=doc_link)
        return params_html(self, params, skip=reserved_callback_names())

    def set_params(self, **params):
        """Set the parameters of this estimator, as skorch does.

        Before the net is initialised, a new ``callbacks`` list is only
        stored; it is checked when ``fit`` initialises the callbacks
        (scikit-learn's convention of validating in ``fit``). On an
        initialised net a new ``optimizer`` re-initialises the optimizer,
        as a new ``criterion`` re-initialises the criterion in skorch
        (skorch 1.4 itself stops with "Something went wrong" there).

        Parameters
        ----------
        **params : dict
            Estimator parameters, including skorch's prefixed ones.

        Returns
        -------
        self : VitalRouteClassifier
        """
        if "callbacks" in params and not self.initialized_:
            self.callbacks = params.pop("callbacks")
        if "optimizer" not in params or not self.initialized_:
            return super().set_params(**params)
        # Store the new class with its optimizer__* arguments, then rebuild;
        # the other parameters follow as skorch sets them.
        new = {k: params.pop(k) for k in list(params) if k.startswith("optimizer__")}
        new["optimizer"] = params.pop("optimizer")
        for key, value in new.items():
            setattr(self, key, value)
        self._params_to_validate.update(k for k in new if k != "optimizer")
        self._initialize_optimizer(
            reason=self._format_reinit_msg("optimizer", new, triggered_directly=True)
        )
        return super().set_params(**params) if params else self

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Route tactics from ``y``, then initialise and train the network.

        With ``warm_start=True`` and an initialised net, training continues
        (same classes and features); the route, the tactic callbacks and
        the built-in loss's class weights and prior follow the new ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; cast to float32 inside the net.
        y : array-like of shape (n_samples,)
            Labels of any type.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights: each row's loss is multiplied by its
            weight (the batch loss is the weighted mean, see
            ``docs/classifier.md``); ``class_weight="balanced"`` and the
            logit-adjusted prior count classes by weight. Resampling
            tactics draw rows as without weights.
        **fit_params : dict
            Passed to the module's ``forward`` and to ``train_split``.

        Returns
        -------
        self : VitalRouteClassifier
            The fitted classifier.
        """
        check_vitality_params(self)
        warm = self.warm_start and self.initialized_ and hasattr(self, "label_encoder_")
        X, y, y_enc = self._check_training_data(X, y, reset=not warm)
        sample_weight = check_sample_weight(sample_weight, X)
        self._plan(y, y_enc, sample_weight)
        self._seed_ = self._draw_seed(len(self.history) if warm else 0)
        with _torch_rng(self._seed_):
            if warm:
                self._install_tactic_callbacks()
                self._refresh_builtin_loss()
                self._regroup_optimizer()
            else:
                self.initialize()
            X = with_sample_weight(X, sample_weight)
            with torch_threads(self._threads()):
                super().partial_fit(X, y_enc, **fit_params)
        return self

    def partial_fit(self, X, y=None, classes=None, sample_weight=None, **fit_params):
        """Train for ``max_epochs`` more epochs without re-initialising.

        The first call validates the data, routes the tactics and
        initialises the net; later calls continue training with the same
        route.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Labels.
        classes : array-like of shape (n_classes,), default=None
            Every label that will ever appear; needed on the first call
            when a batch does not contain all classes.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights, as in :meth:`fit`.
        **fit_params : dict
            Passed to the module's ``forward`` and to ``train_split``.

        Returns
        -------
        self : VitalRouteClassifier
        """
        first = not (self.initialized_ and hasattr(self, "label_encoder_"))
        if first:
            check_vitality_params(self)
        X, y, y_enc = self._check_training_data(X, y, reset=first, classes=classes)
        sample_weight = check_sample_weight(sample_weight, X)
        if first:
            self._plan(y, y_enc, sample_weight)
        self._seed_ = self._draw_seed(0 if first else len(self.history))
        with _torch_rng(self._seed_):
            if first:
                self.initialize()
            X = with_sample_weight(X, sample_weight)
            with torch_threads(self._threads()):
                super().partial_fit(X, y_enc, **fit_params)
        return self

    def predict_proba(self, X):
        """Return class probabilities (softmax of the logits).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or torch Dataset
            Input rows.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes) of float64
            Columns in the order of ``classes_``. The network computes in
            float32; the result is cast to float64 (rows renormalised to
            sum to one in float64), as scikit-learn classifiers return.

        Raises
        ------
        ValueError
            If the network's output is not finite for some row (overflowing
            inputs or parameters): NaN probabilities are never returned.
        """
        X = self._check_predict_data(X)
        with _torch_rng(), torch_threads(self._threads()):
            proba = super().predict_proba(X)
        _check_finite_proba(proba)
        proba = proba.astype(np.float64)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        """Return the log of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input rows.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes) of float64
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Return the most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or torch Dataset
            Input rows.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Original labels; for a torch ``Dataset`` (skorch's internal
            scoring), the encoded class indices.
        """
        index = self.predict_proba(X).argmax(axis=1)
        if is_dataset(X) or not hasattr(self, "label_encoder_"):
            return index  # skorch's convention (or a net initialised without y)
        return self.classes_[index]

    def save_params(self, f_params=None, *, f_labels=None, **kwargs):
        """Save the module's parameters (and more) as skorch does, and the labels.

        Parameters
        ----------
        f_params : file-like object, str or None, default=None
            Where to save the module's parameters (skorch).
        f_labels : file-like object, str or None, default=None
            Where to save the fitted label state as JSON: ``classes_``,
            ``n_features_in_``, ``feature_names_in_``, the loss's class
            prior and weights, ``profile_`` and ``route_``. Pass it to
            :meth:`load_params` to get the same predictions back.
        **kwargs : dict
            skorch's other arguments (``f_optimizer``, ``f_criterion``,
            ``f_history``, ``use_safetensors``, ...).

        Examples
        --------
        >>> import os, tempfile
        >>> from sklearn.datasets import make_classification
        >>> from skvitalroute import VitalRouteClassifier
        >>> X, y = make_classification(n_samples=60, random_state=0)
        >>> labels = [["no", "yes"][i] for i in y]
        >>> clf = VitalRouteClassifier(hidden_units=(8,), max_epochs=2).fit(X, labels)
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     files = dict(f_params=os.path.join(tmp, "params.pt"),
        ...                  f_labels=os.path.join(tmp, "labels.json"))
        ...     clf.save_params(**files)
        ...     new = VitalRouteClassifier(hidden_units=(8,), max_epochs=2)
        ...     new.load_params(**files)
        >>> new.classes_
        array(['no', 'yes'], dtype='<U3')
        >>> bool((new.predict(X) == clf.predict(X)).all()), new.score(X, labels) > 0
        (True, True)
        """
        if f_labels is not None:
            save_labels(self, f_labels)
        if f_params is None and not kwargs:
            return None
        return super().save_params(f_params=f_params, **kwargs)

    def load_params(self, f_params=None, *, f_labels=None, **kwargs):
        """Load what :meth:`save_params` saved; with ``f_labels``, the labels too.

        With ``f_labels`` the fitted label state is restored first and an
        uninitialised net is initialised from it (the default module is
        sized from the saved ``n_features_in_`` and ``classes_``, the
        optimizer grouped for the saved route), so ``predict`` returns the
        saved labels and ``score`` works.

        Parameters
        ----------
        f_params : file-like object, str or None, default=None
            Module parameters to load (skorch).
        f_labels : file-like object, str or None, default=None
            A file written by ``save_params(f_labels=...)``.
        **kwargs : dict
            skorch's other arguments (``f_optimizer``, ``f_criterion``,
            ``f_history``, ``checkpoint``, ``use_safetensors``, ...).
        """
        if f_labels is not None:
            load_labels(self, f_labels)
            if not self.initialized_:
                with _torch_rng():
                    self.initialize()
        if f_params is None and not kwargs:
            return None
        return super().load_params(f_params=f_params, **kwargs)

    def trim_for_prediction(self):
        """Drop what only training needs, as skorch does; keep the softmax.

        skorch infers ``predict_nonlinearity="auto"`` from the criterion,
        which trimming removes; the inferred function is kept instead, so
        ``predict_proba`` still returns probabilities.

        Returns
        -------
        None
        """
        nonlinearity = self._get_predict_nonlinearity()
        super().trim_for_prediction()
        self.predict_nonlinearity = nonlinearity

    # ------------------------------------------------------------------
    # skorch hooks
    # ------------------------------------------------------------------
    @property
    def _default_callbacks(self):
        # The epoch log (verbose=1) shows scalars; the per-layer and
        # per-class readings stay in history.
        callbacks = []
        for name, cb in super()._default_callbacks:
            if name == "print_log":
                cb = PrintLog(keys_ignored=list(_NON_SCALAR_KEYS))
            callbacks.append((name, cb))
        return callbacks

    def initialize(self):
        """Validate the parameters and the device, then initialise as skorch does.

        Returns
        -------
        self : VitalRouteClassifier
        """
        check_vitality_params(self)
        check_unknown_kwargs(self)
        check_device(self.device)
        return super().initialize()

    def initialize_module(self):
        """Build the default MLP when ``module=None``, else defer to skorch.

        Returns
        -------
        self : VitalRouteClassifier
        """
        if self.module is not None:
            return super().initialize_module()
        params = {"hidden_units": tuple(self.hidden_units), "dropout": self.dropout}
        if hasattr(self, "label_encoder_"):
            params.update(n_features=self.n_features_in_, n_classes=len(self.classes_))
        params.update(self.get_params_for("module"))
        if "hidden_units" in self.get_params_for("module"):
            check_hidden_units(params["hidden_units"], "module__hidden_units")
        if "n_features" not in params or "n_classes" not in params:
            raise ValueError(
                "The default module is sized from the training data: call fit, "
                "or pass module__n_features and module__n_classes to initialize "
                "it without data."
            )
        self.module_ = MLPModule(**params)
        return self

    def initialize_criterion(self):
        """Build the loss named by ``loss`` (with ``class_weight``).

        A ``criterion`` given to the constructor is used instead, as in
        skorch.

        Returns
        -------
        self : VitalRouteClassifier
        """
        if self.criterion is not None:
            return super().initialize_criterion()
        weight = getattr(self, "class_weight_", None)
        prior = getattr(self, "class_prior_", None)
        loss = self._resolved("loss")
        if loss == "logit_adjusted" and prior is None:
            raise ValueError(
                "loss='logit_adjusted' needs the class prior of the training "
                "labels: call fit instead of initialize."
            )
        self.criterion_ = build_loss(
            loss,
            weight=weight,
            prior=prior,
            gamma=self.focal_gamma,
            tau=self.logit_adjust_tau,
            **self.get_params_for("criterion"),
        )
        return self

    def initialize_optimizer(self, triggered_directly=None):
        """Build the optimizer; one parameter group per hidden layer when
        the route scales learning rates.

        The LR-scaling tactic changes each hidden layer's group; the rest
        of the parameters form the last group. Without that tactic, with
        ``optimizer__param_groups`` or with a module the probe cannot read,
        skorch's grouping is used (a single group by default: one group per
        layer would only slow every optimizer step). ``torch.optim.Adam``
        and ``AdamW`` use torch's fused implementation (same updates, one
        kernel) where the installed torch has it for the module's device,
        unless ``optimizer__fused`` or ``optimizer__foreach`` is set
        (:func:`~skvitalroute._optim.build_optimizer`).

        Parameters
        ----------
        triggered_directly : None
            Deprecated in skorch; passed on.

        Returns
        -------
        self : VitalRouteClassifier
        """
        if triggered_directly is not None:
            warnings.warn(
                "The 'triggered_directly' argument to 'initialize_optimizer' is "
                "deprecated, please don't use it anymore.",
                DeprecationWarning,
                stacklevel=2,
            )
        groups = self._layer_groups()
        self._layer_grouped = groups is not None
        args, kwargs = self.get_params_for_optimizer(
            "optimizer", self.get_all_learnable_params()
        )
        if groups is not None:
            args = (groups,)
        optimizer, kwargs = self._routed_optimizer(kwargs)
        self.optimizer_ = build_optimizer(optimizer, args, kwargs)
        return self

    def _routed_optimizer(self, kwargs):
        """The optimizer class and arguments, with the route's weight decay.

        A routed ``weight_decay`` is decoupled (AdamW) and applies only to
        the default optimizer (Adam) when the user set no
        ``optimizer__weight_decay``: the user's optimizer settings win.
        """
        plan = getattr(self, "route_", None)
        decay = None if plan is None else plan.settings.get("weight_decay")
        if decay is None or self.optimizer is not torch.optim.Adam:
            return self.optimizer, kwargs
        if "weight_decay" in kwargs:
            return self.optimizer, kwargs
        return torch.optim.AdamW, {**kwargs, "weight_decay": decay}

    def initialize_callbacks(self):
        """Initialise the user's callbacks, then add the tactic callbacks.

        Returns
        -------
        self : VitalRouteClassifier
        """
        super().initialize_callbacks()
        reserved = reserved_callback_names()
        clash = [n for n, _ in self.callbacks_ if n in reserved]
        if clash:
            raise ValueError(
                f"Callback name(s) {clash} are reserved for the vitality "
                f"tactics {list(reserved)}; rename your callback."
            )
        self._install_tactic_callbacks()
        return self

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Forget the previous run's sampler before the callbacks start.

        Parameters
        ----------
        net : VitalRouteClassifier
            This net.
        X, y : array-like
            The training data.
        **kwargs : dict
            Unused.
        """
        self.train_sampler_ = None
        super().on_train_begin(net, X=X, y=y, **kwargs)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        """Take the monitor's reading of the last epoch, if it has none.

        The net's own hook runs before every callback's, so the reading is
        of the last epoch's weights even when a callback such as
        ``EarlyStopping(load_best=True)`` loads others in its
        ``on_train_end`` (skorch's ``EarlyStopping`` also stops training
        inside ``on_epoch_end``, before the monitor's turn).

        Parameters
        ----------
        net : VitalRouteClassifier
            This net.
        X, y : array-like
            The training data.
        **kwargs : dict
            Unused.
        """
        for _, callback in self.callbacks_:
            if isinstance(callback, VitalityMonitor):
                callback.read_last_epoch(net)
        super().on_train_end(net, X=X, y=y, **kwargs)

    def _set_train_sampler(self, sampler):
        """Use ``sampler`` to draw training rows for the current fit.

        Called by the resampling callbacks in ``on_train_begin``.

        Parameters
        ----------
        sampler : torch.utils.data.Sampler
            Yields indices into the training split.
        """
        self.train_sampler_ = sampler

    def infer(self, x, **fit_params):
        """Run the module on a batch, without the batch's sample weights.

        Parameters
        ----------
        x : tensor, array or dict
            A batch; a dict carrying ``"sample_weight"`` (a weighted fit)
            gives the module only its input.
        **fit_params : dict
            Passed to the module's ``forward``.

        Returns
        -------
        y_infer : torch.Tensor
            The module's output.
        """
        return super().infer(module_input(x), **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """Return the loss of a batch, weighted by its sample weights.

        A batch of a weighted fit carries ``X["sample_weight"]``: the
        criterion's per-row losses are multiplied by them and averaged
        with torch's weighted-mean convention
        (:func:`skvitalroute._losses.weighted_mean`).

        Parameters
        ----------
        y_pred : torch.Tensor
            The module's output.
        y_true : torch.Tensor
            Encoded labels.
        X : tensor, array or dict, default=None
            The batch.
        training : bool, default=False
            Whether this is a training step.

        Returns
        -------
        loss : torch.Tensor
        """
        weight = batch_sample_weight(X)
        if weight is None:
            return super().get_loss(y_pred, y_true, X=X, training=training)
        with per_row(self.criterion_) as reduction:
            rows = super().get_loss(y_pred, y_true, X=X, training=training)
        target = torch.as_tensor(y_true, device=rows.device)
        return weighted_mean(rows, target, weight, self.criterion_, reduction)

    def get_dataset(self, X, y=None):
        """Return a skorch dataset, with array input cast to float32.

        Parameters
        ----------
        X : array-like or torch Dataset
            Input rows.
        y : array-like, default=None
            Encoded labels.

        Returns
        -------
        dataset : torch.utils.data.Dataset
        """
        if isinstance(X, np.ndarray) and X.dtype != np.float32:
            X = X.astype(np.float32)
        elif isinstance(X, np.ndarray) and not (
            X.flags.writeable and X.flags.c_contiguous
        ):
            X = np.array(X, order="C")  # torch warns on read-only arrays
        return super().get_dataset(X, y)

    def get_split_datasets(self, X, y=None, **fit_params):
        """Split off the validation rows (before any resampling).

        A numeric ``train_split`` is a stratified
        :class:`skorch.dataset.ValidSplit` seeded by ``random_state``.

        Parameters
        ----------
        X : array-like
            Training rows.
        y : array-like, default=None
            Encoded labels.
        **fit_params : dict
            Passed to the split.

        Returns
        -------
        dataset_train, dataset_valid : torch Dataset, torch Dataset or None
        """
        split = self.train_split
        if split is None or callable(split):
            return super().get_split_datasets(X, y, **fit_params)
        # skorch's ValidSplit takes a random_state only for a float fraction;
        # an int number of folds splits deterministically.
        seed = self._seed_ if isinstance(split, float) else None
        valid = ValidSplit(split, stratified=True, random_state=seed)
        return valid(self.get_dataset(X, y), y, **fit_params)

    def get_iterator(self, dataset, training=False):
        """Return the batch iterator; training uses the tactic's sampler.

        Training batches are reshuffled every epoch unless
        ``iterator_train__shuffle=False``; when a resampling tactic set a
        sampler for this fit, it draws the rows instead. On a dataset of
        in-memory arrays (what ``fit`` and ``predict`` build from arrays)
        the batches are slices of rows gathered once per epoch
        (:class:`~skvitalroute._iterator.ArrayBatches`), the same batches
        torch's ``DataLoader`` yields; other datasets and iterator settings
        get the ``DataLoader``. Without ``iterator_valid__batch_size``,
        validation and prediction with the default module run on batches
        of at least 1024 rows (:func:`~skvitalroute._iterator.eval_batch_size`).

        Parameters
        ----------
        dataset : torch.utils.data.Dataset
            Training or validation split.
        training : bool, default=False
            Whether the iterator is for training.

        Returns
        -------
        iterator : ArrayBatches or torch.utils.data.DataLoader
        """
        if training:
            kwargs = self.get_params_for("iterator_train")
            iterator = self.iterator_train
            sampler = getattr(self, "train_sampler_", None)
            if sampler is not None:
                kwargs.update(sampler=sampler, shuffle=False)
            elif "sampler" not in kwargs and "batch_sampler" not in kwargs:
                kwargs.setdefault("shuffle", True)
        else:
            kwargs = self.get_params_for("iterator_valid")
            iterator = self.iterator_valid
            if "batch_size" not in kwargs and self.batch_size != -1:
                module = getattr(self, "module_", None)
                kwargs["batch_size"] = eval_batch_size(module, self.batch_size)
        kwargs.setdefault("batch_size", self.batch_size)
        if kwargs["batch_size"] == -1:
            kwargs["batch_size"] = len(dataset)
        return batch_iterator(iterator, dataset, **kwargs)

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------
    def _check_training_data(self, X, y, *, reset, classes=None):
        X, y = validate_data(self, X, y, reset=reset, dtype=_FLOAT_DTYPES)
        check_float32_range(X, self)
        check_label_values(y)
        check_classification_targets(y)
        if reset:
            if classes is None:
                classes = self.classes if self.classes is not None else y
            self.label_encoder_ = LabelEncoder().fit(classes)
            if len(self.classes_) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes; "
                    f"the data contains only one class: {self.classes_.tolist()[0]!r}."
                )
        return X, y, self.label_encoder_.transform(y)

    def _check_predict_data(self, X):
        if is_dataset(X):
            return X
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=_FLOAT_DTYPES)
        return check_float32_range(X, self)

    def _plan(self, y, y_enc, sample_weight=None):
        """Profile the labels, choose the tactics, set the loss inputs.

        The router reads row counts; with ``sample_weight`` the class prior
        and balanced class weights count each class by its rows' weights.
        """
        self.profile_ = profile_task(y)
        self.route_ = self._route(self.profile_)
        counts = np.bincount(y_enc, weights=sample_weight, minlength=len(self.classes_))
        self.class_prior_ = counts / counts.sum()
        class_weight = self.class_weight
        if class_weight is None:
            class_weight = self.route_.settings.get("class_weight")
        self.class_weight_ = class_weight_vector(
            class_weight, self.classes_, y, sample_weight
        )
        check_class_weight_vector(class_weight, self.class_weight_, self.classes_)

    def _refresh_builtin_loss(self):
        """Rebuild the built-in loss from the current labels (warm start)."""
        if self.criterion is None:
            self.initialize_criterion()
            self.criterion_ = to_device(self.criterion_, self.device)

    def _route(self, profile):
        """The plan: the router's under ``tactics="auto"``, else explicit."""
        if self.tactics != "auto":
            return explicit_plan(self.tactics)
        params = self.get_params_for("router")
        # the budget counts steps of this net's batches; the decay follows lr
        takes = router_parameters(self.router)
        if "batch_size" in takes and "batch_size" not in params:
            size = self.batch_size
            params["batch_size"] = profile.n_samples if size == -1 else size
        if "lr" in takes and "lr" not in params:
            params["lr"] = self.lr
        # a fixed budget is the user's: the router fits its choices to it
        if "epochs" in takes and "epochs" not in params and self.max_epochs:
            params["epochs"] = self.max_epochs
        plan = get_router(self.router)(
            profile, parent_pool_available=bool(self.parent_pool), **params
        )
        return self._user_wins(plan)

    def _user_optimizer(self):
        """What of the user's optimizer settings rules out a routed decay."""
        if self.optimizer is not torch.optim.Adam:
            return f"optimizer={getattr(self.optimizer, '__name__', self.optimizer)}"
        if "optimizer__weight_decay" in self.__dict__:
            return "optimizer__weight_decay"
        return False

    def _user_wins(self, plan):
        """Drop the routed settings the user set explicitly, saying so."""
        rebalancing = (
            (self.loss != "auto" and f"loss={self.loss!r}")
            or (self.criterion is not None and "criterion")
            or (self.class_weight is not None and "class_weight")
        )
        given = {
            "loss": rebalancing,
            "class_weight": rebalancing,
            "max_epochs": self.max_epochs is not None
            and f"max_epochs={self.max_epochs!r}",
            "weight_decay": self._user_optimizer(),
        }
        dropped = {k: v for k, v in given.items() if v and k in plan.settings}
        if not dropped:
            return plan
        settings = {k: v for k, v in plan.settings.items() if k not in dropped}
        reasons = dict(plan.reasons)
        for key, by in dropped.items():
            reasons[key] = f"not routed: the user's {by} wins"
        return replace(plan, settings=settings, reasons=reasons)

    def _resolved(self, name):
        """The value of parameter ``name`` this fit uses.

        A parameter left to the router (``loss="auto"``, ``max_epochs=None``)
        takes the route's setting, else its fallback; an explicit value
        always wins.
        """
        value = getattr(self, name)
        if value not in (None, "auto"):
            return value
        plan = getattr(self, "route_", None)
        settings = {} if plan is None else plan.settings
        fallback = {"loss": "cross_entropy", "max_epochs": _DEFAULT_EPOCHS}[name]
        return settings.get(name, fallback)

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        """Run skorch's fit loop for the routed number of epochs.

        Parameters
        ----------
        X, y : array-like
            Training data (encoded labels).
        epochs : int or None, default=None
            Epochs to run; None uses ``max_epochs`` or, when it is None,
            the route's budget (30 epochs without one).
        **fit_params : dict
            Passed to skorch.

        Returns
        -------
        self : VitalRouteClassifier
        """
        if epochs is None:
            epochs = self._resolved("max_epochs")
        self.max_epochs_ = epochs
        return super().fit_loop(X, y, epochs=epochs, **fit_params)

    def _threads(self):
        """torch threads for this estimator's fit or prediction (n_jobs)."""
        module = getattr(self, "module_", None)
        return fit_threads(self.n_jobs, module, self.batch_size, self.device)

    def _draw_seed(self, offset):
        # An int random_state gives the same seed every fit; None or a
        # RandomState draws a fresh one (scikit-learn's convention). The
        # offset (epochs already trained) varies the stream of warm fits.
        base = check_random_state(self.random_state).randint(_SEED_MAX)
        return (int(base) + int(offset)) % _SEED_MAX

    def _install_tactic_callbacks(self):
        """Replace the tactic callbacks in ``callbacks_`` (before PrintLog)."""
        reserved = reserved_callback_names()
        kept = [(n, cb) for n, cb in self.callbacks_ if n not in reserved]
        plan = getattr(self, "route_", None)
        tactics = () if plan is None else plan.tactics
        ours = tactic_callbacks(self, tactics, getattr(self, "_seed_", None))
        for _, cb in ours:
            cb.initialize()
        cut = next(
            (i for i, (_, cb) in enumerate(kept) if isinstance(cb, PrintLog)),
            len(kept),
        )
        self.callbacks_ = kept[:cut] + ours + kept[cut:]

    def _regroup_optimizer(self):
        """On a warm-start fit whose route turns ``lr_scale`` on or off,
        rebuild the optimizer with the matching groups, keeping every
        parameter's state (e.g. Adam's moments)."""
        wanted = self._layer_groups() is not None
        if getattr(self, "_layer_grouped", False) == wanted:
            return
        state = self.optimizer_.state
        self.initialize_optimizer()
        self.optimizer_.state.update(state)

    def _layer_groups(self):
        """One optimizer group per hidden layer plus one for the rest, when
        this fit's route uses ``lr_scale``; else None (skorch's groups)."""
        plan = getattr(self, "route_", None)
        if plan is None or not plan.use_lr_scale:
            return None
        if self.get_params_for("optimizer").get("param_groups"):
            return None
        try:
            groups = layer_param_groups(self.module_)
        except ValueError:  # no Linear/ConvNd layer the probe can read
            return None
        seen = {id(p) for g in groups for p in g["params"]}
        rest = [p for _, p in self.get_all_learnable_params() if id(p) not in seen]
        if rest:
            groups = list(groups) + [{"params": rest, "name": "other"}]
        return groups
