"""A full ingest of the sample archive gives the catalog it gave before the ingest was made faster (issue 19).

The data file (tests/archives/ingest_golden.json) is a digest of one ingest made with the code as it was before
issue 19 changed the pipeline: every document and version (minus times, ids and file mtimes), its pages, references
and problems, the audit entries, the problems listed by `dms problems`, the cross-reference graph's links and the
results of fixed searches. The test ingests the same archive (`dms sample generate`, OCR off: Tesseract's text is
the machine's, not the code's) and compares its digest with the stored one.

What legitimately varies from run to run, and only that, is left out or named for what it is: times (ingested_at,
created_at, audit times), ids (documents and versions are named by their path, attachments get their ids in the
order the workers finish), file mtimes (the archive is written by the test), the folder the archive is in (paths are
relative to it), the order of audit entries of one run (the order workers finish), and the order of search hits of
equal score (the set of hits and their count are compared).

PDF text since issue 19 comes from PDFium rather than pypdf; the two may break lines and space words differently, so
a PDF's pages are compared by their words, and its references and links by what they cite, not by character offsets
or the characters around a citation. Every other format's pages, references and snippets are compared exactly.

To write the data file again (only when the catalog is meant to change): `.venv/bin/python tests/test_ingest_golden.py`.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

GOLDEN = Path(__file__).parent / "archives" / "ingest_golden.json"
USER = "golden"
ROOT = "<archive>"  # the archive's folder in every path of the digest
HIT_LIMIT = 500  # search hits read per query: more than the sample archive's documents
QUERIES = (
    "kettle", "thermostat", "gasket", '"lid hinge"', '"heating element"', '"first article inspection"',
    "hinge type:specification", "complaint product:KX200", "returns date:[2022-01 to 2022-12]",
    "SPEC-KX200-02", '"SPEC-KX200-02 Rev C"', "CR-2022-002", "type:minutes", "type:contract", "party:Brightwater",
    "linked:SPEC-KX200-03", "linked:CR-2022-002", "supplier", "voltage OR torque", "corrosion -kettle", "thermostet",
    '"power cord"', "product:AQ150 type:report",
)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _words(text: str) -> str:
    return " ".join(text.split())


def digest(app, report) -> dict:
    """The catalog, graph and search results of an ingested archive, as comparable plain data."""
    from dms.catalog import auditlog, ocrpages
    from dms.graph.build import build_graph
    from dms.search import search

    catalog = app.catalog
    docs = catalog.all_documents()
    path_of = {doc.id: doc.path for doc in docs}
    pdf_docs = {doc.id for doc in docs if doc.version.kind == "pdf"}
    documents = {}
    for doc in docs:
        versions = []
        for v in catalog.versions(doc.id):
            exact = v.kind != "pdf"
            pages = [{"words": _sha(_words(text)), **({"text": _sha(text)} if exact else {})}
                     for text in catalog.pages(v.id)]
            for entry, source in zip(pages, ocrpages.page_sources(catalog, v.id)):
                entry["source"] = [source.source, source.ocr, source.confidence]
            refs = [[r.family, r.number, r.revision, r.page, *([r.offset, r.snippet] if exact else [])]
                    for r in catalog.references(v.id)]
            versions.append({
                "seq": v.seq, "sha256": v.sha256, "size": v.size, "status": v.status, "kind": v.kind,
                "extractor": v.extractor, "title": v.title, "doc_type": v.doc_type, "doc_date": v.doc_date,
                "date_source": v.date_source, "number": v.number, "revision": v.revision, "products": v.products,
                "parties": v.parties, "refs": v.refs, "meta": v.meta, "page_count": v.page_count,
                "sources": v.sources, "pages": pages, "references": refs,
            })
        documents[doc.path] = {
            "name": doc.name, "parent": path_of.get(doc.parent_id), "duplicate_of": path_of.get(doc.duplicate_of),
            "indexed": doc.indexed_version_id == doc.version.id, "versions": versions,
            "problems": sorted([p["kind"], p["severity"], p["reason"]] for p in catalog.problems(doc_id=doc.id)),
        }
    listed = sorted([p.get("path"), p.get("kind"), p.get("severity"), p.get("reason")]
                    for p in catalog.problems() if p["id"] is None)  # paths that never became a version
    audit = sorted(json.dumps([e["user"], e["action"], _subject(e["subject"], path_of), e["also"],
                               json.loads(e["details"] or "null")], sort_keys=True)
                   for e in auditlog.rows(catalog))
    links = sorted(_link(s, t, data, path_of, pdf_docs)
                   for s, t, data in build_graph(catalog, app.matcher).edges(data=True))
    found = {}
    for query in QUERIES:
        result = search(app, query, limit=HIT_LIMIT, snippets=False)
        found[query] = {"total": result.total, "hits": sorted(path_of[h.id] for h in result.hits),
                        "did_you_mean": result.did_you_mean}
    counts = {k: v for k, v in report.to_dict().items() if k not in ("seconds", "problems", "ocr")}
    counts["problems"] = sorted(json.dumps(p, sort_keys=True) for p in report.problems)
    return {"report": counts, "documents": documents, "listed_problems": listed, "audit": audit, "links": links,
            "search": found}


def _subject(subject: str | None, path_of: dict[int, str]) -> str | None:
    if subject and subject.startswith("doc:") and subject[4:].isdigit():
        return "doc:" + path_of.get(int(subject[4:]), subject)
    return subject


def _link(source: str, target: str, data: dict, path_of: dict[int, str], pdf_docs: set[int]) -> list:
    evidence = data.get("evidence", "")
    if data.get("page") is not None and source.startswith("doc:") and int(source[4:]) in pdf_docs:
        evidence = f"page {data['page']}, cites {data.get('cited')}"  # the words around it are a PDF's layout
    return [_subject(source, path_of), data.get("type"), _subject(target, path_of), evidence, data.get("outcome")]


def ingest_sample(work: Path) -> dict:
    """Generate the sample archive under `work`, ingest it into a fresh data directory, return the digest."""
    from dms.app import Dms
    from dms.config import load_settings
    from dms.ingest.pipeline import ingest
    from dms.samplegen import generate

    archive, home = work / "archive", work / "home"
    generate(archive)
    with Dms(load_settings(environ={"DMS_OCR": "0", "DMS_USER": USER}, home=home)) as app:
        report = ingest(app, [archive])
        found = digest(app, report)
    return json.loads(json.dumps(found).replace(json.dumps(str(archive))[1:-1], ROOT))


def _one_entry_a_line(data: dict) -> str:
    """JSON with one document, link, audit entry or query to a line: a changed catalog shows as a readable diff."""
    def dump(value) -> str:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)

    parts = []
    for part, value in sorted(data.items()):
        if isinstance(value, dict):
            inner = ",\n".join(f"  {dump(k)}: {dump(v)}" for k, v in sorted(value.items()))
            parts.append(f" {dump(part)}: {{\n{inner}\n }}")
        else:
            inner = ",\n".join(f"  {dump(v)}" for v in value)
            parts.append(f" {dump(part)}: [\n{inner}\n ]")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _first_difference(expected, actual, where: str = "") -> str:
    if type(expected) is not type(actual):
        return f"{where}: {expected!r} != {actual!r}"
    if isinstance(expected, dict):
        for key in sorted(set(expected) | set(actual), key=str):
            if key not in actual:
                return f"{where}/{key}: missing now (was {str(expected[key])[:300]})"
            if key not in expected:
                return f"{where}/{key}: new (now {str(actual[key])[:300]})"
            if expected[key] != actual[key]:
                return _first_difference(expected[key], actual[key], f"{where}/{key}")
    if isinstance(expected, list):
        if len(expected) != len(actual):
            extra = [x for x in actual if x not in expected][:3]
            gone = [x for x in expected if x not in actual][:3]
            return f"{where}: {len(expected)} entries, now {len(actual)}; gone {gone}, new {extra}"
        for n, (e, a) in enumerate(zip(expected, actual)):
            if e != a:
                return _first_difference(e, a, f"{where}[{n}]")
    return f"{where}: {str(expected)[:300]!r} != {str(actual)[:300]!r}"


def test_ingest_of_the_sample_archive_gives_the_catalog_links_and_search_results_it_gave_before(tmp_path):
    expected = json.loads(GOLDEN.read_text())
    actual = ingest_sample(tmp_path)
    for part in expected:
        assert actual[part] == expected[part], _first_difference(expected[part], actual[part], part)
    assert set(actual) == set(expected)


if __name__ == "__main__":  # write the data file: `.venv/bin/python tests/test_ingest_golden.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    with tempfile.TemporaryDirectory() as work:
        data = ingest_sample(Path(work))
    GOLDEN.write_text(_one_entry_a_line(data))
    print(f"wrote {GOLDEN}: {len(data['documents'])} documents, {len(data['links'])} links")
