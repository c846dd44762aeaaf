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
    result = _run(
        [str(BIN / "sqlfluff"), "lint", "models", "tests"], REPO_ROOT / "dbt_project", env
    )
    assert result.returncode == 0, result.stdout + result.stderr
