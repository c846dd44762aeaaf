"""The daily_batches materialization of the by-day models: a history built in batches of days is
the history built in one query, and a later run adds every day since the model's latest one (a
missed run included), a batch at a time, without touching the days before."""

from __future__ import annotations

from datetime import timedelta

import duckdb

from orchestration.cli import main
from orchestration.resources import AS_OF_DATE_ENV
from tests.conftest import END_DATE

BY_DAY_MODELS = {
    "int_lead_activity_daily": "intermediate",
    "lead_score_snapshots": "marts",
    "score_ledger": "marts",
    "int_lead_score_changes": "intermediate",
}


def _build(*args: str) -> None:
    assert main(["dbt", "run", "--select", *BY_DAY_MODELS, *args]) == 0


def _days(warehouse, since=None) -> dict[str, list[tuple]]:
    where = f"where as_of_date >= date '{since}'" if since else ""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            model: con.execute(f"select * from {schema}.{model} {where} order by all").fetchall()
            for model, schema in BY_DAY_MODELS.items()
        }


def test_a_history_built_in_batches_is_the_history_built_in_one_query(pipeline_copy):
    # The daily job: batches of score_batch_days (10), snapshot_batch_days (3) for the snapshots.
    batched = _days(pipeline_copy.warehouse)
    assert len({row[0] for row in batched["lead_score_snapshots"]}) == 200

    _build("--full-refresh", "--vars", "{score_batch_days: 1000, snapshot_batch_days: 1000}")
    assert _days(pipeline_copy.warehouse) == batched


def test_a_later_run_adds_every_day_since_the_latest_one(pipeline_copy, monkeypatch):
    built_at_once = _days(pipeline_copy.warehouse, since=END_DATE - timedelta(days=2))
    monkeypatch.setenv(AS_OF_DATE_ENV, (END_DATE - timedelta(days=3)).isoformat())
    _build("--full-refresh")
    earlier = _days(pipeline_copy.warehouse)

    # Three days later (two runs missed), in batches of two days.
    monkeypatch.setenv(AS_OF_DATE_ENV, END_DATE.isoformat())
    _build("--vars", "{score_batch_days: 2, snapshot_batch_days: 2}")
    assert _days(pipeline_copy.warehouse, since=END_DATE - timedelta(days=2)) == built_at_once
    later = _days(pipeline_copy.warehouse)
    first_new_day = END_DATE - timedelta(days=2)
    for model in ("int_lead_activity_daily", "lead_score_snapshots"):
        assert [row for row in later[model] if row[0] < first_new_day] == earlier[model]
    # The ledger keeps its last score_ledger_days (7) days.
    assert sorted({row[0] for row in later["score_ledger"]}) == [
        END_DATE - timedelta(days=days) for days in range(6, -1, -1)
    ]
