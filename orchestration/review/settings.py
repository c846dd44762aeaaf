"""The model review settings (dbt_project/scoring/review.yml), read and checked before dbt runs."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_REVIEW_SETTINGS = (
    Path(__file__).resolve().parents[2] / "dbt_project" / "scoring" / "review.yml"
)
REVIEW_SETTINGS_ENV = "LEADQUAL_REVIEW_SETTINGS"
TARGETS = ("opportunity", "won")


class ReviewSettingsError(ValueError):
    """The review settings file is unreadable or holds an unknown key or an invalid value."""


@dataclass(frozen=True)
class CalibrationSettings:
    min_support: int
    smoothing_cycles: float
    points_per_log_odds: float
    numeric_bins: int
    max_values_per_attribute: int


@dataclass(frozen=True)
class ReviewSettings:
    target: str
    decision_horizon_days: int
    outcome_window_days: int
    holdout_percent: int
    weekly_sales_capacity: int | None
    calibration: CalibrationSettings

    def to_dbt_var(self) -> dict[str, Any]:
        return asdict(self)


# key: (type, minimum, maximum); None bounds are open.
_TOP_LEVEL = {
    "target": (str, None, None),
    "decision_horizon_days": (int, 0, 365),
    "outcome_window_days": (int, 1, 3650),
    "holdout_percent": (int, 1, 90),
    "weekly_sales_capacity": (int, 1, None),
}
_CALIBRATION = {
    "min_support": (int, 1, None),
    "smoothing_cycles": (float, 0, None),
    "points_per_log_odds": (float, 0.1, 1000),
    "numeric_bins": (int, 2, 20),
    "max_values_per_attribute": (int, 1, 100),
}


def review_settings_path() -> Path:
    configured = os.environ.get(REVIEW_SETTINGS_ENV)
    return Path(configured).expanduser() if configured else DEFAULT_REVIEW_SETTINGS


def load_review_settings(path: Path | None = None) -> ReviewSettings:
    """Read and validate the review settings; every problem is reported at once."""
    path = Path(path) if path is not None else review_settings_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ReviewSettingsError(f"{path}: cannot read the review settings: {error}") from None
    if not isinstance(raw, dict):
        raise ReviewSettingsError(f"{path}: expected a mapping of settings")
    problems: list[str] = []
    top = _checked(raw, {**_TOP_LEVEL, "calibration": (dict, None, None)}, "", problems)
    calibration = _checked(top.get("calibration") or {}, _CALIBRATION, "calibration.", problems)
    if "target" in top and top["target"] not in TARGETS:
        problems.append(f"target must be one of {', '.join(TARGETS)}, not {top['target']!r}")
    if problems:
        raise ReviewSettingsError(f"{path}: " + "; ".join(problems))
    top["calibration"] = CalibrationSettings(**calibration)
    return ReviewSettings(**top)


def _checked(raw: dict, spec: dict, prefix: str, problems: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in raw:
        if key not in spec:
            problems.append(f"unknown key {prefix}{key!r}")
    for key, (kind, low, high) in spec.items():
        if key not in raw:
            problems.append(f"missing key {prefix}{key}")
            continue
        value = raw[key]
        if value is None and key == "weekly_sales_capacity":
            values[key] = None
            continue
        numeric = kind in (int, float) and isinstance(value, int | float)
        if isinstance(value, bool) or not (isinstance(value, kind) or (kind is float and numeric)):
            problems.append(f"{prefix}{key} must be a {kind.__name__}, not {value!r}")
            continue
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"at least {low}" if high is None else f"between {low} and {high}"
            problems.append(f"{prefix}{key} must be {bounds}, not {value!r}")
            continue
        values[key] = value
    return values
