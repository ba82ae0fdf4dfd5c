"""What each command does: parse nothing, compute through the library, print or write the result.

Every function takes the parsed arguments and returns the exit code. Workflow stages build the
run object once (``stage``) and hand it to the stage's module.
"""

import json
import os
import sys

from theory.atomic import write_json
from theory.pipeline.cli.arguments import UsageError


def log(message):
    print(message, file=sys.stderr, flush=True)


# --- physics: the Les Houches input evolved, and its structure functions -------------------------


def _lha_setup(args):
    from theory.pdfs import lha
    from theory.qcd.evolution import EvolutionSetup
    from theory.qcd.mellin import Contour

    if args.q2 < lha.MU0_2:
        raise UsageError(f"--q2 {args.q2} lies below the input scale Q0^2 = {lha.MU0_2} GeV^2; use --q2 >= {lha.MU0_2}")
    setup = EvolutionSetup(args.order, args.mode, args.scheme, lha.MU0_2, lha.ALPHA_S0, lha.MASSES)
    contour = Contour.benchmark()
    head = {"command": args.command, "pdf": args.pdf, "order": args.order, "scheme": args.scheme, "mode": args.mode}
    scale = {"q2": args.q2, "alpha_s": setup.coupling.alpha_s(args.q2), "nf": setup.scheme.nf(args.q2)}
    return setup, contour, lha.moments(contour.N), head, scale


def evolve(args):
    """PDFs at Q^2 as the Les Houches table's combinations (x f), and alpha_s."""
    import numpy as np

    from theory.qcd.flavours import LHA_TABLE, evaluate

    setup, contour, f0, head, scale = _lha_setup(args)
    x = np.array(args.x)
    fx = setup.pdfs_at(contour, f0, x, args.q2)
    xf = {label: (x * values).tolist() for label, values in evaluate(LHA_TABLE, fx).items()}
    return _emit(args, {**head, **scale, "x": x.tolist(), "xf": xf}, xf)


def sf(args):
    """Generalised F2, FL and xF3 at Q^2 of a target (photon or gamma/Z exchange, a lepton beam),
    and with --sqrt-s the reduced cross section and d2sigma/dx dQ2 at y = Q2 / (x s)."""
    import numpy as np

    from theory.dis import electroweak as ew_
    from theory.dis.cross_section import d2sigma_nc, inelasticity, reduced_cross_section
    from theory.dis.nuclear import NuclearCorrection
    from theory.dis.structure_functions import generalised_structure_functions
    from theory.qcd.scales import Scales

    setup, contour, f0, head, scale = _lha_setup(args)
    try:
        beam = ew_.Beam(args.lepton, args.polarisation)
        ew = ew_.Electroweak(args.m_z, args.sin2_w)
        scales = Scales(args.xi_r, args.xi_f)
        if args.nuclear_table and args.target != "d":
            raise ValueError("--nuclear-table applies to --target d only")
        nuclear = NuclearCorrection.from_table(args.nuclear_table) if args.nuclear_table else None
        x = np.array(args.x)
        values = generalised_structure_functions(
            setup, contour, f0, x, args.q2, args.target, args.process, beam, ew, scales, nuclear
        )
    except ValueError as err:
        raise UsageError(str(err)) from None
    mu_r2, mu_f2 = scales.mu2(args.q2, setup.mu0_2)
    result = {**head, "target": args.target, "process": args.process, "lepton": args.lepton,
              "polarisation": args.polarisation, **scale, "xi_r": args.xi_r, "xi_f": args.xi_f, "mu_r2": mu_r2,
              "mu_f2": mu_f2, "electroweak": ew.as_dict(), "x": x.tolist(),
              **{name: v.tolist() for name, v in values.items()}}  # fmt: skip
    columns = dict(values)
    if args.sqrt_s:
        s = args.sqrt_s**2
        y = inelasticity(x, args.q2, s)
        if np.any(y > 1.0):
            bad = x[y > 1.0].min()
            raise UsageError(
                f"--x {bad:g} gives y = Q2/(x s) > 1 at --sqrt-s {args.sqrt_s:g}; use x >= {args.q2 / s:.4g}"
            )
        sigma_r = reduced_cross_section(values["F2"], values["FL"], values["xF3"], y, args.lepton)
        d2 = d2sigma_nc(x, args.q2, values["F2"], values["FL"], values["xF3"], s, args.lepton, args.alpha_em)
        result.update(sqrt_s=args.sqrt_s, alpha_em=args.alpha_em, y=y.tolist(), sigma_r=sigma_r.tolist(),
                      d2sigma=d2.tolist())  # fmt: skip
        columns.update(y=y, sigma_r=sigma_r, d2sigma=d2)
    return _emit(args, result, columns)


