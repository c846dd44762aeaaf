"""The quality gates on real runs: on clean data every gate passes and the run publishes; for
each kind of gate failure nothing is published, what BI and sales read stays byte-identical, the
run names the failed check with its failing examples and an alert is written."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import great_expectations as gx
import pytest
from great_expectations.core.run_identifier import RunIdentifier

from data_quality.validate import prune_results
from orchestration.cli import execute_daily_job, main
from orchestration.definitions import build_definitions
from orchestration.ingest.contract import ENTITIES
from orchestration.quality import checks
from orchestration.quality.checks import GATE_CHECK_NAME
from orchestration.resources import AS_OF_DATE_ENV, QUALITY_GATES_ENV
from orchestration.serving.assets import BI_RELEASE_KEY
from tests import hand_built
from tests.conftest import END_DATE

GATED_ASSETS = {
    *(f"raw/{entity}" for entity in ENTITIES),
    "staging/stg_landing__leads",
    "staging/stg_landing__events",
    "marts/leads",
    "marts/lead_score_snapshots",
    "marts/lead_stage_history",
    "marts/sql_publish_list",
}
PUBLISH_STEP = "serving__bi_release"


def _tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


class Published:
    """What BI and sales read, captured before a run, to compare after it."""

    def __init__(self, run):
        self.serving = run.warehouse.parent / "serving"
        self.alerts = run.warehouse.parent / "quality" / "alerts.jsonl"
        self.current = (self.serving / "current").resolve()
        self.digest = _tree_digest(self.current)

    def assert_unchanged(self, result) -> None:
        started = {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}
        assert PUBLISH_STEP not in started
        assert (self.serving / "current").resolve() == self.current
        assert _tree_digest(self.current) == self.digest

    def alerts_of(self, result) -> list[dict]:
        lines = self.alerts.read_text().splitlines() if self.alerts.exists() else []
        return [record for line in lines if (record := json.loads(line))["run_id"] == result.run_id]


def _failed_check(result, asset: str, check: str = GATE_CHECK_NAME):
    evaluations = [
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_key.to_user_string() == asset and e.check_name == check
    ]
    assert evaluations, f"check {check} on {asset} did not run"
    assert not evaluations[0].passed, f"check {check} on {asset} passed"
    return evaluations[0].metadata["failing_examples"].value


# -- clean data ----------------------------------------------------------------------------------


def test_every_gate_passes_on_the_sample_data_and_the_run_publishes(pipeline):
    gates = {
        e.asset_key.to_user_string(): e
        for e in pipeline.result.get_asset_check_evaluations()
        if e.check_name == GATE_CHECK_NAME
    }
    assert set(gates) == GATED_ASSETS
    for asset, evaluation in gates.items():
        assert evaluation.passed, (asset, evaluation.metadata["failing_examples"].value)
        assert evaluation.metadata["rows_validated"].value > 0, asset
    publish = pipeline.result.get_asset_materialization_events()
    assert BI_RELEASE_KEY in {event.asset_key for event in publish}
    current = pipeline.warehouse.parent / "serving" / "current"
    assert (current / "sql_publish_list.parquet").is_file()


def test_data_docs_hold_every_suite_of_the_run(pipeline):
    quality = pipeline.warehouse.parent / "quality"
    index = quality / "data_docs" / "index.html"
    assert index.is_file()
    pages = {path.parts[-4] for path in (quality / "data_docs" / "validations").rglob("*.html")}
    run_pages = list((quality / "data_docs" / "validations").glob(f"*/{pipeline.result.run_id}"))
    expected = {
        *(f"raw_{entity}" for entity in ENTITIES),
        "load_rejects",
        "staged_leads",
        "staged_events",
        "event_freshness",
        "leads_mart",
        "score_snapshots",
        "score_snapshots_row_count",  # the sizes against a last good run start on the second run
        "stage_history",
        "publish_list",
    }
    assert pages == expected
    assert len(run_pages) == len(expected)
    # Each gate renders the index once, after its last page: it still links every page.
    listed = index.read_text()
    for page in (quality / "data_docs" / "validations").rglob("*.html"):
        assert page.relative_to(index.parent).as_posix() in listed, page


def test_dbt_error_tests_are_blocking_checks_and_warn_tests_are_not():
    graph = build_definitions().resolve_asset_graph()
    specs = {
        (key.asset_key.to_user_string(), key.name): graph.get_check_spec(key)
        for key in graph.asset_check_keys
    }
    assert specs[("staging/stg_landing__events", "unique_stg_landing__events_event_id")].blocking
    warn_only = [
        spec
        for (asset, name), spec in specs.items()
        if asset == "staging/stg_landing__leads" and name.startswith("relationships_")
    ]
    assert len(warn_only) == 1 and not warn_only[0].blocking
    assert all(specs[(asset, GATE_CHECK_NAME)].blocking for asset in GATED_ASSETS)


# -- a failed gate in a full daily run -----------------------------------------------------------


def _invalid_emails(run, monkeypatch, tmp_path):
    rows = "".join(f"B-{n},2026-06-30T08:00:00Z,not-an-email-{n}\n" for n in range(20))
    (run.landing / "leads" / "zz_bad_emails.csv").write_text("lead_id,created_at,email\n" + rows)
    return "raw/leads", GATE_CHECK_NAME, "B-0: email=not-an-email-0"


def _mostly_broken_export(run, monkeypatch, tmp_path):
    # Every row names an event type outside the contract: all quarantined, none loaded.
    rows = "".join(f"X-{n},L0000001,fax_sent,2026-06-30T08:00:00Z,,\n" for n in range(40))
    header = "event_id,lead_id,event_type,occurred_at,page_url,properties\n"
    (run.landing / "events" / "zz_broken_export.csv").write_text(header + rows)
    return "raw/events", GATE_CHECK_NAME, "events: reject_share=1.0"


def _unreadable_file(run, monkeypatch, tmp_path):
    # A whole export lost: the file cannot be read, so no row of it counts in the reject share.
    (run.landing / "leads" / "zz_truncated.parquet").write_bytes(b"PAR1 this is not parquet")
    return "raw/leads", GATE_CHECK_NAME, "leads: unreadable_files=1"


def _sql_without_owner_or_territory(run, monkeypatch, tmp_path):
    # The hand-built lead (combined score 133 without the US geography points) is accepted by
    # sales with nobody named, and its account moved to a country without a territory.
    (run.landing / "accounts" / "zz_moved.csv").write_text(
        "account_id,company_name,industry,employee_count,country,founded_year,budget,"
        "growth_rate,tech_stack,updated_at\n"
        "HA-0001,Hand Built Inc,Software,200,ZZ,2015,80000,0.3,Snowflake; Excel,"
        "2026-06-29T00:00:00Z\n"
    )
    (run.landing / "sales_qualification" / "zz_unassigned.csv").write_text(
        "lead_id,assessed_at,framework,budget,authority,need,timeline,verdict,reason,assessed_by\n"
        f"{hand_built.LEAD_ID},2026-06-30T10:00:00Z,bant,true,true,true,true,accepted,demo,\n"
    )
    return "marts/sql_publish_list", GATE_CHECK_NAME, f"{hand_built.LEAD_ID}: sales_owner=null"


def _events_duplicated_in_raw(run, monkeypatch, tmp_path):
    # A hand-run backfill bypassed ingest and loaded two events twice: the dbt test on the
    # staged events (error severity) fails inside dbt build.
    with duckdb.connect(str(run.warehouse)) as con:
        con.execute("insert into raw.events select * from raw.events where event_id = 'HE-1'")
    return "staging/stg_landing__events", "unique_stg_landing__events_event_id", "HE-1"


FAULTS = {
    "invalid e-mails (raw suite)": _invalid_emails,
    "mostly broken export (reject share)": _mostly_broken_export,
    "unreadable file (load_rejects)": _unreadable_file,
    "SQL without owner or territory (publish list)": _sql_without_owner_or_territory,
    "duplicated events (dbt error test)": _events_duplicated_in_raw,
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_failed_gate_publishes_nothing_names_its_examples_and_alerts(
    fault, pipeline_copy, monkeypatch, tmp_path
):
    published = Published(pipeline_copy)
    asset, check, example = FAULTS[fault](pipeline_copy, monkeypatch, tmp_path)

    result = execute_daily_job()

    assert not result.success
    failures = _failed_check(result, asset, check)
    assert failures and all(
        failure["examples"] or failure["observed_value"] for failure in failures
    )
    if example is not None:
        examples = [e for failure in failures for e in failure["examples"]]
        assert any(example in e for e in examples), examples
    published.assert_unchanged(result)
    alerts = published.alerts_of(result)
    assert alerts, "no alert was written"
    assert any(f"check {check} on {asset} failed" in line for a in alerts for line in a["details"])


def test_a_failed_raw_load_is_judged_again_by_the_next_run(pipeline_copy, tmp_path):
    published = Published(pipeline_copy)
    _mostly_broken_export(pipeline_copy, None, tmp_path)
    failed = execute_daily_job()
    assert not failed.success

    # The next run loads nothing new: its own rows alone would pass and publish the broken load.
    again = execute_daily_job()

    assert not again.success
    _failed_check(again, "raw/events")
    (evaluation,) = [
        e
        for e in again.get_asset_check_evaluations()
        if e.asset_key.to_user_string() == "raw/events"
    ]
    assert failed.run_id in evaluation.metadata["loads_judged"].value
    published.assert_unchanged(again)
    # Accepting a load by hand is tested on the gate itself (test_quality_suites).


# -- a table that came out wrong: the gate between it and publishing -----------------------------


def _gate_then_publish(
    asset: str, instance: dg.DagsterInstance | None = None
) -> dg.ExecuteInProcessResult:
    """Run only the gate of ``asset`` and the publish step after it, on the warehouse as is."""
    build_definitions.cache_clear()  # resources read this test's environment
    check = dg.AssetCheckKey(dg.AssetKey(asset.split("/")), GATE_CHECK_NAME)
    job = dg.define_asset_job(
        "gate_then_publish",
        selection=dg.AssetSelection.checks(check) | dg.AssetSelection.assets(BI_RELEASE_KEY),
    )
    defs = dg.Definitions.merge(build_definitions(), dg.Definitions(jobs=[job]))
    return defs.resolve_job_def("gate_then_publish").execute_in_process(
        raise_on_error=False, instance=instance
    )


def _first_sql(con) -> str:
    return con.execute("select min(lead_id) from marts.sql_publish_list").fetchone()[0]


def _privacy_request(con, request_type: str, lead_id: str | None, email: str | None) -> None:
    con.execute(
        "insert into raw.privacy_requests (request_type, requested_at, lead_id, email, "
        "_source_file, _row_number, _file_seq, _load_id, _loaded_at) "
        "values (?, timestamp '2026-06-30 12:00:00', ?, ?, 'late.jsonl', 1, 0, 'late', now())",
        [request_type, lead_id, email],
    )


def _erasure_after_the_build(con, monkeypatch, tmp_path) -> tuple[str, str]:
    lead = _first_sql(con)
    _privacy_request(con, "erasure", lead, None)
    return "marts/sql_publish_list", f"{lead}: has_erasure_request=True"


def _consent_withdrawn_by_email(con, monkeypatch, tmp_path) -> tuple[str, str]:
    lead = _first_sql(con)
    email = con.execute("select email from marts.leads where lead_id = ?", [lead]).fetchone()[0]
    _privacy_request(con, "withdraw_consent", None, email)
    return "marts/sql_publish_list", f"{lead}: has_withdrawn_consent=True"


def _do_not_contact_version(con, monkeypatch, tmp_path) -> tuple[str, str]:
    lead = _first_sql(con)
    con.execute(
        "insert into raw.leads select * replace (true as do_not_contact, "
        "timestamp '2026-06-30 23:00:00' as updated_at) from raw.leads where lead_id = ? "
        "order by updated_at desc limit 1",
        [lead],
    )
    return "marts/sql_publish_list", f"{lead}: is_do_not_contact=True"


def _duplicate_lead(con, monkeypatch, tmp_path) -> tuple[str, str]:
    con.execute("insert into marts.leads select * from marts.leads where lead_id = 'H-0001'")
    return "marts/leads", "H-0001"


def _unknown_stage(con, monkeypatch, tmp_path) -> tuple[str, str]:
    con.execute(
        "update marts.lead_stage_history set lifecycle_stage = 'limbo' "
        "where lead_id = 'H-0001' and is_current"
    )
    return "marts/lead_stage_history", "H-0001: lifecycle_stage=limbo"


def _score_above_its_cap(con, monkeypatch, tmp_path) -> tuple[str, str]:
    con.execute(
        "update marts.lead_score_snapshots set behavioural_score = 999 "
        "where lead_id = 'H-0001' and as_of_date = ?",
        [END_DATE],
    )
    return "marts/lead_score_snapshots", "H-0001: behavioural_score=999"


def _stale_event_feed(con, monkeypatch, tmp_path) -> tuple[str, str]:
    # The sample's newest event is on 2026-06-30; ten days later the feed looks stopped.
    monkeypatch.setenv(AS_OF_DATE_ENV, (END_DATE + timedelta(days=10)).isoformat())
    age = con.execute(
        "select date_diff('minute', max(occurred_at), timestamp '2026-07-11') / 60.0 "
        "from staging.stg_landing__events"
    ).fetchone()[0]
    assert 240 < age <= 264
    return "staging/stg_landing__events", str(age)


def _leads_grew_beyond_the_ratio(con, monkeypatch, tmp_path) -> tuple[str, str]:
    # As if the last good run had half the leads: this run's count is twice that (max 1.5).
    con.execute(
        "update quality.gate_row_counts set row_count = row_count // 2 where table_name = 'leads'"
    )
    rows = con.execute("select count(*) from marts.leads").fetchone()[0]
    return "marts/leads", str(rows)


def _publish_list_shrank_under_a_custom_limit(con, monkeypatch, tmp_path) -> tuple[str, str]:
    # A stricter gates file (LEADQUAL_QUALITY_GATES) than the default, and five SQLs fewer than
    # at the last good run.
    gates = tmp_path / "strict_gates.yml"
    gates.write_text(
        "row_count_change:\n"
        "  sql_publish_list: {min_ratio: 0.99, max_ratio: 1.01, min_previous_rows: 1}\n"
    )
    monkeypatch.setenv(QUALITY_GATES_ENV, str(gates))
    con.execute(
        "update quality.gate_row_counts set row_count = row_count + 5 "
        "where table_name = 'sql_publish_list'"
    )
    rows = con.execute("select count(*) from marts.sql_publish_list").fetchone()[0]
    return "marts/sql_publish_list", str(rows)


MART_FAULTS = {
    "erasure request on the list": _erasure_after_the_build,
    "consent withdrawn (by e-mail) on the list": _consent_withdrawn_by_email,
    "do_not_contact lead on the list": _do_not_contact_version,
    "duplicate lead id": _duplicate_lead,
    "stage outside the accepted set": _unknown_stage,
    "score above its cap": _score_above_its_cap,
    "stale event feed": _stale_event_feed,
    "leads table grew beyond the ratio": _leads_grew_beyond_the_ratio,
    "publish list shrank (custom gates file)": _publish_list_shrank_under_a_custom_limit,
}


@pytest.mark.parametrize("fault", list(MART_FAULTS))
def test_a_wrong_table_is_stopped_before_publishing(fault, pipeline_copy, monkeypatch, tmp_path):
    published = Published(pipeline_copy)
    with duckdb.connect(str(pipeline_copy.warehouse)) as con:
        asset, example = MART_FAULTS[fault](con, monkeypatch, tmp_path)

    result = _gate_then_publish(asset)

    assert not result.success
    failures = _failed_check(result, asset)
    shown = [e for f in failures for e in f["examples"]] + [f["observed_value"] for f in failures]
    assert any(example in str(e) for e in shown), shown
    published.assert_unchanged(result)


def test_the_gate_then_publish_path_publishes_when_the_mart_is_right(pipeline_copy):
    published = Published(pipeline_copy)
    result = _gate_then_publish("marts/sql_publish_list")
    assert result.success
    assert (published.serving / "current").resolve() != published.current


def test_a_gate_deletes_results_older_than_data_docs_days_kept(pipeline_copy):
    first = _gate_then_publish("marts/sql_publish_list")
    assert first.success
    quality = pipeline_copy.warehouse.parent / "quality"
    context = gx.get_context(mode="file", project_root_dir=str(quality / "great_expectations"))
    # The same checkpoint as 20 and 10 days ago: the default keeps 14 days.
    with duckdb.connect(str(pipeline_copy.warehouse), read_only=True) as con:
        frame = con.execute("select * from marts.sql_publish_list").df()
    now = datetime.now(UTC)
    old = RunIdentifier(run_name="a-run-20-days-ago", run_time=now - timedelta(days=20))
    recent = RunIdentifier(run_name="a-run-10-days-ago", run_time=now - timedelta(days=10))
    for run_id in (old, recent):
        outcome = context.checkpoints.get("publish_list").run(
            batch_parameters={"dataframe": frame}, run_id=run_id
        )
        # A gate renders each result's page after its checkpoint.
        context.build_data_docs(resource_identifiers=list(outcome.run_results))
    pages = quality / "data_docs" / "validations" / "publish_list"
    assert (pages / old.run_name).is_dir()

    second = _gate_then_publish("marts/sql_publish_list")

    assert second.success
    runs = {key.run_id.run_name for key in context.validation_results_store.list_keys()}
    assert runs == {first.run_id, recent.run_name, second.run_id}
    assert {page.relative_to(pages).parts[0] for page in pages.rglob("*.html")} == runs
    assert old.run_name not in (quality / "data_docs" / "index.html").read_text()
    # No empty folders left behind: the results' at once, the pages' by the next gate.
    stored = quality / "great_expectations" / "gx" / "uncommitted" / "validations"
    assert not list(stored.glob(f"*/{old.run_name}"))
    prune_results(quality, datetime.now(UTC) - timedelta(days=14))
    assert not (pages / old.run_name).exists()


def test_a_gate_whose_housekeeping_fails_still_validates_and_publishes(pipeline_copy, monkeypatch):
    def unreadable_store(*_):
        raise OSError("Permission denied: 'quality/great_expectations'")

    monkeypatch.setattr(checks, "prune_results", unreadable_store)
    instance = dg.DagsterInstance.ephemeral()
    result = _gate_then_publish("marts/sql_publish_list", instance)
    assert result.success
    warnings = [
        entry.user_message
        for entry in instance.all_logs(result.run_id)
        if "could not delete old Great Expectations results" in entry.user_message
    ]
    assert warnings and "Permission denied" in warnings[0]


# -- warnings do not block; the CLI tells what happened ------------------------------------------


def test_a_warn_only_dbt_test_failure_still_publishes(pipeline_copy):
    published = Published(pipeline_copy)
    (pipeline_copy.landing / "leads" / "zz_unknown_account.csv").write_text(
        "lead_id,created_at,email,account_id\nW-1,2026-06-30T08:00:00Z,w1@example.com,ACC-NOPE\n"
    )
    result = execute_daily_job()
    assert result.success
    warned = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert [(e.check_name.split("_")[0], e.severity) for e in warned] == [
        ("relationships", dg.AssetCheckSeverity.WARN)
    ]
    assert "from_field=ACC-NOPE" in warned[0].metadata["failing_examples"].value[0]["examples"]
    assert (published.serving / "current").resolve() != published.current


def test_the_cli_names_the_failed_check_and_its_examples(pipeline_copy, capsys):
    (pipeline_copy.landing / "leads" / "zz_bad_emails.csv").write_text(
        "lead_id,created_at,email\nB-1,2026-06-30T08:00:00Z,nobody\n"
    )
    code = main(["run"])
    err = capsys.readouterr().err
    assert code == 1
    assert "check great_expectations on raw/leads failed" in err
    assert (
        "raw_leads/expect_column_values_to_match_regex on email: 1 rows, e.g. ['B-1: email=nobody']"
        in err
    )
    assert "Nothing was published" in err
    assert "Traceback" not in err
