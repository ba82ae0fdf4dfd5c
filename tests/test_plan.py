"""The allocation planner's arithmetic and its command line."""

import json

import numpy as np
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
    assert json.loads(out.read_text())["rows"][0]["jobs"] == 2  # config/stats2.yaml: chunks of 1,281
    assert main(["plan", "--config", "config/stats2.yaml", "--cluster", "local"]) == 2
    assert "--bench FILE, --scaling FILE or --seconds" in capsys.readouterr().err


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


def _timing(path, jobs):
    from theory.atomic import write_hdf5
    from theory.inference.posterior import _timing as write_jobs

    with write_hdf5(path) as f:
        write_jobs(f, jobs)


def test_achieved_efficiency_from_timing(tmp_path, capsys):
    """Busy slot-seconds over slots x wall, from timing.h5 (read as one pandas DataFrame)."""
    from theory.inference.posterior import timing_frame
    from theory.pipeline.plan import achieved

    job = {"host": "n1", "backend": "cached-cpu", "threads": 1, "replicas": 5, "evaluations": 200, "cpu_s": 9.0}
    jobs = [{**job, "chunk": 0, "wall_s": 10.0, "start": 100.0, "end": 110.0},
            {**job, "chunk": 1, "wall_s": 6.0, "start": 102.0, "end": 108.0}]  # fmt: skip
    path = tmp_path / "timing.h5"
    _timing(path, jobs)
    frame = timing_frame(path)
    assert list(frame["host"]) == ["n1", "n1"] and frame["wall_s"].sum() == 16.0
    two = achieved(path, 2, min_job_seconds=60.0)
    assert two["span_s"] == 10.0 and two["efficiency"] == pytest.approx(16.0 / 20.0)
    assert achieved(path, 4)["efficiency"] == pytest.approx(16.0 / 40.0)
    assert two["seconds_per_replica"] == pytest.approx(1.6) and two["suggested_chunk_size"] == 38  # 60 s / 1.6 s
    assert main(["plan", "--achieved", str(path), "--slots", "2", "--json", str(tmp_path / "a.json")]) == 0
    assert "parallel efficiency 80.0%" in capsys.readouterr().out
    assert json.loads((tmp_path / "a.json").read_text())["jobs"] == 2
    assert main(["plan", "--achieved", str(path)]) == 2
    assert "--slots" in capsys.readouterr().err
    assert main(["plan", "--achieved", str(tmp_path / "missing.h5"), "--slots", "2"]) == 2


def test_projection_table_is_a_dataframe():
    from theory.pipeline.plan import format_table, table

    fit = RunSettings.from_config(validate({"fit": {"replicas": 2560, "chunk_size": 128}})).fit
    result = plan(fit, "tinkercliffs", {"numba-cpu": {"seconds": 0.1, "threads": 16}}, 40, nodes=2)
    frame = table(result)
    assert list(frame.columns)[:3] == ["backend", "s/eval", "eval/rep"] and frame["jobs"].iloc[0] == 21
    text = format_table(result)
    assert "numba-cpu" in text and "best chunk" in text
    assert "no backend" in format_table(plan(fit, "tinkercliffs", {"cached-cuda": {"seconds": 0.01}}, 40))


def test_scaling_costs_enter_the_plan_as_evaluations_plus_the_data_pass():
    from theory.inference.run import RunSettings
    from theory.pipeline import plan as planner
    from theory.pipeline.config import validate

    def row(n, lik, seconds, ns):
        return {"events_per_target": n, "likelihood": lik, "full_s_batched": {"median": seconds},
                "data_pass_ns_per_event_replica": ns}  # fmt: skip

    rows = [row(10**4, "exact", 1e-3, 50.0), row(10**5, "exact", 6e-3, 40.0),
            row(10**4, "interpolated", 2.5e-3, 120.0), row(10**7, "interpolated", 2.4e-3, 110.0)]  # fmt: skip
    scaling = {"threads": 1, "rows": rows}
    times = planner.scaling_times(scaling, 2 * 10**6)
    inter, exact = times["cached-cpu (interpolated, lockstep)"], times["cached-cpu (exact, lockstep)"]
    assert inter["seconds"] == 2.4e-3  # the nearest size in ln N: 10^7 for 10^6 per target
    assert inter["pass_seconds"] == pytest.approx(110e-9 * 2 * 10**6)
    assert exact["seconds"] == pytest.approx(6e-3 * 10)  # scaled linearly from 10^5
    fit = RunSettings.from_config(validate({"fit": {"replicas": 99, "chunk_size": 10}})).fit
    result = planner.plan(fit, "local", {"x": {"seconds": 0.01, "threads": 1, "pass_seconds": 2.0}}, 20.0,
                          local_cores=1, overhead=0.0, efficiency=1.0)  # fmt: skip
    r = result["rows"][0]
    assert r["wall_hours"] == pytest.approx(10 * 10 * (20 * 0.01 + 2.0) / 3600.0)


def test_a_pilot_counts_its_passes_in_each_backends_own_costs(tmp_path):
    import h5py

    from theory.pipeline import plan as planner

    path = tmp_path / "posterior.h5"
    with h5py.File(path, "w") as f:
        f["replicas/status"] = np.array([0, 0, 1])
        f["replicas/evaluations"] = np.array([10, 14, 200])
        f["replicas/jacobians"] = np.array([6, 8, 100])
    pilot = planner.Pilot.read(path)
    assert (pilot.passes, pilot.jacobians) == (12.0, 7.0)  # the failed replica left out
    # the lockstep engine times a pass with the Jacobian and a value-only pass, each its own request
    lockstep = {"seconds": 2e-3, "pass_cost": {"jacobian": 1.0, "value": 0.5}}
    assert pilot.evaluations(lockstep) == pytest.approx(7.0 + 0.5 * 5.0)
    # a bench time is one loss + gradient evaluation: the Jacobian pass costs PASS_COST of it
    bench = {"seconds": 2e-3}
    assert pilot.evaluations(bench) == pytest.approx(2.0 * 7.0 + 0.75 * 5.0)
    scaling = {"threads": 1, "rows": [{"events_per_target": 10**4, "likelihood": "interpolated",
                                       "full_s_batched": {"median": 2e-3}, "value_s_batched": {"median": 1e-3},
                                       "data_pass_ns_per_event_replica": 50.0}]}  # fmt: skip
    times = planner.scaling_times(scaling, 2 * 10**4)["cached-cpu (interpolated, lockstep)"]
    assert times["pass_cost"] == {"jacobian": 1.0, "value": 0.5}
    with h5py.File(path, "a") as f:
        f["replicas/status"][...] = 1
    with pytest.raises(ValueError, match="no converged"):
        planner.Pilot.read(path)
