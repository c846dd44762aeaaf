"""How evidence becomes a candidate rules file, and the review settings, without a warehouse."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orchestration.review.calibrate import draft_candidate, match_thresholds, render_candidate
from orchestration.review.settings import ReviewSettingsError, load_review_settings
from orchestration.scoring.rules import DEFAULT_RULES_PATH, load_scoring_config

SETTINGS = load_review_settings()


def _rule_evidence(live, **overrides) -> pd.DataFrame:
    """Evidence for every live rule: supported, its points unchanged, unless overridden."""
    rows = []
    for rule in live.rules:
        suggested, supported, cycles = overrides.get(rule.id, (rule.points, True, 500))
        rows.append(
            {
                "rule_id": rule.id,
                "cycles_with": cycles,
                "conversion_rate_with": 0.1,
                "conversion_rate_without": 0.05,
                "is_supported": supported,
                "suggested_points": suggested if supported else np.nan,
            }
        )
    return pd.DataFrame(rows)


def _attribute_evidence(rows: list[dict]) -> pd.DataFrame:
    base = {
        "attribute_entity": "lead",
        "attribute_kind": "categorical",
        "value_kind": "value",
        "value_text": None,
        "lower_bound": np.nan,
        "upper_bound": np.nan,
        "cycles": 200,
        "conversion_rate": 0.12,
        "is_supported": True,
    }
    columns = ["attribute", *base, "suggested_points"]
    return pd.DataFrame([{**base, **row} for row in rows], columns=columns)


def _written(tmp_path: Path, candidate) -> Path:
    path = tmp_path / "candidate.yml"
    text = render_candidate(
        candidate,
        live_path=str(DEFAULT_RULES_PATH),
        as_of=pd.Timestamp("2026-06-30").date(),
        training_cycles=1000,
        conversion_rate=0.06,
        settings=SETTINGS,
    )
    path.write_text(text, encoding="utf-8")
    return path


def test_evidence_becomes_a_valid_rules_file(tmp_path):
    live = load_scoring_config(DEFAULT_RULES_PATH)
    rules = _rule_evidence(
        live,
        demo_booked=(31, True, 400),  # recalibrated
        free_mail_domain=(4, True, 300),  # the sign flips: leaves the negative section
        company_size_fit=(-6, True, 900),  # the sign flips: joins the negative section
        trial_started=(None, False, 12),  # too rare: keeps its points
        webinar_attended=(0, True, 800),  # no effect: left out
    )
    attributes = _attribute_evidence(
        [
            {"attribute": "source", "value_text": "referral", "suggested_points": 8},
            {
                "attribute": "lead_attribute__lead_origin",
                "value_text": "O'Brien form",
                "suggested_points": -5,
            },
            {
                "attribute": "lead_attribute__total_visits",
                "attribute_kind": "numeric",
                "value_kind": "range",
                "lower_bound": 3.0,
                "upper_bound": 6.5,
                "suggested_points": 4,
            },
            {
                "attribute": "lead_attribute__total_visits",
                "attribute_kind": "numeric",
                "value_kind": "missing",
                "suggested_points": -3,
            },
            {
                "attribute": "annual_revenue",
                "attribute_entity": "account",
                "attribute_kind": "numeric",
                "value_kind": "range",
                "lower_bound": 1.2e8,
                "suggested_points": 2,
            },
            # A column a live rule names already: its rule carries the evidence.
            {"attribute": "industry", "value_text": "software", "suggested_points": 9},
            {
                "attribute": "source",
                "value_text": "rare",
                "suggested_points": 30,
                "is_supported": False,
            },
        ]
    )
    candidate = draft_candidate(live, rules, attributes, SETTINGS)
    config = load_scoring_config(_written(tmp_path, candidate))
    by_id = {rule.id: rule for rule in config.rules}

    demo = by_id["demo_booked"]
    assert (demo.points, demo.cap, demo.lookback_days) == (31, 31, 60)  # cap scales with points
    assert (
        by_id["free_mail_domain"].section == "demographic" and by_id["free_mail_domain"].points == 4
    )
    size = by_id["company_size_fit"]
    assert size.section == "negative" and size.dimension == "demographic"
    assert size.allow_negative_total
    assert by_id["trial_started"].points == 20  # kept
    assert "webinar_attended" not in by_id
    assert by_id["source_referral"].condition == "source = 'referral'"
    origin = by_id["lead_origin_o_brien_form"]
    assert origin.points == -5 and "'O''Brien form'" in origin.source_condition
    visits = by_id["total_visits_3_to_under_6_5"]
    assert visits.source_condition == (
        "try_cast(lead_attribute__total_visits as double) >= 3 and "
        "try_cast(lead_attribute__total_visits as double) < 6.5"
    )
    assert by_id["total_visits_missing"].points == -3
    assert by_id["annual_revenue_120000000_or_more"].dimension == "firmographic"
    assert not any(
        "software" in rule.source_condition and rule.id != "target_industry"
        for rule in config.rules
    )
    assert not any("'rare'" in rule.source_condition for rule in config.rules)
    # Engagement stays a 0-100 score.
    assert config.dimension_caps["behavioural"] + config.dimension_caps["timing"] <= 100


def test_unusable_evidence_is_noted_and_left_out_not_a_failed_review(tmp_path):
    live = load_scoring_config(DEFAULT_RULES_PATH)
    zero = next(rule for rule in live.rules if rule.id == "webinar_attended")
    live = dataclasses.replace(
        live,
        rules=tuple(dataclasses.replace(r, points=0) if r is zero else r for r in live.rules),
    )
    attributes = _attribute_evidence(
        [
            # A header "Lead Origin" lands as this name: no rule can name it.
            {
                "attribute": "lead_attribute__lead origin",
                "value_text": "web",
                "suggested_points": 9,
            },
            # Slugs to firmographic_cap, the ledger's own entry for the dimension's cap.
            {
                "attribute": "account_attribute__firmographic",
                "attribute_entity": "account",
                "value_text": "cap",
                "suggested_points": 5,
            },
        ]
    )

    candidate = draft_candidate(live, _rule_evidence(live), attributes, SETTINGS)

    notes = {(c["rule_id"], c["attribute"]): c["note"] for c in candidate.changes}
    assert notes[("webinar_attended", None)] == "kept (0 points live)"
    assert notes[(None, "lead_attribute__lead origin")].startswith(
        "left out: no rule can name 'lead_attribute__lead origin'"
    )
    ids = {rule.id for rule in candidate.rules}
    assert "firmographic_cap" not in ids and "firmographic_cap_2" in ids
    assert not any("lead origin" in rule.condition for rule in candidate.rules)
    load_scoring_config(_written(tmp_path, candidate))  # the file stays valid


def test_engagement_caps_never_cut_a_single_calibrated_rule():
    live = load_scoring_config(DEFAULT_RULES_PATH)
    evidence = _rule_evidence(live, active_last_7_days=(21, True, 900))

    candidate = draft_candidate(live, evidence, _attribute_evidence([]), SETTINGS)

    caps = candidate.dimension_caps
    assert caps["behavioural"] + caps["timing"] == 100
    for rule in candidate.rules:
        if rule.dimension in ("behavioural", "timing") and rule.points > 0:
            gives = rule.cap if rule.cap is not None else rule.points
            assert gives <= caps[rule.dimension], rule.id


def test_thresholds_keep_the_live_shares_of_grades_and_mqls():
    live = load_scoring_config(DEFAULT_RULES_PATH)
    candidate = draft_candidate(live, _rule_evidence(live), _attribute_evidence([]), SETTINGS)
    rng = np.random.default_rng(3)
    n = 1000
    live_scores = pd.DataFrame(
        {
            "fit_grade": rng.choice(list("ABCD"), n, p=[0.1, 0.2, 0.3, 0.4]),
            "meets_mql_thresholds": rng.random(n) < 0.25,
            "meets_sql_threshold": rng.random(n) < 0.15,
            "was_assessed": rng.random(n) < 0.2,
        }
    )
    fit = rng.integers(0, 60, n)
    candidate_scores = pd.DataFrame(
        {"fit_score": fit, "combined_score": fit + rng.integers(0, 80, n)}
    )
    matched = match_thresholds(candidate, live_scores, candidate_scores)
    grades = matched.fit_grades
    assert grades["A"] > grades["B"] > grades["C"] >= 0
    assert (fit >= grades["A"]).mean() == pytest.approx(0.1, abs=0.03)
    assert (fit >= grades["C"]).mean() == pytest.approx(0.6, abs=0.03)
    mql = (fit >= grades["C"]) & (
        candidate_scores["combined_score"] >= matched.thresholds["mql_min_combined_score"]
    )
    assert mql.mean() == pytest.approx(live_scores["meets_mql_thresholds"].mean(), abs=0.03)
    sql = candidate_scores["combined_score"] >= matched.thresholds["sql_min_combined_score"]
    assert sql.mean() == pytest.approx(live_scores["meets_sql_threshold"].mean(), abs=0.03)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"target": "revenue"}, "target must be one of opportunity, won"),
        ({"holdout_percent": 95}, "holdout_percent must be between 1 and 90"),
        ({"decision_horizon": 14}, "unknown key 'decision_horizon'"),
        ({"calibration": {"min_support": 30}}, "missing key calibration.smoothing_cycles"),
    ],
)
def test_review_settings_are_checked(tmp_path, change, message):
    import yaml

    document = yaml.safe_load(Path(SETTINGS_FILE).read_text(encoding="utf-8"))
    document.update(change)
    path = tmp_path / "review.yml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(ReviewSettingsError, match=message):
        load_review_settings(path)


SETTINGS_FILE = DEFAULT_RULES_PATH.with_name("review.yml")
