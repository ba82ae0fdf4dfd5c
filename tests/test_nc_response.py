"""The five-component gamma/Z response against the direct N-space structure functions: the same
d2sigma by two routes (the 13 x 13 flavour evolution to each event's Q^2 and the coefficient
functions, against the reduced 5 x 5 response and its cached kernel), in every region of the VFNS,
for p, n and d, e- and e+ at several polarisations, LO, NLO truncated and NLO iterated-exact."""

import numpy as np
import pytest

from theory.dis import electroweak as ew_
from theory.dis.cross_section import d2sigma_nc
from theory.dis.structure_functions import nc_structure_functions
from theory.kernels.nc_response import NCEventConstants, build_nc_kernel, nc_tables_for
from theory.kernels.response import EventConstants, ResponseTables, build_kernel
from theory.pdfs import lha
from theory.qcd.evolution import EvolutionSetup
from theory.qcd.flavours import ALL_TARGETS, REDUCED_NC_WEIGHTS, REDUCED_WEIGHTS, TARGET_CODES
from theory.qcd.mellin import Contour

SQRT_S = 140.0
# (x, Q^2) in every region of the VFNS (Q0^2 = m_c^2 = 2, m_b^2 = 20.25), up to high Q^2 and x
X = np.array([2e-3, 0.05, 0.01, 0.3, 0.1, 0.6, 0.5, 0.8])
Q2 = np.array([3.0, 15.0, 20.0, 40.0, 300.0, 2000.0, 8000.0, 15000.0])


def _components(weights, f0):
    """c[k, j] of one target from the proton's input moments f0[j, 13]."""
    return np.einsum("ks,js->kj", weights, f0)


@pytest.mark.parametrize("order,mode", [("lo", "truncated"), ("nlo", "truncated"), ("nlo", "iterated-exact")])
def test_nc_kernel_equals_the_direct_structure_functions(order, mode):
    setup = EvolutionSetup(order, mode, "vfns", lha.MU0_2, lha.ALPHA_S0, lha.MASSES)
    contour = Contour()
    f0 = lha.moments(contour.N)
    nct = nc_tables_for(setup, contour, SQRT_S**2)
    ew = ew_.Electroweak()
    for beam in (ew_.Beam("e-", -0.7), ew_.Beam("e+", 0.3)):
        ev = NCEventConstants(nct.base, X, Q2, SQRT_S, "nc", beam, ew)
        K = build_nc_kernel(nct, ev)
        for t, target in enumerate(ALL_TARGETS):
            c = _components(REDUCED_NC_WEIGHTS[t], f0)
            kernel = np.imag(np.einsum("ikj,kj->i", K, c))
            direct = np.empty(len(X))
            for i, (x, q2) in enumerate(zip(X, Q2, strict=True)):
                w = ew_.nc_weights("nc", beam, ew, q2)
                F2, FL, xF3 = nc_structure_functions(setup, contour, f0, [x], q2, target, w)
                direct[i] = d2sigma_nc(x, q2, F2[0], FL[0], xF3[0], SQRT_S**2, beam.lepton)
            assert np.allclose(kernel, direct, rtol=1e-10, atol=0), (beam, target, kernel / direct - 1)


def test_photon_exchange_through_the_nc_response_is_the_photon_kernel():
    """process em: the five-component response with b_q = e_q^2 and no xF3 equals the three-component
    photon response (A, Sigma, g) event by event."""
    setup = EvolutionSetup("nlo", "truncated", "vfns", lha.MU0_2, lha.ALPHA_S0, lha.MASSES)
    contour = Contour()
    f0 = lha.moments(contour.N)
    tables = ResponseTables(setup, contour, q2_max=SQRT_S**2)
    nct = nc_tables_for(setup, contour, SQRT_S**2)
    K5 = build_nc_kernel(nct, NCEventConstants(nct.base, X, Q2, SQRT_S, "em", ew_.Beam("e+", 0.5)))
    K3 = build_kernel(tables.arrays(), EventConstants(tables, X, Q2, SQRT_S).arrays())
    for target in ("p", "n"):
        t = TARGET_CODES[target]
        five = np.imag(np.einsum("ikj,kj->i", K5, _components(REDUCED_NC_WEIGHTS[t], f0)))
        three = np.imag(np.einsum("ikj,kj->i", K3, _components(REDUCED_WEIGHTS[t], f0)))
        assert np.allclose(five, three, rtol=1e-12, atol=0), five / three - 1


def test_coupling_weights_depend_on_the_quark_type_only():
    """What makes five components enough: every up-type (down-type) quark has the same gamma/Z
    weights, for any beam, process and Q^2."""
    ew = ew_.Electroweak()
    for q2 in (5.0, 800.0, 3e4):
        for beam in (ew_.Beam("e-", -0.8), ew_.Beam("e+", 0.6)):
            w = ew_.nc_weights("nc", beam, ew, q2)
            for values in (w.plus, w.minus):
                assert np.all(values[1::2] == values[1]) and np.all(values[0::2] == values[0])


