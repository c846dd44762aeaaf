"""docs/benchmarks.md from the recorded benchmark results (benchmarks.json beside it)."""

from __future__ import annotations

from collections import defaultdict

# The targets of a 1,000,000-lead run, as (label, figure, limit).
TARGET_LEADS = 1_000_000
FLOOR_RATIO_TARGET = 3.0
MEMORY_TARGET_GIB = 3.0
INCREMENTAL_RATIO_TARGET = 0.25
STEPS_SHOWN = 12
MODELS_SHOWN = 10

INTRO = """# Benchmarks

Written by `leadqual benchmark` (orchestration/benchmark/); do not edit by hand. Rerun a size
with `leadqual benchmark --leads 1000000` (several sizes: `--leads 100000 1000000`).

For N generated leads (about 20 events each, 200 days of history) the command measures, each in
a child process whose whole process tree's resident memory is sampled every 0.1 s:

- **full**: the daily job (`leadqual run`: ingest, `dbt build`, quality gates, BI release,
  publishing) on a new warehouse with every day but the last;
- **incremental**: the last day's files arrive and the job runs again (the daily run);
- **floor**: `orchestration/benchmark/floor.sql`, one hand-written DuckDB script that reads the
  landing files and computes every lead's four scores, fit grade, combined score and current
  stage as of the last day, and nothing else (no history, contract checks, rejects, KPI marts,
  gates or publishing);
- **pandas**: `orchestration/benchmark/pandas_scoring.py`, the same scores in pandas.

Agreement: the share of the job's leads (marts.leads after the incremental run) for which the
floor and pandas give the same four scores, fit grade and combined score (and, for the floor,
stage). The floor's stage is evaluated on the last day only, so leads whose history decides their
stage (an MQL that decayed within its first 30 days, a recycle verdict followed by a new MQL
cycle, an SQL whose score met the threshold only before the assessment) differ; rows the job
rejects under the landing contract and the floor reads differ too.
"""


def _gib(size: int | None) -> str:
    return "failed" if size is None else f"{size / 2**30:.2f} GiB"


def _s(seconds: float | None) -> str:
    return "failed" if seconds is None else f"{seconds:,.1f} s"


def _x(ratio: float | None, suffix: str = "") -> str:
    return "failed" if ratio is None else f"{ratio:.1f}{suffix}"


def ratios(result: dict) -> dict[str, float]:
    floor = result["floor"]["process_seconds"]
    full = result["full"]["process_seconds"]
    pandas = result["pandas"]["process_seconds"]
    return {
        "job_to_floor": full / floor,
        "pandas_to_floor": None if pandas is None else pandas / floor,
        "incremental_to_full": result["incremental"]["process_seconds"] / full,
    }


def _share(figures: dict | None, key: str) -> str:
    if figures is None:
        return "not measured"
    return f"{100 * figures[key] / figures['job_leads']:.2f} %"


def _step_name(step: str) -> str:
    """A Dagster step key in the words of the job: ingest, quality gate, dbt build ..."""
    if step.endswith("_great_expectations"):
        return "quality gate " + step.removesuffix("_great_expectations").replace("__", ".")
    if step.startswith("raw__"):
        return "ingest " + step.removeprefix("raw__")
    return step.replace("__", ".")


