"""Perturbative QCD in Mellin space: constants, special functions, harmonic sums, alpha_s, flavour
schemes and basis, anomalous dimensions, DGLAP evolution, coefficient functions, Mellin inversion."""
