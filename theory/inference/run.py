"""The run object: typed settings read once from a validated config, and the theory built from them.

``RunSettings.from_config`` is the one place below the command line that reads the config
mapping (validated and defaulted by ``theory.pipeline.config``); everything under it takes
typed settings. ``Run`` builds, once per command, what every stage's predictions need: the
evolution setup, the contour, the parametrisations, the cuts, the response tables and the
cut-region quadrature, and hands them down.
"""

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from theory.dis.kinematics import Cuts
from theory.qcd.flavours import TARGETS


class ConfigError(ValueError):
    """A config problem, reported as one line naming the key."""


@dataclass(frozen=True)
class TheorySettings:
    order: str
    mode: str
    scheme: str
    mu0_2: float
    alpha_s0: float
    masses: tuple
    alpha_em: str = "fixed"
    process: str = "em"
    lepton: str = "e-"
    polarisation: float = 0.0
    m_z: float = 91.1876
    sin2_w: float = 0.23126
    xi_r: float = 1.0
    xi_f: float = 1.0


@dataclass(frozen=True)
class EventSettings:
    counts: dict
    """{target: expected events of a generated sample (its count is Poisson)}."""
    files: dict
    """{target: event file} to fit instead of generated events (may be empty)."""
    lumi: dict
    """{target: nb^-1} for event files without a lumi_nb attribute."""
    lumi_uncertainty: dict
    """{target: relative uncertainty of the measured luminosity} (the nuisance's constraint)."""

    @property
    def generated(self):
        """True when every target's events are generated here (then the truth is known)."""
        return not any(self.files.get(t) for t in TARGETS)


@dataclass(frozen=True)
class ParametrisationSettings:
    free: tuple
    fixed: dict
    kappa: float
    bounds: dict
    priors: dict
    """{name: (mean, sigma)} Gaussian priors of free parameters."""