def test_deuteron_correction_rides_on_the_event_factor():
    """A data set's R(x) multiplies its events' factor (the Problem's DataSetTheory.correction)."""
    from theory.kernels.backends import Problem
    from theory.kernels.backends.problem import DataSetTheory
    from theory.pdfs.stats2 import Stats2
    from theory.qcd.flavours import component_weights

    setup = EvolutionSetup("nlo", "truncated", "vfns", lha.MU0_2, lha.ALPHA_S0, lha.MASSES)
    contour = Contour()
    nct = nc_tables_for(setup, contour, SQRT_S**2)
    R = np.linspace(0.97, 1.03, len(X))
    plain = NCEventConstants(nct.base, X, Q2, SQRT_S)
    param = Stats2(components=component_weights(["d"], True))
    one = [DataSetTheory(SQRT_S, correction=lambda x: R)]  # R per event (the rows are X in order)
    corrected = Problem(
        setup, contour, param, X, Q2, np.zeros(len(X), dtype=int), tables=nct.base, process="nc", sets=one
    ).ev
    assert np.allclose(corrected.factor, plain.factor * R, rtol=1e-15)


FIVE_COMPONENT_CASES = [("truncated", "nc", (1.0, 1.0)), ("iterated-exact", "nc", (1.0, 1.0)),
                        ("truncated", "em", (2.0, 0.5)), ("truncated", "nc", (0.5, 2.0))]  # fmt: skip


@pytest.mark.parametrize("mode,process,xi", FIVE_COMPONENT_CASES)
def test_gamma_z_backends_agree_with_the_reference(mode, process, xi):
    """The five-component response (gamma/Z, or photon exchange at other scales): numba-cpu,
    cached-cpu (kernel factors, BLAS) and numpy-vectorized (the gamma/Z row written in numpy on
    blocks, independent of the Numba row numpy-loop calls) give numpy-loop's loss and gradient."""
    from theory.kernels.backends import Problem, make_backend
    from theory.pdfs.stats2 import Stats2
    from theory.qcd.scales import Scales

    setup = EvolutionSetup("nlo", mode, "vfns", 2.0, 0.35)
    param = Stats2(components=REDUCED_NC_WEIGHTS[:2])
    rng = np.random.default_rng(7)
    n = 40
    x = np.exp(rng.uniform(np.log(0.02), np.log(0.7), n))
    q2 = np.minimum(np.exp(rng.uniform(np.log(3.0), np.log(5000.0), n)), 0.9 * x * SQRT_S**2)
    tg = rng.integers(0, 2, n)
    norm = {"x": x[:8], "Q2": q2[:8], "target": tg[:8], "weight": np.full(8, 50.0)}
    pb = Problem(setup, Contour(), param, x, q2, tg, norm=norm, process=process, beam=ew_.Beam("e+", 0.4),
                 scales=Scales(*xi))  # fmt: skip
    thetas = param.truth * (1 + 0.02 * rng.standard_normal((3, param.n_params)))
    w = rng.poisson(1.0, (3, n)).astype(float)
    ref_loss, ref_grad = make_backend("numpy-loop", pb).loss_and_grad(thetas, w)
    for name in ("numba-cpu", "cached-cpu", "numpy-vectorized"):
        loss, grad = make_backend(name, pb).loss_and_grad(thetas, w)
        assert np.allclose(loss, ref_loss, rtol=1e-12, atol=0), name
        assert np.allclose(grad, ref_grad, rtol=1e-9, atol=1e-9 * np.abs(ref_grad).max()), name
    em = Problem(setup, Contour(), Stats2(), x, q2, tg, norm=norm)  # the photon-only loss differs
    assert not np.allclose(make_backend("numba-cpu", em).loss_and_grad(thetas, w)[0], ref_loss, rtol=1e-6)


def test_a_gamma_z_run_fits_and_records_its_process(tmp_path):
    """A run with theory.process nc: events generated and replicas fitted with gamma/Z (cached-cpu
    lockstep), the process in the events, the kernel record and posterior.h5."""
    import h5py

    from theory.inference.events import generate
    from theory.inference.fits import run_chunk
    from theory.inference.posterior import aggregate
    from theory.inference.run import Run
    from theory.kernels.kernel_io import theory_record
    from theory.pipeline.config import validate

    base = {"run": "nc", "theory": {"process": "nc"}, "beam": {"lepton": "e-", "polarisation": -0.7},
            "events": {"p": 1500, "n": 1500}, "fit": {"replicas": 6, "chunk_size": 7}}  # fmt: skip
    run = Run.from_config(validate(base))
    samples = {t: generate(run, 1500, t, run.truth, 11, 0.02) for t in ("p", "n")}
    assert theory_record(run.problem(samples))["process"] == "nc" and run.record("p")["polarisation"] == -0.7
    run_chunk(run, 0, samples, tmp_path / "c0.h5", log=lambda m: None)
    aggregate(run, [tmp_path / "c0.h5"], tmp_path / "post.h5", tmp_path / "t.h5", log=lambda m: None)
    with h5py.File(tmp_path / "post.h5") as f:
        assert f.attrs["n_converged"] >= 5 and f["scales"].attrs["process"] == "nc"
        assert np.all(np.isfinite(f["central/params"][...]))
    scaled = Run.from_config(validate({**base, "theory": {"scales": {"xi_r": 2.0, "xi_f": 0.5}}}))
    assert theory_record(scaled.problem(samples))["scales"] == [2.0, 0.5] and scaled.record()["xi_f"] == 0.5


