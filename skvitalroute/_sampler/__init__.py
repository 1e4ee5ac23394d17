"""The :class:`~skvitalroute.VitalitySampler` front door.

``_estimator`` holds the imbalanced-learn sampler; ``_input`` handles the rows
it validates and returns.
"""
