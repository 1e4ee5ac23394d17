"""Build the net's optimizer with torch's fused Adam kernels when available.

torch's ``Adam``/``AdamW`` update every parameter tensor in a Python loop
by default on CPU; ``fused=True`` does the whole update in one kernel with
the same arithmetic (on CPU in recent torch releases, and on CUDA); with
it a small network's minimal torch loop took two thirds of the time here
(docs/performance.md, ``torch`` vs ``torch+fused``). ``foreach`` is the
fallback where the fused kernel is missing.
"""

import torch

# The optimizers whose fused / foreach implementations compute the same
# update as their default one (torch's documentation of ``fused``).
_FUSABLE = (torch.optim.Adam, torch.optim.AdamW)
_FLAGS = ("fused", "foreach")


def build_optimizer(optimizer, args, kwargs):
    """Return ``optimizer(*args, **kwargs)``, fused when torch supports it.

    Parameters
    ----------
    optimizer : type
        The optimizer class.
    args : tuple
        Positional arguments: the parameters or parameter groups, as lists.
    kwargs : dict
        Keyword arguments (``lr``, ``optimizer__*`` settings).

    Returns
    -------
    optimizer : torch.optim.Optimizer
        For ``torch.optim.Adam`` or ``AdamW`` without a ``fused`` or
        ``foreach`` setting of the user's, the first of ``fused=True``,
        ``foreach=True`` that the installed torch accepts for these
        parameters (their device and dtype), else the default
        implementation. Any other optimizer, or a user's ``fused`` /
        ``foreach``, is built as given.

    Examples
    --------
    >>> import torch
    >>> from skvitalroute._classifier._optim import build_optimizer
    >>> params = [torch.nn.Parameter(torch.zeros(3))]
    >>> opt = build_optimizer(torch.optim.Adam, (params,), {"lr": 0.01})
    >>> opt.defaults["fused"] or opt.defaults["foreach"]
    True
    >>> build_optimizer(torch.optim.Adam, (params,), {"fused": False}).defaults["fused"]
    False
    """
    if optimizer in _FUSABLE and not set(_FLAGS) & set(kwargs):
        for flag in _FLAGS:
            try:
                return optimizer(*args, **kwargs, **{flag: True})
            except (RuntimeError, ValueError, TypeError):
                # this torch, device or dtype has no such implementation
                continue
    return optimizer(*args, **kwargs)
