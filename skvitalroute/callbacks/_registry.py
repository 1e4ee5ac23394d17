"""The tactic registry: each tactic's one name, its callback and its parameters.

A router returns a plan naming tactics from this registry; the classifier
installs them with :func:`tactic_callbacks` and does no routing of its own.
Adding a tactic is one module (its skorch callback) and one
:func:`register_tactic` call here (see ``docs/tactics.md``, "Adding a
tactic").
"""

from dataclasses import dataclass, field

from skvitalroute._utils._validation import did_you_mean
from skvitalroute.callbacks._guard import DivergenceGuard
from skvitalroute.callbacks._lr_scale import LayerLRScaler
from skvitalroute.callbacks._monitor import VitalityMonitor
from skvitalroute.callbacks._resampling import ClassStressSampler, HardSampleSampler
from skvitalroute.callbacks._tilt import ClassOverlapTilt
from skvitalroute.callbacks._transfer import TransferWarmStart

#: Name of the divergence guard installed first in every fit.
GUARD_NAME = "divergence_guard"


@dataclass(frozen=True)
class Tactic:
    """One training tactic: its name, its callback and what it reads.

    Parameters
    ----------
    name : str
        The tactic's one name: in ``tactics=(...)``, in ``RoutePlan.tactics``,
        in ``route_.explain()`` and, prefixed with ``"vitality_"``, as the
        callback's name in ``callbacks_``.
    callback : type
        The skorch callback class.
    params : dict of str to str
        Estimator parameter -> callback argument, e.g.
        ``{"sampler_beta": "beta"}``; the values are read at each fit. An
        estimator without such a parameter leaves the callback's default.
    label : str, default=None
        How the tactic shows in a plan's ``label`` (default: ``name``);
        ``""`` leaves it out of the label.
    seeded : bool, default=False
        The callback takes a ``random_state`` (drawn from the fit's seed).
    extra : dict, default={}
        Constant arguments of the callback.
    replaces : str or None, default=None
        An always-on callback this tactic takes the place of.
    excludes : tuple of str, default=()
        Tactics it cannot run with (both replace the training sampler).
    summary : str, default=""
        One line for the documentation and ``explain``.
    """

    name: str
    callback: type
    params: dict
    label: str | None = None
    seeded: bool = False
    extra: dict = field(default_factory=dict)
    replaces: str | None = None
    excludes: tuple = ()
    summary: str = ""

    @property
    def callback_name(self):
        """Name of the installed callback, ``"vitality_<name>"``."""
        return f"vitality_{self.name}"

    @property
    def shown_as(self):
        """The tactic's part of a plan label (``""``: not shown)."""
        return self.name if self.label is None else self.label

    def build(self, estimator, random_state=None):
        """Build this tactic's callback from ``estimator``'s parameters.

        Parameters
        ----------
        estimator : object
            Holds the parameters named in ``params``.
        random_state : int or None, default=None
            Seed of a seeded callback.

        Returns
        -------
        callback : skorch.callbacks.Callback
        """
        kwargs = dict(self.extra)
        # a parameter the estimator does not have keeps the callback's default
        kwargs.update(
            {
                arg: getattr(estimator, p)
                for p, arg in self.params.items()
                if hasattr(estimator, p)
            }
        )
        if self.seeded:
            kwargs["random_state"] = random_state
        return self.callback(**kwargs)


#: Every tactic, in run order (the order of a plan's ``tactics`` and label).
TACTICS = {}
#: The record-only monitor installed when no tactic replaces it.
MONITOR = Tactic(
    "monitor",
    VitalityMonitor,
    {"probe_size": "probe_size", "monitor_refresh": "refresh_every"},
    extra={"reset": False},
    summary="records the vitality readings (on a schedule); changes nothing",
)


def register_tactic(tactic):
    """Add ``tactic`` to :data:`TACTICS` (after the ones already there).

    Parameters
    ----------
    tactic : Tactic
        The new tactic; its name must be new.

    Returns
    -------
    tactic : Tactic
    """
    if tactic.name in TACTICS or tactic.name == MONITOR.name:
        raise ValueError(f"A tactic named {tactic.name!r} is already registered.")
    TACTICS[tactic.name] = tactic
    return tactic


