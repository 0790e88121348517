"""What a file really is, from its bytes; and whether its name says otherwise."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

DECLARED = {
    ".pdf": "pdf", ".docx": "docx", ".xlsx": "xlsx", ".xlsm": "xlsx", ".pptx": "pptx", ".eml": "eml",
    ".html": "html", ".htm": "html", ".xhtml": "html", ".txt": "text", ".text": "text", ".log": "text",
    ".md": "markdown", ".markdown": "markdown", ".csv": "csv", ".tsv": "csv",
    ".doc": "doc", ".xls": "xls", ".ppt": "ppt", ".msg": "msg", ".odt": "odt", ".ods": "ods", ".odp": "odp",
    ".rtf": "rtf", ".png": "image", ".jpg": "image", ".jpeg": "image", ".tif": "image", ".tiff": "image",
    ".gif": "image", ".webp": "image", ".zip": "zip",
}
OLE_KINDS = frozenset({"doc", "xls", "ppt", "msg", "ole"})
TEXT_KINDS = frozenset({"text", "markdown", "csv", "html", "eml"})
NAMES = {
    "pdf": "a PDF", "docx": "a Word (DOCX) document", "xlsx": "an Excel (XLSX) workbook",
    "pptx": "a PowerPoint (PPTX) deck", "eml": "an e-mail", "html": "an HTML page", "text": "plain text",
    "markdown": "Markdown text", "csv": "CSV text", "ole": "an OLE2 compound file",
    "doc": "a legacy Word (.doc) document", "xls": "a legacy Excel (.xls) workbook",
    "ppt": "a legacy PowerPoint (.ppt) deck", "msg": "an Outlook message (.msg)",
    "odt": "an OpenDocument text (.odt)", "ods": "an OpenDocument spreadsheet (.ods)",
    "odp": "an OpenDocument presentation (.odp)", "rtf": "an RTF document",
    "ooxml-encrypted": "a password-protected Office file", "image": "an image", "zip": "a ZIP archive",
    "binary": "unrecognised binary data", "empty": "an empty file",
}
_MAIL_HEADER = re.compile(
    rb"^(?:(?:Return-Path|Received|From|To|Subject|Date|Message-ID|MIME-Version|Delivered-To|X-[\w-]+):[^\n]*\r?\n)+",
    re.IGNORECASE,
)

_CONTROLS = bytes(b for b in range(32) if b < 9 or 13 < b)  # not tab, newlines, vertical tab, form feed
_CONTROLS_BUT_SHIFTS = bytes(b for b in _CONTROLS if b not in (0x0E, 0x0F, 0x1B))


@dataclass(frozen=True, slots=True)
class Detected:
    kind: str  # what the bytes are
    declared: str | None  # what the file name says

    @property
    def mislabelled(self) -> bool:
        if self.declared is None or self.kind == "empty" or self.kind == self.declared:
            return False
        if self.declared in TEXT_KINDS and self.kind in TEXT_KINDS:
            return False  # an .html that is really plain text reads fine either way
        if self.declared in OLE_KINDS and self.kind in OLE_KINDS | {"ooxml-encrypted"} and "msg" not in (
                self.declared, self.kind):
            return False  # legacy Office files are told apart by their streams; a damaged one may not say
        if self.declared in ("docx", "xlsx", "pptx") and self.kind == "ooxml-encrypted":
            return False  # an encrypted Office file is an OLE2 container: reported as encrypted
        return True

    def describe(self) -> str:
        return (
            f"the file name says {NAMES.get(self.declared, self.declared)}, "
            f"but its content is {NAMES.get(self.kind, self.kind)}"
        )


def _looks_like_text(head: bytes) -> bool:
    if not head:
        return True
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return True
    if b"\x00" in head:
        # UTF-16/32 without a BOM: zeros in a regular stride, otherwise plain text.
        even, odd = head[0::2], head[1::2]
        return even.count(0) > 0.4 * len(even) or odd.count(0) > 0.4 * len(odd)
    iso2022 = b"\x1b$" in head or b"\x1b(" in head  # ISO-2022 escapes shift with SO, SI and ESC
    controls = len(head) - len(head.translate(None, _CONTROLS_BUT_SHIFTS if iso2022 else _CONTROLS))
    return controls <= len(head) * 0.02


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return "binary"
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    if "mimetype" in names:
        with zipfile.ZipFile(path) as zf:
            mimetype = zf.read("mimetype")[:100].strip()
        for suffix, kind in ((b".text", "odt"), (b".spreadsheet", "ods"), (b".presentation", "odp")):
            if mimetype.startswith(b"application/vnd.oasis.opendocument") and mimetype.endswith(suffix):
                return kind
    return "zip"


def _ole_kind(path: Path) -> str:
    """Which legacy format an OLE2 container holds, by its streams."""
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            top = {entry[0] for entry in ole.listdir(streams=True, storages=True)}
    except (OSError, ValueError, IndexError, KeyError, TypeError, RecursionError):
        return "ole"
    if "EncryptionInfo" in top:
        return "ooxml-encrypted"
    if any(name.startswith("__substg1.0_") for name in top):
        return "msg"
    if "WordDocument" in top:
        return "doc"
    if "Workbook" in top or "Book" in top:
        return "xls"
    if "PowerPoint Document" in top:
        return "ppt"
    return "ole"


def detect(path: Path, name: str, size: int) -> Detected:
    declared = DECLARED.get(Path(name).suffix.lower())
    if size == 0:
        return Detected("empty", declared)
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if b"%PDF-" in head[:1024]:
        kind = "pdf"
    elif head.startswith(b"PK\x03\x04"):
        kind = _zip_kind(path)
    elif head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        kind = _ole_kind(path)
    elif head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"GIF8")) or (
            head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        kind = "image"
    elif head.startswith(b"{\\rtf"):
        kind = "rtf"
    elif _looks_like_text(head):
        kind = _text_kind(head, declared)
    else:
        kind = "binary"
    return Detected(kind, declared)


def _text_kind(head: bytes, declared: str | None) -> str:
    if declared in TEXT_KINDS:
        return declared
    stripped = head.lstrip()[:200].lower()
    if stripped.startswith((b"<!doctype html", b"<html")):
        return "html"
    if _MAIL_HEADER.match(head):
        return "eml"
    return "text"
