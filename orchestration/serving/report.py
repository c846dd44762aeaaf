"""The funnel report: one static HTML file a person opens in a browser, no network needed.

It reads only the exported marts (the KPI definitions live in dbt) and draws them with Plotly,
whose JavaScript is embedded once in the file. ``headline_figures`` returns the numbers the
report prints, so that a test can check them against an independent computation.
"""

from __future__ import annotations

import html
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go

FUNNEL_STEPS = [
    ("leads", "Leads"),
    ("mqls", "MQL"),
    ("sqls", "SQL"),
    ("opportunities", "Opportunity"),
    ("won", "Won"),
]


def headline_figures(con: duckdb.DuckDBPyConnection) -> dict[str, float | int | None]:
    """The report's headline numbers, each from one mart."""

    def one(sql: str):
        return con.execute(sql).fetchall()[0]

    leads, mqls, sqls, opportunities, won = one(
        "select sum(leads), sum(mqls), sum(sqls), sum(opportunities), sum(won)"
        " from funnel_by_cohort where cohort_grain = 'month'"
    )
    mql_to_sql, sql_to_opportunity = one(
        """
        select
            sum(converted) filter (where conversion_step = 'mql_to_sql')
            / sum(entered) filter (where conversion_step = 'mql_to_sql'),
            sum(converted) filter (where conversion_step = 'sql_to_opportunity')
            / sum(entered) filter (where conversion_step = 'sql_to_opportunity')
        from conversion_rates
        """
    )
    target_low, target_high = one(
        "select min(target_rate_low), max(target_rate_high) from conversion_rates"
    )
    spend, cost_sqls, cost_won, unconverted = one(
        "select sum(spend), sum(sqls), sum(won), sum(spend_rows_without_rate)"
        " from acquisition_costs"
    )
    # The latest whole month against a whole month: the first and the current one are partial.
    velocity = con.execute(
        "select mql_velocity_rate from ("
        " select period_month, mql_velocity_rate, is_complete_month,"
        " lag(is_complete_month) over (order by period_month) as previous_is_complete"
        " from lead_velocity)"
        " where is_complete_month and previous_is_complete order by period_month desc limit 1"
    ).fetchall()
    breaches, stl_leads = one(
        "select sum(sla_breaches), sum(leads) from speed_to_lead where starting_stage = 'mql'"
    )
    return {
        "leads": int(leads or 0),
        "mqls": int(mqls or 0),
        "sqls": int(sqls or 0),
        "opportunities": int(opportunities or 0),
        "won": int(won or 0),
        "mql_to_sql_rate": mql_to_sql,
        "sql_to_opportunity_rate": sql_to_opportunity,
        "mql_to_sql_target_low": target_low,
        "mql_to_sql_target_high": target_high,
        "total_spend": spend,
        "spend_rows_without_rate": int(unconverted or 0),
        "cost_per_qualified_lead": spend / cost_sqls if cost_sqls else None,
        "customer_acquisition_cost": spend / cost_won if cost_won else None,
        "lead_velocity_rate": velocity[0][0] if velocity else None,
        "mql_sla_breach_share": breaches / stl_leads if stl_leads else None,
    }


def write_report(serving_db: Path, out: Path) -> dict[str, float | int | None]:
    with duckdb.connect(str(serving_db), read_only=True) as con:
        figures = headline_figures(con)
        frames = {
            name: con.execute(f"select * from {name}").df()
            for name in (
                "funnel_by_cohort",
                "conversion_rates",
                "sales_cycle_length",
                "acquisition_costs",
                "leads_per_stage_daily",
                "lead_velocity",
                "time_in_stage",
                "speed_to_lead",
            )
        }
    charts = [
        ("Funnel", _funnel_chart(figures)),
        ("Conversion against the target band", _conversion_chart(frames["conversion_rates"])),
        ("Sales cycle length", _cycle_chart(frames["sales_cycle_length"])),
        ("Cost per qualified lead and CAC by source", _cost_chart(frames["acquisition_costs"])),
        ("Leads per stage over time", _stage_chart(frames["leads_per_stage_daily"])),
    ]
    sections = []
    for index, (title, figure) in enumerate(charts):
        figure.update_layout(title=title, height=420, margin={"t": 60, "b": 40})
        sections.append(
            figure.to_html(full_html=False, include_plotlyjs=index == 0, default_height="420px")
        )
    page = _page(figures, frames, sections)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    return figures


def _funnel_chart(figures: dict) -> go.Figure:
    return go.Figure(
        go.Funnel(
            y=[label for _, label in FUNNEL_STEPS],
            x=[figures[key] for key, _ in FUNNEL_STEPS],
            textinfo="value+percent initial",
        )
    )


