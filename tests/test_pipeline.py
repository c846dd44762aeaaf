"""The whole daily job on a small generated dataset: ingest, dbt models and tests, marts."""

from __future__ import annotations

import hashlib

import pytest

from orchestration.ingest.contract import ENTITIES
from tests import hand_built

MARTS = [
    "leads",
    "lead_stage_history",
    "leads_per_stage_daily",
    "funnel_by_cohort",
    "conversion_rates",
    "sales_cycle_length",
    "lead_velocity",
    "time_in_stage",
    "acquisition_costs",
    "speed_to_lead",
    "score_ledger",
    "lead_score_snapshots",
    "lead_score_reasons",
    "account_scores",
]


def _rows_in_landing(pipeline, entity: str) -> int:
    generated = pipeline.manifest["entities"].get(entity, {}).get("rows_written", 0)
    return generated + hand_built.ROWS.get(entity, 0)


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_every_input_row_is_accepted_or_rejected(pipeline, entity):
    accepted = pipeline.query(f"select count(*) from raw.{entity}")[0][0]
    rejected = pipeline.query(f"select count(*) from raw.{entity}_rejects")[0][0]
    assert accepted > 0
    assert accepted + rejected == _rows_in_landing(pipeline, entity)


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_each_kind_of_broken_row_is_quarantined_with_its_reason(pipeline, entity):
    """The generator breaks each extra row one way; ingest must name exactly that way."""
    expected = {
        kind: count
        for kind, count in pipeline.manifest["entities"][entity]["broken_rows"].items()
        if count
    }
    found = dict(
        pipeline.query(
            f"select reason_code, count(*) from raw.{entity}_rejects group by reason_code"
        )
    )
    assert found == expected
    reasons = pipeline.query(
        f"select count(*) from raw.{entity}_rejects"
        " where reason = '' or _source_file is null or coalesce(_row_number, _line_number) is null"
    )[0][0]
    assert reasons == 0, "every reject names its file, its row and a reason"


def test_broken_row_kinds_cover_the_contract(pipeline):
    kinds = set()
    for info in pipeline.manifest["entities"].values():
        kinds |= {kind for kind, count in info["broken_rows"].items() if count}
    assert kinds >= {
        "missing_required",
        "unparseable_type",
        "unknown_lead",
        "future_timestamp",
        "closed_before_created",
        "negative_value",
        "duplicate_id_in_file",
    }


def test_every_lead_has_exactly_one_current_stage(pipeline):
    leads = pipeline.query("select count(*) from staging.stg_landing__leads")[0][0]
    per_lead = pipeline.query(
        """
        select leads.lead_id, count(history.lead_id)
        from marts.leads as leads
        left join marts.lead_stage_history as history
            on history.lead_id = leads.lead_id and history.is_current
        group by leads.lead_id
        """
    )
    assert len(per_lead) == leads
    assert {count for _, count in per_lead} == {1}
    stages = dict(pipeline.query("select lifecycle_stage, count(*) from marts.leads group by all"))
    # The sample data reaches every stage of the funnel.
    assert set(stages) == {
        "lead",
        "mql",
        "sql",
        "opportunity",
        "won",
        "lost",
        "nurture",
        "recycled",
        "disqualified",
    }


def test_hand_built_lead_scores_the_points_computed_by_hand(pipeline):
    columns = list(hand_built.EXPECTED)
    row = pipeline.query(
        f"select {', '.join(columns)} from marts.leads where lead_id = ?", [hand_built.LEAD_ID]
    )
    assert row, "the hand-built lead reached the leads mart"
    assert dict(zip(columns, row[0], strict=True)) == hand_built.EXPECTED


def test_hand_built_lead_moves_through_the_stages_computed_by_hand(pipeline):
    history = pipeline.query(
        """
        select lifecycle_stage, strftime(entered_at, '%Y-%m-%d %H:%M:%S')
        from marts.lead_stage_history where lead_id = ? order by entered_at
        """,
        [hand_built.LEAD_ID],
    )
    assert history == hand_built.EXPECTED_STAGES


def test_extra_landing_columns_become_custom_attributes(pipeline):
    attributes = pipeline.query(
        """
        select attribute_name, attribute_value
        from intermediate.int_custom_attributes_unpivoted
        where entity_type = 'lead' and entity_id = ?
        """,
        [hand_built.LEAD_ID],
    )
    assert attributes == [("lead_origin", "partner_portal")]