register_tactic(
    Tactic(
        "transfer",
        TransferWarmStart,
        {
            "parent_pool": "parent_pool",
            "freeze_transfer": "freeze",
            "probe_size": "probe_size",
        },
        summary=(
            "warm start from the parent with the highest LogME on the labels "
            "(stasis veto; scratch a candidate)"
        ),
    )
)
register_tactic(
    Tactic(
        "class",
        ClassStressSampler,
        {
            "sampler_strength": "strength",
            "sampler_beta": "beta",
            "sampler_refresh": "refresh_every",
            "probe_size": "probe_size",
        },
        label="imbalance",
        seeded=True,
        excludes=("hard",),
        summary="draws each epoch's rows by class (class-balanced at beta=0)",
    )
)
register_tactic(
    Tactic(
        "hard",
        HardSampleSampler,
        {
            "hard_strength": "strength",
            "hard_beta": "beta",
            "hard_refresh": "refresh_every",
            "probe_size": "probe_size",
        },
        seeded=True,
        excludes=("class",),
        summary="draws each epoch's rows favouring stressed, hard rows",
    )
)
register_tactic(
    Tactic(
        "lr_scale",
        LayerLRScaler,
        {"lr_scale_alpha": "alpha", "probe_size": "probe_size"},
        summary="damps each hidden layer's learning rate by its stasis",
    )
)
register_tactic(
    Tactic(
        "tilt",
        ClassOverlapTilt,
        {
            "tilt_strength": "strength",
            "tilt_refresh": "refresh_every",
            "probe_size": "probe_size",
        },
        summary="bounded per-class margins from the hidden-layer class overlap",
    )
)
register_tactic(
    Tactic(
        "reset",
        VitalityMonitor,
        {
            "reset_threshold": "reset_threshold",
            "probe_size": "probe_size",
            "monitor_refresh": "refresh_every",
        },
        label="",
        extra={"reset": True},
        replaces="monitor",
        summary="re-initialises dead hidden units when mean stasis is high",
    )
)


def reserved_callback_names():
    """Callback names the tactics use; a user's callback may not take them.

    Returns
    -------
    names : tuple of str
    """
    names = [GUARD_NAME, MONITOR.callback_name]
    return tuple(names + [t.callback_name for t in TACTICS.values()])


def tactic_callbacks(estimator, tactics, seed=None):
    """Build the callbacks of a plan, in run order.

    The divergence guard comes first (it checks the parameters before any
    tactic reads them), then each tactic of ``tactics`` in registry order,
    then the monitor unless a tactic replaces it.

    Parameters
    ----------
    estimator : object
        Holds every parameter the tactics read (``probe_size``, ...).
    tactics : sequence of str
        Names from :data:`TACTICS`.
    seed : int or None, default=None
        The fit's seed; seeded tactics get distinct seeds derived from it.

    Returns
    -------
    callbacks : list of (str, Callback)
    """
    chosen = [t for t in TACTICS.values() if t.name in set(tactics)]
    # each seeded tactic's seed: the fit's seed plus its rank among the
    # seeded tactics of the registry, whatever else the plan holds
    offset = {
        t.name: i
        for i, t in enumerate((t for t in TACTICS.values() if t.seeded), start=1)
    }
    out = [(GUARD_NAME, DivergenceGuard(probe_size=estimator.probe_size))]
    for tactic in chosen:
        cb_seed = (
            None if seed is None or not tactic.seeded else seed + offset[tactic.name]
        )
        out.append((tactic.callback_name, tactic.build(estimator, cb_seed)))
    if not any(t.replaces == MONITOR.name for t in chosen):
        out.append((MONITOR.callback_name, MONITOR.build(estimator)))
    return out


def check_tactic_names(tactics, *, name="tactics"):
    """Raise a ValueError for an unknown tactic or two that exclude each other.

    Parameters
    ----------
    tactics : sequence of str
        Tactic names.
    name : str, default="tactics"
        The parameter named in the message.
    """
    known = list(TACTICS)
    for tactic in tactics:
        if tactic not in TACTICS:
            raise ValueError(
                f"Unknown tactic {tactic!r} in {name}={tuple(tactics)!r}; choose "
                f"from {known}." + did_you_mean(tactic, known)
            )
    for tactic in tactics:
        clash = [t for t in TACTICS[tactic].excludes if t in tactics]
        if clash:
            raise ValueError(
                f"{name}={tuple(tactics)!r} contains both {tactic!r} and "
                f"{clash[0]!r}; each replaces the training sampler, so use one."
            )
