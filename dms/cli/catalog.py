"""`dms catalog copy` and `dms catalog verify`: move the catalog to another database (SQLite <-> PostgreSQL) and
prove that a copy holds the same rows. The work is dms.catalog.copy's; the audit chain is checked by dms.audit."""

from __future__ import annotations

import sys
import time

import click

from dms.cli.common import as_option, emit, home_option, json_option

WHERE = "a PostgreSQL URL (postgresql://user@host:port/database) or a SQLite file path"


@click.group("catalog")
def catalog_group():
    """The catalog itself: copy it to another database (SQLite to PostgreSQL, or back) and verify a copy."""


@catalog_group.command("copy")
@click.option("--to", "target", required=True, metavar="URL", help=f"Where to copy the catalog: {WHERE}. It must "
              "hold no rows; it is given the current schema first.")
@click.option("--from", "source", metavar="URL", help=f"The catalog to copy ({WHERE}). Default: this archive's "
              "($DMS_DATABASE_URL, else $DMS_HOME/catalog.sqlite).")
@home_option
@as_option
@json_option
def copy_command(target, source, settings, as_json):
    """Copy every table of the catalog into an empty database, ids kept, then compare the two table by table.

    \b
    The source is held still meanwhile: writers (dms serve, ingest) wait until the copy ends. The copy is one
    transaction: if anything fails, or the copy is not the same as its source, the target keeps no rows and the
    command exits non-zero. The audit log records the copy ("catalog copied"); the target's audit chain is checked
    at the end. Text with NUL characters (PostgreSQL cannot hold them) is copied without them, each value listed.
    Afterwards, point dms at the copy: DMS_DATABASE_URL=URL (the store, index and keys stay in $DMS_HOME)."""
    from dms import audit, auditactions
    from dms.catalog import copy, open_catalog

    source_where = copy.existing(source) if source else settings.catalog_location
    target_where = copy.location(target)
    progress = _Progress(as_json)
    catalog = open_catalog(source_where)
    try:
        audit.configure(catalog, settings.audit_key_file, settings.home)

        def record(source_catalog, summary):
            audit.record(source_catalog, settings.user, auditactions.CATALOG_COPIED, "catalog", summary)

        report = copy.copy(catalog, target_where, on_progress=progress, before=record)
    finally:
        catalog.close()
    result = {**report.to_dict(), "audit": _audit_of(target_where, settings)}

    def human(r):
        click.echo(f"copied {r['rows']} rows of {len(r['tables'])} tables from {r['from']} to {r['to']} "
                   f"in {r['seconds']:.1f} s; every table the same on both sides")
        _nul_lines(r)
        _audit_lines(r["audit"])

    emit(as_json, result, human)
    if not result["audit"]["ok"]:
        _fail()


@catalog_group.command("verify")
@click.option("--against", "other", required=True, metavar="URL", help=f"The copy to compare with: {WHERE}.")
@click.option("--from", "source", metavar="URL", help=f"The catalog to compare it with ({WHERE}). Default: this "
              "archive's ($DMS_DATABASE_URL, else $DMS_HOME/catalog.sqlite).")
@home_option
@json_option
def verify_command(other, source, settings, as_json):
    """Compare two catalogs table by table (row count and SHA-256 of the rows in key order) and check the audit
    chain of the copy; exit 4 naming each table that differs."""
    from dms.catalog import compare, copy, open_catalog

    source_where = copy.existing(source) if source else settings.catalog_location
    other_where = copy.existing(other)
    progress = _Progress(as_json)
    a = open_catalog(source_where)
    try:
        b = open_catalog(other_where)
        try:
            tables = compare.compare(a, b, on_progress=progress)
        finally:
            b.close()
    finally:
        a.close()
    problems = [t.problem() for t in tables if not t.same]
    result = {"from": copy.shown(source_where), "against": copy.shown(other_where), "ok": not problems,
              "tables": [t.to_dict() for t in tables], "problems": problems,
              "audit": _audit_of(other_where, settings)}
    result["ok"] = result["ok"] and result["audit"]["ok"]

    def human(r):
        for t in r["tables"]:
            mark = "same" if t["same"] else "DIFFERENT"
            rows = t["rows"][0] if t["same"] else f"{t['rows'][0]} / {t['rows'][1]}"
            click.echo(f"  {t['table']:20} {rows!s:>13} rows  {t['sha256'][0][:16]}  {mark}")
        for p in r["problems"]:
            click.echo(f"FAILED: {p}")
        if not r["problems"]:
            click.echo(f"OK: {len(r['tables'])} tables the same in {r['from']} and {r['against']}")
        _audit_lines(r["audit"])

    emit(as_json, result, human)
    if not result["ok"]:
        _fail()


def _audit_of(where, settings) -> dict:
    """The audit chain of the catalog at `where`, checked with this archive's key (dms audit verify)."""
    from dms import audit
    from dms.catalog import open_catalog

    catalog = open_catalog(where)
    try:
        audit.configure(catalog, settings.audit_key_file, settings.home)
        return audit.verify(catalog)
    finally:
        catalog.close()


def _audit_lines(result: dict) -> None:
    if result["ok"]:
        entries = result["entries"]
        click.echo(f"audit log of the copy: OK, {entries} {'entry' if entries == 1 else 'entries'}")
    for p in result["problems"]:
        click.echo(f"FAILED: audit log of the copy: {p}")


def _nul_lines(r: dict) -> None:
    if not r["nul_values"]:
        return
    click.echo(f"{r['nul_values']} values held NUL characters, which PostgreSQL cannot store: copied without them")
    for n in r["nul"]:
        key = ", ".join(f"{k}={v}" for k, v in n["key"].items())
        click.echo(f"  {n['table']}.{n['column']} ({key}): {n['characters']} NUL character(s) dropped")
    if r["nul_values"] > len(r["nul"]):
        click.echo(f"  … and {r['nul_values'] - len(r['nul'])} more")


def _fail() -> None:
    from dms.errors import IntegrityError, exit_code

    raise SystemExit(exit_code(IntegrityError()))


class _Progress:
    """Progress on stderr: a line per table copied that holds rows, and every few seconds within a large table
    (copied or compared); nothing with --json."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.last = time.monotonic()

    def __call__(self, phase: str, table: str, done: int, total: int) -> None:
        now = time.monotonic()
        if self.quiet or not done or (phase == "compare" or done < total) and now - self.last < 3:
            return
        self.last = now
        verb = "copied" if phase == "copy" else "compared"
        click.echo(f"{verb} {table}: {done}/{total} rows", err=True)
        sys.stderr.flush()


COMMANDS = [catalog_group]
