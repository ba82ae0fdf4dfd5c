"""Event samples: exact generation from the cross section, and validated loading of files.

Generation (per data set, seeded): accept-reject in (u, v) = (ln x, ln Q^2) over the box around
the cut region for the density f = x Q^2 d2sigma/dx dQ^2 of the truth parameters. Candidates
are uniform in u and have density g ~ e^{-v} in v (Q^2 ~ 1/Q^2 dQ^2, the photon propagator's
fall, drawn by inverting its distribution function) and are kept with probability f / (M g),
i.e. when r M' < f Q^2, M' = 1.5 times the largest f Q^2 on the quadrature grid: ~25% of the
candidates at sqrt(s) = 140 GeV against 4% for a uniform v (each candidate inside the cuts costs a
cross section). Should any candidate ever exceed the envelope, it is raised and the sample
restarts from the same seed, so the result is an exact draw from the normalised cross section
inside the cuts.

Pseudo-data fluctuate as data do: the configured count is the expected one, mu_t, which fixes
the true luminosity L_t = mu_t / sigma_t(truth); the sample's size is N_t ~ Poisson(mu_t), and its
"measured" luminosity, the one a fit uses, is L_t (1 + delta_t z_t), z_t ~ N(0, 1), with delta_t
the configured relative uncertainty (the auxiliary measurement the fit's luminosity nuisance
constrains, ``theory.inference.likelihood``). All from the data set's seeded stream
(``event_stream``).

Files (``events/<data set>.h5``): datasets ``x``, ``Q2`` (float64, HDF5 chunks of ``FILE_CHUNK``
events) and attributes ``dataset``, ``target``, ``lepton``, ``polarisation``, ``n``, ``seed``,
``sqrt_s``, ``lumi_nb`` (measured), ``lumi_rel_unc``, ``sigma_nb``, ``cuts``, ``theory`` (JSON) and
the provenance stamp (``versions``, ``created``, ``git_commit``;
``theory.provenance``); the generator's truth in ``truth`` (JSON parameters), ``expected_n`` and
``lumi_true_nb``, recorded for closure tests and never read by a fit.
``load_events`` also reads CSV files with ``x`` and ``Q2`` columns.
"""

import csv
import json
import os
from dataclasses import dataclass, field

import numpy as np

from theory.atomic import write_hdf5
from theory.provenance import stamp
from theory.qcd.flavours import TARGET_CODES

STREAM = 1000
"""SeedSequence([seed, STREAM + c]) drives the events of Stats-2's data sets p (c = 0) and n (c = 1),
[seed, STREAM, CRC-32 of the name] those of any other data set (``event_stream``)."""
BATCH_MAX = 1 << 20
"""Candidates per accept-reject batch at most (4 x expected below): the generator's memory does
not grow with the sample beyond the accepted events themselves."""
FILE_CHUNK = 1 << 16
"""Events per HDF5 chunk of the event files' datasets."""


class EventFileError(ValueError):
    """A bad event file, reported as one line naming file, row and column."""


@dataclass
class EventSample:
    """One data set's events (``target`` the data set's target)."""

    target: str
    x: np.ndarray
    Q2: np.ndarray
    lumi_nb: float | None = None
    meta: dict = field(default_factory=dict)

    def __len__(self):
        return len(self.x)


def event_stream(seed, name):
    """The SeedSequence of a data set's events: Stats-2's p and n keep their words (``STREAM``)."""
    from theory.inference.replicas import dataset_word

    if name in TARGET_CODES:
        return np.random.SeedSequence([seed, STREAM + TARGET_CODES[name]])
    return np.random.SeedSequence([seed, STREAM, dataset_word(name)])


def density_problem(theory, x, Q2, name, tables=None):
    """A Problem for cross sections of candidate points of data set ``name`` (numba-cpu)."""
    from theory.kernels.backends import Problem

    code = theory.set(name).code
    return Problem(theory.setup, theory.contour, theory.truth_param, x, Q2, np.full(len(x), code),
                   sets=theory.problem_sets(), tables=tables, **theory.problem_options())  # fmt: skip


def cross_sections(theory, x, Q2, name, theta, tables=None):
    """d2sigma/dx dQ2 (nb/GeV^2) of data set ``name`` at points for one parameter set (numba-cpu)."""
    from theory.kernels.backends import make_backend

    if len(x) == 0:
        return np.zeros(0)
    return make_backend("numba-cpu", density_problem(theory, x, Q2, name, tables)).cross_sections(theta)[0]


