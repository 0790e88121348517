"""The legacy schema steps of a SQLite catalog (PRAGMA user_version 1..21). Frozen: never edit nor append.

They still build every new SQLite catalog and bring an old one to 21; dms.catalog.upgrade then stamps it with
Alembic's baseline revision 0001 (the catalog at 21) and sets user_version to 1000, so a dms from before Alembic
refuses it. A new table or column is an Alembic revision (dms/catalog/alembic/versions/) plus the change in
dms/catalog/schema.py.
"""

from __future__ import annotations

import sqlite3

from dms.errors import CatalogError

MIGRATIONS: list[str] = [
    # 1: documents, their versions, text per page, ingest problems.
    """
    CREATE TABLE documents (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,          -- absolute source path, or <e-mail path>#<n>:<name>
        name TEXT NOT NULL,
        parent_id INTEGER REFERENCES documents(id),
        current_version_id INTEGER REFERENCES versions(id),
        duplicate_of INTEGER REFERENCES documents(id),
        indexed_version_id INTEGER,         -- what the search index holds for it
        pending_sha TEXT,                   -- stored bytes still waiting for extraction (attachments)
        created_at TEXT NOT NULL
    );
    CREATE TABLE versions (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id),
        seq INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER,
        ingested_at TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'unsupported')),
        kind TEXT,
        extractor TEXT,
        title TEXT,
        doc_type TEXT,
        doc_date TEXT,
        date_source TEXT,
        number TEXT,
        revision TEXT,
        products TEXT NOT NULL DEFAULT '[]',
        parties TEXT NOT NULL DEFAULT '[]',
        refs TEXT NOT NULL DEFAULT '[]',
        meta TEXT NOT NULL DEFAULT '{}',
        page_count INTEGER NOT NULL DEFAULT 0,
        UNIQUE (document_id, seq)
    );
    CREATE INDEX versions_sha ON versions(sha256);
    CREATE INDEX versions_number ON versions(number);
    CREATE TABLE pages (
        version_id INTEGER NOT NULL REFERENCES versions(id),
        page_no INTEGER NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (version_id, page_no)
    ) WITHOUT ROWID;
    CREATE TABLE problems (
        id INTEGER PRIMARY KEY,
        version_id INTEGER NOT NULL REFERENCES versions(id),
        kind TEXT NOT NULL,
        severity TEXT NOT NULL CHECK (severity IN ('error', 'warning')),
        reason TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX problems_version ON problems(version_id);
    """,
    # 2: joins from a version (by hash) to the documents it is current for, duplicates, attachments.
    #    Without these, finding the holders of a hash scanned every document: quadratic ingest.
    """
    CREATE INDEX documents_current ON documents(current_version_id);
    CREATE INDEX documents_duplicate ON documents(duplicate_of) WHERE duplicate_of IS NOT NULL;
    CREATE INDEX documents_parent ON documents(parent_id) WHERE parent_id IS NOT NULL;
    """,
    # 3: every identifier a version cites, with provenance (page 0 is the title).
    """
    CREATE TABLE refs (
        version_id INTEGER NOT NULL REFERENCES versions(id),
        family TEXT NOT NULL,
        number TEXT NOT NULL,
        revision TEXT,
        page INTEGER NOT NULL,
        offset INTEGER NOT NULL,
        snippet TEXT NOT NULL
    );
    CREATE INDEX refs_version ON refs(version_id);
    CREATE INDEX refs_number ON refs(number);
    """,
    # 4: links made by hand between graph nodes; removal keeps the row (who, when, why).
    """
    CREATE TABLE manual_links (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        target TEXT NOT NULL,
        type TEXT NOT NULL,
        reason TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        removed_by TEXT,
        removed_at TEXT,
        removal_reason TEXT
    );
    """,
    # 5: users and their roles; passwords only as argon2 hashes; disabled users stay on record.
    """
    CREATE TABLE users (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('viewer', 'coordinator', 'manager', 'admin')),
        password_hash TEXT NOT NULL,
        disabled_at TEXT,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL
    );
    """,
    # 6: change requests, their state history, and a gap-free number counter per year.
    """
    CREATE TABLE change_requests (
        number TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        applicant TEXT NOT NULL,
        state TEXT NOT NULL,
        data TEXT NOT NULL DEFAULT '{}',
        revision INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE cr_history (
        id INTEGER PRIMARY KEY,
        number TEXT NOT NULL REFERENCES change_requests(number),
        at TEXT NOT NULL,
        user TEXT NOT NULL,
        from_state TEXT,
        to_state TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX cr_history_number ON cr_history(number);
    CREATE TABLE cr_counters (year INTEGER PRIMARY KEY, last INTEGER NOT NULL);
    """,
    # 7: web sign-in: sessions and API tokens (kept only as SHA-256 of the secret), failed sign-ins
    # (for rate limiting), and an optional e-mail address per user (for notices).
    """
    CREATE TABLE web_sessions (
        token_hash TEXT PRIMARY KEY,
        user TEXT NOT NULL REFERENCES users(name),
        csrf TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE INDEX web_sessions_user ON web_sessions(user);
    CREATE TABLE api_tokens (
        id INTEGER PRIMARY KEY,
        user TEXT NOT NULL REFERENCES users(name),
        label TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at TEXT
    );
    CREATE TABLE sign_in_failures (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        client TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX sign_in_failures_at ON sign_in_failures(at);
    ALTER TABLE users ADD COLUMN email TEXT;
    """,
    # 8: evidence. A hash-chained, append-only audit log (triggers refuse UPDATE and DELETE; the head
    # is kept apart so a removed last entry shows), legal-hold matters with their scope, retired and
    # purged documents (a purge leaves the row and its hashes as a tombstone), report metrics.
    """
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        user TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        also TEXT NOT NULL DEFAULT '',
        details TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE INDEX audit_log_subject ON audit_log(subject);
    CREATE INDEX audit_log_action ON audit_log(action);
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TABLE audit_head (one INTEGER PRIMARY KEY CHECK (one = 1), last_id INTEGER NOT NULL, hash TEXT NOT NULL);
    CREATE TABLE matters (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL DEFAULT '',
        custodian_notes TEXT NOT NULL DEFAULT '',
        scope TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        released_by TEXT,
        released_at TEXT,
        release_reason TEXT
    );
    ALTER TABLE documents ADD COLUMN retired_at TEXT;
    ALTER TABLE documents ADD COLUMN retired_by TEXT;
    ALTER TABLE documents ADD COLUMN retire_reason TEXT;
    ALTER TABLE documents ADD COLUMN purged_at TEXT;
    ALTER TABLE documents ADD COLUMN purged_by TEXT;
    CREATE TABLE metrics (
        id INTEGER PRIMARY KEY,
        version_id INTEGER NOT NULL REFERENCES versions(id),
        product TEXT NOT NULL,
        period TEXT NOT NULL,
        metric TEXT NOT NULL,
        value REAL NOT NULL
    );
    CREATE INDEX metrics_product ON metrics(product, metric, period);
    CREATE TABLE metrics_read (version_id INTEGER PRIMARY KEY REFERENCES versions(id), tables INTEGER NOT NULL);
    """,
    # 9: OCR. Per page: where its text came from, whether it still needs OCR, and Tesseract's confidence.
    """
    ALTER TABLE pages ADD COLUMN source TEXT NOT NULL DEFAULT 'text';  -- text | ocr
    ALTER TABLE pages ADD COLUMN ocr TEXT CHECK (ocr IN ('needed', 'done', 'failed'));
    ALTER TABLE pages ADD COLUMN ocr_confidence REAL;                 -- mean word confidence, 0-100
    CREATE INDEX pages_ocr ON pages(ocr, version_id) WHERE ocr IS NOT NULL;
    """,
    # signed audit head (issue 13): with DMS_AUDIT_KEY_FILE set, each entry carries an Ed25519 signature
    # over its hash, and the head its entry count, when it was signed, its signature and the key's fingerprint.
    """
    ALTER TABLE audit_log ADD COLUMN sig TEXT;
    ALTER TABLE audit_head ADD COLUMN count INTEGER;
    ALTER TABLE audit_head ADD COLUMN at TEXT;
    ALTER TABLE audit_head ADD COLUMN sig TEXT;
    ALTER TABLE audit_head ADD COLUMN key TEXT;
    """,
    # damaged originals (issue 13): stored blobs `dms verify` found altered or missing, so that ingest
    # rewrites them from an intact source instead of skipping it as unchanged.
    """
    CREATE TABLE damaged_blobs (sha256 TEXT PRIMARY KEY, reason TEXT NOT NULL, found_at TEXT NOT NULL);
    """,
    # intake problems (issue 13): paths that never became a version (unreadable files and folders, symbolic
    # links not followed, FIFOs and devices), listed by `dms problems` until found fine or gone (dms/catalog/intake.py).
    """
    CREATE TABLE intake_problems (
        path TEXT PRIMARY KEY,              -- catalog text form (dms.display.to_text)
        kind TEXT NOT NULL,
        severity TEXT NOT NULL CHECK (severity IN ('error', 'warning')),
        reason TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL
    );
    """,
    # notice outbox (issue 13): a decision's notice, written in the decision's own transaction and then
    # archived and delivered (retried until it is), so a crash after the decision loses none (dms/catalog/outbox.py).
    """
    CREATE TABLE notice_outbox (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,          -- file name of the message: <number>-decision-<revision>.eml
        number TEXT NOT NULL,               -- the change request decided
        message BLOB NOT NULL,              -- the e-mail as composed at the decision
        created_at TEXT NOT NULL,
        archived_at TEXT,                   -- kept under notices/ and ingested
        delivered_at TEXT,                  -- handed to the notifier (SMTP or the outbox folder)
        delivered_to TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        last_attempt_at TEXT
    );
    CREATE INDEX notice_outbox_pending ON notice_outbox(id) WHERE delivered_at IS NULL;
    """,
    # provenance (issue 14): where each derived field came from (rule, label, page, line, words, doubt),
    # shown by `dms explain` and read by `dms review`; "hand" marks a field corrected with `dms edit`.
    """
    ALTER TABLE versions ADD COLUMN sources TEXT NOT NULL DEFAULT '{}';
    """,
    # issue 15 (web daily use), one slot per part; a slot's owner replaces its placeholder statement.
    # accounts (temporary passwords, unlock, known clients)
    """
    ALTER TABLE users ADD COLUMN temporary_until TEXT;
    ALTER TABLE users ADD COLUMN password_changed_at TEXT;
    ALTER TABLE sign_in_failures ADD COLUMN address TEXT NOT NULL DEFAULT '';
    ALTER TABLE sign_in_failures ADD COLUMN source TEXT NOT NULL DEFAULT 'none';
    UPDATE sign_in_failures SET address = client;
    CREATE INDEX sign_in_failures_name ON sign_in_failures(name, at);
    CREATE INDEX sign_in_failures_client ON sign_in_failures(client, at);
    CREATE INDEX sign_in_failures_address ON sign_in_failures(address, at);
    CREATE TABLE known_clients (
        token_hash TEXT NOT NULL,
        user TEXT NOT NULL REFERENCES users(name),
        created_at TEXT NOT NULL,
        last_used_at TEXT NOT NULL,
        PRIMARY KEY (token_hash, user)
    );
    CREATE INDEX known_clients_user ON known_clients(user);
    DELETE FROM web_sessions WHERE user IN (SELECT name FROM users WHERE disabled_at IS NOT NULL);
    """,
    # saved searches ("views"), pinned to the start page
    """
    CREATE TABLE saved_views (
        id INTEGER PRIMARY KEY,
        owner TEXT NOT NULL,                -- the user whose view it is
        name TEXT NOT NULL,
        query_string TEXT NOT NULL,         -- the search page's query string: q, filters, sort, page size
        pinned INTEGER NOT NULL DEFAULT 0,  -- shown on the owner's start page
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (owner, name)
    );
    """,
    # parties as entities (renamed and merged names)
    """
    CREATE TABLE party_changes (            -- each rename or merge, as made; undone ones stay on record
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('rename', 'merge')),
        canonical TEXT NOT NULL,            -- the one name the others now stand for
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        reason TEXT NOT NULL,
        undone_at TEXT,
        undone_by TEXT
    );
    CREATE TABLE party_change_names (       -- the names a change maps to its canonical name
        change_id INTEGER NOT NULL REFERENCES party_changes(id),
        name TEXT NOT NULL,
        PRIMARY KEY (change_id, name)
    ) WITHOUT ROWID;
    CREATE TABLE party_aliases (            -- derived from the changes not undone, replayed in order
        name TEXT PRIMARY KEY,
        canonical TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
    # bundle control numbers that continue across bundles
    """
    CREATE TABLE bundle_controls (          -- the control numbers each bundle was given, per prefix
        id INTEGER PRIMARY KEY,
        prefix TEXT NOT NULL,
        first INTEGER NOT NULL,
        last INTEGER NOT NULL,
        bundle TEXT NOT NULL,               -- the bundle's file name
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL
    );
    CREATE INDEX bundle_controls_prefix ON bundle_controls(prefix, last);
    """,
    # slot: issue 16 part "plans" (replace only this SELECT 1 with your SQL)
    """
    CREATE TABLE plan_cache (               -- plan workbooks as dms.plans read them (derived: safe to empty)
        version_id INTEGER PRIMARY KEY REFERENCES versions(id),
        digest TEXT NOT NULL,               -- of the rules and bounds it was read with; another digest: read again
        data TEXT NOT NULL                  -- the Plan as JSON (dms.plans.codec)
    );
    """,
    # slot: issue 16 part "supply" (replace only this SELECT 1 with your SQL)
    """
    CREATE TABLE supply_read (              -- versions whose evidence tables were read, and with which columns
        version_id INTEGER PRIMARY KEY REFERENCES versions(id),
        columns TEXT NOT NULL,              -- digest of the rules' [supply] column names it was read with
        row_count INTEGER NOT NULL
    );
    CREATE TABLE supply_stock (             -- stock counts (dms.supply): one row of a stock report
        version_id INTEGER NOT NULL REFERENCES versions(id),
        sheet TEXT NOT NULL, row_no INTEGER NOT NULL,
        part TEXT NOT NULL, on_hand REAL NOT NULL, unit TEXT NOT NULL,
        day TEXT,                           -- the row's own date; NULL: the report's date counts
        description TEXT NOT NULL, supplier TEXT NOT NULL
    );
    CREATE INDEX supply_stock_version ON supply_stock(version_id);
    CREATE TABLE supply_orders (            -- purchase order lines
        version_id INTEGER NOT NULL REFERENCES versions(id),
        sheet TEXT NOT NULL, row_no INTEGER NOT NULL,
        order_no TEXT NOT NULL, part TEXT NOT NULL, quantity REAL NOT NULL, unit TEXT NOT NULL,
        due TEXT NOT NULL, supplier TEXT NOT NULL, status TEXT NOT NULL
    );
    CREATE INDEX supply_orders_version ON supply_orders(version_id);
    CREATE TABLE supply_roster (            -- people of a roster; capacity as written, converted when read
        version_id INTEGER NOT NULL REFERENCES versions(id),
        sheet TEXT NOT NULL, row_no INTEGER NOT NULL,
        person TEXT NOT NULL, role TEXT NOT NULL, capacity REAL, written TEXT NOT NULL, email TEXT NOT NULL
    );
    CREATE INDEX supply_roster_version ON supply_roster(version_id);
    CREATE TABLE supply_absences (          -- leave records and calendar events
        version_id INTEGER NOT NULL REFERENCES versions(id),
        sheet TEXT NOT NULL, row_no INTEGER NOT NULL,
        person TEXT NOT NULL, first_day TEXT NOT NULL, last_day TEXT NOT NULL, kind TEXT NOT NULL
    );
    CREATE INDEX supply_absences_version ON supply_absences(version_id);
    """,
    # slot: issue 16 part "followup" (replace only this SELECT 1 with your SQL)
    """
    CREATE TABLE followup_done (            -- follow-ups marked done by hand (dms.followup.listing.mark_done)
        key TEXT PRIMARY KEY,               -- the follow-up's key: action:<doc_id>:<line>, reply:<doc_id>, ...
        kind TEXT NOT NULL,
        done_by TEXT NOT NULL,
        done_at TEXT NOT NULL,
        note TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the catalog to SCHEMA_VERSION; returns the version it was at."""
    (current,) = conn.execute("PRAGMA user_version").fetchone()
    if current > SCHEMA_VERSION:
        from dms.errors import ConfigError

        raise ConfigError(
            f"the catalog is at schema version {current}, newer than this dms ({SCHEMA_VERSION}); upgrade dms"
        )
    for number in range(current, SCHEMA_VERSION):
        # Two processes opening a new catalog at once: each step runs only if the catalog is still at
        # its version once the write lock is held (the CHECK fails, and the step is skipped, if not).
        guard = (f"CREATE TEMP TABLE migrating (version INTEGER CHECK (version = {number})); "
                 "INSERT INTO temp.migrating SELECT user_version FROM pragma_user_version; DROP TABLE temp.migrating;")
        try:
            conn.executescript("BEGIN IMMEDIATE;" + guard + MIGRATIONS[number]
                               + f";PRAGMA user_version = {number + 1}; COMMIT;")
        except (sqlite3.IntegrityError, CatalogError) as exc:  # the catalog's connection raises CatalogError
            if not isinstance(exc, sqlite3.IntegrityError) and not isinstance(exc.__cause__, sqlite3.IntegrityError):
                raise
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            (now,) = conn.execute("PRAGMA user_version").fetchone()
            if now <= number:
                raise
    return current
