"""BI serving: a reader holding the serving copy open never blocks or breaks the daily run, never
sees half an update, and sees the new data once it reconnects. The report opens offline."""

from __future__ import annotations

import duckdb

from orchestration.cli import execute_daily_job
from orchestration.serving.release import REPORT_NAME, SERVING_DB_NAME
from tests.conftest import END_DATE

NEW_LEAD = (
    "lead_id,created_at,email,job_title,source\n"
    "N-0001,2026-06-30T08:00:00Z,new@late.example,CTO,referral\n"
)


def test_a_bi_reader_never_blocks_the_run_and_sees_new_data_after_reconnecting(pipeline_copy):
    landing = pipeline_copy.landing
    serving = pipeline_copy.warehouse.parent / "serving"

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


def test_every_mart_is_served_as_parquet_and_in_the_serving_database(pipeline):
    current = pipeline.warehouse.parent / "serving" / "current"
    marts = {
        name
        for (name,) in pipeline.query(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        )
    }
    assert {p.stem for p in current.glob("*.parquet")} == marts
    with duckdb.connect(str(current / SERVING_DB_NAME), read_only=True) as con:
        served = {
            name for (name,) in con.execute("select table_name from duckdb_tables()").fetchall()
        }
        assert served == marts
        for mart in marts:
            parquet_rows = con.execute(
                f"select count(*) from read_parquet('{current / (mart + '.parquet')}')"
            ).fetchall()[0][0]
            table_rows = con.execute(f"select count(*) from {mart}").fetchall()[0][0]
            assert (
                parquet_rows
                == table_rows
                == pipeline.query(f"select count(*) from marts.{mart}")[0][0]
            )


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
