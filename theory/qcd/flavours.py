"""The flavour basis, the targets and every named flavour combination: one table each.

Flavour basis (13 slots, what evolution, the PDF parametrisations and the kernels exchange):

    slot 0 = g,   slots 1..6 = q+ = q + qbar,   slots 7..12 = q- = q - qbar,

for the quarks d, u, s, c, b, t (PDG order, PDG ids 1..6). Targets are nucleons: the neutron
is the proton with u <-> d and ubar <-> dbar (isospin symmetry), so a neutron's flavour vector
is the proton's with the d and u slots exchanged (``ISOSPIN``).

Combinations are data: a ``Combination`` is a list of (weight, slot) terms and a divisor,
evaluated left to right, so a new combination (a band, an LHA table column, a gamma/Z
coupling-weighted sum) is one entry in a table below, not new code:

- ``REDUCED``: the DIS response's input components per target (A_t = sum_q e_q^2 q+, Sigma, g;
  ``theory.kernels.response``), as weight rows ``REDUCED_WEIGHTS[target, component, slot]``;
- ``BANDS``: the posterior's PDF bands (valence, sea, gluon, q+ and the photon-weighted sums
  F2^p and F2^n measure at LO);
- ``LHA_TABLE``: the Les Houches benchmark table's columns (hep-ph/0204316);
- ``PDG``: quark and antiquark of every PDG id, the LHAPDF export's columns.
"""

from dataclasses import dataclass

import numpy as np
from numba import njit

from theory.qcd.constants import CHARGES2

QUARKS = ("d", "u", "s", "c", "b", "t")
"""Quark flavours in PDG order (PDG id = position + 1)."""
N_QUARKS = len(QUARKS)
SLOTS = ("g",) + tuple(f"{q}+" for q in QUARKS) + tuple(f"{q}-" for q in QUARKS)
"""Names of the 13 flavour-basis slots."""
N_SLOTS = len(SLOTS)
GLUON = 0


def plus(quark):
    """Slot of q+ = q + qbar."""
    return 1 + QUARKS.index(quark)


def minus(quark):
    """Slot of q- = q - qbar."""
    return 1 + N_QUARKS + QUARKS.index(quark)


G, D_PLUS, U_PLUS, S_PLUS = GLUON, plus("d"), plus("u"), plus("s")
D_MINUS, U_MINUS = minus("d"), minus("u")
"""Named slots of the light flavours (compile-time constants in Numba kernels)."""

TARGETS = ("p", "n")
"""Nucleon targets; a target's code is its position (0 = p, 1 = n)."""
TARGET_CODES = {t: i for i, t in enumerate(TARGETS)}
COMPOSITES = {"d": (("p", 0.5), ("n", 0.5))}
"""Nuclear targets per nucleon as mixtures of nucleons: the deuteron is (p + n) / 2, times an
optional nuclear correction R(x) (``theory.dis.nuclear``)."""
ALL_TARGETS = TARGETS + tuple(COMPOSITES)
"""Every target a structure function or a data set may name."""

ISOSPIN = np.arange(N_SLOTS)
ISOSPIN[[D_PLUS, U_PLUS, D_MINUS, U_MINUS]] = [U_PLUS, D_PLUS, U_MINUS, D_MINUS]
"""Slot permutation proton -> neutron: f_n = f_p[..., ISOSPIN] (u <-> d)."""


def isospin_swap(flavours):
    """Proton -> neutron flavour vectors (last axis 13): exchange the u and d slots."""
    return np.asarray(flavours)[..., ISOSPIN]


def target_flavours(flavours, target):
    """A target's flavour vectors from the proton's (``target`` "p" or "n")."""
    if target not in TARGET_CODES:
        raise ValueError(f"target {target!r} is not one of {', '.join(TARGETS)}")
    return np.array(flavours, copy=True) if target == "p" else isospin_swap(flavours)


def quark_charges2(target):
    """e_q^2 as the target sees the proton's quarks: for the neutron the d and u charges trade."""
    e2 = np.array(CHARGES2)
    return e2 if target == "p" else e2[ISOSPIN[1 : 1 + N_QUARKS] - 1]


