"""Change requests: from request to proven amendment. See `workflow` for the rules."""

from dms.changes.waiting import mine, waiting_for
from dms.changes.workflow import STATES, ChangeRequest, check, create, edit, get, history, listing, transition

__all__ = ["STATES", "ChangeRequest", "check", "create", "edit", "get", "history", "listing", "mine", "transition",
           "waiting_for"]
