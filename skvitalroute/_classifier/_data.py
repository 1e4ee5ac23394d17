"""The classifier's input checks: training data and labels, prediction input.

The scikit-learn way (``validate_data``, which sets ``n_features_in_`` and
``feature_names_in_``), plus float32's range and the labels' values; the
labels are encoded by a ``LabelEncoder`` (``docs/classifier.md``, "What
``fit`` does").
"""

import numpy as np
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.utils import is_dataset

from skvitalroute._utils._validation import check_float32_range, check_label_values

_FLOAT_DTYPES = (np.float64, np.float32)


def check_training_data(est, X, y, *, reset, classes=None):
    """Validate ``(X, y)`` for a fit of ``est`` and encode the labels.

    Parameters
    ----------
    est : VitalRouteClassifier
        The estimator; with ``reset`` it gets a new ``label_encoder_``.
    X : array-like of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,)
        Labels.
    reset : bool
        A first fit: set ``n_features_in_`` (and ``feature_names_in_``) and
        the label encoder; otherwise check against them.
    classes : array-like, default=None
        Every label (``partial_fit``); None uses skorch's ``classes``
        parameter, else the labels of ``y``.

    Returns
    -------
    X : ndarray
        float64 or float32.
    y : ndarray
        The labels.
    y_enc : ndarray
        The labels encoded as ``0 .. n_classes - 1``.

    Raises
    ------
    ValueError
        For scikit-learn's invalid input, values float32 cannot hold,
        missing or mixed labels, or a single class.
    """
    X, y = validate_data(est, X, y, reset=reset, dtype=_FLOAT_DTYPES)
    check_float32_range(X, est)
    check_label_values(y)
    check_classification_targets(y)
    if reset:
        if classes is None:
            classes = est.classes if est.classes is not None else y
        est.label_encoder_ = LabelEncoder().fit(classes)
        if len(est.classes_) < 2:
            raise ValueError(
                f"{type(est).__name__} needs samples of at least 2 classes; "
                f"the data contains only one class: {est.classes_.tolist()[0]!r}."
            )
    return X, y, est.label_encoder_.transform(y)


def check_predict_data(est, X):
    """Validate prediction input for a fitted ``est``; a torch Dataset passes.

    Parameters
    ----------
    est : VitalRouteClassifier
        A fitted estimator.
    X : array-like of shape (n_samples, n_features) or torch Dataset
        Input rows.

    Returns
    -------
    X : ndarray or torch Dataset
    """
    if is_dataset(X):
        return X
    check_is_fitted(est)
    X = validate_data(est, X, reset=False, dtype=_FLOAT_DTYPES)
    return check_float32_range(X, est)
