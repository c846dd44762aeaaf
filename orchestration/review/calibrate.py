"""Turn the evidence of the dbt review models into a candidate scoring rules file.

The numbers come from SQL (review_rule_evidence, review_attribute_evidence: smoothed log-odds per
rule and per attribute value, with minimum support); this module only decides how they become a
rules file a person can read, review and adopt:

- every live rule keeps its condition and shape (look-back, half-life) and gets the points its
  evidence suggests; a rule whose sign flips moves to or from the negative section; a rule with
  too little support keeps its points; a rule whose evidence rounds to 0 points is left out;
- every supported value of an attribute no live rule names (custom attributes included) becomes a
  rule of its own, so a deployment with custom attributes alone still gets a model; numeric
  attributes arrive binned;
- thresholds and fit grades are set so that the candidate qualifies as many lead cycles as the live
  rules do (``match_thresholds``): the comparison then asks which leads, not how many.

Points are naive-Bayes style: log-odds x points_per_log_odds, added up. Negative evidence may take
a dimension below zero (allow_negative_total), so that the sum keeps its meaning.
"""

from __future__ import annotations

import math
import re
import textwrap
from dataclasses import dataclass, field, replace
from datetime import date

import pandas as pd
import yaml

from orchestration.review.settings import ReviewSettings
from orchestration.scoring.rules import (
    ATTRIBUTE_COLUMN,
    ENGAGEMENT_MAX,
    FIT_GRADE_KEYS,
    GRADES,
    LEDGER_ENTRY_IDS,
    NEGATIVE_SECTION,
    PROFILE,
    SECTIONS,
    ScoringConfig,
    ScoringRule,
    check_condition,
)

# Attributes of the account describe its money and growth (firmographic); the others describe
# who the lead and company are (demographic).
FIRMOGRAPHIC_ATTRIBUTES = ("annual_revenue", "budget", "growth_rate")
# When the live rules qualify almost nobody (or everybody), the candidate qualifies the share of
# cycles sales assessed as MQLs, and grades fit with these cumulative shares (A, A+B, A+B+C).
FALLBACK_GRADE_SHARES = (0.10, 0.30, 0.60)


@dataclass
class CandidateRule:
    id: str
    description: str
    section: str
    dimension: str
    condition: str
    points: int
    note: str
    lookback_days: int | None = None
    half_life_days: float | int | None = None
    cap: int | None = None
    allow_negative_total: bool = False
    is_behavioural: bool = False


@dataclass
class Candidate:
    rules: list[CandidateRule]
    thresholds: dict[str, object]
    fit_grades: dict[str, int]
    dimension_caps: dict[str, int | None]
    changes: list[dict[str, object]] = field(default_factory=list)  # for the report


def draft_candidate(
    live: ScoringConfig,
    rule_evidence: pd.DataFrame,
    attribute_evidence: pd.DataFrame,
    settings: ReviewSettings,
) -> Candidate:
    """The candidate's rules and points; thresholds and fit grades are the live ones until
    ``match_thresholds`` sets them from the candidate's scores."""
    evidence = {row.rule_id: row for row in rule_evidence.itertuples(index=False)}
    rules: list[CandidateRule] = []
    changes: list[dict[str, object]] = []
    for rule in live.rules:
        row = evidence.get(rule.id)
        candidate_rule, change = _recalibrated(rule, row, settings)
        changes.append(change)
        if candidate_rule is not None:
            rules.append(candidate_rule)

    covered = {column for rule in live.rules for column in rule.columns}
    taken = {rule.id for rule in rules} | LEDGER_ENTRY_IDS
    supported = attribute_evidence[
        attribute_evidence["is_supported"] & ~attribute_evidence["attribute"].isin(covered)
    ]
    for row in supported.sort_values(["attribute", "lower_bound", "value_text"]).itertuples():
        points = int(row.suggested_points)
        label = _value_label(row)
        change = {
            "rule_id": None,
            "kind": "attribute value",
            "attribute": row.attribute,
            "value": label,
            "live_points": None,
            "candidate_points": points or None,
            "cycles": int(row.cycles),
            "conversion_rate": row.conversion_rate,
            "note": "no effect (0 points)" if points == 0 else "new rule",
        }
        condition = _attribute_condition(row)
        problems = check_condition(condition, PROFILE).problems
        if points != 0 and problems:
            # A custom attribute whose name is no snake_case identifier (a header such as
            # "Lead Origin") cannot be named in a rule: one such name must not stop the review.
            change["candidate_points"] = None
            change["note"] = f"left out: no rule can name {row.attribute!r} ({problems[0]})"
        elif points != 0:
            rule_id = _unique_id(_slug(f"{_attribute_name(row.attribute)}_{label}"), taken)
            change["rule_id"] = rule_id
            dimension = (
                "firmographic"
                if row.attribute in FIRMOGRAPHIC_ATTRIBUTES
                or row.attribute.startswith("account_attribute__")
                else "demographic"
            )
            rules.append(
                CandidateRule(
                    id=rule_id,
                    description=f"{_attribute_label(row.attribute)} is {label}",
                    section=dimension if points > 0 else NEGATIVE_SECTION,
                    dimension=dimension,
                    condition=condition,
                    points=points,
                    note=f"{int(row.cycles)} cycles, {row.conversion_rate:.1%} converted",
                    allow_negative_total=points < 0,
                )
            )
        changes.append(change)

    return Candidate(
        rules=rules,
        thresholds=live.thresholds.to_dict(),
        fit_grades=dict(live.fit_grades),
        dimension_caps=_engagement_caps(rules),
        changes=changes,
    )


