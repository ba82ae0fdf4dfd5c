"""theory: Mellin-space QCD for event-level PDF fits to inclusive DIS.

Modules: ``constants``, ``special`` and ``harmonics`` (complex special functions),
``couplings`` (alpha_s), ``scheme`` (flavour thresholds), ``anomalous_dimensions`` (LO, NLO),
``evolution`` (DGLAP solutions and the flavour-basis operator), ``pdfs`` (input shapes),
``mellin`` (inverse transform), ``coefficients`` and ``structure_functions`` (F2, FL), ``xsec``
(the NC DIS cross section) and ``cli``.
"""

__version__ = "0.1.0"
