"""Outlook messages (.msg) via extract-msg: the same headers, body and attachments as an e-mail,
so threads (Message-ID / In-Reply-To) and attachments link up alike."""

from __future__ import annotations

import logging
from pathlib import Path

from dms.ingest.extractors.email import addresses, mail_raw
from dms.ingest.extractors.html import html_to_text
from dms.ingest.registry import ExtractionFailed, Raw, register
from dms.model import Attachment, Problem

logging.getLogger("extract_msg").setLevel(logging.CRITICAL)  # it logs what it skips; problems carry what matters


def _clean(value) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _people(value) -> list[str]:
    text = _clean(value)
    return addresses([text.replace(";", ",")]) if text else []


class MsgExtractor:
    name = "extract-msg"
    kinds = frozenset({"msg"})

    def extract(self, path: Path) -> Raw:
        import extract_msg
        from extract_msg.exceptions import ExMsgBaseException

        try:
            msg = extract_msg.openMsg(str(path), delayAttachments=False)
        except (ExMsgBaseException, OSError, ValueError, KeyError, TypeError) as exc:
            raise ExtractionFailed("malformed", f"the Outlook message cannot be read: {exc}") from None
        try:
            return _read(msg)
        finally:
            msg.close()


def _read(msg) -> Raw:
    warnings: list[Problem] = []

    def field(name: str):
        try:
            return getattr(msg, name)
        except Exception as exc:  # extract-msg raises many kinds for damaged properties
            warnings.append(Problem("malformed", f"Outlook property {name} could not be read: {exc}", "warning"))
            return None

    header = field("header")
    meta: dict = {
        "from": _people(field("sender")), "to": _people(field("to")), "cc": _people(field("cc")),
        "subject": _clean(field("subject")), "message_id": _clean(field("messageId")),
        "in_reply_to": _clean(field("inReplyTo")) or _clean(header.get("In-Reply-To") if header else None),
        "references": _clean(header.get("References") if header else None),
    }
    when = field("date")
    if when is not None and hasattr(when, "date"):
        meta["date"] = when.date().isoformat()
    body = field("body") or ""
    if not body.strip():
        html = field("htmlBody")
        if html:
            body = html_to_text(html.decode("utf-8", "replace") if isinstance(html, bytes) else html)[0]
    attachments = []
    for number, att in enumerate(field("attachments") or [], start=1):
        data = getattr(att, "data", None)
        name = _attachment_name(att, number)
        if data is not None and not isinstance(data, bytes | bytearray):
            export = getattr(data, "exportBytes", None)  # an embedded Outlook message: kept as its own .msg
            try:
                data = export() if export else None
            except Exception as exc:  # noqa: BLE001 - a damaged embedded message stays inside this one
                warnings.append(Problem("malformed", f"embedded message {name} could not be read: {exc}", "warning"))
                data = None
            if data is not None and not name.lower().endswith(".msg"):
                name += ".msg"
        if isinstance(data, bytes | bytearray) and data:
            attachments.append(Attachment(name=name, data=bytes(data)))
    return mail_raw(meta, body.replace("\r\n", "\n"), attachments, warnings)


def _attachment_name(att, number: int) -> str:
    for attr in ("longFilename", "shortFilename", "displayName", "name"):
        value = getattr(att, attr, None)
        if isinstance(value, str) and value.strip():
            return Path(value.strip().replace("\\", "/")).name or f"attachment-{number}"
    return f"attachment-{number}"


register(MsgExtractor())
