"""Random streams: seeds drawn from ``random_state`` and a private torch RNG.

Every fit of :class:`~skvitalroute.VitalRouteClassifier` and of
:class:`~skvitalroute.VitalitySampler`'s probe network runs on a private copy
of torch's global generator (``torch.random.fork_rng``), seeded from the
estimator's ``random_state``; the user's torch stream is never read or
advanced (``docs/classifier.md``, "What ``fit`` does", Reproducibility).
"""

from contextlib import contextmanager

import numpy as np
import torch
from sklearn.ensemble._base import _set_random_states
from sklearn.utils import check_random_state

#: Seeds are drawn from ``[0, SEED_MAX)``, as scikit-learn draws them.
SEED_MAX = np.iinfo(np.int32).max


def draw_seed(random_state, offset=0):
    """Draw the seed of one fit from ``random_state``.

    An int ``random_state`` gives the same seed every call; None or a
    ``RandomState`` draws a fresh one (scikit-learn's convention).

    Parameters
    ----------
    random_state : int, RandomState instance or None
        The estimator's ``random_state``.
    offset : int, default=0
        Added to the seed (modulo :data:`SEED_MAX`), e.g. the epochs already
        trained, so that the fits of a warm start draw different streams.

    Returns
    -------
    seed : int
        In ``[0, SEED_MAX)``.

    Examples
    --------
    >>> from skvitalroute._utils._rng import draw_seed
    >>> draw_seed(0) == draw_seed(0), draw_seed(0, 3) - draw_seed(0)
    (True, 3)
    """
    base = check_random_state(random_state).randint(SEED_MAX)
    return (int(base) + int(offset)) % SEED_MAX


@contextmanager
def torch_rng(seed=None):
    """Run a block on a private copy of torch's global RNG.

    The global generator (and, with CUDA, every device's) is restored on
    exit, so the block neither reads nor advances the user's torch random
    stream.

    Parameters
    ----------
    seed : int or None, default=None
        With a seed the block starts from ``torch.manual_seed(seed)``; None
        continues from a copy of the current state.

    Examples
    --------
    >>> import torch
    >>> from skvitalroute._utils._rng import torch_rng
    >>> state = torch.get_rng_state()
    >>> with torch_rng(0):
    ...     a = torch.rand(1)
    >>> with torch_rng(0):
    ...     b = torch.rand(1)
    >>> bool(a == b), bool((torch.get_rng_state() == state).all())
    (True, True)
    """
    devices = None if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        if seed is not None:
            torch.manual_seed(int(seed))
        yield


def seed_random_states(estimator, seed):
    """Set every ``random_state`` parameter of ``estimator`` from ``seed``.

    scikit-learn's ensembles do this to their members
    (``sklearn.ensemble._base._set_random_states``, used here), so that one
    ``random_state`` makes the whole fit reproducible.

    Parameters
    ----------
    estimator : estimator
        Supports ``get_params`` and ``set_params``; modified in place.
    seed : int
        Seeds the draws of the parameters' values.
    """
    _set_random_states(estimator, seed)
