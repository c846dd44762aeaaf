"""The model review, step by step: evidence, a candidate, its thresholds, the backtest, the report.

dbt does every computation on the warehouse (models/review/); this module passes it the
configurations to compare, turns the evidence into a candidate rules file (calibrate.py) and
writes the report (report.py). Three dbt runs, because each needs the file the step before wrote:

1. the live rules alone: the evidence per rule and attribute value;
2. the live rules and the draft candidate: the candidate's scores, to set its thresholds;
3. the live rules, the final candidate and any other rules file named: the backtest.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.resources import latest_scored_day
from orchestration.review.calibrate import (
    draft_candidate,
    match_thresholds,
    render_candidate,
)
from orchestration.review.report import write_review_report
from orchestration.review.settings import ReviewSettings
from orchestration.scoring.rules import ScoringConfig, load_scoring_config
from orchestration.transform.assets import dbt_vars

LIVE, CANDIDATE = "live", "candidate"
CANDIDATE_FILE = "candidate_rules.yml"
REPORT_FILE = "model_review.html"
FIGURES_FILE = "backtest_figures.json"
REVIEW_SELECTION = ("--select", "tag:review")
BACKTEST_TABLES = (
    "review_backtest_summary",
    "review_shadow_comparison",
    "review_score_deciles",
    "review_score_calibration",
    "review_threshold_sweep",
    "review_capacity_precision",
)

# Runs dbt with these arguments and --vars; raises when dbt fails.
DbtRunner = Callable[[Sequence[str], dict], None]


@dataclass(frozen=True)
class ReviewResult:
    folder: Path
    candidate_file: Path
    report_file: Path
    configs: tuple[str, ...]
    figures: dict[str, pd.DataFrame]


def run_review(
    *,
    run_dbt: DbtRunner,
    warehouse: Path,
    settings: ReviewSettings,
    live_rules: Path,
    other_rules: Sequence[Path],
    out_dir: Path,
    as_of: date,
    log: logging.Logger,
) -> ReviewResult:
    live = load_scoring_config(live_rules)
    others = _named_configs(other_rules)
    project_vars = dbt_vars(live, settings)

    def dbt_with(configs: list[tuple[str, ScoringConfig]]) -> None:
        write_review_configurations(warehouse, [(n, c) for n, c in configs if n != LIVE])
        run_dbt(["build", *REVIEW_SELECTION], project_vars)

    _refuse_a_day_after_the_warehouse(warehouse, as_of)
    log.info("Model review 1/3: evidence per rule and attribute value from the live rules")
    dbt_with([(LIVE, live)])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rule_evidence = con.sql("select * from review.review_rule_evidence").df()
        attribute_evidence = con.sql("select * from review.review_attribute_evidence").df()
        training = con.execute(
            "select count(*), avg(cast(is_converted as double)),"
            " count(case when is_converted then 1 end)"
            " from review.review_decisions where split = 'training'"
        ).fetchone()
    if not training or not training[0]:
        raise ReviewDataError(
            "no lead cycle is old enough to review: cycles must have started at least "
            f"{settings.outcome_window_days} days before {as_of} (outcome_window_days in "
            "scoring/review.yml)"
        )
    needed = settings.calibration.min_support
    if training[2] < needed:
        # Every rule would lack support on the converted side: the candidate would keep only
        # the rules nobody can measure and thresholds fitted to noise (all of them 0 with no
        # conversion at all, so every lead would qualify).
        raise ReviewDataError(
            f"only {training[2]} of {training[0]} training lead cycles converted "
            f"(target: {settings.target}); calibration needs at least {needed} "
            "(calibration.min_support in scoring/review.yml): wait for more sales feedback, "
            "widen outcome_window_days, or review target: opportunity rather than won"
        )

    out_dir.mkdir(parents=True, exist_ok=True)
    draft = draft_candidate(live, rule_evidence, attribute_evidence, settings)
    render = {
        "live_path": str(live_rules),
        "as_of": as_of,
        "training_cycles": int(training[0]),
        "conversion_rate": float(training[1] or 0),
        "settings": settings,
    }
    draft_file = out_dir / ".candidate_draft.yml"
    draft_file.write_text(render_candidate(draft, **render), encoding="utf-8")

    log.info("Model review 2/3: scoring the candidate to set its thresholds")
    dbt_with([(LIVE, live), (CANDIDATE, load_scoring_config(draft_file))])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        training_scores = con.sql(
            "select * from review.review_scores where split = 'training'"
        ).df()
    candidate = match_thresholds(
        draft,
        training_scores[training_scores["scoring_config"] == LIVE],
        training_scores[training_scores["scoring_config"] == CANDIDATE],
    )
    candidate_file = out_dir / CANDIDATE_FILE
    candidate_file.write_text(render_candidate(candidate, **render), encoding="utf-8")
    draft_file.unlink()
    candidate_config = load_scoring_config(candidate_file)  # the file a person would adopt

    log.info("Model review 3/3: backtest of the live rules, the candidate and any other file")
    configs = [(LIVE, live), (CANDIDATE, candidate_config), *others]
    dbt_with(configs)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        figures = {
            table: con.sql(f"select * from review.{table}").df() for table in BACKTEST_TABLES
        }
        figures["review_rule_evidence"] = rule_evidence
        figures["review_attribute_evidence"] = attribute_evidence

    report_file = out_dir / REPORT_FILE
    write_review_report(
        report_file,
        figures=figures,
        candidate=candidate,
        settings=settings,
        as_of=as_of,
        sources={LIVE: str(live_rules), CANDIDATE: str(candidate_file)}
        | {name: str(config.source) for name, config in others},
    )
    summary = figures["review_backtest_summary"]
    (out_dir / FIGURES_FILE).write_text(
        json.dumps(summary.to_dict(orient="records"), indent=2, default=str), encoding="utf-8"
    )
    return ReviewResult(
        folder=out_dir,
        candidate_file=candidate_file,
        report_file=report_file,
        configs=tuple(name for name, _ in configs),
        figures=figures,
    )


def write_review_configurations(
    warehouse: Path, configs: Sequence[tuple[str, ScoringConfig]]
) -> None:
    """The configurations the review models score besides the live rules (read by the dbt macro
    review_configs), replaced as a whole."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema if not exists review")
        con.execute(
            "create or replace table review.review_configurations ("
            " position integer, scoring_config varchar, source_file varchar, scoring varchar)"
        )
        rows = [
            (position, name, str(config.source), json.dumps(config.to_dbt_vars()["scoring"]))
            for position, (name, config) in enumerate(configs, start=1)
        ]
        if rows:
            con.executemany("insert into review.review_configurations values (?, ?, ?, ?)", rows)


