"""The vitality probe: read the health of a network's hidden units."""

import numpy as np
import torch
from sklearn.neural_network import MLPClassifier
from sklearn.utils import assert_all_finite
from sklearn.utils.validation import check_is_fitted

from skvitalroute._utils._validation import check_float32_range
from skvitalroute.probe._layers import _incoming_weights, _mlp_to_module, find_units
from skvitalroute.probe._overlap import class_overlap
from skvitalroute.probe._rows import PROBE_SEED, probe_rows
from skvitalroute.probe._signals import (
    SIGNALS,
    LayerRecord,
    aggregate_rates,
    composite,
    grouped_composite,
    grouped_layer_flags,
    layer_flags,
    row_groups,
)

# docs/probe.md, "The signals": at most 4096 rows scored per-sample (the
# probe rows of a reading are chosen by skvitalroute.probe._rows), and the
# per-sample stress weights of silent, weak_weights, weak_input, saturation
# and 1 - p(y|x).
_SAMPLE_ROWS = 4096
_SAMPLE_WEIGHTS = (0.3, 0.15, 0.15, 0.1, 0.3)


class VitalityProbe:
    """Read the vitality of a network's hidden units with forward hooks.

    A *layer unit* is a ``Linear``/``ConvNd`` module and the activation
    module that follows it; the last weight layer is the output layer and is
    never read as hidden. For each hidden unit ``u`` on a probe batch the
    probe measures the firing rate ``r_u``, the variance ``v_u`` and mean
    ``m_u`` of its activation (convolution channels pool rows and positions)
    and flags four signals:

    - stasis: ``r_u < 0.01`` or ``v_u < 1e-6`` (dead or silent unit);
    - weak weights: ``||W[u, :]||_2 < 0.05``;
    - weak input: more than 80 % of ``u``'s inputs ``i`` have
      ``mean|input_i| < |W[u, i]|``;
    - saturation: ``v_u < 1e-6`` and ``|m_u| > 1e-3``.

    Hooks are registered only while a reading is taken and removed right
    after, so the probe costs nothing during training.

    Parameters
    ----------
    model : torch.nn.Module or sklearn.neural_network.MLPClassifier
        The network to read. A fitted ``MLPClassifier`` is converted to an
        equivalent ``nn.Sequential`` built from ``coefs_``/``intercepts_``.
    probe_size : int, default=1024
        The most rows a reading takes: an equal share per class when labels
        are given (at most 256 a class), else a uniform draw (see
        :func:`skvitalroute.probe._rows.probe_rows`).
    random_state : int, default=0
        Seed of the probe-row draw.

    Attributes
    ----------
    module_ : torch.nn.Module
        The module that is read.
    classes_ : ndarray or None
        Output-column labels when ``model`` is an ``MLPClassifier``.

    See Also
    --------
    skvitalroute.callbacks.VitalityMonitor : Records these readings every epoch.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skvitalroute import VitalityProbe
    >>> net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(),
    ...                           torch.nn.Linear(8, 2))
    >>> with torch.no_grad():
    ...     _ = net[0].bias.fill_(-50.0)  # every hidden unit is dead
    >>> X = np.random.default_rng(0).normal(size=(64, 4))
    >>> with VitalityProbe(net) as probe:
    ...     probe.observe(X).stasis_rates()
    {'0': 1.0}
    """

    def __init__(self, model, *, probe_size=1024, random_state=PROBE_SEED):
        self.model = model
        self.probe_size = probe_size
        self.random_state = random_state
        self.classes_ = None
        self._logits = None  # None: tell logits from probabilities by the values
        if isinstance(model, MLPClassifier):
            check_is_fitted(model)
            self.module_ = _mlp_to_module(model)
            self.classes_ = model.classes_
            self._logits = True
        elif isinstance(model, torch.nn.Module):
            self.module_ = model
        else:
            raise TypeError(
                "VitalityProbe reads a torch.nn.Module or a fitted "
                f"MLPClassifier; got {type(model).__name__}."
            )
        if not isinstance(probe_size, int | np.integer) or probe_size < 1:
            raise ValueError(f"probe_size must be a positive int; got {probe_size!r}.")
        self._units = find_units(self.module_)
        self._handles = []
        self._flags = None

    # -- structure ----------------------------------------------------------
    def hidden_layers(self):
        """Return the hidden weight layers.

        Returns
        -------
        layers : list of (str, torch.nn.Module)
            ``(name, module)`` of each hidden ``Linear``/``ConvNd``, in order.
        """
        return [(u.name, u.layer) for u in self._units[:-1]]

    def output_layer(self):
        """Return the output layer, which is never read as hidden.

        Returns
        -------
        layer : (str, torch.nn.Module)
            Name and module of the last weight layer.
        """
        return self._units[-1].name, self._units[-1].layer

    def layer_names(self):
        """Return the names of the hidden layers, in order.

        Returns
        -------
        names : list of str
        """
        return [u.name for u in self._units[:-1]]

    # -- reading ------------------------------------------------------------
    def observe(self, X, y=None):
        """Take a reading on one no-grad forward pass over a probe batch.

        Parameters
        ----------
        X : array-like or torch.Tensor
            Input rows, shaped as the module expects.
        y : array-like of shape (n_samples,), default=None
            Labels; when given the probe batch is stratified by class
            (an equal share of ``probe_size`` per class).

        Returns
        -------
        self : VitalityProbe
        """
        self._check_X(X)
        if y is not None:
            y = _labels(y, X)
        rows = self._probe_rows(_n_rows(X), y)
        records, _ = self._forward(_take(X, rows), proba=False)
        self._flags = self._flags_on(records)
        return self

    def _check_X(self, X):
        """Refuse what the front doors refuse: no rows, NaN, infinity, and
        values beyond float32 for a float32 module (they read as inf)."""
        if _n_rows(X) == 0:
            shape = tuple(X.shape) if hasattr(X, "shape") else (0,)
            raise ValueError(
                f"Found array with 0 sample(s) (shape={shape}) while a minimum "
                f"of 1 is required by {type(self).__name__}."
            )
        if torch.is_tensor(X):
            if X.is_floating_point() and not bool(torch.isfinite(X).all()):
                what = "NaN" if bool(torch.isnan(X).any()) else "infinity"
                raise ValueError(f"Input X contains {what} (a {X.dtype} tensor).")
            return
        values = X.to_numpy() if hasattr(X, "iloc") else np.asarray(X)
        if values.dtype.kind not in "fc":
            return
        assert_all_finite(values, input_name="X")
        param = next(self.module_.parameters(), None)
        if param is not None and param.dtype == torch.float32:
            check_float32_range(values, self)

    def _require_reading(self):
        if self._flags is None:
            raise RuntimeError("Call observe(X) before reading the probe.")
        return self._flags

    def unit_flags(self):
        """Return the per-unit flags of the last reading.

        Returns
        -------
        flags : dict of str to dict of str to ndarray of bool
            ``flags[layer][signal]`` has one boolean per unit.
        """
        return self._require_reading()

    def signal_rates(self):
        """Return each signal's rate (flagged units / units) per hidden layer.

        Returns
        -------
        rates : dict of str to dict of str to float
            ``rates[signal][layer]``.
        """
        flags = self._require_reading()
        return {
            s: {name: float(f[s].mean()) for name, f in flags.items()} for s in SIGNALS
        }

    def stasis_rates(self):
        """Return the stasis rate of each hidden layer.

        Returns
        -------
        rates : dict of str to float
        """
        return self.signal_rates()["stasis"]

    def aggregate_rates(self):
        """Return flagged units over all hidden units, for each signal.

        Returns
        -------
        rates : dict of str to float
        """
        return aggregate_rates(list(self._require_reading().values()))

    def composite_stress(self):
        """Return the composite stress of the last reading.

        Returns
        -------
        stress : float
            ``(1.0 stasis + 0.6 weak_weights + 0.6 weak_input
            + 0.5 saturation) / 2.7`` over all hidden units, in [0, 1].
        """
        return composite(self.aggregate_rates())

    def mean_stasis(self):
        """Return the mean stasis rate over the hidden layers.

        Returns
        -------
        stasis : float
        """
        rates = list(self.stasis_rates().values())
        return float(np.mean(rates)) if rates else 0.0

    def per_class_stress(self, X, y):
        """Composite stress on each class's probe rows, from one forward pass.

        Parameters
        ----------
        X : array-like or torch.Tensor
            Input rows, shaped as the module expects.
        y : array-like of shape (n_samples,)
            Labels of any type; the probe batch is stratified by class (an
            equal share of ``probe_size`` per class).

        Returns
        -------
        stress : ndarray of shape (n_classes,)
            One value per class of ``np.unique(y)``, in that order.
        """
        self._check_X(X)
        rows, classes, codes = self._class_rows(_labels(y, X))
        records, _ = self._forward(_take(X, rows), proba=False)
        weights = self._weights()
        # Every class is read from the same pass: rows grouped by class.
        groups = row_groups(codes, len(classes))
        by_class = [
            grouped_layer_flags(records[name], *weights[name], groups)
            for name in self._checked(records)
        ]
        self._flags = self._flags_on(records, weights)
        return grouped_composite(by_class, len(classes))

    def per_class_overlap(self, X, y, *, repeats=5):
        """How mixed each class is with the others in the last hidden layer.

        One forward pass over the stratified probe rows; for each class, the
        share of its rows whose nearest neighbour in the last hidden layer's
        activations has another class, every class read on the same number
        of rows (see :func:`skvitalroute.probe._overlap.class_overlap`). Unlike
        the composite per-class stress it does not follow class size.

        Parameters
        ----------
        X : array-like or torch.Tensor
            Input rows.
        y : array-like of shape (n_samples,)
            Labels of any type.
        repeats : int, default=5
            Equal-size draws averaged.

        Returns
        -------
        overlap : ndarray of shape (n_classes,)
            One value per class of ``np.unique(y)``, in that order, in
            [0, 1]; NaN for a class with fewer than 2 probe rows.
        """
        names = self.layer_names()
        if not names:
            raise ValueError(
                "per_class_overlap reads a hidden layer; the module has none."
            )
        self._check_X(X)
        rows, classes, codes = self._class_rows(_labels(y, X))
        records, _ = self._forward(_take(X, rows), proba=False)
        self._flags = self._flags_on(records)
        act = records[self._checked(records)[-1]].act
        return class_overlap(
            act,
            codes,
            len(classes),
            repeats=repeats,
            random_state=self.random_state,
        )

    def per_sample_stress(self, X, y, classes=None):
        """Per-row stress (``docs/probe.md``, "The signals").

        ``0.3 silent(x) + 0.15 weak_weights + 0.15 weak_input
        + 0.1 saturation + 0.3 (1 - p(y|x))``, clipped to [0, 1], where
        ``silent(x)`` is the share of hidden units that do not fire on ``x``
        (averaged over hidden layers; a convolution channel counts the share
        of positions where it does not fire), the middle three are the
        model-level rates and ``p(y|x)`` the network's probability of the true
        class. At most 4096 rows are scored; the others get their mean.
        A module without hidden layers has no silent units, so that term is 0
        and the score reduces to ``0.3 (1 - p(y|x))`` plus the model rates.

        Parameters
        ----------
        X : array-like or torch.Tensor
            Input rows.
        y : array-like of shape (n_samples,)
            Labels.
        classes : array-like, default=None
            Labels in the order of the module's output columns. By default,
            the ``MLPClassifier``'s ``classes_``; else ``y`` itself when it
            holds integers in ``[0, n_outputs)``; else ``np.unique(y)``.

        Returns
        -------
        stress : ndarray of shape (n_samples,)
        """
        self._check_X(X)
        y = _labels(y, X)
        n = len(y)
        # the scored rows: a draw without labels, of 4096 rather than probe_size
        scored = probe_rows(n, None, _SAMPLE_ROWS, self.random_state)
        records, proba = self._forward(_take(X, scored))
        self._flags = self._flags_on(records)
        classes = self.classes_ if classes is None else classes
        cols = _output_columns(y[scored], proba.shape[1], classes)
        p_true = proba[np.arange(len(scored)), cols]
        scores = _sample_scores(records, self.aggregate_rates(), p_true)
        out = np.full(n, scores.mean())
        out[scored] = scores
        return out

    # -- hooks --------------------------------------------------------------
    def detach(self):
        """Remove every hook this probe registered.

        Returns
        -------
        self : VitalityProbe
        """
        for handle in self._handles:
            handle.remove()
        self._handles = []
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.detach()

    def _forward(self, X, proba=True):
        """One no-grad eval-mode pass; return layer records and probabilities
        (None unless ``proba``)."""
        records, inputs = {}, {}
        for unit in self._units[:-1]:
            self._hook(unit, records, inputs)
        module = self.module_
        was_training = module.training
        try:
            module.eval()
            with torch.no_grad():
                out = module(_as_input(module, X))
        finally:
            module.train(was_training)
            self.detach()
        return records, _as_proba(out, self._logits) if proba else None

    def _hook(self, unit, records, inputs):
        conv = unit.is_conv

        def on_layer(layer, args, output):
            if unit.hook_activation:
                inputs[unit.name] = args[0]
                return
            act = output if unit.activation is None else unit.activation(output)
            records[unit.name] = LayerRecord(args[0], act, unit.kind, conv)

        def on_activation(act_module, args, output):
            if unit.name in inputs:
                x = inputs.pop(unit.name)
                records[unit.name] = LayerRecord(x, output, unit.kind, conv)

        self._handles.append(unit.layer.register_forward_hook(on_layer))
        if unit.hook_activation:
            self._handles.append(unit.activation.register_forward_hook(on_activation))

    def _checked(self, records):
        """The hidden layers' names, once each was seen in the forward pass."""
        names = [unit.name for unit in self._units[:-1]]
        for name in names:
            if name not in records:
                raise RuntimeError(
                    f"Layer {name!r} was not called in the forward pass; "
                    "VitalityProbe reads layers that the module's forward uses."
                )
        return names

    def _weights(self):
        """|W| and incoming norms of each hidden layer, read once per reading."""
        return {u.name: _incoming_weights(u.layer) for u in self._units[:-1]}

    def _flags_on(self, records, weights=None):
        weights = self._weights() if weights is None else weights
        return {
            name: layer_flags(records[name], *weights[name])
            for name in self._checked(records)
        }

    def _probe_rows(self, n, y):
        """The rows a reading takes: :func:`~skvitalroute.probe._rows.probe_rows`."""
        return probe_rows(n, y, self.probe_size, self.random_state)

    def _class_rows(self, y):
        """The labelled probe rows, the classes of ``y`` and the rows' class codes.

        Every class of ``y`` has at least one probe row, so the classes of
        the rows are those of ``y``.
        """
        rows = self._probe_rows(len(y), y)
        classes, codes = np.unique(y[rows], return_inverse=True)
        return rows, classes, codes.reshape(-1)


