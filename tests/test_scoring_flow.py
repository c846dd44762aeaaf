"""Scoring rules end to end: an invalid rule stops the run before dbt, an edited weight and
threshold change the scores and reasons on the next run, the definitions page is written, and
every mart column is documented."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb

from orchestration.cli import execute_daily_job, main
from orchestration.scoring.rules import DEFAULT_RULES_PATH, RULES_PATH_ENV
from orchestration.transform.assets import DEFINITIONS_PAGE_NAME
from orchestration.transform.project import dbt_project
from tests import hand_built
from tests.conftest import END_DATE
from tests.test_pipeline import stages_disagreeing_with_todays_scores


def _query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _edited_rules(tmp_path: Path, replacements: dict[str, str]) -> Path:
    text = DEFAULT_RULES_PATH.read_text()
    for old, new in replacements.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "rules.yml"
    path.write_text(text)
    return path


def test_an_invalid_rule_fails_the_run_before_any_model_builds(
    sample_landing, pipeline_env, monkeypatch, tmp_path, capsys
):
    landing, _ = sample_landing
    warehouse = pipeline_env(landing)
    broken = _edited_rules(
        tmp_path,
        {"condition: page_category = 'pricing'": "condition: read_csv('/etc/passwd') is not null"},
    )
    monkeypatch.setenv(RULES_PATH_ENV, str(broken))

    result = execute_daily_job()
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert failure.step_key == "config__scoring_rules"
    message = failure.event_specific_data.user_failure_data.description
    assert "rule pricing_page_visit" in message
    assert "read_csv" in message
    assert not any(
        event.step_key == "dbt_build"
        for event in result.all_events
        if event.event_type_value == "STEP_START"
    )
    tables = _query(warehouse, "select table_schema from information_schema.tables")
    assert {"staging", "intermediate", "marts"}.isdisjoint({schema for (schema,) in tables})

    # The CLI says the same in one line per problem, without a traceback.
    assert main(["rules"]) == 2
    err = capsys.readouterr().err
    assert "rule pricing_page_visit" in err
    assert "Traceback" not in err


def test_editing_a_weight_and_a_threshold_changes_scores_and_reasons(
    pipeline, tmp_path, monkeypatch
):
    warehouse = tmp_path / "edited.duckdb"
    shutil.copy(pipeline.warehouse, warehouse)
    before = _query(
        warehouse,
        "select behavioural_score, combined_score from marts.leads where lead_id = ?",
        [hand_built.LEAD_ID],
    )
    assert before == [(45, 140)]
    mqls_today = (
        "select count(*) from marts.lead_score_snapshots"
        " where as_of_date = '2026-06-30' and meets_mql_thresholds"
    )
    mqls_before = _query(warehouse, mqls_today)[0][0]
    yesterday = (
        "select combined_score, meets_mql_thresholds from marts.lead_score_snapshots"
        f" where lead_id = '{hand_built.LEAD_ID}' and as_of_date = '2026-06-29'"
    )
    yesterday_before = _query(warehouse, yesterday)

    edited = _edited_rules(
        tmp_path,
        {
            "      points: 10\n      lookback_days: 30\n      half_life_days: 14\n      cap: 30": (
                "      points: 20\n      lookback_days: 30\n      half_life_days: 14\n      cap: 30"
            ),
            "mql_min_combined_score: 90": "mql_min_combined_score: 100",
        },
    )
    monkeypatch.setenv("LEADQUAL_LANDING_DIR", str(pipeline.landing))
    monkeypatch.setenv("LEADQUAL_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("LEADQUAL_AS_OF_DATE", "2026-06-30")
    monkeypatch.setenv(RULES_PATH_ENV, str(edited))
    assert execute_daily_job().success

    # Pricing visits now count 2 x (7.58 + 8.38 + 9.25) = 50.4, capped at 30: +5 behavioural.
    after = _query(
        warehouse,
        "select behavioural_score, combined_score, lifecycle_stage, stage_reason"
        " from marts.leads where lead_id = ?",
        [hand_built.LEAD_ID],
    )
    assert after == [(50, 145, "mql", "fit grade A and score 110 met the MQL thresholds")]
    reasons = [
        reason
        for (reason,) in _query(
            warehouse,
            "select reason from marts.lead_score_reasons where lead_id = ? order by reason_rank",
            [hand_built.LEAD_ID],
        )
    ]
    assert reasons[0] == (
        "Visited the pricing page 3 times in the last 30 days: +30 (60 before decay and cap)"
    )
    # The higher MQL threshold: today only leads with fit grade A-C and a score of 100 or more.
    mqls_after = _query(warehouse, mqls_today)[0][0]
    assert 0 < mqls_after < mqls_before
    assert (
        mqls_after
        == _query(
            warehouse,
            "select count(*) from marts.lead_score_snapshots where as_of_date = '2026-06-30'"
            " and fit_grade <= 'C' and combined_score >= 100",
        )[0][0]
    )
    assert stages_disagreeing_with_todays_scores(lambda sql: _query(warehouse, sql)) == []
    # Point in time: yesterday's snapshot keeps the score it was computed with.
    assert _query(warehouse, yesterday) == yesterday_before


def test_hand_built_lead_reasons_in_plain_words(pipeline):
    reasons = pipeline.query(
        "select reason from marts.lead_score_reasons where lead_id = ? order by reason_rank",
        [hand_built.LEAD_ID],
    )
    assert [reason for (reason,) in reasons[:3]] == [
        "Visited the pricing page 3 times in the last 30 days: +25 (30 before decay and cap)",
        "Booked a demo 1 time in the last 60 days: +20 (25 before decay and cap)",
        "The lead is senior (C-level, VP, head of, director or founder): +15",
    ]


def test_the_definitions_page_is_written_on_every_run(pipeline):
    page = (pipeline.warehouse.parent / DEFINITIONS_PAGE_NAME).read_text()
    assert "combined score is at least 90" in page
    assert "pricing_page_visit" in page


def test_every_mart_column_is_documented(pipeline):
    manifest = json.loads((dbt_project.manifest_path).read_text())
    documented = {
        node["name"]: {name for name, column in node["columns"].items() if column["description"]}
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    }
    built = {}
    for table, column in pipeline.query(
        "select table_name, column_name from information_schema.columns"
        " where table_schema = 'marts'"
    ):
        built.setdefault(table, set()).add(column)
    assert set(built) == set(documented)
    for table, columns in built.items():
        assert columns == documented[table], table


def test_a_run_for_a_past_day_reads_the_lead_and_account_versions_known_that_day(
    pipeline_copy, monkeypatch
):
    earlier = "2026-03-01"
    end_of_earlier = "timestamp '2026-03-02 00:00:00'"
    monkeypatch.setenv("LEADQUAL_AS_OF_DATE", earlier)
    models = ["stg_landing__leads", "stg_landing__accounts"]
    assert main(["dbt", "run", "--select", *models]) == 0
    for entity, key in (("lead", "lead_id"), ("account", "account_id")):
        updated_later = pipeline_copy.query(
            f"select count(distinct {key}) from staging.stg_landing__{entity}_versions"
            f" where valid_from >= {end_of_earlier}"
        )[0][0]
        assert updated_later > 0, f"no {entity} changed after {earlier}: the test proves nothing"
        # Each record as its latest version that took effect by the end of the day.
        differing = pipeline_copy.query(
            f"""
            with known as (
                select {key}, max(version_number) as version_number
                from staging.stg_landing__{entity}_versions
                where valid_from is null or valid_from < {end_of_earlier}
                group by {key}
            ),
            expected as (
                select versions.* exclude (version_number, valid_from)
                from staging.stg_landing__{entity}_versions as versions
                semi join known using ({key}, version_number)
            ),
            current_records as (select * from staging.stg_landing__{entity}s)
            select count(*) from (
                (select * from current_records except select * from expected)
                union all
                (select * from expected except select * from current_records)
            )
            """
        )[0][0]
        assert differing == 0, entity


def test_bounces_and_unsubscribes_are_no_activity(pipeline):
    day = END_DATE.isoformat()
    passive_last, differing = pipeline.query(
        f"""
        with last_events as (
            select
                lead_id,
                max(occurred_at) as last_event,
                max(occurred_at) filter (
                    where event_type not in ('email_bounce', 'email_unsubscribe')
                ) as last_activity
            from staging.stg_landing__events
            where occurred_at < date '{day}' + 1
            group by lead_id
        )
        select
            count(*) filter (where last_event > last_activity or last_activity is null),
            count(*) filter (
                where snapshots.days_since_last_activity
                is distinct from date '{day}' - cast(last_activity as date)
            )
        from last_events
        inner join marts.lead_score_snapshots as snapshots
            on last_events.lead_id = snapshots.lead_id and snapshots.as_of_date = date '{day}'
        """
    )[0]
    assert passive_last > 0, "no lead's last event is a bounce or an unsubscribe"
    assert differing == 0
