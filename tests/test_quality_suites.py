"""Each Great Expectations suite passes on good rows and catches the bad row it exists for,
naming it by its key; the gate limits file is validated before any suite runs."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime

import duckdb
import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd
import pytest

from data_quality.expectations import SCORE_COLUMNS, row_count_frame, row_count_suite
from data_quality.gates import GateSettings, GateSettingsError, RowCountChange, load_gate_settings
from data_quality.suites import (
    leads_mart,
    load_rejects,
    publish_list,
    score_snapshots,
    stage_history,
    staged_events,
    staged_leads,
)
from data_quality.validate import _with_wide_numbers, validate
from orchestration.ingest.contract import ENTITIES
from orchestration.ingest.loader import ensure_raw_schema
from orchestration.quality import checks
from orchestration.quality.alerts import describe_failure
from orchestration.quality.checks import GateRun, raw_suite
from orchestration.resources import QualityArea
from orchestration.scoring.rules import load_scoring_config

BOUNDS = load_scoring_config().score_bounds()


def _failures(suite, frame, key=()) -> dict[tuple[str, str | None], list[str]]:
    summary = validate(suite, frame, key_columns=key)
    return {(f["expectation"], f["column"]): f["examples"] for f in summary.failures}


def _raw_suite(entity: str):
    return raw_suite(ENTITIES[entity], GateSettings())


def _leads(**overrides) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "lead_id": ["L1", "L2", "L3"],
            "created_at": pd.to_datetime(["2026-06-01"] * 3),
            "email": ["a@x.io", "b@y.io", "c@z.io"],
            "country": ["US", "de", None],
        }
    )
    return frame.assign(**overrides)


def test_raw_leads_catch_invalid_emails_and_missing_required_values():
    suite = _raw_suite("leads")
    assert _failures(suite, _leads()) == {}
    failures = _failures(suite, _leads(email=["a@x.io", "not-an-email", None]), key=["lead_id"])
    assert failures == {
        ("expect_column_values_to_match_regex", "email"): ["L2: email=not-an-email"]
    }
    failures = _failures(suite, _leads(created_at=[None, *_leads().created_at[1:]]), ["lead_id"])
    assert list(failures) == [("expect_column_values_to_not_be_null", "created_at")]


def test_raw_events_catch_duplicates_and_unknown_event_types():
    suite = _raw_suite("events")
    frame = pd.DataFrame(
        {
            "event_id": ["E1", "E1", "E2"],
            "lead_id": ["L1", "L1", "L2"],
            "event_type": ["page_view", "page_view", "fax_sent"],
            "occurred_at": pd.to_datetime(["2026-06-01"] * 3),
        }
    )
    failures = _failures(suite, frame, ["event_id"])
    assert failures[("expect_column_values_to_be_unique", "event_id")] == ["E1", "E1"]
    assert failures[("expect_column_values_to_be_in_set", "event_type")] == [
        "E2: event_type=fax_sent"
    ]


def test_raw_opportunities_and_privacy_requests_catch_rows_the_contract_forbids():
    opportunities = pd.DataFrame(
        {
            "opportunity_id": ["O1", "O2"],
            "lead_id": ["L1", "L2"],
            "created_at": pd.to_datetime(["2026-06-01", "2026-06-01"]),
            "closed_at": pd.to_datetime(["2026-06-10", "2026-05-01"]),
            "amount": [100.0, -5.0],
        }
    )
    failures = _failures(_raw_suite("opportunities"), opportunities, ["opportunity_id"])
    assert set(failures) == {
        ("expect_column_pair_values_a_to_be_greater_than_b", "closed_at, created_at"),
        ("expect_column_values_to_be_between", "amount"),
    }
    requests = pd.DataFrame(
        {
            "request_type": ["erasure", "withdraw_consent"],
            "requested_at": pd.to_datetime(["2026-06-01"] * 2),
            "lead_id": ["L1", None],
            "email": [None, None],
        }
    )
    failures = _failures(_raw_suite("privacy_requests"), requests)
    assert list(failures) == [("expect_column_values_to_not_be_null", "email")]


def test_load_rejects_stop_a_mostly_broken_load():
    frame = pd.DataFrame(
        {
            "entity": ["events"],
            "files": [1],
            "rows_read": [10],
            "rows_rejected": [6],
            "reject_share": [0.6],
            "unreadable_files": [0],
        }
    )
    assert _failures(load_rejects.build_suite(0.05), frame, ["entity"]) == {
        ("expect_column_values_to_be_between", "reject_share"): ["events: reject_share=0.6"]
    }
    assert _failures(load_rejects.build_suite(0.7), frame) == {}
    # A file that could not be read: its rows count nowhere, so it stops the load by itself.
    unreadable = frame.assign(reject_share=[0.0], rows_rejected=[0], unreadable_files=[1])
    assert _failures(load_rejects.build_suite(0.7), unreadable, ["entity"]) == {
        ("expect_column_values_to_be_between", "unreadable_files"): ["events: unreadable_files=1"]
    }


def test_staged_leads_catch_duplicate_lead_ids():
    frame = _leads(lead_id=["L1", "L1", "L3"]).rename(columns={"country": "country_code"})
    failures = _failures(staged_leads.build_suite(0.99), frame, staged_leads.KEY)
    assert failures == {("expect_column_values_to_be_unique", "lead_id"): ["L1", "L1"]}


def test_staged_events_catch_rows_staging_dropped_or_repeated():
    suite = staged_events.build_suite()
    counts = pd.DataFrame({"loaded_rows": [3], "staged_rows": [3], "staged_event_ids": [3]})
    assert _failures(suite, counts) == {}
    assert _failures(suite, counts * 0) == {}  # a run that loaded no events
    dropped = _failures(suite, counts.assign(staged_rows=[2], staged_event_ids=[2]))
    assert dropped == {
        ("expect_column_pair_values_to_be_equal", "staged_rows, loaded_rows"): ["(2, 3)"]
    }
    repeated = _failures(suite, counts.assign(staged_rows=[4]))
    assert repeated == {
        ("expect_column_pair_values_to_be_equal", "staged_rows, loaded_rows"): ["(4, 3)"],
        ("expect_column_pair_values_to_be_equal", "staged_event_ids, staged_rows"): ["(3, 4)"],
    }


def test_event_freshness_fails_when_the_newest_event_is_too_old_and_passes_without_events():
    suite = staged_events.build_freshness_suite(72)
    assert _failures(suite, pd.DataFrame({"newest_event_age_hours": [12.0]})) == {}
    failures = _failures(suite, pd.DataFrame({"newest_event_age_hours": [240.0]}))
    assert failures == {("expect_column_values_to_be_between", "newest_event_age_hours"): ["240.0"]}
    assert _failures(suite, pd.DataFrame({"newest_event_age_hours": [None]})) == {}


def _mart(**overrides) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "lead_id": ["L1", "L2"],
            "lifecycle_stage": ["mql", "sql"],
            "fit_grade": ["A", "C"],
            "demographic_score": [45, 5],
            "firmographic_score": [30, 0],
            "behavioural_score": [75, 10],
            "timing_score": [25, 5],
            "fit_score": [75, 5],
            "engagement_score": [100, 15],
            "combined_score": [175, 20],
        }
    )
    return frame.assign(**overrides)


def test_leads_mart_catches_unknown_stages_scores_out_of_bounds_and_size_jumps():
    suite = leads_mart.build_suite(BOUNDS)
    assert _failures(suite, _mart()) == {}
    failures = _failures(
        suite, _mart(lifecycle_stage=["mql", "zombie"], behavioural_score=[76, 10]), ["lead_id"]
    )
    assert failures[("expect_column_values_to_be_in_set", "lifecycle_stage")] == [
        "L2: lifecycle_stage=zombie"
    ]
    assert failures[("expect_column_values_to_be_between", "behavioural_score")] == [
        "L1: behavioural_score=76"
    ]
    shrunk = row_count_suite("leads_mart_row_count", RowCountChange(0.95, 1.5).bounds(10))
    assert _failures(shrunk, row_count_frame(2)) == {
        ("expect_column_values_to_be_between", "row_count"): ["2"]
    }


def test_scores_as_duckdb_returns_them_are_judged_like_wide_numbers():
    # DuckDB hands INTEGER, SMALLINT and REAL columns to pandas as int32, int16 and float32;
    # the suites widen them before Great Expectations compares them with the bounds.
    frame = duckdb.sql(
        "select lead_id, lifecycle_stage, fit_grade, demographic_score,"
        " cast(firmographic_score as smallint) as firmographic_score,"
        " cast(behavioural_score as real) as behavioural_score,"
        " timing_score, fit_score, engagement_score, combined_score"
        " from (values ('L1', 'mql', 'A', 45, 30, 76.5, 25, 75, 100, 175),"
        " ('L2', 'sql', 'C', 5, -3, 10, 5, 5, 15, 20))"
        f" as scores({', '.join(_mart().columns)})"
    ).df()
    assert str(frame["demographic_score"].dtype) == "int32"
    assert str(frame["firmographic_score"].dtype) == "int16"
    assert str(frame["behavioural_score"].dtype) == "float32"
    failures = _failures(leads_mart.build_suite(BOUNDS), frame, ["lead_id"])
    assert failures == {
        ("expect_column_values_to_be_between", "behavioural_score"): ["L1: behavioural_score=76.5"],
        ("expect_column_values_to_be_between", "firmographic_score"): ["L2: firmographic_score=-3"],
    }
    assert _failures(leads_mart.build_suite(BOUNDS), frame.head(0)) == {}


def test_narrow_numbers_are_widened_for_great_expectations_and_others_kept():
    frame = pd.DataFrame(
        {
            "int32": pd.Series([1], dtype="int32"),
            "uint16": pd.Series([1], dtype="uint16"),
            "float32": pd.Series([0.5], dtype="float32"),
            "uint64": pd.Series([2**63], dtype="uint64"),
            "flag": [True],
            "nullable": pd.Series([None], dtype="Int32"),
            "text": ["a"],
        }
    )
    widened = _with_wide_numbers(frame)
    assert [str(dtype) for dtype in widened.dtypes] == [
        "int64",
        "int64",
        "float64",
        "uint64",
        "bool",
        "Int32",
        str(frame["text"].dtype),
    ]
    assert widened.iloc[0].tolist()[:4] == [1, 1, 0.5, 2**63]


def test_score_snapshots_and_stage_history_catch_their_faults():
    snapshots = _mart().drop(columns=["lifecycle_stage"])
    assert _failures(score_snapshots.build_suite(BOUNDS), snapshots) == {}
    failures = _failures(
        score_snapshots.build_suite(BOUNDS),
        snapshots.assign(engagement_score=[101, 15]),
        ["lead_id"],
    )
    assert failures == {
        ("expect_column_values_to_be_between", "engagement_score"): ["L1: engagement_score=101"]
    }
    stages = pd.DataFrame(
        {
            "lead_id": ["L1", "L1"],
            "lifecycle_stage": ["sql", "limbo"],
            "entered_at": pd.to_datetime(["2026-06-01"] * 2),
        }
    )
    failures = _failures(stage_history.build_suite(), stages, ["lead_id"])
    assert set(failures) == {
        ("expect_column_values_to_be_unique", "lead_id"),
        ("expect_column_values_to_be_in_set", "lifecycle_stage"),
    }


def _published(**overrides) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "lead_id": ["L1", "L2", "L3"],
            "sales_owner": ["maria@example.com", None, None],
            "territory": ["emea_north", "apac", None],
            "sql_at": pd.to_datetime(["2026-06-01"] * 3),
            "combined_score": [120, 110, 101],
            "engagement_score": [60, 50, 40],
            "lifecycle_stage": ["sql", "sql", "sql"],
            "is_do_not_contact": [False, False, False],
            "has_withdrawn_consent": [False, False, False],
            "has_erasure_request": [False, False, False],
        }
    )
    return frame.assign(**overrides)


@pytest.mark.parametrize(
    ("fault", "overrides", "expectation", "column"),
    [
        ("no owner or territory", {}, "expect_column_values_to_not_be_null", "sales_owner"),
        (
            "do not contact",
            {"is_do_not_contact": [True, False, False]},
            "expect_column_values_to_be_in_set",
            "is_do_not_contact",
        ),
        (
            "consent withdrawn",
            {"has_withdrawn_consent": [True, False, False]},
            "expect_column_values_to_be_in_set",
            "has_withdrawn_consent",
        ),
        (
            "erasure requested",
            {"has_erasure_request": [True, False, False]},
            "expect_column_values_to_be_in_set",
            "has_erasure_request",
        ),
        (
            "not an SQL now",
            {"lifecycle_stage": ["opportunity", "sql", "sql"]},
            "expect_column_values_to_be_in_set",
            "lifecycle_stage",
        ),
        (
            "duplicate lead",
            {"lead_id": ["L1", "L1", "L3"]},
            "expect_column_values_to_be_unique",
            "lead_id",
        ),
    ],
)
def test_publish_list_catches_leads_sales_must_not_get(fault, overrides, expectation, column):
    suite = publish_list.build_suite(BOUNDS)
    clean = _published(territory=["emea_north", "apac", "latam"])
    assert _failures(suite, clean) == {}
    frame = (
        _published(**overrides) if fault == "no owner or territory" else clean.assign(**overrides)
    )
    failures = _failures(suite, frame, publish_list.KEY)
    assert list(failures) == [(expectation, column)], fault
    assert any(example.startswith("L") for example in failures[(expectation, column)])


def test_publish_list_size_is_checked_against_the_last_good_run():
    change = RowCountChange(min_ratio=0.33, max_ratio=3.0, min_previous_rows=20)
    assert change.bounds(None) is None
    assert change.bounds(10) is None  # too small a list to judge by ratio
    assert change.bounds(30) == (9, 90)
    suite = row_count_suite("publish_list_row_count", change.bounds(30))
    assert _failures(suite, row_count_frame(30)) == {}
    assert _failures(suite, row_count_frame(3)) == {
        ("expect_column_values_to_be_between", "row_count"): ["3"]
    }


def test_the_gates_file_is_validated(tmp_path):
    settings = load_gate_settings()
    assert settings.max_reject_share == 0.05
    assert settings.row_count_change["sql_publish_list"].min_previous_rows == 20
    bad = tmp_path / "gates.yml"
    bad.write_text(
        "max_reject_share: 2\nmax_event_age: 3\ndata_docs_days_kept: 0.5\n"
        "row_count_change: {leads: {min_ratio: 2, max_ratio: 1}}\n"
    )
    with pytest.raises(GateSettingsError) as error:
        load_gate_settings(bad)
    message = str(error.value)
    assert "max_reject_share must be at most 1" in message
    assert "unknown key 'max_event_age'" in message
    assert "min_ratio is above max_ratio" in message
    assert "data_docs_days_kept must be a number >= 1, got 0.5" in message


def test_a_raw_gate_validates_readmitted_rows_and_skips_a_run_that_loaded_nothing(tmp_path):
    con = duckdb.connect()
    ensure_raw_schema(con)
    con.execute(checks.ROW_COUNTS_DDL + checks.LOAD_VERDICTS_DDL)  # as the gate does
    quality = QualityArea(path=str(tmp_path), gates_file=str(tmp_path / "gates.yml"))
    run = GateRun(con, "run-2", GateSettings(), quality)
    events_gate = checks._raw_validations(ENTITIES["events"])
    insert_event = (
        "insert into raw.events (event_id, lead_id, event_type, occurred_at, _source_file,"
        " _file_seq, _load_id, _loaded_at) values (?, ?, ?, timestamp '2026-06-01', 'e.csv', 1,"
        " ?, now())"
    )
    con.execute(insert_event, ["E1", "L1", "page_view", "run-1"])
    assert events_gate(run) == []  # no file and no row of this run
    # An event that waited for its lead, readmitted by this run without a new events file.
    con.execute(insert_event, ["E2", "L2", "teleport", "run-2"])
    summaries = events_gate(run)
    assert [(s.suite, s.rows, s.success) for s in summaries] == [
        ("raw_events", 1, False),
        ("load_rejects", 0, True),
    ]
    run.remember_load_verdicts(passed=False)
    # A file whose every row was rejected loads nothing, and is judged all the same; so is the
    # failed load of run-2, again.
    con.execute(
        "insert into raw._ingested_files values ('events', 'bad.csv', 1, 1, 'sha', 2, 'loaded',"
        " null, 40, 0, 40, 'run-3', now())"
    )
    run = GateRun(con, "run-3", GateSettings(), quality)
    summaries = events_gate(run)
    assert run.judged_loads == ("events", ["run-2", "run-3"])
    assert [(s.suite, s.rows, s.success) for s in summaries] == [
        ("raw_events", 1, False),
        ("load_rejects", 1, False),
    ]
    # Accepted by hand, run-2's load is no longer judged.
    con.execute("update quality.raw_load_verdicts set passed = true where load_id = 'run-2'")
    summaries = events_gate(GateRun(con, "run-3", GateSettings(), quality))
    assert [(s.suite, s.rows, s.success) for s in summaries] == [
        ("raw_events", 0, True),
        ("load_rejects", 1, False),
    ]


def test_a_large_query_is_validated_in_slices_with_the_result_of_one_frame(tmp_path, monkeypatch):
    con = duckdb.connect()
    con.execute(
        "create table events as select 'E' || (i % 45) as event_id, 'L' || i as lead_id, "
        "case when i % 10 = 0 then 'teleport' else 'page_view' end as event_type, "
        "timestamp '2026-06-01' as occurred_at from range(50) as r(i)"
    )
    suite = raw_suite(ENTITIES["events"], GateSettings())
    sql = "select * from events where occurred_at < $before"
    quality = QualityArea(path=str(tmp_path), gates_file=str(tmp_path / "gates.yml"))
    run = GateRun(con, "run", GateSettings(), quality)
    before = datetime(2026, 6, 2)
    whole = run.validate_query(suite, sql, ["event_id"], before=before)

    monkeypatch.setattr(checks, "FRAME_ROWS", 7)
    sliced = run.validate_query(suite, sql, ["event_id"], before=before)
    # The slices were read from one temp table, which is gone.
    assert not con.execute(
        "select * from duckdb_tables() where table_name = ?", [checks.SLICED_ROWS]
    ).fetchall()

    def failures(summary):
        return {
            (f["expectation"], f["column"]): (f["unexpected_count"], len(f["examples"]))
            for f in summary.failures
        }

    # E0..E4 appear twice: the duplicates meet in one slice whatever the slicing.
    assert (
        failures(whole)
        == failures(sliced)
        == {
            ("expect_column_values_to_be_unique", "event_id"): (10, 10),
            ("expect_column_values_to_be_in_set", "event_type"): (5, 5),
        }
    )
    assert (sliced.rows, sliced.failed, sliced.success) == (50, 2, False)
    assert sliced.evaluated == whole.evaluated


def test_a_sliced_table_has_its_size_checked_on_the_whole_count(tmp_path, monkeypatch):
    # A second run over a table larger than one frame: the last good run had 50 leads.
    con = duckdb.connect()
    scores = ", ".join(f"10 as {column}" for column in SCORE_COLUMNS)
    con.execute(
        "create schema marts; create table marts.leads as select 'L' || i as lead_id, "
        f"'mql' as lifecycle_stage, 'B' as fit_grade, {scores} from range(50) as r(i)"
    )
    con.execute(checks.ROW_COUNTS_DDL)
    con.execute(
        "insert into quality.gate_row_counts (table_name, run_id, row_count, recorded_at)"
        " values ('leads', 'before', 50, now())"
    )
    settings = GateSettings(row_count_change={"leads": RowCountChange(0.95, 1.5)})
    quality = QualityArea(path=str(tmp_path), gates_file=str(tmp_path / "gates.yml"))
    monkeypatch.setattr(checks, "FRAME_ROWS", 7)

    passed = checks._leads_mart(GateRun(con, "same size", settings, quality))
    assert [(summary.suite, summary.rows, summary.success) for summary in passed] == [
        ("leads_mart", 50, True),
        ("leads_mart_row_count", 1, True),
    ]

    con.execute("delete from marts.leads where lead_id >= 'L3'")  # L0-L2 and L10-L29 are left
    shrunk = checks._leads_mart(GateRun(con, "shrunk", settings, quality))
    assert [summary.success for summary in shrunk] == [True, False]
    assert describe_failure({"suite": "leads_mart_row_count", **shrunk[1].failures[0]}) == (
        "leads_mart_row_count/expect_column_values_to_be_between on row_count: "
        "1 rows outside min_value=47.0, max_value=75.0, e.g. ['23']"
    )


def test_a_size_expectation_is_refused_in_a_sliced_suite(tmp_path, monkeypatch):
    con = duckdb.connect()
    con.execute("create table events as select 'E' || i as event_id from range(20) as r(i)")
    suite = gx.ExpectationSuite(
        name="sized", expectations=[gxe.ExpectTableRowCountToBeBetween(min_value=20)]
    )
    quality = QualityArea(path=str(tmp_path), gates_file=str(tmp_path / "gates.yml"))
    run = GateRun(con, "run", GateSettings(), quality)
    assert run.validate_query(suite, "select * from events", ["event_id"]).success
    monkeypatch.setattr(checks, "FRAME_ROWS", 7)
    with pytest.raises(ValueError, match="validate_row_count"):
        run.validate_query(suite, "select * from events", ["event_id"])


# Frees about 250 MB of small heap blocks below a block still in use, which glibc keeps.
_FREED_HEAP_SCRIPT = """
from orchestration.resources import return_freed_memory

def rss_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmRSS"))

blocks = [bytes(600) + bytes([i % 256]) for i in range(400_000)]
still_used = bytes(700)
del blocks
before = rss_mb()
return_freed_memory()
print(before, rss_mb())
"""


def test_freed_memory_goes_back_to_the_system_before_dbt_runs():
    # In a process of its own: the test runner's memory would blur the figures.
    output = subprocess.run(
        [sys.executable, "-c", _FREED_HEAP_SCRIPT], capture_output=True, text=True, check=True
    ).stdout
    before, after = (int(value) for value in output.split())
    assert before - after > 150, (before, after)
