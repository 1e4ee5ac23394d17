"""Networks: the default module of the classifier and of the sampler's probe.

:class:`MLPModule` is the network :class:`~skvitalroute.VitalRouteClassifier`
builds with ``module=None`` (sized from the data) and the probe network of
:class:`~skvitalroute.VitalitySampler`; pass it to any skorch net as
``module=MLPModule, module__n_features=..., module__n_classes=...``.
The classifier's losses live beside it, in ``skvitalroute.nn._losses``.
"""

from torch import nn

__all__ = ["MLPModule"]


class MLPModule(nn.Sequential):
    """A multi-layer perceptron that outputs class logits.

    Each hidden layer is ``Linear -> ReLU`` (then ``Dropout`` when
    ``dropout > 0``); the last ``Linear`` maps to one logit per class. It is
    an ``nn.Sequential`` so that every ``Linear`` is followed by its
    activation in registration order, which is how
    :class:`~skvitalroute.VitalityProbe` pairs a layer with its activation.

    It is the default module of :class:`~skvitalroute.VitalRouteClassifier`
    (``module=None``: ``n_features`` and ``n_classes`` from the training
    data, ``hidden_units`` and ``dropout`` from the classifier's parameters
    of those names) and of :class:`~skvitalroute.VitalitySampler`'s probe
    network.

    Parameters
    ----------
    n_features : int
        Number of input features.
    n_classes : int
        Number of output logits.
    hidden_units : sequence of int, default=(128, 64)
        Width of each hidden layer; empty means a linear model.
    dropout : float, default=0.0
        Dropout probability after each hidden activation, in ``[0, 1)``.

    See Also
    --------
    skvitalroute.VitalRouteClassifier : Builds it when ``module=None``.
    skvitalroute.VitalityProbe : Reads its hidden layers.

    Examples
    --------
    >>> import torch
    >>> from skvitalroute.nn import MLPModule
    >>> net = MLPModule(4, 3, hidden_units=(8,))
    >>> net
    MLPModule(
      (0): Linear(in_features=4, out_features=8, bias=True)
      (1): ReLU()
      (2): Linear(in_features=8, out_features=3, bias=True)
    )
    >>> net(torch.zeros(5, 4)).shape
    torch.Size([5, 3])
    """

    def __init__(self, n_features, n_classes, hidden_units=(128, 64), dropout=0.0):
        layers = []
        width = n_features
        for units in hidden_units:
            layers += [nn.Linear(width, units), nn.ReLU()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = units
        layers.append(nn.Linear(width, n_classes))
        super().__init__(*layers)
