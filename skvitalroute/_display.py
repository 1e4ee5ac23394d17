"""VitalityDisplay: plot a training run's vitality readings over epochs."""

import numpy as np

try:  # scikit-learn >= 1.7 keeps it in a private module
    from sklearn.utils._optional_dependencies import check_matplotlib_support
except ImportError:  # pragma: no cover
    from sklearn.utils import check_matplotlib_support

PANELS = ("stasis", "lr_scales", "class_stress", "class_probs")
_TITLES = {
    "stasis": "Hidden-layer stasis and composite stress",
    "lr_scales": "Learning-rate scale per hidden layer",
    "class_stress": "Per-class stress",
    "class_probs": "Class sampling probabilities",
}
_KEYS = (
    "vitality_layer_stasis",
    "vitality_stress",
    "vitality_mean_stasis",
    "vitality_resets",
    "vitality_lr_scales",
    "vitality_class_probs",
    "vitality_class_stress",
)


class VitalityDisplay:
    """Vitality readings over epochs: stasis, stress, resets, LR scales, classes.

    Build it with :meth:`from_estimator` or :meth:`from_history` and draw it
    with :meth:`plot`; the constructor takes the readings themselves. One
    panel per kind of reading present: per-layer stasis with the composite
    stress, the mean stasis and the dead-unit resets; the LR-scaling
    tactic's per-layer scales; per-class stress; the class sampler's class
    probabilities. An epoch without a reading (the monitor may read on a
    schedule) is a gap: each series is drawn through the epochs it has.
    matplotlib is needed to plot, not to build the display.

    Parameters
    ----------
    epochs : ndarray of shape (n_epochs,)
        Epoch numbers.
    layer_stasis : dict of str to ndarray of shape (n_epochs,)
        Stasis rate of each hidden layer; NaN where not read.
    stress : ndarray of shape (n_epochs,)
        Composite stress; NaN where not read.
    mean_stasis : ndarray of shape (n_epochs,), default=None
        Mean stasis over the hidden layers.
    resets : ndarray of shape (n_epochs,), default=None
        Units reset after each epoch.
    lr_scales : dict of str to ndarray of shape (n_epochs,), default=None
        Learning-rate scale of each hidden layer.
    class_stress : ndarray of shape (n_epochs, n_classes), default=None
        Per-class stress.
    class_probs : ndarray of shape (n_epochs, n_classes), default=None
        Class sampling probabilities.
    display_labels : array-like of shape (n_classes,), default=None
        Class names for the legends; ``0 .. n_classes - 1`` when None.

    Attributes
    ----------
    figure_ : matplotlib.figure.Figure
        The figure holding the panels.
    ax_ : matplotlib.axes.Axes
        The first panel (stasis and stress, when there are readings of it).
    axes_ : ndarray of matplotlib.axes.Axes
        Every panel, in the order of ``panels_``.
    panels_ : tuple of str
        The panels drawn, among ``"stasis"``, ``"lr_scales"``,
        ``"class_stress"`` and ``"class_probs"``.

    See Also
    --------
    sklearn.metrics.ConfusionMatrixDisplay : The display pattern followed.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skvitalroute import VitalityDisplay, VitalRouteClassifier
    >>> X, y = make_classification(n_samples=100, random_state=0)
    >>> clf = VitalRouteClassifier(hidden_units=(8,), max_epochs=3,
    ...                            tactics=("lr_scale",)).fit(X, y)
    >>> display = VitalityDisplay.from_estimator(clf, plot=False)
    >>> display.epochs.tolist(), list(display.layer_stasis)
    ([1, 2, 3], ['0'])
    >>> display.available_panels()
    ('stasis', 'lr_scales', 'class_stress')
    """

    def __init__(
        self,
        *,
        epochs,
        layer_stasis,
        stress,
        mean_stasis=None,
        resets=None,
        lr_scales=None,
        class_stress=None,
        class_probs=None,
        display_labels=None,
    ):
        self.epochs = epochs
        self.layer_stasis = layer_stasis
        self.stress = stress
        self.mean_stasis = mean_stasis
        self.resets = resets
        self.lr_scales = lr_scales
        self.class_stress = class_stress
        self.class_probs = class_probs
        self.display_labels = display_labels

    @classmethod
    def from_history(cls, history, *, display_labels=None, plot=True, ax=None):
        """Read the vitality readings out of a skorch ``History``.

        Parameters
        ----------
        history : skorch.history.History or list of dict
            One dict per epoch; the ``vitality_*`` keys are read where
            present (``vitality_layer_stasis``, ``vitality_stress``,
            ``vitality_mean_stasis``, ``vitality_resets``,
            ``vitality_lr_scales``, ``vitality_class_stress``,
            ``vitality_class_probs``).
        display_labels : array-like of shape (n_classes,), default=None
            Class names for the class panels.
        plot : bool, default=True
            Whether to call :meth:`plot`.
        ax : matplotlib Axes or array of Axes, default=None
            Passed to :meth:`plot`.

        Returns
        -------
        display : VitalityDisplay

        Raises
        ------
        ValueError
            When no epoch holds a vitality reading (a key missing from every
            epoch, or holding only None or empty values). A reading missing
            from some epochs is a gap.
        """
        if plot:
            check_matplotlib_support(f"{cls.__name__}.from_history")
        rows = [dict(row) for row in history]
        display = cls(
            epochs=np.array([row.get("epoch", i + 1) for i, row in enumerate(rows)]),
            layer_stasis=_per_name(rows, "vitality_layer_stasis"),
            stress=_scalars(rows, "vitality_stress"),
            mean_stasis=_scalars(rows, "vitality_mean_stasis"),
            resets=_scalars(rows, "vitality_resets"),
            lr_scales=_per_name(rows, "vitality_lr_scales") or None,
            class_stress=_vectors(rows, "vitality_class_stress"),
            class_probs=_vectors(rows, "vitality_class_probs"),
            display_labels=display_labels,
        )
        if not display.available_panels():  # no key, or keys holding nothing
            raise ValueError(
                f"history holds no vitality reading ({', '.join(_KEYS)}) in any of "
                f"its {len(rows)} epochs; train with the vitality callbacks (e.g. "
                "VitalRouteClassifier or VitalityMonitor) first."
            )
        return display.plot(ax=ax) if plot else display

    @classmethod
    def from_estimator(cls, estimator, *, plot=True, ax=None):
        """Read the vitality readings of a fitted net (or of a pipeline's net).

        Parameters
        ----------
        estimator : skorch net or Pipeline
            A fitted :class:`~skvitalroute.VitalRouteClassifier` or any skorch
            net trained with the vitality callbacks; for a ``Pipeline``, its
            last step. Its ``classes_``, when set, name the classes.
        plot : bool, default=True
            Whether to call :meth:`plot`.
        ax : matplotlib Axes or array of Axes, default=None
            Passed to :meth:`plot`.

        Returns
        -------
        display : VitalityDisplay

        Raises
        ------
        TypeError
            When the estimator has no training ``history``.
        """
        if plot:
            check_matplotlib_support(f"{cls.__name__}.from_estimator")
        net = estimator[-1] if hasattr(estimator, "steps") else estimator
        history = getattr(net, "history", None)
        if history is None:
            raise TypeError(
                f"{cls.__name__}.from_estimator needs a fitted skorch net with a "
                f"training history; got {type(estimator).__name__}."
            )
        try:
            labels = net.classes_
        except AttributeError:
            labels = None
        return cls.from_history(history, display_labels=labels, plot=plot, ax=ax)

    def available_panels(self):
        """The panels this display has readings for, in drawing order.

        Returns
        -------
        panels : tuple of str
        """
        present = {
            "stasis": bool(self.layer_stasis)
            or any(
                _any_finite(v) for v in (self.stress, self.mean_stasis, self.resets)
            ),
            "lr_scales": bool(self.lr_scales),
            "class_stress": self.class_stress is not None,
            "class_probs": self.class_probs is not None,
        }
        return tuple(p for p in PANELS if present[p])

    def plot(self, *, ax=None, panels=None):
        """Draw the panels.

        Parameters
        ----------
        ax : matplotlib Axes or array-like of Axes, default=None
            One Axes per panel; None makes a new figure with one panel per
            row and a shared epoch axis.
        panels : tuple of str, default=None
            Which panels to draw, among :meth:`available_panels`; all of
            them when None.

        Returns
        -------
        display : VitalityDisplay
            With ``figure_``, ``ax_``, ``axes_`` and ``panels_`` set.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        panels = self._check_panels(panels)
        if ax is None:
            fig, axes = plt.subplots(
                len(panels),
                1,
                sharex=True,
                squeeze=False,
                layout="constrained",
                figsize=(7.5, 2.4 * len(panels) + 0.4),
            )
            axes = axes[:, 0]
        else:
            axes = np.atleast_1d(np.asarray(ax, dtype=object)).ravel()
            if len(axes) != len(panels):
                raise ValueError(
                    f"ax must hold one Axes per panel ({len(panels)} for "
                    f"{list(panels)}); got {len(axes)}. Pass panels=... to draw "
                    "fewer."
                )
            fig = axes[0].figure
        colors = _layer_colors(self)
        for name, axis in zip(panels, axes, strict=True):
            getattr(self, f"_plot_{name}")(axis, colors)
            axis.set_title(_TITLES[name], loc="left", fontsize="medium")
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
            axis.grid(alpha=0.3)
        axes[-1].set_xlabel("epoch")
        self.figure_, self.axes_, self.ax_ = fig, axes, axes[0]
        self.panels_ = panels
        return self

    def _check_panels(self, panels):
        available = self.available_panels()
        if panels is None:
            panels = available
        panels = tuple(panels)
        unknown = [p for p in panels if p not in available]
        if unknown or not panels:
            raise ValueError(
                f"panels must be a non-empty tuple of {list(available)} (the panels "
                f"with readings); got {panels!r}."
            )
        return panels

    def _plot_stasis(self, ax, colors):
        for name, values in self.layer_stasis.items():
            _series(
                ax,
                self.epochs,
                values,
                label=f"stasis, layer {name}",
                color=colors[name],
            )
        if self.mean_stasis is not None and len(self.layer_stasis) > 1:
            _series(
                ax,
                self.epochs,
                self.mean_stasis,
                label="mean stasis",
                color="0.45",
                linestyle=":",
            )
        _series(
            ax,
            self.epochs,
            self.stress,
            label="composite stress",
            color="black",
            linestyle="--",
            linewidth=2,
        )
        # no reset reading (None, or NaN in an epoch) is drawn as no marker
        resets = np.zeros(len(self.epochs)) if self.resets is None else self.resets
        resets = np.nan_to_num(np.asarray(resets, dtype=float))
        reset = [(e, int(n)) for e, n in zip(self.epochs, resets, strict=True) if n]
        for i, (epoch, count) in enumerate(reset):
            ax.axvline(
                epoch,
                color="tab:red",
                alpha=0.35,
                linewidth=1.5,
                label="units reset (count)" if i == 0 else None,
            )
            ax.annotate(
                str(count),
                (epoch, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(3, -11),
                textcoords="offset points",
                color="tab:red",
                fontsize="small",
            )
        ax.set_ylim(bottom=0)
        ax.set_ylabel("share of units")
        _legend(ax)

    def _plot_lr_scales(self, ax, colors):
        for name, values in self.lr_scales.items():
            _series(ax, self.epochs, values, label=f"layer {name}", color=colors[name])
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("lr factor")
        _legend(ax)

    def _plot_class_stress(self, ax, colors):
        self._plot_classes(ax, self.class_stress, "stress")

    def _plot_class_probs(self, ax, colors):
        self._plot_classes(ax, self.class_probs, "probability")
        n_classes = np.asarray(self.class_probs).shape[1]
        ax.axhline(
            1 / n_classes, color="0.45", linestyle=":", linewidth=1, label="uniform"
        )
        _legend(ax)

    def _plot_classes(self, ax, values, ylabel):
        values = np.asarray(values, dtype=float)
        labels = self.display_labels
        if labels is None or len(labels) != values.shape[1]:
            labels = range(values.shape[1])
        for column, label in enumerate(labels):
            _series(ax, self.epochs, values[:, column], label=f"class {label}")
        ax.set_ylim(bottom=0)
        ax.set_ylabel(ylabel)
        _legend(ax)


def _series(ax, epochs, values, **kwargs):
    """A line through the epochs that have a reading (NaN elsewhere)."""
    values = np.asarray(values, dtype=float)
    keep = np.isfinite(values)
    if keep.any():
        ax.plot(
            np.asarray(epochs)[keep], values[keep], marker="o", markersize=3, **kwargs
        )


def _legend(ax):
    handles, _ = ax.get_legend_handles_labels()
    if handles:
        ax.legend(
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize="small",
            frameon=False,
        )


def _layer_colors(display):
    """One color per hidden layer, the same in the stasis and LR panels."""
    import matplotlib.pyplot as plt

    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    names = list(display.layer_stasis) + [
        n for n in (display.lr_scales or {}) if n not in display.layer_stasis
    ]
    return {name: cycle[i % len(cycle)] for i, name in enumerate(names)}


def _any_finite(values):
    return values is not None and bool(np.isfinite(np.asarray(values, float)).any())


def _reading(value):
    """A float, NaN for a reading that is absent (None) or not a number."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


def _scalars(rows, key):
    """One float per epoch, NaN where the epoch has no reading; None if none."""
    if not any(row.get(key) is not None for row in rows):
        return None
    return np.array([_reading(row.get(key)) for row in rows])


def _per_name(rows, key):
    """Dict name -> one float per epoch (NaN where missing), names in order."""
    names = []
    per_row = [row.get(key) if isinstance(row.get(key), dict) else {} for row in rows]
    for values in per_row:
        names += [n for n in values if n not in names]
    return {
        name: np.array([_reading(values.get(name)) for values in per_row])
        for name in names
    }


def _vectors(rows, key):
    """Array (n_epochs, width), NaN rows where missing; None if never read."""
    values = [_vector(row.get(key)) for row in rows]
    present = [v for v in values if v is not None]
    if not present:
        return None
    width = max(len(v) for v in present)
    out = np.full((len(rows), width), np.nan)
    for i, value in enumerate(values):
        if value is not None:
            out[i, : len(value)] = value
    return out


def _vector(value):
    """A 1-D float array of a per-class reading, or None when absent."""
    if value is None:
        return None
    array = np.array([_reading(v) for v in np.ravel(np.asarray(value, dtype=object))])
    return array if array.size else None
