"""The audit log: append-only, each entry chained to the one before by SHA-256, the head signed.

    hash(n) = SHA-256(hash(n-1) + "\\n" + canonical JSON of [id, at, user, action, subject, also, details])
    head(n) = "dms audit head\\n" id "\\n" hash "\\n" count "\\n" at "\\n"     signed with Ed25519

SQLite triggers refuse UPDATE and DELETE on the log; the chain shows what was changed anyway
(by a tool that drops the triggers, or by editing the file): an edited entry no longer matches its
hash, a removed one leaves a gap or breaks the next entry's link, a reordered pair breaks both, and
the head (kept in its own table) shows a removed last entry. A missing head on a non-empty log, or a
head pointing past the log, is a failure, never a pass.

A chain alone can be recomputed by anyone who edits the file. With DMS_AUDIT_KEY_FILE set (a private
key kept outside the data directory, see dms.signing), every entry stores the signed head as of that
entry, and the head row the latest: an edited entry whose chain was recomputed, or an entry appended
or back-dated without the key, no longer matches a signature. Going back to an earlier state of the
whole file (a copy restored, or the last entries and the head cut back together) can only be caught
against a head noted outside the archive: `dms audit head` prints one for custodians to keep, and
`dms audit verify --head FILE` checks the log still holds that entry with that hash.

Subjects are the graph's node names (doc:12, change_request:CR-2024-001) or matter:NAME, user:NAME,
link:ID; `also` lists other subjects an entry concerns (both ends of a link).
Actions are the names listed in dms.auditactions (record refuses any other); the SQL is dms.catalog.auditlog.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path

from dms import auditactions, signing
from dms.catalog import Catalog
from dms.catalog import auditlog as sql
from dms.catalog.db import utcnow
from dms.errors import IntegrityError

GENESIS = "0" * 64
KEY_CREATED = auditactions.AUDIT_KEY_CREATED  # from this entry on, every entry must be signed
UNSIGNED_NOTE = ("the audit head is not signed (no DMS_AUDIT_KEY_FILE): anyone who can write the data directory "
                 "could rewrite the log and recompute its chain unnoticed; see `dms audit keygen`")


class AuditKey:
    """The configured signing key of one archive, loaded on first use (so a bad key fails what needs it)."""

    def __init__(self, key_file: Path, home: Path):
        self.key_file, self.home = key_file, home
        self._private = None

    def private(self):
        if self._private is None:
            self._private = signing.load_private(self.key_file, self.home)
            if signing.stored_public(self.home) is None:
                try:
                    signing.store_public(self.home, self._private.public_key())
                except IntegrityError:  # another process kept it meanwhile (a planted link is refused again here)
                    if signing.stored_public(self.home) is None:
                        raise
        return self._private

    def public(self):
        return self.private().public_key()


def configure(catalog: Catalog, key_file: Path | None, home: Path) -> None:
    """Sign what this catalog records with the key in `key_file` (None: unsigned, as before)."""
    catalog.audit_key = AuditKey(key_file, home) if key_file else None
    catalog.audit_home = home


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(prev_hash: str, entry: dict) -> str:
    body = [entry["id"], entry["at"], entry["user"], entry["action"], entry["subject"], entry["also"],
            entry["details"]]
    return hashlib.sha256((prev_hash + "\n" + _canonical(body)).encode()).hexdigest()


def head_message(last_id, digest, count, at) -> bytes:
    return f"dms audit head\n{last_id}\n{digest}\n{count}\n{at}\n".encode()


def record(catalog: Catalog, user: str, action: str, subject: str, details: dict | None = None,
           also: Iterable[str] = (), key=None) -> int:
    """Append one entry, inside the caller's transaction if one is open (so it commits or rolls back
    with what it records), else in its own. Refuses (IntegrityError) to add to a log whose head no
    longer matches its end, rather than chaining onto a tampered log or failing on a duplicate id.
    `action` is one of dms.auditactions; any other is a programming error (ValueError), refused before
    anything is written."""
    auditactions.check(action)
    # NUL characters out before hashing: PostgreSQL text cannot hold them, and an entry stored other than hashed
    # would read as altered forever (details are JSON, where NUL is escaped)
    user, subject, also = _storable(user), _storable(subject), [_storable(a) for a in also]
    audit_key = getattr(catalog, "audit_key", None)
    private = key or (audit_key.private() if audit_key else None)
    with catalog.transaction():
        last_id, prev, last_sig = _checked_end(catalog)
        entry = {"id": last_id + 1, "at": utcnow(), "user": user, "action": action, "subject": subject,
                 "also": " ".join(also), "details": json.loads(_canonical(details or {}))}
        digest = entry_hash(prev, entry)
        sig = signing.sign(private, head_message(entry["id"], digest, entry["id"], entry["at"])) if private else None
        if last_sig and not sig:
            raise IntegrityError(f"the audit log is signed, but no key is configured to sign {action!r}: set "
                                 "DMS_AUDIT_KEY_FILE to the archive's audit key")
        sql.insert(catalog, {**entry, "details": _canonical(entry["details"]), "prev_hash": prev, "hash": digest,
                                  "sig": sig})
        sql.set_head(catalog, {"last_id": entry["id"], "hash": digest, "count": entry["id"], "at": entry["at"],
                                    "sig": sig, "key": signing.fingerprint(private.public_key()) if private else None})
    return entry["id"]


def _storable(text: str) -> str:
    return text.replace("\x00", "")


def _checked_end(catalog: Catalog) -> tuple[int, str, str | None]:
    """(last id, its hash, its signature) once the head and the log's last entry agree."""
    head, last = sql.head(catalog), sql.last_entry(catalog)
    if head is None and last is None:
        return 0, GENESIS, None
    why = _end_mismatch(head, last)
    if why:
        raise IntegrityError(f"nothing more can be recorded: {why}. Run `dms audit verify`; the action was not done")
    if last[2] and head["sig"] != last[2]:
        raise IntegrityError("nothing more can be recorded: the audit head's signature is not its last entry's "
                             "(the head was rewritten). Run `dms audit verify`; the action was not done")
    return last


