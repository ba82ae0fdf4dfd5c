"""gamma/Z exchange, the deuteron, scale choices and alpha_em: the physics layer of the EIC issue.

Independent numbers: the parton-model sums over evolved PDFs (LO), HOPPET's gamma/Z structure
functions (NLO, scale variations), an x-space convolution for xF3 at Q0, the symmetry e+ (P) =
e- (-P), the kappa -> 0 limit, the cancellation of the leading scale logarithm, and alpha_em's
known values at M_Z.
"""

import math

import numpy as np
import pytest
from scipy.integrate import quad

from theory.dis import electroweak as ew_
from theory.dis.alpha_em import alpha_em, delta_leptons
from theory.dis.cross_section import d2sigma_dxdQ2, d2sigma_nc, reduced_cross_section
from theory.dis.nuclear import NuclearCorrection
from theory.dis.structure_functions import (
    PHOTON,
    generalised_structure_functions,
    nc_structure_functions,
    structure_functions,
)
from theory.pdfs import lha
from theory.qcd.constants import ALPHA_EM, CF, ZETA2
from theory.qcd.evolution import EvolutionSetup
from theory.qcd.flavours import isospin_swap
from theory.qcd.mellin import Contour
from theory.qcd.scales import SEVEN_POINT, Scales

X = np.array([1e-3, 0.01, 0.1, 0.3, 0.6])
EW = ew_.Electroweak()


def _setup(order, scheme="vfns", mode="iterated-exact", alpha_s0=lha.ALPHA_S0):
    return EvolutionSetup(order, mode, scheme, lha.MU0_2, alpha_s0, lha.MASSES)


@pytest.mark.parametrize("target", ["p", "n"])
@pytest.mark.parametrize("q2", [10.0, 1000.0])
def test_lo_pieces_are_the_parton_model_sums(target, q2):
    """F2^gZ = x sum 2 e v q+, F2^Z = x sum (v^2 + a^2) q+, xF3^gZ = x sum 2 e a q-,
    xF3^Z = x sum 2 v a q- over the evolved PDFs (written out here, not from the module)."""
    setup, contour = _setup("lo"), Contour()
    f0 = lha.moments(contour.N)
    fe = f0 if target == "p" else isospin_swap(f0)
    f = np.imag(contour.kernel(X) @ np.einsum("jab,jb->ja", setup.operators(contour.N, q2), fe))
    nf = setup.scheme.nf(q2)
    s2 = 0.23126
    e = [-1 / 3, 2 / 3, -1 / 3, 2 / 3, -1 / 3, 2 / 3]
    a = [-0.5, 0.5, -0.5, 0.5, -0.5, 0.5]
    v = [a[i] - 2 * e[i] * s2 for i in range(6)]
    qp, qm = f[:, 1:7], f[:, 7:13]  # q+ and q- of d, u, s, c, b, t
    expected = {
        "gZ": (sum(2 * e[i] * v[i] * qp[:, i] for i in range(nf)), sum(2 * e[i] * a[i] * qm[:, i] for i in range(nf))),
        "Z": (sum((v[i] ** 2 + a[i] ** 2) * qp[:, i] for i in range(nf)),
              sum(2 * v[i] * a[i] * qm[:, i] for i in range(nf))),
    }  # fmt: skip
    for piece, (plus, minus) in expected.items():
        F2, FL, xF3 = nc_structure_functions(setup, contour, f0, X, q2, target, ew_.piece_nc_weights(piece, EW))
        assert np.allclose(F2, X * plus, rtol=1e-10, atol=0), piece
        assert np.allclose(xF3, X * minus, rtol=1e-10, atol=0), piece
        assert np.all(FL == 0.0)


