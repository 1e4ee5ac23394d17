"""What several test files build the same way: data, a plain skorch net, examples."""

import signal
from contextlib import contextmanager

import torch
from sklearn.datasets import make_classification
from skorch import NeuralNetClassifier

from skvitalroute.nn import MLPModule

#: The examples of docs/router.md, "The seed's rule table":
#: (class counts, parent pool given, the route's label).
SEED_RULE_EXAMPLES = [
    ([3000, 400], False, "imbalance"),
    ([140] * 10, False, "hard+lr_scale"),
    ([80, 80], True, "transfer+hard+lr_scale"),
    ([10] * 5, True, "transfer+hard"),
    ([6] * 5, False, "monitor"),
]


def three_classes(n_samples, n_features, n_informative, weights=None):
    """``make_classification`` data in 3 classes (seed 0): ``X, y``."""
    return make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_informative,
        n_classes=3,
        weights=weights,
        random_state=0,
    )


def skorch_mlp(n_features, n_classes, *, max_epochs, **params):
    """A plain skorch classifier of an 8-unit MLPModule, no validation split."""
    return NeuralNetClassifier(
        MLPModule,
        module__n_features=n_features,
        module__n_classes=n_classes,
        module__hidden_units=(8,),
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=max_epochs,
        train_split=None,
        verbose=0,
        **params,
    )


@contextmanager
def deliverable_sigint():
    """Let this process and the children started in the block get SIGINT.

    A process started with SIGINT ignored (a shell's background job, nohup,
    some CI runners) has no ``KeyboardInterrupt`` handler and passes the
    ignored disposition on to every child: a test that sends SIGINT to a
    child then waits for it forever (the one-off 120 s timeout of
    ``test_faults.py::test_sampler_stops_on_a_real_sigint``, reproduced by
    ``trap '' INT`` before pytest). Python's handler here becomes the
    default disposition in a child at ``exec``, so children start as from a
    terminal whatever this process inherited.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
