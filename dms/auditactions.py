"""Every action the audit log records, in one place: its name and what it means, grouped by what it is about.

The name is what the log stores, so a name never changes once entries carry it (hash chains and signatures
cover it, and readers such as `dms.catalog.learning` look entries up by it). `dms.audit.record` refuses an
action not listed here; `dms audit actions` prints this list. To add an action: add a line under its
group here, and record it with the constant (tests/test_audit_actions.py checks both ways).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Action:
    name: str  # as stored in the log
    meaning: str  # one line, for `dms audit actions`
    group: str  # what its entries are about


ACTIONS: dict[str, Action] = {}  # name -> Action, in the order listed here


def _group(group: str) -> Callable[[str, str], str]:
    def action(name: str, meaning: str) -> str:
        if name in ACTIONS:
            raise ValueError(f"audit action {name!r} is listed twice")
        ACTIONS[name] = Action(name, meaning, group)
        return name

    return action


_doc = _group("documents")
INGEST = _doc("ingest", "a file's bytes became a new version of a document (ingest, upload, watched folder)")
REPAIR = _doc("repair", "a damaged stored original was rewritten from an intact copy of the source file")
OCR = _doc("ocr", "every scanned page of a version was OCRed; its metadata was derived again from the text")
METADATA_EDITED = _doc("metadata edited", "a person corrected a document's metadata by hand (before and after)")
METADATA_REDERIVED = _doc("metadata rederived",
                          "every current document's metadata was derived again from its stored text (`dms rederive`)")
RETIRED = _doc("retired", "a document was retired: out of search and the graph, its versions kept")
RESTORED = _doc("restored", "a retired document was brought back")
PURGED = _doc("purged",
              "a document's originals (unless other documents hold them) and text were deleted; a tombstone stays")

_link = _group("links")
LINK_ADDED = _link("link added", "a person linked two documents by hand")
LINK_REMOVED = _link("link removed", "a hand-made link was removed")

_party = _group("parties")
PARTY_RENAMED = _party("party renamed", "a party name was renamed across the archive")
PARTY_MERGED = _party("party merged", "several party names were merged into one")
PARTY_CHANGE_UNDONE = _party("party change undone", "a rename or merge of parties was undone")

_hold = _group("legal holds and bundles")
HOLD_PLACED = _hold("hold placed", "a legal hold (matter) was placed on a scope of documents")
HOLD_EXTENDED = _hold("hold extended", "documents were added to an active matter's scope")
HOLD_RELEASED = _hold("hold released", "a legal hold was released")
BUNDLE_CREATED = _hold("bundle created", "a dispute bundle (originals, manifest, chain of custody) was written")

_change = _group("change requests")
CHANGE_REQUEST_CREATED = _change("change request created", "a change request was opened")
CHANGE_REQUEST_EDITED = _change("change request edited", "a change request's fields were edited (before and after)")
CHANGE_REQUEST_TRANSITION = _change("change request transition",
                                    "a change request moved from one state to another (submit, assess, decide, …)")

_plan = _group("plans")
PLAN_IMPORTED = _plan("plan imported", "a project plan file was imported as a document")
PLAN_SAVED = _plan("plan saved", "a project plan was written in the web editor and kept as a document")
PLAN_ORDER_DRAFT = _plan("plan order draft", "order drafts for a plan's materials were written and queued")

_user = _group("users")
USER_ADDED = _user("user added", "an account was created")
USER_EMAIL_SET = _user("user e-mail set", "an account's e-mail address was changed")
USER_ROLE_SET = _user("user role set", "an account's role was changed")
USER_DISABLED = _user("user disabled", "an account was disabled (its sessions ended)")
USER_ENABLED = _user("user enabled", "a disabled account was enabled again")
PASSWORD_CHANGED = _user("password changed", "a user changed their own password")
PASSWORD_RESET = _user("temporary password set", "an administrator set a temporary password for an account")

_sign = _group("sign-in and API tokens")
SIGNED_IN = _sign("signed in", "a user signed in to the web interface")
SIGN_IN_FAILED = _sign("sign-in failed", "a sign-in was refused (wrong password, unknown or disabled user)")
PASSWORD_CHANGE_FAILED = _sign("password change failed", "a password change was refused (wrong current password)")
SIGN_IN_UNLOCKED = _sign("sign-in unlocked", "an administrator lifted a sign-in lockout of a user or client")
TOKEN_CREATED = _sign("API token created", "an API token was issued")
TOKEN_REVOKED = _sign("API token revoked", "an API token was revoked")

_view = _group("saved views")
VIEW_SAVED = _view("view saved", "a user saved a search as a view")
VIEW_RENAMED = _view("view renamed", "a saved view was renamed")
VIEW_CHANGED = _view("view changed", "a saved view's query was changed")
VIEW_PINNED = _view("view pinned", "a saved view was pinned to the start page")
VIEW_UNPINNED = _view("view unpinned", "a saved view was unpinned")
VIEW_DELETED = _view("view deleted", "a saved view was deleted")

_followup = _group("follow-up")
FOLLOW_UP_MARKED_DONE = _followup("follow-up marked done", "a follow-up item was marked done")
FOLLOW_UP_DIGEST_QUEUED = _followup("follow-up digest queued", "a user's follow-up digest was queued for mail")

_audit = _group("the audit log")
AUDIT_KEY_CREATED = _audit("audit key created", "the audit key was made: every entry from here on is signed")

_catalog = _group("the catalog")
CATALOG_COPIED = _catalog("catalog copied", "the whole catalog was copied into another database (`dms catalog copy`), "
                          "this entry included, and the copy compared with it table by table")


def known(name: str) -> bool:
    """Whether `name` is an action of this list."""
    return name in ACTIONS


def check(name: object) -> str:
    """`name` if it is a listed action; ValueError otherwise (recording anything else is a programming error)."""
    if not isinstance(name, str) or name not in ACTIONS:
        raise ValueError(f"{name!r} is not an audit action (dms.auditactions lists them)")
    return name


def by_group() -> dict[str, list[Action]]:
    """The actions under their groups, in the order listed here."""
    groups: dict[str, list[Action]] = {}
    for action in ACTIONS.values():
        groups.setdefault(action.group, []).append(action)
    return groups
