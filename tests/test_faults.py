"""Faults: divergence, parents from files, interrupts, save and load, set_params."""

import copy
import os
import pickle
import re
import signal
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import GridSearchCV
from skorch import NeuralNetClassifier
from skorch.callbacks import Callback, EarlyStopping

from skvitalroute import VitalitySampler, VitalRouteClassifier
from skvitalroute.callbacks import DivergenceGuard

FAST = dict(hidden_units=(8,), batch_size=32, probe_size=64)
# Plain SGD at lr=10 on inputs of scale ~100 overflows float32 within a few
# epochs (Adam would not: its steps are bounded by lr).
DIVERGE = dict(optimizer=torch.optim.SGD, lr=10.0, max_epochs=20, random_state=0)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=120, n_features=6, n_informative=4, random_state=0
    )
    return X, y


def _state(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _same_state(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _diverged_epoch(exc_info):
    found = re.search(r"diverged in epoch (\d+)", str(exc_info.value))
    assert found, str(exc_info.value)
    return int(found.group(1))


def _assert_probabilities(proba):
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)


class RecordEpochStarts(Callback):
    """Keep the module's state at the start of every epoch (1-based)."""

    def on_train_begin(self, net, **kwargs):
        self.states_ = {}

    def on_epoch_begin(self, net, **kwargs):
        self.states_[len(net.history)] = _state(net.module_)


class Corrupt(Callback):
    """Fill an output-layer parameter with ``value`` after epoch ``epoch``.

    User callbacks run before the guard, so this happens after the epoch's
    last step and before the guard's end-of-epoch check.
    """

    def __init__(self, epoch=2, name="bias", value=float("inf")):
        self.epoch = epoch
        self.name = name
        self.value = value

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            with torch.no_grad():
                getattr(net.module_[-1], self.name).fill_(self.value)


class Interrupt(Callback):
    """Raise KeyboardInterrupt before batch ``batch`` of epoch ``epoch``."""

    def __init__(self, epoch=2, batch=2):
        self.epoch = epoch
        self.batch = batch

    def on_batch_begin(self, net, training=False, **kwargs):
        here = (len(net.history), len(net.history[-1]["batches"]))
        if training and here == (self.epoch, self.batch):
            self.state_ = _state(net.module_)  # after the last completed step
            raise KeyboardInterrupt


# -- divergence -----------------------------------------------------------------
def test_divergence_names_the_epoch_and_restores_its_starting_state(data):
    """Check the error names the epoch and the net keeps that epoch's start state."""
    X, y = data
    recorder = RecordEpochStarts()
    clf = VitalRouteClassifier(tactics="none", callbacks=[recorder], **FAST, **DIVERGE)
    with pytest.raises(ValueError, match="Lower the learning rate") as exc_info:
        clf.fit(X * 100, y)
    epoch = _diverged_epoch(exc_info)
    assert epoch == len(clf.history) > 1
    assert f"end of epoch {epoch - 1} were restored" in str(exc_info.value)
    assert _same_state(_state(clf.module_), recorder.states_[epoch])
    _assert_probabilities(clf.predict_proba(X * 100))
    # still usable: continue at a sane learning rate
    clf.set_params(lr=1e-3).partial_fit(X * 100, y)
    assert np.isfinite(clf.history[-1, "train_loss"])
    _assert_probabilities(clf.predict_proba(X * 100))


@pytest.mark.parametrize(
    "tactics, lr, scale",
    [
        ("none", 10.0, 100.0),
        ("auto", 10.0, 100.0),
        ("none", 1e3, 1.0),
        ("auto", 1e3, 1.0),
        (("class", "lr_scale"), 10.0, 100.0),
    ],
)
def test_diverging_runs_never_leave_nan_probabilities(data, tactics, lr, scale):
    """Check that diverging runs stop with the error and predict finite proba."""
    X, y = data
    clf = VitalRouteClassifier(tactics=tactics, **FAST, **{**DIVERGE, "lr": lr})
    with pytest.raises(ValueError, match="Training diverged") as exc_info:
        clf.fit(X * scale, y)
    assert _diverged_epoch(exc_info) == len(clf.history)
    _assert_probabilities(clf.predict_proba(X * scale))
    guard = dict(clf.callbacks_)["divergence_guard"]
    assert guard.good_ is None and guard.rows_ is None  # nothing kept for pickle


def test_large_but_finite_run_is_not_stopped(data):
    """Check that Adam at lr=10 (large, finite losses) trains to the end."""
    X, y = data
    clf = VitalRouteClassifier(**FAST, **{**DIVERGE, "optimizer": torch.optim.Adam})
    clf.fit(X, y)
    assert len(clf.history) == DIVERGE["max_epochs"]
    _assert_probabilities(clf.predict_proba(X))


# A finite weight so large that the logits overflow to inf (float32 max ~3.4e38).
HUGE = 3e38


@pytest.mark.parametrize(
    "corrupt, match, restored_epoch",
    [
        # caught at the end of the epoch, before the monitor reads the net
        (Corrupt(epoch=2), "epoch 2: a parameter is not finite at its end", 2),
        # caught when epoch 3 starts
        (
            Corrupt(epoch=2, name="weight", value=HUGE),
            "epoch 2: the output on the training rows is not finite at its end",
            2,
        ),
        # caught when training ends
        (
            Corrupt(epoch=4, name="weight", value=HUGE),
            "epoch 4: the output on the training rows is not finite at its end",
            4,
        ),
    ],
    ids=["inf-parameter", "overflowing-output", "overflow-in-last-epoch"],
)
def test_guard_restores_the_latest_state_with_finite_output(
    data, corrupt, match, restored_epoch
):
    """Check each check of the guard and which state it restores."""
    X, y = data
    recorder = RecordEpochStarts()
    clf = VitalRouteClassifier(
        callbacks=[recorder, corrupt], random_state=0, max_epochs=4, **FAST
    )
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y)
    assert _same_state(_state(clf.module_), recorder.states_[restored_epoch])
    _assert_probabilities(clf.predict_proba(X))


