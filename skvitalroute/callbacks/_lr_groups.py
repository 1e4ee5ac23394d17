"""The optimizer groups a net's route needs for :class:`LayerLRScaler`.

Under the ``lr_scale`` tactic the optimizer holds one parameter group per
hidden layer (:func:`~skvitalroute.callbacks.layer_param_groups`) plus one
for the rest; otherwise skorch's grouping is kept (a single group by
default: one group per layer would only slow every optimizer step).
"""

from skvitalroute.callbacks._lr_scale import layer_param_groups


def net_layer_groups(net):
    """The optimizer groups of ``net`` when its route scales learning rates.

    Parameters
    ----------
    net : VitalRouteClassifier
        A net whose module is initialised.

    Returns
    -------
    groups : list of dict or None
        One group per hidden layer plus one ``"other"`` group for the
        remaining learnable parameters, when ``net.route_`` uses
        ``lr_scale``; None (skorch's groups) without that tactic, with
        ``optimizer__param_groups``, or for a module without a
        ``Linear``/``ConvNd`` layer the probe can read.
    """
    plan = getattr(net, "route_", None)
    if plan is None or not plan.use_lr_scale:
        return None
    if net.get_params_for("optimizer").get("param_groups"):
        return None
    try:
        groups = layer_param_groups(net.module_)
    except ValueError:  # no Linear/ConvNd layer the probe can read
        return None
    seen = {id(p) for g in groups for p in g["params"]}
    rest = [p for _, p in net.get_all_learnable_params() if id(p) not in seen]
    if rest:
        groups = list(groups) + [{"params": rest, "name": "other"}]
    return groups


def regroup_optimizer(net):
    """Rebuild ``net.optimizer_`` when the route turned ``lr_scale`` on or off.

    Used on a warm-start fit, whose new route may differ from the one the
    optimizer was built for. Every parameter's state (e.g. Adam's moments)
    is kept.

    Parameters
    ----------
    net : VitalRouteClassifier
        An initialised net; ``net._layer_grouped`` says how its optimizer
        was grouped.
    """
    wanted = net_layer_groups(net) is not None
    if getattr(net, "_layer_grouped", False) == wanted:
        return
    state = net.optimizer_.state
    net.initialize_optimizer()
    net.optimizer_.state.update(state)
