"""The :class:`~skvitalroute.VitalRouteClassifier` front door.

``_estimator`` holds the class (the scikit-learn surface); the other modules
are its concerns: argument checks (``_params``), data checks (``_data``),
skorch's parameters and hooks (``_skorch``, ``_hooks``), the loss
(``_criterion``), the default network's size (``_default_module``), the
optimizer (``_optim``), prediction (``_predict``), the probabilities'
width, validity and prior (``_proba``) and saving (``_io``).
"""
