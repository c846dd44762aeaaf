"""Load and validate the scoring rules (``dbt_project/scoring/rules.yml``).

Analytics engineers edit one YAML file; dbt evaluates its rules in SQL. Every rule condition is
SQL that ends up inside a dbt model, so nothing reaches dbt before it has been checked here:

- the file's structure (every key known, every value of the right type and range), so that a
  typo is an error rather than a silently ignored setting;
- every condition, parsed with sqlglot (DuckDB dialect) and walked node by node against an
  allow-list: bare column names known in the rule's context, literals, operators, CASE, CAST and a
  few scalar functions. Any other node type - a subquery, a second statement, a file reader, a
  table-qualified name, an aggregate, a placeholder, a node type sqlglot adds tomorrow - is
  rejected (deny by default).

All problems of a file are collected and raised together in one ``ScoringRulesError``, one line
per problem, each naming the file, the rule and the offending part.
"""

from __future__ import annotations

import difflib
import logging
import math
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import sqlglot
import yaml
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError

DEFAULT_RULES_PATH = Path(__file__).resolve().parents[2] / "dbt_project" / "scoring" / "rules.yml"
RULES_PATH_ENV = "LEADQUAL_SCORING_RULES"

SQL_DIALECT = "duckdb"
SUPPORTED_VERSION = 1

DIMENSIONS = ("demographic", "firmographic", "behavioural", "timing")
# The score ledger's entries for a dimension's cap or floor (macros/scoring/score_sql.sql).
LEDGER_ENTRY_IDS = {f"{dimension}_{kind}" for dimension in DIMENSIONS for kind in ("cap", "floor")}
NEGATIVE_SECTION = "negative"
SECTIONS = (*DIMENSIONS, NEGATIVE_SECTION)
# Engagement (behavioural + timing) is a 0-100 score by construction: their caps are required.
ENGAGEMENT_DIMENSIONS = ("behavioural", "timing")
ENGAGEMENT_MAX = 100
GRADES = ("A", "B", "C", "D")  # best to worst; D is "below C"

PROFILE, EVENT, TIMING = "profile", "event", "timing"
CONTEXT_OF_DIMENSION = {
    "demographic": PROFILE,
    "firmographic": PROFILE,
    "behavioural": EVENT,
    "timing": TIMING,
}

# The columns a condition may name, per context, with the DuckDB type the dbt models provide.
# This is the contract between rules.yml and the models that evaluate it: a model that scores
# rules of a context must expose exactly these columns (and the custom attribute columns).
CONTEXT_COLUMNS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        PROFILE: MappingProxyType(
            {
                "job_title": "varchar",
                "email": "varchar",
                "email_domain": "varchar",
                "source": "varchar",
                "campaign": "varchar",
                "country_code": "varchar",
                "has_marketing_consent": "boolean",
                "is_do_not_contact": "boolean",
                "days_since_created": "integer",
                "industry": "varchar",
                "employee_count": "integer",
                "company_age_years": "integer",
                "annual_revenue": "double",
                "budget": "double",
                "growth_rate": "double",
                "tech_stack": "varchar",  # lowercase, ';'-separated, no spaces
                "company_domain": "varchar",
            }
        ),
        EVENT: MappingProxyType(
            {
                "event_type": "varchar",
                "page_category": "varchar",
                "page_url": "varchar",
                "properties": "varchar",  # JSON text
            }
        ),
        TIMING: MappingProxyType(
            {
                "days_since_last_activity": "integer",
                "events_last_7_days": "integer",
                "events_last_30_days": "integer",
                "active_days_last_30_days": "integer",
                "days_since_created": "integer",
            }
        ),
    }
)
CONTEXT_LABELS = {
    PROFILE: "demographic and firmographic rules",
    EVENT: "behavioural rules",
    TIMING: "timing rules",
}
# Custom attributes (unknown landing columns of leads and accounts) are text; any snake_case name.
ATTRIBUTE_COLUMN = re.compile(r"^(lead|account)_attribute__([a-z][a-z0-9]*(?:_[a-z0-9]+)*)$")
ATTRIBUTE_PATTERNS = ("lead_attribute__<name>", "account_attribute__<name>")

THRESHOLD_KEYS = (
    "mql_min_fit_grade",
    "mql_min_combined_score",
    "sql_min_combined_score",
    "bant_min_criteria",
    "meddic_min_criteria",
    "nurture_after_days",
    "recycle_after_inactive_days",
)
FIT_GRADE_KEYS = ("A", "B", "C")
TOP_LEVEL_KEYS = ("version", "thresholds", "fit_grades", "dimension_caps", "rules")
RULE_KEYS = ("id", "description", "condition", "points", "dimension", "allow_negative_total")
BEHAVIOURAL_RULE_KEYS = ("lookback_days", "half_life_days", "cap")
MAX_LOOKBACK_DAYS = 3650

