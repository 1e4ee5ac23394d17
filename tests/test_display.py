"""VitalityDisplay: panels, missing readings, axes, optional matplotlib."""

import sys

import numpy as np
import pytest
from _shared import three_classes
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skvitalroute
from skvitalroute import VitalityDisplay, VitalRouteClassifier

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")

LABELS = np.array(["ant", "bee", "cow"])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def fitted():
    """A fit with every kind of reading: class sampler, lr_scale, resets."""
    X, y = three_classes(400, n_features=10, n_informative=5, weights=[0.7, 0.2, 0.1])
    X = StandardScaler().fit_transform(X)
    clf = VitalRouteClassifier(
        hidden_units=(32, 16),
        tactics=("class", "lr_scale"),
        lr=0.03,
        max_epochs=6,
        probe_size=256,
        monitor_refresh=1,
        random_state=0,
    )
    return clf.fit(X, LABELS[y])


def _lines(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_from_estimator_draws_every_reading(fitted):
    """Check that from_estimator draws one panel per kind of reading, with one
    line per layer and per class (named by classes_), and sets figure_, ax_
    and axes_."""
    display = VitalityDisplay.from_estimator(fitted)
    assert display.panels_ == ("stasis", "lr_scales", "class_stress", "class_probs")
    assert len(display.axes_) == 4 and display.ax_ is display.axes_[0]
    assert display.figure_ is display.ax_.figure
    stasis = _lines(display.axes_[0])
    assert {"stasis, layer 0", "stasis, layer 2", "composite stress"} <= set(stasis)
    np.testing.assert_allclose(
        stasis["composite stress"].get_ydata(), fitted.history[:, "vitality_stress"]
    )
    assert set(_lines(display.axes_[1])) == {"layer 0", "layer 2"}
    assert {f"class {c}" for c in LABELS} <= set(_lines(display.axes_[3]))
    epochs = stasis["composite stress"].get_xdata()
    np.testing.assert_array_equal(epochs, np.arange(1, 7))


def test_resets_are_marked(fitted):
    """Check that each epoch with dead-unit resets gets a marker line and its
    count."""
    rows = [dict(row) for row in fitted.history]
    for row, count in zip(rows, [0, 5, 0, 0, 2, 0], strict=True):
        row["vitality_resets"] = count
    display = VitalityDisplay.from_history(rows)
    marked = [
        line.get_xdata()[0]
        for line in display.ax_.get_lines()
        if line.get_color() == "tab:red"
    ]
    assert marked == [2, 5]
    assert [t.get_text() for t in display.ax_.texts] == ["5", "2"]


def test_from_history_draws_epochs_with_readings_only(fitted):
    """Check that epochs without a reading (a monitor on a schedule) are gaps:
    each series is drawn through the epochs that have it."""
    rows = [dict(row) for row in fitted.history]
    for row in rows[1::2]:  # every other epoch has no monitor reading
        for key in (
            "vitality_stress",
            "vitality_layer_stasis",
            "vitality_mean_stasis",
            "vitality_class_stress",
        ):
            row.pop(key, None)
    display = VitalityDisplay.from_history(rows)
    stress = _lines(display.ax_)["composite stress"]
    np.testing.assert_array_equal(stress.get_xdata(), [1, 3, 5])
    assert len(_lines(display.axes_[1])["layer 0"].get_xdata()) == 6  # LR: all


def test_plot_on_given_axes_and_panel_choice(fitted):
    """Check plot(ax=...) with the user's Axes, a panel subset, and the error
    for a wrong number of Axes."""
    display = VitalityDisplay.from_estimator(fitted, plot=False)
    fig, axes = plt.subplots(1, 2)
    display.plot(ax=axes, panels=("stasis", "class_probs"))
    assert display.figure_ is fig and list(display.axes_) == list(axes)
    _, single = plt.subplots()
    display.plot(ax=single, panels=("lr_scales",))
    assert display.ax_ is single
    with pytest.raises(ValueError, match="one Axes per panel"):
        display.plot(ax=single)
    with pytest.raises(ValueError, match="panels must be"):
        display.plot(panels=("loss",))


def test_from_estimator_takes_a_pipeline(fitted):
    """Check that a pipeline's last step is read."""
    pipe = make_pipeline(StandardScaler(), fitted)
    assert VitalityDisplay.from_estimator(pipe, plot=False).display_labels is not None


def test_bad_inputs_raise():
    """Check the errors for a history without readings and a non-net."""
    with pytest.raises(ValueError, match="no vitality reading"):
        VitalityDisplay.from_history([{"epoch": 1, "train_loss": 0.5}])
    with pytest.raises(TypeError, match="training history"):
        VitalityDisplay.from_estimator(StandardScaler())


def test_matplotlib_is_optional(fitted, monkeypatch):
    """Check that without matplotlib plotting raises an ImportError naming it,
    while building the display without plotting works."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    display = VitalityDisplay.from_estimator(fitted, plot=False)
    with pytest.raises(ImportError, match="matplotlib"):
        display.plot()
    with pytest.raises(ImportError, match="VitalityDisplay.from_estimator"):
        VitalityDisplay.from_estimator(fitted)


def test_exported():
    """Check that VitalityDisplay is a public name of the package."""
    assert "VitalityDisplay" in skvitalroute.__all__


@pytest.mark.parametrize(
    "rows, panels",
    [
        pytest.param(
            [
                {"vitality_layer_stasis": {"0": 0.1}},
                {"vitality_layer_stasis": {"0": 0.3}},
            ],
            ("stasis",),
            id="only layer stasis",
        ),
        pytest.param(
            [{"vitality_stress": 0.2, "vitality_layer_stasis": {"0": 0.1}}] * 3,
            ("stasis",),
            id="no vitality_resets key",
        ),
        pytest.param(
            [
                {"vitality_stress": 0.2, "vitality_resets": None},
                {"vitality_stress": None},
            ],
            ("stasis",),
            id="None readings",
        ),
        pytest.param(
            [{"vitality_class_probs": [0.5, 0.5]}, {}, {"vitality_class_probs": None}],
            ("class_probs",),
            id="class probabilities only, with gaps",
        ),
    ],
)
def test_from_history_draws_partial_readings(rows, panels):
    """Check that readings missing from every epoch, or None in some, are
    gaps: the display draws what is there (no zip() error on resets)."""
    rows = [{"epoch": i + 1, **row} for i, row in enumerate(rows)]
    display = VitalityDisplay.from_history(rows)
    assert display.panels_ == panels
    assert not any(line.get_color() == "tab:red" for line in display.ax_.get_lines())


def test_history_of_empty_readings_is_refused():
    """Check that readings holding nothing (None, {}) are named as no reading."""
    rows = [{"epoch": 1, "vitality_stress": None, "vitality_layer_stasis": {}}]
    with pytest.raises(ValueError, match="no vitality reading"):
        VitalityDisplay.from_history(rows)