def _emit(args, result, columns):
    """--output (atomic JSON), then --json (one line) or a small table of ``columns``."""
    if args.output:
        write_json(args.output, result)
    if args.json:
        json.dump(result, sys.stdout)
        print()
        return 0
    print(f"# {result['command']} {result['order']} {result['scheme']} {result['mode']} "
          f"Q2={result['q2']:g} alpha_s={result['alpha_s']:.8f}")  # fmt: skip
    print("x".rjust(12) + "".join(name.rjust(15) for name in columns))
    for i, x in enumerate(result["x"]):
        print(f"{x:12.4e}" + "".join(f"{values[i]:15.6e}" for values in columns.values()))
    return 0


def profiles(args):
    """profiles install: the shipped Snakemake profiles into the user's Snakemake folder."""
    from theory.pipeline import profiles as shipped

    try:
        for name, target, what in shipped.install(args.name, args.dest, args.force):
            print(f"{name}: {what} in {target}")
    except (ValueError, FileExistsError, OSError) as err:
        raise UsageError(str(err)) from None
    return 0


def config_doc(args):
    """The config reference (config/README.md) from the schema, on stdout."""
    from theory.pipeline.config import schema_markdown

    sys.stdout.write(schema_markdown())
    return 0


# --- tools: benchmark and planner ----------------------------------------------------------------


def bench(args):
    """The benchmark tables (default), or one of its studies: --agreement, --gamma-z, --scaling."""
    from theory.pipeline import bench as benchmark

    for flag, given in (("--plot", args.plot), ("--config", args.config), ("--device", args.device)):
        if given and not args.scaling:
            raise UsageError(f"{flag} belongs to the --scaling study: add --scaling")
    if args.agreement:
        from theory.pipeline import agreement

        result = agreement.run(args.agreement, args.replicas, log=log)
        return _study(args, "bench --agreement", result, agreement.format_table)
    if args.gamma_z:
        from theory.pipeline import gamma_z_cost

        result = gamma_z_cost.run(args.events, min(args.batch, 32), max(args.repeats, 5), args.loop_events, log=log)
        return _study(args, "bench --gamma-z", result, gamma_z_cost.format_table)
    if args.scaling:
        from theory.pipeline import config as cfg
        from theory.pipeline import scaling

        config = None
        if args.config:
            try:
                config = cfg.load(args.config)
            except cfg.ConfigError as err:
                raise UsageError(str(err)) from None
        if args.device:
            from numba.cuda import config as cuda_config

            if not (cuda_config.ENABLE_CUDASIM or benchmark._cuda_available()):
                raise UsageError("--device: no GPU here (set NUMBA_ENABLE_CUDASIM=1 for the simulator)")
            from theory.inference.lockstep import device_array_module

            try:
                device_array_module()
            except ValueError as err:
                raise UsageError(f"--device: {err}") from None
        result = scaling.run(tuple(args.sizes or scaling.SIZES), args.replicas, args.repeats, log=log, config=config,
                             device=args.device)  # fmt: skip
        if config is not None:
            result["config"] = args.config
        if args.plot:
            from theory.pipeline.plots import scaling_plot

            scaling_plot(result, args.plot)
        return _study(args, "bench --scaling", result, scaling.format_table)
    result = benchmark.run(
        n_events=args.events, order=args.order, mode=args.mode, scheme=args.scheme, batch=args.batch,
        repeats=args.repeats, loop_events=args.loop_events, memory_events=min(args.events, 10000), log=log,
    )  # fmt: skip
    return _study(args, "bench", result, lambda r: json.dumps(r, indent=1))


def _study(args, command, result, table):
    """Stamp a bench study's result with its command, write it (--json) and print its table."""
    result["command"] = command
    if args.json:
        write_json(args.json, result)
    print(table(result))
    return 0


