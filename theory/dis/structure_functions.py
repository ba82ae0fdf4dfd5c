"""Neutral-current structure functions F2, FL and xF3 at LO and NLO in N space.

For per-quark weights b_q (on q+ = q + qbar: F2 and FL) and d_q (on q- = q - qbar: xF3), from
``theory.dis.electroweak`` (photon exchange: b_q = e_q^2, d_q = 0),

    F_a(N)   = sum_{q <= nf} b_q [ C_a,q(N) q+(N, mu_F^2) + C_a,g(N) g(N, mu_F^2) ],   a = 2, L,
    xF_3(N)  = sum_{q <= nf} d_q C_3,q(N) q-(N, mu_F^2),

(see ``theory.qcd.coefficients`` for the normalisation: F_a(N) is the moment of F_a(x)/x), with
a_s at mu_R^2 and the factorisation-scale logarithms of ``theory.qcd.scales``:

    C_a,q = C_a^(0) + a [ c_a,q^(1) + L_F C_a^(0) gamma_ns^(0) ],
    C_a,g = a [ c_a,g^(1) + L_F C_a^(0) gamma_qg^(0) / nf ],       L_F = ln(mu_F^2 / Q^2),

(C_2^(0) = C_3^(0) = 1, C_L^(0) = 0; at LO gamma_qq = gamma_ns, and q- evolves with gamma_ns as
well), nf the active (massless) flavours of the scheme at Q^2. The neutron is the proton with
u <-> d (isospin, ``theory.qcd.flavours.target_flavours``); the deuteron is (p + n)/2 per nucleon
times an optional nuclear correction R(x) (``theory.dis.nuclear``).
"""

import numpy as np
from numba import njit

from theory.dis import electroweak as ew_
from theory.dis.nuclear import NuclearCorrection
from theory.qcd import coefficients as cf
from theory.qcd.anomalous_dimensions import lo
from theory.qcd.constants import CHARGES2
from theory.qcd.flavours import ALL_TARGETS, COMPOSITES, N_QUARKS, N_SLOTS, target_flavours
from theory.qcd.harmonics import S1, S2
from theory.qcd.scales import Scales

STRUCTURE_FUNCTIONS = ("F2", "FL", "xF3")
"""The generalised structure functions, in the order every function here returns them."""
PHOTON = ew_.NCWeights(np.array(CHARGES2), np.zeros(N_QUARKS))
"""One-photon exchange: e_q^2 on q+, nothing on q- (xF3 = 0)."""


@njit(cache=True)
def coefficient_vectors(N, a_s, nf, order, log_f, plus, minus, out2, outL, out3):
    """Write C_2, C_L and C_3 as flavour-basis row vectors at moment N: F_a(N) = out_a . f(N),
    for quark weights plus[6] (F2, FL) and minus[6] (xF3) and L_F = log_f."""
    out2[:] = 0.0
    outL[:] = 0.0
    out3[:] = 0.0
    if order >= 1:
        s1 = S1(N)
        s2 = S2(N)
        g_ns = lo.gamma_ns(N, s1)
        g_qg = lo.gamma_qg(N, 1.0)  # per flavour: gamma_qg^(0) / nf
        cq2 = 1.0 + a_s * (cf.c2q_nlo(N, s1, s2) + log_f * g_ns)
        cg2 = a_s * (cf.c2g_nlo(N, s1) + log_f * g_qg)
        cqL = a_s * cf.cLq_nlo(N)
        cgL = a_s * cf.cLg_nlo(N)
        cq3 = 1.0 + a_s * (cf.c3q_nlo(N, s1, s2) + log_f * g_ns)
    else:
        cq2 = 1.0 + 0.0j
        cg2 = 0.0j
        cqL = 0.0j
        cgL = 0.0j
        cq3 = 1.0 + 0.0j
    for i in range(nf):
        out2[1 + i] = plus[i] * cq2
        out2[0] += plus[i] * cg2
        outL[1 + i] = plus[i] * cqL
        outL[0] += plus[i] * cgL
        out3[1 + N_QUARKS + i] = minus[i] * cq3