def _as_input(module, X):
    """``X`` as a tensor on the device and of the dtype of ``module``'s parameters."""
    param = next(module.parameters(), None)
    device = param.device if param is not None else "cpu"
    dtype = param.dtype if param is not None else torch.float32
    return torch.as_tensor(np.asarray(X) if not torch.is_tensor(X) else X).to(
        device=device, dtype=dtype
    )


def _output_columns(y, n_outputs, classes):
    """The module's output column of each label of ``y``."""
    if classes is not None:
        classes = np.asarray(classes)
        cols = np.searchsorted(classes, y)
        cols = np.clip(cols, 0, len(classes) - 1)
        if not np.all(classes[cols] == y):
            raise ValueError("y holds labels that are not in `classes`.")
        return cols
    if np.issubdtype(y.dtype, np.integer) and y.min() >= 0 and y.max() < n_outputs:
        return y.astype(np.intp)
    return np.unique(y, return_inverse=True)[1]


def _sample_scores(records, agg, p_true):
    """The per-sample stress of the scored rows, clipped to [0, 1]."""
    silent_by_layer = [1.0 - r.fire.mean(axis=1) for r in records.values()]
    # With no hidden layer there is no unit to be silent: the term is 0.
    silent = np.mean(silent_by_layer, axis=0) if silent_by_layer else 0.0
    w = _SAMPLE_WEIGHTS
    scores = (
        w[0] * silent
        + w[1] * agg["weak_weights"]
        + w[2] * agg["weak_input"]
        + w[3] * agg["saturation"]
        + w[4] * (1.0 - p_true)
    )
    return np.clip(scores, 0.0, 1.0)


