"""Delivering notices: to an outbox folder of .eml files (the default), or over SMTP when configured."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from dms.config import Settings
from dms.errors import DmsError


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
            raise DmsError(f"the notice could not be sent through {self.host}:{self.port}: {exc}; "
                           "it is archived, send it again once the mail server answers") from None
        return f"smtp://{self.host}:{self.port}"


def notifier_for(settings: Settings) -> Notifier:
    if settings.smtp_host:
        return SmtpNotifier(settings.smtp_host, settings.smtp_port)
    return OutboxNotifier(settings.home / "outbox")
