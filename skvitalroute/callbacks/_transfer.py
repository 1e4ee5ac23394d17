"""Transfer warm-start: score a pool of parents on the child's labels, copy the best.

See docs/tactics.md, "Transfer warm-start".
"""

import copy
import dataclasses
import os
import pickle
import re
import warnings
from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
import torch
from skorch.callbacks import Callback
from skorch.dataset import Dataset as SkorchDataset
from torch.utils.data import Dataset

from skvitalroute._data._dataset import training_arrays
from skvitalroute._utils._validation import POSITIVE_INT, Rule, StrictInterval
from skvitalroute.callbacks._base import CheckedOnce
from skvitalroute.callbacks._logme import logme
from skvitalroute.probe._layers import find_units
from skvitalroute.probe._probe import VitalityProbe
from skvitalroute.probe._rows import probe_rows

#: The candidate that copies nothing: the child trains from its own start.
SCRATCH = "scratch"


def _is_pool(pool):
    pairs = isinstance(pool, list | tuple) and len(pool) > 0
    return pairs and all(isinstance(p, tuple | list) and len(p) == 2 for p in pool)


class TransferWarmStart(CheckedOnce, Callback):
    """Start from the parent whose features best explain the child's labels.

    When training begins on a freshly initialised module, each parent of
    ``parent_pool`` that shares at least one parameter shape with it is
    read on the child's training rows:

    1. **veto**: its mean stasis on the child's ``X`` (a
       :class:`~skvitalroute.VitalityProbe` reading, no labels); a parent
       above ``max_stasis`` (a damaged network) is never picked;
    2. **score**: the module is warm-started from the parent (a copy) and
       :func:`LogME <skvitalroute.callbacks._logme.logme>` (You et al.,
       2021) scores its last hidden layer's features against the child's
       labels. The fresh module itself is scored the same way, and so are
       ``scratch_draws`` other fresh initialisations of it: the *scratch*
       candidate (no transfer) scores the best of them, so a parent must
       beat what random features already give, not one lucky draw.

    The best-scoring parent wins if it beats scratch by more than
    ``min_gain`` (LogME units; 0 by default); then every shape-compatible
    parameter is copied into the module, except the classifier head (the
    last weight layer), which stays freshly initialised. Otherwise nothing
    is copied. When the child has too few labels (fewer than two rows a
    class on average, one class, or none), the pick falls back to the
    label-free rule: the lowest mean stasis.

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
        Freeze the copied parameters (``requires_grad=False``) for this fit;
        the :class:`VitalityMonitor` then never resets the frozen layers. A
        later fresh fit thaws them first (and freezes again only what it
        copies, when ``freeze=True``).
    probe_size : int, default=1024
        Maximum number of rows each parent reads (for the veto and the score).
    max_stasis : float or None, default=0.2
        Veto: a parent whose mean stasis on the child's ``X`` exceeds this
        is never picked (healthy networks read about 0-0.05); ``None``
        switches the veto off.
    scratch : bool, default=True
        Whether training from scratch is a candidate. ``False`` always
        copies the best-scoring parent that is not vetoed.
    scratch_draws : int, default=4
        Extra fresh initialisations of the module the scratch candidate is
        scored on (the best score of them and of the module's own start
        counts); drawn from a private seeded stream, so the fit's random
        stream is untouched. 0 scores the module's own start only.
    min_gain : float, default=0.0
        Margin, in LogME units (nats a row), by which the best parent's
        score must exceed scratch's for it to be copied; otherwise the
        child trains from scratch. 0 copies any parent that scores higher
        than scratch; it was chosen by leave-one-family-out on six
        calibration families, where no margin helped (docs/tactics.md,
        "The margin min_gain"). Ignored when ``scratch=False`` and in the
        label-free fallback.

    Attributes
    ----------
    parent_ : str or None
        Name of the picked parent; None when no parent was usable or none
        beat scratch.
    parent_scores_ : dict of str to float
        The score of every scored candidate: LogME (higher is better),
        with the scratch candidate under ``"scratch"``; or, in the
        label-free fallback, the mean stasis (lower is better).
    scoring_ : {"logme", "stasis"}
        Which of the two ``parent_scores_`` holds.
    stasis_ : dict of str to float
        Mean stasis of every usable parent on the child's ``X``.
    vetoed_ : list of str
        Parents whose stasis exceeded ``max_stasis``.
    reason_ : str
        Why this parent (or no transfer) was picked, in words;
        ``route_.explain()`` of a
        :class:`~skvitalroute.VitalRouteClassifier` shows it.
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

    Cost: one forward pass of each parent and of each warm-started copy
    on at most ``probe_size`` rows, and one thin SVD of each copy's
    features: far less than one epoch of training on those rows. No
    random stream is drawn from, so the fit that follows is the one a
    fit from the picked parent alone would be.

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
    >>> _ = torch.manual_seed(0)
    >>> X = np.random.default_rng(0).normal(size=(60, 4)).astype("float32")
    >>> y = (np.abs(X[:, 0]) > 0.67).astype("int64")  # not linear in X
    >>> knows = mlp()  # its hidden units read +x_0 and -x_0: |x_0| is linear
    >>> with torch.no_grad():
    ...     _ = knows[0].weight.zero_(); _ = knows[0].bias.zero_()
    ...     knows[0].weight[:4, 0], knows[0].weight[4:, 0] = 3.0, -3.0
    >>> dead = mlp()
    >>> _ = torch.nn.init.constant_(dead[0].bias, -100.0)  # no unit fires
    >>> transfer = TransferWarmStart([("knows", knows), ("dead", dead)])
    >>> net = NeuralNetClassifier(mlp(), criterion=torch.nn.CrossEntropyLoss,
    ...                           max_epochs=1, train_split=None, verbose=0,
    ...                           callbacks=[transfer]).fit(X, y)
    >>> transfer.parent_, transfer.vetoed_, transfer.stasis_["dead"]
    ('knows', ['dead'], 1.0)
    """

    _parameter_constraints: dict = {
        "parent_pool": [Rule(_is_pool, "a non-empty list of (name, model) pairs")],
        "freeze": [bool],
        "probe_size": [POSITIVE_INT],
        "max_stasis": [StrictInterval(Real, 0, None, closed="left"), None],
        "scratch": [bool],
        "scratch_draws": [StrictInterval(Integral, 0, None, closed="left")],
        "min_gain": [StrictInterval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        parent_pool,
        *,
        freeze=False,
        probe_size=1024,
        max_stasis=0.2,
        scratch=True,
        scratch_draws=4,
        min_gain=0.0,
    ):
        self.parent_pool = parent_pool
        self.freeze = freeze
        self.probe_size = probe_size
        self.max_stasis = max_stasis
        self.scratch = scratch
        self.scratch_draws = scratch_draws
        self.min_gain = min_gain

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
        self.scoring_ = "logme"
        self.stasis_ = {}
        self.vetoed_ = []
        self.reason_ = ""
        self.copied_ = []
        self.skipped_ = []
        self.pending_record_ = False
        return self

    def _check_params(self):
        super()._check_params()
        names = [name for name, _ in self.parent_pool]
        if len(set(names)) != len(names):
            raise ValueError(f"parent_pool names must be unique; got {names}.")
        if SCRATCH in names:
            raise ValueError(
                f"parent_pool names must not be {SCRATCH!r} (the name of training "
                f"from scratch in parent_scores_); got {names}."
            )

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Score the parents on the child's rows and copy the winner."""
        if len(net.history) > 0:
            if self.freeze:  # a continuation keeps this fit's frozen trunk
                _set_trainable(net, getattr(net, FROZEN_ATTR, []), False)
            return  # the module has been trained already (partial_fit)
        self._check_params_if_set()
        self._forget()
        release_transfer_freeze(net)
        X, y = _inputs(X, y)
        rows = probe_rows(len(X), None, self.probe_size)
        X = X[torch.as_tensor(rows)] if torch.is_tensor(X) else X[rows]
        y = None if y is None else np.asarray(_numpy(y))[rows]
        child = net.module_
        candidates = {}
        for name, model in self.parent_pool:
            found = self._usable(name, model, child, X)
            if found is not None:
                candidates[name] = found
        if not candidates:
            warnings.warn("TransferWarmStart: no usable parent.", UserWarning, 2)
            self.reason_ = "off: no usable parent in parent_pool"
        else:
            self.vetoed_ = [
                n
                for n in candidates
                if self.max_stasis is not None and self.stasis_[n] > self.max_stasis
            ]
            allowed = [n for n in candidates if n not in self.vetoed_]
            if _enough_labels(y):
                self._pick_by_labels(child, X, y, candidates, allowed)
            else:
                self._pick_by_stasis(allowed)
            if self.parent_ is not None:
                self._copy(child, self.parent_, *candidates[self.parent_])
                if self.freeze:
                    frozen = [
                        k
                        for k, t, _ in candidates[self.parent_][0]
                        if isinstance(t, torch.nn.Parameter)
                    ]
                    setattr(net, FROZEN_ATTR, frozen)
        _explain_in_route(net, self)
        self.pending_record_ = True

    def on_epoch_begin(self, net, **kwargs):
        """Record the pick once, in the first epoch's history row."""
        if self.pending_record_:
            net.history.record("transfer_parent", self.parent_)
            self.pending_record_ = False

    def _pick_by_labels(self, child, X, y, candidates, allowed):
        self.scoring_ = "logme"
        for name, (pairs, _) in candidates.items():
            self.parent_scores_[name] = warm_score(child, pairs, X, y)
        if self.scratch:
            starts = [child, *(_redrawn(child, i) for i in range(self.scratch_draws))]
            self.parent_scores_[SCRATCH] = max(warm_score(m, [], X, y) for m in starts)
        scores = self.parent_scores_
        vetoed = (
            f"; vetoed (stasis > {self.max_stasis:g}): {self.vetoed_}"
            if self.vetoed_
            else ""
        )
        if not allowed:
            self.reason_ = f"off: every parent was vetoed{vetoed}"
            return
        best = max(allowed, key=scores.get)
        margin = f" + min_gain {self.min_gain:g}" if self.min_gain else ""
        if self.scratch and not scores[best] > scores[SCRATCH] + self.min_gain:
            by = f" by more than min_gain={self.min_gain:g}" if self.min_gain else ""
            self.reason_ = (
                f"off: no parent's LogME beat training from scratch{by} (best "
                f"{best!r} {scores[best]:.3f} <= scratch {scores[SCRATCH]:.3f}"
                f"{margin}, the best of {1 + self.scratch_draws} fresh starts)"
                f"{vetoed}"
            )
            return
        self.parent_ = best
        over = f" > scratch {scores[SCRATCH]:.3f}{margin}" if self.scratch else ""
        self.reason_ = (
            f"on: parent {best!r}, the highest LogME on the child's labels "
            f"({scores[best]:.3f}{over}){vetoed}"
        )

    def _pick_by_stasis(self, allowed):
        self.scoring_ = "stasis"
        self.parent_scores_ = dict(self.stasis_)
        if not allowed:
            self.reason_ = "off: every parent was vetoed by its stasis"
            return
        self.parent_ = min(allowed, key=self.stasis_.get)
        self.reason_ = (
            f"on: parent {self.parent_!r}, the lowest mean stasis "
            f"({self.stasis_[self.parent_]:.3f}; too few labels to score parents)"
        )

    def _usable(self, name, model, child, X):
        """(pairs, skipped) for a usable parent, after recording its stasis."""
        module = _parent_module(name, model, child)
        if module is None:
            return None
        pairs, skipped = copy_plan(child, module)
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
            stasis = probe.observe(X).mean_stasis()
        except (RuntimeError, ValueError, TypeError) as exc:
            _skip(name, f"cannot read the new X ({exc})")
            return None
        if not np.isfinite(stasis):
            _skip(name, "has no finite stasis reading on the new X")
            return None
        self.stasis_[name] = float(stasis)
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


#: Attribute of a net listing the parameters a transfer froze in it.
FROZEN_ATTR = "_transfer_frozen"


def _set_trainable(net, names, trainable):
    module = getattr(net, "module_", None)
    if module is None or not names:
        return
    params = dict(module.named_parameters())
    for name in names:
        if name in params:
            params[name].requires_grad_(trainable)


def release_transfer_freeze(net):
    """Make trainable again every parameter an earlier transfer froze in ``net``.

    A transfer with ``freeze=True`` lists what it froze on the net; a later
    fit that does not transfer with ``freeze=True`` trains every layer.
    Parameters the user froze are left alone.

    Parameters
    ----------
    net : skorch.NeuralNet
        The net; nothing happens before its module exists.
    """
    _set_trainable(net, getattr(net, FROZEN_ATTR, []), True)
    if hasattr(net, FROZEN_ATTR):
        setattr(net, FROZEN_ATTR, [])


def _numpy(y):
    return y.detach().cpu().numpy() if torch.is_tensor(y) else y


def _enough_labels(y):
    """Whether the labels can rank parents: two classes, two rows a class."""
    if y is None:
        return False
    classes = np.unique(y)
    return len(classes) >= 2 and len(y) >= 2 * len(classes)


def _redrawn(child, seed):
    """A copy of ``child`` (on the CPU) with every layer re-initialised.

    The draw is seeded on a private copy of torch's CPU stream: the global
    stream (the fit's) is left as it was.
    """
    fresh = copy.deepcopy(child).cpu()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1_000_003 + seed)
        for module in fresh.modules():
            if callable(getattr(module, "reset_parameters", None)):
                module.reset_parameters()
    return fresh


