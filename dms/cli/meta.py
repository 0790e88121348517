"""Metadata commands: explain a document's fields, check the rules on a folder, derive again, review."""

from __future__ import annotations

import click

from dms.cli.common import emit, home_option, json_option, open_archive, progress_bar
from dms.display import shown

LISTED = 20  # files listed per field in the human output of `rules check` (--json lists all)


def _value(value) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) or "–"
    return "–" if value in (None, "") else str(value)


@click.command("explain")
@click.argument("ref")
@click.option("--rules", "rules_file", type=click.Path(dir_okay=False),
              help="Derive the FILE with this rules file instead of the archive's rules.")
@home_option
@json_option
def explain_command(ref, rules_file, settings, as_json):
    """Every metadata field of a document with its value and where it came from (rule, page, line, words,
    doubt; hand corrections with who, when and why). REF is a document (id, path, identifier, SHA-256) or a
    file outside the archive, read and derived with the current rules without ingesting it."""
    from dms.explain import explain

    data = explain(settings, ref, rules_file)

    def human(d):
        where = f"[{d['id']}] " if d["in_catalog"] else "not in the archive: "
        click.echo(f"{where}{shown(d['title'] or '')}  {shown(d['path'])}")
        for p in d.get("problems", []):
            click.echo(f"  {p['severity']}: {shown(p['reason'])}")
        for f in d["fields"]:
            click.echo(f"  {f['field']:9} {shown(_value(f['value']))}")
            click.echo(f"  {'':9} {shown(f['how'])}")
        for link in d.get("links", []):
            outcome = f" ({link['outcome']})" if link.get("outcome") else ""
            click.echo(f"  {link['type']:9} {shown(link['from'])} -> {shown(link['to'])}{outcome}: "
                       f"{shown(link['evidence'] or '')}")
        for c in d.get("cites", []):
            click.echo(f"  cites     {shown(c['identifier'])} (page {c['page']})")
        if d.get("stale"):
            click.echo("  the current rules give:")
            for s in d["stale"]:
                click.echo(f"    {s['field']:9} {shown(_value(s['rules_give']))}  ({shown(s['rules_source'])})")
            click.echo(f"  {d['hint']}")

    emit(as_json, data, human)


@click.group("rules")
def rules_group():
    """The metadata rules (rules.toml): try them on files before ingesting."""


@rules_group.command("check")
@click.argument("path", type=click.Path(exists=True))
@click.option("--rules", "rules_file", type=click.Path(dir_okay=False),
              help="The rules file to try (default: the archive's rules.toml, else the built-in rules).")
@home_option
@json_option
def rules_check_command(path, rules_file, settings, as_json):
    """Derive metadata for every file under PATH without ingesting (nothing is stored or catalogued): coverage
    per field and the files where a field is missing or doubtful."""
    from dms.rulescheck import check

    with progress_bar("reading", as_json) as progress:
        data = check(settings, path, rules_file, on_progress=progress)

    def human(d):
        click.echo(f"{d['read']} of {d['files']} file(s) read with {shown(d['rules'])} in {d['seconds']:.1f} s")
        for name, c in d["coverage"].items():
            percent = f"{c['percent']:5.1f}%" if c["percent"] is not None else "    –"
            of = "numbered files" if name == "revision" else "files read"
            click.echo(f"  {name:9} {c['count']:6} of {c['of']:<6} {of:15} {percent}")
        for name in d["coverage"]:
            for title, listing in (("missing", d["missing"][name]), ("doubtful", d["doubtful"][name])):
                if not listing:
                    continue
                click.echo(f"\n{name} {title} ({len(listing)}):")
                for item in listing[:LISTED]:
                    click.echo(f"  {shown(item)}" if isinstance(item, str) else
                               f"  {shown(item['path'])}: {shown(item['reason'])}")
                if len(listing) > LISTED:
                    click.echo(f"  … and {len(listing) - LISTED} more (--json lists all)")
        if d["not_read"]:
            click.echo(f"\nnot read ({len(d['not_read'])}):")
            for item in d["not_read"][:LISTED]:
                click.echo(f"  {shown(item['path'])}: {shown(item['reason'])}")

    emit(as_json, data, human)


@click.command("rederive")
@click.option("--dry-run", is_flag=True, help="Only count what would change; write nothing.")
@home_option
@json_option
def rederive_command(dry_run, settings, as_json):
    """Derive every document's metadata and references again from its stored text with the current rules
    (after a change of rules.toml), keeping the fields corrected by hand; audited."""
    from dms.rederive import rederive

    with open_archive(settings) as dms:
        with progress_bar("deriving", as_json) as progress:
            report = rederive(dms, dry_run=dry_run, on_progress=progress)
        if report.changed and not dry_run:
            from dms.graph.sync import sync

            sync(dms, brief=True)  # the links the new values make, before the next question

    def human(r):
        verb = "would change" if r["dry_run"] else "changed"
        click.echo(f"{r['documents']} document(s) derived again with {shown(r['rules'])} in {r['seconds']:.1f} s: "
                   f"{r['changed']} {verb}, {r['kept_by_hand']} field(s) kept as corrected by hand")
        for name, count in r["fields"].items():
            click.echo(f"  {name:10} {count}")
        if r["not_read"]:
            click.echo(f"  ({r['not_read']} document(s) whose text could not be read were left as they are)")

    emit(as_json, report.to_dict(), human)


@click.command("review")
@click.option("--field", type=click.Choice(["number", "revision", "date"]), help="Only this field.")
@click.option("--page", default=1, show_default=True, help="Page of the list.")
@click.option("--limit", default=200, show_default=True, help="Documents per page.")
@home_option
@json_option
def review_command(field, page, limit, settings, as_json):
    """Documents whose number, revision or date could not be derived or is doubtful, with the reason and the
    `dms edit` command that fixes each (retired documents and fields corrected by hand are left out)."""
    from dms.review import review

    with open_archive(settings) as dms:
        data = review(dms, field, page, limit)

    def human(d):
        if not d["total"]:
            click.echo("nothing to review")
            return
        first = (d["page"] - 1) * d["per_page"] + 1
        click.echo(f"{d['total']} document(s) to review, showing {first}-{first + len(d['items']) - 1}")
        for item in d["items"]:
            click.echo(f"\n[{item['id']}] {shown(item['title'])}  {shown(item['path'])}")
            for issue in item["issues"]:
                click.echo(f"  {issue['field']:9} {shown(issue['reason'])}")
            click.echo(f"  fix: {item['command']}")

    emit(as_json, data, human)


COMMANDS = [explain_command, rules_group, rederive_command, review_command]
