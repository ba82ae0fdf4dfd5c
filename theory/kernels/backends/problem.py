"""A fit problem: events (and normalisation nodes) plus the theory that predicts them.

Rows are the events followed by the optional normalisation nodes of the extended likelihood
(a quadrature of the cut region, weights W_g that include the luminosity):

    L(theta) = sum_g W_g dsigma_g(theta) - sum_i w_i log(lumi_t(i) dsigma_i(theta)),
    dL/dtheta_p = Im sum_t sum_kj G_t,kj dc_t,k(N_j)/dtheta_p,   G_t = sum_{rows of t} u_row K_row,

with u = -w/dsigma for events and u = W for nodes (reverse mode). Every
backend returns dsigma for all rows and G; this class turns them into losses and gradients.
"""

from typing import NamedTuple

import numpy as np
from numba import vectorize

from theory.dis.electroweak import PROCESSES, Beam, Electroweak
from theory.kernels.nc_response import N_NC, NCEventConstants, nc_tables
from theory.kernels.response import EventConstants, ResponseTables
from theory.qcd.flavours import REDUCED, REDUCED_WEIGHTS, TARGET_CODES, TARGETS
from theory.qcd.scales import Scales


class RowArrays(NamedTuple):
    """Per-row target codes and normalisation weights, and how many rows are events (a kernel argument)."""

    target: np.ndarray
    node_weight: np.ndarray
    n_events: int


class DataSetTheory(NamedTuple):
    """What the response needs of one data set (a row code of the Problem): its sqrt(s) in GeV, its
    lepton beam, its measured luminosity in nb^-1 and an optional per-event correction R(x) (the
    deuteron's nuclear correction, ``theory.dis.nuclear``; None is 1)."""

    sqrt_s: float
    beam: Beam = Beam()
    lumi_nb: float = 1.0
    correction: object = None


