"""Plans as archive documents: load the version current (or in force on a day, as dms.asof counts it), list
them, import a workbook (validated whole before anything is stored, then ingested like any document and
audited), and save an edited plan as its next revision.

A plan is an ordinary document whose number is of the rules' `plan` identifier family. Its workbook is kept
under `$DMS_HOME/plans/<number>/` (never over an existing file) and ingested from there, so search, trace,
as-of and bundles see it as they see everything else; a later revision supersedes the earlier one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path

from dms import audit
from dms.app import Dms
from dms.auditactions import PLAN_IMPORTED as IMPORTED
from dms.auditactions import PLAN_SAVED as SAVED
from dms.catalog import plans as sql
from dms.errors import CatalogBusy, NotFound, PlanError, UsageError
from dms.plans.codec import plan_from_dict, plan_to_dict
from dms.plans.model import Plan
from dms.plans.workbook import read_workbook, write_workbook
from dms.revisions import revision_key

READER = 1  # the workbook reader's version: a change to what it makes of a workbook bumps it (the cache is re-read)
KINDS = {".xlsx": "xlsx", ".csv": "csv"}
_memo: dict[tuple, tuple[object, Plan]] = {}  # (sha256, kind, max_rows) -> (rules read with, plan)


def _family(dms: Dms) -> str:
    families = [f for f, _ in dms.rules.identifiers]
    return "plan" if "plan" in families else ""


def _reference(dms: Dms, number: str) -> tuple[str, str | None]:
    found = dms.matcher.fullmatch(number or "")
    if not found or (_family(dms) and found.family != _family(dms)):
        raise NotFound(f"{number!r} is not a plan number (plan numbers look like "
                       f"{dict(dms.rules.identifiers).get('plan', 'PLAN-…')})")
    return found.number, found.revision


def _effective(doc) -> date:
    from dms.asof import effective_date

    return date.fromisoformat(effective_date(doc))


def _latest(docs: list) -> object | None:
    return max(docs, key=lambda d: (revision_key(d.version.revision), _effective(d), d.id), default=None)


def _document(dms: Dms, number: str, as_of: date | None):
    number, revision = _reference(dms, number)
    docs = sql.revisions_of(dms.catalog, number)
    if revision:
        docs = [d for d in docs if d.version.revision == revision]
    if as_of:
        docs = [d for d in docs if _effective(d) <= as_of]
    doc = _latest(docs)
    if doc is None:
        raise NotFound(f"no plan {number}{f' Rev {revision}' if revision else ''} on file"
                       + (f" by {as_of}" if as_of else ""))
    return doc


def _kind(name: str, kind: str | None) -> str | None:
    if kind in ("xlsx", "csv"):
        return kind
    return KINDS.get(Path(name).suffix.lower())


def read_document(dms: Dms, doc) -> Plan:
    """The plan a stored document's workbook holds (PlanError if it is no plan workbook or does not read)."""
    kind = _kind(doc.name, doc.version.kind)
    if kind is None:
        raise PlanError([("", None, None, f"{doc.name} is a {doc.version.kind or 'unknown'} file, not a plan workbook "
                                          "(.xlsx or .csv)")], f"{doc.name} (document {doc.id})",
                        "it is on file, but is no plan workbook")
    max_rows = dms.settings.plan_max_rows
    key = (doc.version.sha256, kind, max_rows)
    cached = _memo.get(key)
    if cached and cached[0] is dms.rules:
        plan = cached[1]
    else:
        try:
            plan = _from_catalog(dms, doc, kind, max_rows)
        except PlanError as exc:
            raise PlanError(exc.problems, f"{doc.name} (document {doc.id})",
                            "it is on file, but does not read as a plan") from None
        if len(_memo) > 256:
            _memo.clear()
        _memo[key] = (dms.rules, plan)
    return replace(plan, doc_id=doc.id, version_id=doc.version.id)


