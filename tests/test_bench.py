"""The benchmark command runs end to end on a small problem and writes its documented keys."""

import json

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


def test_scaling_table_has_both_likelihoods_and_skips_exact_above_its_limit(monkeypatch):
    from theory.pipeline import scaling

    monkeypatch.setattr(scaling, "EXACT_MAX", 3000)
    result = scaling.run(sizes=(2000, 6000), replicas=2, repeats=1, log=lambda m: None)
    kinds = [(r["events_per_target"], r["likelihood"]) for r in result["rows"]]
    assert kinds == [(2000, "exact"), (2000, "interpolated"), (6000, "interpolated")]
    inter = [r for r in result["rows"] if r["likelihood"] == "interpolated"]
    assert inter[0]["rows"] == inter[1]["rows"]  # the grid does not grow with the events
    for r in result["rows"]:
        assert r["data_pass_ns_per_event_replica"] > 0
        assert 0 < r["full_s_batched"]["min"] <= r["full_s_batched"]["median"] <= r["full_s_batched"]["max"]
    assert "ratio_largest_to_smallest" in result
    assert "events/target" in scaling.format_table(result)


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
