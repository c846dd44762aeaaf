"""A diff-based sync of the SQL list to one destination, recorded in the sync ledger.

1. Batches a killed sync left pending are sent again, under their batch ids.
2. The list (marts.sql_publish_list) is compared with what the destination holds: new and
   changed rows are upserts; in mirror mode, leads that left the list are deletes.
3. The batches are recorded as pending, then sent one by one, each marked sent when the
   destination confirmed it.

A dry run does steps 2 and reports, sending and recording nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import psycopg
from psycopg.conninfo import conninfo_to_dict

from orchestration.publish import ledger
from orchestration.publish.config import Destination
from orchestration.publish.ledger import Change
from orchestration.publish.senders import PAYLOAD_COLUMNS, FileSender, build_sender

FAILPOINT_ENV = "LEADQUAL_PUBLISH_FAILPOINT"
_failpoint_hits: Counter[str] = Counter()


@dataclass
class SyncReport:
    destination: str
    mode: str
    dry_run: bool = False
    resumed_batches: int = 0
    batches: int = 0
    upserts: int = 0
    deletes: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    unchanged: int = 0
    redacted_batches: int = 0
    resynced: bool = False
    refused_batches: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    def as_metadata(self) -> dict:
        return {
            "mode": self.mode,
            "upserts": self.upserts,
            "deletes": self.deletes,
            "unchanged": self.unchanged,
            "failed_rows": len(self.failed),
            "batches": self.batches,
            "resumed_batches": self.resumed_batches,
            "redacted_batches": self.redacted_batches,
            "resynced": self.resynced,
        }


def failpoint(name: str) -> None:
    """Kill this process here when LEADQUAL_PUBLISH_FAILPOINT names this point ("name" or
    "name:N" for its N-th pass). Only the crash tests set it."""
    wanted = os.environ.get(FAILPOINT_ENV)
    if not wanted:
        return
    _failpoint_hits[name] += 1
    point, _, count = wanted.rpartition(":")
    if not count.isdigit():
        point, count = wanted, "1"
    if point == name and _failpoint_hits[name] == int(count):
        os.kill(os.getpid(), signal.SIGKILL)


def publish_rows(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """The SQL list as payloads: one dict per lead, values as JSON-ready text and numbers."""
    cursor = con.execute(
        """
        select
            *,
            'sql' as lifecycle_stage,
            'Follow up with ' || coalesce(first_name || ' ', '') || coalesce(last_name, '')
                || coalesce(' (' || company_name || ')', '') as follow_up_subject,
            coalesce(sales_owner, territory) as follow_up_owner
        from marts.sql_publish_list
        order by lead_id
        """
    )
    names = [column[0] for column in cursor.description]
    return [
        {
            name: _plain(value)
            for name, value in zip(names, row, strict=True)
            if name in PAYLOAD_COLUMNS
        }
        for row in cursor.fetchall()
    ]


def row_hash(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def diff(
    con: duckdb.DuckDBPyConnection, destination: Destination, rows: list[dict]
) -> tuple[list[Change], int]:
    """The changes that bring the destination to the list, and how many rows are unchanged."""
    synced = ledger.synced_hashes(con, destination.name)
    changes, unchanged = [], 0
    listed = set()
    for payload in rows:
        listed.add(payload["lead_id"])
        digest = row_hash(payload)
        if synced.get(payload["lead_id"]) == digest:
            unchanged += 1
        else:
            changes.append(Change(payload["lead_id"], "upsert", digest, payload))
    if destination.mirrors:
        changes += [Change(lead_id, "delete") for lead_id in sorted(set(synced) - listed)]
    return changes, unchanged


def sync_destination(
    con: duckdb.DuckDBPyConnection,
    destination: Destination,
    run_id: str,
    base_dir: Path,
    *,
    dry_run: bool = False,
) -> SyncReport:
    report = SyncReport(destination.name, destination.mode, dry_run=dry_run)
    rows = publish_rows(con)
    if dry_run:  # reads the warehouse only (the CLI opens it read-only)
        report.changes, report.unchanged = diff(con, destination, rows)
        report.upserts = sum(c.operation == "upsert" for c in report.changes)
        report.deletes = sum(c.operation == "delete" for c in report.changes)
        report.resumed_batches = len(ledger.pending_batches(con, destination.name))
        return report
    ledger.ensure_ledger(con)
    sender = build_sender(destination, base_dir)  # checks the connection string is set
    try:
        report.resynced = ledger.retarget(con, destination.name, _target(destination, base_dir))
        listed = {payload["lead_id"] for payload in rows}
        for number, (batch_id, changes) in enumerate(
            ledger.pending_batches(con, destination.name), start=1
        ):
            _resume(con, destination, sender, run_id, number, (batch_id, changes), listed, report)
            report.resumed_batches += 1
        changes, report.unchanged = diff(con, destination, rows)
        size = sender.batch_size or max(len(changes), 1)
        batches = [
            (_batch_id(run_id, destination.name, number), changes[start : start + size])
            for number, start in enumerate(range(0, len(changes), size), start=1)
        ]
        ledger.plan(con, destination.name, run_id, batches)
        failpoint("publish:planned")
        for number, (batch_id, batch) in enumerate(batches):
            if number:
                failpoint("publish:between_batches")
            _send(con, destination, sender, batch_id, batch, report)
        if isinstance(sender, FileSender):
            # Files stay in the outbox: erased leads' rows are blanked in every batch kept.
            for batch_id, (erased, kept) in ledger.erased_in_sent_batches(
                con, destination.name
            ).items():
                report.redacted_batches += sender.redact(batch_id, kept, erased)
    finally:
        report.refused_batches = list(sender.refused_batches)
        sender.close()
    return report


def _resume(
    con, destination, sender, run_id: str, number: int, pending, listed: set[str], report
) -> None:
    """Send a batch a killed sync left pending, under its id, without the upserts of leads that
    left the list since it was planned: erased (erasure blanked the payload in the ledger too),
    do_not_contact, consent withdrawn, or no longer SQL. Sent as planned, the batch would
    deliver a lead sales must not call. The killed sync may have delivered them, so they get a
    delete in a batch of their own (under the old id a destination that applied the batch would
    skip it): erased leads wherever the destination takes deletes, the others in mirrors only,
    as for any lead that leaves the list."""
    batch_id, changes = pending
    left = {
        c.lead_id
        for c in changes
        if c.operation == "upsert" and (c.payload is None or c.lead_id not in listed)
    }
    erased = {c.lead_id for c in changes if c.lead_id in left and c.payload is None}
    deletes_id = f"{_batch_id(run_id, destination.name, number)}-left"
    deletes, notes = [], {}
    for lead in sorted(left):
        status, why = ("erased", "erased") if lead in erased else ("withdrawn", "left the list")
        if not sender.can_delete:
            outcome = "the destination takes no deletes"
        elif lead in erased or destination.mirrors:
            deletes.append(Change(lead, "delete"))
            outcome = f"deleted in {deletes_id}"
        else:
            outcome = "kept where delivered (upsert mode)"
        notes[lead] = (status, f"{why} before the batch was confirmed; {outcome}")
    if left:
        planned = (deletes_id, deletes) if deletes else None
        ledger.leave_out(con, destination.name, run_id, batch_id, notes, planned)
    _send(con, destination, sender, batch_id, [c for c in changes if c.lead_id not in left], report)
    if deletes:
        _send(con, destination, sender, deletes_id, deletes, report)


def _send(
    con, destination, sender, batch_id: str, changes: list[Change], report: SyncReport
) -> None:
    failed = sender.apply(batch_id, changes) if changes else {}
    failpoint("publish:sent")
    ledger.record(con, destination.name, batch_id, changes, failed)
    report.batches += 1
    report.failed.update(failed)
    report.upserts += sum(c.operation == "upsert" and c.lead_id not in failed for c in changes)
    report.deletes += sum(c.operation == "delete" and c.lead_id not in failed for c in changes)


def _target(destination: Destination, base_dir: Path) -> str:
    """What the destination writes to, as a fingerprint: its type, table, outbox folder or
    addresses, and its database. Not its token, password or tuning: a rotated secret reaches
    the same table."""
    options = destination.options
    path = options.get("path")
    dsn = destination.secret("dsn_env")
    where = {
        "type": destination.type,
        "path": str((base_dir / Path(path).expanduser()).resolve()) if path else None,
        "table": options.get("table"),
        "database": _database(dsn) if dsn else None,
        "url": options.get("url"),
        "delete_url": options.get("delete_url"),
    }
    return hashlib.sha256(json.dumps(where, sort_keys=True).encode()).hexdigest()


def _database(dsn: str) -> str:
    """Which database a PostgreSQL connection string names: host, port and database name."""
    try:
        parts = conninfo_to_dict(dsn)
    except psycopg.Error:
        return hashlib.sha256(dsn.encode()).hexdigest()  # unreadable: the string itself
    return "|".join(str(parts.get(key, "")) for key in ("host", "hostaddr", "port", "dbname"))


def _batch_id(run_id: str, destination: str, number: int) -> str:
    return f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{destination}-{run_id[:8]}-{number:04d}"


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat() + ("" if value.tzinfo else "+00:00")
    return value