def _digest(dms: Dms, kind: str, max_rows: int) -> str:
    """What a parsed plan depends on besides its bytes: the rules it was read with, the bound, this reader."""
    r = dms.rules
    used = (READER, kind, max_rows, r.identifiers, r.revision_schemes, r.revision_labels, r.product_pattern,
            r.product_aliases, r.plans.hours_per_day)
    return hashlib.sha256(repr(used).encode()).hexdigest()[:32]


def _from_catalog(dms: Dms, doc, kind: str, max_rows: int) -> Plan:
    """The plan kept in the catalog's cache for this version, else read from the stored original (and kept)."""
    digest = _digest(dms, kind, max_rows)
    data = sql.cached(dms.catalog, doc.version.id, digest)
    if data is not None:
        return plan_from_dict(json.loads(data))
    plan = read_workbook(dms.store.path_for(doc.version.sha256), kind, dms.rules, max_rows=max_rows,
                         source=doc.name)
    _keep(dms, doc.version.id, kind, plan)
    return plan


def _keep(dms: Dms, version_id: int, kind: str, plan: Plan) -> None:
    data = json.dumps(plan_to_dict(replace(plan, doc_id=None, version_id=None)))
    try:
        sql.keep(dms.catalog, version_id, _digest(dms, kind, dms.settings.plan_max_rows), data)
    except CatalogBusy:  # another process writes the catalog: keep it another time
        pass


def load_plan(dms: Dms, number: str, as_of: date | None = None) -> Plan:
    """The current version of a plan (its latest revision on file), or the one in force on `as_of` (dated, else
    ingested, by then: dms.asof). `number` may name a revision ("PLAN-KX200-2025 Rev A")."""
    return read_document(dms, _document(dms, number, as_of))


def _literal_start(pattern: str) -> str:
    """The letters every match of an identifier pattern starts with ("PLAN-" of PLAN-[A-Z]{2}…), upper case."""
    if "|" in pattern:  # alternatives may start otherwise
        return ""
    end = next((i for i, ch in enumerate(pattern) if not (ch.isalnum() or ch == "-")), len(pattern))
    if end < len(pattern) and pattern[end] in "?*{":  # the letter before is optional
        end -= 1
    return pattern[:max(end, 0)].upper()


def list_plans(dms: Dms, product: str | None = None) -> list[Plan]:
    """The current version of every plan on file (those whose workbook reads), by number."""
    family = _family(dms)
    by_number: dict[str, list] = {}
    for doc in sql.numbered(dms.catalog, _literal_start(dict(dms.rules.identifiers).get(family, ""))):
        found = dms.matcher.fullmatch(doc.version.number)
        if found and (not family or found.family == family):
            by_number.setdefault(doc.version.number, []).append(doc)
    out = []
    for number in sorted(by_number):
        try:
            plan = read_document(dms, _latest(by_number[number]))
        except PlanError:
            continue  # a plan document that is no workbook, or one that no longer reads: `dms plan show` says why
        if product is None or plan.product.casefold() == product.strip().casefold():
            out.append(plan)
    return out


# -- import ---------------------------------------------------------------------------------------------------
def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _parts_known(dms: Dms) -> set[str] | None:
    """Parts any stock or order row names (dms.supply), or None while dms has no supply evidence reader."""
    try:
        from dms.supply.evidence import parts_known
    except ModuleNotFoundError as exc:
        if exc.name not in ("dms.supply", "dms.supply.evidence"):
            raise
        return None
    return {p.strip().upper() for p in parts_known(dms)}


def read_plan(dms: Dms, path: Path, *, source: str = "") -> tuple[Plan, str]:
    """The plan a workbook holds and its kind, read within the bounds (DMS_PLAN_MAX_ROWS, DMS_MAX_TEXT_MB) but
    not yet checked against what is on file: the web reads an upload with this before taking the write lock."""
    path = Path(path)
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        raise UsageError(f"{path.name}: a plan workbook is an .xlsx or .csv file (`dms plan template -o plan.xlsx`)")
    if not path.is_file():
        raise NotFound(f"{path}: no such file")
    plan = read_workbook(path, kind, dms.rules, max_rows=dms.settings.plan_max_rows, source=source or path.name,
                         max_bytes=int(dms.settings.max_text_mb * 1_000_000))
    return plan, kind