def _end_mismatch(head: dict | None, last: tuple | None) -> str | None:
    if head is None:
        return (f"the audit head is missing (its row was deleted) while the log holds entries up to {last[0]}: "
                "entries at the end may have been removed")
    if last is None:
        return f"the audit head records entry {head['last_id']}, but the log is empty: every entry was removed"
    if head["last_id"] > last[0]:
        return (f"the audit log ends at entry {last[0]}, but its head records entry {head['last_id']}: "
                "entries at the end were removed")
    if head["last_id"] < last[0]:
        return (f"the audit log goes on to entry {last[0]} past its head (entry {head['last_id']}): "
                "entries were appended without updating the head")
    if head["hash"] != last[1]:
        return f"the audit head's hash is not entry {last[0]}'s: the last entry or the head was rewritten"
    return None


def _rows(catalog: Catalog, subject: str | None = None) -> Iterable[dict]:
    for entry in sql.rows(catalog, subject):
        try:
            entry["details"] = json.loads(entry["details"])
        except ValueError:
            pass  # verify reports it: the hash will not match
        yield entry


def verify_entries(entries: Iterable[dict], start_prev: str = GENESIS, first_id: int = 1,
                   contiguous: bool = True, key=None) -> list[str]:
    """Problems with a run of entries, first bad one first. `contiguous=False` checks each entry against
    its own recorded predecessor hash only (a slice of the log, as in a bundle); with `key`, each
    entry's signature too (a slice cannot rely on a later head)."""
    problems = []
    expected_id, prev = first_id, start_prev
    for entry in entries:
        if contiguous:
            if entry["id"] != expected_id:
                what = "missing (removed)" if entry["id"] > expected_id else "out of order"
                problems.append(f"audit entry {expected_id} is {what}; the next entry found is {entry['id']}")
                return problems
            if entry["prev_hash"] != prev:
                problems.append(f"audit entry {entry['id']} does not follow entry {entry['id'] - 1}: the chain is "
                                "broken there (an entry was removed, reordered or rewritten)")
                return problems
        if entry_hash(entry["prev_hash"], entry) != entry["hash"]:
            problems.append(f"{_name(entry)} was altered: it no longer matches its hash")
            return problems
        if key is not None and not signing.check(key, _message(entry), entry.get("sig")):
            problems.append(f"{_name(entry)} " + ("is not signed" if not entry.get("sig") else
                                                  "does not match its signature") +
                            ": it was rewritten, or added without the audit key")
            return problems
        expected_id, prev = entry["id"] + 1, entry["hash"]
    return problems


