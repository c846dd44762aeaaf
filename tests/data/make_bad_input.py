"""The bad-input corpus: one small landing folder per case, written by the tests.

``python tests/data/make_bad_input.py DIR`` writes it to DIR for a look by hand. Each case holds
one valid lead (L1), so rows that refer to it are otherwise valid.
"""

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

LEAD = "lead_id,created_at,email\nL1,2026-05-01T10:00:00Z,a@x.io\n"
EVENTS = "event_id,lead_id,event_type,occurred_at,properties\n"

CASES: dict[str, dict[str, bytes | str]] = {
    "missing_required_column": {"leads/leads.csv": "lead_id,email\nL1,a@x.io\nL2,b@x.io\n"},
    "wrong_types": {
        "leads/leads.csv": LEAD,
        "accounts/accounts.csv": "account_id,employee_count,budget\nA1,many,12.5k\nA2,10,5000\n",
    },
    "empty_file": {"leads/leads.csv": LEAD, "leads/empty.csv": ""},
    "header_only": {"leads/leads.csv": LEAD, "leads/header_only.csv": "lead_id,created_at\n"},
    "truncated_last_line": {
        "leads/leads.csv": LEAD + "L2,2026-05-01T11:00:00Z,b@x.io\nL3,2026-05-0",
    },
    "semicolon_delimiter": {
        "leads/leads.csv": "lead_id;created_at;email\nL1;2026-05-01T10:00:00Z;a@x.io\n"
    },
    "non_utf8_bytes": {
        "leads/leads.csv": LEAD,
        "leads/latin1.csv": "lead_id,created_at,first_name\nL2,2026-05-01T10:00:00Z,Ren".encode()
        + b"\xe9\n",
    },
    "duplicate_ids": {"leads/leads.csv": LEAD + "L1,2026-05-02T10:00:00Z,a@x.io\n"},
    "events_for_unknown_leads": {
        "leads/leads.csv": LEAD,
        "events/events.csv": EVENTS + "E1,L404,page_view,2026-05-02T10:00:00Z,\n",
    },
    "future_timestamps": {
        "leads/leads.csv": LEAD,
        "events/events.csv": EVENTS + "E1,L1,page_view,2099-05-02T10:00:00Z,\n",
    },
    "closed_before_created": {
        "leads/leads.csv": LEAD,
        "opportunities/opportunities.csv": "opportunity_id,lead_id,created_at,closed_at,is_won\n"
        "O1,L1,2026-05-10T00:00:00Z,2026-05-01T00:00:00Z,false\n",
    },
    "negative_spend": {
        "leads/leads.csv": LEAD,
        "marketing_spend/spend.csv": "spend_date,source,amount\n2026-05-01,paid_search,-250\n",
    },
    "extra_unknown_columns": {
        "leads/leads.csv": "lead_id,created_at,email,favourite_colour,Lead Score (old)\n"
        "L1,2026-05-01T10:00:00Z,a@x.io,green,55\n"
    },
    "huge_field": {
        "leads/leads.csv": LEAD,
        "leads/huge.csv": "lead_id,created_at,job_title\nL2,2026-05-01T10:00:00Z,"
        + "x" * 3_000_000
        + "\nL3,2026-05-01T10:00:00Z,CTO\n",
    },
    "invalid_json_properties": {
        "leads/leads.csv": LEAD,
        "events/events.csv": EVENTS + 'E1,L1,page_view,2026-05-02T10:00:00Z,"{""a"": 1"\n',
    },
    "mixed_timestamp_formats": {
        "leads/leads.csv": "lead_id,created_at\n"
        "L1,2026-05-01T10:00:00Z\nL2,2026-05-01 10:00:00\nL3,2026-05-01\n"
        "L4,2026-05-01T12:00:00+02:00\nL5,05/01/2026\n"
    },
    "byte_order_mark": {"leads/leads.csv": "\ufeff" + LEAD},
    "quoted_newlines": {
        "leads/leads.csv": 'lead_id,created_at,job_title\nL1,2026-05-01T10:00:00Z,"Head of\nData"\n'
    },
    "crlf_line_ends": {"leads/leads.csv": LEAD.replace("\n", "\r\n")},
    "parquet_with_another_schema": {
        "leads/leads.csv": LEAD,
        "accounts/accounts.parquet": pa.table(
            {"id": ["A1"], "employees": pa.array([10], pa.int64()), "industry": ["software"]}
        ),
    },
    "jsonl_with_a_broken_line": {
        "leads/leads.csv": LEAD,
        "opportunities/opportunities.jsonl": '{"opportunity_id": "O1", "lead_id": "L1", '
        '"created_at": "2026-05-10T00:00:00Z"}\n{"opportunity_id": "O2", "lead_id": \n',
    },
    "unknown_file_type": {"leads/leads.csv": LEAD, "leads/notes.txt": "not data\n"},
    "spend_repeated_without_campaign": {
        "leads/leads.csv": LEAD,
        "marketing_spend/spend.csv": "spend_date,source,amount,campaign\n"
        "2026-05-01,paid_search,100,\n2026-05-01,paid_search,250,\n",
    },
    "columns_named_like_the_loaders": {
        "leads/leads.csv": "lead_id,created_at,rowid,_row_number,_source_file\n"
        "L1,2026-05-01T10:00:00Z,7,x,y\nL2,2026-05-01T11:00:00Z,7,x,y\n",
        "accounts/accounts.parquet": pa.table(
            {"account_id": ["A1"], "_row_number": ["x"], "file_row_number": [5]}
        ),
    },
    "pattern_characters_in_file_names": {
        "leads/leads.csv": LEAD,
        # As patterns, these names would match the files after them.
        "leads/leads[1].csv": "lead_id,created_at\nL5,2026-05-01T10:00:00Z\n",
        "leads/leads1.csv": "lead_id,created_at\nL7,2026-05-01T10:00:00Z\n",
        "leads/leads_?.jsonl": '{"lead_id": "L6", "created_at": "2026-05-01T10:00:00Z"}\n',
        "leads/leads_a.jsonl": '{"lead_id": "L8", "created_at": "2026-05-01T10:00:00Z"}\n',
    },
    "numbers_not_whole_or_not_finite": {
        "leads/leads.csv": LEAD,
        "accounts/accounts.csv": "account_id,employee_count,budget\n"
        "A1,12.7,100\nA2,1.200,5\nA3,10,NaN\nA4,5,Infinity\nA5,10.0,5000\n",
    },
    "partition_and_temporary_folders": {
        # A folder named like a partition is no column; a temporary folder is not read.
        "leads/day=2026-05-01/leads.csv": LEAD,
        "leads/_temporary/part-0.csv": "lead_id,created_at\nL9,2026-05-01T10:00:00Z\n",
        "accounts/region=eu/accounts.parquet": pa.table({"account_id": ["A1"]}),
    },
    "jsonl_with_byte_order_mark_and_non_ascii_keys": {
        "leads/leads.jsonl": '\ufeff{"lead_id": "L1", "created_at": "2026-05-01T10:00:00Z",'
        ' "größe": "groß"}\n',
    },
    "jsonl_with_a_line_not_utf8": {
        "leads/leads.jsonl": b'{"lead_id": "L1", "created_at": "2026-05-01T10:00:00Z"}\n'
        b'{"lead_id": "L2", "created_at": "2026-05-01T10:00:00Z", "first_name": "Ren\xe9"}\n',
    },
    "jsonl_with_odd_keys": {
        # An empty key, a control character, a quote, a dot and a slash.
        "leads/leads.jsonl": '{"lead_id": "L1", "created_at": "2026-05-01T10:00:00Z", "": "e",'
        ' "a\\u0001b": "c", "q\\"t": "q", "d.t": "d", "x/y": "s"}\n',
    },
    "jsonl_keys_spelled_two_ways": {
        "leads/leads.jsonl": '{"lead_id": "L1", "created_at": "2026-05-01T10:00:00Z",'
        ' "Email": "a@x.io"}\n'
        '{"lead_id": "L2", "created_at": "2026-05-01T11:00:00Z", "email": "b@x.io"}\n',
    },
}


def write_case(case: str, root: Path) -> Path:
    """Write one case's landing folder under root and return it."""
    for relative, content in CASES[case].items():
        path = root / case / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, pa.Table):
            pq.write_table(content, path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))
    return root / case


if __name__ == "__main__":
    import sys

    for name in CASES:
        write_case(name, Path(sys.argv[1]))
