"""Ingest on small hand-made landing folders: every contract rule, reruns, late data, formats.

The ingest assets are materialized with Dagster's ``materialize`` against a real DuckDB file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dagster_duckdb import DuckDBResource

from orchestration.ingest import loader
from orchestration.ingest.assets import build_ingest_assets, erased_leads
from orchestration.ingest.contract import ENTITIES
from orchestration.resources import LandingZone

LEADS_HEADER = "lead_id,created_at,email,job_title,consent_marketing,employee_band\n"


def write(landing: Path, relative: str, text: str) -> Path:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def ingest(landing: Path, warehouse: Path, *more_assets) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [*build_ingest_assets(), *more_assets],
        resources={
            "warehouse": DuckDBResource(database=str(warehouse)),
            "landing": LandingZone(path=str(landing)),
        },
        raise_on_error=False,
    )


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def rejects(warehouse: Path, entity: str) -> list[tuple]:
    return query(
        warehouse,
        f"select _source_file, coalesce(_row_number, _line_number), reason_code, reason"
        f" from raw.{entity}_rejects order by all",
    )


@pytest.fixture
def landing(tmp_path) -> Path:
    path = tmp_path / "landing"
    write(
        path,
        "leads/leads_1.csv",
        LEADS_HEADER + "L1,2026-05-01T10:00:00Z,a@x.io,CTO,true,50-200\n"
        "L2,2026-05-01 11:00:00,b@x.io,VP Sales,false,\n",
    )
    return path


def test_each_contract_rule_quarantines_the_row_with_its_reason(landing, tmp_path):
    write(
        landing,
        "leads/leads_2.csv",
        LEADS_HEADER + "L3,not-a-date,c@x.io,CEO,true,\n"  # 1 unparseable timestamp
        "L4,2026-05-02T10:00:00Z,d@x.io,CEO,maybe,\n"  # 2 unparseable boolean
        ",2026-05-02T10:00:00Z,e@x.io,CEO,true,\n"  # 3 missing lead_id
        "L5,2099-01-01T00:00:00Z,f@x.io,CEO,true,\n"  # 4 future
        "L6,2026-05-02T10:00:00Z,g@x.io,CEO,true,\n"  # 5 fine
        "L6,2026-05-02T10:00:00Z,g@x.io,CEO,true,\n",  # 6 same id twice in one file
    )
    write(
        landing,
        "events/events.jsonl",
        "\n".join(
            [
                '{"event_id":"E1","lead_id":"L1","event_type":"page_view",'
                '"occurred_at":"2026-05-02T00:00:00Z","page_url":"https://x.io/pricing"}',
                '{"event_id":"E2","lead_id":"L404","event_type":"page_view",'
                '"occurred_at":"2026-05-02T00:00:00Z"}',
                '{"event_id":"E3","lead_id":"L1","event_type":"teleport",'
                '"occurred_at":"2026-05-02T00:00:00Z"}',
                '{"event_id":"E4","lead_id":"L1","event_type":"email_open",'
                '"occurred_at":"2026-05-02T00:00:00Z","properties":"{not json"}',
                '{"event_id":"E5", broken',
            ]
        )
        + "\n",
    )
    write(
        landing,
        "opportunities/opportunities.csv",
        "opportunity_id,lead_id,created_at,amount,closed_at,is_won\n"
        "O1,L1,2026-05-10T00:00:00Z,-5,,\n"
        "O2,L1,2026-05-10T00:00:00Z,100,2026-05-01T00:00:00Z,false\n"
        "O3,L2,2026-05-10T00:00:00Z,100,2026-05-20T00:00:00Z,true\n",
    )
    write(
        landing,
        "marketing_spend/spend.csv",
        "spend_date,source,amount\n2026-05-01,paid_search,100\n2026-05-01,paid_social,-1\n",
    )
    write(
        landing, "privacy_requests/requests.csv", "request_type,requested_at\nerasure,2026-05-01\n"
    )
    warehouse = tmp_path / "warehouse.duckdb"

    assert ingest(landing, warehouse).success
    assert [row[2] for row in rejects(warehouse, "leads")] == [
        "unparseable_type",
        "unparseable_type",
        "missing_required",
        "future_timestamp",
        "duplicate_id_in_file",
    ]
    lead_reasons = [row[3] for row in rejects(warehouse, "leads")]
    assert 'created_at "not-a-date" is not a valid timestamp' in lead_reasons
    assert "lead_id L6 appears more than once in the file (first at row 5)" in lead_reasons
    assert query(warehouse, "select lead_id from raw.leads order by 1") == [
        ("L1",),
        ("L2",),
        ("L6",),
    ]
    assert [(row[1], row[2]) for row in rejects(warehouse, "events")] == [
        (2, "unknown_lead"),
        (3, "unaccepted_value"),
        (4, "unparseable_type"),
        (5, "malformed_line"),
    ]
    assert [row[2] for row in rejects(warehouse, "opportunities")] == [
        "negative_value",
        "closed_before_created",
    ]
    assert [row[2] for row in rejects(warehouse, "marketing_spend")] == ["negative_value"]
    assert (
        rejects(warehouse, "privacy_requests")[0][3] == "a privacy request needs lead_id or email"
    )


def test_rerun_adds_no_duplicates_and_new_files_are_picked_up(landing, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    assert ingest(landing, warehouse).success
    assert ingest(landing, warehouse).success
    assert query(warehouse, "select count(*) from raw.leads") == [(2,)]

    # Same content with a new modification time (a copy, a regenerated file): not loaded again.
    os.utime(landing / "leads" / "leads_1.csv", ns=(1, 1))
    result = ingest(landing, warehouse)
    metadata = result.asset_materializations_for_node("raw__leads")[0].metadata
    assert metadata["files_unchanged"].value == ["leads/leads_1.csv"]
    assert query(warehouse, "select count(*) from raw.leads") == [(2,)]

    write(landing, "leads/leads_2.csv", LEADS_HEADER + "L3,2026-05-03T10:00:00Z,c@x.io,CEO,,\n")
    result = ingest(landing, warehouse)
    metadata = result.asset_materializations_for_node("raw__leads")[0].metadata
    assert metadata["files_loaded"].value == 1
    assert metadata["rows_accepted"].value == 1
    assert query(warehouse, "select count(*) from raw.leads") == [(3,)]

    # The file changes, then goes back to its first content with its first modification time (a
    # restore that keeps times): each change is loaded.
    path = landing / "leads" / "leads_1.csv"
    first, first_mtime = path.read_text(), path.stat().st_mtime_ns
    write(landing, "leads/leads_1.csv", first.replace("CTO", "Intern"))
    assert ingest(landing, warehouse).success
    write(landing, "leads/leads_1.csv", first)
    os.utime(path, ns=(first_mtime, first_mtime))
    assert ingest(landing, warehouse).success
    assert query(
        warehouse, "select job_title from raw.leads where lead_id = 'L1' order by _file_seq"
    ) == [("CTO",), ("Intern",), ("CTO",)]


def test_an_event_id_seen_before_is_a_duplicate(landing, tmp_path):
    event = "event_id,lead_id,event_type,occurred_at\nE1,L1,email_open,2026-05-02T00:00:00Z\n"
    write(landing, "events/day_1.csv", event)
    warehouse = tmp_path / "warehouse.duckdb"
    assert ingest(landing, warehouse).success
    write(landing, "events/day_2.csv", event)
    assert ingest(landing, warehouse).success
    assert query(warehouse, "select count(*) from raw.events") == [(1,)]
    assert [row[2:] for row in rejects(warehouse, "events")] == [
        ("duplicate_record", "event_id E1 was loaded before")
    ]


def test_an_event_sent_in_several_files_of_one_run_loads_once(landing, tmp_path):
    event = "event_id,lead_id,event_type,occurred_at\nE1,L1,email_open,2026-05-02T00:00:00Z\n"
    write(landing, "events/day_1.csv", event)
    write(landing, "events/day_2.csv", event)
    write(
        landing,
        "events/day_3.jsonl",
        '{"event_id": "E1", "lead_id": "L1", "event_type": "email_open",'
        ' "occurred_at": "2026-05-02T00:00:00Z"}\n',
    )
    warehouse = tmp_path / "warehouse.duckdb"
    assert ingest(landing, warehouse).success
    assert query(warehouse, "select _source_file from raw.events") == [("events/day_1.csv",)]
    assert [row[::2] for row in rejects(warehouse, "events")] == [
        ("events/day_2.csv", "duplicate_record"),
        ("events/day_3.jsonl", "duplicate_record"),
    ]


def test_an_event_waiting_for_its_lead_and_sent_again_is_admitted_once(landing, tmp_path):
    event = "event_id,lead_id,event_type,occurred_at\nE9,L9,demo_booked,2026-05-02T00:00:00Z\n"
    write(landing, "events/day_1.csv", event)
    warehouse = tmp_path / "warehouse.duckdb"
    assert ingest(landing, warehouse).success
    write(landing, "events/day_2.csv", event)
    assert ingest(landing, warehouse).success
    assert [row[::2] for row in rejects(warehouse, "events")] == [
        ("events/day_1.csv", "unknown_lead"),
        ("events/day_2.csv", "duplicate_record"),
    ]
    write(landing, "leads/leads_late.csv", LEADS_HEADER + "L9,2026-05-01T00:00:00Z,,,,\n")
    assert ingest(landing, warehouse).success
    assert query(warehouse, "select event_id, _source_file from raw.events") == [
        ("E9", "events/day_1.csv")
    ]


def test_a_corrected_copy_of_a_rejected_or_waiting_event_loads(landing, tmp_path):
    header = "event_id,lead_id,event_type,occurred_at\n"
    # In one run: a copy with a bad event type, then the corrected copy in a later file.
    write(landing, "events/day_1.csv", header + "E1,L1,teleport,2026-05-02T00:00:00Z\n")
    write(landing, "events/day_2.csv", header + "E1,L1,email_open,2026-05-02T00:00:00Z\n")
    # Across runs: a copy waiting for a lead that does not exist, then the corrected copy.
    write(landing, "events/day_3.csv", header + "E2,L404,email_open,2026-05-02T00:00:00Z\n")
    warehouse = tmp_path / "warehouse.duckdb"
    assert ingest(landing, warehouse).success
    write(landing, "events/day_4.csv", header + "E2,L2,email_open,2026-05-02T00:00:00Z\n")
    assert ingest(landing, warehouse).success
    assert query(warehouse, "select event_id, _source_file from raw.events order by 1") == [
        ("E1", "events/day_2.csv"),
        ("E2", "events/day_4.csv"),
    ]
    # The waiting copy became a duplicate of the loaded event: it does not load when its lead
    # arrives.
    write(landing, "leads/leads_late.csv", LEADS_HEADER + "L404,2026-05-01T00:00:00Z,,,,\n")
    assert ingest(landing, warehouse).success
    assert query(warehouse, "select count(*) from raw.events") == [(2,)]
    assert [row[::2] for row in rejects(warehouse, "events")] == [
        ("events/day_1.csv", "unaccepted_value"),
        ("events/day_3.csv", "duplicate_record"),
    ]


def test_a_key_is_compared_as_its_typed_value_within_a_file_and_across_loads(landing, tmp_path):
    header = "lead_id,assessed_at,framework,verdict,budget,authority,need,timeline\n"
    write(
        landing,
        "sales_qualification/first.csv",
        header
        + "L1,2026-05-03T10:00:00Z,bant,accepted,1,1,1,1\n"
        + "L2,2026-05-03T11:00:00Z,bant,accepted,1,1,1,1\n"
        + "L2,2026-05-03 11:00:00,bant,accepted,1,1,1,1\n",
    )
    warehouse = tmp_path / "warehouse.duckdb"
    assert ingest(landing, warehouse).success
    # The first file sent again with its timestamps written another way.
    write(
        landing,
        "sales_qualification/resent.csv",
        header + "L1,2026-05-03 10:00:00+00:00,bant,accepted,1,1,1,1\n",
    )
    assert ingest(landing, warehouse).success
    assert query(warehouse, "select lead_id from raw.sales_qualification order by 1") == [
        ("L1",),
        ("L2",),
    ]
    assert [row[2] for row in rejects(warehouse, "sales_qualification")] == [
        "duplicate_id_in_file",
        "duplicate_record",
    ]


def test_late_event_is_admitted_on_the_first_run_after_its_lead_arrives(landing, tmp_path):
    write(
        landing,
        "events/day_1.csv",
        "event_id,lead_id,event_type,occurred_at\nE9,L9,demo_booked,2026-05-02T00:00:00Z\n",
    )
    warehouse = tmp_path / "warehouse.duckdb"
    assert ingest(landing, warehouse).success
    assert [row[2] for row in rejects(warehouse, "events")] == ["unknown_lead"]

    write(landing, "leads/leads_late.csv", LEADS_HEADER + "L9,2026-05-01T00:00:00Z,,,,\n")
    result = ingest(landing, warehouse)
    assert (
        result.asset_materializations_for_node("raw__events")[0].metadata["rows_readmitted"].value
        == 1
    )
    assert query(warehouse, "select event_id, _source_file, _row_number from raw.events") == [
        ("E9", "events/day_1.csv", 1)
    ]
    assert rejects(warehouse, "events") == []


def test_extra_columns_are_kept_and_later_versions_are_appended(landing, tmp_path):
    write(
        landing,
        "leads/leads_2.csv",
        LEADS_HEADER.replace("\n", ",Total Visits\n")
        + "L1,2026-05-01T10:00:00Z,a@x.io,Chief Revenue Officer,true,50-200,12\n",
    )
    warehouse = tmp_path / "warehouse.duckdb"
    assert ingest(landing, warehouse).success
    versions = query(
        warehouse,
        "select job_title, _extra_columns from raw.leads where lead_id = 'L1' order by _file_seq",
    )
    assert [title for title, _ in versions] == ["CTO", "Chief Revenue Officer"]
    assert json.loads(versions[1][1]) == {"employee_band": "50-200", "total visits": "12"}


def test_parquet_and_jsonl_files_load_like_csv(landing, tmp_path):
    (landing / "accounts").mkdir()
    pq.write_table(
        pa.table(
            {
                "account_id": ["A1", "A2"],
                "employee_count": pa.array([120, -3], pa.int64()),
                "tech_stack": ["dbt;snowflake", None],
            }
        ),
        landing / "accounts" / "accounts.parquet",
    )
    write(
        landing,
        "sales_qualification/assessments.jsonl",
        '{"lead_id":"L1","assessed_at":"2026-05-05T00:00:00Z","framework":"bant",'
        '"budget":true,"authority":true,"need":false,"timeline":true,"verdict":"accepted"}\n',
    )
    warehouse = tmp_path / "warehouse.duckdb"
    assert ingest(landing, warehouse).success
    assert query(warehouse, "select account_id, employee_count from raw.accounts") == [("A1", 120)]
    assert rejects(warehouse, "accounts") == [
        ("accounts/accounts.parquet", 2, "negative_value", "employee_count is negative (-3)")
    ]
    assert query(warehouse, "select framework, budget, need from raw.sales_qualification") == [
        ("bant", True, False)
    ]


def test_optional_entities_without_a_folder_give_empty_tables(landing, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    assert ingest(landing, warehouse).success
    for entity in ENTITIES:
        if entity != "leads":
            assert query(warehouse, f"select count(*) from raw.{entity}") == [(0,)]


def test_a_landing_folder_without_leads_fails_with_a_clear_message(tmp_path):
    result = ingest(tmp_path, tmp_path / "warehouse.duckdb")
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "has no leads/ folder" in failure.event_specific_data.user_failure_data.description


def test_a_file_duckdb_cannot_read_is_reported_not_loaded(landing, tmp_path):
    (landing / "leads" / "broken.parquet").write_bytes(b"this is not parquet")
    warehouse = tmp_path / "warehouse.duckdb"
    result = ingest(landing, warehouse)
    assert result.success
    metadata = result.asset_materializations_for_node("raw__leads")[0].metadata
    assert "leads/broken.parquet" in metadata["files_unreadable"].value
    assert query(
        warehouse, "select status from raw._ingested_files where source_file like '%broken%'"
    ) == [("unreadable",)]
    assert [row[2] for row in rejects(warehouse, "leads")] == ["unreadable_file"]


def test_csv_files_read_together_keep_their_own_columns_rows_and_rejects(
    landing, tmp_path, monkeypatch
):
    # The loader reads many CSV files with one statement; each file still maps its own header,
    # numbers its own rows and owns its malformed lines, and a file the reader gives up on
    # (a line above the line size limit) sends the files back one by one, so only it is reported.
    write(
        landing,
        "leads/leads_2.csv",
        "created_at,lead_id,Favourite Colour\n"
        "2026-05-02T10:00:00Z,L3,green\n"
        "2026-05-02T10:00:00Z,L3,green\n",
    )
    write(landing, "leads/leads_3.csv", "lead_id,email\nL4,d@x.io\n")
    write(
        landing,
        "leads/leads_4.csv",
        LEADS_HEADER + "L5,2026-05-03T10:00:00Z,e@x.io,CTO,true,50-200,surplus\n"
        "L6,2026-05-03T10:00:00Z,f@x.io,CTO,true,50-200\n",
    )
    warehouse = tmp_path / "warehouse.duckdb"
    assert ingest(landing, warehouse).success
    assert rejects(warehouse, "leads") == [
        (
            "leads/leads_2.csv",
            2,
            "duplicate_id_in_file",
            "lead_id L3 appears more than once in the file (first at row 1)",
        ),
        ("leads/leads_3.csv", 1, "missing_required", "the file has no created_at column"),
        (
            "leads/leads_4.csv",
            2,
            "malformed_line",
            "line 2: TOO MANY COLUMNS: Expected Number of Columns: 6 Found: 7",
        ),
    ]
    assert query(
        warehouse,
        "select lead_id, _source_file, _row_number, _extra_columns ->> 'favourite colour'"
        " from raw.leads order by 1",
    ) == [
        ("L1", "leads/leads_1.csv", 1, None),
        ("L2", "leads/leads_1.csv", 2, None),
        ("L3", "leads/leads_2.csv", 1, "green"),
        ("L6", "leads/leads_4.csv", 1, None),
    ]
    assert query(
        warehouse,
        "select source_file, rows_read, rows_accepted, rows_rejected"
        " from raw._ingested_files order by 1",
    ) == [
        ("leads/leads_1.csv", 2, 2, 0),
        ("leads/leads_2.csv", 2, 1, 1),
        ("leads/leads_3.csv", 1, 0, 1),
        ("leads/leads_4.csv", 2, 1, 1),
    ]

    write(landing, "leads/leads_5.csv", LEADS_HEADER + "L7,2026-05-04T10:00:00Z,g@x.io,CTO,true,\n")
    write(
        landing,
        "leads/leads_6.csv",
        LEADS_HEADER + "L8," + "x" * 2048 + ",h@x.io,CTO,true,\n",
    )
    # The reader's limit is 64 MB; a 1 kB limit makes the same error without a 64 MB file.
    monkeypatch.setattr(loader, "MAX_CSV_LINE_BYTES", 1024)
    write(landing, "leads/leads_7.csv", LEADS_HEADER + "L9,2026-05-04T10:00:00Z,i@x.io,CTO,,\n")
    result = ingest(landing, warehouse)
    assert result.success
    metadata = result.asset_materializations_for_node("raw__leads")[0].metadata
    assert list(metadata["files_unreadable"].value) == ["leads/leads_6.csv"]
    assert metadata["files_loaded"].value == 2
    assert query(warehouse, "select lead_id from raw.leads where lead_id > 'L6' order by 1") == [
        ("L7",),
        ("L9",),
    ]
    assert query(
        warehouse,
        "select reason_code from raw.leads_rejects where _source_file = 'leads/leads_6.csv'",
    ) == [("unreadable_file",)]


def test_a_csv_file_loads_the_same_alone_or_read_with_others(tmp_path):
    # Read with a file that quotes its fields, a file with an unmatched quote was split by the
    # other's quoting: its three rows became one malformed line.
    quoted = LEADS_HEADER + 'L1,2026-05-01T10:00:00Z,a@x.io,"Head, Sales",true,\n'
    stray_quote = (
        LEADS_HEADER + 'L2,2026-05-01T10:00:00Z,b@x.io,"CTO,true,\n'
        "L3,2026-05-01T10:00:00Z,c@x.io,CEO,true,\nL4,2026-05-01T10:00:00Z,d@x.io,VP,true,\n"
    )
    loaded = {}
    for case, files in {
        "alone": {"leads/b.csv": stray_quote},
        "together": {"leads/a.csv": quoted, "leads/b.csv": stray_quote},
    }.items():
        for relative, text in files.items():
            write(tmp_path / case, relative, text)
        warehouse = tmp_path / f"{case}.duckdb"
        assert ingest(tmp_path / case, warehouse).success
        loaded[case] = query(
            warehouse,
            "select lead_id, job_title, _row_number from raw.leads"
            " where _source_file = 'leads/b.csv' order by 1",
        )
        assert rejects(warehouse, "leads") == []
    assert (
        loaded["together"]
        == loaded["alone"]
        == [
            ("L2", '"CTO', 1),
            ("L3", "CEO", 2),
            ("L4", "VP", 3),
        ]
    )


def test_an_erased_leads_quarantined_rows_lose_their_text_and_others_keep_it(landing, tmp_path):
    write(
        landing,
        "events/events.jsonl",
        "\n".join(
            [
                # L1's row rejected for its type, and a broken line that names L1.
                '{"event_id":"E1","lead_id":"L1","event_type":"teleport",'
                '"occurred_at":"2026-05-02T00:00:00Z","page_url":"https://x.io/a@x.io"}',
                '{"event_id":"E2","lead_id":"L1", broken',
                # L2's rejected row and broken line stay as they were.
                '{"event_id":"E3","lead_id":"L2","event_type":"teleport",'
                '"occurred_at":"2026-05-02T00:00:00Z"}',
                '{"event_id":"E4","lead_id":"L2", broken',
                # A broken line of L10, whose id holds L1's.
                '{"event_id":"E5","lead_id":"L10", broken',
            ]
        )
        + "\n",
    )
    write(
        landing,
        "privacy_requests/requests.csv",
        "request_type,requested_at,lead_id\nerasure,2026-05-03T00:00:00Z,L1\n",
    )
    warehouse = tmp_path / "warehouse.duckdb"

    result = ingest(landing, warehouse, erased_leads)

    assert result.success
    redacted = result.asset_materializations_for_node("raw__erased_leads")[0].metadata
    assert redacted["rows_redacted"].value["raw.events_rejects"] == 2
    kept = query(
        warehouse,
        "select coalesce(_row_number, _line_number), reason_code, record is not null"
        " from raw.events_rejects order by 1",
    )
    assert kept == [
        (1, "unaccepted_value", False),
        (2, "malformed_line", False),
        (3, "unaccepted_value", True),
        (4, "malformed_line", True),
        (5, "malformed_line", True),
    ]


def test_an_erased_leads_waiting_events_lose_their_personal_data_and_still_load(landing, tmp_path):
    write(
        landing,
        "events/day_1.csv",
        "event_id,lead_id,event_type,occurred_at,page_url\n"
        "E9,L9,demo_booked,2026-05-02T00:00:00Z,https://x.io/?email=n@private.io\n",
    )
    write(
        landing,
        "privacy_requests/requests.csv",
        "request_type,requested_at,lead_id\nerasure,2026-05-03T00:00:00Z,L9\n",
    )
    warehouse = tmp_path / "warehouse.duckdb"
    assert ingest(landing, warehouse, erased_leads).success
    assert query(warehouse, "select reason_code, record from raw.events_rejects") == [
        (
            "unknown_lead",
            '{"event_id":"E9","lead_id":"L9","event_type":"demo_booked",'
            '"occurred_at":"2026-05-02T00:00:00Z"}',
        )
    ]
    write(landing, "leads/leads_late.csv", LEADS_HEADER + "L9,2026-05-01T00:00:00Z,,,,\n")
    assert ingest(landing, warehouse, erased_leads).success
    assert query(warehouse, "select event_id, event_type, page_url from raw.events") == [
        ("E9", "demo_booked", None)
    ]


def test_erasure_reaches_a_lead_whose_every_row_was_quarantined(landing, tmp_path):
    # L3 and L4 are rejected (no valid created_at), so neither is in raw.leads; L3 is named by
    # its id, L4 only by its e-mail address.
    write(
        landing,
        "leads/leads_bad.csv",
        LEADS_HEADER + "L3,yesterday,c@private.io,,,\nL4,,D@Private.io,,,\n",
    )
    write(
        landing,
        "privacy_requests/requests.csv",
        "request_type,requested_at,lead_id,email\n"
        "erasure,2026-05-03T00:00:00Z,L3,\nerasure,2026-05-03T00:00:00Z,,d@private.io\n",
    )
    warehouse = tmp_path / "warehouse.duckdb"
    result = ingest(landing, warehouse, erased_leads)
    assert result.success
    assert query(warehouse, "select lead_id from raw.erased_leads order by 1") == [
        ("L3",),
        ("L4",),
    ]
    assert query(
        warehouse, "select _row_number, reason_code, record from raw.leads_rejects order by 1"
    ) == [(1, "unparseable_type", None), (2, "missing_required", None)]
    assert query(warehouse, "select lead_id, email from raw.privacy_requests order by 1") == [
        ("L3", None),
        ("L4", None),
    ]
