"""The bad-input corpus (tests/data/make_bad_input.py): for every broken landing file, ingest
either loads what is valid and quarantines the rest with its reason, or reports the file it could
not read; rows are conserved and no run fails with a traceback."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from orchestration.ingest import loader
from orchestration.ingest.assets import build_ingest_assets
from orchestration.ingest.contract import ENTITIES
from orchestration.resources import LandingZone
from tests.data.make_bad_input import CASES, write_case
from tests.test_ingest import ingest, rejects

# case -> {entity: (rows in its files, rows accepted, {reject reason: rows})}
EXPECTED = {
    "missing_required_column": {"leads": (2, 0, {"missing_required": 2})},
    "wrong_types": {"accounts": (2, 1, {"unparseable_type": 1})},
    "empty_file": {"leads": (1, 1, {})},
    "header_only": {"leads": (1, 1, {})},
    "truncated_last_line": {"leads": (3, 2, {"malformed_line": 1})},
    "semicolon_delimiter": {"leads": (1, 1, {})},
    "non_utf8_bytes": {"leads": (2, 1, {"malformed_line": 1})},
    "duplicate_ids": {"leads": (2, 1, {"duplicate_id_in_file": 1})},
    "events_for_unknown_leads": {"events": (1, 0, {"unknown_lead": 1})},
    "future_timestamps": {"events": (1, 0, {"future_timestamp": 1})},
    "closed_before_created": {"opportunities": (1, 0, {"closed_before_created": 1})},
    "negative_spend": {"marketing_spend": (1, 0, {"negative_value": 1})},
    "extra_unknown_columns": {"leads": (1, 1, {})},
    "huge_field": {"leads": (3, 3, {})},
    "invalid_json_properties": {"events": (1, 0, {"unparseable_type": 1})},
    "mixed_timestamp_formats": {"leads": (5, 4, {"unparseable_type": 1})},
    "byte_order_mark": {"leads": (1, 1, {})},
    "quoted_newlines": {"leads": (1, 1, {})},
    "crlf_line_ends": {"leads": (1, 1, {})},
    "parquet_with_another_schema": {"accounts": (1, 0, {"missing_required": 1})},
    "jsonl_with_a_broken_line": {"opportunities": (2, 1, {"malformed_line": 1})},
    "unknown_file_type": {"leads": (1, 1, {})},
    "spend_repeated_without_campaign": {"marketing_spend": (2, 1, {"duplicate_id_in_file": 1})},
    "columns_named_like_the_loaders": {"leads": (2, 2, {}), "accounts": (1, 1, {})},
    "pattern_characters_in_file_names": {"leads": (5, 5, {})},
    "numbers_not_whole_or_not_finite": {"accounts": (5, 1, {"unparseable_type": 4})},
    "partition_and_temporary_folders": {"leads": (1, 1, {}), "accounts": (1, 1, {})},
    "jsonl_with_byte_order_mark_and_non_ascii_keys": {"leads": (1, 1, {})},
    "jsonl_with_a_line_not_utf8": {"leads": (2, 1, {"malformed_line": 1})},
    "jsonl_with_odd_keys": {"leads": (1, 1, {})},
    "jsonl_keys_spelled_two_ways": {"leads": (2, 2, {})},
}


def test_the_corpus_covers_at_least_twenty_cases():
    assert set(EXPECTED) == set(CASES)
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_quarantined_with_its_reason_and_rows_are_conserved(case, tmp_path):
    landing = write_case(case, tmp_path)
    warehouse = tmp_path / "warehouse.duckdb"
    result = dg.materialize(
        build_ingest_assets(),
        resources={
            "warehouse": DuckDBResource(database=str(warehouse)),
            "landing": LandingZone(path=str(landing)),
        },
        raise_on_error=False,
    )
    assert result.success, "bad input must not fail the run"
    metadata = {
        event.asset_key.path[1]: event.materialization.metadata
        for event in result.get_asset_materialization_events()
    }
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for entity in ENTITIES:
            rows, accepted, reasons = EXPECTED[case].get(
                entity, (1, 1, {}) if entity == "leads" else (0, 0, {})
            )
            meta = metadata[entity]
            assert meta["rows_read"].value == rows, entity
            assert meta["rows_accepted"].value == accepted, entity
            assert meta["reject_reasons"].value == reasons, entity
            stored = con.execute(f"select count(*) from raw.{entity}").fetchall()[0][0]
            rejected = con.execute(
                f"select count(*) from raw.{entity}_rejects where reason != ''"
            ).fetchall()[0][0]
            assert stored + rejected == rows, f"{entity}: rows must be conserved"
    if case == "unknown_file_type":
        assert metadata["leads"]["files_ignored"].value == ["leads/notes.txt"]
    # Extra columns are kept, whatever their names.
    extras = {
        "extra_unknown_columns": ("leads", '{"favourite_colour":"green","lead score (old)":"55"}'),
        "columns_named_like_the_loaders": (
            "leads",
            '{"rowid":"7","_row_number":"x","_source_file":"y"}',
        ),
        "jsonl_with_byte_order_mark_and_non_ascii_keys": ("leads", '{"größe":"groß"}'),
        "jsonl_with_odd_keys": ("leads", r'{"":"e","a\u0001b":"c","d.t":"d","q\"t":"q","x/y":"s"}'),
    }
    if case in extras:
        entity, expected = extras[case]
        with duckdb.connect(str(warehouse), read_only=True) as con:
            extra = con.execute(
                f"select _extra_columns from raw.{entity} order by _row_number limit 1"
            ).fetchall()[0][0]
        assert extra == expected
    if case == "jsonl_keys_spelled_two_ways":
        with duckdb.connect(str(warehouse), read_only=True) as con:
            emails = con.execute("select lead_id, email from raw.leads order by 1").fetchall()
        assert emails == [("L1", "a@x.io"), ("L2", "b@x.io")]
    if case == "jsonl_with_a_line_not_utf8":
        assert rejects(warehouse, "leads") == [
            (
                "leads/leads.jsonl",
                2,
                "malformed_line",
                "line 2: not UTF-8 text (byte 75 of the line)",
            )
        ]
    if case == "pattern_characters_in_file_names":
        with duckdb.connect(str(warehouse), read_only=True) as con:
            loaded = con.execute(
                "select _source_file, lead_id from raw.leads order by 1"
            ).fetchall()
        assert loaded == [
            ("leads/leads.csv", "L1"),
            ("leads/leads1.csv", "L7"),
            ("leads/leads[1].csv", "L5"),
            ("leads/leads_?.jsonl", "L6"),
            ("leads/leads_a.jsonl", "L8"),
        ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.parquet", b"PAR1 this is not parquet", "Invalid"),
        # Read with its header taken for a data line, every row would miss its columns.
        (
            "latin1.csv",
            b"lead_id,created_at,pr\xe9nom\nL2,2026-05-01,Ren\n",
            "the header line is not UTF-8 text (byte 22): save the file as UTF-8",
        ),
    ],
)
def test_an_unreadable_file_is_one_reject_row_with_the_readers_message(
    name, content, message, tmp_path
):
    landing = tmp_path / "landing"
    (landing / "leads").mkdir(parents=True)
    (landing / "leads" / "leads.csv").write_text("lead_id,created_at\nL1,2026-05-01\n")
    (landing / "leads" / name).write_bytes(content)
    warehouse = tmp_path / "warehouse.duckdb"
    result = dg.materialize(
        build_ingest_assets(),
        resources={
            "warehouse": DuckDBResource(database=str(warehouse)),
            "landing": LandingZone(path=str(landing)),
        },
        raise_on_error=False,
    )
    assert result.success
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rejects = con.execute(
            "select _source_file, reason_code, reason from raw.leads_rejects"
        ).fetchall()
    assert len(rejects) == 1
    source_file, code, reason = rejects[0]
    assert (source_file, code) == (f"leads/{name}", "unreadable_file")
    assert reason.startswith("the file could not be read: ")
    assert message in reason
    assert "Traceback" not in reason


def test_a_file_the_process_may_not_open_is_reported_and_tried_again(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    (landing / "leads").mkdir(parents=True)
    (landing / "leads" / "leads.csv").write_text("lead_id,created_at\nL1,2026-05-01\n")
    locked = landing / "leads" / "locked.csv"
    locked.write_text("lead_id,created_at\nL2,2026-05-02\n")
    # The tests run as root, whom file permissions do not stop: the open fails as it would for
    # a file of another user with mode 0600.
    hash_file = loader._file_sha256

    def denied(path):
        if path == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return hash_file(path)

    monkeypatch.setattr(loader, "_file_sha256", denied)
    warehouse = tmp_path / "warehouse.duckdb"
    result = ingest(landing, warehouse)
    assert result.success
    metadata = result.asset_materializations_for_node("raw__leads")[0].metadata
    assert metadata["files_unreadable"].value == {
        "leads/locked.csv": "PermissionError: Permission denied"
    }
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select lead_id from raw.leads").fetchall() == [("L1",)]
        assert con.execute(
            "select _source_file, reason_code from raw.leads_rejects"
        ).fetchall() == [("leads/locked.csv", "unreadable_file")]

    monkeypatch.setattr(loader, "_file_sha256", hash_file)  # the permissions are fixed
    assert ingest(landing, warehouse).success
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select lead_id from raw.leads order by 1").fetchall() == [
            ("L1",),
            ("L2",),
        ]
