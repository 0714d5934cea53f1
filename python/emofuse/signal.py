"""Physiological signals, with NeuroKit2's names and return shapes.

``<signal>_process(x, sampling_rate)`` returns ``(signals, info)``: ``signals`` a dict of arrays
as long as the input (``EDA_Clean``, ``EDA_Tonic``, ``EDA_Phasic``; ``PPG_Clean``, ``PPG_Rate``;
...), ``info`` a dict of event sample indices (``SCR_Peaks``, ``PPG_Peaks``, ``ECG_R_Peaks``,
``RSP_Peaks``...) and the sampling rate. ``<signal>_features(x, sampling_rate)`` returns the
window features of the whole input as a dict, with the names ``emofuse features`` writes for a
window (docs/signals.md). The computations are those of the C++ signal library, which the
command-line feature extraction uses.

>>> signals, info = eda_process(eda, sampling_rate=4)
>>> eda_features(eda, sampling_rate=4)["EDA_SCR_Peaks_N"]

Also here: ``simulate_wesad`` (raw recordings in the WESAD layout, simulated) and
``extract_wesad_features`` (``emofuse features --dataset wesad``), ``ppg_simulate``.
"""

from ._emofuse.signal import (  # noqa: F401
    acc_features,
    ecg_features,
    ecg_process,
    eda_features,
    extract_wesad_features,
    eda_process,
    hrv,
    ppg_features,
    ppg_process,
    ppg_simulate,
    rsp_features,
    rsp_process,
    signal_filter,
    signal_psd,
    signal_resample,
    simulate_wesad,
    temp_features,
)

__all__ = [
    "acc_features",
    "ecg_features",
    "ecg_process",
    "eda_features",
    "eda_process",
    "extract_wesad_features",
    "hrv",
    "ppg_features",
    "ppg_process",
    "ppg_simulate",
    "rsp_features",
    "rsp_process",
    "signal_filter",
    "signal_psd",
    "signal_resample",
    "simulate_wesad",
    "temp_features",
]
