"""Load landing files into DuckDB ``raw.*`` tables, enforcing the landing contract in SQL.

Every file is read by DuckDB's own readers with all values as text, so that a bad value becomes a
quarantined row with a reason instead of a failed load. One SQL statement per entity then types
the values, applies the contract (see ``contract.py``) and splits rows into ``raw.<entity>`` and
``raw.<entity>_rejects``. Input rows = accepted rows + rejected rows, always.

A file is loaded once: ``raw._ingested_files`` remembers it by path, size and modification time.
Rows that wait for their lead (reason ``unknown_lead``) are re-checked on every run and admitted
once the lead has arrived.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.ingest.contract import ENTITIES, FILE_SUFFIXES, Column, Entity
from orchestration.resources import rows_relation

# A long free-text field is not a broken row; DuckDB's default limit (2 MB a line) would
# reject the whole file.
MAX_CSV_LINE_BYTES = 64 * 1024 * 1024

# CSV files with the same first line (up to this many bytes) are read together.
HEADER_BYTES = 64 * 1024

# Tolerated clock skew before a timestamp counts as "in the future".
FUTURE_TOLERANCE = "interval 10 minutes"

META_COLUMNS = """
    _extra_columns varchar,
    _source_file varchar not null,
    _row_number bigint,
    _file_seq bigint not null,
    _load_id varchar not null,
    _loaded_at timestamp not null
"""

REJECT_COLUMNS = """
    _source_file varchar not null,
    _row_number bigint,
    _line_number bigint,
    _file_seq bigint,
    reason_code varchar not null,
    reason varchar not null,
    record varchar,
    _extra_columns varchar,
    _load_id varchar not null,
    _rejected_at timestamp not null
