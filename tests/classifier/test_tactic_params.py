"""How settings reach the vitality callbacks: applied, refused by name or warned.

``tactic__<tactic>__<argument>`` (issue 21: one prefix for every tactic's
settings, the old names hinted for one release) and skorch's
``callbacks__<callback>__<argument>`` (issue 20: a setting is never dropped
silently) against the registry's list of settings.
"""

import inspect
import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.utils import estimator_checks as checks

from skvitalroute import VitalRouteClassifier
from skvitalroute._classifier._tactic_params import RENAMED
from skvitalroute.callbacks._registry import TACTICS, plan_builders
from skvitalroute.nn import MLPModule

# max_epochs=0 builds and installs the callbacks without training
BUILD = dict(hidden_units=(4,), max_epochs=0, probe_size=32, random_state=0)
FAST = dict(BUILD, max_epochs=2)
# a value other than the default for each kind of setting
_OTHER = {
    "strength": 0.25,
    "beta": 1.5,
    "alpha": 2.5,
    "refresh_every": 3,
    "reset_threshold": 0.5,
    "max_stasis": 0.5,
    "scratch": False,
    "scratch_draws": 2,
    "min_gain": 0.05,
}
SETTINGS = [(t.name, arg) for t in TACTICS.values() for arg in t.settings]
_IDS = [f"{name}__{arg}" for name, arg in SETTINGS]


def _needs(name):
    """The other parameters a fit forcing tactic ``name`` needs."""
    if name == "transfer":  # a parent shaped like BUILD's net on 5 features
        return {"parent_pool": [("parent", MLPModule(5, 2, (4,)))]}
    return {"loss": "logit_adjusted"} if name == "tilt" else {}


def _net(name, **params):
    return VitalRouteClassifier(tactics=(name,), **_needs(name), **params)


def _callback(net, name):
    return dict(net.callbacks_)[f"vitality_{name}"]


@pytest.fixture(scope="module")
def data(imbalanced):
    return imbalanced


# -- issue 21: the constructor --------------------------------------------------
def test_constructor_has_at_most_33_parameters():
    """Check the constructor's named parameters (skorch's included): at most
    33, none of them a per-tactic setting."""
    params = inspect.signature(VitalRouteClassifier).parameters
    named = [n for n, p in params.items() if p.kind != p.VAR_KEYWORD]
    assert len(named) <= 33, named
    assert not set(named) & set(RENAMED)
    assert not [n for n in named if n.startswith("tactic__")]


def test_registry_lists_every_setting_once():
    """Check that get_params(deep=True) lists each registry setting with its
    callback's default, and deep=False only the ones the user set."""
    net = VitalRouteClassifier(tactic__hard__beta=1.0)
    deep = net.get_params(deep=True)
    for name, arg in SETTINGS:
        key = f"tactic__{name}__{arg}"
        expected = 1.0 if key == "tactic__hard__beta" else TACTICS[name].settings[arg]
        assert deep[key] == expected
    shallow = net.get_params(deep=False)
    assert [k for k in shallow if k.startswith("tactic__")] == ["tactic__hard__beta"]
    assert "tactic__hard__beta=1.0" in repr(net)


@pytest.mark.parametrize("name, arg", SETTINGS, ids=_IDS)
def test_each_setting_reaches_its_callback(name, arg, data):
    """Check that tactic__<tactic>__<argument> reaches the fitted callback."""
    X, y = data
    value = _OTHER[arg]
    net = _net(name, **{f"tactic__{name}__{arg}": value}, **BUILD).fit(X, y)
    assert getattr(_callback(net, name), arg) == value


@pytest.mark.parametrize("old, new", RENAMED.items())
def test_old_names_still_work_with_a_future_warning(old, new):
    """Check that each old name, in the constructor and in set_params, is
    taken as its new spelling with a FutureWarning naming it."""
    arg = new.split("__")[-1]
    value = _OTHER.get(arg, 3.0)  # focal_gamma -> criterion__gamma
    with pytest.warns(FutureWarning, match=rf"{old} was renamed {new}.*{new}="):
        net = VitalRouteClassifier(**{old: value})
    assert net.get_params()[new] == value and old not in net.get_params()
    assert clone(net).get_params()[new] == value
    with pytest.warns(FutureWarning, match=rf"{old} was renamed {new}"):
        other = VitalRouteClassifier().set_params(**{old: value})
    assert getattr(other, new) == value
    with pytest.raises(TypeError, match=f"got both {old} and {new}"):
        VitalRouteClassifier(**{old: value, new: value})


