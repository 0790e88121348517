"""Follow-up's SQL: the documents it reads (minutes, e-mails), the marks of follow-ups done by hand, the people
the users table names."""

from __future__ import annotations

from dms.catalog import dialect
from dms.catalog.db import LIVE, Catalog, utcnow, without_nul
from dms.catalog.rows import DOCUMENTS, DocumentRow, documents

_LIVE_DOCS = " AND ".join(f"d.{c}" for c in LIVE.split(" AND "))
_MAIL_KINDS = ("eml", "msg")
_HEADERS = ("from", "to", "cc")  # the headers of a message (versions.meta) that name people


def minutes(catalog: Catalog) -> list[DocumentRow]:
    """Every live document (copies left out) whose current version is typed minutes."""
    return documents(catalog, f"{DOCUMENTS} WHERE {_LIVE_DOCS} AND d.duplicate_of IS NULL AND v.doc_type = 'minutes' "
                              "ORDER BY d.id")


def mails(catalog: Catalog) -> list[DocumentRow]:
    """Every live e-mail (copies left out): .eml and .msg files, and attachments that are messages."""
    message_id = dialect.json_text(catalog.dialect, "v.meta", "message_id")
    return documents(catalog, f"{DOCUMENTS} WHERE {_LIVE_DOCS} AND d.duplicate_of IS NULL AND (v.kind IN (?, ?) "
                              f"OR {message_id} IS NOT NULL) ORDER BY d.id", _MAIL_KINDS)


def mail_identities(catalog: Catalog) -> set[str]:
    """Every "Name <address>" the live messages' From, To and Cc headers write."""
    elements, is_text, value = dialect.strings_of_arrays(catalog.dialect, "v.meta", _HEADERS)
    rows = catalog.conn.execute(
        f"SELECT DISTINCT {value} FROM documents d JOIN versions v ON v.id = d.current_version_id, {elements} "
        f"WHERE {_LIVE_DOCS} AND {is_text}")
    return {r[0] for r in rows if isinstance(r[0], str)}


def marks(catalog: Catalog) -> dict[str, dict]:
    """key -> {kind, done_by, done_at, note} of every follow-up marked done."""
    rows = catalog.conn.execute("SELECT key, kind, done_by, done_at, note FROM followup_done ORDER BY key")
    return {r[0]: {"kind": r[1], "done_by": r[2], "done_at": r[3], "note": r[4]} for r in rows}


def mark(catalog: Catalog, key: str, kind: str, by: str, note: str) -> str:
    """Record the mark; call it inside the transaction that audits it. Returns when it was made."""
    at = utcnow()
    catalog.conn.execute("INSERT INTO followup_done (key, kind, done_by, done_at, note) VALUES (?, ?, ?, ?, ?)",
                         (key, kind, by, at, without_nul(note)))
    return at


def people(catalog: Catalog) -> list[tuple[str, str | None, bool]]:
    """(name, e-mail, disabled) of every user."""
    rows = catalog.conn.execute("SELECT name, email, disabled_at IS NOT NULL FROM users ORDER BY name")
    return [(r[0], r[1], bool(r[2])) for r in rows]


def notice_named(catalog: Catalog, name: str) -> int | None:
    """The id of the outbox notice of this file name, if one was queued."""
    row = catalog.conn.execute("SELECT id FROM notice_outbox WHERE name = ? ORDER BY id LIMIT 1", (name,)).fetchone()
    return row[0] if row else None
