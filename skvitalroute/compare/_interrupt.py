"""Make a user's Ctrl-C stop a comparison, although skorch catches it in ``fit``.

skorch's ``partial_fit`` catches :class:`KeyboardInterrupt` and returns a
net trained up to the interrupt (its documented behaviour, kept by the
classifier). A comparison must not score such a fit: :func:`interrupt_guard`
records the signal while a fit runs and raises :class:`KeyboardInterrupt`
again once skorch has returned. It runs inside every fit, so it works in
joblib's worker processes too.
"""

import signal
import threading
from contextlib import contextmanager


@contextmanager
def interrupt_guard():
    """Re-raise a SIGINT that arrived during the block, even if it was caught.

    The previous handler is called as usual (Python's default raises
    :class:`KeyboardInterrupt` where the program is), and restored on exit.
    Outside the main thread, or when SIGINT is ignored (a background job),
    nothing is installed.

    Yields
    ------
    state : dict
        ``{"interrupted": bool}``.

    Raises
    ------
    KeyboardInterrupt
        On exit, when SIGINT arrived inside the block.

    Examples
    --------
    >>> import os, signal
    >>> try:
    ...     with interrupt_guard():
    ...         try:  # what skorch does inside fit
    ...             os.kill(os.getpid(), signal.SIGINT)
    ...         except KeyboardInterrupt:
    ...             pass
    ... except KeyboardInterrupt:
    ...     print("stopped")
    stopped
    """
    state = {"interrupted": False}
    if threading.current_thread() is not threading.main_thread():
        yield state
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN:
        yield state
        return

    def record(signum, frame):
        state["interrupted"] = True
        if callable(previous):
            previous(signum, frame)
        else:  # SIG_DFL or a handler installed outside Python
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, record)
    try:
        yield state
    except Exception as exc:
        # an error that follows the interrupt (a half-trained step failing)
        # must not hide it
        if state["interrupted"]:
            raise KeyboardInterrupt from exc
        raise
    finally:
        signal.signal(signal.SIGINT, previous)
    if state["interrupted"]:
        raise KeyboardInterrupt