def test_old_name_reaches_the_callback_and_tunes_in_a_grid(data):
    """Check that an old name passed to the constructor or a grid still sets
    its tactic (one release of grace)."""
    X, y = data
    with pytest.warns(FutureWarning):
        net = VitalRouteClassifier(tactics=("class",), sampler_beta=0.0, **BUILD)
    assert _callback(net.fit(X, y), "class").beta == 0.0
    base = VitalRouteClassifier(tactics=("class",), **BUILD)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        grid = GridSearchCV(base, {"sampler_beta": [0.0, 2.0]}, cv=2).fit(X, y)
    assert _callback(grid.best_estimator_, "class").beta in (0.0, 2.0)


def test_clone_and_pickle_keep_the_settings(data):
    """Check that clone and pickle round trips keep tactic__ values, before
    and after fit, and that the refit uses them."""
    X, y = data
    net = VitalRouteClassifier(tactics=("hard",), tactic__hard__beta=0.5, **BUILD)
    assert clone(net).tactic__hard__beta == 0.5
    fitted = net.fit(X, y)
    for copy in (clone(fitted), pickle.loads(pickle.dumps(fitted))):
        assert copy.get_params()["tactic__hard__beta"] == 0.5
        assert _callback(copy.fit(X, y), "hard").beta == 0.5


def test_grid_search_over_a_tactic_setting(data):
    """Check that GridSearchCV tunes tactic__hard__beta and refits with it."""
    X, y = data
    base = VitalRouteClassifier(tactics=("hard",), **FAST)
    grid = GridSearchCV(base, {"tactic__hard__beta": [0.0, 2.0]}, cv=2).fit(X, y)
    assert len(grid.cv_results_["params"]) == 2
    best = grid.best_params_["tactic__hard__beta"]
    assert _callback(grid.best_estimator_, "hard").beta == best


# Not check_no_attributes_set_in_init: it compares the attributes with the
# signature, and skorch keeps every prefixed argument (module__*, tactic__*,
# ...) as an attribute of that name; tests/test_common.py runs it on the
# default net.
_PARAM_CHECKS = [
    checks.check_estimator_cloneable,
    checks.check_estimator_repr,
    checks.check_get_params_invariance,
    checks.check_set_params,
    checks.check_dont_overwrite_parameters,
    checks.check_estimators_overwrite_params,
    checks.check_estimators_pickle,
    checks.check_fit_idempotent,
]


@pytest.mark.parametrize("check", _PARAM_CHECKS, ids=lambda c: c.__name__)
def test_sklearn_parameter_checks_pass_with_tactic_settings(check):
    """Check scikit-learn's parameter-handling checks on a net holding both
    spellings of tactic settings (tests/test_common.py runs every check on
    the default net)."""
    net = VitalRouteClassifier(
        tactics=("class",),
        tactic__class__beta=0.0,
        callbacks__vitality_class__strength=0.5,
        hidden_units=(8,),
        max_epochs=2,
        probe_size=64,
        random_state=0,
    )
    check(type(net).__name__, net)


# -- issue 20 item 2: a setting is applied, refused by name or warned about -----
@pytest.mark.parametrize("name, arg", SETTINGS, ids=_IDS)
@pytest.mark.parametrize("spelling", ["tactic", "callbacks"])
def test_set_params_on_a_fitted_net_survives_the_refit(name, arg, spelling, data):
    """Check that a setting set on a fitted net, in either spelling, is what
    the next fit's rebuilt callback holds (skorch's spelling used to be
    dropped), and that a continuing partial_fit uses it too."""
    X, y = data
    net = _net(name, **BUILD).fit(X, y)
    key = {"tactic": f"tactic__{name}__{arg}", "callbacks": None}[spelling]
    key = key or f"callbacks__vitality_{name}__{arg}"
    net.set_params(**{key: _OTHER[arg]})
    assert getattr(_callback(net, name), arg) == _OTHER[arg]  # the live one
    net.partial_fit(X, y)
    assert getattr(_callback(net, name), arg) == _OTHER[arg]
    assert getattr(_callback(net.fit(X, y), name), arg) == _OTHER[arg]


