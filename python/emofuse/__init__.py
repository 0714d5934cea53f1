"""emofuse from Python: multimodal emotion learning with a C++ core.

The same toolkit as the ``emofuse`` command-line tool, NumPy in and out:

- ``emofuse.signal``   raw physiological signals -> cleaned signals, events and features
                       (NeuroKit2's names: ``eda_process(x, sampling_rate=4)``)
- ``emofuse.data``     the loaders (DMER, LDL .mat, WESAD features, DEAP, MELD, CSV feature
                       tables, the synthetic cohort) -> a ``Dataset`` of arrays
- ``emofuse.ot``       Sinkhorn, IPOT, Gromov-Wasserstein
- ``emofuse.metrics``  every metric by name (``emofuse.metrics.chebyshev(pred, target)``)
- ``emofuse.train``    a whole experiment (a YAML config or a dict) -> its results and run folder
- ``emofuse.load_model(path).predict(inputs)`` a saved model on a dict of arrays
- ``emofuse.Estimator``  scikit-learn-style ``fit``/``predict``/``get_params``/``set_params`` for
                       every model (HeLo, the baselines, the LDL methods)

Long computations release the GIL, stop on Ctrl-C (KeyboardInterrupt) and report progress
through the ``logging`` logger "emofuse". Errors are ``emofuse.DataError`` (bad data: the message
names the file or array and the field) and ``emofuse.OptionError`` (a bad option), both
``emofuse.Error``, a ``RuntimeError``. See docs/python.md.
"""

import logging as _logging
import os as _os

# LibTorch's OpenMP threads spin while waiting unless told otherwise, which made two threads ~9x
# slower than one on a 2-core machine; libgomp reads this when the extension loads it, just below.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from . import _emofuse  # noqa: E402
from ._emofuse import DataError, Error, Model, OptionError, set_threads  # noqa: E402
from . import data, metrics, ot, signal  # noqa: E402
from .estimators import Estimator  # noqa: E402
from .run import RunResult, load_model, model_names, model_options, train  # noqa: E402

_logging.getLogger("emofuse").addHandler(_logging.NullHandler())

__version__ = "0.1.0"
__all__ = [
    "DataError",
    "Error",
    "Estimator",
    "Model",
    "OptionError",
    "RunResult",
    "data",
    "load_model",
    "metrics",
    "model_names",
    "model_options",
    "ot",
    "set_threads",
    "signal",
    "train",
]
