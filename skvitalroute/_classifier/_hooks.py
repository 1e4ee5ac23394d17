"""The skorch hooks of the classifier: what skorch calls to build and train it.

Each hook is thin: the default network, the loss, the optimizer groups, the
tactic callbacks, the routing and the batch iterator are built by the
modules that own them.
"""

import warnings

import numpy as np
import torch
from sklearn.preprocessing import LabelEncoder
from skorch.dataset import ValidSplit

from skvitalroute._classifier._criterion import build_criterion
from skvitalroute._classifier._default_module import build_default_module
from skvitalroute._classifier._io import check_not_trimmed
from skvitalroute._classifier._loop import fast_epoch, fast_epoch_applies
from skvitalroute._classifier._optim import build_optimizer
from skvitalroute._classifier._params import (
    check_n_jobs,
    check_unknown_kwargs,
    check_vitality_params,
)
from skvitalroute._classifier._proba import train_logit_offset
from skvitalroute._data._iterator import net_iterator
from skvitalroute._data._sample_weight import batch_sample_weight, module_input
from skvitalroute._utils._device import check_device
from skvitalroute._utils._threads import fit_threads
from skvitalroute.callbacks._install import (
    check_reserved_names,
    install_tactic_callbacks,
    read_last_epoch,
    scalar_print_log,
)
from skvitalroute.callbacks._lr_groups import net_layer_groups
from skvitalroute.nn._losses import per_row, weighted_mean
from skvitalroute.routing._estimator import resolved, routed_optimizer


