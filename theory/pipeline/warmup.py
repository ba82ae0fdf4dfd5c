"""Compile every Numba kernel a run's jobs use, once, before the fan-out.

Parallel jobs that compile the same ``@njit(cache=True)`` functions race to write Numba's
on-disk cache; on a shared file system that can crash a job (legend-simflow warms up serially
for the same reason). ``warm_up`` runs each kernel once on a few points, with the argument types
the jobs use, so every later job loads the compiled code from ``NUMBA_CACHE_DIR`` (or the
package's ``__pycache__``) instead of compiling it. CUDA kernels compile for the GPU a job runs
on and are not warmed here: one warm-up per node type (and GPU generation) is what a cluster
needs.
"""

import os
import time

import numpy as np


def warm_up(run, log=print):
    """Call every kernel the run's stages use; returns {step: seconds}."""
    from theory.dis.structure_functions import structure_functions
    from theory.inference.events import cross_sections
    from theory.kernels.backends import BACKENDS, make_backend
    from theory.kernels.backends.cached import CachedKernel
    from theory.pdfs import lha
    from theory.qcd.evolution import EvolutionSetup
    from theory.qcd.mellin import Contour

    seconds = {}

    def step(name, fn):
        t0 = time.perf_counter()
        fn()
        seconds[name] = time.perf_counter() - t0
        log(f"warmup: {name} in {seconds[name]:.2f} s")

    xq, qq, _ = run.sets[0].quadrature
    take = np.linspace(0, len(xq) - 1, 16).astype(int)
    samples = _samples(run, xq[take], qq[take])
    step("event density (numba-cpu)",
         lambda: cross_sections(run, xq[take], qq[take], run.names[0], run.truth, run.tables))  # fmt: skip
    problem = run.problem(samples)
    thetas = np.repeat(run.start()[None], 9, axis=0)
    backend = BACKENDS[run.fit.backend]
    options = {}

    def kernel():
        options["kernel"] = CachedKernel(problem)
        options["kernel"].factors()

    if backend.cached:
        step("kernel and factors", kernel)
    if not backend.gpu:
        be = make_backend(backend.name, problem, **options)
        step(f"{backend.name} loss and gradient", lambda: (be.loss_and_grad(thetas[:1]), be.loss_and_grad(thetas)))
    step("bands (evolution operators)", lambda: run.setup.operators(run.contour.N, run.settings.theory.mu0_2 * 2))
    for mode in ("iterated-exact", "truncated"):
        setup = EvolutionSetup(run.settings.theory.order, mode, run.settings.theory.scheme)
        contour = Contour.benchmark()
        step(f"LHA check and F2/FL ({mode})",
             lambda s=setup, c=contour: structure_functions(s, c, lha.moments(c.N), [0.1], 10.0))  # fmt: skip
    return seconds


def _samples(run, x, Q2):
    from theory.inference.events import EventSample

    return {st.name: EventSample(st.target, x, Q2, lumi_nb=1.0) for st in run.sets}


def cache_dir():
    """Where Numba writes its cache: NUMBA_CACHE_DIR, or next to each module (__pycache__)."""
    return os.environ.get("NUMBA_CACHE_DIR") or "(the package's __pycache__ folders)"
