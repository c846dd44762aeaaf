"""int_lead_stage_moments is incremental by lead: a later run recomputes only the leads whose
moments can change, and the result is what a full rebuild gives, late sales assessments and
opportunities included."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import yaml

from orchestration.cli import main
from orchestration.resources import AS_OF_DATE_ENV
from orchestration.scoring.rules import RULES_PATH_ENV, rules_path
from tests.conftest import END_DATE

MODELS = ["+int_lead_stage_moments", "int_lead_stages_historized"]
# Held back from the first run and loaded before the second, dated before the first: 20 sales
# assessments and every version of 10 opportunities.
LATE = {
    "sales_qualification": "select * from raw.sales_qualification where assessed_at < {before}"
    " using sample 20 rows (reservoir, 1)",
    "opportunities": "select * from raw.opportunities where opportunity_id in ("
    " select opportunity_id from raw.opportunities where created_at < {before}"
    " using sample 10 rows (reservoir, 1))",
}


def _build(*args: str) -> None:
    assert main(["dbt", "run", "--select", *MODELS, *args]) == 0


def _stages(warehouse) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            "moments": con.execute(
                "select * exclude (computed_as_of) from intermediate.int_lead_stage_moments"
                " order by all"
            ).fetchall(),
            "history": con.execute(
                "select * from intermediate.int_lead_stages_historized order by all"
            ).fetchall(),
        }


def test_a_later_run_recomputes_the_changed_leads_into_the_full_rebuilds_stages(
    pipeline_copy, monkeypatch
):
    earlier = END_DATE - timedelta(days=3)
    late_leads = set()
    with duckdb.connect(str(pipeline_copy.warehouse)) as con:
        before = f"date '{earlier - timedelta(days=10)}'"
        for table, query in LATE.items():
            con.execute(f"create table raw.late_{table} as {query.format(before=before)}")
            con.execute(
                f"delete from raw.{table} where rowid in (select r.rowid from raw.{table} as r"
                f" semi join raw.late_{table} as l on r._source_file = l._source_file"
                " and r._row_number = l._row_number)"
            )
            late_leads |= {
                lead for (lead,) in con.execute(f"select lead_id from raw.late_{table}").fetchall()
            }
    assert len(late_leads) >= 20

    monkeypatch.setenv(AS_OF_DATE_ENV, earlier.isoformat())
    _build("--full-refresh")

    with duckdb.connect(str(pipeline_copy.warehouse)) as con:
        for table in LATE:
            con.execute(f"insert into raw.{table} select * from raw.late_{table}")
    monkeypatch.setenv(AS_OF_DATE_ENV, END_DATE.isoformat())
    _build()
    incremental = _stages(pipeline_copy.warehouse)
    with duckdb.connect(str(pipeline_copy.warehouse), read_only=True) as con:
        leads, recomputed = con.execute(
            "select count(distinct lead_id),"
            f" count(distinct lead_id) filter (where computed_as_of = date '{END_DATE}')"
            " from intermediate.int_lead_stage_moments"
        ).fetchone()
        recomputed_late = con.execute(
            "select count(distinct lead_id) from intermediate.int_lead_stage_moments"
            f" where computed_as_of = date '{END_DATE}' and lead_id in ?",
            [sorted(late_leads)],
        ).fetchone()[0]
    # The leads of the late rows and of the new days' score changes, not every lead.
    assert recomputed_late == len(late_leads)
    assert len(late_leads) < recomputed < leads / 2

    _build("--full-refresh")
    assert incremental == _stages(pipeline_copy.warehouse)


def _current_stages(warehouse) -> dict[str, str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return dict(
            con.execute(
                "select lead_id, arg_max(lifecycle_stage, moment_at)"
                " from intermediate.int_lead_stage_moments group by lead_id"
            ).fetchall()
        )


def test_an_edited_stage_threshold_reaches_every_lead_on_the_next_run(
    pipeline_copy, monkeypatch, tmp_path
):
    before = _current_stages(pipeline_copy.warehouse)
    rules = yaml.safe_load(rules_path().read_text())
    rules["thresholds"]["recycle_after_inactive_days"] = 20
    rules["thresholds"]["bant_min_criteria"] = 4
    edited = tmp_path / "rules.yml"
    edited.write_text(yaml.safe_dump(rules, sort_keys=False))
    monkeypatch.setenv(RULES_PATH_ENV, str(edited))

    _build()  # the same day again, incremental
    incremental = _current_stages(pipeline_copy.warehouse)
    _build("--full-refresh")
    full = _current_stages(pipeline_copy.warehouse)

    changed = {lead for lead in full if full[lead] != before.get(lead)}
    # SQLs 20 to 44 days without activity, and SQLs accepted on 3 BANT criteria.
    assert sum(before[lead] == "sql" for lead in changed) >= 5
    assert incremental == full
