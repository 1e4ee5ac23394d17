"""VitalitySampler's targets: ``sampling_strategy`` checked, the class-mode counts.

imbalanced-learn's ``check_sampling_strategy`` turns ``sampling_strategy``
into the rows to add per class. It lets a few things through that the
sampler must refuse by name before any training (a ``Mapping`` that is not
a ``dict``, which its constraints accept but its conversion returns as
``None``; a non-integer count from a callable, which it truncates later; a
count too large for its int64 arithmetic). ``"class"`` mode then scales the
counts by the class probabilities, within ``max_growth``.
"""

import warnings
from collections.abc import Mapping
from numbers import Integral

import numpy as np

#: imbalanced-learn subtracts class counts held as int64.
_INT64_MAX = int(np.iinfo(np.int64).max)


def check_strategy_counts(strategy, origin="sampling_strategy"):
    """Refuse a count imbalanced-learn would truncate or overflow on.

    Parameters
    ----------
    strategy : object
        ``sampling_strategy`` (only a mapping is read) or what its callable
        returned.
    origin : str, default="sampling_strategy"
        How the message names where the counts came from.

    Raises
    ------
    ValueError
        When a count is not an int (a bool, a float such as ``20.5``), or
        is larger than any output can be (beyond int64, where
        imbalanced-learn's arithmetic overflows).

    Examples
    --------
    >>> from skvitalroute._sampler._strategy import check_strategy_counts
    >>> check_strategy_counts({1: 20.5})
    Traceback (most recent call last):
    ...
    ValueError: sampling_strategy must map each class to an int number of rows; ...
    """
    if not isinstance(strategy, Mapping):
        return
    for label, count in strategy.items():
        if isinstance(count, bool | np.bool_) or not isinstance(count, Integral):
            raise ValueError(
                "sampling_strategy must map each class to an int number of rows; "
                f"got {count!r} for class {label!r}{_from(origin)}."
            )
        if count > _INT64_MAX:
            raise ValueError(
                f"sampling_strategy asks for {count} rows of class {label!r}"
                f"{_from(origin)}: more than any output can hold (over "
                "2**63 - 1 rows). Ask for fewer rows (a smaller sampling_strategy)."
            )


def _from(origin):
    return "" if origin == "sampling_strategy" else f" ({origin})"


def resolve_strategy(sampler, y, computed):
    """``sampling_strategy_``, with what imbalanced-learn left unchecked.

    Parameters
    ----------
    sampler : VitalitySampler
        Its ``sampling_strategy`` and ``_sampling_type`` are read.
    y : ndarray of shape (n_samples,)
        The validated labels.
    computed : dict or None
        What imbalanced-learn's ``check_sampling_strategy`` returned.

    Returns
    -------
    sampling_strategy_ : dict
        Extra rows per targeted class, as ints.

    Raises
    ------
    ValueError
        When a callable ``sampling_strategy`` returned a count that is not
        an int.
    """
    from imblearn.utils import check_sampling_strategy

    strategy = sampler.sampling_strategy
    if isinstance(strategy, Mapping) and not isinstance(strategy, dict):
        # imbalanced-learn's constraints take any Mapping, its conversion
        # only a dict (it returns None for a MappingProxyType).
        return check_sampling_strategy(dict(strategy), y, sampler._sampling_type)
    if callable(strategy):
        counts = dict(zip(*np.unique(y, return_counts=True), strict=True))
        for label, extra in computed.items():
            asked = _plain(extra + counts[label])
            check_strategy_counts({label: asked}, "returned by the callable")
        computed = {label: int(extra) for label, extra in computed.items()}
    return computed


