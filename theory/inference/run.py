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


def legacy_datasets(config):
    """Stats-2's data sets p and n of a config without ``datasets``: events, beam and cuts."""
    ev, beam = config["events"], config["beam"]
    return {
        t: {
            "target": t,
            "lepton": beam["lepton"],
            "polarisation": beam["polarisation"],
            "setting": beam["setting"],
            "sqrt_s": beam["sqrt_s"],
            "cuts": dict(config["cuts"]),
            "events": float(ev[t]),
            "lumi_uncertainty": float(ev["lumi_uncertainty"][t]),
            **({"file": ev["files"][t]} if ev.get("files", {}).get(t) else {}),
            **({"lumi": ev["lumi"][t]} if ev.get("lumi", {}).get(t) else {}),
        }  # fmt: skip
        for t in TARGETS
    }


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
    m_z: float = 91.1876
    sin2_w: float = 0.23126
    xi_r: float = 1.0
    xi_f: float = 1.0


@dataclass(frozen=True)
class DataSet:
    """One data set of a run: a target seen with one beam through one selection, its luminosity
    and its events (``datasets:`` in the config; without it, Stats-2's p and n from ``events:``,
    ``beam:`` and ``cuts:``, ``legacy_datasets``)."""

    name: str
    target: str
    """p, n, or d (per nucleon, ``theory.qcd.flavours.COMPOSITES``)."""
    lepton: str
    polarisation: float
    sqrt_s: float
    cuts: Cuts
    expected: float
    """Expected events of a generated sample (its count is Poisson)."""
    file: str | None = None
    """Event file to fit instead of generated events."""
    lumi: float | None = None
    """nb^-1 for an event file without a lumi_nb attribute."""
    lumi_uncertainty: float = 0.02
    """Relative uncertainty of the measured luminosity (the nuisance's constraint)."""
    nuclear_table: str | None = None
    """Deuteron only: the table of R(x) (``theory.dis.nuclear``); None is R = 1."""
    setting: str = "custom"
    """ePIC beam energies, or custom (sqrt_s as given)."""


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
    datasets: tuple
    """The data sets (``DataSet``), in the order of their codes: the likelihood sums over them."""
    parametrisation: ParametrisationSettings
    truth: dict
    fit: FitSettings
    quadrature: tuple
    """(n_x, n_q2) of the cut-region quadrature."""
    bands: BandSettings
    coverage: CoverageSettings
    config: dict
    """The validated config itself: provenance stamped into outputs, never read below here."""

    @property
    def generated(self):
        """True when every data set's events are generated here (then the truth is known)."""
        return not any(ds.file for ds in self.datasets)

    @property
    def names(self):
        """The data sets' names, code order."""
        return tuple(ds.name for ds in self.datasets)

    @property
    def expected_events(self):
        """Expected events of the run, every data set together (what the planner and bench size)."""
        return sum(ds.expected for ds in self.datasets)

    @classmethod
    def from_config(cls, config):
        """Typed settings of a validated config (``theory.pipeline.config.validate``)."""
        th, par, fit, b, cov = (config[k] for k in ("theory", "parametrisation", "fit", "bands", "coverage"))
        datasets = []
        for name, d in (config["datasets"] or legacy_datasets(config)).items():
            try:
                cuts = Cuts(**d["cuts"])
            except ValueError as err:
                raise ConfigError(f"config: key 'datasets.{name}.cuts': {err}") from None
            datasets.append(DataSet(name, d["target"], d["lepton"], float(d["polarisation"]), float(d["sqrt_s"]), cuts,
                                    float(d["events"]), d.get("file"), d.get("lumi"), float(d["lumi_uncertainty"]),
                                    d.get("nuclear_table"), d["setting"]))  # fmt: skip
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
                float(config["electroweak"]["m_z"]),
                float(config["electroweak"]["sin2_w"]),
                float(th["scales"]["xi_r"]),
                float(th["scales"]["xi_f"]),
            ),
            datasets=tuple(datasets),
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