def issue_problem(plan: Plan, latest) -> tuple | None:
    """The one rule of a new revision's date, for import and web saving alike: it is issued on or after the day
    the revision it supersedes is in force from (dms.asof), so that as-of never gives another plan for a past
    day. A revision without a date is in force from the day it is filed (today)."""
    since = _effective(latest)
    issued = plan.issued or date.today()
    if issued >= since:
        return None
    now = f"Rev {latest.version.revision}" if latest.version.revision else "without a revision"
    return ("Plan", None, "Date", f"dated {issued}, before {plan.number} {now} on file (document {latest.id}, in "
                                  f"force from {since}): a new revision would change what the plan was on past days; "
                                  f"date it {since} or later")


def validate(dms: Dms, path: Path, *, new_parts: bool = False, source: str = "",
             accepted_parts: frozenset[str] = frozenset(), read: tuple[Plan, str] | None = None) -> tuple[Plan, str]:
    """The plan a workbook holds and its kind, after every check import makes (PlanError listing them all).
    `read`: what read_plan gave for this file already."""
    path = Path(path)
    source = source or path.name
    plan, kind = read or read_plan(dms, path, source=source)
    problems = []
    on_file = sql.revisions_of(dms.catalog, plan.number)
    latest = _latest(on_file)
    if latest is not None and latest.version.sha256 != _sha256(path):
        if revision_key(plan.revision) <= revision_key(latest.version.revision):
            now = f"Rev {latest.version.revision}" if latest.version.revision else "without a revision"
            problems.append(("Plan", None, "Revision", f"{plan.number} is on file {now} (document {latest.id}): "
                                                       "give this workbook a later revision"))
        elif problem := issue_problem(plan, latest):
            problems.append(problem)
    known = None if new_parts else _parts_known(dms)
    if known is not None:
        for need in plan.materials:
            if need.part not in known and need.part not in accepted_parts:
                problems.append(("Materials", need.row, "Part", f"no stock report or purchase order on file names "
                                                                f"part {need.part}: check the number, or import with "
                                                                "--new-parts to plan a part not stocked yet (the check "
                                                                "then says 'no stock data')"))
    if problems:
        raise PlanError(problems, source)
    return plan, kind


def import_plan(dms: Dms, path: Path, *, by: str, new_parts: bool = False,
                read: tuple[Plan, str] | None = None, lasting: bool = False) -> Plan:
    """Validate the workbook whole (PlanError: nothing is stored), then keep and ingest it as the plan's document
    (a later revision supersedes the one on file); audited. Importing a workbook already on file changes nothing.
    `read`: what read_plan gave for this file (the web reads an upload before taking the write lock); `lasting`:
    this process goes on after it (dms serve: see dms.ingest.pipeline.pool_preload)."""
    plan, kind = validate(dms, path, new_parts=new_parts, read=read)
    return _file(dms, Path(path), plan, kind, by=by, action=IMPORTED, new_parts=new_parts, inline=False,
                 lasting=lasting)


def _target(dms: Dms, plan: Plan, kind: str) -> Path:
    folder = dms.settings.home / "plans" / plan.number
    folder.mkdir(parents=True, exist_ok=True)
    stem = plan.number + (f"_Rev{plan.revision}" if plan.revision else "")
    target, n = folder / f"{stem}.{kind}", 2
    while target.exists():
        target, n = folder / f"{stem} ({n}).{kind}", n + 1
    return target


