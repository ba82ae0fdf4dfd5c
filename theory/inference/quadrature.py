"""Quadrature of the cut region: sigma_t = int dx dQ^2 d2sigma/dx dQ^2 over the cuts.

Outer variable u = ln x on Gauss-Legendre panels whose edges include the kinks of the lower Q^2
bound and the x where a bound crosses a flavour threshold (so every panel integrand is smooth);
inner variable v = ln Q^2 on [ln Q2_lo(x), ln Q2_hi(x)], split at the flavour thresholds (where
d2sigma has a kink in Q^2). (v converges far faster than t = 1/Q^2: 1e-13 with 8 nodes a piece
where t needs 24 for 1e-7.) Nodes (x_g, Q2_g) and weights W_g with

    sigma = sum_g W_g d2sigma(x_g, Q2_g),   W_g = w_u w_v x_g Q2_g.

tests/test_kinematics.py (test_default_quadrature_is_converged) shows the default grid converged (doubling it).
"""

import numpy as np


def cut_region_nodes(cuts, s, n_x=48, n_q2=8, panels_per_decade=1.0, q2_breaks=()):
    """Nodes and weights of the cut region: (x[g], Q2[g], W[g]).

    ``q2_breaks``: Q^2 values where the integrand has a kink (the VFNS thresholds m_h^2).
    """
    from theory.qcd.constants import M_PROTON

    x_lo, x_hi = cuts.x_range(s)
    m = cuts.w2_min - M_PROTON**2
    kinks = list(cuts.kinks(s))
    for T in q2_breaks:
        kinks += [T / (cuts.y_max * s), T / (cuts.y_min * s), T / (T + m)]
    kinks = sorted(k for k in kinks if x_lo < k < x_hi)
    edges = [np.log(x_lo), *np.log(kinks), np.log(x_hi)]
    # split long panels so each spans at most 1/panels_per_decade decades
    fine = [edges[0]]
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        pieces = max(1, int(np.ceil((b - a) / np.log(10.0) * panels_per_decade)))
        fine.extend(np.linspace(a, b, pieces + 1)[1:])
    fine = np.array(fine)
    per_panel = max(2, int(np.ceil(n_x / (len(fine) - 1))))
    tu, wu = np.polynomial.legendre.leggauss(per_panel)
    tt, wt = np.polynomial.legendre.leggauss(n_q2)
    xs, qs, ws = [], [], []
    for a, b in zip(fine[:-1], fine[1:], strict=True):
        u = 0.5 * (b - a) * tu + 0.5 * (b + a)
        w_u = 0.5 * (b - a) * wu
        x = np.exp(u)
        lower, upper = cuts.q2_interval(x, s)
        for i in range(len(x)):
            if not lower[i] < upper[i]:
                continue
            inner = sorted(np.log(T) for T in q2_breaks if lower[i] < T < upper[i])
            bounds = [np.log(lower[i]), *inner, np.log(upper[i])]
            for va, vb in zip(bounds[:-1], bounds[1:], strict=True):
                v = 0.5 * (vb - va) * tt + 0.5 * (vb + va)
                w_v = 0.5 * (vb - va) * wt
                Q2 = np.exp(v)
                xs.append(np.full(n_q2, x[i]))
                qs.append(Q2)
                ws.append(w_u[i] * w_v * x[i] * Q2)
    return np.concatenate(xs), np.concatenate(qs), np.concatenate(ws)