def test_guard_leaves_a_healthy_fit_unchanged(data):
    """Check that a plain skorch net trains identically with and without the guard."""
    X, y = data
    X = X.astype(np.float32)

    def fit(callbacks):
        torch.manual_seed(0)
        module = torch.nn.Sequential(
            torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)
        )
        net = NeuralNetClassifier(
            module,
            criterion=torch.nn.CrossEntropyLoss,
            max_epochs=3,
            lr=0.05,
            batch_size=16,
            train_split=None,
            verbose=0,
            callbacks=callbacks,
        )
        return net.fit(X, y)

    guard = DivergenceGuard(probe_size=32)
    guarded, plain = fit([guard]), fit([])
    np.testing.assert_array_equal(guarded.predict_proba(X), plain.predict_proba(X))
    assert guard.good_ is None and guard.rows_ is None


def test_continuing_from_a_non_finite_net_raises(data):
    """Check that partial_fit on a net with a NaN parameter refuses to train."""
    X, y = data
    clf = VitalRouteClassifier(max_epochs=1, random_state=0, **FAST).fit(X, y)
    with torch.no_grad():
        clf.module_[0].weight[0, 0] = float("nan")
    match = "parameters are not finite before training epoch 2"
    with pytest.raises(ValueError, match=match):
        clf.partial_fit(X, y)


@pytest.mark.filterwarnings("ignore:One or more of the test scores are non-finite")
def test_grid_search_scores_a_diverging_candidate_as_failed(data):
    """Check that GridSearchCV marks the diverging lr as failed and picks the other."""
    X, y = data
    grid = GridSearchCV(
        VitalRouteClassifier(tactics="none", **FAST, **DIVERGE),
        {"lr": [10.0, 1e-2]},
        cv=2,
    )
    with pytest.warns(FitFailedWarning, match="Training diverged"):
        grid.fit(X * 100, y)
    assert np.isnan(grid.cv_results_["mean_test_score"][0])
    assert grid.best_params_ == {"lr": 1e-2}


def test_predict_proba_refuses_non_finite_output(data):
    """Check that NaN parameters make predict* raise instead of returning NaN."""
    X, y = data
    clf = VitalRouteClassifier(max_epochs=1, random_state=0, **FAST).fit(X, y)
    with torch.no_grad():
        clf.module_[0].weight[0, 0] = float("nan")
    for method in (clf.predict_proba, clf.predict, clf.predict_log_proba):
        with pytest.raises(ValueError, match="output is not finite for"):
            method(X)
    with pytest.raises(ValueError, match="output is not finite"):
        clf.score(X, y)


