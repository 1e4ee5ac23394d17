"""Small torch networks shared by the callback and probe tests."""

import torch


def relu_mlp(*widths):
    """A ``torch.nn.Sequential`` of Linear layers with a ReLU between each.

    ``relu_mlp(4, 10, 10, 2)`` has Linear layers 4 -> 10, 10 -> 10, 10 -> 2
    at indices 0, 2 and 4, as a hand-written ``Sequential`` would.
    """
    layers = []
    for n_in, n_out in zip(widths[:-1], widths[1:], strict=True):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])
