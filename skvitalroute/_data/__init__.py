"""Training rows inside skorch: the Dataset's arrays, sample weights, batches.

Shared by the classifier and the tactics: ``_dataset`` digs the training rows
out of skorch's ``Dataset``, ``_sample_weight`` carries per-row weights in the
X dict, and ``_iterator`` serves batches as slices of in-memory arrays.
"""
