"""One file, inside a worker process: detect its kind, extract, derive metadata, never raise."""

from __future__ import annotations

import traceback
from dataclasses import dataclass, replace
from pathlib import Path

from dms.index import engines
from dms.ingest.metadata import derive
from dms.ingest.numbers import own_name
from dms.ingest.registry import ExtractionFailed, Raw, extractor_for
from dms.ingest.sniff import NAMES, detect
from dms.ingest.textbound import bound_pages, truncated
from dms.model import Extraction, Problem
from dms.rules import Rules

MAX_ATTACHMENT_BYTES = 64 << 20


@dataclass(frozen=True, slots=True)
class Task:
    blob: Path  # the stored original, read-only
    path: str  # where it came from, for rules and messages
    size: int
    max_bytes: int
    max_text_chars: int = 20_000_000  # DMS_MAX_TEXT_MB: text kept per document, the rest cut here
    preview: object = None  # a dms.preview.spec.PreviewSpec: make its previews too (None: DMS_THUMBNAILS=0)
    engine: str | None = None  # analyse the text here for this search engine (dms.index.engines: Engine.analysis)

    def run(self, rules: Rules) -> Extraction:
        return extract(self, rules)

    def timed_out(self, seconds: float) -> Extraction:
        return Extraction("failed", problems=(Problem(
            "timeout", f"reading the file took longer than the {seconds:g} s limit (DMS_EXTRACT_TIMEOUT); "
                       "the worker was stopped"),))

    def crashed(self, how: str) -> Extraction:
        return Extraction("failed", problems=(Problem(
            "crashed", f"the extraction worker died while reading the file ({how}); likely out of memory or a "
                       "parser crash"),))


def extract(task: Task, rules: Rules) -> Extraction:
    name = own_name(task.path)
    if task.size == 0:
        return Extraction("failed", kind="empty", problems=(Problem("empty", "the file is empty (0 bytes)"),))
    if task.size > task.max_bytes:
        return Extraction(
            "failed",
            problems=(Problem(
                "oversized",
                f"the file is {task.size / 1e6:,.1f} MB, over the {task.max_bytes / 1e6:,.0f} MB extraction limit "
                "(DMS_MAX_FILE_MB); it is stored but its text is not read",
            ),),
        )
    detected = detect(task.blob, name, task.size)
    problems: list[Problem] = []
    if detected.kind == "ooxml-encrypted":
        return Extraction("failed", kind=detected.kind, problems=(Problem(
            "encrypted", "Office file is password-protected: its text cannot be read without the password"),))
    try:
        extractor = extractor_for(detected.kind)  # imports the reader of this kind on first use
    except (ImportError, MemoryError, OSError) as exc:  # OSError: a shared library that cannot be mapped
        return Extraction("failed", kind=detected.kind, problems=(Problem(
            "limit", f"the {detected.kind} reader could not be loaded in the extraction worker "
                     f"({type(exc).__name__}: {exc}): DMS_WORKER_MEMORY_MB may be too small for its library, or the "
                     "library is missing; the original is stored"),))
    if detected.mislabelled:
        severity = "warning" if extractor else "error"
        suffix = "; read as such" if extractor else ""
        problems.append(Problem("mislabelled", detected.describe() + suffix, severity))
    if extractor is None:
        if detected.mislabelled:
            return Extraction("failed", kind=detected.kind, problems=tuple(problems))
        return Extraction(
            "unsupported", kind=detected.kind,
            meta={"note": f"no extractor for {NAMES.get(detected.kind, detected.kind)}; stored and catalogued only"},
        )
    try:
        raw = extractor.extract(task.blob)
        # Lazy pages (a large text file) are read here, one at a time: only what the bound keeps stays.
        kept, used, total = bound_pages((p.replace("\x00", "") for p in raw.pages), task.max_text_chars)
    except ExtractionFailed as exc:
        return Extraction("failed", kind=detected.kind, extractor=extractor.name,
                          problems=(*problems, Problem(exc.kind, exc.reason)))
    except MemoryError:
        return Extraction("failed", kind=detected.kind, extractor=extractor.name,
                          problems=(*problems, Problem("limit", "reading the file needed more memory than allowed")))
    except Exception as exc:  # a third-party parser failing in a way it does not document
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return Extraction("failed", kind=detected.kind, extractor=extractor.name, problems=(
            *problems,
            Problem("malformed", f"{extractor.name} could not read it: {type(exc).__name__}: {exc} "
                                 f"(in {Path(where.filename).name}:{where.lineno})"),
        ))
    raw.pages = kept
    if total > used:
        problems.append(truncated(used, total))
    done = _finish(raw, task, rules, detected.kind, extractor.name, problems)
    if task.engine is not None and done.pages:  # the writer's analysis, made here on a core of its own
        done = replace(done, terms=_analysis(task.engine, done.pages))
    if task.preview is not None:  # thumbnail, scan pages, HTML render; never fails the file (dms.preview)
        _previews(task, detected.kind)
    return done


def _previews(task: Task, kind: str) -> None:
    try:
        from dms.preview.task import at_ingest  # preloaded by a large ingest's fork server (dms.ingest.pool)
    except (ImportError, MemoryError, OSError):
        return  # the renderers cannot be loaded here: the web server's preview queue makes them when asked for
    at_ingest(task.preview, task.blob, kind, task.blob.name)


def _analysis(engine: str, pages: tuple[str, ...]):
    """The engine's analysis of the pages, or None: whatever goes wrong here, the writer analyses them itself."""
    try:
        return engines.engine(engine, setting=None).analyze(pages)
    except Exception:  # MemoryError under the worker's cap included
        return None


def _finish(raw: Raw, task: Task, rules: Rules, kind: str, extractor: str, problems: list[Problem]) -> Extraction:
    pages = tuple(raw.pages)
    derived = derive(raw, task.path, rules)
    problems.extend(raw.warnings)
    attachments = []
    for att in raw.attachments:
        if len(att.data) > MAX_ATTACHMENT_BYTES:
            problems.append(Problem("oversized", f"attachment {att.name} is over {MAX_ATTACHMENT_BYTES >> 20} MB; "
                                                 "left inside the e-mail", "warning"))
        else:
            attachments.append(att)
    if not any(p.strip() for p in pages) and not raw.ocr_pages and kind != "image":  # an icon holds no text
        problems.append(Problem("empty", "no text could be extracted (an image-only or blank document?)", "warning"))
    title = (raw.title or "").strip() or own_name(task.path)
    return Extraction(
        "ok", kind=kind, extractor=extractor, pages=pages, title=title[:300], doc_type=derived.doc_type,
        doc_date=derived.doc_date, date_source=derived.date_source, number=derived.number,
        revision=derived.revision, products=derived.products, parties=derived.parties, refs=derived.refs,
        references=derived.references, sources=derived.sources,
        meta=raw.meta, problems=tuple(problems), attachments=tuple(attachments),
        ocr_pages=tuple(n for n in raw.ocr_pages if n <= len(pages)),  # pages cut by the text bound: no OCR
    )
