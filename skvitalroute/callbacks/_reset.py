"""Re-initialise dead hidden units (docs/tactics.md, "Monitor and dead-unit reset").

A flagged hidden unit ``u`` of layer ``L`` gets new incoming weights
(He-normal, ``std = sqrt(2 / fan_in)``, for relu-like activations; else
``std = sqrt(1 / fan_in)``), a zero bias, and, when the next weight layer is
hidden, new outgoing weights ``~ N(0, sqrt(0.5 / fan_out))`` there. The
optimizer state of exactly those entries is zeroed (Adam's moments,
momentum buffers, ...). The output layer is never modified: neither its
units nor the weights that leave the last hidden layer into it.

Outgoing weights are located for ``Linear -> Linear``, ``ConvNd -> ConvNd``
(ungrouped next layer) and ``ConvNd -> Flatten -> Linear`` (channel-major
flattening, ``in_features`` a multiple of the channels). For any other pair
the layer is skipped, as is a layer whose parameters (or the next hidden
layer's weight) are frozen (``requires_grad=False``).
"""

import math

import numpy as np
import torch
from torch import nn

from skvitalroute.probe._layers import find_units


def reset_units(module, flags, *, optimizers=(), generator=None):
    """Re-initialise the flagged hidden units of ``module`` in place.

    Parameters
    ----------
    module : torch.nn.Module
        The network.
    flags : dict of str to ndarray of bool
        For each hidden layer name (as read by ``VitalityProbe``), one flag
        per unit; True means reset it. Names of the output layer or unknown
        names are ignored.
    optimizers : sequence of torch.optim.Optimizer, default=()
        Optimizers whose per-parameter state is zeroed at the reset entries.
    generator : torch.Generator, default=None
        Source of the new weights; torch's global RNG when None.

    Returns
    -------
    n_reset : int
        Number of units re-initialised.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skvitalroute.callbacks._reset import reset_units
    >>> net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(),
    ...                           torch.nn.Linear(4, 2))
    >>> reset_units(net, {"0": np.array([True, False, False, True])})
    2
    """
    units = find_units(module)
    n_reset = 0
    for k, unit in enumerate(units[:-1]):
        mask = flags.get(unit.name)
        if mask is None or not np.any(mask):
            continue
        nxt = units[k + 1]
        to_output = k + 1 == len(units) - 1
        idx = np.flatnonzero(np.asarray(mask, dtype=bool))
        cols = None if to_output else _outgoing_columns(unit.layer, nxt.layer, idx)
        unmapped = cols is None and not to_output
        if unmapped or _frozen(unit.layer, nxt.layer, to_output):
            continue
        _reset_incoming(unit, idx, optimizers, generator)
        if not to_output:
            _reset_outgoing(nxt.layer, cols, optimizers, generator)
        n_reset += len(idx)
    return n_reset


def _frozen(layer, nxt, to_output):
    params = list(layer.parameters()) + ([] if to_output else [nxt.weight])
    return any(not p.requires_grad for p in params)


def _outgoing_columns(layer, nxt, idx):
    """Index of the next layer's weight that holds units ``idx``'s outputs."""
    n_out = layer.weight.shape[0]
    if isinstance(nxt, nn.Linear):
        if nxt.in_features == n_out:
            return (slice(None), torch.as_tensor(idx))
        if not isinstance(layer, nn.Linear) and nxt.in_features % n_out == 0:
            span = nxt.in_features // n_out  # positions per channel, channel-major
            cols = (idx[:, None] * span + np.arange(span)[None, :]).ravel()
            return (slice(None), torch.as_tensor(cols))
        return None
    if not isinstance(layer, nn.Linear) and nxt.weight.shape[1] == n_out:
        if getattr(nxt, "groups", 1) == 1 and nxt.weight.dim() == layer.weight.dim():
            return (slice(None), torch.as_tensor(idx))
    return None


def _reset_incoming(unit, idx, optimizers, generator):
    weight, rows = unit.layer.weight, torch.as_tensor(idx)
    fan_in = weight[0].numel()
    std = math.sqrt((2.0 if unit.kind == "relu" else 1.0) / fan_in)
    _redraw(weight, (rows,), std, optimizers, generator)
    if unit.layer.bias is not None:
        _redraw(unit.layer.bias, (rows,), 0.0, optimizers, generator)


def _reset_outgoing(nxt, cols, optimizers, generator):
    _, fan_out = nn.init._calculate_fan_in_and_fan_out(nxt.weight)
    _redraw(nxt.weight, cols, math.sqrt(0.5 / fan_out), optimizers, generator)


def _redraw(param, index, std, optimizers, generator):
    """Set ``param[index]`` to N(0, std) draws and zero its optimizer state."""
    with torch.no_grad():
        shape = param[index].shape
        new = torch.zeros(shape, dtype=param.dtype)
        if std > 0:
            new.normal_(0.0, std, generator=generator)
        param[index] = new.to(param.device)
        for opt in optimizers:
            for value in opt.state.get(param, {}).values():
                if torch.is_tensor(value) and value.shape == param.shape:
                    value[index] = 0
