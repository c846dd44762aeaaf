"""The model review on real runs: the outcomes mart, the point-in-time backtest, the calibrated
candidate, the report, and a deployment whose leads carry only custom attributes.

The review runs once per module on a copy of the sample run (4,000 generated leads whose hidden
propensity is known) through ``leadqual review``, with a third rules file to backtest; every
figure the report leads with is recomputed here from the per-cycle scores with pandas.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from orchestration.cli import execute_daily_job, main
from orchestration.resources import (
    AS_OF_DATE_ENV,
    LANDING_DIR_ENV,
    REVIEW_DIR_ENV,
    REVIEW_RULES_ENV,
    SERVING_DIR_ENV,
    WAREHOUSE_ENV,
)
from orchestration.review.report import review_figures
from orchestration.sample_data import TRUTH_PATH
from orchestration.sample_data.attributes_only import generate_attributes_only_landing
from orchestration.scoring.rules import DEFAULT_RULES_PATH, load_scoring_config
from tests.conftest import END_DATE


def _query(warehouse: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(sql).df()


def _flat_engagement_rules(path: Path) -> Path:
    """The live rules with every behavioural rule worth 1 point: a worse model to backtest."""
    document = yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    for rule in document["rules"]["behavioural"]:
        rule["points"], rule["cap"] = 1, 1
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def _review(tmp: Path, landing: Path, warehouse: Path, *extra: str) -> Path:
    review_dir = tmp / "review"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(LANDING_DIR_ENV, str(landing))
        patch.setenv(WAREHOUSE_ENV, str(warehouse))
        patch.setenv(AS_OF_DATE_ENV, END_DATE.isoformat())
        patch.setenv(SERVING_DIR_ENV, str(tmp / "serving"))
        patch.setenv(REVIEW_DIR_ENV, str(review_dir))
        patch.setenv(REVIEW_RULES_ENV, "")  # --rules sets it; restored afterwards
        assert main(["review", *extra]) == 0
    return review_dir


@pytest.fixture(scope="module")
def reviewed(pipeline, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("review")
    warehouse = tmp / "warehouse.duckdb"
    shutil.copy(pipeline.warehouse, warehouse)
    flat = _flat_engagement_rules(tmp / "flat_engagement.yml")
    review_dir = _review(tmp, pipeline.landing, warehouse, "--rules", str(flat))
    return warehouse, review_dir / END_DATE.isoformat(), pipeline.landing


def _scores(warehouse: Path) -> pd.DataFrame:
    return _query(warehouse, "select * from review.review_scores")


def _auc(scores: pd.Series, positive: pd.Series) -> float:
    """Share of (positive, negative) pairs the score orders right, ties counting half."""
    pos = scores[positive].to_numpy()[:, None]
    neg = scores[~positive].to_numpy()[None, :]
    return float((pos > neg).mean() + 0.5 * (pos == neg).mean())


# --- the outcomes mart ---------------------------------------------------------------------------


def test_outcomes_mart_accounts_for_every_assessment_and_opportunity(pipeline):
    outcomes = pipeline.query(
        "select count(*), count(distinct lead_id), sum(assessments), sum(opportunities),"
        " sum(case when lead_cycle = 1 then 1 else 0 end) from marts.lead_outcomes"
    )[0]
    leads, assessments, opportunities, recycles = pipeline.query(
        "select (select count(*) from staging.stg_landing__leads),"
        " (select count(*) from intermediate.int_assessments_evaluated),"
        " (select count(*) from staging.stg_landing__opportunities"
        "  where created_at < timestamp '2026-07-01'),"
        " (select count(*) from intermediate.int_assessments_evaluated where verdict = 'recycle')"
    )[0]
    cycles, distinct_leads, assessed, opened, first_cycles = outcomes
    assert distinct_leads == first_cycles == leads
    assert cycles == leads + recycles  # a recycle verdict starts a new cycle
    assert assessed == assessments and opened == opportunities  # nothing lost or counted twice
    # The outcome column agrees with its parts.
    rows = pipeline.query(
        "select outcome, bool_and(has_opportunity), bool_and(is_won), count(*)"
        " from marts.lead_outcomes group by outcome"
    )
    by_outcome = {outcome: (has, won, n) for outcome, has, won, n in rows}
    assert by_outcome["won"][:2] == (True, True)
    assert by_outcome["lost"][0] is True and by_outcome["lost"][1] is False
    assert by_outcome["no_sales_action"][0] is False
    assert {"won", "lost", "rejected", "recycled", "no_sales_action"} <= set(by_outcome)


# --- the backtest --------------------------------------------------------------------------------


def test_the_review_writes_a_report_a_candidate_and_warehouse_tables(reviewed):
    warehouse, folder, _ = reviewed
    report = (folder / "model_review.html").read_text(encoding="utf-8")
    assert "candidate adds" in report and "flat_engagement adds" in report
    assert "Conversion by score decile" in report and "Threshold sweep" in report
    candidate = load_scoring_config(folder / "candidate_rules.yml")  # valid, adoptable
    assert candidate.rules and (folder.parent / "latest" / "candidate_rules.yml").is_file()
    configs = _query(
        warehouse, "select distinct scoring_config from review.review_backtest_summary"
    )["scoring_config"]
    assert set(configs) == {"live", "candidate", "flat_engagement"}
    splits = _query(
        warehouse, "select split, count(*) as n from review.review_decisions group by 1"
    )
    n = dict(zip(splits["split"], splits["n"], strict=True))
    assert 0.2 < n["holdout"] / (n["holdout"] + n["training"]) < 0.4  # holdout_percent 30
    sides = _query(
        warehouse,
        "select account_id, count(distinct split) as sides from review.review_decisions"
        " where account_id is not null group by 1",
    )
    assert len(sides) > 100 and (sides["sides"] == 1).all()  # no account on both sides


def test_the_calibrated_candidate_beats_the_live_rules_on_held_out_cycles(reviewed):
    warehouse, _, landing = reviewed
    summary = _query(
        warehouse, "select * from review.review_backtest_summary where split_name = 'holdout'"
    ).set_index("scoring_config")
    assert summary.loc["candidate", "auc_opportunity"] > summary.loc["live", "auc_opportunity"]
    assert (
        summary.loc["flat_engagement", "auc_opportunity"] < summary.loc["live", "auc_opportunity"]
    )
    # Against the hidden propensity of the generator, on every held-out cycle (not only the
    # few that converted): both rank leads by it; the flattened file loses most of it.
    truth = pq.read_table(landing / TRUTH_PATH).to_pandas()[["lead_id", "propensity"]]
    scores = _scores(warehouse).merge(truth, on="lead_id")
    holdout = scores[scores["split"] == "holdout"]
    rank_correlation = {
        name: rows["combined_score"].corr(rows["propensity"], method="spearman")
        for name, rows in holdout.groupby("scoring_config")
    }
    assert min(rank_correlation["candidate"], rank_correlation["live"]) > 0.6
    assert rank_correlation["flat_engagement"] < rank_correlation["live"] - 0.1


def test_report_figures_match_an_independent_computation(reviewed):
    warehouse, folder, _ = reviewed
    scores = _scores(warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        figures = {
            table: con.sql(f"select * from review.{table}").df()
            for table in (
                "review_backtest_summary",
                "review_capacity_precision",
                "review_shadow_comparison",
            )
        }
    reported = review_figures(figures)
    holdout = scores[scores["split"] == "holdout"]
    live = holdout[holdout["scoring_config"] == "live"].set_index("lead_outcome_id")
    capacity = round(
        holdout[holdout["scoring_config"] == "live"]["was_assessed"].sum()
        / holdout["decision_week"].nunique()
    )
    for name, rows in holdout.groupby("scoring_config"):
        mine = reported[name]
        assert mine["cycles"] == len(rows)
        assert mine["auc_opportunity"] == pytest.approx(
            _auc(rows["combined_score"], rows["has_opportunity"]), abs=1e-4
        )
        assert mine["auc_won"] == pytest.approx(
            _auc(rows["combined_score"], rows["is_won"]), abs=1e-4
        )
        mqls = rows[rows["meets_mql_thresholds"]]
        assert mine["mqls"] == len(mqls)
        assert mine["mql_to_sql_rate"] == pytest.approx(mqls["is_sales_qualified"].mean())
        # The best-scored `capacity` cycles of each week, ties broken by cycle id.
        top = (
            rows.sort_values(["combined_score", "lead_outcome_id"], ascending=[False, True])
            .groupby("decision_week")
            .head(capacity)
        )
        assert mine["weekly_capacity"] == capacity
        assert mine["precision_at_capacity"] == pytest.approx(top["is_converted"].mean())
        other = rows.set_index("lead_outcome_id")
        added = int((other["meets_mql_thresholds"] & ~live["meets_mql_thresholds"]).sum())
        removed = int((~other["meets_mql_thresholds"] & live["meets_mql_thresholds"]).sum())
        assert (mine["mqls_added"], mine["mqls_removed"]) == (added, removed)
    sentence = (
        f"candidate adds {reported['candidate']['mqls_added']:,} MQLs, removes "
        f"{reported['candidate']['mqls_removed']:,}"
    )
    assert sentence in (folder / "model_review.html").read_text(encoding="utf-8")


def test_deciles_and_threshold_sweep_match_the_scores(reviewed):
    warehouse, _, _ = reviewed
    scores = _scores(warehouse)
    live = scores[(scores["scoring_config"] == "live") & (scores["split"] == "holdout")]
    ranked = live.sort_values(["combined_score", "lead_outcome_id"], ascending=[False, True])
    top_decile = ranked.head(int(np.ceil(len(ranked) / 10)))
    deciles = _query(
        warehouse,
        "select * from review.review_score_deciles where scoring_config = 'live'"
        " and split_name = 'holdout' order by score_decile",
    )
    assert deciles["cycles"].sum() == len(live)
    assert deciles.loc[0, "converted"] == top_decile["is_converted"].sum()
    assert deciles.loc[0, "conversion_rate"] > deciles.loc[9, "conversion_rate"]
    sweep = _query(
        warehouse,
        "select * from review.review_threshold_sweep where scoring_config = 'live'"
        " and split_name = 'holdout' and qualification = 'mql' and threshold = 90",
    ).iloc[0]
    qualified = live[(live["fit_grade"] <= "C") & (live["combined_score"] >= 90)]
    assert sweep["is_current"]  # the live rules' MQL threshold is 90
    assert sweep["qualified"] == len(qualified)
    assert sweep["precision"] == pytest.approx(qualified["is_converted"].mean())
    assert sweep["recall"] == pytest.approx(
        qualified["is_converted"].sum() / live["is_converted"].sum()
    )


def test_backtest_scores_are_the_point_in_time_scores(reviewed):
    """The live rules' backtest score of a cycle is the score the daily job kept for its lead at
    the end of the decision day (for leads and accounts never changed since), no event after
    that day counts, and a lead changed later is scored with the version it had then.

    The sample warehouse was built in one run, which scores every past day with the as-of day's
    profile, company age included; the review ages a company as of the decision day, as the
    daily run of that day did. So the scores are compared in the as-of day's year."""
    warehouse, _, _ = reviewed
    compared = _query(
        warehouse,
        f"""
        select review.combined_score as backtest, snapshot.combined_score as snapshot
        from review.review_scores as review
        inner join marts.lead_score_snapshots as snapshot
            on review.lead_id = snapshot.lead_id and review.decision_date = snapshot.as_of_date
        inner join staging.stg_landing__leads as leads on review.lead_id = leads.lead_id
        where review.scoring_config = 'live'
            and year(review.decision_date) = year(snapshot.as_of_date)
            and year(review.decision_date) = {END_DATE.year}
            and review.lead_id not in (
                select lead_id from staging.stg_landing__lead_versions where version_number > 1
            )
            and coalesce(leads.account_id, '') not in (
                select account_id from staging.stg_landing__account_versions
                where version_number > 1
            )
        """,
    )
    assert len(compared) > 1000
    assert (compared["backtest"] == compared["snapshot"]).all()
    ages = _query(
        warehouse,
        f"""
        select count(*) as profiles, count(*) filter (
            where profiles.company_age_years
                != year(profiles.profile_date) - accounts.founded_year
        ) as misaged
        from review.review_lead_profiles as profiles
        inner join staging.stg_landing__leads as leads on profiles.lead_id = leads.lead_id
        inner join staging.stg_landing__accounts as accounts
            on leads.account_id = accounts.account_id
        where year(profiles.profile_date) < {END_DATE.year}
        """,
    )
    assert ages["profiles"][0] > 0 and ages["misaged"][0] == 0  # aged as of the decision day
    promoted = _query(
        warehouse,
        """
        select profiles.job_title as title_then, lower(later.job_title) as title_now,
            lower(first.job_title) as first_title
        from review.review_decisions as decisions
        inner join staging.stg_landing__lead_versions as first
            on decisions.lead_id = first.lead_id and first.version_number = 1
        inner join staging.stg_landing__lead_versions as later
            on decisions.lead_id = later.lead_id and later.version_number = 2
        inner join review.review_lead_profiles as profiles
            on decisions.lead_id = profiles.lead_id
            and decisions.decision_date = profiles.profile_date
        where later.valid_from >= decisions.decision_date + 1
            and lower(later.job_title) != lower(first.job_title)
        """,
    )
    assert len(promoted) > 0  # job titles that changed after the decision day ...
    assert (promoted["title_then"] == promoted["first_title"]).all()  # ... are not seen
    demos = _query(
        warehouse,
        """
        with demos as (
            select decisions.lead_outcome_id, decisions.lead_id, decisions.decision_date,
                count(*) filter (where events.occurred_at < decisions.decision_date + 1) as before,
                count(*) filter (where events.occurred_at >= decisions.decision_date + 1) as after
            from review.review_decisions as decisions
            inner join staging.stg_landing__events as events
                on decisions.lead_id = events.lead_id and events.event_type = 'demo_booked'
                and events.occurred_at >= decisions.decision_date - 59
            group by all
        )
        select demos.*, coalesce(ledger.event_count, 0) as counted
        from demos
        left join review.review_score_ledger as ledger
            on ledger.scoring_config = 'live' and ledger.rule_id = 'demo_booked'
            and ledger.lead_id = demos.lead_id and ledger.as_of_date = demos.decision_date
        """,
    )
    assert demos["after"].sum() > 0  # demos booked after the decision exist ...
    assert (demos["counted"] == demos["before"]).all()  # ... and never count


