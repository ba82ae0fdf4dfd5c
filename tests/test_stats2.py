"""The stats2 parametrisation: sum rules, the analytic Jacobian, free/fixed bookkeeping."""

import numpy as np
import pytest

from theory.mellin import Contour
from theory.pdfs.stats2 import FREE, NAMES, TRUTH, Stats2


@pytest.mark.parametrize("scale", [1.0, 1.01, 0.97])
def test_sum_rules_hold_for_any_parameters(scale):
    p = Stats2(free=NAMES)
    f, _ = p.moments(np.array([1.0 + 0j, 2.0 + 0j]), p.truth * scale)
    assert f[0, 8] == pytest.approx(2.0, abs=1e-13)  # int u_v
    assert f[0, 7] == pytest.approx(1.0, abs=1e-13)  # int d_v
    assert f[1, 0] + f[1, 1:7].sum() == pytest.approx(1.0, abs=1e-13)  # momentum


@pytest.mark.parametrize("free", [NAMES, FREE, ("g_b", "uv_b")])
def test_jacobian_against_finite_differences(free):
    p = Stats2(free=free)
    Ns = Contour().N[::9]
    theta = p.truth * 1.01
    f, J = p.moments(Ns, theta)
    for k in range(p.n_params):
        h = 1e-6
        up, dn = theta.copy(), theta.copy()
        up[k] += h
        dn[k] -= h
        fd = (p.moments(Ns, up)[0] - p.moments(Ns, dn)[0]) / (2 * h)
        assert np.max(np.abs(fd - J[:, :, k])) <= 1e-6 * np.max(np.abs(J[:, :, k]))
    comps, cj = p.components_batch(Ns, theta[None])
    assert comps.shape == (1, 2, len(Ns), 3) and cj.shape == (1, 2, len(Ns), 3, p.n_params)


def test_free_and_fixed_bookkeeping():
    p = Stats2(fixed={"uv_b": 3.5})
    assert p.names == FREE and p.n_params == 5
    full = p.full(p.truth)
    assert full[NAMES.index("uv_b")] == 3.5 and full[NAMES.index("g_a")] == TRUTH[NAMES.index("g_a")]
    with pytest.raises(ValueError, match="sea_a outside"):
        p.check([-0.2, -0.2, 0.2, -3.0, -1.1])
    with pytest.raises(ValueError, match="unknown stats2 parameter 'gluon'"):
        Stats2(free=("gluon",))
