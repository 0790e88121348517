"""Change requests: from request to proven amendment. Their rules (who may do what, in which state) are in
`rules`, enforced by `workflow`; the catalog's statements in dms.catalog.changes.

The names below are loaded when first used, so that a command which only needs the rules (the CLI's help) does
not import the workflow and the archive behind it."""

from __future__ import annotations

import importlib

_HOME = {"STATES": "rules", "allowed_actions": "rules", "mine": "waiting", "waiting_for": "waiting",
         **{name: "workflow" for name in ("ChangeRequest", "check", "create", "edit", "get", "history", "listing",
                                          "transition")}}

__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name in _HOME:
        value = getattr(importlib.import_module(f"dms.changes.{_HOME[name]}"), name)
        globals()[name] = value
        return value
    try:  # a submodule used as an attribute (changes.views, changes.report, …)
        return importlib.import_module(f"dms.changes.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"dms.changes.{name}":  # the submodule exists but lacks something: say so
            raise
        raise AttributeError(f"module 'dms.changes' has no attribute {name!r}") from None
