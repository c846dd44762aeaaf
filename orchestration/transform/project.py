"""The dbt project as Dagster sees it. Constructing it only reads dbt_project.yml."""

from pathlib import Path

from dagster_dbt import DbtProject
from dagster_dbt.dbt_project import DagsterDbtProjectPreparer

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR)


def prepare_dbt_project(only_in_dev: bool = False) -> None:
    """Write the manifest with ``dbt parse`` and the vars every run passes (scoring rules, review
    settings): dbt reuses a parsed project only while the vars stay the same, so the runs that
    follow skip a full parse. ``only_in_dev``: only under ``dagster dev`` (as prepare_if_dev)."""
    from orchestration.review.settings import ReviewSettingsError
    from orchestration.scoring.rules import ScoringRulesError
    from orchestration.transform.assets import scoring_vars

    try:
        args = ["parse", "--quiet", "--vars", scoring_vars()]
    except (ScoringRulesError, ReviewSettingsError):
        args = ["parse", "--quiet"]  # the runs report the invalid file; parsing needs no vars
    preparer = DagsterDbtProjectPreparer(prepare_project_cli_args=args)
    if only_in_dev:
        preparer.prepare_if_dev(dbt_project)
    else:
        preparer.prepare(dbt_project)
