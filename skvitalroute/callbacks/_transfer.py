"""Label-free transfer warm-start from a pool of parent networks.

See docs/tactics.md, "Transfer warm-start".
"""

import copy
import os
import pickle
import re
import warnings
from collections.abc import Mapping

import numpy as np
import torch
from skorch.callbacks import Callback
from torch.utils.data import Dataset

from skvitalroute._data._dataset import training_arrays
from skvitalroute._utils._validation import POSITIVE_INT, Rule
from skvitalroute.callbacks._base import CheckedOnce
from skvitalroute.probe._layers import find_units
from skvitalroute.probe._probe import VitalityProbe


def _is_pool(pool):
    pairs = isinstance(pool, list | tuple) and len(pool) > 0
    return pairs and all(isinstance(p, tuple | list) and len(p) == 2 for p in pool)


class TransferWarmStart(CheckedOnce, Callback):
    """Start from the parent network that is most alive on the new inputs.

    When training begins on a freshly initialised module, each parent of
    ``parent_pool`` that shares at least one parameter shape with it reads
    the new ``X`` (no labels) with a :class:`~skvitalroute.VitalityProbe`;
    the parent with the lowest mean stasis wins and every shape-compatible
    parameter is copied into the module, except the classifier head (the
    last weight layer), which stays freshly initialised.

    Parameters
    ----------
    parent_pool : list of (str, model)
        Named candidate parents. A model is a ``torch.nn.Module``, a fitted
        skorch net (its ``module_`` is used), a fitted
        ``sklearn.neural_network.MLPClassifier``, a ``state_dict`` of a
        network built like the new module (its head may differ), or the path
        (str or ``os.PathLike``) of a file holding one, as written by
        ``torch.save(module.state_dict(), path)`` or skorch's
        ``save_params(f_params=path)``. Files are read with
        ``torch.load(path, weights_only=True)``.
    freeze : bool, default=False
        Freeze the copied parameters (``requires_grad=False``); the
        :class:`VitalityMonitor` then never resets the frozen layers.
    probe_size : int, default=1024
        Maximum number of rows each parent reads.

    Attributes
    ----------
    parent_ : str or None
        Name of the picked parent (None when no parent was usable).
    parent_scores_ : dict of str to float
        Mean stasis of every scored candidate on the new ``X``.
    copied_ : list of str
        Names (in the new module) of the copied parameters and buffers.
    skipped_ : list of str
        Names of the picked parent's incompatible entries, left as they were.

    Notes
    -----
    Matching: the k-th ``Linear``/``ConvNd`` of the new module (its head
    excluded) takes the k-th weight layer of the parent; its ``weight`` and
    ``bias`` are copied when the shapes agree. Other parameters and buffers
    (batch norm, ...) are matched by name and shape. A parent with no
    compatible entry, with a NaN or infinite value in an entry it would
    copy, or that cannot read ``X`` (or reads it to a non-finite stasis),
    is skipped with a ``UserWarning``; so are the picked parent's
    incompatible entries.

    A state dict carries no architecture: the parent is rebuilt as a copy of
    the new module with the state dict loaded, so it must hold every entry of
    the new module except the head's, with the same names and shapes (the
    head's entries may be missing or of another shape); otherwise it is
    skipped with a ``UserWarning``. So is a file that ``torch.load`` cannot
    read with ``weights_only=True``, such as a pickled module or any other
    object, which is never unpickled; a missing file raises
    ``FileNotFoundError``.

    Transfer runs only into an untrained net (empty ``history``), so
    ``partial_fit`` does not overwrite what was learned. History key, first
    epoch: ``transfer_parent``.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skorch import NeuralNetClassifier
    >>> from skvitalroute.callbacks import TransferWarmStart
    >>> def mlp():
    ...     return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(),
    ...                                torch.nn.Linear(8, 2))
    >>> dead = mlp()
    >>> _ = torch.nn.init.constant_(dead[0].bias, -100.0)  # no unit fires
    >>> X = np.random.default_rng(0).normal(size=(30, 4)).astype("float32")
    >>> y = (X[:, 0] > 0).astype("int64")
    >>> transfer = TransferWarmStart([("alive", mlp()), ("dead", dead)])
    >>> net = NeuralNetClassifier(mlp(), criterion=torch.nn.CrossEntropyLoss,
    ...                           max_epochs=1, train_split=None, verbose=0,
    ...                           callbacks=[transfer]).fit(X, y)
    >>> transfer.parent_, transfer.parent_scores_["dead"]
    ('alive', 1.0)
    """

    _parameter_constraints: dict = {
        "parent_pool": [Rule(_is_pool, "a non-empty list of (name, model) pairs")],
        "freeze": [bool],
        "probe_size": [POSITIVE_INT],
    }

    def __init__(self, parent_pool, *, freeze=False, probe_size=1024):
        self.parent_pool = parent_pool
        self.freeze = freeze
        self.probe_size = probe_size

    def initialize(self):
        """Check the parameters and forget any previous pick.

        Returns
        -------
        self : TransferWarmStart
        """
        self._check_params_now()
        return self._forget()

    def _forget(self):
        self.parent_ = None
        self.parent_scores_ = {}
        self.copied_ = []
        self.skipped_ = []
        self.pending_record_ = False
        return self

    def _check_params(self):
        super()._check_params()
        names = [name for name, _ in self.parent_pool]
        if len(set(names)) != len(names):
            raise ValueError(f"parent_pool names must be unique; got {names}.")

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Score the parents on ``X`` and copy the best one into the module."""
        if len(net.history) > 0:
            return  # the module has been trained already (partial_fit)
        self._check_params_if_set()
        self._forget()
        X = _inputs(X)
        child = net.module_
        candidates = {}
        for name, model in self.parent_pool:
            found = self._score(name, model, child, X)
            if found is not None:
                candidates[name] = found
        if candidates:
            self.parent_ = min(candidates, key=self.parent_scores_.get)
            self._copy(child, self.parent_, *candidates[self.parent_])
        else:
            warnings.warn("TransferWarmStart: no usable parent.", UserWarning, 2)
        self.pending_record_ = True

    def on_epoch_begin(self, net, **kwargs):
        """Record the pick once, in the first epoch's history row."""
        if self.pending_record_:
            net.history.record("transfer_parent", self.parent_)
            self.pending_record_ = False

    def _score(self, name, model, child, X):
        """(pairs, skipped) for a usable parent, after recording its score."""
        module = _parent_module(name, model, child)
        if module is None:
            return None
        pairs, skipped = _copy_plan(child, module)
        if not pairs:
            warnings.warn(
                f"TransferWarmStart: parent {name!r} has no parameter whose shape "
                "matches the new module; skipped.",
                UserWarning,
                stacklevel=3,
            )
            return None
        broken = [key for key, _, source in pairs if not _finite(source)]
        if broken:
            _skip(name, f"holds NaN or infinite values in {broken}")
            return None
        try:
            probe = VitalityProbe(module, probe_size=self.probe_size)
            score = probe.observe(X).mean_stasis()
        except (RuntimeError, ValueError, TypeError) as exc:
            _skip(name, f"cannot read the new X ({exc})")
            return None
        if not np.isfinite(score):
            _skip(name, "has no finite stasis reading on the new X")
            return None
        self.parent_scores_[name] = score
        return pairs, skipped

    def _copy(self, child, name, pairs, skipped):
        with torch.no_grad():
            for _, target, source in pairs:
                target.copy_(source.to(device=target.device, dtype=target.dtype))
                if self.freeze and isinstance(target, torch.nn.Parameter):
                    target.requires_grad_(False)
        self.copied_ = [key for key, _, _ in pairs]
        self.skipped_ = skipped
        if skipped:
            warnings.warn(
                f"TransferWarmStart: parent {name!r} has no shape-compatible "
                f"entry for {skipped}; they keep their fresh values.",
                UserWarning,
                stacklevel=3,
            )


