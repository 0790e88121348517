"""The ground truth of the planted plans (dms.samplegen.plans): what `dms plan check` must find in each plan at
each as-of date, and what `dms followup` must list — written from what was planted, never by running dms.

Each finding is (milestone, kind, subject); shortages also carry the quantity short, its canonical unit and the
supplier to order from. The reasoning behind each one is in the comments beside it.
"""

from __future__ import annotations

from datetime import date

from dms.samplegen.model import Doc
from dms.samplegen.plans import MINUTES, ROSTER, email

REPLY_DAYS = 10  # the default rules' [followup] reply_days
REQUESTS = ("please", "could you", "can you", "would you", "kindly", "let us know", "let me know", "bitte")


def _f(milestone: str, kind: str, subject: str, **extra) -> dict:
    return {"milestone": milestone, "kind": kind, "subject": subject, **extra}


def _short(milestone: str, part: str, quantity: float, unit: str, supplier: str) -> dict:
    return _f(milestone, "shortage", part, quantity=quantity, unit=unit, supplier=supplier)


HELIX, POLARIS = "Helix Components", "Polaris Plastics"
# KX200 — M1 Priya Raman is on leave 3–7 Feb (.ics) within 13 Jan–14 Feb: absent, 20 of 25 days left (128 h for
# 80 h); SPEC-KX200-02 Rev D (2023) and CR-2023-002 (approved in MTG-2023-04-13) are on file. M4 Jonas Weber:
# 25 days in 20 working days (200 h > 160 h): over capacity. M3 Sofia Novak on leave 24–28 Mar: absent.
KX200_CHECKS = [
    {"as_of": "2025-02-03", "revision": "A", "findings": [
        _f("M1", "absent", "Priya Raman"),
        # stock 500 (31 Jan), PO-2025-0002 due 30 Apr too late, PO-2025-0003 not issued yet: 800 - 500
        _short("M2", "LH-200", 300, "pcs", HELIX),
        _f("M2", "deliverable pending", "RPT-KX200-2025-02"),
        _short("M3", "LH-200", 1200, "pcs", HELIX),  # after M2's 800, nothing left for 1200 by 17 Mar
        _short("M3", "GS-310", 800, "pcs", POLARIS),  # stock 1200; the PO-2025-0001 line is received
        _short("M3", "SC-10", 2.5, "kg", POLARIS),  # stock 2500 g, need 5 kg; the stock row's supplier
        _f("M3", "absent", "Sofia Novak"),
        _f("M3", "deliverable pending", "SPEC-KX200-04"),
        _f("M3", "dependency", "M2"),
        _f("M4", "over capacity", "Jonas Weber"),
        _f("M4", "deliverable pending", "CTR-2025-001"),
        _f("M4", "dependency", "M3")],
     "milestones": {"M1": "at risk", "M2": "blocked", "M3": "blocked", "M4": "at risk"}},
    # Rev B (issued 20 Feb) moves M3 to 24 Mar–25 Apr and adds the gift box PK-200 (no stock data) to M4.
    {"as_of": "2025-02-24", "revision": "B", "findings": [
        _f("M1", "absent", "Priya Raman"),
        # M2's shortage is resolved: PO-2025-0003 (12 Feb) brings 700 due 14 Feb: 500 + 700 - 800 = 400
        _f("M2", "deliverable pending", "RPT-KX200-2025-02"),
        _short("M3", "LH-200", 800, "pcs", HELIX),  # 400 left, PO-2025-0002 still due too late (30 Apr)
        # GS-310 and SC-10: the count of 21 Feb (2100 pcs, 6 kg) supersedes the report of 31 Jan
        _f("M3", "absent", "Sofia Novak"),
        _f("M3", "deliverable pending", "SPEC-KX200-04"),
        _f("M4", "no stock data", "PK-200"),
        _f("M4", "over capacity", "Jonas Weber"),
        _f("M4", "deliverable pending", "CTR-2025-001"),
        _f("M4", "dependency", "M3")],
     "milestones": {"M1": "at risk", "M2": "at risk", "M3": "blocked", "M4": "blocked"}},
    {"as_of": "2025-04-15", "revision": "B", "findings": [
        _f("M1", "absent", "Priya Raman"),
        _f("M2", "deliverable missing", "RPT-KX200-2025-02"),  # due 14 Mar, never filed
        _short("M3", "LH-200", 800, "pcs", HELIX),
        _f("M3", "absent", "Sofia Novak"),
        _f("M3", "deliverable pending", "SPEC-KX200-04"),  # Rev B's 25 Apr is ahead (Rev A's 11 Apr is not)
        _f("M3", "dependency", "M2"),
        _f("M4", "no stock data", "PK-200"),
        _f("M4", "over capacity", "Jonas Weber"),
        _f("M4", "deliverable pending", "CTR-2025-001"),
        _f("M4", "dependency", "M3")],
     "milestones": {"M1": "at risk", "M2": "blocked", "M3": "blocked", "M4": "blocked"}},
]
# VL310 — V1 Lukas Meyer on parental leave all of Feb: absent throughout; motor mounts 80 on hand, PO-2025-0004's
# 60 are due 25 Feb, after the need (3 Feb). V2 asks for "field service", no roster person or role. V3 needs
# SPEC-VL310-02 Rev H (only Rev A and B exist).
VL310_CHECKS = [
    {"as_of": "2025-02-10", "revision": "A", "findings": [
        _short("V1", "MM-310", 40, "pcs", HELIX),
        _f("V1", "absent throughout", "Lukas Meyer"),
        _f("V2", "unknown person", "field service"),  # brush rolls: 150 + 300 due 26 Feb - 400 = 50 left
        _f("V2", "dependency", "V1"),
        _f("V3", "deliverable pending", "SPEC-VL310-02"),
        _f("V3", "dependency", "V2")],
     "milestones": {"V1": "blocked", "V2": "blocked", "V3": "at risk"}},
    {"as_of": "2025-03-20", "revision": "A", "findings": [
        _short("V1", "MM-310", 40, "pcs", HELIX),
        _f("V1", "absent throughout", "Lukas Meyer"),
        _f("V2", "unknown person", "field service"),
        _f("V2", "dependency", "V1"),
        _short("V3", "FH-310", 50, "pcs", POLARIS),  # the count of 21 Feb: 200 on hand, need 250
        _f("V3", "deliverable pending", "SPEC-VL310-02"),
        _f("V3", "dependency", "V2")],
     "milestones": {"V1": "blocked", "V2": "blocked", "V3": "blocked"}},
]
FOLLOWUP_DATES = ("2025-02-10", "2025-03-20")


