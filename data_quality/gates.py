"""The quality gate limits (data_quality/gates.yml), read and checked before any suite runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_GATES_FILE = Path(__file__).with_name("gates.yml")
DATA_DOCS_MAX_DAYS = 3650


class GateSettingsError(ValueError):
    """The gates file is unreadable or holds an unknown key or an invalid value."""


@dataclass(frozen=True)
class RowCountChange:
    min_ratio: float
    max_ratio: float
    min_previous_rows: int = 0

    def bounds(self, previous_rows: int | None) -> tuple[int, int] | None:
        """Allowed row counts given the previous run's, or None when there is nothing to compare."""
        if previous_rows is None or previous_rows < max(self.min_previous_rows, 1):
            return None
        return int(previous_rows * self.min_ratio), int(previous_rows * self.max_ratio + 0.5)


@dataclass(frozen=True)
class GateSettings:
    max_reject_share: float = 0.05
    min_valid_email_share: float = 0.99
    max_event_age_hours: float = 72
    data_docs_days_kept: float = 14
    row_count_change: dict[str, RowCountChange] = field(default_factory=dict)


def load_gate_settings(path: Path = DEFAULT_GATES_FILE) -> GateSettings:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise GateSettingsError(f"{path}: cannot read the quality gates: {error}") from None
    if not isinstance(raw, dict):
        raise GateSettingsError(f"{path}: expected a mapping of settings")
    problems: list[str] = []
    defaults = GateSettings()
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "row_count_change":
            values[key] = _row_count_changes(value, problems)
        elif key in ("max_reject_share", "min_valid_email_share"):
            values[key] = _number(key, value, problems, upper=1)
        elif key == "max_event_age_hours":
            values[key] = _number(key, value, problems)
        elif key == "data_docs_days_kept":
            # Less than a day would let one gate delete the results of the gates before it.
            values[key] = _number(key, value, problems, lower=1, upper=DATA_DOCS_MAX_DAYS)
        else:
            problems.append(f"unknown key {key!r}")
    if problems:
        raise GateSettingsError(f"{path}: " + "; ".join(problems))
    return GateSettings(**{**defaults.__dict__, **values})


def _number(
    key: str, value: Any, problems: list[str], upper: float | None = None, lower: float = 0
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < lower:
        problems.append(f"{key} must be a number >= {lower}, got {value!r}")
        return float(lower)
    if upper is not None and value > upper:
        problems.append(f"{key} must be at most {upper}, got {value!r}")
    return float(value)


def _row_count_changes(value: Any, problems: list[str]) -> dict[str, RowCountChange]:
    if not isinstance(value, dict):
        problems.append("row_count_change must map table names to limits")
        return {}
    changes = {}
    for table, limits in value.items():
        if not isinstance(limits, dict) or set(limits) - {
            "min_ratio",
            "max_ratio",
            "min_previous_rows",
        }:
            problems.append(
                f"row_count_change.{table} takes min_ratio, max_ratio and min_previous_rows"
            )
            continue
        low = _number(f"row_count_change.{table}.min_ratio", limits.get("min_ratio", 0), problems)
        high = _number(
            f"row_count_change.{table}.max_ratio", limits.get("max_ratio", float("inf")), problems
        )
        if low > high:
            problems.append(f"row_count_change.{table}: min_ratio is above max_ratio")
        minimum = limits.get("min_previous_rows", 0)
        if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 0:
            problems.append(f"row_count_change.{table}.min_previous_rows must be a whole number")
            minimum = 0
        changes[str(table)] = RowCountChange(low, high, minimum)
    return changes
