"""The scoring rules file: the default loads, broken or hostile rules are rejected with a message
that names the rule and the offending part, and the definitions page covers every rule.

Broken configurations are the default file with one change, written to a tmp file, so each test
shows exactly what it breaks."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from orchestration.scoring import (
    DEFAULT_RULES_PATH,
    RULES_PATH_ENV,
    ScoringRulesError,
    load_scoring_config,
    render_definitions_page,
    rules_path,
)
from orchestration.scoring.rules import (
    CONTEXT_COLUMNS,
    CONTEXT_OF_DIMENSION,
    DIMENSIONS,
    SECTIONS,
    check_condition,
)

DEFAULT_DOCUMENT = yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
BEHAVIOURAL_SETTINGS = {"lookback_days": 30, "half_life_days": 14, "cap": 10}


def default_document() -> dict[str, Any]:
    return copy.deepcopy(DEFAULT_DOCUMENT)


def write_rules(tmp_path: Path, document: dict[str, Any] | str) -> Path:
    path = tmp_path / "rules.yml"
    text = document if isinstance(document, str) else yaml.safe_dump(document, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, document: dict[str, Any] | str) -> list[str]:
    with pytest.raises(ScoringRulesError) as raised:
        load_scoring_config(write_rules(tmp_path, document))
    assert str(raised.value).count("\n") == len(raised.value.problems)  # header + one per line
    return raised.value.problems


def rule(rule_id: str, condition: Any, section: str, **extra: Any) -> dict[str, Any]:
    entry = {"id": rule_id, "description": "A rule under test", "condition": condition}
    entry["points"] = -5 if section == "negative" else 5
    if section == "behavioural":
        entry.update(BEHAVIOURAL_SETTINGS)
    entry.update(extra)
    return entry


def with_rule(entry: dict[str, Any], section: str) -> dict[str, Any]:
    document = default_document()
    document["rules"][section].append(entry)
    return document


# --- the default file -------------------------------------------------------------------------


def test_default_rules_load():
    config = load_scoring_config()
    counts = {section: len(config.rules_in_section(section)) for section in SECTIONS}
    assert counts == {
        "demographic": 5,
        "firmographic": 3,
        "behavioural": 9,
        "timing": 3,
        "negative": 6,
    }
    assert config.thresholds.mql_min_fit_grade == "C"
    assert config.thresholds.mql_min_combined_score == 90
    assert config.thresholds.sql_min_combined_score == 100
    assert dict(config.fit_grades) == {"A": 45, "B": 30, "C": 15}
    assert dict(config.dimension_caps) == {
        "demographic": 45,
        "firmographic": 30,
        "behavioural": 75,
        "timing": 25,
    }
    by_id = {scoring_rule.id: scoring_rule for scoring_rule in config.rules}
    assert by_id["pricing_page_visit"].points == 10
    assert by_id["pricing_page_visit"].cap == 30
    assert by_id["unsubscribed"].dimension == "behavioural"
    assert by_id["unsubscribed"].half_life_days is None  # `none`: no decay
    assert by_id["free_mail_domain"].context == "profile"
    assert config.attributes == ()


def test_dbt_vars_are_json_and_stable():
    first = load_scoring_config().to_dbt_vars()
    second = load_scoring_config().to_dbt_vars()
    assert json.dumps(first) == json.dumps(second)
    scoring = json.loads(json.dumps(first))["scoring"]
    assert set(scoring) == {"thresholds", "fit_grades", "dimension_caps", "rules", "attributes"}
    assert set(scoring["dimension_caps"]) == set(DIMENSIONS)
    file_order = [
        entry["id"] for section in SECTIONS for entry in DEFAULT_DOCUMENT["rules"][section]
    ]
    assert [entry["id"] for entry in scoring["rules"]] == file_order
    for entry in scoring["rules"]:
        assert set(entry) == {
            "id",
            "description",
            "dimension",
            "context",
            "condition",
            "points",
            "lookback_days",
            "half_life_days",
            "cap",
            "allow_negative_total",
        }
        assert (entry["lookback_days"] is not None) == (entry["dimension"] == "behavioural")


def test_default_conditions_run_in_duckdb():
    """The normalized conditions are valid DuckDB over the columns the contract promises."""
    config = load_scoring_config()
    samples = {
        "profile": {"job_title": "VP Marketing", "tech_stack": "postgres;dbt", "budget": 60000},
        "event": {"event_type": "demo_booked", "page_category": "pricing"},
        "timing": {"days_since_last_activity": 3, "active_days_last_30_days": 5},
    }
    matched = set()
    with duckdb.connect() as con:
        for context, columns in CONTEXT_COLUMNS.items():
            con.execute(
                f"create table {context} ("
                + ", ".join(f"{name} {sql_type}" for name, sql_type in columns.items())
                + ")"
            )
            sample = samples[context]
            con.execute(
                f"insert into {context} ({', '.join(sample)}) values "
                f"({', '.join('?' for _ in sample)})",
                list(sample.values()),
            )
        for scoring_rule in config.rules:
            sql = f"select count(*) from {scoring_rule.context} where {scoring_rule.condition}"
            if con.execute(sql).fetchone()[0]:
                matched.add(scoring_rule.id)
    assert {"senior_title", "budget_fit", "modern_data_stack"} <= matched
    assert {"demo_booked", "pricing_page_visit", "active_last_7_days"} <= matched
    assert "student_or_job_seeker" not in matched


def test_student_rule_does_not_match_international():
    config = load_scoring_config()
    student = next(r for r in config.rules if r.id == "student_or_job_seeker")
    titles = ["Marketing Intern", "Head of International Sales", "Internal Audit Lead"]
    with duckdb.connect() as con:
        hits = [
            con.execute(f"select {student.condition} from (select ? as job_title)", [t]).fetchone()[
                0
            ]
            for t in titles
        ]
    assert hits == [True, False, False]


def test_rules_path_honours_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(RULES_PATH_ENV, raising=False)
    assert rules_path() == DEFAULT_RULES_PATH
    path = write_rules(tmp_path, default_document())
    monkeypatch.setenv(RULES_PATH_ENV, str(path))
    assert rules_path() == path
    assert load_scoring_config().source == path


# --- hostile and broken conditions ------------------------------------------------------------

HOSTILE_CONDITIONS = [
    # (condition, section, what the message must name)
    ("1; drop table raw.leads", "behavioural", "2 statements"),
    ("(select 1) = 1", "behavioural", "subquery is not allowed"),
    ("exists (select 1)", "behavioural", "subquery is not allowed"),
    ("event_type in (select event_type from raw.events)", "behavioural", "subquery"),
    ("read_csv('x') is not null", "behavioural", "function read_csv is not allowed"),
    ("read_parquet('x')", "behavioural", "function read_parquet is not allowed"),
    ("read_json_auto('x') is null", "behavioural", "function read_json_auto is not allowed"),
    ("glob('*') is null", "behavioural", "function glob is not allowed"),
    ("query('select 1') is null", "behavioural", "function query is not allowed"),
    ("raw.leads.lead_id = 'x'", "behavioural", "qualified name raw.leads.lead_id"),
    ("t.event_type = 'x'", "behavioural", "qualified name t.event_type"),
    ("lead_idd = 'x'", "behavioural", "unknown column lead_idd (known in behavioural rules"),
    ("case when event_type = 'x' then true", "behavioural", "Expected END after CASE"),
    ("event_type = 'abc", "behavioural", "cannot parse the condition"),
    ("event_type = 'x'; delete from raw.events", "behavioural", "DELETE FROM raw.events"),
    ("copy (select 1) to 'x'", "behavioural", "COPY statement is not allowed"),
    ("attach 'x' as y", "behavioural", "ATTACH statement is not allowed"),
    ("pragma version", "behavioural", "PRAGMA statement is not allowed"),
    ("load httpfs", "behavioural", "LOAD statement is not allowed"),
    ("install x", "behavioural", "INSTALL statement is not allowed"),
    ("select 1", "behavioural", "SELECT statement is not allowed"),
    ("count(*) > 1", "behavioural", "aggregate function count is not allowed"),
    ("row_number() over () = 1", "behavioural", "window function is not allowed"),
    ("getenv('HOME') = 'x'", "behavioural", "function getenv is not allowed"),
    ("current_date > '2026-01-01'", "timing", "function current_date is not allowed"),
    ("if(event_type = 'x', true, false)", "behavioural", "function if is not allowed"),
    ("event_type = ?", "behavioural", "parameter placeholder is not allowed"),
    ("event_type = $1", "behavioural", "parameter placeholder is not allowed"),
    ("*", "behavioural", "* (star) is not allowed"),
    ("days_since_last_activity <= 6", "behavioural", "unknown column days_since_last_activity"),
    ("lead_attribute__origin = 'x'", "timing", "unknown column lead_attribute__origin"),
    ("", "behavioural", "condition is empty"),
    ("-- only a comment", "behavioural", "condition is empty"),
    ("'abc'", "behavioural", "must be true or false"),
    ("employee_count", "demographic", "must be true or false"),
    ("cast(page_url as timestamp) > '2026-01-01'", "behavioural", "cast to TIMESTAMP"),
    ("event_type is distinct from 'x'", "behavioural", "is not allowed"),
    (True, "timing", "condition must be SQL text"),
]


@pytest.mark.parametrize(("condition", "section", "expected"), HOSTILE_CONDITIONS)
def test_hostile_condition_is_rejected(tmp_path, condition, section, expected):
    problems = problems_of(tmp_path, with_rule(rule("hostile", condition, section), section))
    assert len(problems) == 1, problems
    assert problems[0].startswith("rules.yml: rule hostile: "), problems[0]
    assert expected in problems[0], problems[0]


def test_column_known_elsewhere_says_where():
    # A timing column in a behavioural rule: the message points to where it can be used.
    checked = check_condition("days_since_last_activity <= 6", CONTEXT_OF_DIMENSION["behavioural"])
    assert len(checked.problems) == 1
    assert checked.problems[0].endswith("it is known in timing rules")


def test_allowed_constructs_are_accepted_and_normalized(tmp_path):
    conditions = {
        "profile": [
            "has_marketing_consent and not is_do_not_contact",
            "coalesce(lower(trim(industry)), '') in ('software', 'saas')",
            "cast(annual_revenue as bigint) between 1000000 and 50000000",
            "try_cast(lead_attribute__seats as integer) >= 10",
            "starts_with(upper(country_code), 'D') or ends_with(email, '.de')",
            "contains(tech_stack, 'dbt') and split_part(email, '@', 2) = company_domain",
            "least(abs(growth_rate), 1) * 100 >= round(floor(ceil(12.5)) / 2 % 7, 1)",
            "length(nullif(job_title, '')) > 2 and greatest(employee_count, 0) - 1 > 0",
            "case when industry = 'software' then true else false end",
            "job_title ilike '%cto%' and email_domain is not null",
            "EMPLOYEE_COUNT > 10 -- comments are dropped; drop table x",
        ],
        "behavioural": [
            "json_extract_string(properties, '$.plan') = 'enterprise'",
            "event_type = 'page_view' and page_url like '%/pricing%'",
        ],
        "timing": ["events_last_7_days >= 3 or events_last_30_days + 1 > 10"],
    }
    document = default_document()
    for context, texts in conditions.items():
        section = "demographic" if context == "profile" else context
        for index, text in enumerate(texts):
            document["rules"][section].append(rule(f"allowed_{context}_{index}", text, section))
    config = load_scoring_config(write_rules(tmp_path, document))
    by_id = {scoring_rule.id: scoring_rule for scoring_rule in config.rules}
    normalized = by_id["allowed_profile_10"].condition
    assert normalized == "employee_count > 10"  # names lowercased, comment dropped
    assert by_id["allowed_profile_3"].columns == ("lead_attribute__seats",)


def test_custom_attributes_are_accepted_and_listed(tmp_path):
    document = default_document()
    document["rules"]["demographic"].append(
        rule("web_form_lead", "lead_attribute__lead_origin = 'web_form'", "demographic")
    )
    document["rules"]["firmographic"].append(
        rule(
            "partner_account",
            "account_attribute__partner_tier in ('gold', 'silver') "
            "and lead_attribute__lead_origin is not null",
            "firmographic",
        )
    )
    config = load_scoring_config(write_rules(tmp_path, document))
    attributes = config.to_dbt_vars()["scoring"]["attributes"]
    assert attributes == [
        {"entity": "account", "name": "partner_tier", "column": "account_attribute__partner_tier"},
        {"entity": "lead", "name": "lead_origin", "column": "lead_attribute__lead_origin"},
    ]


# --- structural errors ------------------------------------------------------------------------


def _duplicate_id(document):
    document["rules"]["behavioural"].append(
        rule("pricing_page_visit", "event_type = 'x'", "behavioural")
    )
    return "rule pricing_page_visit: duplicate id (also used in rules.behavioural)"


def _missing_points(document):
    del document["rules"]["timing"][0]["points"]
    return "rule active_last_7_days: missing key 'points'"


def _positive_negative_points(document):
    document["rules"]["negative"][0]["points"] = 15
    return "rule unsubscribed: points must be below 0 in the negative section"


def _zero_half_life(document):
    document["rules"]["behavioural"][0]["half_life_days"] = 0
    return "rule pricing_page_visit: half_life_days must be a number of days above 0"


def _infinite_half_life(document):
    document["rules"]["behavioural"][0]["half_life_days"] = float("inf")  # YAML's .inf
    return "rule pricing_page_visit: half_life_days must be a number of days above 0"


def _ledger_entry_id(document):
    document["rules"]["behavioural"][0]["id"] = "behavioural_cap"
    return "rule behavioural_cap: this id names the score ledger's own cap or floor entries"


def _unreachable_mql_threshold(document):
    document["thresholds"]["mql_min_combined_score"] = 900
    document["thresholds"]["sql_min_combined_score"] = 900
    return "mql_min_combined_score (900) is above the highest combined score the dimension caps"


def _unknown_rule_key(document):
    document["rules"]["behavioural"][1]["lookback_day"] = 30
    return "rule demo_booked: unknown key 'lookback_day' (did you mean 'lookback_days'?"


def _behavioural_key_on_timing_rule(document):
    document["rules"]["timing"][0]["lookback_days"] = 30
    return "look-back, half-life and cap apply to behavioural rules only"


def _missing_lookback(document):
    del document["rules"]["behavioural"][2]["lookback_days"]
    return "rule demo_requested: missing key 'lookback_days'"


def _missing_half_life(document):
    del document["rules"]["behavioural"][2]["half_life_days"]
    return "rule demo_requested: missing key 'half_life_days'"


def _lookback_too_long(document):
    document["rules"]["behavioural"][2]["lookback_days"] = 5000
    return "rule demo_requested: lookback_days must be between 1 and 3650"


def _negative_cap(document):
    document["rules"]["behavioural"][2]["cap"] = -1
    return "rule demo_requested: cap must be at least 0"


def _negative_rule_without_dimension(document):
    del document["rules"]["negative"][0]["dimension"]
    return "rule unsubscribed: missing key 'dimension'"


def _negative_rule_bad_dimension(document):
    document["rules"]["negative"][0]["dimension"] = "behavioral"
    return "did you mean 'behavioural'?"


def _dimension_mismatch(document):
    document["rules"]["demographic"][0]["dimension"] = "firmographic"
    return "rule company_size_fit: dimension 'firmographic' does not match"


def _bad_rule_id(document):
    document["rules"]["timing"][0]["id"] = "Active-Last-7"
    return "id must be snake_case"


def _points_not_a_number(document):
    document["rules"]["timing"][0]["points"] = "10"
    return "rule active_last_7_days: points must be a whole number"


def _allow_negative_not_bool(document):
    document["rules"]["timing"][0]["allow_negative_total"] = "yes please"
    return "allow_negative_total must be true or false"


def _caps_above_100(document):
    document["dimension_caps"]["timing"] = 35
    return "behavioural + timing caps are 110, more than 100"


def _missing_engagement_cap(document):
    del document["dimension_caps"]["timing"]
    return "dimension_caps: missing key 'timing'"


def _bad_grade_order(document):
    document["fit_grades"] = {"A": 30, "B": 45, "C": 15}
    return "fit_grades: minimum points must fall from A to C (A > B > C)"


def _unreachable_grade(document):
    document["fit_grades"]["A"] = 90
    return "grade A needs 90 points"


def _unknown_threshold(document):
    document["thresholds"]["mql_min_score"] = 50
    return "thresholds: unknown key 'mql_min_score'"


def _missing_threshold(document):
    del document["thresholds"]["nurture_after_days"]
    return "thresholds: missing key 'nurture_after_days'"


def _threshold_not_int(document):
    document["thresholds"]["mql_min_combined_score"] = "60"
    return "mql_min_combined_score must be a whole number"


def _bad_grade_threshold(document):
    document["thresholds"]["mql_min_fit_grade"] = "E"
    return "mql_min_fit_grade must be one of A, B, C, D"


def _sql_below_mql(document):
    document["thresholds"]["sql_min_combined_score"] = 50
    return "sql_min_combined_score (50) is below mql_min_combined_score (90)"


def _bant_out_of_range(document):
    document["thresholds"]["bant_min_criteria"] = 5
    return "bant_min_criteria must be between 1 and 4"


def _unknown_section(document):
    document["rules"]["behavior"] = []
    return "rules: unknown key 'behavior' (did you mean 'behavioural'?"


def _unknown_top_level_key(document):
    document["threshold"] = {}
    return "rules.yml: unknown key 'threshold'"


def _wrong_version(document):
    document["version"] = 2
    return "version: must be 1"


STRUCTURAL_ERRORS = [
    _duplicate_id,
    _missing_points,
    _positive_negative_points,
    _zero_half_life,
    _infinite_half_life,
    _ledger_entry_id,
    _unreachable_mql_threshold,
    _unknown_rule_key,
    _behavioural_key_on_timing_rule,
    _missing_lookback,
    _missing_half_life,
    _lookback_too_long,
    _negative_cap,
    _negative_rule_without_dimension,
    _negative_rule_bad_dimension,
    _dimension_mismatch,
    _bad_rule_id,
    _points_not_a_number,
    _allow_negative_not_bool,
    _caps_above_100,
    _missing_engagement_cap,
    _bad_grade_order,
    _unreachable_grade,
    _unknown_threshold,
    _missing_threshold,
    _threshold_not_int,
    _bad_grade_threshold,
    _sql_below_mql,
    _bant_out_of_range,
    _unknown_section,
    _unknown_top_level_key,
    _wrong_version,
]


@pytest.mark.parametrize("breaker", STRUCTURAL_ERRORS, ids=lambda f: f.__name__.strip("_"))
def test_structural_error_is_reported(tmp_path, breaker):
    document = default_document()
    expected = breaker(document)
    problems = problems_of(tmp_path, document)
    assert len(problems) == 1, problems
    assert expected in problems[0], problems[0]


def test_all_problems_are_reported_together(tmp_path):
    document = default_document()
    document["rules"]["behavioural"].append(
        rule("sneaky", "read_csv('/etc/passwd') is not null", "behavioural")
    )
    document["rules"]["timing"].append(rule("recent", "lead_idd = 1", "timing"))
    _duplicate_id(document)
    _caps_above_100(document)
    _unknown_rule_key(document)
    with pytest.raises(ScoringRulesError) as raised:
        load_scoring_config(write_rules(tmp_path, document))
    error = raised.value
    assert isinstance(error, ValueError)
    assert len(error.problems) == 5, error.problems
    message = str(error)
    for fragment in (
        "rule sneaky: function read_csv is not allowed",
        "rule recent: unknown column lead_idd",
        "rule pricing_page_visit: duplicate id",
        "behavioural + timing caps are 110",
        "rule demo_booked: unknown key 'lookback_day'",
    ):
        assert fragment in message, message
    assert message.splitlines()[0].startswith("invalid scoring rules in ")


def test_yaml_syntax_error_names_the_line(tmp_path):
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8").replace(
        "  nurture_after_days: 30", "  nurture_after_days: [30", 1
    )
    problems = problems_of(tmp_path, text)
    assert len(problems) == 1
    assert re.match(r"rules\.yml: line \d+, column \d+: invalid YAML", problems[0]), problems


def test_duplicate_yaml_key_is_an_error(tmp_path):
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8").replace(
        "  nurture_after_days: 30", "  nurture_after_days: 30\n  nurture_after_days: 31", 1
    )
    problems = problems_of(tmp_path, text)
    assert len(problems) == 1
    assert re.match(r"rules\.yml: line \d+: duplicate key 'nurture_after_days'", problems[0])


def test_empty_and_missing_files(tmp_path):
    assert problems_of(tmp_path, "") == ["rules.yml: the file is empty"]
    with pytest.raises(ScoringRulesError, match="cannot read the file"):
        load_scoring_config(tmp_path / "missing.yml")


# --- the definitions page ---------------------------------------------------------------------


def test_definitions_page_covers_every_rule_and_threshold():
    config = load_scoring_config()
    page = render_definitions_page(config)
    assert page == render_definitions_page(load_scoring_config())  # deterministic
    for scoring_rule in config.rules:
        assert f"`{scoring_rule.id}`" in page
    assert "fit grade is C or better" in page
    assert "combined score is at least 90" in page
    assert "combined score is at least 100" in page
    assert "at least 3 of the 4 BANT criteria" in page
    assert "at least 4 of the 6 MEDDIC criteria" in page
    assert "not become an MQL 30 days after" in page
    assert "no activity for 45 days" in page
    assert "| A | 45 or more |" in page
    assert "| B | 30 to 44 |" in page
    assert "| Behavioural | what the lead does" in page
    assert (
        "| `pricing_page_visit` | Visited the pricing page | 10 | 30 days | 14 days | 30 |" in page
    )
    assert str(DEFAULT_RULES_PATH.parent.parent.parent) not in page  # no absolute paths


def test_definitions_page_tables_keep_their_shape():
    """`||` in a condition must not split a Markdown table cell."""
    page = render_definitions_page(load_scoring_config())
    table: list[str] = []
    for line in [*page.splitlines(), ""]:
        if line.startswith("|"):
            table.append(line)
            continue
        if table:
            widths = {len(re.findall(r"(?<!\\)\|", row)) for row in table}
            assert len(widths) == 1, table
            table = []
