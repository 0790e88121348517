"""Ingest: scan -> store (hash) -> extract in workers -> record in the catalog -> index in batches.

Steps are small functions over frozen records; the catalog is written in batches of about
CATALOG_BATCH files, each one `catalog.transaction()` (held open by dms.catalog.batches.Batch; a
file's audit entry joins it), the index after the catalog, so a run killed at any point is completed by the
next: unchanged files are skipped by size and mtime, stale index entries are re-synced,
and attachments queued but not yet extracted are picked up from `pending_sha`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dms import audit, auditactions
from dms.app import Dms, IndexBatch
from dms.catalog import intake
from dms.catalog.batches import Batch, KnownBytes
from dms.catalog.db import KnownFile
from dms.index import engines
from dms.ingest import pool as extract_pool
from dms.ingest.pool import ExtractPool, InlinePool
from dms.ingest.postpass import after_ingest
from dms.ingest.repair import Repairs
from dms.ingest.scan import PathProblem, SourceFile, scan
from dms.ingest.worker import Task
from dms.locks import one_writer
from dms.model import Extraction, IndexRecord
from dms.ocr import pages as ocr_pages
from dms.ocr import phase as ocr_phase
from dms.store import NotRegularFile

MAX_ATTACHMENT_DEPTH = 3
CATALOG_BATCH = 200


@dataclass(frozen=True, slots=True)
class Job:
    """One stored original waiting for extraction."""

    doc_id: int
    path: str
    name: str
    sha256: str
    size: int
    mtime_ns: int | None
    old_sha: str | None
    fresh: bool = False  # its document was created by this run, so the index cannot hold it yet


@dataclass(slots=True)
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    attachments: int = 0
    unsupported: int = 0
    skipped: int = 0
    repaired: int = 0  # stored originals rewritten from an intact source (dms.ingest.repair)
    seconds: float = 0.0
    problems: list[dict] = field(default_factory=list)
    ocr: dict | None = None  # what OCR did, or why scanned pages still wait for it

    def to_dict(self) -> dict:
        return asdict(self)


class _Run:
    """The state of one ingest run: what is in flight, the open catalog batch, the index batch."""

    def __init__(self, dms: Dms, report: IngestReport, pool: ExtractPool, total: int,
                 on_progress: Callable[[int, int], None] | None, by: str):
        self.dms, self.report, self.pool, self.by = dms, report, pool, by
        self.catalog = dms.catalog
        self.total, self.finished, self.on_progress = total, 0, on_progress
        self.since_commit = 0
        self.max_bytes = int(dms.settings.max_file_mb * 1_000_000)
        self.max_text_chars = int(dms.settings.max_text_mb * 1_000_000)
        # Enough files in flight that the workers stay busy while this process writes the index.
        self.window = max(64, 64 * dms.settings.workers)
        self.waiting: dict[str, list[Job]] = {}  # sha -> jobs waiting for that extraction
        self.seen: set[str] = set()  # hashes met in this run
        # hashes some version holds (at the start, and each version this run adds): for bytes not among them the
        # catalog is not asked for copies of them or for an extraction to reuse (most files of a first ingest)
        self.held = KnownBytes(dms.catalog)
        self.in_batch = 0
        self.batch = Batch(dms.catalog)  # the open catalog transaction: about CATALOG_BATCH files
        self.index = IndexBatch(dms)
        self.repairs = Repairs(dms.catalog, dms.store, by)
        self.fine: list[str] = []  # paths read (or unchanged) in this run: any lasting problem of theirs is over
        self.met: set[str] = set()  # paths with a problem in this run
        self.recorded: set[int] = set()  # documents given a version in this run, for the steps after it
        from dms.preview.spec import spec_for

        # made in the workers; not in this process (InlinePool): the web server's preview queue makes those
        self.preview = spec_for(dms.settings) if dms.settings.thumbnails and not isinstance(pool, InlinePool) else None
        # the search engine whose analysis of the text the workers make, if it has one (dms.index.engines)
        engine = engines.engine(dms.settings.search_engine)
        self.analysed_for = engine.name if engine.analysis and not isinstance(pool, InlinePool) else None

    def on_done(self) -> None:
        self.finished += 1
        if self.on_progress:
            self.on_progress(self.finished, self.total)

    def resume_pending(self) -> None:
        """Stored bytes a killed run queued (attachments) but did not extract."""
        for doc_id, path, name, sha in self.catalog.pending():
            size = self.dms.store.path_for(sha).stat().st_size
            self.submit(Job(doc_id, path, name, sha, size, None, self.catalog.current_sha(doc_id)))

    def take(self, src: SourceFile, prior: KnownFile | None) -> None:
        """One file of the tree: skip it if unchanged, else store it and send it for extraction."""
        report, path = self.report, src.key  # the catalog's name of the file, whatever bytes name it
        suspect = self.repairs.suspect(prior)  # its stored original is damaged: read the file again
        if prior and prior.size == src.size and prior.mtime_ns == src.mtime_ns and not suspect:
            report.unchanged += 1
            self.fine.append(path)
            return self.on_done()
        try:  # only the regular file the scan saw is read: never a FIFO or device swapped in since (dms.store)
            blob = self.dms.store.put_file(src.read_from or src.path, (src.dev, src.ino) if src.ino else None,
                                           src.size)  # a file still growing is not read without end
        except OSError as exc:
            self.problem(PathProblem(path, "special", "warning", str(exc)) if isinstance(exc, NotRegularFile) else
                         PathProblem(path, "unreadable", "error", "the file could not be read, so it was not "
                                     f"stored: {exc.strerror or exc}"))
            return self.on_done()
        self.fine.append(path)
        self.begin()
        self.repairs.after_store(prior, path, blob, suspect)
        if prior and prior.sha256 == blob.sha256:
            self.catalog.touch_mtime(prior.doc_id, src.mtime_ns)
            report.unchanged += 1
            return self.on_done()
        doc_id, fresh = (prior.doc_id, False) if prior else self.catalog.ensure_document(path, Path(path).name)
        if prior:
            report.updated += 1
        elif blob.sha256 in self.seen or (blob.sha256 in self.held
                                           and self.catalog.is_current_elsewhere(blob.sha256, doc_id)):
            report.duplicates += 1
        else:
            report.added += 1
        self.seen.add(blob.sha256)
        self.submit(Job(doc_id, path, Path(path).name, blob.sha256, blob.size, src.mtime_ns,
                        prior.sha256 if prior else None, fresh))

    def problem(self, p: PathProblem) -> None:
        """A path that could not become a version: in the report, and listed by `dms problems` until it can."""
        self.report.problems.append(p.to_dict())
        intake.note(self.catalog, p.path, p.kind, p.severity, p.reason)
        self.met.add(p.path)

    def problems_over(self, walked: list[str]) -> None:
        """Lasting problems of paths now read, or no longer met in a folder walked in full (gone, or fine)."""
        intake.clear(self.catalog, [p for p in self.fine if p not in self.met])
        intake.forget_under(self.catalog, walked, self.met)

    def finish(self) -> None:
        for job, ex in self.pool.results():
            self.record(job, ex)
        self.flush()

    def submit(self, job: Job) -> None:
        """Extract the job's bytes, or reuse the extraction of identical bytes already catalogued."""
        if job.sha256 in self.waiting:
            self.waiting[job.sha256].append(job)
            return
        existing = self.catalog.extracted_version_with_sha(job.sha256) if job.sha256 in self.held else None
        if existing is not None:
            self.begin()
            self.catalog.copy_version(job.doc_id, existing, job.size, job.mtime_ns)
            self.after_version(job)
            self.maybe_flush()
            return
        blob = self.dms.store.path_for(job.sha256)
        self.waiting[job.sha256] = []
        self.pool.submit(job, Task(blob=blob, path=job.path, size=job.size, max_bytes=self.max_bytes,
                                   max_text_chars=self.max_text_chars, preview=self.preview,
                                   engine=self.analysed_for))
        while self.pool.in_flight >= self.window:
            self.record(*self.pool.next_result())

    def after_version(self, job: Job, alone: bool = False) -> None:
        """`alone`: the version's document is new in this run and no other version holds its bytes, so it is no
        copy and makes none (the catalog is not asked)."""
        self.recorded.add(job.doc_id)
        audit.record(self.catalog, self.by, auditactions.INGEST, f"doc:{job.doc_id}",
                     {"path": job.path, "sha256": job.sha256, "size": job.size, "replaces": job.old_sha})
        if not alone:
            self.catalog.refresh_duplicates({job.sha256} | ({job.old_sha} if job.old_sha else set()))
        self.since_commit += 1  # versions not yet in the index
        self.in_batch += 1  # versions in the open catalog transaction
        if "#" not in job.path:  # a file of the tree, not an attachment
            self.on_done()

    def begin(self) -> None:
        """Catalog writes are grouped, about CATALOG_BATCH files to a transaction (audit entries join it)."""
        self.batch.open()

    def commit(self) -> None:
        self.batch.commit()
        self.in_batch = 0

    def abort(self, exc_info) -> None:
        """After a failure: cancel the index writer (never commit it), then roll back the catalog batch."""
        self.index.abort(exc_info)
        self.batch.abort(exc_info)

    def maybe_flush(self) -> None:
        """Commit the catalog batch when full; index once enough versions are committed."""
        if self.in_batch >= CATALOG_BATCH:
            self.commit()
        if self.since_commit >= self.dms.settings.commit_every:
            self.flush(merge=False)  # the run's last flush merges

    def record(self, job: Job, ex: Extraction) -> None:
        queued: list[Job] = []
        self.begin()
        version_id = self.catalog.add_version(job.doc_id, job.sha256, job.size, job.mtime_ns, ex)
        alone = job.fresh and job.old_sha is None and job.sha256 not in self.held
        self.held.add(job.sha256)
        depth = job.path.count("#")
        for number, att in enumerate(ex.attachments, start=1):
            if depth >= MAX_ATTACHMENT_DEPTH:
                break
            blob = self.dms.store.put_bytes(att.data)
            att_path = f"{job.path}#{number}:{att.name}"
            att_id, fresh = self.catalog.ensure_document(att_path, att.name, parent_id=job.doc_id)
            old = self.catalog.current_sha(att_id)
            if old == blob.sha256:
                continue
            self.catalog.set_pending(att_id, blob.sha256)
            queued.append(Job(att_id, att_path, att.name, blob.sha256, blob.size, job.mtime_ns, old, fresh))
        self.after_version(job, alone)
        if alone or not self.catalog.is_duplicate(job.doc_id):
            self.index.add(IndexRecord(
                doc_id=job.doc_id, version_id=version_id, title=ex.title or job.name, path=job.path, name=job.name,
                doc_type=ex.doc_type, date=ex.doc_date, products=ex.products, parties=ex.parties,
                number=ex.number, revision=ex.revision, refs=ex.refs, pages=ex.pages, terms=ex.terms,
            ), replace=not job.fresh)
        self.maybe_flush()
        if ex.status == "unsupported":
            self.report.unsupported += 1
        for p in ex.problems:
            self.report.problems.append({"path": job.path, "kind": p.kind, "severity": p.severity, "reason": p.reason})
        self.report.attachments += len(queued)
        for waiting in self.waiting.pop(job.sha256, []):
            self.submit(waiting)
        for att_job in queued:
            self.submit(att_job)

    def flush(self, merge: bool = True) -> None:
        self.commit()  # the index may only hold what the catalog has committed
        self.index.commit(merge)
        self.since_commit = 0