RULE_ID = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")

# --- the SQL allow-list -----------------------------------------------------------------------
# Comparisons and boolean logic: allowed anywhere, and true or false as a whole condition.
PREDICATE_NODE_TYPES = (
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.And,
    exp.Or,
    exp.Not,
    exp.In,
    exp.Between,
    exp.Like,
    exp.ILike,
)
# Exact node types (not isinstance: a subclass of an allowed type is a different construct).
ALLOWED_NODE_TYPES: frozenset[type[exp.Expression]] = frozenset(
    {
        # operands
        exp.Column,  # checked separately: unqualified and known in the context
        exp.Literal,  # a string or a number
        exp.Boolean,
        exp.Null,
        exp.Paren,
        # arithmetic and string concatenation
        exp.Neg,
        exp.Add,
        exp.Sub,
        exp.Mul,
        exp.Div,
        exp.Mod,
        exp.DPipe,
        # comparisons and predicates
        *PREDICATE_NODE_TYPES,
        exp.Is,  # checked separately: IS [NOT] NULL / TRUE / FALSE only
        # CASE WHEN ... THEN ... ELSE ... END (its WHEN branches are If nodes)
        exp.Case,
        exp.If,  # checked separately: only as a branch of CASE, not the if() function
        # CAST / TRY_CAST (the target type is checked separately)
        exp.Cast,
        exp.TryCast,
        # scalar functions
        exp.Coalesce,
        exp.Lower,
        exp.Upper,
        exp.Trim,
        exp.Length,
        exp.Nullif,
        exp.Abs,
        exp.Least,
        exp.Greatest,
        exp.Round,
        exp.Floor,
        exp.Ceil,
        exp.StartsWith,
        exp.EndsWith,
        exp.Contains,
        exp.SplitPart,
        # json_extract_string(properties, '$.key') (DuckDB's ->> parses to the same node)
        exp.JSONExtractScalar,
        exp.JSONPath,
        exp.JSONPathRoot,
        exp.JSONPathKey,
        exp.JSONPathSubscript,
    }
)
ALLOWED_CAST_TYPES = {
    exp.DataType.Type.TEXT: "varchar",  # sqlglot reads varchar, text and string as TEXT
    exp.DataType.Type.VARCHAR: "varchar",
    exp.DataType.Type.INT: "integer",
    exp.DataType.Type.BIGINT: "bigint",
    exp.DataType.Type.DOUBLE: "double",
    exp.DataType.Type.BOOLEAN: "boolean",
    exp.DataType.Type.DATE: "date",
}
# Node types whose result is boolean, so they may be the top of a condition.
BOOLEAN_NODE_TYPES = (
    *PREDICATE_NODE_TYPES,
    exp.Is,
    exp.Boolean,
    exp.StartsWith,
    exp.EndsWith,
    exp.Contains,
)
PLACEHOLDER_TYPES = (exp.Placeholder, exp.Parameter, exp.SessionParameter)


