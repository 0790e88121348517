"""Delivering notices: to an outbox folder of .eml files (the default), or over SMTP when configured.

Notices wait in the catalog's outbox (dms.catalog.outbox) from the transaction of the decision they
tell until they are delivered. `deliver_pending` files each one (notices/, ingested) and hands it to
the notifier, oldest first; a failure keeps it with its error, and it is tried again by the next change
command, the next start of `dms serve` (and every DMS_NOTICE_RETRY seconds while it runs), or
`dms change notices --retry`. One process delivers at a time (an flock on outbox.lock). A process
killed after the mail server took a notice but before it was marked may send it twice (same Message-ID);
none is ever lost.
"""

from __future__ import annotations

import smtplib
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from dms.app import Dms
from dms.catalog import outbox
from dms.config import Settings
from dms.errors import DmsError
from dms.locks import try_exclusive


class Notifier(Protocol):
    def deliver(self, message: EmailMessage, name: str) -> str:
        """Send the message; return where it went."""


class OutboxNotifier:
    def __init__(self, folder: Path):
        self.folder = folder

    def deliver(self, message: EmailMessage, name: str) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / name
        path.write_bytes(bytes(message))
        return str(path)


class SmtpNotifier:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port

    def deliver(self, message: EmailMessage, name: str) -> str:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise DmsError(f"the notice could not be sent through {self.host}:{self.port}: {exc}; it is on file "
                           "and stays in the outbox, to be sent again (`dms change notices --retry`)") from None
        return f"smtp://{self.host}:{self.port}"


def notifier_for(settings: Settings) -> Notifier:
    if settings.smtp_host:
        return SmtpNotifier(settings.smtp_host, settings.smtp_port)
    return OutboxNotifier(settings.home / "outbox")


def deliver_pending(dms: Dms) -> list[outbox.Notice]:
    """File and send every notice not yet delivered; returns those tried, as they stand after the try.
    Does nothing if another process is delivering now (it takes whatever is pending when it looks)."""
    tried: dict[int, outbox.Notice] = {}
    if not outbox.notices(dms.catalog, pending_only=True):
        return []
    with try_exclusive(dms.settings.home / "outbox.lock") as mine:
        while mine:
            notice = next((n for n in outbox.notices(dms.catalog, pending_only=True) if n.id not in tried), None)
            if notice is None:
                break
            _deliver(dms, notice)
            tried[notice.id] = outbox.get(dms.catalog, notice.id)
    return list(tried.values())


def _deliver(dms: Dms, notice: outbox.Notice) -> None:
    from dms.changes.archive import file_notice

    try:
        if notice.archived_at is None:
            file_notice(dms, notice.name, notice.message)  # on file before it is sent
            outbox.mark_archived(dms.catalog, notice.id)
        message = message_from_bytes(notice.message, _class=EmailMessage, policy=policy.default)
        where = notifier_for(dms.settings).deliver(message, notice.name)
    except (DmsError, OSError) as exc:
        outbox.mark_failed(dms.catalog, notice.id, str(exc))
        return
    outbox.mark_delivered(dms.catalog, notice.id, where)
