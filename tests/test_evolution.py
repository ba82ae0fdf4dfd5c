"""DGLAP evolution: the Les Houches benchmark, sum rules, and the solutions' internal consistency."""

import numpy as np
import pytest

from theory.pdfs import lha
from theory.qcd.anomalous_dimensions import harmonic_sums, lo, nlo
from theory.qcd.evolution import EvolutionSetup
from theory.qcd.evolution import solutions as sol
from theory.qcd.flavours import LHA_TABLE, stack
from theory.qcd.mellin import Contour

SETTINGS = {
    "LO_FFNS": ("lo", "ffns4"),
    "LO_VFNS": ("lo", "vfns"),
    "NLO_FFNS": ("nlo", "ffns4"),
    "NLO_VFNS": ("nlo", "vfns"),
}


def _lha_table(order, scheme, mode, x, mu2=1e4, contour=None):
    contour = contour or Contour.benchmark()
    setup = EvolutionSetup(order, mode, scheme, lha.MU0_2, lha.ALPHA_S0, lha.MASSES)
    f = np.einsum("jab,jb->ja", setup.operators(contour.N, mu2), lha.moments(contour.N))
    return x[:, None] * stack(LHA_TABLE, np.imag(contour.kernel(x) @ f))


@pytest.mark.parametrize("key", SETTINGS)
def test_les_houches_benchmark(lha_reference, key):
    order, scheme = SETTINGS[key]
    x = np.array(lha_reference["meta"]["x"])
    table = _lha_table(order, scheme, "iterated-exact", x)
    for i, label in enumerate(LHA_TABLE):
        ref = np.array(lha_reference["results"][key][label])
        big = np.abs(ref) > 1e-6
        rel = np.abs(table[:, i] - ref) / np.where(big, np.abs(ref), 1.0)
        assert np.all(rel[big & (x <= 0.7)] <= 1e-4), (label, rel)
        assert np.all(rel[big & (x == 0.9)] <= 1e-3), (label, rel)
        if not big.any():  # b+ in FFNS: exactly zero
            assert np.all(np.abs(table[:, i]) < 1e-12)


@pytest.mark.parametrize("mode", ["iterated-exact", "truncated"])
@pytest.mark.parametrize("order,scheme", [("lo", "ffns4"), ("nlo", "ffns3"), ("nlo", "vfns")])
def test_sum_rules_at_every_scale(order, scheme, mode):
    """Momentum (N = 2, full operator) and quark number (N = 1, the valence sector: the singlet
    has its pole at N = 1) are conserved at every scale, thresholds included."""
    setup = EvolutionSetup(order, mode, scheme, lha.MU0_2, lha.ALPHA_S0, lha.MASSES)
    N2 = np.array([2.0 + 0j])
    f0 = lha.moments(N2)[0]
    momentum0 = f0[0] + f0[1:7].sum()
    hs = harmonic_sums(1.0 + 0j)
    u_v0, d_v0 = lha.moments(np.array([1.0 + 0j]))[0, [8, 7]]
    assert abs(u_v0 - 2.0) < 1e-12 and abs(d_v0 - 1.0) < 1e-12
    for mu2 in (2.0, 3.0, 20.25, 21.0, 100.0, 1e4, 1e6):
        f = setup.operators(N2, mu2)[0] @ f0
        assert abs(f[0] + f[1:7].sum() - momentum0) < 1e-8
        assert abs(f[9:13]).max() < 1e-14  # s - sbar, c - cbar, ... stay zero
        E_valence = 1.0
        for a0, a1, nf in zip(*setup.path(mu2), strict=True):
            g1 = nlo.gamma_nsm(1.0 + 0j, nf, hs)
            E_valence *= sol.non_singlet(lo.gamma_ns(1.0 + 0j, hs[0]), g1, a1, a0, nf, setup.order, setup.mode)
        assert abs(E_valence * u_v0 - 2.0) < 1e-8 and abs(E_valence * d_v0 - 1.0) < 1e-8


def test_valence_block_is_the_non_singlet_minus_solution():
    setup = EvolutionSetup("nlo", "truncated", "vfns", lha.MU0_2, lha.ALPHA_S0, lha.MASSES)
    N = 2.5 + 1.0j
    E = setup.operators(np.array([N]), 1e3)[0]
    hs = harmonic_sums(N)
    expected = 1.0
    for a0, a1, nf in zip(*setup.path(1e3), strict=True):
        expected *= sol.non_singlet(lo.gamma_ns(N, hs[0]), nlo.gamma_nsm(N, nf, hs), a1, a0, nf, 1, sol.MODE_TRUNCATED)
    assert np.allclose(np.diag(E)[7:11], expected, rtol=1e-13)  # d, u, s, c: active from Q0
    assert np.allclose(E[7:, :7], 0.0) and np.allclose(E[:7, 7:], 0.0)


def test_magnus_singlet_is_converged():
    g0 = (3.1 + 0.4j, -1.2 + 0.1j, -2.0 - 0.3j, 5.0 + 0.2j)
    g1 = (40.0 + 5j, -20.0 + 3j, -30.0 + 1j, 90.0 - 4j)
    a0, a1 = 0.35 / (4 * np.pi), 0.1 / (4 * np.pi)
    coarse = np.array(sol.singlet(g0, g1, a1, a0, 4, 1, sol.MODE_ITERATED_EXACT))
    steps = sol.MAGNUS_STEPS_PER_UNIT
    try:
        sol.MAGNUS_STEPS_PER_UNIT = 8 * steps
        fine = np.array(sol.singlet.py_func(g0, g1, a1, a0, 4, 1, sol.MODE_ITERATED_EXACT))
    finally:
        sol.MAGNUS_STEPS_PER_UNIT = steps
    assert np.max(np.abs(coarse - fine)) < 1e-10 * np.max(np.abs(fine))


def test_commuting_singlet_reduces_to_non_singlet_solution():
    # a diagonal anomalous dimension must give the closed-form non-singlet solution in each mode
    g0 = (3.0 + 1j, 0j, 0j, 2.0 - 0.5j)
    g1 = (50.0 + 2j, 0j, 0j, 20.0 + 1j)
    a0, a1 = 0.03, 0.01
    for mode in (sol.MODE_ITERATED_EXACT, sol.MODE_TRUNCATED):
        S = sol.singlet(g0, g1, a1, a0, 4, 1, mode)
        assert S[0] == pytest.approx(sol.non_singlet(g0[0], g1[0], a1, a0, 4, 1, mode), rel=1e-11)
        assert S[3] == pytest.approx(sol.non_singlet(g0[3], g1[3], a1, a0, 4, 1, mode), rel=1e-11)


def test_truncated_and_exact_differ_at_order_a_squared():
    x = np.array([1e-3, 0.1, 0.5])
    exact = _lha_table("nlo", "ffns4", "iterated-exact", x)
    truncated = _lha_table("nlo", "ffns4", "truncated", x)
    cols = [0, 1, 3, 7]  # u_v, d_v, L_p, g
    rel = np.abs(truncated[:, cols] / exact[:, cols] - 1.0)
    assert np.all(rel < 0.05) and np.any(rel > 1e-4)


def test_bad_setup_names_the_field():
    with pytest.raises(ValueError, match="order"):
        EvolutionSetup(order="nnlo")
    with pytest.raises(ValueError, match="mode"):
        EvolutionSetup(mode="exact")
