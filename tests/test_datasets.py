"""Several data sets per run: each its own target (p, n, d), beam (lepton, polarisation, sqrt(s)),
cuts, luminosity and events, one likelihood summed over them. Checked against the structure-function
route (13 x 13 flavour evolution and the coefficient functions, ``theory.dis.predictions``) with
each data set's own settings, between backends, and Stats-2 as the special case of two data sets."""

import json

import numpy as np
import pytest

from theory.inference.run import ConfigError, Run
from theory.pipeline.config import validate

THREE = {
    "theory": {"process": "nc"},
    "fit": {"backend": "cached-cpu"},
    "datasets": {
        "em_p": {"target": "p", "lepton": "e-", "polarisation": -0.7, "events": 300},
        "ep_p": {"target": "p", "lepton": "e+", "polarisation": 0.3, "setting": "10x100", "events": 300},
        "em_d": {"target": "d", "events": 300, "cuts": {"q2_min": 4.0}},
    },
}


def _config(tmp_path=None, table=True, **extra):
    cfg = json.loads(json.dumps(THREE))
    if table and tmp_path is not None:
        path = tmp_path / "r.txt"
        path.write_text("# x R\n1e-4 1.02\n0.05 0.99\n0.3 1.01\n0.9 1.05\n")
        cfg["datasets"]["em_d"]["nuclear_table"] = str(path)
    cfg.update(extra)
    return validate(cfg)


def test_listed_data_sets_take_the_beam_and_cuts_they_leave_out():
    cfg = validate({**json.loads(json.dumps(THREE)), "beam": {"lepton": "e+", "setting": "18x275"},
                    "cuts": {"y_max": 0.9}})  # fmt: skip
    run = Run.from_config(cfg)
    assert run.names == ("em_p", "ep_p", "em_d")
    em_p, ep_p, em_d = run.sets
    assert (em_p.beam.lepton, em_p.beam.polarisation) == ("e-", -0.7)
    assert (em_d.beam.lepton, em_d.beam.polarisation, em_d.target) == ("e+", 0.0, "d")
    assert em_p.sqrt_s == pytest.approx(140.7, abs=0.1) and em_d.sqrt_s == em_p.sqrt_s  # 18x275
    assert ep_p.sqrt_s == pytest.approx(63.2, abs=0.1)  # 10x100
    assert em_d.cuts.q2_min == 4.0 and em_d.cuts.y_max == 0.9 and em_p.cuts.q2_min == 2.0
    assert run.tables.q2_max >= em_p.s
    assert validate(cfg) == cfg  # the resolved config validates to itself (the workflow re-reads it)


@pytest.mark.parametrize(
    "change,needle",
    [
        ({"datasets": {"a": {"target": "p", "nuclear_table": "r.txt"}}}, "datasets.a.nuclear_table"),
        ({"datasets": {"a": {"target": "x"}}}, "datasets.a.target"),
        ({"datasets": {"a": {"lepton": "e-"}}}, "'target' is a required property"),
        ({"datasets": {"a-b": {"target": "p"}}}, "datasets"),
        ({"datasets": {"a": {"target": "p", "setting": "5x41", "sqrt_s": 100.0}}}, "datasets.a.sqrt_s"),
        ({"datasets": {"a": {"target": "p", "cuts": {"q2_min": 1.0}}}}, "datasets.a.cuts.q2_min"),
    ],
)
def test_bad_data_sets_are_one_line_naming_the_key(change, needle):
    with pytest.raises(ConfigError) as err:
        Run.from_config(validate(change))
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_no_phase_space_names_the_data_set():
    cfg = validate({"datasets": {"low": {"target": "p", "setting": "5x41", "cuts": {"q2_min": 1500.0}}}})
    with pytest.raises(ConfigError, match="data set low") as err:
        Run.from_config(cfg)
    assert "\n" not in str(err.value)


