"""Vitality tactics as skorch callbacks, usable in any skorch net.

- :class:`ClassStressSampler` draws each epoch's rows favouring stressed
  classes; :class:`HardSampleSampler` favours stressed, hard rows.
- :class:`LayerLRScaler` slows hidden layers with many dead units (its
  optimizer is built from :func:`layer_param_groups`).
- :class:`ClassOverlapTilt` gives the classes mixed with others in the
  last hidden layer a larger margin in the logit-adjusted loss.
- :class:`TransferWarmStart` copies the parent whose features best explain the labels.
- :class:`VitalityMonitor` records the readings every epoch and resets dead
  units.
- :class:`DivergenceGuard` stops a fit whose loss stops being finite and puts
  back the last finite parameters.

See ``docs/tactics.md`` for formulas and plain-skorch usage.
"""

from skvitalroute.callbacks._guard import DivergenceGuard
from skvitalroute.callbacks._lr_scale import LayerLRScaler, layer_param_groups
from skvitalroute.callbacks._monitor import VitalityMonitor
from skvitalroute.callbacks._resampling import ClassStressSampler, HardSampleSampler
from skvitalroute.callbacks._tilt import ClassOverlapTilt
from skvitalroute.callbacks._transfer import TransferWarmStart

__all__ = [
    "ClassOverlapTilt",
    "ClassStressSampler",
    "DivergenceGuard",
    "HardSampleSampler",
    "LayerLRScaler",
    "TransferWarmStart",
    "VitalityMonitor",
    "layer_param_groups",
]
