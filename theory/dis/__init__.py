"""Deep-inelastic scattering: kinematics and cuts, structure functions F2 and FL, the cross section."""
