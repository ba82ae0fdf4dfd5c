"""Next-to-leading-order anomalous dimensions gamma^(1)(N).

Implements Eqs. (3.5), (3.6) of Moch, Vermaseren, Vogt, hep-ph/0403192 (non-singlet +/-) and
Eqs. (3.6)-(3.9) of Vogt, Moch, Vermaseren, hep-ph/0404111 (singlet), originally Floratos et
al. and Curci-Furmanski-Petronzio, with a_s = alpha_s/(4 pi). The alternating sums are written
through S'_k = S_k(N/2) (eta = +1, singlet-like) or S_k((N-1)/2) (eta = -1, valence-like) and
g3(N), as QCD-Pegasus and eko do; ``hs`` is the tuple of
``theory.qcd.anomalous_dimensions.harmonic_sums``.

Checks (tests/test_anomalous_dimensions.py): gamma_ns^(1)-(1) = 0 (quark number) and
gamma_qq(2) + gamma_gq(2) = gamma_qg(2) + gamma_gg(2) = 0 (momentum).
"""

from numba import njit

from theory.qcd.constants import CA, CF, LOG2, TR, ZETA2, ZETA3


@njit(cache=True)
def gamma_nsm(N, nf, hs):
    """gamma_ns^(1)-: the valence-like (q - qbar) non-singlet, eta = -1."""
    S1, S2, _, _, _, s1, s2, s3, g3 = hs
    N2 = N * N
    N1 = N + 1.0
    # fmt: off
    cfca = (16.0 * g3
            - (144.0 + N * N1 * (156.0 + N * (340.0 + N * (655.0 + 51.0 * N * (2.0 + N))))) / (18.0 * N**3 * N1**3)
            + (-44.0 / 3.0 + 8.0 / N - 8.0 / N1) * S2 - 4.0 * s2 / (N + N2)
            + S1 * (268.0 / 9.0 + 16.0 / N2 - 16.0 * S2 + 8.0 * s2) + 2.0 * s3 + 10.0 * ZETA3
            + ZETA2 * (16.0 * S1 - 16.0 * s1 - 16.0 * (1.0 + N * LOG2) / N))
    cfcf = (-32.0 * g3
            + (24.0 - N * (-32.0 + 3.0 * N * (-8.0 + N * (3.0 + N) * (3.0 + N2)))) / (2.0 * N**3 * N1**3)
            + (12.0 - 8.0 / N + 8.0 / N1) * S2
            + S1 * (-24.0 / N2 - 8.0 / N1**2 + 16.0 * S2 - 16.0 * s2) + 8.0 * s2 / (N + N2)
            - 4.0 * s3 - 20.0 * ZETA3 + ZETA2 * (-32.0 * S1 + 32.0 * s1 + 32.0 * (1.0 / N + LOG2)))
    # fmt: on
    return CF * (CA * cfca + CF * cfcf + 2.0 * TR * nf * _ns_nf(N, S1, S2))


@njit(cache=True)
def _ns_nf(N, S1, S2):
    """The C_F nf part of gamma_ns^(1)+- (the same for both)."""
    N1 = N + 1.0
    return (
        (-12.0 + N * (20.0 + N * (47.0 + 3.0 * N * (2.0 + N)))) / (9.0 * N * N * N1 * N1)
        - 40.0 / 9.0 * S1
        + 8.0 / 3.0 * S2
    )


@njit(cache=True)
def gamma_nsp(N, nf, hs):
    """gamma_ns^(1)+: the singlet-like (q + qbar) non-singlet, eta = +1."""
    S1, S2, s1, s2, s3, _, _, _, g3 = hs
    N2 = N * N
    N1 = N + 1.0
    # fmt: off
    cfca = (-16.0 * g3
            + (132.0 - N * (340.0 + N * (655.0 + 51.0 * N * (2.0 + N)))) / (18.0 * N2 * N1**2)
            + (-44.0 / 3.0 + 8.0 / N - 8.0 / N1) * S2 - 4.0 * s2 / (N + N2)
            + S1 * (268.0 / 9.0 - 16.0 / N2 - 16.0 * S2 + 8.0 * s2) + 2.0 * s3 + 10.0 * ZETA3
            + ZETA2 * (16.0 * S1 - 16.0 * s1 + 16.0 * (1.0 / N - LOG2)))
    cfcf = (32.0 * g3
            - (8.0 + N * (32.0 + N * (40.0 + 3.0 * N * (3.0 + N) * (3.0 + N2)))) / (2.0 * N**3 * N1**3)
            + (12.0 - 8.0 / N + 8.0 / N1) * S2
            + S1 * (40.0 / N2 - 8.0 / N1**2 + 16.0 * S2 - 16.0 * s2) + 8.0 * s2 / (N + N2)
            - 4.0 * s3 - 20.0 * ZETA3 + ZETA2 * (-32.0 * S1 + 32.0 * s1 + 32.0 * (-1.0 / N + LOG2)))
    # fmt: on
    return CF * (CA * cfca + CF * cfcf + 2.0 * TR * nf * _ns_nf(N, S1, S2))


@njit(cache=True)
def gamma_ps(N, nf):
    """gamma_ps^(1): the pure-singlet part of gamma_qq^(1)."""
    N1 = N + 1.0
    # fmt: off
    poly = -4.0 * (2.0 + N * (5.0 + N)) * (4.0 + N * (4.0 + N * (7.0 + 5.0 * N)))
    # fmt: on
    return 2.0 * TR * nf * CF * poly / ((N - 1.0) * N**3 * N1**3 * (2.0 + N) ** 2)