@dataclass(frozen=True)
class FitSettings:
    replicas: int
    chunk_size: int
    backend: str
    threads: int
    max_iterations: int
    tolerance: float
    start: dict
    likelihood: str = "exact"
    """``exact`` (every event through the kernel) or ``interpolated`` (``theory.inference.moments``)."""
    checkpoint_s: float = 300.0
    """Seconds between a fit job's checkpoints (``theory.inference.checkpoint``)."""

    @property
    def n_chunks(self):
        """Fit jobs: replicas 0 (central) .. replicas, chunk_size at a time."""
        return -(-(self.replicas + 1) // self.chunk_size)

    def chunk_replicas(self, chunk):
        """Replica indices of a chunk."""
        first = chunk * self.chunk_size
        return list(range(first, min(first + self.chunk_size, self.replicas + 1)))


@dataclass(frozen=True)
class BandSettings:
    x_min: float
    x_max: float
    n_x: int
    q2: tuple


@dataclass(frozen=True)
class CoverageSettings:
    """A coverage study: K pseudo-experiments of one truth, R replicas each (``theory.inference.coverage``)."""

    experiments: int
    replicas: int
    chunk_size: int
    seed: int
    truth: dict
    x_min: float
    x_max: float
    n_x: int
    q2: tuple

    @property
    def n_chunks(self):
        return -(-self.experiments // self.chunk_size)

    def chunk_experiments(self, chunk):
        first = chunk * self.chunk_size
        return list(range(first, min(first + self.chunk_size, self.experiments)))


@dataclass(frozen=True)
class RunSettings:
    """Everything a run's stages need, typed (the config's sections, see the schema)."""

    name: str
    seed: int
    theory: TheorySettings
    sqrt_s: float
    cuts: Cuts
    events: EventSettings
    parametrisation: ParametrisationSettings
    truth: dict
    fit: FitSettings
    quadrature: tuple
    """(n_x, n_q2) of the cut-region quadrature."""
    bands: BandSettings
    coverage: CoverageSettings
    config: dict
    """The validated config itself: provenance stamped into outputs, never read below here."""

    @classmethod
    def from_config(cls, config):
        """Typed settings of a validated config (``theory.pipeline.config.validate``)."""
        th, ev, par, fit, b, cov = (config[k] for k in ("theory", "events", "parametrisation", "fit", "bands",
                                                        "coverage"))  # fmt: skip
        try:
            cuts = Cuts(**config["cuts"])
        except ValueError as err:
            raise ConfigError(f"config: {err}") from None
        return cls(
            name=config["run"],
            seed=int(config["seed"]),
            theory=TheorySettings(
                th["order"],
                th["mode"],
                th["scheme"],
                float(th["mu0_2"]),
                float(th["alpha_s0"]),
                tuple(th["masses"]),
                th["alpha_em"],
                th["process"],
                config["beam"]["lepton"],
                float(config["beam"]["polarisation"]),
                float(config["electroweak"]["m_z"]),
                float(config["electroweak"]["sin2_w"]),
                float(th["scales"]["xi_r"]),
                float(th["scales"]["xi_f"]),
            ),
            sqrt_s=float(config["beam"]["sqrt_s"]),
            cuts=cuts,
            events=EventSettings(
                {t: float(ev[t]) for t in TARGETS},
                dict(ev.get("files", {})),
                dict(ev.get("lumi", {})),
                {t: float(ev["lumi_uncertainty"][t]) for t in TARGETS},
            ),
            parametrisation=ParametrisationSettings(
                tuple(par["free"]),
                dict(par["fixed"]),
                float(par["kappa"]),
                dict(par["bounds"]),
                {k: (float(v["mean"]), float(v["sigma"])) for k, v in par.get("priors", {}).items()},
            ),  # fmt: skip
            truth=dict(config["truth"]),
            fit=FitSettings(
                fit["replicas"],
                fit["chunk_size"],
                fit["backend"],
                fit["threads"],
                fit["max_iterations"],
                float(fit["tolerance"]),
                dict(fit["start"]),
                fit["likelihood"],
                float(fit["checkpoint_s"]),
            ),
            quadrature=(config["quadrature"]["n_x"], config["quadrature"]["n_q2"]),
            bands=BandSettings(b["x_min"], b["x_max"], b["n_x"], tuple(b["q2"])),
            coverage=CoverageSettings(
                cov["experiments"],
                cov["replicas"],
                cov["chunk_size"],
                int(cov["seed"]),
                dict(cov["truth"]),
                float(cov["x_min"]),
                float(cov["x_max"]),
                int(cov["n_x"]),
                tuple(cov["q2"]),
            ),
            config=config,
        )


class Run:
    """Everything a run's predictions need, built once from its settings.

    Attributes: ``settings``, ``setup`` (EvolutionSetup), ``contour``, ``truth_param`` (all
    nine stats2 parameters free), ``truth`` (float[9]: generates pseudo-data, never reaches a
    fit), ``param`` (the fit's parametrisation: free, fixed, bounds from the config and the
    package defaults only), ``priors`` (``theory.inference.likelihood.Priors``), ``cuts``,
    ``sqrt_s``, ``tables`` (ResponseTables up to s), ``quadrature`` (x, Q2, W).
    """

    def __init__(self, settings):
        from theory.dis.electroweak import Beam, Electroweak
        from theory.inference.quadrature import cut_region_nodes
        from theory.kernels.backends import BACKENDS
        from theory.kernels.response import ResponseTables
        from theory.pdfs.stats2 import NAMES, Stats2
        from theory.qcd.evolution import EvolutionSetup
        from theory.qcd.flavours import REDUCED_NC_WEIGHTS, REDUCED_WEIGHTS, TARGET_CODES
        from theory.qcd.mellin import Contour
        from theory.qcd.scales import Scales

        self.settings = settings
        th = settings.theory
        self.setup = EvolutionSetup(th.order, th.mode, th.scheme, th.mu0_2, th.alpha_s0, th.masses)
        self.contour = Contour()
        par = settings.parametrisation
        self.process = th.process
        self.beam = Beam(th.lepton, th.polarisation)
        self.ew = Electroweak(th.m_z, th.sin2_w)
        self.scales = Scales(th.xi_r, th.xi_f)
        five = th.process == "nc" or not self.scales.central
        if five and not BACKENDS[settings.fit.backend].gamma_z:
            carriers = ", ".join(n for n, s in BACKENDS.items() if s.gamma_z)
            raise ConfigError(f"config: key 'fit.backend': {settings.fit.backend} carries photon exchange at mu = Q "
                              f"only; with theory.process nc or theory.scales away from 1 use {carriers}")  # fmt: skip
        codes = [TARGET_CODES[t] for t in TARGETS]
        components = REDUCED_NC_WEIGHTS[codes] if five else REDUCED_WEIGHTS
        try:
            self.truth_param = Stats2(kappa=par.kappa, free=NAMES, components=components)
            truth = dict(zip(NAMES, self.truth_param.truth, strict=True))
            for name, value in settings.truth.items():
                if name not in truth:
                    raise ValueError(f"unknown stats2 parameter {name!r} in truth; use one of {', '.join(NAMES)}")
                truth[name] = float(value)
            self.truth = np.array([truth[n] for n in NAMES])
            self.truth_param.check(self.truth)
            # the fit's parametrisation: the config and the package defaults, never the truth
            self.param = Stats2(
                kappa=par.kappa, free=par.free, fixed=par.fixed, bounds=par.bounds, components=components
            )
        except ValueError as err:
            raise ConfigError(f"config: {err}") from None
        from theory.inference.likelihood import Priors

        for name in par.priors:
            if name not in self.param.names:
                raise ConfigError(f"config: key 'parametrisation.priors.{name}': not a free parameter "
                                  f"({', '.join(self.param.names)})")  # fmt: skip
        self.priors = Priors.of(self.param.names, par.priors) if par.priors else None
        self.cuts = settings.cuts
        self.sqrt_s = settings.sqrt_s
        s = self.sqrt_s**2
        self.tables = ResponseTables(self.setup, self.contour, q2_max=s)
        breaks = [t for t in self.setup.scheme.thresholds2 if t > self.cuts.q2_min * (1 + 1e-12)]
        n_x, n_q2 = settings.quadrature
        self.quadrature = cut_region_nodes(self.cuts, s, n_x, n_q2, q2_breaks=breaks)
        self.start()  # a bad fit.start stops every command, not only the fits

    @classmethod
    def from_config(cls, config):
        """The run of a validated config mapping."""
        return cls(RunSettings.from_config(config))

    @property
    def fit(self):
        return self.settings.fit

    @property
    def seed(self):
        return self.settings.seed

    @property
    def config(self):
        return self.settings.config

    def problem_options(self):
        """The Problem keywords every Problem of this run carries (alpha_em, process, beam, ew)."""
        return {"alpha_em": self.settings.theory.alpha_em, "process": self.process, "beam": self.beam, "ew": self.ew,
                "scales": self.scales}  # fmt: skip

    def record(self):
        """The theory settings, as events files record them."""
        th = self.settings.theory
        return {"order": th.order, "scheme": th.scheme, "mode": th.mode, "mu0_2": th.mu0_2, "alpha_s0": th.alpha_s0,
                "masses": list(th.masses), "alpha_em": th.alpha_em, "process": th.process, "lepton": th.lepton,
                "polarisation": th.polarisation, "m_z": th.m_z, "sin2_w": th.sin2_w, "xi_r": th.xi_r, "xi_f": th.xi_f,
                "sqrt_s": self.sqrt_s,
                "contour_nodes": len(self.contour)}  # fmt: skip

    def start(self):
        """Start values of the free parameters: the parametrisation's defaults and ``fit.start``."""
        values = dict(zip(self.param.names, self.param.start, strict=True))
        for name, value in self.fit.start.items():
            if name not in values:
                raise ConfigError(f"config: key 'fit.start.{name}': not a free parameter ({', '.join(values)})")
            values[name] = float(value)
        theta = np.array([values[n] for n in self.param.names])
        try:
            self.param.check(theta)
        except ValueError as err:
            raise ConfigError(f"config: key 'fit.start': {err}") from None
        return theta

    def truth_free(self):
        """The truth of the free parameters (closure tests; never handed to a fit)."""
        return self.truth[self.param.index]

    def lumi_deltas(self):
        """Relative luminosity uncertainties of the data sets, ``TARGETS`` order."""
        return np.array([self.settings.events.lumi_uncertainty[t] for t in TARGETS])

    def band_grid(self):
        """(x, Q^2) of the posterior's PDF bands: log-spaced below 0.1, linear above; Q0^2 always."""
        b = self.settings.bands
        n_log = b.n_x // 2
        lo = np.geomspace(b.x_min, min(0.1, b.x_max), n_log, endpoint=False)
        hi = np.linspace(min(0.1, b.x_max), b.x_max, b.n_x - n_log)
        x = np.unique(np.concatenate([lo, hi]))
        q2 = np.unique(np.concatenate([[self.settings.theory.mu0_2], b.q2]))
        return x, q2

    @property
    def grid(self):
        """The interpolation grid of the cut region (``theory.dis.grid.CutGrid``), built on first use."""
        if getattr(self, "_grid", None) is None:
            from theory.dis.grid import CutGrid

            self._grid = CutGrid(self.cuts, self.sqrt_s**2, self.setup.scheme.thresholds2)
        return self._grid

    @property
    def coarse_grid(self):
        """The lockstep fits' Gauss-Newton grid (``theory.inference.lockstep.COARSE``), built on first use."""
        if getattr(self, "_coarse_grid", None) is None:
            from theory.dis.grid import CutGrid
            from theory.inference.lockstep import COARSE

            self._coarse_grid = CutGrid(self.cuts, self.sqrt_s**2, self.setup.scheme.thresholds2, COARSE)
        return self._coarse_grid

    @property
    def coarse_kernel(self):
        """The cached kernel of the coarse grid's nodes, both targets (``TARGETS`` order), no
        normalisation: the lockstep fits' Gauss-Newton rows, event-independent, built on first use."""
        if getattr(self, "_coarse_kernel", None) is None:
            from theory.inference.lockstep import COARSE_TOL
            from theory.kernels.backends import Problem
            from theory.kernels.backends.cached import CachedKernel

            g, T = self.coarse_grid, len(TARGETS)
            nodes = Problem(self.setup, self.contour, self.param, np.concatenate([g.x] * T),
                            np.concatenate([g.Q2] * T), np.repeat(np.arange(T), g.n_nodes), sqrt_s=self.sqrt_s,
                            tables=self.tables, **self.problem_options())  # fmt: skip
            self._coarse_kernel = CachedKernel(nodes, tol=COARSE_TOL)
        return self._coarse_kernel

    def grid_problem(self, samples):
        """The Problem of the interpolated likelihood: the grid's nodes for each target (``TARGETS``
        order) as its rows, with the samples' normalisation nodes and luminosities."""
        g = self.grid
        nodes = {t: SimpleNamespace(x=g.x, Q2=g.Q2, lumi_nb=samples[t].lumi_nb) for t in TARGETS}
        return self.problem(nodes)

    def likelihood_problem(self, samples):
        """The Problem the fits' backend evaluates: events (``fit.likelihood: exact``) or grid nodes."""
        return self.grid_problem(samples) if self.fit.likelihood == "interpolated" else self.problem(samples)

    def problem(self, samples):
        """The fit Problem of event samples {"p": EventSample, "n": EventSample}."""
        from theory.kernels.backends import Problem

        x = np.concatenate([samples[t].x for t in TARGETS])
        Q2 = np.concatenate([samples[t].Q2 for t in TARGETS])
        target = np.concatenate([np.full(len(samples[t].x), i) for i, t in enumerate(TARGETS)])
        xq, qq, wq = self.quadrature
        norm = {
            "x": np.concatenate([xq] * len(TARGETS)),
            "Q2": np.concatenate([qq] * len(TARGETS)),
            "target": np.concatenate([np.full(len(xq), i) for i in range(len(TARGETS))]),
            "weight": np.concatenate([wq * samples[t].lumi_nb for t in TARGETS]),
        }
        lumi = {t: samples[t].lumi_nb for t in TARGETS}
        return Problem(self.setup, self.contour, self.param, x, Q2, target, sqrt_s=self.sqrt_s, lumi=lumi,
                       norm=norm, tables=self.tables, **self.problem_options())  # fmt: skip
