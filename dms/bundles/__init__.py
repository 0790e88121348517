"""Dispute bundles: a production a lawyer can open and anyone can verify.

    bundle.zip
      originals/DMS-000001.pdf   the stored original, byte for byte, under its control number (numbers continue
                                 from the archive's last bundle of the same prefix: dms.catalog.bundlenumbers)
      text/DMS-000001.txt        the extracted text (for scanned pages, the OCR text)
      manifest.csv, manifest.json  control number, SHA-256, source path, dates, type, products, parties, references,
                                 which pages were read by OCR and with what confidence
      audit.jsonl                the audit-log entries about these documents, each with its chain hashes
      index.html                 a table a lawyer can open in a browser
      bundle.json                what was selected, by whom, when, as of which date, the audit head
      SHA256SUMS                 the SHA-256 of every other file
      SHA256SUMS.sig             with DMS_AUDIT_KEY_FILE set: the Ed25519 signature of SHA256SUMS and the public key

`verify` (dms.bundles.check) re-hashes every file against SHA256SUMS, every original against the
manifest, checks the signature, that the two manifests agree, that every audit entry still matches
its hash, and that the zip holds each name once and nothing else; it names each mismatch. Given the
archive's public key, a bundle rewritten with fresh manifests and sums fails on its signature.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from jinja2 import Environment, FileSystemLoader, select_autoescape

from dms import audit, auditactions, signing
from dms.app import Dms
from dms.bundles import check
from dms.bundles.check import SIGNATURE, SUMS, sums_message
from dms.bundles.manifest import FIELDS, to_csv
from dms.catalog import bundlenumbers
from dms.catalog.parties import canonical as canonical_parties
from dms.errors import NotFound, UsageError
from dms.ocr.pages import summary as ocr_summary
from dms.search import matching_ids

__all__ = ["FIELDS", "create", "pinned_key", "select", "verify"]
_env = Environment(loader=FileSystemLoader(Path(__file__).parent), autoescape=select_autoescape(["html"]))


def select(dms: Dms, query: str | None = None, trace: str | None = None, matter: str | None = None,
           as_of: str | None = None, documents=()) -> tuple[dict, list[int]]:
    """(the selection as recorded, the ids of the documents it gives). `documents`: ids chosen one by one (the
    results ticked on the search page)."""
    from dms.graph import linked_ids

    picked = sorted({int(d) for d in documents})
    chosen = [(k, v) for k, v in (("query", query), ("trace", trace), ("matter", matter), ("documents", picked)) if v]
    if len(chosen) != 1:
        raise UsageError("a bundle is made from exactly one of: a query, --trace REF, --matter NAME, chosen documents")
    kind, value = chosen[0]
    if kind == "query":
        ids = matching_ids(dms, value)
    elif kind == "trace":
        ids = linked_ids(dms, value)
    elif kind == "documents":
        ids = {dms.catalog.document(i).id for i in picked}  # NotFound for an id that is no document
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
           matter: str | None = None, as_of: str | None = None, prefix: str | None = None, documents=()) -> dict:
    out = Path(out)
    if not out.parent.is_dir():
        raise UsageError(f"cannot write {out}: the folder {out.parent} does not exist")
    selection, ids = select(dms, query, trace, matter, as_of, documents)
    prefix = prefix or dms.settings.bates_prefix
    docs = sorted((dms.catalog.document(i) for i in ids), key=lambda d: (d.version.doc_date or "9999", d.id))
    rows, files, originals = [], {}, {}
    start = bundlenumbers.reserve(dms.catalog, prefix, len(docs), out.name, by)  # continues the last bundle's
    for n, doc in enumerate(docs, start=start):
        v = doc.version
        control = f"{prefix}-{n:06d}"
        suffix = PurePosixPath(doc.name).suffix.lower()[:10]
        name = control + (suffix if suffix.isascii() and suffix[1:].isalnum() else "")
        originals[f"originals/{name}"] = dms.store.path_for(v.sha256)  # streamed into the zip, never read whole
        files[f"text/{control}.txt"] = "\f".join(dms.catalog.pages(v.id)).encode()
        ocr = ocr_summary(dms.catalog, v.id) or {}  # which pages' text is machine-read from an image
        rows.append({"control_number": control, "file": name, "sha256": v.sha256, "size": v.size,
                     "title": v.title or doc.name, "type": v.doc_type, "date": v.doc_date,
                     "ingested_at": v.ingested_at, "number": v.number, "revision": v.revision,
                     "products": list(v.products), "parties": list(canonical_parties(dms.catalog, v.parties)),
                     "references": list(v.refs),
                     "ocr_pages": [str(p) for p in ocr.get("ocr_pages", [])], "ocr_confidence": ocr.get("confidence"),
                     "source_path": doc.path, "document_id": doc.id})
    subjects = {f"doc:{d.id}" for d in docs}
    chain = audit.verify(dms.catalog)
    key = dms.catalog.audit_key.private() if getattr(dms.catalog, "audit_key", None) else None
    meta = {"created_at": datetime.now(UTC).isoformat(timespec="seconds"), "created_by": by, "selection": selection,
            "as_of": as_of, "prefix": prefix, "documents": len(rows), "dms_version": _version(),
            "audit_head": chain["head"], "audit_chain_ok": chain["ok"],
            "signed_by": signing.fingerprint(key.public_key()) if key else None}
    files["manifest.json"] = json.dumps(rows, indent=1, ensure_ascii=False).encode()
    files["manifest.csv"] = to_csv(rows).encode()
    files["audit.jsonl"] = "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n"
                                   for e in audit.entries_for(dms.catalog, subjects)).encode()
    files["index.html"] = _env.get_template("index.html").render(
        meta=meta, documents=rows, first=rows[0]["control_number"], last=rows[-1]["control_number"]).encode()
    files["bundle.json"] = json.dumps(meta, indent=1).encode()
    digest = _write(out, originals, files, key, dms.settings.bundle_max_ratio)
    audit.record(dms.catalog, by, auditactions.BUNDLE_CREATED, f"bundle:{out.name}",
                 {"selection": selection, "as_of": as_of, "documents": len(rows), "sha256": digest,
                  "first": rows[0]["control_number"], "last": rows[-1]["control_number"]}, also=sorted(subjects))
    return {"output": str(out), "documents": len(rows), "sha256": digest, "first": rows[0]["control_number"],
            "last": rows[-1]["control_number"], "selection": selection, "as_of": as_of,
            "signed_by": meta["signed_by"]}


def _write(out: Path, originals: dict[str, Path], files: dict[str, bytes], key, max_ratio: float) -> str:
    """Write the zip beside `out` and move it there; returns its SHA-256. An entry that deflates further than
    `bundle verify` accepts (DMS_BUNDLE_MAX_RATIO, per entry or in all) is written again uncompressed, so every
    bundle verifies."""
    stored: set[str] = set()
    while True:
        fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".zip.tmp")
        os.close(fd)
        try:
            too_dense = _write_zip(tmp, originals, files, key, stored, max_ratio)
            if not too_dense:
                os.replace(tmp, out)
                break
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        Path(tmp).unlink()
        stored |= too_dense
    digest = hashlib.sha256()
    with open(out, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _write_zip(tmp: str, originals: dict[str, Path], files: dict[str, bytes], key, stored: set[str],
               max_ratio: float) -> set[str]:
    sums = {}
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as z:
        for name, source in originals.items():
            digest = hashlib.sha256()
            info = zipfile.ZipInfo(name, date_time=datetime.now().timetuple()[:6])
            info.compress_type = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            with open(source, "rb") as src, z.open(info, "w", force_zip64=True) as dst:
                while chunk := src.read(1 << 20):
                    digest.update(chunk)
                    dst.write(chunk)
            sums[name] = digest.hexdigest()
        for name, data in files.items():
            z.writestr(name, data, compress_type=zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED)
            sums[name] = hashlib.sha256(data).hexdigest()
        listing = "".join(f"{digest}  {name}\n" for name, digest in sorted(sums.items())).encode()
        z.writestr(SUMS, listing)
        if key is not None:
            z.writestr(SIGNATURE, json.dumps({
                "algorithm": "Ed25519", "signs": f"SHA-256 of {SUMS}", "sha256": hashlib.sha256(listing).hexdigest(),
                "signature": signing.sign(key, sums_message(listing)), "fingerprint": signing.fingerprint(
                    key.public_key()), "public_key": signing.public_b64(key.public_key())}, indent=1))
    deflated = [i for i in z.infolist() if i.compress_type != zipfile.ZIP_STORED]
    if sum(i.file_size for i in z.infolist()) > check.total_bound(os.path.getsize(tmp), max_ratio):
        return {i.filename for i in deflated if i.file_size > max_ratio * i.compress_size}  # then within in all
    return {i.filename for i in deflated if check.over_ratio(i, max_ratio)}


def _version() -> str:
    from importlib.metadata import version

    return version("dms")


def verify(path: str | Path, public_key=None, max_ratio: float = 200.0) -> dict:
    """Every check a recipient can make with the bundle alone (see dms.bundles.check)."""
    return check.verify(path, public_key, max_ratio)


def pinned_key(settings, public_key_file: str | Path | None = None) -> tuple[object, str | None]:
    """(the key a bundle must be signed with, where it comes from): `--public-key FILE` if given (a bundle of
    another archive), else the configured audit key (DMS_AUDIT_KEY_FILE), else (None, None): then only the key
    inside the bundle is at hand, which proves nothing about who signed."""
    if public_key_file:
        return signing.load_public(public_key_file), "--public-key"
    if settings.audit_key_file:
        return signing.load_private(settings.audit_key_file, settings.home).public_key(), "DMS_AUDIT_KEY_FILE"
    return None, None
