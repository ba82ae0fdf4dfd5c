"""The cut region as interpolation cells: ln d2sigma on a piecewise tensor Chebyshev grid.

The interpolated likelihood (``theory.inference.moments``) replaces ln d2sigma at each event by
its interpolant on fixed nodes g,

    ln d2sigma(x, Q^2; theta) ~ sum_g B_g(x, Q^2) ln d2sigma(x_g, Q^2_g; theta),

so that sum_i w_i ln d2sigma_i = sum_g m_g ln d2sigma_g with data moments m_g = sum_i w_i B_g(x_i, Q^2_i):
exact functions of each event's kinematics (the events stay unbinned), and the one approximation
is the interpolation of a smooth function, bounded in tests/test_grid.py.

Coordinates. v = ln Q^2 and u = logit x = ln(x / (1 - x)). In u the large-x shape (1 - x)^b is
(1 + e^u)^-b, analytic in the strip |Im u| < pi, whereas in ln x it has a branch point at
distance ln(1/x) from the real axis (0.22 at x = 0.8: polynomials in ln x converge slowly there).
Across v the cross section has kinks at the flavour thresholds, and the cut region's edges have
kinks where the active x bound changes; both are panel edges:

    v-panels: [ln Q2_min, ..., ln Q2_top], split at thresholds and at the Q^2 where the upper
              bound x_hi(Q^2) = min(x_max, Q^2 / (s y_min), Q^2 / (Q^2 + W2_min - M^2)) switches,
              and at ``GridSpec.low_q2``, then split evenly until no panel spans more than
              ``GridSpec.max_ln_q2`` (``low_max_ln_q2`` below ``low_q2``);
    the lower bound is x_lo(Q^2) = Q^2 / (s y_max), and Q2_top = min(x_max s y_max, s y_max - W2_min + M^2).

In each v-panel the region lies between u_lo(v) = logit x_lo and u_hi(v) = logit x_hi; the panel
uses the straight lines (in v) through their end values, moved outwards until they enclose the
region (the trapezoid then holds a thin sliver outside the cuts, where the cross section is just
as smooth). Straight edges matter: logit(Q^2 / (s y)) itself is singular where x = 1, at 0.22 in v
beyond the corner x = 0.8, and a mapping that follows it would carry that singularity into the
interpolant. The fraction t = (u - u_lo(v)) / (u_hi(v) - u_lo(v)) in [0, 1] is split into pieces:
a band of width ``edge_width`` in u along the y_max edge, then equal pieces at most ``max_width``
wide (widths at the panel's widest end). Each (v-panel, t-piece) cell carries the tensor product
of first-kind Chebyshev nodes, ``x_nodes`` in t and ``q2_nodes`` in v, with barycentric Lagrange
weights (Berrut & Trefethen, SIAM Review 46 (2004) 501, eq. 5.3 with the first-kind weights).

What limits the accuracy is ln of a sum: where contributions with different large-x powers
(1 - x)^b1 and (1 - x)^b2 cross over, the cross section has complex zeros at Im u ~ pi / |b1 - b2|,
about 0.3 for the extremes of the stats2 bounds; 32 nodes across each t-piece resolve that.
Node index: g = (cell * x_nodes + a) * q2_nodes + b, cells numbered panel by panel, y_max edge first.
"""

from dataclasses import dataclass

import numpy as np
from numba import njit

from theory.qcd.constants import M_PROTON


@dataclass(frozen=True)
class GridSpec:
    """Resolution of the interpolation grid (defaults meet tests/test_grid.py's bounds)."""

    x_nodes: int = 32
    """Chebyshev nodes across each piece of the x range."""
    q2_nodes: int = 24
    """Chebyshev nodes along each ln Q^2 panel."""
    edge_width: float = 0.6
    """Width in u = logit x of the piece along the y_max edge (where y^2 F_L / Y+ eats into
    Y+ F_2 and the zeros of Y+ at y = 1 +- i lie nearest): a band in y of this width in ln y."""
    max_width: float = 4.5
    """Widest piece in u elsewhere (the crossovers between large-x powers). With ``max_ln_q2`` 2.0
    it keeps tests/test_grid.py's gradient bound ~6x inside 1e-6 over 140 further random sets (3.5 and
    1.0: 90-2,000x inside, at 1.7x the nodes and so 1.7x the cost of every interpolated evaluation)."""
    max_ln_q2: float = 2.0
    """Longest ln Q^2 panel above ``low_q2``."""
    low_q2: float = 10.0
    """Below this Q^2 (GeV^2) panels are at most ``low_max_ln_q2`` long: where alpha_s runs
    fastest and the high-y, low-x corner comes closest to d2sigma = 0 (F_L against F_2)."""
    low_max_ln_q2: float = 0.5


def logit(x):
    return np.log(x) - np.log1p(-x)


def chebyshev_nodes(n):
    """First-kind Chebyshev nodes on [-1, 1] (ascending) and their barycentric weights."""
    theta = (2 * np.arange(n) + 1) * np.pi / (2 * n)
    return np.cos(theta)[::-1].copy(), ((-1.0) ** np.arange(n) * np.sin(theta))[::-1].copy()


