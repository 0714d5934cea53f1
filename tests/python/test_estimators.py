"""scikit-learn's tools on emofuse estimators: clone, GroupKFold, cross_val_score."""

import numpy as np
import pytest

import emofuse

sklearn = pytest.importorskip("sklearn", reason="Debian's python3-sklearn is not installed")
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GroupKFold, cross_val_score  # noqa: E402


def test_params_follow_scikit_learn():
    est = emofuse.Estimator("aa_knn", options={"k": 5}, seed=3)
    params = est.get_params()
    assert params["model"] == "aa_knn" and params["options"] == {"k": 5} and params["seed"] == 3
    copy = clone(est)
    assert copy is not est and copy.get_params() == params
    assert est.set_params(seed=4) is est and est.seed == 4
    assert "aa_knn" in repr(est)


def test_cross_val_score_with_subject_groups(tiny_cohort):
    d = tiny_cohort
    est = emofuse.Estimator("mlp_early", training={"epochs": 2}, threads=1, seed=1)
    scores = cross_val_score(est, d.inputs, d.targets, groups=d.subjects, cv=GroupKFold(n_splits=2),
                             fit_params={"subjects": d.subjects})
    assert scores.shape == (2,)
    assert np.all(scores < 0) and np.all(scores > -1)  # minus a Chebyshev distance


def test_classical_ldl_method_on_labels_and_distributions(tiny_cohort):
    d = tiny_cohort
    x = {"gsr": d.modalities["gsr"], "ppg": d.modalities["ppg"]}
    est = emofuse.Estimator("aa_knn", options={"k": 3}).fit(x, d.targets)
    pred = est.predict(x)
    assert pred.shape == d.targets.shape
    assert emofuse.metrics.chebyshev(pred, d.targets) < emofuse.metrics.chebyshev(
        np.tile(d.targets.mean(0), (len(d), 1)), d.targets)
    names = np.array(d.class_names)[d.labels]
    by_label = emofuse.Estimator("aa_knn", options={"k": 3}).fit(x, names)
    assert set(by_label.classes_) <= set(d.class_names)
    assert by_label.predict_label(x).dtype == by_label.classes_.dtype


def test_saved_estimator_predicts_the_same(tiny_cohort, tmp_path):
    d = tiny_cohort
    est = emofuse.Estimator("helo", training={"epochs": 1, "batch_size": 32}, threads=1)
    est.fit(d.inputs, d.targets, subjects=d.subjects, class_names=d.class_names)
    est.save(tmp_path / "model")
    loaded = emofuse.load_model(tmp_path / "model")
    assert loaded.name == "helo" and loaded.class_names == d.class_names
    np.testing.assert_allclose(loaded.predict(d.modalities), est.predict(d.inputs), atol=1e-6)
    assert ("eeg", "physiological", [18, 5]) in [tuple(m) for m in loaded.modalities]
