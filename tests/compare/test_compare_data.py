"""Data, imbalance induction, splits and methods of ``skvitalroute compare``."""

import numpy as np
import pytest

from skvitalroute.compare._data import (
    CompareError,
    csv_task,
    digits_task,
    induce_imbalance,
    tail_fractions,
)
from skvitalroute.compare._methods import (
    METHODS,
    NetConfig,
    build_method,
    check_methods,
)
from skvitalroute.compare._run import make_splits


def test_tail_fractions_step_and_exponential():
    """Check the tail is the second half of the sorted labels."""
    fr, tail = tail_fractions(list(range(10)), 5.0)
    assert tail == [5, 6, 7, 8, 9]
    assert [fr[c] for c in range(10)] == [1.0] * 5 + [0.2] * 5
    fr, tail = tail_fractions([0, 1, 2], 9.0, tail="exponential")
    assert tail == [2]
    np.testing.assert_allclose([fr[c] for c in range(3)], [1.0, 1 / 3, 1 / 9])


@pytest.mark.parametrize("factor", [0.5, 0.0])
def test_tail_fractions_rejects_factor_below_one(factor):
    """Check a factor below 1 is refused with the option's name."""
    with pytest.raises(CompareError, match="--imbalance must be >= 1"):
        tail_fractions([0, 1], factor)


def test_induce_imbalance_counts_and_seed():
    """Check each class keeps round(n * fraction) rows, reproducibly."""
    y = np.repeat([0, 1, 2], [50, 40, 7])
    kept = induce_imbalance(y, {1: 0.2, 2: 0.2}, random_state=[3, 1])
    counts = np.bincount(y[kept])
    assert counts.tolist() == [50, 8, 1]  # 7 * 0.2 = 1.4 -> 1
    np.testing.assert_array_equal(kept, induce_imbalance(y, {1: 0.2, 2: 0.2}, [3, 1]))
    assert not np.array_equal(kept, induce_imbalance(y, {1: 0.2, 2: 0.2}, [4, 1]))
    assert np.all(np.diff(kept) > 0)


def test_splits_reduce_training_folds_only():
    """Check the tail is induced on training rows only; test folds stay whole."""
    task = digits_task()
    splits = make_splits(task, folds=3, seeds=[0, 1])
    assert len(splits) == 6
    y = task.y
    full = np.bincount(y)
    for seed in (0, 1):
        tests = np.concatenate([s.test for s in splits if s.seed == seed])
        # every row is tested exactly once per seed, whatever the tail
        np.testing.assert_array_equal(np.sort(tests), np.arange(len(y)))
    for s in splits:
        assert not set(s.train) & set(s.test)
        train_counts = np.bincount(y[s.train], minlength=10)
        test_counts = np.bincount(y[s.test], minlength=10)
        fold_counts = full - test_counts  # the training fold before reduction
        np.testing.assert_array_equal(train_counts[:5], fold_counts[:5])
        expected = np.floor(fold_counts[5:] * 0.2 + 0.5)
        np.testing.assert_array_equal(train_counts[5:], expected)


def test_holdout_splits_are_stratified():
    """Check the holdout protocol gives one stratified split per seed."""
    task = digits_task()
    splits = make_splits(task, protocol="holdout", seeds=[0, 1, 2], test_size=0.25)
    assert [s.fold for s in splits] == [0, 0, 0]
    counts = np.bincount(task.y[splits[0].test])
    assert counts.max() - counts.min() <= 3  # as balanced as digits (174-183 a class)