@njit(cache=True, nogil=True)
def _barycentric(t, nodes, weights, out):
    for i in range(t.shape[0]):
        hit = -1
        total = 0.0
        for a in range(nodes.shape[0]):
            d = t[i] - nodes[a]
            if d == 0.0:
                hit = a
                break
            out[i, a] = weights[a] / d
            total += out[i, a]
        if hit >= 0:  # on a node: the basis is that node's indicator
            out[i, :] = 0.0
            out[i, hit] = 1.0
        else:
            for a in range(nodes.shape[0]):
                out[i, a] /= total


def lagrange_basis(t, nodes, weights):
    """The n Lagrange polynomials of ``nodes`` at points t: float[len(t), n] (rows sum to 1), by
    the second barycentric formula l_a(t) = (w_a / (t - t_a)) / sum_b w_b / (t - t_b)."""
    t = np.ascontiguousarray(t, dtype=float)
    out = np.empty((t.shape[0], len(nodes)))
    _barycentric(t, np.ascontiguousarray(nodes, dtype=float), np.ascontiguousarray(weights, dtype=float), out)
    return out


class CutGrid:
    """Interpolation nodes covering the cut region of one beam setting (see the module docstring).

    Parameters
    ----------
    cuts : theory.dis.kinematics.Cuts
    s : float, GeV^2
    breaks : Q^2 values with a kink in the cross section (the flavour thresholds)
    spec : GridSpec

    Attributes: ``v_edges`` [P + 1], ``lines`` [P, 4] (u_lo = lines[p, 0] + lines[p, 1] v,
    u_hi = lines[p, 2] + lines[p, 3] v), ``splits`` (per panel, the piece edges in t),
    ``first_cell`` [P + 1], ``x``, ``Q2`` (the nodes, float[n_nodes]).
    """

    def __init__(self, cuts, s, breaks=(), spec=GridSpec()):
        self.cuts, self.s, self.spec = cuts, float(s), spec
        self.m2 = cuts.w2_min - M_PROTON**2
        q2_top = min(cuts.x_max * s * cuts.y_max, s * cuts.y_max - self.m2)
        if not q2_top > cuts.q2_min:
            raise ValueError("the cuts leave no phase space at this beam energy")
        self.v_edges = self._panels(q2_top, breaks)
        self.lines = np.array([self._trapezoid(a, b) for a, b in zip(self.v_edges[:-1], self.v_edges[1:], strict=True)])
        self.splits = [self._pieces(p) for p in range(self.n_panels)]
        self.first_cell = np.cumsum([0] + [len(t) - 1 for t in self.splits])
        self.tx, self.bx = chebyshev_nodes(spec.x_nodes)
        self.tv, self.bv = chebyshev_nodes(spec.q2_nodes)
        self.x, self.Q2 = self._nodes()

    # geometry ---------------------------------------------------------------------------------
    def x_lo(self, Q2):
        return Q2 / (self.s * self.cuts.y_max)

    def x_hi(self, Q2):
        Q2 = np.asarray(Q2, dtype=float)
        c = self.cuts
        return np.minimum.reduce([np.full_like(Q2, c.x_max), Q2 / (self.s * c.y_min), Q2 / (Q2 + self.m2)])

    def _active(self, Q2):
        c = self.cuts
        return int(np.argmin([c.x_max, Q2 / (self.s * c.y_min), Q2 / (Q2 + self.m2)]))

    def _panels(self, q2_top, breaks):
        c, s, m2 = self.cuts, self.s, self.m2
        lo, hi = c.q2_min * (1 + 1e-9), q2_top * (1 - 1e-9)
        candidates = [c.x_max * s * c.y_min, m2 * c.x_max / (1 - c.x_max), s * c.y_min - m2]
        kinks = [q for q in candidates if lo < q < hi and self._active(q * (1 - 1e-6)) != self._active(q * (1 + 1e-6))]
        inner = sorted({*kinks, *(float(b) for b in breaks if lo < b < hi)})
        edges = np.log([c.q2_min, *inner, q2_top])
        low = np.log(self.spec.low_q2)
        if edges[0] < low < edges[-1]:
            edges = np.sort(np.append(edges, low))
        fine = [edges[0]]
        for a, b in zip(edges[:-1], edges[1:], strict=True):
            longest = self.spec.low_max_ln_q2 if b <= low + 1e-12 else self.spec.max_ln_q2
            pieces = max(1, int(np.ceil((b - a) / longest - 1e-9)))
            fine.extend(np.linspace(a, b, pieces + 1)[1:])
        return np.array(fine)

    def _trapezoid(self, va, vb):
        """Straight edges u_lo(v), u_hi(v) enclosing the region between ln Q^2 = va and vb."""
        v = np.linspace(va, vb, 4097)
        Q2 = np.exp(v)
        lo, hi = logit(self.x_lo(Q2)), logit(self.x_hi(Q2))
        b_lo = (lo[-1] - lo[0]) / (vb - va)
        c_lo = lo[0] - b_lo * va
        c_lo -= max(0.0, float(np.max(c_lo + b_lo * v - lo))) * 1.01 + 1e-9
        b_hi = (hi[-1] - hi[0]) / (vb - va)
        c_hi = hi[0] - b_hi * va
        c_hi += max(0.0, float(np.max(hi - c_hi - b_hi * v))) * 1.01 + 1e-9
        for end in (va, vb):  # a region that closes to a point still gets a cell of some width
            gap = (c_hi + b_hi * end) - (c_lo + b_lo * end)
            if gap < 1e-6:
                c_lo -= 1e-6 - gap
        return c_lo, b_lo, c_hi, b_hi

    def _pieces(self, p):
        """Piece edges in t for panel p: the y_max-edge band, then equal pieces of at most max_width."""
        va, vb = self.v_edges[p], self.v_edges[p + 1]
        c_lo, b_lo, c_hi, b_hi = self.lines[p]
        width = max(c_hi + b_hi * v - c_lo - b_lo * v for v in (va, vb))
        spec = self.spec
        if width <= spec.edge_width:
            return np.array([0.0, 1.0])
        t1 = spec.edge_width / width
        rest = int(np.ceil((width - spec.edge_width) / spec.max_width - 1e-9))
        return np.concatenate([[0.0], np.linspace(t1, 1.0, rest + 1)])

    # nodes and basis --------------------------------------------------------------------------
    @property
    def n_panels(self):
        return len(self.v_edges) - 1

    @property
    def n_cells(self):
        return int(self.first_cell[-1])

    @property
    def per_cell(self):
        return self.spec.x_nodes * self.spec.q2_nodes

    @property
    def n_nodes(self):
        return self.n_cells * self.per_cell

    def _to_x(self, t, v, p):
        c_lo, b_lo, c_hi, b_hi = self.lines[p]
        u_lo, u_hi = c_lo + b_lo * v, c_hi + b_hi * v
        u = u_lo + t * (u_hi - u_lo)
        return 1.0 / (1.0 + np.exp(-u))

    def _nodes(self):
        xs, qs = [], []
        for p in range(self.n_panels):
            va, vb = self.v_edges[p], self.v_edges[p + 1]
            v = va + (self.tv + 1.0) * 0.5 * (vb - va)
            edges = self.splits[p]
            for k in range(len(edges) - 1):
                t = edges[k] + (self.tx + 1.0) * 0.5 * (edges[k + 1] - edges[k])
                T, V = np.meshgrid(t, v, indexing="ij")  # [x_nodes, q2_nodes]: b fastest
                xs.append(self._to_x(T.ravel(), V.ravel(), p))
                qs.append(np.exp(V.ravel()))
        return np.concatenate(xs), np.concatenate(qs)

    def locate(self, x, Q2):
        """(cell, xi, eta): each point's cell and local coordinates in [-1, 1] (x, then ln Q^2).
        Points outside the grid's cover are clipped onto its edge (events inside the cuts never are)."""
        x = np.asarray(x, dtype=float)
        v = np.log(np.asarray(Q2, dtype=float))
        p = np.clip(np.searchsorted(self.v_edges, v, side="right") - 1, 0, self.n_panels - 1)
        c_lo, b_lo, c_hi, b_hi = self.lines[p].T
        u_lo = c_lo + b_lo * v
        t = np.clip((logit(x) - u_lo) / (c_hi + b_hi * v - u_lo), 0.0, 1.0)
        lo, hi = np.empty_like(t), np.empty_like(t)
        cell = np.empty(len(t), dtype=np.int64)
        for q in np.unique(p):
            sel = p == q
            edges = self.splits[q]
            k = np.clip(np.searchsorted(edges, t[sel], side="right") - 1, 0, len(edges) - 2)
            lo[sel], hi[sel], cell[sel] = edges[k], edges[k + 1], self.first_cell[q] + k
        xi = np.clip(2.0 * (t - lo) / (hi - lo) - 1.0, -1.0, 1.0)
        va, vb = self.v_edges[p], self.v_edges[p + 1]
        eta = np.clip(2.0 * (v - va) / (vb - va) - 1.0, -1.0, 1.0)
        return cell, xi, eta

    def basis(self, x, Q2):
        """(cell[n], Bx[n, x_nodes], Bv[n, q2_nodes]): B_g of point i is Bx[i, a] Bv[i, b] for the
        node g = (cell[i] * x_nodes + a) * q2_nodes + b, zero for nodes of other cells."""
        cell, xi, eta = self.locate(x, Q2)
        return cell, lagrange_basis(xi, self.tx, self.bx), lagrange_basis(eta, self.tv, self.bv)

    def interpolate(self, values, x, Q2):
        """The interpolant of node ``values`` [..., n_nodes] at points (x, Q2): [..., n]."""
        cell, Bx, Bv = self.basis(x, Q2)
        vals = np.asarray(values).reshape(values.shape[:-1] + (self.n_cells, self.spec.x_nodes, self.spec.q2_nodes))
        return np.einsum("...iab,ia,ib->...i", vals[..., cell, :, :], Bx, Bv)
