"""Tests for the synthetic landing data generator.

The broken-row checks use an independent, deliberately simple re-implementation of the contract
rules of DESIGN.md: every row must break either no rule or exactly the one its kind names, and the
counts must match the manifest. That is what lets the ingest tests trust the expected rejects.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from orchestration.sample_data import (
    BROKEN_KINDS,
    ENTITY_COLUMNS,
    MANIFEST_NAME,
    TRUTH_PATH,
    generate_landing,
)

END_DATE = date(2026, 3, 31)
DAYS = 200
N_LEADS = 2_000
END_TS = pd.Timestamp(END_DATE, tz="UTC") + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)

# The landing contract, copied from DESIGN.md on purpose (not imported from the generator).
CONTRACT = {
    "accounts": "account_id company_name domain industry employee_count country founded_year "
    "annual_revenue budget growth_rate tech_stack updated_at",
    "leads": "lead_id created_at email first_name last_name job_title account_id company_name "
    "source campaign country consent_marketing do_not_contact updated_at",
    "events": "event_id lead_id event_type occurred_at page_url properties",
    "opportunities": "opportunity_id lead_id created_at account_id stage amount currency "
    "closed_at is_won lost_reason owner",
    "sales_qualification": "lead_id assessed_at framework budget authority need timeline metrics "
    "economic_buyer decision_criteria decision_process identified_pain champion verdict reason "
    "assessed_by",
    "marketing_spend": "spend_date source amount campaign currency",
    "privacy_requests": "request_type requested_at lead_id email",
}
CUSTOM_COLUMNS = {
    "accounts": ["hq_city"],
    "leads": ["lead_origin", "preferred_language"],
    "opportunities": ["updated_at"],
}
REQUIRED = {
    "accounts": ["account_id"],
    "leads": ["lead_id", "created_at"],
    "events": ["event_id", "lead_id", "event_type", "occurred_at"],
    "opportunities": ["opportunity_id", "lead_id", "created_at"],
    "sales_qualification": ["lead_id", "assessed_at", "framework"],
    "marketing_spend": ["spend_date", "source", "amount"],
    "privacy_requests": ["request_type", "requested_at"],
}
TIMESTAMPS = {
    "accounts": ["updated_at"],
    "leads": ["created_at", "updated_at"],
    "events": ["occurred_at"],
    "opportunities": ["created_at", "closed_at", "updated_at"],
    "sales_qualification": ["assessed_at"],
    "marketing_spend": ["spend_date"],
    "privacy_requests": ["requested_at"],
}
BOOLEANS = {
    "leads": ["consent_marketing", "do_not_contact"],
    "opportunities": ["is_won"],
    "sales_qualification": [
        "budget", "authority", "need", "timeline", "metrics", "economic_buyer",
        "decision_criteria", "decision_process", "identified_pain", "champion",
    ],
}  # fmt: skip
NUMBERS = {
    "accounts": ["employee_count"],
    "opportunities": ["amount"],
    "marketing_spend": ["amount"],
}
IDS = {
    "accounts": "account_id",
    "leads": "lead_id",
    "events": "event_id",
    "opportunities": "opportunity_id",
}
ISO_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _generate(path: Path, n_leads: int = N_LEADS, **kwargs) -> dict:
    kwargs.setdefault("end_date", END_DATE)
    kwargs.setdefault("days", DAYS)
    return generate_landing(path, n_leads, progress=False, **kwargs)


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("landing")
    return path, _generate(path, seed=7)


def _all_files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _load(root: Path, manifest: dict, entity: str) -> pd.DataFrame:
    """All rows of an entity as text (None when empty), with their file, in file order."""
    frames = []
    for relative in manifest["entities"][entity]["files"]:
        path = root / relative
        if path.suffix == ".csv":
            frame = pd.read_csv(path, dtype=object, keep_default_na=False, na_values=[""])
        elif path.suffix == ".jsonl":
            lines = path.read_text(encoding="utf-8").splitlines()
            frame = pd.DataFrame([json.loads(line) for line in lines], dtype=object)
        else:
            frame = pq.read_table(path).to_pandas().astype(object)
            if "updated_at" in frame:
                frame["updated_at"] = [
                    None if pd.isna(v) else v.strftime("%Y-%m-%dT%H:%M:%SZ")
                    for v in frame["updated_at"]
                ]
        frame = frame.astype(object).where(frame.notna(), None)
        for column in frame.columns:
            frame[column] = [
                None if v is None else ("true" if v is True else "false" if v is False else str(v))
                for v in frame[column]
            ]
        frame["_file"] = relative
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=[*ENTITY_COLUMNS[entity], "_file"], dtype=object)
    return pd.concat(frames, ignore_index=True)


def _parse_times(values: pd.Series) -> pd.Series:
    text = values.fillna("")
    well_formed = text.str.match(ISO_TIMESTAMP) | text.str.match(ISO_DATE)
    parsed = pd.to_datetime(
        text.where(well_formed, None), errors="coerce", utc=True, format="ISO8601"
    )
    return parsed


def _rules(frames: dict[str, pd.DataFrame], entity: str) -> pd.DataFrame:
    """One boolean column per contract rule: does the row break it?"""
    frame = frames[entity]
    rules = pd.DataFrame(index=frame.index)
    missing = frame[REQUIRED[entity]].isna().any(axis=1)
    if entity == "privacy_requests":
        missing |= frame["lead_id"].isna() & frame["email"].isna()
    rules["missing_required"] = missing

    unparseable = pd.Series(False, index=frame.index)
    future = pd.Series(False, index=frame.index)
    parsed = {}
    for column in TIMESTAMPS[entity]:
        parsed[column] = _parse_times(frame[column])
        unparseable |= frame[column].notna() & parsed[column].isna()
        future |= parsed[column] > END_TS
    for column in BOOLEANS.get(entity, []):
        unparseable |= frame[column].notna() & ~frame[column].isin(["true", "false"])
    negative = pd.Series(False, index=frame.index)
    for column in NUMBERS.get(entity, []):
        number = pd.to_numeric(frame[column], errors="coerce")
        unparseable |= frame[column].notna() & number.isna()
        negative |= number < 0
    rules["unparseable_type"] = unparseable
    rules["future_timestamp"] = future
    rules["negative_value"] = negative
    if entity in ("events", "opportunities", "sales_qualification"):
        known = set(frames["leads"]["lead_id"].dropna())
        rules["unknown_lead"] = frame["lead_id"].notna() & ~frame["lead_id"].isin(known)
    if entity == "opportunities":
        rules["closed_before_created"] = parsed["closed_at"] < parsed["created_at"]
    if entity in IDS:
        id_column = IDS[entity]
        rules["duplicate_id_in_file"] = frame[id_column].notna() & frame.duplicated(
            ["_file", id_column], keep="first"
        )
    return rules


@pytest.fixture(scope="module")
def checked(landing) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    root, manifest = landing
    frames = {entity: _load(root, manifest, entity) for entity in ENTITY_COLUMNS}
    rules = {entity: _rules(frames, entity) for entity in ENTITY_COLUMNS}
    return frames, rules


def _valid(checked, entity: str) -> pd.DataFrame:
    frames, rules = checked
    return frames[entity][~rules[entity].any(axis=1)]


def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path):
    first = _generate(tmp_path / "a", 1_000, seed=3)
    second = _generate(tmp_path / "b", 1_000, seed=3)
    other = _generate(tmp_path / "c", 1_000, seed=4)
    assert first == second
    files_a, files_b = _all_files(tmp_path / "a"), _all_files(tmp_path / "b")
    assert files_a.keys() == files_b.keys()
    assert all(files_a[name] == files_b[name] for name in files_a)
    files_c = _all_files(tmp_path / "c")
    shared = files_a.keys() & files_c.keys()
    assert sum(files_a[name] != files_c[name] for name in shared) > len(shared) / 2
    assert first["entities"] != other["entities"]


def test_columns_follow_the_landing_contract(landing):
    root, manifest = landing
    for entity, contract in CONTRACT.items():
        expected = contract.split() + CUSTOM_COLUMNS.get(entity, [])
        assert ENTITY_COLUMNS[entity] == expected
        for relative in manifest["entities"][entity]["files"][:3]:
            path = root / relative
            if path.suffix == ".csv":
                header = pd.read_csv(path, nrows=0).columns.tolist()
            elif path.suffix == ".jsonl":
                header = list(json.loads(path.read_text().splitlines()[0]))
            else:
                header = pq.read_schema(path).names
            assert header == expected, relative


def test_daily_files_cover_the_period(landing):
    root, manifest = landing
    assert manifest["start_date"] == (END_DATE - timedelta(days=DAYS - 1)).isoformat()
    assert manifest["end_date"] == END_DATE.isoformat()
    for entity in ("leads", "events", "marketing_spend", "sales_qualification", "opportunities"):
        files = manifest["entities"][entity]["files"]
        days = {re.search(r"_(\d{4}-\d{2}-\d{2})\.", f).group(1) for f in files}
        assert all(manifest["start_date"] <= d <= manifest["end_date"] for d in days)
        minimum = 180 if entity in ("leads", "events", "marketing_spend") else 100
        assert len(days) >= minimum, entity
    assert len(manifest["entities"]["events"]["files"]) == DAYS
    assert manifest["entities"]["accounts"]["files"][0] == "accounts/accounts.parquet"
    assert manifest["entities"]["privacy_requests"]["files"] == [
        "privacy_requests/privacy_requests.jsonl"
    ]
    assert (root / TRUTH_PATH).is_file()
    assert json.loads((root / MANIFEST_NAME).read_text()) == manifest


def test_manifest_rows_match_the_files(landing):
    root, manifest = landing
    con = duckdb.connect()
    for entity, info in manifest["entities"].items():
        paths = [str(root / f) for f in info["files"]]
        if entity == "accounts":
            query = f"select count(*) from read_parquet({paths})"
        elif paths[0].endswith(".jsonl"):
            columns = {c: "VARCHAR" for c in ENTITY_COLUMNS[entity]}
            query = (
                f"select count(*) from read_json({paths}, format='newline_delimited', "
                f"columns={columns})"
            )
        else:
            query = f"select count(*) from read_csv({paths}, all_varchar=true, header=true)"
        assert con.sql(query).fetchall()[0][0] == info["rows_written"], entity


def test_broken_rows_break_exactly_the_rule_of_their_kind(landing, checked):
    _, manifest = landing
    _, rules = checked
    for entity, kinds in BROKEN_KINDS.items():
        entity_rules = rules[entity]
        assert (entity_rules.sum(axis=1) <= 1).all(), f"{entity}: a row breaks two rules"
        expected = manifest["entities"][entity]["broken_rows"]
        assert sorted(expected) == sorted(kinds)
        found = {kind: int(entity_rules[kind].sum()) for kind in kinds}
        assert found == expected, entity
        not_injected = set(entity_rules.columns) - set(kinds)
        assert not entity_rules[list(not_injected)].any().any(), entity


def test_broken_share_and_every_kind_present(landing, checked):
    _, manifest = landing
    share = 0.005
    for entity, kinds in BROKEN_KINDS.items():
        info = manifest["entities"][entity]
        broken = sum(info["broken_rows"].values())
        valid = info["rows_written"] - broken
        if valid >= 200:
            assert all(count >= 1 for count in info["broken_rows"].values()), entity
            assert share * valid - 1 <= broken <= share * valid + len(kinds), entity
        else:
            assert broken <= share * valid + 1, entity


def test_events_per_lead_and_valid_references(landing, checked):
    leads = _valid(checked, "leads")
    events = _valid(checked, "events")
    lead_ids = set(leads["lead_id"])
    assert len(set(leads.loc[leads["created_at"] == leads["updated_at"], "lead_id"])) == N_LEADS
    assert 17 <= len(events) / N_LEADS <= 23
    assert events["lead_id"].isin(lead_ids).all()
    assert events["event_id"].is_unique
    for entity in ("opportunities", "sales_qualification"):
        assert _valid(checked, entity)["lead_id"].isin(lead_ids).all(), entity
    created = leads.drop_duplicates("lead_id").set_index("lead_id")["created_at"]
    occurred = pd.to_datetime(events["occurred_at"], utc=True)
    assert (occurred >= pd.to_datetime(events["lead_id"].map(created), utc=True)).all()
    for entity, columns in TIMESTAMPS.items():
        for column in columns:
            values = _parse_times(_valid(checked, entity)[column]).dropna()
            assert (values <= END_TS).all(), (entity, column)


def test_opportunity_versions_and_open_share(checked):
    opportunities = _valid(checked, "opportunities")
    closed = opportunities[opportunities["closed_at"].notna()]
    opened = opportunities[opportunities["closed_at"].isna()]
    assert set(closed["opportunity_id"]) <= set(opened["opportunity_id"])
    assert set(closed["stage"]) <= {"closed_won", "closed_lost"}
    assert closed.loc[closed["stage"] == "closed_lost", "lost_reason"].notna().all()
    assert opened["is_won"].isna().all()
    open_share = 1 - closed["opportunity_id"].nunique() / opened["opportunity_id"].nunique()
    assert 0.15 <= open_share <= 0.45


def test_sales_qualification_frameworks(checked):
    assessments = _valid(checked, "sales_qualification")
    bant = assessments[assessments["framework"] == "bant"]
    meddic = assessments[assessments["framework"] == "meddic"]
    assert 0.45 <= len(bant) / len(assessments) <= 0.75
    assert bant[["metrics", "champion"]].isna().all().all()
    assert meddic[["budget", "timeline"]].isna().all().all()
    assert set(assessments["verdict"]) == {"accepted", "rejected", "recycle"}
    assert 0.08 <= assessments["lead_id"].nunique() / N_LEADS <= 0.25


def _opportunity_truth(landing) -> pd.DataFrame:
    root, _ = landing
    truth = pq.read_table(root / TRUTH_PATH).to_pandas()
    assert truth.columns.tolist() == [
        "lead_id", "fit_score", "intent_score", "propensity", "became_opportunity", "won",
    ]  # fmt: skip
    assert len(truth) == N_LEADS
    return truth


def test_propensity_predicts_opportunities(landing, checked):
    truth = _opportunity_truth(landing)
    opportunity_leads = set(_valid(checked, "opportunities")["lead_id"])
    assert truth["became_opportunity"].sum() == len(opportunity_leads)
    assert set(truth.loc[truth["became_opportunity"], "lead_id"]) == opportunity_leads
    decile = pd.qcut(truth["propensity"].rank(method="first"), 10, labels=False)
    rate = truth.groupby(decile)["became_opportunity"].mean()
    assert rate[9] >= 4 * max(rate[0], 0.005)
    assert truth.loc[truth["won"], "became_opportunity"].all()


def test_observable_engagement_predicts_opportunities(landing, checked):
    truth = _opportunity_truth(landing).set_index("lead_id")
    events = _valid(checked, "events")
    pricing = events["page_url"].fillna("").str.contains("/pricing")
    engaged = set(events.loc[pricing | (events["event_type"] == "demo_booked"), "lead_id"])
    is_engaged = truth.index.isin(list(engaged))
    assert 0.2 <= is_engaged.mean() <= 0.9
    engaged_rate = truth.loc[is_engaged, "became_opportunity"].mean()
    other_rate = truth.loc[~is_engaged, "became_opportunity"].mean()
    assert engaged_rate >= 3 * max(other_rate, 0.002)


def test_formats_of_valid_rows(checked):
    leads = _valid(checked, "leads")
    assert leads["created_at"].str.match(ISO_TIMESTAMP).all()
    assert leads["lead_id"].str.match(r"^L\d{7}$").all()
    assert leads["email"].str.match(r"^[a-z0-9.]+@[a-z0-9.-]+\.[a-z]+$").all()
    free_mail = leads["email"].str.endswith(("gmail.com", "yahoo.com", "outlook.com")).mean()
    assert 0.02 <= free_mail <= 0.15
    assert 0.7 <= leads["account_id"].notna().mean() <= 0.9
    assert 0.8 <= (leads["consent_marketing"] == "true").mean() <= 0.9
    assert set(leads["lead_origin"]) <= {"web_form", "import", "api", "chat"}
    accounts = _valid(checked, "accounts")
    assert accounts["account_id"].str.match(r"^A\d{6}$").all()
    assert accounts["country"].str.match(r"^[A-Z]{2}$").all()
    original = accounts[accounts["_file"] == "accounts/accounts.parquet"]
    assert original["domain"].is_unique and original["account_id"].is_unique
    events = _valid(checked, "events")
    assert events["event_id"].str.match(r"^E\d{11}$").all()
    downloads = events.loc[events["event_type"] == "content_download", "properties"]
    assert all("asset" in json.loads(p) for p in downloads)
    spend = _valid(checked, "marketing_spend")
    assert spend.groupby("source")["amount"].count().nunique() == 1  # one row per channel per day
    privacy = _valid(checked, "privacy_requests")
    assert set(privacy["request_type"]) <= {"erasure", "withdraw_consent"}


def test_rerun_replaces_previous_output(tmp_path):
    _generate(tmp_path, 300, end_date=date(2026, 1, 31))
    manifest = _generate(tmp_path, 300, end_date=date(2026, 2, 10), broken_share=0.0)
    listed = {f for info in manifest["entities"].values() for f in info["files"]}
    on_disk = {
        p.relative_to(tmp_path).as_posix()
        for p in tmp_path.rglob("*")
        if p.is_file() and not p.relative_to(tmp_path).as_posix().startswith("_")
    }
    assert listed == on_disk
    assert all(sum(info["broken_rows"].values()) == 0 for info in manifest["entities"].values())


def test_tiny_runs_and_default_end_date(tmp_path):
    before = datetime.now(UTC).date() - timedelta(days=1)
    manifest = generate_landing(tmp_path / "one", 1, days=180)
    after = datetime.now(UTC).date() - timedelta(days=1)
    assert manifest["end_date"] in {before.isoformat(), after.isoformat()}
    assert manifest["entities"]["leads"]["rows_written"] == 1
    assert _generate(tmp_path / "ten", 10)["entities"]["leads"]["rows_written"] >= 10


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_leads": 0},
        {"n_leads": -5},
        {"n_leads": 3_000_000},
        {"days": 179},
        {"broken_share": -0.1},
        {"broken_share": 0.5},
    ],
)
def test_invalid_arguments_raise(tmp_path, kwargs):
    arguments = {"n_leads": 100, "days": 200} | kwargs
    with pytest.raises(ValueError):
        generate_landing(tmp_path, arguments.pop("n_leads"), **arguments)


def test_spend_follows_paid_leads(checked):
    spend = _valid(checked, "marketing_spend")
    leads = _valid(checked, "leads")
    leads = leads[leads["created_at"] == leads["updated_at"]]
    total_spend = spend.assign(amount=spend["amount"].astype(float)).groupby("source")["amount"]
    cost_per_lead = total_spend.sum() / leads.groupby("source").size()
    assert set(cost_per_lead.dropna().index) == {
        "paid_search", "paid_social", "content_syndication", "events", "webinar",
    }  # fmt: skip
    assert cost_per_lead["events"] > cost_per_lead["paid_search"] > cost_per_lead["paid_social"]
    assert np.isfinite(cost_per_lead.dropna()).all()


def test_timing_is_realistic(checked):
    leads = _valid(checked, "leads")
    leads = leads[leads["created_at"] == leads["updated_at"]]
    leads = pd.DataFrame(
        {"lead_id": leads["lead_id"], "created": _parse_times(leads["created_at"])}
    )
    midpoint = leads["created"].min() + (leads["created"].max() - leads["created"].min()) / 2
    assert (leads["created"] > midpoint).sum() > (leads["created"] <= midpoint).sum()

    events = _valid(checked, "events")
    events = pd.DataFrame(
        {
            "lead_id": events["lead_id"],
            "event_type": events["event_type"],
            "occurred": _parse_times(events["occurred_at"]),
        }
    ).merge(leads, on="lead_id")
    assert ((events["occurred"] - events["created"]) <= pd.Timedelta(days=7)).mean() > 0.4
    old = events[events["created"] < END_TS - pd.Timedelta(days=90)]
    recently_active = old.loc[old["occurred"] > END_TS - pd.Timedelta(days=14), "lead_id"].nunique()
    assert recently_active >= 0.05 * old["lead_id"].nunique()

    assessments = _valid(checked, "sales_qualification")
    assessments = pd.DataFrame(
        {
            "lead_id": assessments["lead_id"],
            "verdict": assessments["verdict"],
            "assessed": _parse_times(assessments["assessed_at"]),
        }
    )
    demos = events[events["event_type"] == "demo_booked"].merge(assessments, on="lead_id")
    assert len(demos) > 10
    assert (demos["assessed"] > demos["occurred"]).all()  # sales looks after the demo

    opportunities = _valid(checked, "opportunities").drop_duplicates("opportunity_id")
    opportunities = pd.DataFrame(
        {
            "lead_id": opportunities["lead_id"],
            "opened": _parse_times(opportunities["created_at"]),
        }
    )
    accepted = assessments[assessments["verdict"] == "accepted"]
    from_sales = opportunities.merge(accepted, on="lead_id")
    assert (from_sales["opened"] > from_sales["assessed"]).all()
    assert len(from_sales) >= 0.6 * len(opportunities)


def test_chunked_run_stays_consistent(tmp_path, monkeypatch):
    """Chunks append to the same daily files; ids, quotas and copies must survive that."""
    from orchestration.sample_data import generator

    monkeypatch.setattr(generator, "CHUNK_SIZE", 400)
    manifest = _generate(tmp_path, 1_500, seed=11, broken_share=0.01)
    frames = {entity: _load(tmp_path, manifest, entity) for entity in ENTITY_COLUMNS}
    for entity, kinds in BROKEN_KINDS.items():
        rules = _rules(frames, entity)
        assert (rules.sum(axis=1) <= 1).all(), entity
        assert {k: int(rules[k].sum()) for k in kinds} == manifest["entities"][entity][
            "broken_rows"
        ]
    events = frames["events"][~_rules(frames, "events").any(axis=1)]
    leads = frames["leads"][~_rules(frames, "leads").any(axis=1)]
    assert events["event_id"].is_unique
    assert events["lead_id"].isin(set(leads["lead_id"])).all()
    assert leads["lead_id"].nunique() == 1_500
    truth = pq.read_table(tmp_path / TRUTH_PATH).to_pandas()
    assert truth["lead_id"].tolist() == sorted(set(leads["lead_id"]))
