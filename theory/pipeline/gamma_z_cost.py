"""``python -m theory bench --gamma-z``: what gamma/Z costs against photon exchange, every backend.

The same events (uniform in (ln x, ln Q^2) inside the default cuts, p and n), the same parameter
sets and normalisation-free rows, evaluated with photon exchange (``theory.process: em``, the three-
component response) and with gamma/Z (``nc``: five components, e- at P = -0.7), one loss +
gradient of ``batch`` sets per call. The two are timed alternately, ``repeats`` times each, so a
ratio compares runs made side by side; the JSON holds every repeat and the table the median ratio
with its range. numpy-loop runs on ``loop_events`` (it is the slow reference); the CUDA backends
only where a GPU is present. JSON: ``machine``, ``config`` (events, batch, repeats), ``backends``
{name: {events, em_s [repeats], nc_s [repeats], ratio {min, median, max}}}.
"""

import time

import numpy as np

BACKENDS_CPU = ("numpy-loop", "numpy-vectorized", "numba-cpu", "cached-cpu")
BAR = 2.5
"""The EIC issue's bar: a gamma/Z loss evaluation costs at most 2.5x the photon-only one."""


def _problems(n, seed=3):
    from theory.dis.electroweak import Beam
    from theory.kernels.backends import Problem
    from theory.pdfs.stats2 import Stats2
    from theory.pipeline.bench import sample_events
    from theory.qcd.evolution import EvolutionSetup
    from theory.qcd.flavours import component_weights
    from theory.qcd.mellin import Contour

    setup, contour = EvolutionSetup("nlo", "truncated", "vfns"), Contour()
    x, q2, target = sample_events(n, seed=seed)
    out = {}
    for process in ("em", "nc"):
        param = Stats2(components=component_weights(["p", "n"], process == "nc"))
        out[process] = Problem(setup, contour, param, x, q2, target, process=process, beam=Beam("e-", -0.7))
    return out


def run(n_events=10000, batch=32, repeats=5, loop_events=300, log=print):
    """The cost table (see the module docstring)."""
    from theory.kernels.backends import BACKENDS, make_backend
    from theory.pipeline.bench import _cuda_available, _machine

    names = list(BACKENDS_CPU) + ([n for n in BACKENDS if BACKENDS[n].gpu] if _cuda_available() else [])
    import os
    from types import SimpleNamespace

    out = {"machine": _machine(SimpleNamespace(cores=os.cpu_count())),
           "config": {"events": n_events, "batch": batch, "repeats": repeats, "loop_events": loop_events},
           "backends": {}}  # fmt: skip
    problems = {n: _problems(n) for n in sorted({n_events, loop_events})}
    for name in names:
        n = loop_events if name == "numpy-loop" else n_events
        pbs = problems[n]
        rng = np.random.default_rng(1)
        thetas = pbs["em"].param.truth * (1 + 0.01 * rng.standard_normal((batch, 9)))
        w = rng.poisson(1.0, (batch, n)).astype(float)
        backends = {p: make_backend(name, pb) for p, pb in pbs.items()}
        for be in backends.values():  # set-up, compilation, factors: not timed (the full batch's shapes)
            be.loss_and_grad(thetas, w)
        times = {"em": [], "nc": []}
        for _ in range(repeats):
            for process, be in backends.items():
                t0 = time.perf_counter()
                be.loss_and_grad(thetas, w)
                times[process].append(time.perf_counter() - t0)
        ratios = np.array(times["nc"]) / np.array(times["em"])
        out["backends"][name] = {"events": n, "em_s": times["em"], "nc_s": times["nc"],
                                 "ratio": {"min": float(ratios.min()), "median": float(np.median(ratios)),
                                           "max": float(ratios.max())}}  # fmt: skip
        log(f"bench --gamma-z: {name}: ratio {np.median(ratios):.2f} ({ratios.min():.2f}-{ratios.max():.2f})")
    return out


def format_table(result):
    """The table of ``run``'s result: per backend, ms per parameter set and the ratio."""
    batch = result["config"]["batch"]
    lines = [f"{'backend':18s} {'events':>7s} {'photon ms/set':>14s} {'gamma/Z ms/set':>15s}  ratio median (range)"]
    for name, r in result["backends"].items():
        em, nc, q = 1e3 * np.median(r["em_s"]) / batch, 1e3 * np.median(r["nc_s"]) / batch, r["ratio"]
        mark = "" if q["median"] <= BAR else f"  above the {BAR}x bar"
        lines.append(f"{name:18s} {r['events']:7d} {em:14.3f} {nc:15.3f}  {q['median']:.2f} "
                     f"({q['min']:.2f}-{q['max']:.2f}){mark}")  # fmt: skip
    return "\n".join(lines)