def _nucleon(setup, contour, input_moments, x, Q2, target, weights, scales):
    """(F2, FL, xF3) of one nucleon at each x for one Q^2: [..., n_x, 3] for input moments
    [..., n_N, 13] (parameter sets may lead)."""
    mu_r2, mu_f2 = scales.mu2(Q2, setup.mu0_2)
    f = setup.evolve(contour.N, target_flavours(input_moments, target), mu_f2)
    a_s = setup.coupling.a_s(mu_r2)
    nf = min(setup.scheme.nf(Q2), 6)
    log_f = float(np.log(mu_f2 / Q2))
    plus = np.ascontiguousarray(weights.plus, dtype=float)
    minus = np.ascontiguousarray(weights.minus, dtype=float)
    rows = np.empty((len(contour), 3, N_SLOTS), dtype=np.complex128)
    for j, N in enumerate(contour.N):
        coefficient_vectors(N, a_s, nf, setup.order, log_f, plus, minus, rows[j, 0], rows[j, 1], rows[j, 2])
    moments = np.einsum("jkc,...jc->...jk", rows, f)
    return x[:, None] * contour.invert(x, moments)


def nc_structure_functions(setup, contour, input_moments, x, Q2, target="p", weights=PHOTON, scales=None, nuclear=None):
    """(F2, FL, xF3) at each x for one Q^2, for the quark weights of one process and beam.

    Parameters
    ----------
    setup : theory.qcd.evolution.EvolutionSetup
    contour : theory.qcd.mellin.Contour
    input_moments : complex[..., n_N, 13]
        Proton PDFs at Q0 on the contour's nodes (parameter sets may lead).
    x : array of float
    Q2 : float
        In GeV^2, Q2 >= Q0^2.
    target : "p", "n" or "d" (per nucleon)
    weights : theory.dis.electroweak.NCWeights
        ``PHOTON`` (default), ``electroweak.nc_weights(...)`` or one exchange piece's.
    scales : theory.qcd.scales.Scales
        mu_R = xi_R Q, mu_F = xi_F Q (default 1, 1).
    nuclear : theory.dis.nuclear.NuclearCorrection
        The deuteron's R(x) (default 1); only for target "d".

    Returns
    -------
    (F2, FL, xF3) : arrays [..., n_x]
    """
    if target not in ALL_TARGETS:
        raise ValueError(f"target {target!r} is not one of {', '.join(ALL_TARGETS)}")
    scales = Scales() if scales is None else scales
    x = np.atleast_1d(np.asarray(x, dtype=float))
    if target in COMPOSITES:
        out = sum(w * _nucleon(setup, contour, input_moments, x, Q2, t, weights, scales) for t, w in COMPOSITES[target])
        out = out * (nuclear or NuclearCorrection())(x)[:, None]
    else:
        if nuclear is not None and not nuclear.identity:
            raise ValueError(f"a nuclear correction applies to the deuteron only, not to target {target!r}")
        out = _nucleon(setup, contour, input_moments, x, Q2, target, weights, scales)
    return out[..., 0], out[..., 1], out[..., 2]


def structure_functions(setup, contour, input_moments, x, Q2, target="p"):
    """F2 and FL of photon exchange at each x for one Q^2 (mu_R = mu_F = Q): the Stats-2 case of
    ``nc_structure_functions``."""
    F2, FL, _ = nc_structure_functions(setup, contour, input_moments, x, Q2, target)
    return F2, FL


def generalised_structure_functions(
    setup, contour, input_moments, x, Q2, target="p", process="em", beam=None, ew=None, scales=None, nuclear=None
):
    """{"F2", "FL", "xF3"}: the generalised F2~, FL~, xF3~ of a process (em or nc) and lepton beam."""
    beam = ew_.Beam() if beam is None else beam
    ew = ew_.Electroweak() if ew is None else ew
    weights = ew_.nc_weights(process, beam, ew, Q2)
    values = nc_structure_functions(setup, contour, input_moments, x, Q2, target, weights, scales, nuclear)
    return dict(zip(STRUCTURE_FUNCTIONS, values, strict=True))