def _n_rows(X):
    return X.shape[0] if hasattr(X, "shape") else len(X)


def _take(X, rows):
    if torch.is_tensor(X):
        return X[torch.as_tensor(rows, device=X.device)]
    if hasattr(X, "iloc"):
        return X.iloc[rows].to_numpy()
    return np.asarray(X)[rows]


def _labels(y, X):
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != _n_rows(X):
        raise ValueError(
            f"y must be 1-D with one label per row of X; got shape {y.shape} "
            f"for {_n_rows(X)} rows."
        )
    return y


def _as_proba(out, logits=None):
    """Class probabilities from module output (logits or probabilities).

    With ``logits=None`` the output is taken as probabilities when it is
    non-negative and its rows sum to 1 (one column: when it lies in [0, 1]).
    """
    if isinstance(out, tuple | list):
        out = out[0]
    out = out.detach().double().cpu()
    if out.dim() == 1 or out.shape[1] == 1:
        out = out.reshape(-1)
        if logits is None:
            logits = bool((out < 0).any() or (out > 1).any())
        p = torch.sigmoid(out) if logits else out
        return torch.stack([1 - p, p], dim=1).numpy()
    if logits is None:
        ones = torch.ones(out.shape[0], dtype=out.dtype)
        is_proba = bool((out >= 0).all()) and torch.allclose(
            out.sum(1), ones, atol=1e-4
        )
        logits = not is_proba
    return (torch.softmax(out, dim=1) if logits else out).numpy()
