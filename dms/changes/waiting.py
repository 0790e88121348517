"""What waits for whom: the steps of the workflow a user may take now, by role, and a user's own requests.

One table (`PANELS`) says which workflow actions make up each panel of the start page's "waiting for me":

    review     submitted requests to review, and requests under review to assess   (coordinator)
    decide     assessed requests                                                     (manager)
    authorize  approved requests to authorize                                        (manager)
    implement  authorized requests                                                   (coordinator)
    release    implemented requests to close once their revisions are released, and
               rejected or deferred requests to close                                (coordinator)

Who may take which step, and that nobody is asked to decide or authorize their own request, is
dms.changes.rules' (`asked_of`); drafts wait for their applicant under "my requests", not here.
"""

from __future__ import annotations

from dms.app import Dms
from dms.changes.rules import asked_of
from dms.changes.workflow import listing
from dms.users import get

PANELS = {
    "review": ("review", "assess"),
    "decide": ("decide",),
    "authorize": ("authorize",),
    "implement": ("implement",),
    "release": ("close",),
}


def waiting_for(dms: Dms, user: str) -> dict[str, list[dict]]:
    """panel -> the open requests in the workflow on which this user's role takes the next step, oldest first."""
    who = get(dms.catalog, user)
    panels: dict[str, list[dict]] = {panel: [] for panel in PANELS}
    if who.disabled:
        return panels
    for cr in listing(dms):
        asked = set(asked_of(cr, who))
        for panel, actions in PANELS.items():
            steps = [a for a in actions if a in asked]
            if steps:
                panels[panel].append({**cr, "next": steps[0]})
    return panels


def mine(dms: Dms, user: str) -> list[dict]:
    """The requests this user applied for: open ones first (drafts first among them), then closed; by number."""
    order = {"draft": 0, "closed": 2}
    rows = listing(dms, applicant=user)
    return sorted(rows, key=lambda r: (order.get(r["state"], 1), r["number"]))