def class_targets(counts, requested, probabilities, max_growth=None):
    """Extra rows per targeted class in ``"class"`` mode.

    Parameters
    ----------
    counts : dict
        Rows per class (label -> int).
    requested : dict
        ``sampling_strategy_``: extra rows asked for per targeted class.
    probabilities : dict
        Class probabilities (label -> float), at least for the targeted
        classes.
    max_growth : float or None, default=None
        The most a class's final count may be, as a multiple of the count
        ``sampling_strategy`` asks for; None for no bound.

    Returns
    -------
    added : dict
        Extra rows per targeted class, in the order of ``requested``:
        ``min(max(t_c, floor(t_c * w_c + 0.5)), floor(max_growth * t_c)) - n_c``
        with ``t_c = n_c + requested_c`` and ``w_c = p_c / min p`` (see
        :class:`~skvitalroute.VitalitySampler`, Notes).
    capped : dict
        For each class the bound held back: label -> the final count the
        probabilities alone would give (an int, or ``inf`` where the least
        probable targeted class has probability 0).

    Raises
    ------
    ValueError
        With ``max_growth=None``, when the probabilities give no finite
        count (a targeted class has probability 0: the softmax underflows
        at ``strength=1`` and a very large ``beta``).

    Examples
    --------
    >>> from skvitalroute._sampler._strategy import class_targets
    >>> class_targets({"a": 100, "b": 20, "c": 10}, {"b": 80, "c": 90},
    ...               {"a": 0.2, "b": 0.4, "c": 0.5})
    ({'b': 80, 'c': 115}, {})
    >>> class_targets({"a": 100, "b": 20, "c": 10}, {"b": 80, "c": 90},
    ...               {"a": 0.2, "b": 0.1, "c": 0.7}, max_growth=2.0)
    ({'b': 80, 'c': 190}, {'c': 700})
    """
    if not requested:
        return {}, {}
    p_min = min(probabilities[c] for c in requested)
    added, capped = {}, {}
    for c, r in requested.items():
        target = counts[c] + int(r)
        final = _scaled(target, probabilities[c], p_min)
        if max_growth is not None and final > max_growth * target:
            capped[c] = final
            final = max(target, int(np.floor(max_growth * target)))
        elif final == float("inf"):
            raise ValueError(
                "VitalitySampler(mode='class') cannot scale the counts: class "
                f"probabilities {_plain(probabilities[c]):.3g} and {p_min:.3g} "
                "(the softmax of beta * stress underflows at strength=1 and a "
                "large beta) would grow the classes without bound. Set "
                "max_growth, lower beta, or use strength < 1."
            )
        added[c] = int(final) - counts[c]
    return added, capped


def _scaled(target, p, p_min):
    """``max(target, floor(target * p / p_min + 0.5))``, exact for large ratios."""
    if p_min <= 0:
        return float("inf") if p > 0 else target
    ratio = p / p_min
    if not np.isfinite(ratio * target):
        return float("inf")
    return max(target, int(np.floor(target * ratio + 0.5)))


def warn_capped(counts, added, capped, max_growth):
    """Say which classes ``max_growth`` held back, and from how many rows.

    Parameters
    ----------
    counts : dict
        Rows per class before resampling.
    added : dict
        Rows added per class (the first output of :func:`class_targets`).
    capped : dict
        The second output of :func:`class_targets`.
    max_growth : float
        The bound, named in the message.
    """
    if not capped:
        return
    parts = [
        f"class {_plain(c)!r} to {counts[c] + added[c]} rows instead of {_count(final)}"
        for c, final in capped.items()
    ]
    warnings.warn(
        f"VitalitySampler(mode='class'): max_growth={max_growth!r} capped "
        f"{'; '.join(parts)} (the count sampling_strategy asks for, scaled by "
        "the class probabilities p_c / min p). The class shares of the output "
        "no longer follow the probabilities; raise max_growth (None: no bound) "
        "or lower beta or strength for a milder emphasis.",
        UserWarning,
        stacklevel=8,  # the caller of fit_resample (through imbalanced-learn)
    )


def _count(value):
    return "an unbounded number" if value == float("inf") else f"{value:.4g}"


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value