class Problem:
    """Events, normalisation nodes, theory tables and the PDF parametrisation.

    Parameters
    ----------
    setup : theory.qcd.evolution.EvolutionSetup
    contour : theory.qcd.mellin.Contour
    parametrisation : object with ``n_params`` and ``components_batch(Ns, thetas, parallel) -> (c, dc)``
    x, Q2 : arrays of the events
    target : per event, the code of its data set (0 .. len(sets) - 1; or "p" / "n" without ``sets``)
    sets : sequence of DataSetTheory, one per data set, whose code is its position; the
        parametrisation's ``component_weights`` has one row per data set (its target's). Without
        ``sets``: the two data sets p and n (codes 0, 1) at ``sqrt_s`` with ``beam`` and ``lumi``
    sqrt_s : float, GeV (without ``sets``)
    lumi : dict target -> luminosity in nb^-1 (enters the log term; default 1; without ``sets``)
    norm : optional dict with arrays x, Q2, target, weight (quadrature nodes, W_g incl. luminosity)
    tables : optional ResponseTables to reuse (same setup and contour, covering the Q^2 range)
    alpha_em : "fixed" (alpha(0)) or "running" (alpha(Q^2)) in the prefactor
    process : "em" (photon exchange: three components A_t, Sigma, g) or "nc" (gamma/Z: five, U+, D+,
        g, U-, D-, ``theory.kernels.nc_response``; the parametrisation's ``component_weights`` must
        be ``REDUCED_NC_WEIGHTS``'s p and n rows)
    beam, ew : theory.dis.electroweak.Beam (without ``sets``) and Electroweak (process nc)
    scales : theory.qcd.scales.Scales (mu_R = xi_R Q, mu_F = xi_F Q); away from 1, 1 the five-component
        response evaluates photon exchange too (``five_component``)
    """

    def __init__(self, setup, contour, parametrisation, x, Q2, target, sqrt_s=140.0, lumi=None, norm=None,
                 tables=None, alpha_em="fixed", process="em", beam=None, ew=None, scales=None, sets=None):  # fmt: skip
        self.setup, self.contour, self.param = setup, contour, parametrisation
        x = np.asarray(x, dtype=float)
        Q2 = np.asarray(Q2, dtype=float)
        if sets is None:
            lumi = lumi or {}
            sets = [DataSetTheory(float(sqrt_s), beam or Beam(), lumi.get(t, 1.0)) for t in TARGETS]
        self.sets = tuple(sets)
        self.n_sets = len(self.sets)
        tcode = _codes(target, len(x), self.n_sets)
        self.n_events = len(x)
        if norm is not None:
            nx = np.asarray(norm["x"], dtype=float)
            x = np.concatenate([x, nx])
            Q2 = np.concatenate([Q2, np.asarray(norm["Q2"], dtype=float)])
            tcode = np.concatenate([tcode, _codes(norm["target"], len(nx), self.n_sets)])
            node_weight = np.concatenate([np.zeros(self.n_events), np.asarray(norm["weight"], dtype=float)])
        else:
            node_weight = np.zeros(self.n_events)
        self.x, self.Q2, self.target = x, Q2, tcode
        self.node_weight = node_weight
        self.n_rows = len(x)
        self.set_log_lumi = np.log(np.array([st.lumi_nb for st in self.sets], dtype=float))
        """ln L_t of each data set (code order)."""
        self.log_lumi = self.set_log_lumi[tcode[: self.n_events]]
        sqrt_s_rows = np.array([st.sqrt_s for st in self.sets], dtype=float)[tcode]
        q2_max = max(float(Q2.max()), setup.mu0_2) if len(Q2) else setup.mu0_2
        if tables is None or tables.q2_max < q2_max:
            tables = ResponseTables(setup, contour, q2_max=q2_max * 1.01)
        self.tables = tables
        self.alpha_em = alpha_em
        self.process, self.ew = process, ew or Electroweak()
        if process not in PROCESSES:
            raise ValueError(f"process {process!r} is not one of {', '.join(PROCESSES)}")
        self.scales = scales or Scales()
        self.five_component = process == "nc" or not self.scales.central
        """The five-component response (``theory.kernels.nc_response``): gamma/Z, or any scale choice."""
        self.n_components = N_NC if self.five_component else len(REDUCED)
        weights = getattr(parametrisation, "component_weights", REDUCED_WEIGHTS)
        if weights.shape[0] != self.n_sets:
            raise ValueError(f"the parametrisation gives components for {weights.shape[0]} data sets, the problem "
                             f"has {self.n_sets}")  # fmt: skip
        if weights.shape[1] != self.n_components:
            raise ValueError(f"process {process}: the parametrisation gives {weights.shape[1]} input components, "
                             f"the response needs {self.n_components}")  # fmt: skip
        if self.five_component:
            self.nc_tables = nc_tables(self.tables)
            self.ev = NCEventConstants(self.tables, x, Q2, sqrt_s_rows, process, self.sets[0].beam, self.ew,
                                       alpha_em, scales=self.scales)  # fmt: skip
            for code, st in enumerate(self.sets[1:], start=1):
                if st.beam != self.sets[0].beam:
                    self.ev.set_beam(tcode == code, Q2, process, st.beam, self.ew)
        else:
            self.ev = EventConstants(self.tables, x, Q2, sqrt_s_rows, alpha_em)
        for code, st in enumerate(self.sets):
            if st.correction is not None:
                rows = tcode == code
                self.ev.factor[rows] *= st.correction(x[rows])
        self.n_nodes = len(contour)

    def row_arrays(self):
        """Target codes, node weights and the event count as one kernel argument (``RowArrays``)."""
        return RowArrays(self.target, np.ascontiguousarray(self.node_weight), self.n_events)

    @property
    def n_params(self):
        return self.param.n_params

    def components(self, thetas, with_jacobian=True, parallel=True):
        """Input components c_t,k(N_j) for every data set: complex[B, T, n_nodes, K] (and the Jacobian
        complex[B, T, n_nodes, K, P]), K = ``n_components``; ``parallel=False``: on the calling thread."""
        thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
        comps, jac = self.param.components_batch(self.contour.N, thetas, parallel=parallel)
        return comps, (jac if with_jacobian else None)

    def event_weights(self, weights, B):
        """Bootstrap weights as float[B, n_events] (ones when None)."""
        if weights is None:
            return np.ones((B, self.n_events))
        w = np.asarray(weights, dtype=float)
        if w.ndim == 1:
            w = np.broadcast_to(w, (B, self.n_events))
        if w.shape != (B, self.n_events):
            raise ValueError(f"weights must have shape ({B}, {self.n_events}), not {w.shape}")
        return w

    def loss(self, ds, nu, weights):
        """L[B] from event cross sections ds[B, n_events], expected counts nu[B, n_sets] and weights
        (infinite where some dsigma <= 0)."""
        ok = ds.min(axis=1) > 0.0 if ds.shape[1] else np.ones(ds.shape[0], dtype=bool)
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.log(ds)  # numpy's SIMD log
        out = np.einsum("bi,bi->b", weights, logs) + weights @ self.log_lumi
        out[~ok] = -np.inf
        return nu.sum(axis=1) - out

    def expected_counts(self, ds_rows):
        """nu[B, n_sets] = sum over each data set's nodes of W_g dsigma_g, from row cross sections."""
        nodes = slice(self.n_events, self.n_rows)
        wt = self.node_weight[nodes]
        tg = self.target[nodes]
        return np.stack([ds_rows[:, nodes] @ (wt * (tg == t)) for t in range(self.n_sets)], axis=1)

    def u_vectors_block(self, ds_block, weights, rows):
        """u for a block of rows (a slice or an integer array): -w/dsigma for events, W for nodes."""
        idx = np.arange(rows.start, rows.stop) if isinstance(rows, slice) else rows
        ev = idx < self.n_events
        u = np.empty_like(ds_block)
        u[:, ev] = event_u(ds_block[:, ev], weights[:, idx[ev]])
        u[:, ~ev] = self.node_weight[idx[~ev]]
        return u

    def gradient(self, G, jac):
        """dL/dtheta[B, P] from G[B, D, K, n_nodes] and the Jacobian[B, D, n_nodes, K, P] (D data sets)."""
        B, P = jac.shape[0], jac.shape[-1]
        g = np.ascontiguousarray(np.swapaxes(G, 2, 3)).reshape(B, 1, -1)  # [B, 1, T * nodes * K]
        return np.imag(g @ jac.reshape(B, -1, P))[:, 0]


