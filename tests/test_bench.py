"""The benchmark command runs end to end on a small problem and writes its documented keys."""

import json
import pathlib

import pytest

from theory.pipeline.cli import main


def test_bench_small(tmp_path, capsys):
    path = tmp_path / "bench.json"
    code = main(["bench", "--events", "120", "--batch", "8", "--repeats", "1", "--loop-events", "40",
                 "--json", str(path)])  # fmt: skip
    assert code == 0
    result = json.loads(path.read_text())
    printed = json.loads(capsys.readouterr().out)
    assert printed["config"] == result["config"]
    for key in ("machine", "config", "time_per_evaluation", "forward_and_gradient", "memory", "thread_scaling",
                "kernel", "ceiling", "peer"):  # fmt: skip
        assert key in result, key
    tpe = result["time_per_evaluation"]
    assert tpe["numpy-loop"]["speedup"] == 1.0 and tpe["numpy-loop"]["scaled_from"] == 40
    assert result["kernel"]["reals_per_event"] <= 1000
    assert result["thread_scaling"]["numba-cpu"][0]["threads"] == 1


def test_bench_rejects_bad_numbers(capsys):
    assert main(["bench", "--events", "0"]) == 2
    assert "--events" in capsys.readouterr().err


def test_scaling_table_has_both_likelihoods_and_skips_exact_above_its_limit(monkeypatch, tmp_path):
    from theory.pipeline import scaling
    from theory.pipeline.paths import SCALING_PLOT, RunPaths
    from theory.pipeline.plots import scaling_plot
    from theory.pipeline.report import scaling_section

    monkeypatch.setattr(scaling, "EXACT_MAX", 3000)
    result = scaling.run(sizes=(2000, 6000), replicas=2, repeats=1, log=lambda m: None)
    kinds = [(r["events_per_target"], r["likelihood"]) for r in result["rows"]]
    assert kinds == [(2000, "exact"), (2000, "interpolated"), (6000, "interpolated")]
    inter = [r for r in result["rows"] if r["likelihood"] == "interpolated"]
    assert inter[0]["rows"] == inter[1]["rows"]  # the grid does not grow with the events
    for r in result["rows"]:
        assert r["data_pass_ns_per_event_replica"] > 0
        assert 0 < r["full_s_batched"]["min"] <= r["full_s_batched"]["median"] <= r["full_s_batched"]["max"]
        assert all(0 < f <= r_ for f, r_ in zip(r["fit_rank"], r["rank"], strict=True))  # truncated to FIT_TOL
    assert "ratio_largest_to_smallest" in result
    assert result["ratio_largest_to_exact_smallest"] == pytest.approx(
        inter[-1]["full_s_batched"]["median"] / result["rows"][0]["full_s_batched"]["median"]
    )
    assert "events/target" in scaling.format_table(result)
    paths = RunPaths("tiny", tmp_path)
    paths.plots_dir.mkdir(parents=True)
    png = scaling_plot(result, paths.plot(SCALING_PLOT))
    assert pathlib.Path(png).read_bytes()[:4] == b"\x89PNG"
    paths.scaling.write_text(json.dumps(result))
    page = scaling_section(paths)  # the report's section: every row, both ratios, the figure
    assert page.count("<tr>") == 1 + len(result["rows"]) and "over exact at the smallest" in page and "<img" in page


def test_scaling_sizes_are_the_decades_below_a_run_and_the_run():
    from theory.pipeline.scaling import sizes_for

    assert sizes_for(5000) == (5000,)
    assert sizes_for(1e6) == (10_000, 100_000, 1_000_000)
    assert sizes_for(2.5e7) == (10_000, 100_000, 1_000_000, 10_000_000, 25_000_000)


def test_scaling_ratios_take_the_largest_and_smallest_sizes_in_any_order():
    from theory.pipeline.scaling import ratios

    def row(n, likelihood, ms):
        return {"events_per_target": n, "likelihood": likelihood, "full_s_batched": {"median": ms}}

    rows = [row(10**7, "interpolated", 3.0), row(10**4, "exact", 1.0), row(10**4, "interpolated", 2.0)]
    assert ratios(rows) == {"ratio_largest_to_smallest": 1.5, "ratio_largest_to_exact_smallest": 3.0}
    assert ratios(rows[1:]) == {}  # one size: nothing grows