def seed_table(args):
    """plan --seed-table: the seed's projected table beside the model's, and the model stated."""
    from theory.pipeline import plan as planner
    from theory.pipeline.paths import refdata

    try:
        path = refdata(planner.SEED_FILE)
    except FileNotFoundError as err:
        raise UsageError(str(err)) from None
    try:
        with open(path) as handle:
            result = planner.seed_table(json.load(handle))
    except (OSError, KeyError, TypeError, ValueError) as err:
        raise UsageError(f"{path}: not the seed's projection ({err})") from None
    result = {"command": "plan", "mode": "seed-table", "file": str(path), **result}
    print(planner.format_seed_table(result))
    if args.json:
        try:
            write_json(args.json, result)
        except OSError as err:
            raise UsageError(f"--json {args.json}: cannot write ({err.strerror or err})") from None
    return 0


def achieved(args):
    """plan --achieved timing.h5 --slots N: the run's parallel efficiency and a chunk-size suggestion."""
    from theory.pipeline import plan as planner

    if not args.slots:
        raise UsageError("--achieved needs --slots N (the job slots the run had, e.g. its cores)")
    try:
        result = planner.achieved(args.achieved, args.slots, 60.0 * args.min_job_minutes)
    except (OSError, KeyError, ValueError) as err:
        raise UsageError(f"--achieved {args.achieved}: not a timing.h5 ({err})") from None
    print(planner.format_achieved(result))
    if args.json:
        write_json(args.json, result)
    return 0


def plan(args):
    from theory.inference.run import ConfigError, RunSettings
    from theory.pipeline import config as cfg
    from theory.pipeline import plan as planner

    if args.seed_table:
        return seed_table(args)
    if args.achieved:
        return achieved(args)
    if not (args.config and args.cluster):
        raise UsageError("give --config and --cluster, or --seed-table, or --achieved TIMING --slots N")
    try:
        settings = RunSettings.from_config(cfg.load(args.config))
    except ConfigError as err:
        raise UsageError(str(err)) from None
    n_events = settings.expected_events
    times = {}
    if args.bench:
        try:
            times.update(planner.bench_times(planner.load_bench(args.bench), n_events))
        except (OSError, KeyError, ValueError) as err:
            raise UsageError(f"--bench {args.bench}: not a bench result ({err})") from None
    if args.scaling:
        try:
            with open(args.scaling) as handle:
                times.update(planner.scaling_times(json.load(handle), n_events))
        except (OSError, KeyError, TypeError, ValueError) as err:
            raise UsageError(f"--scaling {args.scaling}: not a bench --scaling result ({err})") from None
    for item in args.seconds:
        name, _, value = item.partition("=")
        try:
            times[name] = {"seconds": float(value), "threads": 1}
        except ValueError:
            raise UsageError(f"--seconds {item!r}: give BACKEND=SECONDS") from None
    if not times:
        raise UsageError("give --bench FILE, --scaling FILE or --seconds BACKEND=S for at least one backend")
    evaluations = args.evaluations or 50.0
    if args.pilot and not args.evaluations:
        try:
            evaluations = planner.Pilot.read(args.pilot)
        except (OSError, KeyError, ValueError) as err:
            raise UsageError(f"--pilot {args.pilot}: not a posterior with converged replicas ({err})") from None
    result = planner.plan(settings.fit, args.cluster, times, evaluations, nodes=args.nodes, efficiency=args.efficiency,
                          local_cores=len(os.sched_getaffinity(0)), overhead=args.overhead)  # fmt: skip
    print(planner.format_table(result))
    if args.json:
        write_json(args.json, result)
    return 0


# --- workflow stages: one run object per command -----------------------------------------------


def settings_stage(args):
    """(settings, paths) of a stage that reads results only (plots, the page): the config
    validated, no physics set up (the evolution tables, the parametrisation: ~1 s a job)."""
    from theory.inference.run import RunSettings
    from theory.pipeline import config as cfg
    from theory.pipeline.paths import RunPaths

    settings = RunSettings.from_config(cfg.load(args.config))
    return settings, RunPaths.of(settings, args.results)


def stage(args):
    """(run, paths) of a stage command: the config validated and the run built, once."""
    from theory.inference.run import Run

    settings, paths = settings_stage(args)
    return Run(settings), paths


def _samples(run, paths):
    from theory.inference.events import run_samples

    return run_samples(run, {t: paths.events(t) for t in run.names})


def warmup(args):
    """Compile the run's Numba kernels once, serially, then write the stamp the fan-out waits for."""
    from theory.pipeline.warmup import cache_dir, warm_up

    run, paths = stage(args)
    seconds = warm_up(run, log=log)
    write_json(paths.warmup, {"numba_cache_dir": cache_dir(), "seconds": seconds})
    return 0


