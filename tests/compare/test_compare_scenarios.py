"""The claim-testing scenarios of ``skvitalroute compare --scenario``."""

import numpy as np
import pytest
import torch
from skorch.dataset import Dataset

from skvitalroute.compare._cli import build_parser
from skvitalroute.compare._report import render, write_outputs
from skvitalroute.compare.scenarios import (
    SCENARIOS,
    DifficultyShift,
    confusable_task,
    run_scenario,
)
from skvitalroute.compare.scenarios._common import scarce_splits

TINY = dict(epochs=2, seeds=1, folds=2, n_jobs=1, quiet=True)


class _FakeNet:
    def __init__(self):
        self.history = []


def test_difficulty_shift_swaps_the_noisy_class():
    """Check class 1 is noisy before the shift epoch, class 2 after, others never."""
    X = np.zeros((9, 3), dtype=np.float32)
    y = np.repeat([0, 1, 2], 3)
    data, net = Dataset(X, y), _FakeNet()
    cb = DifficultyShift(3, (1,), (2,), sigma=1.0, random_state=0)
    cb.on_train_begin(net)
    noisy = []
    for _ in range(4):
        net.history.append({})
        cb.on_epoch_begin(net, dataset_train=data)
        noisy.append([bool(np.any(data.X[y == c] != 0)) for c in range(3)])
    assert noisy == [[False, True, False]] * 2 + [[False, False, True]] * 2
    assert data.X is X  # changed in place, in the net's own copy


def test_confusable_task_shape():
    """Check the generated task: 6 classes, 0 and 1 close, 4 and 5 reduced."""
    task = confusable_task(n_per_class=50)
    assert task.X.shape == (300, 10) and task.minority == [4, 5]
    centres = np.array([task.X[task.y == c].mean(axis=0) for c in range(6)])
    gaps = np.linalg.norm(centres[:, None] - centres[None], axis=-1)
    assert gaps[0, 1] == gaps[np.triu_indices(6, 1)].min()


def test_scarce_splits_draw_per_class():
    """Check k training rows a class and disjoint test rows."""
    y = np.repeat(np.arange(4), 20)
    splits = scarce_splits(y, 5, repeats=2, seeds=[0, 1])
    assert len(splits) == 4
    for s in splits:
        assert np.bincount(y[s.train]).tolist() == [5] * 4
        assert len(s.test) == 60 and not set(s.train) & set(s.test)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("confusable", "vitalroute_seed drew the confusable classes"),
        ("shift", "class 3 prob before -> after"),
        ("scarce", "Seed router on the scarce labels: hard+lr_scale"),
        ("transfer", "The tactic's pick (highest LogME"),
    ],
)
def test_scenarios_run_and_report(name, expected):
    """Check every scenario runs end to end and reports its own section."""
    result = run_scenario(name, **TINY)
    text = render(result)
    assert expected in text
    assert f"--scenario {name}" in text
    assert result["records"]


@pytest.fixture(scope="module")
def transfer_run():
    """A one-epoch transfer run, and torch's global RNG state before and after."""
    torch.manual_seed(1234)
    before = torch.random.get_rng_state().clone()
    result = run_scenario("transfer", epochs=1, seeds=1, folds=1, n_jobs=1, quiet=True)
    return result, before, torch.random.get_rng_state().clone()


def test_transfer_leaves_the_global_torch_rng_alone(transfer_run):
    """Check the transfer scenario (parents, untrained parent, fits) seeds privately."""
    _, before, after = transfer_run
    assert torch.equal(before, after)


def test_transfer_records_the_pick(tmp_path, transfer_run):
    """Check the routed run records the pick, every candidate's score and stasis."""
    result, _, _ = transfer_run
    write_outputs(result, tmp_path)
    header = (tmp_path / "folds.csv").read_text().splitlines()[0]
    assert "transfer_parent" in header and "parent_scores" in header
    routed = [r for r in result["records"] if r["method"] == "routed_pool"]
    scores = routed[0]["parent_scores"]
    assert set(scores) == {
        "trained",
        "one_epoch",
        "shuffled_labels",
        "untrained",
        "damaged",
        "rescaled",
        "scratch",
    }
    stasis = routed[0]["parent_stasis"]
    assert stasis["damaged"] > 0.2 > stasis["trained"]  # 3/4 of layer 1 killed
    assert routed[0]["transfer_parent"] != "damaged"  # the veto
    forced = [r for r in result["records"] if r["method"] == "from:damaged"]
    assert forced[0]["transfer_parent"] == "damaged"  # forced: no veto


def test_registry_is_what_the_cli_offers():
    """Check every scenario of the registry is a --scenario choice, in order."""
    (sub,) = [a for a in build_parser()._actions if a.dest == "command"]
    (option,) = [a for a in sub.choices["compare"]._actions if a.dest == "scenario"]
    assert (
        tuple(option.choices)
        == tuple(SCENARIOS)
        == (
            "confusable",
            "shift",
            "scarce",
            "transfer",
        )
    )
    with pytest.raises(ValueError, match="'scarce' or 'transfer'; got 'nope'"):
        run_scenario("nope")