def test_the_candidate_file_explains_each_change(reviewed):
    _, folder, _ = reviewed
    text = (folder / "candidate_rules.yml").read_text(encoding="utf-8")
    candidate = load_scoring_config(folder / "candidate_rules.yml")
    live = load_scoring_config(DEFAULT_RULES_PATH)
    assert "# was 25;" in text  # demo_booked's comment gives its old points and evidence
    kept_ids = {rule.id for rule in live.rules} & {rule.id for rule in candidate.rules}
    assert "demo_requested" in kept_ids
    # Attributes no live rule names got rules of their own (source, custom attributes).
    columns = {column for rule in candidate.rules for column in rule.columns}
    assert "source" in columns and "lead_attribute__lead_origin" in columns
    # Calibrated negative evidence keeps its meaning in the sum: students and job seekers
    # (supported, strongly negative) may take the demographic score below zero.
    student = next(rule for rule in candidate.rules if rule.id == "student_or_job_seeker")
    assert student.points < 0 and student.allow_negative_total


# --- custom attributes alone ---------------------------------------------------------------------


def test_a_deployment_with_custom_attributes_alone_gets_a_calibrated_model(tmp_path):
    landing = tmp_path / "landing"
    generate_attributes_only_landing(landing, 4000, seed=11, end_date=END_DATE)
    warehouse = tmp_path / "warehouse.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(LANDING_DIR_ENV, str(landing))
        patch.setenv(WAREHOUSE_ENV, str(warehouse))
        patch.setenv(AS_OF_DATE_ENV, END_DATE.isoformat())
        patch.setenv(SERVING_DIR_ENV, str(tmp_path / "serving"))
        assert execute_daily_job().success
    folder = _review(tmp_path, landing, warehouse) / END_DATE.isoformat()

    candidate = load_scoring_config(folder / "candidate_rules.yml")
    by_column: dict[str, list] = {}
    for rule in candidate.rules:
        for column in rule.columns:
            by_column.setdefault(column, []).append(rule)
    # Categorical attributes get a rule per supported value; numeric ones are binned.
    assert "lead_attribute__lead_origin" in by_column
    time_on_site = by_column["lead_attribute__time_on_site_seconds"]
    assert any(">=" in rule.condition for rule in time_on_site)
    assert len(time_on_site) >= 3
    # The rare city (10 leads) is under min_support and gets no points.
    assert not any("'tier_ii'" in rule.condition for rule in candidate.rules)

    summary = _query(
        warehouse, "select * from review.review_backtest_summary where split_name = 'holdout'"
    ).set_index("scoring_config")
    assert summary.loc["live", "auc_opportunity"] == pytest.approx(0.5)  # nothing to score on
    assert summary.loc["candidate", "auc_opportunity"] > 0.75
    truth = pq.read_table(landing / TRUTH_PATH).to_pandas()
    scores = _scores(warehouse).merge(truth, on="lead_id")
    candidate_scores = scores[scores["scoring_config"] == "candidate"]
    assert (
        candidate_scores["combined_score"].corr(candidate_scores["propensity"], method="spearman")
        > 0.5
    )


