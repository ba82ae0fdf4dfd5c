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

BACKENDS = ("numpy-loop", "numpy-vectorized", "numba-cpu", "numba-cuda", "cached-cpu", "cached-cuda")


def make_backend(name, problem, **options):
    """The backend called ``name`` for ``problem`` (a ``Problem``)."""
    if name == "numpy-loop":
        from .numpy_backends import NumpyLoop

        return NumpyLoop(problem, **options)
    if name == "numpy-vectorized":
        from .numpy_backends import NumpyVectorized

        return NumpyVectorized(problem, **options)
    if name == "numba-cpu":
        from .numba_cpu import NumbaCPU

        return NumbaCPU(problem, **options)
    if name == "numba-cuda":
        from .cuda import NumbaCUDA

        return NumbaCUDA(problem, **options)
    if name == "cached-cpu":
        from .cached import CachedCPU

        return CachedCPU(problem, **options)
    if name == "cached-cuda":
        from .cuda import CachedCUDA

        return CachedCUDA(problem, **options)
    raise ValueError(f"backend {name!r} is not one of {', '.join(BACKENDS)}")
