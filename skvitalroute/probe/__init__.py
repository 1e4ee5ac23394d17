"""The probe: read the health of a network's hidden units.

- ``_layers`` finds the layer units (a weight layer and its activation);
  :func:`~skvitalroute.probe._layers.find_units` is shared with the tactics
  that touch units (dead-unit reset, transfer warm-start).
- ``_signals`` turns recorded activations into flags and the composite.
- ``_overlap`` measures how mixed each class is with others.
- ``_rows`` chooses the rows a reading takes (the one meaning of
  ``probe_size``).
- ``_probe`` holds :class:`~skvitalroute.VitalityProbe`.

See ``docs/probe.md`` for the signals and their thresholds.
"""

from skvitalroute.probe._probe import VitalityProbe

__all__ = ["VitalityProbe"]
