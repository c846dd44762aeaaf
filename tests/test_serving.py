"""BI serving: a reader holding the serving copy open never blocks or breaks the daily run, never
sees half an update, and sees the new data once it reconnects. The report opens offline."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from orchestration.cli import execute_daily_job
from orchestration.serving import report as report_module
from orchestration.serving.release import (
    FINGERPRINTS_NAME,
    REPORT_NAME,
    SERVING_DB_NAME,
    publish_release,
)
from tests.conftest import END_DATE

NEW_LEAD = (
    "lead_id,created_at,email,job_title,source\n"
    "N-0001,2026-06-30T08:00:00Z,new@late.example,CTO,referral\n"
)


def test_a_bi_reader_never_blocks_the_run_and_sees_new_data_after_reconnecting(pipeline_copy):
    landing = pipeline_copy.landing
    serving = pipeline_copy.warehouse.parent / "serving"

    previous_release = (serving / "current").resolve()
    reader = duckdb.connect(str(serving / "current" / SERVING_DB_NAME), read_only=True)
    leads_before = reader.execute("select count(*) from leads").fetchall()[0][0]

    (landing / "leads" / "zz_new.csv").write_text(NEW_LEAD)
    result = execute_daily_job()
    assert result.success

    # The open connection still reads the complete previous release ...
    assert reader.execute("select count(*) from leads").fetchall()[0][0] == leads_before
    stages = reader.execute("select sum(leads_in_stage) from leads_per_stage_daily").fetchall()
    assert stages[0][0] > 0
    reader.close()
    # ... and a new connection reads the new one.
    with duckdb.connect(str(serving / "current" / SERVING_DB_NAME), read_only=True) as fresh:
        assert fresh.execute("select count(*) from leads").fetchall()[0][0] == leads_before + 1
        assert fresh.execute("select count(*) from leads where lead_id = 'N-0001'").fetchall() == [
            (1,)
        ]
    releases = [p for p in (serving / "releases").iterdir() if not p.name.startswith(".")]
    assert (serving / "current").resolve() in releases
    assert not [p for p in (serving / "releases").iterdir() if p.name.startswith(".building")]
    # The score history's past days were not copied again: their Parquet files are the
    # previous release's (hard links), and the new release still holds every day.
    new_days = (serving / "current" / "lead_score_snapshots").resolve()
    old_days = previous_release / "lead_score_snapshots"
    linked = [
        day.name
        for day in old_days.iterdir()
        if (new_days / day.name).is_dir()
        and (new_days / day.name / "data_0.parquet").stat().st_ino
        == (day / "data_0.parquet").stat().st_ino
    ]
    assert len(linked) >= len(list(old_days.iterdir())) - 2
    assert pipeline_copy.query("select count(*) from marts.lead_score_snapshots") == _served_rows(
        serving / "current", "lead_score_snapshots"
    )


def test_every_mart_is_served_as_parquet_and_in_the_serving_database(pipeline):
    current = pipeline.warehouse.parent / "serving" / "current"
    marts = {
        name
        for (name,) in pipeline.query(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        )
    }
    by_day = {"lead_score_snapshots", "score_ledger"}
    assert {p.stem for p in current.glob("*.parquet")} == marts - by_day
    assert {p.name for p in current.iterdir() if p.is_dir()} == by_day
    with duckdb.connect(str(current / SERVING_DB_NAME), read_only=True) as con:
        served = {
            name for (name,) in con.execute("select table_name from duckdb_tables()").fetchall()
        }
        assert served == marts
        for mart in marts:
            table_rows = con.execute(f"select count(*) from {mart}").fetchall()
            assert (
                _served_rows(current, mart)
                == table_rows
                == pipeline.query(f"select count(*) from marts.{mart}")
            )


def _served_rows(release, mart: str) -> list[tuple[int]]:
    """Rows of a mart's Parquet: one file, or a folder of day partitions."""
    source = (
        f"'{release / mart}/*/*.parquet', hive_partitioning = true"
        if (release / mart).is_dir()
        else f"'{release / (mart + '.parquet')}'"
    )
    with duckdb.connect() as con:
        return con.execute(f"select count(*) from read_parquet({source})").fetchall()


def _warehouse_with_history(tmp_path, monkeypatch, history_sql: str) -> tuple[Path, Path]:
    """A warehouse whose by-day mart marts.history is ``history_sql``, and a serving folder;
    releases skip the report."""
    monkeypatch.setattr(report_module, "write_report", lambda database, path: path.touch())
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute(f"create table marts.history as {history_sql}")
    return warehouse, serving


