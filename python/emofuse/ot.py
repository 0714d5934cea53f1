"""Optimal transport: entropic Sinkhorn (log domain), IPOT (exact OT), Gromov-Wasserstein.

Costs are [n, m] arrays (or a batch [B, n, m]); marginals ``a`` [n] and ``b`` [m] default to
uniform. Each returns a dict with the transport ``plan`` and the solver's figures; docs/ot.md
gives the mathematics and the options.

>>> ot.sinkhorn(cost, epsilon=0.05)["plan"]
>>> ot.gromov_wasserstein(c1, c2)["distance"]
"""

from ._emofuse.ot import gromov_wasserstein, ipot, sinkhorn  # noqa: F401

__all__ = ["gromov_wasserstein", "ipot", "sinkhorn"]
