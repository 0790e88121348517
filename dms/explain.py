"""`dms explain REF|FILE`: every metadata field of a document with its value and where it came from.

For a catalogued document the sources are those recorded when it was derived (versions.sources); a field
corrected by hand names who corrected it, when and why (from the audit log); a learned value says it is a
suggestion, with its confidence. The document is also derived again with the current rules: when they give
other values or sources now, the answer says so (`dms rederive` brings the archive up to the rules).
A FILE outside the archive is read in an extraction worker under the usual bounds and derived with the
current rules; nothing is stored or catalogued.
"""

from __future__ import annotations

import os
from pathlib import Path

from dms.app import Dms
from dms.catalog import derived
from dms.config import Settings
from dms.display import to_text
from dms.documents import resolve
from dms.errors import NotFound, UsageError
from dms.ingest.scan import scan
from dms.model import Extraction
from dms.rederive import FIELDS, change_of, hand_fields, plain
from dms.rulescheck import read_files, rules_in_use

STALE_HINT = "the current rules derive other values or sources: run `dms rederive` to bring the archive up to them"


def describe(source: dict | None, hand: dict | None = None, value=None, date_source: str | None = None) -> str:
    """One field's provenance in words: 'label 'Effective', page 1: "Effective 28 March 2024"'."""
    if hand:
        return f"corrected by hand by {hand['by']} on {hand['at'][:10]}: {hand['reason']}"
    if not source:
        if date_source:
            return f"from {date_source}"
        return "not found" if _empty(value) else "no source recorded (derived before dms recorded sources)"
    if source.get("source") == "learned":
        confidence = source.get("confidence")
        return "suggested (learned" + (f", {confidence:.0%})" if isinstance(confidence, int | float) else ")")
    words = [str(source.get("source") or "rules")]
    if source.get("page"):
        words.append(f"page {source['page']}")
    text = ", ".join(words)
    if source.get("line"):
        text += f': "{source["line"]}"'
    if source.get("words") and source.get("words") != source.get("line"):
        text += f" (words: {source['words']})"
    if source.get("doubtful"):
        text += f"; doubtful: {source['doubtful']}"
    return text


def _empty(value) -> bool:
    return value is None or value == "" or value == [] or value == ()


def _fields(values: dict, sources: dict, hand: dict, date_source: str | None) -> list[dict]:
    out = []
    for name in FIELDS:
        source = sources.get(name) if isinstance(sources.get(name), dict) else None
        value = list(values[name]) if isinstance(values[name], tuple) else values[name]
        learned = bool(source and source.get("source") == "learned") and name not in hand
        out.append({
            "field": name, "value": value, "source": source, "hand": hand.get(name),
            "learned": learned, "confidence": source.get("confidence") if learned else None,
            "doubtful": source.get("doubtful") if source and name not in hand else None,
            "how": describe(source, hand.get(name), value, date_source if name == "date" else None),
        })
    return out


def explain_document(dms: Dms, ref: str) -> dict:
    """Every field of a catalogued document: value, source, hand correction, and whether the rules changed."""
    doc = resolve(dms, ref)
    v = doc.version
    edits = hand_fields(derived.hand_edits(dms.catalog, [doc.id]).get(doc.id, []), v.seq)
    hand = {name: {"by": e.user, "at": e.at, "reason": e.details.get("reason", ""),
                   "before": e.details.get("before", {}).get(name)} for name, e in edits.items() if name in FIELDS}
    values = {"type": v.doc_type, "date": v.doc_date, "number": v.number, "revision": v.revision,
              "products": v.products, "parties": v.parties}
    result = {"id": doc.id, "path": doc.path, "title": v.title or doc.name, "in_catalog": True,
              "version": v.seq, "status": v.status,
              "fields": _fields(values, v.sources, hand, v.date_source), "links": _links(dms, doc.id, v.number),
              "stale": [], "hint": None}
    if v.status == "ok":
        result["stale"] = _stale(dms, doc, edits)
        result["hint"] = STALE_HINT if result["stale"] else None
    return result