"""


@dataclass
class IngestResult:
    """What one ingest of one entity did; becomes the asset's metadata."""

    entity: str
    files_loaded: list[str] = field(default_factory=list)
    files_unreadable: dict[str, str] = field(default_factory=dict)
    files_ignored: list[str] = field(default_factory=list)
    files_unchanged: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_readmitted: int = 0
    reject_reasons: dict[str, int] = field(default_factory=dict)
    total_accepted: int = 0
    total_rejected: int = 0


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema with one table, one rejects table per entity and the file ledger.

    Tables exist even for entities a deployment does not send, so downstream models always run.
    """
    con.execute("create schema if not exists raw")
    for entity in ENTITIES.values():
        columns = ",\n".join(f"{quote(c.name)} {c.sql_type}" for c in entity.columns)
        con.execute(f"create table if not exists {entity.table} ({columns}, {META_COLUMNS})")
        con.execute(f"create table if not exists {entity.rejects_table} ({REJECT_COLUMNS})")
    con.execute(
        """
        create table if not exists raw._ingested_files (
            entity varchar not null,
            source_file varchar not null,
            size_bytes bigint not null,
            modified_ns bigint not null,
            content_sha256 varchar not null,
            file_seq bigint not null,
            status varchar not null,
            error varchar,
            rows_read bigint,
            rows_accepted bigint,
            rows_rejected bigint,
            _load_id varchar not null,
            _loaded_at timestamp not null
        )
        """
    )


def list_landing_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """Data files of one entity folder in load order (by path), and files of unknown type.

    A file or folder whose name starts with ``.`` or ``_`` is skipped: where a file is written
    before it is renamed into place (``.part`` files, Spark's ``_temporary/``)."""
    if not folder.is_dir():
        return [], []
    data, ignored = [], []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if any(part.startswith((".", "_")) for part in path.relative_to(folder).parts):
            continue
        (data if path.suffix.lower() in FILE_SUFFIXES else ignored).append(path)
    return data, ignored


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _new_files(
    con: duckdb.DuckDBPyConnection, entity: Entity, files: list[Path], landing_dir: Path
) -> tuple[list[tuple[Path, str, int, int, str]], list[tuple[str, int, int, str]], dict[str, str]]:
    """Files to load, files whose modification time changed but whose content did not, and files
    the process cannot open (with the reason; they are tried again on the next run).

    Path, size and modification time decide quickly; a file that differs in those is hashed and
    compared with the content last loaded from its path, so that copying or regenerating the
    same content does not load it twice, while content that goes back to an earlier version is
    loaded again.
    """
    loaded = con.execute(
        "select source_file, size_bytes, modified_ns, content_sha256 from raw._ingested_files"
        " where entity = ? order by file_seq",
        [entity.name],
    ).fetchall()
    # The latest state of each path: a file put back as it was two versions ago (a restore that
    # keeps modification times) is a change from the latest.
    latest = {path: (size, mtime, sha) for path, size, mtime, sha in loaded}
    new, touched, unopenable = [], [], {}
    for path in files:
        relative = path.relative_to(landing_dir).as_posix()
        previous = latest.get(relative)
        try:
            stat = path.stat()
            if previous and previous[:2] == (stat.st_size, stat.st_mtime_ns):
                continue
            sha = _file_sha256(path)
        except OSError as error:
            unopenable[relative] = f"{type(error).__name__}: {error.strerror or error}"
            continue
        if previous and previous[2] == sha:
            touched.append((relative, stat.st_size, stat.st_mtime_ns, sha))
        else:
            new.append((path, relative, stat.st_size, stat.st_mtime_ns, sha))
    return new, touched, unopenable


def _csv_options(column_count: int = 0) -> str:
    """How every CSV file is read: all values as text (the contract check types them), lines the
    reader cannot split kept in DuckDB's ``reject_errors`` table, the file's own columns only (a
    folder named ``day=2026-05-01`` is no column), and, given the header's column count, the
    columns named by position (see ``_file_column``)."""
    names = ", ".join(literal(_file_column(i)) for i in range(column_count))
    return (
        "all_varchar = true, header = true, store_rejects = true, hive_partitioning = false,"
        f" max_line_size = {MAX_CSV_LINE_BYTES}" + (f", names = [{names}]" if names else "")
    )


def _file_column(position: int) -> str:
    """The name a file's column is read under: by position, so that a file column named like one
    the loader adds (``rowid``, ``_row_number``, ``_source_file`` ...) is just another column."""
    return f"__file_column_{position}"


class UnreadableFile(Exception):
    """A file the loader will not read, with the reason for its ``unreadable_file`` reject."""


def _header(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """The column names of a CSV file as DuckDB's reader sees them.

    A header line that is not UTF-8 makes the file unreadable: DuckDB's reader would take it for
    a data line and report every row as missing its columns."""
    with path.open("rb") as file:
        try:
            # Incremental: a header longer than HEADER_BYTES may be cut inside a character.
            codecs.getincrementaldecoder("utf-8")().decode(file.readline(HEADER_BYTES))
        except UnicodeDecodeError as error:
            raise UnreadableFile(
                f"the header line is not UTF-8 text (byte {error.start + 1}): save the file as"
                " UTF-8"
            ) from None
    return [
        row[0]
        for row in con.execute(
            f"describe from read_csv({literal(str(path))}, {_csv_options()})"
        ).fetchall()
    ]


# Characters DuckDB's readers take as a file pattern rather than as part of a file name.
GLOB_CHARACTERS = set("*?[]{}")


def _readable_path(path: Path, seq: int, scratch: Path) -> Path:
    """A path DuckDB reads as this one file: a file whose name holds a pattern character is read
    through a link without it (``day[1].csv`` would otherwise read ``day1.csv``)."""
    if not GLOB_CHARACTERS & set(str(path)):
        return path
    link = scratch / f"file_{seq}{path.suffix.lower()}"
    link.symlink_to(path.resolve())
    return link


# A line the CSV reader rejected, as the reason its reject row gives (from ``reject_errors``).
CSV_REJECT_REASON = "error_type || ': ' || error_message"


def _forget_csv_rejects(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("drop table if exists reject_errors")
    con.execute("drop table if exists reject_scans")


def _csv_dialect(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """The delimiter, quote and escape characters DuckDB's reader finds in this one file, read
    with the loader's options, as ``read_csv`` options.

    A read of many files applies one dialect to all of them, so files are grouped by theirs: a
    file with a stray quote (sniffed as unquoted) is then read as it would be alone, instead of
    being split by another file's quoting. About 20 ms a file, whatever its size: 12 s of the
    first load of the 1M benchmark's 600 daily files, nothing for a file alone."""
    found = con.execute(
        f"select Delimiter, Quote, Escape from sniff_csv({literal(str(path))}, {_csv_options()})"
    ).fetchall()[0]
    return ", ".join(
        f"{option} = {literal('' if value == '(empty)' else value)}"
        for option, value in zip(("delim", "quote", "escape"), found, strict=True)
    )


def _stage_csv_files(
    con: duckdb.DuckDBPyConnection, entity: Entity, files: list[tuple[Path, str, int]]
) -> list[tuple[Path, str, int]]:
    """Stage CSV files that share a header line with one read, and return the files left to read
    one by one: every file of a read that fails, so the file the reader trips over is the only
    one reported.

    One read of many files runs in parallel where a statement per file cost about 0.1 s of fixed
    overhead each: at 1 million leads the 200 daily event files took 33 s one by one, 11 s
    together. Each file keeps its own row numbers (the read keeps file order, so a row's number is
    its row id less its file's first) and its own malformed lines (``reject_scans`` names the
    file of each rejected line).
    """
    by_header: dict[bytes, list[tuple[Path, str, int]]] = {}
    one_by_one = []
    for file in files:
        try:
            with file[0].open("rb") as text:
                by_header.setdefault(text.readline(HEADER_BYTES), []).append(file)
        except OSError:
            one_by_one.append(file)  # reported by the reader, file by file
    # (read_csv options of the group's dialect, files); a file alone finds its own.
    groups: list[tuple[str, list[tuple[Path, str, int]]]] = []
    for same_header in by_header.values():
        if len(same_header) == 1:
            groups.append(("", same_header))
            continue
        by_dialect: dict[str, list[tuple[Path, str, int]]] = {}
        for file in same_header:
            try:
                by_dialect.setdefault(_csv_dialect(con, file[0]), []).append(file)
            except duckdb.Error:
                one_by_one.append(file)
        groups += [(dialect, group) for dialect, group in by_dialect.items()]
    for dialect, group in groups:
        # The column names of the first file stand for the group.
        try:
            columns = _header(con, group[0][0])
        except (duckdb.Error, UnreadableFile):
            one_by_one += group
            continue
        paths = "[" + ", ".join(literal(str(path)) for path, _, _ in group) + "]"
        names = ", ".join(
            f"({literal(str(path))}, {literal(relative)}, {seq})" for path, relative, seq in group
        )
        _forget_csv_rejects(con)
        try:
            options = [_csv_options(len(columns)), dialect, "filename = '__landing_file'"]
            con.execute(
                "create or replace temp table _csv_file_rows as select * from read_csv("
                f"{paths}, {', '.join(option for option in options if option)})"
            )
        except duckdb.Error:
            one_by_one += group
            continue
        mapped = _contract_select(entity, columns, "files.relative", "files.file_seq")
        con.execute(
            f"""
            insert into _incoming by name
            with files (path, relative, file_seq) as (values {names}),
            first_rows as (
                select __landing_file, min(rowid) as first_rowid
                from _csv_file_rows group by __landing_file
            )
            select {mapped}
            from (
                select file_rows.*, file_rows.rowid - first_rows.first_rowid + 1 as _row_number
                from _csv_file_rows as file_rows
                inner join first_rows on file_rows.__landing_file = first_rows.__landing_file
            ) as file_rows
            inner join files on file_rows.__landing_file = files.path
            """
        )
        con.execute(
            f"""
            insert into _incoming_malformed
            with files (path, relative, file_seq) as (values {names})
            select files.relative, errors.line, files.file_seq, {CSV_REJECT_REASON}, errors.csv_line
            from reject_errors as errors
            inner join reject_scans as scans
                on errors.scan_id = scans.scan_id and errors.file_id = scans.file_id
            inner join files on scans.file_path = files.path
            """
        )
    con.execute("drop table if exists _csv_file_rows")
    return one_by_one


def _stage_file(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """Read one file into temp table ``_file``: every column as text, named by position, plus
    ``_row_number``; returns the file's column names.

    Lines the reader cannot split go to temp table ``_file_malformed``.
    """
    kind = FILE_SUFFIXES[path.suffix.lower()]
    con.execute("drop table if exists _file_malformed")
    con.execute(
        "create temp table _file_malformed (_line_number bigint, reason varchar, line varchar)"
    )
    if kind == "csv":
        columns = _header(con, path)
        _forget_csv_rejects(con)
        con.execute(
            "create or replace temp table _file as select row_number() over () as _row_number, *"
            f" from read_csv({literal(str(path))}, {_csv_options(len(columns))})"
        )
        con.execute(
            f"insert into _file_malformed select line, {CSV_REJECT_REASON}, csv_line"
            " from reject_errors"
        )
        return columns
    if kind == "parquet":
        columns = [
            row[0]
            for row in con.execute(
                "describe select * from read_parquet(?, hive_partitioning = false)", [str(path)]
            ).fetchall()
        ]
        positional = ", ".join(
            f"{quote(name)} as {_file_column(i)}" for i, name in enumerate(columns)
        )
        # Numbered like a CSV file's rows: read_parquet's file_row_number would take the
        # place of a column of that name.
        con.execute(
            "create or replace temp table _file as select row_number() over () as _row_number"
            + (f", {positional}" if positional else "")
            + " from read_parquet(?, hive_partitioning = false)",
            [str(path)],
        )
        return columns
    # JSON Lines
    _stage_json_lines(con, path)
    con.execute(
        """
        create or replace temp table _file_lines as
        select _line_number, line,
            case when json_valid(line) then json_type(line) = 'OBJECT' else false end
                as is_object
        from (
        select _line_number,
            -- A byte order mark opens the file, not its first object.
            rtrim(case when _line_number = 1 then ltrim(line, chr(65279)) else line end,
                chr(13)) as line
        from _json_lines
        where trim(line) <> ''
        )
        """
    )
    con.execute(
        """
        insert into _file_malformed
        select _line_number, 'not a JSON object', line from _file_lines
        where not is_object
        """
    )
    keys = [
        row[0]
        for row in con.execute(
            """
            select distinct unnest(json_keys(line)) as k from _file_lines
            where is_object
            order by k
            """
        ).fetchall()
    ]
    # Each key as a JSON Pointer, which takes any key as it is (empty, with dots, quotes,
    # control characters or non-ASCII letters), escaping only ~ and /.
    extracts = "".join(
        f", json_extract_string(line, {literal('/' + k.replace('~', '~0').replace('/', '~1'))})"
        f" as {_file_column(i)}"
        for i, k in enumerate(keys)
    )
    con.execute(
        f"""
        create or replace temp table _file as
        select _line_number as _row_number {extracts} from _file_lines
        where is_object
        """
    )
    return keys


def _stage_json_lines(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """The lines of a JSON Lines file as temp table ``_json_lines`` (``_line_number``, ``line``).

    A line that is not UTF-8 goes to ``_file_malformed``, as a CSV line would, instead of making
    the whole file unreadable; such a file is split in Python, the others by DuckDB."""
    try:
        con.execute(
            """
            create or replace temp table _json_lines as
            select generate_subscripts(lines, 1) as _line_number, unnest(lines) as line
            from (select string_split(content, chr(10)) as lines from read_text(?))
            """,
            [str(path)],
        )
        return
    except duckdb.InvalidInputException as error:
        if "UTF-8" not in str(error):
            raise
    lines, malformed = [], []
    with path.open("rb") as file:
        for number, line in enumerate(file, start=1):
            line = line.removesuffix(b"\n")
            try:
                lines.append((number, line.decode("utf-8")))
            except UnicodeDecodeError as error:
                reason = f"not UTF-8 text (byte {error.start + 1} of the line)"
                malformed.append((number, reason, line.decode("utf-8", errors="replace")))
    with rows_relation(con, "_json_lines_read", ["_line_number", "line"], lines) as read:
        con.execute(
            "create or replace temp table _json_lines as select cast(_line_number as bigint)"
            f" as _line_number, cast(line as varchar) as line from {read}"
        )
    if malformed:
        columns = ["_line_number", "reason", "line"]
        with rows_relation(con, "_json_lines_malformed", columns, malformed) as rejected:
            con.execute(f"insert into _file_malformed select * from {rejected}")


def _append_staged_file(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    columns: list[str],
    relative: str,
    file_seq: int,
) -> None:
    """Map the staged file's columns onto the contract and append it to ``_incoming``."""
    mapped = _contract_select(entity, columns, literal(relative), str(file_seq))
    con.execute(f"insert into _incoming by name select {mapped} from _file")
    con.execute(
        f"""
        insert into _incoming_malformed
        select {literal(relative)}, _line_number, {file_seq}, reason, line from _file_malformed
        """
    )


def _contract_select(
    entity: Entity, file_columns: list[str], source_file_sql: str, file_seq_sql: str
) -> str:
    """The select list that maps a file's columns onto the contract's, as ``_incoming`` rows,
    from rows with the file's columns (named by position, ``_file_column``) and ``_row_number``;
    the file's path and sequence number are SQL expressions.

    A contract column the file spells several ways (``Email`` and ``email``: JSON Lines files
    spell keys line by line) is read, row by row, from the first spelling that holds a value;
    the spellings after the first are also kept as extra columns."""
    contract = set(entity.column_names)
    by_normalized: dict[str, list[str]] = {}
    extras = []
    for position, name in enumerate(file_columns):
        normalized = name.strip().lower()
        if normalized in contract:
            spellings = by_normalized.setdefault(normalized, [])
            spellings.append(f"cast({_file_column(position)} as varchar)")
            if len(spellings) == 1:
                continue  # the usual case: the contract column, spelled once
        extras.append((normalized, _file_column(position)))
    present = [c for c in entity.column_names if c in by_normalized]
    missing = [c for c in entity.column_names if c not in by_normalized]

    selects = [f"coalesce({', '.join(by_normalized[c])}) as {quote(c)}" for c in present]
    if extras:
        pairs = ", ".join(f"{literal(name)}, cast({column} as varchar)" for name, column in extras)
        selects.append(f"json_object({pairs})::varchar as _extra_columns")
    missing_list = "[" + ", ".join(literal(m) for m in missing) + "]::varchar[]"
    return ", ".join(
        [
            *selects,
            f"{source_file_sql} as _source_file",
            "_row_number",
            "null as _line_number",
            f"{file_seq_sql} as _file_seq",
            f"{missing_list} as _missing_columns",
        ]
    )


def _raw_text(column: Column) -> str:
    """The column of ``_checked`` holding the column's trimmed text as it arrived: a text column
    is its own typed value, so ``_checked`` keeps one copy (at 20 million events the second copy
    of the page addresses and properties cost seconds of spilling)."""
    return quote(column.name if column.sql_type == "varchar" else "__raw_" + column.name)


def _typed(column: Column) -> str:
    raw = quote("__raw_" + column.name)
    if column.sql_type == "varchar":
        return raw
    if column.sql_type == "timestamp":
        return f"try_cast(try_cast({raw} as timestamptz) as timestamp)"
    if column.sql_type == "date":
        return (
            f"coalesce(try_cast({raw} as date), try_cast(try_cast({raw} as timestamptz) as date))"
        )
    if column.sql_type in ("bigint", "integer"):
        # A whole number only (12 or 12.0, as a Parquet file of doubles writes it): try_cast
        # would round 12.7 to 13 and read 1.200 as 1.
        whole = rf"regexp_full_match({raw}, '[+-]?[0-9]+(\.0*)?')"
        return f"case when {whole} then try_cast({raw} as {column.sql_type}) end"
    if column.sql_type == "double":
        # NaN and infinity parse as doubles but are no amount or rate: they would poison sums.
        return f"case when isfinite(try_cast({raw} as double)) then try_cast({raw} as double) end"
    return f"try_cast({raw} as {column.sql_type})"


def _problem_checks(entity: Entity) -> list[str]:
    """SQL expressions yielding ``'code|message'`` when a row breaks a rule, else null.

    Order matters: the first problem is the row's reason_code, and ``unknown_lead`` comes last so
    a row waits for its lead only when nothing else is wrong with it.
    """
    checks = []
    for c in entity.columns:
        raw, typed, name = quote("__raw_" + c.name), quote(c.name), literal(c.name)
        if c.required:
            checks.append(
                f"case when {raw} is null then 'missing_required|' || "
                f"case when list_contains(_missing_columns, {name}) then 'the file has no '"
                f" || {name} || ' column' else {name} || ' is empty' end end"
            )
        if c.sql_type != "varchar":
            checks.append(
                f"case when {raw} is not null and {typed} is null then 'unparseable_type|' ||"
                f" {name} || ' \"' || left({raw}, 60) || '\" is not a valid {c.sql_type}' end"
            )
        if c.is_json:
            checks.append(
                f"case when {raw} is not null and not coalesce(json_valid({raw}), false)"
                f" then 'unparseable_type|' || {name} || ' is not valid JSON' end"
            )
        if c.accepted_values:
            values = ", ".join(literal(v) for v in c.accepted_values)
            checks.append(
                f"case when {raw} is not null and {raw} not in ({values}) then"
                f" 'unaccepted_value|' || {name} || ' \"' || left({raw}, 60) || '\"' ||"
                f" ' is not one of {', '.join(c.accepted_values)}' end"
            )
        if c.non_negative:
            checks.append(
                f"case when {typed} < 0 then 'negative_value|' || {name} || ' is negative ('"
                f" || {raw} || ')' end"
            )
        if c.sql_type == "timestamp":
            checks.append(
                f"case when {typed} > now()::timestamp + {FUTURE_TOLERANCE} then"
                f" 'future_timestamp|' || {name} || ' ' || {raw} || ' is in the future' end"
            )
        if c.sql_type == "date":
            checks.append(
                f"case when {typed} > current_date then"
                f" 'future_timestamp|' || {name} || ' ' || {raw} || ' is in the future' end"
            )
    for rule in entity.row_rules:
        checks.append(
            f"case when {rule.violation} then {literal(rule.code + '|' + rule.message)} end"
        )
    if entity.key:
        key_text = " || ', ' || ".join(
            f"{literal(k + ' ')} || coalesce({quote('__raw_' + k)}, '')" for k in entity.key
        )
        checks.append(
            f"case when __first_row_of_key < _row_number then 'duplicate_id_in_file|'"
            f" || {key_text} || ' appears more than once in the file (first at row '"
            f" || __first_row_of_key || ')' end"
        )
        if not entity.versioned:
            checks.append(
                f"case when __already_loaded then 'duplicate_record|' || {key_text}"
                " || ' was loaded before' end"
            )
    if entity.needs_known_lead:
        checks.append(
            "case when __raw_lead_id is not null and not __lead_is_known then"
            " 'unknown_lead|lead_id ' || __raw_lead_id || ' is not a known lead' end"
        )
    return checks


def _check_incoming(con: duckdb.DuckDBPyConnection, entity: Entity) -> None:
    """Type every incoming row and list its problems in temp table ``_checked``."""
    raw_columns = ", ".join(
        f"nullif(trim({quote(c.name)}), '') as {quote('__raw_' + c.name)}" for c in entity.columns
    )
    typed_columns = ", ".join(f"{_typed(c)} as {quote(c.name)}" for c in entity.columns)
    joins, flags, repeated_keys = [], {}, ""
    if entity.key:
        # Keys compare as typed values: a timestamp written 2026-06-30T10:00:00Z in one file and
        # 2026-06-30 10:00:00 in another is one key. An optional key column (the spend's
        # campaign) may be empty: empty is a value of the key like any other.
        columns = {c.name: c for c in entity.columns}
        keys = [quote(k) for k in entity.key]
        key_cols = ", ".join(keys)
        required_not_null = " and ".join(
            f"{quote(k)} is not null" for k in entity.key if columns[k].required
        )

        def same_key(left: str, right: str) -> str:
            return " and ".join(
                f"{left}.{quote(k)} = {right}.{quote(k)}"
                if columns[k].required
                else f"{left}.{quote(k)} is not distinct from {right}.{quote(k)}"
                for k in entity.key
            )

        # The few keys the run's rows repeat, with their first row in each file and whether
        # other files have them too (for _keep_first_copy): an aggregate of the key columns
        # only, joined back, rather than a window that carries every wide row through a sort
        # (at 20 million events 28 s instead of 60 s).
        typed_keys = ", ".join("typed." + k for k in keys)
        repeated_keys = f"""
        repeated_keys as (
            select {key_cols}
            from typed
            where {required_not_null or "true"}
            group by {key_cols}
            having count(*) > 1
        ),
        repeats as (
            select typed._file_seq, {typed_keys},
                min(typed._row_number) as __first_row_of_key,
                count(*) over (partition by {typed_keys}) > 1 as __key_in_other_files
            from typed
            inner join repeated_keys on {same_key("repeated_keys", "typed")}
            group by typed._file_seq, {typed_keys}
        ),"""
        joins.append(
            "left join repeats as repeated"
            f" on repeated._file_seq = typed._file_seq and {same_key('repeated', 'typed')}"
        )
        flags["__first_row_of_key"] = "repeated.__first_row_of_key"
        flags["__key_in_other_files"] = "coalesce(repeated.__key_in_other_files, false)"
        if not entity.versioned:
            # Only the loaded keys this load brings again, found by scanning the loaded keys
            # against the incoming ones: grouping all 20 million loaded event ids to join them
            # took 3.0 s of a daily load, this 0.7 s.
            joins.append(
                f"left join (select distinct {', '.join('loaded.' + k for k in keys)}"
                f" from {entity.table} as loaded"
                " where exists (select 1 from typed as incoming"
                f" where {same_key('incoming', 'loaded')})) as seen"
                f" on {same_key('seen', 'typed')}"
            )
            # An immutable entity's key starts with a required column.
            flags["__already_loaded"] = f"seen.{keys[0]} is not null"
    if entity.needs_known_lead:
        joins.append(
            "left join (select distinct lead_id from raw.leads) as known"
            " on known.lead_id = typed.__raw_lead_id"
        )
        flags["__lead_is_known"] = "known.lead_id is not null"
    checks = ",\n".join(_problem_checks(entity))
    flag_columns = ", ".join(f"{sql} as {name}" for name, sql in flags.items())
    # Kept out of _checked: the writes read the typed values, the raw text and the problems.
    only_while_checking = [
        quote("__raw_" + c.name) for c in entity.columns if c.sql_type == "varchar"
    ] + ["_missing_columns", *(flag for flag in flags if flag != "__key_in_other_files")]
    con.execute(
        f"""
        create or replace temp table _checked as
        with source as (
            select {raw_columns}, _extra_columns, _source_file, _row_number, _line_number,
                _file_seq, _missing_columns, _requeued
            from _incoming
        ),
        typed as (
            select source.*, {typed_columns} from source
        ),{repeated_keys}
        flagged as (
            select typed.*, {flag_columns or "null as __none"}
            from typed {" ".join(joins)}
        )
        select flagged.* exclude ({", ".join(only_while_checking)}),
            list_filter([{checks}], lambda p: p is not null) as __problems
        from flagged
        """
    )
    if entity.key and not entity.versioned:
        _keep_first_copy(con, entity)


def _keep_first_copy(con: duckdb.DuckDBPyConnection, entity: Entity) -> None:
    """An immutable record that comes in several files of one run (or again while an earlier
    copy waits for its lead) is loaded once: of its copies that could load or wait, the first
    that loads now wins, else the first in file order; the others are duplicates. A copy
    rejected for another reason does not count, so a corrected copy still loads."""
    columns = {c.name: c for c in entity.columns}
    keys = ", ".join(quote(k) for k in entity.key)
    key_text = " || ', ' || ".join(
        f"{literal(k + ' ')} || {_raw_text(columns[k])}" for k in entity.key
    )
    con.execute(
        f"""
        update _checked
        set __problems = list_prepend(
            'duplicate_record|' || {key_text} || ' came first in another file', __problems
        )
        from (
            select _file_seq as seq, _row_number as row_number,
                row_number() over (
                    partition by {keys} order by len(__problems) > 0, _file_seq, _row_number
                ) as copy
            from _checked
            where __key_in_other_files
                and len(list_filter(
                    __problems, lambda p: split_part(p, '|', 1) != 'unknown_lead'
                )) = 0
        ) as copies
        where copies.copy > 1
            and _checked._file_seq = copies.seq
            and _checked._row_number = copies.row_number
        """
    )


def _incoming_table_sql(entity: Entity) -> str:
    columns = ", ".join(f"{quote(c)} varchar" for c in entity.column_names)
    return f"""
        create or replace temp table _incoming (
            {columns},
            _extra_columns varchar,
            _source_file varchar,
            _row_number bigint,
            _line_number bigint,
            _file_seq bigint,
            _missing_columns varchar[],
            _requeued boolean default false
        )
    """


def ingest_entity(
    con: duckdb.DuckDBPyConnection, entity: Entity, landing_dir: Path, load_id: str
) -> IngestResult:
    """Load the new files of one entity, re-check waiting rows, and report what happened."""
    con.execute("set TimeZone = 'UTC'")
    ensure_raw_schema(con)
    result = IngestResult(entity=entity.name)
    files, ignored = list_landing_files(landing_dir / entity.name)
    result.files_ignored = [p.relative_to(landing_dir).as_posix() for p in ignored]

    con.execute(_incoming_table_sql(entity))
    con.execute(
        """
        create or replace temp table _incoming_malformed (
            _source_file varchar, _line_number bigint, _file_seq bigint,
            reason varchar, line varchar
        )
        """
    )
    next_seq = con.execute("select coalesce(max(file_seq), 0) + 1 from raw._ingested_files")
    file_seq = next_seq.fetchall()[0][0]
    ledger = []
    new_files, touched_files, unopenable = _new_files(con, entity, files, landing_dir)
    result.files_unreadable.update(unopenable)
    for relative, size, mtime, sha in touched_files:
        result.files_unchanged.append(relative)
        ledger.append((relative, size, mtime, sha, file_seq, "unchanged", None, 0))
        file_seq += 1
    staged = [(path, relative, file_seq + i) for i, (path, relative, *_) in enumerate(new_files)]
    with tempfile.TemporaryDirectory(prefix="leadqual-ingest-") as scratch:
        unreadable = _stage_files(con, entity, staged, Path(scratch))
    rows_by_file = _staged_rows_by_file(con)
    for (_, relative, size, mtime, sha), (_, _, seq) in zip(new_files, staged, strict=True):
        if relative in unreadable:
            message = unreadable[relative]
            result.files_unreadable[relative] = message
            ledger.append((relative, size, mtime, sha, seq, "unreadable", message, None))
        else:
            rows = rows_by_file.get(seq, 0)
            ledger.append((relative, size, mtime, sha, seq, "loaded", None, rows))
            result.files_loaded.append(relative)
            result.rows_read += rows

    con.execute("begin transaction")
    try:
        if entity.needs_known_lead:
            _requeue_waiting_rows(con, entity)
        _check_incoming(con, entity)
        _write_checked_rows(con, entity, load_id)
        _write_unreadable_files(con, entity, ledger, unopenable, load_id)
        _write_ledger(con, entity, ledger, load_id)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise

    accepted, readmitted = con.execute(
        "select count(*) filter (where not _requeued), count(*) filter (where _requeued)"
        " from _checked where len(__problems) = 0"
    ).fetchall()[0]
    result.rows_readmitted = readmitted
    reasons = Counter(
        dict(
            con.execute(
                """
                select split_part(__problems[1], '|', 1), count(*) from _checked
                where len(__problems) > 0 and not _requeued group by all
                """
            ).fetchall()
        )
    )
    reasons.update(
        dict(con.execute("select 'malformed_line', count(*) from _incoming_malformed").fetchall())
    )
    reasons["unreadable_file"] += len(result.files_unreadable)
    result.reject_reasons = {k: v for k, v in sorted(reasons.items()) if v}
    result.rows_accepted = accepted
    result.rows_rejected = sum(result.reject_reasons.values())
    result.total_accepted = con.execute(f"select count(*) from {entity.table}").fetchall()[0][0]
    result.total_rejected = con.execute(f"select count(*) from {entity.rejects_table}").fetchall()[
        0
    ][0]
    return result


def _stage_files(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    files: list[tuple[Path, str, int]],
    scratch: Path,
) -> dict[str, str]:
    """Append the rows of every new file to ``_incoming`` and the lines no reader could split to
    ``_incoming_malformed``. Returns the files DuckDB could not read, with its message."""
    csv_files, one_by_one = [], []
    for path, relative, seq in files:
        file = (_readable_path(path, seq, scratch), relative, seq)
        is_csv = FILE_SUFFIXES[path.suffix.lower()] == "csv"
        (csv_files if is_csv else one_by_one).append(file)
    one_by_one += _stage_csv_files(con, entity, csv_files)
    unreadable = {}
    for path, relative, seq in one_by_one:
        try:
            columns = _stage_file(con, path)
        except (duckdb.Error, UnreadableFile) as error:
            unreadable[relative] = " ".join(line.strip() for line in str(error).splitlines()[:3])
        else:
            _append_staged_file(con, entity, columns, relative, seq)
    return unreadable


def _staged_rows_by_file(con: duckdb.DuckDBPyConnection) -> dict[int, int]:
    """Rows staged per file (parsed and malformed), by file_seq."""
    return dict(
        con.execute(
            """
            select _file_seq, count(*) from (
                select _file_seq from _incoming
                union all
                select _file_seq from _incoming_malformed
            ) group by _file_seq
            """
        ).fetchall()
    )


def _requeue_waiting_rows(con: duckdb.DuckDBPyConnection, entity: Entity) -> None:
    """Move rows that waited for an unknown lead back into ``_incoming`` for a fresh check."""
    extracts = ", ".join(
        f"json_extract_string(record, {literal('$.' + json.dumps(c))}) as {quote(c)}"
        for c in entity.column_names
    )
    waiting = con.execute(
        f"select count(*) from {entity.rejects_table} where reason_code = 'unknown_lead'"
    ).fetchall()[0][0]
    if waiting:
        con.execute(
            f"""
            insert into _incoming by name
            select {extracts}, _extra_columns, _source_file, _row_number, _line_number,
                _file_seq, []::varchar[] as _missing_columns, true as _requeued
            from {entity.rejects_table} where reason_code = 'unknown_lead'
            """
        )
        con.execute(f"delete from {entity.rejects_table} where reason_code = 'unknown_lead'")


def _write_checked_rows(con: duckdb.DuckDBPyConnection, entity: Entity, load_id: str) -> None:
    columns = ", ".join(quote(c) for c in entity.column_names)
    record = ", ".join(f"{literal(c.name)}, {_raw_text(c)}" for c in entity.columns)
    con.execute(
        f"""
        insert into {entity.table}
        select {columns}, _extra_columns, _source_file, _row_number, _file_seq,
            {literal(load_id)}, now()::timestamp
        from _checked where len(__problems) = 0
        order by _file_seq, _row_number
        """
    )
    con.execute(
        f"""
        insert into {entity.rejects_table}
        select _source_file, _row_number, _line_number, _file_seq,
            split_part(__problems[1], '|', 1),
            array_to_string(list_transform(__problems, lambda p: split_part(p, '|', 2)), '; '),
            json_object({record})::varchar, _extra_columns, {literal(load_id)}, now()::timestamp
        from _checked where len(__problems) > 0
        order by _file_seq, _row_number
        """
    )
    con.execute(
        f"""
        insert into {entity.rejects_table}
        select _source_file, null, _line_number, _file_seq, 'malformed_line',
            'line ' || _line_number || ': ' || reason,
            json_object('line', line)::varchar, null, {literal(load_id)}, now()::timestamp
        from _incoming_malformed
        """
    )


def _write_unreadable_files(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    ledger: list[tuple],
    unopenable: dict[str, str],
    load_id: str,
) -> None:
    """A file DuckDB cannot read at all is one reject row, so that it cannot go unnoticed; so is,
    on every run until it can be opened, a file the process may not open."""
    unreadable = [
        (relative, seq, f"the file could not be read: {error}")
        for relative, _size, _mtime, _sha, seq, status, error, _rows in ledger
        if status == "unreadable"
    ] + [
        (relative, None, f"the file could not be opened (tried again next run): {error}")
        for relative, error in unopenable.items()
    ]
    for relative, seq, reason in unreadable:
        con.execute(
            f"""
            insert into {entity.rejects_table}
            values (?, null, null, ?, 'unreadable_file', ?, null, null, ?, now()::timestamp)
            """,
            [relative, seq, reason, load_id],
        )


def _write_ledger(
    con: duckdb.DuckDBPyConnection, entity: Entity, ledger: list[tuple], load_id: str
) -> None:
    if not ledger:
        return
    counts = dict.fromkeys((entry[4] for entry in ledger), (0, 0))
    counts.update(
        {
            seq: (accepted, rejected)
            for seq, accepted, rejected in con.execute(
                """
                select _file_seq, sum(accepted)::bigint, sum(rejected)::bigint from (
                    select _file_seq, (len(__problems) = 0)::int as accepted,
                        (len(__problems) > 0)::int as rejected
                    from _checked where not _requeued
                    union all
                    select _file_seq, 0, 1 from _incoming_malformed
                ) group by _file_seq
                """
            ).fetchall()
        }
    )
    con.executemany(
        "insert into raw._ingested_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
        [
            [
                entity.name,
                relative,
                size,
                mtime,
                sha,
                seq,
                status,
                error,
                rows,
                *counts[seq],
                load_id,
            ]
            for relative, size, mtime, sha, seq, status, error, rows in ledger
        ],
    )
