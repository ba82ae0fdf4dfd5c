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

from theory.qcd.flavours import D_MINUS, D_PLUS, N_SLOTS, S_PLUS, U_MINUS, U_PLUS, G
from theory.qcd.special import beta

MU0_2 = 2.0
ALPHA_S0 = 0.35
MASSES = (math.sqrt(2.0), 4.5, 175.0)
REFERENCE_TABLES = {
    ("lo", "ffns4"): "LO_FFNS",
    ("lo", "vfns"): "LO_VFNS",
    ("nlo", "ffns4"): "NLO_FFNS",
    ("nlo", "vfns"): "NLO_VFNS",
}
"""The (order, scheme) settings of the Les Houches reference tables (data/refdata/lha_evolution.json,
its ``results`` keys): what ``lha.orders`` and ``lha.schemes`` of the config may name."""


@njit(cache=True)
def _moments(N, out):
    uv = 5.1072 * beta(N - 0.2, 4.0)
    dv = 3.06432 * beta(N - 0.2, 5.0)
    g = 1.7 * beta(N - 1.1, 6.0)
    dbar = 0.1939875 * beta(N - 1.1, 7.0)
    ubar = 0.1939875 * beta(N - 1.1, 8.0)
    s = 0.2 * (ubar + dbar)
    out[:] = 0.0
    out[G] = g
    out[D_PLUS] = dv + 2.0 * dbar
    out[U_PLUS] = uv + 2.0 * ubar
    out[S_PLUS] = 2.0 * s
    out[D_MINUS] = dv
    out[U_MINUS] = uv


def moments(Ns):
    """The toy input's flavour vectors f(N_j) at mu0, complex[len(Ns), 13]."""
    Ns = np.atleast_1d(np.asarray(Ns, dtype=np.complex128))
    out = np.zeros((Ns.shape[0], N_SLOTS), dtype=np.complex128)
    for j in range(Ns.shape[0]):
        _moments(Ns[j], out[j])
    return out
