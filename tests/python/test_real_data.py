"""The loaders on the real data in $EMOFUSE_DATA_DIR (default ../shared/data), when it is there:
the shapes and subjects its README gives, and a classical LDL method on s-JAFFE from Python."""

import os

import numpy as np
import pytest

import emofuse

_source = os.environ.get("EMOFUSE_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.environ.get("EMOFUSE_DATA_DIR", os.path.join(_source, "..", "shared", "data"))


def _need(path):
    full = os.path.join(DATA, path)
    if not os.path.exists(full):
        pytest.skip(f"real data not found: {full} (set EMOFUSE_DATA_DIR)")
    return full


def test_sjaffe_ldl_and_a_classical_method():
    data = emofuse.data.load_ldl(_need("ldl/SJAFFE.mat"))
    assert data.targets.shape == (213, 6) and list(data.modalities) == ["features"]
    assert data.modalities["features"].shape == (213, 243)
    np.testing.assert_allclose(data.targets.sum(axis=1), 1.0, atol=1e-5)
    train, test = np.arange(213) % 5 != 0, np.arange(213) % 5 == 0
    est = emofuse.Estimator("aa_knn").fit(data.inputs[train], data.targets[train])
    floor = np.tile(data.targets[train].mean(axis=0), (int(test.sum()), 1))
    assert emofuse.metrics.chebyshev(est.predict(data.inputs[test]), data.targets[test]) < emofuse.metrics.chebyshev(
        floor, data.targets[test])


def test_wesad_features_have_fifteen_subjects():
    data = emofuse.data.load_wesad_features(_need("wesad_features/may14_feats4.csv"))
    assert len(np.unique(data.subjects)) == 15 and len(data) == 1178
    assert "behavioural" in data.roles.values() and "physiological" in data.roles.values()


def test_deap_valence_and_arousal():
    folder = _need("deap_eeg_features")
    for task in ("valence", "arousal"):
        data = emofuse.data.load_deap(folder, task=task)
        assert len(data) == 1216 and len(np.unique(data.subjects)) == 32
        assert data.targets.shape[1] == 2