@pytest.mark.parametrize(
    "key, value, callback",
    [
        ("callbacks__vitality_monitor__refresh_every", 3, "vitality_monitor"),
        ("callbacks__divergence_guard__probe_size", 8, "divergence_guard"),
        ("callbacks__vitality_class__random_state", 7, "vitality_class"),
        ("monitor_refresh", 3, "vitality_monitor"),
        ("probe_size", 8, "divergence_guard"),
    ],
)
def test_callback_arguments_outside_the_settings_are_applied(
    key, value, callback, data
):
    """Check that skorch's callbacks__<name>__<argument> for a vitality
    callback, and the shared parameters, reach it: in the constructor, on a
    fitted net for the next fit and on the installed callback at once."""
    X, y = data
    arg = key.rsplit("__", 1)[-1].replace("monitor_refresh", "refresh_every")
    params = {**BUILD, key: value}
    net = VitalRouteClassifier(tactics=("class",), **params).fit(X, y)
    assert getattr(dict(net.callbacks_)[callback], arg) == value
    net = VitalRouteClassifier(tactics=("class",), **BUILD).fit(X, y)
    net.set_params(**{key: value})
    assert getattr(dict(net.callbacks_)[callback], arg) == value
    assert getattr(dict(net.fit(X, y).callbacks_)[callback], arg) == value


def test_unfitted_set_params_of_a_tactic_not_installed(data):
    """Check that callbacks__vitality_class__beta can be set before fit
    (skorch refused it: the callback did not exist yet) and is used."""
    X, y = data
    net = VitalRouteClassifier(tactics=("class",), **BUILD)
    net.set_params(callbacks__vitality_class__beta=7.0)
    assert _callback(net.fit(X, y), "class").beta == 7.0


def test_bad_value_set_on_a_fitted_net_is_refused_by_name(data):
    """Check that an invalid value set on a fitted net is refused by its
    parameter name at the next fit, and by the callback in a partial_fit."""
    X, y = data
    net = VitalRouteClassifier(tactics=("class",), **BUILD).fit(X, y)
    net.set_params(callbacks__vitality_monitor__refresh_every=0)
    with pytest.raises(ValueError, match="'refresh_every' parameter of VitalityM"):
        net.partial_fit(X, y)
    with pytest.raises(
        ValueError, match="'callbacks__vitality_monitor__refresh_every' parameter"
    ):
        net.fit(X, y)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(tactic__hrad__beta=1.0), "'hrad' is not a tactic"),
        (dict(tactic__hard__bta=1.0), "'bta' is not a setting of the 'hard'"),
        (dict(callbacks__vitality_hard__bta=1.0), "has no argument 'bta'"),
        (dict(callbacks__divergence_guard=None), "cannot be replaced or removed"),
    ],
)
def test_set_params_refuses_names_that_reach_nothing(params, match, data):
    """Check that set_params refuses a vitality name that names nothing at
    once, fitted or not (values wait for fit)."""
    X, y = data
    for net in (VitalRouteClassifier(), VitalRouteClassifier(**BUILD).fit(X, y)):
        with pytest.raises(ValueError, match=match):
            net.set_params(**params)


def test_deep_get_params_round_trip_on_a_fitted_net(data):
    """Check that set_params(**get_params(deep=True)) on a fitted net changes
    nothing, and that a later setting still wins at the next fit."""
    X, y = data
    net = VitalRouteClassifier(tactics=("class",), **BUILD).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net.set_params(**net.get_params(deep=True)).fit(X, y)
    net.set_params(tactic__class__beta=0.5)
    assert _callback(net.fit(X, y), "class").beta == 0.5