def generate(theory, expected, name, theta, seed, lumi_uncertainty=0.0, batch=None, log=None):
    """Draw a pseudo-data sample of ``expected`` events on average for data set ``name``.

    ``theory`` is a ``theory.inference.run.Run`` (setup, contour, truth_param and the data set's
    cuts, sqrt(s), beam and quadrature); ``theta`` holds all nine stats2 parameters. The count is
    Poisson(expected), the returned EventSample's lumi_nb the measured luminosity (true one times
    1 + delta z).
    """
    st = theory.set(name)
    s = st.s
    cuts = st.cuts
    xq, qq, wq = st.quadrature
    dq = cross_sections(theory, xq, qq, name, theta, theory.tables)
    sigma = float(dq @ wq)
    envelope = 1.5 * float((dq * xq * qq * qq).max())  # of h = f Q^2 = f / g up to a constant
    x_lo, x_hi = cuts.x_range(s)
    u_lo, u_hi = np.log(x_lo), np.log(x_hi)
    v_lo, v_hi = np.log(cuts.q2_min), np.log(cuts.y_max * x_hi * s)
    g_lo, g_hi = np.exp(-v_lo), np.exp(-v_hi)  # v = -ln(g_lo - r (g_lo - g_hi)) has density ~ e^{-v}
    batch = batch or min(BATCH_MAX, max(1000, int(4 * expected)))
    while True:
        rng = np.random.default_rng(event_stream(seed, name))
        n = int(rng.poisson(expected))
        lumi_true = expected / sigma
        lumi_measured = lumi_true * (1.0 + lumi_uncertainty * rng.standard_normal())
        if n == 0:
            raise ValueError(f"events {name}: drew 0 events of {expected:g} expected; raise its expected count")
        xs, qs = [], []
        accepted = 0
        exceeded = 0.0
        while accepted < n:
            u = rng.uniform(u_lo, u_hi, batch)
            Q2 = 1.0 / (g_lo - rng.uniform(0.0, 1.0, batch) * (g_lo - g_hi))
            r = rng.uniform(0.0, 1.0, batch)
            x = np.exp(u)
            inside = cuts.inside(x, Q2, s)
            h = np.zeros(batch)
            xi, qi = x[inside], Q2[inside]
            h[inside] = cross_sections(theory, xi, qi, name, theta, theory.tables) * xi * qi * qi
            exceeded = max(exceeded, float(h.max()))
            if exceeded > envelope:
                break
            keep = inside & (r * envelope < h)
            xs.append(x[keep])
            qs.append(Q2[keep])
            accepted += int(keep.sum())
        if exceeded > envelope:
            if log:
                log(f"events {name}: envelope exceeded ({exceeded:.4g} > {envelope:.4g}); raising it and restarting")
            envelope = 2.0 * exceeded
            continue
        x = np.concatenate(xs)[:n]
        Q2 = np.concatenate(qs)[:n]
        meta = {"seed": seed, "sigma_nb": sigma, "envelope": envelope, "expected_n": float(expected),
                "lumi_true_nb": lumi_true, "lumi_rel_unc": float(lumi_uncertainty), "dataset": name}  # fmt: skip
        return EventSample(st.target, x, Q2, lumi_nb=lumi_measured, meta=meta)


def save_events(path, sample, theory, theta, name):
    """Write data set ``name``'s events to HDF5 atomically, with truth, beam, cuts, luminosity and seed."""
    st = theory.set(name)
    with write_hdf5(path) as f:
        for col_name, col in (("x", sample.x), ("Q2", sample.Q2)):
            f.create_dataset(col_name, data=col, chunks=(min(len(col), FILE_CHUNK),))
        f.attrs["dataset"] = name
        f.attrs["target"] = sample.target
        f.attrs["lepton"] = st.beam.lepton
        f.attrs["polarisation"] = st.beam.polarisation
        f.attrs["n"] = len(sample)
        f.attrs["seed"] = sample.meta.get("seed", -1)
        f.attrs["sqrt_s"] = st.sqrt_s
        f.attrs["lumi_nb"] = sample.lumi_nb
        f.attrs["sigma_nb"] = sample.meta.get("sigma_nb", float("nan"))
        for key in ("expected_n", "lumi_true_nb", "lumi_rel_unc"):
            f.attrs[key] = sample.meta.get(key, float("nan"))
        f.attrs["cuts"] = json.dumps(st.cuts.as_dict())
        f.attrs["truth"] = json.dumps(dict(zip(theory.truth_param.names, map(float, theta), strict=True)))
        f.attrs["theory"] = json.dumps(theory.record(name))
        stamp(f.attrs)


