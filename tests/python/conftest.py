"""The pytest suite of the Python package. ctest runs it with PYTHONPATH=<build>/python and
EMOFUSE_CLI=<build>/src/cli/emofuse; by hand: PYTHONPATH=build/python /usr/bin/python3 -m pytest tests/python."""

import os
import sys

import pytest

_here = os.path.dirname(os.path.abspath(__file__))
_source = os.environ.get("EMOFUSE_SOURCE_DIR", os.path.dirname(os.path.dirname(_here)))
if not any(os.path.isfile(os.path.join(p, "emofuse", "__init__.py")) for p in sys.path if p):
    sys.path.insert(0, os.path.join(_source, "build", "python"))


@pytest.fixture(scope="session")
def cli():
    """The command-line tool of the same build (for parity tests)."""
    path = os.environ.get("EMOFUSE_CLI", os.path.join(_source, "build", "src", "cli", "emofuse"))
    if not os.path.isfile(path):
        pytest.skip(f"the emofuse CLI is not built at {path}")
    return path


@pytest.fixture(scope="session")
def tiny_cohort():
    """A small synthetic DMER-shaped cohort (4 subjects, 6 clips of 3 one-second samples)."""
    import emofuse

    return emofuse.data.synthetic(subjects=4, clips=6, seconds=3, seed=3)


def tiny_config(model="mlp_early", epochs=2, **training):
    """A config dict for a fast run: 3 subjects, 2 LOSO folds, one thread."""
    return {
        "name": f"py_{model}",
        "seed": 5,
        "threads": 1,
        "data": {"format": "synthetic", "subjects": 3, "clips": 4, "seconds": 2},
        "protocol": {"name": "loso", "max_folds": 2},
        "model": {"name": model},
        "training": {"epochs": epochs, "batch_size": 16, **training},
    }
