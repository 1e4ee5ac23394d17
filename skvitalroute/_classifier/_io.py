"""Save and restore a classifier's fitted label state next to its parameters.

skorch's ``save_params`` writes the module's parameters (and optimizer,
criterion, history) but none of the scikit-learn fitted attributes, so a
reloaded net predicts column indices instead of labels.
:class:`~skvitalroute.VitalRouteClassifier` adds one file, ``f_labels``: a
JSON file with the labels (values and dtype), the feature count and names,
the class prior and weights of the loss, and the profile and route that
``fit`` chose. Restoring it first lets ``load_params`` size and initialise
the network as ``fit`` did, so the reloaded net predicts the same labels.
A second file, ``f_forest``, holds the forest of the forest blend.
"""

import dataclasses
import json
import os
import tempfile
import warnings

import joblib
import numpy as np
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.validation import check_is_fitted

from skvitalroute._classifier._proba import check_network_output
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
    TypeError
        When a value cannot be written as JSON; nothing is written then. A
        path is written to a temporary file first and renamed, so a failed
        write never leaves half a file.
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
        "train_logit_offset": _encode(getattr(est, "train_logit_offset_", None)),
    }
    try:
        text = json.dumps(state, allow_nan=True)
    except (TypeError, ValueError) as exc:  # refused before anything is written
        raise TypeError(
            f"f_labels cannot hold these labels ({est.classes_.dtype} "
            f"{est.classes_.tolist()!r:.60}): {exc}. f_labels holds numbers, "
            "strings, bools, datetime64 and timedelta64 labels; pickle the "
            "estimator instead, or encode the labels first."
        ) from None
    _write(f, text)


_LABEL_ATTRS = {
    "label_encoder_": None,
    "n_features_in_": "n_features_in",
    "feature_names_in_": "feature_names_in",
    "class_prior_": "class_prior",
    "class_weight_": "class_weight",
    "profile_": "profile",
    "route_": "route",
    "train_logit_offset_": "train_logit_offset",
}


def load_labels(est, f):
    """Restore the fitted label state written by :func:`save_labels`.

    Parameters
    ----------
    est : VitalRouteClassifier
        The classifier to restore into.
    f : str, path-like or text file object
        Where to read.

    Returns
    -------
    before : dict
        The label state ``est`` had, for :func:`restore_labels`.

    Raises
    ------
    ValueError
        When ``f`` does not hold a label state.
    """
    state = _read(f)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(
            f"f_labels must be a file written by save_params(f_labels=...); "
            f"{f!r} holds no {FORMAT!r} state."
        )
    before = {name: est.__dict__[name] for name in _LABEL_ATTRS if name in est.__dict__}
    encoder = LabelEncoder()
    encoder.classes_ = _decode(state["classes"])
    values = {"label_encoder_": encoder}
    for attr, key in _LABEL_ATTRS.items():
        if key is not None:
            values[attr] = _decode(state.get(key))
    for attr, value in values.items():
        if value is None and attr in ("feature_names_in_", "train_logit_offset_"):
            est.__dict__.pop(attr, None)
        else:
            setattr(est, attr, value)
    return before


def restore_labels(est, before):
    """Put back the label state :func:`load_labels` replaced."""
    for name in _LABEL_ATTRS:
        est.__dict__.pop(name, None)
    est.__dict__.update(before)


def check_loaded(est):
    """Check that the loaded network reads ``n_features_in_`` features and
    gives one probability per class of the loaded labels.

    Parameters
    ----------
    est : VitalRouteClassifier
        An initialised estimator with a label state.

    Raises
    ------
    ValueError
        Naming the mismatch between the network and the label state.
    """
    if not hasattr(est, "label_encoder_") or not hasattr(est, "n_features_in_"):
        return  # e.g. skorch's classes= on a net initialised without data
    rows = np.zeros((2, int(est.n_features_in_)), dtype=np.float32)
    try:
        check_network_output(est, rows)
    except ValueError as exc:
        raise ValueError(
            f"The network does not match the loaded labels "
            f"({len(est.classes_)} classes, {est.n_features_in_} features): {exc}"
        ) from None


