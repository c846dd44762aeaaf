"""Synthetic landing data: a seeded, realistic lead funnel in the landing-contract layout."""

from orchestration.sample_data.generator import (
    BROKEN_KINDS,
    ENTITY_COLUMNS,
    MANIFEST_NAME,
    TRUTH_PATH,
    generate_landing,
)

__all__ = ["BROKEN_KINDS", "ENTITY_COLUMNS", "MANIFEST_NAME", "TRUTH_PATH", "generate_landing"]
