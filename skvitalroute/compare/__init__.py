"""The ``skvitalroute compare`` command: vitality routing against baselines.

Every neural method is the same :class:`~skvitalroute.VitalRouteClassifier`
network trained the same way, differing only in the tactic (docs/compare.md,
"Methods"); the comparison is a repeated stratified cross-validation (or the original
study's holdout split) with a paired test against inverse-frequency
weighting. Run ``skvitalroute compare --help``.
"""

from skvitalroute.compare._compare import compare
from skvitalroute.compare._data import (
    CompareError,
    Task,
    csv_task,
    digits_task,
    induce_imbalance,
    tail_fractions,
)
from skvitalroute.compare._methods import METHODS, NetConfig, build_method
from skvitalroute.compare._metrics import aggregate, paired_test, score_predictions
from skvitalroute.compare._report import render, write_outputs
from skvitalroute.compare._result import CompareResult

__all__ = [
    "compare",
    "CompareResult",
    "CompareError",
    "Task",
    "csv_task",
    "digits_task",
    "induce_imbalance",
    "tail_fractions",
    "METHODS",
    "NetConfig",
    "build_method",
    "aggregate",
    "paired_test",
    "score_predictions",
    "render",
    "write_outputs",
]