class ReviewDataError(ValueError):
    """The warehouse holds nothing the review can learn from or test on."""


def _refuse_a_day_after_the_warehouse(warehouse: Path, as_of: date) -> None:
    """The review reads outcomes as the daily run left them: reviewed as of a later day, the
    cycles of the days in between would look unconverted."""
    scored = latest_scored_day(warehouse)
    if scored is None:
        raise ReviewDataError(f"{warehouse} holds no scores yet: run `leadqual run` first")
    if as_of > scored:
        raise ReviewDataError(
            f"the warehouse holds scores and outcomes up to {scored}, so a review as of {as_of}"
            " would count the cycles of the days after as unconverted: run `leadqual run "
            f"--as-of {as_of}` first, or review with --as-of {scored}"
        )


def copy_to_latest(review_dir: Path, folder: Path) -> None:
    """Copy the review's files to ``<review_dir>/latest`` for a stable address."""
    latest = review_dir / "latest"
    if latest.exists():
        shutil.rmtree(latest)
    shutil.copytree(folder, latest)


def _named_configs(paths: Sequence[Path]) -> list[tuple[str, ScoringConfig]]:
    named: list[tuple[str, ScoringConfig]] = []
    taken = {LIVE, CANDIDATE}
    for path in paths:
        base = re.sub(r"[^a-z0-9]+", "_", Path(path).stem.lower()).strip("_") or "rules"
        name, number = base, 2
        while name in taken:
            name, number = f"{base}_{number}", number + 1
        taken.add(name)
        named.append((name, load_scoring_config(Path(path))))
    return named
