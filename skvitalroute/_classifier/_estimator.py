"""VitalRouteClassifier: a skorch classifier that routes its own tactics.

The class holds the scikit-learn surface (parameters, ``fit``,
``partial_fit``); its other parts are mixins, each in its own module:
prediction (``_predict``), saving and loading with the labels (``_io``),
skorch's hooks (``_hooks``) and skorch's parameters with scikit-learn's
manners (``_skorch``), all in this package.
"""

import torch
from skorch import NeuralNetClassifier
from skorch.utils import to_device

from skvitalroute._classifier._criterion import set_loss_inputs
from skvitalroute._classifier._data import check_training_data
from skvitalroute._classifier._forest import fit_forest, forest_planned, network_step
from skvitalroute._classifier._hooks import _SkorchHooks
from skvitalroute._classifier._io import _SaveLoad, check_not_trimmed
from skvitalroute._classifier._params import PARAMETER_CONSTRAINTS
from skvitalroute._classifier._predict import _Prediction
from skvitalroute._classifier._proba import check_network_output
from skvitalroute._classifier._race import run_race, skip_race
from skvitalroute._classifier._skorch import _SklearnParams
from skvitalroute._classifier._tactic_params import (
    renamed_params,
    warn_unused_settings,
)
from skvitalroute._data._sample_weight import check_sample_weight, with_sample_weight
from skvitalroute._utils._repr import with_inherited_signature
from skvitalroute._utils._rng import draw_seed, torch_rng
from skvitalroute._utils._threads import torch_threads
from skvitalroute.callbacks._install import install_tactic_callbacks
from skvitalroute.callbacks._lr_groups import regroup_optimizer
from skvitalroute.routing import profile_task
from skvitalroute.routing._estimator import estimator_route