@pytest.mark.parametrize("tactics", [(t,) for t in TACTICS if t != "transfer"])
def test_callbacks_disable_keeps_the_route_and_the_guard(tactics, data):
    """Check that callbacks="disable" turns off skorch's callbacks only: the
    guard, the routed tactics and the monitor (or reset) still run."""
    X, y = data
    net = _net(tactics[0], callbacks="disable", **FAST).fit(X, y)
    installed = [name for name, _ in net.callbacks_]
    assert installed == [b.callback_name for b in plan_builders(net.route_.tactics)]
    assert "print_log" not in installed and "vitality_mean_stasis" in net.history[-1]
    net.set_params(callbacks="disable")  # re-initialises the callbacks
    assert [name for name, _ in net.callbacks_] == installed


def test_callbacks_disable_still_stops_a_diverging_fit(data):
    """Check that the divergence guard runs under callbacks="disable"."""
    X, y = data
    # plain SGD at lr=10 on inputs of scale ~100 overflows (tests/test_faults.py)
    diverge = dict(optimizer=torch.optim.SGD, lr=10.0, max_epochs=20)
    net = VitalRouteClassifier(callbacks="disable", **{**FAST, **diverge})
    with pytest.raises(ValueError, match="Training diverged"):
        net.fit(X * 100, y)
    assert np.isfinite(net.predict_proba(X * 100)).all()


def _unused_cases():
    """A setting of each tactic, forced off by another explicit tactics."""
    for name, arg in SETTINGS:
        other = "lr_scale" if name != "lr_scale" else "hard"
        yield pytest.param(
            {f"tactic__{name}__{arg}": _OTHER[arg]}, (other,), id=f"{name}__{arg}"
        )
        yield pytest.param(
            {f"callbacks__vitality_{name}__{arg}": _OTHER[arg]},
            "none",
            id=f"callbacks__vitality_{name}__{arg}",
        )
    yield pytest.param({"parent_pool": "<pool>"}, "none", id="parent_pool")
    yield pytest.param({"parent_pool": "<pool>"}, ("class",), id="parent_pool-class")
    yield pytest.param({"freeze_transfer": True}, ("hard",), id="freeze_transfer")
    yield pytest.param(
        {"callbacks__vitality_monitor__refresh_every": 2},
        ("reset",),
        id="monitor-replaced-by-reset",
    )


@pytest.mark.parametrize("params, tactics", list(_unused_cases()))
def test_setting_of_a_tactic_that_does_not_run_warns(params, tactics, data):
    """Check that a setting an explicit tactics leaves unread warns by name,
    and that the same setting under tactics="auto" does not."""
    X, y = data
    if params.get("parent_pool") == "<pool>":
        parent = VitalRouteClassifier(**BUILD).fit(X, y)
        params = {"parent_pool": [("parent", parent)]}
    shown = next(iter(params)).split("=")[0]
    with pytest.warns(UserWarning, match=rf"ignores .*{shown}.* in this fit"):
        VitalRouteClassifier(tactics=tactics, **params, **BUILD).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        VitalRouteClassifier(**params, **BUILD).fit(X, y)


@pytest.mark.parametrize("name, arg", SETTINGS, ids=_IDS)
def test_setting_at_its_default_or_of_a_running_tactic_does_not_warn(name, arg, data):
    """Check that no warning comes from a setting its tactic reads, nor from
    one left at its default (get_params(deep=True) lists every setting)."""
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _net(name, **{f"tactic__{name}__{arg}": _OTHER[arg]}, **BUILD).fit(X, y)
        default = TACTICS[name].settings[arg]
        VitalRouteClassifier(
            tactics="none", **{f"tactic__{name}__{arg}": default}, **BUILD
        ).fit(X, y)


def test_two_spellings_of_one_setting_must_agree(data):
    """Check that tactic__class__beta and callbacks__vitality_class__beta
    with different values are refused, and with the same value accepted."""
    X, y = data
    both = dict(tactic__class__beta=1.0, callbacks__vitality_class__beta=1.0)
    net = VitalRouteClassifier(tactics=("class",), **both, **BUILD).fit(X, y)
    assert _callback(net, "class").beta == 1.0
    net.set_params(tactic__class__beta=2.0)
    with pytest.raises(ValueError, match="both set the beta of the 'class' tactic"):
        net.fit(X, y)
    assert np.isfinite(net.predict_proba(X)).all()  # the refused fit trained nothing
