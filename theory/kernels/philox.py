"""Philox4x64-10 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3",
SC11, doi:10.1145/2063384.2063405) as scalar ``@njit`` functions, bit for bit numpy's
``np.random.Philox``, for kernels that draw the bootstrap's counter-based numbers where they use
them (``theory.inference.replicas`` defines the streams; on the CPU it calls numpy itself).

One round maps the counter (c0, c1, c2, c3) with the key (k0, k1) to

    (hi(M1 c2) ^ c1 ^ k0,  lo(M1 c2),  hi(M0 c0) ^ c3 ^ k1,  lo(M0 c0))

(hi, lo: the upper and lower 64 bits of the 128-bit product), and the key is bumped by the Weyl
constants (W0, W1) between rounds; ten rounds. numpy's generator advances the counter before it
computes a block, so the block of counter value c0 = n + 1 gives outputs 4n .. 4n + 3 of a key.

The arithmetic is written for every target at once: the 128-bit products from 32-bit limbs (no
``__umul64hi``, no 128-bit integers) and the key bump without wrapping, so the same function
compiles for the CPU and as a CUDA device function, and runs in the simulator on numpy scalars
without overflow warnings.
"""

import numpy as np
from numba import njit

M0 = np.uint64(0xD2E7470EE14C6C93)
M1 = np.uint64(0xCA5A826395121157)
W0 = np.uint64(0x9E3779B97F4A7C15)
W1 = np.uint64(0xBB67AE8584CAA73B)
_WRAP0 = np.uint64(2**64 - 0x9E3779B97F4A7C15)  # k + W0 wraps exactly when k >= this
_WRAP1 = np.uint64(2**64 - 0xBB67AE8584CAA73B)
_LOW = np.uint64(0xFFFFFFFF)
_32 = np.uint64(32)
ROUNDS = 10
UNIT_53 = 2.0**-53
"""A 53-bit integer (raw >> 11) times this is a uniform double in [0, 1) (numpy's convention)."""


@njit(cache=True, nogil=True, inline="always")
def mulhilo(a, b):
    """(hi, lo) of the 128-bit product of the uint64 a and b, from 32-bit limbs."""
    a0, a1 = a & _LOW, a >> _32
    b0, b1 = b & _LOW, b >> _32
    p00, p01, p10, p11 = a0 * b0, a0 * b1, a1 * b0, a1 * b1  # each < 2^64
    mid = (p00 >> _32) + (p01 & _LOW) + (p10 & _LOW)  # < 3 x 2^32
    lo = ((mid & _LOW) << _32) | (p00 & _LOW)
    hi = p11 + (p01 >> _32) + (p10 >> _32) + (mid >> _32)  # the exact upper word: no wrap
    return hi, lo


@njit(cache=True, nogil=True, inline="always")
def _bump(k, w, wrap):
    """(k + w) mod 2^64 without a wrapping addition."""
    return k - wrap if k >= wrap else k + w


@njit(cache=True, nogil=True)
def philox4x64(c0, c1, c2, c3, k0, k1):
    """The block (four uint64) of counter (c0, c1, c2, c3) under key (k0, k1), ten rounds."""
    for r in range(ROUNDS):
        if r > 0:
            k0, k1 = _bump(k0, W0, _WRAP0), _bump(k1, W1, _WRAP1)
        hi0, lo0 = mulhilo(M0, c0)
        hi1, lo1 = mulhilo(M1, c2)
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return c0, c1, c2, c3


@njit(cache=True, nogil=True)
def raw_output(position, k0, k1):
    """Output ``position`` (int64 >= 0) of numpy's ``Philox(key=(k0, k1))`` started at counter 0:
    word position % 4 of the block of counter value position // 4 + 1."""
    block = np.uint64(position // 4) + np.uint64(1)
    z = np.uint64(0)
    r0, r1, r2, r3 = philox4x64(block, z, z, z, k0, k1)
    lane = position % 4
    if lane == 0:
        return r0
    if lane == 1:
        return r1
    if lane == 2:
        return r2
    return r3


@njit(cache=True, nogil=True, inline="always")
def poisson_count(r, cdf):
    """#{k: cdf[k] <= u}, u = (r >> 11) 2^-53, for a raw output r and an increasing distribution
    function cdf: numpy's searchsorted(cdf, u, "right"), the Poisson count of the bootstrap's
    weights (``theory.inference.replicas``) on the CPU and on the device. The first
    six comparisons are summed without branches (a data-dependent loop exit mispredicts about
    once a count, ~7 ns); counts of 6 and more (P = 8e-5) continue in a loop."""
    u = np.float64(r >> np.uint64(11)) * UNIT_53
    k = (
        np.int64(cdf[0] <= u)
        + np.int64(cdf[1] <= u)
        + np.int64(cdf[2] <= u)
        + np.int64(cdf[3] <= u)
        + np.int64(cdf[4] <= u)
        + np.int64(cdf[5] <= u)
    )
    if k == 6:
        while k < cdf.shape[0] and cdf[k] <= u:
            k += 1
    return k