def match_thresholds(
    candidate: Candidate, live_scores: pd.DataFrame, candidate_scores: pd.DataFrame
) -> Candidate:
    """Fit grades, MQL and SQL thresholds that give the candidate the live rules' shares of A, B,
    C grades, MQLs and SQL-ready scores on the same lead cycles (the training split)."""
    n = len(live_scores)
    grade_shares = [float((live_scores["fit_grade"] <= grade).mean()) for grade in FIT_GRADE_KEYS]
    if n == 0 or all(share in (0.0, 1.0) for share in grade_shares):
        grade_shares = list(FALLBACK_GRADE_SHARES)
    fit = candidate_scores["fit_score"].to_numpy()
    minimums = [max(_threshold_for_share(fit, share), 0) for share in grade_shares]
    for index in (1, 2):  # A > B > C >= 0
        minimums[index] = min(minimums[index], minimums[index - 1] - 1)
    if minimums[2] < 0:
        minimums = [value - minimums[2] for value in minimums]
    fit_grades = dict(zip(FIT_GRADE_KEYS, minimums, strict=True))

    mql_grade = str(candidate.thresholds["mql_min_fit_grade"])
    grade = pd.Series(
        _grades(candidate_scores["fit_score"].to_numpy(), fit_grades), index=candidate_scores.index
    )
    fit_ok = candidate_scores.loc[grade <= mql_grade, "combined_score"].to_numpy()
    mql_share = float(live_scores["meets_mql_thresholds"].mean()) if n else 0.0
    if mql_share in (0.0, 1.0):
        mql_share = float(live_scores["was_assessed"].mean()) if n else 0.0
    sql_share = float(live_scores["meets_sql_threshold"].mean()) if n else 0.0
    combined = candidate_scores["combined_score"].to_numpy()
    # Shares of all cycles: MQL among those of a good enough grade.
    mql = max(_threshold_for_share(fit_ok, mql_share * n / max(len(fit_ok), 1)), 0)
    sql = max(_threshold_for_share(combined, sql_share), mql) if sql_share > 0 else mql
    thresholds = {
        **candidate.thresholds,
        "mql_min_combined_score": int(mql),
        "sql_min_combined_score": int(sql),
    }
    return replace(candidate, thresholds=thresholds, fit_grades=fit_grades)


