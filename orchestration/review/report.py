"""The model review report: one static HTML file (Plotly embedded once, no network needed).

It only draws what the dbt review models computed. ``review_figures`` returns the numbers the
report leads with, so that a test can check them against an independent computation.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from orchestration.review.calibrate import Candidate
from orchestration.review.settings import ReviewSettings
from orchestration.serving.report import format_number, format_percent

LIVE = "live"
HEADLINE_SPLIT = "holdout"


def review_figures(figures: dict[str, pd.DataFrame], split: str = HEADLINE_SPLIT) -> dict:
    """Per configuration, on one split: AUCs, conversion, MQLs and their conversion, precision at
    capacity, and for every configuration but the live one, the MQLs it adds and removes."""
    summary = figures["review_backtest_summary"]
    capacity = figures["review_capacity_precision"]
    shadow = figures["review_shadow_comparison"]
    result: dict[str, dict] = {}
    for row in summary[summary["split_name"] == split].itertuples():
        weeks = capacity[
            (capacity["scoring_config"] == row.scoring_config) & (capacity["split_name"] == split)
        ]
        compared = shadow[
            (shadow["scoring_config"] == row.scoring_config) & (shadow["split_name"] == split)
        ]
        figures_of_config = {
            "cycles": int(row.cycles),
            "converted": int(row.converted),
            "auc_opportunity": _float(row.auc_opportunity),
            "auc_won": _float(row.auc_won),
            "mqls": int(row.mqls),
            "mql_to_sql_rate": _float(row.mql_to_sql_rate),
            "mql_to_opportunity_rate": _float(row.mql_to_opportunity_rate),
            "weekly_capacity": int(weeks["weekly_capacity"].max()) if len(weeks) else None,
            "precision_at_capacity": _float(
                weeks["worked_converted"].sum() / weeks["worked"].sum()
                if len(weeks) and weeks["worked"].sum()
                else None
            ),
        }
        if len(compared):
            other = compared.iloc[0]
            figures_of_config |= {
                "mqls_added": int(other["mqls_added"]),
                "mqls_removed": int(other["mqls_removed"]),
                "live_mql_to_sql_rate": _float(other["live_mql_to_sql_rate"]),
            }
        result[row.scoring_config] = figures_of_config
    return result


def shadow_sentence(name: str, figures: dict) -> str:
    """'The candidate adds N MQLs, removes M, and moves MQL→SQL conversion from x % to y %.'"""
    mine, live = figures[name], figures[LIVE]
    return (
        f"{name} adds {mine['mqls_added']:,} MQLs, removes {mine['mqls_removed']:,}, and moves "
        f"MQL→SQL conversion from {format_percent(live['mql_to_sql_rate'])} to "
        f"{format_percent(mine['mql_to_sql_rate'])} (MQL→opportunity from "
        f"{format_percent(live['mql_to_opportunity_rate'])} to "
        f"{format_percent(mine['mql_to_opportunity_rate'])}); AUC against an opportunity "
        f"{format_number(live['auc_opportunity'], 3)} → "
        f"{format_number(mine['auc_opportunity'], 3)}."
    )


def write_review_report(
    out: Path,
    *,
    figures: dict[str, pd.DataFrame],
    candidate: Candidate,
    settings: ReviewSettings,
    as_of: date,
    sources: dict[str, str],
) -> dict:
    headline = review_figures(figures)
    training = review_figures(figures, "training")
    charts = [
        ("Conversion by score decile (held-out cycles)", _decile_chart(figures)),
        ("MQL threshold: share qualified and their conversion", _sweep_chart(figures)),
        ("What a score means: conversion per band of 10 points", _calibration_chart(figures)),
        ("Precision at sales capacity, week by week", _capacity_chart(figures)),
    ]
    sections = []
    for index, (title, figure) in enumerate(charts):
        figure.update_layout(title=title, height=420, margin={"t": 60, "b": 40})
        sections.append(
            figure.to_html(full_html=False, include_plotlyjs=index == 0, default_height="420px")
        )
    page = _page(headline, training, figures, candidate, settings, as_of, sources, sections)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    return headline


# --- charts -------------------------------------------------------------------------------------


def _split(frame: pd.DataFrame, split: str = HEADLINE_SPLIT) -> pd.DataFrame:
    return frame[frame["split_name"] == split]


def _decile_chart(figures: dict) -> go.Figure:
    deciles = _split(figures["review_score_deciles"])
    figure = go.Figure()
    for name, rows in deciles.groupby("scoring_config", sort=False):
        rows = rows.sort_values("score_decile")
        figure.add_bar(x=rows["score_decile"], y=rows["conversion_rate"], name=name)
    figure.update_layout(xaxis_title="score decile (1 = best scored tenth)", yaxis_tickformat=".0%")
    return figure


def _sweep_chart(figures: dict) -> go.Figure:
    sweep = _split(figures["review_threshold_sweep"])
    sweep = sweep[sweep["qualification"] == "mql"]
    figure = go.Figure()
    for name, rows in sweep.groupby("scoring_config", sort=False):
        rows = rows.sort_values("threshold")
        figure.add_scatter(x=rows["threshold"], y=rows["precision"], name=f"{name}: converted")
        figure.add_scatter(
            x=rows["threshold"],
            y=rows["qualified_share"],
            name=f"{name}: qualified",
            line={"dash": "dot"},
        )
        current = rows[rows["is_current"]]
        figure.add_scatter(
            x=current["threshold"],
            y=current["precision"],
            mode="markers",
            marker={"size": 12, "symbol": "diamond"},
            name=f"{name}: its threshold",
        )
    figure.update_layout(xaxis_title="MQL threshold (combined score)", yaxis_tickformat=".0%")
    return figure


def _calibration_chart(figures: dict) -> go.Figure:
    bands = _split(figures["review_score_calibration"], "all")
    figure = go.Figure()
    for name, rows in bands.groupby("scoring_config", sort=False):
        rows = rows[rows["cycles"] >= 20].sort_values("score_band")
        figure.add_scatter(x=rows["score_band"], y=rows["conversion_rate"], name=name)
    figure.update_layout(xaxis_title="combined score band", yaxis_tickformat=".0%")
    return figure


def _capacity_chart(figures: dict) -> go.Figure:
    weeks = _split(figures["review_capacity_precision"])
    figure = go.Figure()
    for name, rows in weeks.groupby("scoring_config", sort=False):
        rows = rows.sort_values("decision_week")
        figure.add_scatter(x=rows["decision_week"], y=rows["precision_at_capacity"], name=name)
    baseline = weeks.drop_duplicates("decision_week").sort_values("decision_week")
    figure.add_scatter(
        x=baseline["decision_week"],
        y=baseline["random_precision"],
        name="picked blindly",
        line={"dash": "dot"},
    )
    figure.update_layout(xaxis_title="week of decision", yaxis_tickformat=".0%")
    return figure


# --- page ---------------------------------------------------------------------------------------


def _page(
    headline: dict,
    training: dict,
    figures: dict,
    candidate: Candidate,
    settings: ReviewSettings,
    as_of: date,
    sources: dict[str, str],
    sections: list[str],
) -> str:
    sentences = "".join(
        f"<li>{html.escape(shadow_sentence(name, headline))}</li>"
        for name in headline
        if name != LIVE
    )
    summary_rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(value))}</td>"
            for value in (
                name,
                format_number(values["auc_opportunity"], 3),
                format_number(values["auc_won"], 3),
                format_number(training.get(name, {}).get("auc_opportunity"), 3),
                format_number(values["cycles"]),
                format_percent(values["converted"] / max(values["cycles"], 1)),
                format_number(values["mqls"]),
                format_percent(values["mql_to_sql_rate"]),
                format_percent(values["mql_to_opportunity_rate"]),
                f"{format_percent(values['precision_at_capacity'])} "
                f"(top {values['weekly_capacity']}/week)",
            )
        )
        + "</tr>"
        for name, values in headline.items()
    )
    source_rows = "".join(
        f"<tr><th>{html.escape(name)}</th><td>{html.escape(path)}</td></tr>"
        for name, path in sources.items()
    )
    thresholds = candidate.thresholds
    grades = ", ".join(f"{grade} from {points}" for grade, points in candidate.fit_grades.items())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Scoring model review {as_of}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }}
table {{ border-collapse: collapse; margin: 1rem 0 2rem; }}
th, td {{ text-align: left; padding: 0.3rem 0.8rem; border-bottom: 1px solid #ddd; }}
td.num {{ text-align: right; }}
</style></head><body>
<h1>Scoring model review as of {as_of}</h1>
<p>Every lead cycle that started at least {settings.outcome_window_days} days before {as_of} is
scored as of the end of its decision day (the day before sales first touched it, or
{settings.decision_horizon_days} days after it started), from what was known then, by each
configuration below. Converted means: {html.escape(settings.target)}. {settings.holdout_percent} %
of leads (by a hash of lead_id) are held out: the candidate was calibrated without them, and the
figures below are theirs unless said otherwise.</p>
<h2>What would change</h2><ul>{sentences}</ul>
<h2>Backtest (held-out cycles)</h2>
<table><tr><th>configuration</th><th>AUC opportunity</th><th>AUC won</th>
<th>AUC opportunity (training)</th><th>cycles</th><th>converted</th><th>MQLs</th>
<th>MQL → SQL</th><th>MQL → opportunity</th><th>precision at capacity</th></tr>
{summary_rows}</table>
<h2>Configurations</h2><table>{source_rows}</table>
<p>Candidate thresholds: MQL from {thresholds["mql_min_combined_score"]} points (fit grade
{thresholds["mql_min_fit_grade"]} or better), SQL from {thresholds["sql_min_combined_score"]};
fit grades {grades}. They qualify as many training cycles as the live rules do.</p>
{"".join(f"<section>{section}</section>" for section in sections)}
<h2>Rules: live points and candidate points</h2>
{_changes_table(candidate)}
<h2>Evidence per attribute value (training cycles)</h2>
{_evidence_table(figures["review_attribute_evidence"])}
<h2>Conversion by score decile (held-out cycles)</h2>
{_decile_table(figures["review_score_deciles"])}
<h2>Calibration: conversion per band of 10 points (all cycles)</h2>
{_calibration_table(figures["review_score_calibration"])}
<h2>Threshold sweep (held-out cycles)</h2>
{_sweep_table(figures["review_threshold_sweep"])}
</body></html>
"""