@pytest.mark.parametrize("order,mode", [("lo", "truncated"), ("nlo", "truncated"), ("nlo", "iterated-exact")])
@pytest.mark.parametrize("xi", [(2.0, 0.5), (0.5, 2.0), (1.0, 2.0), (2.0, 1.0)])
def test_scale_choices_in_the_response_equal_the_direct_route(order, mode, xi):
    """mu_R = xi_R Q and mu_F = xi_F Q in the five-component response (a_s at mu_R, evolution to
    mu_F, the L_F terms, nf(Q^2) in the coefficient functions) against the direct route with the
    same Scales, photon and gamma/Z, p, n, d, at points where mu_F crosses m_b^2 = 20.25 up or down
    and where it is floored at Q0^2."""
    from theory.qcd.scales import Scales

    setup = EvolutionSetup(order, mode, "vfns", lha.MU0_2, lha.ALPHA_S0, lha.MASSES)
    contour = Contour()
    f0 = lha.moments(contour.N)
    nct = nc_tables_for(setup, contour, 4 * SQRT_S**2)
    ew, scales = ew_.Electroweak(), Scales(*xi)
    x = np.array([0.01, 0.05, 0.02, 0.1, 0.3, 0.5])
    q2 = np.array([3.0, 8.0, 15.0, 40.0, 70.0, 3000.0])
    for process, beam in (("em", ew_.Beam()), ("nc", ew_.Beam("e-", -0.7))):
        ev = NCEventConstants(nct.base, x, q2, SQRT_S, process, beam, ew, scales=scales)
        K = build_nc_kernel(nct, ev)
        for t, target in enumerate(ALL_TARGETS):
            kernel = np.imag(np.einsum("ikj,kj->i", K, _components(REDUCED_NC_WEIGHTS[t], f0)))
            direct = np.empty(len(x))
            for i in range(len(x)):
                w = ew_.nc_weights(process, beam, ew, q2[i])
                F2, FL, xF3 = nc_structure_functions(setup, contour, f0, [x[i]], q2[i], target, w, scales)
                direct[i] = d2sigma_nc(x[i], q2[i], F2[0], FL[0], xF3[0], SQRT_S**2, beam.lepton)
            assert np.allclose(kernel, direct, rtol=1e-10, atol=0), (process, target, kernel / direct - 1)


@pytest.mark.slow
def test_cached_cuda_carries_the_five_components_in_the_simulator():
    """cached-cuda's products (and with them the device lockstep engine) are generic in the
    components: under NUMBA_ENABLE_CUDASIM=1 gamma/Z loss and gradient equal numpy-loop's."""
    import os
    import subprocess
    import sys
    import textwrap

    code = """
        import numpy as np
        from theory.dis import electroweak as ew_
        from theory.kernels.backends import Problem
        from theory.pdfs.stats2 import Stats2
        from theory.qcd.evolution import EvolutionSetup
        from theory.qcd.flavours import REDUCED_NC_WEIGHTS
        from theory.qcd.mellin import Contour
        from theory.qcd.scales import Scales
        small = Contour(z_max=20, first_panel=1.0, growth=2.0, points_per_panel=4)
        param = Stats2(components=REDUCED_NC_WEIGHTS[:2])
        x, q2 = np.array([0.05, 0.2, 0.4, 0.1, 0.6]), np.array([10.0, 300.0, 2000.0, 40.0, 5000.0])
        tg = np.array([0, 1, 0, 1, 0])
        pb = Problem(EvolutionSetup("nlo", "truncated", "vfns", 2.0, 0.35), small, param, x, q2, tg,
                     process="nc", beam=ew_.Beam("e-", -0.7), scales=Scales(1.0, 2.0))
        th = param.truth * np.array([[1.0] * 9, [1.01] * 9])
        W = np.random.default_rng(1).poisson(1.0, (2, 5)).astype(float)
        from tests.helpers import assert_backends_match_reference
        assert_backends_match_reference(pb, ("cached-cuda", "numba-cuda"), th, W, "gamma/Z")
    """
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1",
           "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=900,
                          env=env)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