class _SaveLoad:
    """Saving, loading and trimming of the classifier, with its labels.

    A mixin placed before :class:`skorch.NeuralNetClassifier`.
    """

    def save_params(self, f_params=None, *, f_labels=None, f_forest=None, **kwargs):
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
        f_forest : file-like object, str or None, default=None
            Where to save the forest of the forest blend (``forest_`` and
            its weight, with ``joblib.dump``). A blended net saved without
            it warns: its network alone would be loaded back.
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
        ...                  f_labels=os.path.join(tmp, "labels.json"),
        ...                  f_forest=os.path.join(tmp, "forest.joblib"))
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
        if f_forest is not None:
            check_is_fitted(self, "forest_")
            joblib.dump(
                {"forest": self.forest_, "weight": self.forest_weight_}, f_forest
            )
        elif f_params is not None and getattr(self, "forest_", None) is not None:
            warnings.warn(
                "This net blends a balanced random forest with its network "
                "(forest_); save_params without f_forest saves the network only, "
                "and a net loaded from it predicts with the network alone. Pass "
                "f_forest=... (and to load_params), or pickle the estimator.",
                UserWarning,
                stacklevel=2,
            )
        if f_params is None and not kwargs:
            return None
        return super().save_params(f_params=f_params, **kwargs)

    def load_params(self, f_params=None, *, f_labels=None, f_forest=None, **kwargs):
        """Load what :meth:`save_params` saved; with ``f_labels``, the labels too.

        With ``f_labels`` the fitted label state is restored first and an
        uninitialised net is initialised from it (the default module is
        sized from the saved ``n_features_in_`` and ``classes_``, the
        optimizer grouped for the saved route), so ``predict`` returns the
        saved labels and ``score`` works. The loaded network is then run
        on two rows of zeros: a network that does not read
        ``n_features_in_`` features or does not give one probability per
        loaded class is refused with a ``ValueError`` (and the previous label
        state is kept when the labels alone do not fit the network).
        Without ``f_labels`` a net initialised without training labels has
        no ``classes_``: ``predict`` then refuses (set skorch's
        ``classes=[...]`` or load the labels).

        Parameters
        ----------
        f_params : file-like object, str or None, default=None
            Module parameters to load (skorch).
        f_labels : file-like object, str or None, default=None
            A file written by ``save_params(f_labels=...)``.
        f_forest : file-like object, str or None, default=None
            A file written by ``save_params(f_forest=...)``: the forest of
            the forest blend, read with ``joblib.load`` (which unpickles:
            load only files you trust, as for any pickled scikit-learn
            model). Without it a loaded net predicts with its network alone.
        **kwargs : dict
            skorch's other arguments (``f_optimizer``, ``f_criterion``,
            ``f_history``, ``checkpoint``, ``use_safetensors``, ...).
        """
        if f_labels is not None:
            before = load_labels(self, f_labels)
            try:
                if not self.initialized_:
                    with torch_rng():
                        self.initialize()
                if f_params is None:  # else checked with the loaded parameters
                    check_loaded(self)
            except ValueError:
                restore_labels(self, before)
                raise
        if f_forest is not None:
            saved = joblib.load(f_forest)
            if not isinstance(saved, dict) or set(saved) != {"forest", "weight"}:
                raise ValueError(
                    f"f_forest must be a file written by save_params(f_forest=...); "
                    f"{f_forest!r} holds {type(saved).__name__}."
                )
            self.forest_, self.forest_weight_ = saved["forest"], saved["weight"]
        if f_params is None and not kwargs:
            return None
        try:
            result = super().load_params(f_params=f_params, **kwargs)
        except RuntimeError as exc:  # torch: "size mismatch for ..."
            raise ValueError(
                f"f_params holds a network of another shape than this "
                f"{type(self).__name__}'s module (built from its parameters and "
                f"the labels' {getattr(self, 'n_features_in_', '?')} features and "
                f"{len(getattr(self, 'classes_', ())) or '?'} classes): "
                f"{str(exc).splitlines()[0]} {str(exc).splitlines()[1:2]}"
            ) from None
        if f_params is not None:
            check_loaded(self)
        return result

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


def _write(f, text):
    """Write ``text`` to a path atomically (a temporary file, then renamed)."""
    if not isinstance(f, str | os.PathLike):
        f.write(text)
        return
    folder = os.path.dirname(os.path.abspath(f))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".labels-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, f)
    except BaseException:
        os.unlink(tmp)
        raise


def _read(f):
    if isinstance(f, str | os.PathLike):
        with open(f, encoding="utf-8") as fh:
            return json.load(fh)
    return json.load(f)


def _encode(value):
    """A JSON-ready value; arrays keep their dtype, records their type."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "mM":
        # dates and durations as their int64 counts (tolist gives datetimes)
        return {"ndarray": value.view("i8").tolist(), "dtype": value.dtype.str}
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
        dtype = np.dtype(value["dtype"])
        if dtype.kind in "mM":
            return np.asarray(value["ndarray"], dtype="i8").view(dtype)
        return np.asarray(value["ndarray"], dtype=dtype)
    if "record" in value:
        fields = {k: _decode(v) for k, v in value["fields"].items()}
        return _RECORDS[value["record"]](**fields)
    return {k: _decode(v) for k, v in value["dict"].items()}
