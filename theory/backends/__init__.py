"""Backends behind one interface, chosen by name (``make_backend``).

| name | what |
|---|---|
| numpy-loop | Python loop over events, numpy over contour nodes: the 1.00x reference |
| numpy-vectorized | numpy over events x nodes, chunked |
| numba-cpu | ``@njit(parallel=True)``, prange over events, no temporaries in the hot loop |
| numba-cuda | ``@cuda.jit``, events x nodes across threads |
| cached-cpu | the cached kernel K (HDF5-storable) and BLAS matrix products |
| cached-cuda | the cached kernel on a GPU, our own tiled matrix-product kernels |
"""

from .problem import Problem  # noqa: F401

_REGISTRY = {
    "numpy-loop": ("numpy_backends", "NumpyLoop"),
    "numpy-vectorized": ("numpy_backends", "NumpyVectorized"),
    "numba-cpu": ("numba_cpu", "NumbaCPU"),
    "numba-cuda": ("cuda", "NumbaCUDA"),
    "cached-cpu": ("cached", "CachedCPU"),
    "cached-cuda": ("cuda", "CachedCUDA"),
}
BACKENDS = tuple(_REGISTRY)


def make_backend(name, problem, **options):
    """The backend called ``name`` for ``problem`` (a ``Problem``); CUDA modules load only when asked."""
    import importlib

    if name not in _REGISTRY:
        raise ValueError(f"backend {name!r} is not one of {', '.join(BACKENDS)}")
    module, cls = _REGISTRY[name]
    return getattr(importlib.import_module(f".{module}", __name__), cls)(problem, **options)