# -- parents from files -----------------------------------------------------------
@pytest.fixture(scope="module")
def source(data):
    """A 3-class net with the same trunk as the 2-class nets below, trained
    on labels that refine ``y`` (so its features beat a fresh start's)."""
    X, y = data
    y3 = np.where(np.arange(len(X)) % 4 == 0, 2, y)
    # a parent is a network: no forest blend to leave behind when saving it
    params = {**FAST, "lr": 0.01, "router__forest_weight": 0.0}
    return VitalRouteClassifier(max_epochs=60, random_state=1, **params).fit(X, y3)


def _transfer_fit(X, y, pool, **params):
    """Transfer only (no epochs), so the module holds exactly what was copied."""
    clf = VitalRouteClassifier(
        tactics=("transfer",),
        parent_pool=pool,
        random_state=0,
        **{"max_epochs": 0, **FAST, **params},
    )
    return clf.fit(X, y), dict(clf.callbacks_)["vitality_transfer"]


@pytest.mark.parametrize("kind", ["str", "path", "state_dict"])
def test_state_dict_parent_copies_the_trunk(data, source, tmp_path, kind):
    """Check a state-dict file (str, Path) or dict parent: trunk copied, fresh head."""
    X, y = data
    path = tmp_path / "source.pt"
    source.save_params(f_params=path)
    parent = {"str": str(path), "path": path, "state_dict": _state(source.module_)}
    clf, transfer = _transfer_fit(X, y, [("source", parent[kind])])
    fresh = _transfer_fit(X, y, [("x", torch.nn.Linear(6, 8))])[0].module_
    assert transfer.parent_ == "source"
    assert transfer.copied_ == ["0.weight", "0.bias"]
    assert torch.equal(clf.module_[0].weight, source.module_[0].weight)
    assert torch.equal(clf.module_[0].bias, source.module_[0].bias)
    assert clf.module_[-1].out_features == 2
    assert torch.equal(clf.module_[-1].weight, fresh[-1].weight)


def test_pickled_object_in_parent_file_is_refused_unexecuted(data, source, tmp_path):
    """Check that a pickled object is never unpickled: warned, skipped, code not run."""
    X, y = data
    marker = tmp_path / "executed"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    torch.save(Payload(), tmp_path / "payload.pt")
    torch.save(torch.nn.Linear(6, 8), tmp_path / "module.pt")  # a whole module
    source.save_params(f_params=tmp_path / "good.pt")
    pool = [(name, tmp_path / f"{name}.pt") for name in ("payload", "module", "good")]
    with pytest.warns(UserWarning, match="weights_only=True") as record:
        clf, transfer = _transfer_fit(X, y, pool)
    refused = [str(w.message) for w in record if "weights_only" in str(w.message)]
    assert len(refused) == 2 and "'payload'" in refused[0] and "'module'" in refused[1]
    assert not marker.exists()
    assert transfer.parent_ == "good"
    assert set(transfer.parent_scores_) == {"good", "scratch"}


def test_unfit_parent_entries_are_skipped_with_a_warning(data, source, tmp_path):
    """Check that misfit state dicts, unreadable files and shape misfits are skipped."""
    X, y = data
    (tmp_path / "junk.pt").write_text("not a checkpoint")
    torch.save(torch.zeros(3), tmp_path / "tensor.pt")
    wide = VitalRouteClassifier(max_epochs=0, **{**FAST, "hidden_units": (5,)})
    pool = [
        ("wide", _state(wide.fit(X, y).module_)),
        ("junk", tmp_path / "junk.pt"),
        ("tensor", str(tmp_path / "tensor.pt")),
        ("linear", torch.nn.Linear(3, 3)),
    ]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        _, transfer = _transfer_fit(X, y, pool)
    messages = " | ".join(str(w.message) for w in record)
    assert "'wide' is a state dict that does not fit" in messages
    assert "other shape: ['0.weight', '0.bias']" in messages
    assert "'junk'" in messages and "'tensor'" in messages and "'linear'" in messages
    assert "no usable parent" in messages
    assert transfer.parent_ is None and transfer.copied_ == []


