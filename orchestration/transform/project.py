"""The dbt project as Dagster sees it. Constructing it only reads dbt_project.yml."""

import hashlib
import os
import re
import shutil
from pathlib import Path

from dagster_dbt import DbtProject
from dagster_dbt.dbt_project import DagsterDbtProjectPreparer

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
# What dbt writes, not what it reads.
GENERATED_DIRS = {"target", "logs", "dbt_packages"}

# dbt's output folder (manifest, parsed project, run results), relative to dbt_project/: one
# per process that runs dbt at the same time as another (the test suite's parallel workers).
TARGET_PATH_ENV = "LEADQUAL_DBT_TARGET_PATH"

dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR, target_path=os.environ.get(TARGET_PATH_ENV) or "target"
)

# The folder dagster-dbt gives each dbt command in the target folder: "<op>-<run>-<id>", or
# "<id>" for a command without a run context.
INVOCATION_DIR = re.compile(r"^(?:[a-z0-9_]+-[0-9a-f]{7}-)?[0-9a-f]{7}$")
KEPT_INVOCATIONS = 10


def prune_dbt_invocations(target: Path | None = None, keep: int = KEPT_INVOCATIONS) -> None:
    """Delete all but the latest ``keep`` of those folders: dagster-dbt never deletes them, and
    each holds a manifest, logs and compiled SQL (about 5 to 9 MB; 1.4 GB a day with the
    new-files sensor on)."""
    target = target or dbt_project.project_dir / dbt_project.target_path
    if not target.is_dir():
        return
    folders = sorted(
        (path for path in target.iterdir() if path.is_dir() and INVOCATION_DIR.match(path.name)),
        key=lambda path: path.stat().st_mtime,
        reverse=True,
    )
    for folder in folders[keep:]:
        shutil.rmtree(folder, ignore_errors=True)


def prepare_dbt_project(only_in_dev: bool = False) -> None:
    """Write the manifest with ``dbt parse`` and the vars every run passes (scoring rules, review
    settings): dbt reuses a parsed project only while the vars stay the same, so the runs that
    follow skip a full parse. Skipped when the manifest was written from the same project files
    and vars (a parse costs about 10 s; the environment variables the project reads, such as the
    warehouse path, change no node of the manifest). ``only_in_dev``: only under ``dagster dev``
    (as prepare_if_dev)."""
    if only_in_dev and not DagsterDbtProjectPreparer().using_dagster_dev():
        return
    from orchestration.review.settings import ReviewSettingsError
    from orchestration.scoring.rules import ScoringRulesError
    from orchestration.transform.assets import scoring_vars

    try:
        args = ["parse", "--quiet", "--vars", scoring_vars()]
    except (ScoringRulesError, ReviewSettingsError):
        args = ["parse", "--quiet"]  # the runs report the invalid file; parsing needs no vars
    marker = dbt_project.manifest_path.with_name("leadqual_parsed_from.sha256")
    fingerprint = _fingerprint(args)
    current = marker.read_text(encoding="utf-8") if marker.exists() else None
    if dbt_project.manifest_path.exists() and current == fingerprint:
        return
    DagsterDbtProjectPreparer(prepare_project_cli_args=args).prepare(dbt_project)
    marker.write_text(fingerprint, encoding="utf-8")


def _fingerprint(args: list[str]) -> str:
    digest = hashlib.sha256("\0".join(args).encode())
    for path in sorted(DBT_PROJECT_DIR.rglob("*")):
        relative = path.relative_to(DBT_PROJECT_DIR)
        if path.is_file() and relative.parts[0] not in GENERATED_DIRS:
            digest.update(f"\0{relative}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()