def _ocr(dms: Dms, pool: ExtractPool, report: IngestReport, by: str) -> dict | None:
    """Scanned pages, in the same workers once the files are in; or why they wait (`dms ocr` does them later)."""
    if not dms.settings.ocr:
        pages, documents = ocr_pages.count_waiting(dms.catalog)
        return {"waiting": pages, "waiting_documents": documents,
                "why_waiting": "OCR is switched off (DMS_OCR=0); run `dms ocr` to recognise them"} if pages else None
    done = ocr_phase.run(dms, pool, by=by)
    report.problems.extend(done.problems)
    if not (done.pages or done.failed or done.waiting):
        return None
    out = done.to_dict()
    del out["problems"]
    return out


PRELOAD_ALL_FROM = 24  # files: from this many, the workers' fork server imports every parser once, up front


def pool_preload(files: int, lasting: bool = False) -> list[str]:
    """What the workers' fork server imports before the first worker starts (dms.ingest.pool). The fork server
    is one per process and keeps what its first pool asked for: a process that lasts (a server, a watch) has
    every parser preloaded, a one-off `dms ingest` of a few files only the core."""
    return extract_pool.PRELOAD if lasting or files >= PRELOAD_ALL_FROM else extract_pool.CORE


@one_writer  # one ingest at a time per archive, across processes (dms.locks)
def ingest(
    dms: Dms,
    paths: Iterable[str | Path],
    on_progress: Callable[[int, int], None] | None = None,
    inline: bool = False,
    by: str | None = None,
    follow_symlinks: bool | None = None,
    within: Iterable[str | Path] | None = None,
    ocr_now: bool = True,
    lasting: bool = False,
) -> IngestReport:
    """Ingest files. `inline=True` extracts in this process, without time limits: only for files dms wrote.
    `by` is who the audit log names (default: the settings' user). `follow_symlinks` (default: the setting
    DMS_FOLLOW_SYMLINKS) follows symbolic links out of the trees given; `within`: the paths are files met in
    these watched folders, not trees a person named (see dms.ingest.scan). `ocr_now=False` leaves scanned
    pages waiting for the web server's OCR queue (dms.ocr.queue) instead of reading them at the end. `lasting`:
    this process goes on after the run (dms serve, dms watch), so its workers preload every parser (pool_preload)."""
    by = by or dms.settings.user
    started = time.monotonic()
    found = scan(paths, dms.settings.follow_symlinks if follow_symlinks is None else follow_symlinks, within)
    files = found.files
    report = IngestReport(skipped=found.skipped)
    dms.store.clean_tmp(older_than=3600)
    dms.ensure_index()
    dms.sync_index()  # whatever a killed run recorded but did not index
    known = dms.catalog.known_files()
    settings = dms.settings
    pool_context = InlinePool(dms.rules) if inline else ExtractPool(
        settings.workers, dms.rules, settings.extract_timeout, settings.worker_memory_mb,
        preload=pool_preload(len(files), lasting))
    with pool_context as pool:
        run = _Run(dms, report, pool, len(files), on_progress, by)
        try:
            if found.problems:
                run.begin()  # recorded with the first batch of files
            for problem in found.problems:
                run.problem(problem)
            run.resume_pending()
            for src in files:
                run.take(src, known.get(src.key))
            run.finish()
            run.problems_over(found.walked)
            report.repaired = run.repairs.done
        except BaseException:
            run.abort(sys.exc_info())  # never commit a writer after a failure, nor half a batch
            raise
        if not inline and ocr_now:  # else scanned pages wait, marked "needed", for the web's OCR queue
            report.ocr = _ocr(dms, pool, report, by)
    if run.recorded and after_ingest(dms, run.recorded):  # dates settled by their folder, learned fields
        dms.sync_index()
    from dms.graph.sync import sync

    sync(dms, brief=True)  # the links of what came in, as the catalog's rows (dms.graph.sync: only what changed)
    report.seconds = round(time.monotonic() - started, 3)
    return report
