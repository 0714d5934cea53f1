"""What a Python user expects: logging, the GIL released, Ctrl-C stops training cleanly."""

import logging
import os
import signal
import threading
import time

import numpy as np
import pytest

import emofuse
from conftest import tiny_config


def test_progress_goes_to_logging(caplog, tmp_path):
    with caplog.at_level(logging.INFO, logger="emofuse"):
        emofuse.train(tiny_config(), run_dir=tmp_path / "run", report=False)
    messages = [r.getMessage() for r in caplog.records if r.name == "emofuse"]
    assert any(m.startswith("data: ") for m in messages)
    assert any("fold 1/2" in m for m in messages)


def test_the_gil_is_released_while_fitting(tiny_cohort):
    ticks = []
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.001)

    thread = threading.Thread(target=count)
    thread.start()
    try:
        start = len(ticks)
        emofuse.Estimator("helo", training={"epochs": 2, "batch_size": 16}, threads=1).fit(
            tiny_cohort.inputs, tiny_cohort.targets)
        during = len(ticks) - start
    finally:
        stop.set()
        thread.join()
    assert during > 20  # the other thread ran while C++ trained


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals reach the main thread")
def test_ctrl_c_stops_training_and_resume_continues(tmp_path):
    config = tiny_config("helo", epochs=60, patience=0)  # no early stop: the run lasts seconds
    timer = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        emofuse.train(config, run_dir=tmp_path / "run", quiet=True, report=False)
    timer.cancel()
    assert time.monotonic() - started < 30
    run = tmp_path / "run"
    assert not (run / "metrics.json").exists()  # no result from an interrupted run
    assert list(run.glob("folds/*/checkpoint.pt"))  # but its checkpoint, for resume
    result = emofuse.train(config, run_dir=run, resume=True, quiet=True, report=False)
    assert len(result.folds) == 2 and (run / "metrics.json").exists()
