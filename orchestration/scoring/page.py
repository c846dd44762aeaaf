"""The shared definitions page: what MQL, SQL, nurture and recycled mean, and every scoring rule,
in Markdown for sales and marketing.

It is rendered from the validated rules, so the page and the scores cannot disagree. The output
is deterministic (no timestamps, no absolute paths): it can be committed and diffed, and a
change of a weight shows as a one-line diff.

    python -m orchestration.scoring.page [path/to/rules.yml] > docs/scoring.md
"""

from __future__ import annotations

import sys
from pathlib import Path

from orchestration.scoring.rules import (
    DEFAULT_RULES_PATH,
    DIMENSIONS,
    GRADES,
    NEGATIVE_SECTION,
    ScoringConfig,
    ScoringRule,
    load_scoring_config,
)

REPO_ROOT = DEFAULT_RULES_PATH.parents[2]

DIMENSION_TITLES = {
    "demographic": "Demographic",
    "firmographic": "Firmographic",
    "behavioural": "Behavioural",
    "timing": "Timing",
}
DIMENSION_MEANINGS = {
    "demographic": "who the lead and the company are: size, industry, country, age, role",
    "firmographic": "the company's budget, growth and tech stack",
    "behavioural": "what the lead does: pages, downloads, emails, demos, trials",
    "timing": "how recently and how often the lead is active",
}
BANT_CRITERIA = "budget, authority, need, timeline"
MEDDIC_CRITERIA = (
    "metrics, economic buyer, decision criteria, decision process, identified pain, champion"
)


def render_definitions_page(config: ScoringConfig) -> str:
    """The Markdown page for ``config``; the same config always gives the same text."""
    sections = [
        _header(config),
        _stages(config),
        _score(config),
        *(_rule_table(config, section) for section in (*DIMENSIONS, NEGATIVE_SECTION)),
    ]
    return "\n\n".join(section for section in sections if section) + "\n"


def _header(config: ScoringConfig) -> str:
    return "\n".join(
        [
            "# Lead scoring and qualification: shared definitions",
            "",
            f"Generated from `{_display_path(config.source)}` by "
            "`python -m orchestration.scoring.page`. Do not edit this page: change the rules "
            "file, and the scores and this page change together.",
        ]
    )


def _stages(config: ScoringConfig) -> str:
    t = config.thresholds
    return "\n".join(
        [
            "## Stages",
            "",
            "| Stage | A lead is in this stage when |",
            "|---|---|",
            f"| MQL (marketing qualified lead) | its fit grade is "
            f"{_grade_at_least(t.mql_min_fit_grade)} **and** its combined score is at least "
            f"{t.mql_min_combined_score} |",
            f"| SQL (sales qualified lead) | its combined score is at least "
            f"{t.sql_min_combined_score} **and** sales accepted it in an assessment that meets at "
            f"least {t.bant_min_criteria} of the 4 BANT criteria ({BANT_CRITERIA}) or at least "
            f"{t.meddic_min_criteria} of the 6 MEDDIC criteria ({MEDDIC_CRITERIA}) |",
            f"| Nurture | it has not become an MQL {t.nurture_after_days} days after it was "
            "created |",
            f"| Recycled | it is an SQL with no activity for {t.recycle_after_inactive_days} days "
            "(sales can also recycle or disqualify a lead in an assessment) |",
        ]
    )


def _score(config: ScoringConfig) -> str:
    lines = [
        "## How the score is built",
        "",
        "- **Fit** = demographic + firmographic points: who the lead and the company are.",
        "- **Engagement** = behavioural + timing points: what the lead does, and how recently "
        "(0 to 100).",
        "- **Combined score** = fit + engagement.",
        "- A dimension's score is the sum of the points of its rules that apply, negative rules "
        "included, at most the dimension's cap. It does not go below 0, unless a rule that "
        "applies says it may (marked *may go below 0*).",
        "- Behavioural rules count events: every matching event within the look-back earns the "
        "rule's points; with a half-life, an event's points halve every half-life days since the "
        "event. A rule counts at most its cap (in absolute value), however many events match.",
        "",
        "### Fit grades",
        "",
        "| Grade | Fit points (demographic + firmographic) |",
        "|---|---|",
    ]
    grades = config.fit_grades
    lines.append(f"| A | {grades['A']} or more |")
    lines.append(f"| B | {grades['B']} to {grades['A'] - 1} |")
    lines.append(f"| C | {grades['C']} to {grades['B'] - 1} |")
    lines.append(f"| D | below {grades['C']} |")
    lines += [
        "",
        "### Dimension caps",
        "",
        "| Dimension | Measures | Cap |",
        "|---|---|---:|",
    ]
    for dimension in DIMENSIONS:
        cap = config.dimension_caps.get(dimension)
        lines.append(
            f"| {DIMENSION_TITLES[dimension]} | {DIMENSION_MEANINGS[dimension]} | "
            f"{'no cap' if cap is None else cap} |"
        )
    return "\n".join(lines)


def _rule_table(config: ScoringConfig, section: str) -> str:
    rules = config.rules_in_section(section)
    title = (
        "Negative rules" if section == NEGATIVE_SECTION else f"{DIMENSION_TITLES[section]} rules"
    )
    if not rules:
        return f"## {title}\n\nNo rules."
    counts_events = any(rule.dimension == "behavioural" for rule in rules)
    columns = ["Rule"]
    if section == NEGATIVE_SECTION:
        columns.append("Lowers")
    columns += ["Description", "Points"]
    if counts_events:
        columns += ["Look-back", "Half-life", "Cap"]
    columns.append("Condition")
    lines = [
        f"## {title}",
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---:" if column == "Points" else "---" for column in columns) + "|",
    ]
    for rule in rules:
        cells = [_code(rule.id)]
        if section == NEGATIVE_SECTION:
            cells.append(DIMENSION_TITLES[rule.dimension].lower())
        cells += [_text(rule.description), _points(rule)]
        if counts_events:
            cells += _event_settings(rule)
        cells.append(_code(rule.condition))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _event_settings(rule: ScoringRule) -> list[str]:
    if rule.dimension != "behavioural":
        return ["-", "-", "-"]
    half_life = "no decay" if rule.half_life_days is None else _days(rule.half_life_days)
    cap = "no cap" if rule.cap is None else str(rule.cap)
    return [_days(rule.lookback_days), half_life, cap]


def _points(rule: ScoringRule) -> str:
    return f"{rule.points} (*may go below 0*)" if rule.allow_negative_total else str(rule.points)


def _days(value: float | int | None) -> str:
    return f"{value:g} day{'' if value == 1 else 's'}"


def _grade_at_least(grade: str) -> str:
    better = GRADES[: GRADES.index(grade) + 1]
    if len(better) == 1:
        return grade
    if len(better) == len(GRADES):
        return f"any ({GRADES[0]} to {GRADES[-1]})"
    return f"{grade} or better ({', '.join(better[:-1])} or {better[-1]})"


def _text(value: str) -> str:
    """A table cell: one line, with the column separator escaped."""
    return " ".join(value.split()).replace("|", "\\|")


def _code(value: str) -> str:
    # GitHub tables split cells on "|" even inside code spans, so it is escaped there too.
    text = _text(value)
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _display_path(path: Path) -> str:
    """Relative to the repository when inside it, so the page does not depend on the checkout."""
    try:
        return path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return path.name


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    config = load_scoring_config(Path(args[0]) if args else None)
    sys.stdout.write(render_definitions_page(config))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
