"""Backends behind one interface, chosen by name (``make_backend``); ``BACKENDS`` is the registry.

| name | what |
|---|---|
| numpy-loop | Python loop over events, numpy over contour nodes: the 1.00x reference |
| numpy-vectorized | numpy over events x nodes, chunked |
| numba-cpu | ``@njit(parallel=True)``, prange over events, no temporaries in the hot loop |
| numba-cuda | ``@cuda.jit``, events x nodes across threads |
| cached-cpu | the cached kernel K (HDF5-storable) and BLAS matrix products |
| cached-cuda | the cached kernel on a GPU, our own tiled matrix-product kernels |

Capabilities are attributes of the registry's entries, never guessed from names: ``cached``
(multiplies by the kernel file of the tables stage), ``gpu`` (needs one CUDA device),
``threaded`` (uses the job's threads) and ``concurrent`` (may serve several threads at once).
Every backend carries both responses: photon exchange at mu = Q (three components) and the
five-component one (gamma/Z, ``theory.process: nc``, and scale choices, ``theory.scales``).
"""

from dataclasses import dataclass

from theory.kernels.backends.problem import Problem  # noqa: F401


@dataclass(frozen=True)
class BackendSpec:
    """A backend: where its class lives and what it needs."""

    name: str
    module: str
    cls: str
    cached: bool = False
    """Uses the cached kernel (``tables/kernel.h5``)."""
    gpu: bool = False
    """Runs on one CUDA GPU."""
    threaded: bool = True
    """Uses the job's threads (Numba's or BLAS's); the numpy references run on one."""
    concurrent: bool = False
    """Its forward pass may run on several Python threads at once (the fits then put one replica
    on each of the job's threads); Numba's parallel kernels and the GPU backends may not."""


BACKENDS = {
    spec.name: spec
    for spec in (
        BackendSpec("numpy-loop", "numpy_backends", "NumpyLoop", threaded=False, concurrent=True),
        BackendSpec("numpy-vectorized", "numpy_backends", "NumpyVectorized", threaded=False, concurrent=True),
        BackendSpec("numba-cpu", "numba_cpu", "NumbaCPU"),
        BackendSpec("numba-cuda", "cuda", "NumbaCUDA", gpu=True),
        BackendSpec("cached-cpu", "cached", "CachedCPU", cached=True, concurrent=True),
        BackendSpec("cached-cuda", "cuda", "CachedCUDA", cached=True, gpu=True),
    )
}


def make_backend(name, problem, **options):
    """The backend called ``name`` for ``problem`` (a ``Problem``); CUDA modules load only when asked."""
    import importlib

    if name not in BACKENDS:
        raise ValueError(f"backend {name!r} is not one of {', '.join(BACKENDS)}")
    spec = BACKENDS[name]
    return getattr(importlib.import_module(f"{__name__}.{spec.module}"), spec.cls)(problem, **options)
