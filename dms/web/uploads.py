"""Uploads: files a person sends through the browser or the API, kept and then ingested like any other.

Each file is written first under `$DMS_HOME/uploads/<date>/<user>/` (never over an existing file),
then the same ingest pipeline as `dms ingest` reads it, so a failure while reading loses nothing:
the file stays, and is recorded as a problem with its reason. The request returns once the files are
stored and catalogued: their scanned pages are read afterwards by the server's OCR queue.
"""

from __future__ import annotations

import os
import unicodedata
from datetime import date
from pathlib import Path
from typing import BinaryIO

from fastapi import UploadFile

from dms.errors import UsageError
from dms.web.state import WebState

MAX_FILES = 200
CHUNK = 1 << 20


def safe_name(raw: str | None) -> str:
    """The last part of the name the browser sent, without control characters, separators or a leading dot."""
    name = unicodedata.normalize("NFC", (raw or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip().lstrip(".").strip()
    if len(name.encode()) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem or name).encode()[: 180].decode(errors="ignore") + (dot + ext[:15] if dot else "")
    if not name:
        raise UsageError(f"the file name {raw!r} has nothing usable in it; rename the file and upload again")
    return name


def _create_unique(folder: Path, name: str) -> tuple[Path, BinaryIO]:
    """A new file in folder, named `name` or, when that is taken, "stem (2).ext", "stem (3).ext", ...: created
    with O_EXCL, so two servers saving the same name at once each get a file of their own."""
    stem, suffix = os.path.splitext(name)
    n = 1
    while True:
        target = folder / (name if n == 1 else f"{stem} ({n}){suffix}")
        try:
            return target, open(target, "xb")  # noqa: SIM115 (closed by the caller's with)
        except FileExistsError:
            n += 1


async def save(state: WebState, files: list[UploadFile], user: str) -> list[tuple[str, Path]]:
    """Write the uploaded files to the uploads folder; returns (name sent, path written) pairs."""
    chosen = [f for f in files if f.filename]
    if not chosen:
        raise UsageError("choose at least one file to upload")
    if len(chosen) > MAX_FILES:
        raise UsageError(f"at most {MAX_FILES} files in one upload; this one has {len(chosen)}")
    names = [safe_name(f.filename) for f in chosen]  # all checked before anything is written
    folder = state.settings.home / "uploads" / date.today().isoformat() / user
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for upload, name in zip(chosen, names):
        target, out = _create_unique(folder, name)
        with out:
            while chunk := await upload.read(CHUNK):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        written.append((upload.filename, target))
    return written


def ingest_saved(state: WebState, written: list[tuple[str, Path]], by: str) -> dict:
    """Ingest what `save` wrote (one ingest at a time, recorded as done by the uploader) and say what became
    of each file."""
    from dms.ingest.pipeline import ingest
    from dms.ocr.pages import count_waiting, progress

    archive = state.dms()
    with state.write_lock:  # scanned pages are not read here: they wait for the OCR queue (dms.ocr.queue)
        report = ingest(archive, [str(path) for _, path in written], by=by, ocr_now=False, lasting=True)
    files = []
    for sent, path in written:
        doc = archive.catalog.document_at_path(str(path))
        problems = archive.catalog.problems(doc_id=doc.id) if doc else []
        files.append({
            "name": sent, "stored_as": str(path), "id": doc.id if doc else None,
            "title": (doc.version.title or doc.name) if doc else None,
            "type": doc.version.doc_type if doc else None, "sha256": doc.version.sha256 if doc else None,
            "duplicate_of": doc.duplicate_of if doc else None,
            "ocr": progress(archive.catalog, doc.version.id) if doc else None,
            "problems": [{"severity": p["severity"], "reason": p["reason"]} for p in problems],
        })
    if count_waiting(archive.catalog)[0]:
        state.ocr.wake()  # after the reply is put together: it tells what was stored and what waits
    return {"files": files, "added": report.added, "duplicates": report.duplicates,
            "attachments": report.attachments, "problems": len(report.problems), "seconds": round(report.seconds, 2)}
