"""The Poisson bootstrap: counts, counter-based regeneration of any event range, luminosity centres."""

import numpy as np
import pytest
from scipy.stats import chi2, poisson

from theory.inference.replicas import (
    POISSON1_CDF,
    _invert,
    _invert_in_order,
    lumi_centre,
    poisson_weights,
    replica_weights,
)


def test_counts_are_poisson_one():
    """200,000 counts against Poisson(1): chi^2 of the count histogram, mean and variance."""
    w = np.concatenate([poisson_weights(11, "p", b, 0, 20_000) for b in range(1, 11)])
    assert np.all(w == np.round(w)) and w.min() >= 0
    kmax = 5
    observed = np.array([np.sum(w == k) for k in range(kmax)] + [np.sum(w >= kmax)])
    probs = np.append(poisson.pmf(np.arange(kmax), 1.0), poisson.sf(kmax - 1, 1.0))
    stat = np.sum((observed - probs * len(w)) ** 2 / (probs * len(w)))
    assert chi2.sf(stat, kmax) > 1e-3, (observed, stat)
    assert abs(w.mean() - 1) < 5 * 1 / np.sqrt(len(w)) and abs(w.var() - 1) < 5 * np.sqrt(3 / len(w))


def test_inversion_is_the_distribution_functions_searchsorted():
    """The branch-free count equals searchsorted(cdf, u, "right") at and beside every step of the
    distribution function (the counts 0 .. 23 and the cap), and on raw draws; in any order."""
    steps = np.concatenate([POISSON1_CDF, [0.0, 0.5, 1.0 - 2.0**-53]])
    u = np.concatenate([steps, np.nextafter(steps, 0.0), np.nextafter(steps, 1.0)])
    u = np.clip(np.floor(u * 2.0**53), 0, 2.0**53 - 1)  # representable as (raw >> 11) 2^-53
    raw = np.concatenate(
        [u.astype(np.uint64) << np.uint64(11), np.random.default_rng(2).integers(0, 2**63, 5000, np.uint64)]
    )
    expect = np.searchsorted(POISSON1_CDF, (raw >> np.uint64(11)).astype(np.float64) * 2.0**-53, "right")
    out = np.empty(len(raw))
    _invert(raw, POISSON1_CDF, out)
    assert np.array_equal(out, expect) and out.max() >= 10
    order = np.random.default_rng(3).permutation(len(raw))
    _invert_in_order(raw, POISSON1_CDF, order, out)
    assert np.array_equal(out, expect[order])
    shuffled = poisson_weights(3, "n", 7, 10, 60, order=order[order < 50])
    assert np.array_equal(shuffled, poisson_weights(3, "n", 7, 10, 60)[order[order < 50]])


def test_any_event_range_regenerates_the_same_weights():
    whole = poisson_weights(3, "n", 7, 0, 1001)
    for lo, hi in ((0, 1), (1, 5), (3, 4), (5, 17), (500, 1001), (998, 1001), (4, 4)):
        assert np.array_equal(poisson_weights(3, "n", 7, lo, hi), whole[lo:hi]), (lo, hi)
    parts = [poisson_weights(3, "n", 7, lo, min(lo + 97, 1001)) for lo in range(0, 1001, 97)][::-1]
    assert np.array_equal(np.concatenate(parts[::-1]), whole)


def test_weights_depend_on_seed_dataset_and_replica_only():
    w = replica_weights(5, 3, {"p": 10, "n": 7})
    assert np.array_equal(w, replica_weights(5, 3, {"p": 10, "n": 7}))
    assert np.array_equal(w[:10], poisson_weights(5, "p", 3, 0, 10))
    for other in (replica_weights(5, 4, {"p": 10, "n": 7}), replica_weights(6, 3, {"p": 10, "n": 7})):
        assert not np.array_equal(w, other)
    assert not np.array_equal(poisson_weights(5, "p", 3, 0, 50), poisson_weights(5, "n", 3, 0, 50))
    assert np.array_equal(replica_weights(5, 0, {"p": 3, "n": 2}), np.ones(5))


def test_counts_are_independent_between_events_and_replicas():
    a = np.stack([poisson_weights(9, "p", b, 0, 4000) for b in range(1, 41)])  # [replicas, events]
    r_events = np.corrcoef(a[:, :-1].ravel(), a[:, 1:].ravel())[0, 1]
    r_replicas = np.corrcoef(a[:-1].ravel(), a[1:].ravel())[0, 1]
    limit = 5 / np.sqrt(a.size)
    assert abs(r_events) < limit and abs(r_replicas) < limit


def test_lumi_centres_are_normal_around_one():
    c = np.array([lumi_centre(1, "p", b, 0.02) for b in range(1, 2001)])
    assert lumi_centre(1, "p", 0, 0.02) == 1.0 and lumi_centre(1, "p", 5, 0.0) == 1.0
    z = (c - 1) / 0.02
    assert abs(z.mean()) < 5 / np.sqrt(len(z)) and abs(z.std() - 1) < 5 / np.sqrt(2 * len(z))
    assert c[0] == lumi_centre(1, "p", 1, 0.02) and c[0] != lumi_centre(1, "n", 1, 0.02)


def test_bad_range_is_refused():
    with pytest.raises(ValueError, match="non-negative"):
        poisson_weights(1, "p", 1, 5, 3)
