"""The result of one comparison: what the report, the files and the scenarios read."""

from collections.abc import Mapping
from dataclasses import dataclass, field, fields


@dataclass(eq=False)
class CompareResult(Mapping):
    """Everything one comparison measured, and the lines of its report.

    Read it by attribute. It is also a read-only mapping of the same keys
    (``result["summary"]``, ``dict(result)``), in the order below, so code
    written when :func:`~skvitalroute.compare.compare` returned a ``dict``
    keeps working; ``results.json`` holds these keys and ``report``.

    Attributes
    ----------
    title : str
        First line of the report.
    task : str
        One line on the data.
    protocol : {"cv", "holdout"}
        The split protocol.
    settings : dict
        The settings of the run, and ``methods`` (name -> description).
    settings_line : str
        The settings as one report line.
    classes : list
        The class labels.
    minority : list
        The labels counted as minority.
    metrics : list of str
        Metrics of the main table.
    paired_metrics : list of str
        Metrics of the paired test.
    baseline : str
        Reference method of the paired test.
    records : list of dict
        One record a fit (:func:`~skvitalroute.compare._run.fit_one`).
    summary : dict
        Method -> metric -> ``(mean, std)``, and ``n`` (fits).
    paired : dict
        Method -> metric -> paired test against ``baseline``.
    vitality : dict
        Method -> what the tactics read.
    sections : list of str
        Extra report sections (the signal control, a scenario's table).
    notes : list of str
        Closing report lines.
    elapsed : float or None, default=None
        Wall-clock seconds of :func:`~skvitalroute.compare.compare`; None
        (and no ``elapsed`` key) for a scenario.
    """

    title: str
    task: str
    protocol: str
    settings: dict
    settings_line: str
    classes: list
    minority: list
    metrics: list
    paired_metrics: list
    baseline: str
    records: list
    summary: dict
    paired: dict
    vitality: dict
    sections: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    elapsed: float | None = None

    @classmethod
    def from_mapping(cls, mapping):
        """The result held by ``mapping`` (a result, or a dict of its keys).

        Parameters
        ----------
        mapping : CompareResult or Mapping
            Extra keys (such as ``report`` in ``results.json``) are ignored.

        Returns
        -------
        result : CompareResult
            ``mapping`` itself when it is one.
        """
        if isinstance(mapping, cls):
            return mapping
        return cls(
            **{f.name: mapping[f.name] for f in fields(cls) if f.name in mapping}
        )

    def _keys(self):
        return [
            f.name
            for f in fields(self)
            if not (f.name == "elapsed" and self.elapsed is None)
        ]

    def __getitem__(self, key):
        if key not in self._keys():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self):
        return iter(self._keys())

    def __len__(self):
        return len(self._keys())
