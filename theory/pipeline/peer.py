"""HOPPET (x-space evolution and structure functions; Salam & Rojo, arXiv:0804.3755) as a peer:
the same stats2 input evolved by HOPPET, F2, FL (and xF3, gamma/Z pieces) compared with ours and
timed per parameter set.

Optional (``pip install '.[peer]'``). HOPPET evolves exactly (iterated) at NLO, so compare with
our ``iterated-exact`` mode; its default grid (dy = 0.1) is accurate to ~1e-6.
"""

import math
import time

import numpy as np


def _x_space(theory, theta):
    """x f(x) at Q0 in HOPPET's order (tbar, bbar, cbar, sbar, ubar, dbar, g, d, u, s, c, b, t)."""
    from scipy.special import beta

    uv_a, uv_b, dv_a, dv_b, sea_A, sea_a, sea_b, g_a, g_b = theta
    f2, _ = theory.truth_param.moments(np.array([2.0 + 0.0j]), theta)
    mq = float(f2[0, 1:7].sum().real)
    kappa = theory.truth_param.kappa

    def pdf(x, _Q):
        uv = 2.0 * x**uv_a * (1 - x) ** uv_b / beta(uv_a + 1, uv_b + 1)
        dv = x**dv_a * (1 - x) ** dv_b / beta(dv_a + 1, dv_b + 1)
        S = sea_A * x**sea_a * (1 - x) ** sea_b
        g = (1 - mq) * x**g_a * (1 - x) ** g_b / beta(g_a + 2, g_b + 1)
        out = np.zeros(13)
        out[3] = out[9] = x * kappa * S
        out[4] = out[5] = x * S
        out[6] = x * g
        out[7] = x * (dv + S)
        out[8] = x * (uv + S)
        return out

    return pdf


def setup(theory, dy=0.1, ew=None):
    """Start HOPPET for a Theory (order, VFNS masses, alpha_s at Q0); cached evolution prepared.
    With ``ew`` (``theory.dis.electroweak.Electroweak``) its gamma/Z structure functions use the same
    M_Z and, through M_W = M_Z sqrt(1 - s_W^2), the same sin^2 theta_W."""
    import hoppet

    s = theory.setup
    nloop = s.order + 1
    q0 = math.sqrt(s.mu0_2)
    hoppet.Start(dy, nloop)
    hoppet.SetPoleMassVFN(*s.scheme.masses)
    hoppet.PreEvolve(s.coupling.alpha_s(s.mu0_2), q0, nloop, 1.0, q0)
    if ew is None:
        hoppet.StartStrFct(nloop)
    else:
        hoppet.StartStrFctExtended(nloop, -1, hoppet.scale_choice_Q, 0.0, False, float(ew.m_w), ew.m_z)
    return nloop


def nc_pieces(theory, theta, x, Q2, nloop, xi_r=1.0, xi_f=1.0):
    """{piece: (F2, FL, xF3)} of the proton from HOPPET for the exchange pieces gamma, gZ and Z
    (``theory.dis.electroweak.PIECES``) at the points (x, Q2), mu_R = xi_R Q and mu_F = xi_F Q;
    FL = F2 - 2x F1 and xF3 = x F3 from HOPPET's F1, F2, F3."""
    import hoppet

    hoppet.CachedEvolve(_x_space(theory, theta))
    hoppet.InitStrFct(nloop, False, xi_r, xi_f)
    index = {"gamma": (hoppet.iF1EM, hoppet.iF2EM, None), "gZ": (hoppet.iF1gZ, hoppet.iF2gZ, hoppet.iF3gZ),
             "Z": (hoppet.iF1Z, hoppet.iF2Z, hoppet.iF3Z)}  # fmt: skip
    out = {piece: np.zeros((3, len(x))) for piece in index}
    for i, (xi, q2) in enumerate(zip(x, Q2, strict=True)):
        q = math.sqrt(q2)
        res = hoppet.StrFct(xi, q, xi_r * q, xi_f * q)
        for piece, (i1, i2, i3) in index.items():
            out[piece][0, i] = res[i2]
            out[piece][1, i] = res[i2] - 2.0 * xi * res[i1]
            out[piece][2, i] = 0.0 if i3 is None else xi * res[i3]
    return {piece: tuple(values) for piece, values in out.items()}


def structure_functions(theory, theta, x, Q2, nloop):
    """(F2, FL) of the proton from HOPPET at the points (x, Q2), mu_R = mu_F = Q."""
    import hoppet

    hoppet.CachedEvolve(_x_space(theory, theta))
    hoppet.InitStrFct(nloop, False, 1.0, 1.0)
    F2 = np.empty(len(x))
    FL = np.empty(len(x))
    for i, (xi, q2) in enumerate(zip(x, Q2, strict=True)):
        q = math.sqrt(q2)
        res = hoppet.StrFct(xi, q, q, q)
        F2[i] = res[hoppet.iF2EM]
        FL[i] = F2[i] - 2.0 * xi * res[hoppet.iF1EM]
    return F2, FL


def time_per_set(theory, thetas, x, Q2):
    """Seconds per parameter set for HOPPET to re-evolve and give F2, FL at every (x, Q2)."""
    nloop = setup(theory)
    structure_functions(theory, thetas[0], x[:5], Q2[:5], nloop)
    t0 = time.perf_counter()
    for theta in thetas:
        structure_functions(theory, theta, x, Q2, nloop)
    return (time.perf_counter() - t0) / len(thetas)
