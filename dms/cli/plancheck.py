"""`dms plan check` and `dms plan order-draft` (issue 16), added to the `plan` group of dms.cli.plans."""

from __future__ import annotations

from datetime import date

import click

from dms.cli.common import as_option, emit, home_option, json_option, open_archive
from dms.cli.plans import plan_group


def _as_of(value: str | None) -> date | None:
    from dms.asof import check_date

    return date.fromisoformat(check_date(value)) if value else None


@plan_group.command("check")
@click.argument("plan")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Check the plan as it stood on this day, against the "
              "evidence on file by then (default: today).")
@click.option("--brief", is_flag=True, help="Findings without their evidence rows.")
@home_option
@json_option
def plan_check(plan, as_of, brief, settings, as_json):
    """Is every milestone of PLAN ready? Materials short on their need-by date, people absent or over capacity,
    deliverables not on file in time, blocked dependencies; each finding with the rows it rests on.

    Exit code: 0 ready, 8 at risk, 9 blocked (the plan's worst milestone)."""
    from dms.display import shown
    from dms.errors import READINESS_EXIT
    from dms.plans.check import check_plan
    from dms.plans.report import evidence_ids, lines, to_dict

    with open_archive(settings) as dms:
        result = check_plan(dms, plan, _as_of(as_of))
        names = {} if as_json or brief else {i: dms.catalog.document(i).name for i in evidence_ids(result)}
    emit(as_json, to_dict(result), lambda _: [click.echo(shown(line)) for line in lines(result, not brief, names)])
    click.get_current_context().exit(READINESS_EXIT[result.readiness])


@plan_group.command("order-draft")
@click.argument("plan")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="The shortages as of this day (default: today).")
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False),
              help="Where to write the purchase request CSV.")
@home_option
@as_option
@json_option
def plan_order_draft(plan, as_of, out, settings, as_json):
    """A purchase request for PLAN's shortages: a CSV grouped by supplier (kept on file) and an e-mail per supplier
    queued in the notice outbox (to you, to check and forward). Needs a coordinator."""
    from pathlib import Path

    from dms.plans.check import check_plan
    from dms.plans.order import order_draft

    with open_archive(settings) as dms:
        draft = order_draft(dms, check_plan(dms, plan, _as_of(as_of)), Path(out), by=settings.user)

    def human(d):
        from dms.display import shown

        click.echo(shown(f"{len(d['lines'])} line(s) written to {d['csv']} (kept on file as document {d['doc_id']})"))
        for m in d["emails"]:
            click.echo(shown(f"  e-mail for {m['supplier']}: {m['lines']} line(s), {m['name']}"))

    emit(as_json, draft.to_dict(), human)