class DataSetRun:
    """One data set as the run's predictions need it, built once: its settings (``DataSet``), code
    (its position: the Problem's row code and the parametrisation's component row), beam,
    nuclear correction and cut-region quadrature; its interpolation grids on first use."""

    def __init__(self, dataset, code, setup, quadrature):
        from theory.dis.electroweak import Beam
        from theory.dis.nuclear import NuclearCorrection
        from theory.inference.quadrature import cut_region_nodes

        self.settings, self.code, self.setup = dataset, code, setup
        self.name, self.target, self.cuts, self.sqrt_s = dataset.name, dataset.target, dataset.cuts, dataset.sqrt_s
        self.beam = Beam(dataset.lepton, dataset.polarisation)
        self.correction = None
        if dataset.nuclear_table:
            try:
                self.correction = NuclearCorrection.from_table(dataset.nuclear_table)
            except ValueError as err:
                raise ConfigError(f"config: key 'datasets.{self.name}.nuclear_table': {err}") from None
        breaks = [t for t in setup.scheme.thresholds2 if t > self.cuts.q2_min * (1 + 1e-12)]
        try:
            self.quadrature = cut_region_nodes(self.cuts, self.s, *quadrature, q2_breaks=breaks)
        except ValueError as err:
            raise ConfigError(f"config: data set {self.name}: {err} (sqrt_s = {self.sqrt_s:g} GeV)") from None
        self._grids = {}

    @property
    def s(self):
        return self.sqrt_s**2

    def theory(self, lumi_nb=1.0):
        """The data set as a Problem row code sees it (``DataSetTheory``)."""
        from theory.kernels.backends.problem import DataSetTheory

        return DataSetTheory(self.sqrt_s, self.beam, float(lumi_nb), self.correction)

    def cut_grid(self, spec=None):
        """The interpolation grid of the cut region (``theory.dis.grid.CutGrid``; ``spec`` None: the
        fine grid of the interpolated likelihood), built on first use."""
        if spec not in self._grids:
            from theory.dis.grid import CutGrid

            args = () if spec is None else (spec,)
            self._grids[spec] = CutGrid(self.cuts, self.s, self.setup.scheme.thresholds2, *args)
        return self._grids[spec]

    @property
    def grid(self):
        return self.cut_grid()

    @property
    def coarse_grid(self):
        """The lockstep fits' Gauss-Newton grid (``theory.inference.lockstep.COARSE``)."""
        from theory.inference.lockstep import COARSE

        return self.cut_grid(COARSE)


