"""The benchmark's comparators and report: the hand-written floor script and the pandas scoring
give the job's scores (and the floor its stages) on the sample run, the memory sampler sees a
child's memory, and the report states the ratios and whether the targets are met."""

from __future__ import annotations

import json
import sys

import pytest

from orchestration.benchmark import report, runner
from tests.conftest import END_DATE


@pytest.fixture(scope="module")
def comparators(pipeline, tmp_path_factory):
    folder = tmp_path_factory.mktemp("benchmark")
    env = {"PATH": "/usr/bin:/bin"}
    floor, floor_output = runner.run_floor(pipeline.landing, END_DATE, folder, env)
    pandas, pandas_output = runner.run_pandas(pipeline.landing, END_DATE, folder, env)
    agreement = runner.compare_with_job(pipeline.warehouse, floor_output, pandas_output)
    return floor, pandas, agreement


def test_the_floor_and_pandas_compute_the_jobs_scores(comparators):
    floor, pandas, agreement = comparators
    for name in ("floor", "pandas"):
        figures = agreement[name]
        assert figures["job_leads"] > 4000
        assert figures["leads_found"] == figures["job_leads"]
        # A few rows the job rejects under the landing contract differ; nothing else.
        assert figures["same_scores"] >= 0.995 * figures["job_leads"], figures
    # Stages need history the floor does not keep, so a few more differ.
    assert agreement["floor"]["same_stage"] >= 0.95 * agreement["floor"]["job_leads"]
    # Both ran in child processes whose memory was sampled.
    assert floor.peak_rss_bytes > 50 * 2**20 and pandas.peak_rss_bytes > 50 * 2**20
    assert floor.wall_seconds > 0 and pandas.wall_seconds > 0


def test_a_failing_child_is_reported_with_its_output(tmp_path):
    with pytest.raises(RuntimeError, match="exit 3"):
        runner.measure(
            [sys.executable, "-c", "print('boom'); raise SystemExit(3)"],
            {"PATH": "/usr/bin:/bin"},
            tmp_path / "child.log",
        )


def _result(leads: int, full: float, incremental: float, floor: float, peak_gib: float) -> dict:
    timings = {
        "wall_seconds": full - 3,
        "steps": {"dbt_build": full / 2, "raw__events": full / 4},
        "dbt_models": {"marts/lead_score_snapshots": full / 4},
        "checks_passed": 122,
        "checks": 122,
    }
    figures = {"job_leads": leads, "leads_found": leads, "same_scores": leads, "same_stage": leads}
    return {
        "leads": leads,
        "events": 20 * leads,
        "seed": 42,
        "as_of": "2026-11-26",
        "measured_at": "2026-11-27 04:00 UTC",
        "machine": {"cpus": 2, "memory_gib": 23.5, "python": "3", "duckdb": "2", "platform": "x"},
        "duckdb_memory_limit": "2GB",
        "full": {**timings, "process_seconds": full, "peak_rss_bytes": int(peak_gib * 2**30)},
        "incremental": {
            **timings,
            "process_seconds": incremental,
            "peak_rss_bytes": 2**30,
            "files_added": 5,
        },
        "floor": {"process_seconds": floor, "peak_rss_bytes": 2**29},
        "pandas": {"process_seconds": 4 * floor, "peak_rss_bytes": 2**30},
        "agreement": {"floor": figures, "pandas": {**figures, "same_stage": None}},
    }


def test_the_report_states_ratios_growth_and_the_targets(tmp_path):
    results_file = tmp_path / "benchmarks.json"
    runner.record(_result(100_000, 100.0, 40.0, 10.0, 1.0), results_file)
    results = runner.record(_result(1_000_000, 900.0, 150.0, 60.0, 3.5), results_file)
    assert set(json.loads(results_file.read_text())) == {"100000", "1000000"}
    text = report.render(results)
    summary = "| 1,000,000 | 20,000,000 | 900.0 s | 150.0 s | 60.0 s | 240.0 s | 15.0x | 4.0x |"
    assert summary in text
    # Growth relative to the smallest size: 10x the data, 9x the time.
    assert "| 1,000,000 | 10.0 | 9.0 |" in text
    assert "| full job within 3x the floor | 15.0x | no |" in text
    assert "| peak memory under 3 GiB | 3.50 GiB | no |" in text
    assert "| incremental run within 25 % of a full run | 16.7 % | yes |" in text
    assert "| ingest events | 225.0 s |" in text


def test_a_size_whose_job_failed_is_reported_apart(tmp_path):
    results_file = tmp_path / "benchmarks.json"
    runner.record(_result(100_000, 100.0, 40.0, 10.0, 1.0), results_file)
    about = {key: _result(2_000_000, 1, 1, 1, 1)[key] for key in ("leads", "events", "seed")}
    about.update(as_of="2026-11-26", machine={}, duckdb_memory_limit="12GB", code_version="abc")
    timings = tmp_path / "full.json"
    timings.write_text(json.dumps({"wall_seconds": 869.3, "steps": {}, "dbt_models": {"m": 1.0}}))
    error = RuntimeError("job failed (exit 1):\n  IO Error: No space left on device\n  Done.")
    failed = runner.failed_result(about, "full run", error, timings)
    text = report.render(runner.record(failed, results_file))
    assert "the full run failed after 869.3 s: IO Error: No space left on device" in text
    assert "| 2,000,000 | 40,000,000 |" not in text  # not in the summary table
    assert "| 2,000,000 | 20.0 |" not in text  # nor in the growth table


def test_a_run_stopped_by_a_quality_gate_names_the_check(tmp_path):
    about = {key: _result(2_000_000, 1, 1, 1, 1)[key] for key in ("leads", "events", "seed")}
    timings = tmp_path / "incremental.json"
    gate = "check great_expectations on marts/leads failed   leads_mart/expect_... on lead_id"
    timings.write_text(json.dumps({"wall_seconds": 509.2, "failed_checks": [gate]}))
    error = RuntimeError("job failed (exit 1):\nNo dagster instance configuration file")
    failed = runner.failed_result(about, "incremental run", error, timings)
    assert failed["failed"]["reason"] == gate


def test_a_failed_incremental_run_keeps_the_full_runs_figures(tmp_path):
    about = {key: _result(1_000_000, 1, 1, 1, 1)[key] for key in ("leads", "events", "seed")}
    about.update(as_of="2026-11-26", machine={}, duckdb_memory_limit="2GB", code_version="abc")
    error = RuntimeError("job failed (exit 1):\n  Out of Memory Error: failed to pin block\n")
    full = _result(1_000_000, 1479.3, 1, 1, 2.75)["full"]
    failed = runner.failed_result(
        about, "incremental run", error, tmp_path / "absent.json", full=full
    )
    text = report.render(runner.record(failed, tmp_path / "benchmarks.json"))
    assert "the incremental run failed: Out of Memory Error: failed to pin block" in text
    assert "the full run before it completed in 1,479.3 s (peak 2.75 GiB, " in text
