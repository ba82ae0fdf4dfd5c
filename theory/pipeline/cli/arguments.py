"""Argument types and the option groups the commands share (choices come from the registries)."""

import argparse
import math

from theory.dis.alpha_em import ALPHA_EM_MODES
from theory.dis.electroweak import LEPTONS, PROCESSES
from theory.pipeline.paths import DEFAULT_ROOT
from theory.pipeline.plan import CLUSTERS
from theory.qcd.evolution import MODES, ORDERS
from theory.qcd.flavours import ALL_TARGETS
from theory.qcd.scheme import SCHEMES

PDFS = ("lha",)
"""Input PDF sets the physics commands evolve."""


class UsageError(Exception):
    """A bad command line or input: reported as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are UsageError (one line, exit 2), not SystemExit."""

    def error(self, message):
        raise UsageError(f"{self.prog}: {message}")


def number(text):
    """A finite float."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def bounded(lo, hi, what, closed=(False, False)):
    """An argparse type: a finite float inside (lo, hi), ends included where ``closed`` says."""
    left, right = ("[" if closed[0] else "("), ("]" if closed[1] else ")")

    def parse(text):
        value = number(text)
        above = value >= lo if closed[0] else value > lo
        below = value <= hi if closed[1] else value < hi
        if not (above and below):
            raise argparse.ArgumentTypeError(f"{what} = {text} must lie in {left}{lo:g}, {hi:g}{right}")
        return value

    return parse


unit_interval = bounded(0.0, 1.0, "x")
"""A float strictly between 0 and 1 (an x)."""
polarisation = bounded(-1.0, 1.0, "polarisation", (True, True))
scale_factor = bounded(0.0, 10.0, "scale factor", (False, True))
positive = bounded(0.0, math.inf, "value")
mixing_angle = bounded(0.0, 1.0, "sin^2 theta_W")


def int_at_least(minimum):
    """An argparse type: an integer no smaller than ``minimum``."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            try:  # 1e6 and the like, when whole
                value = float(text)
            except ValueError:
                value = None
            if value is None or not value.is_integer():
                raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
            value = int(value)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text} must be at least {minimum}")
        return value

    return parse


nonnegative_int = int_at_least(0)
positive_int = int_at_least(1)


def profiles_options(sub):
    sub.add_argument("action", choices=("install",), help="install: copy profiles/<name> where Snakemake finds them")
    sub.add_argument("name", nargs="*", help="profiles to install (default: all shipped)")
    sub.add_argument("--dest", help="target folder (default: $XDG_CONFIG_HOME/snakemake or ~/.config/snakemake)")
    sub.add_argument("--force", action="store_true", help="replace an installed profile with other contents")


def no_options(sub):
    """A command without options."""


def theory_options(sub, mode_default):
    """--order, --scheme, --mode."""
    sub.add_argument("--order", choices=tuple(ORDERS), default="nlo", help="perturbative order (default nlo)")
    sub.add_argument("--scheme", choices=SCHEMES, default="vfns", help="flavour scheme (default vfns)")
    sub.add_argument(
        "--mode", choices=tuple(MODES), default=mode_default, help=f"NLO solution of DGLAP (default {mode_default})"
    )


def physics_options(sub):
    """The evolve and sf commands' options."""
    sub.add_argument("--pdf", choices=PDFS, default="lha", help="input PDF set at Q0 (default lha)")
    theory_options(sub, "iterated-exact")
    sub.add_argument("--q2", type=number, required=True, help="scale Q^2 in GeV^2 (>= Q0^2)")
    sub.add_argument("--x", type=unit_interval, nargs="+", required=True, help="momentum fractions")
    sub.add_argument("--json", action="store_true", help="print one JSON object")
    sub.add_argument("--output", metavar="FILE", help="also write the JSON object to FILE (atomically)")


def sf_options(sub):
    physics_options(sub)
    sub.add_argument("--target", choices=ALL_TARGETS, default="p", help="target: p, n or d per nucleon (default p)")
    sub.add_argument("--process", choices=PROCESSES, default="em", help="em: photon; nc: gamma + Z (default em)")
    sub.add_argument("--lepton", choices=LEPTONS, default="e-", help="lepton beam (default e-)")
    sub.add_argument("--polarisation", type=polarisation, default=0.0, help="lepton polarisation P (default 0)")
    sub.add_argument("--sqrt-s", type=positive, help="also sigma_r and d2sigma at y = Q2/(x s) (GeV)")
    sub.add_argument("--xi-r", type=scale_factor, default=1.0, help="mu_R = xi_R Q (default 1)")
    sub.add_argument("--xi-f", type=scale_factor, default=1.0, help="mu_F = xi_F Q, floored at Q0 (default 1)")
    sub.add_argument("--alpha-em", choices=ALPHA_EM_MODES, default="fixed", help="alpha in d2sigma (default fixed)")
    sub.add_argument("--m-z", type=positive, default=91.1876, help="Z mass in GeV (default 91.1876)")
    sub.add_argument("--sin2-w", type=mixing_angle, default=0.23126, help="sin^2 theta_W (default 0.23126)")
    sub.add_argument("--nuclear-table", metavar="FILE", help="deuteron: nuclear correction R(x), two columns x R")


