"""Saved searches ("views"): a name for a search page with its query, filters, sort and page size, kept per
user; a pinned view is listed on its owner's start page.

A view stores the search page's query string (`q=lid&f=type:minutes&sort=newest&limit=50`), cleaned of
anything the page does not read and of the page number, so opening it always starts on page 1. Every change
is recorded in the audit log under the owner (`user:NAME`). Only the owner sees, renames, pins or deletes a
view.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from dms import audit
from dms.auditactions import VIEW_CHANGED as CHANGED  # audit actions of this module
from dms.auditactions import VIEW_DELETED as DELETED
from dms.auditactions import VIEW_PINNED as PINNED
from dms.auditactions import VIEW_RENAMED as RENAMED
from dms.auditactions import VIEW_SAVED as SAVED
from dms.auditactions import VIEW_UNPINNED as UNPINNED
from dms.catalog import Catalog
from dms.catalog import views as sql
from dms.errors import DuplicateKey, NotFound, UsageError
from dms.filters import SEARCH_PARAMS
from dms.users import acting

MAX_NAME = 80
MAX_QUERY_STRING = 4000


@dataclass(frozen=True, slots=True)
class View:
    id: int
    owner: str
    name: str
    query_string: str  # the search page's query string, without "?"
    pinned: bool
    created_at: str
    updated_at: str

    @property
    def url(self) -> str:
        return "/search?" + self.query_string

    @property
    def description(self) -> str:
        """The search in words: `lid · type: minutes · from 2023-01 · newest first · 50 a page`."""
        parts = []
        for key, value in parse_qsl(self.query_string):
            parts.append({"q": value, "f": value.replace(":", ": ", 1), "from": f"from {value}", "to": f"to {value}",
                          "sort": f"{value} first" if value != "relevance" else "", "limit": f"{value} a page",
                          "as_of": f"as of {value}"}.get(key, ""))
        return " · ".join(p for p in parts if p)

    def to_dict(self) -> dict:
        return {"id": self.id, "owner": self.owner, "name": self.name, "query_string": self.query_string,
                "url": self.url, "description": self.description, "pinned": self.pinned,
                "created_at": self.created_at, "updated_at": self.updated_at}


def _view(row: tuple) -> View:
    return View(row[0], row[1], row[2], row[3], bool(row[4]), row[5], row[6])


def clean_query_string(query_string: str) -> str:
    """Only the parameters the search page reads, in a fixed order, empty ones and the page number dropped."""
    pairs = [(k, v.strip()) for k, v in parse_qsl(query_string.lstrip("?"), keep_blank_values=False)
             if k in SEARCH_PARAMS and v.strip()]
    pairs.sort(key=lambda kv: SEARCH_PARAMS.index(kv[0]))  # stable: the order of repeated f= is kept
    cleaned = urlencode(pairs)
    if not cleaned:
        raise UsageError("a view needs a search: a query or at least one filter")
    if len(cleaned) > MAX_QUERY_STRING:
        raise UsageError(f"a view's search is at most {MAX_QUERY_STRING} characters long")
    return cleaned


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise UsageError("a view needs a name")
    if len(name) > MAX_NAME:
        raise UsageError(f"a view's name is at most {MAX_NAME} characters long")
    return name


def listing(catalog: Catalog, user: str) -> list[View]:
    """The user's views, by name."""
    return [_view(r) for r in sql.rows(catalog, user)]


def pinned(catalog: Catalog, user: str) -> list[View]:
    """The user's pinned views, by name: what the start page lists."""
    return [_view(r) for r in sql.rows(catalog, user, pinned_only=True)]


def get(catalog: Catalog, user: str, view_id: int) -> View:
    """One of the user's views; another user's view is not found (its existence is not told)."""
    row = sql.row(catalog, view_id)
    if row is None or row[1] != user:
        raise NotFound(f"you have no view {view_id}")
    return _view(row)


def save(catalog: Catalog, user: str, name: str, query_string: str, pin: bool = False,
         max_views: int = 200) -> View:
    acting(catalog, user)  # a known, enabled user (any role)
    name, query_string = _clean_name(name), clean_query_string(query_string)
    with catalog.transaction():
        if sql.count(catalog, user) >= max_views:
            raise UsageError(f"you have {max_views} views already (DMS_VIEWS_MAX): delete one first")
        if sql.name_taken(catalog, user, name):
            raise UsageError(f"you have a view named {name!r} already: choose another name or rename that one")
        try:
            with catalog.savepoint():  # a refused INSERT undoes only itself (PostgreSQL aborts the transaction else)
                view_id = sql.insert(catalog, user, name, query_string, pin)
        except DuplicateKey:  # a second save of the same name raced this one
            raise UsageError(f"you have a view named {name!r} already") from None
        audit.record(catalog, user, SAVED, f"user:{user}",
                     {"view": view_id, "name": name, "search": query_string, "pinned": pin})
    return get(catalog, user, view_id)


def rename(catalog: Catalog, user: str, view_id: int, name: str) -> View:
    name = _clean_name(name)
    acting(catalog, user)
    with catalog.transaction():
        view = get(catalog, user, view_id)
        if name == view.name:
            return view
        if sql.name_taken(catalog, user, name, other_than=view_id):
            raise UsageError(f"you have a view named {name!r} already")
        sql.update(catalog, view_id, name=name)
        audit.record(catalog, user, RENAMED, f"user:{user}", {"view": view_id, "from": view.name, "to": name})
    return get(catalog, user, view_id)


def change_search(catalog: Catalog, user: str, view_id: int, query_string: str) -> View:
    """Keep the view's name, replace its search (the page's current one)."""
    query_string = clean_query_string(query_string)
    acting(catalog, user)
    with catalog.transaction():
        view = get(catalog, user, view_id)
        sql.update(catalog, view_id, query_string=query_string)
        audit.record(catalog, user, CHANGED, f"user:{user}",
                     {"view": view_id, "name": view.name, "from": view.query_string, "to": query_string})
    return get(catalog, user, view_id)


def set_pinned(catalog: Catalog, user: str, view_id: int, pin: bool) -> View:
    acting(catalog, user)
    with catalog.transaction():
        view = get(catalog, user, view_id)
        if view.pinned != pin:
            sql.update(catalog, view_id, pinned=pin)
            audit.record(catalog, user, PINNED if pin else UNPINNED, f"user:{user}",
                         {"view": view_id, "name": view.name})
    return get(catalog, user, view_id)


def delete(catalog: Catalog, user: str, view_id: int) -> None:
    acting(catalog, user)
    with catalog.transaction():
        view = get(catalog, user, view_id)
        sql.delete(catalog, view_id)
        audit.record(catalog, user, DELETED, f"user:{user}",
                     {"view": view_id, "name": view.name, "search": view.query_string})
