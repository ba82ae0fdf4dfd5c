"""Every backend against the numpy reference; gradients against finite differences."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from theory.kernels.backends import BACKENDS, Problem, make_backend
from theory.pdfs.stats2 import FREE, NAMES, Stats2
from theory.qcd.evolution import EvolutionSetup
from theory.qcd.mellin import Contour

FULL = Stats2(free=NAMES)  # all nine parameters: the strongest gradient check

CPU_BACKENDS = ("numpy-vectorized", "numba-cpu", "cached-cpu")


def _problem(mode="truncated", n=40, seed=3, contour=None):
    order, mode = ("lo", "truncated") if mode == "lo" else ("nlo", mode)
    rng = np.random.default_rng(seed)
    x = 10 ** rng.uniform(-3.5, -0.15, n)
    Q2 = 10 ** rng.uniform(0.35, 3.8, n)
    target = rng.integers(0, 2, n)
    norm = {"x": [0.01, 0.2, 0.05], "Q2": [10.0, 100.0, 30.0], "target": ["p", "n", "n"], "weight": [3.0, 5.0, 2.0]}
    setup = EvolutionSetup(order, mode, "vfns")
    return Problem(setup, contour or Contour(), FULL, x, Q2, target, norm=norm, lumi={"p": 2.0, "n": 3.0})


def _thetas():
    return np.array([FULL.truth, FULL.truth * 1.01, [-0.5, 1.5, 0.5, 8.0, 0.05, -1.5, 11.0, -1.5, 3.0]])


@pytest.fixture(scope="module", params=["truncated", "iterated-exact", "lo"])
def reference(request):
    pb = _problem(request.param)
    rng = np.random.default_rng(11)
    W = rng.poisson(1.0, (3, pb.n_events)).astype(float)
    ref = make_backend("numpy-loop", pb)
    return pb, W, (ref.cross_sections(_thetas()), *ref.loss_and_grad(_thetas(), W))


@pytest.mark.parametrize("name", CPU_BACKENDS)
def test_backend_agrees_with_numpy_loop(reference, name):
    pb, W, expected = reference
    be = make_backend(name, pb)
    got = (be.cross_sections(_thetas()), *be.loss_and_grad(_thetas(), W))
    for g, e in zip(got, expected, strict=True):
        assert np.allclose(g, e, rtol=1e-10, atol=0)


def test_numba_cpu_many_sets_in_several_sweeps():
    """More parameter sets than one gradient sweep takes: same numbers as the cached kernel."""
    from theory.kernels.backends.numba_cpu import GRAD_SETS_PER_PASS

    pb = _problem(n=25)
    rng = np.random.default_rng(5)
    B = GRAD_SETS_PER_PASS + 7
    thetas = FULL.truth * (1.0 + 0.02 * rng.standard_normal((B, FULL.n_params)))
    W = rng.poisson(1.0, (B, pb.n_events)).astype(float)
    got = make_backend("numba-cpu", pb).loss_and_grad(thetas, W)
    want = make_backend("cached-cpu", pb).loss_and_grad(thetas, W)
    for g, e in zip(got, want, strict=True):
        assert np.allclose(g, e, rtol=1e-10, atol=0)


def test_gradient_matches_finite_differences():
    pb = _problem()
    be = make_backend("numba-cpu", pb)
    theta = _thetas()[1:2]
    W = np.random.default_rng(2).poisson(1.0, (1, pb.n_events)).astype(float)
    _, grad = be.loss_and_grad(theta, W)
    for p in range(pb.n_params):
        h = 1e-6 * max(1.0, abs(theta[0, p]))
        up, dn = theta.copy(), theta.copy()
        up[0, p] += h
        dn[0, p] -= h
        fd = (be.loss_and_grad(up, W)[0] - be.loss_and_grad(dn, W)[0]) / (2 * h)
        assert grad[0, p] == pytest.approx(fd[0], rel=1e-6, abs=1e-6)


def test_loss_is_the_extended_likelihood():
    pb = _problem(n=10)
    be = make_backend("numpy-loop", pb)
    theta = _thetas()[:1]
    ds = be.cross_sections(theta)[0]
    L, _ = be.loss_and_grad(theta, np.ones((1, 10)))
    lumi = np.where(pb.target[:10] == 0, 2.0, 3.0)
    nodes = make_backend("numpy-loop", Problem(pb.setup, pb.contour, pb.param, [0.01, 0.2, 0.05],
                                               [10.0, 100.0, 30.0], [0, 1, 1])).cross_sections(theta)[0]  # fmt: skip
    expected = nodes @ np.array([3.0, 5.0, 2.0]) - np.sum(np.log(lumi * ds))
    assert L[0] == pytest.approx(expected, rel=1e-12)


def test_unknown_backend_and_bad_weights():
    pb = _problem(n=5)
    with pytest.raises(ValueError, match="backend 'gpu' is not one of"):
        make_backend("gpu", pb)
    with pytest.raises(ValueError, match="weights must have shape"):
        make_backend("numba-cpu", pb).loss_and_grad(_thetas()[:1], np.ones((2, 5)))
    assert len(BACKENDS) == 6


def test_kernel_file_round_trip(tmp_path):
    from theory.kernels.backends.cached import CachedKernel
    from theory.kernels.kernel_io import load_kernel, save_kernel

    pb = _problem(n=12)
    kernel = CachedKernel(pb)
    path = tmp_path / "tables" / "kernel.h5"
    save_kernel(path, kernel, pb, build_seconds=0.1)
    loaded = load_kernel(path, pb)
    for (A, W), (A2, W2) in zip(loaded.factors(), kernel.factors(), strict=True):
        assert np.array_equal(A, A2) and np.array_equal(W, W2)  # stored, not recomputed
    theta = _thetas()
    assert np.array_equal(make_backend("cached-cpu", pb, kernel=loaded).cross_sections(theta),
                          make_backend("cached-cpu", pb, kernel=kernel).cross_sections(theta))  # fmt: skip
    other = _problem(n=12, seed=4)
    with pytest.raises(ValueError, match="another event set"):
        load_kernel(path, other)
    assert [p.name for p in path.parent.iterdir()] == ["kernel.h5"]  # no temporary left behind


def _run_python(code, **env):
    full = {**os.environ, **env}
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=900, env=full)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


@pytest.mark.slow
def test_cuda_backends_in_the_simulator():
    """numba-cuda and cached-cuda against numpy-loop under NUMBA_ENABLE_CUDASIM=1 (small sizes:
    the simulator runs every thread in Python)."""
    out = _run_python(
        """
        import numpy as np
        from tests.test_backends import _problem, _thetas
        from theory.kernels.backends import make_backend
        from theory.qcd.mellin import Contour
        small = Contour(z_max=20, first_panel=1.0, growth=2.0, points_per_panel=4)
        W = np.random.default_rng(1).poisson(1.0, (3, 5)).astype(float)
        # truncated: the channel-form kernels; iterated-exact: the per-(event, node) ones
        for mode, names in (("truncated", ("numba-cuda", "cached-cuda")), ("iterated-exact", ("numba-cuda",))):
            pb = _problem(mode, n=5, contour=small)
            ref = make_backend("numpy-loop", pb)
            expected = (ref.cross_sections(_thetas()), *ref.loss_and_grad(_thetas(), W))
            for name in names:
                be = make_backend(name, pb)
                got = (be.cross_sections(_thetas()), *be.loss_and_grad(_thetas(), W))
                worst = max(float(np.max(np.abs(g / e - 1))) for g, e in zip(got, expected))
                # the fits' forward pass with its Jacobian (1 + P component sets in one launch)
                for g, e in zip(be.predictions(_thetas()[1], True), ref.predictions(_thetas()[1], True)):
                    worst = max(worst, float(np.max(np.abs(g - e)) / np.max(np.abs(e))))
                print(mode, name, worst)
                assert worst < 1e-10, (mode, name, worst)
        # three data sets (p, n at another sqrt(s) and beam, d): a data-set axis of any length
        from theory.dis.electroweak import Beam
        from theory.kernels.backends import Problem
        from theory.kernels.backends.problem import DataSetTheory
        from theory.pdfs.stats2 import Stats2
        from theory.qcd.evolution import EvolutionSetup
        from theory.qcd.flavours import component_weights
        sets = [DataSetTheory(140.0, Beam(), 2.0), DataSetTheory(63.2, Beam("e+", 0.3), 3.0),
                DataSetTheory(140.0, Beam(), 1.5)]
        param = Stats2(components=component_weights(["p", "n", "d"], False))
        x, q2 = np.array([0.05, 0.2, 0.01, 0.3, 0.1, 0.5]), np.array([10.0, 50.0, 5.0, 300.0, 20.0, 100.0])
        code = np.array([0, 0, 1, 1, 2, 2])
        norm = {"x": x, "Q2": q2, "target": code, "weight": np.full(6, 5.0)}
        pb = Problem(EvolutionSetup("nlo", "truncated", "vfns", 2.0, 0.35), small, param, x, q2, code, norm=norm,
                     sets=sets)
        th = param.truth * np.array([[1.0] * 9, [1.01] * 9])
        W3 = np.random.default_rng(2).poisson(1.0, (2, 6)).astype(float)
        from tests.helpers import assert_backends_match_reference
        assert_backends_match_reference(pb, ("numba-cuda", "cached-cuda"), th, W3, "three sets")
        """,
        NUMBA_ENABLE_CUDASIM="1",
        PYTHONPATH=os.pathsep.join([str(os.path.dirname(os.path.dirname(__file__))), os.environ.get("PYTHONPATH", "")]),
    )
    assert out.count("numba-cuda") == 3 and out.count("three sets") == 2


@pytest.mark.slow
def test_cuda_kernels_compile_to_ptx_for_sm80():
    """Every CUDA kernel compiles for a real GPU (sm_80) with no GPU and no driver here."""
    out = _run_python(
        """
        from theory.kernels.backends.cuda import compile_ptx_all
        for name, ptx in compile_ptx_all((8, 0)).items():
            assert ".target sm_80" in ptx and ".entry" in ptx, name
            print(name, len(ptx))
        """,
        NUMBA_ENABLE_CUDASIM="0",
    )
    assert out.count("\n") == 8


def test_cached_kernel_factors_are_exact_and_small():
    """2,000 events: the low-rank factors reproduce every row to 1e-13 of its norm, hold far
    fewer than the 600 reals per event, and the cross sections match numba-cpu to 1e-11."""
    from theory.kernels.backends.cached import CachedKernel
    from theory.pipeline.bench import sample_events

    x, Q2, tg = sample_events(2000, seed=9)
    pb = Problem(EvolutionSetup("nlo", "truncated", "vfns"), Contour(), Stats2(free=FREE), x, Q2, tg)
    kernel = CachedKernel(pb)
    for (A, W), K in zip(kernel.factors(), kernel.blocks, strict=True):
        assert A.shape[1] < K.shape[1] / 2
        res = np.linalg.norm(A @ W - K, axis=1) / np.linalg.norm(K, axis=1)
        assert res.max() < 1e-12
    thetas = Stats2(free=FREE).truth * (1.0 + 0.03 * np.random.default_rng(3).standard_normal((5, 5)))
    got = make_backend("cached-cpu", pb, kernel=kernel).cross_sections(thetas)
    want = make_backend("numba-cpu", pb).cross_sections(thetas)
    assert np.max(np.abs(got / want - 1.0)) < 1e-11


def test_cached_cpu_batch_split_over_threads_matches_single_sets():
    """A batch big enough to be split over threads gives each set's own numbers."""
    import numba

    pb = _problem(n=30)
    rng = np.random.default_rng(8)
    B = 24
    thetas = FULL.truth * (1.0 + 0.02 * rng.standard_normal((B, FULL.n_params)))
    W = rng.poisson(1.0, (B, pb.n_events)).astype(float)
    be = make_backend("cached-cpu", pb)
    old = numba.get_num_threads()
    numba.set_num_threads(max(2, old) if numba.config.NUMBA_NUM_THREADS >= 2 else 1)
    try:
        L, g = be.loss_and_grad(thetas, W)
        ds = be.cross_sections(thetas)
    finally:
        numba.set_num_threads(old)
    for b in range(B):
        Lb, gb = be.loss_and_grad(thetas[b : b + 1], W[b : b + 1])
        assert np.allclose(L[b], Lb[0], rtol=1e-12, atol=0) and np.allclose(g[b], gb[0], rtol=1e-10, atol=1e-12)
        assert np.allclose(ds[b], be.cross_sections(thetas[b : b + 1])[0], rtol=1e-12, atol=0)