def _name(entry: dict) -> str:
    return f"audit entry {entry['id']} ({entry['action']} {entry['subject']} at {entry['at']})"


def _message(entry: dict) -> bytes:
    return head_message(entry["id"], entry["hash"], entry["id"], entry["at"])


def verify(catalog: Catalog, public_key=None, statement: dict | None = None) -> dict:
    """Check the whole chain, its head and the head's signature, and optionally a head noted elsewhere
    (`statement`, see `parse_statement`). Returns {ok, entries, head, key, problems, notes}.
    The log and its head are read as one moment left them: entries appended meanwhile (by other processes) are
    not mistaken for entries past the head, nor the head past the entries for entries removed."""
    with catalog.snapshot():
        return _verify(catalog, public_key, statement)


def _verify(catalog: Catalog, public_key, statement: dict | None) -> dict:
    problems: list[str] = []
    notes: list[str] = []
    key, key_info = _key_for(catalog, public_key, statement, problems, notes)
    seen = _Seen(statement["last_id"] if statement else None)
    problems += verify_entries(seen.track(_rows(catalog)))
    seen.drain()
    head = sql.head(catalog)
    last = (seen.last["id"], seen.last["hash"]) if seen.last else None
    if head is not None or last is not None:
        mismatch = _end_mismatch(head, last)
        if mismatch:
            problems.append(mismatch)
        elif head["count"] is not None and head["count"] != seen.count:
            problems.append(f"the audit head counts {head['count']} entries, but the log holds {seen.count}")
    if seen.unsigned_after:
        problems.append(f"audit entry {seen.unsigned_after} is not signed although an earlier entry "
                        f"({seen.first_signed}) is: it was added or rewritten without the audit key")
    elif seen.unsigned_since_key:
        problems.append(f"{_name(seen.unsigned_since_key)} is not signed, but the log records that the audit key was "
                        f"created (entry {seen.key_created}), so every entry from then on must be: the signatures "
                        "were stripped")
    if seen.key_created and head is not None and not head["sig"] and key is None:
        problems.append("the audit head is not signed, but the log records that the audit key was created "
                        f"(entry {seen.key_created}): its signature was stripped")
    if head is not None:
        problems += _head_signature(catalog, head, key, key_info)
    if key is None and (seen.first_signed or seen.key_created or (head and head["sig"])):
        problems.append("the audit log is signed (or records that its key was created), but no public key is known "
                        "to check it (audit_key.pub is "
                        "missing from the data directory): give --public-key FILE or set DMS_AUDIT_KEY_FILE")
    elif key is None:
        notes.append(UNSIGNED_NOTE)
    if statement:
        problems += _against_statement(statement, seen, notes)
    return {"ok": not problems, "entries": seen.count,
            "head": {"id": head["last_id"], "hash": head["hash"], "count": head["count"], "at": head["at"],
                     "signed": bool(head["sig"])} if head else None,
            "key": key_info, "problems": problems, "notes": notes}


class _Seen:
    """What one pass over the log noticed besides the chain: count, last entry, signatures, a noted entry."""

    def __init__(self, noted_id: int | None):
        self.noted_id, self.noted_hash = noted_id, None
        self.count, self.last, self.first_signed, self.unsigned_after = 0, None, None, None
        self.key_created = None  # the id of the "audit key created" entry
        self.unsigned_since_key = None  # the first entry from it on without a signature
        self._rest = iter(())

    def track(self, entries):
        self._rest = entries
        for entry in entries:
            self.count += 1
            self.last = entry
            if entry["sig"] and self.first_signed is None:
                self.first_signed = entry["id"]
            elif not entry["sig"] and self.first_signed is not None and self.unsigned_after is None:
                self.unsigned_after = entry["id"]
            if entry["action"] == KEY_CREATED and self.key_created is None:
                self.key_created = entry["id"]
            if self.key_created is not None and not entry["sig"] and self.unsigned_since_key is None:
                self.unsigned_since_key = entry
            if entry["id"] == self.noted_id:
                self.noted_hash = entry["hash"]
            yield entry

    def drain(self) -> None:
        for _ in self.track(self._rest):
            pass