def test_stats2_is_two_listed_data_sets():
    """The legacy config (events.p, events.n) and the same two data sets listed give one run: the
    same data sets, component rows and normalisation nodes (so the same events, replicas and fits)."""
    legacy = Run.from_config(validate({"events": {"p": 5000, "n": 4000, "lumi_uncertainty": {"n": 0.03}}}))
    two = {"p": {"target": "p", "events": 5000}, "n": {"target": "n", "events": 4000, "lumi_uncertainty": 0.03}}
    listed = Run.from_config(validate({"datasets": two}))
    assert legacy.settings.datasets == listed.settings.datasets
    assert np.array_equal(legacy.param.component_weights, listed.param.component_weights)
    for a, b in zip(legacy.sets, listed.sets, strict=True):
        assert all(np.array_equal(u, v) for u, v in zip(a.quadrature, b.quadrature, strict=True))


def _points(run, n=12, seed=3):
    """A few (x, Q2) inside each data set's cuts: {name: EventSample}."""
    from theory.inference.events import EventSample
    from theory.pipeline.bench import sample_events

    return {st.name: EventSample(st.target, *sample_events(n, seed=seed + st.code, sqrt_s=st.sqrt_s, cuts=st.cuts)[:2],
                                 lumi_nb=10.0 * (st.code + 1)) for st in run.sets}  # fmt: skip


@pytest.mark.parametrize("process", ["nc", "em"])
def test_each_data_set_is_predicted_with_its_own_target_beam_and_energy(tmp_path, process):
    """d2sigma of every event of a three-set Problem (the reduced response, one kernel) equals
    2 pi alpha^2 Y+ sigma_r / (x Q^4) from the structure-function route with that data set's target,
    lepton, polarisation, sqrt(s) and, for the deuteron, R(x)."""
    from theory.dis.cross_section import inelasticity, prefactor
    from theory.dis.predictions import sigma_r
    from theory.kernels.backends import make_backend

    run = Run.from_config(_config(tmp_path, theory={"process": process}))
    samples = _points(run)
    pb = run.problem(samples)
    ds = make_backend("numba-cpu", pb).cross_sections(run.truth)[0]
    f0 = run.truth_param.moment_values(run.contour.N, run.truth[None])[0]
    lo = 0
    for st in run.sets:
        ev = samples[st.name]
        got = ds[lo : lo + len(ev)]
        lo += len(ev)
        y = inelasticity(ev.x, ev.Q2, st.s)
        want = np.array([sigma_r(run.setup, run.contour, f0, [x], q2, st.sqrt_s, st.target, process, st.beam, run.ew,
                                 None, st.correction)[0] for x, q2 in zip(ev.x, ev.Q2, strict=True)])  # fmt: skip
        want *= prefactor(ev.x, ev.Q2) * (1 + (1 - y) ** 2)
        assert np.allclose(got, want, rtol=1e-9, atol=0), (st.name, np.max(np.abs(got / want - 1)))
    assert pb.n_sets == 3 and np.allclose(np.exp(pb.set_log_lumi), [10.0, 20.0, 30.0])
    # the data sets differ: the same points seen by another data set give other cross sections
    other = run.problem({**samples, "ep_p": samples["em_p"]})
    n0 = len(samples["em_p"])
    assert not np.allclose(make_backend("numba-cpu", other).cross_sections(run.truth)[0][n0 : 2 * n0], ds[:n0])


@pytest.mark.parametrize("process", ["nc", "em"])
def test_backends_agree_on_three_data_sets(tmp_path, process):
    """Loss and gradient of a three-set problem with normalisation nodes: every CPU backend that
    carries the process against numpy-loop; nu has one column per data set."""
    from theory.kernels.backends import make_backend

    run = Run.from_config(_config(tmp_path, theory={"process": process}))
    pb = run.problem(_points(run, n=20))
    rng = np.random.default_rng(4)
    thetas = run.start() * (1 + 0.01 * rng.standard_normal((3, run.param.n_params)))
    w = rng.poisson(1.0, (3, pb.n_events)).astype(float)
    ref = make_backend("numpy-loop", pb)
    ref_loss, ref_grad = ref.loss_and_grad(thetas, w)
    assert ref.predictions(thetas[0])[1].shape == (3,)
    for name in ("numba-cpu", "cached-cpu", "numpy-vectorized"):
        loss, grad = make_backend(name, pb).loss_and_grad(thetas, w)
        assert np.allclose(loss, ref_loss, rtol=1e-12, atol=0), name
        assert np.allclose(grad, ref_grad, rtol=1e-9, atol=1e-9 * np.abs(ref_grad).max()), name


