"""The test suite. Run in parallel (pytest-xdist): each worker gets its own dbt output folder,
set here, before any module reads it, so that two workers never write one manifest."""

import os

if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["LEADQUAL_DBT_TARGET_PATH"] = f"target/{os.environ['PYTEST_XDIST_WORKER']}"
