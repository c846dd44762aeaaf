"""The sync ledger in the warehouse: what was planned, sent, or failed, per destination, run,
batch and lead, and what each destination holds now (the base of the next diff).

A sync writes its plan (status ``pending``) in one transaction before it sends anything, and
marks a batch ``sent`` or ``failed`` in one transaction after the destination confirmed it. A run
killed in between leaves ``pending`` batches, which the next sync sends again under the same
batch id; destinations apply a batch id at most once, so nothing is sent twice or lost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb

from orchestration.resources import rows_relation, table_exists

LEDGER_DDL = """
create schema if not exists publish;
create table if not exists publish.sync_ledger (
    destination varchar not null,
    run_id varchar not null,
    batch_id varchar not null,
    lead_id varchar not null,
    operation varchar not null,
    row_hash varchar,
    payload varchar,
    status varchar not null,
    error varchar,
    planned_at timestamp not null,
    finished_at timestamp
);
create table if not exists publish.destination_rows (
    destination varchar not null,
    lead_id varchar not null,
    row_hash varchar not null,
    batch_id varchar not null,
    synced_at timestamp not null,
    primary key (destination, lead_id)
);
create table if not exists publish.destination_targets (
    destination varchar primary key,
    target varchar not null,
    recorded_at timestamp not null
);
"""


@dataclass(frozen=True)
class Change:
    """One row to send: an upsert with its payload, or a delete."""

    lead_id: str
    operation: str  # upsert | delete
    row_hash: str | None = None
    payload: dict | None = None


def ensure_ledger(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(LEDGER_DDL)


def retarget(con: duckdb.DuckDBPyConnection, destination: str, target: str) -> bool:
    """Record where the destination points (a fingerprint of its table, path or address) and
    forget what it holds when that changed since its last sync: a destination pointed at a new
    table or outbox gets the whole list again. True when it did."""
    stored = con.execute(
        "select target from publish.destination_targets where destination = ?", [destination]
    ).fetchall()
    if stored and stored[0][0] == target:
        return False
    con.execute("begin transaction")
    if stored:
        con.execute("delete from publish.destination_rows where destination = ?", [destination])
    con.execute(
        "insert or replace into publish.destination_targets values (?, ?, now())",
        [destination, target],
    )
    con.execute("commit")
    return bool(stored)


def has_ledger(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a sync ever ran here: a dry run reads the ledger without creating it."""
    return table_exists(con, "publish.sync_ledger") and table_exists(
        con, "publish.destination_rows"
    )


def synced_hashes(con: duckdb.DuckDBPyConnection, destination: str) -> dict[str, str]:
    if not has_ledger(con):
        return {}
    rows = con.execute(
        "select lead_id, row_hash from publish.destination_rows where destination = ?",
        [destination],
    ).fetchall()
    return dict(rows)


def plan(
    con: duckdb.DuckDBPyConnection,
    destination: str,
    run_id: str,
    batches: list[tuple[str, list[Change]]],
) -> None:
    """Record every batch as pending, in one transaction, before anything is sent."""
    rows = [
        [batch_id, c.lead_id, c.operation, c.row_hash, _json(c.payload)]
        for batch_id, changes in batches
        for c in changes
    ]
    if not rows:
        return
    columns = ["batch_id", "lead_id", "operation", "row_hash", "payload"]
    with rows_relation(con, "planned_changes", columns, rows) as planned:
        con.execute(
            "insert into publish.sync_ledger"
            f" select ?, ?, {', '.join(columns)}, 'pending', null, now(), null from {planned}",
            [destination, run_id],
        )


def pending_batches(
    con: duckdb.DuckDBPyConnection, destination: str
) -> list[tuple[str, list[Change]]]:
    """Batches planned by a sync that did not finish, in the order they were planned."""
    if not has_ledger(con):
        return []
    rows = con.execute(
        """
        select batch_id, lead_id, operation, row_hash, payload
        from publish.sync_ledger
        where destination = ? and status = 'pending'
        order by planned_at, batch_id, lead_id
        """,
        [destination],
    ).fetchall()
    batches: dict[str, list[Change]] = {}
    for batch_id, lead_id, operation, row_hash, payload in rows:
        change = Change(lead_id, operation, row_hash, json.loads(payload) if payload else None)
        batches.setdefault(batch_id, []).append(change)
    return list(batches.items())


