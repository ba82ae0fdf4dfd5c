"""The coverage study: pseudo-experiments independent of chunking, restartable, its layout, and a
coverage test with power: calibrated bands pass it, bands a third as wide fail it."""

import h5py
import numpy as np
import pytest

from theory.inference import coverage as study
from theory.pipeline.cli import main
from theory.pipeline.config import validate


def _config(**cov):
    return validate({"run": "cov", "seed": 11, "events": {"p": 400, "n": 400},
                     "coverage": {"experiments": 24, "replicas": 12, "chunk_size": 12, "n_x": 8, **cov}})  # fmt: skip


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    root = tmp_path_factory.mktemp("coverage")
    run = study.study_run(_config())
    chunks = [root / f"chunk_{c}.h5" for c in range(run.settings.coverage.n_chunks)]
    for c, path in enumerate(chunks):
        study.run_chunk(run, c, path, workers=2, log=lambda m: None)
    res = study.aggregate(run, chunks, root / "coverage.h5", log=lambda m: None)
    return run, chunks, res, root


def test_experiments_do_not_depend_on_chunking(calibrated, tmp_path):
    run, chunks, _, _ = calibrated
    other = study.study_run(_config(chunk_size=5))
    study.run_chunk(other, 2, tmp_path / "c.h5", workers=1, log=lambda m: None)  # experiments 10..14
    with h5py.File(tmp_path / "c.h5") as f, h5py.File(chunks[0]) as g:
        assert list(f["experiment"][...]) == [10, 11, 12, 13, 14]
        for key in ("seed", "central", "params", "lumi", "bands/g/quantiles"):
            assert np.array_equal(f[key][:2], g[key][10:12]), key


def test_study_file_layout(calibrated):
    run, _, res, root = calibrated
    with h5py.File(root / "coverage.h5") as f:
        assert f.attrs["experiments"] == 24 and f.attrs["replicas"] == 12
        assert set(f["combinations"]) == {"u_v", "d_v", "sea", "g", "u_plus", "d_plus", "p_dis", "n_dis"}
        assert f["combinations/g/inside68"].shape == (24, 3, 8)
        assert f["parameters/pulls"].shape == (24, 11)
        assert len(set(f["experiments/seed"][...])) == 24
    for c in res["combinations"].values():
        assert 0 <= c["cover68"] <= c["cover95"] <= 1


def _coverage(run, chunks, shrink):
    """68% and 95% coverage of u_plus, d_plus, sea, g with the bands shrunk about their median."""
    data = study._read(chunks)
    x, q2 = study.grid(run)
    truth = study.pdf_values(run, run.truth[None], x, q2)
    out = {}
    for name in ("u_plus", "d_plus", "sea", "g"):
        q = data[f"bands/{name}/quantiles"]
        t = truth[name]
        mid = q[:, 2]
        in68 = np.abs(t - mid) <= np.maximum(q[:, 3] - mid, mid - q[:, 1]) / shrink
        in95 = np.abs(t - mid) <= np.maximum(q[:, 4] - mid, mid - q[:, 0]) / shrink
        out[name] = (in68.mean(), in95.mean())
    return out


def test_calibrated_bands_cover_and_narrow_ones_do_not(calibrated):
    """K = 24 experiments of 400 + 400 events: every combination's 68% band covers at least 45% and
    its 95% band 75% (a calibrated method passes with high probability); the same bands a third as
    wide fail it, so the test can tell."""
    run, chunks, _, _ = calibrated
    for name, (c68, c95) in _coverage(run, chunks, 1.0).items():
        assert c68 >= 0.45 and c95 >= 0.75, (name, c68, c95)
    narrow = _coverage(run, chunks, 3.0)
    assert any(c68 < 0.45 or c95 < 0.75 for c68, c95 in narrow.values()), narrow


def test_cli_restarts_from_finished_chunks(tmp_path, capsys):
    cfg = tmp_path / "cov.yaml"
    cfg.write_text("run: c\nevents: {p: 300, n: 300}\ncoverage: {experiments: 2, replicas: 4, chunk_size: 1, n_x: 4}\n")
    args = ["coverage", "--config", str(cfg), "--results", str(tmp_path / "r")]
    assert main(args + ["--chunk", "0"]) == 0
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "chunk 0 done already" in captured.err + captured.out
    assert (tmp_path / "r" / "c" / "coverage.h5").is_file()
    assert (tmp_path / "r" / "c" / "plots" / "coverage.png").is_file()
    assert main(["coverage", "--config", str(cfg), "--chunk", "5", "--results", str(tmp_path / "r")]) == 2
