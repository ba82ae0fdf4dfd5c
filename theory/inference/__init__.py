"""Inference: the run object, events, the cut-region quadrature, bootstrap replicas, fits, posterior."""
