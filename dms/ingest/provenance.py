"""Provenance: where a derived field's value came from, as stored in `versions.sources`.

Each entry is a dict {"source": short words ("label 'Doc'", "title line", "file name", "rule 3 (name …)"),
"page": int | None (from 1), "line": the line it was read from (at most LINE_CHARS), "words": the words
matched, "doubtful": why the value is a guess (None when it is not), "confidence": for learned values}.
`dms explain` prints these; `dms review` lists the fields that are missing or doubtful.
"""

from __future__ import annotations

LINE_CHARS = 200


def entry(source: str, *, page: int | None = None, line: str | None = None, words: str | None = None,
          doubtful: str | None = None, confidence: float | None = None) -> dict:
    """One field's provenance (see the module docstring)."""
    return {
        "source": source,
        "page": page,
        "line": _clip(line),
        "words": _clip(words),
        "doubtful": doubtful,
        "confidence": confidence,
    }


def line_at(text: str, pos: int) -> str:
    """The line of `text` that holds position `pos`."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return text[start:] if end < 0 else text[start:end]


def _clip(text: str | None) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    return text if len(text) <= LINE_CHARS else text[: LINE_CHARS - 1] + "…"
