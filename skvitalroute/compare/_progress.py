"""The progress bar over fits: how many are done, which are being fitted."""

import sys


def job_label(job):
    """``"method seed S fold F"`` for a fit job, the function's name otherwise.

    Parameters
    ----------
    job : tuple
        ``(function, args, kwargs)`` as given to
        :func:`~skvitalroute.compare._run.run_fits`; the jobs of
        :func:`~skvitalroute.compare._run.fit_one` are
        ``(fit_one, (task, method, split, config), {"label": ...})``.

    Returns
    -------
    label : str
    """
    func, args, kwargs = job
    split = args[2] if len(args) > 2 else None
    if hasattr(split, "seed") and hasattr(split, "fold"):
        method = kwargs.get("label") or args[1]
        return f"{method} seed {split.seed} fold {split.fold}"
    return getattr(func, "__name__", "fit")


def running_text(labels, *, shown=2):
    """The bar's postfix: the fits in flight, the first ``shown`` by name.

    Examples
    --------
    >>> running_text(["a seed 0 fold 0"])
    'a seed 0 fold 0'
    >>> running_text(["a", "b", "c", "d"])
    'a, b (+2 more)'
    """
    text = ", ".join(labels[:shown])
    if len(labels) > shown:
        text += f" (+{len(labels) - shown} more)"
    return text


class FitProgress:
    """A tqdm bar on stderr over fits, off when ``quiet`` or not a terminal.

    Parameters
    ----------
    total : int
        Number of fits.
    quiet : bool, default=False
        Switch the bar off.
    desc : str, default="fits"
        Label of the bar.
    stream : file, default=None
        Where the bar goes (default: ``sys.stderr`` at construction).

    Attributes
    ----------
    bar_ : tqdm.tqdm or None
        The bar; ``None`` when it is off.
    """

    def __init__(self, total, *, quiet=False, desc="fits", stream=None):
        stream = sys.stderr if stream is None else stream
        self.bar_ = None
        if quiet or not _isatty(stream):
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:  # pragma: no cover - tqdm is a dependency
            return
        self.bar_ = tqdm(
            total=total,
            desc=desc,
            unit="fit",
            file=stream,
            leave=False,
            dynamic_ncols=True,
        )

    def running(self, labels):
        """Show ``labels`` as the fits being fitted now."""
        if self.bar_ is not None:
            self.bar_.set_postfix_str(running_text(list(labels)))

    def update(self, n=1):
        """Count ``n`` more fits as done."""
        if self.bar_ is not None:
            self.bar_.update(n)

    def close(self):
        """Remove the bar from the terminal."""
        if self.bar_ is not None:
            self.bar_.close()


def _isatty(stream):
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed file
        return False