def _html_table(headers: list[str], rows: Iterable[list[str]], text_columns: int) -> str:
    """A table of formatted (and escaped) cells: the first ``text_columns`` cells of a row are
    text, the others numbers (right-aligned)."""
    head = "".join(f"<th>{header}</th>" for header in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{cell}</td>" if column < text_columns else f"<td class=num>{cell}</td>"
            for column, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _changes_table(candidate: Candidate) -> str:
    headers = ["rule", "attribute", "what", "live points", "candidate points"]
    headers += ["training cycles it counts for", "converted", "note"]
    rows = (
        [
            html.escape(value)
            for value in (
                str(change["rule_id"] or "-"),
                str(change["attribute"] or "rule"),
                str(change["value"]),
                "-" if change["live_points"] is None else str(change["live_points"]),
                "-" if change["candidate_points"] is None else str(change["candidate_points"]),
                "-" if change["cycles"] is None else format_number(change["cycles"]),
                format_percent(change["conversion_rate"]),
                str(change["note"]),
            )
        ]
        for change in candidate.changes
    )
    return _html_table(headers, rows, text_columns=len(headers))


def _evidence_table(evidence: pd.DataFrame) -> str:
    shown = evidence[evidence["is_supported"]].sort_values(
        "weight_of_evidence", key=lambda values: values.abs(), ascending=False
    )
    rows = (
        [
            html.escape(r.attribute),
            html.escape(_value(r)),
            format_number(r.cycles),
            format_percent(r.conversion_rate),
            f"{r.weight_of_evidence:+.2f}",
            format_number(r.suggested_points),
        ]
        for r in shown.head(40).itertuples()
    )
    headers = ["attribute", "value", "cycles", "converted", "log-odds vs all", "points"]
    return _html_table(headers, rows, text_columns=2)


def _decile_table(deciles: pd.DataFrame) -> str:
    shown = _split(deciles).sort_values(["scoring_config", "score_decile"])
    rows = (
        [
            html.escape(r.scoring_config),
            str(r.score_decile),
            f"{r.min_score} to {r.max_score}",
            format_number(r.cycles),
            format_percent(r.conversion_rate),
            format_percent(r.won_rate),
            format_number(r.lift, 2),
            format_percent(r.cumulative_capture),
        ]
        for r in shown.itertuples()
    )
    headers = ["configuration", "decile", "scores", "cycles", "converted", "won", "lift"]
    headers.append("conversions captured so far")
    return _html_table(headers, rows, text_columns=1)


def _calibration_table(bands: pd.DataFrame) -> str:
    shown = _split(bands, "all").sort_values(["scoring_config", "score_band"])
    rows = (
        [
            html.escape(r.scoring_config),
            f"{r.score_band} to {r.score_band_end}",
            format_number(r.cycles),
            format_percent(r.conversion_rate),
            format_percent(r.opportunity_rate),
            format_percent(r.won_rate),
            format_percent(r.sales_accepted_rate),
        ]
        for r in shown.itertuples()
    )
    headers = ["configuration", "combined score", "cycles", "converted", "opportunity", "won"]
    headers.append("accepted by sales")
    return _html_table(headers, rows, text_columns=1)


def _sweep_table(sweep: pd.DataFrame) -> str:
    shown = _split(sweep).sort_values(["qualification", "scoring_config", "threshold"])
    rows = (
        [
            r.qualification.upper(),
            html.escape(r.scoring_config),
            f"{r.threshold}{' (current)' if r.is_current else ''}",
            format_number(r.qualified),
            format_percent(r.qualified_share),
            format_percent(r.precision),
            format_percent(r.recall),
        ]
        for r in shown.itertuples()
    )
    headers = ["stage", "configuration", "threshold", "qualified", "share of cycles"]
    headers += ["converted", "share of all conversions"]
    return _html_table(headers, rows, text_columns=2)


def _value(row) -> str:
    if row.value_kind == "missing":
        return "(missing)"
    if row.value_kind == "value":
        return str(row.value_text)
    low = "" if pd.isna(row.lower_bound) else f"{row.lower_bound:g}"
    high = "" if pd.isna(row.upper_bound) else f"{row.upper_bound:g}"
    return f"[{low}, {high})"


def _float(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
