"""The channel form of the response equals the kernel rows of ``theory.kernels.response`` (1e-14)."""

import numpy as np
import pytest

from theory.kernels.backends import Problem
from theory.kernels.backends.cached import kernel_for
from theory.kernels.channels import channel_tables, has_channel_form, monomials
from theory.pdfs.stats2 import Stats2
from theory.pipeline.bench import sample_events
from theory.qcd.evolution import EvolutionSetup
from theory.qcd.mellin import Contour


@pytest.mark.parametrize("order,scheme", [("lo", "vfns"), ("nlo", "vfns"), ("nlo", "ffns4")])
def test_channel_form_reproduces_the_kernel(order, scheme):
    x, Q2, tg = sample_events(200, seed=5)
    pb = Problem(EvolutionSetup(order, "truncated", scheme), Contour(), Stats2(), x, Q2, tg)
    K = kernel_for(pb)
    p, C = channel_tables(pb.tables)
    ev, N = pb.ev, pb.tables.N
    r = ev.region
    ex = np.exp(p[r] * ev.lnrho[:, None, None] - N * ev.logx[:, None, None])  # [n, c, j]
    s = monomials(ev.a, ev.y)  # [n, m]
    got = ev.factor[:, None, None] * np.einsum("icj,im,icmkj->ikj", ex, s, C[r])
    scale = np.abs(K).max(axis=(1, 2), keepdims=True)
    assert np.max(np.abs(got - K) / scale) < 1e-14


def test_iterated_exact_has_no_channel_form():
    pb = Problem(EvolutionSetup("nlo", "iterated-exact", "vfns"), Contour(), Stats2(), [0.01], [10.0], [0])
    assert not has_channel_form(pb.tables)
    with pytest.raises(ValueError, match="truncated"):
        channel_tables(pb.tables)