def test_missing_parent_file_raises(data, tmp_path):
    """Check that a parent path that does not exist raises FileNotFoundError."""
    X, y = data
    with pytest.raises(FileNotFoundError, match="'gone'"):
        _transfer_fit(X, y, [("gone", tmp_path / "gone.pt")])


@pytest.mark.parametrize("kind", ["module", "state_dict", "file"])
@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_parent_is_skipped_with_a_warning(
    data, source, tmp_path, kind, value
):
    """Check that a parent holding NaN or inf is skipped, never copied, and
    that training then starts from the fresh initialisation."""
    X, y = data
    module = copy.deepcopy(source.module_)
    with torch.no_grad():
        module[0].weight[0, 0] = value
    torch.save(module.state_dict(), tmp_path / "bad.pt")
    bad = {"module": module, "state_dict": _state(module), "file": tmp_path / "bad.pt"}
    pool = [("bad", bad[kind]), ("good", source.module_)]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        _, transfer = _transfer_fit(X, y, pool)
        picked = transfer.parent_, set(transfer.parent_scores_)
        clf, transfer = _transfer_fit(X, y, pool[:1], max_epochs=2)
    messages = [str(w.message) for w in record]
    skipped = "TransferWarmStart: parent 'bad' holds NaN or infinite values in ["
    assert sum(m.startswith(skipped) for m in messages) == 2
    assert picked == ("good", {"good", "scratch"})
    assert "TransferWarmStart: no usable parent." in messages
    assert transfer.parent_ is None  # trained from the fresh initialisation
    assert all(torch.isfinite(p).all() for p in clf.module_.parameters())
    _assert_probabilities(clf.predict_proba(X))


# -- interrupts -------------------------------------------------------------------
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_keyboard_interrupt_keeps_the_last_completed_step(data, method):
    """Check that an interrupt stops training quietly, keeping the last step."""
    X, y = data
    stop = Interrupt(epoch=2, batch=3)
    clf = VitalRouteClassifier(
        callbacks=[stop],
        random_state=0,
        max_epochs=5,
        tactics=("hard", "lr_scale"),
        **FAST,
    )
    rng_before = torch.get_rng_state()
    getattr(clf, method)(X, y)  # skorch catches KeyboardInterrupt
    assert torch.equal(torch.get_rng_state(), rng_before)
    assert clf.route_.label == "hard+lr_scale"  # the tactics were running
    assert len(clf.history) == 2 and len(clf.history[-1]["batches"]) == 3
    assert _same_state(_state(clf.module_), stop.state_)
    _assert_probabilities(clf.predict_proba(X))
    guard = dict(clf.callbacks_)["divergence_guard"]
    assert guard.good_ is None  # on_train_end ran
    stop.epoch = -1  # continue training without interruption
    clf.partial_fit(X, y)
    assert len(clf.history) == 2 + 5


class SendSigint(Callback):
    """Send this process a real SIGINT (a Ctrl-C) at the end of epoch ``epoch``."""

    def __init__(self, epoch=2):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            os.kill(os.getpid(), signal.SIGINT)


def _probe_net(callbacks, max_epochs=50):
    return NeuralNetClassifier(
        torch.nn.Sequential(
            torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)
        ),
        criterion=torch.nn.CrossEntropyLoss,
        max_epochs=max_epochs,
        train_split=None,
        verbose=0,
        callbacks=callbacks,
    )


def test_sampler_propagates_ctrl_c_from_probe_training(data):
    """Check that a Ctrl-C while the probe trains stops fit_resample: skorch
    ends training quietly, the sampler re-raises and returns no rows."""
    X, y = data
    handler = signal.getsignal(signal.SIGINT)
    sampler = VitalitySampler(estimator=_probe_net([SendSigint(epoch=2)]))
    with pytest.raises(KeyboardInterrupt):
        sampler.fit_resample(X, y)
    assert not hasattr(sampler, "sample_indices_")
    assert signal.getsignal(signal.SIGINT) is handler


