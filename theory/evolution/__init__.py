"""DGLAP evolution in Mellin space: per-sector solutions and the flavour-basis operator."""

from .operator import FLAVOURS, N_FLAVOUR_BASIS, EvolutionSetup, flavour_operators  # noqa: F401
from .solutions import MODES  # noqa: F401