def render_candidate(
    candidate: Candidate,
    *,
    live_path: str,
    as_of: date,
    training_cycles: int,
    conversion_rate: float,
    settings: ReviewSettings,
) -> str:
    """The candidate as a rules file in the format of scoring/rules.yml, with a comment per rule
    saying where its points come from."""
    calibration = settings.calibration
    lines = [
        f"# Candidate scoring rules from the model review as of {as_of.isoformat()}.",
        f"# Calibrated on {training_cycles:,} training lead cycles ({conversion_rate:.1%} "
        f"reached the target: {settings.target}) from the live rules in {live_path}.",
        f"# Points: {calibration.points_per_log_odds:g} per unit of smoothed log-odds "
        f"({calibration.smoothing_cycles:g} cycles of smoothing); a rule or value needs "
        f"{calibration.min_support} cycles to be calibrated.",
        "# Thresholds and fit grades qualify as many lead cycles as the live rules do.",
        "# Compare it with the live rules in the model review report; adopt it by copying it over",
        "# dbt_project/scoring/rules.yml (or LEADQUAL_SCORING_RULES=<this file>). Keys: see there.",
        "",
        "version: 1",
        "",
        "thresholds:",
    ]
    lines += [f"  {key}: {_scalar(value)}" for key, value in candidate.thresholds.items()]
    grades = ", ".join(f"{grade}: {candidate.fit_grades[grade]}" for grade in FIT_GRADE_KEYS)
    caps = ", ".join(
        f"{dimension}: {_scalar(cap)}" for dimension, cap in candidate.dimension_caps.items()
    )
    lines += ["", f"fit_grades: {{{grades}}}", "", f"dimension_caps: {{{caps}}}", "", "rules:"]
    for section in SECTIONS:
        section_rules = [rule for rule in candidate.rules if rule.section == section]
        lines.append(f"  {section}:" + ("" if section_rules else " []"))
        for rule in section_rules:
            lines.append(f"    - id: {rule.id}")
            lines.append(f"      description: {_scalar(rule.description)}")
            if section == NEGATIVE_SECTION:
                lines.append(f"      dimension: {rule.dimension}")
            lines += _condition_lines(rule.condition)
            lines.append(f"      points: {rule.points}  # {rule.note}")
            if rule.is_behavioural:
                half_life = "none" if rule.half_life_days is None else rule.half_life_days
                lines.append(f"      lookback_days: {rule.lookback_days}")
                lines.append(f"      half_life_days: {half_life}")
                if rule.cap is not None:
                    lines.append(f"      cap: {rule.cap}")
            if rule.allow_negative_total:
                lines.append("      allow_negative_total: true")
    return "\n".join(lines) + "\n"


# --- helpers ------------------------------------------------------------------------------------


def _recalibrated(
    rule: ScoringRule, row, settings: ReviewSettings
) -> tuple[CandidateRule | None, dict[str, object]]:
    change: dict[str, object] = {
        "rule_id": rule.id,
        "kind": "rule",
        "attribute": None,
        "value": rule.description,
        "live_points": rule.points,
        "candidate_points": rule.points,
        "cycles": None if row is None else int(row.cycles_with),
        "conversion_rate": None if row is None else row.conversion_rate_with,
        "note": "",
    }
    behavioural = rule.context == "event"
    base = CandidateRule(
        id=rule.id,
        description=rule.description,
        section=rule.section,
        dimension=rule.dimension,
        condition=rule.source_condition,
        points=rule.points,
        note="",
        lookback_days=rule.lookback_days,
        half_life_days=rule.half_life_days,
        cap=rule.cap,
        allow_negative_total=rule.allow_negative_total,
        is_behavioural=behavioural,
    )
    if rule.points == 0:
        base.note = "kept: worth 0 points live, so its effect has no points to scale"
        change["note"] = "kept (0 points live)"
        return base, change
    if row is None or not bool(row.is_supported) or pd.isna(row.suggested_points):
        cycles = 0 if row is None else int(row.cycles_with)
        base.note = (
            f"kept: counted for {cycles} training cycles, fewer than "
            f"{settings.calibration.min_support} on one side"
        )
        change["note"] = "kept (not enough support)"
        return base, change
    points = int(row.suggested_points)
    evidence = (
        f"was {rule.points}; {int(row.cycles_with)} cycles, {row.conversion_rate_with:.1%} "
        f"vs {row.conversion_rate_without:.1%} converted without it"
    )
    change["candidate_points"] = points or None
    if points == 0:
        change["note"] = "left out (no effect)"
        return None, change
    change["note"] = "recalibrated" if points != rule.points else "unchanged"
    cap = rule.cap
    if cap is not None:
        cap = max(abs(points), round(abs(points) * cap / abs(rule.points)))
    base.points = points
    base.cap = cap
    base.note = evidence
    base.section = rule.dimension if points > 0 else NEGATIVE_SECTION
    base.allow_negative_total = points < 0
    return base, change


