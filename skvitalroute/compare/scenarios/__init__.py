"""Scenarios that test the claims made for vitality routing.

Each scenario builds its data (embedded digits or generated Gaussians), runs
the same network under the tactics being tested, and reports what happened,
favourable or not (docs/compare.md, "Scenarios"; the measured runs in
docs/benchmarks.md, "3. Scenarios"):

- ``confusable``: a class with plenty of rows but overlapping features. Does
  class stress find it, where inverse-frequency weighting only sees counts?
- ``shift``: class difficulty changes mid-training.
- ``scarce``: few rows a class, balanced: the hard-sample and LR-scaling
  tactics the router picks there.
- ``transfer``: the parent pick (LogME on the child's labels, stasis veto).

:data:`SCENARIOS` maps each name to its runner, ``runner(options, **own)``
with the :class:`ScenarioOptions` every scenario takes; each runner lives in
its own module, the helpers they share in ``_common``.
"""

from dataclasses import fields

from skvitalroute.compare.scenarios._common import ScenarioOptions
from skvitalroute.compare.scenarios._confusable import confusable_task, run_confusable
from skvitalroute.compare.scenarios._scarce import run_scarce
from skvitalroute.compare.scenarios._shift import DifficultyShift, run_shift
from skvitalroute.compare.scenarios._transfer import run_transfer

#: Scenario name -> runner, in the order the CLI lists them.
SCENARIOS = {
    "confusable": run_confusable,
    "shift": run_shift,
    "scarce": run_scarce,
    "transfer": run_transfer,
}


def run_scenario(name, **kwargs):
    """Run the scenario ``name`` (a key of :data:`SCENARIOS`).

    Parameters
    ----------
    name : str
        Scenario name: ``confusable``, ``shift``, ``scarce`` or ``transfer``.
    **kwargs : dict
        The fields of :class:`ScenarioOptions` (``methods``, ``epochs``,
        ``seeds``, ``folds``, ``config``, ``n_jobs``, ``quiet``; ``None``
        takes the scenario's default), and the runner's own options.

    Returns
    -------
    result : CompareResult
        As :func:`~skvitalroute.compare.compare`, with extra report sections.

    Raises
    ------
    ValueError
        For an unknown name.
    """
    runner = SCENARIOS.get(name)
    if runner is None:
        names = [repr(n) for n in SCENARIOS]
        raise ValueError(
            f"scenario must be {', '.join(names[:-1])} or {names[-1]}; got {name!r}."
        )
    common = {f.name for f in fields(ScenarioOptions)}
    options = ScenarioOptions(**{k: v for k, v in kwargs.items() if k in common})
    return runner(options, **{k: v for k, v in kwargs.items() if k not in common})


__all__ = [
    "SCENARIOS",
    "ScenarioOptions",
    "run_scenario",
    "run_confusable",
    "run_shift",
    "run_scarce",
    "run_transfer",
    "confusable_task",
    "DifficultyShift",
]
