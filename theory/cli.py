"""Command-line interface: ``python -m theory <command> ...`` (machine-readable with --json).

Commands
--------
evolve  PDFs at Q^2 as the Les Houches benchmark's combinations, and alpha_s.
sf      F2 and FL at Q^2 (mu_R = mu_F = Q) for a proton or neutron target.
bench   the backends' speed, memory, thread scaling and the machine's ceiling (``theory.bench``).

Bad arguments give one line on stderr and exit code 2.
"""

import argparse
import json
import math
import sys

import numpy as np

ORDERS = ("lo", "nlo")
SCHEMES = ("ffns3", "ffns4", "ffns5", "vfns")
MODES = ("iterated-exact", "truncated")
PDFS = ("lha",)


class UsageError(Exception):
    """A bad command line: reported as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{self.prog}: {message}")


def _unit_interval(text):
    value = _number(text)
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"x = {text} must lie strictly between 0 and 1")
    return value


def _number(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def _common(sub):
    sub.add_argument("--pdf", choices=PDFS, default="lha", help="input PDF set at Q0 (default lha)")
    sub.add_argument("--order", choices=ORDERS, default="nlo", help="perturbative order (default nlo)")
    sub.add_argument("--scheme", choices=SCHEMES, default="vfns", help="flavour scheme (default vfns)")
    sub.add_argument(
        "--mode", choices=MODES, default="iterated-exact", help="NLO solution of DGLAP (default iterated-exact)"
    )
    sub.add_argument("--q2", type=_number, required=True, help="scale Q^2 in GeV^2 (>= Q0^2)")
    sub.add_argument("--x", type=_unit_interval, nargs="+", required=True, help="momentum fractions")
    sub.add_argument("--json", action="store_true", help="print one JSON object")
    sub.add_argument("--output", metavar="FILE", help="also write the JSON object to FILE (atomically)")


def build_parser():
    parser = _Parser(prog="python -m theory", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _common(commands.add_parser("evolve", help="evolve PDFs; print LHA combinations and alpha_s"))
    sf = commands.add_parser("sf", help="structure functions F2 and FL")
    _common(sf)
    sf.add_argument("--target", choices=("p", "n"), default="p", help="target nucleon (default p)")
    for name, text in (("generate", "generate the event samples of a config"),
                       ("tables", "build the cached kernel of the run's events once (tables/kernel.h5)"),
                       ("lhapdf", "export posterior.h5 as an LHAPDF6 set (member 0 = mean)"),
                       ("report", "one HTML page: bands, closure, timing, bench and plan tables"),
                       ("fit", "fit one chunk of bootstrap replicas"),
                       ("aggregate", "merge fit chunks into posterior.h5 and timing.h5"),
                       ("plot", "plot bands, pulls and losses from posterior.h5")):  # fmt: skip
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--config", required=True, help="run configuration (YAML)")
        sub.add_argument("--results", default="results", help="results root folder (default results)")
        if name == "fit":
            sub.add_argument("--chunk", type=_nonnegative_int, required=True, help="chunk index")
        if name == "generate":
            sub.add_argument("--target", choices=("p", "n", "both"), default="both", help="which sample (default both)")
    planner = commands.add_parser("plan", help="project wall hours and node-hours per cluster and backend")
    planner.add_argument("--config", required=True, help="run configuration (YAML)")
    planner.add_argument("--cluster", choices=("tinkercliffs", "summit-style", "local"), required=True)
    planner.add_argument("--nodes", type=_positive_int, help="nodes (default: 2 tinkercliffs, 1 otherwise)")
    planner.add_argument("--bench", help="bench JSON (python -m theory bench --json FILE) for times per evaluation")
    planner.add_argument(
        "--seconds",
        action="append",
        default=[],
        metavar="BACKEND=S",
        help="time per loss+gradient evaluation of a backend at the config's events (repeatable)",
    )
    planner.add_argument("--evaluations", type=float, help="loss evaluations per replica (default: --pilot or 50)")
    planner.add_argument("--pilot", help="posterior.h5 of a pilot run: its mean evaluations per replica")
    planner.add_argument("--efficiency", type=float, default=0.9, help="parallel efficiency assumed (default 0.9)")
    planner.add_argument("--overhead", type=float, default=10.0, help="seconds of start-up per job (default 10)")
    planner.add_argument("--json", metavar="FILE", help="also write the table as JSON (atomically)")
    bench = commands.add_parser("bench", help="the seed's benchmark tables for every backend, side by side")
    bench.add_argument("--events", type=_positive_int, default=10000, help="events (default 10000)")
    bench.add_argument("--order", choices=ORDERS, default="nlo", help="perturbative order (default nlo)")
    bench.add_argument("--mode", choices=MODES, default="truncated", help="NLO solution (default truncated)")
    bench.add_argument("--scheme", choices=SCHEMES, default="vfns", help="flavour scheme (default vfns)")
    bench.add_argument("--batch", type=_positive_int, default=256, help="parameter sets per batch (default 256)")
    bench.add_argument("--repeats", type=_positive_int, default=3, help="timing repeats, best taken (default 3)")
    bench.add_argument(
        "--loop-events",
        type=_positive_int,
        default=500,
        help="events numpy-loop is timed on, then scaled (default 500)",
    )
    bench.add_argument("--json", metavar="FILE", help="write the results as JSON to FILE (atomically)")
    return parser


def _int_at_least(minimum):
    """An argparse type: an integer no smaller than ``minimum``."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text} must be at least {minimum}")
        return value

    return parse


