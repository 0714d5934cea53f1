"""Every emofuse metric by name, on NumPy arrays.

Distribution metrics take predictions and targets [N, C] (rows are distributions) and return the
mean over all N samples (docs/metrics.md gives the formulas): ``chebyshev``, ``clark``,
``canberra``, ``kl`` (lower is better), ``cosine``, ``intersection`` (higher is better).
Classification metrics (``accuracy``, ``macro_f1``, ``weighted_f1``, ``uar``) take predicted
distributions [N, C] (their argmax is the predicted class) or class indices [N], and the true
classes as indices [N] or target distributions [N, C].
"""

from typing import Any, Dict, Optional

import numpy as np

from ._emofuse.metrics import (  # noqa: F401
    classification_metric_names,
    classification_report,
    distribution_metric_names,
    distribution_metrics,
    evaluate,
    lower_is_better,
    per_sample,
)


def _distribution_metric(name: str):
    def metric(predictions: Any, targets: Any) -> float:
        return float(np.mean(per_sample(name, predictions, targets)))

    metric.__name__ = name
    metric.__doc__ = (
        f"Mean {name} over all samples of predictions and targets [N, C] "
        f"({'lower' if lower_is_better(name) else 'higher'} is better)."
    )
    return metric


def _class_pair(predictions: Any, truth: Any, num_classes: Optional[int]):
    """Predicted and true class indices, and the class count (the distributions' width, else the
    largest index + 1)."""
    arrays = [np.asarray(predictions), np.asarray(truth)]
    predicted, true = [a.argmax(axis=1) if a.ndim == 2 else a for a in arrays]
    if num_classes is None:
        widths = [a.shape[1] for a in arrays if a.ndim == 2]
        num_classes = widths[0] if widths else int(max(predicted.max(initial=0), true.max(initial=0))) + 1
    return predicted, true, num_classes


def _classification_metric(name: str):
    def metric(predictions: Any, truth: Any, num_classes: Optional[int] = None) -> float:
        return float(classification_report(*_class_pair(predictions, truth, num_classes))[name])

    metric.__name__ = name
    metric.__doc__ = f"{name} of predicted classes against the true ones (higher is better)."
    return metric


for _name in distribution_metric_names():
    globals()[_name] = _distribution_metric(_name)
for _name in classification_metric_names():
    globals()[_name] = _classification_metric(_name)


def report(predictions: Any, truth: Any, num_classes: Optional[int] = None) -> Dict[str, Any]:
    """Accuracy, macro/weighted F1, UAR, per-class precision/recall/F1/support, confusion matrix."""
    return classification_report(*_class_pair(predictions, truth, num_classes))


__all__ = list(distribution_metric_names()) + list(classification_metric_names()) + [
    "classification_report",
    "distribution_metric_names",
    "classification_metric_names",
    "distribution_metrics",
    "evaluate",
    "lower_is_better",
    "per_sample",
    "report",
]
