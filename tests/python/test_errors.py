"""Bad input raises emofuse's exceptions, with the messages the CLI prints."""

import numpy as np
import pytest

import emofuse
from conftest import tiny_config


def test_exception_hierarchy():
    assert issubclass(emofuse.DataError, emofuse.Error)
    assert issubclass(emofuse.OptionError, emofuse.Error)
    assert issubclass(emofuse.Error, RuntimeError)


def test_unknown_model_is_an_option_error():
    with pytest.raises(emofuse.OptionError, match="model.name"):
        emofuse.Estimator("no_such_model").fit({"x": np.zeros((4, 2))}, [0, 1, 0, 1])


def test_unknown_config_key_is_an_option_error(tmp_path):
    config = tiny_config()
    config["training"]["epochz"] = 3
    with pytest.raises(emofuse.OptionError, match="epochz"):
        emofuse.train(config, run_dir=tmp_path / "run")
    assert not (tmp_path / "run").exists()  # nothing half-written


def test_missing_data_names_the_path(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(emofuse.Error, match="nowhere"):
        emofuse.data.load(missing)


def test_bad_ldl_file_is_a_data_error(tmp_path):
    bad = tmp_path / "broken.mat"
    bad.write_bytes(b"MATLAB 5.0 MAT-file, but not really" + bytes(200))
    with pytest.raises(emofuse.DataError, match="broken.mat"):
        emofuse.data.load_ldl(bad)


def test_metric_shapes_must_agree():
    with pytest.raises(emofuse.DataError, match="targets"):
        emofuse.metrics.chebyshev(np.full((3, 2), 0.5), np.full((3, 4), 0.25))
    with pytest.raises(emofuse.DataError, match="predictions"):
        emofuse.metrics.per_sample("kl", ["a", "b"], [[1.0]])
    with pytest.raises(emofuse.OptionError, match="metric"):
        emofuse.metrics.per_sample("no_metric", np.eye(2), np.eye(2))


def test_signal_input_is_checked():
    with pytest.raises(emofuse.OptionError, match="sampling_rate"):
        emofuse.signal.eda_process(np.ones(100), sampling_rate=0)
    x = np.ones(100)
    x[40] = np.nan
    with pytest.raises(emofuse.DataError, match="sample 40"):
        emofuse.signal.eda_process(x, sampling_rate=4)
    with pytest.raises(emofuse.DataError, match="1-D"):
        emofuse.signal.ppg_process(np.ones((10, 2)), sampling_rate=64)


def test_predict_names_a_missing_or_unknown_modality(tiny_cohort):
    est = emofuse.Estimator("mlp_early", training={"epochs": 1}, threads=1).fit(tiny_cohort.inputs, tiny_cohort.targets)
    arrays = dict(tiny_cohort.modalities)
    del arrays["ppg"]
    with pytest.raises(emofuse.DataError, match="missing modality 'ppg'"):
        est.predict(arrays)
    arrays = dict(tiny_cohort.modalities, extra=np.zeros((len(tiny_cohort), 2)))
    with pytest.raises(emofuse.DataError, match="unknown modality 'extra'"):
        est.predict(arrays)
    with pytest.raises(emofuse.DataError, match="rows"):
        est.predict({k: v[: 5 if k == "eeg" else 6] for k, v in tiny_cohort.modalities.items()})


def test_bad_targets_and_labels():
    x = {"x": np.random.default_rng(0).normal(size=(6, 3))}
    with pytest.raises(emofuse.DataError):
        emofuse.Estimator("aa_knn").fit(x, np.full((6, 2), 0.9))  # rows do not sum to one
    with pytest.raises(emofuse.DataError, match="whole number"):
        emofuse.Estimator("aa_knn").fit(x, [0, 1, 0, 1, 0, 1], subjects=[0, 0.5, 1, 1, 2, 2])
    est = emofuse.Estimator("aa_knn").fit(x, ["a", "b", "a", "b", "a", "b"])
    with pytest.raises(emofuse.DataError, match="not seen in fit"):
        est.score(x, ["a", "b", "c", "a", "b", "a"])
    with pytest.raises(emofuse.Error, match="not fitted"):
        emofuse.Estimator("aa_knn").predict(x)


def test_unknown_estimator_parameter():
    with pytest.raises(emofuse.OptionError, match="epochs"):
        emofuse.Estimator().set_params(epochs=3)
