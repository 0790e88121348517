"""Change requests: from request to proven amendment. Their rules (who may do what, in which state) are in
`rules`, enforced by `workflow`; the catalog's statements in dms.catalog.changes."""

from dms.changes.rules import allowed_actions
from dms.changes.waiting import mine, waiting_for
from dms.changes.workflow import STATES, ChangeRequest, check, create, edit, get, history, listing, transition

__all__ = ["STATES", "ChangeRequest", "allowed_actions", "check", "create", "edit", "get", "history", "listing",
           "mine", "transition", "waiting_for"]
