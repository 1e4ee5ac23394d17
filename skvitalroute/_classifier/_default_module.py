"""Sizing the classifier's default network (``module=None``) from the data."""

from skvitalroute._utils._validation import HIDDEN_UNITS, check_params
from skvitalroute.nn import MLPModule


def build_default_module(est):
    """Build the :class:`~skvitalroute.nn.MLPModule` of ``module=None``.

    Parameters
    ----------
    est : VitalRouteClassifier
        Holds ``hidden_units``, ``dropout`` and ``module__*`` (which win),
        and after a fit (or a label load) ``n_features_in_`` and
        ``classes_``, which size the input and output layers.

    Returns
    -------
    module : MLPModule

    Raises
    ------
    ValueError
        When neither the data nor ``module__n_features`` and
        ``module__n_classes`` give the sizes, or ``module__hidden_units``
        is not a tuple of positive ints.
    """
    # the race may route the shape (only from the defaults: _classifier/_race.py)
    route = getattr(est, "route_", None)
    routed = {} if route is None else route.settings
    params = {
        "hidden_units": tuple(routed.get("hidden_units", est.hidden_units)),
        "dropout": routed.get("dropout", est.dropout),
    }
    if hasattr(est, "label_encoder_"):
        params["n_classes"] = len(est.classes_)
    if hasattr(est, "n_features_in_"):
        params["n_features"] = est.n_features_in_
    given = est.get_params_for("module")
    params.update(given)
    if "hidden_units" in given:
        check_params(
            {"module__hidden_units": [HIDDEN_UNITS]},
            {"module__hidden_units": params["hidden_units"]},
            type(est).__name__,
        )
    if "n_features" not in params or "n_classes" not in params:
        raise ValueError(
            "The default module is sized from the training data: call fit, "
            "or pass module__n_features and module__n_classes to initialize "
            "it without data."
        )
    return MLPModule(**params)
