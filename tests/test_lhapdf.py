"""LHAPDF6 export, read back: members equal the PDFs computed directly at the knots."""

import numpy as np
import pytest

from theory.inference.posterior import pdf_values
from theory.inference.run import Run
from theory.pipeline.config import validate
from theory.pipeline.lhapdf import PIDS, export, read_member


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    import h5py

    cfg = validate({"run": "lh"})
    theory = Run.from_config(cfg)
    root = tmp_path_factory.mktemp("lh")
    post = root / "posterior.h5"
    params = np.array([theory.truth, theory.truth * np.where(np.arange(9) == 0, 1.2, 1.0)])
    with h5py.File(post, "w") as f:
        f["replicas/status"] = np.array([0, 0])
        f["replicas/params_full"] = params
        f["replicas/index"] = np.array([1, 2])
    folder = export(theory, post, root, name="test_set", log=lambda m: None)
    return cfg, theory, params, folder


def test_files_and_info(exported):
    _, _, _, folder = exported
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["test_set.info", "test_set_0000.dat", "test_set_0001.dat", "test_set_0002.dat"]
    info = (folder / "test_set.info").read_text()
    assert "NumMembers: 3" in info and 'Format: "lhagrid1"' in info


def test_members_read_back(exported):
    _, theory, params, folder = exported
    blocks = read_member(folder / "test_set_0002.dat")
    assert [b[2] for b in blocks] == [list(PIDS)] * len(blocks)
    x, q, _, vals = blocks[1]
    inner = x[(x > 1e-4) & (x < 0.9)][::7]
    qq = q[[0, len(q) // 2]]
    direct = pdf_values(theory, params[1:2], inner, qq**2)
    col = {pid: k for k, pid in enumerate(PIDS)}
    ix = [list(x).index(v) for v in inner]
    iq = [list(q).index(v) for v in qq]
    from_file = vals[np.ix_(ix, iq)]  # [x, q, pids]
    u_plus = (from_file[..., col[2]] + from_file[..., col[-2]]).T
    gluon = from_file[..., col[21]].T
    assert np.allclose(u_plus, direct["u_plus"][0], rtol=1e-6, atol=1e-12)
    assert np.allclose(gluon, direct["g"][0], rtol=1e-6, atol=1e-12)
    mean = read_member(folder / "test_set_0000.dat")[1][3]
    one = read_member(folder / "test_set_0001.dat")[1][3]
    assert np.allclose(mean, 0.5 * (one + vals), rtol=1e-6, atol=1e-12)
    assert np.all(vals[-1] == 0.0)  # x = 1
