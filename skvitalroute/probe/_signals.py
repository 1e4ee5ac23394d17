"""Vitality signals computed from recorded activations (docs/probe.md, "The signals").

Everything here is plain NumPy on per-row summaries, so that any subset of
the probe rows (one class, say) can be read again without a new forward pass.
"""

import numpy as np
import torch
from scipy import sparse

SIGNALS = ("stasis", "weak_weights", "weak_input", "saturation")
# docs/probe.md, "The signals":
# composite = (1.0 stasis + 0.6 weak_weights + 0.6 weak_input
#              + 0.5 saturation) / 2.7
_COMPOSITE_WEIGHTS = {
    "stasis": 1.0,
    "weak_weights": 0.6,
    "weak_input": 0.6,
    "saturation": 0.5,
}
_COMPOSITE_NORM = 2.7

# Firing thresholds by activation kind.
_FIRE_EPS = {"tanh": 1e-3, "sigmoid": 1e-3, "linear": 1e-6}
_RATE_MIN = 0.01
_VAR_MIN = 1e-6
_SATURATION_MEAN = 1e-3
_WEAK_NORM = 0.05
_WEAK_INPUT_SHARE = 0.8


def _fires(activation, kind):
    if kind == "relu":
        return activation > 0
    return abs(activation) > _FIRE_EPS[kind]


def _numpy(t):
    """A CPU NumPy view of a tensor (float32 or float64)."""
    t = t.detach().cpu()
    if t.dtype not in (torch.float32, torch.float64):
        t = t.double()
    return t.numpy()


class LayerRecord:
    """Per-row summaries of one hidden layer on one forward pass.

    Dense (2-D) activations are kept as a copy of the network's own output
    (float32) and summarised in NumPy: no float64 copy of every row is made,
    which halves the cost of a reading. Every statistic is accumulated in
    float64, so the values are those of a float64 computation.

    Attributes
    ----------
    fire : ndarray of shape (n_rows, n_units)
        Whether the unit fired (bool), or for convolutions the share of
        positions where it fired.
    act : ndarray of shape (n_rows, n_units)
        Per-row activation (for convolutions, its mean over positions).
    abs_in : ndarray of shape (n_rows, n_inputs)
        Per-row mean absolute value of each input feature or channel.
    """

    def __init__(self, x, activation, kind, channels_first):
        x, a = x.detach(), activation.detach()
        self._act_sq = None
        if a.dim() == 2 and x.dim() == 2:
            a = _numpy(a)
            self.fire = _fires(a, kind)
            self.act = a.copy()  # the module may reuse its output's memory
            self.abs_in = np.abs(_numpy(x))
            return
        fire = _fires(a, kind).to(a.dtype)
        self.fire = _per_row(fire, channels_first)
        a = a.double()
        self.act = _per_row(a, channels_first)
        self._act_sq = _per_row(a * a, channels_first)
        self.abs_in = _per_row(x.double().abs(), channels_first)

    def act_sq(self):
        """Per-row mean of the squared activation, float64."""
        if self._act_sq is not None:
            return self._act_sq
        return np.square(self.act, dtype=np.float64)


def _per_row(t, channels_first):
    """Pool every axis except rows and units (channels) into a per-row mean."""
    if t.dim() > 2:
        t = t.flatten(2).mean(dim=2) if channels_first else t.flatten(1, -2).mean(1)
    return t.double().cpu().numpy()


def row_groups(codes, n_groups):
    """Group probe rows by a code, for :func:`grouped_layer_flags`.

    Parameters
    ----------
    codes : ndarray of int of shape (n_rows,)
        Group of each row, in ``[0, n_groups)``; every group must hold a row.
    n_groups : int
        Number of groups.

    Returns
    -------
    groups : tuple
        ``(membership, counts)``: a sparse (n_groups, n_rows) 0/1 matrix
        and the size of each group.
    """
    counts = np.bincount(codes, minlength=n_groups)
    if np.any(counts == 0):
        raise ValueError("Every group must hold at least one probe row.")
    n_rows = len(codes)
    membership = sparse.csr_matrix(
        (np.ones(n_rows), (codes, np.arange(n_rows))), shape=(n_groups, n_rows)
    )
    return membership, counts


def _means(values, groups):
    """Column means in float64, over all rows (one group) or per group."""
    if groups is None:
        return values.mean(axis=0, dtype=np.float64)[None, :]
    membership, counts = groups
    # One sparse product sums every group's rows (a dense one-hot product or
    # np.add.reduceat are several times slower here).
    sums = membership @ values.astype(np.float64, copy=False)
    return np.asarray(sums) / counts[:, None]