def test_positron_at_p_is_electron_at_minus_p():
    setup, contour = _setup("nlo"), Contour()
    f0 = lha.moments(contour.N)
    for P in (-0.7, 0.0, 0.4):
        pos = generalised_structure_functions(setup, contour, f0, X, 2000.0, "p", "nc", ew_.Beam("e+", P), EW)
        ele = generalised_structure_functions(setup, contour, f0, X, 2000.0, "p", "nc", ew_.Beam("e-", -P), EW)
        for name in ("F2", "FL", "xF3"):
            assert np.allclose(pos[name], ele[name], rtol=1e-14, atol=0), (P, name)
    # the beams differ: a sign of xF3 in sigma_r, and xF3~ itself with P
    y = 0.5
    sig = {lep: reduced_cross_section(**pos, y=y, lepton=lep) for lep in ("e-", "e+")}
    assert np.all(np.abs(sig["e-"] - sig["e+"]) > 0)
    left = generalised_structure_functions(setup, contour, f0, X, 2000.0, "p", "nc", ew_.Beam("e-", -0.7), EW)
    right = generalised_structure_functions(setup, contour, f0, X, 2000.0, "p", "nc", ew_.Beam("e-", 0.7), EW)
    assert np.all(left["F2"] > right["F2"])  # a left-handed e- couples more strongly to the Z


def test_kappa_to_zero_is_photon_exchange():
    setup, contour = _setup("nlo"), Contour()
    f0 = lha.moments(contour.N)
    F2, FL = structure_functions(setup, contour, f0, X, 300.0, "n")
    em = generalised_structure_functions(setup, contour, f0, X, 300.0, "n", "em", ew_.Beam("e+", 0.5), EW)
    assert np.array_equal(em["F2"], F2) and np.array_equal(em["FL"], FL) and np.all(em["xF3"] == 0.0)
    far = ew_.Electroweak(m_z=1e9)  # kappa ~ 1e-16 at Q^2 = 300
    nc = generalised_structure_functions(setup, contour, f0, X, 300.0, "n", "nc", ew_.Beam("e-", -0.3), far)
    assert np.allclose(nc["F2"], F2, rtol=1e-14, atol=0) and np.allclose(nc["FL"], FL, rtol=1e-14, atol=0)
    assert np.all(np.abs(nc["xF3"]) < 1e-14 * F2)
    x, q2, s = X, 300.0, 140.0**2
    assert np.allclose(
        d2sigma_nc(x, q2, em["F2"], em["FL"], em["xF3"], s), d2sigma_dxdQ2(x, q2, F2, FL, s), rtol=1e-14, atol=0
    )


def test_gamma_z_effect_is_the_size_the_issue_measured():
    """e- p at y = 0.5, sqrt(s) = 140 GeV against photon exchange: +0.16% at Q^2 = 100, +6% at
    1,000, +32% at 5,000 GeV^2, +11% at 1,000 for P = -0.7 and -3.8% for e+ (the issue's figures)."""
    setup, contour = _setup("nlo"), Contour()
    f0 = lha.moments(contour.N)
    s = 140.0**2

    def ratio(q2, beam):
        x = np.array([q2 / (0.5 * s)])
        nc = generalised_structure_functions(setup, contour, f0, x, q2, "p", "nc", beam, EW)
        em = generalised_structure_functions(setup, contour, f0, x, q2, "p", "em", beam, EW)
        lep = beam.lepton
        return (d2sigma_nc(x, q2, **nc, s=s, lepton=lep) / d2sigma_nc(x, q2, **em, s=s, lepton=lep))[0] - 1

    assert ratio(100.0, ew_.Beam()) == pytest.approx(0.0016, abs=0.0006)
    assert ratio(1000.0, ew_.Beam()) == pytest.approx(0.06, abs=0.01)
    assert ratio(5000.0, ew_.Beam()) == pytest.approx(0.32, abs=0.03)
    assert ratio(1000.0, ew_.Beam("e-", -0.7)) == pytest.approx(0.11, abs=0.015)
    assert ratio(1000.0, ew_.Beam("e+")) == pytest.approx(-0.038, abs=0.008)


