"""Great Expectations gates: on clean data they pass; when one fails, nothing downstream is built
or published, the previous serving release stays byte-identical and the run names the failing
examples."""

from __future__ import annotations

import hashlib
from pathlib import Path

from orchestration.cli import execute_daily_job, main


def _tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_quality_suites_pass_on_the_sample_data(pipeline):
    evaluations = {
        evaluation.check_name: evaluation
        for evaluation in pipeline.result.get_asset_check_evaluations()
    }
    for name in ("raw_leads_suite", "leads_mart_suite"):
        assert evaluations[name].passed, name
        assert evaluations[name].metadata["rows_validated"].value > 0


def test_a_failed_gate_publishes_nothing_and_names_the_failing_examples(pipeline_copy):
    landing = pipeline_copy.landing
    serving = pipeline_copy.warehouse.parent / "serving"
    current_before = (serving / "current").resolve()
    published_before = _tree_digest(current_before)

    rows = "".join(f"B-{n},2026-06-30T08:00:00Z,not-an-email-{n}\n" for n in range(20))
    (landing / "leads" / "zz_bad_emails.csv").write_text("lead_id,created_at,email\n" + rows)
    result = execute_daily_job()

    assert not result.success
    check = next(
        e for e in result.get_asset_check_evaluations() if e.check_name == "raw_leads_suite"
    )
    assert not check.passed
    failures = check.metadata["failing_examples"].value
    assert failures[0]["expectation"] == "expect_column_values_to_match_regex"
    assert "not-an-email-0" in failures[0]["examples"]
    started = {
        event.step_key for event in result.all_events if event.event_type_value == "STEP_START"
    }
    assert "dbt_build" not in started
    assert "serving__bi_release" not in started
    assert (serving / "current").resolve() == current_before
    assert _tree_digest(current_before) == published_before


def test_the_cli_names_the_failed_check_and_its_examples(pipeline_copy, capsys):
    (pipeline_copy.landing / "leads" / "zz_bad_emails.csv").write_text(
        "lead_id,created_at,email\nB-1,2026-06-30T08:00:00Z,nobody\n"
    )
    code = main(["run"])
    err = capsys.readouterr().err
    assert code == 1
    assert "check raw_leads_suite on raw/leads failed" in err
    assert "expect_column_values_to_match_regex on email: 1 rows, e.g. ['nobody']" in err
    assert "Traceback" not in err
