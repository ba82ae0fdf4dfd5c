"""The Les Houches toy input (Giele et al., hep-ph/0204316, Sect. 1.3; Dittmar et al.,
hep-ph/0511119, Eq. 4.1), at mu0^2 = 2 GeV^2 with alpha_s(mu0) = 0.35:

    x u_v = 5.107200 x^0.8 (1-x)^3        x d_v = 3.064320 x^0.8 (1-x)^4
    x g   = 1.7 x^-0.1 (1-x)^5            x dbar = 0.1939875 x^-0.1 (1-x)^6
    x ubar = (1-x) x dbar                 x s = x sbar = 0.2 x (ubar + dbar),   c = b = 0.

In N space each is a Beta function: int x^(N-1) x^(a-1) (1-x)^b dx = B(N + a - 1, b + 1).
"""

import math

import numpy as np
from numba import njit

from ..special import beta

MU0_2 = 2.0
ALPHA_S0 = 0.35
MASSES = (math.sqrt(2.0), 4.5, 175.0)


@njit(cache=True)
def _moments(N, out):
    uv = 5.1072 * beta(N - 0.2, 4.0)
    dv = 3.06432 * beta(N - 0.2, 5.0)
    g = 1.7 * beta(N - 1.1, 6.0)
    dbar = 0.1939875 * beta(N - 1.1, 7.0)
    ubar = 0.1939875 * beta(N - 1.1, 8.0)
    s = 0.2 * (ubar + dbar)
    out[:] = 0.0
    out[0] = g
    out[1] = dv + 2.0 * dbar
    out[2] = uv + 2.0 * ubar
    out[3] = 2.0 * s
    out[7] = dv
    out[8] = uv


def moments(Ns):
    """The toy input's flavour vectors f(N_j) at mu0, complex[len(Ns), 13]."""
    Ns = np.atleast_1d(np.asarray(Ns, dtype=np.complex128))
    out = np.zeros((Ns.shape[0], 13), dtype=np.complex128)
    for j in range(Ns.shape[0]):
        _moments(Ns[j], out[j])
    return out


def lha_combinations(flavours):
    """The LHA table's combinations from flavour-basis values (last axis 13), in table order.

    Returns an array with last axis (u_v, d_v, L_m, L_p, s_p, c_p, b_p, g): u - ubar, d - dbar,
    dbar - ubar, 2 (ubar + dbar), s + sbar, c + cbar, b + bbar, g (multiply by x for x f).
    """
    f = np.asarray(flavours)
    dp, up, sp, cp, bp = (f[..., i] for i in range(1, 6))
    dm, um = f[..., 7], f[..., 8]
    ubar = 0.5 * (up - um)
    dbar = 0.5 * (dp - dm)
    return np.stack([um, dm, dbar - ubar, 2.0 * (ubar + dbar), sp, cp, bp, f[..., 0]], axis=-1)


LHA_LABELS = ("u_v", "d_v", "L_m", "L_p", "s_p", "c_p", "b_p", "g")