def test_sampler_keeps_skorch_early_stopping(data):
    """Check that skorch's EarlyStopping, which stops training by raising
    KeyboardInterrupt itself, is not taken for a Ctrl-C by the sampler."""
    X, y = data
    stop = EarlyStopping(monitor="train_loss", patience=1, threshold=1.0)
    sampler = VitalitySampler(estimator=_probe_net([stop]), random_state=0)
    X_res, _ = sampler.fit_resample(X, y)
    assert len(sampler.estimator_.history) == 2  # stopped early, not interrupted
    np.testing.assert_array_equal(X_res[: len(X)], X)


SIGINT_SCRIPT = """
import sys, numpy as np, torch
from skorch import NeuralNetClassifier
from skorch.callbacks import Callback
from skvitalroute import VitalitySampler

class Ready(Callback):
    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) == 1:
            print("training", flush=True)

rng = np.random.default_rng(0)
X, y = rng.normal(size=(200, 6)), np.repeat([0, 1], [150, 50])
net = NeuralNetClassifier(
    torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)),
    criterion=torch.nn.CrossEntropyLoss, max_epochs=10**6, train_split=None,
    verbose=0, callbacks=[Ready()],
)
X_res, y_res = VitalitySampler(estimator=net, random_state=0).fit_resample(X, y)
np.save(sys.argv[1], X_res)
"""


def test_sampler_stops_on_a_real_sigint(tmp_path):
    """Check that SIGINT sent to a process in fit_resample ends it with
    KeyboardInterrupt (exit by SIGINT) and writes nothing.

    The child gets Python's SIGINT handler even when pytest runs with
    SIGINT ignored (conftest's ``_sigint_delivered``); it would otherwise
    inherit the ignored signal and train its 10**6 epochs until the timeout.
    """
    script = tmp_path / "resample.py"
    script.write_text(SIGINT_SCRIPT)
    out = tmp_path / "resampled.npy"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    child = subprocess.Popen(
        [sys.executable, str(script), str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout.readline().strip() == "training"  # the probe trains
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=120)
    finally:
        child.kill()
    assert child.returncode == -signal.SIGINT, stderr
    assert "KeyboardInterrupt" in stderr
    assert not out.exists()


# -- save and load ----------------------------------------------------------------
def test_pickle_and_save_params_round_trips_continue_identically(data, tmp_path):
    """Check pickle and save/load_params restore predictions and further training."""
    X, y = data
    params = dict(random_state=0, max_epochs=2, tactics=("class", "lr_scale"), **FAST)
    clf = VitalRouteClassifier(**params).fit(X, y)
    unpickled = pickle.loads(pickle.dumps(clf))
    files = {k: tmp_path / f"{k}.pt" for k in ("f_params", "f_optimizer")}
    files["f_history"] = tmp_path / "history.json"
    clf.save_params(**files)
    loaded = VitalRouteClassifier(**{**params, "max_epochs": 0}).fit(X, y)
    loaded.load_params(**files)
    loaded.max_epochs = params["max_epochs"]
    for other in (unpickled, loaded):
        np.testing.assert_array_equal(other.predict_proba(X), clf.predict_proba(X))
    clf.partial_fit(X, y)
    for other in (unpickled, loaded):
        other.partial_fit(X, y)
        np.testing.assert_array_equal(other.predict_proba(X), clf.predict_proba(X))


# -- set_params on a fitted net -------------------------------------------------------
def test_set_params_optimizer_on_a_fitted_net_reinitialises_it(data):
    """Check that a new optimizer class on a fitted net is used from then on
    (skorch 1.4 stops with "Something went wrong" there), as a new criterion is."""
    X, y = data
    clf = VitalRouteClassifier(max_epochs=1, random_state=0, **FAST).fit(X, y)
    clf.set_params(optimizer=torch.optim.SGD, optimizer__momentum=0.5)
    assert type(clf.optimizer_) is torch.optim.SGD
    assert clf.optimizer_.param_groups[0]["momentum"] == 0.5
    before = _state(clf.module_)
    clf.partial_fit(X, y)
    assert not _same_state(before, _state(clf.module_))  # SGD steps were taken
    clf.fit(X, y)  # a refit builds the new optimizer too
    assert type(clf.optimizer_) is torch.optim.SGD
    _assert_probabilities(clf.predict_proba(X))
