"""The deterministic sample release archive (`dms sample generate`), at any scale, with ground truth."""

from __future__ import annotations

import json
from pathlib import Path

from dms.samplegen.plans import WRITERS as PLAN_WRITERS
from dms.samplegen.plans import plan_documents
from dms.samplegen.plans_truth import truth as plan_truth
from dms.samplegen.scans import paper_files
from dms.samplegen.world import World
from dms.samplegen.writers import WRITERS, write_pdf

TRUTH_FILE = ".dms-ground-truth.json"


def _damaged_files(out: Path) -> list[dict]:
    """A realistic archive holds a few files nobody can read; the quick start shows how dms reports them."""
    from datetime import date

    from pypdf import PdfReader, PdfWriter

    from dms.samplegen.model import Doc

    folder = out / "misc"
    folder.mkdir(parents=True, exist_ok=True)
    doc = Doc("misc/contract-scan-damaged.pdf", "pdf", "contract", "Damaged contract scan", date(2022, 5, 2), [])
    doc.blocks = [("p", "This contract copy was damaged in transfer.")]
    write_pdf(doc, folder / "contract-scan-damaged.pdf")
    data = (folder / "contract-scan-damaged.pdf").read_bytes()
    (folder / "contract-scan-damaged.pdf").write_bytes(data[: len(data) // 3])
    protected = folder / "salary-bands-protected.pdf"
    doc.blocks = [("p", "Confidential salary bands.")]
    write_pdf(doc, protected)
    writer = PdfWriter(clone_from=PdfReader(protected))
    writer.encrypt(user_password="nordlicht", owner_password="nordlicht-owner", algorithm="RC4-128")
    writer._ID = None
    with open(protected, "wb") as fh:
        writer.write(fh)
    return [{"path": "misc/contract-scan-damaged.pdf", "problem": "malformed"},
            {"path": "misc/salary-bands-protected.pdf", "problem": "encrypted"}]


def generate(out: str | Path, scale: int = 1, seed: int = 2022) -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    docs = World(seed, scale).build()
    docs += plan_documents(seed, scale)  # after the World's: every earlier document stays byte-identical
    writers = {**WRITERS, **PLAN_WRITERS}
    files = []
    for doc in docs:
        path = out / doc.rel
        path.parent.mkdir(parents=True, exist_ok=True)
        writers[doc.fmt](doc, path)
        files.append({
            "path": doc.rel, "format": doc.fmt, "type": doc.doc_type, "title": doc.title,
            "date": doc.date.isoformat(), "number": doc.number, "revision": doc.revision,
            "products": doc.products, "mentions": doc.mentions(), **doc.relations,
            "message_id": doc.mail["message_id"] if doc.mail else None,
            "attachments": [{"name": a.rel, "mentions": a.mentions()} for a in doc.attachments],
        })
    truth = {"seed": seed, "scale": scale, "files": files, "problems": _damaged_files(out), "scans": paper_files(out),
             **plan_truth(docs)}
    (out / TRUTH_FILE).write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return truth