def stage_options(sub):
    """--config and --results: every workflow stage's options."""
    sub.add_argument("--config", required=True, help="run configuration (YAML)")
    sub.add_argument("--results", default=DEFAULT_ROOT, help=f"results root folder (default {DEFAULT_ROOT})")


def generate_options(sub):
    stage_options(sub)
    sub.add_argument("--dataset", default="all", help="which data set's sample (a name of the config's; default all)")


def fit_options(sub):
    stage_options(sub)
    sub.add_argument("--chunk", type=nonnegative_int, required=True, help="chunk index")


def coverage_options(sub):
    stage_options(sub)
    what = sub.add_mutually_exclusive_group()
    what.add_argument("--chunk", type=nonnegative_int, help="run only this chunk of experiments (a workflow job)")
    what.add_argument("--merge", action="store_true", help="only merge the chunk files into coverage.h5 and plot")
    sub.add_argument("--workers", type=positive_int, help="replica fits in parallel (default: Numba's threads)")


def plan_options(sub):
    """--config and --cluster are needed unless --seed-table is given (checked by the command)."""
    sub.add_argument("--config", help="run configuration (YAML); needed unless --seed-table")
    sub.add_argument("--cluster", choices=tuple(CLUSTERS), help="cluster profile; needed unless --seed-table")
    sub.add_argument(
        "--seed-table",
        action="store_true",
        help="reproduce the seed talk's projected table (data/refdata/seed_projection.json) and state the model",
    )
    sub.add_argument("--achieved", metavar="TIMING", help="timing.h5 of a finished run: its parallel efficiency")
    sub.add_argument("--slots", type=positive_int, help="with --achieved: the job slots the run had (e.g. cores)")
    sub.add_argument(
        "--min-job-minutes", type=number, default=10.0, help="with --achieved: shortest job worth a slot (default 10)"
    )
    sub.add_argument("--nodes", type=positive_int, help="nodes (default: 2 tinkercliffs, 1 otherwise)")
    sub.add_argument("--bench", help="bench JSON (python -m theory bench --json FILE) for times per evaluation")
    sub.add_argument("--scaling", help="bench --scaling JSON: the lockstep engine's costs (per evaluation, data pass)")
    sub.add_argument(
        "--seconds",
        action="append",
        default=[],
        metavar="BACKEND=S",
        help="time per loss+gradient evaluation of a backend at the config's events (repeatable)",
    )
    sub.add_argument("--evaluations", type=float, help="loss evaluations per replica (default: --pilot or 50)")
    sub.add_argument(
        "--pilot",
        help="posterior.h5 of a pilot run: its mean forward passes per replica, weighted by each backend's costs",
    )
    sub.add_argument("--efficiency", type=float, default=0.9, help="parallel efficiency assumed (default 0.9)")
    sub.add_argument("--overhead", type=float, default=10.0, help="seconds of start-up per job (default 10)")
    sub.add_argument("--json", metavar="FILE", help="also write the table as JSON (atomically)")


def bench_options(sub):
    sub.add_argument("--events", type=positive_int, default=10000, help="events (default 10000)")
    theory_options(sub, "truncated")
    sub.add_argument("--batch", type=positive_int, default=256, help="parameter sets per batch (default 256)")
    sub.add_argument("--repeats", type=positive_int, default=3, help="timing repeats, best taken (default 3)")
    sub.add_argument(
        "--loop-events",
        type=positive_int,
        default=500,
        help="events numpy-loop is timed on, then scaled (default 500)",
    )
    sub.add_argument(
        "--scaling",
        action="store_true",
        help="time per loss evaluation against the event count, exact and interpolated likelihoods (lockstep)",
    )
    sub.add_argument(
        "--sizes", type=positive_int, nargs="+", help="--scaling: events per target (default 1e4 1e5 1e6 1e7)"
    )
    sub.add_argument("--config", help="--scaling: the run configuration whose theory, beams and cuts it times (YAML)")
    sub.add_argument("--plot", metavar="FILE", help="--scaling: also draw its figure to FILE (PNG, atomically)")
    sub.add_argument(
        "--device",
        action="store_true",
        help="--scaling: the GPU engine's rows too (a GPU with CuPy, or NUMBA_ENABLE_CUDASIM=1)",
    )
    sub.add_argument(
        "--gamma-z",
        action="store_true",
        help="gamma/Z against photon exchange: the cost ratio of a loss + gradient, every backend, side by side",
    )
    sub.add_argument(
        "--agreement",
        type=positive_int,
        metavar="N",
        help="interpolated against exact likelihood: the same replicas' posteriors at N events per target",
    )
    sub.add_argument(
        "--replicas", type=positive_int, default=32, help="--scaling: requests per round; --agreement: replicas (32)"
    )
    sub.add_argument("--json", metavar="FILE", help="write the results as JSON to FILE (atomically)")