class Run:
    """Everything a run's predictions need, built once from its settings.

    Attributes: ``settings``, ``setup`` (EvolutionSetup), ``contour``, ``truth_param`` (all
    nine stats2 parameters free), ``truth`` (float[9]: generates pseudo-data, never reaches a
    fit), ``param`` (the fit's parametrisation: free, fixed, bounds from the config and the
    package defaults only), ``priors`` (``theory.inference.likelihood.Priors``), ``sets`` (one
    ``DataSetRun`` per data set, code order), ``names``, ``tables`` (ResponseTables up to the
    largest s).
    """

    def __init__(self, settings):
        from theory.dis.electroweak import Electroweak
        from theory.kernels.response import ResponseTables
        from theory.pdfs.stats2 import NAMES, Stats2
        from theory.qcd.evolution import EvolutionSetup
        from theory.qcd.flavours import component_weights
        from theory.qcd.mellin import Contour
        from theory.qcd.scales import Scales

        self.settings = settings
        th = settings.theory
        self.setup = EvolutionSetup(th.order, th.mode, th.scheme, th.mu0_2, th.alpha_s0, th.masses)
        self.contour = Contour()
        par = settings.parametrisation
        self.process = th.process
        self.ew = Electroweak(th.m_z, th.sin2_w)
        self.scales = Scales(th.xi_r, th.xi_f)
        five = th.process == "nc" or not self.scales.central
        self.sets = tuple(DataSetRun(ds, code, self.setup, settings.quadrature)
                          for code, ds in enumerate(settings.datasets))  # fmt: skip
        self.names = tuple(st.name for st in self.sets)
        self._by_name = {st.name: st for st in self.sets}
        components = component_weights([st.target for st in self.sets], five)
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
        self.tables = ResponseTables(self.setup, self.contour, q2_max=max(st.s for st in self.sets))
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

    def set(self, name):
        """The ``DataSetRun`` of a data set's name."""
        try:
            return self._by_name[name]
        except KeyError:
            raise ValueError(f"no data set {name!r} in this run ({', '.join(self.names)})") from None

    def problem_options(self):
        """The Problem keywords every Problem of this run carries (alpha_em, process, ew, scales)."""
        return {"alpha_em": self.settings.theory.alpha_em, "process": self.process, "ew": self.ew,
                "scales": self.scales}  # fmt: skip

    def problem_sets(self, samples=None):
        """Every data set's ``DataSetTheory``, code order, with the samples' luminosities (1 without)."""
        return [st.theory(samples[st.name].lumi_nb if samples else 1.0) for st in self.sets]

    def record(self, name=None):
        """The theory settings, as events files record them (with ``name``: that data set's beam)."""
        th = self.settings.theory
        out = {"order": th.order, "scheme": th.scheme, "mode": th.mode, "mu0_2": th.mu0_2, "alpha_s0": th.alpha_s0,
               "masses": list(th.masses), "alpha_em": th.alpha_em, "process": th.process, "m_z": th.m_z,
               "sin2_w": th.sin2_w, "xi_r": th.xi_r, "xi_f": th.xi_f, "contour_nodes": len(self.contour)}  # fmt: skip
        if name is not None:
            st = self.set(name)
            out.update({"lepton": st.beam.lepton, "polarisation": st.beam.polarisation, "sqrt_s": st.sqrt_s})
        return out

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
        """Relative luminosity uncertainties of the data sets, code order."""
        return np.array([st.settings.lumi_uncertainty for st in self.sets])

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
    def coarse_kernel(self):
        """The cached kernel of every data set's coarse-grid nodes (code order), no normalisation:
        the lockstep fits' Gauss-Newton rows, event-independent, built on first use."""
        if getattr(self, "_coarse_kernel", None) is None:
            from theory.inference.lockstep import COARSE_TOL
            from theory.kernels.backends import Problem
            from theory.kernels.backends.cached import CachedKernel

            grids = [st.coarse_grid for st in self.sets]
            nodes = Problem(self.setup, self.contour, self.param, np.concatenate([g.x for g in grids]),
                            np.concatenate([g.Q2 for g in grids]),
                            np.repeat([st.code for st in self.sets], [g.n_nodes for g in grids]),
                            sets=self.problem_sets(), tables=self.tables, **self.problem_options())  # fmt: skip
            self._coarse_kernel = CachedKernel(nodes, tol=COARSE_TOL)
        return self._coarse_kernel

    def grid_problem(self, samples):
        """The Problem of the interpolated likelihood: each data set's grid nodes (code order) as its
        rows, with the samples' normalisation nodes and luminosities."""
        nodes = {st.name: SimpleNamespace(x=st.grid.x, Q2=st.grid.Q2, lumi_nb=samples[st.name].lumi_nb)
                 for st in self.sets}  # fmt: skip
        return self.problem(nodes)

    def likelihood_problem(self, samples):
        """The Problem the fits' backend evaluates: events (``fit.likelihood: exact``) or grid nodes."""
        return self.grid_problem(samples) if self.fit.likelihood == "interpolated" else self.problem(samples)

    def problem(self, samples):
        """The fit Problem of event samples {data set name: EventSample} (every data set's)."""
        from theory.kernels.backends import Problem

        x = np.concatenate([samples[st.name].x for st in self.sets])
        Q2 = np.concatenate([samples[st.name].Q2 for st in self.sets])
        code = np.concatenate([np.full(len(samples[st.name].x), st.code) for st in self.sets])
        norm = {
            "x": np.concatenate([st.quadrature[0] for st in self.sets]),
            "Q2": np.concatenate([st.quadrature[1] for st in self.sets]),
            "target": np.concatenate([np.full(len(st.quadrature[0]), st.code) for st in self.sets]),
            "weight": np.concatenate([st.quadrature[2] * samples[st.name].lumi_nb for st in self.sets]),
        }
        return Problem(self.setup, self.contour, self.param, x, Q2, code, norm=norm, tables=self.tables,
                       sets=self.problem_sets(samples), **self.problem_options())  # fmt: skip
