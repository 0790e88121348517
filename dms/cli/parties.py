"""Party commands: list the parties documents name, rename and merge them, undo a change (dms.parties)."""

from __future__ import annotations

import click

from dms.cli.common import as_option, emit, home_option, json_option, open_archive


@click.group("party")
def party_group():
    """Parties (organisations, people): list, rename, merge, undo; applied to lists, search, facets, traces."""


@party_group.command("list")
@home_option
@json_option
def party_list(settings, as_json):
    """Every party live documents name, with the names they write it with."""
    from dms import parties

    with open_archive(settings) as dms:
        found = parties.listing(dms)
    rows = [{"name": p.name, "documents": p.documents, "names": [{"name": n, "documents": c} for n, c in p.names]}
            for p in found]

    def human(items):
        for p in items:
            click.echo(f"{p['documents']:5d}  {p['name']}")
            for n in p["names"]:
                click.echo(f"{'':7}as {n['name']} ({n['documents']})")

    emit(as_json, rows, human)


def _done(result: dict) -> None:
    names = ", ".join(result["names"])
    click.echo(f"party change {result['id']} ({result['kind']}): {names} -> {result['canonical']}; "
               f"{result['documents']} document(s) read again" + ("; undone" if result["undone_at"] else ""))


@party_group.command("rename")
@click.argument("name")
@click.argument("new_name")
@click.option("--reason", required=True, help="Why (kept in the audit log).")
@home_option
@as_option
@json_option
def party_rename(name, new_name, reason, settings, as_json):
    """Give the party NAME the name NEW_NAME (coordinator)."""
    from dms import parties

    with open_archive(settings) as dms:
        result = parties.rename(dms, name, new_name, settings.user, reason)
    emit(as_json, result, _done)


@party_group.command("merge")
@click.argument("names", nargs=-1, required=True)
@click.option("--into", required=True, help="The name the merged party goes by (one of NAMES, or a new one).")
@click.option("--reason", required=True, help="Why (kept in the audit log).")
@home_option
@as_option
@json_option
def party_merge(names, into, reason, settings, as_json):
    """Make the parties NAMES one party, going by --into (coordinator)."""
    from dms import parties

    with open_archive(settings) as dms:
        result = parties.merge(dms, list(names), into, settings.user, reason)
    emit(as_json, result, _done)


@party_group.command("undo")
@click.argument("change_id", type=int)
@click.option("--reason", required=True, help="Why (kept in the audit log).")
@home_option
@as_option
@json_option
def party_undo(change_id, reason, settings, as_json):
    """Take back rename or merge CHANGE_ID (see `dms party history`) (coordinator)."""
    from dms import parties

    with open_archive(settings) as dms:
        result = parties.undo(dms, change_id, settings.user, reason)
    emit(as_json, result, _done)


@party_group.command("history")
@home_option
@json_option
def party_history(settings, as_json):
    """Every rename and merge, newest first, with who, when, why, and whether it was undone."""
    from dms import parties

    with open_archive(settings) as dms:
        rows = parties.history(dms)

    def human(items):
        if not items:
            click.echo("no party was renamed or merged")
        for r in items:
            undone = f"  (undone {r['undone_at']} by {r['undone_by']})" if r["undone_at"] else ""
            click.echo(f"{r['id']:4d}  {r['created_at']}  {r['created_by']}  {r['kind']}: {', '.join(r['names'])} -> "
                       f"{r['canonical']}  reason: {r['reason']}{undone}")

    emit(as_json, rows, human)


COMMANDS = (party_group,)
