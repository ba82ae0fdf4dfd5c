"""The DIS response as a sum of three exponentials per node (truncated NLO and LO).

In the truncated/LO solution the last segment is a sum of powers (a/a0)^r = exp(r ln(a/a0))
(``theory.kernels.response``). Expanding R_i = h_i . M_last . F in the event's own numbers
(L = ln(a_i/a0), x_i, a_i, y_i) gives, for every kernel entry,

    K_ik(N_j) = factor_i sum_{c=+,-,ns} exp(p_c(N_j) L_i - N_j ln x_i) sum_{m=0}^{4} s_m(i) C_cmk(N_j),
    s(i) = (Y+, Y+ a, Y+ a^2, -y^2 a, -y^2 a^2),   Y+ = 1 + (1 - y)^2,
    p_+ = r+, p_- = r-, p_ns = gamma_ns^(0) / beta0,

with C holding everything else (X+-, Y+-, the fixed segments F, the coefficient functions and
the node weight w_j; derivation in the docstring of ``channel_tables``). An event then costs
three complex exponentials and 3 x 5 multiply-adds per node instead of the 2x2 algebra of the
solution: what ``numba-cpu`` and ``numpy-vectorized`` evaluate. Iterated-exact NLO has no such
form (its last segment is a product of matrix exponentials) and keeps the general path.
"""

import numpy as np

from theory.qcd.evolution import solutions as sol

N_CHANNELS = 3
N_MONOMIALS = 5


def has_channel_form(tables):
    """True for LO (any mode) and truncated NLO."""
    return tables.order == 0 or tables.mode == sol.MODE_TRUNCATED


def channel_tables(tables):
    """(p[R, 3, n], C[R, 3, 5, 3, n]) complex, for region R, channel c, monomial m, component k.

    With S = P+ (X+ + a Y+) + P- (X- + a Y-), E+ = P_ns (u0 + a u1), u0 = 1 - a0 R1_ns,
    u1 = R1_ns, h0 = Y+ (1 + a c2q) - y^2 a cLq, h2 = a e2 (Y+ c2g - y^2 cLg), ebar = e2/nf:

        R_k = h0 E+ n_k + sum_{+-} P [h0 (al_k + a be_k) + h2 (ga_k + a de_k)],
        n_k = F0k - ebar F1k,   al_k = ebar (X0 F1k + X1 F2k),  be_k = ebar (Y0 F1k + Y1 F2k),
        ga_k = X2 F1k + X3 F2k,  de_k = Y2 F1k + Y3 F2k,

    and collecting powers of a, y^2 and Y+ gives the five monomials' coefficients below.
    """
    if not has_channel_form(tables):
        raise ValueError("channel form exists for LO and truncated NLO only")
    R, n = tables.pw.shape[0], tables.pw.shape[1]
    p = np.empty((R, N_CHANNELS, n), dtype=np.complex128)
    C = np.empty((R, N_CHANNELS, N_MONOMIALS, 3, n), dtype=np.complex128)
    c2q, c2g, cLq, cLg = (tables.coef[:, i] for i in range(4))
    w = tables.w
    for r in range(R):
        e2 = tables.e2sum[r]
        ebar = e2 / tables.nf[r]
        F = tables.F[r]  # [n, 3, 3]
        XY = tables.XY[r]  # [n, 4, 4]: X+, Y+, X-, Y-
        pw = tables.pw[r]
        p[r, 0], p[r, 1], p[r, 2] = pw[:, 0], pw[:, 1], pw[:, 2]
        for ch, (ix, iy) in enumerate(((0, 1), (2, 3))):
            X, Y = XY[:, ix, :], XY[:, iy, :]
            al = ebar * (X[:, 0, None] * F[:, 1, :] + X[:, 1, None] * F[:, 2, :])  # [n, 3]
            be = ebar * (Y[:, 0, None] * F[:, 1, :] + Y[:, 1, None] * F[:, 2, :])
            ga = X[:, 2, None] * F[:, 1, :] + X[:, 3, None] * F[:, 2, :]
            de = Y[:, 2, None] * F[:, 1, :] + Y[:, 3, None] * F[:, 2, :]
            C[r, ch, 0] = al.T
            C[r, ch, 1] = (be + c2q[:, None] * al + e2 * c2g[:, None] * ga).T
            C[r, ch, 2] = (c2q[:, None] * be + e2 * c2g[:, None] * de).T
            C[r, ch, 3] = (cLq[:, None] * al + e2 * cLg[:, None] * ga).T
            C[r, ch, 4] = (cLq[:, None] * be + e2 * cLg[:, None] * de).T
        nk = F[:, 0, :] - ebar * F[:, 1, :]  # [n, 3]
        u1 = pw[:, 3]
        u0 = 1.0 - tables.a0[r] * u1
        C[r, 2, 0] = (u0[:, None] * nk).T
        C[r, 2, 1] = ((u1 + u0 * c2q)[:, None] * nk).T
        C[r, 2, 2] = ((u1 * c2q)[:, None] * nk).T
        C[r, 2, 3] = ((u0 * cLq)[:, None] * nk).T
        C[r, 2, 4] = ((u1 * cLq)[:, None] * nk).T
    C *= w
    return p, C


def event_monomials(a, y):
    """(Y+, Y+ a, Y+ a^2, -y^2 a, -y^2 a^2) of one event, or of arrays of events. Plain
    arithmetic: the Numba and CUDA kernels compile this very function (``monomials`` is the
    numpy form)."""
    yp = 1.0 + (1.0 - y) ** 2
    y2 = y * y
    return yp, yp * a, yp * a * a, -y2 * a, -y2 * a * a


def monomials(a, y):
    """s[..., 5] = ``event_monomials`` of arrays of events."""
    return np.stack(event_monomials(np.asarray(a, dtype=float), np.asarray(y, dtype=float)), axis=-1)


def rows_by_target_region(target, region, n_regions):
    """(perm, key): the rows in (target, region) order, stable, and their sorted keys
    target * n_regions + region (blocks that share their channel coefficients are contiguous)."""
    key = np.asarray(target) * n_regions + np.asarray(region)
    perm = np.argsort(key, kind="stable")
    return perm, key[perm]
