"""Frozen records passed between the ingest steps, the catalog and the index."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with one file. `error`: nothing usable was extracted."""

    kind: str  # malformed, encrypted, empty, mislabelled, oversized, timeout, crashed, limit
    reason: str
    severity: str = "error"


@dataclass(frozen=True, slots=True)
class Reference:
    """An identifier a document cites, and where: page 0 is the title, offsets count characters."""

    family: str  # change_request, specification, meeting, ... (the [identifiers] names)
    number: str  # normal form, e.g. CR-2023-014
    revision: str | None
    page: int
    offset: int
    snippet: str


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Extraction:
    """What the worker made of one stored original."""

    status: str  # ok | failed | unsupported
    kind: str | None = None  # format detected from the bytes: pdf, docx, eml ...
    extractor: str | None = None
    pages: tuple[str, ...] = ()
    title: str | None = None
    doc_type: str = "other"
    doc_date: str | None = None  # ISO date
    date_source: str | None = None
    number: str | None = None
    revision: str | None = None
    products: tuple[str, ...] = ()
    parties: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()
    references: tuple[Reference, ...] = ()  # every citation with its provenance
    meta: dict[str, Any] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    ocr_pages: tuple[int, ...] = ()  # pages (from 1) with no usable text layer, to be OCRed
    sources: dict[str, Any] = field(default_factory=dict)  # field -> where its value came from
    terms: Any = None  # the search engine's analysis of the pages, made in the worker (Engine.analysis)


@dataclass(frozen=True, slots=True)
class IndexRecord:
    """One document as the search index sees it (its current version)."""

    doc_id: int
    version_id: int
    title: str
    path: str
    name: str
    doc_type: str
    date: str | None
    products: tuple[str, ...]
    parties: tuple[str, ...]
    number: str | None
    revision: str | None
    refs: tuple[str, ...]
    pages: tuple[str, ...]
    terms: Any = None  # the engine's analysis of the pages, made by an ingest worker (Extraction.terms), or None
