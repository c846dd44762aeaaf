"""ruff for Python and sqlfluff for the dbt models run with the test suite, and must stay green."""

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(args: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def test_ruff_check_is_clean():
    result = _run([str(BIN / "ruff"), "check", "."], REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean():
    result = _run([str(BIN / "ruff"), "format", "--check", "."], REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sqlfluff_is_clean(tmp_path):
    # The dbt templater compiles the project; point it at a throwaway warehouse.
    env = {**os.environ, "LEADQUAL_WAREHOUSE": str(tmp_path / "lint.duckdb")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["DBT_TARGET_PATH"] = str(tmp_path / "target")  # not the pipeline's dbt output folder
    result = _run(
        [str(BIN / "sqlfluff"), "lint", "models", "tests"], REPO_ROOT / "dbt_project", env
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compiled_models_transpile_to_snowflake_bigquery_and_trino(tmp_path):
    """The models are written to move: compiled for DuckDB, every model and test parses and
    generates for other warehouses with sqlglot, with nothing it cannot translate."""
    import sqlglot
    from sqlglot.errors import ErrorLevel

    env = {**os.environ, "LEADQUAL_WAREHOUSE": str(tmp_path / "compile.duckdb")}
    env["LEADQUAL_AS_OF_DATE"] = "2026-06-30"
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    target = tmp_path / "target"
    result = _run(
        [str(BIN / "leadqual"), "dbt", "compile", "--quiet", "--target-path", str(target)],
        REPO_ROOT,
        env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    compiled = sorted((target / "compiled" / "lead_qualification").rglob("*.sql"))
    assert len(compiled) > 100
    problems = []
    for path in compiled:
        for dialect in ("snowflake", "bigquery", "trino"):
            try:
                sqlglot.transpile(
                    path.read_text(encoding="utf-8"),
                    read="duckdb",
                    write=dialect,
                    error_level=ErrorLevel.RAISE,
                    unsupported_level=ErrorLevel.RAISE,
                )
            except sqlglot.errors.SqlglotError as error:
                problems.append(f"{path.name} -> {dialect}: {str(error).splitlines()[0]}")
    assert not problems, "\n".join(problems)
