"""The route plan: which tactics and training settings a router chose, and why."""

from dataclasses import dataclass, field

from skvitalroute.callbacks._registry import MONITOR, TACTICS
from skvitalroute.routing._race import SCORE_LABELS, shown_score


@dataclass(frozen=True)
class RoutePlan:
    """Which tactics and training settings a router chose, and why.

    Parameters
    ----------
    tactics : tuple of str, default=()
        Tactics switched on, by their registry names (``"transfer"``,
        ``"class"``, ``"hard"``, ``"lr_scale"``, ``"reset"``), in registry
        order.
    settings : dict, default={}
        Estimator parameters the router chose (e.g. ``{"loss":
        "logit_adjusted", "max_epochs": 120}``). The classifier applies a
        setting only where the user left the parameter to the router
        (``loss="auto"``, ``max_epochs=None``, ...): a user's explicit
        value wins.
    reasons : dict of str to str, default={}
        A readable reason for each tactic (on or off) and each setting.
    router : str, default="explicit"
        Name of the router that made the plan (``"explicit"`` for a plan
        from ``tactics=(...)`` or ``"none"``).
    race : dict or None, default=None
        The per-task race (docs/router.md, "The race"): before the fit,
        what to race (``candidates``, ``holdout``, ``margin``,
        ``checkpoints``); after it, also the ``table`` of held-out scores
        (one dict per candidate and checkpoint) and the ``winner``. None
        when no race runs.
    forest : dict or None, default=None
        The forest blend (docs/router.md, "The forest blend"): ``weight``
        (of the forest's probabilities) and ``n_estimators``. None when the
        network predicts alone.

    Attributes
    ----------
    label : str
        The active tactics joined by ``"+"`` in registry order (the class
        tactic shows as ``"imbalance"``, dead-unit reset is not shown),
        preceded by a routed loss other than cross-entropy (``"inv_freq"``
        for a routed ``class_weight="balanced"``); ``"monitor"`` when
        nothing is on.
    use_class_sampler, use_hard_sampler, use_lr_scale, use_transfer, use_reset : bool
        Whether the ``class``, ``hard``, ``lr_scale``, ``transfer`` and
        ``reset`` tactics are on.
    use_monitor : bool
        Always True: the vitality monitor records every fit.
    rebalances : bool
        Whether the plan rebalances the classes (the class tactic, a routed
        class weight, or a routed loss other than cross-entropy).
    """

    tactics: tuple = ()
    settings: dict = field(default_factory=dict)
    reasons: dict = field(default_factory=dict, compare=False)
    router: str = "explicit"
    race: dict | None = None
    forest: dict | None = None

    def __post_init__(self):
        chosen = set(self.tactics)
        unknown = sorted(chosen - set(TACTICS))
        if unknown:
            raise ValueError(
                f"RoutePlan got unknown tactic(s) {unknown}; known: {list(TACTICS)}."
            )
        object.__setattr__(self, "tactics", tuple(t for t in TACTICS if t in chosen))

    def uses(self, tactic):
        """Whether ``tactic`` (a registry name) is on.

        Parameters
        ----------
        tactic : str
            A tactic name.

        Returns
        -------
        on : bool
        """
        return tactic in self.tactics

    use_class_sampler = property(lambda self: self.uses("class"))
    use_hard_sampler = property(lambda self: self.uses("hard"))
    use_lr_scale = property(lambda self: self.uses("lr_scale"))
    use_transfer = property(lambda self: self.uses("transfer"))
    use_reset = property(lambda self: self.uses("reset"))
    use_monitor = property(lambda self: True)

    @property
    def rebalances(self):
        """Whether the plan rebalances the classes: the class tactic, or a
        routed loss or class weight other than plain cross-entropy."""
        loss = self.settings.get("loss")
        weighted = self.settings.get("class_weight") is not None
        return self.use_class_sampler or weighted or loss not in (None, "cross_entropy")

    @property
    def label(self):
        parts = [TACTICS[t].shown_as for t in self.tactics]
        loss = self.settings.get("loss")
        if loss not in (None, "cross_entropy"):
            parts.insert(0, loss)
        if self.settings.get("class_weight") == "balanced":
            parts.insert(0, "inv_freq")
        parts = [p for p in parts if p]
        return "+".join(parts) if parts else MONITOR.name

    def explain(self):
        """Return the plan as readable text: the label, then one line per
        tactic and per routed setting.

        Returns
        -------
        text : str
            ``"route: <label>"``, ``"router: <name>"``, one ``"- tactic:
            on/off (reason)"`` line per registered tactic and the monitor,
            one ``"- setting = value (reason)"`` line per setting, then a
            line for each setting the router did not set (e.g. because the
            user's value wins).
        """
        lines = [f"route: {self.label}", f"router: {self.router}"]
        for name in TACTICS:
            state = "on" if name in self.tactics else "off"
            why = self.reasons.get(name)
            lines.append(f"- {name}: {state}" + (f" ({why})" if why else ""))
        monitor = self.reasons.get(MONITOR.name, "always on")
        lines.append(f"- {MONITOR.name}: on ({monitor})")
        for key, value in self.settings.items():
            why = self.reasons.get(key)
            lines.append(f"- {key} = {value!r}" + (f" ({why})" if why else ""))
        listed = {*TACTICS, MONITOR.name, *self.settings, "race"}
        lines += [f"- {k}: {why}" for k, why in self.reasons.items() if k not in listed]
        if "race" in self.reasons:
            lines.append(f"- race: {self.reasons['race']}")
        lines += _race_lines(self.race)
        return "\n".join(lines)


def _race_lines(race):
    """The race's table for ``explain()``: one line per candidate and budget."""
    if not race or "table" not in race:
        return []
    scoring = race.get("scoring", "balanced_accuracy")
    lines = [f"  candidate  epochs  steps  {SCORE_LABELS[scoring]}"]
    win = race.get("winner", {})
    for row in race["table"]:
        mark = (
            "  <- winner"
            if (row["candidate"], row["epoch"])
            == (win.get("candidate"), win.get("epoch"))
            else ""
        )
        lines.append(
            f"  {row['candidate']:<9s}  {row['epoch']:>6d}  {row['steps']:>5d}  "
            f"{shown_score(scoring, row['score']):.4f}{mark}"
        )
    return lines
