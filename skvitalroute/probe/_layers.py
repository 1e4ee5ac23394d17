"""Find the layer units of a network: a weight layer and its activation.

A *layer unit* is a ``Linear``/``ConvNd`` module paired with the activation
module that follows it in registration order (docs/probe.md,
"Which layers are read"). Modules that do not
change which units fire in eval mode (dropout, identity) may sit between the
two; with any other module in between (batch norm, pooling) the activation
module's own output is read. With no activation module, the layer's output is
read as "linear" (this is also what happens when a custom ``forward`` applies
a functional activation such as ``torch.relu``).
"""

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

_WEIGHT_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
_RELU_LIKE = (
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.PReLU,
    nn.RReLU,
    nn.GELU,
    nn.SiLU,
    nn.ELU,
    nn.CELU,
    nn.SELU,
    nn.Mish,
    nn.Softplus,
    nn.Hardswish,
)
_TRANSPARENT = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.Identity)

_MLP_ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "logistic": nn.Sigmoid,
    "identity": None,
}


def _activation_kind(module):
    if isinstance(module, _RELU_LIKE):
        return "relu"
    if isinstance(module, nn.Tanh | nn.Hardtanh):
        return "tanh"
    if isinstance(module, nn.Sigmoid | nn.Hardsigmoid):
        return "sigmoid"
    return None


@dataclass
class _LayerUnit:
    """A weight layer, the activation read after it, and how to read it."""

    name: str
    layer: nn.Module
    kind: str = "linear"
    activation: nn.Module = None
    # True when the activation's own output must be hooked (something other
    # than a transparent module sits between layer and activation).
    hook_activation: bool = False

    @property
    def is_conv(self):
        return not isinstance(self.layer, nn.Linear)


def find_units(module):
    """List the layer units of ``module`` in registration order.

    Parameters
    ----------
    module : torch.nn.Module
        Any network.

    Returns
    -------
    units : list of _LayerUnit
        Every weight layer; the last one is the output layer.
    """
    units, seen, pending, between = [], set(), None, False
    for name, sub in module.named_modules(remove_duplicate=False):
        if next(sub.children(), None) is not None:
            continue  # containers: only leaves carry computation
        if isinstance(sub, _WEIGHT_LAYERS):
            pending = None
            if id(sub) not in seen:
                seen.add(id(sub))
                pending = _LayerUnit(name=name, layer=sub)
                units.append(pending)
            between = False
        elif _activation_kind(sub) is not None:
            if pending is not None:
                pending.kind = _activation_kind(sub)
                pending.activation = sub
                pending.hook_activation = between
            pending = None
        elif not isinstance(sub, _TRANSPARENT):
            between = True
    if not units:
        raise ValueError(
            f"VitalityProbe found no Linear or Conv1d/2d/3d layer in "
            f"{type(module).__name__}; there is nothing to read."
        )
    return units


def _incoming_weights(layer):
    """Return |W| as (units, inputs) and each unit's incoming L2 norm.

    For a convolution, input ``i`` is an input channel and ``|W[u, i]|`` is
    the mean absolute kernel weight between them; grouped convolutions get
    NaN for the channels a unit does not see.
    """
    w = layer.weight.detach().to(torch.float64).cpu()
    norms = w.reshape(w.shape[0], -1).norm(dim=1).numpy()
    if w.dim() == 2:
        return w.abs().numpy(), norms
    per_channel = w.abs().reshape(w.shape[0], w.shape[1], -1).mean(dim=2).numpy()
    groups = getattr(layer, "groups", 1)
    if groups == 1:
        return per_channel, norms
    out_per, in_per = w.shape[0] // groups, w.shape[1]
    full = np.full((w.shape[0], in_per * groups), np.nan)
    for g in range(groups):
        rows = slice(g * out_per, (g + 1) * out_per)
        full[rows, g * in_per : (g + 1) * in_per] = per_channel[rows]
    return full, norms


def _mlp_to_module(mlp):
    """Build an ``nn.Sequential`` computing a fitted ``MLPClassifier``'s logits.

    Parameters
    ----------
    mlp : sklearn.neural_network.MLPClassifier
        A fitted multi-layer perceptron.

    Returns
    -------
    module : torch.nn.Sequential
        Linear layers holding ``coefs_``/``intercepts_``, each hidden one
        followed by the MLP's ``activation``; the last layer has no
        activation (its softmax/logistic is applied when probabilities are
        read).
    """
    act = _MLP_ACTIVATIONS[mlp.activation]
    layers = []
    last = len(mlp.coefs_) - 1
    for i, (coef, bias) in enumerate(zip(mlp.coefs_, mlp.intercepts_, strict=True)):
        lin = nn.Linear(coef.shape[0], coef.shape[1])
        with torch.no_grad():
            lin.weight.copy_(torch.as_tensor(coef.T, dtype=torch.float32))
            lin.bias.copy_(torch.as_tensor(bias, dtype=torch.float32))
        layers.append(lin)
        if i < last and act is not None:
            layers.append(act())
    return nn.Sequential(*layers).eval()