def _x_space_valence(x):
    """The LHA toy input's u_v and d_v in x space (q- of u and d at Q0)."""
    return 5.1072 * x**-0.2 * (1 - x) ** 3, 3.06432 * x**-0.2 * (1 - x) ** 4


@pytest.mark.parametrize("x", [1e-3, 0.05, 0.3, 0.7])
def test_nlo_xf3_against_x_space_convolution(x):
    """At Q0 the valence is known in x: xF3^gZ / x = sum 2 e a (q- + a_s C3 (x) q-), with
    c_3,q(z) = c_2,q(z) - 2 C_F (1 + z), plus-distributions by subtraction, no N space at all."""
    a_s = lha.ALPHA_S0 / (4 * np.pi)
    wu, wd = 2 * (2 / 3) * 0.5, 2 * (-1 / 3) * (-0.5)  # 2 e_q a_q of u and d
    q = lambda y: wu * _x_space_valence(y)[0] + wd * _x_space_valence(y)[1]  # noqa: E731
    kw = dict(limit=400, epsabs=0, epsrel=1e-11)
    regular = lambda z: CF * (-2 * (1 + z) * np.log1p(-z) - 2 * (1 + z * z) / (1 - z) * np.log(z) + 4 + 2 * z)  # noqa: E731
    plus = lambda z: CF * (4 * np.log1p(-z) / (1 - z) - 3 / (1 - z))  # noqa: E731
    conv = quad(lambda z: regular(z) * q(x / z) / z, x, 1, **kw)[0]
    conv += quad(lambda z: plus(z) * (q(x / z) / z - q(x)), x, 1, **kw)[0]
    conv += q(x) * CF * (2 * np.log1p(-x) ** 2 - 3 * np.log1p(-x)) - CF * (9 + 4 * ZETA2) * q(x)
    contour = Contour()
    _, _, xF3 = nc_structure_functions(
        _setup("nlo", "ffns4"), contour, lha.moments(contour.N), [x], lha.MU0_2, "p", ew_.piece_nc_weights("gZ", EW)
    )
    assert xF3[0] == pytest.approx(x * (q(x) + a_s * conv), rel=1e-7)


def test_deuteron_is_the_nucleon_average_times_r():
    setup, contour = _setup("nlo"), Contour()
    f0 = lha.moments(contour.N)
    w = ew_.nc_weights("nc", ew_.Beam("e-", -0.7), EW, 800.0)
    p = np.array(nc_structure_functions(setup, contour, f0, X, 800.0, "p", w))
    n = np.array(nc_structure_functions(setup, contour, f0, X, 800.0, "n", w))
    d = np.array(nc_structure_functions(setup, contour, f0, X, 800.0, "d", w))
    assert np.allclose(d, 0.5 * (p + n), rtol=1e-14, atol=1e-300)
    R = NuclearCorrection([1e-4, 0.1, 0.9], [1.0, 1.02, 0.95], source="test")
    dr = np.array(nc_structure_functions(setup, contour, f0, X, 800.0, "d", w, nuclear=R))
    expected = np.interp(np.log(X), np.log([1e-4, 0.1, 0.9]), [1.0, 1.02, 0.95])
    assert np.allclose(dr, d * expected, rtol=1e-14, atol=1e-300)
    with pytest.raises(ValueError, match="deuteron only"):
        nc_structure_functions(setup, contour, f0, X, 800.0, "p", w, nuclear=R)


def test_nuclear_table_errors_are_one_line(tmp_path):
    good = tmp_path / "r.txt"
    good.write_text("# x R\n0.001 1.0\n0.5 1.01\n0.9 0.97\n")
    R = NuclearCorrection.from_table(good)
    assert R(0.5) == pytest.approx(1.01)
    with pytest.raises(ValueError, match="outside the table"):
        R(0.95)
    for text, match in (("0.1 1 3\n0.2 1 3\n", "two columns"), ("0.5 1\n0.1 1\n", "increase"),
                        ("0.1 -1\n0.2 1\n", "positive"), ("a b\n", "cannot read")):  # fmt: skip
        bad = tmp_path / "bad.txt"
        bad.write_text(text)
        with pytest.raises(ValueError, match=match) as err:
            NuclearCorrection.from_table(bad)
        assert "\n" not in str(err.value)


