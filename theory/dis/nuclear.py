"""The deuteron's optional nuclear correction: F^d(x, Q^2) = R(x) (F^p + F^n) / 2 per nucleon.

A hook, not a model: R(x) = 1 unless a table is given (``nuclear_correction:`` of a deuteron data
set, or ``--nuclear-table`` on the CLI). The table is text, two columns ``x R`` (``#`` comments),
x strictly increasing inside (0, 1), R positive; R is interpolated linearly in ln x and never
extrapolated: an x outside the table is an error that names the table. One R multiplies F2, FL
and xF3 alike (an x-only correction, the form of the published deuteron ratios).
"""

from pathlib import Path

import numpy as np


class NuclearCorrection:
    """R(x) from a table (``from_table``) or identically 1 (``NuclearCorrection()``)."""

    def __init__(self, x=None, ratio=None, source="none"):
        self.source = str(source)
        if x is None:
            self.x = self.ratio = None
            return
        x = np.asarray(x, dtype=float)
        ratio = np.asarray(ratio, dtype=float)
        if x.ndim != 1 or x.shape != ratio.shape or len(x) < 2:
            raise ValueError(f"nuclear correction {self.source}: needs two columns x R with at least two rows")
        if not (np.all(np.isfinite(x)) and np.all(x > 0) and np.all(x < 1) and np.all(np.diff(x) > 0)):
            raise ValueError(f"nuclear correction {self.source}: x must increase strictly inside (0, 1)")
        if not (np.all(np.isfinite(ratio)) and np.all(ratio > 0)):
            raise ValueError(f"nuclear correction {self.source}: R must be positive and finite")
        self.x, self.ratio = x, ratio

    @classmethod
    def from_table(cls, path):
        """Read a two-column ``x R`` text table; a one-line ValueError for a bad file."""
        path = Path(path)
        try:
            data = np.loadtxt(path, comments="#", ndmin=2)
        except (OSError, ValueError) as err:
            raise ValueError(f"nuclear correction {path}: cannot read a two-column table x R ({err})") from None
        if data.shape[1] != 2:
            raise ValueError(f"nuclear correction {path}: needs exactly two columns x R, found {data.shape[1]}")
        return cls(data[:, 0], data[:, 1], source=str(path))

    @property
    def identity(self):
        return self.x is None

    def __call__(self, x):
        """R at each x (1 without a table)."""
        x = np.asarray(x, dtype=float)
        if self.identity:
            return np.ones_like(x)
        if np.any(x < self.x[0]) or np.any(x > self.x[-1]):
            raise ValueError(
                f"nuclear correction {self.source}: x outside the table's [{self.x[0]:g}, {self.x[-1]:g}]; "
                "extend the table to cover the data's x"
            )
        return np.interp(np.log(x), np.log(self.x), self.ratio)
