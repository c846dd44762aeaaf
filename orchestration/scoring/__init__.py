"""Scoring rules as validated configuration: ``dbt_project/scoring/rules.yml`` is loaded and
checked here (structure and every SQL condition) before it reaches dbt as the ``scoring`` var,
and rendered as the shared definitions page for sales and marketing (``page``)."""

from typing import Any

from orchestration.scoring.rules import (
    DEFAULT_RULES_PATH,
    RULES_PATH_ENV,
    CustomAttribute,
    ScoringConfig,
    ScoringRule,
    ScoringRulesError,
    Thresholds,
    load_scoring_config,
    rules_path,
)

__all__ = [
    "DEFAULT_RULES_PATH",
    "RULES_PATH_ENV",
    "CustomAttribute",
    "ScoringConfig",
    "ScoringRule",
    "ScoringRulesError",
    "Thresholds",
    "load_scoring_config",
    "render_definitions_page",
    "rules_path",
]


def __getattr__(name: str) -> Any:
    # Imported on first use, so that `python -m orchestration.scoring.page` does not find the
    # module already imported by its own package.
    if name == "render_definitions_page":
        from orchestration.scoring.page import render_definitions_page

        return render_definitions_page
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