def _plan(number: str, product: str, docs: list[Doc], checks: list[dict]) -> dict:
    revisions = [{"revision": d.revision, "path": d.rel, "issued": d.date.isoformat()}
                 for d in docs if d.number == number]
    worst = ("ready", "at risk", "blocked")
    return {"number": number, "product": product, "revisions": revisions,
            "checks": [{**c, "readiness": max(c["milestones"].values(), key=worst.index)} for c in checks]}


def _actions(as_of: str) -> list[dict]:
    """Action lines of minutes dated by as_of, open unless minutes dated after theirs (and by as_of) hold a
    done-line repeating their words."""
    out = []
    for path, day, code, items in MINUTES:
        if day > as_of:
            continue
        for kind, what, owner, due in items:
            if kind != "action":
                continue
            closed = any(k == "done" and what.lower() in w.lower() and day < later <= as_of
                         for _, later, _, done in MINUTES for k, w, _, _ in done)
            if not closed:
                out.append({"minutes": path.rsplit("/", 1)[1].rsplit(".", 1)[0], "path": path, "product": code,
                            "what": what, "owner": owner, "due": due, "overdue": due < as_of})
    return out


def _asks(doc: Doc) -> bool:
    own = "\n".join(line for b in doc.blocks if b[0] == "p" for line in b[1].splitlines()
                    if not line.lstrip().startswith(">")).lower()
    return "?" in own or any(p in own for p in REQUESTS)


def _bare(subject: str) -> str:
    s = subject.strip()
    while s[:3].lower() in ("re:", "aw:") or s[:4].lower() == "fwd:":
        s = s[3 if s[:3].lower() in ("re:", "aw:") else 4:].strip()
    return s.lower()


def _awaiting(mails: list[Doc], as_of: str, internal: dict[str, str]) -> list[dict]:
    """E-mails (of every document the generator wrote) that ask and have no reply by as_of, older than
    reply_days: the generator's own data (sender, recipients, In-Reply-To, subject), not dms's reading."""
    day = date.fromisoformat(as_of)
    out = []
    for m in mails:
        if m.date > day or (day - m.date).days <= REPLY_DAYS or not _asks(m):
            continue
        sender = _addr(m.mail["from"])
        replied = any(r.date <= day and r is not m and (
            r.mail.get("in_reply_to") == m.mail["message_id"] or
            (_bare(r.mail["subject"]) == _bare(m.mail["subject"]) and _addr(r.mail["from"]) != sender))
            for r in mails if r.date >= m.date)
        if replied:
            continue
        recipients = [_addr(a) for a in m.mail["to"].split(",") + (m.mail.get("cc") or "").split(",") if a.strip()]
        owner = sender if sender in internal else next((r for r in recipients if r in internal), "")
        out.append({"path": m.rel, "message_id": m.mail["message_id"], "product": (m.products or [""])[0],
                    "owner": internal.get(owner, ""), "owner_email": owner, "sender_waits": sender in internal})
    return out


def _addr(text: str) -> str:
    return text.split("<")[-1].strip(" >").lower()


def truth(docs: list[Doc]) -> dict:
    """{"plans": [...], "followup": {...}} for the whole archive (the World's documents and the planted ones)."""
    internal = {email(name): name for name, _, _ in ROSTER}
    mails = [d for d in docs if d.mail]
    return {
        "plans": [_plan("PLAN-KX200-2025", "KX200", docs, KX200_CHECKS),
                  _plan("PLAN-VL310-2025", "VL310", docs, VL310_CHECKS)],
        "followup": {"reply_days": REPLY_DAYS, "checks": [
            {"as_of": d, "actions": _actions(d), "awaiting_reply": _awaiting(mails, d, internal)}
            for d in FOLLOWUP_DATES]},
    }
