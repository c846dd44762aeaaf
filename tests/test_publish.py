"""Reverse-ETL publishing of the SQL list to a files outbox, a real PostgreSQL server and a local
HTTP CRM endpoint: diff-based, exactly once (also when the publishing process is killed), sales
notified once per SQL cycle, and erasure requests honoured end to end."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import duckdb
import psycopg
import pyarrow.parquet as pq
import pytest

from orchestration.cli import execute_daily_job, execute_job, main
from orchestration.definitions import PUBLISH_JOB_NAME
from orchestration.publish.config import DESTINATIONS_ENV, PublishConfigError, load_publish_config
from orchestration.publish.sync import FAILPOINT_ENV
from orchestration.resources import AS_OF_DATE_ENV
from tests.conftest import END_DATE
from tests.crm_server import TOKEN, CrmServer
from tests.postgres_server import postgres_server

DESTINATIONS = ("outbox_test", "crm_database", "crm_api")


@pytest.fixture(scope="session")
def postgres_dsn():
    with postgres_server() as dsn:
        yield dsn


@pytest.fixture
def crm():
    server = CrmServer()
    yield server
    server.stop()


@dataclass
class Publishing:
    warehouse: Path
    landing: Path
    dsn: str
    table: str
    crm: CrmServer
    outbox: Path
    digests: Path

    def listed(self) -> set[str]:
        return {row[0] for row in self.query("select lead_id from marts.sql_publish_list")}

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def execute(self, sql: str, params: list | None = None) -> None:
        with duckdb.connect(str(self.warehouse)) as con:
            con.execute(sql, params or [])

    def postgres(self) -> dict[str, tuple]:
        with psycopg.connect(self.dsn) as con:
            rows = con.execute(
                f"select lead_id, combined_score, sales_owner, territory, follow_up_due_at "
                f"from {self.table}"
            ).fetchall()
        return {row[0]: row for row in rows}

    def outbox_rows(self, outbox: Path | None = None) -> list[dict]:
        outbox = outbox or self.outbox
        rows = []
        for folder in sorted(outbox.iterdir()) if outbox.exists() else []:
            with open(folder / "rows.csv", newline="") as handle:
                rows += list(csv.DictReader(handle))
        return rows

    def ledger(self, destination: str) -> list[tuple]:
        return self.query(
            "select lead_id, operation, status from publish.sync_ledger where destination = ?",
            [destination],
        )


@pytest.fixture
def publishing(pipeline_copy, postgres_dsn, crm, monkeypatch, tmp_path) -> Publishing:
    table = f"sales.leads_{uuid.uuid4().hex[:8]}"
    config = tmp_path / "destinations.yml"
    config.write_text(
        "destinations:\n"
        f"  - {{name: outbox_test, type: files, path: {tmp_path}/outbox, mode: mirror}}\n"
        f"  - {{name: crm_database, type: postgres, dsn_env: TEST_CRM_DSN, table: {table}, "
        "mode: mirror}\n"
        f"  - {{name: crm_api, type: http, url: '{crm.url}/upsert', delete_url: "
        f"'{crm.url}/archive', token_env: TEST_CRM_TOKEN, batch_size: 10, "
        "requests_per_second: 1000, mode: mirror}\n"
        f"  - {{name: outbox_upsert, type: files, path: {tmp_path}/upsert_outbox}}\n"
        f"notifications: {{webhook_url_env: TEST_WEBHOOK, digest_path: {tmp_path}/digests}}\n"
    )
    monkeypatch.setenv(DESTINATIONS_ENV, str(config))
    # The sample run announced its SQLs to the digest already; these tests start the webhook anew.
    with duckdb.connect(str(pipeline_copy.warehouse)) as con:
        con.execute("delete from publish.sql_notifications")
    monkeypatch.setenv("TEST_CRM_DSN", postgres_dsn)
    monkeypatch.setenv("TEST_CRM_TOKEN", TOKEN)
    monkeypatch.setenv("TEST_WEBHOOK", f"{crm.url}/webhook")
    return Publishing(
        pipeline_copy.warehouse,
        pipeline_copy.landing,
        postgres_dsn,
        table,
        crm,
        tmp_path / "outbox",
        tmp_path / "digests",
    )


def _publish():
    result = execute_job(PUBLISH_JOB_NAME, prepare_dbt=False)
    assert result.success
    (event,) = [
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key.path == ["publish", "sql_list"]
    ]
    return event.materialization.metadata["destinations"].value


def _kill_publish_at(failpoint: str) -> None:
    """Run ``leadqual publish`` in a process of its own, killed at the failpoint."""
    killed = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "publish"],
        env={**os.environ, FAILPOINT_ENV: failpoint},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]


def _assert_every_destination_holds(publishing: Publishing, leads: set[str]) -> None:
    assert set(publishing.postgres()) == leads
    assert set(publishing.crm.state.records) == leads
    state: dict[str, str] = {}
    for row in publishing.outbox_rows():
        state[row["lead_id"]] = row["operation"]
    assert {lead for lead, operation in state.items() if operation == "upsert"} == leads


def test_a_run_publishes_everywhere_and_a_rerun_sends_nothing(publishing, capsys):
    listed = publishing.listed()
    assert len(listed) > 20

    first = _publish()

    for name in DESTINATIONS:
        assert first[name]["upserts"] == len(listed), name
        assert {status for _, _, status in publishing.ledger(name)} == {"sent"}
    _assert_every_destination_holds(publishing, listed)
    assert all(count == 1 for count in publishing.crm.state.applied.values())
    (batch,) = sorted(publishing.outbox.iterdir())
    manifest = json.loads((batch / "manifest.json").read_text())
    assert manifest["rows"] == manifest["upserts"] == len(listed)
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((batch / name).read_bytes()).hexdigest() == digest
    assert pq.read_table(batch / "rows.parquet").num_rows == len(listed)
    lead = sorted(listed)[0]
    score, owner = publishing.query(
        "select combined_score, coalesce(sales_owner, territory) from marts.sql_publish_list "
        "where lead_id = ?",
        [lead],
    )[0]
    _, pg_score, pg_owner, pg_territory, due = publishing.postgres()[lead]
    assert (pg_score, pg_owner or pg_territory) == (score, owner) and due is not None
    messages = publishing.crm.state.messages
    assert len(messages) == len(listed)
    assert all(
        m["text"].startswith("New SQL: ") and "Next step: Follow up with" in m["text"]
        for m in messages
    )
    (digest,) = publishing.digests.iterdir()
    assert sum(line.startswith("- New SQL: ") for line in digest.read_text().splitlines()) == len(
        listed
    )
    requests_before = len(publishing.crm.state.requests)
    capsys.readouterr()

    # Again, through `leadqual publish` with no day set: it checks the day the warehouse was
    # last scored for (END_DATE), not today, which has no scores before that day's run.
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(AS_OF_DATE_ENV)
        assert main(["publish"]) == 0
        assert AS_OF_DATE_ENV not in os.environ
    printed = capsys.readouterr().out

    for name in DESTINATIONS:
        assert f"published to {name}: 0 upserts, 0 deletes, {len(listed):,} unchanged" in printed, (
            name
        )
    assert len(publishing.crm.state.requests) == requests_before  # nothing sent, nor notified
    assert len(list(publishing.outbox.iterdir())) == 1
    _assert_every_destination_holds(publishing, listed)


def test_only_changed_rows_are_sent_and_mirror_destinations_delete_what_left(publishing):
    _publish()
    listed = sorted(publishing.listed())
    changed, gone = listed[0], listed[1]
    publishing.execute(
        "update marts.sql_publish_list set combined_score = combined_score + 1 where lead_id = ?",
        [changed],
    )
    publishing.execute("delete from marts.sql_publish_list where lead_id = ?", [gone])

    report = _publish()

    for name in DESTINATIONS:
        assert (report[name]["upserts"], report[name]["deletes"]) == (1, 1), name
    # upsert mode (the default) adds and updates, and never deletes.
    assert (report["outbox_upsert"]["upserts"], report["outbox_upsert"]["deletes"]) == (1, 0)
    _assert_every_destination_holds(publishing, set(listed) - {gone})
    assert (
        publishing.postgres()[changed][1]
        == publishing.query(
            "select combined_score from marts.sql_publish_list where lead_id = ?", [changed]
        )[0][0]
    )
    assert "/archive" in {path for path, _ in publishing.crm.state.requests}


def test_a_dry_run_shows_what_would_be_sent_and_sends_nothing(publishing, capsys):
    assert main(["publish", "--dry-run"]) == 0
    out = capsys.readouterr().out
    listed = publishing.listed()
    assert f"crm_api (http, mirror): would upsert {len(listed)}, delete 0" in out
    assert f"  upsert {sorted(listed)[0]} score " in out
    assert publishing.crm.state.requests == []
    assert not publishing.outbox.exists()
    assert publishing.ledger("crm_api") == []


def test_http_retries_throttling_and_keeps_refused_rows_for_the_next_run(publishing):
    refused = sorted(publishing.listed())[3]
    publishing.crm.state.fail_next = [429, 503]
    publishing.crm.state.reject = {refused}

    report = _publish()

    assert report["crm_api"]["failed_rows"] == 1
    assert refused not in publishing.crm.state.records
    statuses = {lead: (status) for lead, _, status in publishing.ledger("crm_api")}
    assert statuses[refused] == "failed"
    error = publishing.query(
        "select error from publish.sync_ledger where destination = 'crm_api' and lead_id = ?",
        [refused],
    )[0][0]
    assert error == "invalid email"
    first_keys = [key for path, key in publishing.crm.state.requests if path == "/upsert"]
    assert first_keys[0] == first_keys[1] == first_keys[2]  # 429, 503, then accepted

    publishing.crm.state.reject = set()
    report = _publish()

    assert report["crm_api"]["upserts"] == 1 and report["crm_database"]["upserts"] == 0
    assert refused in publishing.crm.state.records


@pytest.mark.parametrize(
    ("failpoint", "moment"),
    [
        ("publish:planned", "before the first batch"),
        ("publish:between_batches:2", "between two HTTP batches"),
        ("publish:sent:2", "after PostgreSQL committed, before the ledger recorded it"),
        ("publish:sent:4", "after an HTTP batch was accepted, before the ledger recorded it"),
    ],
)
def test_a_killed_publish_resumes_without_sending_twice_or_losing_a_row(
    publishing, failpoint, moment
):
    listed = publishing.listed()
    _kill_publish_at(failpoint)
    pending = {
        row[0]
        for row in publishing.query(
            "select distinct destination from publish.sync_ledger where status = 'pending'"
        )
    }
    assert pending, f"the kill {moment} left nothing pending"

    report = _publish()

    assert sum(report[name]["resumed_batches"] for name in DESTINATIONS) >= 1
    _assert_every_destination_holds(publishing, listed)
    assert set(publishing.crm.state.applied) == listed
    assert all(count == 1 for count in publishing.crm.state.applied.values()), moment
    upserts = [row["lead_id"] for row in publishing.outbox_rows() if row["operation"] == "upsert"]
    assert sorted(upserts) == sorted(listed), "the outbox holds every lead exactly once"
    with psycopg.connect(publishing.dsn) as con:
        applied = con.execute(
            f"select sum(upserts) from {publishing.table}_sync_batches"
        ).fetchone()
    assert applied[0] == len(listed)
    for name in DESTINATIONS:
        ledger = publishing.ledger(name)
        assert {status for _, _, status in ledger} == {"sent"}, name
        assert sorted(lead for lead, _, _ in ledger) == sorted(listed), name


def test_sales_hear_of_each_sql_cycle_once(publishing):
    _publish()
    messages = len(publishing.crm.state.messages)
    lead = sorted(publishing.listed())[0]
    _publish()
    assert len(publishing.crm.state.messages) == messages

    # The lead was recycled and qualified again: a new SQL cycle is news.
    publishing.execute(
        "update marts.sql_publish_list set sql_cycle = sql_cycle + 1 where lead_id = ?", [lead]
    )
    _publish()

    new = publishing.crm.state.messages[messages:]
    assert len(new) == 1 and lead in json.dumps(new[0]["blocks"])
    header = new[0]["blocks"][0]["text"]["text"]
    assert header.startswith("New SQL: ")


def test_an_erasure_request_removes_the_lead_everywhere_and_mirrors_delete_it(publishing):
    _publish()
    lead, email, name = publishing.query(
        "select lead_id, email, first_name || ' ' || last_name from marts.sql_publish_list"
        " where email is not null and first_name is not null and last_name is not null"
        " order by lead_id limit 1"
    )[0]
    named = f"New SQL: {name} ("
    # As if sales had been told a day earlier: that day's digest names the lead.
    day = END_DATE - timedelta(days=1)
    with duckdb.connect(str(publishing.warehouse)) as con:
        con.execute("update publish.sql_notifications set notified_on = ?", [day])
    (digest,) = publishing.digests.iterdir()
    earlier_digest = digest.rename(digest.with_name(f"sql_digest_{day}.md"))
    assert named in earlier_digest.read_text()
    requests = publishing.landing / "privacy_requests" / "zz_erasure.jsonl"
    requests.write_text(
        json.dumps(
            {
                "request_type": "erasure",
                "requested_at": "2026-06-30T12:00:00Z",
                "email": email.upper(),
            }
        )
        + "\n"
    )

    result = execute_daily_job()

    assert result.success
    assert lead not in publishing.listed()
    assert lead not in publishing.postgres()
    assert lead not in publishing.crm.state.records
    assert publishing.outbox_rows()[-1] == {
        **publishing.outbox_rows()[-1],
        "lead_id": lead,
        "operation": "delete",
    }
    # No table or view of the warehouse holds the address any more, in any layer.
    columns = publishing.query(
        "select table_schema, table_name, list(column_name) from information_schema.columns "
        "where data_type = 'VARCHAR' and table_schema not in ('information_schema', 'pg_catalog') "
        "group by all"
    )
    found = [
        f"{schema}.{table}"
        for schema, table, names in columns
        if publishing.query(
            f'select count(*) from "{schema}"."{table}" where '
            + " or ".join(f'contains(lower("{name}"), ?)' for name in names),
            [email.lower()] * len(names),
        )[0][0]
    ]
    assert found == []
    assert publishing.query("select count(*) from raw.erased_leads where lead_id = ?", [lead]) == [
        (1,)
    ]
    # Nor does any file of the outboxes or any digest, the earlier day's included.
    outboxes = [publishing.outbox, publishing.outbox.with_name("upsert_outbox")]
    for path in [*(o / b / "rows.csv" for o in outboxes for b in os.listdir(o))]:
        assert email.lower() not in path.read_text().lower(), path
    for path in publishing.digests.iterdir():
        assert email.lower() not in path.read_text().lower(), path
    assert named not in earlier_digest.read_text()
    for path in [*(o / b / "rows.parquet" for o in outboxes for b in os.listdir(o))]:
        rows = pq.read_table(path).to_pylist()
        assert all(row["email"] != email for row in rows), path
        assert any(row["lead_id"] == lead for row in rows), "the lead's id and operation stay"


def test_a_failing_destination_leaves_the_others_and_the_bi_release_their_run(
    publishing, monkeypatch, tmp_path
):
    serving = tmp_path / "serving" / "current"
    released_before = serving.resolve()
    monkeypatch.delenv("TEST_CRM_DSN")  # crm_database cannot connect
    monkeypatch.setenv("TEST_CRM_TOKEN", "revoked")  # crm_api refuses every row
    listed = publishing.listed()

    result = execute_daily_job()

    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failure.step_key == "publish__sql_list"
    message = failure.event_specific_data.error.message
    assert "crm_database: " in message and "TEST_CRM_DSN" in message
    assert "destination crm_api refused 5 whole batches (43 rows, sent again next run)" in message
    assert "HTTP 401" in message
    # The files destinations were synced, the BI release went out, sales were not told.
    assert {row["lead_id"] for row in publishing.outbox_rows()} == listed
    assert serving.resolve() != released_before
    assert not [m for m in publishing.crm.state.messages if m["text"].startswith("New SQL: ")]

    monkeypatch.setenv("TEST_CRM_TOKEN", TOKEN)
    with pytest.MonkeyPatch.context() as fixed:
        fixed.setenv("TEST_CRM_DSN", publishing.dsn)
        _publish()
    _assert_every_destination_holds(publishing, listed)


@pytest.mark.parametrize(
    "failpoint",
    [
        "publish:planned",  # nothing sent
        "publish:sent:1",  # the outbox's batch written, not yet recorded
    ],
)
def test_a_lead_erased_while_its_upsert_was_pending_is_deleted_not_sent_blank(
    publishing, failpoint
):
    _kill_publish_at(failpoint)
    lead = sorted(publishing.listed())[0]
    (publishing.landing / "privacy_requests" / "zz_erasure.jsonl").write_text(
        json.dumps(
            {"request_type": "erasure", "requested_at": "2026-06-30T12:00:00Z", "lead_id": lead}
        )
        + "\n"
    )

    result = execute_daily_job()

    assert result.success
    listed = publishing.listed()
    assert lead not in listed
    _assert_every_destination_holds(publishing, listed)
    assert lead not in publishing.crm.state.applied
    assert [row["operation"] for row in publishing.outbox_rows() if row["lead_id"] == lead] == [
        "delete"
    ]


def test_a_lead_that_withdrew_consent_while_its_upsert_was_pending_is_not_delivered(publishing):
    # Killed once the upsert-mode outbox planned its batch; the mirrors had the lead already.
    # (A mirror's pending batch takes the path of the erased lead's test.)
    killed_in = "outbox_upsert"
    _kill_publish_at("publish:planned:4")
    lead = sorted(publishing.listed())[0]
    (publishing.landing / "privacy_requests" / "zz_withdrawal.jsonl").write_text(
        json.dumps(
            {
                "request_type": "withdraw_consent",
                "requested_at": "2026-06-30T12:00:00Z",
                "lead_id": lead,
            }
        )
        + "\n"
    )

    assert execute_daily_job().success

    listed = publishing.listed()
    assert lead not in listed
    _assert_every_destination_holds(publishing, listed)
    assert not [
        row
        for row in publishing.outbox_rows(publishing.outbox.parent / "upsert_outbox")
        if row["lead_id"] == lead and row["operation"] == "upsert"
    ], "the upsert outbox was sent a lead that withdrew consent"
    statuses = publishing.query(
        "select destination, status, error from publish.sync_ledger"
        " where lead_id = ? and operation = 'upsert' and status != 'sent'",
        [lead],
    )
    assert [(destination, status) for destination, status, _ in statuses] == [
        (killed_in, "withdrawn")
    ]
    assert statuses[0][2].startswith("left the list before the batch was confirmed")


def test_publishing_materialized_alone_refuses_to_run_without_its_gates(publishing):
    # What the UI's "Materialize selected" runs: the publish assets, no gate check.
    from orchestration.definitions import build_definitions
    from orchestration.publish.assets import NOTIFICATIONS_KEY, SQL_LIST_KEY

    job = build_definitions().resolve_implicit_global_asset_job_def()
    ledger_rows = publishing.query("select count(*) from publish.sync_ledger")
    for selected in ([SQL_LIST_KEY, NOTIFICATIONS_KEY], [NOTIFICATIONS_KEY]):
        result = job.execute_in_process(asset_selection=selected, raise_on_error=False)
        assert not result.success
        failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
        assert len(failures) == 1
        message = failures[0].event_specific_data.error.message
        assert "publishing runs only after the quality gates passed in the same run" in message
        assert "marts/sql_publish_list" in message and "publish_sql_lists" in message
    assert publishing.outbox_rows() == []
    assert publishing.crm.state.messages == []
    assert publishing.query("select count(*) from publish.sync_ledger") == ledger_rows


def test_a_webhook_that_fails_stops_the_posts_keeps_its_secret_and_is_retried(
    publishing, monkeypatch
):
    secret_path = "/services/T000/B000/s3cr3t"
    monkeypatch.setenv("TEST_WEBHOOK", publishing.crm.url + secret_path)  # answers 401
    listed = publishing.listed()

    result = execute_job(PUBLISH_JOB_NAME, prepare_dbt=False)

    assert result.success
    (event,) = [
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key.path == ["publish", "sales_notifications"]
    ]
    metadata = event.materialization.metadata
    assert metadata["webhook"].value == f"failed, {len(listed)} not posted, retried next run"
    # One post tried (not one per lead, each with its retries), and no secret in what is kept.
    assert [path for path, _ in publishing.crm.state.requests].count(secret_path) == 1
    errors = publishing.query("select distinct error from publish.sql_notifications")
    assert errors and all("s3cr3t" not in error for (error,) in errors)

    monkeypatch.setenv("TEST_WEBHOOK", f"{publishing.crm.url}/webhook")
    execute_job(PUBLISH_JOB_NAME, prepare_dbt=False)
    assert len(publishing.crm.state.messages) == len(listed)


def test_a_destinations_file_with_wrong_types_lists_every_problem(tmp_path):
    config = tmp_path / "destinations.yml"
    config.write_text(
        "destinations:\n"
        "  - {name: a, type: files, path: null, enabled: 'false'}\n"
        "  - {name: b, type: http, url: crm.example/upsert, requests_per_second: true}\n"
        "notifications: {digest_path: 5}\n"
    )
    with pytest.raises(PublishConfigError) as raised:
        load_publish_config(config)
    problems = str(raised.value)
    for expected in (
        "destination a: path must be a non-empty text",
        "destination a: enabled must be true or false, got 'false'",
        "destination b: url must be an http:// or https:// address",
        "destination b: requests_per_second must be a number > 0",
        "notifications: digest_path must be a non-empty text",
    ):
        assert expected in problems


def test_an_unanswered_batch_stays_pending_and_is_sent_again_under_its_key(publishing):
    # A batch the CRM may have applied (no answer, 5xx) is neither failed nor lost: marked
    # failed, a mirror would never delete a lead the CRM did receive.
    listed = publishing.listed()
    publishing.crm.state.fail_next = [503] * 5  # every try of the first batch

    result = execute_job(PUBLISH_JOB_NAME, prepare_dbt=False)

    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "crm_api: POST http://127.0.0.1:" in failure.event_specific_data.error.message
    assert {status for _, _, status in publishing.ledger("crm_api")} == {"pending"}
    assert set(publishing.postgres()) == listed  # the other destinations were synced

    report = _publish()

    assert report["crm_api"]["resumed_batches"] == report["crm_api"]["batches"] >= 1
    _assert_every_destination_holds(publishing, listed)
    assert all(count == 1 for count in publishing.crm.state.applied.values())


def test_a_destination_pointed_at_a_new_table_gets_the_whole_list_again(publishing):
    listed = publishing.listed()
    _publish()
    config = Path(os.environ[DESTINATIONS_ENV])
    moved = f"{publishing.table}_moved"
    config.write_text(config.read_text().replace(f"table: {publishing.table},", f"table: {moved},"))

    report = _publish()

    assert report["crm_database"]["resynced"] and report["crm_database"]["upserts"] == len(listed)
    assert not report["crm_api"]["resynced"] and report["crm_api"]["upserts"] == 0
    with psycopg.connect(publishing.dsn) as con:
        assert con.execute(f"select count(*) from {moved}").fetchone()[0] == len(listed)
