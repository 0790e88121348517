"""Keeping a change request on file: the request rendered as a document, and the notice of its decision.

Both are written under the data directory and ingested like any other file, so search, trace and
timeline find them. The notice is composed inside the decision's transaction and queued in the catalog's
outbox (dms.catalog.outbox); dms.changes.notify files and delivers it from there.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from jinja2 import Environment, PackageLoader, select_autoescape

from dms.app import Dms
from dms.catalog import changes as changes_sql
from dms.changes.costs import TEMPLATE_GLOBALS
from dms.changes.workflow import ChangeRequest, history

_env = Environment(loader=PackageLoader("dms.changes", "templates"), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True)
_env.globals.update(TEMPLATE_GLOBALS)  # cost_label, cost_text (dms.changes.costs)


def file_name(number: str) -> str:
    """A number as a safe file name: a pattern like ECR/2026/0042 must not make folders."""
    return re.sub(r"[^\w.-]", "_", number)


def file_request(dms: Dms, cr: ChangeRequest) -> str:
    """Render the request as it stands and ingest it as a new version of its document."""
    from dms.ingest.pipeline import ingest

    folder = dms.settings.home / "changes"
    folder.mkdir(parents=True, exist_ok=True)
    created = changes_sql.created_at(dms.catalog, cr.number)
    path = folder / f"{file_name(cr.number)}.html"
    path.write_text(_env.get_template("request.html").render(cr=cr, created=created,
                                                              history=history(dms, cr.number)), encoding="utf-8")
    ingest(dms, [path], inline=True)
    return str(path)


def compose_notice(dms: Dms, cr: ChangeRequest) -> tuple[str, bytes]:
    """The notice telling the applicant the decision: its file name and the whole e-mail."""
    from dms.users import get

    msg = EmailMessage()
    msg["From"] = "dms <dms@localhost>"
    address = get(dms.catalog, cr.applicant).email or f"{cr.applicant}@localhost"
    msg["To"] = f"{cr.applicant} <{address}>"
    msg["Subject"] = f"Decision on change request {cr.number}: {cr.data.get('decision')}"
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain="dms.localhost")
    msg.set_content(_env.get_template("notice.txt").render(cr=cr, today=date.today().isoformat()))
    return f"{file_name(cr.number)}-decision-{cr.revision}.eml", bytes(msg)


def file_notice(dms: Dms, name: str, message: bytes) -> str:
    """Keep the notice under notices/ and ingest it, so it is on file (and found) before it is sent."""
    from dms.ingest.pipeline import ingest

    kept = dms.settings.home / "notices"
    kept.mkdir(parents=True, exist_ok=True)
    (kept / name).write_bytes(message)
    ingest(dms, [kept / name], inline=True)
    return str(kept / name)