def _inputs(X):
    if isinstance(X, Dataset):
        return training_arrays(X)[0]
    if torch.is_tensor(X) or isinstance(X, np.ndarray):
        return X
    return np.asarray(X)


def _parent_module(name, model, child):
    """The parent as a module, or None (with a warning) when unusable."""
    if isinstance(model, str | os.PathLike):
        model = _load_state_dict(name, model)
    if model is None or isinstance(model, Mapping):
        return _state_dict_module(name, model, child)
    if isinstance(model, torch.nn.Module):
        return model
    if isinstance(getattr(model, "module_", None), torch.nn.Module):
        return model.module_  # a fitted skorch net
    try:
        return VitalityProbe(model).module_  # e.g. a fitted MLPClassifier
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"parent_pool entry {name!r} must be a torch.nn.Module, a fitted "
            "skorch net, a fitted MLPClassifier, a state dict or the path of a "
            f"state-dict file; got {type(model).__name__}."
        ) from exc


def _skip(name, why, stacklevel=4):
    warnings.warn(
        f"TransferWarmStart: parent {name!r} {why}; skipped.",
        UserWarning,
        stacklevel=stacklevel,
    )


def _finite(tensor):
    """Whether every entry is finite (integer buffers always are)."""
    if not (tensor.is_floating_point() or tensor.is_complex()):
        return True
    return bool(torch.isfinite(tensor).all())