def _write_csv(path, n=90):
    rng = np.random.default_rng(0)
    label = np.array(["cat", "dog", "emu"])[np.arange(n) % 3]
    colour = np.array(["red", "green"])[rng.integers(0, 2, n)]
    lines = ["size,colour,weight,label"]
    for i in range(n):
        weight = "" if i == 4 else f"{rng.normal() + (i % 3):.3f}"
        lines.append(f"{rng.normal():.3f},{colour[i]},{weight},{label[i]}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_csv_task_columns_and_imbalance(tmp_path):
    """Check numeric and categorical columns are encoded, missing values imputed."""
    task = csv_task(str(_write_csv(tmp_path / "d.csv")), "label", imbalance=4.0)
    assert list(task.classes) == ["cat", "dog", "emu"]
    assert task.minority == ["emu"] and task.keep_fraction["emu"] == 0.25
    Xt = task.preprocessor.fit_transform(task.X)
    assert Xt.shape == (90, 2 + 2)  # size, weight + one-hot colour
    assert np.isfinite(Xt).all()


def test_csv_task_errors(tmp_path):
    """Check clear errors for a missing file, a wrong column, a tiny class."""
    path = _write_csv(tmp_path / "d.csv")
    with pytest.raises(CompareError, match="not found"):
        csv_task(str(tmp_path / "nope.csv"), "label")
    with pytest.raises(CompareError, match="'lable' is not a column.*label"):
        csv_task(str(path), "lable")
    with pytest.raises(CompareError, match="has 30 rows; at least 50"):
        csv_task(str(path), "label", min_rows=50)


def test_csv_task_without_imbalance_picks_small_classes(tmp_path):
    """Check minority classes default to those under half the largest."""
    path = tmp_path / "s.csv"
    rows = ["x,y"] + [f"{i},a" for i in range(20)] + [f"{i},b" for i in range(6)]
    path.write_text("\n".join(rows) + "\n")
    assert csv_task(str(path), "y").minority == ["b"]


def test_check_methods_and_build():
    """Check unknown names are refused and each method builds a pipeline."""
    with pytest.raises(CompareError, match="Did you mean 'smote'"):
        check_methods(["smoet"])
    assert check_methods(["all"]) == list(METHODS)
    from sklearn.preprocessing import StandardScaler

    for name in METHODS:
        pipe = build_method(name, StandardScaler(), NetConfig(epochs=3), random_state=1)
        assert pipe.steps[0][0] == "preprocess" and pipe.steps[-1][0] == "model"
    net = build_method(
        "vitalroute_seed_blind", StandardScaler(), NetConfig(epochs=3), random_state=1
    )[-1]
    assert net.tactic__class__beta == net.tactic__hard__beta == 0
    assert net.max_epochs == 3 and net.tactics == "auto"
    assert net.router == "vitalroute"
    auto = build_method("vitalroute", StandardScaler(), NetConfig(), random_state=1)
    assert auto[-1].max_epochs is None and auto[-1].router == "default"
    inv = build_method("inv_freq", StandardScaler(), NetConfig(), random_state=1)[-1]
    assert inv.class_weight == "balanced" and inv.tactics == "none"


def _csv(tmp_path, labels, columns="a,b"):
    rows = [f"{i},{i % 5},{label}" for i, label in enumerate(labels)]
    path = tmp_path / "d.csv"
    path.write_text(f"{columns},label\n" + "\n".join(rows) + "\n")
    return str(path)


@pytest.mark.parametrize(
    "written, classes",
    [
        (["1", "01", "2"], ["01", "1", "2"]),
        (["1", "1.0", "2"], ["1", "1.0", "2"]),
        (["True", "true", "False"], ["False", "True", "true"]),
    ],
)
def test_labels_that_read_as_the_same_number_are_kept_apart(tmp_path, written, classes):
    """Check that labels pandas would merge (1 and 01) stay distinct classes,
    read as text, and that a note says so."""
    path = _csv(tmp_path, [written[i % 3] for i in range(30)])
    task = csv_task(path, "label")
    assert task.classes.tolist() == classes
    assert np.unique(task.y, return_counts=True)[1].tolist() == [10, 10, 10]
    assert any("read as the same number" in note for note in task.notes)


def test_numeric_labels_read_as_numbers_when_nothing_merges(tmp_path):
    """Check that plain integer labels stay integers, with no note."""
    task = csv_task(_csv(tmp_path, [i % 3 for i in range(30)]), "label")
    assert task.classes.tolist() == [0, 1, 2] and task.notes == []


def test_empty_feature_columns_are_dropped_with_a_note(tmp_path):
    """Check that a feature column with no value is dropped and named."""
    path = tmp_path / "d.csv"
    path.write_text(
        "a,empty,label\n" + "\n".join(f"{i},,{'xyz'[i % 3]}" for i in range(30))
    )
    task = csv_task(str(path), "label")
    assert list(task.X.columns) == ["a"]
    assert task.notes == [
        f"Dropped 1 feature column(s) of {path} with no value in any row: 'empty'."
    ]


def test_brf_is_a_default_method():
    """Check ``brf`` is imbalanced-learn's balanced random forest, in the
    default run, with the settings of the router's benchmark."""
    from imblearn.ensemble import BalancedRandomForestClassifier
    from sklearn.preprocessing import StandardScaler

    assert "brf" in METHODS
    brf = build_method("brf", StandardScaler(), NetConfig(), random_state=7)[-1]
    assert isinstance(brf, BalancedRandomForestClassifier)
    params = brf.get_params()
    assert params["random_state"] == 7 and params["n_estimators"] == 100
    assert params["sampling_strategy"] == "all" and params["replacement"] is True
    assert params["bootstrap"] is False
