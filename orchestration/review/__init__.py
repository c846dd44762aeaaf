"""The feedback loop: sales outcomes backtest the scoring rules and calibrate a candidate.

settings.py reads scoring/review.yml; calibrate.py turns the evidence the dbt review models
computed into a candidate rules file; report.py writes the HTML model review; assets.py runs the
steps as one Dagster asset (the quarterly ``model_review`` job, also ``leadqual review``).
"""
