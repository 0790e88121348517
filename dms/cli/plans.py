"""`dms plan` commands (issue 16): a thin layer over dms.plans."""

from __future__ import annotations

from pathlib import Path

import click

from dms.cli.common import as_option, emit, home_option, json_option, open_archive


@click.group("plan")
def plan_group():
    """Lifecycle plans: template, import, list, show, check, order-draft."""


def _amount(quantity: float) -> str:
    return f"{quantity:g}"


def _summary(p: dict) -> str:
    rev = f" Rev {p['revision']}" if p["revision"] else ""
    return (f"{p['number']}{rev}  {p['product']}  {p['title']}  (issued {p['issued'] or '-'}; "
            f"{len(p['milestones'])} milestone(s), {len(p['materials'])} material need(s), "
            f"{len(p['staff'])} staff need(s))")


@plan_group.command("template")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="Where to write the template (.xlsx, or .csv for the one-file form).")
@click.option("--force", is_flag=True, help="Write over an existing file.")
@json_option
def plan_template(output, force, as_json):
    """Write an empty plan workbook, with an About sheet explaining every sheet and column."""
    from dms.errors import UsageError
    from dms.plans.workbook import write_template

    path = Path(output)
    if path.suffix.lower() not in (".xlsx", ".csv"):
        raise UsageError(f"{output}: write the template as .xlsx (or .csv)")
    if path.exists() and not force:
        raise UsageError(f"{output} exists; choose another name or add --force")
    write_template(path)
    emit(as_json, {"written": str(path)}, lambda d: click.echo(
        f"wrote {d['written']}: fill in the sheets Plan, Milestones, Materials and Staff (the About sheet explains "
        f"them), then: dms plan import {path.name}"))


@plan_group.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--new-parts", is_flag=True, help="Accept parts no stock report or purchase order names yet (the "
              "check then reports them as 'no stock data').")
@home_option
@as_option
@json_option
def plan_import(path, new_parts, settings, as_json):
    """Check a plan workbook (XLSX or CSV) and keep it as a document; a later revision supersedes the one on file.
    Every problem is listed with its sheet, row and column, and nothing is stored while there is one (exit 2)."""
    from dms.plans.library import import_plan, plan_to_dict

    with open_archive(settings) as dms:
        plan = import_plan(dms, Path(path), by=settings.user, new_parts=new_parts)
    emit(as_json, plan_to_dict(plan), lambda p: click.echo(f"on file as document {p['doc_id']}: {_summary(p)}"))


@plan_group.command("list")
@click.option("--product", metavar="CODE", help="Only the plans of this product.")
@home_option
@json_option
def plan_list(product, settings, as_json):
    """The current revision of every plan on file."""
    from dms.plans.library import list_plans, plan_to_dict

    with open_archive(settings) as dms:
        plans = [plan_to_dict(p) for p in list_plans(dms, product)]

    def human(rows):
        if not rows:
            click.echo("no plans on file" + (f" for {product}" if product else "") +
                       " (dms plan template -o plan.xlsx, then dms plan import plan.xlsx)")
        for p in rows:
            click.echo(_summary(p))

    emit(as_json, plans, human)


@plan_group.command("show")
@click.argument("plan")
@click.option("--as-of", "as_of", metavar="DATE", help="The revision in force on DATE (YYYY-MM-DD).")
@home_option
@json_option
def plan_show(plan, as_of, settings, as_json):
    """A plan's milestones, materials and staff (PLAN may name a revision: "PLAN-KX200-2025 Rev A")."""
    from datetime import date

    from dms.asof import check_date
    from dms.plans.library import load_plan, plan_to_dict

    day = date.fromisoformat(check_date(as_of)) if as_of else None
    with open_archive(settings) as dms:
        data = plan_to_dict(load_plan(dms, plan, day))
    emit(as_json, data, _show)


def _show(p: dict) -> None:
    click.echo(_summary(p) + f"  [document {p['doc_id']}]")
    click.echo("\nmilestones:")
    for m in p["milestones"]:
        period = f"{m['start']} – {m['date']}" if m["start"] else m["date"]
        click.echo(f"  {m['key']:6} {m['name']}  ({m['phase'] or '-'}; {period}; owner {m['owner'] or '-'})")
        if m["deliverables"]:
            click.echo("         deliverables: " + "; ".join(d["text"] or d["number"] for d in m["deliverables"]))
        if m["depends_on"]:
            click.echo("         after: " + ", ".join(m["depends_on"]))
    if p["materials"]:
        click.echo("\nmaterials:")
        for n in p["materials"]:
            click.echo(f"  {n['milestone']:6} {n['part']}  {_amount(n['quantity'])} {n['unit']} by {n['needed_by']}"
                       + (f"  {n['description']}" if n["description"] else "")
                       + (f"  (supplier {n['supplier']})" if n["supplier"] else ""))
    if p["staff"]:
        click.echo("\nstaff:")
        for s in p["staff"]:
            click.echo(f"  {s['milestone']:6} {s['who']}  {_amount(s['hours'])} h, {s['from']} – {s['to']}")


COMMANDS: list = [plan_group]