def _key_for(catalog: Catalog, public_key, statement, problems: list, notes: list):
    """The public key to check signatures with: a pinned one (given, configured, from a noted head) before
    the copy in the data directory, which an insider could have replaced."""
    pinned = []
    if public_key is not None:
        pinned.append(("--public-key", public_key))
    audit_key = getattr(catalog, "audit_key", None)
    if audit_key:
        pinned.append(("DMS_AUDIT_KEY_FILE", audit_key.public()))
    if statement and statement.get("public_key"):
        noted = signing.public_from_text(statement["public_key"])
        if noted is None:
            problems.append("the head statement's public key is not an Ed25519 key")
        else:
            pinned.append(("the head statement", noted))
    home = getattr(catalog, "audit_home", None)
    try:
        stored = signing.stored_public(home) if home else None
    except Exception as exc:  # noqa: BLE001 - a damaged key file is reported, not raised
        problems.append(f"the public key in the data directory is unreadable: {exc}")
        stored = None
    for source, other in pinned[1:]:
        if signing.fingerprint(other) != signing.fingerprint(pinned[0][1]):
            problems.append(f"the key from {source} ({signing.fingerprint(other)}) is not the one from "
                            f"{pinned[0][0]} ({signing.fingerprint(pinned[0][1])})")
    if pinned:
        source, key = pinned[0]
        if stored is not None and signing.fingerprint(stored) != signing.fingerprint(key):
            problems.append(f"the public key in the data directory ({signing.fingerprint(stored)}) is not the audit "
                            f"key ({signing.fingerprint(key)}, from {source}): it was replaced")
        return key, {"fingerprint": signing.fingerprint(key), "source": source, "pinned": True}
    if stored is not None:
        notes.append("signatures checked with the public key kept in the data directory "
                     f"({signing.fingerprint(stored)}): compare it with the fingerprint noted elsewhere, "
                     "or pin it with --public-key or --head")
        return stored, {"fingerprint": signing.fingerprint(stored), "source": "the data directory", "pinned": False}
    return None, None


def _head_signature(catalog: Catalog, head: dict, key, key_info) -> list[str]:
    if key is None:
        return []
    if not head["sig"]:
        return [f"the audit head is not signed, though the audit key {key_info['fingerprint']} is given "
                f"({key_info['source']}): its signatures were stripped, or nothing was recorded since the key was set"]
    if signing.check(key, head_message(head["last_id"], head["hash"], head["count"], head["at"]), head["sig"]):
        return []
    problems = [f"the audit head (entry {head['last_id']}) does not match its signature by {key_info['fingerprint']}: "
                "the log was rewritten, recomputed or added to without the audit key"]
    for entry in _rows(catalog):  # name where it starts (only on failure: one signature check per entry)
        if entry["sig"] and not signing.check(key, _message(entry), entry["sig"]):
            problems.append(f"{_name(entry)} is the first whose signature does not match")
            break
    return problems


def _against_statement(statement: dict, seen: _Seen, notes: list) -> list[str]:
    noted, at = statement["last_id"], statement.get("at") or "?"
    key = signing.public_from_text(statement.get("public_key") or "")
    if statement.get("signature") and key is not None and not signing.check(
            key, head_message(noted, statement["hash"], statement.get("entries", noted), statement.get("at")),
            statement["signature"]):
        return [f"the head statement (entry {noted}, {at}) does not match its own signature: the statement was altered"]
    if seen.noted_hash is None:
        return [f"the audit log ends at entry {seen.last['id'] if seen.last else 0}, but the head noted on {at} "
                f"records entry {noted}: entries up to it were removed"]
    if seen.noted_hash != statement["hash"]:
        return [f"audit entry {noted} is not the one noted on {at}: it, or an entry before it, was changed"]
    notes.append(f"the log still holds the head noted on {at} (entry {noted}) unchanged")
    return []


def head_statement(catalog: Catalog) -> dict:
    """The signed head, for custodians to keep outside the archive (after checking the log)."""
    result = verify(catalog)
    if not result["ok"]:
        raise IntegrityError("the audit log fails verification, so its head is not worth noting: "
                             + "; ".join(result["problems"]))
    head = sql.head(catalog)
    if head is None:
        raise IntegrityError("the audit log is empty: there is no head to note yet")
    key = None
    if result["key"] and head["key"] == result["key"]["fingerprint"]:
        audit_key = getattr(catalog, "audit_key", None)
        key = audit_key.public() if audit_key else signing.stored_public(catalog.audit_home)
    return {"archive": str(getattr(catalog, "audit_home", "")), "entries": head["count"] or head["last_id"],
            "last_id": head["last_id"], "hash": head["hash"], "at": head["at"], "signature": head["sig"],
            "fingerprint": head["key"], "public_key": signing.public_b64(key) if key else None}


