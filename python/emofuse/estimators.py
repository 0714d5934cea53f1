"""scikit-learn-style estimators for every emofuse model.

``Estimator("helo")``, ``Estimator("mlp_early")``, ``Estimator("sa_bfgs", options={...})``: any
name of ``emofuse.model_names()``, with that model's options (``emofuse.model_options(name)``
lists them) and the trainer's (``training``, as in a config; docs/configuration.md).

``fit(X, y, subjects=None)`` fits the model as ``emofuse train`` fits a run's final model:
features standardised on the training rows, and a validation share of them held out for early
stopping (whole subjects when ``subjects`` names several, else rows). ``X`` is an
``emofuse.data.Inputs`` or a dict ``{modality: array [N, ...]}`` (then ``roles`` gives each
modality's role); ``y`` is either distributions [N, C] or class labels [N]. ``predict`` returns
distributions [N, C] (label distribution learning); ``predict_label`` the most likely class.

``get_params``/``set_params`` follow scikit-learn's conventions, so ``sklearn.base.clone``,
``cross_val_score`` and ``GroupKFold`` work with it (pass the subjects to the splitter as
``groups`` and to ``fit`` through ``fit_params={"subjects": subjects}``); ``score`` is minus the
mean Chebyshev distance (higher is better, as scikit-learn expects).
"""

import inspect
import json
import os
from typing import Any, Dict, Mapping, Optional, Sequence, Union

import numpy as np

from . import _emofuse
from .data import Inputs


def _as_inputs(X: Any, roles: Optional[Mapping[str, str]]) -> Inputs:
    if isinstance(X, Inputs):
        return X if not roles else Inputs(X.arrays, {**X.roles, **dict(roles)})
    if isinstance(X, Mapping):
        return Inputs(X, roles)
    array = np.asarray(X)
    if array.ndim == 2:  # a plain feature matrix: one modality called "features"
        return Inputs({"features": array}, roles)
    raise _emofuse.DataError(f"X: expected emofuse.data.Inputs, a dict of modality arrays or a 2-D array, got {type(X).__name__}")


class Estimator:
    """One emofuse model with scikit-learn's estimator interface.

    Args:
        model: a registered model name (``emofuse.model_names()``): helo, mlp_early,
            late_fusion, lsgmer, sa_bfgs, aa_knn, ... and prior (the floor).
        options: the model's options (``model.options`` of a config).
        training: the trainer's options (``training`` of a config: epochs, batch_size, lr, ...).
        seed: fixes every random choice of the fit.
        threads: LibTorch threads (0 = all cores).
        validation_fraction: share of the training rows (or subjects) held out for early stopping;
            0 trains on all of them for the configured epochs.
        roles: ``{modality: role}`` for dict inputs (HeLo needs physiological and behavioural).
    """

    def __init__(
        self,
        model: str = "helo",
        options: Optional[Mapping[str, Any]] = None,
        training: Optional[Mapping[str, Any]] = None,
        seed: int = 0,
        threads: int = 0,
        validation_fraction: float = 0.2,
        roles: Optional[Mapping[str, str]] = None,
    ):
        self.model = model
        self.options = options
        self.training = training
        self.seed = seed
        self.threads = threads
        self.validation_fraction = validation_fraction
        self.roles = roles

    # -- scikit-learn's parameter protocol ---------------------------------------------------
    @classmethod
    def _param_names(cls):
        return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]

    def get_params(self, deep: bool = True) -> Dict[str, Any]:
        """The constructor's arguments (``deep`` is accepted for scikit-learn; nothing nests)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> "Estimator":
        """Sets constructor arguments by name; raises OptionError for an unknown one."""
        names = self._param_names()
        for name, value in params.items():
            if name not in names:
                raise _emofuse.OptionError(f"option '{name}': not a parameter of Estimator; known: {', '.join(names)}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = type(self)().get_params()
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if k == "model" or v != defaults[k]]
        return f"Estimator({', '.join(changed)})"

    # -- fitting and prediction --------------------------------------------------------------
    def _targets(self, y: Any) -> np.ndarray:
        """``y`` as distributions [N, C] over ``classes_`` (labels become one-hot rows)."""
        array = np.asarray(y)
        if array.ndim == 2:
            return array.astype(np.float32, copy=False)
        if array.ndim != 1:
            raise _emofuse.DataError("y: expected distributions [N, C] or labels [N]")
        index = np.searchsorted(self.classes_, array)
        index = np.clip(index, 0, len(self.classes_) - 1)
        unknown = self.classes_[index] != array
        if unknown.any():
            raise _emofuse.DataError(f"y: label {array[unknown][0]!r} was not seen in fit; classes: {list(self.classes_)}")
        targets = np.zeros((array.shape[0], len(self.classes_)), dtype=np.float32)
        targets[np.arange(array.shape[0]), index] = 1.0
        return targets

    def fit(self, X: Any, y: Any, subjects: Any = None, class_names: Optional[Sequence[str]] = None) -> "Estimator":
        """Fits on ``X`` and ``y`` (distributions [N, C] or labels [N]); ``subjects`` [N] makes
        the validation share whole subjects; ``class_names`` names the C columns of ``y``."""
        inputs = _as_inputs(X, self.roles)
        labels = np.asarray(y)
        if labels.ndim == 1:
            self.classes_ = np.unique(labels)
        elif labels.ndim == 2:
            self.classes_ = np.arange(labels.shape[1])
        else:
            raise _emofuse.DataError("y: expected distributions [N, C] or labels [N]")
        names = list(class_names) if class_names is not None else [str(c) for c in self.classes_]
        self.model_ = _emofuse.fit_model(
            self.model,
            json.dumps(dict(self.options or {})),
            json.dumps(dict(self.training or {})),
            int(self.seed),
            int(self.threads),
            float(self.validation_fraction),
            inputs.arrays,
            inputs.roles,
            self._targets(labels),
            subjects,
            names,
        )
        self.class_names_ = names
        return self

    def _fitted(self) -> "_emofuse.Model":
        if not hasattr(self, "model_"):
            raise _emofuse.Error("this Estimator is not fitted yet: call fit first")
        return self.model_

    def predict(self, X: Any) -> np.ndarray:
        """Predicted emotion distributions [N, C] (rows sum to one), columns in ``classes_`` order."""
        model = self._fitted()
        return model.predict(_as_inputs(X, self.roles).arrays)

    predict_proba = predict

    def predict_label(self, X: Any) -> np.ndarray:
        """The most likely class of every row (an entry of ``classes_``)."""
        return self.classes_[self.predict(X).argmax(axis=1)]

    def score(self, X: Any, y: Any) -> float:
        """Minus the mean Chebyshev distance between predicted and true distributions (labels
        count as one-hot rows); higher is better, as scikit-learn's model selection expects."""
        self._fitted()
        distance = _emofuse.metrics.per_sample("chebyshev", self.predict(X), self._targets(y))
        return -float(np.mean(distance))

    def save(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Writes a model bundle that ``emofuse.load_model`` and ``emofuse predict -m`` read."""
        self._fitted().save(os.fspath(path))