def test_a_release_replaces_only_the_days_that_changed(tmp_path, monkeypatch):
    warehouse, serving = _warehouse_with_history(
        tmp_path,
        monkeypatch,
        "select date '2026-06-01' + cast(i as integer) as as_of_date, 'l' || j as lead_id,"
        " i * j as score from range(4) as d(i), range(3) as l(j)",
    )
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table marts.summary as select 1 as total")

    def release(run_id: str, **kwargs):
        return publish_release(
            warehouse, serving, run_id, ["history", "summary"], by_day_marts={"history"}, **kwargs
        )

    def served(path):
        with duckdb.connect(str(path / SERVING_DB_NAME), read_only=True) as con:
            table = con.execute("select * from history order by all").fetchall()
            files = con.execute(
                "select as_of_date, lead_id, score from read_parquet("
                f"'{path / 'history'}/*/*.parquet', hive_partitioning = true) order by all"
            ).fetchall()
        return table, files

    first = release("run00001").path
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update marts.history set score = -1 where as_of_date = date '2026-06-02'")
        con.execute("delete from marts.history where as_of_date = date '2026-06-01'")
        con.execute("insert into marts.history values (date '2026-06-05', 'l9', 7)")
        expected = con.execute("select * from marts.history order by all").fetchall()
    second = release("run00002").path

    assert served(second) == (expected, expected)
    assert served(first)[0] != expected  # the earlier release is untouched

    def inode(path, day):
        return (path / "history" / f"as_of_date={day}" / "data_0.parquet").stat().st_ino

    assert inode(second, "2026-06-03") == inode(first, "2026-06-03")  # unchanged: linked
    assert inode(second, "2026-06-02") != inode(first, "2026-06-02")  # changed: written anew
    assert not (second / "history" / "as_of_date=2026-06-01").exists()  # gone from the mart

    # The next release compares the warehouse with the fingerprints the last one kept, rather
    # than hashing the last one's rows again: a day whose kept fingerprint differs is rewritten.
    kept = json.loads((second / FINGERPRINTS_NAME).read_text())
    assert sorted(kept["history"]) == ["2026-06-02", "2026-06-03", "2026-06-04", "2026-06-05"]
    kept["history"]["2026-06-04"][1] += 1
    (second / FINGERPRINTS_NAME).write_text(json.dumps(kept))
    refreshed = release("run00004").path
    assert served(refreshed) == (expected, expected)
    assert inode(refreshed, "2026-06-04") != inode(second, "2026-06-04")
    assert inode(refreshed, "2026-06-03") == inode(second, "2026-06-03")
    # A release without them (built before they were kept) is hashed instead.
    (refreshed / FINGERPRINTS_NAME).unlink()
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update marts.history set score = 5 where as_of_date = date '2026-06-03'")
        expected = con.execute("select * from marts.history order by all").fetchall()
    rehashed = release("run00005").path
    assert served(rehashed) == (expected, expected)
    assert inode(rehashed, "2026-06-03") != inode(refreshed, "2026-06-03")
    assert inode(rehashed, "2026-06-04") == inode(refreshed, "2026-06-04")

    # After an erasure nothing is carried over from an earlier release's file.
    third = release(
        "run00003", drop_releases_before=datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
    ).path
    assert served(third) == (expected, expected)
    unchanged = third / "history" / "as_of_date=2026-06-03" / "data_0.parquet"
    assert unchanged.stat().st_nlink == 1  # written anew, shared with no earlier release


def test_a_by_day_mart_whose_columns_changed_is_released_whole(tmp_path, monkeypatch):
    warehouse, serving = _warehouse_with_history(
        tmp_path,
        monkeypatch,
        "select date '2026-06-01' + cast(i as integer) as as_of_date, 'l' || j as lead_id,"
        " i as fit, j as engagement from range(3) as d(i), range(2) as l(j)",
    )

    def release(run_id: str):
        return publish_release(warehouse, serving, run_id, ["history"], by_day_marts={"history"})

    def served(path) -> tuple[list, list]:
        with duckdb.connect(str(path / SERVING_DB_NAME), read_only=True) as con:
            table = con.sql("select * from history").df()
            files = con.sql(
                f"select * from read_parquet('{path / 'history'}/*/*.parquet',"
                " hive_partitioning = true)"
            ).df()
        return (
            sorted(table.to_dict("records"), key=str),
            sorted(files[table.columns].to_dict("records"), key=str),
        )

    release("run00001")
    (serving / "releases" / ".building-20200101T000000-deadbeef").mkdir()  # a failed build
    # An analytics engineer edits the model: two columns swap places (same types and values
    # per row, so the days' fingerprints do not change), then a column is added.
    for run_id, edit in [
        ("run00002", "as_of_date, lead_id, engagement, fit"),
        ("run00003", "*, fit * 10 as fit_points"),
    ]:
        with duckdb.connect(str(warehouse)) as con:
            rebuilt = f"create or replace table marts.history as select {edit} from marts.history"
            con.execute(rebuilt)
            expected = con.sql("select * from marts.history").df().to_dict("records")
        assert served(release(run_id).path) == (
            sorted(expected, key=str),
            sorted(expected, key=str),
        ), run_id
    assert not list((serving / "releases").glob(".building-*"))


def test_the_report_is_one_file_that_needs_no_network(pipeline):
    report = (pipeline.warehouse.parent / "serving" / "current" / REPORT_NAME).read_text()
    assert report.count("<section>") == 5
    for title in (
        "Funnel",
        "Conversion against the target band",
        "Sales cycle length",
        "Cost per qualified lead and CAC by source",
        "Leads per stage over time",
        "Median days in each stage",
    ):
        assert title in report
    assert "Plotly" in report  # the library is embedded ...
    assert 'src="http' not in report and "src='http" not in report  # ... not fetched
    assert str(END_DATE.year) in report
