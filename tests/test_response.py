"""The reduced DIS response against the full 13x13 flavour route and the x-space formula."""

import numpy as np
import pytest

from theory.dis.cross_section import d2sigma_dxdQ2
from theory.dis.structure_functions import structure_functions
from theory.kernels.response import EventConstants, ResponseTables, build_kernel
from theory.pdfs.stats2 import NAMES, Stats2
from theory.qcd.evolution import EvolutionSetup
from theory.qcd.flavours import reduced_table, stack
from theory.qcd.mellin import Contour

X = np.array([1e-3, 0.01, 0.1, 0.5, 0.8, 0.3, 0.05])
Q2 = np.array([2.5, 10.0, 50.0, 300.0, 5000.0, 30000.0, 2.0])


@pytest.mark.parametrize("order", ["lo", "nlo"])
@pytest.mark.parametrize("mode", ["truncated", "iterated-exact"])
@pytest.mark.parametrize("scheme", ["vfns", "ffns4"])
def test_kernel_reproduces_structure_function_route(order, mode, scheme):
    setup = EvolutionSetup(order, mode, scheme)
    contour = Contour()
    tables = ResponseTables(setup, contour, q2_max=1e5)
    ev = EventConstants(tables, X, Q2, 140.0)
    K = build_kernel(tables.arrays(), ev.arrays())
    param = Stats2(free=NAMES)
    f, _ = param.moments(contour.N, param.truth)
    for target in ("p", "n"):
        ds = np.imag(np.einsum("ikj,jk->i", K, stack(reduced_table(target), f)))
        ref = []
        for x, q2 in zip(X, Q2, strict=True):
            F2, FL = structure_functions(setup, contour, f, [x], q2, target)
            ref.append(d2sigma_dxdQ2(x, q2, F2[0], FL[0], 140.0**2))
        assert np.allclose(ds, ref, rtol=1e-12, atol=0)
