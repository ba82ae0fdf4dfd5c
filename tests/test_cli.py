"""The command line: JSON outputs and one-line errors with exit code 2."""

import json
import subprocess
import sys

import pytest

from theory.pipeline.cli import main


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_evolve_json_matches_les_houches(capsys, lha_reference):
    code, out, err = _run(
        capsys,
        "evolve",
        "--pdf",
        "lha",
        "--order",
        "nlo",
        "--scheme",
        "vfns",
        "--mode",
        "iterated-exact",
        "--q2",
        "1e4",
        "--x",
        "1e-3",
        "0.1",
        "--json",
    )
    assert code == 0 and err == ""
    result = json.loads(out)
    ref = lha_reference["results"]["NLO_VFNS"]
    assert result["alpha_s"] == pytest.approx(ref["alpha_s_mu2_1e4"], rel=1e-6)
    assert set(result["xf"]) == {"u_v", "d_v", "L_m", "L_p", "s_p", "c_p", "b_p", "g"}
    assert result["xf"]["g"][1] == pytest.approx(ref["g"][6], rel=1e-4)


def test_sf_json(capsys):
    code, out, _ = _run(
        capsys,
        "sf",
        "--order",
        "nlo",
        "--scheme",
        "ffns4",
        "--target",
        "n",
        "--q2",
        "100",
        "--x",
        "0.01",
        "0.1",
        "--json",
    )
    result = json.loads(out)
    assert code == 0 and result["target"] == "n" and len(result["F2"]) == 2 and len(result["FL"]) == 2
    assert 0 < result["FL"][1] < result["F2"][1]


def test_sf_gamma_z_json(capsys):
    """The EIC form of sf: gamma/Z on a polarised beam, the deuteron, scales and the cross section."""
    argv = ["sf", "--process", "nc", "--lepton", "e-", "--polarisation", "-0.7", "--target", "d", "--q2", "1000",
            "--x", "0.1", "0.3", "--sqrt-s", "140", "--xi-r", "2", "--xi-f", "0.5", "--json"]  # fmt: skip
    code, out, _ = _run(capsys, *argv)
    result = json.loads(out)
    assert code == 0 and result["process"] == "nc" and result["mu_f2"] == 250.0 and result["mu_r2"] == 4000.0
    for name in ("F2", "FL", "xF3", "y", "sigma_r", "d2sigma"):
        assert len(result[name]) == 2 and all(v > 0 for v in result[name]), name
    y = result["y"][0]
    yp, ym = 1 + (1 - y) ** 2, 1 - (1 - y) ** 2
    expected = result["F2"][0] - y * y / yp * result["FL"][0] + ym / yp * result["xF3"][0]  # e-: + xF3
    assert result["sigma_r"][0] == pytest.approx(expected, rel=1e-14)
    flipped = [{"e-": "e+", "-0.7": "0.7"}.get(a, a) for a in argv]
    code, out, _ = _run(capsys, *flipped)
    positron = json.loads(out)
    assert code == 0 and positron["F2"] == result["F2"] and positron["xF3"] == result["xF3"]
    assert positron["sigma_r"][0] == pytest.approx(expected - 2 * ym / yp * result["xF3"][0], rel=1e-14)


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["sf", "--q2", "1", "--x", "0.1"], "--q2"),
        (["sf", "--q2", "10", "--x", "1.5"], "--x"),
        (["sf", "--q2", "ten", "--x", "0.1"], "--q2"),
        (["sf", "--q2", "10", "--x", "0.1", "--polarisation", "-1.2"], "--polarisation"),
        (["sf", "--q2", "10", "--x", "0.1", "--process", "cc"], "--process"),
        (["sf", "--q2", "10", "--x", "0.1", "--lepton", "mu-"], "--lepton"),
        (["sf", "--q2", "10", "--x", "0.1", "--xi-r", "0"], "--xi-r"),
        (["sf", "--q2", "10", "--x", "0.1", "--sin2-w", "1.5"], "--sin2-w"),
        (["sf", "--q2", "1000", "--x", "0.01", "--sqrt-s", "140"], "--sqrt-s"),
        (["sf", "--q2", "10", "--x", "0.1", "--nuclear-table", "/no/such/file", "--target", "d"], "/no/such/file"),
        (["sf", "--q2", "10", "--x", "0.1", "--nuclear-table", "r.txt"], "--target d"),
        (["evolve", "--q2", "10", "--x", "0.1", "--order", "nnlo"], "--order"),
        (["evolve", "--q2", "10", "--x", "0.1", "--scheme", "ffns9"], "--scheme"),
        ([], "command"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(capsys, argv, needle):
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and needle in err


def test_module_entry_point():
    proc = subprocess.run(
        [sys.executable, "-m", "theory", "evolve", "--order", "lo", "--scheme", "ffns4", "--q2", "100", "--x", "0.1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0 and "alpha_s" in proc.stdout


def test_config_reference_is_current(capsys):
    """config/README.md is the schema's every key, as `python -m theory config-doc` prints it."""
    import pathlib

    assert main(["config-doc"]) == 0
    printed = capsys.readouterr().out
    readme = pathlib.Path(__file__).resolve().parents[1] / "config" / "README.md"
    assert readme.read_text() == printed, "regenerate: python -m theory config-doc > config/README.md"
    import yaml

    from theory.pipeline.config import SCHEMA

    def keys(node, prefix=""):
        for key, sub in node.get("properties", {}).items():
            yield prefix + key
            yield from keys(sub, prefix + key + ".")

    for key in keys(yaml.safe_load(SCHEMA.read_text())):
        assert f"| `{key}` |" in printed, key


def test_every_shipped_preset_is_a_valid_run():
    """Each config/*.yaml validates and builds its Run (a preset that drifts from the schema fails
    here, not on a cluster); the coverage presets are studies with more than one experiment."""
    from pathlib import Path

    from theory.inference.run import Run
    from theory.pipeline import config as cfg

    presets = sorted((Path(__file__).parents[1] / "config").glob("*.yaml"))
    assert len(presets) >= 7
    for path in presets:
        run = Run.from_config(cfg.load(path))
        if path.stem.startswith("coverage"):
            assert run.settings.coverage.experiments >= 2
    eic = Run.from_config(cfg.load(presets[0].parent / "coverage-eic.yaml"))
    assert eic.fit.likelihood == "interpolated" and eic.settings.coverage.x_max == 0.7