def erased_in_sent_batches(
    con: duckdb.DuckDBPyConnection, destination: str
) -> dict[str, tuple[set[str], list[Change]]]:
    """The batches that hold erased leads: per batch, those leads and the changes it delivered
    as the ledger keeps them (erasure blanked their payloads)."""
    if not table_exists(con, "raw.erased_leads"):
        return {}
    rows = con.execute(
        """
        select batch_id, lead_id, operation, row_hash, payload, status = 'sent' as was_sent,
            lead_id in (select lead_id from raw.erased_leads) as is_erased
        from publish.sync_ledger
        where destination = ? and batch_id in (
            select batch_id from publish.sync_ledger
            where destination = ? and lead_id in (select lead_id from raw.erased_leads)
        )
        order by batch_id, lead_id
        """,
        [destination, destination],
    ).fetchall()
    batches: dict[str, tuple[set[str], list[Change]]] = {}
    for batch_id, lead_id, operation, row_hash, payload, was_sent, is_erased in rows:
        erased, changes = batches.setdefault(batch_id, (set(), []))
        if is_erased:
            erased.add(lead_id)
        if was_sent:  # a row not sent (erased before it was confirmed) is left out
            changes.append(
                Change(lead_id, operation, row_hash, json.loads(payload) if payload else None)
            )
    return batches


def leave_out(
    con: duckdb.DuckDBPyConnection,
    destination: str,
    run_id: str,
    batch_id: str,
    notes: dict[str, tuple[str, str]],
    deletes: tuple[str, list[Change]] | None,
) -> None:
    """Mark the upserts a resumed batch leaves out as not sent, each with its status
    (``erased`` or ``withdrawn``) and a note on what becomes of it, and plan the batch that
    deletes them, in one transaction: a kill before the resumed batch is recorded finds them
    out of it and their deletes pending."""
    rows = [(lead, status, note) for lead, (status, note) in sorted(notes.items())]
    con.execute("begin transaction")
    with rows_relation(con, "left_out_rows", ["lead_id", "status", "note"], rows) as left_out:
        con.execute(
            "update publish.sync_ledger set status = left_out.status, error = left_out.note"
            f" from {left_out} as left_out where sync_ledger.destination = ?"
            " and sync_ledger.batch_id = ? and sync_ledger.lead_id = left_out.lead_id",
            [destination, batch_id],
        )
    if deletes:
        plan(con, destination, run_id, [deletes])
    con.execute("commit")


def record(
    con: duckdb.DuckDBPyConnection,
    destination: str,
    batch_id: str,
    changes: list[Change],
    failed: dict[str, str],
) -> None:
    """Mark a batch sent (its rows failed, where the destination said so) and move the
    destination's state forward, in one transaction."""
    sent = [c for c in changes if c.lead_id not in failed]
    con.execute("begin transaction")
    con.execute(
        "update publish.sync_ledger set status = 'sent', finished_at = now() "
        "where destination = ? and batch_id = ? and status = 'pending'",
        [destination, batch_id],
    )
    if failed:
        con.executemany(
            "update publish.sync_ledger set status = 'failed', error = ? "
            "where destination = ? and batch_id = ? and lead_id = ?",
            [[error, destination, batch_id, lead_id] for lead_id, error in failed.items()],
        )
    upserts = [(c.lead_id, c.row_hash) for c in sent if c.operation == "upsert"]
    deletes = [(c.lead_id,) for c in sent if c.operation == "delete"]
    if upserts:
        with rows_relation(con, "upserted_rows", ["lead_id", "row_hash"], upserts) as upserted:
            con.execute(
                "insert or replace into publish.destination_rows"
                f" select ?, lead_id, row_hash, ?, now() from {upserted}",
                [destination, batch_id],
            )
    if deletes:
        with rows_relation(con, "deleted_rows", ["lead_id"], deletes) as deleted:
            con.execute(
                "delete from publish.destination_rows where destination = ?"
                f" and lead_id in (select lead_id from {deleted})",
                [destination],
            )
    con.execute("commit")


def _json(payload: dict | None) -> str | None:
    return None if payload is None else json.dumps(payload, sort_keys=True, default=str)
