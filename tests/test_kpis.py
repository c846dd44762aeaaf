"""KPI marts: the funnel reconciles with stage history and the raw opportunities, and the
report's headline figures equal an independent computation from lead-level facts and raw data."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from orchestration.serving.release import SERVING_DB_NAME
from orchestration.serving.report import headline_figures
from tests.conftest import END_DATE

AS_OF_END = pd.Timestamp(END_DATE) + pd.Timedelta(days=1)


def _frame(pipeline, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(pipeline.warehouse), read_only=True) as con:
        return con.execute(sql).df()


def _raw_opportunity_outcomes(pipeline) -> pd.DataFrame:
    """Per lead, from raw.opportunities alone: opened, and won / lost as of the day."""
    raw = _frame(pipeline, "select * from raw.opportunities")
    # The latest version: latest updated_at (missing counts as oldest), then file, then row.
    ordered = raw.sort_values(["updated_at", "_file_seq", "_row_number"], na_position="first")
    latest = ordered.groupby("opportunity_id").tail(1)
    latest = latest[latest["created_at"] < AS_OF_END]
    closed = latest["closed_at"].notna() & (latest["closed_at"] < AS_OF_END)
    latest = latest.assign(closed=closed, won=closed & latest["is_won"].fillna(False).astype(bool))
    per_lead = latest.groupby("lead_id").agg(all_closed=("closed", "all"), any_won=("won", "any"))
    # Won once any deal was won (a later opportunity does not undo it); lost once all closed.
    per_lead["is_won"] = per_lead["any_won"]
    per_lead["is_lost"] = per_lead["all_closed"] & ~per_lead["any_won"]
    return per_lead


def test_funnel_counts_reconcile_with_stage_history_and_raw_opportunities(pipeline):
    funnel = _frame(
        pipeline,
        "select sum(leads) as leads, sum(mqls) as mqls, sum(sqls) as sqls,"
        " sum(opportunities) as opportunities, sum(won) as won"
        " from marts.funnel_by_cohort where cohort_grain = 'month'",
    ).iloc[0]
    weekly = _frame(
        pipeline,
        "select sum(leads) as leads, sum(won) as won from marts.funnel_by_cohort"
        " where cohort_grain = 'week'",
    ).iloc[0]
    assert (weekly["leads"], weekly["won"]) == (funnel["leads"], funnel["won"])

    history = _frame(pipeline, "select lead_id, lifecycle_stage from marts.lead_stage_history")
    reached = history.groupby("lifecycle_stage")["lead_id"].apply(set)
    passed = {
        "mqls": reached.get("mql", set())
        | reached.get("sql", set())
        | reached.get("opportunity", set())
        | reached.get("won", set())
        | reached.get("lost", set()),
        "sqls": reached.get("sql", set())
        | reached.get("opportunity", set())
        | reached.get("won", set())
        | reached.get("lost", set()),
    }
    assert funnel["leads"] == history["lead_id"].nunique()
    assert funnel["mqls"] == len(passed["mqls"])
    assert funnel["sqls"] == len(passed["sqls"])

    outcomes = _raw_opportunity_outcomes(pipeline)
    assert funnel["opportunities"] == len(outcomes)
    assert funnel["won"] == int(outcomes["is_won"].sum())
    lost = _frame(pipeline, "select count(*) as n from marts.leads where lifecycle_stage = 'lost'")
    assert lost["n"].iloc[0] == int(outcomes["is_lost"].sum())


def test_report_headline_figures_match_an_independent_computation(pipeline):
    serving_db = pipeline.warehouse.parent / "serving" / "current" / SERVING_DB_NAME
    with duckdb.connect(str(serving_db), read_only=True) as con:
        figures = headline_figures(con)

    leads = _frame(pipeline, "select * from marts.leads")
    raw_leads = _frame(pipeline, "select distinct lead_id from raw.leads")
    assert figures["leads"] == len(raw_leads)
    assert figures["mqls"] == leads["mql_at"].notna().sum()
    assert figures["sqls"] == leads["sql_at"].notna().sum()
    assert figures["won"] == int(_raw_opportunity_outcomes(pipeline)["is_won"].sum())
    mqls = leads[leads["mql_at"].notna()]
    assert figures["mql_to_sql_rate"] == pytest.approx(mqls["sql_at"].notna().mean())
    sqls = leads[leads["sql_at"].notna()]
    assert figures["sql_to_opportunity_rate"] == pytest.approx(
        sqls["opportunity_at"].notna().mean()
    )

    # Spend straight from the raw table: the latest row per day, source and campaign.
    spend = _frame(pipeline, "select * from raw.marketing_spend")
    spend = spend.sort_values(["_file_seq", "_row_number"]).drop_duplicates(
        ["spend_date", "source", "campaign"], keep="last"
    )
    spend = spend[pd.to_datetime(spend["spend_date"]) <= pd.Timestamp(END_DATE)]
    total_spend = spend["amount"].sum()
    assert figures["total_spend"] == pytest.approx(total_spend)  # every row in USD, converted
    assert figures["spend_rows_without_rate"] == 0
    assert figures["cost_per_qualified_lead"] == pytest.approx(total_spend / len(sqls))
    assert figures["customer_acquisition_cost"] == pytest.approx(total_spend / figures["won"])
    assert (figures["mql_to_sql_target_low"], figures["mql_to_sql_target_high"]) == (0.2, 0.4)

    # Lead velocity of the last full month, from first-MQL months: a move at midnight belongs to
    # the day that just ended, and a month without MQLs counts as zero.
    days = mqls["mql_at"].dt.normalize()
    days = days.where(mqls["mql_at"] != days, days - pd.Timedelta(days=1))
    all_months = pd.period_range(days.min().to_period("M"), pd.Timestamp(END_DATE).to_period("M"))
    months = days.dt.to_period("M").value_counts().reindex(all_months, fill_value=0)
    # The latest month covered whole (from the first MQL's day to the as-of day) against the
    # month before, covered whole too.
    whole = [
        month
        for month in all_months
        if month.start_time >= days.min() and month.end_time.normalize() <= pd.Timestamp(END_DATE)
    ]
    latest = next(m for m in reversed(whole) if m - 1 in whole)
    assert figures["lead_velocity_rate"] == pytest.approx(
        (months[latest] - months[latest - 1]) / months[latest - 1]
    )


def test_sales_cycle_length_matches_lead_level_facts(pipeline):
    closed = _frame(
        pipeline,
        "select source, closed_at, sql_at, created_at, lifecycle_stage from marts.leads"
        " where lifecycle_stage in ('won', 'lost')",
    )
    won = closed[closed["lifecycle_stage"] == "won"]
    days = (won["closed_at"] - won["created_at"]).dt.total_seconds() / 86400
    mart = _frame(
        pipeline,
        "select sum(deals) as deals, sum(lead_to_close_mean_days * deals) / sum(deals) as mean"
        " from marts.sales_cycle_length where outcome = 'won'",
    ).iloc[0]
    assert mart["deals"] == len(won)
    assert mart["mean"] == pytest.approx(days.mean(), abs=0.01)  # means rounded to 0.001 day


def test_won_deals_split_by_whether_the_lead_was_in_the_sql_stage(pipeline):
    """A deal whose opportunity sales opened without qualifying the lead passes SQL in the funnel
    but was never in the SQL stage: CAC through qualification and SQL-to-close leave it out."""
    history = _frame(
        pipeline, "select lead_id, lifecycle_stage, entered_at from marts.lead_stage_history"
    )
    first_sql = history[history["lifecycle_stage"] == "sql"].groupby("lead_id")["entered_at"].min()
    closed = _frame(
        pipeline,
        "select lead_id, closed_at, lifecycle_stage from marts.leads"
        " where lifecycle_stage in ('won', 'lost')",
    ).set_index("lead_id")
    closed["sql_stage_at"] = first_sql.reindex(closed.index)
    through_sql = closed["sql_stage_at"] < closed["closed_at"]
    won = closed["lifecycle_stage"] == "won"
    # The sample has both kinds of won deal, so the split is not trivially all on one side.
    assert (won & through_sql).sum() > 0 and (won & ~through_sql).sum() > 0

    costs = _frame(
        pipeline,
        "select sum(won_after_sql) as after, sum(won_without_sql) as without"
        " from marts.acquisition_costs",
    ).iloc[0]
    assert (costs["after"], costs["without"]) == (
        (won & through_sql).sum(),
        (won & ~through_sql).sum(),
    )

    cycles = _frame(
        pipeline,
        "select sum(deals_through_sql) as deals,"
        " sum(sql_to_close_mean_days * deals_through_sql) / sum(deals_through_sql) as mean"
        " from marts.sales_cycle_length where outcome = 'won'",
    ).iloc[0]
    qualified_won = closed[won & through_sql]
    days = (qualified_won["closed_at"] - qualified_won["sql_stage_at"]).dt.total_seconds() / 86400
    assert cycles["deals"] == len(qualified_won)
    assert cycles["mean"] == pytest.approx(days.mean(), abs=0.01)  # means rounded to 0.001 day

    speed = _frame(
        pipeline,
        "select sum(leads) as leads from marts.speed_to_lead where starting_stage = 'sql'",
    ).iloc[0]
    assert speed["leads"] == len(first_sql)