def _stale(dms: Dms, doc, edits) -> list[dict]:
    """The fields the current rules derive otherwise than the catalog holds (value or source)."""
    change = change_of(dms, doc, edits)
    if change is None:
        return []
    given = {"type": "doc_type", "date": "doc_date", "number": "number", "revision": "revision",
             "products": "products", "parties": "parties"}
    stale = []
    for name in FIELDS:
        now = change.values["sources"].get(name)
        if name in change.fields or now != doc.version.sources.get(name):
            stale.append({"field": name, "rules_give": change.values[given[name]], "rules_source": describe(now)})
    if "references" in change.fields:
        stale.append({"field": "references", "rules_give": sorted(change.values["refs"]),
                      "rules_source": "identifiers cited in the text"})
    return stale


def _links(dms: Dms, doc_id: int, number: str | None) -> list[dict]:
    """Decisions and amendments the graph holds for the document (as minutes, specification or request)."""
    from dms.graph import graph_for, linktypes
    from dms.graph.build import doc_node, entity_node

    g = graph_for(dms)
    node = doc_node(doc_id)
    if node not in g:
        return []
    ends = [(u, w, a) for u, w, a in g.in_edges(node, data=True)] + list(g.out_edges(node, data=True))
    own = dms.matcher.fullmatch(number) if number else None
    entity = entity_node(own.family, number) if own else None
    if entity in g:
        ends += list(g.out_edges(entity, data=True)) + list(g.in_edges(entity, data=True))
    out = []
    for u, w, attrs in ends:
        if attrs.get("type") not in (linktypes.DECIDED_IN, linktypes.AMENDS):
            continue
        other = w if u in (node, entity) else u
        out.append({"type": attrs["type"], "from": _name(g, u), "to": _name(g, w),
                    "other": other, "evidence": attrs.get("evidence"),
                    **({"outcome": attrs["outcome"]} if attrs.get("outcome") else {})})
    return out


def _name(g, node: str) -> str:
    attrs = g.nodes[node]
    return attrs.get("label") or (f"[{attrs['id']}] {attrs.get('title') or ''}".strip() if "id" in attrs else node)


def explain_file(settings: Settings, path: str | Path, rules_file: str | Path | None = None) -> dict:
    """A file outside the archive, read in one extraction worker and derived with the current rules."""
    used = rules_in_use(settings, rules_file)
    found = scan([path], settings.follow_symlinks)
    if found.problems:
        raise UsageError(f"{found.problems[0].path}: {found.problems[0].reason}")
    if len(found.files) != 1:
        raise UsageError(f"{to_text(str(path))} is not one file: give one file to explain (or `dms rules check "
                         "FOLDER` for a folder)")
    src, ex = next(read_files(settings, used.rules, found.files, workers=1))
    return explain_extraction(src.key, ex, used.name)


def explain_extraction(path: str, ex: Extraction, rules_name: str) -> dict:
    values = {"type": ex.doc_type, "date": ex.doc_date, "number": ex.number, "revision": ex.revision,
              "products": ex.products, "parties": ex.parties}
    sources = plain(ex.sources or {})
    return {"path": path, "title": ex.title, "in_catalog": False, "status": ex.status, "rules": rules_name,
            "problems": [{"kind": p.kind, "severity": p.severity, "reason": p.reason} for p in ex.problems],
            "fields": _fields(values, sources, {}, ex.date_source) if ex.status == "ok" else [],
            "cites": [{"identifier": f"{r.number} Rev {r.revision}" if r.revision else r.number,
                       "page": r.page, "snippet": r.snippet} for r in ex.references[:50]]}


def explain(settings: Settings, ref: str, rules_file: str | Path | None = None) -> dict:
    """A catalogued document (REF: id, path, identifier, SHA-256), else the file at REF; with `rules_file`,
    the file at REF derived with those rules instead of the archive's."""
    is_file = os.path.isfile(ref)
    if rules_file is not None:
        if not is_file:
            raise UsageError(f"--rules derives a FILE with other rules; {ref!r} is not a file")
        return explain_file(settings, ref, rules_file)
    if not is_file or settings.database_url or settings.catalog_path.exists():  # a file, no archive: nothing to open
        with Dms(settings) as dms:
            try:
                return explain_document(dms, ref)
            except NotFound:
                if not is_file:
                    raise
    return explain_file(settings, ref)
