"""Our NLO F2 and FL against HOPPET's (x-space evolution and coefficient functions): an
independent code for the whole chain (alpha_s, DGLAP with VFNS thresholds, coefficient functions)."""

import numpy as np
import pytest

pytest.importorskip("hoppet")

from theory.dis.structure_functions import structure_functions  # noqa: E402
from theory.inference.run import Run  # noqa: E402
from theory.pipeline import peer  # noqa: E402
from theory.pipeline.config import validate  # noqa: E402


@pytest.mark.parametrize("order", ["lo", "nlo"])
def test_f2_fl_agree_with_hoppet(order):
    theory = Run.from_config(validate({"theory": {"order": order, "mode": "iterated-exact", "scheme": "vfns"}}))
    theta = theory.truth * np.where(np.arange(9) == 5, 1.03, 1.0)  # not the default shapes only
    nloop = peer.setup(theory)
    f0, _ = theory.truth_param.moments(theory.contour.N, theta)
    for q2 in (5.0, 100.0, 5000.0):
        x = np.array([1e-3, 0.01, 0.1, 0.3, 0.6])
        F2h, FLh = peer.structure_functions(theory, theta, x, np.full(len(x), q2), nloop)
        F2, FL = structure_functions(theory.setup, theory.contour, f0, x, q2, "p")
        assert np.allclose(F2, F2h, rtol=2e-5, atol=0), (q2, F2 / F2h - 1)
        if order == "nlo":
            assert np.allclose(FL, FLh, rtol=2e-5, atol=0), (q2, FL / FLh - 1)