@dataclass(frozen=True)
class Combination:
    """sum_k weight_k f[slot_k] / divisor, summed in the order of ``terms``."""

    terms: tuple
    divisor: float = 1.0

    def __call__(self, f):
        """The combination of flavour-basis values f[..., 13] (any leading shape)."""
        acc = None
        for weight, slot in self.terms:
            term = f[..., slot] if weight == 1.0 else weight * f[..., slot]
            acc = term if acc is None else acc + term
        return acc if self.divisor == 1.0 else acc / self.divisor

    def row(self):
        """The weights as one float64[13] row (f @ row is the combination up to rounding)."""
        out = np.zeros(N_SLOTS)
        for weight, slot in self.terms:
            out[slot] += weight / self.divisor
        return out


def combination(*terms, divisor=1.0):
    """A Combination from (weight, slot name) pairs, e.g. combination((1, "u+"), (-1, "u-"), divisor=2)."""
    return Combination(tuple((float(w), SLOTS.index(name)) for w, name in terms), float(divisor))


def evaluate(table, f):
    """{name: combination(f)} for every entry of a combination table."""
    return {name: comb(f) for name, comb in table.items()}


def stack(table, f):
    """A combination table's values on a new last axis, in table order: [..., len(table)]."""
    return np.stack(list(evaluate(table, f).values()), axis=-1)


BANDS = {
    "u_v": combination((1, "u-")),
    "d_v": combination((1, "d-")),
    "sea": combination((1, "u+"), (-1, "u-"), divisor=2),  # ubar (= dbar in stats2)
    "g": combination((1, "g")),
    "u_plus": combination((1, "u+")),
    "d_plus": combination((1, "d+")),
    "p_dis": combination((4, "u+"), (1, "d+"), (1, "s+"), divisor=9),  # F2^p / x at LO, light quarks
    "n_dis": combination((4, "d+"), (1, "u+"), (1, "s+"), divisor=9),
}
"""The posterior's PDF bands (x times each is stored)."""
BAND_LABELS = {
    "u_v": "x u_v", "d_v": "x d_v", "sea": "x ubar = x dbar", "g": "x g", "u_plus": "x (u + ubar)",
    "d_plus": "x (d + dbar)", "p_dis": "x (4u+ + d+ + s+)/9", "n_dis": "x (4d+ + u+ + s+)/9",
}  # fmt: skip

LHA_TABLE = {
    "u_v": combination((1, "u-")),
    "d_v": combination((1, "d-")),
    "L_m": combination((1, "d+"), (-1, "d-"), (-1, "u+"), (1, "u-"), divisor=2),  # dbar - ubar
    "L_p": combination((1, "u+"), (-1, "u-"), (1, "d+"), (-1, "d-")),  # 2 (ubar + dbar)
    "s_p": combination((1, "s+")),
    "c_p": combination((1, "c+")),
    "b_p": combination((1, "b+")),
    "g": combination((1, "g")),
}
"""The Les Houches benchmark table's columns, in table order (multiply by x for x f)."""

PDG = {
    **{-(i + 1): combination((1, f"{q}+"), (-1, f"{q}-"), divisor=2) for i, q in reversed(list(enumerate(QUARKS)))},
    **{i + 1: combination((1, f"{q}+"), (1, f"{q}-"), divisor=2) for i, q in enumerate(QUARKS)},
    21: combination((1, "g")),
}
"""Parton of every PDG id (-6..-1 antiquarks, 1..6 quarks, 21 gluon), the LHAPDF columns."""
PIDS = tuple(PDG)


REDUCED = ("A", "Sigma", "g")
"""The DIS response's input components (photon exchange): A_t = sum_q e_q^2 q+, Sigma, g."""


def reduced_table(target):
    """The REDUCED components of a target (p, n, or d per nucleon) as combinations of the proton's
    flavour slots."""
    if target in COMPOSITES:
        return _mixture(reduced_table, REDUCED, target)
    e2 = quark_charges2(target)
    return {
        "A": Combination(tuple((float(e2[k]), 1 + k) for k in range(N_QUARKS))),
        "Sigma": Combination(tuple((1.0, 1 + k) for k in range(N_QUARKS))),
        "g": Combination(((1.0, GLUON),)),
    }


REDUCED_NC = ("U+", "D+", "g", "U-", "D-")
"""The gamma/Z response's input components (``theory.kernels.nc_response``): up- and down-type
quark sums of q+ and q-, and the gluon; any neutral-current coupling is a per-event weight of them."""


