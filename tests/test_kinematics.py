"""Cuts and the cut-region quadrature."""

import numpy as np
import pytest
from scipy.integrate import quad

from theory.dis.kinematics import Cuts
from theory.inference.quadrature import cut_region_nodes
from theory.qcd.constants import M_PROTON

S = 140.0**2


def test_q2_interval_and_inside_agree():
    cuts = Cuts()
    rng = np.random.default_rng(0)
    x = 10 ** rng.uniform(-4.5, 0, 20000)
    Q2 = 10 ** rng.uniform(0, 4.5, 20000)
    y = Q2 / (x * S)
    W2 = M_PROTON**2 + Q2 * (1 - x) / x
    direct = (Q2 >= 2) & (W2 >= 10) & (y >= 0.01) & (y <= 0.95) & (x <= 0.8)
    assert np.array_equal(cuts.inside(x, Q2, S), direct)


def test_region_area_matches_independent_integral():
    """The nodes integrate 1 over the region: compare with scipy over x of (Q2_hi - Q2_lo)."""
    cuts = Cuts()
    x, Q2, W = cut_region_nodes(cuts, S, q2_breaks=(20.25,))
    lo, hi = cuts.x_range(S)

    def width(xx):
        a, b = cuts.q2_interval(np.array([xx]), S)
        return max(0.0, b[0] - a[0])

    ref = quad(width, lo, hi, points=cuts.kinks(S), limit=200, epsrel=1e-12)[0]
    assert W.sum() == pytest.approx(ref, rel=1e-10)


def test_bad_cuts_are_named():
    with pytest.raises(ValueError, match="y_min"):
        Cuts(y_min=0.9, y_max=0.5)
    with pytest.raises(ValueError, match="x_max"):
        Cuts(x_max=1.5)


def test_default_quadrature_is_converged():
    """sigma from the default grid (48 x 8) against a grid four times finer in each direction."""
    from theory.inference.events import cross_sections
    from theory.inference.run import Run
    from theory.pipeline.config import validate

    theory = Run.from_config(validate({}))
    xq, qq, wq = theory.sets[0].quadrature
    fine = cut_region_nodes(theory.sets[0].cuts, S, 192, 32, q2_breaks=(20.25,))
    for target in ("p", "n"):
        coarse = cross_sections(theory, xq, qq, target, theory.truth, theory.tables) @ wq
        ref = cross_sections(theory, fine[0], fine[1], target, theory.truth, theory.tables) @ fine[2]
        assert coarse == pytest.approx(ref, rel=1e-9)
