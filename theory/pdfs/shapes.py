"""JAM-style input shapes and their Mellin moments with analytic parameter derivatives.

    f(x) = A x^a (1-x)^b (1 + c sqrt(x) + d x)                    (JAM, e.g. arXiv:1601.07782)

    f(N) = A [ B(N+a, b+1) + c B(N+a+1/2, b+1) + d B(N+a+1, b+1) ]

(B the Euler Beta function), so every derivative is analytic:
    dB(N+a+k, b+1)/da = B (psi(N+a+k) - psi(N+a+k+b+1)),
    dB(N+a+k, b+1)/db = B (psi(b+1)   - psi(N+a+k+b+1)).
A normalisation fixed by a sum rule, f(N_sr) = target (quark number at N_sr = 1, momentum at
N_sr = 2), makes f(N) = target * s(N) / s(N_sr) with s the unnormalised shape.
"""

from numba import njit

from ..special import beta, polygamma

N_SHAPE_PARAMETERS = 4
"""(a, b, c, d)."""


@njit(cache=True)
def shape_moment(N, a, b, c, d, grad):
    """Unnormalised moment s(N) = B(N+a, b+1) + c B(N+a+1/2, b+1) + d B(N+a+1, b+1).

    Writes ds/d(a, b, c, d) into ``grad`` (complex[4]) and returns s(N).
    """
    psi_b = polygamma(0, b + 1.0)
    total = 0.0j
    grad[:] = 0.0
    for k, coeff in ((0.0, 1.0), (0.5, c), (1.0, d)):
        arg = N + a + k
        B = beta(arg, b + 1.0)
        psi_ab = polygamma(0, arg + b + 1.0)
        total += coeff * B
        grad[0] += coeff * B * (polygamma(0, arg) - psi_ab)
        grad[1] += coeff * B * (psi_b - psi_ab)
    grad[2] = beta(N + a + 0.5, b + 1.0)
    grad[3] = beta(N + a + 1.0, b + 1.0)
    return total


@njit(cache=True)
def normalised_moment(N, a, b, c, d, n_sr, target, grad, work):
    """f(N) = target s(N) / s(N_sr) with its gradient in (a, b, c, d) written into ``grad``.

    ``work`` is a complex[4] scratch array for the gradient of s(N_sr).
    """
    s = shape_moment(N, a, b, c, d, grad)
    s_sr = shape_moment(complex(n_sr), a, b, c, d, work)
    f = target * s / s_sr
    for i in range(N_SHAPE_PARAMETERS):
        grad[i] = target * (grad[i] - s * work[i] / s_sr) / s_sr
    return f
