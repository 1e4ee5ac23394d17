"""The classifier's prediction methods: probabilities, log-probabilities, labels."""

import numpy as np
from sklearn.utils.validation import check_is_fitted
from skorch.utils import is_dataset

from skvitalroute._classifier._data import check_predict_data
from skvitalroute._classifier._fast_predict import array_proba, needs_private_rng
from skvitalroute._classifier._forest import blend
from skvitalroute._classifier._proba import check_proba, shift_prior
from skvitalroute._utils._rng import torch_rng
from skvitalroute._utils._threads import torch_threads


class _Prediction:
    """scikit-learn's prediction methods on a skorch classifier.

    A mixin placed before :class:`skorch.NeuralNetClassifier`. Predictions
    run on a private copy of torch's RNG and with the estimator's torch
    threads.
    """

    def predict_proba(self, X):
        """Return class probabilities under the class prior ``proba_prior``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or torch Dataset
            Input rows.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes) of float64
            Columns in the order of ``classes_``. With ``proba_prior="auto"``
            the softmax of the logits; ``"train"`` and ``"balanced"`` move it
            to the training labels' class prior or to equal priors
            (``docs/classifier.md``, "Probabilities"). The network computes
            in float32; the result is cast to float64 (rows renormalised to
            sum to one in float64), as scikit-learn classifiers return.

        Raises
        ------
        ValueError
            If the network's output is not finite for some row (overflowing
            inputs or parameters), or is no probability (a
            ``predict_nonlinearity`` that does not give one): NaN or
            negative probabilities are never returned.
        """
        return shift_prior(self, self._network_proba(X))

    def _network_proba(self, X):
        """The network's probabilities (``proba_prior="auto"``): what
        ``predict`` decides on."""
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
        check_proba(self, proba)
        proba = proba.astype(np.float64)
        return blend(self, X, proba / proba.sum(axis=1, keepdims=True))

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
        """Return the most probable class of each row, whatever ``proba_prior``.

        The class of largest network probability (``proba_prior="auto"``):
        under the rebalancing routes the decision of equal class priors,
        which targets balanced error. ``proba_prior`` changes only
        :meth:`predict_proba`; for decisions on the training prior take the
        argmax of ``predict_proba`` with ``proba_prior="train"``, or tune a
        threshold (``TunedThresholdClassifierCV``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or torch Dataset
            Input rows, as for :meth:`predict_proba`.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Original labels; for a torch ``Dataset`` (skorch's internal
            scoring), the encoded class indices.

        Raises
        ------
        ValueError
            On a net initialised without labels (no ``classes_``), rather
            than returning column indices as if they were labels.
        """
        if not is_dataset(X) and not hasattr(self, "label_encoder_"):
            check_is_fitted(self)  # NotFittedError first
            raise ValueError(
                f"This {type(self).__name__} was initialised without training "
                "labels (initialize(), or load_params without f_labels), so it "
                "has no classes_ and predict could only return column indices. "
                "Load the labels with load_params(..., f_labels=...) (written by "
                "save_params(f_labels=...)), set skorch's classes=[...] before "
                "initialize(), or fit it."
            )
        index = self._network_proba(X).argmax(axis=1)
        if is_dataset(X):
            return index  # skorch's convention
        return self.classes_[index]
