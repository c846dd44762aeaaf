"""Seeded synthetic landing data for the lead qualification warehouse.

The files follow the landing contract of DESIGN.md, so the ingest, the dbt models and the quality
gates can be developed and benchmarked without customer data. The data is simulated, not sampled
at random column by column, because the point of the project is to *predict* sales outcomes: the
signals the scoring model reads must really carry information about opportunities and wins.

How the simulation works
------------------------
* **Accounts** get firmographics (industry, log-normal size, country, age, revenue, budget,
  growth, tech stack). A hidden account *fit* rewards the ideal customer profile: 50-5,000
  employees, software/fintech, target countries, budget, growth and a modern data stack. A pool of
  "shadow" companies that never reach the accounts file stands behind leads without account_id.
* **Leads** arrive over the whole period (slightly more each week, fewer on weekends). Their fit is
  the account fit plus the seniority of the job title; their hidden *intent* mixes the quality of
  the source channel, the fit and noise. fit and intent combine into a hidden *propensity*.
* **Events**: intent sets how many events a lead produces and their mix. A high-intent lead looks at
  pricing, downloads content, clicks e-mails, requests and books demos, starts trials and stays
  active; a low-intent lead opens e-mails, reads blog/docs/careers pages and sometimes unsubscribes.
  Event times are dense right after creation, with a long tail that keeps some leads active up to
  end_date. Leads without marketing consent (or with do_not_contact) get no marketing e-mails.
* **Sales** assesses leads after their engagement peak (mostly after demo requests) with BANT or
  MEDDIC; the answers follow the propensity and decide the verdict. Accepted leads (and a few
  direct ones) become **opportunities**, won or lost according to the propensity after a sales
  cycle that grows with company size; those whose cycle ends after end_date stay open.
* **Marketing spend** per paid channel and day follows the leads the channel produced, at a
  channel-specific cost per lead. **Privacy requests** target a few leads by id or only by e-mail.
* **Broken rows** (``broken_share``) are *extra* rows that each break exactly one contract rule, so
  the expected reject reason is unambiguous and the valid dataset stays consistent.

The hidden scores are written to ``_truth/leads.parquet`` for backtests and calibration.

Scale and determinism: leads are processed in chunks of 25,000; each chunk has its own seeds
(``SeedSequence(seed).spawn``) and appends its rows to the daily files, so memory stays bounded and
the same arguments produce byte-identical files. Only a few small per-lead arrays (created_at,
account, channel, scores) are kept for all leads, because the event budget is normalised globally.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from tqdm import tqdm

from orchestration.ingest.contract import ENTITIES

# --------------------------------------------------------------------------------------------
# Public vocabulary
# --------------------------------------------------------------------------------------------

#: Extra columns the sample data carries beyond the contract; ingest keeps them as custom
#: attributes of leads and accounts.
CUSTOM_COLUMNS: dict[str, list[str]] = {
    "accounts": ["hq_city"],
    "leads": ["lead_origin", "preferred_language"],
}

#: Column order of every generated file: the landing contract's columns, then the custom ones.
ENTITY_COLUMNS: dict[str, list[str]] = {
    name: [*entity.column_names, *CUSTOM_COLUMNS.get(name, [])] for name, entity in ENTITIES.items()
}

#: The broken-row kinds injected per entity. accounts has no ``unparseable_type`` because its
#: Parquet columns are typed (an integer column cannot hold "many"); entities without an id
#: column have no ``duplicate_id_in_file``.
BROKEN_KINDS: dict[str, list[str]] = {
    "accounts": ["missing_required", "future_timestamp", "negative_value", "duplicate_id_in_file"],
    "leads": ["missing_required", "unparseable_type", "future_timestamp", "duplicate_id_in_file"],
    "events": [
        "missing_required", "unparseable_type", "unknown_lead", "future_timestamp",
        "duplicate_id_in_file",
    ],
    "opportunities": [
        "missing_required", "unparseable_type", "unknown_lead", "future_timestamp",
        "closed_before_created", "negative_value", "duplicate_id_in_file",
    ],
    "sales_qualification": [
        "missing_required", "unparseable_type", "unknown_lead", "future_timestamp",
    ],
    "marketing_spend": [
        "missing_required", "unparseable_type", "future_timestamp", "negative_value",
    ],
    "privacy_requests": ["missing_required", "unparseable_type", "future_timestamp"],
}  # fmt: skip

MIN_DAYS = 180
MAX_LEADS = 2_000_000
CHUNK_SIZE = 25_000
MANIFEST_NAME = "_generation_manifest.json"
TRUTH_PATH = Path("_truth") / "leads.parquet"

#: An entity needs this many valid rows before every broken kind is guaranteed to appear.
_MIN_ROWS_FOR_ALL_KINDS = 200
_TARGET_EVENTS_PER_LEAD = 20.0
_SECONDS_PER_DAY = 86_400
_EPOCH = date(1970, 1, 1)

# Id ranges: valid ids count up from 1; ids of broken rows and of leads that exist nowhere use
# ranges no valid id can reach (MAX_LEADS caps the valid ones), so a broken row can never collide
# with a valid record and break a second rule.
_BROKEN_LEAD_ID_BASE = 8_000_000
_UNKNOWN_LEAD_ID_BASE = 9_000_000
_BROKEN_ACCOUNT_ID_BASE = 900_000
_BROKEN_OPPORTUNITY_ID_BASE = 9_000_000
_BROKEN_EVENT_ID_BASE = 90_000_000_000
_ID_WIDTH = {"L": 7, "A": 6, "O": 7, "E": 11}

# --------------------------------------------------------------------------------------------
# Domain vocabulary and the weights of the hidden model
# --------------------------------------------------------------------------------------------

# name, share of accounts, fit contribution, revenue per employee (USD), stack modernity shift
_INDUSTRIES = [
    ("software", 0.20, 0.8, 220_000, 0.8),
    ("fintech", 0.09, 0.7, 300_000, 0.5),
    ("healthcare", 0.10, 0.0, 150_000, -0.2),
    ("retail", 0.10, -0.2, 120_000, -0.1),
    ("manufacturing", 0.12, -0.2, 180_000, -0.4),
    ("education", 0.07, -0.6, 80_000, -0.3),
    ("media", 0.07, 0.3, 170_000, 0.2),
    ("logistics", 0.08, -0.1, 140_000, -0.2),
    ("professional_services", 0.09, 0.2, 160_000, 0.0),
    ("government", 0.04, -0.8, 100_000, -0.7),
    ("nonprofit", 0.04, -0.9, 70_000, -0.5),
]

# ISO code, share, fit contribution, local language, HQ cities
_COUNTRIES = [
    ("US", 0.36, 0.4, "en", ["New York", "San Francisco", "Austin", "Chicago", "Seattle"]),
    ("GB", 0.10, 0.4, "en", ["London", "Manchester", "Edinburgh", "Bristol"]),
    ("DE", 0.09, 0.4, "de", ["Berlin", "Munich", "Hamburg", "Frankfurt", "Cologne"]),
    ("FR", 0.06, 0.1, "fr", ["Paris", "Lyon", "Toulouse", "Nantes"]),
    ("NL", 0.04, 0.4, "nl", ["Amsterdam", "Rotterdam", "Utrecht", "Eindhoven"]),
    ("CA", 0.05, 0.3, "en", ["Toronto", "Vancouver", "Montreal"]),
    ("AU", 0.04, 0.3, "en", ["Sydney", "Melbourne", "Brisbane"]),
    ("IN", 0.07, -0.3, "en", ["Bangalore", "Mumbai", "Pune", "Hyderabad"]),
    ("BR", 0.04, -0.3, "pt", ["Sao Paulo", "Rio de Janeiro", "Belo Horizonte"]),
    ("ES", 0.03, 0.0, "es", ["Madrid", "Barcelona", "Valencia"]),
    ("SE", 0.03, 0.3, "sv", ["Stockholm", "Gothenburg", "Malmo"]),
    ("SG", 0.02, 0.0, "en", ["Singapore"]),
    ("JP", 0.02, -0.3, "ja", ["Tokyo", "Osaka"]),
    ("MX", 0.02, -0.3, "es", ["Mexico City", "Guadalajara", "Monterrey"]),
    ("CH", 0.02, 0.3, "de", ["Zurich", "Geneva", "Basel"]),
    ("PL", 0.01, -0.1, "pl", ["Warsaw", "Krakow"]),
]

# tool, base log-odds, slope on stack modernity, counts as modern stack
_TOOLS = [
    ("salesforce", -0.3, 0.3, False),
    ("hubspot", -0.8, 0.6, True),
    ("snowflake", -1.6, 1.2, True),
    ("dbt", -2.0, 1.4, True),
    ("aws", 0.0, 0.6, False),
    ("gcp", -1.3, 0.6, False),
    ("azure", -0.9, 0.1, False),
    ("segment", -2.0, 1.1, True),
    ("looker", -1.8, 0.9, True),
    ("excel", 0.8, -0.9, False),
    ("tableau", -1.2, 0.3, False),
    ("bigquery", -1.8, 0.9, True),
]

# channel, share of leads, channel quality (drives intent), cost per lead if paid (USD)
_CHANNELS = [
    ("organic_search", 0.19, 0.3, None),
    ("paid_search", 0.17, 0.2, 180.0),
    ("paid_social", 0.15, -0.4, 85.0),
    ("content_syndication", 0.11, -0.8, 55.0),
    ("events", 0.07, 0.2, 320.0),
    ("webinar", 0.10, 0.1, 110.0),
    ("referral", 0.06, 1.0, None),
    ("partner", 0.05, 0.6, None),
    ("outbound", 0.10, -0.3, None),
]
_FIXED_CAMPAIGNS = {"referral": "customer-referral", "partner": "partner-program"}

# title class, share of leads, fit contribution, authority (for BANT/MEDDIC), titles
_TITLE_CLASSES = [
    ("c_level", 0.05, 0.7, 1.5, [
        "CEO", "CTO", "CFO", "CMO", "COO", "Chief Revenue Officer", "Chief Data Officer",
        "Founder & CEO",
    ]),
    ("vp", 0.07, 0.9, 1.2, [
        "VP Marketing", "VP Sales", "VP Engineering", "VP of Data",
        "Vice President Revenue Operations", "VP Growth",
    ]),
    ("director", 0.12, 0.8, 0.8, [
        "Director of Marketing", "Director of Sales Operations", "Head of Growth",
        "Head of Analytics", "Director, Demand Generation", "Head of Data",
    ]),
    ("manager", 0.22, 0.4, 0.0, [
        "Marketing Manager", "Marketing Operations Manager", "Sales Manager", "Product Manager",
        "RevOps Manager", "Data Team Lead", "Account Manager",
    ]),
    ("engineer", 0.14, 0.1, -0.6, [
        "Data Engineer", "Analytics Engineer", "Software Engineer", "BI Developer",
        "Solutions Architect",
    ]),
    ("analyst", 0.17, 0.0, -0.6, [
        "Data Analyst", "Marketing Analyst", "Business Analyst", "Sales Operations Analyst",
    ]),
    ("other", 0.08, -0.4, -0.5, [
        "Consultant", "Freelancer", "Office Manager", "Recruiter", "Sales Representative",
    ]),
    ("student", 0.06, -1.6, -2.0, ["Student", "PhD Student", "MBA Candidate"]),
    ("intern", 0.04, -1.3, -2.0, ["Intern", "Marketing Intern", "Working Student"]),
    ("missing", 0.05, -0.3, -0.5, [None]),
]  # fmt: skip
_NOT_A_BUYER_CLASSES = ("student", "intern")
_PROMOTION_CLASSES = ("manager", "director", "vp")


def _words(text: str) -> list[str]:
    """Unique words in order: duplicate name parts would repeat company domains."""
    return list(dict.fromkeys(text.split()))


_LEAD_ORIGINS = ["web_form", "import", "api", "chat"]
_FREE_MAIL = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "proton.me"]

_FIRST_NAMES = _words("""
James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard
Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy Anthony Sandra Mark
Ashley Steven Emily Paul Michelle Andrew Amanda Joshua Melissa Kevin Stephanie Brian Rebecca
George Laura Timothy Emma Jason Olivia Ryan Sophie Jacob Hannah Lukas Anna Felix Lea Jonas Marie
Leon Julia Maximilian Clara Paul Camille Hugo Chloe Louis Manon Lucas Ines Arthur Lena Sem Sanne
Daan Fleur Oliver Amelia Harry Isla Noah Mia Liam Ava Arjun Priya Rahul Ananya Vikram Neha Rafael
Beatriz Gabriel Larissa Pablo Lucia Javier Elena Erik Astrid Johan Ingrid Kenji Yuki Hiroshi
Sakura Wei Mei Diego Valentina Mateo Sofia Piotr Zofia Marek Agnieszka
""")
_LAST_NAMES = _words("""
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Wilson
Anderson Thomas Taylor Moore Jackson Martin Lee Thompson White Harris Clark Lewis Robinson Walker
Young Allen King Wright Scott Green Baker Adams Nelson Hill Campbell Mitchell Roberts Carter
Phillips Evans Turner Parker Collins Edwards Stewart Morris Murphy Cook Rogers Morgan Cooper
Mueller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Dubois Durand Leroy
Moreau Laurent Lefebvre Bernard Petit Jansen DeVries Bakker Visser Smit Mulder Patel Sharma Gupta
Singh Kumar Reddy Silva Santos Oliveira Souza Pereira Costa Fernandez Gonzalez Sanchez Ramirez
Torres Andersson Johansson Karlsson Nilsson Tanaka Suzuki Watanabe Chen Wang Liu Zhang Kowalski
Nowak Wisniewski OBrien Murray Kelly Byrne
""")

_NAME_PREFIXES = _words("""
Blue North Silver Bright Red Green Iron Clear Swift True Open Quant Data Cloud Net Hyper Zen
Apex Nova Terra Aqua Solar Lunar Stellar Urban Rapid Prime Vivid Bold Crystal Golden Summit
Alpine Coastal Harbor Maple Cedar Oak Pine Birch Falcon Eagle Fox Wolf Bear Lynx Orca Atlas
Vector Pixel Signal Matrix Fusion Quantum Echo Pulse Spark Beacon Anchor Compass Meridian Horizon
Polar Ember Cobalt Indigo Crimson Amber Jade Onyx Ruby Sage Lumen Arc Kite Sonic Flux
""")
_NAME_ROOTS = _words("""
peak wind stone field bridge path wave light point scale forge works line core gate leaf river
ridge spark stream grid loop base hub bay craft mind logic sense shift stack flow mark view wise
lane port dock yard mill cast form byte bit cell node link mesh layer frame field sight tide
crest dale glen vale brook wood land shore cliff rock star sun moon sky cloud rain snow frost
bloom root seed grove well spring fall ward
""")
_NAME_SUFFIXES = [
    "Analytics", "Systems", "Labs", "Software", "Group", "Health", "Logistics", "Technologies",
    "Solutions", "Partners", "Networks", "Retail", "Capital", "Media", "Industries", "Digital",
    "Consulting", "Foods", "Energy", "Robotics",
]  # fmt: skip
# Company names hint at the industry, as real ones do; other suffixes are generic.
_SUFFIX_INDUSTRY = {
    "Analytics": "software", "Software": "software", "Labs": "software", "Health": "healthcare",
    "Logistics": "logistics", "Retail": "retail", "Capital": "fintech", "Media": "media",
    "Industries": "manufacturing", "Consulting": "professional_services", "Foods": "retail",
    "Energy": "manufacturing", "Robotics": "manufacturing", "Networks": "media",
}  # fmt: skip
_TLDS = [".com", ".io", ".co", ".ai", ".net", ".tech", ".app", ".org"]
_LEGAL_FORMS = [" Inc.", " GmbH", " Ltd", " LLC", " B.V."]

_SITE = "https://www.example.com"
# page category -> paths; the category names match the page_url patterns scoring configures
_PAGES: dict[str, list[str]] = {
    "pricing": ["/pricing", "/pricing/", "/pricing?plan=team", "/pricing?plan=enterprise",
                "/pricing/enterprise"],
    "product": ["/product", "/product/lead-scoring", "/product/routing", "/product/analytics",
                "/features/integrations", "/security"],
    "customers": ["/customers", "/customers/fintech-case-study", "/customers/retail-case-study"],
    "integrations": ["/integrations/salesforce", "/integrations/hubspot",
                     "/integrations/snowflake"],
    "docs": ["/docs/getting-started", "/docs/api", "/docs/sso", "/docs/webhooks",
             "/docs/scoring-rules"],
    "blog": ["/blog/what-is-an-mql", "/blog/lead-scoring-101", "/blog/b2b-attribution",
             "/blog/sales-marketing-alignment", "/blog/company-news", "/blog/data-team-hiring"],
    "careers": ["/careers", "/careers/senior-data-engineer", "/careers/account-executive",
                "/careers/working-student"],
    "home": ["/", "/about", "/contact"],
}  # fmt: skip
_PAGE_MIX_HIGH = {"pricing": 0.30, "product": 0.25, "customers": 0.12, "integrations": 0.10,
                  "docs": 0.10, "blog": 0.08, "home": 0.05, "careers": 0.0}  # fmt: skip
_PAGE_MIX_LOW = {"pricing": 0.03, "product": 0.08, "customers": 0.03, "integrations": 0.02,
                 "docs": 0.20, "blog": 0.34, "home": 0.15, "careers": 0.15}  # fmt: skip

_EVENT_TYPES = [
    "page_view", "content_download", "email_open", "email_click", "email_unsubscribe",
    "email_bounce", "form_submit", "webinar_attended", "demo_requested", "demo_booked",
    "trial_started",
]  # fmt: skip
_EV = {name: code for code, name in enumerate(_EVENT_TYPES)}
# Mix of the everyday events; milestones (demo, trial, unsubscribe, bounce) are drawn per lead.
_EVENT_MIX_HIGH = {"page_view": 0.45, "content_download": 0.10, "email_open": 0.20,
                   "email_click": 0.15, "webinar_attended": 0.06, "form_submit": 0.04}  # fmt: skip
_EVENT_MIX_LOW = {"page_view": 0.38, "content_download": 0.03, "email_open": 0.50,
                  "email_click": 0.06, "webinar_attended": 0.01, "form_submit": 0.02}  # fmt: skip
_EMAIL_EVENTS = (_EV["email_open"], _EV["email_click"])


def _props(key: str, values: list[str]) -> list[str]:
    return [json.dumps({key: value}) for value in values]


_EVENT_PROPERTIES: dict[str, list[str | None]] = {
    "page_view": [None],
    "content_download": _props("asset", [
        "roi-whitepaper", "buyers-guide", "benchmark-report", "lead-scoring-checklist",
        "case-study-fintech",
    ]),
    "email_open": _props("email", ["newsletter-weekly", "nurture-1", "nurture-3",
                                   "product-update", "webinar-invite"]),
    "email_click": _props("email", ["newsletter-weekly", "nurture-1", "nurture-3",
                                    "product-update", "webinar-invite"]),
    "email_unsubscribe": _props("email", ["newsletter-weekly", "nurture-3"]),
    "email_bounce": _props("reason", ["hard_bounce", "mailbox_full", "unknown_user"]),
    "form_submit": _props("form", ["contact", "newsletter", "gated-content"]),
    "webinar_attended": _props("webinar", ["scoring-best-practices", "revops-roundtable",
                                           "product-tour"]),
    "demo_requested": _props("form", ["demo-request"]),
    "demo_booked": [json.dumps({"meeting": "demo", "duration_min": 30}),
                    json.dumps({"meeting": "demo", "duration_min": 45})],
    "trial_started": _props("plan", ["team", "business", "enterprise"]),
}  # fmt: skip

_SDRS = [f"{name}@example.com" for name in [
    "maria.lopez", "jonas.weber", "emily.carter", "arjun.patel", "sophie.laurent", "liam.murphy",
    "hannah.schulz", "diego.torres",
]]  # fmt: skip
_ACCOUNT_EXECUTIVES = [f"{name}@example.com" for name in [
    "olivia.bennett", "lukas.fischer", "camille.moreau", "noah.jansen", "priya.sharma",
    "james.walker", "ingrid.karlsson", "rafael.silva",
]]  # fmt: skip
_BANT = ["budget", "authority", "need", "timeline"]
_MEDDIC = ["metrics", "economic_buyer", "decision_criteria", "decision_process",
           "identified_pain", "champion"]  # fmt: skip
_REASONS = {
    "accepted": ["Budget approved, decision this quarter", "Clear pain and an internal champion",
                 "Actively evaluating vendors, strong fit", "Demo went well, next step agreed"],
    "rejected": ["No budget", "Not a decision maker and no path to one", "Company too small",
                 "Existing competitor contract", "No need for lead scoring"],
    "recycle": ["Timing: revisit next quarter", "Interested but no project yet",
                "Decision maker not engaged yet", "Budget cycle starts later this year"],
}  # fmt: skip
_NOT_A_BUYER_REASON = "Student or job seeker"
_LOST_REASONS = ["price", "no_decision", "competitor", "timing", "missing_feature", "no_budget"]
_UNPARSEABLE_TIMESTAMPS = ["not-a-date", "yesterday", "32.13.2025 25:61", "2025-02-30T10:00:00Z"]

# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _cdf(weights: list[float] | np.ndarray) -> np.ndarray:
    cdf = np.cumsum(np.asarray(weights, dtype=float))
    cdf /= cdf[-1]
    cdf[-1] = 1.0
    return cdf


def _draw(rng: np.random.Generator, cdf: np.ndarray, size: int) -> np.ndarray:
    """Categorical draws from a cumulative distribution (cheaper than choice for many draws)."""
    return np.searchsorted(cdf, rng.random(size), side="right")


@dataclass(frozen=True)
class _Lookup:
    """Flat string table with a slice per category, so draws within a category vectorise."""

    values: pa.Array
    offsets: np.ndarray
    sizes: np.ndarray

    @classmethod
    def build(cls, groups: list[list[str | None]]) -> _Lookup:
        sizes = np.array([len(group) for group in groups])
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        flat = [value for group in groups for value in group]
        return cls(pa.array(flat, pa.string()), offsets, sizes)

    def pick(self, rng: np.random.Generator, category: np.ndarray) -> pa.Array:
        within = np.floor(rng.random(category.size) * self.sizes[category]).astype(np.int64)
        return self.values.take(self.offsets[category] + within)


def _take(values: list[str | None] | pa.Array, index: np.ndarray, mask=None) -> pa.Array:
    table = values if isinstance(values, pa.Array) else pa.array(values, pa.string())
    return table.take(pa.array(index, pa.int64(), mask=mask))


def _format_ids(prefix: str, numbers: np.ndarray) -> pa.Array:
    digits = pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(digits, _ID_WIDTH[prefix], "0"), "")


def _format_id(prefix: str, number: int) -> str:
    return f"{prefix}{number:0{_ID_WIDTH[prefix]}d}"


_TIME_OF_DAY_TABLE: pa.Array | None = None


def _time_of_day_table() -> pa.Array:
    global _TIME_OF_DAY_TABLE
    if _TIME_OF_DAY_TABLE is None:
        _TIME_OF_DAY_TABLE = pa.array(
            [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}Z" for s in range(_SECONDS_PER_DAY)]
        )
    return _TIME_OF_DAY_TABLE


def _format_timestamps(seconds: np.ndarray) -> pa.Array:
    """ISO-8601 UTC strings; lookup tables instead of strftime, which is ~10x slower."""
    seconds = np.asarray(seconds, dtype=np.int64)
    if seconds.size == 0:
        return pa.array([], pa.string())
    days = seconds // _SECONDS_PER_DAY
    first, last = int(days.min()), int(days.max())
    dates = pa.array(
        [(_EPOCH + timedelta(days=d)).isoformat() for d in range(first, last + 1)], pa.string()
    )
    time_of_day = _time_of_day_table().take(seconds - days * _SECONDS_PER_DAY)
    return pc.binary_join_element_wise(_take(dates, days - first), time_of_day, "T")


def _format_timestamp(seconds: int) -> str:
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _bool_strings(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return _take(["false", "true"], values.astype(np.int64), mask)


# --------------------------------------------------------------------------------------------
# Calendar, broken-row quotas and output files
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Calendar:
    start_date: date
    end_date: date

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    @property
    def start_ts(self) -> int:
        return (self.start_date - _EPOCH).days * _SECONDS_PER_DAY

    @property
    def end_ts(self) -> int:
        """Last valid second: end_date 23:59:59 UTC."""
        return self.start_ts + self.days * _SECONDS_PER_DAY - 1

    def day_index(self, seconds: np.ndarray) -> np.ndarray:
        return (np.asarray(seconds) - self.start_ts) // _SECONDS_PER_DAY

    def label(self, day: int) -> str:
        return (self.start_date + timedelta(days=int(day))).isoformat()

    def future_timestamp(self, rng: np.random.Generator) -> int:
        """Far enough ahead to stay in the future whenever the data is ingested."""
        return self.end_ts + int(rng.integers(1000, 2001)) * _SECONDS_PER_DAY - 43_200


class _BrokenQuota:
    """How many broken rows of which kind an entity gets, allotted as its valid rows stream in.

    The cumulative target floor(share * valid rows so far) keeps the share exact across chunks,
    kinds rotate so each gets its part, and the last allotment adds any kind still missing once
    the entity has enough rows, so small datasets still contain every kind.
    """

    def __init__(self, kinds: list[str], share: float) -> None:
        self.kinds = kinds
        self.share = share
        self.valid_rows = 0
        self.allotted = 0
        self.counts = dict.fromkeys(kinds, 0)

    def allot(self, valid_rows: int, *, last: bool) -> list[str]:
        if valid_rows == 0:
            return []
        self.valid_rows += valid_rows
        new = max(0, math.floor(self.share * self.valid_rows) - self.allotted)
        kinds = [self.kinds[(self.allotted + i) % len(self.kinds)] for i in range(new)]
        self.allotted += new
        if last and self.share > 0 and self.valid_rows >= _MIN_ROWS_FOR_ALL_KINDS:
            missing = [k for k in self.kinds if self.counts[k] == 0 and k not in kinds]
            kinds += missing
            self.allotted += len(missing)
        for kind in kinds:
            self.counts[kind] += 1
        return kinds


@dataclass
class _EntityOutput:
    """Daily (or single) files of one entity; appends so chunks never need to be held at once."""

    root: Path
    entity: str
    extension: str
    rows_written: int = 0
    files: set[str] = field(default_factory=set)

    def path_for(self, label: str | None) -> Path:
        name = self.entity if label is None else f"{self.entity}_{label}"
        return self.root / self.entity / f"{name}.{self.extension}"

    def _register(self, path: Path, rows: int) -> bool:
        relative = path.relative_to(self.root).as_posix()
        created = relative not in self.files
        self.files.add(relative)
        self.rows_written += rows
        return created

    def append_csv(self, table: pa.Table, label: str | None) -> None:
        if table.num_rows == 0:
            return
        path = self.path_for(label)
        new_file = self._register(path, table.num_rows)
        with pa.OSFile(str(path), "ab") as sink:
            pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=new_file))

    def append_lines(self, lines: list[str], label: str | None) -> None:
        if not lines:
            return
        path = self.path_for(label)
        self._register(path, len(lines))
        with path.open("a", encoding="utf-8", newline="\n") as sink:
            sink.write("\n".join(lines) + "\n")

    def write_parquet(self, table: pa.Table, name: str) -> None:
        path = self.root / self.entity / name
        self._register(path, table.num_rows)
        pq.write_table(table, path, compression="zstd")


def _day_groups(day: np.ndarray) -> list[tuple[int, int, int]]:
    """(day, start, stop) of each run of equal days in a day-sorted array."""
    if day.size == 0:
        return []
    starts = np.flatnonzero(np.r_[True, day[1:] != day[:-1]])
    stops = np.r_[starts[1:], day.size]
    return [(int(day[a]), int(a), int(b)) for a, b in zip(starts, stops, strict=True)]


def _write_by_day(
    output: _EntityOutput,
    calendar: _Calendar,
    valid: tuple[pa.Table, np.ndarray],
    broken: tuple[pa.Table, np.ndarray],
) -> None:
    """Append rows to their daily CSV files, each day's broken rows after its valid rows.

    Writing the two parts separately keeps a duplicate-id copy behind its original and spares a
    full copy of the (already day-sorted) event table.
    """
    parts = []
    for table, day in (valid, broken):
        if day.size and np.any(day[1:] < day[:-1]):
            order = np.argsort(day, kind="stable")
            table, day = table.take(pa.array(order)), day[order]
        parts.append((table, {d: (a, b) for d, a, b in _day_groups(day)}))
    for day in sorted(set(parts[0][1]) | set(parts[1][1])):
        for table, groups in parts:
            if day in groups:
                start, stop = groups[day]
                output.append_csv(table.slice(start, stop - start), calendar.label(day))


def _jsonl(frame: pd.DataFrame) -> list[str]:
    if frame.empty:
        return []
    return frame.to_json(orient="records", lines=True).rstrip("\n").split("\n")


def _clear_previous_output(out_dir: Path) -> None:
    """Remove what an earlier run wrote, so appends never mix two runs; leaves other files."""
    for entity in ENTITY_COLUMNS:
        folder = out_dir / entity
        if not folder.is_dir():
            continue
        pattern = re.compile(
            rf"^{entity}(_\d{{4}}-\d{{2}}-\d{{2}}|_updates)?\.(csv|jsonl|parquet)$"
        )
        for path in folder.iterdir():
            if path.is_file() and pattern.match(path.name):
                path.unlink()
    (out_dir / MANIFEST_NAME).unlink(missing_ok=True)
    (out_dir / TRUTH_PATH).unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------------------------


@dataclass
class _AccountPool:
    """All companies: the first ``n_listed`` reach accounts.parquet, the rest are shadows."""

    n_listed: int
    name: pa.Array
    domain: pa.Array
    country: np.ndarray
    employees: np.ndarray
    fit: np.ndarray
    table: pa.Table  # the listed accounts as written
    pick_cdf: np.ndarray  # bigger companies produce more leads


def _build_accounts(rng: np.random.Generator, n_listed: int, calendar: _Calendar) -> _AccountPool:
    n_pool = n_listed + max(1, n_listed // 4)
    n_combos = len(_NAME_PREFIXES) * len(_NAME_ROOTS) * len(_NAME_SUFFIXES) * len(_TLDS)
    combo = rng.choice(n_combos, size=n_pool, replace=False)
    combo, tld = np.divmod(combo, len(_TLDS))
    combo, suffix = np.divmod(combo, len(_NAME_SUFFIXES))
    prefix, root = np.divmod(combo, len(_NAME_ROOTS))
    stem = pc.binary_join_element_wise(_take(_NAME_PREFIXES, prefix), _take(_NAME_ROOTS, root), "")
    suffix_names = _take(_NAME_SUFFIXES, suffix)
    name = pc.binary_join_element_wise(stem, suffix_names, " ")
    domain = pc.utf8_lower(pc.binary_join_element_wise(stem, suffix_names, _take(_TLDS, tld), ""))

    industry_names = [i[0] for i in _INDUSTRIES]
    suffix_industry = np.array(
        [
            industry_names.index(_SUFFIX_INDUSTRY.get(name, industry_names[0]))
            for name in _NAME_SUFFIXES
        ]
    )
    suffix_is_specific = np.array([name in _SUFFIX_INDUSTRY for name in _NAME_SUFFIXES])
    industry = np.where(
        suffix_is_specific[suffix] & (rng.random(n_pool) < 0.85),
        suffix_industry[suffix],
        _draw(rng, _cdf([i[1] for i in _INDUSTRIES]), n_pool),
    )
    country = _draw(rng, _cdf([c[1] for c in _COUNTRIES]), n_pool)
    employees = np.clip(np.round(rng.lognormal(math.log(120), 1.6, n_pool)), 5, 50_000)
    employees = employees.astype(np.int64)
    size_log = np.log(employees / 100.0)
    age = np.clip(np.exp(rng.normal(math.log(12) + 0.25 * size_log, 0.7)), 1, 120)
    founded = (calendar.end_date.year - np.round(age)).astype(np.int64)

    revenue_per_employee = np.array([i[3] for i in _INDUSTRIES])[industry]
    revenue = np.round(employees * revenue_per_employee * rng.lognormal(0, 0.4, n_pool), -3)
    budget = np.round(revenue * 0.004 * rng.lognormal(0, 0.6, n_pool), -2)
    growth = np.round(np.clip(rng.normal(0.08 + 0.25 * (age < 8), 0.18, n_pool), -0.6, 3.0), 3)

    modernity = (
        rng.normal(0, 1, n_pool)
        + np.array([i[4] for i in _INDUSTRIES])[industry]
        - 0.25 * (employees < 20)
        + 0.3 * (age < 10)
    )
    tool_logit = np.array([t[1] for t in _TOOLS])[None, :] + np.outer(
        modernity, [t[2] for t in _TOOLS]
    )
    has_tool = rng.random((n_pool, len(_TOOLS))) < _sigmoid(tool_logit)
    stack_mask = has_tool.astype(np.int64) @ (1 << np.arange(len(_TOOLS)))
    stack_names = [
        ";".join(t[0] for bit, t in enumerate(_TOOLS) if mask >> bit & 1) or None
        for mask in range(1 << len(_TOOLS))
    ]
    modern_tools = has_tool[:, [t[3] for t in _TOOLS]].sum(axis=1)

    # The hidden ideal customer profile: what sales would call a good fit.
    size_fit = np.select(
        [
            (employees >= 50) & (employees <= 5000),
            (employees >= 20) & (employees <= 20_000),
            employees < 20,
        ],
        [1.0, 0.2, -1.0],
        -0.3,
    )
    fit = (
        size_fit
        + np.array([i[2] for i in _INDUSTRIES])[industry]
        + np.array([c[2] for c in _COUNTRIES])[country]
        + np.clip((np.log10(np.maximum(budget, 1)) - 4.5) * 0.35, -0.7, 0.7)
        + np.clip(growth, -0.2, 0.6) * 1.5
        + 0.25 * np.minimum(modern_tools, 4)
        - 0.4 * (has_tool[:, 9] & (modern_tools == 0))  # spreadsheets only
    )

    # Unknown firmographics are normal in CRM data; they carry no fit information.
    revenue_missing = rng.random(n_pool) < 0.10
    budget_missing = rng.random(n_pool) < 0.25
    growth_missing = rng.random(n_pool) < 0.15
    founded_missing = rng.random(n_pool) < 0.05

    cities = _Lookup.build([c[4] for c in _COUNTRIES])
    updated = calendar.start_ts + rng.integers(
        -400 * _SECONDS_PER_DAY, 30 * _SECONDS_PER_DAY, n_pool
    )
    listed = slice(0, n_listed)
    table = pa.table(
        {
            "account_id": _format_ids("A", np.arange(1, n_listed + 1)),
            "company_name": name[:n_listed],
            "domain": domain[:n_listed],
            "industry": _take([i[0] for i in _INDUSTRIES], industry[listed]),
            "employee_count": pa.array(employees[listed], pa.int64()),
            "country": _take([c[0] for c in _COUNTRIES], country[listed]),
            "founded_year": pa.array(founded[listed], pa.int64(), mask=founded_missing[listed]),
            "annual_revenue": pa.array(
                revenue[listed].astype(np.int64), pa.int64(), mask=revenue_missing[listed]
            ),
            "budget": pa.array(
                budget[listed].astype(np.int64),
                pa.int64(),
                mask=budget_missing[listed] | revenue_missing[listed],
            ),
            "growth_rate": pa.array(growth[listed], pa.float64(), mask=growth_missing[listed]),
            "tech_stack": _take(stack_names, stack_mask[listed]),
            "updated_at": pa.array(updated[listed] * 1000, pa.timestamp("ms", tz="UTC")),
            "hq_city": cities.pick(rng, country[listed]),
        }
    )
    weights = np.sqrt(employees[listed].astype(float))
    return _AccountPool(
        n_listed=n_listed,
        name=name,
        domain=domain,
        country=country,
        employees=employees,
        fit=fit,
        table=table,
        pick_cdf=_cdf(weights),
    )


def _account_updates(rng: np.random.Generator, accounts: pa.Table, calendar: _Calendar) -> pa.Table:
    """Newer versions of ~2 % of accounts: grown headcount, one more tool, a later updated_at."""
    chosen = np.flatnonzero(rng.random(accounts.num_rows) < 0.02)
    updates = accounts.take(pa.array(chosen, pa.int64()))
    grown = np.round(
        updates["employee_count"].to_numpy() * rng.uniform(1.02, 1.3, chosen.size)
    ).astype(np.int64)
    # Companies modernise: the update adds one data tool unless the stack already has it.
    adopted = np.array(["dbt", "snowflake", "segment"])[rng.integers(0, 3, chosen.size)]
    stack = []
    for old, tool in zip(updates["tech_stack"].to_pylist(), adopted, strict=True):
        tools = old.split(";") if old else []
        stack.append(";".join(tools if tool in tools else [*tools, str(tool)]))
    last_day = max(31, calendar.days)
    updated = calendar.start_ts + rng.integers(
        31 * _SECONDS_PER_DAY, last_day * _SECONDS_PER_DAY, chosen.size
    )
    updated = np.minimum(updated, calendar.end_ts)
    updates = updates.set_column(
        updates.schema.get_field_index("employee_count"), "employee_count", pa.array(grown)
    )
    updates = updates.set_column(
        updates.schema.get_field_index("tech_stack"), "tech_stack", pa.array(stack, pa.string())
    )
    return updates.set_column(
        updates.schema.get_field_index("updated_at"),
        "updated_at",
        pa.array(updated * 1000, pa.timestamp("ms", tz="UTC")),
    )


# --------------------------------------------------------------------------------------------
# The lead plan: small per-lead arrays for all leads (phase 1)
# --------------------------------------------------------------------------------------------


@dataclass
class _LeadPlan:
    created: np.ndarray  # int64 epoch seconds, ascending (lead ids follow creation order)
    account: np.ndarray  # index into the account pool
    linked: np.ndarray  # the lead row carries account_id
    channel: np.ndarray
    title_class: np.ndarray
    origin: np.ndarray
    consent: np.ndarray
    do_not_contact: np.ndarray
    fit_z: np.ndarray
    intent_z: np.ndarray
    fit_score: np.ndarray
    intent_score: np.ndarray
    propensity: np.ndarray
    tail_weight: np.ndarray  # share of a lead's events in the long, still-active tail
    event_rate: np.ndarray  # expected everyday events over an unbounded horizon


_BURST_WEIGHT = 0.55
_BURST_DAYS = 3.0
_SETTLE_DAYS = 30.0
_TAIL_DAYS = 400.0
_MILESTONES_PER_LEAD = 0.9  # form submits at creation, demos, trials, unsubscribes, bounces


def _plan_leads(
    n_leads: int,
    calendar: _Calendar,
    pool: _AccountPool,
    day_rng: np.random.Generator,
    chunk_rngs: list[np.random.Generator],
    chunk_bounds: list[tuple[int, int]],
) -> _LeadPlan:
    # Creation days for all leads at once, sorted so lead ids rise with created_at.
    day_position = (np.arange(calendar.days) + 0.5) / calendar.days
    weekday = np.array(
        [(calendar.start_date + timedelta(days=d)).weekday() for d in range(calendar.days)]
    )
    day_weight = (1 + 0.5 * day_position) * np.where(weekday >= 5, 0.4, 1.0)
    created_day = np.sort(_draw(day_rng, _cdf(day_weight), n_leads))

    n_pool = pool.fit.size
    created = np.empty(n_leads, np.int64)
    account = np.empty(n_leads, np.int64)
    linked = np.empty(n_leads, bool)
    channel = np.empty(n_leads, np.int64)
    title_class = np.empty(n_leads, np.int64)
    origin = np.empty(n_leads, np.int64)
    consent = np.empty(n_leads, bool)
    dnc = np.empty(n_leads, bool)
    fit_raw = np.empty(n_leads)
    intent_noise = np.empty(n_leads)
    channel_cdf = _cdf([c[1] for c in _CHANNELS])
    title_cdf = _cdf([t[1] for t in _TITLE_CLASSES])
    title_fit = np.array([t[2] for t in _TITLE_CLASSES])
    imported_channels = [
        i for i, c in enumerate(_CHANNELS) if c[0] in ("events", "content_syndication")
    ]
    for rng, (lo, hi) in zip(chunk_rngs, chunk_bounds, strict=True):
        m = hi - lo
        # Business hours, UTC-ish; sorting within the day keeps created_at ascending.
        second = np.clip(rng.normal(14.5 * 3600, 3.5 * 3600, m), 0, _SECONDS_PER_DAY - 1)
        ts = calendar.start_ts + created_day[lo:hi] * _SECONDS_PER_DAY + second.astype(np.int64)
        created[lo:hi] = np.sort(ts)
        linked[lo:hi] = rng.random(m) < 0.8
        # Leads without account_id still work somewhere: half at a listed company (matchable by
        # name or domain), half at a company the accounts file does not know.
        listed = np.searchsorted(pool.pick_cdf, rng.random(m), side="right")
        shadow = rng.integers(pool.n_listed, n_pool, m) if n_pool > pool.n_listed else listed
        account[lo:hi] = np.where(linked[lo:hi] | (rng.random(m) < 0.5), listed, shadow)
        channel[lo:hi] = _draw(rng, channel_cdf, m)
        title_class[lo:hi] = _draw(rng, title_cdf, m)
        imported = np.isin(channel[lo:hi], imported_channels)
        origin[lo:hi] = np.where(
            imported & (rng.random(m) < 0.7),
            1,
            _draw(rng, _cdf([0.70, 0.05, 0.15, 0.10]), m),
        )
        consent[lo:hi] = rng.random(m) < 0.85
        dnc[lo:hi] = rng.random(m) < 0.02
        fit_raw[lo:hi] = (
            pool.fit[account[lo:hi]] + title_fit[title_class[lo:hi]] + rng.normal(0, 0.35, m)
        )
        intent_noise[lo:hi] = rng.normal(0, 1, m)

    fit_z = (fit_raw - fit_raw.mean()) / max(fit_raw.std(), 1e-9)
    channel_quality = np.array([c[2] for c in _CHANNELS])[channel]
    intent_raw = 0.6 * channel_quality + 0.35 * fit_z + 0.8 * intent_noise
    intent_z = (intent_raw - intent_raw.mean()) / max(intent_raw.std(), 1e-9)
    intent_score = _sigmoid(1.3 * intent_z)
    propensity = _sigmoid(-2.4 + 1.0 * fit_z + 1.25 * intent_z)

    # Scale the event rate so that the events that fall before end_date average the target:
    # leads created late have less time left, which the global normalisation accounts for.
    tail_weight = 0.04 + 0.16 * intent_score
    window_days = (calendar.end_ts - created) / _SECONDS_PER_DAY
    kept_share = (
        _BURST_WEIGHT * (1 - np.exp(-window_days / _BURST_DAYS))
        + (1 - _BURST_WEIGHT - tail_weight) * (1 - np.exp(-window_days / _SETTLE_DAYS))
        + tail_weight * np.minimum(window_days / _TAIL_DAYS, 1.0)
    )
    relative_rate = np.exp(0.8 * intent_z)
    # Leads without marketing e-mails lose their e-mail events; compensating keeps the mean.
    email_share = intent_score * 0.35 + (1 - intent_score) * 0.56
    kept_share = kept_share * np.where(consent & ~dnc, 1.0, 1 - email_share)
    target = (_TARGET_EVENTS_PER_LEAD - _MILESTONES_PER_LEAD) * n_leads
    base = target / max(float(np.sum(relative_rate * kept_share)), 1e-9)
    return _LeadPlan(
        created=created,
        account=account,
        linked=linked,
        channel=channel,
        title_class=title_class,
        origin=origin,
        consent=consent,
        do_not_contact=dnc,
        fit_z=fit_z,
        intent_z=intent_z,
        fit_score=_sigmoid(1.3 * fit_z),
        intent_score=intent_score,
        propensity=propensity,
        tail_weight=tail_weight,
        event_rate=base * relative_rate,
    )


# --------------------------------------------------------------------------------------------
# One chunk of leads and everything they cause (phase 2)
# --------------------------------------------------------------------------------------------


@dataclass
class _Chunk:
    """The slice of the lead plan one chunk works on, plus its lead ids as strings."""

    lo: int
    hi: int
    plan: _LeadPlan

    def __getattr__(self, name: str) -> np.ndarray:
        return getattr(self.plan, name)[self.lo : self.hi]

    @property
    def size(self) -> int:
        return self.hi - self.lo

    @cached_property
    def lead_ids(self) -> pa.Array:
        return _format_ids("L", np.arange(self.lo + 1, self.hi + 1))


def _lead_rows(
    rng: np.random.Generator, chunk: _Chunk, pool: _AccountPool, calendar: _Calendar
) -> tuple[pa.Table, np.ndarray, pa.Array]:
    """Lead rows (originals and ~2 % later versions), their file days and the lead e-mails."""
    m = chunk.size
    account = chunk.account
    first_index = rng.integers(0, len(_FIRST_NAMES), m)
    last_index = rng.integers(0, len(_LAST_NAMES), m)
    first = _take(_FIRST_NAMES, first_index)
    last = _take(_LAST_NAMES, last_index)
    first_lower = pc.utf8_lower(first)
    last_lower = pc.utf8_lower(last)
    initial = pc.utf8_slice_codeunits(first_lower, 0, 1)
    digits = pc.cast(pa.array(rng.integers(10, 100, m)), pa.string())
    local_style = _draw(rng, _cdf([0.70, 0.12, 0.06, 0.04, 0.08]), m)
    free_mail = rng.random(m) < 0.08
    local_style = np.where(free_mail & (local_style == 2), 4, local_style)  # no "anna@gmail.com"
    local = pc.choose(
        pa.array(local_style, pa.int8()),
        pc.binary_join_element_wise(first_lower, last_lower, "."),
        pc.binary_join_element_wise(initial, last_lower, ""),
        first_lower,
        pc.binary_join_element_wise(first_lower, last_lower, ""),
        pc.binary_join_element_wise(
            pc.binary_join_element_wise(first_lower, last_lower, "."), digits, ""
        ),
    )
    domain = pc.if_else(
        pa.array(free_mail),
        _take(_FREE_MAIL, rng.integers(0, len(_FREE_MAIL), m)),
        pool.domain.take(pa.array(account)),
    )
    email = pc.binary_join_element_wise(local, domain, "@")

    # Names typed into forms vary; the account match has to cope with that.
    company = pool.name.take(pa.array(account))
    variant = rng.random(m)
    legal = _take(_LEGAL_FORMS, rng.integers(0, len(_LEGAL_FORMS), m))
    company = pc.if_else(
        pa.array(variant < 0.12), pc.binary_join_element_wise(company, legal, ""), company
    )
    company = pc.if_else(
        pa.array((variant >= 0.12) & (variant < 0.2)), pc.utf8_lower(company), company
    )

    titles = _Lookup.build([t[4] for t in _TITLE_CLASSES])
    title = titles.pick(rng, chunk.title_class)
    # Linked leads always point at listed accounts, so account + 1 is their account number.
    account_id = pc.if_else(
        pa.array(chunk.linked), _format_ids("A", account + 1), pa.scalar(None, pa.string())
    )
    created_day = calendar.day_index(chunk.created)
    month_of_day = [calendar.label(d)[:7].replace("-", "") for d in range(calendar.days)]
    channel_names = _take([c[0] for c in _CHANNELS], chunk.channel)
    campaign = pc.binary_join_element_wise(channel_names, _take(month_of_day, created_day), "-")
    organic = pa.array(chunk.channel == 0)
    fixed = [_FIXED_CAMPAIGNS.get(c[0]) for c in _CHANNELS]
    fixed_campaign = _take(fixed, chunk.channel)
    campaign = pc.if_else(pc.is_valid(fixed_campaign), fixed_campaign, campaign)
    campaign = pc.if_else(organic, pa.scalar(None, pa.string()), campaign)

    country = np.where(
        rng.random(m) < 0.9, pool.country[account], _draw(rng, _cdf([1] * len(_COUNTRIES)), m)
    )
    local_language = np.array([c[3] for c in _COUNTRIES])[country]
    language = np.where(rng.random(m) < 0.75, local_language, "en")
    language_missing = rng.random(m) < 0.03
    created = _format_timestamps(chunk.created)

    table = pa.table(
        {
            "lead_id": chunk.lead_ids,
            "created_at": created,
            "email": email,
            "first_name": first,
            "last_name": last,
            "job_title": title,
            "account_id": account_id,
            "company_name": company,
            "source": channel_names,
            "campaign": campaign,
            "country": _take([c[0] for c in _COUNTRIES], country),
            "consent_marketing": _bool_strings(chunk.consent),
            "do_not_contact": _bool_strings(chunk.do_not_contact),
            "updated_at": created,
            "lead_origin": _take(_LEAD_ORIGINS, chunk.origin),
            "preferred_language": pa.array(language, pa.string(), mask=language_missing),
        }
    )

    # Later versions: a promotion, filed on the day of updated_at (never the creation day, so a
    # version is never mistaken for a duplicate id in the same file).
    next_midnight = (created_day + 1) * _SECONDS_PER_DAY + calendar.start_ts
    updated = next_midnight + (rng.exponential(40, m) * _SECONDS_PER_DAY).astype(np.int64)
    versioned = np.flatnonzero((rng.random(m) < 0.02) & (updated <= calendar.end_ts))
    promotion_classes = np.array(
        [i for i, t in enumerate(_TITLE_CLASSES) if t[0] in _PROMOTION_CLASSES]
    )
    new_class = promotion_classes[rng.integers(0, promotion_classes.size, versioned.size)]
    versions = table.take(pa.array(versioned, pa.int64()))
    versions = versions.set_column(5, "job_title", titles.pick(rng, new_class))
    versions = versions.set_column(13, "updated_at", _format_timestamps(updated[versioned]))
    rows = pa.concat_tables([table, versions])
    day = np.concatenate([created_day, calendar.day_index(updated[versioned])])
    return rows, day, email


@dataclass
class _ChunkEvents:
    table: pa.Table
    day: np.ndarray
    demo_requested_at: np.ndarray  # per lead; -1 when none before end_date
    demo_booked_at: np.ndarray
    engagement_peak: np.ndarray


def _event_rows(
    rng: np.random.Generator, chunk: _Chunk, calendar: _Calendar, first_event_id: int
) -> _ChunkEvents:
    m = chunk.size
    created = chunk.created
    intent = chunk.intent_score
    receives_email = chunk.consent & ~chunk.do_not_contact
    end = calendar.end_ts

    # Everyday events: count by intent, time from a burst/settle/tail mixture after creation.
    counts = rng.poisson(chunk.event_rate)
    lead = np.repeat(np.arange(m), counts)
    n = lead.size
    component = rng.random(n)
    tail = component >= 1 - chunk.tail_weight[lead]
    offset_days = np.where(
        component < _BURST_WEIGHT,
        rng.exponential(_BURST_DAYS, n),
        np.where(tail, rng.uniform(0, _TAIL_DAYS, n), rng.exponential(_SETTLE_DAYS, n)),
    )
    ts = created[lead] + 60 + (offset_days * _SECONDS_PER_DAY).astype(np.int64)
    high_mode = rng.random(n) < intent[lead]
    mix_high = _cdf([_EVENT_MIX_HIGH.get(t, 0.0) for t in _EVENT_TYPES])
    mix_low = _cdf([_EVENT_MIX_LOW.get(t, 0.0) for t in _EVENT_TYPES])
    event_type = np.where(high_mode, _draw(rng, mix_high, n), _draw(rng, mix_low, n))

    # Milestones happen at most once per lead.
    def once(probability: np.ndarray, at: np.ndarray) -> np.ndarray:
        return np.where(rng.random(m) < probability, at, -1)

    def days(values: np.ndarray) -> np.ndarray:
        return (values * _SECONDS_PER_DAY).astype(np.int64)

    form_at = np.where(chunk.origin == 0, created + rng.integers(0, 30, m), -1)
    requested = once(0.01 + 0.5 * intent**3, created + 3600 + days(rng.exponential(6, m)))
    booked = np.where(
        (requested >= 0) & (rng.random(m) < 0.7),
        requested + days(rng.uniform(0.2, 3.0, m)),
        -1,
    )
    trial = once(0.005 + 0.15 * intent**2, created + 3600 + days(rng.exponential(12, m)))
    unsubscribed = once(
        0.10 * (1 - intent) * receives_email, created + days(1 + rng.exponential(40, m))
    )
    bounced = once(0.025 * receives_email, created + 3600 + days(rng.exponential(3, m)))
    milestones = [
        (form_at, "form_submit"),
        (requested, "demo_requested"),
        (booked, "demo_booked"),
        (trial, "trial_started"),
        (unsubscribed, "email_unsubscribe"),
        (bounced, "email_bounce"),
    ]
    requested = np.where(requested <= end, requested, -1)
    booked = np.where(booked <= end, booked, -1)

    # Marketing e-mails stop after an unsubscribe or bounce and never reach non-consenting leads.
    stop = np.where(unsubscribed >= 0, unsubscribed, np.iinfo(np.int64).max)
    stop = np.minimum(stop, np.where(bounced >= 0, bounced, np.iinfo(np.int64).max))
    stop = np.where(receives_email, stop, -1)
    is_email = np.isin(event_type, _EMAIL_EVENTS)
    keep = (ts <= end) & ~(is_email & (ts > stop[lead]))
    lead, ts, event_type = lead[keep], ts[keep], event_type[keep]

    # The end of a lead's first burst of activity: when sales would look without a demo request.
    peak = created.copy()
    in_burst = ts - created[lead] <= 21 * _SECONDS_PER_DAY
    np.maximum.at(peak, lead[in_burst], ts[in_burst])

    for at, name in milestones:
        happened = np.flatnonzero((at >= 0) & (at <= end))
        lead = np.concatenate([lead, happened])
        ts = np.concatenate([ts, at[happened]])
        event_type = np.concatenate([event_type, np.full(happened.size, _EV[name])])

    order = np.lexsort((event_type, lead, ts))
    lead, ts, event_type = lead[order], ts[order], event_type[order]
    n = lead.size
    is_page = event_type == _EV["page_view"]
    page_high = rng.random(n) < intent[lead]
    categories = list(_PAGES)
    page_category = np.where(
        page_high,
        _draw(rng, _cdf([_PAGE_MIX_HIGH[c] for c in categories]), n),
        _draw(rng, _cdf([_PAGE_MIX_LOW[c] for c in categories]), n),
    )
    pages = _Lookup.build([[_SITE + path for path in _PAGES[c]] for c in categories])
    page_url = pc.if_else(
        pa.array(is_page), pages.pick(rng, page_category), pa.scalar(None, pa.string())
    )
    properties = _Lookup.build([_EVENT_PROPERTIES[t] for t in _EVENT_TYPES])
    table = pa.table(
        {
            "event_id": _format_ids("E", first_event_id + np.arange(n)),
            "lead_id": chunk.lead_ids.take(pa.array(lead)),
            "event_type": _take(_EVENT_TYPES, event_type),
            "occurred_at": _format_timestamps(ts),
            "page_url": page_url,
            "properties": properties.pick(rng, event_type),
        }
    )
    return _ChunkEvents(table, calendar.day_index(ts), requested, booked, peak)


@dataclass
class _ChunkSales:
    qualification: pa.Table
    qualification_day: np.ndarray
    opportunities: pd.DataFrame
    opportunity_day: np.ndarray
    became_opportunity: np.ndarray
    won: np.ndarray


def _sales_rows(
    rng: np.random.Generator,
    chunk: _Chunk,
    events: _ChunkEvents,
    pool: _AccountPool,
    calendar: _Calendar,
    first_opportunity_id: int,
) -> _ChunkSales:
    m = chunk.size
    end = calendar.end_ts
    propensity_logit = np.log(chunk.propensity / (1 - chunk.propensity))
    demo = events.demo_requested_at >= 0

    # Who sales looks at: demo requests first, then other engaged leads, plus a random few.
    p_assess = np.clip(0.025 + 0.6 * demo + 0.2 * chunk.intent_score**3, 0, 0.95)
    assessed = (rng.random(m) < p_assess) & ~chunk.do_not_contact
    peak = np.where(
        events.demo_booked_at >= 0,
        events.demo_booked_at,
        np.where(demo, events.demo_requested_at, events.engagement_peak),
    )
    assessed_at = peak + 7200 + (rng.exponential(1.5, m) * _SECONDS_PER_DAY).astype(np.int64)
    assessed &= assessed_at <= end
    who = np.flatnonzero(assessed)
    k = who.size

    bant = rng.random(k) < 0.6
    authority = np.array([t[3] for t in _TITLE_CLASSES])[chunk.title_class[who]]
    base_logit = 0.9 + 0.9 * (propensity_logit[who] + 1.0)
    answers: dict[str, np.ndarray] = {}
    for question in _BANT + _MEDDIC:
        shift = authority if question in ("authority", "economic_buyer") else 0.0
        answers[question] = rng.random(k) < _sigmoid(base_logit + shift + rng.normal(0, 0.7, k))
    bant_true = np.sum([answers[q] for q in _BANT], axis=0) if k else np.zeros(0)
    meddic_true = np.sum([answers[q] for q in _MEDDIC], axis=0) if k else np.zeros(0)
    share_true = np.where(bant, bant_true / len(_BANT), meddic_true / len(_MEDDIC))
    not_a_buyer = np.isin(
        chunk.title_class[who],
        [i for i, t in enumerate(_TITLE_CLASSES) if t[0] in _NOT_A_BUYER_CLASSES],
    )
    judged = share_true + rng.normal(0, 0.1, k)
    verdict = np.where(judged >= 0.7, 0, np.where(judged <= 0.35, 1, 2))
    verdict = np.where(not_a_buyer, 1, verdict)
    verdict_names = ["accepted", "rejected", "recycle"]
    reasons = _Lookup.build([_REASONS[v] for v in verdict_names])
    reason = pc.if_else(
        pa.array(not_a_buyer), pa.scalar(_NOT_A_BUYER_REASON), reasons.pick(rng, verdict)
    )
    unanswered = rng.random((k, len(_BANT) + len(_MEDDIC))) < 0.04
    columns: dict[str, pa.Array] = {
        "lead_id": chunk.lead_ids.take(pa.array(who)),
        "assessed_at": _format_timestamps(assessed_at[who]),
        "framework": _take(["meddic", "bant"], bant.astype(np.int64)),
    }
    for q_index, question in enumerate(_BANT + _MEDDIC):
        other_framework = ~bant if question in _BANT else bant
        columns[question] = _bool_strings(
            answers[question], other_framework | unanswered[:, q_index]
        )
    columns["verdict"] = _take(verdict_names, verdict)
    columns["reason"] = reason
    columns["assessed_by"] = _take(_SDRS, rng.integers(0, len(_SDRS), k))
    qualification = pa.table(columns)

    # Opportunities: most accepted leads a few days later, plus direct ones (partners, outbound).
    accepted = np.zeros(m, bool)
    accepted[who[verdict == 0]] = True
    accepted_at = np.full(m, -1, np.int64)
    accepted_at[who] = assessed_at[who]
    from_sales = accepted & (rng.random(m) < 0.85)
    direct_channels = [
        i for i, c in enumerate(_CHANNELS) if c[0] in ("partner", "outbound", "referral")
    ]
    direct_factor = np.where(np.isin(chunk.channel, direct_channels), 3.0, 1.0)
    direct = ~accepted & (rng.random(m) < (0.002 + 0.02 * chunk.propensity) * direct_factor)
    created = np.where(
        from_sales,
        accepted_at + ((1 + rng.uniform(0, 7, m)) * _SECONDS_PER_DAY).astype(np.int64),
        chunk.created + ((1 + rng.exponential(20, m)) * _SECONDS_PER_DAY).astype(np.int64),
    )
    has_opportunity = (from_sales | direct) & (created <= end)
    opp = np.flatnonzero(has_opportunity)
    opp = opp[np.argsort(created[opp], kind="stable")]
    j = opp.size
    opp_created = created[opp]
    employees = pool.employees[chunk.account[opp]].astype(float)
    won_flag = rng.random(j) < _sigmoid(-1.5 + 0.9 * (propensity_logit[opp] + 1.0))
    cycle_days = np.exp(rng.normal(math.log(28) + 0.15 * np.log(employees / 100), 0.6))
    closed = opp_created + (cycle_days * _SECONDS_PER_DAY).astype(np.int64)
    # A close is filed on a later day than the creation, so the two versions share no file.
    created_day = calendar.day_index(opp_created)
    closed = np.maximum(closed, calendar.start_ts + (created_day + 1) * _SECONDS_PER_DAY + 3600)
    is_closed = closed <= end
    amount = np.clip(
        np.round(6000 * np.sqrt(employees / 50) * rng.lognormal(0, 0.35, j), -2), 2000, 600_000
    ).astype(np.int64)
    won_amount = np.round(amount * rng.uniform(0.85, 1.1, j), -2).astype(np.int64)

    lead_ids = chunk.lead_ids.take(pa.array(opp)).to_pylist()
    account_ids = [
        _format_id("A", int(a) + 1) if is_linked else None
        for a, is_linked in zip(chunk.account[opp], chunk.linked[opp], strict=True)
    ]
    opportunity_ids = _format_ids("O", first_opportunity_id + np.arange(j)).to_pylist()
    owner = np.array(_ACCOUNT_EXECUTIVES)[rng.integers(0, len(_ACCOUNT_EXECUTIVES), j)]
    created_text = _format_timestamps(opp_created).to_pylist()
    open_rows = pd.DataFrame(
        {
            "opportunity_id": opportunity_ids,
            "lead_id": lead_ids,
            "created_at": created_text,
            "account_id": account_ids,
            "stage": np.where(rng.random(j) < 0.7, "discovery", "qualification"),
            "amount": pd.Series(amount.tolist(), dtype=object),
            "currency": "USD",
            "closed_at": None,
            "is_won": None,
            "lost_reason": None,
            "owner": owner,
            "updated_at": created_text,
        }
    )
    closes = np.flatnonzero(is_closed)
    closed_rows = open_rows.iloc[closes].copy()
    closed_text = _format_timestamps(closed[closes]).to_pylist()
    closed_won = won_flag[closes]
    closed_rows["stage"] = np.where(closed_won, "closed_won", "closed_lost")
    closed_rows["amount"] = pd.Series(
        np.where(closed_won, won_amount[closes], amount[closes]).tolist(),
        dtype=object,
        index=closed_rows.index,
    )
    closed_rows["closed_at"] = closed_text
    closed_rows["updated_at"] = closed_text
    closed_rows["is_won"] = pd.Series(closed_won.tolist(), dtype=object, index=closed_rows.index)
    lost_reason = np.array(_LOST_REASONS)[rng.integers(0, len(_LOST_REASONS), closes.size)]
    closed_rows["lost_reason"] = pd.Series(
        np.where(closed_won, None, lost_reason), dtype=object, index=closed_rows.index
    )
    opportunities = pd.concat([open_rows, closed_rows], ignore_index=True)
    opportunity_day = np.concatenate([created_day, calendar.day_index(closed[closes])])

    became = np.zeros(m, bool)
    became[opp] = True
    won = np.zeros(m, bool)
    won[opp[closes[closed_won]]] = True
    return _ChunkSales(
        qualification,
        calendar.day_index(assessed_at[who]),
        opportunities,
        opportunity_day,
        became,
        won,
    )


def _privacy_rows(
    rng: np.random.Generator, chunk: _Chunk, email: pa.Array, calendar: _Calendar
) -> list[dict[str, Any]]:
    """A few erasure / consent-withdrawal requests, by lead_id or only by e-mail."""
    m = chunk.size
    requested = chunk.created + ((1 + rng.exponential(60, m)) * _SECONDS_PER_DAY).astype(np.int64)
    chosen = np.flatnonzero((rng.random(m) < 0.003) & (requested <= calendar.end_ts))
    erasure = rng.random(chosen.size) < 0.55
    by_id = rng.random(chosen.size) < 0.65
    lead_ids = chunk.lead_ids.take(pa.array(chosen, pa.int64())).to_pylist()
    emails = email.take(pa.array(chosen, pa.int64())).to_pylist()
    return [
        {
            "request_type": "erasure" if erase else "withdraw_consent",
            "requested_at": _format_timestamp(requested[i]),
            "lead_id": lead_id if use_id else None,
            "email": None if use_id else mail,
            "_sort": int(requested[i]),
        }
        for i, erase, use_id, lead_id, mail in zip(
            chosen, erasure, by_id, lead_ids, emails, strict=True
        )
    ]


# --------------------------------------------------------------------------------------------
# Broken rows: copies of valid rows with exactly one rule broken
# --------------------------------------------------------------------------------------------


class _BrokenIds:
    """Fresh ids for broken rows and for leads that exist in no file."""

    def __init__(self) -> None:
        self.counters = {"lead": 0, "unknown": 0, "account": 0, "opportunity": 0, "event": 0}

    def next(self, kind: str) -> str:
        self.counters[kind] += 1
        number = self.counters[kind]
        if kind == "lead":
            return _format_id("L", _BROKEN_LEAD_ID_BASE + number)
        if kind == "unknown":
            return _format_id("L", _UNKNOWN_LEAD_ID_BASE + number)
        if kind == "account":
            return _format_id("A", _BROKEN_ACCOUNT_ID_BASE + number)
        if kind == "opportunity":
            return _format_id("O", _BROKEN_OPPORTUNITY_ID_BASE + number)
        return _format_id("E", _BROKEN_EVENT_ID_BASE + number)


def _shift_to_future(
    row: dict[str, Any], columns: list[str], rng: np.random.Generator, calendar: _Calendar
) -> None:
    """Move all given timestamp columns by the same amount so only 'future' is wrong."""
    first = columns[0]
    old = int(pd.Timestamp(row[first]).timestamp())
    delta = calendar.future_timestamp(rng) - old
    for column in columns:
        if row.get(column) is not None:
            row[column] = _format_timestamp(int(pd.Timestamp(row[column]).timestamp()) + delta)


def _break_row(
    entity: str,
    kind: str,
    row: dict[str, Any],
    rng: np.random.Generator,
    ids: _BrokenIds,
    calendar: _Calendar,
) -> dict[str, Any]:
    """Mutate a copy of a valid row so that it breaks exactly the rule ``kind``."""
    row = dict(row)

    def one_of(options: list[Any]) -> Any:
        return options[int(rng.integers(0, len(options)))]

    id_column = {
        "leads": "lead_id",
        "events": "event_id",
        "opportunities": "opportunity_id",
        "accounts": "account_id",
    }.get(entity)
    if id_column and kind != "duplicate_id_in_file":
        row[id_column] = ids.next(id_column.removesuffix("_id"))
    if kind == "duplicate_id_in_file":
        return row
    if kind == "unknown_lead":
        row["lead_id"] = ids.next("unknown")
        return row

    if entity == "accounts":
        if kind == "missing_required":
            row["account_id"] = None
        elif kind == "negative_value":
            row["employee_count"] = -max(1, int(row["employee_count"]))
        elif kind == "future_timestamp":
            row["updated_at"] = datetime.fromtimestamp(calendar.future_timestamp(rng), UTC)
    elif entity == "leads":
        if kind == "missing_required":
            row[one_of(["lead_id", "created_at"])] = None
        elif kind == "unparseable_type":
            column = one_of(["created_at", "consent_marketing", "do_not_contact"])
            row[column] = one_of(_UNPARSEABLE_TIMESTAMPS) if column == "created_at" else "maybe"
        elif kind == "future_timestamp":
            _shift_to_future(row, ["created_at", "updated_at"], rng, calendar)
    elif entity == "events":
        if kind == "missing_required":
            row[one_of(["event_id", "lead_id", "event_type", "occurred_at"])] = None
        elif kind == "unparseable_type":
            row["occurred_at"] = one_of(_UNPARSEABLE_TIMESTAMPS)
        elif kind == "future_timestamp":
            _shift_to_future(row, ["occurred_at"], rng, calendar)
    elif entity == "opportunities":
        if kind == "missing_required":
            row[one_of(["lead_id", "created_at"])] = None
        elif kind == "unparseable_type":
            if rng.random() < 0.5:
                row["amount"] = one_of(["12,5x", "n/a", "lots"])
            else:
                row["created_at"] = one_of(_UNPARSEABLE_TIMESTAMPS)
        elif kind == "future_timestamp":
            _shift_to_future(row, ["created_at", "closed_at", "updated_at"], rng, calendar)
        elif kind == "closed_before_created":
            created = int(pd.Timestamp(row["created_at"]).timestamp())
            row["closed_at"] = _format_timestamp(
                created - int(rng.integers(1, 31)) * _SECONDS_PER_DAY
            )
            row.update(stage="closed_lost", is_won=False, lost_reason=one_of(_LOST_REASONS))
            row["updated_at"] = row["created_at"]
        elif kind == "negative_value":
            row["amount"] = -abs(int(row["amount"]))
    elif entity == "sales_qualification":
        if kind == "missing_required":
            row[one_of(["lead_id", "assessed_at", "framework"])] = None
        elif kind == "unparseable_type":
            if rng.random() < 0.5:
                row["assessed_at"] = one_of(_UNPARSEABLE_TIMESTAMPS)
            else:
                questions = _BANT if row["framework"] == "bant" else _MEDDIC
                row[one_of(questions)] = one_of(["maybe", "yes-ish", "tbd"])
        elif kind == "future_timestamp":
            _shift_to_future(row, ["assessed_at"], rng, calendar)
    elif entity == "marketing_spend":
        if kind == "missing_required":
            row[one_of(["amount", "source", "spend_date"])] = None
        elif kind == "unparseable_type":
            row["amount"] = one_of(["12,5x", "n/a", "1.234,56 EUR"])
        elif kind == "negative_value":
            row["amount"] = "-" + row["amount"]
        elif kind == "future_timestamp":
            future_day = (calendar.future_timestamp(rng) // _SECONDS_PER_DAY) * _SECONDS_PER_DAY
            row["spend_date"] = _format_timestamp(future_day)[:10]
    elif entity == "privacy_requests":
        if kind == "missing_required":
            row[one_of(["request_type", "requested_at"])] = None
        elif kind == "unparseable_type":
            row["requested_at"] = one_of(_UNPARSEABLE_TIMESTAMPS)
        elif kind == "future_timestamp":
            _shift_to_future(row, ["requested_at"], rng, calendar)
    return row


def _broken_table_rows(
    entity: str,
    kinds: list[str],
    table: pa.Table,
    day: np.ndarray,
    rng: np.random.Generator,
    ids: _BrokenIds,
    calendar: _Calendar,
) -> tuple[pa.Table, np.ndarray]:
    """Broken copies of random valid rows of ``table``, filed on the day of their original."""
    if not kinds:
        return table.schema.empty_table(), np.zeros(0, np.int64)
    base = rng.integers(0, table.num_rows, len(kinds))
    originals = table.take(pa.array(base)).to_pylist()
    rows = [
        _break_row(entity, kind, original, rng, ids, calendar)
        for kind, original in zip(kinds, originals, strict=True)
    ]
    return pa.Table.from_pylist(rows, schema=table.schema), day[base]


# --------------------------------------------------------------------------------------------
# The public entry point
# --------------------------------------------------------------------------------------------


def _marketing_spend(
    rng: np.random.Generator, plan: _LeadPlan, calendar: _Calendar
) -> tuple[pa.Table, np.ndarray]:
    """One row per paid channel and day; spend follows the leads at a channel cost per lead."""
    paid = [i for i, c in enumerate(_CHANNELS) if c[3] is not None]
    leads_per_day = np.zeros((calendar.days, len(_CHANNELS)))
    np.add.at(leads_per_day, (calendar.day_index(plan.created), plan.channel), 1)
    rows: dict[str, list[Any]] = {column: [] for column in ENTITY_COLUMNS["marketing_spend"]}
    day_of_row: list[int] = []
    for day in range(calendar.days):
        label = calendar.label(day)
        for channel in paid:
            name, _, _, cost_per_lead = _CHANNELS[channel]
            expected = leads_per_day[:, channel].mean()
            volume = 0.6 * leads_per_day[day, channel] + 0.4 * expected
            cents = round(cost_per_lead * max(volume, 0.2) * rng.lognormal(0, 0.2) * 100)
            rows["spend_date"].append(label)
            rows["source"].append(name)
            rows["amount"].append(f"{cents // 100}.{cents % 100:02d}")
            rows["campaign"].append(f"{name}-{label[:4]}{label[5:7]}")
            rows["currency"].append("USD")
            day_of_row.append(day)
    schema = pa.schema([(c, pa.string()) for c in ENTITY_COLUMNS["marketing_spend"]])
    return pa.table(rows, schema=schema), np.array(day_of_row, np.int64)


def generate_landing(
    out_dir: Path,
    n_leads: int,
    *,
    seed: int = 42,
    end_date: date | None = None,
    days: int = 200,
    broken_share: float = 0.005,
    progress: bool | None = None,
) -> dict:
    """Write a deterministic synthetic landing folder and return its manifest.

    ``days`` days of data end at ``end_date`` (default: yesterday, UTC); every valid timestamp is
    at most end_date 23:59:59 UTC. ``broken_share`` of each entity's rows are added as broken rows
    (see ``BROKEN_KINDS``). Files written by an earlier run into ``out_dir`` are replaced.
    """
    if isinstance(n_leads, bool) or not isinstance(n_leads, int | np.integer):
        raise ValueError(f"n_leads must be an integer, got {n_leads!r}")
    if not 1 <= n_leads <= MAX_LEADS:
        raise ValueError(f"n_leads must be between 1 and {MAX_LEADS:,}, got {n_leads}")
    if isinstance(days, bool) or not isinstance(days, int | np.integer) or days < MIN_DAYS:
        raise ValueError(f"days must be an integer >= {MIN_DAYS}, got {days!r}")
    if not 0 <= broken_share <= 0.2:
        raise ValueError(f"broken_share must be between 0 and 0.2, got {broken_share}")
    if end_date is None:
        end_date = datetime.now(UTC).date() - timedelta(days=1)
    if isinstance(end_date, datetime):
        end_date = end_date.date()
    if progress is None:
        progress = n_leads >= 50_000
    n_leads, days = int(n_leads), int(days)
    calendar = _Calendar(end_date - timedelta(days=days - 1), end_date)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _clear_previous_output(out_dir)
    for entity in ENTITY_COLUMNS:
        (out_dir / entity).mkdir(exist_ok=True)
    (out_dir / TRUTH_PATH.parent).mkdir(exist_ok=True)

    n_chunks = math.ceil(n_leads / CHUNK_SIZE)
    chunk_size = math.ceil(n_leads / n_chunks)
    bounds = [(lo, min(lo + chunk_size, n_leads)) for lo in range(0, n_leads, chunk_size)]
    accounts_seed, calendar_seed, spend_seed, final_seed, *chunk_seeds = np.random.SeedSequence(
        seed
    ).spawn(4 + n_chunks)
    plan_rngs, row_rngs = [], []
    for chunk_seed in chunk_seeds:
        plan_seed, row_seed = chunk_seed.spawn(2)
        plan_rngs.append(np.random.default_rng(plan_seed))
        row_rngs.append(np.random.default_rng(row_seed))

    pool = _build_accounts(
        np.random.default_rng(accounts_seed), max(1, round(n_leads / 4)), calendar
    )
    plan = _plan_leads(
        n_leads, calendar, pool, np.random.default_rng(calendar_seed), plan_rngs, bounds
    )

    outputs = {
        entity: _EntityOutput(out_dir, entity, extension)
        for entity, extension in [
            ("accounts", "parquet"), ("leads", "csv"), ("events", "csv"),
            ("opportunities", "jsonl"), ("sales_qualification", "csv"),
            ("marketing_spend", "csv"), ("privacy_requests", "jsonl"),
        ]
    }  # fmt: skip
    quotas = {entity: _BrokenQuota(kinds, broken_share) for entity, kinds in BROKEN_KINDS.items()}
    ids = _BrokenIds()
    privacy: list[dict[str, Any]] = []
    truth_schema = pa.schema(
        [
            ("lead_id", pa.string()),
            ("fit_score", pa.float64()),
            ("intent_score", pa.float64()),
            ("propensity", pa.float64()),
            ("became_opportunity", pa.bool_()),
            ("won", pa.bool_()),
        ]
    )
    next_event_id, next_opportunity_id = 1, 1
    bar = tqdm(total=n_leads, unit="lead", desc="sample data", disable=not progress)
    with pq.ParquetWriter(out_dir / TRUTH_PATH, truth_schema, compression="zstd") as truth:
        for index, (lo, hi) in enumerate(bounds):
            rng = row_rngs[index]
            last = index == len(bounds) - 1
            chunk = _Chunk(lo, hi, plan)

            leads, lead_day, email = _lead_rows(rng, chunk, pool, calendar)
            events = _event_rows(rng, chunk, calendar, next_event_id)
            next_event_id += events.table.num_rows
            sales = _sales_rows(rng, chunk, events, pool, calendar, next_opportunity_id)
            next_opportunity_id += int(sales.became_opportunity.sum())
            privacy += _privacy_rows(rng, chunk, email, calendar)

            # Leads: broken copies only of the originals (the first chunk.size rows).
            kinds = quotas["leads"].allot(leads.num_rows, last=last)
            broken, broken_day = _broken_table_rows(
                "leads",
                kinds,
                leads.slice(0, chunk.size),
                lead_day[: chunk.size],
                rng,
                ids,
                calendar,
            )
            _write_by_day(outputs["leads"], calendar, (leads, lead_day), (broken, broken_day))
            for entity, table, day in [
                ("events", events.table, events.day),
                ("sales_qualification", sales.qualification, sales.qualification_day),
            ]:
                kinds = quotas[entity].allot(table.num_rows, last=last)
                broken, broken_day = _broken_table_rows(
                    entity, kinds, table, day, rng, ids, calendar
                )
                _write_by_day(outputs[entity], calendar, (table, day), (broken, broken_day))
            _write_opportunities(
                outputs["opportunities"], quotas["opportunities"], sales, rng, ids, calendar, last
            )

            truth.write_table(
                pa.table(
                    {
                        "lead_id": chunk.lead_ids,
                        "fit_score": np.round(chunk.fit_score, 6),
                        "intent_score": np.round(chunk.intent_score, 6),
                        "propensity": np.round(chunk.propensity, 6),
                        "became_opportunity": sales.became_opportunity,
                        "won": sales.won,
                    },
                    schema=truth_schema,
                )
            )
            bar.update(hi - lo)
    bar.close()

    final_rng = np.random.default_rng(final_seed)
    _write_accounts(outputs["accounts"], quotas["accounts"], pool, final_rng, ids, calendar)
    spend, spend_day = _marketing_spend(np.random.default_rng(spend_seed), plan, calendar)
    kinds = quotas["marketing_spend"].allot(spend.num_rows, last=True)
    broken, broken_day = _broken_table_rows(
        "marketing_spend", kinds, spend, spend_day, final_rng, ids, calendar
    )
    _write_by_day(outputs["marketing_spend"], calendar, (spend, spend_day), (broken, broken_day))
    _write_privacy(
        outputs["privacy_requests"], quotas["privacy_requests"], privacy, final_rng, ids, calendar
    )

    manifest = {
        "seed": seed,
        "n_leads": n_leads,
        "start_date": calendar.start_date.isoformat(),
        "end_date": calendar.end_date.isoformat(),
        "entities": {
            entity: {
                "rows_written": outputs[entity].rows_written,
                "broken_rows": dict(quotas[entity].counts),
                "files": sorted(outputs[entity].files),
            }
            for entity in ENTITY_COLUMNS
        },
    }
    (out_dir / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _write_opportunities(
    output: _EntityOutput,
    quota: _BrokenQuota,
    sales: _ChunkSales,
    rng: np.random.Generator,
    ids: _BrokenIds,
    calendar: _Calendar,
    last: bool,
) -> None:
    frame, day = sales.opportunities, sales.opportunity_day
    kinds = quota.allot(len(frame), last=last)
    if kinds:
        base = rng.integers(0, len(frame), len(kinds))
        originals = frame.iloc[base].to_dict("records")
        broken = pd.DataFrame(
            [
                _break_row("opportunities", kind, original, rng, ids, calendar)
                for kind, original in zip(kinds, originals, strict=True)
            ],
            columns=frame.columns,
            dtype=object,
        )
        frame = pd.concat([frame.astype(object), broken], ignore_index=True)
        day = np.concatenate([day, day[base]])
    lines = np.array(_jsonl(frame), dtype=object)
    if lines.size == 0:
        return
    order = np.argsort(day, kind="stable")  # stable: broken copies stay behind originals
    lines, day = lines[order], day[order]
    for file_day, start, stop in _day_groups(day):
        output.append_lines(list(lines[start:stop]), calendar.label(file_day))


def _write_accounts(
    output: _EntityOutput,
    quota: _BrokenQuota,
    pool: _AccountPool,
    rng: np.random.Generator,
    ids: _BrokenIds,
    calendar: _Calendar,
) -> None:
    accounts = pool.table
    kinds = quota.allot(accounts.num_rows, last=True)
    if kinds:
        base = np.sort(rng.integers(0, accounts.num_rows, len(kinds)))
        originals = accounts.take(pa.array(base)).to_pylist()
        broken = pa.Table.from_pylist(
            [
                _break_row("accounts", kind, original, rng, ids, calendar)
                for kind, original in zip(kinds, originals, strict=True)
            ],
            schema=accounts.schema,
        )
        accounts = pa.concat_tables([accounts, broken])
    output.write_parquet(accounts, "accounts.parquet")
    updates = _account_updates(rng, pool.table, calendar)
    if updates.num_rows:
        output.write_parquet(updates, "accounts_updates.parquet")


def _write_privacy(
    output: _EntityOutput,
    quota: _BrokenQuota,
    requests: list[dict[str, Any]],
    rng: np.random.Generator,
    ids: _BrokenIds,
    calendar: _Calendar,
) -> None:
    requests = sorted(requests, key=lambda row: (row["_sort"], row["lead_id"] or row["email"]))
    columns = ENTITY_COLUMNS["privacy_requests"]
    valid = [{c: row[c] for c in columns} for row in requests]
    rows = list(valid)
    for kind in quota.allot(len(valid), last=True):
        original = valid[int(rng.integers(0, len(valid)))]
        broken = _break_row("privacy_requests", kind, original, rng, ids, calendar)
        rows.insert(int(rng.integers(0, len(rows) + 1)), broken)
    output.append_lines(_jsonl(pd.DataFrame(rows, columns=columns, dtype=object)), None)
