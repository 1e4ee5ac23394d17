"""Shared plumbing of the vitality callbacks: checks, training rows, probing."""

from skorch.callbacks import Callback

from skvitalroute._data._dataset import take_rows, training_arrays
from skvitalroute._utils._validation import POSITIVE_INT, check_params
from skvitalroute.probe._probe import VitalityProbe
from skvitalroute.probe._rows import PROBE_SEED, probe_rows


class CheckedOnce:
    """Parameter checks of a callback: once per fit.

    The parameters are checked against the class's
    ``_parameter_constraints`` (scikit-learn's constraint objects; skorch
    does not read them) by ``_check_params``, which a subclass extends
    with the rules a constraint cannot say.
    ``initialize`` (skorch's convention) runs ``_check_params``;
    ``on_train_begin`` runs it again only when a parameter was set since,
    e.g. by ``net.set_params(callbacks__<name>__<param>=...)`` on an
    initialised net, which skorch applies after re-initialising the
    callbacks (a ``partial_fit`` then starts without ``initialize``).
    """

    _parameter_constraints: dict = {}

    def _check_params(self):
        check_params(
            self._parameter_constraints,
            self.get_params(deep=False),
            type(self).__name__,
        )

    def _check_params_now(self):
        self._check_params()
        self._checked_params_ = self.get_params(deep=False)

    def _check_params_if_set(self):
        checked = getattr(self, "_checked_params_", None)
        params = self.get_params(deep=False)
        if checked is None or any(v is not checked.get(k) for k, v in params.items()):
            self._check_params_now()


class VitalityCallback(CheckedOnce, Callback):
    """Base of the callbacks that probe the net on its training rows.

    Subclasses keep only parameters in ``__init__`` and declare their
    ``_parameter_constraints``. Per-fit state ends in ``_``: the training rows
    (read once per fit from ``dataset_train``), the probe batch drawn from
    them and the number of epochs run in this fit.
    """

    _parameter_constraints: dict = {"probe_size": [POSITIVE_INT]}

    def initialize(self):
        """Check the parameters and forget any previous fit.

        Returns
        -------
        self : object
        """
        self._check_params_now()
        self._new_fit()
        return self

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Forget the previous fit's rows and epoch count."""
        self._check_params_if_set()
        self._new_fit()

    def on_train_end(self, net, X=None, y=None, **kwargs):
        """Drop the training rows so that a pickled net does not carry them."""
        self.train_X_ = None
        self.train_y_ = None
        self.probe_X_ = None
        self.probe_y_ = None

    def _new_fit(self):
        self.train_X_ = None
        self.train_y_ = None
        self.probe_X_ = None
        self.probe_y_ = None
        self.epochs_ = 0

    def _rows(self, dataset_train):
        """The training rows of this fit, read once from ``dataset_train``."""
        if getattr(self, "train_X_", None) is None:
            if dataset_train is None:
                raise ValueError(
                    f"{type(self).__name__} needs the training dataset; skorch "
                    "passes it as dataset_train to on_epoch_begin/on_epoch_end."
                )
            self.train_X_, self.train_y_ = training_arrays(dataset_train)
        return self.train_X_, self.train_y_

    def _probe_batch(self, dataset_train):
        """The probe batch of this fit: the rows every reading takes.

        A reading of the training rows takes the rows
        :func:`~skvitalroute.probe._rows.probe_rows` chooses (at most
        ``probe_size``, stratified by class, fixed seed), the same rows
        every epoch. They are drawn once per fit; the probe, drawing again
        from them, reads them all, so reading only them gives the same
        values and a refresh costs the same whatever the number of
        training rows.
        """
        if getattr(self, "probe_X_", None) is None:
            X, y = self._rows(dataset_train)
            rows = probe_rows(X.shape[0], y, self.probe_size, PROBE_SEED)
            self.probe_X_ = take_rows(X, rows)
            self.probe_y_ = None if y is None else y[rows]
        return self.probe_X_, self.probe_y_

    def _labels(self, y):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} reads stress per class or per sample and "
                "needs labels; the training dataset holds none."
            )
        return y

    def _probe(self, net):
        return VitalityProbe(
            net.module_, probe_size=self.probe_size, random_state=PROBE_SEED
        )

    def _due(self):
        """Whether this epoch refreshes the reading (the first always does)."""
        return self.epochs_ % self.refresh_every == 0
