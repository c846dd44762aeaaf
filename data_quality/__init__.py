"""Quality gates: Great Expectations 1.x suites that Dagster runs as blocking asset checks.

This package knows nothing of Dagster: ``suites/`` builds one ExpectationSuite per gated table,
``validate.py`` runs a suite on a bounded pandas frame and summarises the result.
"""
