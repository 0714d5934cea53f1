"""Datasets as NumPy arrays: every loader of ``emofuse train``'s ``data:`` section.

``load`` takes the same keys as a config's ``data:`` section (docs/data.md); the named loaders
below are shortcuts for it. A ``Dataset`` holds one array per modality [N, ...], the targets
[N, C] (emotion distributions; one-hot for classification data), hard labels, subject and trial
ids, and ``inputs``, the modalities as an ``Inputs`` object that ``Estimator.fit``/``predict``
and scikit-learn's model-selection tools take.
"""

import json
import os
from typing import Any, Dict, Iterator, List, Mapping, Optional, Union

import numpy as np

from . import _emofuse

PathLike = Union[str, "os.PathLike[str]"]

ROLES = ("physiological", "behavioural", "text", "audio", "other")


class Inputs:
    """The modalities of N samples: ``{name: array [N, ...]}`` with each modality's role.

    HeLo routes modalities by role (it fuses the physiological ones by cross-attention and aligns
    them with the behavioural one by optimal transport), so the role travels with the arrays.
    ``Inputs`` indexes like an array of N rows (``inputs[idx]`` keeps those rows of every
    modality), which is what scikit-learn's ``cross_val_score``, ``GroupKFold`` and
    ``train_test_split`` need from ``X``.
    """

    def __init__(self, arrays: Mapping[str, Any], roles: Optional[Mapping[str, str]] = None):
        if not arrays:
            raise _emofuse.DataError("inputs: no modality given")
        self.arrays: Dict[str, np.ndarray] = {name: np.asarray(a) for name, a in arrays.items()}
        self.roles: Dict[str, str] = {name: "other" for name in self.arrays}
        for name, role in dict(roles or {}).items():
            if name not in self.arrays:
                raise _emofuse.OptionError(f"option 'roles': names '{name}', which is not an input")
            if role not in ROLES:
                raise _emofuse.OptionError(f"option 'roles': '{role}' for '{name}'; known: {', '.join(ROLES)}")
            self.roles[name] = role
        lengths = {name: (a.shape[0] if a.ndim > 0 else -1) for name, a in self.arrays.items()}
        if len(set(lengths.values())) != 1 or -1 in lengths.values():
            raise _emofuse.DataError(f"inputs: modalities differ in their number of rows: {lengths}")
        self.shape = (next(iter(lengths.values())),)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows: Any) -> "Inputs":
        return Inputs({name: a[rows] for name, a in self.arrays.items()}, self.roles)

    def __iter__(self) -> Iterator[str]:
        return iter(self.arrays)

    def __repr__(self) -> str:
        parts = ", ".join(f"{n}: {a.shape[1:]} {self.roles[n]}" for n, a in self.arrays.items())
        return f"Inputs({len(self)} rows; {parts})"


class Dataset:
    """A loaded dataset (``load``): arrays with subjects and trials.

    Attributes:
        modalities: ``{name: array [N, ...]}`` (float32; token ids int64).
        roles: ``{name: "physiological" | "behavioural" | "text" | "audio" | "other"}``.
        inputs: the modalities as ``Inputs``.
        targets: [N, C] float32 distributions (rows sum to one).
        labels: [N] int64 hard labels (the argmax, or the corpus' own labels).
        subjects, trials: [N] int64 ids; ``subject_names[id]`` is the subject's name.
        class_names: the C class names.
        partitions: [N] int64 official split (0 train, 1 dev, 2 test) or None.
        ceiling: for synthetic data, the metrics of the true distributions; else None.
        source: where the data came from (with any note, e.g. renormalised rows).
    """

    def __init__(self, arrays: Dict[str, Any]):
        self.modalities: Dict[str, np.ndarray] = dict(arrays["modalities"])
        self.roles: Dict[str, str] = dict(arrays["roles"])
        self.targets: np.ndarray = arrays["targets"]
        self.labels: np.ndarray = arrays["labels"]
        self.subjects: np.ndarray = arrays["subjects"]
        self.trials: np.ndarray = arrays["trials"]
        self.class_names: List[str] = list(arrays["class_names"])
        self.subject_names: List[str] = list(arrays["subject_names"])
        self.partitions: Optional[np.ndarray] = arrays["partitions"]
        self.ceiling: Optional[Dict[str, float]] = arrays["ceiling"]
        self.source: str = arrays["source"]
        self.inputs = Inputs(self.modalities, self.roles)

    def __len__(self) -> int:
        return int(self.targets.shape[0])

    def __repr__(self) -> str:
        return (
            f"Dataset({len(self)} samples, {len(np.unique(self.subjects))} subjects, "
            f"{len(self.class_names)} classes; {self.inputs!r}; source {self.source!r})"
        )


def load(spec: Union[PathLike, Mapping[str, Any]], *, format: Optional[str] = None, seed: int = 0, **options: Any) -> Dataset:
    """Loads a dataset.

    Args:
        spec: a config's ``data:`` section as a dict (``{"format": "deap", "path": ..., "task":
            "arousal"}``), or a path (the format is detected unless ``format`` is given).
        format: the data format when ``spec`` is a path: see ``formats()``.
        seed: seeds the synthetic cohort when the section has no seed.
        **options: more keys of the section (``select=["eeg", "gsr"]``, ``renormalise=True``,
            ``normalize_per_subject=True``, the format's own keys).

    Raises DataError naming the file and field on bad data, OptionError on a bad key or value.
    """
    section: Dict[str, Any] = dict(spec) if isinstance(spec, Mapping) else {"path": os.fspath(spec)}
    if format is not None:
        section["format"] = format
    section.update(options)
    return Dataset(_emofuse.load_data(json.dumps(section), seed))


def formats() -> List[str]:
    """The data formats ``load`` understands (``emofuse info --formats`` describes them)."""
    return list(_emofuse.data_formats())


def load_dmer(folder: PathLike, **options: Any) -> Dataset:
    """A folder of DMER subject .mat files (EEG, GSR, PPG features and video features)."""
    return load(folder, format="dmer", **options)


def load_ldl(path: PathLike, role: str = "behavioural", **options: Any) -> Dataset:
    """An LDL benchmark .mat file (``features``, ``labels``), e.g. s-JAFFE, s-BU_3DFE."""
    return load(path, format="ldl", role=role, **options)


def load_wesad_features(path: Optional[PathLike] = None, columns: str = "informative", **options: Any) -> Dataset:
    """The WESAD window-feature CSV (default: $EMOFUSE_DATA_DIR/wesad_features/...)."""
    section: Dict[str, Any] = {"format": "wesad_features", "columns": columns}
    if path is not None:
        section["path"] = os.fspath(path)
    return load(section, **options)


def load_deap(folder: PathLike, task: str = "valence", **options: Any) -> Dataset:
    """The DEAP EEG feature folder; ``task`` is valence or arousal (binary)."""
    return load(folder, format="deap", task=task, **options)


def load_meld(path: PathLike, **options: Any) -> Dataset:
    """MELD / EmoryNLP-style conversation CSVs (text tokens, optional audio); docs/data.md."""
    return load(path, format="meld", **options)


def load_features(path: PathLike, **options: Any) -> Dataset:
    """A feature table written by ``emofuse features`` (features.csv + dataset.yaml)."""
    return load(path, format="csv", **options)


def synthetic(subjects: int = 8, clips: int = 16, seconds: int = 5, seed: int = 0, **options: Any) -> Dataset:
    """The synthetic DMER-shaped cohort of ``emofuse demo`` (true distributions known: ``ceiling``)."""
    return load({"format": "synthetic", "subjects": subjects, "clips": clips, "seconds": seconds, "seed": seed}, **options)