class _SkorchHooks:
    """skorch's initialisation and training hooks of the classifier.

    A mixin placed before :class:`skorch.NeuralNetClassifier`.
    """

    @property
    def _default_callbacks(self):
        # The epoch log (verbose=1) shows scalars; the per-layer and
        # per-class readings stay in history.
        return scalar_print_log(super()._default_callbacks)

    def initialize(self):
        """Validate the parameters and the device, then initialise as skorch does.

        Returns
        -------
        self : VitalRouteClassifier
        """
        check_not_trimmed(self)
        self._check_params()
        return self._initialize_checked()

    def _check_params(self):
        """Check the classifier's own parameters (once per fit, before routing)."""
        check_vitality_params(self)

    def _initialize_checked(self):
        """``initialize`` once the parameters are checked (``fit`` checks
        them before routing, then calls this: one check per fit)."""
        check_unknown_kwargs(self)
        check_device(self.device)
        if not hasattr(self, "label_encoder_") and self.classes is not None:
            # skorch's classes=: the labels of a net initialised without y
            self.label_encoder_ = LabelEncoder().fit(self.classes)
        return super().initialize()

    def initialize_module(self):
        """Build the default MLP when ``module=None``, else defer to skorch.

        The default :class:`~skvitalroute.nn.MLPModule` has
        ``n_features_in_`` inputs, ``len(classes_)`` outputs and the
        ``hidden_units`` and ``dropout`` of the parameters (``module__*``
        win).

        Returns
        -------
        self : VitalRouteClassifier
            With the network in ``module_``.
        """
        if self.module is not None:
            return super().initialize_module()
        self.module_ = build_default_module(self)
        return self

    def initialize_criterion(self):
        """Build the loss named by ``loss`` (with ``class_weight``).

        Returns
        -------
        self : VitalRouteClassifier
            With the loss in ``criterion_``: skorch's, from ``criterion`` and
            ``criterion__*``, when a ``criterion`` was given to the constructor.
        """
        if self.criterion is not None:
            return super().initialize_criterion()
        self.criterion_ = build_criterion(self)
        return self

    def initialize_optimizer(self, triggered_directly=None):
        """Build the optimizer; one parameter group per hidden layer when
        the route scales learning rates.

        The LR-scaling tactic changes each hidden layer's group; the rest
        of the parameters form the last group. Without that tactic, with
        ``optimizer__param_groups`` or with a module the probe cannot read,
        skorch's grouping is used (a single group by default: one group per
        layer would only slow every optimizer step). A routed weight decay
        makes the default Adam an AdamW
        (:func:`~skvitalroute.routing._estimator.routed_optimizer`).
        ``torch.optim.Adam`` and ``AdamW`` use torch's fused implementation
        (same updates, one kernel) where the installed torch has it for the
        module's device, unless ``optimizer__fused`` or
        ``optimizer__foreach`` is set
        (:func:`~skvitalroute._classifier._optim.build_optimizer`).

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
        groups = net_layer_groups(self)
        self._layer_grouped = groups is not None
        args, kwargs = self.get_params_for_optimizer(
            "optimizer", self.get_all_learnable_params()
        )
        if groups is not None:
            args = (groups,)
        optimizer, kwargs = routed_optimizer(self, kwargs)
        self.optimizer_ = build_optimizer(optimizer, args, kwargs)
        return self

    def initialize_callbacks(self):
        """Initialise the user's callbacks, then add the tactic callbacks.

        Returns
        -------
        self : VitalRouteClassifier
        """
        super().initialize_callbacks()
        check_reserved_names(self.callbacks_)
        install_tactic_callbacks(self)
        return self

    def _initialize_callbacks(self):
        # skorch's callbacks="disable" skips initialize_callbacks and leaves
        # no callback; it turns off skorch's callbacks and the user's, while
        # the guard, the monitor and the tactics follow `tactics` (route_
        # says what runs). skorch calls this from initialize and set_params.
        super()._initialize_callbacks()
        if self.callbacks == "disable":
            install_tactic_callbacks(self)
        return self

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Forget the previous run's sampler before the callbacks start.

        Parameters
        ----------
        net : VitalRouteClassifier
            This net.
        X, y : array-like
            The training data, passed on to skorch.
        **kwargs : dict
            Unused.
        """
        self.train_sampler_ = None
        super().on_train_begin(net, X=X, y=y, **kwargs)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        """Take the monitor's reading of the last epoch, if it has none, and
        the logit offset of the training prior (``train_logit_offset_``).

        The net's own hook runs before every callback's, so the reading is
        of the last epoch's weights even when a callback such as
        ``EarlyStopping(load_best=True)`` loads others in its
        ``on_train_end`` (skorch's ``EarlyStopping`` also stops training
        inside ``on_epoch_end``, before the monitor's turn).

        Parameters
        ----------
        net : VitalRouteClassifier
            This net, whose last epoch is read.
        X, y : array-like
            The training data.
        **kwargs : dict
            Unused.
        """
        read_last_epoch(self)
        self.train_logit_offset_ = train_logit_offset(self)
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
        (:func:`skvitalroute.nn._losses.weighted_mean`).

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
        (:class:`~skvitalroute._data._iterator.ArrayBatches`), the same batches
        torch's ``DataLoader`` yields; other datasets and iterator settings
        get the ``DataLoader``. Without ``iterator_valid__batch_size``,
        validation and prediction with the default module run on batches
        of at least 1024 rows (:func:`~skvitalroute._data._iterator.eval_batch_size`).

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
        return net_iterator(self, dataset, training=training)

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
            epochs = resolved(self, "max_epochs")
        self.max_epochs_ = epochs
        return super().fit_loop(X, y, epochs=epochs, **fit_params)

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """Run one training or validation epoch, as skorch does.

        A training epoch whose only per-batch listener is the divergence
        guard skips skorch's per-batch notifications, closure and history
        calls (:func:`~skvitalroute._classifier._loop.fast_epoch`): the same
        steps, losses and ``history`` records. Any callback of yours that
        overrides ``on_batch_begin``, ``on_batch_end`` or
        ``on_grad_computed`` gets skorch's own loop, unchanged.

        Parameters
        ----------
        iterator : iterable or None
            The batches; None skips the epoch.
        training : bool
            Whether this is a training epoch.
        prefix : str
            History prefix (``"train"`` or ``"valid"``).
        step_fn : callable
            skorch's step for each batch.
        **fit_params : dict
            Passed to the module's ``forward``.
        """
        if fast_epoch_applies(self, training, step_fn):
            return fast_epoch(self, iterator, prefix, **fit_params)
        return super().run_single_epoch(
            iterator, training, prefix, step_fn, **fit_params
        )

    def _threads(self):
        """torch threads for this estimator's fit or prediction (n_jobs)."""
        if self.n_jobs is not None and self.n_jobs > 1:  # set after fit, too
            check_n_jobs(self)
        module = getattr(self, "module_", None)
        if module is None:
            return fit_threads(self.n_jobs, module, self.batch_size, self.device)
        # counting the parameters is 10 us of a one-row prediction: once per
        # module and settings (by id, so that no second reference to the
        # module is pickled with the net)
        key = (self.n_jobs, id(module), self.batch_size, str(self.device))
        cached = self.__dict__.get("_threads_for")
        if cached is None or cached[0] != key:
            threads = fit_threads(self.n_jobs, module, self.batch_size, self.device)
            cached = self.__dict__["_threads_for"] = (key, threads)
        return cached[1]
