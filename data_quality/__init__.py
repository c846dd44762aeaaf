"""Quality gates: Great Expectations 1.x suites that Dagster runs as blocking asset checks.

This package knows nothing of Dagster. The suites are not written yet; until they are, the dbt
tests (asset checks on the dbt models) are the only gates.
"""
