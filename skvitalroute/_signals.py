"""Vitality signals computed from recorded activations (SPEC §2).

Everything here is plain NumPy on per-row summaries, so that any subset of
the probe rows (one class, say) can be read again without a new forward pass.
"""

import numpy as np

SIGNALS = ("stasis", "weak_weights", "weak_input", "saturation")
# SPEC §2: composite = (1.0 stasis + 0.6 weak_weights + 0.6 weak_input
#                       + 0.5 saturation) / 2.7
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
    return activation.abs() > _FIRE_EPS[kind]


class _LayerRecord:
    """Per-row summaries of one hidden layer on one forward pass.

    Attributes
    ----------
    fire : ndarray of shape (n_rows, n_units)
        Share of positions (1 for dense layers) where the unit fired.
    s1, s2 : ndarray of shape (n_rows, n_units)
        Per-row mean of the activation and of its square.
    abs_in : ndarray of shape (n_rows, n_inputs)
        Per-row mean absolute value of each input feature or channel.
    """

    def __init__(self, x, activation, kind, channels_first):
        x, a = x.detach(), activation.detach()
        fire = _fires(a, kind).to(a.dtype)
        self.fire = _per_row(fire, channels_first)
        a = a.double()
        self.s1 = _per_row(a, channels_first)
        self.s2 = _per_row(a * a, channels_first)
        self.abs_in = _per_row(x.double().abs(), channels_first)


def _per_row(t, channels_first):
    """Pool every axis except rows and units (channels) into a per-row mean."""
    if t.dim() > 2:
        t = t.flatten(2).mean(dim=2) if channels_first else t.flatten(1, -2).mean(1)
    return t.double().cpu().numpy()


def layer_flags(record, abs_w, norms, rows=None):
    """Flag each unit of a layer for each signal on a subset of rows.

    Parameters
    ----------
    record : _LayerRecord
        Per-row summaries of the layer.
    abs_w : ndarray of shape (n_units, n_inputs)
        Absolute incoming weights (NaN where a unit has no connection).
    norms : ndarray of shape (n_units,)
        L2 norm of each unit's incoming weight vector.
    rows : array-like of int or None
        The rows to read; all rows when None.

    Returns
    -------
    flags : dict of str to ndarray of bool
        One boolean per unit for each signal of ``SIGNALS``.
    """
    sel = slice(None) if rows is None else rows
    rate = record.fire[sel].mean(axis=0)
    mean = record.s1[sel].mean(axis=0)
    var = np.maximum(record.s2[sel].mean(axis=0) - mean**2, 0.0)
    in_mean = record.abs_in[sel].mean(axis=0)
    with np.errstate(invalid="ignore"):
        small_input = in_mean[None, :] < abs_w
        connected = ~np.isnan(abs_w)
        share = (small_input & connected).sum(axis=1) / connected.sum(axis=1)
    return {
        "stasis": (rate < _RATE_MIN) | (var < _VAR_MIN),
        "weak_weights": norms < _WEAK_NORM,
        "weak_input": share > _WEAK_INPUT_SHARE,
        "saturation": (var < _VAR_MIN) & (np.abs(mean) > _SATURATION_MEAN),
    }


def composite(aggregate):
    """Composite stress from hidden-layer aggregate rates (SPEC §2).

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
