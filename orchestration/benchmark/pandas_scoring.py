"""What an analyst would write instead of the warehouse: the same scoring in pandas.

Every lead's four dimension scores, fit grade and combined score as of one day, read straight from
the landing files, for the shipped scoring/rules.yml written out by hand (like the floor script,
floor.sql). Vectorised pandas, the way a competent analyst writes it; no history, no checks.
Run as ``python -m orchestration.benchmark.pandas_scoring LANDING AS_OF OUTPUT.parquet``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

FREE_MAIL = {"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "gmx.de"}
FREE_MAIL |= {"web.de", "proton.me"}
COMPETITORS = {"competitor.example", "rival.example"}
# rule id: (event_type or None, page_category or None, points, lookback days, half-life, cap)
BEHAVIOURAL_RULES = {
    "pricing_page_visit": (None, "pricing", 10, 30, 14, 30),
    "demo_booked": ("demo_booked", None, 25, 60, 30, 25),
    "demo_requested": ("demo_requested", None, 15, 60, 30, 15),
    "trial_started": ("trial_started", None, 20, 60, 30, 20),
    "webinar_attended": ("webinar_attended", None, 8, 60, 30, 16),
    "content_download": ("content_download", None, 5, 60, 30, 15),
    "form_submit": ("form_submit", None, 5, 60, 30, 10),
    "email_click": ("email_click", None, 3, 30, 14, 9),
    "docs_page_visit": (None, "docs", 2, 30, 14, 6),
    "unsubscribed": ("email_unsubscribe", None, -15, 365, None, 15),
    "email_bounced": ("email_bounce", None, -10, 365, None, 10),
    "careers_page_visitor": (None, "careers", -5, 60, 30, 10),
}
# The page_categories seed, first match wins.
PAGE_PATTERNS = [
    ("pricing", ("/pricing", "/plans")),
    ("docs", ("/docs/", "/documentation/")),
    ("careers", ("/careers", "/jobs/")),
    ("blog", ("/blog/",)),
    ("product", ("/product",)),
    ("customers", ("/customers/",)),
]


def _read(folder: Path, pattern: str, reader, **kwargs) -> pd.DataFrame:
    paths = sorted(folder.glob(pattern))
    frames = [reader(path, **kwargs).assign(_file=path.name) for path in paths]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce", utc=True, format="ISO8601").dt.tz_localize(None)


def _latest_versions(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    frame = frame.sort_values(["updated_at", "_file"], ascending=False, na_position="last")
    return frame.drop_duplicates(key)


def _round_half_away(values: pd.Series) -> pd.Series:
    return (np.sign(values) * np.floor(np.abs(values) + 0.5)).astype("int64")


def score(landing: Path, as_of: pd.Timestamp) -> pd.DataFrame:
    day_end = as_of + pd.Timedelta(days=1)
    leads = _read(landing / "leads", "*.csv", pd.read_csv, dtype=str)
    leads["created_at"] = _utc(leads["created_at"])
    leads["updated_at"] = _utc(leads["updated_at"])
    leads = leads[leads["lead_id"].notna() & (leads["created_at"] < day_end)]
    leads = _latest_versions(leads, "lead_id").set_index("lead_id")

    accounts = _read(landing / "accounts", "*.parquet", pd.read_parquet)
    accounts["updated_at"] = _utc(accounts["updated_at"].astype(str))
    accounts = _latest_versions(accounts[accounts["account_id"].notna()], "account_id")
    accounts = accounts.set_index("account_id")
    profile = leads.join(accounts.add_suffix("_account"), on="account_id")

    email_domain = profile["email"].str.lower().str.split("@").str[1]
    title = profile["job_title"].str.lower().fillna("")
    country = profile["country_account"].str.upper().fillna(profile["country"].str.upper())
    employees = pd.to_numeric(profile["employee_count_account"], errors="coerce")
    company_age = as_of.year - pd.to_numeric(profile["founded_year_account"], errors="coerce")
    tech = ";" + profile["tech_stack_account"].str.lower().str.replace(" ", "").fillna("") + ";"
    senior = title.str.contains(r"chief|vice president|head of|director|founder", regex=True)
    senior |= title.str.fullmatch(r"c.o") | title.str.startswith("vp")
    student = title.str.contains(r"student|internship|job seeker|looking for", regex=True)
    student |= (" " + title + " ").str.contains(" intern ", regex=False)
    demographic = (
        10 * employees.between(50, 5000)
        + 8 * profile["industry_account"].str.lower().isin(["software", "fintech", "healthcare"])
        + 7 * country.isin(["US", "GB", "DE", "FR", "NL", "CA", "AU"])
        + 5 * company_age.between(3, 30)
        + 15 * senior
        - 10 * email_domain.isin(FREE_MAIL)
        - 50 * email_domain.isin(COMPETITORS)
        - 20 * student
    )
    competitor = email_domain.isin(COMPETITORS)
    demographic = demographic.where(competitor, demographic.clip(lower=0)).clip(upper=45)
    firmographic = (
        12 * (pd.to_numeric(profile["budget_account"], errors="coerce") >= 50000)
        + 8 * (pd.to_numeric(profile["growth_rate_account"], errors="coerce") >= 0.2)
        + 10 * tech.str.contains(r";(?:snowflake|dbt|segment|looker);", regex=True)
    ).clip(0, 30)

    events = _read(landing / "events", "*.csv", pd.read_csv, dtype=str)
    events["occurred_at"] = _utc(events["occurred_at"])
    events = events[events["event_id"].notna()].drop_duplicates("event_id")
    events = events[(events["occurred_at"] < day_end) & events["lead_id"].isin(leads.index)]
    url = events["page_url"].str.lower().fillna("")
    category = pd.Series("other", index=events.index)
    for name, patterns in reversed(PAGE_PATTERNS):
        matched = np.logical_or.reduce([url.str.contains(p, regex=False) for p in patterns])
        category = category.mask(matched, name)
    events["page_category"] = category.where(events["event_type"] == "page_view")
    age_days = (day_end - events["occurred_at"]).dt.total_seconds() / 86400

    behavioural = pd.Series(0, index=leads.index, dtype="int64")
    for event_type, page_category, points, lookback, half_life, cap in BEHAVIOURAL_RULES.values():
        matches = (
            events["event_type"] == event_type
            if event_type
            else events["page_category"] == page_category
        ) & (age_days <= lookback)
        decay = 0.5 ** (age_days[matches] / half_life) if half_life else 1.0 + 0 * age_days[matches]
        decayed = (points * decay).groupby(events.loc[matches, "lead_id"]).sum()
        counted = _round_half_away(decayed.clip(-cap, cap))
        behavioural = behavioural.add(counted, fill_value=0)
    behavioural = behavioural.clip(0, 75)

    # Bounces and unsubscribes are no activity (var non_activity_event_types).
    active = events[~events["event_type"].isin(["email_bounce", "email_unsubscribe"])]
    days = active["occurred_at"].dt.normalize()
    last_active = days.groupby(active["lead_id"]).max()
    since = (as_of - last_active).dt.days.reindex(leads.index)
    recent_days = days[(as_of - days).dt.days < 30].groupby(active["lead_id"]).nunique()
    active_days = recent_days.reindex(leads.index).fillna(0)
    timing = (10 * (since <= 6) + 5 * since.between(7, 29) + 10 * (active_days >= 4)).clip(upper=25)

    fit = demographic + firmographic
    scores = pd.DataFrame(
        {
            "demographic_score": demographic.astype("int64"),
            "firmographic_score": firmographic.astype("int64"),
            "behavioural_score": behavioural.reindex(leads.index).astype("int64"),
            "timing_score": timing.astype("int64"),
            "fit_grade": np.select([fit >= 45, fit >= 30, fit >= 15], ["A", "B", "C"], "D"),
        }
    )
    scores["combined_score"] = scores[
        ["demographic_score", "firmographic_score", "behavioural_score", "timing_score"]
    ].sum(axis=1)
    return scores.rename_axis("lead_id").reset_index()


if __name__ == "__main__":
    landing_dir, as_of_day, output = sys.argv[1:4]
    score(Path(landing_dir), pd.Timestamp(as_of_day)).to_parquet(output, index=False)
