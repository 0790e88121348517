"""Who is who for follow-up: the users table and the roster give names and e-mail addresses.

An address is internal when a dms user or a roster person has it. A user is known by their user name, their
e-mail address, and the names the roster gives that address (or that name), or the archive's e-mails write beside
it: "anna", "anna@nordlicht.example" and "Anna Lindqvist" are one person when the roster or a message's
"Anna Lindqvist <anna@nordlicht.example>" says so. Names compare case- and space-insensitively.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from email.utils import parseaddr

from dms.app import Dms
from dms.catalog import followup as sql

_SEVERAL = re.compile(r"\s*(?:/|&|;|\band\b|\bund\b)\s*", re.I)
DMS_SENDER = "dms@localhost"  # notices and digests dms sends: never a message waiting for a reply


def norm(name: str | None) -> str:
    return " ".join((name or "").casefold().split())


def split_address(identity: str) -> tuple[str, str]:
    """("Anna Lindqvist", "anna@x.example") of "Anna Lindqvist <anna@x.example>"; either may be ""."""
    display, address = parseaddr(identity or "")
    if not address and not display:
        return (identity or "").strip(), ""
    if address and "@" not in address and not display:
        return address, ""
    return display.strip(), address.strip().lower()


def shown(identity: str) -> str:
    """The name to show for an identity: its display name, else its address."""
    display, address = split_address(identity)
    return display or address


@dataclass(frozen=True, slots=True)
class People:
    users: tuple[tuple[str, str], ...]  # (user name, e-mail lower case or "") of enabled users
    roster: tuple[tuple[str, str], ...]  # (person, e-mail lower case or "")
    written: tuple[tuple[str, str], ...] = ()  # (display name, e-mail) as messages write users' addresses

    @property
    def internal(self) -> frozenset[str]:
        return frozenset(e for _, e in (*self.users, *self.roster) if e)

    def is_internal(self, identity: str) -> bool:
        return split_address(identity)[1] in self.internal

    def identities(self, user: str) -> frozenset[str]:
        """Every normalised name and address the user goes by."""
        email = next((e for n, e in self.users if n == user), "")
        names = {norm(user)} | ({email} if email else set())
        for person, address in self.roster:
            if (email and address == email) or norm(person) == norm(user):
                names.add(norm(person))
                if address:
                    names.add(address)
        names.update(norm(person) for person, address in self.written if email and address == email)
        return frozenset(n for n in names if n)

    def owns(self, owner: str, owner_email: str, user: str) -> bool:
        """Whether the user is the owner, or one of several ("Anna / Ben", "Anna & Ben", "Anna and Ben")."""
        mine = self.identities(user)
        owners = {norm(o) for o in _SEVERAL.split(owner or "")}
        return bool(owners & mine) or (bool(owner_email) and owner_email.lower() in mine)

    def address_of(self, user: str) -> str:
        return next((e for n, e in self.users if n == user and e), f"{user}@localhost")


def people(dms: Dms, as_of: date) -> People:
    """The users table's enabled users and the roster in force on as_of (none while dms.supply is missing)."""
    users = tuple((name, (email or "").lower()) for name, email, disabled in sql.people(dms.catalog) if not disabled)
    return People(users, _roster(dms, as_of), _written(dms, {e for _, e in users if e}))


def _written(dms: Dms, addresses: set[str]) -> tuple[tuple[str, str], ...]:
    """The display names messages give the users' addresses."""
    seen: dict[tuple[str, str], None] = {}
    for identity in sql.mail_identities(dms.catalog):
        display, address = split_address(identity)
        if display and address in addresses:
            seen[(display, address)] = None
    return tuple(seen)


def _roster(dms: Dms, as_of: date) -> tuple[tuple[str, str], ...]:
    try:
        from dms.supply.evidence import supply_on
    except ImportError:  # part supply of issue 16 not built yet: users only
        return ()
    return tuple((row.person, (row.email or "").strip().lower()) for row in supply_on(dms, as_of).roster)
