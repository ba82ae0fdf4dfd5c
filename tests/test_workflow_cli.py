"""The run commands end to end on a tiny config, and their one-line errors."""

import json

import h5py
import numpy as np
import pytest
import yaml

from theory.pipeline.cli import main


@pytest.fixture()
def config(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump({"run": "tiny", "events": {"p": 300, "n": 300},
                                    "fit": {"replicas": 3, "chunk_size": 2}}))  # fmt: skip
    return path


def test_generate_fit_aggregate_plot(config, tmp_path, capsys):
    root = str(tmp_path / "results")
    assert main(["generate", "--config", str(config), "--results", root]) == 0
    for k in (0, 1):
        assert main(["fit", "--config", str(config), "--chunk", str(k), "--results", root]) == 0
    assert main(["aggregate", "--config", str(config), "--results", root]) == 0
    assert main(["plot", "--config", str(config), "--results", root]) == 0
    assert main(["report", "--config", str(config), "--results", root]) == 0
    assert main(["lhapdf", "--config", str(config), "--results", root]) == 0
    assert main(["scale-refits", "--config", str(config), "--results", root]) == 0
    assert main(["report", "--config", str(config), "--results", root]) == 0
    run = tmp_path / "results" / "tiny"
    page = (run / "report.html").read_text()
    assert "Closure" in page and "data:image/png;base64" in page
    assert len(list((run / "lhapdf" / "theory_tiny").glob("*.dat"))) == 4  # mean + 3 replicas
    refits = json.loads((run / "scales" / "refits.json").read_text())
    assert refits["points"][0] == [1.0, 1.0] and len(refits["params"]) == 7 and "refitted" in page
    with h5py.File(run / "posterior.h5") as f:
        assert np.array_equal(refits["params"][0], f["central/params"][...])  # the same central fit
        assert np.any(np.array(refits["params"][1:]) != f["central/params"][...])
        assert list(f["replicas/index"][...]) == [1, 2, 3]
        assert "config" in f.attrs and "git_commit" in f.attrs
    with h5py.File(run / "timing.h5") as f:
        assert len(f["jobs"]) == 2
    plots = sorted(p.name for p in (run / "plots").iterdir())
    assert plots == ["bands.png", "loss.png", "pulls.png", "scales.png", "timing.png"]
    err = capsys.readouterr().err
    assert "replica 3" in err and "2/2 done" in err  # progress in the job log


@pytest.mark.parametrize(
    "body,needle",
    [
        ({"fit": {"replicas": 0}}, "key 'fit.replicas'"),
        ({"cuts": {"q2_min": 1.0}}, "key 'cuts.q2_min'"),
        ({"parametrisation": {"free": ["uv_a"]}, "fit": {"start": {"uv_b": 3.0}}}, "key 'fit.start.uv_b'"),
        (
            {"parametrisation": {"free": ["uv_a"], "priors": {"g_a": {"mean": -1, "sigma": 0.1}}}},
            "key 'parametrisation.priors.g_a'",
        ),
        ({"truth": {"gluon": 1.0}}, "gluon"),
        ({"parametrisation": {"free": ["g_c"]}}, "key 'parametrisation.free.0'"),
        ({"parametrisation": {"bounds": {"g_a": [-2.0, 0.0]}}}, "bounds of g_a"),
    ],
)
def test_bad_config_one_line(tmp_path, capsys, body, needle):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(body))
    assert main(["generate", "--config", str(path), "--results", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1


def test_fit_without_events_or_chunks(config, tmp_path, capsys):
    root = str(tmp_path / "empty")
    assert main(["fit", "--config", str(config), "--chunk", "0", "--results", root]) == 2
    assert "run 'python -m theory generate" in capsys.readouterr().err
    assert main(["aggregate", "--config", str(config), "--results", root]) == 2
    assert "missing fit chunk" in capsys.readouterr().err
    assert main(["fit", "--config", str(tmp_path / "nope.yaml"), "--chunk", "0"]) == 2
    assert "cannot read the config" in capsys.readouterr().err