def _load_state_dict(name, path):
    """Read a state-dict file without unpickling anything but tensors."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"parent_pool entry {name!r}: no file {path!r}.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"Unsupported global: GLOBAL (\S+)", str(exc))
        what = f"it needs {found.group(1)}" if found else "it holds more than tensors"
        _skip(
            name,
            f"({path!r}) was refused by torch.load(weights_only=True): {what}, and "
            "only tensors and state dicts are loaded; save the network's "
            "state_dict() instead",
        )
        return None
    except (RuntimeError, EOFError, KeyError, ValueError) as exc:
        _skip(name, f"({path!r}) is not a file torch.load can read ({exc!r})")
        return None
    if not isinstance(state, Mapping):
        _skip(name, f"({path!r}) holds a {type(state).__name__}, not a state dict")
        return None
    return state


def _state_dict_module(name, state, child):
    """A copy of ``child`` holding ``state``; None when it does not fit."""
    if state is None:
        return None
    if not all(isinstance(k, str) and torch.is_tensor(v) for k, v in state.items()):
        _skip(name, "is a mapping but not a state dict (names to tensors)")
        return None
    units = find_units(child)
    head = units[-1].name if units else None
    own = child.state_dict()
    trunk = [k for k in own if head is None or not _in_layer(k, head)]
    missing = [k for k in trunk if k not in state]
    wrong = [k for k in trunk if k in state and state[k].shape != own[k].shape]
    extra = [k for k in state if k not in own]
    if missing or wrong or extra:
        found = {"missing": missing, "other shape": wrong, "unknown": extra}
        why = "; ".join(f"{kind}: {keys}" for kind, keys in found.items() if keys)
        _skip(name, f"is a state dict that does not fit the new module ({why})")
        return None
    parent = copy.deepcopy(child)
    parent.load_state_dict({k: state[k] for k in trunk}, strict=False)
    return parent


def _in_layer(key, layer_name):
    return not layer_name or key == layer_name or key.startswith(layer_name + ".")


def _copy_plan(child, parent):
    """Pair the child's entries with the parent's; list the unmatched ones.

    Returns
    -------
    pairs : list of (str, torch.Tensor, torch.Tensor)
        ``(child name, child tensor, parent tensor)`` to copy.
    skipped : list of str
        Child entries (head excluded) with no compatible parent entry.
    """
    child_units, parent_units = find_units(child), find_units(parent)
    layer_ids = {id(u.layer) for u in child_units}
    pairs, skipped = [], []
    for k, unit in enumerate(child_units[:-1]):
        source = parent_units[k].layer if k < len(parent_units) else None
        for pname, target in unit.layer.named_parameters(recurse=False):
            src = getattr(source, pname, None)
            _pair(f"{unit.name}.{pname}", target, src, pairs, skipped)
    parent_state = parent.state_dict(keep_vars=True)
    for mname, sub in child.named_modules():
        if id(sub) in layer_ids or next(sub.children(), None) is not None:
            continue
        own = list(sub.named_parameters(recurse=False)) + list(
            sub.named_buffers(recurse=False)
        )
        for tname, target in own:
            key = f"{mname}.{tname}" if mname else tname
            _pair(key, target, parent_state.get(key), pairs, skipped)
    return pairs, skipped


def _pair(key, target, source, pairs, skipped):
    if target is None:
        return
    if torch.is_tensor(source) and source.shape == target.shape:
        pairs.append((key, target, source.detach()))
    else:
        skipped.append(key)
