"""The rules' [supply] and [followup] sections: the header names of stock reports, purchase orders, rosters and
leave records, and the patterns of action items and of requests awaiting a reply.

[supply] works as [metrics] does: each entry lists the header names (case-insensitive) of one column role, and a
header row holding the roles of a table kind starts a table of that kind:

    stock    part + on_hand              (date, description, unit, supplier optional)
    orders   order + part + quantity + due  (supplier, status, unit optional)
    roster   person + role               (capacity, email optional)
    leave    person + absent_from + absent_to  (absence optional)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dms.errors import ConfigError

SUPPLY_ROLES = ("part", "description", "on_hand", "unit", "date", "order", "quantity", "due", "supplier", "status",
                "person", "role", "capacity", "email", "absent_from", "absent_to", "absence")
TABLE_KINDS = {  # kind -> roles its header row must hold
    "stock": ("part", "on_hand"),
    "orders": ("order", "part", "quantity", "due"),
    "roster": ("person", "role"),
    "leave": ("person", "absent_from", "absent_to"),
}
ACTION_GROUPS = ("what", "owner", "due")  # named groups an action pattern may capture (what is required)


@dataclass(frozen=True, slots=True)
class PlanRules:
    supply: tuple[tuple[str, tuple[str, ...]], ...] = ()  # column role -> header names, lower case
    closed_statuses: tuple[str, ...] = ()  # order line statuses that no longer count as on order (lower case)
    hours_per_day: float = 8.0  # a plan's staff days, in hours
    capacity_unit: str = "hours per week"  # how roster capacity is written: "hours per week", "percent", "fte"
    action_patterns: tuple[str, ...] = ()  # regular expressions with (?P<what>) and optionally owner, due
    done_patterns: tuple[str, ...] = ()  # a later line matching one of these, and holding an action's words, closes it
    request_phrases: tuple[str, ...] = ()  # a message holding one of these (or a question mark) asks for a reply
    reply_days: int = 10  # days a message asking something may wait for a reply before it needs following up

    def columns(self) -> dict[str, tuple[str, ...]]:
        return dict(self.supply)


def _names(value, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where} must be a list of non-empty strings")
    return tuple(" ".join(v.strip().lower().split()) for v in value)


def _pattern(value: str, where: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ConfigError(f"{where}: bad regular expression {value!r}: {exc}") from None
    return value


def read_plan_rules(data: dict, source: str) -> PlanRules:
    supply = data.get("supply", {})
    followup = data.get("followup", {})
    if not isinstance(supply, dict) or not isinstance(followup, dict):
        raise ConfigError(f"{source}: [supply] and [followup] must be tables")
    roles = []
    settings = {"closed_statuses", "hours_per_day", "capacity_unit"}
    for role, names in supply.items():
        if role in settings:
            continue
        if role not in SUPPLY_ROLES:
            raise ConfigError(f"{source}: [supply] {role!r} is not a column role; the roles are "
                              f"{', '.join(SUPPLY_ROLES)}")
        roles.append((role, _names(names, f"{source}: [supply] {role}")))
    for kind, needed in TABLE_KINDS.items():
        for role in needed:
            if roles and role not in dict(roles):
                raise ConfigError(f"{source}: [supply] needs a {role} list of column names ({kind} tables)")
    hours = supply.get("hours_per_day", 8)
    if not isinstance(hours, (int, float)) or isinstance(hours, bool) or not 0 < hours <= 24:
        raise ConfigError(f"{source}: [supply] hours_per_day must be a number of hours from 1 to 24")
    unit = supply.get("capacity_unit", "hours per week")
    if unit not in ("hours per week", "percent", "fte"):
        raise ConfigError(f"{source}: [supply] capacity_unit must be 'hours per week', 'percent' or 'fte'")
    actions = tuple(_pattern(p, f"{source}: [followup] actions")
                    for p in _names_raw(followup.get("actions", []), f"{source}: [followup] actions"))
    for p in actions:
        if "(?P<what>" not in p:
            raise ConfigError(f"{source}: [followup] actions: {p!r} needs a (?P<what>…) group")
    done = tuple(_pattern(p, f"{source}: [followup] done")
                 for p in _names_raw(followup.get("done", []), f"{source}: [followup] done"))
    days = followup.get("reply_days", 10)
    if not isinstance(days, int) or isinstance(days, bool) or not 0 < days <= 3650:
        raise ConfigError(f"{source}: [followup] reply_days must be a whole number of days from 1 to 3650")
    return PlanRules(
        supply=tuple(roles),
        closed_statuses=_names(supply.get("closed_statuses", ["received"]), f"{source}: [supply] closed_statuses"),
        hours_per_day=float(hours), capacity_unit=unit, action_patterns=actions, done_patterns=done,
        request_phrases=_names(followup.get("requests", ["please"]), f"{source}: [followup] requests"),
        reply_days=days)


def _names_raw(value, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where} must be a list of non-empty strings")
    return tuple(value)