def test_a_three_data_set_run_from_generation_to_report(tmp_path):
    """generate -> tables -> fit -> aggregate -> report for e- p (P = -0.7), e+ p and e- d: one
    events file per data set with its beam, one nuisance per data set, the scale envelope per data
    set; an events file of another beam is refused in one line."""
    import h5py
    import yaml

    from theory.inference.events import EventFileError, load_events
    from theory.pipeline.cli import main

    cfg = _config(tmp_path, run="three", fit={"backend": "cached-cpu", "replicas": 3, "chunk_size": 4})
    path = tmp_path / "three.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))  # the listed order is the data sets' code order
    root = str(tmp_path / "results")
    args = ["--config", str(path), "--results", root]
    assert main(["generate", *args]) == 0
    assert main(["tables", *args]) == 0
    assert main(["fit", *args, "--chunk", "0"]) == 0
    assert main(["aggregate", *args]) == 0
    run_dir = tmp_path / "results" / "three"
    for name, lepton, pol in (("em_p", "e-", -0.7), ("ep_p", "e+", 0.3), ("em_d", "e-", 0.0)):
        with h5py.File(run_dir / "events" / f"{name}.h5") as f:
            assert (f.attrs["dataset"], f.attrs["lepton"], float(f.attrs["polarisation"])) == (name, lepton, pol)
    run = Run.from_config(cfg)
    with pytest.raises(EventFileError, match="lepton") as err:
        st = run.set("ep_p")
        load_events(run_dir / "events" / "em_p.h5", "p", st.cuts, run.set("em_p").sqrt_s, beam=st.beam)
    assert "\n" not in str(err.value)
    with h5py.File(run_dir / "posterior.h5") as f:
        assert json.loads(f.attrs["nuisances"]) == ["lumi_em_p", "lumi_ep_p", "lumi_em_d"]
        assert f["replicas/lumi"].shape == (3, 3) and int(f["central/status"][()]) == 0
        assert json.loads(f["scales"].attrs["datasets"]) == list(run.names)
        for name in run.names:
            g = f[f"scales/{name}"]
            assert g["sigma_r"].shape[0] == 7 and g.attrs["target"] == run.set(name).target
    assert main(["plot", *args]) == 0 and main(["report", *args]) == 0
    page = (run_dir / "report.html").read_text()
    assert "em_d" in page and "lumi_ep_p" in page


def test_a_listed_data_set_read_from_a_file(tmp_path):
    """A data set's ``file`` (CSV here) is fitted instead of generated events: without ``lumi`` the
    error names datasets.<name>.lumi, with it the sample loads; ``generate`` leaves it alone."""
    from theory.inference.events import EventFileError, run_samples
    from theory.pipeline.cli import main

    csv = tmp_path / "measured.csv"
    csv.write_text("x,Q2\n0.01,5.0\n0.1,20.0\n0.3,300.0\n")
    sets = {"data": {"target": "d", "file": str(csv)}, "gen": {"target": "p", "events": 50}}
    run = Run.from_config(validate({"datasets": sets}))
    assert not run.settings.generated
    with pytest.raises(EventFileError, match="datasets.data.lumi") as err:
        run_samples(run, {"gen": tmp_path / "none.h5"})
    assert "\n" not in str(err.value)
    sets["data"]["lumi"] = 12.5
    cfg = validate({"run": "filed", "datasets": sets})
    path = tmp_path / "c.yaml"
    import yaml

    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    assert main(["generate", "--config", str(path), "--results", str(tmp_path)]) == 0
    assert (tmp_path / "filed" / "events" / "gen.h5").is_file()
    assert not (tmp_path / "filed" / "events" / "data.h5").exists()
    samples = run_samples(Run.from_config(cfg), {"gen": tmp_path / "filed" / "events" / "gen.h5"})
    assert len(samples["data"]) == 3 and samples["data"].lumi_nb == 12.5 and samples["data"].target == "d"
