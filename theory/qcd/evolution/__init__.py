"""DGLAP evolution in Mellin space: per-sector solutions and the flavour-basis operator.

Registries: ``ORDERS`` (perturbative orders, name -> code) and ``MODES`` (NLO solutions).
"""

from theory.qcd.evolution.operator import ORDERS, EvolutionSetup, flavour_operators  # noqa: F401
from theory.qcd.evolution.solutions import MODES  # noqa: F401