def _conversion_chart(rates: pd.DataFrame) -> go.Figure:
    monthly = rates.groupby(["period_month", "conversion_step"], as_index=False)[
        ["entered", "converted"]
    ].sum()
    monthly["rate"] = monthly["converted"] / monthly["entered"]
    figure = go.Figure()
    for step, label in (("mql_to_sql", "MQL → SQL"), ("sql_to_opportunity", "SQL → opportunity")):
        series = monthly[monthly["conversion_step"] == step]
        figure.add_scatter(
            x=series["period_month"], y=series["rate"], mode="lines+markers", name=label
        )
    low = rates["target_rate_low"].dropna()
    high = rates["target_rate_high"].dropna()
    if not low.empty:
        figure.add_hrect(
            y0=low.min(),
            y1=high.max(),
            fillcolor="green",
            opacity=0.12,
            line_width=0,
            annotation_text="MQL → SQL target band",
        )
    figure.update_yaxes(tickformat=".0%", title="conversion")
    return figure


def _cycle_chart(cycles: pd.DataFrame) -> go.Figure:
    figure = go.Figure()
    for outcome in ("won", "lost"):
        rows = cycles[cycles["outcome"] == outcome]
        by_source = rows.groupby("source").apply(
            lambda g: (
                (g["sql_to_close_median_days"] * g["deals_through_sql"]).sum()
                / g["deals_through_sql"].sum()
            ),
            include_groups=False,
        )
        figure.add_bar(x=by_source.index, y=by_source.values, name=f"{outcome}: SQL → close")
    figure.update_yaxes(title="median days (deal-weighted over months)")
    return figure


def _cost_chart(costs: pd.DataFrame) -> go.Figure:
    by_source = costs.groupby("source")[["spend", "sqls", "won"]].sum()
    paid = by_source[by_source["spend"] > 0]
    figure = go.Figure()
    figure.add_bar(
        x=paid.index, y=paid["spend"] / paid["sqls"].where(paid["sqls"] > 0), name="cost per SQL"
    )
    figure.add_bar(x=paid.index, y=paid["spend"] / paid["won"].where(paid["won"] > 0), name="CAC")
    figure.update_layout(barmode="group")
    figure.update_yaxes(title="spend per lead (currency of the spend)")
    return figure


def _stage_chart(daily: pd.DataFrame) -> go.Figure:
    figure = go.Figure()
    for stage, rows in daily.sort_values("calendar_date").groupby("lifecycle_stage"):
        figure.add_scatter(
            x=rows["calendar_date"], y=rows["leads_in_stage"], name=stage, stackgroup="stages"
        )
    figure.update_yaxes(title="leads")
    return figure


def format_percent(value) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value:.1%}"


def format_number(value, digits: int = 0) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value:,.{digits}f}"


def _unconverted_note(figures: dict) -> str:
    rows = figures["spend_rows_without_rate"]
    return f" (without {rows} spend rows in a currency with no exchange rate)" if rows else ""


def _page(figures: dict, frames: dict[str, pd.DataFrame], sections: list[str]) -> str:
    headline = [
        ("Leads", format_number(figures["leads"])),
        ("MQLs", format_number(figures["mqls"])),
        ("SQLs", format_number(figures["sqls"])),
        ("Opportunities", format_number(figures["opportunities"])),
        ("Won", format_number(figures["won"])),
        (
            "MQL → SQL",
            f"{format_percent(figures['mql_to_sql_rate'])} (target "
            f"{format_percent(figures['mql_to_sql_target_low'])} to "
            f"{format_percent(figures['mql_to_sql_target_high'])})",
        ),
        ("SQL → opportunity", format_percent(figures["sql_to_opportunity_rate"])),
        # Blended: all spend over the SQLs and wins of every source, unpaid ones included.
        (
            "Cost per qualified lead (blended)" + _unconverted_note(figures),
            format_number(figures["cost_per_qualified_lead"], 2),
        ),
        (
            "Customer acquisition cost (blended)" + _unconverted_note(figures),
            format_number(figures["customer_acquisition_cost"], 2),
        ),
        ("Lead velocity (last full month, MQLs)", format_percent(figures["lead_velocity_rate"])),
        ("MQLs breaching the speed-to-lead SLA", format_percent(figures["mql_sla_breach_share"])),
    ]
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in headline
    )
    stages = frames["time_in_stage"].sort_values("lifecycle_stage")
    stage_rows = "".join(
        f"<tr><th>{html.escape(r.lifecycle_stage)}</th><td>{format_number(r.median_days, 1)}</td>"
        f"<td>{format_number(r.leads_in_stage_now)}</td></tr>"
        for r in stages.itertuples()
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lead funnel report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }}
table {{ border-collapse: collapse; margin: 1rem 0 2rem; }}
th, td {{ text-align: left; padding: 0.3rem 1rem; border-bottom: 1px solid #ddd; }}
</style></head><body>
<h1>Lead funnel report</h1>
<h2>Headline figures</h2><table>{rows}</table>
<h2>Median days in each stage</h2>
<table><tr><th>stage</th><th>median days</th><th>leads now</th></tr>{stage_rows}</table>
{"".join(f"<section>{section}</section>" for section in sections)}
</body></html>
"""