def _real_gpu():
    from theory.pipeline.bench import _cuda_available

    return _cuda_available()


@pytest.mark.needs_cuda
@pytest.mark.filterwarnings("ignore:.*Grid size")  # numba-cuda's low-occupancy note for 300 events
@pytest.mark.skipif(not _real_gpu(), reason="no GPU here (CI covers the CUDA kernels in the simulator)")
def test_cuda_backends_on_a_real_gpu():
    """Where a GPU is attached: numba-cuda and cached-cuda against numpy-loop, unchanged code."""
    for mode in ("truncated", "iterated-exact"):
        pb = _problem(mode, n=300)
        W = np.random.default_rng(4).poisson(1.0, (3, pb.n_events)).astype(float)
        ref = make_backend("numpy-loop", pb)
        expected = (ref.cross_sections(_thetas()), *ref.loss_and_grad(_thetas(), W))
        for name in ("numba-cuda", "cached-cuda"):
            be = make_backend(name, pb)
            got = (be.cross_sections(_thetas()), *be.loss_and_grad(_thetas(), W))
            for g, e in zip(got, expected, strict=True):
                assert np.allclose(g, e, rtol=1e-10, atol=0), (mode, name)
            for g, e in zip(be.predictions(_thetas()[1], True), ref.predictions(_thetas()[1], True), strict=True):
                assert np.max(np.abs(g - e)) <= 1e-10 * np.max(np.abs(e)), (mode, name)
