"""emofuse.train equals `emofuse train` on the same config, data and seed; models load back."""

import json
import os
import subprocess

import numpy as np
import pytest

import emofuse
from conftest import tiny_config


def _cli_run(cli, config, run_dir, tmp_path):
    path = tmp_path / "config.json"  # JSON is YAML: the CLI reads it as a config file
    path.write_text(json.dumps(config))
    subprocess.run([cli, "train", "-c", str(path), "--run-dir", str(run_dir), "--quiet", "--no-report"],
                   check=True, capture_output=True)
    with open(run_dir / "metrics.json") as f:
        return json.load(f)


@pytest.mark.parametrize("model", ["mlp_early", "helo"])
def test_python_run_equals_cli_run(cli, tmp_path, model):
    config = tiny_config(model)
    result = emofuse.train(config, run_dir=tmp_path / "py", quiet=True, report=False)
    cli_metrics = _cli_run(cli, config, tmp_path / "cli", tmp_path)
    assert len(result.folds) == 2
    for ours, theirs in zip(result.folds, cli_metrics["folds"]):
        assert ours["fold"] == theirs["fold"]
        assert ours["metrics"] == theirs["metrics"]  # bit for bit: same code, seed and threads
    assert result.summary == cli_metrics["summary"]
    assert result.floor == cli_metrics["floor"]
    assert "chebyshev" in repr(result)


def test_overrides_and_saved_fold_model(tmp_path):
    result = emofuse.train(tiny_config(), overrides={"training.epochs": 1, "protocol.max_folds": 1},
                           run_dir=tmp_path / "run", quiet=True, report=False)
    assert len(result.folds) == 1
    with open(tmp_path / "run" / "config.yaml") as f:
        assert "epochs: 1" in f.read()
    fold_dir = sorted((tmp_path / "run" / "folds").iterdir())[0]
    model = emofuse.load_model(fold_dir / "model")
    assert model.name == "mlp_early"
    # The fold's model on its own test subject gives the distributions its predictions.csv holds.
    data = emofuse.data.synthetic(subjects=3, clips=4, seconds=2, seed=5)
    test_subject = data.subject_names.index(result.folds[0]["fold"])  # LOSO: the fold is the subject
    rows = data.subjects == test_subject
    pred = model.predict({name: x[rows] for name, x in data.modalities.items()})
    saved = np.genfromtxt(fold_dir / "predictions.csv", delimiter=",", names=True, dtype=None, encoding=None)
    columns = [name for name in saved.dtype.names if name.startswith("p_")]
    assert len(columns) == len(model.class_names)
    written = np.stack([saved[c] for c in columns], axis=1).astype(np.float64)
    np.testing.assert_allclose(pred, written, atol=2e-6)  # the CSV keeps 9 significant digits


def test_resume_refuses_another_experiment(tmp_path):
    emofuse.train(tiny_config(), run_dir=tmp_path / "run", quiet=True, report=False)
    other = tiny_config()
    other["seed"] = 6
    with pytest.raises(emofuse.DataError, match="fingerprint.json"):
        emofuse.train(other, run_dir=tmp_path / "run", resume=True, quiet=True, report=False)