def event_u_scalar(d, w):
    """u = -w / dsigma of one event (0 where dsigma <= 0, whose loss is infinite anyway).

    Plain arithmetic, written once: ``event_u`` is this function as a numpy ufunc (numpy
    backends, and the host side of the CUDA backends), and the Numba kernels inline it
    (``njit(inline="always")(event_u_scalar)``).
    """
    return -w / d if d > 0.0 else 0.0


event_u = vectorize(["float64(float64, float64)"], cache=True)(event_u_scalar)
"""u = -w / dsigma elementwise over arrays of cross sections and weights (a numpy ufunc)."""


def _codes(target, n, n_sets):
    """Per-row data-set codes: integers 0 .. n_sets - 1, or the names "p" / "n" of the two default sets."""
    t = np.asarray(target)
    if t.dtype.kind in "US":
        bad = ~np.isin(t, list(TARGET_CODES))
        if bad.any():
            raise ValueError(f"target {t[bad][0]!r} is not one of {', '.join(TARGETS)}")
        t = np.vectorize(TARGET_CODES.get, otypes=[np.int64])(t)
    t = np.broadcast_to(t, (n,)).astype(np.int64)
    if not np.all((t >= 0) & (t < n_sets)):
        raise ValueError(f"data-set codes must be 0 .. {n_sets - 1}")
    return np.ascontiguousarray(t)
