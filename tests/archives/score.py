"""Per-field accuracy of an ingested archive against its ground truth (the foreign archives and the sample).

Truth as the generators in tests/archives return it: {"files": [{"path", "type", "number", "revision", "date",
"products", "decided_in": [change numbers], "amends": [change numbers]}]}. Number, revision, date, type and
products are scored on every file; decided_in and amends on the files where the truth or dms has a link (a file
that neither links would only pad the ratio). Uses only what dms had before issue 14 too (a document
by its path, and the graph), so bench/accuracy.py can score an earlier commit with it.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

FIELDS = ("number", "revision", "date", "type", "products", "decided_in", "amends")
LINKS = ("decided_in", "amends")


def links(app) -> tuple[dict[int, set[str]], dict[int, set[str]]]:
    """Per document id: the change numbers the graph says it decides (minutes) and amends (specifications)."""
    from dms.graph import graph_for

    g = graph_for(app)
    decided: dict[int, set[str]] = defaultdict(set)
    amends: dict[int, set[str]] = defaultdict(set)

    def number(node: str) -> str:
        return str(g.nodes[node].get("label") or node.split(":", 1)[1]).upper()

    for source, target, data in g.edges(data=True):
        if data.get("type") == "decided_in" and target.startswith("doc:"):
            decided[int(target[4:])].add(number(source))
        elif data.get("type") == "amends" and source.startswith("doc:"):
            amends[int(source[4:])].add(number(target))
    return decided, amends


def _at_path(app, path: str):
    """The document recorded from this path, or None (an earlier commit's catalog has only `documents_where`)."""
    if hasattr(app.catalog, "document_at_path"):
        return app.catalog.document_at_path(path)
    rows = app.catalog.documents_where("d.path = ?", (path,))
    return rows[0] if rows else None


def derived(app, archive_dir: Path, truth: dict) -> dict[str, dict | None]:
    """Per truth path: what dms holds for it (None when the file is not in the catalog)."""
    decided, amends = links(app)
    out: dict[str, dict | None] = {}
    for f in truth["files"]:
        doc = _at_path(app, str(archive_dir / f["path"]))
        if doc is None:
            out[f["path"]] = None
            continue
        v = doc.version
        out[f["path"]] = {"number": v.number, "revision": v.revision, "date": v.doc_date, "type": v.doc_type,
                          "products": sorted(v.products), "decided_in": sorted(decided.get(doc.id, ())),
                          "amends": sorted(amends.get(doc.id, ()))}
    return out


def score(app, archive_dir: Path, truth: dict) -> dict[str, tuple[int, int, list]]:
    """field -> (right, total, wrong) where wrong lists (path, got, want)."""
    got_all = derived(app, archive_dir, truth)
    result = {}
    for field in FIELDS:
        right, total, wrong = 0, 0, []
        for f in truth["files"]:
            got = got_all[f["path"]]
            have = None if got is None else got[field]
            want = f.get(field)
            if field in LINKS:
                want = sorted(n.upper() for n in want or ())
                if not want and not have:
                    continue
            elif field == "products":
                want = sorted(want or ())
            total += 1
            if have == want:
                right += 1
            else:
                wrong.append((f["path"], have, want))
        result[field] = (right, total, wrong)
    return result


def sample_truth(raw: dict) -> dict:
    """The sample archive's ground truth in the generators' form: its change requests name the minutes that
    decided them (`decided_in`: a meeting number) and its specifications the change they amend (`amends`)."""
    minutes: dict[str, list[dict]] = defaultdict(list)
    files = [dict(f, decided_in=[], amends=_listed(f.get("amends"))) for f in raw["files"]]
    for f in files:
        if f["type"] == "minutes" and f["number"]:
            minutes[f["number"]].append(f)
    for f in raw["files"]:
        for m in minutes.get(f.get("decided_in") or "", ()):
            m["decided_in"].append(f["number"])
    return {"files": files}


def _listed(value) -> list[str]:
    return [] if not value else [value] if isinstance(value, str) else list(value)


def table(scores: dict[str, tuple[int, int, list]]) -> str:
    return "\n".join(f"{field:11} {right:4}/{total:<4} {right / total if total else float('nan'):6.3f}"
                     for field, (right, total, _) in scores.items())
