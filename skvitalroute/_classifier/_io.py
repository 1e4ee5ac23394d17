"""Save and restore a classifier's fitted label state next to its parameters.

skorch's ``save_params`` writes the module's parameters (and optimizer,
criterion, history) but none of the scikit-learn fitted attributes, so a
reloaded net predicts column indices instead of labels.
:class:`~skvitalroute.VitalRouteClassifier` adds one file, ``f_labels``: a
JSON file with the labels (values and dtype), the feature count and names,
the class prior and weights of the loss, and the profile and route that
``fit`` chose. Restoring it first lets ``load_params`` size and initialise
the network as ``fit`` did, so the reloaded net predicts the same labels.
"""

import dataclasses
import json
import os

import numpy as np
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.validation import check_is_fitted

from skvitalroute._utils._rng import torch_rng
from skvitalroute.routing import RoutePlan, TaskProfile

FORMAT = "skvitalroute-labels"
VERSION = 1
_RECORDS = {"RoutePlan": RoutePlan, "TaskProfile": TaskProfile}


def save_labels(est, f):
    """Write ``est``'s fitted label state to ``f`` as JSON.

    Parameters
    ----------
    est : VitalRouteClassifier
        A fitted classifier.
    f : str, path-like or text file object
        Where to write.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        When ``est`` was not fitted on labels.
    """
    check_is_fitted(est, "label_encoder_")
    state = {
        "format": FORMAT,
        "version": VERSION,
        "classes": _encode(est.classes_),
        "n_features_in": int(est.n_features_in_),
        "feature_names_in": _encode(getattr(est, "feature_names_in_", None)),
        "class_prior": _encode(getattr(est, "class_prior_", None)),
        "class_weight": _encode(getattr(est, "class_weight_", None)),
        "profile": _encode(getattr(est, "profile_", None)),
        "route": _encode(getattr(est, "route_", None)),
    }
    _write(f, state)


def load_labels(est, f):
    """Restore the fitted label state written by :func:`save_labels`.

    Parameters
    ----------
    est : VitalRouteClassifier
        The classifier to restore into.
    f : str, path-like or text file object
        Where to read.

    Raises
    ------
    ValueError
        When ``f`` does not hold a label state, or holds one for another
        number of classes than the initialised network outputs.
    """
    state = _read(f)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(
            f"f_labels must be a file written by save_params(f_labels=...); "
            f"{f!r} holds no {FORMAT!r} state."
        )
    classes = _decode(state["classes"])
    encoder = LabelEncoder()
    encoder.classes_ = classes
    est.label_encoder_ = encoder
    est.n_features_in_ = state["n_features_in"]
    names = _decode(state["feature_names_in"])
    if names is None:
        est.__dict__.pop("feature_names_in_", None)
    else:
        est.feature_names_in_ = names
    for attr, key in (
        ("class_prior_", "class_prior"),
        ("class_weight_", "class_weight"),
        ("profile_", "profile"),
        ("route_", "route"),
    ):
        setattr(est, attr, _decode(state[key]))


class _SaveLoad:
    """Saving, loading and trimming of the classifier, with its labels.

    A mixin placed before :class:`skorch.NeuralNetClassifier`.
    """

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
                with torch_rng():
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


def check_not_trimmed(est):
    """Refuse to train a net that ``trim_for_prediction`` stripped.

    Parameters
    ----------
    est : VitalRouteClassifier
        The estimator about to be fitted or initialised.

    Raises
    ------
    ValueError
        When ``trim_for_prediction()`` was called on it: it set the
        optimizer, the criterion and the callbacks to None.
    """
    if getattr(est, "_trimmed_for_prediction", False):
        raise ValueError(
            f"This {type(est).__name__} was trimmed for prediction "
            "(trim_for_prediction() removes the optimizer, the criterion and "
            "the callbacks), so it can only predict. Fit a new estimator, or "
            "keep a copy (copy.deepcopy) before trimming to train it further."
        )


def _write(f, state):
    if isinstance(f, str | os.PathLike):
        with open(f, "w", encoding="utf-8") as fh:
            json.dump(state, fh)
    else:
        json.dump(state, f)


def _read(f):
    if isinstance(f, str | os.PathLike):
        with open(f, encoding="utf-8") as fh:
            return json.load(fh)
    return json.load(f)


def _encode(value):
    """A JSON-ready value; arrays keep their dtype, records their type."""
    if isinstance(value, np.ndarray):
        return {"ndarray": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, np.generic):
        return value.item()
    if dataclasses.is_dataclass(value) and type(value).__name__ in _RECORDS:
        names = [f.name for f in dataclasses.fields(value)]
        fields = {name: _encode(getattr(value, name)) for name in names}
        return {"record": type(value).__name__, "fields": fields}
    if isinstance(value, dict):
        return {"dict": {str(k): _encode(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value):
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "ndarray" in value:
        return np.asarray(value["ndarray"], dtype=np.dtype(value["dtype"]))
    if "record" in value:
        fields = {k: _decode(v) for k, v in value["fields"].items()}
        return _RECORDS[value["record"]](**fields)
    return {k: _decode(v) for k, v in value["dict"].items()}