def _head(module):
    units = find_units(module)
    return units[-1].layer if units else None


def warm_score(child, pairs, X, y):
    """LogME of the last hidden features of ``child`` warm-started by ``pairs``.

    Parameters
    ----------
    child : torch.nn.Module
        The fresh module; it is not changed (a copy is warm-started).
    pairs : list of (str, torch.Tensor, torch.Tensor)
        What :func:`copy_plan` pairs (empty: the scratch candidate).
    X : ndarray or torch.Tensor
        The child's training rows.
    y : ndarray
        Their labels.

    Returns
    -------
    score : float
        :func:`~skvitalroute.callbacks._logme.logme` of the features;
        ``-inf`` when they are not finite.
    """
    warm = copy.deepcopy(child)
    if pairs:
        by_name = dict(warm.named_parameters()) | dict(warm.named_buffers())
        with torch.no_grad():
            for key, _, source in pairs:
                dest = by_name[key]
                dest.copy_(source.to(device=dest.device, dtype=dest.dtype))
    features = head_inputs(warm, X)
    if features is None or not np.isfinite(features).all():
        return -np.inf
    return logme(features, y)


def head_inputs(module, X):
    """The input of ``module``'s last weight layer (its head) on ``X``.

    Parameters
    ----------
    module : torch.nn.Module
        A network the probe can read (``Linear``/``ConvNd`` layers).
    X : ndarray or torch.Tensor
        Input rows.

    Returns
    -------
    features : ndarray of shape (n_rows, n_features) or None
        The head's flattened input, in evaluation mode; None for a module
        without weight layers.
    """
    head = _head(module)
    if head is None:
        return None
    found = []
    hook = head.register_forward_pre_hook(lambda m, args: found.append(args[0]))
    was_training = module.training
    try:
        param = next(module.parameters(), None)
        device = param.device if param is not None else "cpu"
        dtype = param.dtype if param is not None else torch.float32
        inputs = torch.as_tensor(X).to(device=device, dtype=dtype)
        module.eval()
        with torch.no_grad():
            module(inputs)
    finally:
        hook.remove()
        module.train(was_training)
    return found[-1].detach().flatten(1).cpu().double().numpy()


def _explain_in_route(net, transfer):
    """Write the pick's reason into a classifier's route (and drop a skipped
    transfer from its tactics), so ``route_.explain()`` says why."""
    plan = getattr(net, "route_", None)
    if not dataclasses.is_dataclass(plan) or "transfer" not in plan.tactics:
        return
    tactics = plan.tactics
    if transfer.parent_ is None:
        tactics = tuple(t for t in tactics if t != "transfer")
    reasons = {**plan.reasons, "transfer": transfer.reason_}
    net.route_ = dataclasses.replace(plan, tactics=tactics, reasons=reasons)


def _inputs(X, y):
    if isinstance(X, Dataset):
        X, found = training_arrays(X)
        return X, found if y is None else y
    if isinstance(X, Mapping):  # a weighted fit's {"X": X, "sample_weight": w}
        return training_arrays(SkorchDataset(X, y))
    if torch.is_tensor(X) or isinstance(X, np.ndarray):
        return X, y
    return np.asarray(X), y


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


def copy_plan(child, parent):
    """Pair the child's entries with the parent's; list the unmatched ones.

    Parameters
    ----------
    child, parent : torch.nn.Module
        The new module and a parent network.

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
