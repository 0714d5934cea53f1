"""The signal functions and OT solvers from Python, on signals and problems with known answers."""

import numpy as np
import pytest

import emofuse


def test_ppg_peaks_and_rate_of_a_simulated_pulse():
    ppg, true_peaks = emofuse.signal.ppg_simulate(60.0, 64.0, heart_rate=75.0, noise=0.02, seed=1)
    signals, info = emofuse.signal.ppg_process(ppg, sampling_rate=64)
    assert set(signals) == {"PPG_Clean", "PPG_Rate"}
    assert signals["PPG_Clean"].shape == ppg.shape
    assert info["PPG_Peaks"].dtype == np.int64
    assert abs(len(info["PPG_Peaks"]) - len(true_peaks)) <= 2
    assert np.nanmedian(signals["PPG_Rate"]) == pytest.approx(75.0, rel=0.08)
    features = emofuse.signal.ppg_features(ppg, sampling_rate=64)
    assert len(features) == 27 and all(name.startswith("PPG_") for name in features)
    hrv = emofuse.signal.hrv(info["PPG_Peaks"], sampling_rate=64)
    assert hrv["HRV_MeanNN"] == pytest.approx(60000.0 / 75.0, rel=0.08)


def test_eda_process_finds_responses_and_features_match_names():
    fs = 4.0  # the Empatica E4's rate (WESAD's wrist): cleaning leaves the signal as it is
    t = np.arange(0, 60, 1 / fs)
    eda = 2.0 + 0.01 * t
    onsets = np.array([10.0, 30.0, 45.0])
    for onset in onsets:  # three skin conductance responses, bi-exponential, peak ~0.41 uS at onset + 1.8 s
        s = np.clip(t - onset, 0, None)
        eda += 0.5 * (np.exp(-s / 3.75) - np.exp(-s / 1.0)) / 0.58
    signals, info = emofuse.signal.eda_process(eda, sampling_rate=fs)
    assert set(signals) == {"EDA_Clean", "EDA_Tonic", "EDA_Phasic"}
    np.testing.assert_allclose(signals["EDA_Tonic"] + signals["EDA_Phasic"], signals["EDA_Clean"], atol=1e-9)
    np.testing.assert_allclose(info["SCR_Onsets"] / fs, onsets, atol=0.25)
    np.testing.assert_allclose(info["SCR_Peaks"] / fs, onsets + 1.8, atol=0.5)
    np.testing.assert_allclose(info["SCR_Amplitude"], 0.41, atol=0.03)
    features = emofuse.signal.eda_features(eda, sampling_rate=fs)
    assert len(features) == 28 and features["EDA_SCR_Peaks_N"] == 3


def test_filter_resample_psd():
    fs = 100.0
    t = np.arange(0, 10, 1 / fs)
    x = np.sin(2 * np.pi * 2 * t) + np.sin(2 * np.pi * 30 * t)
    low = emofuse.signal.signal_filter(x, sampling_rate=fs, highcut=5)
    assert np.std(low[100:-100] - np.sin(2 * np.pi * 2 * t[100:-100])) < 0.02
    assert emofuse.signal.signal_resample(x, fs, 50).shape == (500,)
    freq, power = emofuse.signal.signal_psd(x, sampling_rate=fs)
    assert freq[np.argmax(power)] == pytest.approx(2.0, abs=0.5) or freq[np.argmax(power)] == pytest.approx(30, abs=0.5)


def test_sinkhorn_and_ipot_recover_a_permutation():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 3))
    perm = np.array([3, 0, 4, 1, 2])
    cost = ((x[:, None, :] - x[perm][None, :, :]) ** 2).sum(-1)
    for result in (emofuse.ot.sinkhorn(cost, epsilon=0.01), emofuse.ot.ipot(cost, outer_iterations=200)):
        plan = result["plan"]
        assert plan.shape == (5, 5) and plan.dtype == np.float64
        np.testing.assert_allclose(plan.sum(axis=0), 0.2, atol=1e-5)
        np.testing.assert_array_equal(plan.argmax(axis=1), np.argsort(perm))
        assert result["transport_cost"] == pytest.approx(0.0, abs=1e-3)


def test_gromov_wasserstein_of_a_space_with_itself_is_zero():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(6, 2))
    c = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))
    result = emofuse.ot.gromov_wasserstein(c, c, outer_iterations=10)
    assert result["plan"].shape == (6, 6)
    np.testing.assert_allclose(result["plan"].sum(axis=1), 1 / 6, atol=1e-4)
    assert result["distance"] < 0.05
    batched = emofuse.ot.sinkhorn(np.stack([c, 2 * c]))
    assert batched["plan"].shape == (2, 6, 6)
    with pytest.raises(emofuse.DataError, match="square"):
        emofuse.ot.gromov_wasserstein(c[:, :5], c)