def load_events(path, target, cuts, sqrt_s, lumi_nb=None, beam=None, lumi_key=None):
    """Read and validate an event file (HDF5 or CSV with x and Q2 columns) for ``target``.

    Raises EventFileError with one line naming the file, row and column of the first problem:
    missing file or columns, wrong types, empty, NaN, non-positive or out-of-cut values, or a file
    whose recorded target, sqrt(s) or beam (``beam``: theory.dis.electroweak.Beam) is another;
    ``lumi_key`` names the config key of ``lumi_nb`` in the message for a file without one.
    """
    path = str(path)
    if not os.path.isfile(path):
        raise EventFileError(f"{path}: no such event file")
    if path.endswith((".h5", ".hdf5")):
        x, Q2, attrs = _read_hdf5(path)
    elif path.endswith(".csv"):
        (x, Q2), attrs = _read_csv(path), {}
    else:
        raise EventFileError(f"{path}: unknown event file type (use .h5/.hdf5 or .csv)")
    if len(x) == 0:
        raise EventFileError(f"{path}: the file holds no events")
    for name, col in (("x", x), ("Q2", Q2)):
        bad = ~np.isfinite(col)
        if bad.any():
            raise EventFileError(f"{path}: row {int(np.argmax(bad)) + 1}, column {name}: value is not a finite number")
        bad = col <= 0
        if bad.any():
            row = int(np.argmax(bad))
            raise EventFileError(f"{path}: row {row + 1}, column {name}: {col[row]!r} must be positive")
    bad = x >= 1
    if bad.any():
        row = int(np.argmax(bad))
        raise EventFileError(f"{path}: row {row + 1}, column x: {x[row]!r} must be below 1")
    outside = ~cuts.inside(x, Q2, sqrt_s**2)
    if outside.any():
        row = int(np.argmax(outside))
        raise EventFileError(
            f"{path}: row {row + 1}, columns x, Q2: ({x[row]:.6g}, {Q2[row]:.6g}) lies outside the cuts; "
            "drop it or widen the cuts"
        )
    if "target" in attrs and attrs["target"] != target:
        raise EventFileError(f"{path}: file is for target {attrs['target']!r}, not {target!r}")
    if "sqrt_s" in attrs and abs(float(attrs["sqrt_s"]) - sqrt_s) > 1e-9 * sqrt_s:
        raise EventFileError(f"{path}: file is for sqrt(s) = {float(attrs['sqrt_s']):.6g} GeV, not {sqrt_s:.6g}")
    if beam is not None:
        for key, want in (("lepton", beam.lepton), ("polarisation", beam.polarisation)):
            if key in attrs and attrs[key] != want:
                raise EventFileError(f"{path}: file is for {key} {attrs[key]!r}, not {want!r}")
    lumi = attrs.get("lumi_nb", lumi_nb)
    if lumi is None:
        key = lumi_key or f"events.lumi.{target}"
        raise EventFileError(f"{path}: no lumi_nb attribute; give {key} in the config (nb^-1)")
    return EventSample(target, x, Q2, lumi_nb=float(lumi), meta={k: v for k, v in attrs.items()})


def _read_hdf5(path):
    import h5py

    try:
        f = h5py.File(path, "r")
    except OSError:
        raise EventFileError(f"{path}: not a readable HDF5 file") from None
    with f:
        cols = []
        for name in ("x", "Q2"):
            if name not in f:
                raise EventFileError(f"{path}: column {name}: missing dataset '{name}'")
            data = f[name]
            if data.dtype.kind not in "fiu":
                raise EventFileError(f"{path}: column {name}: dataset has type {data.dtype}, not numbers")
            cols.append(np.asarray(data[...], dtype=float).ravel())
        if len(cols[0]) != len(cols[1]):
            raise EventFileError(f"{path}: columns x and Q2 have different lengths ({len(cols[0])}, {len(cols[1])})")
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
        attrs = {k: (v.item() if hasattr(v, "item") else v) for k, v in attrs.items()}
    return cols[0], cols[1], attrs


def _read_csv(path):
    with open(path, newline="") as handle:
        rows = [r for r in csv.reader(line for line in handle if not line.lstrip().startswith("#"))]
    if not rows:
        raise EventFileError(f"{path}: the file holds no header and no events")
    header = [h.strip() for h in rows[0]]
    cols = {}
    for name in ("x", "Q2"):
        if name not in header:
            raise EventFileError(f"{path}: column {name}: missing from the header {header}")
        cols[name] = header.index(name)
    out = {name: np.empty(len(rows) - 1) for name in cols}
    for i, row in enumerate(rows[1:], start=1):
        for name, c in cols.items():
            try:
                out[name][i - 1] = float(row[c])
            except (ValueError, IndexError):
                value = row[c] if c < len(row) else ""
                raise EventFileError(f"{path}: row {i}, column {name}: {value!r} is not a number") from None
    return out["x"], out["Q2"]


def run_samples(run, generated):
    """The event samples a run fits, {data set name: EventSample} in code order: the config's
    event files where given, else the generated files ``generated[name]`` (which must exist)."""
    samples = {}
    for st in run.sets:
        ds = st.settings
        path = ds.file or generated[st.name]
        if not ds.file and not os.path.isfile(path):
            raise EventFileError(f"{path}: no events; run 'python -m theory generate --config ...' first")
        key = f"datasets.{st.name}.lumi" if run.config.get("datasets") else f"events.lumi.{st.name}"
        samples[st.name] = load_events(path, st.target, st.cuts, st.sqrt_s, ds.lumi, st.beam, key)
    return samples
