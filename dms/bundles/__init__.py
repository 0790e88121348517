"""Dispute bundles: a production a lawyer can open and anyone can verify.

    bundle.zip
      originals/DMS-000001.pdf   the stored original, byte for byte, under its control number
      text/DMS-000001.txt        the extracted text (for scanned pages, the OCR text)
      manifest.csv, manifest.json  control number, SHA-256, source path, dates, type, products, parties, references,
                                 which pages were read by OCR and with what confidence
      audit.jsonl                the audit-log entries about these documents, each with its chain hashes
      index.html                 a table a lawyer can open in a browser
      bundle.json                what was selected, by whom, when, as of which date, the audit head
      SHA256SUMS                 the SHA-256 of every other file

`verify` re-hashes every file against SHA256SUMS, every original against the manifest, checks the
two manifests agree and every audit entry still matches its hash, and names each mismatch.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from jinja2 import Environment, FileSystemLoader, select_autoescape

from dms import audit
from dms.app import Dms
from dms.errors import NotFound, UsageError
from dms.ocr.pages import summary as ocr_summary

FIELDS = ("control_number", "file", "sha256", "size", "title", "type", "date", "ingested_at", "number", "revision",
          "products", "parties", "references", "ocr_pages", "ocr_confidence", "source_path", "document_id")
_env = Environment(loader=FileSystemLoader(Path(__file__).parent), autoescape=select_autoescape(["html"]))


def select(dms: Dms, query: str | None = None, trace: str | None = None, matter: str | None = None,
           as_of: str | None = None) -> tuple[dict, list[int]]:
    """(the selection as recorded, the ids of the documents it gives)."""
    from dms.graph import linked_ids

    chosen = [(k, v) for k, v in (("query", query), ("trace", trace), ("matter", matter)) if v]
    if len(chosen) != 1:
        raise UsageError("a bundle is made from exactly one of: a query, --trace REF, --matter NAME")
    kind, value = chosen[0]
    if kind == "query":
        ids = dms.matching_ids(value)
    elif kind == "trace":
        ids = linked_ids(dms, value)
    else:
        from dms import holds

        ids = set(holds.documents(dms, value))
    if as_of:
        from dms.asof import known_on

        ids &= known_on(dms, as_of)
    live = {d.id for d in dms.catalog.graph_documents()}
    ids = sorted(i for i in ids if i in live)
    if not ids:
        raise NotFound(f"the {kind} {value!r} selects no document" + (f" in force on {as_of}" if as_of else ""))
    return {"kind": kind, "value": value}, ids


def create(dms: Dms, out: str | Path, by: str, query: str | None = None, trace: str | None = None,
           matter: str | None = None, as_of: str | None = None, prefix: str | None = None) -> dict:
    out = Path(out)
    if not out.parent.is_dir():
        raise UsageError(f"cannot write {out}: the folder {out.parent} does not exist")
    selection, ids = select(dms, query, trace, matter, as_of)
    prefix = prefix or dms.settings.bates_prefix
    docs = sorted((dms.catalog.document(i) for i in ids), key=lambda d: (d.version.doc_date or "9999", d.id))
    rows, files = [], {}
    for n, doc in enumerate(docs, start=1):
        v = doc.version
        control = f"{prefix}-{n:06d}"
        suffix = PurePosixPath(doc.name).suffix.lower()[:10]
        name = control + (suffix if suffix.isascii() and suffix[1:].isalnum() else "")
        files[f"originals/{name}"] = dms.store.path_for(v.sha256).read_bytes()
        files[f"text/{control}.txt"] = "\f".join(dms.catalog.pages(v.id)).encode()
        ocr = ocr_summary(dms.catalog, v.id) or {}  # which pages' text is machine-read from an image
        rows.append({"control_number": control, "file": name, "sha256": v.sha256, "size": v.size,
                     "title": v.title or doc.name, "type": v.doc_type, "date": v.doc_date,
                     "ingested_at": v.ingested_at, "number": v.number, "revision": v.revision,
                     "products": list(v.products), "parties": list(v.parties), "references": list(v.refs),
                     "ocr_pages": [str(p) for p in ocr.get("ocr_pages", [])], "ocr_confidence": ocr.get("confidence"),
                     "source_path": doc.path, "document_id": doc.id})
    subjects = {f"doc:{d.id}" for d in docs}
    chain = audit.verify(dms.catalog)
    meta = {"created_at": datetime.now(UTC).isoformat(timespec="seconds"), "created_by": by, "selection": selection,
            "as_of": as_of, "prefix": prefix, "documents": len(rows), "dms_version": _version(),
            "audit_head": chain["head"], "audit_chain_ok": chain["ok"]}
    files["manifest.json"] = json.dumps(rows, indent=1, ensure_ascii=False).encode()
    files["manifest.csv"] = _csv(rows).encode()
    files["audit.jsonl"] = "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n"
                                   for e in audit.entries_for(dms.catalog, subjects)).encode()
    files["index.html"] = _env.get_template("index.html").render(
        meta=meta, documents=rows, first=rows[0]["control_number"], last=rows[-1]["control_number"]).encode()
    files["bundle.json"] = json.dumps(meta, indent=1).encode()
    sums = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items()))
    files["SHA256SUMS"] = sums.encode()
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".zip.tmp")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for name, data in files.items():
                z.writestr(name, data)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    audit.record(dms.catalog, by, "bundle created", f"bundle:{out.name}",
                 {"selection": selection, "as_of": as_of, "documents": len(rows), "sha256": digest,
                  "first": rows[0]["control_number"], "last": rows[-1]["control_number"]}, also=sorted(subjects))
    return {"output": str(out), "documents": len(rows), "sha256": digest, "first": rows[0]["control_number"],
            "last": rows[-1]["control_number"], "selection": selection, "as_of": as_of}


def _csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "; ".join(v) if isinstance(v, list) else ("" if v is None else v) for k, v in row.items()})
    return buf.getvalue()


def _version() -> str:
    from importlib.metadata import version

    return version("dms")


def verify(path: str | Path) -> dict:
    """Every check a recipient can make with the bundle alone; problems name the file and what is wrong."""
    problems: list[str] = []
    try:
        z = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise UsageError(f"{path} is not a readable zip file: {exc}") from None
    with z:
        names = set(z.namelist())
        if "SHA256SUMS" not in names:
            return {"ok": False, "checked": 0, "problems": ["SHA256SUMS is missing: the bundle cannot be verified"]}
        listed = {}
        for line in z.read("SHA256SUMS").decode().splitlines():
            digest, _, name = line.partition("  ")
            listed[name] = digest
        for name, digest in sorted(listed.items()):
            if name not in names:
                problems.append(f"{name} is listed in SHA256SUMS but missing from the bundle")
            elif hashlib.sha256(z.read(name)).hexdigest() != digest:
                problems.append(f"{name} does not match its SHA-256 in SHA256SUMS: it was altered")
        for name in sorted(names - set(listed) - {"SHA256SUMS"}):
            problems.append(f"{name} is in the bundle but not in SHA256SUMS: it was added")
        try:
            manifest = json.loads(z.read("manifest.json"))
            table = list(csv.DictReader(io.StringIO(z.read("manifest.csv").decode())))
        except (KeyError, ValueError) as exc:
            problems.append(f"a manifest is missing or unreadable: {exc}")
            manifest, table = [], []
        if [r["control_number"] for r in table] != [r["control_number"] for r in manifest] or \
                [r["sha256"] for r in table] != [r["sha256"] for r in manifest]:
            problems.append("manifest.csv and manifest.json disagree")
        for row in manifest:
            name = f"originals/{row['file']}"
            if name not in names:
                problems.append(f"{row['control_number']}: {name} is missing")
            elif hashlib.sha256(z.read(name)).hexdigest() != row["sha256"]:
                problems.append(f"{row['control_number']}: {name} does not match the SHA-256 in the manifest")
        if "audit.jsonl" in names:
            entries = [json.loads(line) for line in z.read("audit.jsonl").decode().splitlines() if line.strip()]
            for entry in entries:
                problems += audit.verify_entries([entry], start_prev=entry["prev_hash"], first_id=entry["id"])
    return {"ok": not problems, "checked": len(listed), "documents": len(manifest), "problems": problems}