def _file(dms: Dms, path: Path, plan: Plan, kind: str, *, by: str, action: str, new_parts: bool,
          inline: bool, lasting: bool = False) -> Plan:
    from dms.ingest.pipeline import ingest

    same = [d for d in sql.revisions_of(dms.catalog, plan.number) if d.version.sha256 == _sha256(path)]
    if same:
        return read_document(dms, same[0])  # already on file: nothing new to keep
    target = _target(dms, plan, kind)
    shutil.copyfile(path, target)
    try:
        report = ingest(dms, [target], by=by, inline=inline, lasting=lasting)
        doc = sql.at_path(dms.catalog, str(target))
        if doc is None:
            reasons = "; ".join(p.get("reason", "") for p in report.problems) or "it was not recorded"
            raise UsageError(f"{path.name} could not be kept as a document: {reasons}")
    except BaseException:
        if sql.at_path(dms.catalog, str(target)) is None:
            target.unlink(missing_ok=True)  # nothing recorded: leave nothing behind
        raise
    _keep(dms, doc.version.id, kind, plan)  # read once already: the first check need not read it again
    if (doc.version.number, doc.version.revision) != (plan.number, plan.revision):
        details_note = {"catalog": [doc.version.number, doc.version.revision]}
    else:
        details_note = {}
    audit.record(dms.catalog, by, action, f"doc:{doc.id}", {
        "number": plan.number, "revision": plan.revision, "source": path.name, "stored as": str(target),
        "milestones": len(plan.milestones), "materials": len(plan.materials), "staff": len(plan.staff),
        "new parts": new_parts, **details_note}, also=(f"plan:{plan.number}",))
    return replace(plan, doc_id=doc.id, version_id=doc.version.id)


# -- web editing ----------------------------------------------------------------------------------------------
def next_revision(revision: str | None, scheme: str = "any") -> str:
    """The revision after this one: A -> B, Z -> AA, 3 -> 4, 1.2 -> 1.3; none -> A (1 for numeric schemes)."""
    if not revision:
        return "1" if scheme == "numeric" else "A"
    if revision.isdigit():
        return str(int(revision) + 1)
    if all(p.isdigit() for p in revision.split(".")):
        *head, last = revision.split(".")
        return ".".join([*head, str(int(last) + 1)])
    letters = [ord(c) - 64 for c in revision.upper()]
    value = 0
    for x in letters:
        value = value * 26 + x
    value += 1
    out = ""
    while value:
        value, rest = divmod(value - 1, 26)
        out = chr(65 + rest) + out
    if len(out) > 2:
        raise UsageError(f"revision {revision} is the last one dms counts (ZZ): give the plan a new number")
    return out


def save_plan(dms: Dms, plan: Plan, *, by: str, new_parts: bool = False) -> Plan:
    """Keep an edited plan (web editing) as the next revision of its number, or as a new plan: the workbook is
    written, checked like an import (parts the previous revision already planned stay accepted) and ingested."""
    try:
        current = load_plan(dms, plan.number)
    except NotFound:
        current = None
    scheme = dms.rules.revision_scheme("plan")
    revision = next_revision(current.revision, scheme) if current else (plan.revision or next_revision(None, scheme))
    issued = plan.issued  # a date before the current revision's is refused by validate (issue_problem)
    if issued is None or (current and issued == current.issued):  # left as the form showed it: filed today
        issued = max(date.today(), current.issued or date.today()) if current else date.today()
    new = replace(plan, revision=revision, issued=issued, doc_id=None, version_id=None)
    folder = dms.settings.home / "plans"
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".edit-", suffix=".xlsx")
    os.close(fd)
    try:
        write_workbook(new, Path(tmp))
        accepted = frozenset(n.part for n in current.materials) if current else frozenset()
        checked, kind = validate(dms, Path(tmp), new_parts=new_parts, source=f"{plan.number} Rev {revision}",
                                 accepted_parts=accepted)
        return _file(dms, Path(tmp), checked, kind, by=by, action=SAVED, new_parts=new_parts, inline=True)
    finally:
        Path(tmp).unlink(missing_ok=True)
