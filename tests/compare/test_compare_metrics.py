"""Metrics, aggregation and paired tests of ``skvitalroute compare``."""

import math

import numpy as np
import pytest
from scipy import stats

from skvitalroute.compare._metrics import (
    aggregate,
    compare_to_baseline,
    paired_differences,
    paired_test,
    score_predictions,
    score_probabilities,
    summarize_vitality,
)


def test_score_predictions_hand_computed():
    """Check every metric against values worked out by hand."""
    y_true = [0, 0, 0, 0, 1, 1, 2, 2]
    y_pred = [0, 0, 0, 1, 1, 0, 2, 2]
    s = score_predictions(y_true, y_pred, classes=[0, 1, 2], minority=[1, 2])
    # recalls: class 0 3/4, class 1 1/2, class 2 2/2
    assert s["per_class_recall"] == [0.75, 0.5, 1.0]
    assert s["balanced_accuracy"] == pytest.approx((0.75 + 0.5 + 1.0) / 3)
    assert s["minority_recall"] == pytest.approx(0.75)
    # pooled accuracy on the 4 minority rows: 3 right
    assert s["minority_accuracy"] == pytest.approx(0.75)
    assert s["accuracy"] == pytest.approx(6 / 8)
    # precision: class 0 3/4, class 1 1/2, class 2 1 -> F1 0.75, 0.5, 1.0
    assert s["macro_f1"] == pytest.approx((0.75 + 0.5 + 1.0) / 3)


def test_score_predictions_class_never_predicted():
    """Check that a class absent from the predictions scores 0, without warnings."""
    with np.errstate(all="raise"):
        s = score_predictions(["a", "b", "c"], ["a", "a", "a"], ["a", "b", "c"], ["c"])
    assert s["per_class_recall"] == [1.0, 0.0, 0.0]
    assert s["minority_recall"] == 0.0
    assert s["macro_f1"] == pytest.approx((2 * 1 / 3 * 1 / (1 / 3 + 1)) / 3)


def test_score_probabilities_hand_computed():
    """Check log-loss, Brier and ROC-AUC against values worked out by hand."""
    proba = [[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.9, 0.1]]
    s = score_probabilities(["a", "b", "b", "a"], proba, ["a", "b"])
    assert s["log_loss"] == pytest.approx(
        -(math.log(0.8) + math.log(0.7) + math.log(0.4) + math.log(0.9)) / 4
    )
    # binary Brier: squared error of the second class's probability
    assert s["brier"] == pytest.approx((0.2**2 + 0.3**2 + 0.6**2 + 0.1**2) / 4)
    # positives 0.7, 0.4 above both negatives 0.2, 0.1
    assert s["roc_auc"] == 1.0
    # three classes: Brier summed over the classes, ROC-AUC macro one-vs-rest
    proba3 = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.5, 0.1, 0.4]])
    s3 = score_probabilities([0, 1, 2], proba3, [0, 1, 2])
    assert s3["brier"] == pytest.approx(np.mean(np.sum((proba3 - np.eye(3)) ** 2, 1)))
    # class 2's one-vs-rest: its row (0.4) above the others (0.1, 0.1)
    assert s3["roc_auc"] == 1.0


def test_score_probabilities_undefined_cases():
    """Check the probability metrics are NaN without probabilities, and ROC-AUC
    is NaN on a test fold of one class while the losses are defined."""
    s = score_predictions([0, 1], [0, 1], [0, 1], [1])
    assert all(math.isnan(s[k]) for k in ("log_loss", "brier", "roc_auc"))
    s = score_probabilities([1, 1], [[0.2, 0.8], [0.4, 0.6]], [0, 1])
    assert math.isnan(s["roc_auc"])
    assert s["brier"] == pytest.approx((0.2**2 + 0.4**2) / 2)
    # a class missing from a multi-class test fold: no ROC-AUC, no error
    s = score_probabilities([0, 1, 1], np.full((3, 3), 1 / 3), [0, 1, 2])
    assert math.isnan(s["roc_auc"]) and s["log_loss"] == pytest.approx(math.log(3))


def test_aggregate_skips_undefined_values():
    """Check a metric undefined on some fits is averaged over the others."""
    recs = [
        {"method": "a", "auc": 0.5},
        {"method": "a", "auc": float("nan")},
        {"method": "a", "auc": 0.7},
        {"method": "b", "auc": float("nan")},
    ]
    out = aggregate(recs, ["auc"])
    assert out["a"]["auc"][0] == pytest.approx(0.6)
    assert all(math.isnan(v) for v in out["b"]["auc"])


