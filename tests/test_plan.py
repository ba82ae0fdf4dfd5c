"""The allocation planner's arithmetic and its command line."""

import json

import pytest

from tests.conftest import refdata_path
from theory.inference.run import RunSettings
from theory.pipeline.cli import main
from theory.pipeline.config import validate
from theory.pipeline.plan import bench_times, format_seed_table, plan, seed_table


def test_projection_arithmetic():
    fit = RunSettings.from_config(validate({"fit": {"replicas": 2560, "chunk_size": 128}})).fit
    result = plan(fit, "tinkercliffs", {"numba-cpu": {"seconds": 0.1, "threads": 16}}, 40, nodes=2, efficiency=0.8,
                  overhead=0.0)  # fmt: skip
    row = result["rows"][0]
    assert result["fits"] == 2561 and row["jobs"] == 21 and row["slots"] == 16 and row["waves"] == 2
    assert row["wall_hours"] == pytest.approx(2 * 128 * 40 * 0.1 / 0.8 / 3600)
    assert row["node_hours"] == pytest.approx(2 * row["wall_hours"])
    assert row["suggested_chunk_size"] == 161  # 2,561 fits over 16 slots in one wave
    gpu = plan(fit, "summit-style", {"cached-cuda": {"seconds": 0.01}}, 40, nodes=1)["rows"][0]
    assert gpu["slots"] == 6 and gpu["gpu_hours"] == pytest.approx(6 * gpu["wall_hours"])
    assert plan(fit, "tinkercliffs", {"cached-cuda": {"seconds": 0.01}}, 40)["rows"] == []  # no GPUs there


def test_bench_times_scale_with_events():
    rows = {"numpy-loop": {"seconds": 1.0}, "cached-cpu (batch 1)": {"seconds": 0.01}}
    bench = {"config": {"events": 1000}, "machine": {"cores": 2}, "forward_and_gradient": rows}
    times = bench_times(bench, 10000)
    assert times["numpy-loop"]["seconds"] == pytest.approx(10.0)
    assert times["cached-cpu (batch 1)"]["seconds"] == pytest.approx(0.1)


def test_plan_command(tmp_path, capsys):
    out = tmp_path / "plan.json"
    code = main(["plan", "--config", "config/stats2.yaml", "--cluster", "tinkercliffs", "--seconds", "cached-cpu=0.006",
                 "--evaluations", "42", "--json", str(out)])  # fmt: skip
    assert code == 0 and "tinkercliffs" in capsys.readouterr().out
    assert json.loads(out.read_text())["rows"][0]["jobs"] == 21
    assert main(["plan", "--config", "config/stats2.yaml", "--cluster", "local"]) == 2
    assert "--bench FILE or --seconds" in capsys.readouterr().err


@pytest.fixture(scope="module")
def seed():
    with open(refdata_path("seed_projection.json")) as handle:
        return json.load(handle)


def test_seed_table_rows(seed):
    """Every row of the seed's projected table: the non-CUDA rows within 1%, the CUDA row within 5%."""
    result = seed_table(seed)
    rows = {r["version"]: r for r in result["rows"]}
    assert [r["version"] for r in result["rows"]] == [r["version"] for r in seed["projected_table"]]
    for r in seed["projected_table"]:
        row = rows[r["version"]]
        assert row["seed_hours"] == r["hours"] and row["speedup"] == r["speedup_cross_section"]
        assert row["relative_difference"] == pytest.approx(row["model_hours"] / r["hours"] - 1)
        limit = 0.05 if "CUDA" in r["version"] else 0.01
        assert abs(row["relative_difference"]) < limit, row
    # two rows fix a and b; the other three are predictions (the CUDA row on the GPU-node layout)
    assert [r["role"] for r in result["rows"]].count("prediction") == 3
    assert rows["Numpy"]["role"] == "fixes a + b" and rows["C++ CPU (fitpack_cpp)"]["role"] == "fixes a / b"
    assert [r["layout"] for r in result["rows"]] == ["cpu"] * 4 + ["gpu"]
    assert abs(rows["CUDA GPU (fitpack_cpp)"]["relative_difference"]) > 0.01  # honest: 2.5%, not 1%
    assert "U_cpu" in format_seed_table(result) and result["statement"] in format_seed_table(result)


def test_seed_table_parameters_come_from_statements(seed):
    """U_cpu and U_gpu are the statements' numbers; a and b solve the numpy and C++ rows exactly."""
    result = seed_table(seed)
    p, resources = result["parameters"], seed["resources"]
    assert p["U_cpu"] == 100  # "we still effectively perform 100 units of work on CPUs"
    assert p["gpus_per_node"] == resources["gpu_node"]["gpus_per_node"] == 6
    assert p["ranks_per_gpu"] == 6  # "perform 6 units of work per GPU"
    assert p["U_gpu"] == 36 and p["gpu_sharing_speedup"] == 4.16
    assert p["ensembles_per_node"] == resources["cpu_node"]["ensembles_per_node"] == 128
    assert round({t["threads"]: t["speedup"] for t in seed["thread_scaling_cpp"]}[128]) == p["U_cpu"]
    table = {r["version"]: r for r in seed["projected_table"]}
    cpp = table["C++ CPU (fitpack_cpp)"]
    assert p["a_hours"] + p["b_hours"] == pytest.approx(table["Numpy"]["hours"])
    assert p["a_hours"] + p["b_hours"] / cpp["speedup_cross_section"] == pytest.approx(cpp["hours"])
    assert p["non_kernel_fraction"] == pytest.approx(0.00606, abs=1e-5)
    cuda = table["CUDA GPU (fitpack_cpp)"]["speedup_cross_section"]
    expected = 100 / 36 * (p["a_hours"] + p["b_hours"] / cuda)
    assert result["rows"][-1]["model_hours"] == pytest.approx(expected)
    # the CPU-node formula alone misses the CUDA row by far: the GPU layout is what carries it
    assert result["alternatives"]["CPU-node layout (T = a + b/s)"]["relative_difference"] < -0.5


def test_seed_table_rejects_bad_input(seed):
    broken = json.loads(json.dumps(seed))
    broken["resources"]["statements"] = broken["resources"]["statements"][:2]
    with pytest.raises(ValueError, match="statement"):
        seed_table(broken)


def test_plan_seed_table_command(tmp_path, capsys):
    out = tmp_path / "seed.json"
    assert main(["plan", "--seed-table", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "CUDA GPU (fitpack_cpp)" in printed and "U_gpu = 36" in printed
    result = json.loads(out.read_text())
    assert {"command", "mode", "model", "parameters", "fixed_by", "rows", "alternatives", "statement"} <= set(result)
    assert len(result["rows"]) == 5
    assert {"version", "speedup", "seed_hours", "model_hours", "relative_difference"} <= set(result["rows"][0])


def test_plan_needs_config_and_cluster_or_seed_table(capsys):
    for argv in (["plan"], ["plan", "--cluster", "local"], ["plan", "--config", "config/stats2.yaml"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "give --config and --cluster, or --seed-table" in err


def test_plan_seed_table_without_the_file(tmp_path, monkeypatch, capsys):
    from theory.pipeline import paths

    monkeypatch.setattr(paths, "REFDATA_DIRS", (tmp_path / "shared", tmp_path / "repo" / "data" / "refdata"))
    assert main(["plan", "--seed-table"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "reference file seed_projection.json is in neither" in err
