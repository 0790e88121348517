"""The logical documents the sample generator composes before writing them in a file format."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

ID_PATTERN = re.compile(
    r"\b(?:SPEC-[A-Z]{2}\d{3}-\d{2}(?: Rev [A-Z])?|CR-\d{4}-\d{3}|MTG-\d{4}-\d{2}-\d{2}|CTR-\d{4}-\d{3}|"
    r"PLAN-[A-Z]{2}\d{3}-\d{4}|RPT-[A-Z]{2}\d{3}-\d{4}-\d{2}|CMP-\d{4}-\d{4}|PO-\d{4}-\d{4})\b"
)


@dataclass
class Doc:
    rel: str  # path inside the archive
    fmt: str  # pdf docx txt md html eml csv xlsx pptx
    doc_type: str
    title: str
    date: date
    products: list[str]
    number: str | None = None
    revision: str | None = None
    # ("h", s) ("p", s) ("table", rows) ("page",) ("slide", title, bullets, notes)
    blocks: list[tuple] = field(default_factory=list)
    sheets: list[tuple[str, list[list]]] = field(default_factory=list)
    mail: dict | None = None  # from, to, cc, subject, message_id, in_reply_to
    attachments: list[Doc] = field(default_factory=list)
    relations: dict[str, str] = field(default_factory=dict)  # supersedes, amends, decided_in, reply_to ...

    def text(self) -> str:
        """All words the document carries, for the ground truth of mentions."""
        parts = [self.title]
        for block in self.blocks:
            if block[0] in ("h", "p"):
                parts.append(block[1])
            elif block[0] == "table":
                parts.extend(" ".join(str(c) for c in row) for row in block[1])
            elif block[0] == "slide":
                parts.extend([block[1], *block[2], block[3] or ""])
        for _, rows in self.sheets:
            parts.extend(" ".join(str(c) for c in row) for row in rows)
        if self.mail:
            parts.append(self.mail.get("subject", ""))
        return "\n".join(parts)

    def mentions(self) -> list[str]:
        own = {self.number, f"{self.number} Rev {self.revision}" if self.revision else None}
        found = dict.fromkeys(m for m in ID_PATTERN.findall(self.text()) if m not in own)
        return sorted(found)
