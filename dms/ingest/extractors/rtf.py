"""Rich Text Format via striprtf, with the title, author and creation date from the {\\info} group."""

from __future__ import annotations

import re
from pathlib import Path

from dms.ingest.registry import ExtractionFailed, Raw, register

_INFO = {key: re.compile(rb"{\\" + key.encode() + rb"\s+((?:[^{}\\]|\\.)*)}") for key in ("title", "author", "subject")}
_CREATED = re.compile(rb"{\\creatim\\yr(\d{4})\\mo(\d{1,2})\\dy(\d{1,2})")
_CODEPAGE = re.compile(rb"\\ansicpg(\d{3,5})")


class RtfExtractor:
    name = "striprtf"
    kinds = frozenset({"rtf"})

    def extract(self, path: Path) -> Raw:
        from striprtf.striprtf import rtf_to_text

        data = path.read_bytes()
        m = _CODEPAGE.search(data[:4096])
        encoding = f"cp{m.group(1).decode()}" if m else "cp1252"
        try:
            "".encode(encoding)
        except LookupError:
            encoding = "cp1252"
        try:
            text = rtf_to_text(data.decode("latin-1"), encoding=encoding, errors="replace")
        except (ValueError, IndexError, KeyError, RecursionError) as exc:
            raise ExtractionFailed("malformed", f"RTF is damaged and cannot be read: {exc}") from None
        meta = {}
        for key, pattern in _INFO.items():
            found = pattern.search(data)
            if found:
                value = rtf_to_text(found.group(1).decode("latin-1"), encoding=encoding, errors="replace").strip()
                if value:
                    meta[key] = value
        created = _CREATED.search(data)
        if created:
            y, mo, d = (int(x) for x in created.groups())
            if 1 <= mo <= 12 and 1 <= d <= 31:
                meta["created"] = f"{y:04d}-{mo:02d}-{d:02d}"
        text = text.replace("\r\n", "\n")
        pages = text.split("\f") if "\f" in text else [text]
        return Raw(pages=pages, title=meta.pop("title", None), meta=meta)


register(RtfExtractor())
