"""`dms verify`: SQLite's integrity check of the catalog (on PostgreSQL what a connection can check: see
dms.catalog.health), every stored original re-hashed, the audit chain, and catalog, store, index and the graph's
link rows agreeing.
It reports what it finds and never crashes on a damaged part.

Stored originals found altered or missing are recorded in the catalog, so that the next ingest of the
intact source rewrites them (see `Store.repair`) instead of skipping the file as unchanged.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace

from dms.app import Dms
from dms.catalog import health
from dms.catalog.pgdriver import redacted
from dms.errors import CatalogDamaged, IndexUnavailable, QueryError
from dms.index import query as q


@dataclass(slots=True)
class VerifyReport:
    ok: bool = True
    checked: int = 0
    problems: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    audit: dict = field(default_factory=dict)  # entries, head {id, hash}: note the head to check it later

    def fail(self, kind: str, message: str, **where) -> None:
        self.ok = False
        self.problems.append({"kind": kind, "message": message, **where})

    def to_dict(self) -> dict:
        return asdict(self)


def verify(dms: Dms) -> VerifyReport:
    report = VerifyReport()
    path = dms.settings.catalog_path if dms.catalog.dialect == "sqlite" else redacted(dms.settings.database_url)
    found = health.integrity_problems(dms.catalog)
    report.notes += health.integrity_notes(dms.catalog)
    for line in found:
        report.fail("catalog", f"{health.check_name(dms.catalog)} of the catalog {path} found: {line}")
    if found:
        report.notes.append(f"the catalog {path} is damaged: restore it from a backup; the other checks were "
                            "skipped, as what a damaged catalog says cannot be trusted")
        return report
    try:
        _audit(dms, report)
        _originals(dms, report)
    except CatalogDamaged as exc:  # damage the integrity check could not see (a page changed meanwhile)
        report.fail("catalog", str(health.damaged(exc.__cause__ or exc, path)))
        return report
    try:
        _index(dms, report)
    except IndexUnavailable as exc:
        report.fail("index", str(exc))
    _links(dms, report)
    return report


def _links(dms: Dms, report: VerifyReport) -> None:
    """The graph's link rows agree with the documents' facts: brought up to date, then compared with a derivation
    from scratch (dms.graph.compare.differences)."""
    from dms.graph import sync
    from dms.graph.compare import differences

    sync.sync(dms)
    other = sync.under_way(dms)
    if other is not None:  # partly old, partly new rows: nothing to compare yet (dms.graph.rebuild)
        report.notes.append(f"the link rows were not compared: another process is deriving every link again "
                            f"({other['done']} of {other['total']} documents done); verify again when it is done")
        return
    found = differences(dms.catalog, dms.matcher)
    if found["missing"] or found["extra"] or found["headers_missing"] or found["headers_extra"]:
        shown = "; ".join(f"{r[1]} -{r[3]}-> {r[2]}" for r in found["examples_missing"] + found["examples_extra"])
        report.fail("links", f"the link rows disagree with the documents: {found['missing']} link(s) missing, "
                             f"{found['extra']} extra, {found['headers_missing'] + found['headers_extra']} e-mail "
                             f"header row(s) wrong (e.g. {shown or 'headers only'}): run `dms graph sync --full`")


def _audit(dms: Dms, report: VerifyReport) -> None:
    from dms import audit

    chain = audit.verify(dms.catalog)
    for problem in chain["problems"]:
        report.fail("audit", problem)
    report.notes += chain["notes"]  # as `dms audit verify` prints them: an unsigned head, an unpinned key
    report.audit = {"entries": chain["entries"], "head": chain["head"], "ok": chain["ok"]}


def _originals(dms: Dms, report: VerifyReport) -> None:
    referenced = set()
    damaged: dict[str, str] = {}
    for sha, size, path in dms.catalog.all_version_blobs():
        referenced.add(sha)
        report.checked += 1
        reason = dms.store.verify(sha)
        if not reason and dms.store.path_for(sha).stat().st_size != size:
            reason = f"stored original for {path} has size differing from the catalog"
        if reason:
            if sha not in damaged:
                report.fail("original", f"{reason}; ingesting the intact source file again repairs it",
                            sha256=sha, path=path)
            damaged[sha] = reason
    health.set_damaged_blobs(dms.catalog, damaged)
    unreferenced = sum(
        1 for p in dms.settings.store_dir.glob("??/??/*") if p.is_file() and p.name not in referenced
    )
    if unreferenced:
        report.notes.append(
            f"{unreferenced} stored blob(s) are not referenced by the catalog (left by an interrupted ingest; harmless)"
        )


def _index(dms: Dms, report: VerifyReport) -> None:
    reason = dms.backend.needs_rebuild()
    if reason:
        report.fail("index", f"{reason}; run `dms reindex`")
        return
    expected = dms.catalog.expected_index()
    actual = dms.backend.indexed()
    try:
        _read_through(dms, len(actual))
    except QueryError as exc:  # not damage: the read-through stopped early; the rest is still reported
        report.notes.append(f"the read-through of the search index stopped early: {exc}")
    for doc_id, version_id in sorted(expected.items()):
        if doc_id not in actual:
            report.fail("index", f"document {doc_id} is not in the search index", id=doc_id)
        elif actual[doc_id] != version_id:
            report.fail("index", f"document {doc_id}: the index holds version {actual[doc_id]}, "
                                 f"the catalog's current version is {version_id}", id=doc_id)
    for doc_id in sorted(set(actual) - set(expected)):
        report.fail("index", f"the search index holds document {doc_id}, which the catalog does not list "
                             "as a current, non-duplicate document", id=doc_id)


def _read_through(dms: Dms, count: int) -> None:
    """Read the index as searches do: every document's stored fields in both sort orders, the facets, and
    the terms and postings of the words of a title; damage met on the way is IndexUnavailable.

    DMS_QUERY_TIMEOUT bounds what a person asks; these reads are verify's own, bounded by the archive's
    size, so the engine's deadline is lifted while they run."""
    engine = getattr(dms.backend, "engine", dms.backend)
    saved = engine.limits
    engine.limits = replace(saved, timeout=math.inf)
    try:
        _read_all(dms, count)
    finally:
        engine.limits = saved


def _read_all(dms: Dms, count: int) -> None:
    limit = max(1, count)
    for sort in ("relevance", "newest"):
        result = dms.backend.search(q.MatchAll(), limit=limit, offset=0, sort=sort, facets=sort == "relevance")
    words = " ".join(hit.title for hit in result.hits[:10]).split()[:10]
    for word in dict.fromkeys(w.strip(".,;:()[]\"'").lower() for w in words):
        if word:
            dms.backend.search(q.Word(word), limit=10, offset=0, sort="relevance")
