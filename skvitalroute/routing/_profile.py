"""The task profile: the shape of a classification task's training labels."""

from dataclasses import dataclass, field

import numpy as np
from sklearn.utils.validation import column_or_1d


@dataclass(frozen=True)
class TaskProfile:
    """Shape of a classification task's training labels.

    Parameters
    ----------
    n_samples : int
        Number of labelled rows.
    n_classes : int
        Number of distinct labels.
    classes : ndarray of shape (n_classes,)
        The sorted distinct labels.
    class_counts : ndarray of shape (n_classes,)
        Rows per class, in the order of ``classes``.

    Attributes
    ----------
    min_count : int
        Rows of the smallest class.
    max_count : int
        Rows of the largest class.
    ratio : float
        ``min_count / max_count``, in (0, 1].

    See Also
    --------
    profile_task : Build a profile from labels.
    """

    n_samples: int
    n_classes: int
    classes: np.ndarray = field(repr=False)
    class_counts: np.ndarray = field(repr=False)

    @property
    def min_count(self):
        return int(self.class_counts.min())

    @property
    def max_count(self):
        return int(self.class_counts.max())

    @property
    def ratio(self):
        return self.min_count / self.max_count


def profile_task(y):
    """Profile the training labels of a classification task.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels of any type (integers, strings, ...); classes are inferred.

    Returns
    -------
    profile : TaskProfile
        Counts per class and the imbalance ratio.

    Examples
    --------
    >>> from skvitalroute import profile_task
    >>> p = profile_task(["a"] * 30 + ["b"] * 10)
    >>> p.n_samples, p.n_classes, p.min_count, p.max_count, round(p.ratio, 3)
    (40, 2, 10, 30, 0.333)
    """
    y = column_or_1d(y, warn=True)
    if y.shape[0] == 0:
        raise ValueError("profile_task needs at least one label; got an empty y.")
    classes, counts = np.unique(y, return_counts=True)
    return TaskProfile(
        n_samples=int(y.shape[0]),
        n_classes=int(classes.shape[0]),
        classes=classes,
        class_counts=counts,
    )
