"""E-mails waiting for a reply: a message that asks something, with no answer in its thread after reply_days.

A message asks when its own text (quoted lines, the quoted message below "On … wrote:" / "-----Original
Message-----" / "Von: …", the signature and web addresses left out) holds a question mark or one of the rules'
[followup] requests phrases (whole words, case-insensitive). It is answered by a later message, dated by the
as-of date, whose In-Reply-To or References name its Message-ID, or which has the same subject (less Re:/AW:/
Fwd:/WG: prefixes) and another sender. The headers are the ones the catalog keeps of every message (from, to,
cc, subject, message_id, in_reply_to, references; dms.ingest.extractors.email); the body is its text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from dms.app import Dms
from dms.asof import effective_date
from dms.catalog import followup as sql
from dms.followup.memo import remembered
from dms.followup.people import DMS_SENDER, People, shown, split_address

_PREFIX = re.compile(r"^\s*(?:(?:re|aw|fwd?|wg|sv|antw)\s*(?:\[\d+\])?\s*:\s*)+", re.I)
_QUOTE_START = re.compile(r"^\s*(?:On\b.{0,200}\bwrote:|Am\b.{0,200}\bschrieb\b.{0,200}:|-{2,}\s*(?:Original Message|"
                          r"Ursprüngliche Nachricht|Forwarded message)|(?:From|Von):\s.+)\s*-*\s*$", re.I)
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.I)
_IDS = re.compile(r"<[^<>\s]+>")
MAX_BODY = 100_000  # characters of a message read for a question


@dataclass(frozen=True, slots=True)
class Mail:
    doc_id: int
    number: str | None
    sent: date
    sender: str  # "Name <address>" as the headers give it
    recipients: tuple[str, ...]  # To, then Cc
    subject: str
    message_id: str
    answers: frozenset[str]  # message ids its In-Reply-To and References name
    asks: bool
    products: tuple[str, ...]


def subject_key(subject: str | None) -> str:
    return " ".join(_PREFIX.sub("", subject or "").casefold().split())


def own_text(page: str) -> str:
    """The message's own words: the body below the kept header block, without what it quotes."""
    _, _, body = page.partition("\n\n")
    kept = []
    for line in body[:MAX_BODY].splitlines():
        if line.strip() == "--" or _QUOTE_START.match(line):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line)
    return _URL.sub(" ", "\n".join(kept))


def asks(text: str, phrases: tuple[str, ...]) -> bool:
    if "?" in text:
        return True
    lowered = " ".join(text.casefold().split())
    return any(re.search(rf"(?<!\w){re.escape(p)}(?!\w)", lowered) for p in phrases)


def read(dms: Dms) -> list[Mail]:
    """Every live message of the archive (dms's own notices and digests left out)."""
    return list(remembered(dms, "mails", _read))


def _read(dms: Dms) -> tuple[Mail, ...]:
    phrases = dms.rules.plans.request_phrases
    out = []
    for doc in sql.mails(dms.catalog):
        meta = doc.version.meta
        sender = (meta.get("from") or [""])[0]
        if split_address(sender)[1] == DMS_SENDER:
            continue
        pages = dms.catalog.pages(doc.version.id)
        named = " ".join(str(meta.get(k) or "") for k in ("in_reply_to", "references"))
        out.append(Mail(doc.id, doc.version.number, date.fromisoformat(effective_date(doc)), sender,
                        tuple((meta.get("to") or []) + (meta.get("cc") or [])), meta.get("subject") or "",
                        (meta.get("message_id") or "").strip(), frozenset(_IDS.findall(named)),
                        asks(own_text(pages[0] if pages else ""), phrases), doc.version.products))
    return tuple(out)


def answered(mail: Mail, others: list[Mail], as_of: date) -> Mail | None:
    """The first message by as_of that answers this one."""
    key, sender = subject_key(mail.subject), split_address(mail.sender)[1] or mail.sender
    for other in sorted(others, key=lambda m: (m.sent, m.doc_id)):
        if other.doc_id == mail.doc_id or other.sent > as_of:
            continue
        if mail.message_id and mail.message_id in other.answers:
            return other
        if (key and other.sent >= mail.sent and subject_key(other.subject) == key
                and (split_address(other.sender)[1] or other.sender) != sender):
            return other
    return None


@dataclass(frozen=True, slots=True)
class Waiting:
    mail: Mail
    owner: str  # who must act: the internal sender (waits), else the first internal recipient (owes)
    owner_email: str
    waits_on: str  # the other side (by the name dms.parties gives it)
    owed: bool  # True: the owner owes the reply; False: the owner waits for it
    due: date


def awaiting(dms: Dms, as_of: date, people: People) -> list[Waiting]:
    """Messages sent more than reply_days before as_of that ask something and have no answer by as_of."""
    from dms.catalog.parties import aliases

    days = dms.rules.plans.reply_days
    party = aliases(dms.catalog)  # the correspondent as parties were renamed or merged (dms.parties)
    mails = [m for m in read(dms) if m.sent <= as_of]
    out = []
    for mail in mails:
        if not mail.asks or (as_of - mail.sent).days <= days or answered(mail, mails, as_of) is not None:
            continue
        first = mail.recipients[0] if mail.recipients else ""
        if people.is_internal(mail.sender):
            owner, other, owed = mail.sender, first, False
        else:
            owner = next((r for r in mail.recipients if people.is_internal(r)), "")
            other, owed = mail.sender, True
        out.append(Waiting(mail, shown(owner), split_address(owner)[1], party.get(other) or shown(other), owed,
                           mail.sent + timedelta(days=days)))
    return out
