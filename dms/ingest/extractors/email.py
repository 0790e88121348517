"""E-mail (RFC 5322 .eml): headers as metadata, the body as text, attachments as documents of their own."""

from __future__ import annotations

import email
import email.policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

from dms.ingest.extractors.html import html_to_text
from dms.ingest.registry import ExtractionFailed, Raw, register
from dms.model import Attachment, Problem


class _ParsedOnce(HeaderRegistry):
    """The standard header registry, parsing each header of one message once: `email` parses a header again on
    every read, and reads Content-Type many times per part. Header objects are immutable, so sharing is safe."""

    def __init__(self) -> None:
        super().__init__()
        self._parsed: dict[tuple[str, str], BaseHeader] = {}

    def __call__(self, name: str, value: str) -> BaseHeader:
        key = (name, value)
        header = self._parsed.get(key)
        if header is None:
            header = self._parsed[key] = super().__call__(name, value)
        return header


def _header(msg: EmailMessage, name: str) -> str | None:
    try:
        value = msg.get(name)
    except (ValueError, TypeError, IndexError):  # malformed header
        raw = msg.get_all(name, failobj=[]) if hasattr(msg, "get_all") else []
        value = str(raw[0]) if raw else None
    return " ".join(str(value).split()) if value else None


def _addresses(msg: EmailMessage, name: str) -> list[str]:
    try:
        values = [str(v) for v in msg.get_all(name, [])]
    except (ValueError, TypeError, IndexError):
        return []
    return addresses(values)


def addresses(values: list[str]) -> list[str]:
    """Addresses from header values, each as "Name <address>" (or whichever of the two is there)."""
    out = []
    for display, addr in getaddresses(values):
        if addr or display:
            out.append(f"{display} <{addr}>" if display and addr else (addr or display))
    return out


def _part_text(part) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError, TypeError):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("latin-1")
    if isinstance(content, bytes):
        content = content.decode("latin-1")
    if part.get_content_type() == "text/html":
        return html_to_text(content)[0]
    return content


class EmailExtractor:
    name = "email"
    kinds = frozenset({"eml"})

    def extract(self, path: Path) -> Raw:
        data = path.read_bytes()
        policy = email.policy.default.clone(header_factory=_ParsedOnce())  # one cache per message
        msg = email.message_from_bytes(data, policy=policy)
        if not msg.keys():
            raise ExtractionFailed("malformed", "e-mail has no headers")
        warnings = [
            Problem("malformed", f"e-mail structure: {type(d).__name__}", "warning") for d in msg.defects[:3]
        ]
        meta: dict = {
            "from": _addresses(msg, "From"), "to": _addresses(msg, "To"), "cc": _addresses(msg, "Cc"),
            "subject": _header(msg, "Subject"), "message_id": _header(msg, "Message-ID"),
            "in_reply_to": _header(msg, "In-Reply-To"), "references": _header(msg, "References"),
        }
        date = _header(msg, "Date")
        if date:
            try:
                meta["date"] = parsedate_to_datetime(date).date().isoformat()
            except (TypeError, ValueError, IndexError):
                warnings.append(Problem("malformed", f"unreadable Date header {date!r}", "warning"))
        body = ""
        try:
            part = msg.get_body(preferencelist=("plain", "html"))
            if part is not None:
                body = _part_text(part)
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            warnings.append(Problem("malformed", f"e-mail body could not be read: {exc}", "warning"))
        attachments = []
        try:
            for number, part in enumerate(msg.iter_attachments(), start=1):
                payload = part.get_payload(decode=True)
                if payload is None:
                    inner = part.get_payload()
                    if isinstance(inner, list) and inner:  # message/rfc822: keep it as an .eml
                        payload = inner[0].as_bytes()
                    else:
                        continue
                name = part.get_filename() or f"attachment-{number}"
                attachments.append(Attachment(name=Path(name).name or f"attachment-{number}", data=payload))
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            warnings.append(Problem("malformed", f"attachments could not all be read: {exc}", "warning"))
        return mail_raw(meta, body, attachments, warnings)


def mail_raw(meta: dict, body: str, attachments: list[Attachment], warnings: list[Problem]) -> Raw:
    """A message of any format as dms keeps it: the main headers above the body, on one page."""
    head = "\n".join(
        f"{label}: {value}"
        for label, value in (
            ("From", ", ".join(meta.get("from") or [])), ("To", ", ".join(meta.get("to") or [])),
            ("Cc", ", ".join(meta.get("cc") or [])), ("Subject", meta.get("subject")),
        )
        if value
    )
    meta = {k: v for k, v in meta.items() if v}
    return Raw(pages=[head + "\n\n" + body.strip()], title=meta.get("subject"), meta=meta,
               attachments=attachments, warnings=warnings)


register(EmailExtractor())
