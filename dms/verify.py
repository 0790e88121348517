"""`dms verify`: re-hash every stored original and check catalog, store and index agree."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from dms.app import Dms


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
    from dms import audit

    chain = audit.verify(dms.catalog)
    for problem in chain["problems"]:
        report.fail("audit", problem)
    report.audit = {"entries": chain["entries"], "head": chain["head"], "ok": chain["ok"]}
    referenced = set()
    for sha, size, path in dms.catalog.all_version_blobs():
        referenced.add(sha)
        report.checked += 1
        reason = dms.store.verify(sha)
        if reason:
            report.fail("original", reason, sha256=sha, path=path)
        elif dms.store.path_for(sha).stat().st_size != size:
            report.fail("original", f"stored original for {path} has size differing from the catalog", sha256=sha)
    unreferenced = sum(
        1 for p in dms.settings.store_dir.glob("??/??/*") if p.is_file() and p.name not in referenced
    )
    if unreferenced:
        report.notes.append(
            f"{unreferenced} stored blob(s) are not referenced by the catalog (left by an interrupted ingest; harmless)"
        )
    reason = dms.backend.needs_rebuild()
    if reason:
        report.fail("index", f"{reason}; run `dms reindex`")
        return report
    expected = dms.catalog.expected_index()
    actual = dms.backend.indexed()
    for doc_id, version_id in sorted(expected.items()):
        if doc_id not in actual:
            report.fail("index", f"document {doc_id} is not in the search index", id=doc_id)
        elif actual[doc_id] != version_id:
            report.fail("index", f"document {doc_id}: the index holds version {actual[doc_id]}, "
                                 f"the catalog's current version is {version_id}", id=doc_id)
    for doc_id in sorted(set(actual) - set(expected)):
        report.fail("index", f"the search index holds document {doc_id}, which the catalog does not list "
                             "as a current, non-duplicate document", id=doc_id)
    return report
