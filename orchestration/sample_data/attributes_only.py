"""Landing data for a deployment whose leads carry only their own columns: no events, no accounts.

Some deployments (the public "Lead Scoring" dataset of an education company is the model here)
send a flat lead export with a handful of extra columns and the sales outcomes, nothing else. The
calibration must work from those custom attributes alone, so this module simulates exactly that:
``leads`` with six custom columns, ``sales_qualification`` and ``opportunities``, and no events,
accounts or marketing spend. A hidden propensity (written to ``_truth/leads.parquet``) drives the
outcomes: strongly time on site, lead origin and last activity, weakly and non-monotonically the
number of visits; the city carries no signal. The same arguments give byte-identical files.
"""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

_DAY = 86_400
# (value, share, effect on the logit)
_ORIGINS = [
    ("api", 0.36, 0.0),
    ("landing_page_submission", 0.46, 0.2),
    ("lead_add_form", 0.10, 2.2),
    ("lead_import", 0.08, -1.2),
]
_ACTIVITIES = [
    ("email_opened", 0.34, 0.2),
    ("sms_sent", 0.22, 1.4),
    ("olark_chat", 0.12, -1.0),
    ("page_visited", 0.10, -0.2),
    ("converted_to_lead", 0.06, -0.4),
    ("email_bounced", 0.05, -1.5),
    ("form_submitted", 0.08, 1.0),
    (None, 0.03, 0.0),
]
# The rare city (last) gets a fixed handful of leads, so it always stays below 15.
_CITIES = ["mumbai", "thane_outskirts", "other_metro", "other_cities", "other_maharashtra"]
_CITIES += ["pune", "bengaluru", "tier_ii"]
_CITY_SHARES = [0.40, 0.10, 0.10, 0.10, 0.06, 0.14, 0.10]
_DOMAINS = ["northwind", "brightpath", "lumenedu", "acmecorp", "bluepeak", "quantix", "orbital"]
_DOMAINS += ["silverline", "greenfield", "kestrel", "tidewater", "novaworks"]
_FIRST = ["aarav", "priya", "rohan", "ananya", "vikram", "meera", "kabir", "isha", "arjun", "diya"]
_LAST = ["sharma", "patel", "iyer", "reddy", "nair", "gupta", "mehta", "rao", "singh", "das"]
_SDRS = ["maria.lopez@example.com", "arjun.patel@example.com", "sophie.laurent@example.com"]
_OWNERS = ["olivia.bennett@example.com", "priya.sharma@example.com", "rafael.silva@example.com"]
_REASONS = {
    "accepted": ["Budget approved, decision this quarter", "Clear need and a committed timeline"],
    "rejected": ["No budget", "Not a decision maker", "No real need"],
    "recycle": ["Interested, but not this quarter", "Needs budget approval first"],
}
_LOST_REASONS = ["price", "no_decision", "competitor", "timing", "no_budget"]
# P(accepted, rejected, recycle) by the number of true BANT answers (0-4).
_VERDICT_P = np.array(
    [[0, 0.85, 0.15], [0, 0.85, 0.15], [0.15, 0.25, 0.6], [0.9, 0, 0.1], [0.9, 0, 0.1]]
)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _iso(seconds: np.ndarray) -> list[str]:
    stamps = pd.to_datetime(np.asarray(seconds, np.int64), unit="s")
    return list(stamps.strftime("%Y-%m-%dT%H:%M:%SZ"))


def _bools(values: np.ndarray) -> list[str]:
    return ["true" if v else "false" for v in values]


