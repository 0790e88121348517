"""PPTX via python-pptx: one page per slide, with its tables and speaker notes."""

from __future__ import annotations

import zipfile
from pathlib import Path

from pptx import Presentation
from pptx.exc import PackageNotFoundError

from dms.ingest.registry import ExtractionFailed, Raw, register


def _shape_text(shape) -> list[str]:
    out = []
    if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
        out.append(shape.text_frame.text)
    if getattr(shape, "has_table", False) and shape.has_table:
        for row in shape.table.rows:
            out.append(" | ".join(cell.text for cell in row.cells))
    for child in getattr(shape, "shapes", []):  # groups
        out.extend(_shape_text(child))
    return out


class PptxExtractor:
    name = "python-pptx"
    kinds = frozenset({"pptx"})

    def extract(self, path: Path) -> Raw:
        try:
            deck = Presentation(str(path))
        except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise ExtractionFailed("malformed", f"PPTX is damaged and cannot be read: {exc}") from None
        except Exception as exc:  # broken XML inside the package
            raise ExtractionFailed("malformed", f"PPTX is damaged and cannot be read: {exc}") from None
        pages, title = [], None
        for slide in deck.slides:
            lines = []
            for shape in slide.shapes:
                lines.extend(_shape_text(shape))
            if title is None and slide.shapes.title is not None and slide.shapes.title.text.strip():
                title = slide.shapes.title.text.strip()
            if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
                notes = slide.notes_slide.notes_text_frame.text.strip()
                if notes:
                    lines.append("Notes: " + notes)
            pages.append("\n".join(line for line in lines if line.strip()))
        props = deck.core_properties
        meta = {"slides": len(pages)}
        if props.author:
            meta["author"] = props.author
        if props.created:
            meta["created"] = props.created.date().isoformat()
        return Raw(pages=pages or [""], title=(props.title or "").strip() or title, meta=meta)


register(PptxExtractor())
