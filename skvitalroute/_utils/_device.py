"""Check that the ``device`` a net is asked to train on exists."""

import torch


def check_device(device):
    """Raise a ValueError naming ``device`` unless torch can use it.

    skorch accepts ``device=None`` (leave tensors where they are); any other
    value must name a device that torch can allocate on here, so that a
    missing GPU is reported before training instead of as torch's
    ``AssertionError`` in the middle of ``fit``.

    Parameters
    ----------
    device : str, torch.device or None
        The net's ``device`` parameter.

    Raises
    ------
    ValueError
        When ``device`` is not a device string, is not available, or is
        ``"meta"`` (tensors without data).

    Examples
    --------
    >>> from skvitalroute._utils._device import check_device
    >>> check_device("cpu")
    >>> check_device("gpu")
    Traceback (most recent call last):
    ...
    ValueError: device must be a torch device such as 'cpu' or 'cuda'; got 'gpu'...
    """
    if device is None:
        return
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device must be a torch device such as 'cpu' or 'cuda'; got "
            f"{device!r} ({_first_line(exc)})."
        ) from None
    if parsed.type == "meta":
        raise ValueError(
            f"device={device!r} holds tensors without values: a net can neither "
            "train nor predict there; use device='cpu' (or 'cuda')."
        )
    try:
        torch.empty(0, device=parsed)
    except (AssertionError, RuntimeError) as exc:
        raise ValueError(
            f"device={device!r} is not available on this machine "
            f"({_first_line(exc)}); use device='cpu'."
        ) from None


def _first_line(exc):
    """The first sentence of torch's message (some run to dozens of lines)."""
    lines = str(exc).strip().splitlines()
    return lines[0].split(". ")[0].rstrip(".") if lines else type(exc).__name__
