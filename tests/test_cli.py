"""The ``leadqual`` commands, as a user runs them."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta

import duckdb

from orchestration.cli import main
from tests.conftest import END_DATE


def test_run_prints_the_summary_and_exits_zero(sample_landing, tmp_path, capsys, monkeypatch):
    landing, manifest = sample_landing
    warehouse = tmp_path / "cli.duckdb"
    for name in ("LEADQUAL_LANDING_DIR", "LEADQUAL_WAREHOUSE", "LEADQUAL_AS_OF_DATE"):
        monkeypatch.delenv(name, raising=False)
    code = main(
        [
            "run",
            "--landing-dir",
            str(landing),
            "--warehouse",
            str(warehouse),
            "--as-of",
            END_DATE.isoformat(),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Daily job succeeded" in out
    assert f"warehouse: {warehouse}" in out
    leads_written = manifest["entities"]["leads"]["rows_written"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        accepted, rejected = con.execute(
            "select (select count(*) from raw.leads), (select count(*) from raw.leads_rejects)"
        ).fetchone()
        stages = con.execute("select lifecycle_stage, count(*) from marts.leads group by 1")
        stage_counts = stages.fetchall()
    assert accepted + rejected == leads_written + 2  # + the hand-built lead's two versions
    line = next(line for line in out.splitlines() if line.startswith("leads "))
    assert line.split()[1:3] == [f"{accepted:,}", f"{rejected:,}"]
    for stage, count in stage_counts:
        assert f"{stage:<12} {count:>10,}" in out
    with duckdb.connect(str(warehouse), read_only=True) as con:
        listed = con.execute("select count(*) from marts.sql_publish_list").fetchone()[0]
    assert f"publish list: {listed:,} SQLs ready for sales" in out
    assert f"  published to outbox: {listed:,} upserts, 0 deletes, 0 unchanged, 0 refused" in out
    assert f"  sales notified of {listed:,} new SQLs (webhook not configured; digest " in out


def test_a_run_for_an_earlier_day_stops_and_a_full_refresh_rebuilds_that_day(pipeline_copy, capsys):
    # Incremental, a run for an earlier day would keep the later days' scores and stage moves.
    earlier = END_DATE - timedelta(days=10)
    assert main(["run", "--as-of", earlier.isoformat()]) == 1
    err = capsys.readouterr().err
    assert (
        f"step dbt_build: Compilation Error in operation lead_qualification-on-run-start-0"
        f" (./dbt_project.yml): The warehouse holds scores up to {END_DATE} and this run is for"
        f" {earlier}: an incremental run would keep the later days" in err
    )
    assert "^^^" not in err
    last_day = "select max(as_of_date) from marts.lead_score_snapshots"
    assert pipeline_copy.query(last_day) == [(END_DATE,)]

    # The row-count gates compare with the last good run for that day or an earlier one.
    assert main(["run", "--as-of", earlier.isoformat(), "--full-refresh"]) == 0
    assert pipeline_copy.query(last_day) == [(earlier,)]
    # Moves at the end of the as-of day (midnight after it) are that day's.
    assert pipeline_copy.query(
        "select count(*) from marts.lead_stage_history where entered_at > ?",
        [earlier + timedelta(days=1)],
    ) == [(0,)]
    # The same day again is a normal run.
    assert main(["run", "--as-of", earlier.isoformat()]) == 0


def test_run_with_a_missing_landing_folder_is_a_clear_error(tmp_path, capsys):
    code = main(["run", "--landing-dir", str(tmp_path / "nope")])
    assert code == 2
    assert "does not exist" in capsys.readouterr().err


def test_generate_writes_a_landing_folder(tmp_path, capsys):
    out = tmp_path / "landing"
    code = main(["generate", "--out", str(out), "--leads", "1000", "--end-date", "2026-06-30"])
    assert code == 0
    manifest = json.loads((out / "_generation_manifest.json").read_text())
    assert manifest["n_leads"] == 1000
    printed = capsys.readouterr().out
    assert f"{manifest['entities']['events']['rows_written']:,} rows" in printed


def test_generate_rejects_a_bad_size_without_a_traceback(tmp_path, capsys):
    code = main(["generate", "--out", str(tmp_path / "x"), "--leads", "0"])
    assert code == 2
    assert capsys.readouterr().err.startswith("leadqual: n_leads must be")


def test_rules_validates_and_prints_the_definitions_page(capsys):
    assert main(["rules"]) == 0
    assert "rules, valid" in capsys.readouterr().out
    assert main(["rules", "--page"]) == 0
    page = capsys.readouterr().out
    assert "MQL" in page and "pricing_page_visit" in page


def test_dbt_passes_the_scoring_rules_to_dbt(pipeline, tmp_path, monkeypatch):
    """`leadqual dbt` is dbt with the validated rules: the unit tests that need them pass.

    dbt unit tests read the column types of the models' inputs, so they run on a built warehouse.
    """
    warehouse = tmp_path / "dbt.duckdb"
    shutil.copy(pipeline.warehouse, warehouse)
    monkeypatch.setenv("LEADQUAL_WAREHOUSE", str(warehouse))
    assert (
        main(["dbt", "test", "--select", "test_type:unit", "--vars", "{score_history_days: 7}"])
        == 0
    )


def test_publish_dry_run_only_reads_and_a_missing_warehouse_is_a_clear_error(
    pipeline_copy, tmp_path, capsys, monkeypatch
):
    with duckdb.connect(str(pipeline_copy.warehouse)) as con:
        con.execute("drop schema publish cascade")
        listed = con.execute("select count(*) from marts.sql_publish_list").fetchone()[0]
    assert main(["publish", "--dry-run"]) == 0
    assert f"would upsert {listed}, delete 0; 0 unchanged" in capsys.readouterr().out
    assert pipeline_copy.query(
        "select count(*) from information_schema.schemata where schema_name = 'publish'"
    ) == [(0,)]

    missing = tmp_path / "nowhere" / "warehouse.duckdb"
    monkeypatch.setenv("LEADQUAL_WAREHOUSE", str(missing))
    for args in (["publish", "--dry-run"], ["publish"]):
        assert main(args) == 2
        assert f"no warehouse at {missing}: run `leadqual run` first" in capsys.readouterr().err
    assert not missing.parent.exists()
