"""The destinations' writers. Each applies a batch at most once, keyed by its batch id, so a
batch sent again after a crash changes nothing: the files destination finds the batch's folder,
PostgreSQL finds the batch id it stored in the same transaction as the rows, and the HTTP
endpoint receives the batch id as its Idempotency-Key.

``apply`` returns the rows the destination refused ({lead_id: error}); they stay out of the
destination's state and are sent again on the next run.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from orchestration.publish.config import Destination
from orchestration.publish.ledger import Change

# The columns every destination receives, in order (see marts.sql_publish_list).
PAYLOAD_COLUMNS = [
    "lead_id",
    "email",
    "first_name",
    "last_name",
    "job_title",
    "company_name",
    "account_id",
    "country_code",
    "source",
    "campaign",
    "lifecycle_stage",
    "combined_score",
    "fit_grade",
    "engagement_score",
    "top_reasons",
    "sales_owner",
    "territory",
    "sql_cycle",
    "sql_at",
    "follow_up_subject",
    "follow_up_owner",
    "follow_up_due_at",
]
INTEGER_COLUMNS = {"combined_score", "engagement_score", "sql_cycle"}
TIMESTAMP_COLUMNS = {"sql_at", "follow_up_due_at"}


class PublishError(RuntimeError):
    """A destination could not be reached or refused a whole batch after its retries."""


class DeliveryUnknown(PublishError):
    """The destination did not answer (timeout, network error) or answered 5xx / 429 to the last
    try: it may have applied the request. The batch stays pending and is sent again, under the
    same idempotency key, by the next run; marking its rows failed would have kept a mirror
    from ever deleting a lead the destination did receive."""


class Sender(Protocol):
    batch_size: int | None
    can_delete: bool
    # Why whole batches were refused (a revoked token, a wrong address): the destination, not a
    # row, is at fault.
    refused_batches: Sequence[str]

    def apply(self, batch_id: str, changes: list[Change]) -> dict[str, str]: ...

    def close(self) -> None: ...


def build_sender(destination: Destination, base_dir: Path) -> Sender:
    if destination.type == "files":
        return FileSender(destination, base_dir)
    if destination.type == "postgres":
        return PostgresSender(destination)
    return HttpSender(destination)


# -- files ---------------------------------------------------------------------------------------


class FileSender:
    """One folder per batch in the outbox: rows.csv, rows.parquet and manifest.json, written in a
    hidden folder and renamed into place, so a reader never sees a half-written batch."""

    batch_size = None  # one batch per sync
    can_delete = True
    refused_batches: Sequence[str] = ()  # refuses no batch

    def __init__(self, destination: Destination, base_dir: Path):
        path = Path(destination.options["path"]).expanduser()
        self.outbox = path if path.is_absolute() else base_dir / path
        self.destination = destination

    def apply(self, batch_id: str, changes: list[Change]) -> dict[str, str]:
        if (self.outbox / batch_id).exists():
            return {}
        self._write(batch_id, changes)
        return {}

    def redact(self, batch_id: str, changes: list[Change], erased: set[str]) -> bool:
        """Write a delivered batch again with the rows of erased leads blank but their id and
        operation (``changes`` from the sync ledger, whose payloads erasure blanked). False when
        the batch is gone (picked up) or already redacted for these leads."""
        manifest_path = self.outbox / batch_id / "manifest.json"
        if not manifest_path.exists():
            return False
        if erased <= set(json.loads(manifest_path.read_text()).get("erased_leads", [])):
            return False
        self._write(batch_id, changes, sorted(erased), replace=True)
        return True

    def _write(
        self,
        batch_id: str,
        changes: list[Change],
        erased: list[str] | None = None,
        replace: bool = False,
    ) -> None:
        final = self.outbox / batch_id
        self.outbox.mkdir(parents=True, exist_ok=True)
        staging = self.outbox / f".{batch_id}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        table = _arrow_table(changes)
        pa_csv.write_csv(table, staging / "rows.csv")
        pq.write_table(table, staging / "rows.parquet")
        manifest = {
            "destination": self.destination.name,
            "batch_id": batch_id,
            "mode": self.destination.mode,
            "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "rows": len(changes),
            "upserts": sum(c.operation == "upsert" for c in changes),
            "deletes": sum(c.operation == "delete" for c in changes),
            "columns": ["operation", *PAYLOAD_COLUMNS],
            "files": {
                name: hashlib.sha256((staging / name).read_bytes()).hexdigest()
                for name in ("rows.csv", "rows.parquet")
            },
            **({"erased_leads": erased} if erased else {}),
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        _fsync_dir(staging)
        if replace:
            # Each file replaced on its own (atomic), the manifest last; a batch a reader took
            # away meanwhile stays away.
            try:
                for name in ("rows.csv", "rows.parquet", "manifest.json"):
                    os.replace(staging / name, final / name)
                _fsync_dir(final)
            except FileNotFoundError:
                pass
            shutil.rmtree(staging, ignore_errors=True)
        else:
            os.rename(staging, final)
        _fsync_dir(self.outbox)

    def close(self) -> None:
        pass


def _arrow_table(changes: list[Change]) -> pa.Table:
    fields = [pa.field("operation", pa.string())] + [
        pa.field(
            name,
            pa.int64()
            if name in INTEGER_COLUMNS
            else pa.timestamp("us", tz="UTC")
            if name in TIMESTAMP_COLUMNS
            else pa.string(),
        )
        for name in PAYLOAD_COLUMNS
    ]
    records = []
    for change in changes:
        row = {"operation": change.operation, "lead_id": change.lead_id}
        for name in PAYLOAD_COLUMNS[1:]:
            value = (change.payload or {}).get(name)
            row[name] = (
                datetime.fromisoformat(value) if value and name in TIMESTAMP_COLUMNS else value
            )
        records.append(row)
    return pa.Table.from_pylist(records, schema=pa.schema(fields))


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# -- PostgreSQL ----------------------------------------------------------------------------------


class PostgresSender:
    """Upserts by lead_id into a table, and records the batch id in ``<table>_sync_batches`` in the
    same transaction: a batch found there was applied, whatever happened after."""

    batch_size = 1000
    can_delete = True
    refused_batches: Sequence[str] = ()  # refuses no batch

    def __init__(self, destination: Destination):
        import psycopg

        dsn = destination.secret("dsn_env")
        if not dsn:
            raise PublishError(
                f"destination {destination.name}: the environment variable "
                f"{destination.options['dsn_env']} (PostgreSQL connection string) is not set"
            )
        self.table = destination.options["table"]
        self.batches = f"{self.table}_sync_batches"
        try:
            self.connection = psycopg.connect(dsn, connect_timeout=10)
        except psycopg.Error as error:
            raise PublishError(f"destination {destination.name}: {error}".strip()) from None
        self._create_tables()

    def _create_tables(self) -> None:
        columns = ",\n".join(
            f"{name} "
            + (
                "text primary key"
                if name == "lead_id"
                else "integer"
                if name in INTEGER_COLUMNS
                else "timestamptz"
                if name in TIMESTAMP_COLUMNS
                else "text"
            )
            for name in PAYLOAD_COLUMNS
        )
        with self.connection.transaction():
            if "." in self.table:
                self.connection.execute(f"create schema if not exists {self.table.split('.')[0]}")
            self.connection.execute(
                f"create table if not exists {self.table} ({columns}, "
                "synced_at timestamptz not null, batch_id text not null)"
            )
            self.connection.execute(
                f"create table if not exists {self.batches} (batch_id text primary key, "
                "applied_at timestamptz not null, upserts integer not null, "
                "deletes integer not null)"
            )

    def apply(self, batch_id: str, changes: list[Change]) -> dict[str, str]:
        upserts = [c for c in changes if c.operation == "upsert"]
        deletes = [c.lead_id for c in changes if c.operation == "delete"]
        names = ", ".join(PAYLOAD_COLUMNS)
        placeholders = ", ".join(["%s"] * len(PAYLOAD_COLUMNS))
        updates = ", ".join(f"{name} = excluded.{name}" for name in PAYLOAD_COLUMNS[1:])
        with self.connection.transaction():
            seen = self.connection.execute(
                f"select 1 from {self.batches} where batch_id = %s", [batch_id]
            ).fetchone()
            if seen:
                return {}
            with self.connection.cursor() as cursor:
                cursor.executemany(
                    f"insert into {self.table} ({names}, synced_at, batch_id) "
                    f"values ({placeholders}, now(), %s) on conflict (lead_id) do update set "
                    f"{updates}, synced_at = excluded.synced_at, batch_id = excluded.batch_id",
                    [
                        [
                            c.lead_id,
                            *[c.payload.get(name) for name in PAYLOAD_COLUMNS[1:]],
                            batch_id,
                        ]
                        for c in upserts
                    ],
                )
            if deletes:
                self.connection.execute(
                    f"delete from {self.table} where lead_id = any(%s)", [deletes]
                )
            self.connection.execute(
                f"insert into {self.batches} values (%s, now(), %s, %s)",
                [batch_id, len(upserts), len(deletes)],
            )
        return {}

    def close(self) -> None:
        self.connection.close()


# -- HTTP ----------------------------------------------------------------------------------------


class HttpSender:
    """Posts batches in the shape of a CRM batch-upsert API: ``{"inputs": [{"id": lead_id,
    "properties": {...}}]}`` with a bearer token and the batch id as Idempotency-Key, at most
    ``requests_per_second``, retrying 429 and 5xx with exponential backoff (Retry-After wins).
    Rows the endpoint reports as errors, or a batch that still fails after its attempts, are
    returned as failed and sent again on the next run."""

    def __init__(self, destination: Destination, sleep=time.sleep):
        options = destination.options
        self.destination = destination
        self.url = options["url"]
        self.delete_url = options.get("delete_url")
        self.can_delete = self.delete_url is not None
        self.refused_batches: list[str] = []
        self.token = destination.secret("token_env")
        if options.get("token_env") and not self.token:
            raise PublishError(
                f"destination {destination.name}: the environment variable "
                f"{options['token_env']} (API token) is not set"
            )
        self.batch_size = int(options.get("batch_size", 100))
        self.interval = 1 / float(options.get("requests_per_second", 5))
        self.max_attempts = int(options.get("max_attempts", 5))
        self.timeout = float(options.get("timeout_seconds", 30))
        self.sleep = sleep
        self.last_request = 0.0

    def apply(self, batch_id: str, changes: list[Change]) -> dict[str, str]:
        failed: dict[str, str] = {}
        upserts = [c for c in changes if c.operation == "upsert"]
        deletes = [c for c in changes if c.operation == "delete"]
        if upserts:
            body = {"inputs": [{"id": c.lead_id, "properties": c.payload} for c in upserts]}
            failed.update(self._post(self.url, f"{batch_id}:upsert", body, upserts))
        if deletes:
            body = {"inputs": [{"id": c.lead_id} for c in deletes]}
            failed.update(self._post(self.delete_url, f"{batch_id}:delete", body, deletes))
        return failed

    def _post(self, url: str, key: str, body: dict, changes: list[Change]) -> dict[str, str]:
        headers = {"Idempotency-Key": key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            reply = post_json(
                url,
                body,
                headers=headers,
                max_attempts=self.max_attempts,
                timeout=self.timeout,
                sleep=self.sleep,
                before_request=self._wait_for_rate_limit,
            )
        except DeliveryUnknown:
            raise
        except PublishError as error:  # refused (4xx): the same request would fail again
            self.refused_batches.append(str(error))
            return {c.lead_id: str(error) for c in changes}
        return {
            str(item.get("id")): str(item.get("message", "rejected"))
            for item in reply.get("errors", [])
        }

    def _wait_for_rate_limit(self) -> None:
        wait = self.last_request + self.interval - time.monotonic()
        if wait > 0:
            self.sleep(wait)
        self.last_request = time.monotonic()

    def close(self) -> None:
        pass


def post_json(
    url: str,
    body: dict,
    *,
    headers: dict[str, str] | None = None,
    max_attempts: int = 5,
    timeout: float = 30,
    sleep=time.sleep,
    before_request=None,
) -> dict:
    """POST ``body`` as JSON and return the JSON reply ({} when empty or not JSON). 429 and 5xx
    answers and network errors are retried with exponential backoff (Retry-After wins); other
    4xx answers are not, since the same request would fail again. Raises PublishError at the end."""
    shown = shown_url(url)
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise PublishError(f"{shown} is not an http:// or https:// address")
    data = json.dumps(body, default=str).encode()
    error, unanswered = "not sent", True
    for attempt in range(1, max_attempts + 1):
        if before_request is not None:
            before_request()
        request = urllib.request.Request(
            url,
            data=data,
            method="POST",
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                text = response.read()
            try:
                reply = json.loads(text or b"{}")
            except ValueError:
                reply = {}
            return reply if isinstance(reply, dict) else {}
        except urllib.error.HTTPError as failure:
            error = f"HTTP {failure.code}: {failure.read()[:200].decode(errors='replace')}"
            unanswered = failure.code == 429 or failure.code >= 500
            if not unanswered:
                break
            retry_after = failure.headers.get("Retry-After")
        except (urllib.error.URLError, TimeoutError, ConnectionError) as failure:
            error = f"{type(failure).__name__}: {getattr(failure, 'reason', failure)}"
            unanswered, retry_after = True, None
        if attempt < max_attempts:
            sleep(_backoff(attempt, retry_after))
    raised = DeliveryUnknown if unanswered else PublishError
    raise raised(f"POST {shown} failed after {attempt} attempts: {error}")


def shown_url(url: str) -> str:
    """An address as errors and alerts show it: scheme and host only. A webhook's path is its
    secret (hooks.slack.com/services/T.../B.../...), and errors end up in logs and alerts."""
    parts = urllib.parse.urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return "the address configured" if url else "an empty address"
    host = parts.netloc.rpartition("@")[2]  # without user and password
    return f"{parts.scheme}://{host}/..."


def _backoff(attempt: int, retry_after: str | None) -> float:
    if retry_after:
        try:
            return min(float(retry_after), 60.0)
        except ValueError:
            pass
    return min(0.5 * 2 ** (attempt - 1), 30.0)
