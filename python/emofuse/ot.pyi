# Signatures of emofuse.ot (the solvers live in the compiled module; see ot.py).
from typing import Any, Dict, Optional

from numpy.typing import ArrayLike

def sinkhorn(
    cost: ArrayLike,
    a: Optional[ArrayLike] = None,
    b: Optional[ArrayLike] = None,
    epsilon: float = 0.1,
    iterations: int = 100,
    tolerance: float = 1e-6,
    epsilon_scaling: float = 1.0,
) -> Dict[str, Any]: ...
def ipot(
    cost: ArrayLike,
    a: Optional[ArrayLike] = None,
    b: Optional[ArrayLike] = None,
    beta: float = 1.0,
    outer_iterations: int = 50,
    inner_iterations: int = 1,
) -> Dict[str, Any]: ...
def gromov_wasserstein(
    c1: ArrayLike,
    c2: ArrayLike,
    a: Optional[ArrayLike] = None,
    b: Optional[ArrayLike] = None,
    regularization: float = 0.1,
    outer_iterations: int = 5,
    inner_iterations: int = 20,
    inner_solver: str = "ipot",
) -> Dict[str, Any]: ...