class ScoringRulesError(ValueError):
    """The scoring rules file is invalid. ``problems`` holds one message per problem."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = list(problems)
        count = len(self.problems)
        header = f"invalid scoring rules in {path} ({count} problem{'s' if count != 1 else ''}):"
        super().__init__("\n".join([header, *self.problems]))


@dataclass(frozen=True)
class Thresholds:
    mql_min_fit_grade: str
    mql_min_combined_score: int
    sql_min_combined_score: int
    bant_min_criteria: int
    meddic_min_criteria: int
    nurture_after_days: int
    recycle_after_inactive_days: int

    def to_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in THRESHOLD_KEYS}


@dataclass(frozen=True)
class ScoringRule:
    id: str
    description: str
    section: str  # where the rule is in the file: a dimension or "negative"
    dimension: str
    context: str  # which columns the condition sees: "profile", "event" or "timing"
    condition: str  # normalized by sqlglot: what dbt evaluates
    source_condition: str  # as written in the file
    points: int
    columns: tuple[str, ...]  # the columns the condition names, sorted
    lookback_days: int | None = None
    half_life_days: float | int | None = None  # None: no decay
    cap: int | None = None  # most points (absolute value) the rule can count
    allow_negative_total: bool = False

    def to_dbt_var(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "description": self.description,
            "dimension": self.dimension,
            "context": self.context,
            "condition": self.condition,
            "points": self.points,
            "lookback_days": self.lookback_days,
            "half_life_days": self.half_life_days,
            "cap": self.cap,
            "allow_negative_total": self.allow_negative_total,
        }


@dataclass(frozen=True)
class CustomAttribute:
    entity: str  # "lead" or "account"
    name: str
    column: str  # e.g. lead_attribute__lead_origin

    def to_dbt_var(self) -> dict[str, str]:
        return {"entity": self.entity, "name": self.name, "column": self.column}


@dataclass(frozen=True)
class ScoringConfig:
    source: Path
    thresholds: Thresholds
    fit_grades: Mapping[str, int]  # minimum fit points for A, B, C
    dimension_caps: Mapping[str, int | None]  # every dimension; None: no cap
    rules: tuple[ScoringRule, ...]  # in file order
    attributes: tuple[CustomAttribute, ...]  # custom attributes the rules use, sorted

    def rules_in_section(self, section: str) -> tuple[ScoringRule, ...]:
        return tuple(rule for rule in self.rules if rule.section == section)

    def rules_of_dimension(self, dimension: str) -> tuple[ScoringRule, ...]:
        """Every rule that adds to a dimension, negative rules included."""
        return tuple(rule for rule in self.rules if rule.dimension == dimension)

    def score_bounds(self) -> dict[str, tuple[int | None, int | None]]:
        """The lowest and highest value each score column can take under these rules (None:
        unbounded): a dimension is floored at 0 unless one of its rules allows a negative total,
        and capped by its cap; fit, engagement and combined scores add their dimensions up."""
        bounds = {
            dimension: (
                None
                if any(rule.allow_negative_total for rule in self.rules_of_dimension(dimension))
                else 0,
                self.dimension_caps.get(dimension),
            )
            for dimension in DIMENSIONS
        }

        def total(dimensions: tuple[str, ...]) -> tuple[int | None, int | None]:
            lows = [bounds[dimension][0] for dimension in dimensions]
            highs = [bounds[dimension][1] for dimension in dimensions]
            return (
                None if None in lows else sum(lows),
                None if None in highs else sum(highs),
            )

        return {
            **{f"{dimension}_score": bounds[dimension] for dimension in DIMENSIONS},
            "fit_score": total(("demographic", "firmographic")),
            "engagement_score": total(ENGAGEMENT_DIMENSIONS),
            "combined_score": total(DIMENSIONS),
        }

    def to_dbt_vars(self) -> dict[str, Any]:
        """The configuration as dbt vars (``dbt build --vars "$(json)"``); JSON-serializable."""
        return {
            "scoring": {
                "thresholds": self.thresholds.to_dict(),
                "fit_grades": {grade: self.fit_grades[grade] for grade in FIT_GRADE_KEYS},
                "dimension_caps": {dim: self.dimension_caps.get(dim) for dim in DIMENSIONS},
                "rules": [rule.to_dbt_var() for rule in self.rules],
                "attributes": [attribute.to_dbt_var() for attribute in self.attributes],
            }
        }


def rules_path() -> Path:
    """The rules file to use: ``$LEADQUAL_SCORING_RULES`` if set, else the one in dbt_project."""
    configured = os.environ.get(RULES_PATH_ENV)
    return Path(configured).expanduser() if configured else DEFAULT_RULES_PATH


def load_scoring_config(path: Path | None = None) -> ScoringConfig:
    """Read, validate and return the scoring rules; raise ``ScoringRulesError`` listing all
    problems if anything is wrong."""
    path = Path(path) if path is not None else rules_path()
    label = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ScoringRulesError(path, [f"{label}: cannot read the file: {error}"]) from error

    document, duplicates = _parse_yaml(text, path)
    problems = _Problems(label)
    for line, key in duplicates:
        problems.add(f"line {line}", f"duplicate key {key!r} (the later value would win)")
    config = _Validator(path, problems).config(document)
    if problems or config is None:
        raise ScoringRulesError(path, problems.messages)
    return config


# --- YAML ---------------------------------------------------------------------------------------


class _LineDict(dict):
    """A YAML mapping that remembers its line, to point at rules that have no usable id."""

    line: int = 0


class _RulesLoader(yaml.SafeLoader):
    """Safe loader that records duplicate keys: PyYAML otherwise keeps the last one silently."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.duplicate_keys: list[tuple[int, str]] = []


def _construct_mapping(loader: _RulesLoader, node: yaml.MappingNode) -> Iterator[_LineDict]:
    data = _LineDict()
    data.line = node.start_mark.line + 1
    yield data
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if isinstance(key_node, yaml.ScalarNode) and not key_node.tag.endswith(":merge"):
            key = loader.construct_object(key_node)
            if key in seen:
                loader.duplicate_keys.append((key_node.start_mark.line + 1, str(key)))
            seen.add(key)
    data.update(loader.construct_mapping(node))


_RulesLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _parse_yaml(text: str, path: Path) -> tuple[Any, list[tuple[int, str]]]:
    loader = _RulesLoader(text)
    try:
        return loader.get_single_data(), loader.duplicate_keys
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        reason = getattr(error, "problem", None) or str(error)
        context = getattr(error, "context", None)
        detail = f"{reason} ({context})" if context else reason
        message = f"{path.name}: {where}invalid YAML: {detail}"
        raise ScoringRulesError(path, [message]) from error
    finally:
        loader.dispose()


# --- structure ----------------------------------------------------------------------------------


class _Problems:
    def __init__(self, label: str):
        self.label = label
        self.messages: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.messages.append(
            f"{self.label}: {where}: {message}" if where else f"{self.label}: {message}"
        )

    def __len__(self) -> int:
        return len(self.messages)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    """A finite int or float: YAML reads .inf and .nan as floats."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _type_name(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def _suggest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f"did you mean {close[0]!r}? " if close else ""


class _Validator:
    """Turns the parsed YAML into a ScoringConfig, recording every problem on the way."""

    def __init__(self, path: Path, problems: _Problems):
        self.path = path
        self.problems = problems

    def config(self, document: Any) -> ScoringConfig | None:
        if document is None:
            self.problems.add("", "the file is empty")
            return None
        if not isinstance(document, dict):
            self.problems.add(
                "", f"the file must be a mapping of keys, not a {_type_name(document)}"
            )
            return None
        self._keys(document, "", TOP_LEVEL_KEYS, required=TOP_LEVEL_KEYS)
        version = document.get("version")
        if "version" in document and version != SUPPORTED_VERSION:
            self.problems.add("version", f"must be {SUPPORTED_VERSION} (got {version!r})")
        thresholds = self._thresholds(document.get("thresholds"))
        caps = self._dimension_caps(document.get("dimension_caps"))
        fit_grades = self._fit_grades(document.get("fit_grades"), caps)
        rules = self._rules(document.get("rules"))
        if self.problems or thresholds is None or caps is None or fit_grades is None:
            return None
        config = ScoringConfig(
            source=self.path,
            thresholds=thresholds,
            fit_grades=MappingProxyType(fit_grades),
            dimension_caps=MappingProxyType(caps),
            rules=tuple(rules),
            attributes=_attributes_used(rules),
        )
        # A threshold above every reachable score would empty the funnel without a word.
        highest = config.score_bounds()["combined_score"][1]
        for key in ("mql_min_combined_score", "sql_min_combined_score"):
            if highest is not None and getattr(thresholds, key) > highest:
                self.problems.add(
                    "thresholds",
                    f"{key} ({getattr(thresholds, key)}) is above the highest combined score the"
                    f" dimension caps allow ({highest}): no lead could reach it",
                )
                break  # the SQL threshold is at least the MQL one
        return None if self.problems else config

    def _keys(
        self,
        mapping: dict,
        where: str,
        allowed: tuple[str, ...],
        required: tuple[str, ...] = (),
        hint: str = "",
    ) -> None:
        for key in mapping:
            if key not in allowed:
                self.problems.add(
                    where,
                    f"unknown key {key!r} ({_suggest(key, allowed)}allowed: {', '.join(allowed)})"
                    f"{hint}",
                )
        for key in required:
            if key not in mapping:
                self.problems.add(where, f"missing key {key!r}")

    def _mapping(self, value: Any, where: str) -> dict | None:
        if value is None:
            return None  # reported as a missing key already
        if not isinstance(value, dict):
            self.problems.add(where, f"must be a mapping, not a {_type_name(value)}")
            return None
        return value

    def _thresholds(self, value: Any) -> Thresholds | None:
        raw = self._mapping(value, "thresholds")
        if raw is None:
            return None
        before = len(self.problems)
        self._keys(raw, "thresholds", THRESHOLD_KEYS, required=THRESHOLD_KEYS)
        grade = raw.get("mql_min_fit_grade")
        if "mql_min_fit_grade" in raw and grade not in GRADES:
            self.problems.add(
                "thresholds",
                f"mql_min_fit_grade must be one of {', '.join(GRADES)} (got {grade!r})",
            )
        ranges = {
            "mql_min_combined_score": (0, None),
            "sql_min_combined_score": (0, None),
            "bant_min_criteria": (1, 4),
            "meddic_min_criteria": (1, 6),
            "nurture_after_days": (1, None),
            "recycle_after_inactive_days": (1, None),
        }
        for key, (low, high) in ranges.items():
            if key in raw:
                self._int_in_range(raw[key], "thresholds", key, low, high)
        mql, sql = raw.get("mql_min_combined_score"), raw.get("sql_min_combined_score")
        if _is_int(mql) and _is_int(sql) and sql < mql:
            self.problems.add(
                "thresholds",
                f"sql_min_combined_score ({sql}) is below mql_min_combined_score ({mql}): "
                "an SQL is an MQL that sales also qualified",
            )
        if len(self.problems) > before:
            return None
        return Thresholds(**{key: raw[key] for key in THRESHOLD_KEYS})

    def _int_in_range(
        self, value: Any, where: str, key: str, low: int | None, high: int | None
    ) -> bool:
        if not _is_int(value):
            self.problems.add(where, f"{key} must be a whole number (got {value!r})")
            return False
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            self.problems.add(where, f"{key} must be {bounds} (got {value})")
            return False
        return True

    def _dimension_caps(self, value: Any) -> dict[str, int | None] | None:
        raw = self._mapping(value, "dimension_caps")
        if raw is None:
            return None
        before = len(self.problems)
        self._keys(raw, "dimension_caps", DIMENSIONS, required=ENGAGEMENT_DIMENSIONS)
        caps: dict[str, int | None] = {}
        for dimension in DIMENSIONS:
            cap = raw.get(dimension)
            if dimension not in raw and dimension in ENGAGEMENT_DIMENSIONS:
                continue  # reported as a missing key
            if cap is None and dimension not in ENGAGEMENT_DIMENSIONS:
                caps[dimension] = None
            elif self._int_in_range(cap, "dimension_caps", dimension, 0, None):
                caps[dimension] = cap
        engagement = [caps.get(dimension) for dimension in ENGAGEMENT_DIMENSIONS]
        if all(_is_int(cap) for cap in engagement) and sum(engagement) > ENGAGEMENT_MAX:
            self.problems.add(
                "dimension_caps",
                f"behavioural + timing caps are {sum(engagement)}, more than {ENGAGEMENT_MAX}: "
                f"the engagement score must stay within 0-{ENGAGEMENT_MAX}",
            )
        return caps if len(self.problems) == before else None

    def _fit_grades(self, value: Any, caps: dict[str, int | None] | None) -> dict[str, int] | None:
        raw = self._mapping(value, "fit_grades")
        if raw is None:
            return None
        before = len(self.problems)
        self._keys(
            raw, "fit_grades", FIT_GRADE_KEYS, required=FIT_GRADE_KEYS, hint="; below C is D"
        )
        for grade in FIT_GRADE_KEYS:
            if grade in raw:
                self._int_in_range(raw[grade], "fit_grades", grade, 0, None)
        if len(self.problems) > before:
            return None
        grades = {grade: raw[grade] for grade in FIT_GRADE_KEYS}
        if not grades["A"] > grades["B"] > grades["C"]:
            self.problems.add(
                "fit_grades",
                f"minimum points must fall from A to C (A > B > C), got "
                f"A={grades['A']}, B={grades['B']}, C={grades['C']}",
            )
            return None
        # Grade A must be reachable when both fit dimensions are capped.
        fit_caps = [caps.get(dim) for dim in ("demographic", "firmographic")] if caps else []
        fit_max = sum(fit_caps) if len(fit_caps) == 2 and all(map(_is_int, fit_caps)) else None
        if fit_max is not None and grades["A"] > fit_max:
            self.problems.add(
                "fit_grades",
                f"grade A needs {grades['A']} points but the demographic and firmographic "
                f"caps allow at most {fit_max}",
            )
            return None
        return grades

    def _rules(self, value: Any) -> list[ScoringRule]:
        raw = self._mapping(value, "rules")
        if raw is None:
            return []
        self._keys(raw, "rules", SECTIONS)
        seen_ids: dict[str, str] = {}
        rules: list[ScoringRule] = []
        for section, entries in raw.items():
            if section not in SECTIONS or entries is None:
                continue
            if not isinstance(entries, list):
                self.problems.add(
                    f"rules.{section}", f"must be a list of rules, not a {_type_name(entries)}"
                )
                continue
            for index, entry in enumerate(entries):
                rule = self._rule(entry, section, index, seen_ids)
                if rule is not None:
                    rules.append(rule)
        return rules

    def _rule(
        self, entry: Any, section: str, index: int, seen_ids: dict[str, str]
    ) -> ScoringRule | None:
        position = f"rule #{index + 1} of rules.{section}"
        if not isinstance(entry, dict):
            self.problems.add(position, f"must be a mapping, not a {_type_name(entry)}")
            return None
        rule_id = entry.get("id")
        if isinstance(rule_id, str) and RULE_ID.match(rule_id):
            where = f"rule {rule_id}"
        else:
            where = f"{position} (line {getattr(entry, 'line', '?')})"
        before = len(self.problems)

        if "id" not in entry:
            self.problems.add(where, "missing key 'id'")
        elif not (isinstance(rule_id, str) and RULE_ID.match(rule_id)):
            self.problems.add(
                where, f"id must be snake_case, like pricing_page_visit (got {rule_id!r})"
            )
        elif rule_id in seen_ids:
            self.problems.add(where, f"duplicate id (also used in rules.{seen_ids[rule_id]})")
        elif rule_id in LEDGER_ENTRY_IDS:
            self.problems.add(
                where, "this id names the score ledger's own cap or floor entries; choose another"
            )
        else:
            seen_ids[rule_id] = section

        dimension = self._rule_dimension(entry, section, where)
        is_behavioural = dimension == "behavioural"
        allowed = (
            RULE_KEYS + BEHAVIOURAL_RULE_KEYS if is_behavioural or dimension is None else RULE_KEYS
        )
        hint = (
            ""
            if is_behavioural or dimension is None
            else ("; look-back, half-life and cap apply to behavioural rules only")
        )
        self._keys(
            entry, where, allowed, required=("id", "description", "condition", "points"), hint=hint
        )

        description = entry.get("description")
        if "description" in entry and not (isinstance(description, str) and description.strip()):
            self.problems.add(where, "description must be a sentence in plain words")

        points = entry.get("points")
        if "points" in entry:
            if not _is_int(points):
                self.problems.add(where, f"points must be a whole number (got {points!r})")
            elif section == NEGATIVE_SECTION and points >= 0:
                self.problems.add(
                    where, f"points must be below 0 in the negative section (got {points})"
                )

        allow_negative = entry.get("allow_negative_total", False)
        if not isinstance(allow_negative, bool):
            self.problems.add(
                where, f"allow_negative_total must be true or false (got {allow_negative!r})"
            )

        lookback = half_life = cap = None
        if is_behavioural:
            lookback, half_life, cap = self._behavioural_settings(entry, where)

        condition = columns = None
        source_condition = entry.get("condition")
        if "condition" in entry and dimension is not None:
            context = CONTEXT_OF_DIMENSION[dimension]
            if not isinstance(source_condition, str):
                self.problems.add(
                    where,
                    f"condition must be SQL text (got {source_condition!r}); quote it in YAML",
                )
            else:
                checked = check_condition(source_condition, context)
                for problem in checked.problems:
                    self.problems.add(where, problem)
                condition, columns = checked.sql, checked.columns

        if len(self.problems) > before or dimension is None or condition is None:
            return None
        return ScoringRule(
            id=rule_id,
            description=description.strip(),
            section=section,
            dimension=dimension,
            context=CONTEXT_OF_DIMENSION[dimension],
            condition=condition,
            source_condition=source_condition,
            points=points,
            columns=columns or (),
            lookback_days=lookback,
            half_life_days=half_life,
            cap=cap,
            allow_negative_total=allow_negative,
        )

    def _rule_dimension(self, entry: dict, section: str, where: str) -> str | None:
        """The dimension a rule adds to: its section, or (negative rules) its `dimension` key."""
        declared = entry.get("dimension")
        if section != NEGATIVE_SECTION:
            if "dimension" in entry and declared != section:
                self.problems.add(
                    where,
                    f"dimension {declared!r} does not match the section rules.{section} "
                    "(move the rule, or leave the key out)",
                )
            return section
        if "dimension" not in entry:
            self.problems.add(
                where,
                f"missing key 'dimension': a negative rule names the dimension it lowers "
                f"({', '.join(DIMENSIONS)})",
            )
            return None
        if declared not in DIMENSIONS:
            self.problems.add(
                where,
                f"dimension must be one of {', '.join(DIMENSIONS)} "
                f"({_suggest(str(declared), DIMENSIONS)}got {declared!r})",
            )
            return None
        return declared

    def _behavioural_settings(
        self, entry: dict, where: str
    ) -> tuple[int | None, float | int | None, int | None]:
        lookback = entry.get("lookback_days")
        if "lookback_days" not in entry:
            self.problems.add(where, "missing key 'lookback_days' (behavioural rules need it)")
        else:
            self._int_in_range(lookback, where, "lookback_days", 1, MAX_LOOKBACK_DAYS)

        half_life = entry.get("half_life_days")
        if "half_life_days" not in entry:
            self.problems.add(
                where,
                "missing key 'half_life_days' (a number of days, or none for no decay)",
            )
        elif isinstance(half_life, str) and half_life.strip().lower() == "none":
            half_life = None
        elif half_life is not None and not (_is_number(half_life) and half_life > 0):
            self.problems.add(
                where,
                f"half_life_days must be a number of days above 0, or none for no decay "
                f"(got {half_life!r})",
            )

        cap = entry.get("cap")
        if cap is not None:
            self._int_in_range(cap, where, "cap", 0, None)
        return lookback, half_life, cap


def _attributes_used(rules: list[ScoringRule]) -> tuple[CustomAttribute, ...]:
    found = set()
    for rule in rules:
        for column in rule.columns:
            match = ATTRIBUTE_COLUMN.match(column)
            if match:
                found.add(CustomAttribute(entity=match[1], name=match[2], column=column))
    return tuple(sorted(found, key=lambda attribute: (attribute.entity, attribute.name)))


# --- conditions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedCondition:
    sql: str | None  # normalized SQL; None if there are problems
    columns: tuple[str, ...]
    problems: tuple[str, ...]


def known_columns(context: str) -> tuple[str, ...]:
    """The column names a condition in this context may use (custom attributes aside)."""
    return tuple(CONTEXT_COLUMNS[context])


def check_condition(condition: str, context: str) -> CheckedCondition:
    """Parse one condition and check it against the allow-list for its context."""
    if not condition.strip():
        return CheckedCondition(None, (), ("condition is empty",))
    try:
        with _quiet_sqlglot():
            statements = sqlglot.parse(condition, dialect=SQL_DIALECT)
    except ParseError as error:
        details = "; ".join(
            f"{item.get('description')} at line {item.get('line')}, column {item.get('col')}"
            for item in error.errors
        ) or str(error)
        return CheckedCondition(None, (), (f"cannot parse the condition: {details}",))
    except SqlglotError as error:  # tokenizer errors, such as an unterminated string
        message = f"cannot parse the condition, is a quote left open? ({error})"
        return CheckedCondition(None, (), (message,))

    statements = [statement for statement in statements if statement is not None]
    if not statements:
        return CheckedCondition(None, (), ("condition is empty",))
    if len(statements) > 1:
        extra = "; ".join(_snippet(statement) for statement in statements[1:])
        return CheckedCondition(
            None,
            (),
            (f'a condition is one SQL expression, not {len(statements)} statements ("{extra}")',),
        )

    root = statements[0]
    statement = _statement_keyword(root)
    if statement:
        return CheckedCondition(
            None,
            (),
            (
                f"{statement} statement is not allowed: a condition is one SQL expression "
                f'("{_snippet(root)}")',
            ),
        )

    problems: list[str] = []
    columns: set[str] = set()
    _check_tree(root, context, problems, columns)
    if not problems and not _is_boolean(root, context):
        problems.append(
            f'condition must be true or false, like a comparison ("{_snippet(root)}" is not)'
        )
    if problems:
        return CheckedCondition(None, tuple(sorted(columns)), tuple(problems))
    normalized = root.sql(dialect=SQL_DIALECT, comments=False, normalize_functions="lower")
    return CheckedCondition(normalized, tuple(sorted(columns)), ())


@contextmanager
def _quiet_sqlglot() -> Iterator[None]:
    """sqlglot logs a warning when it falls back to a raw Command (``load httpfs``); the
    validator reports that itself, so the warning would only be noise."""
    logger = logging.getLogger("sqlglot")
    previous = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(previous)


def _statement_keyword(node: exp.Expression) -> str | None:
    """A statement (DDL, DML, a command, a query) where an expression should be, if it is one.

    sqlglot 30 keeps statement node types in its ``ddl`` and ``dml`` modules (Command, Pragma,
    Install, Attach, Use, Set ... sit in ``ddl``; Copy, Insert, Delete in ``dml``). Anything not
    caught here is still rejected by the allow-list; this only gives the clearer message.
    """
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    if isinstance(node, exp.Query | exp.Values):
        return node.key.upper()
    module = type(node).__module__
    if module.endswith((".ddl", ".dml")):
        return node.key.upper()
    return None


def _check_tree(root: exp.Expression, context: str, problems: list[str], columns: set[str]) -> None:
    """Walk the tree depth first (without recursion: long OR chains are deep), checking every
    node against the allow-list. A rejected node's children are not visited, so one problem is
    reported once."""
    stack: list[tuple[exp.Expression, exp.Expression | None]] = [(root, None)]
    while stack:
        node, parent = stack.pop()
        kind = type(node)
        if kind is exp.Column:
            _check_column(node, context, problems, columns)
            continue
        if kind not in ALLOWED_NODE_TYPES:
            problems.append(_not_allowed(node))
            continue
        if kind is exp.If and not isinstance(parent, exp.Case):
            problems.append(f'function if is not allowed, write CASE WHEN ("{_snippet(node)}")')
            continue
        if kind is exp.Is and type(node.expression) not in (exp.Null, exp.Boolean):
            problems.append(f'IS is only allowed with NULL, TRUE or FALSE ("{_snippet(node)}")')
            continue
        children = list(node.iter_expressions())
        if kind in (exp.Cast, exp.TryCast):
            target = node.args.get("to")
            allowed_type = ALLOWED_CAST_TYPES.get(target.this) if target else None
            if allowed_type is None or list(target.iter_expressions()):
                problems.append(
                    f"cast to {target.sql(dialect=SQL_DIALECT) if target else '?'} is not allowed "
                    f"(allowed: {', '.join(sorted(set(ALLOWED_CAST_TYPES.values())))}) "
                    f'("{_snippet(node)}")'
                )
                continue
            children = [child for child in children if child is not target]
        stack.extend((child, node) for child in reversed(children))


def _check_column(node: exp.Column, context: str, problems: list[str], columns: set[str]) -> None:
    qualified = any(node.args.get(part) for part in ("table", "db", "catalog"))
    if qualified or not isinstance(node.this, exp.Identifier):
        alone = f", like {node.name}" if isinstance(node.this, exp.Identifier) else ""
        problems.append(
            f"qualified name {_snippet(node)} is not allowed: name the column alone{alone}"
        )
        return
    name = node.name.lower()
    if name in CONTEXT_COLUMNS[context] or (context == PROFILE and ATTRIBUTE_COLUMN.match(name)):
        columns.add(name)
        # DuckDB names are case-insensitive; the normalized SQL spells them the one way.
        node.set("this", exp.to_identifier(name))
        return
    known = ", ".join(CONTEXT_COLUMNS[context])
    if context == PROFILE:
        known += ", " + ", ".join(ATTRIBUTE_PATTERNS)
    elsewhere = [
        CONTEXT_LABELS[other] for other in CONTEXT_COLUMNS if name in CONTEXT_COLUMNS[other]
    ]
    if not elsewhere and ATTRIBUTE_COLUMN.match(name):
        elsewhere = [CONTEXT_LABELS[PROFILE]]
    hint = f"; it is known in {' and '.join(elsewhere)}" if elsewhere else ""
    suggestion = _suggest(name, list(CONTEXT_COLUMNS[context]))
    problems.append(
        f"unknown column {name} ({suggestion}known in {CONTEXT_LABELS[context]}: {known}){hint}"
    )


def _not_allowed(node: exp.Expression) -> str:
    snippet = _snippet(node)
    if isinstance(node, exp.Query | exp.Exists | exp.Values):
        what = "subquery"
    elif isinstance(node, exp.Window):
        what = "window function"
    elif isinstance(node, exp.Star):
        what = "* (star)"
    elif isinstance(node, PLACEHOLDER_TYPES):
        what = "parameter placeholder"
    elif isinstance(node, exp.Dot):
        what = "qualified name"
    elif isinstance(node, exp.AggFunc):
        what = f"aggregate function {_function_name(node, snippet)}"
    elif isinstance(node, exp.Func):
        what = f"function {_function_name(node, snippet)}"
    elif _statement_keyword(node):
        what = f"{_statement_keyword(node)} statement"
    else:
        what = f"SQL construct {type(node).__name__}"
    return f'{what} is not allowed ("{snippet}")'


def _function_name(node: exp.Func, snippet: str) -> str:
    """The name as DuckDB spells it: read_csv, getenv (sqlglot's class names differ)."""
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    match = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(", snippet)
    return match[1].lower() if match else node.sql_name().lower()


def _snippet(node: exp.Expression, limit: int = 80) -> str:
    text = node.sql(dialect=SQL_DIALECT, comments=False, normalize_functions="lower")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_boolean(node: exp.Expression, context: str) -> bool:
    """Whether a (checked) condition yields true/false rather than a number or a string."""
    if isinstance(node, exp.Paren):
        return _is_boolean(node.this, context)
    if isinstance(node, BOOLEAN_NODE_TYPES):
        return True
    if isinstance(node, exp.Column):
        return CONTEXT_COLUMNS[context].get(node.name.lower()) == "boolean"
    if isinstance(node, exp.Cast):
        return node.to.this == exp.DataType.Type.BOOLEAN
    if isinstance(node, exp.Coalesce):
        return all(_is_boolean(arg, context) for arg in [node.this, *node.expressions])
    if isinstance(node, exp.Case):
        results = [branch.args.get("true") for branch in node.args.get("ifs") or []]
        results.append(node.args.get("default"))
        return all(
            result is None or isinstance(result, exp.Null) or _is_boolean(result, context)
            for result in results
        )
    return False