def test_leads_per_stage_daily_adds_up_to_the_leads_created(pipeline):
    mismatches = pipeline.query(
        """
        with per_day as (
            select calendar_date, sum(leads_in_stage) as leads
            from marts.leads_per_stage_daily group by calendar_date
        )
        select per_day.calendar_date, per_day.leads,
            (select count(*) from marts.leads where created_at <= calendar_date + 1)
        from per_day
        where per_day.leads != (
            select count(*) from marts.leads where created_at <= calendar_date + 1
        )
        """
    )
    assert mismatches == []
    last_day = pipeline.query(
        """
        select lifecycle_stage, leads_in_stage from marts.leads_per_stage_daily
        where calendar_date = (select max(calendar_date) from marts.leads_per_stage_daily)
            and leads_in_stage > 0
        """
    )
    current = pipeline.query("select lifecycle_stage, count(*) from marts.leads group by all")
    assert sorted(last_day) == sorted(current)


def test_conversion_rates_match_the_leads_mart(pipeline):
    by_source = pipeline.query(
        """
        select source, sum(entered), sum(converted) from marts.conversion_rates
        where conversion_step = 'mql_to_sql' group by all
        """
    )
    expected = pipeline.query(
        """
        select coalesce(source, 'unknown'), count(*), count(sql_at)
        from marts.leads where mql_at is not null group by all
        """
    )
    assert sorted(by_source) == sorted(expected)


def test_dbt_tests_ran_as_asset_checks_and_passed(pipeline):
    evaluations = pipeline.result.get_asset_check_evaluations()
    assert len(evaluations) >= 50
    assert all(evaluation.passed for evaluation in evaluations)


def test_ingest_reports_counts_as_asset_metadata(pipeline):
    for event in pipeline.result.get_asset_materialization_events():
        if event.asset_key.path[0] != "raw" or event.asset_key.path[1] not in ENTITIES:
            continue  # raw/erased_leads is not a landing entity
        metadata = event.materialization.metadata
        entity = event.asset_key.path[1]
        assert metadata["rows_accepted"].value + metadata[
            "rows_rejected"
        ].value == _rows_in_landing(pipeline, entity)


def _fingerprint(pipeline) -> dict[str, str]:
    fingerprints = {}
    for mart in MARTS:
        rows = pipeline.query(f"select * from marts.{mart} order by all")
        fingerprints[mart] = hashlib.sha256(repr(rows).encode()).hexdigest()
    for entity in ENTITIES:
        fingerprints[entity] = str(
            pipeline.query(
                f"select (select count(*) from raw.{entity}),"
                f" (select count(*) from raw.{entity}_rejects)"
            )[0]
        )
    return fingerprints


def test_a_second_run_changes_nothing(pipeline_copy):
    # On a copy: the shared run's warehouse and Data Docs stay those of one run for other tests.
    from orchestration.cli import execute_daily_job

    before = _fingerprint(pipeline_copy)
    result = execute_daily_job()
    assert result.success
    assert _fingerprint(pipeline_copy) == before
    loaded = [
        event.materialization.metadata["files_loaded"].value
        for event in result.get_asset_materialization_events()
        if event.asset_key.path[0] == "raw" and event.asset_key.path[1] in ENTITIES
    ]
    assert loaded == [0] * len(ENTITIES)
    raw_gates = [e for e in result.get_asset_check_evaluations() if e.asset_key.path[0] == "raw"]
    assert len(raw_gates) == len(ENTITIES)
    for gate in raw_gates:
        assert gate.passed and gate.metadata["rows_validated"].value == 0
        assert gate.description == "Nothing to validate in this run."


def stages_disagreeing_with_todays_scores(query) -> list[tuple]:
    """Leads whose current stage contradicts the as-of day's snapshot: an MQL must meet the MQL
    thresholds that day; a lead, or a lead in nurture, must not."""
    return query(
        """
        select leads.lead_id, leads.lifecycle_stage, snapshots.meets_mql_thresholds
        from marts.leads as leads
        inner join marts.lead_score_snapshots as snapshots
            on snapshots.lead_id = leads.lead_id and snapshots.as_of_date = leads.as_of_date
        where (leads.lifecycle_stage = 'mql' and not snapshots.meets_mql_thresholds)
            or (leads.lifecycle_stage in ('lead', 'nurture') and snapshots.meets_mql_thresholds)
        """
    )


def test_current_stages_follow_the_as_of_days_scores(pipeline):
    assert stages_disagreeing_with_todays_scores(pipeline.query) == []