def _write(frame: pd.DataFrame, path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n")
    return len(frame)


def generate_attributes_only_landing(
    out_dir: Path,
    n_leads: int = 4000,
    seed: int = 11,
    end_date: date = date(2026, 6, 30),
    days: int = 180,
) -> dict[str, int]:
    """Write leads, sales_qualification and opportunities CSVs; return the rows per entity."""
    if n_leads < 1 or days < 1:
        raise ValueError(f"n_leads and days must be >= 1, got {n_leads} and {days}")
    out_dir = Path(out_dir)
    for entity in ("leads", "sales_qualification", "opportunities"):
        shutil.rmtree(out_dir / entity, ignore_errors=True)
    (out_dir / "_truth" / "leads.parquet").unlink(missing_ok=True)
    rng = np.random.default_rng(seed)
    n = n_leads
    start = datetime.combine(end_date - timedelta(days=days - 1), datetime.min.time(), UTC)
    end_ts = int(start.timestamp()) + days * _DAY - 1  # end_date 23:59:59 UTC

    # Leads: fewer on weekends, business hours (08:00-19:00 UTC), ids rising with created_at.
    weekday = (start.weekday() + np.arange(days)) % 7
    weight = np.where(weekday >= 5, 0.3, 1.0)
    day = rng.choice(days, n, p=weight / weight.sum())
    hour = np.clip(rng.normal(13.0, 2.5, n), 8.0, 19.0)
    created = np.sort(int(start.timestamp()) + day * _DAY + (hour * 3600).astype(np.int64))
    lead_ids = [f"X{i:06d}" for i in range(1, n + 1)]
    origin = rng.choice(len(_ORIGINS), n, p=[o[1] for o in _ORIGINS])
    activity = rng.choice(len(_ACTIVITIES), n, p=[a[1] for a in _ACTIVITIES])
    visits = np.clip(np.round(rng.lognormal(1.2, 0.9, n) * (rng.random(n) > 0.22)), 0, 40)
    visits = visits.astype(np.int64)
    time_on_site = np.where(visits > 0, np.clip(rng.lognormal(6.0, 0.9, n), 1, 2500), 0)
    time_on_site = time_on_site.astype(np.int64)
    page_views = np.where(visits > 0, np.clip(rng.lognormal(0.8, 0.45, n), 1, 12), 0.0)
    visits_missing = rng.random(n) < 0.03
    city = rng.choice(len(_CITY_SHARES), n, p=_CITY_SHARES)
    city[rng.choice(n, min(12, max(1, n // 400)), replace=False)] = len(_CITIES) - 1

    # Hidden propensity; city has no effect, visits peak around 5-8 (missing = no effect).
    time_z = (time_on_site - time_on_site.mean()) / max(float(time_on_site.std()), 1e-9)
    visits_effect = np.where(visits_missing, 0.0, 0.8 * np.exp(-(((visits - 6) / 4.0) ** 2)) - 0.3)
    logit = (
        -2.6
        + np.array([o[2] for o in _ORIGINS])[origin]
        + np.array([a[2] for a in _ACTIVITIES])[activity]
        + 2.0 * time_z
        + visits_effect
        + rng.normal(0, 0.5, n)
    )
    propensity = _sigmoid(logit)
    leads = pd.DataFrame(
        {
            "lead_id": lead_ids,
            "created_at": _iso(created),
            "email": [
                f"{_FIRST[i % 10]}.{_LAST[i // 10 % 10]}{i + 1}@{_DOMAINS[d]}.com"
                for i, d in enumerate(rng.integers(0, len(_DOMAINS), n))
            ],
            "updated_at": _iso(created),
            "lead_origin": [_ORIGINS[o][0] for o in origin],
            "last_activity": [_ACTIVITIES[a][0] for a in activity],
            "total_visits": pd.array(np.where(visits_missing, None, visits), dtype="Int64"),
            "time_on_site_seconds": time_on_site,
            "page_views_per_visit": [f"{v:.2f}" for v in page_views],
            "city": [_CITIES[c] for c in city],
        }
    )

    # Sales qualification (BANT) of ~35 % of the leads, likelier the higher the propensity.
    assessed_at = created + (rng.uniform(1, 10, n) * _DAY).astype(np.int64)
    assessed = (rng.random(n) < _sigmoid(-0.6 + 0.9 * (logit + 2.0))) & (assessed_at <= end_ts)
    who = np.flatnonzero(assessed)
    k = who.size
    answer_logit = 0.9 + 0.9 * (logit[who] + 1.0)
    answers = {
        q: rng.random(k) < _sigmoid(answer_logit + rng.normal(0, 0.7, k))
        for q in ("budget", "authority", "need", "timeline")
    }
    n_true = np.sum(list(answers.values()), axis=0)
    cumulative = _VERDICT_P[n_true].cumsum(axis=1)
    verdict = np.minimum((rng.random(k)[:, None] > cumulative).sum(axis=1), 2)
    names = ["accepted", "rejected", "recycle"]
    qualification = pd.DataFrame(
        {
            "lead_id": [lead_ids[i] for i in who],
            "assessed_at": _iso(assessed_at[who]),
            "framework": "bant",
            **{q: _bools(a) for q, a in answers.items()},
            "verdict": [names[v] for v in verdict],
            "reason": [
                _REASONS[names[v]][r % len(_REASONS[names[v]])]
                for v, r in zip(verdict, rng.integers(0, 6, k), strict=True)
            ],
            "assessed_by": [_SDRS[s] for s in rng.integers(0, len(_SDRS), k)],
        }
    )

    # Opportunities: ~85 % of accepted leads plus ~1 % direct ones, one final-state row each.
    accepted = np.zeros(n, bool)
    accepted[who[verdict == 0]] = True
    from_sales = accepted & (rng.random(n) < 0.85)
    direct = ~accepted & (rng.random(n) < np.clip(0.01 * propensity / propensity.mean(), 0, 0.2))
    anchor = np.where(accepted, assessed_at, created)
    opp_created = anchor + (rng.uniform(1, 8, n) * _DAY).astype(np.int64)
    opp = np.flatnonzero((from_sales | direct) & (opp_created <= end_ts))
    opp = opp[np.argsort(opp_created[opp], kind="stable")]
    j = opp.size
    created_o = opp_created[opp]
    closed_at = created_o + (rng.uniform(10, 60, j) * _DAY).astype(np.int64)
    closed = (rng.random(j) < 0.6) & (closed_at <= end_ts)
    won = rng.random(j) < _sigmoid(-1.5 + 0.9 * (logit[opp] + 1.0))
    amount = np.clip(np.round(rng.lognormal(np.log(12000), 0.6, j), -2), 2000, 60000)
    lost = rng.integers(0, len(_LOST_REASONS), j)
    closed_text = _iso(closed_at)
    created_text = _iso(created_o)
    opportunities = pd.DataFrame(
        {
            "opportunity_id": [f"XO{i:06d}" for i in range(1, j + 1)],
            "lead_id": [lead_ids[i] for i in opp],
            "created_at": created_text,
            "account_id": None,
            "stage": np.where(closed, np.where(won, "closed_won", "closed_lost"), "discovery"),
            "amount": amount.astype(np.int64),
            "currency": "USD",
            "closed_at": [t if c else None for t, c in zip(closed_text, closed, strict=True)],
            "is_won": [b if c else None for b, c in zip(_bools(won), closed, strict=True)],
            "lost_reason": [
                _LOST_REASONS[r] if c and not w else None
                for r, c, w in zip(lost, closed, won, strict=True)
            ],
            "owner": [_OWNERS[o] for o in rng.integers(0, len(_OWNERS), j)],
            "updated_at": np.where(closed, closed_text, created_text),
        }
    )

    truth = pa.table({"lead_id": lead_ids, "propensity": np.round(propensity, 6)})
    (out_dir / "_truth").mkdir(parents=True, exist_ok=True)
    pq.write_table(truth, out_dir / "_truth" / "leads.parquet", compression="zstd")
    return {
        "leads": _write(leads, out_dir / "leads" / "leads.csv"),
        "sales_qualification": _write(
            qualification, out_dir / "sales_qualification" / "sales_qualification.csv"
        ),
        "opportunities": _write(opportunities, out_dir / "opportunities" / "opportunities.csv"),
    }
