"""theory: Mellin-space QCD for event-level PDF fits to inclusive DIS.

Layers, each importing only from those below it (README "Layout"; tests/test_layers.py):

- ``theory.pipeline``: the command line (``python -m theory``), config validation, file names,
  planner, benchmark, report, plots, LHAPDF export;
- ``theory.inference``: the run object, events, quadrature, bootstrap replicas, fits, posterior;
- ``theory.kernels``: the DIS response as a linear form in the input moments, the backends;
- ``theory.dis`` and ``theory.pdfs``: kinematics, structure functions, cross section; input PDFs;
- ``theory.qcd``: special functions, alpha_s, flavour basis, anomalous dimensions, evolution,
  coefficient functions, the inverse Mellin transform;
- this package: ``__version__``, ``atomic`` (atomic writes) and ``provenance``.
"""

__version__ = "0.1.0"