def render(results: dict[str, dict]) -> str:
    ordered = sorted(results.values(), key=lambda result: result["leads"])
    sizes = [result for result in ordered if "failed" not in result]
    failed = [result for result in ordered if "failed" in result]
    machine = sizes[-1]["machine"] if sizes else {}
    lines = [INTRO]
    if machine:
        lines += [
            f"Machine: {machine['cpus']} cores, {machine['memory_gib']} GiB memory, Python "
            f"{machine['python']}, DuckDB {machine['duckdb']}, {machine['platform']}.",
            "",
        ]
    lines += [
        "## Summary",
        "",
        "| leads | events | full job | incremental | floor | pandas | full / floor "
        "| pandas / floor | incremental / full | peak memory (full) | peak (incr.) "
        "| peak (floor) | peak (pandas) |",
        "|" + "---:|" * 13,
    ]
    for result in sizes:
        r = ratios(result)
        lines.append(
            f"| {result['leads']:,} | {result['events']:,} "
            f"| {_s(result['full']['process_seconds'])} "
            f"| {_s(result['incremental']['process_seconds'])} "
            f"| {_s(result['floor']['process_seconds'])} "
            f"| {_s(result['pandas']['process_seconds'])} "
            f"| {r['job_to_floor']:.1f}x | {_x(r['pandas_to_floor'], 'x')} "
            f"| {100 * r['incremental_to_full']:.1f} % "
            f"| {_gib(result['full']['peak_rss_bytes'])} "
            f"| {_gib(result['incremental']['peak_rss_bytes'])} "
            f"| {_gib(result['floor']['peak_rss_bytes'])} "
            f"| {_gib(result['pandas']['peak_rss_bytes'])} |"
        )
    lines += ["", "## Growth", ""]
    if sizes:
        base = sizes[0]
        lines += [
            f"Each cost as a multiple of its cost at {base['leads']:,} leads: linear growth is "
            "the same multiple as the data.",
            "",
            "| leads | data x | full job x | per 1M events (full) | incremental x | floor x "
            "| pandas x |",
            "|" + "---:|" * 7,
        ]
        for result in sizes:
            scale = result["events"] / base["events"]
            cells = [
                _x(
                    None
                    if result[part]["process_seconds"] is None or not base[part]["process_seconds"]
                    else result[part]["process_seconds"] / base[part]["process_seconds"]
                )
                for part in ("full", "incremental", "floor", "pandas")
            ]
            per_million = result["full"]["process_seconds"] / (result["events"] / 1e6)
            lines.append(
                f"| {result['leads']:,} | {scale:.1f} | {cells[0]} | {_s(per_million)} "
                f"| {cells[1]} | {cells[2]} | {cells[3]} |"
            )
    if failed:
        lines += ["", "## Not completed", ""]
        for result in failed:
            failure = result["failed"]
            slowest = sorted(failure["dbt_models"].items(), key=lambda item: -item[1])[:4]
            setting = (
                f"{result['measured_at']}, DuckDB memory limit {result['duckdb_memory_limit']}, "
                f"code {result['code_version']}"
            )
            after = f" after {_s(failure['job_seconds'])}" if failure["job_seconds"] else ""
            done = ", ".join(f"{model} {_s(seconds)}" for model, seconds in slowest)
            full = result.get("full")
            completed = (
                f"; the full run before it completed in {_s(full['process_seconds'])} "
                f"(peak {_gib(full['peak_rss_bytes'])}, {full['checks_passed']} of "
                f"{full['checks']} checks passed)"
                if full
                else ""
            )
            lines.append(
                f"- {result['leads']:,} leads, {result['events']:,} events ({setting}): the "
                f"{failure['stage']} failed{after}: {failure['reason']}"
                + (f"; dbt models done by then: {done}" if done else "")
                + completed
            )
    target = results.get(str(TARGET_LEADS))
    if target is not None and "failed" in target:
        target = None
    lines += ["", f"## Targets at {TARGET_LEADS:,} leads", ""]
    if target is None:
        lines.append(f"Not measured yet: run `leadqual benchmark --leads {TARGET_LEADS}`.")
    else:
        r = ratios(target)
        memory = target["full"]["peak_rss_bytes"] / 2**30
        checks = [
            (
                f"full job within {FLOOR_RATIO_TARGET:g}x the floor",
                f"{r['job_to_floor']:.1f}x",
                r["job_to_floor"] <= FLOOR_RATIO_TARGET,
            ),
            (
                f"peak memory under {MEMORY_TARGET_GIB:g} GiB",
                f"{memory:.2f} GiB",
                memory < MEMORY_TARGET_GIB,
            ),
            (
                f"incremental run within {100 * INCREMENTAL_RATIO_TARGET:.0f} % of a full run",
                f"{100 * r['incremental_to_full']:.1f} %",
                r["incremental_to_full"] <= INCREMENTAL_RATIO_TARGET,
            ),
        ]
        lines += ["| target | measured | met |", "|---|---:|---|"]
        for label, value, met in checks:
            lines.append(f"| {label} | {value} | {'yes' if met else 'no'} |")
    for result in sizes:
        lines += _size_section(result)
    return "\n".join(lines) + "\n"


def _size_section(result: dict) -> list[str]:
    agreement = result["agreement"]
    lines = [
        "",
        f"## {result['leads']:,} leads, {result['events']:,} events",
        "",
        f"Measured {result['measured_at']}, as of {result['as_of']}, seed {result['seed']}, "
        f"DuckDB memory limit {result.get('duckdb_memory_limit', 'default')}, code "
        f"{result.get('code_version', 'unknown')}. "
        f"Quality gates: {result['full']['checks_passed']} of {result['full']['checks']} checks "
        f"passed (full), {result['incremental']['checks_passed']} of "
        f"{result['incremental']['checks']} (incremental; {result['incremental']['files_added']} "
        "new files).",
        "",
        f"Agreement with the job's {agreement['floor']['job_leads']:,} leads: floor scores "
        f"{_share(agreement['floor'], 'same_scores')}, floor stage "
        f"{_share(agreement['floor'], 'same_stage')}, pandas scores "
        f"{_share(agreement.get('pandas'), 'same_scores')}.",
        "",
        "| step | full | incremental |",
        "|---|---:|---:|",
    ]
    grouped: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for column, part in enumerate(("full", "incremental")):
        for step, seconds in result[part]["steps"].items():
            grouped[_step_name(step)][column] += seconds
    ordered = sorted(grouped.items(), key=lambda item: -item[1][0])
    for step, (full, incremental) in ordered[:STEPS_SHOWN]:
        lines.append(f"| {step} | {_s(full)} | {_s(incremental)} |")
    rest = ordered[STEPS_SHOWN:]
    if rest:
        lines.append(
            f"| {len(rest)} other steps | {_s(sum(v[0] for _, v in rest))} "
            f"| {_s(sum(v[1] for _, v in rest))} |"
        )
    lines.append(
        f"| **job (in process)** | {_s(result['full']['wall_seconds'])} "
        f"| {_s(result['incremental']['wall_seconds'])} |"
    )
    lines.append(
        f"| **whole process** (start-up, imports, dbt parse) "
        f"| {_s(result['full']['process_seconds'])} "
        f"| {_s(result['incremental']['process_seconds'])} |"
    )
    models = sorted(result["full"]["dbt_models"].items(), key=lambda item: -item[1])
    incremental_models = result["incremental"]["dbt_models"]
    lines += ["", "Slowest dbt models (inside the dbt build step):", ""]
    lines += ["| model | full | incremental |", "|---|---:|---:|"]
    for model, seconds in models[:MODELS_SHOWN]:
        lines.append(f"| {model} | {_s(seconds)} | {_s(incremental_models.get(model, 0.0))} |")
    return lines
