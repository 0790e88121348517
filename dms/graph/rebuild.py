"""Every link derived from scratch (a catalog's first sync, other rules or link types, `dms graph sync --full`), in
steps that each commit.

At a million documents that is some 15 million rows and half an hour or more. In one transaction it would hold the
catalog's write lock all that time (every ingest, upload and decision waiting for it) and lose everything to a kill
or a power cut near its end. So `start` writes down, in graph_sync under `KEY`, what the derivation is (the stamps
it derives under, the watermarks of versions and audit entries it started from) and how far it got; then each step
takes chunks of `CHUNK` documents (or numbers, or scopes) for about `STEP_SECONDS`, a transaction a step, in four
stages:

1. headers: the Message-ID and In-Reply-To of every live document (a reply may come before its parent);
2. documents: the links of each document, in place of those its scope held;
3. chains: the supersedes chains of every number live documents carry, the same way;
4. sweep: no rows left under a scope that no live document or carried number makes (a purged document's).

The rows there were stay until their scope's turn: a question meanwhile never meets an empty graph, but the old
links of the documents not reached yet.

Each step reads that record again inside its own transaction, so two processes deriving at once share the steps,
and a derivation whose process was killed goes on where it stopped: at once with `dms graph sync --full`, and at
any sync that is not brief once its last step is `ALIVE` seconds old (before that, every other sync leaves it to the
process taking it: a question answers from the rows, behind; a writer ends at once). Until the last step the rows
are not current. At the end the watermarks are those it started from, so the next sync derives again what changed
while it ran. A brief sync (a writer holding its own lock, a web request) takes at most one step.

Inside a caller's transaction (which no step can commit) the same steps run in that transaction, all at once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dms.catalog import linkrows
from dms.catalog.graphstamp import in_write_transaction
from dms.graph import linkwrite

if TYPE_CHECKING:
    from dms.catalog import Catalog
    from dms.identifiers import IdentifierMatcher

KEY = "rebuild"  # graph_sync: the record of a derivation from scratch not finished yet (JSON)
CHUNK = 500  # documents (numbers, scopes) per round of queries
STEP_SECONDS = 5.0  # a committed step takes chunks until this long has passed (the write lock held about that long;
# a small archive is derived in one step); 0: one chunk a step
PAUSE = 0.1  # seconds between two steps, the write lock free: SQLite's busy handler of a waiting writer (an ingest,
# a decision) tries again at least every 100 ms, and would seldom meet a lock freed for a moment only
ALIVE = 60.0  # seconds after a derivation's last step during which a question leaves it to the process running it
STAGES = ("headers", "documents", "chains", "sweep")
FIELDS = {"stamps": dict, "versions": int, "audit": int, "stage": str, "total": int, "done": int, "numbers": int,
          "links": int, "at": float}


@dataclass(frozen=True, slots=True)
class Done:
    documents: int  # documents whose links were derived
    numbers: int  # supersedes chains derived
    links: int  # rows written


def pending(state: dict[str, str]) -> dict | None:
    """The record of the derivation from scratch under way, from graph_sync's rows; None when there is none (or the
    record cannot be read: then a new derivation starts)."""
    raw = state.get(KEY)
    if raw is None:
        return None
    try:
        record = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(record, dict) or record.get("stage") not in STAGES or not all(
            isinstance(record.get(name), kind if kind is not float else (int, float)) for name, kind in FIELDS.items()):
        return None
    if not isinstance(record.get("after"), str if record["stage"] in ("chains", "sweep") else int):
        return None
    return record


def alive(record: dict) -> bool:
    """Whether a process wrote a step of this derivation lately (else it was killed, or stopped). A step dated
    further ahead than that (a clock set back, another machine's clock) is no sign of life either."""
    return abs(time.time() - record["at"]) < ALIVE


def start(catalog: Catalog, stamps: dict[str, str], versions: int, audit: int) -> None:
    """Begin a derivation from scratch (in the caller's transaction): no header (they are all read again first),
    and the record."""
    linkrows.clear_headers(catalog)
    linkrows.forget_state(catalog, ["versions", "audit"])  # the rows are current again only when it ends
    _save(catalog, {"stamps": stamps, "versions": versions, "audit": audit, "stage": STAGES[0], "after": 0,
                    "total": linkrows.live_document_count(catalog), "done": 0, "numbers": 0, "links": 0})


def run(catalog: Catalog, matcher: IdentifierMatcher, stamps: dict[str, str],
        progress: Callable[[int, int], None] | None = None, wait: float | None = None) -> Done | None:
    """Derive step after step until the derivation is finished: then its counts (all its steps', whoever took
    them); when another process took the last step, what this one derived. None: there was none under these stamps
    any more (another process finished it, or began one under other rules)."""
    derived = Done(0, 0, 0)
    with linkrows.large_cache(catalog):
        while True:
            with catalog.transaction(wait):
                stepped = step(catalog, matcher, stamps)
            if stepped is None:
                return None if derived == Done(0, 0, 0) else derived
            record, took, finished = stepped
            derived = Done(derived.documents + took.documents, derived.numbers + took.numbers,
                           derived.links + took.links)
            if progress and took.documents:
                progress(min(record["done"], record["total"]), record["total"])
            if finished:
                return Done(record["done"], record["numbers"], record["links"])
            if not in_write_transaction(catalog):
                time.sleep(PAUSE)


def step(catalog: Catalog, matcher: IdentifierMatcher, stamps: dict[str, str]) -> tuple[dict, Done, bool] | None:
    """One step, in the caller's transaction: chunks of CHUNK documents (or numbers) until STEP_SECONDS have passed
    or nothing is left (then the rows are current, as of the watermarks the derivation started from). The record
    after it, what it derived, and whether the derivation is finished; None when none is under way with these
    stamps."""
    record = pending(linkrows.state(catalog))
    if record is None or record["stamps"] != stamps:
        return None
    before = (record["done"], record["numbers"], record["links"])
    started = time.monotonic()
    finished = _chunk(catalog, matcher, record)
    while not finished and time.monotonic() - started < STEP_SECONDS:
        finished = _chunk(catalog, matcher, record)
    if finished:
        linkrows.analyze(catalog)
        linkrows.forget_state(catalog, [KEY])
        linkrows.set_state(catalog, {**stamps, "versions": str(record["versions"]), "audit": str(record["audit"])})
    else:
        _save(catalog, record)
    took = Done(record["done"] - before[0], record["numbers"] - before[1], record["links"] - before[2])
    return record, took, finished


def _chunk(catalog: Catalog, matcher: IdentifierMatcher, record: dict) -> bool:
    """The next CHUNK documents (numbers, scopes) of the derivation, `record` brought along (a stage that has none
    left goes on with the next); True when nothing was left to do."""
    while True:
        stage = record["stage"]
        if stage == "sweep":
            return _sweep(catalog, record)
        if stage == "chains":
            numbers = linkrows.carried_numbers_after(catalog, record["after"], CHUNK)
            if numbers:
                record["links"] += linkwrite.write_chains(catalog, numbers)
                record["numbers"] += len(numbers)
                record["after"] = numbers[-1]
                return False
            record["stage"], record["after"] = "sweep", ""
            continue
        ids = linkrows.live_document_ids_after(catalog, record["after"], CHUNK)
        if ids:
            break
        record["stage"], record["after"] = ("documents", 0) if stage == "headers" else ("chains", "")
    docs = linkrows.live_documents(catalog, ids)
    if stage == "headers":
        linkrows.replace_messages(catalog, ids, linkwrite.headers_of(docs))  # (rows another dms may have written)
    else:
        record["links"] += linkwrite.write_document_links(catalog, matcher, [], docs)
        record["done"] += len(ids)
    record["after"] = ids[-1]
    return False


def _sweep(catalog: Catalog, record: dict) -> bool:
    """The next CHUNK scopes holding rows: those that no live document (doc:<id>) or number a live document carries
    (number:<NUMBER>) makes lose their rows. True when none was left."""
    scopes = linkrows.scopes_after(catalog, record["after"], CHUNK)
    if not scopes:
        return True
    ids = [int(scope[4:]) for scope in scopes if scope.startswith("doc:") and scope[4:].isdigit()]
    live = {f"doc:{i}" for i in linkrows.live_document_ids_among(catalog, ids)}
    numbers = [scope.partition(":")[2] for scope in scopes if scope.startswith("number:")]
    carried = {f"number:{n}" for n in linkrows.numbered_documents(catalog, numbers)}
    stale = [scope for scope in scopes if scope not in live and scope not in carried]
    if stale:
        linkrows.replace_links(catalog, stale, [])
    record["after"] = scopes[-1]
    return False


def _save(catalog: Catalog, record: dict) -> None:
    linkrows.set_state(catalog, {KEY: json.dumps({**record, "at": time.time()})})