def generate(args):
    from theory.inference.events import generate as draw
    from theory.inference.events import save_events
    from theory.inference.run import ConfigError

    run, paths = stage(args)
    if args.dataset != "all" and args.dataset not in run.names:
        raise ConfigError(f"--dataset {args.dataset}: not a data set of this config ({', '.join(run.names)}, all)")
    for t in run.names if args.dataset == "all" else (args.dataset,):
        ds = run.set(t).settings
        if ds.file:
            log(f"generate: data set {t} is read from {ds.file}; nothing to generate")
            continue
        sample = draw(run, ds.expected, t, run.truth, run.seed, ds.lumi_uncertainty, log=log)
        save_events(paths.events(t), sample, run, run.truth, t)
        log(f"generate: {len(sample)} {t} events ({ds.target}, {ds.lepton} P = {ds.polarisation:g}, "
            f"sqrt(s) = {ds.sqrt_s:.6g} GeV; {ds.expected:g} expected), sigma = {sample.meta['sigma_nb']:.6g} nb, "
            f"measured lumi = {sample.lumi_nb:.6g} nb^-1 (+-{100 * ds.lumi_uncertainty:g}%)")  # fmt: skip
    return 0


def tables(args):
    from theory.inference.fits import build_tables

    run, paths = stage(args)
    build_tables(run, _samples(run, paths), paths.kernel, log=log)
    return 0


def fit(args):
    from theory.inference.fits import run_chunk
    from theory.pipeline.faults import fail_once

    fail_once(args.chunk)
    run, paths = stage(args)
    kernel = paths.kernel
    run_chunk(run, args.chunk, _samples(run, paths), paths.chunk(args.chunk), log=log,
              tables=kernel if kernel.is_file() else None, checkpoint=paths.checkpoint(args.chunk))  # fmt: skip
    return 0


def scale_refits(args):
    """The central fit refitted at the 7 scale points, with sigma_r at the report's kinematics."""
    import h5py

    from theory.inference.scale_refits import refit_scales

    run, paths = stage(args)
    std = None
    if paths.posterior.is_file():
        with h5py.File(paths.posterior, "r") as f:
            std = f["summary/std"][...]
    try:
        result = refit_scales(run, _samples(run, paths), std, log=log)
    except ValueError as err:
        raise UsageError(str(err)) from None
    write_json(paths.scale_refits, result)
    log(f"scale refits: wrote {paths.scale_refits}")
    return 0


def aggregate(args):
    from theory.inference.posterior import aggregate as merge

    run, paths = stage(args)
    merge(run, paths.chunks(run.fit.n_chunks), paths.posterior, paths.timing, log=log)
    return 0


def coverage(args):
    import numba

    from theory.inference import coverage as study
    from theory.pipeline import config as cfg
    from theory.pipeline.paths import RunPaths
    from theory.pipeline.plots import coverage_plots

    run = study.study_run(cfg.load(args.config))
    paths = RunPaths.of(run.settings, args.results)
    cov = run.settings.coverage
    workers = args.workers or numba.get_num_threads()
    todo = [args.chunk] if args.chunk is not None else ([] if args.merge else range(cov.n_chunks))
    for chunk in todo:
        path = paths.coverage_chunk(chunk)
        if args.chunk is None and path.is_file():
            log(f"coverage: chunk {chunk} done already ({path})")
            continue
        study.run_chunk(run, chunk, path, workers=workers, log=log)
    if args.chunk is None:
        study.aggregate(run, paths.coverage_chunks(cov.n_chunks), paths.coverage, log=log)
        coverage_plots(paths.coverage, paths.plots_dir)
        log(f"coverage: wrote {paths.coverage} and its plots in {paths.plots_dir}")
    return 0


def lhapdf(args):
    from theory.pipeline.lhapdf import export

    run, paths = stage(args)
    export(run, paths.posterior, paths.lhapdf, log=log)
    return 0


def report(args):
    from theory.pipeline.report import build

    settings, paths = settings_stage(args)
    log(f"report: {build(settings.name, paths)}")
    return 0


def plot(args):
    from theory.pipeline.plots import plot_all

    _, paths = settings_stage(args)
    for p in plot_all(paths.posterior, paths.plots_dir):
        log(f"plot: {p}")
    return 0
