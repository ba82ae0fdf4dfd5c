"""The allocation planner's arithmetic and its command line."""

import json

import pytest

from theory.inference.run import RunSettings
from theory.pipeline.cli import main
from theory.pipeline.config import validate
from theory.pipeline.plan import bench_times, plan


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
