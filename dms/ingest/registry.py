"""The extractor contract and the registry that picks one by detected kind.

A new format is a new module in `dms.ingest.extractors` that calls `register()`, named in that package's
table of kinds (`MODULES`), which says which module to import when a file of a kind is first met.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from dms.model import Attachment, Problem


class ExtractionFailed(Exception):
    """Raised by an extractor when the file cannot be read; `kind` names the problem."""

    def __init__(self, kind: str, reason: str):
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


@dataclass(slots=True)
class Raw:
    """What an extractor read: text per page plus whatever metadata the format carries."""

    pages: list[str] | Iterator[str]  # an iterator is read lazily, only as far as the text bound keeps
    title: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)  # author, created, from, to, subject ...
    attachments: list[Attachment] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    ocr_pages: list[int] = field(default_factory=list)  # pages (from 1) that are images: text comes from OCR


class Extractor(Protocol):
    name: str
    kinds: frozenset[str]

    def extract(self, path: Path) -> Raw: ...


_REGISTRY: dict[str, Extractor] = {}


def register(extractor: Extractor) -> Extractor:
    for kind in extractor.kinds:
        if kind in _REGISTRY:
            raise ValueError(f"two extractors claim {kind!r}: {_REGISTRY[kind].name} and {extractor.name}")
        _REGISTRY[kind] = extractor
    return extractor


def extractor_for(kind: str) -> Extractor | None:
    if kind not in _REGISTRY:
        from dms.ingest import extractors

        extractors.load(kind)  # its module, on first use
    return _REGISTRY.get(kind)


def supported_kinds() -> list[str]:
    from dms.ingest import extractors

    extractors.load()
    return sorted(_REGISTRY)