@njit(cache=True)
def gamma_qg(N, nf, hs):
    """gamma_qg^(1): Sigma <- g."""
    S1, S2, _, s2, _, _, _, _, _ = hs
    N1 = N + 1.0
    D = 2.0 + 3.0 * N + N * N  # (N+1)(N+2)
    P = 2.0 + N + N * N
    # fmt: off
    ca = (-4.0 * (16.0 + N * (64.0 + N * (104.0 + N * (128.0 + N * (85.0 + N * (36.0 + N * (25.0 + N * (15.0 + N * (6.0 + N)))))))))
          / ((N - 1.0) * N**3 * N1**3 * (2.0 + N) ** 3)
          - 16.0 * (3.0 + 2.0 * N) * S1 / D**2
          + 4.0 * P * (S1 * S1 - S2 + s2) / (N * D))
    cf = (-2.0 * (4.0 + N * (8.0 + N * N1 * (25.0 + N * (26.0 + 5.0 * N * (2.0 + N))))) / (N**3 * N1**3 * (2.0 + N))
          + 8.0 * S1 / (N * N)
          - 4.0 * P * (S1 * S1 - S2) / (N * D))
    # fmt: on
    return 2.0 * TR * nf * (CA * ca + CF * cf)


@njit(cache=True)
def gamma_gq(N, nf, hs):
    """gamma_gq^(1): g <- Sigma."""
    S1, S2, _, s2, _, _, _, _, _ = hs
    N1 = N + 1.0
    P = 2.0 + N + N * N
    M = N * (N * N - 1.0)  # (N-1) N (N+1)
    # fmt: off
    cf = ((-8.0 + 2.0 * N * (-12.0 + N * (-1.0 + N * (28.0 + N * (43.0 + 6.0 * N * (5.0 + 2.0 * N))))))
          / ((N - 1.0) * N**3 * N1**3)
          - 4.0 * (10.0 + N * (17.0 + N * (8.0 + 5.0 * N))) * S1 / ((N - 1.0) * N * N1**2)
          + 4.0 * P * (S1 * S1 + S2) / M)
    ca = (-4.0 * (144.0 + N * (432.0 + N * (-152.0 + N * (-1304.0 + N * (-1031.0 + N * (695.0 + N * (1678.0 + N * (1400.0 + N * (621.0 + 109.0 * N)))))))))
          / (9.0 * N**3 * N1**3 * (N * N + N - 2.0) ** 2)
          + 4.0 * (-12.0 + N * (-22.0 + 41.0 * N + 17.0 * N**3)) * S1 / (3.0 * (N - 1.0) ** 2 * N * N * N1)
          - 4.0 * P * (S1 * S1 + S2 - s2) / M)
    nfp = (8.0 * (16.0 + N * (27.0 + N * (13.0 + 8.0 * N))) / (9.0 * (N - 1.0) * N * N1**2)
           - 8.0 * P * S1 / (3.0 * M))
    # fmt: on
    return CF * (CA * ca + CF * cf + 2.0 * TR * nf * nfp)


@njit(cache=True)
def gamma_gg(N, nf, hs):
    """gamma_gg^(1)."""
    S1, _, s1, s2, s3, _, _, _, g3 = hs
    N1 = N + 1.0
    Q = N * N + N - 2.0  # (N-1)(N+2)
    # fmt: off
    caca = (16.0 * g3
            - 2.0 * (576.0 + N * (1488.0 + N * (560.0 + N * (-1248.0 + N * (-1384.0 + N * (1663.0 + N * (4514.0 + N * (4744.0 + N * (3030.0 + N * (1225.0 + 48.0 * N * (7.0 + N)))))))))))
            / (9.0 * (N - 1.0) ** 2 * N**3 * N1**3 * (2.0 + N) ** 3)
            + S1 * (268.0 / 9.0 + 16.0 / (N - 1.0) ** 2 + 16.0 / N1**2 - 16.0 / (2.0 + N) ** 2 - 8.0 * s2)
            + 16.0 * (1.0 + N + N * N) * s2 / (N * N1 * Q) - 2.0 * s3 - 10.0 * ZETA3
            + ZETA2 * (-16.0 * S1 + 16.0 * s1 + 16.0 * (-1.0 / N + LOG2)))
    canf = (8.0 * (6.0 + N * N1 * (28.0 + N * N1 * (13.0 + 3.0 * N * N1))) / (9.0 * N * N * N1**2 * Q)
            - 40.0 / 9.0 * S1)
    cfnf = (2.0 * (-8.0 + N * (-8.0 + N * (-10.0 + N * (-22.0 + N * (-3.0 + N * (6.0 + N * (8.0 + N * (4.0 + N))))))))
            / (N**3 * N1**3 * Q))
    # fmt: on
    return CA * CA * caca + 2.0 * TR * nf * (CA * canf + CF * cfnf)


@njit(cache=True)
def gamma_singlet(N, nf, hs):
    """The 2x2 singlet matrix ((qq, qg), (gq, gg)) as four complex numbers."""
    return (
        gamma_nsp(N, nf, hs) + gamma_ps(N, nf),
        gamma_qg(N, nf, hs),
        gamma_gq(N, nf, hs),
        gamma_gg(N, nf, hs),
    )
