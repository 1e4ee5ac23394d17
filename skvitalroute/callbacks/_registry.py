"""The tactic registry: each tactic's one name, its callback and its parameters.

A router returns a plan naming tactics from this registry; the classifier
installs them with :func:`tactic_callbacks` and does no routing of its own.
Adding a tactic is one module (its skorch callback) and one
:func:`register_tactic` call here (see ``docs/tactics.md``, "Adding a
tactic").

A tactic's own settings are its callback's keyword arguments that no
estimator parameter sets (:attr:`Tactic.settings`); an estimator sets them
as ``tactic__<name>__<argument>`` parameters, and any installed callback's
argument as skorch's ``callbacks__<callback name>__<argument>``.
"""

import inspect
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
#: Prefix of an estimator's tactic settings: ``tactic__<name>__<argument>``.
SETTING_PREFIX = "tactic"


def setting_name(tactic, argument):
    """The estimator parameter of a tactic's setting.

    Parameters
    ----------
    tactic : str
        The tactic's name, e.g. ``"hard"``.
    argument : str
        The argument of its callback, e.g. ``"beta"``.

    Returns
    -------
    name : str
        ``"tactic__<tactic>__<argument>"``.
    """
    return f"{SETTING_PREFIX}__{tactic}__{argument}"


def callback_overrides(estimator, callback_name):
    """The ``callbacks__<callback_name>__<argument>`` values ``estimator`` holds.

    skorch applies these to the callbacks it builds; the tactic callbacks
    are built here, so they are applied here.

    Parameters
    ----------
    estimator : object
        The estimator; its attributes are read.
    callback_name : str
        The callback's name in ``callbacks_``.

    Returns
    -------
    overrides : dict of str to object
        Argument -> value.
    """
    prefix = f"callbacks__{callback_name}__"
    return {
        key[len(prefix) :]: value
        for key, value in vars(estimator).items()
        if key.startswith(prefix)
    }


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
        The callback arguments that an estimator parameter shared with
        other tactics sets: estimator parameter -> callback argument, e.g.
        ``{"probe_size": "probe_size"}``; the values are read at each fit.
        An estimator without such a parameter leaves the callback's
        default. The other keyword arguments of the callback are the
        tactic's own :attr:`settings`.
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
    installed_as : str or None, default=None
        The callback's name in ``callbacks_`` (default ``"vitality_<name>"``).
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
    installed_as: str | None = None

    @property
    def settings(self):
        """The tactic's own settings: argument -> the callback's default.

        The callback's keyword arguments that neither ``params``, ``extra``
        nor the seed sets; an estimator sets them as
        ``tactic__<name>__<argument>`` (:func:`setting_name`).
        """
        taken = {*self.params.values(), *self.extra}
        if self.seeded:
            taken.add("random_state")
        return {
            arg: p.default
            for arg, p in inspect.signature(self.callback).parameters.items()
            if arg not in taken
            and p.default is not p.empty
            and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        }

    @property
    def callback_name(self):
        """Name of the installed callback, ``"vitality_<name>"`` by default."""
        return self.installed_as or f"vitality_{self.name}"

    @property
    def shown_as(self):
        """The tactic's part of a plan label (``""``: not shown)."""
        return self.name if self.label is None else self.label

    def build(self, estimator, random_state=None):
        """Build this tactic's callback from ``estimator``'s parameters.

        In order, each later one winning: ``extra``, the shared
        parameters of ``params``, the seed, the ``tactic__<name>__*``
        settings and skorch's ``callbacks__<callback name>__*`` arguments
        (the estimator's checks refuse the two spellings of one setting
        with different values).

        Parameters
        ----------
        estimator : object
            Holds the parameters named in ``params`` and any
            ``tactic__<name>__*`` and ``callbacks__<callback name>__*`` ones.
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
        given = vars(estimator)
        kwargs.update(
            {
                arg: given[setting_name(self.name, arg)]
                for arg in self.settings
                if setting_name(self.name, arg) in given
            }
        )
        kwargs.update(callback_overrides(estimator, self.callback_name))
        return self.callback(**kwargs)


#: Every tactic, in run order (the order of a plan's ``tactics`` and label).
TACTICS = {}
#: The divergence guard, installed first in every fit (not a tactic).
GUARD = Tactic(
    "guard",
    DivergenceGuard,
    {"probe_size": "probe_size"},
    installed_as=GUARD_NAME,
    summary="stops a diverging fit and restores the epoch's starting state",
)
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
        summary="label-free warm start from the parent with the lowest stasis",
    )
)
register_tactic(
    Tactic(
        "class",
        ClassStressSampler,
        {"probe_size": "probe_size"},
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
        {"probe_size": "probe_size"},
        seeded=True,
        excludes=("class",),
        summary="draws each epoch's rows favouring stressed, hard rows",
    )
)
register_tactic(
    Tactic(
        "lr_scale",
        LayerLRScaler,
        {"probe_size": "probe_size"},
        summary="damps each hidden layer's learning rate by its stasis",
    )
)
register_tactic(
    Tactic(
        "tilt",
        ClassOverlapTilt,
        {"probe_size": "probe_size"},
        summary="bounded per-class margins from the hidden-layer class overlap",
    )
)
register_tactic(
    Tactic(
        "reset",
        VitalityMonitor,
        {
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
    return tuple(b.callback_name for b in (GUARD, MONITOR, *TACTICS.values()))


def callback_builder(callback_name):
    """The registry entry that builds the callback named ``callback_name``.

    Parameters
    ----------
    callback_name : str
        A name in ``callbacks_``, e.g. ``"vitality_class"``.

    Returns
    -------
    builder : Tactic or None
        :data:`GUARD`, :data:`MONITOR` or a tactic of :data:`TACTICS`; None
        for a name the registry does not build.
    """
    builders = (GUARD, MONITOR, *TACTICS.values())
    return next((b for b in builders if b.callback_name == callback_name), None)


def plan_builders(tactics):
    """The registry entries of the callbacks a plan installs, in run order.

    The divergence guard comes first (it checks the parameters before any
    tactic reads them), then each tactic of ``tactics`` in registry order,
    then the monitor unless a tactic replaces it.

    Parameters
    ----------
    tactics : sequence of str
        Names from :data:`TACTICS`.

    Returns
    -------
    builders : list of Tactic
    """
    chosen = [t for t in TACTICS.values() if t.name in set(tactics)]
    monitor = [] if any(t.replaces == MONITOR.name for t in chosen) else [MONITOR]
    return [GUARD, *chosen, *monitor]


def tactic_callbacks(estimator, tactics, seed=None):
    """Build the callbacks of a plan, in run order (:func:`plan_builders`).

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
    # each seeded tactic's seed: the fit's seed plus its rank among the
    # seeded tactics of the registry, whatever else the plan holds
    offset = {
        t.name: i
        for i, t in enumerate((t for t in TACTICS.values() if t.seeded), start=1)
    }
    out = []
    for builder in plan_builders(tactics):
        cb_seed = None if seed is None or not builder.seeded else seed
        if cb_seed is not None:
            cb_seed += offset[builder.name]
        out.append((builder.callback_name, builder.build(estimator, cb_seed)))
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
