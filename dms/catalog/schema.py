"""The catalog's schema, one description for both dialects: every table as SQLAlchemy Core on one MetaData.

This is what a PostgreSQL catalog is built from (Alembic baseline 0001, dms/catalog/alembic/) and what the copy
between catalogs walks (`metadata.sorted_tables`). A SQLite catalog is still built by the frozen legacy steps
(dms/catalog/migrations.py), so that a new file is exactly what an old one grew into; tests/test_catalog_schema.py
compares this module with such a catalog (Alembic's compare_metadata), so the two cannot drift apart.

Types: `Int` is BIGINT on PostgreSQL (SQLite's INTEGER is 64-bit: sizes and mtime_ns overflow a PostgreSQL
`integer`) and stays INTEGER on SQLite (an INTEGER PRIMARY KEY is the rowid: auto ids); an integer primary key is
BIGSERIAL on PostgreSQL. `Float` is double precision (PostgreSQL's `real` is 4 bytes). JSON and timestamps stay
TEXT on both (byte-identical copies; the audit chain hashes the text). CHECK constraints, UNIQUE constraints and
index names are those of the legacy DDL. The foreign keys between documents and versions form a cycle
(documents.current_version_id -> versions, versions.document_id -> documents): on PostgreSQL they are DEFERRABLE
INITIALLY DEFERRED, checked at COMMIT, so that a copy can write documents before their versions.

Importing this module imports SQLAlchemy: the catalog's usual open (an up-to-date catalog) never does
(dms/catalog/upgrade.py).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    text,
)

Int = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()


def _deferred(target: str) -> ForeignKey:
    """A foreign key of the documents <-> versions cycle (and the documents' references to documents)."""
    return ForeignKey(target, deferrable=True, initially="DEFERRED")


def _where(condition: str) -> dict:
    """A partial index's condition, for both dialects."""
    return {"sqlite_where": text(condition), "postgresql_where": text(condition)}


# -- 1-3: documents, versions, pages, problems, references ------------------------------------------------------

documents = Table(
    "documents", metadata,
    Column("id", Int, primary_key=True),
    Column("path", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("parent_id", Int, _deferred("documents.id")),
    Column("current_version_id", Int,
           ForeignKey("versions.id", use_alter=True, name="documents_current_version_id_fkey", deferrable=True,
                      initially="DEFERRED")),
    Column("duplicate_of", Int, _deferred("documents.id")),
    Column("indexed_version_id", Int),
    Column("pending_sha", Text),
    Column("created_at", Text, nullable=False),
    Column("retired_at", Text),
    Column("retired_by", Text),
    Column("retire_reason", Text),
    Column("purged_at", Text),
    Column("purged_by", Text),
    Index("documents_current", "current_version_id"),
    Index("documents_duplicate", "duplicate_of", **_where("duplicate_of IS NOT NULL")),
    Index("documents_parent", "parent_id", **_where("parent_id IS NOT NULL")),
)

versions = Table(
    "versions", metadata,
    Column("id", Int, primary_key=True),
    Column("document_id", Int, _deferred("documents.id"), nullable=False),
    Column("seq", Int, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("size", Int, nullable=False),
    Column("mtime_ns", Int),
    Column("ingested_at", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("kind", Text),
    Column("extractor", Text),
    Column("title", Text),
    Column("doc_type", Text),
    Column("doc_date", Text),
    Column("date_source", Text),
    Column("number", Text),
    Column("revision", Text),
    Column("products", Text, nullable=False, server_default=text("'[]'")),
    Column("parties", Text, nullable=False, server_default=text("'[]'")),
    Column("refs", Text, nullable=False, server_default=text("'[]'")),
    Column("meta", Text, nullable=False, server_default=text("'{}'")),
    Column("page_count", Int, nullable=False, server_default=text("0")),
    Column("sources", Text, nullable=False, server_default=text("'{}'")),
    CheckConstraint("status IN ('ok', 'failed', 'unsupported')", name="versions_status_check"),
    UniqueConstraint("document_id", "seq"),
    Index("versions_sha", "sha256"),
    Index("versions_number", "number"),
)

pages = Table(
    "pages", metadata,
    Column("version_id", Int, ForeignKey("versions.id"), primary_key=True),
    Column("page_no", Int, primary_key=True),
    Column("text", Text, nullable=False),
    Column("source", Text, nullable=False, server_default=text("'text'")),  # text | ocr
    Column("ocr", Text),
    Column("ocr_confidence", Float),  # mean word confidence, 0-100
    CheckConstraint("ocr IN ('needed', 'done', 'failed')", name="pages_ocr_check"),
    Index("pages_ocr", "ocr", "version_id", **_where("ocr IS NOT NULL")),
)

problems = Table(
    "problems", metadata,
    Column("id", Int, primary_key=True),
    Column("version_id", Int, ForeignKey("versions.id"), nullable=False),
    Column("kind", Text, nullable=False),
    Column("severity", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    CheckConstraint("severity IN ('error', 'warning')", name="problems_severity_check"),
    Index("problems_version", "version_id"),
)

refs = Table(
    "refs", metadata,
    Column("version_id", Int, ForeignKey("versions.id"), nullable=False),
    Column("family", Text, nullable=False),
    Column("number", Text, nullable=False),
    Column("revision", Text),
    Column("page", Int, nullable=False),
    Column("offset", Int, nullable=False),  # a reserved word in PostgreSQL: write "offset" in SQL
    Column("snippet", Text, nullable=False),
    Index("refs_version", "version_id"),
    Index("refs_number", "number"),
)

# -- 4-7: manual links, users, change requests, web sign-in ------------------------------------------------------

manual_links = Table(
    "manual_links", metadata,
    Column("id", Int, primary_key=True),
    Column("source", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("removed_by", Text),
    Column("removed_at", Text),
    Column("removal_reason", Text),
)

users = Table(
    "users", metadata,
    Column("name", Text, primary_key=True),
    Column("role", Text, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("disabled_at", Text),
    Column("created_at", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("email", Text),
    Column("temporary_until", Text),
    Column("password_changed_at", Text),
    CheckConstraint("role IN ('viewer', 'coordinator', 'manager', 'admin')", name="users_role_check"),
)

change_requests = Table(
    "change_requests", metadata,
    Column("number", Text, primary_key=True),
    Column("title", Text, nullable=False),
    Column("applicant", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("data", Text, nullable=False, server_default=text("'{}'")),
    Column("revision", Int, nullable=False, server_default=text("1")),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
)

cr_history = Table(
    "cr_history", metadata,
    Column("id", Int, primary_key=True),
    Column("number", Text, ForeignKey("change_requests.number"), nullable=False),
    Column("at", Text, nullable=False),
    Column("user", Text, nullable=False),  # `user` alone is the role name in PostgreSQL: write "user" in SQL
    Column("from_state", Text),
    Column("to_state", Text, nullable=False),
    Column("note", Text, nullable=False, server_default=text("''")),
    Index("cr_history_number", "number"),
)

cr_counters = Table(
    "cr_counters", metadata,
    Column("year", Int, primary_key=True, autoincrement=False),
    Column("last", Int, nullable=False),
)

web_sessions = Table(
    "web_sessions", metadata,
    Column("token_hash", Text, primary_key=True),
    Column("user", Text, ForeignKey("users.name"), nullable=False),
    Column("csrf", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("expires_at", Text, nullable=False),
    Index("web_sessions_user", "user"),
)

api_tokens = Table(
    "api_tokens", metadata,
    Column("id", Int, primary_key=True),
    Column("user", Text, ForeignKey("users.name"), nullable=False),
    Column("label", Text, nullable=False),
    Column("token_hash", Text, nullable=False, unique=True),
    Column("created_at", Text, nullable=False),
    Column("last_used_at", Text),
    Column("revoked_at", Text),
)

sign_in_failures = Table(
    "sign_in_failures", metadata,
    Column("id", Int, primary_key=True),
    Column("name", Text, nullable=False),
    Column("client", Text, nullable=False),
    Column("at", Text, nullable=False),
    Column("address", Text, nullable=False, server_default=text("''")),
    Column("source", Text, nullable=False, server_default=text("'none'")),
    Index("sign_in_failures_at", "at"),
    Index("sign_in_failures_name", "name", "at"),
    Index("sign_in_failures_client", "client", "at"),
    Index("sign_in_failures_address", "address", "at"),
)

known_clients = Table(
    "known_clients", metadata,
    Column("token_hash", Text, primary_key=True),
    Column("user", Text, ForeignKey("users.name"), primary_key=True),
    Column("created_at", Text, nullable=False),
    Column("last_used_at", Text, nullable=False),
    Index("known_clients_user", "user"),
)

# -- 8: evidence: the audit log and its head, legal holds, metrics -------------------------------------------------

audit_log = Table(  # append-only: triggers refuse UPDATE, DELETE (and TRUNCATE on PostgreSQL): dms/catalog/upgrade.py
    "audit_log", metadata,
    Column("id", Int, primary_key=True),
    Column("at", Text, nullable=False),
    Column("user", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("also", Text, nullable=False, server_default=text("''")),
    Column("details", Text, nullable=False),
    Column("prev_hash", Text, nullable=False),
    Column("hash", Text, nullable=False),
    Column("sig", Text),
    Index("audit_log_subject", "subject"),
    Index("audit_log_action", "action"),
)

audit_head = Table(
    "audit_head", metadata,
    Column("one", Int, primary_key=True, autoincrement=False),
    Column("last_id", Int, nullable=False),
    Column("hash", Text, nullable=False),
    Column("count", Int),
    Column("at", Text),
    Column("sig", Text),
    Column("key", Text),
    CheckConstraint("one = 1", name="audit_head_one_check"),
)

matters = Table(
    "matters", metadata,
    Column("id", Int, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("description", Text, nullable=False, server_default=text("''")),
    Column("custodian_notes", Text, nullable=False, server_default=text("''")),
    Column("scope", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("released_by", Text),
    Column("released_at", Text),
    Column("release_reason", Text),
)

metrics = Table(
    "metrics", metadata,
    Column("id", Int, primary_key=True),
    Column("version_id", Int, ForeignKey("versions.id"), nullable=False),
    Column("product", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("metric", Text, nullable=False),
    Column("value", Float, nullable=False),
    Index("metrics_product", "product", "metric", "period"),
)

metrics_read = Table(
    "metrics_read", metadata,
    Column("version_id", Int, ForeignKey("versions.id"), primary_key=True, autoincrement=False),
    Column("tables", Int, nullable=False),
)

# -- issue 13: damaged originals, intake problems, the notice outbox -----------------------------------------------

damaged_blobs = Table(
    "damaged_blobs", metadata,
    Column("sha256", Text, primary_key=True),
    Column("reason", Text, nullable=False),
    Column("found_at", Text, nullable=False),
)

intake_problems = Table(
    "intake_problems", metadata,
    Column("path", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("severity", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("first_seen", Text, nullable=False),
    Column("last_seen", Text, nullable=False),
    CheckConstraint("severity IN ('error', 'warning')", name="intake_problems_severity_check"),
)

notice_outbox = Table(
    "notice_outbox", metadata,
    Column("id", Int, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("number", Text, nullable=False),
    Column("message", LargeBinary, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("archived_at", Text),
    Column("delivered_at", Text),
    Column("delivered_to", Text),
    Column("attempts", Int, nullable=False, server_default=text("0")),
    Column("last_error", Text),
    Column("last_attempt_at", Text),
    Index("notice_outbox_pending", "id", **_where("delivered_at IS NULL")),
)

# -- issue 15: saved views, parties as entities, bundle control numbers ---------------------------------------------

saved_views = Table(
    "saved_views", metadata,
    Column("id", Int, primary_key=True),
    Column("owner", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("query_string", Text, nullable=False),
    Column("pinned", Int, nullable=False, server_default=text("0")),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    UniqueConstraint("owner", "name"),
)

party_changes = Table(
    "party_changes", metadata,
    Column("id", Int, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("canonical", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("undone_at", Text),
    Column("undone_by", Text),
    CheckConstraint("kind IN ('rename', 'merge')", name="party_changes_kind_check"),
)

party_change_names = Table(
    "party_change_names", metadata,
    Column("change_id", Int, ForeignKey("party_changes.id"), primary_key=True, autoincrement=False),
    Column("name", Text, primary_key=True),
)

party_aliases = Table(
    "party_aliases", metadata,
    Column("name", Text, primary_key=True),
    Column("canonical", Text, nullable=False),
)

bundle_controls = Table(
    "bundle_controls", metadata,
    Column("id", Int, primary_key=True),
    Column("prefix", Text, nullable=False),
    Column("first", Int, nullable=False),
    Column("last", Int, nullable=False),
    Column("bundle", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Index("bundle_controls_prefix", "prefix", "last"),
)

# -- issue 16: plans, supply, follow-ups ---------------------------------------------------------------------------

plan_cache = Table(
    "plan_cache", metadata,
    Column("version_id", Int, ForeignKey("versions.id"), primary_key=True, autoincrement=False),
    Column("digest", Text, nullable=False),
    Column("data", Text, nullable=False),
)

supply_read = Table(
    "supply_read", metadata,
    Column("version_id", Int, ForeignKey("versions.id"), primary_key=True, autoincrement=False),
    Column("columns", Text, nullable=False),
    Column("row_count", Int, nullable=False),
)

supply_stock = Table(
    "supply_stock", metadata,
    Column("version_id", Int, ForeignKey("versions.id"), nullable=False),
    Column("sheet", Text, nullable=False),
    Column("row_no", Int, nullable=False),
    Column("part", Text, nullable=False),
    Column("on_hand", Float, nullable=False),
    Column("unit", Text, nullable=False),
    Column("day", Text),
    Column("description", Text, nullable=False),
    Column("supplier", Text, nullable=False),
    Index("supply_stock_version", "version_id"),
)

supply_orders = Table(
    "supply_orders", metadata,
    Column("version_id", Int, ForeignKey("versions.id"), nullable=False),
    Column("sheet", Text, nullable=False),
    Column("row_no", Int, nullable=False),
    Column("order_no", Text, nullable=False),
    Column("part", Text, nullable=False),
    Column("quantity", Float, nullable=False),
    Column("unit", Text, nullable=False),
    Column("due", Text, nullable=False),
    Column("supplier", Text, nullable=False),
    Column("status", Text, nullable=False),
    Index("supply_orders_version", "version_id"),
)

supply_roster = Table(
    "supply_roster", metadata,
    Column("version_id", Int, ForeignKey("versions.id"), nullable=False),
    Column("sheet", Text, nullable=False),
    Column("row_no", Int, nullable=False),
    Column("person", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("capacity", Float),
    Column("written", Text, nullable=False),
    Column("email", Text, nullable=False),
    Index("supply_roster_version", "version_id"),
)

supply_absences = Table(
    "supply_absences", metadata,
    Column("version_id", Int, ForeignKey("versions.id"), nullable=False),
    Column("sheet", Text, nullable=False),
    Column("row_no", Int, nullable=False),
    Column("person", Text, nullable=False),
    Column("first_day", Text, nullable=False),
    Column("last_day", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Index("supply_absences_version", "version_id"),
)

followup_done = Table(
    "followup_done", metadata,
    Column("key", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("done_by", Text, nullable=False),
    Column("done_at", Text, nullable=False),
    Column("note", Text, nullable=False),
)

# -- revision 0002: the cross-reference graph's derived links, as rows (dms.graph.derive, dms.graph.sync) ---------
# Tables added after the baseline carry info={"since": revision}: revision 0001 builds only those without it.

graph_links = Table(
    "graph_links", metadata,
    Column("id", Int, primary_key=True),
    # what derived it, so that it can be derived again alone: "doc:<id>" (the links a document's own facts make)
    # or "number:<NUMBER>" (the supersedes chain of the revisions of one document number)
    Column("scope", Text, nullable=False),
    Column("source", Text, nullable=False),  # graph nodes: doc:<id>, <family>:<NUMBER>, product:<CODE>, party:<name>
    Column("target", Text, nullable=False),
    Column("type", Text, nullable=False),  # a derived row of dms.graph.linktypes
    Column("evidence", Text, nullable=False),
    Column("outcome", Text),  # decided_in: approved, rejected, deferred, undecided, decided
    Column("page", Int),  # mentions: where the first citation is (0 = the title)
    Column("position", Int),
    Column("cited", Text),  # mentions: the number as cited, with its revision ("SPEC-KX200-03 Rev B")
    Index("graph_links_source", "source", "type"),
    Index("graph_links_target", "target", "type"),
    Index("graph_links_scope", "scope"),
    info={"since": "0002"},
)

graph_messages = Table(  # the e-mail headers reply_to links are made from, so a late parent finds its replies
    "graph_messages", metadata,
    Column("doc_id", Int, primary_key=True),
    Column("message_id", Text),
    Column("in_reply_to", Text),
    Index("graph_messages_message", "message_id"),
    Index("graph_messages_reply", "in_reply_to"),
    info={"since": "0002"},
)

graph_dirty = Table(  # documents whose facts were rewritten in place, with no audit entry of their own: derive again
    "graph_dirty", metadata,
    Column("doc_id", Int, primary_key=True),
    info={"since": "0002"},
)

graph_sync = Table(  # how far the link rows are derived: watermarks and the stamps of what shapes them
    "graph_sync", metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
    info={"since": "0002"},
)


def baseline_tables() -> list[Table]:
    """The tables of revision 0001 (those of later revisions say since when they exist)."""
    return [t for t in metadata.sorted_tables if "since" not in t.info]


def tables_since(revision: str) -> list[Table]:
    return [t for t in metadata.sorted_tables if t.info.get("since") == revision]