@with_inherited_signature
class VitalRouteClassifier(
    _Prediction, _SaveLoad, _SkorchHooks, _SklearnParams, NeuralNetClassifier
):
    """Neural classifier that reads its units' vitality and routes tactics.

    A :class:`skorch.NeuralNetClassifier` with scikit-learn manners. At
    ``fit`` a router reads the training labels and returns a plan: the
    rebalancing (the logit-adjusted loss under the default router), the
    training budget, the weight decay and which tactics run (class-stress
    or hard-sample resampling, per-layer learning-rate damping, the class
    tilt, dead-unit resets, a warm start from the best of ``parent_pool``);
    see ``docs/router.md``. Up to 5000 training rows the default router
    also races the plan against ten times its weight decay on a held-out
    quarter of the rows and refits the winner on all of them (about three
    fits' time; ``router__race=False`` trains the plan alone). After the
    network, the default router's ``fit`` also trains a balanced random
    forest on the same rows and ``predict_proba`` averages the two (the
    forest blend; ``router__forest_weight=0`` predicts with the network
    alone). Every
    setting you pass yourself wins over the plan's. A vitality monitor is
    always on: it records per-layer stasis, composite stress, per-class
    stress and LR scales into ``history`` (every ``monitor_refresh``
    epochs, and the last). The same estimator
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
        ``None`` builds :class:`~skvitalroute.nn.MLPModule` at fit,
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
        tactics, with no routed settings. Each tactic's own settings are
        ``tactic__<tactic>__<argument>`` parameters, the arguments of its
        callback (``tactic__class__beta=0.0``, ``tactic__hard__strength``,
        ``tactic__lr_scale__alpha``, ...; the table of
        ``docs/classifier.md``, "Tactic settings"): listed with their
        defaults by ``get_params()``, set by ``set_params`` and tunable by
        ``GridSearchCV``.
    class_weight : None, "balanced" or dict, default=None
        Per-class loss weights. ``"balanced"`` weighs class ``c`` by
        ``n_samples / (n_classes * count_c)`` (inverse frequency); a dict
        maps labels to weights. Setting it replaces the routed rebalancing.
    loss : {"auto", "cross_entropy", "focal", "logit_adjusted"}, default="auto"
        Training loss on the logits. ``"auto"`` takes the route's loss
        (cross-entropy when the route sets none or ``tactics`` is not
        ``"auto"``). The focal loss's focusing parameter is
        ``criterion__gamma`` (default 2.0; formerly ``focal_gamma``).
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
    probe_size : int, default=1024
        Rows in each vitality reading.
    monitor_refresh : int or "auto", default="auto"
        Epochs between the monitor's readings (the first and the last
        epoch of a fit always have one). ``"auto"`` reads every epoch under
        the reset tactic and otherwise as often as keeps the readings to a
        few percent of the training time: every epoch from about 11 000
        training rows (10 classes), less often on fewer rows or more
        classes (:class:`~skvitalroute.callbacks.VitalityMonitor`).
    proba_prior : {"auto", "balanced", "train"}, default="auto"
        The class prior of :meth:`predict_proba`. ``"auto"``: the softmax of
        the network's logits, i.e. the prior the fit trained for (equal
        priors under the rebalancing routes: logit-adjusted loss,
        ``class_weight="balanced"``); ``"train"``: the class frequencies of
        the training labels (``class_prior_``), calibrated probabilities for
        log-loss, Brier score or risk thresholds; ``"balanced"``: equal
        priors. ``predict`` does not change: it always decides on
        ``"auto"``. See ``docs/classifier.md``, "Probabilities".
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
    device : str, torch.device or None, default="cpu"
        Device to train on; None leaves the module where it is (skorch's
        "no device casting").
    verbose : int, default=0
        Print the epoch log when positive.
    **kwargs : dict
        The tactic settings ``tactic__<tactic>__<argument>`` (see
        ``tactics``) and any other skorch argument (``criterion``,
        ``iterator_train__*``, ``module__*``, ``optimizer__*``,
        ``callbacks__*``, ``warm_start``, ...). A ``criterion`` replaces the
        built-in loss. ``callbacks__<name>__<argument>`` also reaches the
        vitality callbacks (``callbacks__vitality_class__beta`` is
        ``tactic__class__beta``). The old names of the tactic settings
        (``sampler_beta``, ``hard_strength``, ``lr_scale_alpha``, ...) still
        work for one release, with a ``FutureWarning`` naming the new one.

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
    train_logit_offset_ : ndarray of shape (n_classes,)
        What the last fit added to the logits relative to the training
        prior: ``softmax(logits + train_logit_offset_)`` is the posterior
        under ``class_prior_`` (``proba_prior="train"``).
    train_sampler_ : torch.utils.data.Sampler or None
        The resampling tactic's sampler for the current fit, if any.
    forest_ : imblearn.ensemble.BalancedRandomForestClassifier or None
        The forest of the forest blend, trained by the last ``fit`` on its
        rows and encoded labels; None when the network predicts alone
        (``router__forest_weight=0``, ``tactics`` not ``"auto"``, another
        router, ``partial_fit``).
    forest_weight_ : float
        Weight of ``forest_``'s probabilities in :meth:`predict_proba` (0
        without a forest).
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
    >>> clf.fit(X, y).route_.label
    'logit_adjusted'
    >>> print(clf.route_.reasons["max_epochs"])
    not routed: the user's max_epochs=3 wins (6 optimizer steps)
    >>> clf.predict(X[:3]).shape
    (3,)
    >>> len(clf.history), "vitality_mean_stasis" in clf.history[-1]
    (3, True)
    """

    # Checked once per fit by _params.check_vitality_params (skorch does
    # not read them).
    _parameter_constraints: dict = PARAMETER_CONSTRAINTS

    def __init__(
        self,
        module=None,
        *,
        hidden_units=(128, 64),
        dropout=0.0,
        tactics="auto",
        class_weight=None,
        loss="auto",
        logit_adjust_tau=1.0,
        parent_pool=None,
        freeze_transfer=False,
        router="default",
        probe_size=1024,
        monitor_refresh="auto",
        proba_prior="auto",
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
        # the per-tactic arguments of 0.1 (sampler_beta, ...): a FutureWarning
        kwargs = renamed_params(kwargs, type(self).__name__)
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
        self.logit_adjust_tau = logit_adjust_tau
        self.parent_pool = parent_pool
        self.freeze_transfer = freeze_transfer
        self.router = router
        self.probe_size = probe_size
        self.monitor_refresh = monitor_refresh
        self.proba_prior = proba_prior
        self.n_jobs = n_jobs
        self.random_state = random_state

    @property
    def classes_(self):
        try:
            return self.label_encoder_.classes_
        except AttributeError:
            raise AttributeError(
                f"{type(self).__name__} has no classes_ before fit; call fit first."
            ) from None

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
        return self._fit(X, y, None, sample_weight, fit_params, incremental=False)

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
        return self._fit(X, y, classes, sample_weight, fit_params, incremental=True)

    def _fit(self, X, y, classes, sample_weight, fit_params, *, incremental):
        # What a call does, by the net's state ("fitted": initialised on labels).
        #   call         fitted  warm_start | fresh  route  seed offset
        #   fit          no      any        | yes    yes    0
        #   fit          yes     False      | yes    yes    0
        #   fit          yes     True       | no     yes    len(history)
        #   partial_fit  no      any        | yes    yes    0
        #   partial_fit  yes     any        | no     no     len(history)
        # fresh (MLPClassifier's first_pass): reset n_features_in_, the label
        # encoder and the net (initialize). route: check the parameters,
        # profile y and plan; on a warm fit the tactic callbacks, the built-in
        # loss and the optimizer groups then follow the new plan.
        check_not_trimmed(self)
        fitted = self.initialized_ and hasattr(self, "label_encoder_")
        fresh = not fitted or not (incremental or self.warm_start)
        route = fresh or not incremental
        if route:
            self._check_params()
        X, y, y_enc = check_training_data(self, X, y, reset=fresh, classes=classes)
        sample_weight = check_sample_weight(sample_weight, X)
        if route:
            self.profile_ = profile_task(y)
            # a race candidate's fit comes with its plan (_classifier/_race.py)
            forced = self.__dict__.pop("_race_plan_", None)
            self.route_ = forced or estimator_route(self, self.profile_)
            warn_unused_settings(self)
        self._seed_ = draw_seed(self.random_state, 0 if fresh else len(self.history))
        if route and self.route_.race is not None:
            if fresh and not incremental:
                run_race(self, X, y, sample_weight)
            else:
                self.route_ = skip_race(self.route_)
        if route:
            set_loss_inputs(self, y, y_enc, sample_weight)
        with torch_rng(self._seed_):
            if fresh:
                self._initialize_checked()  # the parameters were checked above
            elif route:
                install_tactic_callbacks(self)
                if self.criterion is None:  # the built-in loss, from this y
                    self.initialize_criterion()
                    self.criterion_ = to_device(self.criterion_, self.device)
                regroup_optimizer(self)
            check_network_output(self, X, fit_params)
            rows = with_sample_weight(X, sample_weight)
            planned = forest_planned(self, incremental)
            self.forest_ = None  # a forest fits the network it was trained beside
            with torch_threads(self._threads()), network_step(self, planned):
                super().partial_fit(rows, y_enc, **fit_params)
        fit_forest(self, X, y_enc, sample_weight, incremental=incremental)
        return self
