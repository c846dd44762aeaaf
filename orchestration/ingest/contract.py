"""The landing contract: what every deployment's landing folder must look like.

This module is the single source of truth for entity names, column types, required columns and
the row-level rules that send a row to quarantine. The loader turns these declarations into SQL;
nothing here touches data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EVENT_TYPES = (
    "page_view",
    "content_download",
    "email_open",
    "email_click",
    "email_unsubscribe",
    "email_bounce",
    "form_submit",
    "webinar_attended",
    "demo_requested",
    "demo_booked",
    "trial_started",
)


@dataclass(frozen=True)
class Column:
    """One contract column. ``sql_type`` is the DuckDB type the raw table stores."""

    name: str
    sql_type: str = "varchar"
    required: bool = False
    non_negative: bool = False
    accepted_values: tuple[str, ...] = ()
    is_json: bool = False

    @property
    def is_temporal(self) -> bool:
        return self.sql_type in ("timestamp", "date")


@dataclass(frozen=True)
class RowRule:
    """A rule across columns of one row; ``violation`` is SQL over the typed columns."""

    code: str
    violation: str
    message: str


@dataclass(frozen=True)
class Entity:
    """One landing entity: a folder of files that becomes one ``raw`` table.

    ``key`` identifies a record; two rows with the same key in one file break the contract.
    ``versioned`` entities accept a later row for a known key as a new version; immutable
    entities reject it as a duplicate. ``needs_known_lead`` rows wait in quarantine (reason
    ``unknown_lead``) until their lead arrives.
    """

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    versioned: bool
    required: bool = False
    needs_known_lead: bool = False
    row_rules: tuple[RowRule, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def table(self) -> str:
        return f"raw.{self.name}"

    @property
    def rejects_table(self) -> str:
        return f"raw.{self.name}_rejects"


def _ts(name: str, required: bool = False) -> Column:
    return Column(name, "timestamp", required=required)


def _bool(name: str) -> Column:
    return Column(name, "boolean")


ACCOUNTS = Entity(
    name="accounts",
    key=("account_id",),
    versioned=True,
    columns=(
        Column("account_id", required=True),
        Column("company_name"),
        Column("domain"),
        Column("industry"),
        Column("employee_count", "bigint", non_negative=True),
        Column("country"),
        Column("founded_year", "integer", non_negative=True),
        Column("annual_revenue", "double", non_negative=True),
        Column("budget", "double", non_negative=True),
        Column("growth_rate", "double"),
        Column("tech_stack"),
        _ts("updated_at"),
    ),
)

LEADS = Entity(
    name="leads",
    key=("lead_id",),
    versioned=True,
    required=True,
    columns=(
        Column("lead_id", required=True),
        _ts("created_at", required=True),
        Column("email"),
        Column("first_name"),
        Column("last_name"),
        Column("job_title"),
        Column("account_id"),
        Column("company_name"),
        Column("source"),
        Column("campaign"),
        Column("country"),
        _bool("consent_marketing"),
        _bool("do_not_contact"),
        _ts("updated_at"),
    ),
)

EVENTS = Entity(
    name="events",
    key=("event_id",),
    versioned=False,
    needs_known_lead=True,
    columns=(
        Column("event_id", required=True),
        Column("lead_id", required=True),
        Column("event_type", required=True, accepted_values=EVENT_TYPES),
        _ts("occurred_at", required=True),
        Column("page_url"),
        Column("properties", is_json=True),
    ),
)

OPPORTUNITIES = Entity(
    name="opportunities",
    key=("opportunity_id",),
    versioned=True,
    needs_known_lead=True,
    columns=(
        Column("opportunity_id", required=True),
        Column("lead_id", required=True),
        _ts("created_at", required=True),
        Column("account_id"),
        Column("stage"),
        Column("amount", "double", non_negative=True),
        Column("currency"),
        _ts("closed_at"),
        _bool("is_won"),
        Column("lost_reason"),
        Column("owner"),
        # Not in the published contract table, but the version timestamp the contract's
        # "latest updated_at wins" rule needs for opportunities that change stage.
        _ts("updated_at"),
    ),
    row_rules=(
        RowRule(
            "closed_before_created",
            "closed_at < created_at",
            "closed_at is earlier than created_at",
        ),
    ),
)

SALES_QUALIFICATION = Entity(
    name="sales_qualification",
    key=("lead_id", "assessed_at", "framework"),
    versioned=False,
    needs_known_lead=True,
    columns=(
        Column("lead_id", required=True),
        _ts("assessed_at", required=True),
        Column("framework", required=True, accepted_values=("bant", "meddic")),
        _bool("budget"),
        _bool("authority"),
        _bool("need"),
        _bool("timeline"),
        _bool("metrics"),
        _bool("economic_buyer"),
        _bool("decision_criteria"),
        _bool("decision_process"),
        _bool("identified_pain"),
        _bool("champion"),
        Column("verdict", accepted_values=("accepted", "rejected", "recycle")),
        Column("reason"),
        Column("assessed_by"),
    ),
)

MARKETING_SPEND = Entity(
    name="marketing_spend",
    key=("spend_date", "source", "campaign"),
    versioned=True,
    columns=(
        Column("spend_date", "date", required=True),
        Column("source", required=True),
        Column("amount", "double", required=True, non_negative=True),
        Column("campaign"),
        Column("currency"),
    ),
)

PRIVACY_REQUESTS = Entity(
    name="privacy_requests",
    key=(),
    versioned=False,
    columns=(
        Column("request_type", required=True, accepted_values=("erasure", "withdraw_consent")),
        _ts("requested_at", required=True),
        Column("lead_id"),
        Column("email"),
    ),
    row_rules=(
        RowRule(
            "missing_required",
            "lead_id is null and email is null",
            "a privacy request needs lead_id or email",
        ),
    ),
)

# Load order matters: rows that need a known lead are checked against raw.leads.
ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (
        ACCOUNTS,
        LEADS,
        EVENTS,
        OPPORTUNITIES,
        SALES_QUALIFICATION,
        MARKETING_SPEND,
        PRIVACY_REQUESTS,
    )
}

FILE_SUFFIXES = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
