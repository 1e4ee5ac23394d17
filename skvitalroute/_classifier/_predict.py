"""The classifier's prediction methods: probabilities, log-probabilities, labels."""

import numpy as np
from skorch.utils import is_dataset

from skvitalroute._classifier._data import check_predict_data
from skvitalroute._classifier._fast_predict import array_proba, needs_private_rng
from skvitalroute._utils._rng import torch_rng
from skvitalroute._utils._threads import torch_threads


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


class _Prediction:
    """scikit-learn's prediction methods on a skorch classifier.

    A mixin placed before :class:`skorch.NeuralNetClassifier`. Predictions
    run on a private copy of torch's RNG and with the estimator's torch
    threads.
    """

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
        X = check_predict_data(self, X)
        proba = None
        if not needs_private_rng(self):  # the default module draws nothing
            with torch_threads(self._threads()):
                proba = array_proba(self, X)
        if proba is None:
            with torch_rng(), torch_threads(self._threads()):
                proba = array_proba(self, X)
                if proba is None:  # the net's own dataset or iterator
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
            Input rows, as for :meth:`predict_proba`.

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
