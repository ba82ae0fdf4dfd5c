"""Command-line interface: ``python -m theory <command> ...`` (machine-readable with --json).

One table (``COMMANDS``) names every command, its help, its options and what runs it:

evolve     PDFs at Q^2 as the Les Houches benchmark's combinations, and alpha_s.
sf         F2 and FL at Q^2 (mu_R = mu_F = Q) for a proton or neutron target.
warmup, generate, tables, fit, aggregate, plot, report, lhapdf
           the workflow's stages for a run config (what the Snakemake rules call).
coverage   the coverage study of a config: pseudo-experiments, coverage.h5 and its plots.
plan       projected wall hours and node-hours per cluster and backend.
bench      the backends' speed, memory, thread scaling and the machine's ceiling.
profiles   install the shipped Snakemake profiles where Snakemake finds them.
config-doc every config key from the schema (config/README.md).

Bad arguments, configs or event files give one line on stderr and exit code 2.
"""

import sys
from collections.abc import Callable
from dataclasses import dataclass

from theory.pipeline.cli import arguments, commands
from theory.pipeline.cli.arguments import Parser, UsageError


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    options: Callable
    run: Callable
    stage: bool = False
    """A workflow stage: config, event-file and input problems are usage errors (one line)."""


COMMANDS = (
    Command("evolve", "evolve PDFs; print LHA combinations and alpha_s", arguments.physics_options, commands.evolve),
    Command("sf", "F2, FL, xF3 (photon or gamma/Z); with --sqrt-s sigma_r, d2sigma", arguments.sf_options, commands.sf),
    Command("generate", "generate the event samples of a config", arguments.generate_options, commands.generate, True),
    Command(
        "tables",
        "build the cached kernel of the run's events once (tables/kernel.h5)",
        arguments.stage_options,
        commands.tables,
        True,
    ),
    Command(
        "lhapdf",
        "export posterior.h5 as an LHAPDF6 set (member 0 = mean)",
        arguments.stage_options,
        commands.lhapdf,
        True,
    ),
    Command(
        "scale-refits",
        "the central fit refitted at the 7 scale points (scales/refits.json)",
        arguments.stage_options,
        commands.scale_refits,
        True,
    ),
    Command(
        "report",
        "one HTML page: bands, closure, timing, bench and plan tables",
        arguments.stage_options,
        commands.report,
        True,
    ),
    Command(
        "warmup",
        "compile the run's Numba kernels once, before the fan-out",
        arguments.stage_options,
        commands.warmup,
        True,
    ),  # fmt: skip
    Command("fit", "fit one chunk of bootstrap replicas", arguments.fit_options, commands.fit, True),
    Command(
        "aggregate",
        "merge fit chunks into posterior.h5 and timing.h5",
        arguments.stage_options,
        commands.aggregate,
        True,
    ),
    Command("plot", "plot bands, pulls and losses from posterior.h5", arguments.stage_options, commands.plot, True),
    Command(
        "coverage",
        "coverage study: K pseudo-experiments, their bands against the truth (coverage.h5)",
        arguments.coverage_options,
        commands.coverage,
        True,
    ),
    Command("plan", "project wall hours and node-hours per cluster and backend", arguments.plan_options, commands.plan),
    Command(
        "bench", "the seed's benchmark tables for every backend, side by side", arguments.bench_options, commands.bench
    ),
    Command(
        "profiles",
        "install the shipped Snakemake profiles (snakemake --profile slurm)",
        arguments.profiles_options,
        commands.profiles,
    ),
    Command(
        "config-doc",
        "print the config reference (config/README.md) from the schema",
        arguments.no_options,
        commands.config_doc,
    ),
)
BY_NAME = {c.name: c for c in COMMANDS}


def build_parser():
    parser = Parser(prog="python -m theory", description=__doc__.splitlines()[0])
    subs = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in COMMANDS:
        command.options(subs.add_parser(command.name, help=command.help))
    return parser


def main(argv=None):
    """Entry point; returns the exit code."""
    from theory.inference.events import EventFileError
    from theory.inference.run import ConfigError

    try:
        args = build_parser().parse_args(argv)
        command = BY_NAME[args.command]
        if not command.stage:
            return command.run(args)
        try:
            return command.run(args)
        except (ConfigError, EventFileError, FileNotFoundError, ValueError) as err:
            raise UsageError(str(err)) from None
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
