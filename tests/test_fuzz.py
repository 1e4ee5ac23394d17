"""Property-based tests of both front doors (hypothesis).

For random small datasets (2-4 classes of 1-15 rows, 1-5 features, scales
from 1e-3 to 1e3, labels of several types, X as float64, float32, int16,
a mixed-dtype DataFrame, an object array of 2**60 + i or CSR) and random
settings, each door keeps its invariants (``tests/_invariants.py``):

- ``VitalitySampler.fit_resample``: every original row first and exactly
  as given (same dtype, same values), every added row a copy of an input
  row of the same label, no class shrinks;
- ``VitalRouteClassifier``: finite probabilities summing to 1 over exactly
  the classes of ``y`` under each ``proba_prior``, predicted labels only
  from those seen at fit, on the training rows and on new rows; with
  ``partial_fit(classes=...)`` naming 1-2 labels without rows, a valid
  probability column for each (the absent ones weighted as the rarest);
- both: a run in another Python process gives bit-identical results.

The networks are tiny (4 hidden units, 1-2 epochs) and the example counts
modest, so that the file stays fast; ``-m slow`` runs more examples with
fresh random draws.
"""

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
import pytest
import torch
from _invariants import (
    CLASSIFIER_X_KINDS,
    LABEL_KINDS,
    SAMPLER_X_KINDS,
    check_fitted,
    check_resampled,
    classify,
    fingerprints,
    make_dataset,
    resample,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skvitalroute import VitalityProbe, VitalitySampler, VitalRouteClassifier

# Deterministic examples (derandomize) and no example database on disk: the
# default suite draws the same cases on every run.
FAST = settings(
    max_examples=30,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
MORE = settings(FAST, max_examples=150, derandomize=False)
TESTS_DIR = Path(__file__).parent


@st.composite
def specs(draw, x_kinds=SAMPLER_X_KINDS):
    """A dataset spec for :func:`_invariants.make_dataset` (plain JSON)."""
    n_classes = draw(st.integers(2, 4))
    labels = draw(st.sampled_from(LABEL_KINDS if n_classes == 2 else LABEL_KINDS[:4]))
    return {
        "seed": draw(st.integers(0, 2**16)),
        "counts": draw(
            st.lists(st.integers(1, 15), min_size=n_classes, max_size=n_classes)
        ),
        "n_features": draw(st.integers(1, 5)),
        "scale": draw(st.sampled_from([1e-3, 1.0, 1e3])),
        "labels": labels,
        "X": draw(st.sampled_from(x_kinds)),
    }


sampler_params = st.fixed_dictionaries(
    {
        "mode": st.sampled_from(["auto", "class", "sample"]),
        "strength": st.none() | st.floats(0.0, 1.0),
        "beta": st.none() | st.floats(0.0, 20.0),
        "sampling_strategy": st.sampled_from(
            ["auto", "not majority", "all", "minority"]
        ),
        "probe_size": st.integers(1, 64),
        "random_state": st.integers(0, 2**31),
    }
)
classifier_params = st.fixed_dictionaries(
    {
        "tactics": st.sampled_from(
            ["auto", "none", ("class",), ("hard",), ("lr_scale",)]
        ),
        "loss": st.sampled_from(["cross_entropy", "focal", "logit_adjusted"]),
        "class_weight": st.sampled_from([None, "balanced"]),
        "max_epochs": st.integers(1, 2),
        "batch_size": st.sampled_from([-1, 4, 16]),
        "proba_prior": st.sampled_from(["auto", "balanced", "train"]),
        "random_state": st.integers(0, 2**31),
    }
)


def _check_sampler(spec, params):
    sampler, X, y, result = resample(spec, params)
    check_resampled(sampler, X, y, result)
    if sampler.mode_ == "sample":  # each targeted class gets exactly its request
        assert sampler.n_added_ == dict(sampler.sampling_strategy_)


def _check_classifier(spec, params, data):
    clf, X, y = classify(spec, params)
    check_fitted(clf, X, y)
    # new rows, far outside the training range: still labels seen at fit
    n_new = data.draw(st.integers(1, 20))
    X_new = np.random.default_rng(spec["seed"] + 1).normal(size=(n_new, X.shape[1]))
    X_new *= data.draw(st.sampled_from([1.0, 1e6]))
    if hasattr(X, "columns"):
        X_new = pd.DataFrame(X_new, columns=X.columns)
    proba = clf.predict_proba(X_new)
    assert np.isfinite(proba).all() and (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert set(clf.predict(X_new).tolist()) <= set(clf.classes_.tolist())


@FAST
@given(spec=specs(), params=sampler_params)
def test_sampler_keeps_every_row_and_every_class(spec, params):
    """Check that fit_resample returns the original rows untouched, then
    copies of input rows, and that no class shrinks."""
    _check_sampler(spec, params)


@FAST
@given(spec=specs(CLASSIFIER_X_KINDS), params=classifier_params, data=st.data())
def test_classifier_probabilities_are_finite_and_labels_known(spec, params, data):
    """Check finite probabilities summing to 1 and predicted labels from fit."""
    _check_classifier(spec, params, data)


def _check_classes_without_rows(spec, params, n_extra):
    """partial_fit with classes= naming labels y lacks: a column for each."""
    X, y = make_dataset({**spec, "labels": "int"})
    classes = np.arange(len(spec["counts"]) + n_extra)
    clf = VitalRouteClassifier(hidden_units=(4,), probe_size=64, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        clf.partial_fit(X, y, classes=classes)
    np.testing.assert_array_equal(clf.classes_, classes)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(y), len(classes)) and np.isfinite(proba).all()
    assert (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-9)
    assert set(clf.predict(X).tolist()) <= set(classes.tolist())
    if clf.class_weight_ is not None:  # the absent classes weigh as the rarest
        present = np.isin(classes, y)
        assert (clf.class_weight_[~present] == clf.class_weight_[present].max()).all()


@FAST
@given(
    spec=specs(CLASSIFIER_X_KINDS),
    params=classifier_params,
    n_extra=st.integers(1, 2),
)
def test_classifier_with_classes_without_rows(spec, params, n_extra):
    """Check valid probabilities over every class named by partial_fit's
    classes=, including those without a row, for each loss and tactic."""
    _check_classes_without_rows(spec, params, n_extra)


@pytest.mark.slow
@MORE
@given(spec=specs(), params=sampler_params)
def test_sampler_invariants_many_examples(spec, params):
    """Check the sampler's invariants on many fresh random examples."""
    _check_sampler(spec, params)


@pytest.mark.slow
@MORE
@given(spec=specs(CLASSIFIER_X_KINDS), params=classifier_params, data=st.data())
def test_classifier_invariants_many_examples(spec, params, data):
    """Check the classifier's invariants on many fresh random examples."""
    _check_classifier(spec, params, data)


# -- determinism across processes -----------------------------------------------
CHILD = """
import json, sys
sys.path.insert(0, sys.argv[1])
from _invariants import fingerprints
cases = [(s, a, {**c, "tactics": tuple(c["tactics"]) if isinstance(c["tactics"], list)
                 else c["tactics"]}) for s, a, c in json.loads(sys.stdin.read())]
print(json.dumps(fingerprints(cases)))
"""


@settings(FAST, max_examples=1)
@given(
    cases=st.lists(
        st.tuples(specs(), sampler_params, classifier_params), min_size=6, max_size=6
    )
)
def test_both_doors_give_identical_results_in_another_process(cases):
    """Check that another Python process, fresh global RNGs and all, resamples
    the same rows and predicts the same probabilities bit for bit."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(TESTS_DIR)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert child.returncode == 0, child.stderr
    np.random.seed(12345)  # this process's global RNG state must not matter
    assert json.loads(child.stdout) == fingerprints(cases)


# -- issue 20: sampler targets, one-hot y, the probe, the display -----------------
FEW = settings(FAST, max_examples=8)


def _labels(spec):
    return np.unique(make_dataset(spec)[1], return_inverse=True)[1]


@FEW
@given(spec=specs(["float64"]), extra=st.lists(st.integers(0, 20), min_size=4))
def test_sampler_strategy_mapping_kinds_agree(spec, extra):
    """Check that a dict, a MappingProxyType and a callable with the same int
    counts draw the same rows."""
    X, y = make_dataset(spec)
    classes, counts = np.unique(y, return_counts=True)
    wanted = {c: int(n + e) for c, n, e in zip(classes, counts, extra, strict=False)}
    draws = []
    for strategy in (wanted, MappingProxyType(wanted), lambda y: wanted):
        sampler = VitalitySampler(
            probe_hidden_units=(4,),
            probe_epochs=1,
            random_state=0,
            sampling_strategy=strategy,
        )
        check_resampled(sampler, X, y, sampler.fit_resample(X, y))
        draws.append(sampler.sample_indices_)
    for other in draws[1:]:
        np.testing.assert_array_equal(other, draws[0])


@FEW
@given(
    spec=specs(["float64", "DataFrame", "csr"]),
    kind=st.sampled_from(["int", "int8", "bool", "DataFrame", "get_dummies"]),
    params=sampler_params,
)
def test_sampler_one_hot_y_draws_as_its_labels(spec, kind, params):
    """Check that one-hot y (any dtype, a DataFrame) draws the rows its labels
    draw and comes back as its own rows: same columns, dtype and container."""
    X, _ = make_dataset(spec)
    labels = _labels(spec)
    n_classes = labels.max() + 1
    Y = np.eye(n_classes, dtype=kind if kind in ("int8", "bool") else int)[labels]
    if kind == "DataFrame":
        Y = pd.DataFrame(Y, columns=[f"c{i}" for i in range(n_classes)])
    elif kind == "get_dummies":
        Y = pd.get_dummies(pd.Series(labels))
    sampler = VitalitySampler(probe_hidden_units=(4,), probe_epochs=1, **params)
    _, Y_res = sampler.fit_resample(X, Y)
    reference = VitalitySampler(probe_hidden_units=(4,), probe_epochs=1, **params)
    reference.fit_resample(X, labels)
    np.testing.assert_array_equal(sampler.sample_indices_, reference.sample_indices_)
    assert type(Y_res) is type(Y) and Y_res.shape == (
        len(sampler.sample_indices_),
        Y.shape[1],
    )
    np.testing.assert_array_equal(
        np.asarray(Y_res), np.asarray(Y)[sampler.sample_indices_]
    )
    if isinstance(Y, pd.DataFrame):
        assert Y_res.dtypes.equals(Y.dtypes)
    else:
        assert Y_res.dtype == Y.dtype


@FEW
@given(
    spec=specs(["float64"]),
    strength=st.floats(0.0, 1.0),
    beta=st.sampled_from([0.0, 4.0, 200.0, 1e300, 1.7e308]),
    max_growth=st.floats(1.0, 20.0),
)
def test_class_mode_growth_stays_within_max_growth(spec, strength, beta, max_growth):
    """Check that class mode never ends a class above max_growth times the
    count sampling_strategy asks for, whatever strength and beta."""
    X, y = make_dataset(spec)
    sampler = VitalitySampler(
        mode="class",
        strength=strength,
        beta=beta,
        max_growth=max_growth,
        probe_hidden_units=(4,),
        probe_epochs=1,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the cap's own warning
        result = sampler.fit_resample(X, y)
    check_resampled(sampler, X, y, result)
    counts = dict(zip(*np.unique(y, return_counts=True), strict=True))
    for c, asked in sampler.sampling_strategy_.items():
        target = counts[c] + asked
        final = counts[c] + sampler.n_added_[c]
        assert target <= final <= max(target, int(np.floor(max_growth * target)))


@settings(FAST, max_examples=40)
@given(
    n_rows=st.integers(1, 40),
    bad=st.sampled_from([np.nan, np.inf, -np.inf, 1e39]),
    where=st.floats(0.0, 1.0, exclude_max=True),
    tensor=st.booleans(),
)
def test_probe_refuses_any_non_finite_X(n_rows, bad, where, tensor):
    """Check that one NaN, inf or beyond-float32 value anywhere in X makes every
    probe reading refuse it by name."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2)
    )
    X = np.random.default_rng(n_rows).normal(size=(n_rows, 3))
    X.flat[int(where * X.size)] = bad
    y = np.arange(n_rows) % 2
    if tensor:
        X = torch.as_tensor(X, dtype=torch.float32)  # 1e39 becomes inf
    match = "NaN" if np.isnan(bad) else "infinity|too large for float32"
    for read in (
        lambda p: p.observe(X),
        lambda p: p.per_class_stress(X, y),
        lambda p: p.per_sample_stress(X, y),
    ):
        with pytest.raises(ValueError, match=match):
            read(VitalityProbe(net))


_DISPLAY_KEYS = {
    "vitality_layer_stasis": st.none()
    | st.dictionaries(
        st.sampled_from(["0", "2"]), st.none() | st.floats(0, 1), max_size=2
    ),
    "vitality_stress": st.none() | st.floats(0, 1),
    "vitality_mean_stasis": st.none() | st.floats(0, 1),
    "vitality_resets": st.none() | st.integers(0, 5),
    "vitality_lr_scales": st.none()
    | st.dictionaries(st.sampled_from(["0", "2"]), st.floats(0.1, 1), max_size=2),
    "vitality_class_stress": st.none()
    | st.lists(st.floats(0, 1), min_size=1, max_size=3),
    "vitality_class_probs": st.none()
    | st.lists(st.floats(0, 1), min_size=1, max_size=3),
}


@settings(FAST, max_examples=40)
@given(
    rows=st.lists(
        st.fixed_dictionaries({}, optional=_DISPLAY_KEYS), min_size=1, max_size=6
    )
)
def test_display_draws_any_partial_history(rows):
    """Check that from_history draws any mix of present, missing and None
    readings (missing keys are gaps), or names the lack of any reading."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skvitalroute import VitalityDisplay

    rows = [{"epoch": i + 1, **row} for i, row in enumerate(rows)]
    try:
        display = VitalityDisplay.from_history(rows)
    except ValueError as exc:
        assert "no vitality reading" in str(exc)
        assert not _has_number([row.get(key) for row in rows for key in _DISPLAY_KEYS])
        return
    assert display.panels_  # drawn, with at least one panel
    stress = [r.get("vitality_stress") for r in rows]
    drawn = {line.get_label(): line for line in display.axes_[0].get_lines()}
    if "composite stress" in drawn:  # drawn through the epochs that have it
        expected = [
            r["epoch"] for r, v in zip(rows, stress, strict=True) if v is not None
        ]
        np.testing.assert_array_equal(drawn["composite stress"].get_xdata(), expected)
    plt.close("all")


def _has_number(values):
    """Whether a finite number is held anywhere in these (nested) values."""
    for value in values:
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            if _has_number(value):
                return True
        elif value is not None and np.isfinite(value):
            return True
    return False
