"""Whole experiments and saved models: ``train``, ``RunResult``, ``load_model``."""

import json
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from . import _emofuse

PathLike = Union[str, "os.PathLike[str]"]


class RunResult:
    """What ``emofuse train`` wrote, read back from ``<run_dir>/metrics.json``.

    Attributes:
        run_dir: the run folder (config.yaml, metrics.json, summary.md, folds/, report.html).
        metrics: the whole metrics.json as a dict.
        folds: one dict per fold (name, metrics, floor metrics, sizes, test subjects, ...).
        summary: mean and std over folds of every metric, ``{"chebyshev": {"mean": .., "std": ..}}``.
        floor: the same for the ``prior`` model (the mean training distribution) on the same folds.
        paired: paired statistics against the floor (mean difference, Wilcoxon p, fold wins).
    """

    def __init__(self, run_dir: str):
        self.run_dir = run_dir
        with open(os.path.join(run_dir, "metrics.json"), encoding="utf-8") as f:
            self.metrics: Dict[str, Any] = json.load(f)
        self.folds: List[Dict[str, Any]] = self.metrics.get("folds", [])
        self.summary: Dict[str, Any] = self.metrics.get("summary", {})
        self.floor: Dict[str, Any] = self.metrics.get("floor", {})
        self.paired: Any = self.metrics.get("paired")

    def __repr__(self) -> str:
        headline = self.metrics.get("headline_metric", "chebyshev")
        value = self.summary.get(headline, {})
        floor = self.floor.get(headline, {})
        return (
            f"RunResult({self.metrics.get('model')!r}, {len(self.folds)} folds, "
            f"{headline} {value.get('mean', float('nan')):.4f} (floor {floor.get('mean', float('nan')):.4f}), "
            f"run_dir={self.run_dir!r})"
        )


def _assignments(overrides: Union[None, Mapping[str, Any], Sequence[str]]) -> List[str]:
    """``{"training.epochs": 5}`` or ``["training.epochs=5"]`` -> the CLI's ``--set`` strings."""
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        # JSON is YAML: values keep their type (numbers, booleans, lists, strings).
        return [f"{key}={json.dumps(value)}" for key, value in overrides.items()]
    return [str(item) for item in overrides]


def train(
    config: Union[PathLike, Mapping[str, Any]],
    *,
    overrides: Union[None, Mapping[str, Any], Sequence[str]] = None,
    run_dir: Optional[PathLike] = None,
    resume: bool = False,
    overwrite: bool = False,
    quiet: bool = False,
    threads: Optional[int] = None,
    report: bool = True,
) -> RunResult:
    """Runs ``emofuse train``: one model under one protocol, every fold; writes the run folder.

    Args:
        config: a YAML config file (configs/*.yaml) or the same structure as a dict
            (``{"data": {"format": "synthetic"}, "model": {"name": "helo"}, ...}``).
        overrides: the CLI's ``--set``, as ``{"training.epochs": 5}`` or ``["training.epochs=5"]``.
        run_dir: the run folder (default ``runs/<name>``).
        resume: continue an interrupted run in the same folder (checked against its fingerprint).
        overwrite: clear a non-empty run folder first.
        quiet: no per-epoch log records.
        threads: LibTorch threads (default: the config's ``threads``, 0 = all cores).
        report: also write report.html into the run folder.

    Returns the results read back from the run folder. Progress goes to the "emofuse" logger;
    Ctrl-C stops the run between batches (KeyboardInterrupt) and ``resume=True`` continues it.
    """
    path, text = "", ""
    if isinstance(config, Mapping):
        text = json.dumps(config)
    else:
        path = os.fspath(config)
    folder = _emofuse.train(
        config_path=path,
        config_text=text,
        sets=_assignments(overrides),
        run_dir=os.fspath(run_dir) if run_dir is not None else "",
        resume=resume,
        overwrite=overwrite,
        quiet=quiet,
        threads=threads,
        report=report,
    )
    return RunResult(folder)


def load_model(path: PathLike) -> "_emofuse.Model":
    """Loads a saved model bundle (a run's ``model/`` or ``folds/NN_<name>/model/``, or what
    ``Estimator.save`` wrote). ``.predict({"eeg": x, ...})`` gives distributions [N, C]."""
    return _emofuse.load_model(os.fspath(path))


def model_names() -> List[str]:
    """Every registered model: prior, the baselines, helo, lsgmer, the LDL methods."""
    return list(_emofuse.model_names())


def model_options(name: str, options: Optional[Mapping[str, Any]] = None) -> str:
    """Model ``name``'s options with every default filled in, as YAML text (validated)."""
    return _emofuse.model_options(name, json.dumps(dict(options or {})))