def _log_derivative(setup_of, q2, xi_of, h=1e-3):
    """d ln F2~ / d ln xi^2 at xi = 1 (central differences), e- p at P = 0, NC."""
    contour = Contour()
    f0 = lha.moments(contour.N)
    values = []
    for sign in (1, -1):
        xi = math.exp(sign * h / 2)
        scales = Scales(**xi_of(xi))
        w = ew_.nc_weights("nc", ew_.Beam(), EW, q2)
        values.append(nc_structure_functions(setup_of(), contour, f0, X[1:4], q2, "p", w, scales)[0])
    return (np.log(values[0]) - np.log(values[1])) / h


def _order_a_coefficient(order, which, q2=100.0):
    """k1 of d ln F2 / d ln xi^2 = k1 a + k2 a^2 + k3 a^3 + ... (a = a_s(Q^2)), from three small
    couplings by exact interpolation of D / a (the a^4 remainder is ~1e-6 of k1's scale here)."""
    a, d_over_a = [], []
    for alpha_s0 in (0.01, 0.02, 0.04):
        setup_of = lambda alpha_s0=alpha_s0: _setup(order, "ffns4", "truncated", alpha_s0)  # noqa: E731
        a.append(setup_of().coupling.a_s(q2))
        d_over_a.append(_log_derivative(setup_of, q2, lambda xi: {which: xi}) / a[-1])
    d_over_a = np.array(d_over_a)
    return np.array([np.polyfit(a, d_over_a[:, i], 2)[-1] for i in range(d_over_a.shape[1])])


def test_leading_scale_logarithm_cancels():
    """d ln F2 / d ln mu^2 at NLO is the O(a_s^2) remainder: its O(a_s) coefficient k1 vanishes
    for mu_F and mu_R, while LO's (the PDFs' own mu_F dependence, ~ gamma^(0)) does not. Without
    the mu_F logarithm of the coefficient functions NLO's k1 would equal LO's; with its sign wrong,
    twice LO's."""
    lo = _order_a_coefficient("lo", "xi_f")
    assert np.all(np.abs(lo) > 0.1), lo
    for which in ("xi_f", "xi_r"):
        nlo = _order_a_coefficient("nlo", which)
        assert np.all(np.abs(nlo) < 2e-3 * np.abs(lo)), (which, nlo, lo)


def test_scales_are_floored_at_q0_and_validated():
    s = Scales(0.5, 2.0)
    assert s.mu2(4.0, 2.0) == (2.0, 16.0)
    assert SEVEN_POINT[0] == (1.0, 1.0) and len(set(SEVEN_POINT)) == 7
    with pytest.raises(ValueError, match="theory.scales.xi_r"):
        Scales(xi_r=0.0)
    with pytest.raises(ValueError, match="beam.polarisation"):
        ew_.Beam("e-", 1.5)
    with pytest.raises(ValueError, match="beam.lepton"):
        ew_.Beam("mu-", 0.0)


def test_alpha_em_known_values():
    """One-loop leptonic Delta alpha(M_Z^2) = 0.031421 (e.g. Steinhauser, hep-ph/9803313, Table 1's
    one-loop entry 314.19e-4); 1/alpha(M_Z^2) ~ 128.9 with the hadrons; fixed is alpha(0)."""
    mz2 = 91.1876**2
    assert float(delta_leptons(mz2)) == pytest.approx(0.031419, abs=2e-5)
    assert 1.0 / float(alpha_em(mz2, "running")) == pytest.approx(128.9, abs=0.3)
    assert float(alpha_em(50.0)) == ALPHA_EM
    # large Q^2: the massless form alpha/(3 pi) sum (ln(Q^2/m^2) - 5/3)
    q2 = 1e4
    massless = ALPHA_EM / (3 * math.pi) * sum(math.log(q2 / m**2) - 5 / 3 for m in (0.51099895e-3, 0.1056583755))
    assert float(delta_leptons(q2)) - massless == pytest.approx(
        ALPHA_EM / (3 * math.pi) * (math.log(q2 / 1.77686**2) - 5 / 3), rel=2e-3
    )
    with pytest.raises(ValueError, match="theory.alpha_em"):
        alpha_em(10.0, "frozen")


