"""The central fit refitted at the 7 scale points: the theory uncertainty of the parameters.

For each (xi_R, xi_F) of ``theory.qcd.scales.SEVEN_POINT`` the run's settings with the scales
set to it, the same events, the same unweighted central fit (replica 0; the five-component
response away from 1, ``theory.kernels.nc_response``); then each point's sigma_r at the report's
kinematics (``theory.inference.posterior.scale_points``) with its own scales. ``refits.json``:

    points [7, 2], names, params [7][P], status [7], loss [7], shift_in_std [7][P] (against the
    posterior's bootstrap std, when given), q2 {data set: [k]}, x {data set: [k][n_x]},
    sigma_r {data set: [7][k][n_x]}, envelope {data set: [k]} (max |sigma_r / sigma_r(1, 1) - 1| per Q^2)
"""

import dataclasses

import numpy as np


def refit_scales(base, samples, std=None, log=print):
    """The ``refits.json`` content of a run (``theory.inference.run.Run``) and its event ``samples``."""
    from theory.inference.fits import fit_replicas
    from theory.inference.posterior import scale_points, sigma_r_at_points
    from theory.inference.run import Run
    from theory.kernels.backends import make_backend
    from theory.qcd.scales import SEVEN_POINT

    rows, runs = [], []
    for xi in SEVEN_POINT:
        theory = dataclasses.replace(base.settings.theory, xi_r=xi[0], xi_f=xi[1])
        run = Run(dataclasses.replace(base.settings, theory=theory))
        backend = make_backend(run.fit.backend, run.likelihood_problem(samples))
        [row] = list(fit_replicas(run, backend, samples, [0], 1))
        log(f"scale refits: xi_R = {xi[0]:g}, xi_F = {xi[1]:g}: status {row['status']}, loss {row['loss']:.6f}")
        rows.append(row)
        runs.append(run)
    params = np.array([r["params"] for r in rows])
    out = {
        "points": [list(xi) for xi in SEVEN_POINT],
        "names": list(runs[0].param.names),
        "params": params.tolist(),
        "status": [int(r["status"]) for r in rows],
        "loss": [float(r["loss"]) for r in rows],
        "q2": {},
        "x": {},
        "sigma_r": {},
        "envelope": {},
    }
    if std is not None:  # None where every replica sits at one value (a parameter held by its bound)
        std = np.asarray(std, dtype=float)
        out["shift_in_std"] = [[float(d / s) if s > 0 else None for d, s in zip(row, std, strict=True)]
                               for row in params - params[0]]  # fmt: skip
    f0 = [run.truth_param.moment_values(run.contour.N, run.param.full(p)[None])[0]
          for run, p in zip(runs, params, strict=True)]  # fmt: skip
    for t in base.names:  # each point's fit at its own scales
        q2, x = scale_points(base, t)
        out["q2"][t], out["x"][t] = q2.tolist(), x.tolist()
        values = np.stack([sigma_r_at_points(run, f, q2, x, t, run.scales) for run, f in zip(runs, f0, strict=True)])
        out["sigma_r"][t] = values.tolist()
        out["envelope"][t] = np.max(np.abs(values / values[0] - 1), axis=(0, 2)).tolist()
    return out