def _engagement_caps(rules: list[CandidateRule]) -> dict[str, int | None]:
    """No caps on fit (points add up as evidence); behavioural and timing caps at the most their
    positive rules can give. Where that exceeds the 0-100 engagement score, each dimension
    first gets the most one of its rules gives, so that no single rule is cut (a timing cap of
    11 under a +21 rule made every recent lead score alike), and the rest is shared in
    proportion to what the other rules can add."""
    dimensions = ("behavioural", "timing")
    most, largest = {}, {}
    for dimension in dimensions:
        gives = [
            rule.cap if rule.cap is not None else rule.points
            for rule in rules
            if rule.dimension == dimension and rule.points > 0
        ]
        most[dimension], largest[dimension] = sum(gives), max(gives, default=0)
    if sum(most.values()) > ENGAGEMENT_MAX:
        floor = sum(largest.values())
        if floor >= ENGAGEMENT_MAX:  # even one rule each does not fit: share by that
            share = {d: largest[d] / floor for d in dimensions}
            behavioural = round(ENGAGEMENT_MAX * share["behavioural"])
        else:
            rest = {d: most[d] - largest[d] for d in dimensions}
            extra = (ENGAGEMENT_MAX - floor) * rest["behavioural"] / sum(rest.values())
            behavioural = largest["behavioural"] + round(extra)
        most = {"behavioural": behavioural, "timing": ENGAGEMENT_MAX - behavioural}
    return {"demographic": None, "firmographic": None, **most}


def _threshold_for_share(values, share: float) -> int:
    """The smallest whole score that about `share` of `values` reach or exceed."""
    ordered = sorted((float(value) for value in values), reverse=True)
    if not ordered or share <= 0:
        return int(ordered[0]) + 1 if ordered else 0
    position = min(max(math.ceil(share * len(ordered)) - 1, 0), len(ordered) - 1)
    return math.floor(ordered[position])


def _grades(fit_points, fit_grades: dict[str, int]) -> list[str]:
    letters = []
    for points in fit_points:
        letters.append(next((g for g in FIT_GRADE_KEYS if points >= fit_grades[g]), GRADES[-1]))
    return letters


def _attribute_name(attribute: str) -> str:
    match = ATTRIBUTE_COLUMN.match(attribute)
    return match[2] if match else attribute


def _attribute_label(attribute: str) -> str:
    return _attribute_name(attribute).replace("_", " ").capitalize()


def _condition_lines(condition: str) -> list[str]:
    """A long condition as a folded block (YAML joins its lines with single spaces), unless
    folding could change it (two spaces in a row, say inside a quoted text)."""
    single = f"      condition: {_scalar(condition)}"
    if len(single) <= 100 or "  " in condition or "\n" in condition:
        return [single]
    wrapped = textwrap.wrap(condition, width=90, break_long_words=False, break_on_hyphens=False)
    return ["      condition: >-", *(f"        {line}" for line in wrapped)]


def _value_label(row) -> str:
    if row.value_kind == "missing":
        return "missing"
    if row.value_kind == "value":
        return str(row.value_text)
    low, high = row.lower_bound, row.upper_bound
    if pd.isna(low):
        return f"below {_number(high)}"
    if pd.isna(high):
        return f"{_number(low)} or more"
    return f"{_number(low)} to under {_number(high)}"


def _attribute_condition(row) -> str:
    column = row.attribute
    custom = bool(ATTRIBUTE_COLUMN.match(column))
    number = f"try_cast({column} as double)" if custom else column
    if row.value_kind == "missing":
        return f"{number if row.attribute_kind == 'numeric' else column} is null"
    if row.value_kind == "value":
        if column == "has_marketing_consent":
            return f"{column} = {str(row.value_text).lower()}"
        text = str(row.value_text).replace("'", "''")
        return f"{column} = '{text}'"
    parts = []
    if not pd.isna(row.lower_bound):
        parts.append(f"{number} >= {_number(row.lower_bound)}")
    if not pd.isna(row.upper_bound):
        parts.append(f"{number} < {_number(row.upper_bound)}")
    return " and ".join(parts)


def _number(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.10g}"


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return slug if slug[:1].isalpha() else f"value_{slug}"


def _unique_id(rule_id: str, taken: set[str]) -> str:
    candidate, number = rule_id, 2
    while candidate in taken:
        candidate, number = f"{rule_id}_{number}", number + 1
    taken.add(candidate)
    return candidate


def _scalar(value) -> str:
    if value is None:
        return "null"
    return (
        yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix("\n...")
    )
