"""Putting a plan's tactic callbacks into a net's ``callbacks_``.

:func:`~skvitalroute.callbacks._registry.tactic_callbacks` builds the
callbacks of a plan; here they are installed among the user's (after them,
before the epoch log), and the epoch log is told which readings are not
scalars.
"""

from skorch.callbacks import PrintLog

from skvitalroute.callbacks._monitor import VitalityMonitor
from skvitalroute.callbacks._registry import reserved_callback_names, tactic_callbacks
from skvitalroute.callbacks._transfer import TransferWarmStart, release_transfer_freeze

#: History keys of the readings that are dicts or lists: the epoch log skips them.
NON_SCALAR_KEYS = (
    "vitality_class_probs",
    "vitality_class_stress",
    "vitality_layer_stasis",
    "vitality_lr_scales",
)


def scalar_print_log(callbacks):
    """skorch's default callbacks with an epoch log that shows scalars only.

    Parameters
    ----------
    callbacks : list of (str, Callback)
        skorch's ``_default_callbacks``.

    Returns
    -------
    callbacks : list of (str, Callback)
        The same, with ``"print_log"`` ignoring :data:`NON_SCALAR_KEYS` (the
        per-layer and per-class readings stay in ``history``).
    """
    return [
        (name, _EpochLog(keys_ignored=list(NON_SCALAR_KEYS)))
        if name == "print_log"
        else (name, cb)
        for name, cb in callbacks
    ]


class _EpochLog(PrintLog):
    """skorch's ``PrintLog`` that does not build the table nobody sees.

    skorch's formats the epoch's table every epoch, also with ``verbose=0``
    and its ``print`` sink, where it shows nothing (about 1.6 ms an epoch,
    9 % of a 2 000-row epoch); this one then skips it. Any other sink, or a
    positive ``verbose``, gets skorch's log unchanged.
    """

    def on_epoch_end(self, net, **kwargs):
        """Print the epoch's row, as skorch does, when it is shown.

        Parameters
        ----------
        net : NeuralNet
            The net.
        **kwargs : dict
            Passed to skorch's ``PrintLog``.
        """
        if self.sink is print and not net.verbose:
            return
        super().on_epoch_end(net, **kwargs)


def check_reserved_names(callbacks):
    """Raise a ValueError when a user's callback takes a tactic's name.

    Parameters
    ----------
    callbacks : list of (str, Callback)
        The net's initialised ``callbacks_``, before the tactics are added.
    """
    reserved = reserved_callback_names()
    clash = [n for n, _ in callbacks if n in reserved]
    if clash:
        raise ValueError(
            f"Callback name(s) {clash} are reserved for the vitality "
            f"tactics {list(reserved)}; rename your callback."
        )


def install_tactic_callbacks(net):
    """Replace the tactic callbacks in ``net.callbacks_`` with the route's.

    The callbacks of ``net.route_`` (none but the guard and the monitor
    before a route exists) are built from ``net``'s parameters, seeded from
    ``net._seed_``, initialised and put after the user's callbacks and
    before skorch's ``PrintLog``, so the epoch log shows their readings.
    Unless the route transfers with ``freeze=True``, what an earlier
    transfer froze is made trainable again: a later fit trains every layer.

    Parameters
    ----------
    net : VitalRouteClassifier
        An initialised net; its ``callbacks_`` is replaced.
    """
    reserved = reserved_callback_names()
    kept = [(n, cb) for n, cb in net.callbacks_ if n not in reserved]
    plan = getattr(net, "route_", None)
    tactics = () if plan is None else plan.tactics
    ours = tactic_callbacks(net, tactics, getattr(net, "_seed_", None))
    for _, cb in ours:
        cb.initialize()
    transfer = [cb for _, cb in ours if isinstance(cb, TransferWarmStart)]
    if not (transfer and transfer[0].freeze):
        release_transfer_freeze(net)
    cut = next(
        (i for i, (_, cb) in enumerate(kept) if isinstance(cb, PrintLog)),
        len(kept),
    )
    net.callbacks_ = kept[:cut] + ours + kept[cut:]


def read_last_epoch(net):
    """Have each vitality monitor of ``net`` read the last epoch if it has not.

    Parameters
    ----------
    net : skorch.NeuralNet
        A net at the end of training.
    """
    for _, callback in net.callbacks_:
        if isinstance(callback, VitalityMonitor):
            callback.read_last_epoch(net)