def test_photon_weights_are_the_charges():
    assert np.array_equal(PHOTON.plus, ew_.piece_nc_weights("gamma", EW).plus)
    v, a = EW.quarks()
    assert v[1] == pytest.approx(0.5 - 4 / 3 * 0.23126) and a[0] == -0.5
    assert EW.electron() == pytest.approx((-0.5 + 2 * 0.23126, -0.5))
    assert EW.m_w == pytest.approx(91.1876 * math.sqrt(1 - 0.23126))


def test_running_alpha_em_scales_every_event_by_alpha_squared():
    """theory.alpha_em: running multiplies each event's d2sigma by (alpha(Q^2) / alpha(0))^2 in
    every Problem the run builds; the kernel file and the events' provenance record the choice."""
    from theory.inference.run import Run
    from theory.kernels.backends import make_backend
    from theory.kernels.kernel_io import theory_record
    from theory.pipeline.config import validate

    x = np.array([0.01, 0.1, 0.4])
    Q2 = np.array([5.0, 300.0, 4000.0])
    sigma = {}
    for mode in ("fixed", "running"):
        run = Run.from_config(validate({"theory": {"alpha_em": mode}}))
        samples = {t: type("S", (), {"x": x, "Q2": Q2, "lumi_nb": 100.0})() for t in ("p", "n")}
        problem = run.problem(samples)
        assert run.record()["alpha_em"] == mode and theory_record(problem)["alpha_em"] == mode
        sigma[mode] = make_backend("numpy-loop", problem).cross_sections(run.truth)[0]
    expected = np.tile((alpha_em(Q2, "running") / ALPHA_EM) ** 2, 2)
    assert np.allclose(sigma["running"][: len(expected)] / sigma["fixed"][: len(expected)], expected, rtol=1e-13)


def test_epic_beam_settings_and_their_target_mass_bound():
    """The ePIC settings' sqrt(s) (published: 140.7, 104.9, 63.2, 44.7, 28.6 GeV) and the cuts'
    bound on x^2 M^2 / Q^2: M^2 / (4 (W2_min - M^2)) at most, reached at the low energies."""
    from theory.dis.kinematics import EPIC_BEAMS, Cuts, sqrt_s_of
    from theory.inference.run import ConfigError
    from theory.pipeline.config import validate
    from theory.qcd.constants import M_PROTON

    published = {"18x275": 140.7, "10x275": 104.9, "10x100": 63.2, "5x100": 44.7, "5x41": 28.6}
    for name, energies in EPIC_BEAMS.items():
        assert sqrt_s_of(*energies) == pytest.approx(published[name], abs=0.06), name
    for w2 in (10.0, 23.0):
        bound = M_PROTON**2 / (4 * (w2 - M_PROTON**2))
        values = [Cuts(w2_min=w2).tmc_measure_max(sqrt_s_of(*e) ** 2) for e in EPIC_BEAMS.values()]
        assert max(values) <= bound * (1 + 1e-3) and values[-1] == pytest.approx(bound, rel=2e-2)
    cfg = validate({"beam": {"setting": "5x41"}})
    assert cfg["beam"]["sqrt_s"] == pytest.approx(sqrt_s_of(5.0, 41.0))
    assert validate(cfg)["beam"]["sqrt_s"] == cfg["beam"]["sqrt_s"]  # a written config re-validates
    with pytest.raises(ConfigError, match="beam.sqrt_s") as err:
        validate({"beam": {"setting": "5x41", "sqrt_s": 140.0}})
    assert "\n" not in str(err.value)
