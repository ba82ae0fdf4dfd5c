"""Shared test helpers."""

import numpy as np


def contour_grid():
    """Complex N on the default Mellin contour and shifted copies, as the kernels meet them."""
    z = np.linspace(0.0, 300.0, 121)
    N = 1.9 + z * np.exp(0.75j * np.pi)
    return np.concatenate([N, N - 1.1, N + 0.5, N / 2.0, (N - 1.0) / 2.0 + 1.0])
