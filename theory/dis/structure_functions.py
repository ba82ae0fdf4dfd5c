"""Neutral-current (photon-exchange) structure functions F2 and FL at LO and NLO in N space.

    F_a(N) = sum_{q <= nf} e_q^2 [ C_a,q(N) q+(N, Q^2) + C_a,g(N) g(N, Q^2) ]   (see
    ``theory.qcd.coefficients`` for the normalisation: F_a(N) is the moment of F_a(x)/x),

with the PDFs evolved to mu_F^2 = Q^2, a_s at mu_R^2 = Q^2 and nf the number of active
(massless) flavours of the scheme at Q^2. The neutron is the proton with u <-> d (isospin,
``theory.qcd.flavours.target_flavours``).
"""

import numpy as np
from numba import njit

from theory.qcd import coefficients as cf
from theory.qcd.constants import CHARGES2
from theory.qcd.flavours import N_SLOTS, target_flavours
from theory.qcd.harmonics import S1, S2


@njit(cache=True)
def coefficient_vectors(N, a_s, nf, order, out2, outL):
    """Write C_2 and C_L as flavour-basis row vectors at moment N: F_a(N) = out_a . f(N)."""
    out2[:] = 0.0
    outL[:] = 0.0
    if order >= 1:
        s1 = S1(N)
        cq2 = 1.0 + a_s * cf.c2q_nlo(N, s1, S2(N))
        cg2 = a_s * cf.c2g_nlo(N, s1)
        cqL = a_s * cf.cLq_nlo(N)
        cgL = a_s * cf.cLg_nlo(N)
    else:
        cq2 = 1.0 + 0.0j
        cg2 = 0.0j
        cqL = 0.0j
        cgL = 0.0j
    for i in range(nf):
        e2 = CHARGES2[i]
        out2[1 + i] = e2 * cq2
        out2[0] += e2 * cg2
        outL[1 + i] = e2 * cqL
        outL[0] += e2 * cgL


def structure_functions(setup, contour, input_moments, x, Q2, target="p"):
    """F2 and FL at each x for one Q^2 (mu_R = mu_F = Q).

    Parameters
    ----------
    setup : theory.qcd.evolution.EvolutionSetup
    contour : theory.qcd.mellin.Contour
    input_moments : complex[n_N, 13]
        Proton PDFs at Q0 on the contour's nodes.
    x : array of float
    Q2 : float
        In GeV^2, Q2 >= Q0^2.
    target : "p" or "n"

    Returns
    -------
    (F2, FL) : arrays like x
    """
    f = setup.evolve(contour.N, target_flavours(input_moments, target), Q2)
    a_s = setup.coupling.a_s(Q2)
    nf = min(setup.scheme.nf(Q2), 6)
    c2 = np.empty(N_SLOTS, dtype=np.complex128)
    cL = np.empty(N_SLOTS, dtype=np.complex128)
    F2N = np.empty(len(contour), dtype=np.complex128)
    FLN = np.empty(len(contour), dtype=np.complex128)
    for j, N in enumerate(contour.N):
        coefficient_vectors(N, a_s, nf, setup.order, c2, cL)
        F2N[j] = c2 @ f[j]
        FLN[j] = cL @ f[j]
    x = np.atleast_1d(np.asarray(x, dtype=float))
    return x * contour.invert(x, F2N), x * contour.invert(x, FLN)