def test_aggregate_mean_and_sample_std():
    """Check mean and ddof=1 std per method, methods in first-seen order."""
    recs = [
        {"method": "b", "acc": 0.9, "t": 1.0},
        {"method": "a", "acc": 0.5, "t": 2.0},
        {"method": "b", "acc": 0.7, "t": 3.0},
        {"method": "b", "acc": 0.8, "t": 2.0},
    ]
    out = aggregate(recs, ["acc", "t"])
    assert list(out) == ["b", "a"]
    assert out["b"]["n"] == 3
    assert out["b"]["acc"][0] == pytest.approx(0.8)
    assert out["b"]["acc"][1] == pytest.approx(0.1)
    assert out["a"]["acc"] == (0.5, 0.0)


def _rec(method, seed, fold, value):
    return {"method": method, "seed": seed, "fold": fold, "m": value}


def test_paired_differences_match_splits():
    """Check that differences pair the same (seed, fold), whatever the order."""
    recs = [
        _rec("x", 0, 1, 0.5),
        _rec("base", 0, 0, 0.1),
        _rec("x", 0, 0, 0.4),
        _rec("base", 0, 1, 0.2),
        _rec("x", 1, 0, 0.9),  # no baseline on this split: left out
    ]
    d = paired_differences(recs, "x", "base", "m")
    np.testing.assert_allclose(d, [0.3, 0.3])


def test_paired_test_against_scipy_and_hand_interval():
    """Check the Wilcoxon p-value and the t interval of the mean difference."""
    d = np.array([0.02, -0.01, 0.03, 0.05, 0.01, 0.04, -0.02, 0.06])
    r = paired_test(d)
    assert r["p_value"] == pytest.approx(stats.wilcoxon(d).pvalue)
    half = stats.t.ppf(0.975, 7) * d.std(ddof=1) / math.sqrt(8)
    assert r["ci_low"] == pytest.approx(d.mean() - half)
    assert r["ci_high"] == pytest.approx(d.mean() + half)
    assert (r["wins"], r["losses"], r["ties"]) == (6, 2, 0)


def test_paired_test_all_zero_and_too_few():
    """Check that identical methods give p=1 and a single split gives NaN."""
    zero = paired_test(np.zeros(6))
    assert zero["p_value"] == 1.0 and zero["mean"] == 0.0 and zero["ties"] == 6
    one = paired_test([0.1])
    assert math.isnan(one["p_value"]) and math.isnan(one["ci_low"])
    assert paired_test([])["n"] == 0


def test_compare_to_baseline_skips_missing_baseline():
    """Check that no baseline run gives an empty comparison."""
    recs = [_rec("x", 0, 0, 0.1), _rec("y", 0, 0, 0.2)]
    assert compare_to_baseline(recs, "inv_freq", ["m"]) == {}
    out = compare_to_baseline(recs, "x", ["m"])
    assert list(out) == ["y"] and out["y"]["m"]["mean"] == pytest.approx(0.1)


def test_summarize_vitality_spread():
    """Check the averaged stress and probability ranges and the hi/lo ratio."""
    recs = [
        {
            "method": "v",
            "vitality": {
                "route": "imbalance",
                "stress_lo": 0.0,
                "stress_hi": 0.2,
                "prob_lo": 0.2,
                "prob_hi": 0.3,
                "class_probs": [0.2, 0.3, 0.5],
            },
        },
        {
            "method": "v",
            "vitality": {
                "route": "imbalance",
                "stress_lo": 0.1,
                "stress_hi": 0.4,
                "prob_lo": 0.2,
                "prob_hi": 0.5,
                "class_probs": [0.4, 0.3, 0.3],
            },
        },
        {"method": "plain", "vitality": {}},
    ]
    out = summarize_vitality(recs, n_classes=3)
    assert list(out) == ["v"]
    v = out["v"]
    assert v["routes"] == {"imbalance": 2}
    assert v["stress_lo"] == pytest.approx(0.05) and v["stress_hi"] == pytest.approx(
        0.3
    )
    assert v["prob_ratio"] == pytest.approx(0.4 / 0.2)
    np.testing.assert_allclose(v["class_probs"], [0.3, 0.3, 0.4])
    assert v["uniform_prob"] == pytest.approx(1 / 3)
