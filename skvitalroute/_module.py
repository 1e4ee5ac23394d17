"""The former private path of :class:`skvitalroute.nn.MLPModule` (kept working)."""

from skvitalroute.nn import MLPModule

__all__ = ["MLPModule"]