_nonnegative_int = _int_at_least(0)
_positive_int = _int_at_least(1)


def _setup(args):
    from .evolution import EvolutionSetup
    from .pdfs import lha

    if args.q2 < lha.MU0_2:
        raise UsageError(f"--q2 {args.q2} lies below the input scale Q0^2 = {lha.MU0_2} GeV^2; use --q2 >= {lha.MU0_2}")
    setup = EvolutionSetup(args.order, args.mode, args.scheme, lha.MU0_2, lha.ALPHA_S0, lha.MASSES)
    return setup, lha


def _evolve(args):
    from .mellin import Contour

    setup, lha = _setup(args)
    contour = Contour.benchmark()
    E = setup.operators(contour.N, args.q2)
    f = np.einsum("jab,jb->ja", E, lha.moments(contour.N))
    x = np.array(args.x)
    fx = np.imag(contour.kernel(x) @ f)
    comb = x[:, None] * lha.lha_combinations(fx)
    return {
        "command": "evolve",
        "pdf": args.pdf,
        "order": args.order,
        "scheme": args.scheme,
        "mode": args.mode,
        "q2": args.q2,
        "alpha_s": setup.coupling.alpha_s(args.q2),
        "nf": setup.scheme.nf(args.q2),
        "x": x.tolist(),
        "xf": {label: comb[:, i].tolist() for i, label in enumerate(lha.LHA_LABELS)},
    }


def _sf(args):
    from .mellin import Contour
    from .structure_functions import structure_functions

    setup, lha = _setup(args)
    contour = Contour.benchmark()
    F2, FL = structure_functions(setup, contour, lha.moments(contour.N), args.x, args.q2, args.target)
    return {
        "command": "sf",
        "pdf": args.pdf,
        "order": args.order,
        "scheme": args.scheme,
        "mode": args.mode,
        "target": args.target,
        "q2": args.q2,
        "alpha_s": setup.coupling.alpha_s(args.q2),
        "nf": setup.scheme.nf(args.q2),
        "x": list(args.x),
        "F2": F2.tolist(),
        "FL": FL.tolist(),
    }


def _print_table(result):
    columns = result["xf"] if result["command"] == "evolve" else {"F2": result["F2"], "FL": result["FL"]}
    print(
        f"# {result['command']} {result['order']} {result['scheme']} {result['mode']} "
        f"Q2={result['q2']:g} alpha_s={result['alpha_s']:.8f}"
    )
    print("x".rjust(12) + "".join(name.rjust(15) for name in columns))
    for i, x in enumerate(result["x"]):
        print(f"{x:12.4e}" + "".join(f"{values[i]:15.6e}" for values in columns.values()))


def write_json_atomic(path, obj):
    """Write JSON to ``path`` atomically (``theory.atomic``)."""
    from .atomic import write_json

    write_json(path, obj)


def _bench(args):
    from . import bench

    result = bench.run(
        n_events=args.events, order=args.order, mode=args.mode, scheme=args.scheme, batch=args.batch,
        repeats=args.repeats, loop_events=args.loop_events, memory_events=min(args.events, 10000),
        log=lambda m: print(m, file=sys.stderr),
    )  # fmt: skip
    result["command"] = "bench"
    if args.json:
        write_json_atomic(args.json, result)
    json.dump(result, sys.stdout, indent=1)
    print()
    return 0


def _plan(args):
    import os

    from . import config as cfg
    from . import plan as planner

    try:
        config = cfg.load(args.config)
    except cfg.ConfigError as err:
        raise UsageError(str(err)) from None
    n_events = config["events"]["p"] + config["events"]["n"]
    times = {}
    if args.bench:
        try:
            times.update(planner.bench_times(planner.load_bench(args.bench), n_events))
        except (OSError, KeyError, ValueError) as err:
            raise UsageError(f"--bench {args.bench}: not a bench result ({err})") from None
    for item in args.seconds:
        name, _, value = item.partition("=")
        try:
            times[name] = {"seconds": float(value), "threads": 1}
        except ValueError:
            raise UsageError(f"--seconds {item!r}: give BACKEND=SECONDS") from None
    if not times:
        raise UsageError("give --bench FILE or --seconds BACKEND=S for at least one backend")
    evaluations = args.evaluations or (planner.pilot_evaluations(args.pilot) if args.pilot else 50.0)
    result = planner.plan(config, args.cluster, times, evaluations, nodes=args.nodes, efficiency=args.efficiency,
                          local_cores=len(os.sched_getaffinity(0)), overhead=args.overhead)  # fmt: skip
    print(planner.format_table(result))
    if args.json:
        write_json_atomic(args.json, result)
    return 0


