"""Expectations several suites share, so a limit means the same thing on every table."""

from __future__ import annotations

from collections.abc import Mapping

import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd

# Deliberately simple: one @, something on both sides, a dot in the domain.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
COUNTRY_CODE_PATTERN = r"^[A-Za-z]{2}$"
STAGES = ("lead", "mql", "sql", "opportunity", "won", "lost", "nurture", "recycled", "disqualified")
FIT_GRADES = ("A", "B", "C", "D")
SCORE_COLUMNS = [
    "demographic_score",
    "firmographic_score",
    "behavioural_score",
    "timing_score",
    "fit_score",
    "engagement_score",
    "combined_score",
]

ROW_COUNT_COLUMN = "row_count"

ScoreBounds = Mapping[str, tuple[int | None, int | None]]


def scores_within(bounds: ScoreBounds, columns: list[str]) -> list[gxe.Expectation]:
    """Each score column between the lowest and highest value the scoring rules allow."""
    return [
        gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high)
        for column in columns
        for low, high in [bounds[column]]
        if low is not None or high is not None
    ]


def row_count_suite(name: str, allowed: tuple[int | None, int | None]) -> gx.ExpectationSuite:
    """A table's size, validated on one aggregate row (``row_count_frame``) rather than on the
    table's rows: a table validated in slices still has its limit checked against its whole size.
    """
    low, high = allowed
    return gx.ExpectationSuite(
        name=name,
        expectations=[
            gxe.ExpectColumnValuesToBeBetween(
                column=ROW_COUNT_COLUMN, min_value=low, max_value=high
            )
        ],
    )


def row_count_frame(rows: int) -> pd.DataFrame:
    return pd.DataFrame({ROW_COUNT_COLUMN: [rows]})


def valid_emails(min_share: float) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToMatchRegex(column="email", regex=EMAIL_PATTERN, mostly=min_share)