_STATEMENT_LINES = (("archive", "archive"), ("entries", "entries"), ("last entry", "last_id"), ("hash", "hash"),
                    ("time", "at"), ("signature", "signature"), ("fingerprint", "fingerprint"),
                    ("public key", "public_key"))


def statement_text(statement: dict) -> str:
    lines = ["dms audit head statement"]
    lines += [f"{label + ':':13}{statement[field] if statement[field] is not None else '-'}"
              for label, field in _STATEMENT_LINES]
    return "\n".join(lines) + "\n"


def parse_statement(text: str) -> dict:
    """A head statement as `dms audit head` prints it (text or --json); UsageError if it is not one."""
    from dms.errors import UsageError

    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise UsageError(f"the head statement is not valid JSON: {exc}") from None
    else:
        labels = dict(_STATEMENT_LINES)
        data = {}
        for line in text.splitlines():
            label, sep, value = line.partition(":")
            if sep and label.strip() in labels:
                data[labels[label.strip()]] = None if value.strip() == "-" else value.strip()
    try:
        if not isinstance(data, dict):
            raise ValueError("it is not an object of fields")
        data["last_id"] = _entry_number(data.get("last_id"), "last entry")
        data["entries"] = _entry_number(data.get("entries") or data["last_id"], "entries")
        if not (isinstance(data.get("hash"), str) and _HEX64.fullmatch(data["hash"])):
            raise ValueError("its hash is not a SHA-256")
        for field in ("archive", "at", "signature", "fingerprint", "public_key"):
            if not isinstance(data.get(field), str | None):
                raise ValueError(f"its {field} is not text")
    except ValueError as exc:
        raise UsageError(f"not a head statement of `dms audit head` ({exc})") from None
    return data


_HEX64 = re.compile(r"[0-9a-f]{64}")


def _entry_number(value, label: str) -> int:
    """An entry number of a statement: a whole number from 1 to SQLite's largest id, given as a number or text."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value.strip()) <= 19:
        value = int(value.strip())
    if type(value) is not int or not 1 <= value <= 2**63 - 1:
        raise ValueError(f"its {label} is not an entry number: {str(value)[:40]!r}")
    return value


def keygen(catalog: Catalog, out: str | Path, by: str) -> dict:
    """Make the archive's audit key at `out`, keep its public half in the data directory, and sign the
    current head with it (by recording that the key was made), once the log as it stands verifies."""
    from dms.errors import UsageError

    home, out = catalog.audit_home, Path(out).expanduser().absolute()
    configured = getattr(catalog, "audit_key", None)
    if configured and configured.key_file != out:
        raise UsageError(f"DMS_AUDIT_KEY_FILE already names a key ({configured.key_file}); unset it to make another")
    if out.exists():
        raise UsageError(f"{out} already exists: a key is never overwritten (it signs what was recorded)")
    stored = signing.stored_public(home)
    if stored is not None:
        raise UsageError(f"this archive already has an audit key ({signing.fingerprint(stored)}, in "
                         f"{home / signing.PUBLIC_KEY_NAME}): a new one would not match what it signed")
    catalog.audit_key = None
    try:
        result = verify(catalog)
        if not result["ok"]:
            raise IntegrityError("the audit log fails verification; a key would vouch for it: "
                                 + "; ".join(result["problems"]))
        private = signing.generate(out, home)
        public = private.public_key()
        path = signing.store_public(home, public)
        record(catalog, by, KEY_CREATED, "audit:key",
               {"fingerprint": signing.fingerprint(public), "public_key": signing.public_b64(public)}, key=private)
    finally:
        catalog.audit_key = configured
    return {"key_file": str(out), "public_key_file": str(path), "fingerprint": signing.fingerprint(public),
            "public_key": signing.public_b64(public), "public_key_pem": signing.public_pem(public)}


def history(catalog: Catalog, subject: str) -> list[dict]:
    """Every entry about this subject, as the subject or among `also`, oldest first."""
    return list(_rows(catalog, subject))


def entries_for(catalog: Catalog, subjects: set[str]) -> list[dict]:
    """The entries about any of these subjects (for a bundle's chain of custody)."""
    return [e for e in _rows(catalog) if e["subject"] in subjects or set(e["also"].split()) & subjects]