def test_bench_plot_and_config_need_the_scaling_study(capsys):
    assert main(["bench", "--plot", "x.png"]) == 2
    assert "--scaling" in capsys.readouterr().err
    assert main(["bench", "--config", "config/stats2.yaml"]) == 2
    assert "--config belongs to the --scaling study" in capsys.readouterr().err
    assert main(["bench", "--device"]) == 2
    assert "--device belongs to the --scaling study" in capsys.readouterr().err


def test_scaling_device_rows_need_a_gpu_or_the_simulator(capsys, monkeypatch):
    from numba import cuda
    from numba.cuda import config as cuda_config

    if cuda_config.ENABLE_CUDASIM or cuda.is_available():
        pytest.skip("a GPU (or the simulator) is here")
    assert main(["bench", "--scaling", "--device", "--sizes", "2000"]) == 2
    assert "--device: no GPU here" in capsys.readouterr().err


@pytest.mark.slow
def test_scaling_device_rows_in_the_simulator(tmp_path):
    """Under NUMBA_ENABLE_CUDASIM=1 (numpy standing in for CuPy): each interpolated size gets a GPU
    row beside its CPU row (the same grid and fit rank), with the round's products counted and their
    rate; the ratios stay the CPU rows'; the planner prices the GPU rows as cached-cuda, on GPUs."""
    import os
    import subprocess
    import sys

    out = tmp_path / "scaling.json"
    root = pathlib.Path(__file__).resolve().parents[1]
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1",
           "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}  # fmt: skip
    cmd = [sys.executable, "-W", "error", "-m", "theory", "bench", "--scaling", "--device", "--sizes", "2000", "6000",
           "--replicas", "3", "--repeats", "1", "--json", str(out)]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, cwd=root)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    kinds = [(r["events_per_target"], r["likelihood"], r["engine"]) for r in result["rows"]]
    per_size = [("exact", "cpu"), ("interpolated", "cpu"), ("interpolated", "device")]
    assert kinds == [(n, *k) for n in (2000, 6000) for k in per_size]
    for cpu, gpu in zip(result["rows"][1::3], result["rows"][2::3], strict=True):
        assert gpu["rows"] == cpu["rows"] and gpu["fit_rank"] == cpu["fit_rank"]
        assert gpu["flop_full_batched"] > 3 * 2 * cpu["rows"] * min(cpu["fit_rank"])  # at least the forward rows
        assert gpu["gflops_full_batched"] == pytest.approx(
            1e-9 * gpu["flop_full_batched"] / (3 * gpu["full_s_batched"]["median"])
        )
        assert gpu["data_pass_ns_per_event_replica"] > 0 and "flop_full_batched" not in cpu
    cpu_inter = [r for r in result["rows"] if r["engine"] == "cpu" and r["likelihood"] == "interpolated"]
    assert result["ratio_largest_to_smallest"] == pytest.approx(
        cpu_inter[-1]["full_s_batched"]["median"] / cpu_inter[0]["full_s_batched"]["median"]
    )
    from theory.pipeline.plan import scaling_times

    times = scaling_times(result, 2 * 6000)
    assert times["cached-cuda (interpolated, lockstep)"]["seconds"] == result["rows"][-1]["full_s_batched"]["median"]
    assert times["cached-cpu (interpolated, lockstep)"]["seconds"] == result["rows"][-2]["full_s_batched"]["median"]


def test_agreement_compares_the_same_replicas_through_both_likelihoods():
    from theory.pipeline import agreement

    result = agreement.run(n=2000, replicas=8, log=lambda m: None)
    assert result["exact"]["converged"] == result["interpolated"]["converged"] == 9
    assert len(result["central_difference_sigma"]) == len(result["names"]) == 9
    assert result["worst"] < 0.02  # the bar, here at 2,000 + 2,000 events
    assert "central diff / std" in agreement.format_table(result)


def test_gamma_z_cost_table_times_every_cpu_backend_side_by_side():
    """bench --gamma-z: every CPU backend timed with photon exchange and gamma/Z alternately on the
    same events; the JSON keeps every repeat, the table the median ratio."""
    from theory.pipeline import gamma_z_cost

    result = gamma_z_cost.run(n_events=150, batch=3, repeats=2, loop_events=40, log=lambda m: None)
    assert list(result["backends"]) == list(gamma_z_cost.BACKENDS_CPU)
    for r in result["backends"].values():
        assert len(r["em_s"]) == len(r["nc_s"]) == 2 and 0 < r["ratio"]["min"] <= r["ratio"]["median"]
    table = gamma_z_cost.format_table(result)
    assert all(name in table for name in gamma_z_cost.BACKENDS_CPU)