def reduced_nc_table(target):
    """The REDUCED_NC components of a target (p, n, or d per nucleon) over the proton's slots."""
    if target in COMPOSITES:
        return _mixture(reduced_nc_table, REDUCED_NC, target)
    swap = ISOSPIN if target == "n" else np.arange(N_SLOTS)
    up = [q for i, q in enumerate(QUARKS) if i % 2 == 1]
    down = [q for i, q in enumerate(QUARKS) if i % 2 == 0]
    return {
        "U+": Combination(tuple((1.0, int(swap[plus(q)])) for q in up)),
        "D+": Combination(tuple((1.0, int(swap[plus(q)])) for q in down)),
        "g": Combination(((1.0, GLUON),)),
        "U-": Combination(tuple((1.0, int(swap[minus(q)])) for q in up)),
        "D-": Combination(tuple((1.0, int(swap[minus(q)])) for q in down)),
    }


def _mixture(table, components, target):
    """A composite target's components: its nucleons' rows mixed (``COMPOSITES``), slot order."""
    rows = [sum(w * table(t)[k].row() for t, w in COMPOSITES[target]) for k in components]
    return {k: Combination(tuple((float(r[s]), s) for s in range(N_SLOTS) if r[s] != 0.0)) for k, r in
            zip(components, rows, strict=True)}  # fmt: skip


def component_weights(targets, five_component):
    """float64[data set, component, slot]: the kernel's input components of data sets on ``targets``
    (each p, n or d), REDUCED_NC (``five_component``: gamma/Z, or scales away from Q) or REDUCED."""
    names, table = (REDUCED_NC, reduced_nc_table) if five_component else (REDUCED, reduced_table)
    for t in targets:
        if t not in ALL_TARGETS:
            raise ValueError(f"target {t!r} is not one of {', '.join(ALL_TARGETS)}")
    return np.ascontiguousarray([[table(t)[k].row() for k in names] for t in targets], dtype=float)


REDUCED_NC_WEIGHTS = component_weights(ALL_TARGETS, True)
"""float64[target (p, n, d), component, slot]: the REDUCED_NC components as rows over the 13 slots."""

REDUCED_WEIGHTS = component_weights(TARGETS, False)
"""float64[target (p, n), component, slot]: the REDUCED components as rows over the 13 slots."""


@njit(cache=True)
def component_slots(weights):
    """(slots[T, K, 13], count[T, K]): the nonzero slots of every (target, component) of
    weights[T, K, 13], in slot order (a few of the 13): the terms of a component's sum over the
    flavours, zero weights skipped (``project_components``, ``theory.pdfs.stats2.real_vectors``)."""
    T, K = weights.shape[0], weights.shape[1]
    slots = np.empty((T, K, N_SLOTS), dtype=np.int64)
    count = np.zeros((T, K), dtype=np.int64)
    for t in range(T):
        for k in range(K):
            for a in range(N_SLOTS):
                if weights[t, k, a] != 0.0:
                    slots[t, k, count[t, k]] = a
                    count[t, k] += 1
    return slots, count


@njit(cache=True)
def component_sum(f, jac, weights, slots, count, t, k, j, cols, acc):
    """Component k of target t at node j, sum_a weights[t, k, a] f[j, a] over its nonzero slots
    (``component_slots``) in slot order, returned; acc[p] = the same sum of jac[j, a, cols[p]] (written)."""
    value = 0.0j
    acc[:] = 0.0
    for m in range(count[t, k]):
        a = slots[t, k, m]
        w = weights[t, k, a]
        value += w * f[j, a]
        for p in range(cols.shape[0]):
            acc[p] += w * jac[j, a, cols[p]]
    return value


@njit(cache=True)
def project_components(f, jac, weights, comps, comp_jac):
    """Reduced components of flavour vectors f[n, 13] and their Jacobians jac[n, 13, P] for
    every target: comps[T, n, K] and comp_jac[T, n, K, P] with weights[T, K, 13]
    (``REDUCED_WEIGHTS``); zero weights are skipped, the others summed in slot order."""
    T, K = weights.shape[0], weights.shape[1]
    P = jac.shape[2]
    slots, count = component_slots(weights)
    cols = np.arange(P)
    acc = np.empty(P, dtype=np.complex128)
    for j in range(f.shape[0]):
        for t in range(T):
            for k in range(K):
                comps[t, j, k] = component_sum(f, jac, weights, slots, count, t, k, j, cols, acc)
                for p in range(P):
                    comp_jac[t, j, k, p] = acc[p]
