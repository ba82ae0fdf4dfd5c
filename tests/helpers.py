"""Shared test helpers."""

import numpy as np


def contour_grid():
    """Complex N on the default Mellin contour and shifted copies, as the kernels meet them."""
    z = np.linspace(0.0, 300.0, 121)
    N = 1.9 + z * np.exp(0.75j * np.pi)
    return np.concatenate([N, N - 1.1, N + 0.5, N / 2.0, (N - 1.0) / 2.0 + 1.0])


def assert_backends_match_reference(problem, names, thetas, weights, label="", tol=1e-10):
    """Loss and gradient of each named backend against numpy-loop's on ``problem``: the worst
    relative difference below ``tol`` (printed with ``label``; the CUDA ones under the simulator)."""
    from theory.kernels.backends import make_backend

    ref = make_backend("numpy-loop", problem).loss_and_grad(thetas, weights)
    for name in names:
        got = make_backend(name, problem).loss_and_grad(thetas, weights)
        worst = max(float(np.max(np.abs(g / e - 1))) for g, e in zip(got, ref, strict=True))
        print(label, name, worst)
        assert worst < tol, (name, worst)
