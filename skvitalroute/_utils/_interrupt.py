"""Tell a user's Ctrl-C apart from skorch's own way of stopping training.

skorch catches ``KeyboardInterrupt`` inside ``fit`` and returns normally:
its ``EarlyStopping`` stops training by raising one, and a user's Ctrl-C
also just ends training with the model as it is. Code that trains a network
as one step of a larger job (the sampler's probe) must not carry on with a
half-trained network after a Ctrl-C, so it watches ``SIGINT`` itself.
"""

import signal
import threading
from contextlib import contextmanager


@contextmanager
def propagate_user_interrupt():
    """Re-raise, after the block, a Ctrl-C that the block swallowed.

    While the block runs, ``SIGINT`` goes through a wrapper of the current
    handler that notes when it raised ``KeyboardInterrupt``. If the block
    then returns normally, a ``KeyboardInterrupt`` is raised after it. A
    ``KeyboardInterrupt`` raised by code (skorch's ``EarlyStopping``) is not
    a signal and is left to whoever catches it. An error that the block
    raises after such a Ctrl-C (a half-trained step failing) does not hide
    it: a ``KeyboardInterrupt`` is raised from that error.

    Outside the main thread (where Python delivers no signal), or when the
    handler is not a Python callable (``SIG_IGN``, ``SIG_DFL``), the block
    runs unchanged.

    Yields
    ------
    None

    Raises
    ------
    KeyboardInterrupt
        When a ``SIGINT`` raised one during the block and the block
        returned anyway, or raised another error afterwards.

    Examples
    --------
    >>> import os, signal
    >>> from skvitalroute._utils._interrupt import propagate_user_interrupt
    >>> def swallow():
    ...     try:
    ...         os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C
    ...     except KeyboardInterrupt:
    ...         pass  # as skorch's fit does
    >>> try:
    ...     with propagate_user_interrupt():
    ...         swallow()
    ... except KeyboardInterrupt:
    ...     print("interrupted")
    interrupted
    """
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(
        previous
    ):
        yield
        return
    interrupted = []

    def handler(signum, frame):
        try:
            previous(signum, frame)
        except KeyboardInterrupt:
            interrupted.append(signum)
            raise

    signal.signal(signal.SIGINT, handler)
    try:
        yield
    except Exception as exc:
        if interrupted:
            raise KeyboardInterrupt from exc
        raise
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted:
        raise KeyboardInterrupt
