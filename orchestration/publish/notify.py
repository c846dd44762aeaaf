"""Telling sales at once when a lead newly reaches SQL, and anyone watching when a run fails.

A new SQL (a lead and SQL cycle not notified before) is posted to a Slack-compatible incoming
webhook and written to the day's digest file (``sql_digest_<day>.md``): lead, account, score, top
reasons, owner and the next step with its due time. ``publish.sql_notifications`` remembers each
lead and cycle, so reruns never repeat a notification; a lead that is recycled and qualifies
again is a new cycle and is announced again.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import duckdb

from orchestration.publish.config import Notifications
from orchestration.publish.senders import PublishError, post_json
from orchestration.publish.sync import publish_rows
from orchestration.resources import rows_relation

NOTIFICATIONS_DDL = """
create schema if not exists publish;
create table if not exists publish.sql_notifications (
    lead_id varchar not null,
    sql_cycle bigint not null,
    run_id varchar not null,
    status varchar not null,
    message varchar,
    error varchar,
    notified_on date not null,
    notified_at timestamp not null,
    primary key (lead_id, sql_cycle)
);
"""


def post_webhook(url: str | None, text: str, blocks: list[dict] | None = None) -> None:
    """Post a Slack-compatible message (``text`` is the fallback and what other chat tools show)."""
    if url:
        post_json(url, {"text": text, **({"blocks": blocks} if blocks else {})}, max_attempts=3)


def sql_message(row: dict) -> tuple[str, list[dict]]:
    """The notification of one new SQL: a one-line text and Slack blocks."""
    name = " ".join(part for part in (row.get("first_name"), row.get("last_name")) if part)
    who = name or row["lead_id"]
    company = row.get("company_name") or "unknown company"
    owner = row.get("sales_owner") or f"territory {row.get('territory') or 'unassigned'}"
    due = (row.get("follow_up_due_at") or "")[:16].replace("T", " ")
    reasons = [reason for reason in (row.get("top_reasons") or "").split("; ") if reason]
    text = (
        f"New SQL: {who} ({company}), score {row['combined_score']}, owner {owner}. "
        f"Next step: {row['follow_up_subject']} by {due} UTC."
    )
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": f"New SQL: {who}, {company}"}},
        {
            "type": "section",
            "fields": [
                {
                    "type": "mrkdwn",
                    "text": f"*Score*\n{row['combined_score']} (fit {row['fit_grade']})",
                },
                {"type": "mrkdwn", "text": f"*Owner*\n{owner}"},
                {"type": "mrkdwn", "text": f"*Lead*\n{row['lead_id']} · {row.get('email') or '-'}"},
                {
                    "type": "mrkdwn",
                    "text": f"*Next step*\n{row['follow_up_subject']}, due {due} UTC",
                },
            ],
        },
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*Why*\n" + "\n".join(f"• {r}" for r in reasons)},
        },
    ]
    return text, blocks


def notify_new_sqls(
    con: duckdb.DuckDBPyConnection,
    settings: Notifications,
    run_id: str,
    day: date,
    base_dir: Path,
) -> dict:
    """Announce every SQL cycle not announced before; returns what was done."""
    con.execute(NOTIFICATIONS_DDL)
    done = {
        (lead_id, cycle)
        for lead_id, cycle in con.execute(
            "select lead_id, sql_cycle from publish.sql_notifications where status = 'sent'"
        ).fetchall()
    }
    new = [row for row in publish_rows(con) if (row["lead_id"], row["sql_cycle"]) not in done]
    webhook = settings.webhook_url
    failed = {}
    outcomes = []
    webhook_down = None
    for row in new:
        text, blocks = sql_message(row)
        try:
            if webhook_down:
                # One post failed after its retries: the endpoint is down or refuses us, and
                # trying every lead in turn would take minutes. All are retried next run.
                raise PublishError(f"not posted: {webhook_down}")
            post_webhook(webhook, text, blocks)
            status, error = "sent", None
        except PublishError as failure:
            status, error = "failed", str(failure)
            failed[row["lead_id"]] = error
            webhook_down = webhook_down or error
        outcomes.append((row["lead_id"], row["sql_cycle"], run_id, status, text, error, day))
        if webhook:
            # A message went out: remember it before the next, so that a rerun after a crash
            # never announces it twice.
            _record_notifications(con, outcomes)
            outcomes = []
    _record_notifications(con, outcomes)
    digest = write_digest(con, settings, day, base_dir)
    # Digests of other days that named a lead erased since: written again without it.
    for (other_day,) in con.execute(
        "select distinct notified_on from publish.sql_notifications"
        " where status = 'sent' and message is null and notified_on != ?",
        [day],
    ).fetchall():
        write_digest(con, settings, other_day, base_dir, only_if_present=True)
    status = "posted" if webhook else "not configured"
    if failed:
        status = f"failed, {len(failed)} not posted, retried next run"
    return {
        "new_sqls": len(new),
        "webhook": status,
        "failed": failed,
        "digest": str(digest) if digest else None,
    }


def _record_notifications(con: duckdb.DuckDBPyConnection, outcomes: list[tuple]) -> None:
    """Write notification outcomes in one statement (one insert per row costs about 3 ms:
    26 s for the first run's SQLs at a million leads)."""
    if not outcomes:
        return
    columns = ["lead_id", "sql_cycle", "run_id", "status", "message", "error", "notified_on"]
    with rows_relation(con, "notification_outcomes", columns, outcomes) as notified:
        con.execute(
            f"insert or replace into publish.sql_notifications"
            f" select {', '.join(columns)}, now() from {notified}"
        )


def write_digest(
    con: duckdb.DuckDBPyConnection,
    settings: Notifications,
    day: date,
    base_dir: Path,
    only_if_present: bool = False,
) -> Path | None:
    """The day's digest, rewritten whole from the notifications of that day (so a rerun gives
    the same file), and renamed into place; with ``only_if_present``, only if the day has one
    (a digest someone removed stays removed)."""
    if not settings.digest_path:
        return None
    folder = Path(settings.digest_path).expanduser()
    folder = folder if folder.is_absolute() else base_dir / folder
    path = folder / f"sql_digest_{day.isoformat()}.md"
    if only_if_present and not path.exists():
        return None
    folder.mkdir(parents=True, exist_ok=True)
    messages = con.execute(
        "select message from publish.sql_notifications "
        "where notified_on = ? and status = 'sent' and message is not null order by lead_id",
        [day],
    ).fetchall()
    lines = [f"# New SQLs on {day.isoformat()}", "", f"{len(messages)} new SQLs.", ""]
    lines += [f"- {message}" for (message,) in messages]
    partial = folder / f".{path.name}.partial"
    partial.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return path