def _log(message):
    print(message, file=sys.stderr, flush=True)


def _samples(config, theory, root):
    """The event samples a fit uses: config files if given, else the generated ones."""
    from . import paths
    from .events import load_events

    files = config["events"].get("files", {})
    lumi = config["events"].get("lumi", {})
    samples = {}
    for t in ("p", "n"):
        path = files.get(t) or paths.events_path(config, t, root)
        if not files.get(t) and not path.is_file():
            raise UsageError(f"{path}: no events; run 'python -m theory generate --config ...' first")
        samples[t] = load_events(path, t, theory.cuts, theory.sqrt_s, lumi.get(t))
    return samples


def _inject_failure(chunk):
    """Test hook: with THEORY_FAIL_ONCE=<file>, the first fit job to start creates <file> and
    fails (exit 1), as a node failure would; retries then find the file and run normally."""
    import os
    import pathlib

    marker = os.environ.get("THEORY_FAIL_ONCE")
    if marker and not pathlib.Path(marker).exists():
        pathlib.Path(marker).write_text(f"chunk {chunk} failed on purpose\n")
        _log(f"fit: chunk {chunk} fails on purpose (THEORY_FAIL_ONCE={marker})")
        raise SystemExit(1)


def _workflow(args):
    from . import config as cfg
    from . import paths
    from .events import EventFileError

    try:
        config = cfg.load(args.config)
        if args.command == "generate":
            from .events import generate, save_events
            from .fitting import Theory

            theory = Theory(config)
            for t in ("p", "n") if args.target == "both" else (args.target,):
                sample = generate(theory, config["events"][t], t, theory.truth, config["seed"], log=_log)
                save_events(paths.events_path(config, t, args.results), sample, theory, theory.truth)
                _log(f"generate: {len(sample)} {t} events, sigma = {sample.meta['sigma_nb']:.6g} nb, "
                     f"lumi = {sample.lumi_nb:.6g} nb^-1")  # fmt: skip
        elif args.command == "fit":
            from .fitting import Theory, run_chunk

            _inject_failure(args.chunk)
            theory = Theory(config)
            samples = _samples(config, theory, args.results)
            tables = paths.kernel_path(config, args.results)
            run_chunk(config, args.chunk, samples, paths.chunk_path(config, args.chunk, args.results), log=_log,
                      tables=tables if tables.is_file() else None)  # fmt: skip
        elif args.command == "tables":
            from .fitting import Theory, build_tables

            theory = Theory(config)
            build_tables(config, _samples(config, theory, args.results), paths.kernel_path(config, args.results),
                         log=_log)  # fmt: skip
        elif args.command == "aggregate":
            from .aggregate import aggregate
            from .fitting import n_chunks

            chunks = [paths.chunk_path(config, k, args.results) for k in range(n_chunks(config))]
            aggregate(config, chunks, paths.posterior_path(config, args.results),
                      paths.timing_path(config, args.results), log=_log)  # fmt: skip
        elif args.command == "lhapdf":
            from .lhapdf import export

            export(config, paths.posterior_path(config, args.results), paths.run_dir(config, args.results) / "lhapdf",
                   log=_log)  # fmt: skip
        elif args.command == "report":
            from .report import build

            out = build(
                config, paths.run_dir(config, args.results), paths.run_dir(config, args.results) / "report.html"
            )
            _log(f"report: {out}")
        elif args.command == "plot":
            from .plots import plot_all

            for p in plot_all(paths.posterior_path(config, args.results), paths.plots_dir(config, args.results)):
                _log(f"plot: {p}")
    except (cfg.ConfigError, EventFileError, FileNotFoundError, ValueError) as err:
        raise UsageError(str(err)) from None
    return 0


def main(argv=None):
    """Entry point; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        if args.command == "bench":
            return _bench(args)
        if args.command == "plan":
            return _plan(args)
        if args.command in ("generate", "tables", "fit", "aggregate", "plot", "lhapdf", "report"):
            return _workflow(args)
        result = {"evolve": _evolve, "sf": _sf}[args.command](args)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.output:
        write_json_atomic(args.output, result)
    if args.json:
        json.dump(result, sys.stdout)
        print()
    else:
        _print_table(result)
    return 0
