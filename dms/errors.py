"""The one error hierarchy of dms, and where it maps to exit codes and HTTP statuses.

    DmsError                      exit 1   HTTP 500
    ├── ConfigError               exit 2   HTTP 500   a DMS_ setting or rules file is wrong
    ├── UsageError                exit 2   HTTP 400   the request itself is malformed
    │   └── QueryError            exit 2   HTTP 400   a search query cannot be parsed
    ├── NotFound                  exit 3   HTTP 404   no document/identifier matches
    ├── PermissionDenied          exit 6   HTTP 403   the acting user's role does not allow it
    │   └── NotSignedIn           exit 6   HTTP 401   no valid session or API token (web only)
    │       └── PasswordChangeRequired       HTTP 401   signed in with a temporary password: change it first
    ├── TooLarge                  exit 2   HTTP 413   an upload is over the size limit
    ├── TooManyAttempts           exit 6   HTTP 429   too many failed sign-ins; wait and retry
    ├── IntegrityError            exit 4   HTTP 409   verify found a mismatch
    │   └── CatalogDamaged        exit 4   HTTP 500   the catalog file is not SQLite or its pages are damaged
    ├── CatalogError              exit 1   HTTP 500   the catalog refused or failed a statement (driver error)
    │   ├── CatalogDamaged        (above: it is both)
    │   ├── CatalogBusy           exit 7   HTTP 503   another process held the catalog's write lock too long
    │   └── DuplicateKey          exit 2   HTTP 409   a UNIQUE key refused the write (e.g. a name just taken)
    ├── Busy                      exit 7   HTTP 503   another ingest holds the archive's lock (DMS_LOCK_WAIT)
    ├── NotDelivered              exit 1   HTTP 502   done and on record, but a notice could not be sent yet
    └── IndexUnavailable          exit 5   HTTP 503   the search index cannot be opened

Library code raises these; only `dms.cli` and `dms.web` translate them, through
`exit_code()` and `http_status()` below, so the mapping lives in exactly one place.
"""

from __future__ import annotations


class DmsError(Exception):
    """Base class: every error dms raises on purpose."""


class ConfigError(DmsError):
    """A setting (DMS_* variable, option or rules file) has a bad value."""


class UsageError(DmsError):
    """The caller asked for something malformed."""


class QueryError(UsageError):
    """A search query could not be parsed; the message says where and why."""

    def __init__(self, message: str, query: str = "", position: int | None = None):
        super().__init__(message)
        self.query = query
        self.position = position

    def __str__(self) -> str:
        msg = self.args[0]
        if self.query and self.position is not None:
            return f"{msg}\n  {self.query}\n  {' ' * self.position}^"
        return msg


class PlanError(UsageError):
    """A plan workbook dms cannot take: every problem names its sheet, row and column; nothing is stored."""

    def __init__(self, problems: list[tuple[str, int | None, str | None, str]], source: str = "",
                 outcome: str = "nothing was stored"):
        self.problems = problems  # (sheet, row or None, column or None, what is wrong)
        self.source = source
        self.outcome = outcome  # what became of it (a plan already on file that no longer reads says so)
        super().__init__(self._text())

    def _text(self) -> str:
        lines = [f"{self.source or 'the plan workbook'}: {len(self.problems)} problem(s), {self.outcome}"]
        for sheet, row, column, what in self.problems:
            at = ", ".join(x for x in (f"sheet {sheet}" if sheet else "", f"row {row}" if row else "",
                                       f"column {column}" if column else "") if x)
            lines.append(f"  {at}: {what}" if at else f"  {what}")
        return "\n".join(lines)


class OnHold(UsageError):
    """The document is under a legal hold: it cannot be retired, purged or changed until the hold is released."""


class RuleBroken(UsageError):
    """A change-request transition the workflow does not allow; the message names the rule."""


class StaleWrite(UsageError):
    """What the caller read changed before its write (another user was quicker): read again and retry."""


class NotFound(DmsError):
    """No document, version or identifier matches the reference given."""


class PermissionDenied(DmsError):
    """The acting user does not exist, is disabled, or holds too small a role."""


class NotSignedIn(PermissionDenied):
    """The web request carries no valid session cookie or API token."""


class PasswordChangeRequired(NotSignedIn):
    """The session's user signed in with a temporary password: nothing but changing it until it is changed."""


class TooLarge(DmsError):
    """An upload is larger than the configured limit."""


class TooManyAttempts(DmsError):
    """Sign-in is refused for a while after too many failures."""


class IntegrityError(DmsError):
    """Stored originals, catalog and index disagree."""


class CatalogError(DmsError):
    """The catalog refused or failed a statement. The catalog raises it (and its subclasses) in place of the
    database driver's errors, which never pass its door; the driver's error is the `__cause__`."""


class CatalogDamaged(IntegrityError, CatalogError):
    """The catalog file is not a SQLite database, or SQLite found its pages damaged."""


class CatalogBusy(CatalogError):
    """Another process held the catalog's write lock longer than the catalog waits for it."""


class DuplicateKey(CatalogError):
    """A UNIQUE or PRIMARY KEY constraint refused a write: the name or key is taken (maybe by a concurrent
    writer a moment ago)."""


class Busy(DmsError):
    """Another writer holds the archive's ingest lock, longer than DMS_LOCK_WAIT."""


class NotDelivered(DmsError):
    """The action is done and recorded, but its notice waits in the outbox (the mail server failed)."""


class IndexUnavailable(DmsError):
    """The search index is missing or cannot be opened."""


# `dms plan check`: the plan's readiness as its exit code, for scripts (errors keep theirs, below)
READINESS_EXIT = {"ready": 0, "at risk": 8, "blocked": 9}  # 1-7 are errors
_EXIT = [(ConfigError, 2), (UsageError, 2), (TooLarge, 2), (NotFound, 3), (IntegrityError, 4), (IndexUnavailable, 5),
         (PermissionDenied, 6), (TooManyAttempts, 6), (Busy, 7), (CatalogBusy, 7), (DuplicateKey, 2)]
_HTTP = [(ConfigError, 500), (StaleWrite, 409), (UsageError, 400), (NotFound, 404), (CatalogDamaged, 500),
         (IntegrityError, 409), (IndexUnavailable, 503), (NotSignedIn, 401), (PermissionDenied, 403), (TooLarge, 413),
         (TooManyAttempts, 429), (Busy, 503), (NotDelivered, 502), (CatalogBusy, 503), (DuplicateKey, 409)]


def exit_code(exc: BaseException) -> int:
    for cls, code in _EXIT:
        if isinstance(exc, cls):
            return code
    return 1


def http_status(exc: BaseException) -> int:
    for cls, code in _HTTP:
        if isinstance(exc, cls):
            return code
    return 500
