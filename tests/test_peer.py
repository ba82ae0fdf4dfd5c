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


@pytest.mark.parametrize("order", ["lo", "nlo"])
@pytest.mark.parametrize("xi", [(1.0, 1.0), (2.0, 0.5), (0.5, 2.0)])
def test_gamma_z_pieces_agree_with_hoppet(order, xi):
    """F2, FL and xF3 of every exchange piece (gamma, gamma-Z, Z) against HOPPET's, its W mass set
    from our M_Z and sin^2 theta_W; at NLO also with mu_R = xi_R Q, mu_F = xi_F Q (HOPPET's
    scale_choice_Q with xR, xF), where both codes use nf of Q in the coefficient functions."""
    from theory.dis import electroweak as ew_
    from theory.dis.structure_functions import nc_structure_functions
    from theory.qcd.scales import Scales

    if order == "lo" and xi != (1.0, 1.0):
        pytest.skip("LO has no scale logarithms beyond mu_F of the PDFs")
    ew = ew_.Electroweak()
    theory = Run.from_config(validate({"theory": {"order": order, "mode": "iterated-exact", "scheme": "vfns"}}))
    theta = theory.truth * np.where(np.arange(9) == 1, 0.97, 1.0)
    nloop = peer.setup(theory, ew=ew)
    f0, _ = theory.truth_param.moments(theory.contour.N, theta)
    x = np.array([1e-3, 0.01, 0.1, 0.3, 0.6])
    for q2 in (12.0, 150.0, 4000.0):  # mu_F^2 >= Q0^2 at every point
        hop = peer.nc_pieces(theory, theta, x, np.full(len(x), q2), nloop, *xi)
        for piece in ew_.PIECES:
            ours = nc_structure_functions(theory.setup, theory.contour, f0, x, q2, "p", ew_.piece_nc_weights(piece, ew),
                                          Scales(*xi))  # fmt: skip
            for name, a, b in zip(("F2", "FL", "xF3"), ours, hop[piece], strict=True):
                if name == "FL" and order == "lo" or name == "xF3" and piece == "gamma":
                    assert np.all(a == 0.0), (piece, name)
                    continue
                assert np.allclose(a, b, rtol=2e-5, atol=0), (q2, piece, name, a / b - 1)
