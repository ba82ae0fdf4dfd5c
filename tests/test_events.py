"""Event generation follows the cross section; event files are validated row by row."""

import numpy as np
import pytest
from scipy.stats import chi2

from theory.inference.events import EventFileError, cross_sections, generate, load_events, save_events
from theory.inference.quadrature import cut_region_nodes
from theory.inference.run import Run
from theory.pipeline.config import validate


@pytest.fixture(scope="module")
def theory():
    return Run.from_config(validate({"events": {"p": 4000, "n": 500}}))


@pytest.fixture(scope="module")
def sample(theory):
    return generate(theory, 4000, "p", theory.truth, seed=7)


def test_generation_is_seeded_and_inside_the_cuts(theory, sample):
    assert abs(len(sample) - 4000) < 5 * np.sqrt(4000)
    assert theory.sets[0].cuts.inside(sample.x, sample.Q2, theory.sets[0].sqrt_s ** 2).all()
    again = generate(theory, 200, "p", theory.truth, seed=7)
    assert np.array_equal(again.x, generate(theory, 200, "p", theory.truth, seed=7).x)
    assert not np.array_equal(again.x, generate(theory, 200, "p", theory.truth, seed=8).x)
    assert sample.meta["lumi_true_nb"] == pytest.approx(4000 / sample.meta["sigma_nb"])
    assert sample.lumi_nb == sample.meta["lumi_true_nb"]  # no luminosity uncertainty asked for


def test_counts_are_poisson_and_the_measured_luminosity_scatters(theory):
    """100 pseudo-data sets of 30 expected events: counts Poisson(30), measured lumi N(L, 5% L)."""
    draws = [generate(theory, 30, "n", theory.truth, seed=s, lumi_uncertainty=0.05) for s in range(100)]
    n = np.array([len(d) for d in draws])
    assert abs(n.mean() - 30) < 5 * np.sqrt(30 / 100) and 0.6 < n.var() / 30 < 1.5
    z = np.array([(d.lumi_nb / d.meta["lumi_true_nb"] - 1) / 0.05 for d in draws])
    assert abs(z.mean()) < 0.5 and 0.7 < z.std() < 1.3


def test_events_follow_the_cross_section(theory, sample):
    """chi^2 of the 2-D (ln x, ln Q2) histogram against counts from the integrated cross section."""
    s = theory.sets[0].sqrt_s ** 2
    xq, qq, wq = cut_region_nodes(theory.sets[0].cuts, s, n_x=192, n_q2=48, q2_breaks=(20.25,))
    dens = cross_sections(theory, xq, qq, "p", theory.truth, theory.tables) * wq
    expected_total = dens.sum()
    xb = np.quantile(np.log(sample.x), np.linspace(0, 1, 6))
    qb = np.quantile(np.log(sample.Q2), np.linspace(0, 1, 5))
    xb[0], xb[-1], qb[0], qb[-1] = -np.inf, np.inf, -np.inf, np.inf
    observed, _, _ = np.histogram2d(np.log(sample.x), np.log(sample.Q2), bins=[xb, qb])
    expected, _, _ = np.histogram2d(np.log(xq), np.log(qq), bins=[xb, qb], weights=dens)
    expected *= len(sample) / expected_total
    stat = np.sum((observed - expected) ** 2 / expected)
    dof = observed.size - 1
    assert chi2.sf(stat, dof) > 1e-3, (stat, dof)


def test_round_trip_through_hdf5(theory, sample, tmp_path):
    path = tmp_path / "events" / "p.h5"
    save_events(path, sample, theory, theory.truth, "p")
    loaded = load_events(path, "p", theory.sets[0].cuts, theory.sets[0].sqrt_s)
    assert np.array_equal(loaded.x, sample.x) and loaded.lumi_nb == sample.lumi_nb
    with pytest.raises(EventFileError, match="not 'n'"):
        load_events(path, "n", theory.sets[0].cuts, theory.sets[0].sqrt_s)


@pytest.mark.parametrize(
    "content,needle",
    [
        ("x,Q2\n0.01,10\n0.2,nan\n", "row 2, column Q2"),
        ("x,Q2\n0.01,10\n-0.2,10\n", "row 2, column x"),
        ("x,Q2\n0.01,10\n0.001,5000\n", "row 2, columns x, Q2"),
        ("x,Qsq\n0.01,10\n", "column Q2: missing"),
        ("x,Q2\n0.01,ten\n", "row 1, column Q2: 'ten' is not a number"),
        ("x,Q2\n", "holds no events"),
        ("", "no header"),
    ],
)
def test_bad_csv_files_give_one_line(theory, tmp_path, content, needle):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(EventFileError) as err:
        load_events(path, "p", theory.sets[0].cuts, theory.sets[0].sqrt_s, lumi_nb=1.0)
    message = str(err.value)
    assert needle in message and str(path) in message and "\n" not in message


def test_csv_needs_a_luminosity(theory, tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text("x,Q2\n0.01,10\n")
    with pytest.raises(EventFileError, match="events.lumi.p"):
        load_events(path, "p", theory.sets[0].cuts, theory.sets[0].sqrt_s)
    assert len(load_events(path, "p", theory.sets[0].cuts, theory.sets[0].sqrt_s, lumi_nb=2.0)) == 1
