"""Erasure requests: remove a lead's personal data from every layer of the warehouse.

Runs after ingest and before dbt. Staging is views and dbt builds every later layer from raw:
the models holding personal data are rebuilt on every run, and the one incremental table that
holds event page addresses and properties (int_events_categorized) re-reads every event of the
leads with an erasure request on every run. So redacting raw, the quarantine, the sync ledger and
the notification log removes the data everywhere on the run that applies the request. The lead
itself stays (its id, scores and stages) so that KPIs keep counting it; it can no longer be
contacted, and mirror destinations delete it on the next sync because it left the SQL list.

``raw.erased_leads`` remembers every erased lead, so a later file that brings the lead's personal
data again is redacted on the run that loads it.
"""

from __future__ import annotations

import json

import duckdb

from orchestration.ingest.loader import literal
from orchestration.resources import table_exists

ERASED_DDL = """
create schema if not exists raw;
create table if not exists raw.erased_leads (
    lead_id varchar primary key,
    requested_at timestamp not null,
    erased_at timestamp not null  -- UTC
)
"""

# Columns that hold personal data, per raw table (names as in the landing contract).
PERSONAL_COLUMNS = {
    "raw.leads": ["email", "first_name", "last_name", "job_title", "_extra_columns"],
    "raw.events": ["page_url", "properties", "_extra_columns"],
    "raw.sales_qualification": ["reason", "_extra_columns"],
    "raw.privacy_requests": ["email", "_extra_columns"],
}


def apply_erasure_requests(con: duckdb.DuckDBPyConnection) -> dict:
    """Record newly requested erasures and redact every erased lead; returns the counts."""
    con.execute(ERASED_DDL)
    con.execute("begin transaction")
    # The leads an e-mail-only request names: by the address of a loaded lead, or of a lead
    # whose every row was quarantined (its address is in the reject's record text).
    con.execute(
        """
        create or replace temp view erasure_emails as
        select lead_id, lower(email) as email from raw.leads where email is not null
        union
        select json_extract_string(record, '$.lead_id'),
            lower(json_extract_string(record, '$.email'))
        from raw.leads_rejects
        where json_extract_string(record, '$.lead_id') is not null
            and json_extract_string(record, '$.email') is not null
        """
    )
    new = con.execute(
        """
        insert into raw.erased_leads
        select lead_id, min(requested_at), now() at time zone 'UTC'
        from (
            -- A request that names the lead erases it whether or not it was ever loaded: a
            -- quarantined lead's rows, and the lead if it arrives later, are redacted too.
            select requests.lead_id, requests.requested_at
            from raw.privacy_requests as requests
            where requests.request_type = 'erasure' and requests.lead_id is not null
            union all
            select emails.lead_id, requests.requested_at
            from raw.privacy_requests as requests
            inner join erasure_emails as emails
                on lower(requests.email) = emails.email
            where requests.request_type = 'erasure' and requests.lead_id is null
        ) as requested
        where lead_id not in (select lead_id from raw.erased_leads)
        group by lead_id
        returning lead_id
        """
    ).fetchall()
    # A request that named only an e-mail keeps the lead it matched, without the address.
    con.execute(
        """
        update raw.privacy_requests as requests
        set lead_id = emails.lead_id
        from erasure_emails as emails
        where requests.lead_id is null
            and lower(requests.email) = emails.email
            and emails.lead_id in (select lead_id from raw.erased_leads)
        """
    )
    redacted = {}
    erased = "lead_id in (select lead_id from raw.erased_leads)"
    for table, columns in PERSONAL_COLUMNS.items():
        filled = " or ".join(f"{column} is not null" for column in columns)
        assignments = ", ".join(f"{column} = null" for column in columns)
        redacted[table] = con.execute(
            f"update {table} set {assignments} where {erased} and ({filled})"
        ).fetchone()[0]
    # Quarantined rows keep the raw record text: drop the text of the erased leads' rows. A
    # record names its lead in its lead_id field (a join, linear in the rows); a malformed line
    # is text that may hold the id anywhere (a search, but only in those few rows), as a whole
    # word: erasing L1 leaves the line of L10. A row waiting for its lead (unknown_lead) loses
    # only its personal fields, so that it still loads when the lead arrives.
    erased_record = (
        "json_extract_string(record, '$.lead_id') in (select lead_id from raw.erased_leads)"
    )
    for table in [
        name
        for (name,) in con.execute(
            "select schema_name || '.' || table_name from duckdb_tables() "
            "where schema_name = 'raw' and table_name like '%\\_rejects' escape '\\'"
        ).fetchall()
    ]:
        redact = f"update {table} set record = null, _extra_columns = null where record is not null"
        personal = [
            column
            for column in PERSONAL_COLUMNS.get(table.removesuffix("_rejects"), [])
            if column != "_extra_columns"
        ]
        left_to_redact = " or ".join(
            ["_extra_columns is not null"]
            + [f"json_extract_string(record, '$.{column}') is not null" for column in personal]
        )
        patch = json.dumps(dict.fromkeys(personal))
        redacted[table] = (
            con.execute(
                f"{redact} and reason_code != 'unknown_lead' and {erased_record}"
            ).fetchone()[0]
            + con.execute(
                f"update {table} set record = json_merge_patch(record, {literal(patch)})::varchar,"
                f" _extra_columns = null where reason_code = 'unknown_lead' and {erased_record}"
                f" and ({left_to_redact})"
            ).fetchone()[0]
            + con.execute(
                f"{redact} and reason_code = 'malformed_line' and exists"
                " (select 1 from raw.erased_leads as erased where regexp_matches(record,"
                " '(^|[^A-Za-z0-9])' || regexp_escape(erased.lead_id) || '($|[^A-Za-z0-9])'))"
            ).fetchone()[0]
        )
    for table, column in (
        ("publish.sync_ledger", "payload"),
        ("publish.sql_notifications", "message"),
    ):
        if table_exists(con, table):
            redacted[table] = con.execute(
                f"update {table} set {column} = null where {erased} and {column} is not null"
            ).fetchone()[0]
    con.execute("drop view erasure_emails")
    con.execute("commit")
    return {"newly_erased": [lead_id for (lead_id,) in new], "rows_redacted": redacted}