# --- bad input -----------------------------------------------------------------------------------


def test_an_invalid_rules_file_is_reported_before_the_review_starts(
    pipeline, tmp_path, capsys, monkeypatch
):
    for name in (WAREHOUSE_ENV, REVIEW_RULES_ENV):  # the flags set them; restored afterwards
        monkeypatch.setenv(name, "")
    broken = tmp_path / "broken.yml"
    broken.write_text("version: 1\nthresholds: {}\n", encoding="utf-8")
    code = main(["review", "--warehouse", str(pipeline.warehouse), "--rules", str(broken)])
    err = capsys.readouterr().err
    assert code == 2
    assert "invalid scoring rules in" in err and "broken.yml: missing key 'fit_grades'" in err
    assert "Traceback" not in err
    assert main(["review", "--rules", str(tmp_path / "missing.yml")]) == 2
    assert "no such rules file" in capsys.readouterr().err


def _warehouse_to_review(pipeline, tmp_path, monkeypatch) -> Path:
    """A copy of the sample warehouse, reviewed into tmp_path/review through the CLI's flags."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(pipeline.warehouse, warehouse)
    for name in (WAREHOUSE_ENV, AS_OF_DATE_ENV):  # the flags set them; restored afterwards
        monkeypatch.setenv(name, "")
    monkeypatch.setenv(REVIEW_DIR_ENV, str(tmp_path / "review"))
    return warehouse


def test_a_warehouse_without_old_enough_cycles_gets_a_clear_error(
    pipeline, tmp_path, capsys, monkeypatch
):
    warehouse = _warehouse_to_review(pipeline, tmp_path, monkeypatch)
    code = main(["review", "--warehouse", str(warehouse), "--as-of", "2026-01-20"])
    err = capsys.readouterr().err
    assert code == 1
    assert "no lead cycle is old enough to review" in err and "Traceback" not in err
    assert not (tmp_path / "review").exists()  # nothing half-written


def test_a_review_after_the_warehouse_day_or_without_conversions_is_refused(
    pipeline, tmp_path, capsys, monkeypatch
):
    warehouse = _warehouse_to_review(pipeline, tmp_path, monkeypatch)
    later = (END_DATE + timedelta(days=1)).isoformat()

    # The days after the warehouse's would count as cycles nobody converted.
    assert main(["review", "--warehouse", str(warehouse), "--as-of", later]) == 1
    err = capsys.readouterr().err
    assert f"holds scores and outcomes up to {END_DATE}" in err and "Traceback" not in err

    # No sales feedback yet: a candidate fitted to no conversion would qualify every lead.
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update marts.lead_outcomes set has_opportunity = false, is_won = false,"
            " opportunities = 0"
        )
    day = END_DATE.isoformat()
    assert main(["review", "--warehouse", str(warehouse), "--as-of", day]) == 1
    err = capsys.readouterr().err
    assert "only 0 of" in err and "training lead cycles converted" in err
    assert "Traceback" not in err
    assert not (tmp_path / "review").exists()  # nothing half-written
