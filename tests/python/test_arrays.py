"""Arrays cross the boundary with their dtype and shape; datasets come back complete."""

import numpy as np
import pytest

import emofuse


def test_dataset_arrays_keep_dtype_and_shape(tiny_cohort):
    d = tiny_cohort
    assert len(d) == 4 * 6 * 3
    assert set(d.modalities) == {"eeg", "gsr", "ppg", "video"}
    assert d.modalities["eeg"].shape == (len(d), 18, 5)
    assert d.modalities["eeg"].dtype == np.float32
    assert d.roles["eeg"] == "physiological" and d.roles["video"] == "behavioural"
    assert d.targets.dtype == np.float32 and d.targets.shape == (len(d), len(d.class_names))
    np.testing.assert_allclose(d.targets.sum(axis=1), 1.0, atol=1e-5)
    assert d.labels.dtype == np.int64 and d.subjects.dtype == np.int64 and d.trials.dtype == np.int64
    assert sorted(np.unique(d.subjects)) == [0, 1, 2, 3]
    assert d.ceiling is not None and "chebyshev" in d.ceiling
    np.testing.assert_array_equal(d.labels, d.targets.argmax(axis=1))


def test_inputs_index_like_arrays(tiny_cohort):
    rows = np.array([5, 0, 7])
    part = tiny_cohort.inputs[rows]
    assert len(part) == 3 and part.shape == (3,)
    np.testing.assert_array_equal(part.arrays["gsr"], tiny_cohort.modalities["gsr"][rows])
    assert part.roles == tiny_cohort.roles


def test_metrics_accept_any_float_dtype_and_lists():
    p = np.array([[0.5, 0.5], [1.0, 0.0]], dtype=np.float32)
    t = [[0.25, 0.75], [1.0, 0.0]]
    values = emofuse.metrics.per_sample("chebyshev", p, t)
    assert values.dtype == np.float64 and values.shape == (2,)
    np.testing.assert_allclose(values, [0.25, 0.0], atol=1e-7)
    assert emofuse.metrics.chebyshev(p.astype(np.float64), t) == pytest.approx(0.125)
    assert emofuse.metrics.intersection(p, t) == pytest.approx((0.75 + 1.0) / 2)


def test_predictions_are_float32_rows_summing_to_one(tiny_cohort):
    est = emofuse.Estimator("mlp_early", training={"epochs": 1}, threads=1)
    est.fit(tiny_cohort.inputs, tiny_cohort.targets, subjects=tiny_cohort.subjects)
    pred = est.predict(tiny_cohort.inputs[:10])
    assert pred.dtype == np.float32 and pred.shape == (10, len(tiny_cohort.class_names))
    np.testing.assert_allclose(pred.sum(axis=1), 1.0, atol=1e-5)


def test_converted_inputs_predict_as_the_originals(tiny_cohort):
    """float64 (or non-contiguous) inputs are converted to float32 copies, which must live as long
    as the prediction reads them: the same distributions as float32 inputs."""
    est = emofuse.Estimator("mlp_early", training={"epochs": 1}, threads=1)
    est.fit(tiny_cohort.inputs, tiny_cohort.targets)
    as_float64 = {name: x.astype(np.float64) for name, x in tiny_cohort.modalities.items()}
    reversed_rows = {name: x[::-1] for name, x in tiny_cohort.modalities.items()}  # negative strides
    expected = est.predict(tiny_cohort.inputs)
    np.testing.assert_allclose(est.predict(as_float64), expected, atol=1e-6)
    np.testing.assert_allclose(est.predict(reversed_rows), expected[::-1], atol=1e-6)