# Above this many (group, unit, input) comparisons the weak-input test is
# done a block of groups at a time, to bound its memory.
_WEAK_INPUT_BLOCK = 1 << 22


def _weak_input_share(in_mean, abs_w):
    """Share of each unit's connected inputs that are smaller than its weight."""
    connected = ~np.isnan(abs_w)
    n_connected = connected.sum(axis=1)
    step = max(1, _WEAK_INPUT_BLOCK // max(abs_w.size, 1))
    shares = []
    for g in range(0, in_mean.shape[0], step):
        with np.errstate(invalid="ignore"):
            small = in_mean[g : g + step, None, :] < abs_w[None]
        if not connected.all():
            small &= connected
        shares.append(small.sum(axis=2) / n_connected)
    return np.concatenate(shares)


def grouped_layer_flags(record, abs_w, norms, groups=None):
    """Flag each unit of a layer for each signal, per group of rows.

    Parameters
    ----------
    record : LayerRecord
        Per-row summaries of the layer.
    abs_w : ndarray of shape (n_units, n_inputs)
        Absolute incoming weights (NaN where a unit has no connection).
    norms : ndarray of shape (n_units,)
        L2 norm of each unit's incoming weight vector.
    groups : tuple or None
        From :func:`row_groups`; None reads all rows as one group.

    Returns
    -------
    flags : dict of str to ndarray of bool of shape (n_groups, n_units)
        For each signal of ``SIGNALS``.
    """
    rate = _means(record.fire, groups)
    mean = _means(record.act, groups)
    var = np.maximum(_means(record.act_sq(), groups) - mean**2, 0.0)
    share = _weak_input_share(_means(record.abs_in, groups), abs_w)
    return {
        "stasis": (rate < _RATE_MIN) | (var < _VAR_MIN),
        "weak_weights": np.broadcast_to(norms < _WEAK_NORM, rate.shape),
        "weak_input": share > _WEAK_INPUT_SHARE,
        "saturation": (var < _VAR_MIN) & (np.abs(mean) > _SATURATION_MEAN),
    }


def layer_flags(record, abs_w, norms):
    """Flag each unit of a layer for each signal, on all rows of the record.

    Parameters
    ----------
    record, abs_w, norms
        As in :func:`grouped_layer_flags`, which this reads as one group.

    Returns
    -------
    flags : dict of str to ndarray of bool
        One boolean per unit for each signal of ``SIGNALS``.
    """
    flags = grouped_layer_flags(record, abs_w, norms)
    return {signal: values[0].copy() for signal, values in flags.items()}


def grouped_composite(flags_by_layer, n_groups):
    """Composite stress of each group from its per-layer flags.

    Parameters
    ----------
    flags_by_layer : list of dict
        :func:`grouped_layer_flags` of each hidden layer, same groups.
    n_groups : int
        Number of groups.

    Returns
    -------
    stress : ndarray of shape (n_groups,)
        0 for every group when there is no hidden unit.
    """
    n_units = sum(f["stasis"].shape[1] for f in flags_by_layer)
    if n_units == 0:
        return np.zeros(n_groups)
    total = 0.0
    for s, w in _COMPOSITE_WEIGHTS.items():
        flagged = sum(f[s].sum(axis=1) for f in flags_by_layer)
        total = total + w * (flagged / n_units)
    return np.asarray(total / _COMPOSITE_NORM, dtype=np.float64)


def composite(aggregate):
    """Composite stress from hidden-layer aggregate rates.

    The formula is in docs/probe.md, "The signals".

    Parameters
    ----------
    aggregate : dict of str to float
        Flagged units over all hidden units, for each signal.

    Returns
    -------
    stress : float
        ``(1.0 stasis + 0.6 weak_weights + 0.6 weak_input
        + 0.5 saturation) / 2.7``, in [0, 1].
    """
    total = sum(w * aggregate[s] for s, w in _COMPOSITE_WEIGHTS.items())
    return float(total / _COMPOSITE_NORM)


def aggregate_rates(flags_by_layer):
    """Hidden-layer aggregate: flagged units over all hidden units."""
    n_units = sum(f["stasis"].shape[0] for f in flags_by_layer)
    if n_units == 0:
        return dict.fromkeys(SIGNALS, 0.0)
    return {
        s: float(sum(f[s].sum() for f in flags_by_layer) / n_units) for s in SIGNALS
    }
