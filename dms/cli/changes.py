"""`dms change …`: change requests from the command line, acting as --as / $DMS_USER.

Each action's help says who may take it, and a refused action says what the user may do instead: both from
dms.changes.rules, as the web page and the API.
"""

from __future__ import annotations

import functools

import click

from dms import changes
from dms.changes.rules import OUTCOMES, help_text
from dms.cli.common import as_option, emit, home_option, json_option, open_archive
from dms.errors import NotFound, PermissionDenied, RuleBroken


@click.group("change")
def change_group():
    """Change requests: new, show, list, edit, submit, review, assess, decide, authorize, implement, close, check."""


def field_options(f):
    """The request's fields, shared by new, edit and assess."""
    options = [
        click.option("--product", "products", multiple=True, help="Product code (repeatable)."),
        click.option("--affects", "affected", multiple=True, help="Affected document number (repeatable)."),
        click.option("--description"), click.option("--reason"), click.option("--need-date", "need_date"),
        click.option("--relevance"), click.option("--benefits"), click.option("--schedule-impact", "schedule_impact"),
        click.option("--risk", "risks", multiple=True, help="TEXT:LIKELIHOOD:SEVERITY, both 1-5 (repeatable)."),
        click.option("--cost-once", "cost_once", type=float),
        click.option("--cost-recurring", "cost_recurring", type=float),
        click.option("--attach", "attachments", multiple=True, help="An archived document: id, path or number."),
        click.option("--moves", "milestones", multiple=True,
                     help="A plan milestone the change moves, PLAN-NUMBER:KEY (repeatable)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _fields(kwargs: dict) -> dict:
    return {k: v for k, v in kwargs.items() if v not in (None, ())}


def _acting(dms, settings, number: str, act):
    """Run `act()`; a refusal by the rules also says what the user may do on the request now."""
    from dms.changes.rules import allowed_actions
    from dms.changes.views import acting_user

    try:
        return act()
    except (RuleBroken, PermissionDenied) as exc:
        user = acting_user(dms, settings.user)
        try:
            allowed = allowed_actions(changes.get(dms, number), user) if user and not user.disabled else ()
        except NotFound:
            raise exc from None
        may = f"{settings.user} may: {', '.join(allowed)}" if allowed else f"nothing {settings.user} may do on it now"
        raise type(exc)(f"{exc} ({may})") from None


def _show(d: dict) -> None:
    click.echo(f"{d['number']}  {d['title']}  [{d['state']}{' / ' + d['decision'] if d.get('decision') else ''}]")
    for key in ("applicant", "products", "affected", "description", "reason", "relevance", "benefits", "cost_once",
                "cost_recurring", "schedule_impact", "need_date", "assessed_by", "decided_by", "rationale",
                "authorizer", "effective_date"):
        if d.get(key) not in (None, "", []):
            click.echo(f"  {key:16} {', '.join(d[key]) if isinstance(d[key], list) else d[key]}")
    for risk in d.get("risks", []):
        click.echo(f"  risk             {risk['risk']} (likelihood {risk['likelihood']}, severity {risk['severity']})")


@change_group.command("new")
@click.option("--title", required=True)
@field_options
@home_option
@as_option
@json_option
def change_new(title, settings, as_json, **kwargs):
    """Open a change request in draft; you are its applicant."""
    with open_archive(settings) as dms:
        cr = changes.create(dms, title, settings.user, **_fields(kwargs))
    emit(as_json, cr.to_dict(), _show)


@change_group.command("show")
@click.argument("number")
@home_option
@as_option
@json_option
def change_show(number, settings, as_json):
    """A request's fields, its state history, the amendment status of each affected document, and what you
    (--as / $DMS_USER) may do on it now. A request that exists only as archive documents is shown from them
    (state "on file")."""
    from dms.changes.views import acting_user, describe, with_actions

    with open_archive(settings) as dms:
        data = with_actions(describe(dms, number), acting_user(dms, settings.user))

    def human(d):
        if d["state"] in ("on file", "cited only"):
            decision = f", {d['decision']}" if d.get("decision") else ""
            from dms.display import shown  # titles of documents on file: a control character stays escaped

            click.echo(f"{d['number']}  {shown(d.get('title', ''))}  [{d['state']}{decision}]")
            for key in ("documents", "decided_in", "amended_by"):
                for item in d[key]:
                    click.echo(f"  {key:11} [{item['id']}] {shown(item['title'])} ({item['date'] or 'undated'})")
            return
        _show(d)
        for h in d["history"]:
            click.echo(f"  {h['at']}  {h['user']:10} {h['from'] or '-'} -> {h['to']}  {h['note']}")
        may = ", ".join(d["allowed_actions"]) or "nothing now"
        click.echo(f"  {settings.user} may: {may}")

    emit(as_json, data, human)


@change_group.command("list")
@click.option("--state", type=click.Choice(changes.STATES))
@click.option("--product")
@click.option("--applicant")
@click.option("--since", help="Opened on or after this date (YYYY-MM-DD).")
@click.option("--until", help="Opened on or before this date (YYYY-MM-DD).")
@click.option("--archive", "with_archive", is_flag=True, help="Also list requests known only from archive documents.")
@home_option
@json_option
def change_list(state, product, applicant, since, until, with_archive, settings, as_json):
    """Change requests, filtered by state, product, applicant or opening date."""
    from dms.changes.views import catalogue

    with open_archive(settings) as dms:
        rows = catalogue(dms, state, product, applicant, since, until, with_archive)
    emit(as_json, {"total": len(rows), "changes": rows}, lambda d: [click.echo(
        f"{r['number']}  {r['state']:13} {r['applicant']:10} {r['title']}") for r in d["changes"]])


@change_group.command("edit")
@click.argument("number")
@click.option("--title")
@click.option("--revision", "expected_revision", type=int, help="Refuse if the request changed since this revision.")
@field_options
@home_option
@as_option
@json_option
def change_edit(number, expected_revision, settings, as_json, **kwargs):
    with open_archive(settings) as dms:
        cr = _acting(dms, settings, number,
                     lambda: changes.edit(dms, number, settings.user, expected_revision, **_fields(kwargs)))
    emit(as_json, cr.to_dict(), _show)


change_edit.help = help_text("edit")


def _action(name: str, extra=()):
    @click.argument("number")
    @click.option("--note", default="", help="Kept in the request's history.")
    @click.option("--revision", "expected_revision", type=int, help="Refuse if the request changed since.")
    @home_option
    @as_option
    @json_option
    @functools.wraps(lambda: None)
    def command(number, note, expected_revision, settings, as_json, **params):
        with open_archive(settings) as dms:
            cr = _acting(dms, settings, number, lambda: changes.transition(
                dms, number, name, settings.user, note, expected_revision, **_fields(params)))
        emit(as_json, cr.to_dict(), lambda d: click.echo(f"{d['number']} is now {d['state']}"))

    for option in reversed(extra):
        command = option(command)
    command.__doc__ = help_text(name)
    return change_group.command(name)(command)


_action("submit")
_action("review")
_action("assess", [
    click.option("--relevance"), click.option("--benefits"), click.option("--schedule-impact", "schedule_impact"),
    click.option("--risk", "risks", multiple=True, help="TEXT:LIKELIHOOD:SEVERITY (repeatable)."),
    click.option("--cost-once", "cost_once", type=float),
    click.option("--cost-recurring", "cost_recurring", type=float)])
_action("decide", [
    click.option("--outcome", type=click.Choice(OUTCOMES), required=True),
    click.option("--rationale", required=True)])
_action("authorize", [
    click.option("--effective-date", "effective_date")])
_action("implement")


@change_group.command("close")
@click.argument("number")
@click.option("--waive", multiple=True, metavar="DOC=REASON",
              help="Close without an amendment of DOC, for REASON (not from the applicant).")
@click.option("--note", default="")
@home_option
@as_option
@json_option
def change_close(number, waive, note, settings, as_json):
    waivers = {}
    for item in waive:
        doc, sep, reason = item.partition("=")
        if not sep or not reason.strip():
            raise click.BadParameter(f"{item!r}: write DOC=REASON", param_hint="--waive")
        waivers[doc.strip().upper()] = reason.strip()
    with open_archive(settings) as dms:
        cr = _acting(dms, settings, number,
                     lambda: changes.transition(dms, number, "close", settings.user, note, waivers=waivers))
    emit(as_json, cr.to_dict(), lambda d: click.echo(f"{d['number']} is now {d['state']}"))


change_close.help = help_text("close")


@change_group.command("notices")
@click.option("--retry", is_flag=True, help="Deliver the pending notices now (file each one, then send it).")
@click.option("--all", "show_all", is_flag=True, help="Also list the notices already delivered.")
@home_option
@json_option
def change_notices(retry, show_all, settings, as_json):
    """Decision notices waiting in the outbox (a crash or a mail server that was down): each with its last
    error. They are also delivered by any change command and by `dms serve`. Exit 1 if --retry leaves any."""
    from dms.catalog import outbox
    from dms.changes.notify import deliver_pending
    from dms.errors import DmsError

    with open_archive(settings) as dms:
        if retry:
            deliver_pending(dms)
        rows = [n.to_dict() for n in outbox.notices(dms.catalog, pending_only=not show_all)]
    pending = [r for r in rows if r["delivered_at"] is None]

    def human(d):
        for r in d["notices"]:
            state = (f"delivered {r['delivered_at']} to {r['delivered_to']}" if r["delivered_at"]
                     else f"PENDING since {r['created_at']}, {r['attempts']} attempt(s)"
                     + (f": {r['last_error']}" if r["last_error"] else ""))
            click.echo(f"[{r['id']}] {r['number']}  {r['name']}  {state}")
        if not d["notices"]:
            click.echo("no notices wait for delivery")

    emit(as_json, {"pending": len(pending), "notices": rows}, human)
    if retry and pending:
        raise DmsError(f"{len(pending)} notice(s) still not delivered; they are retried by the next change command "
                       "and by `dms serve`")


@change_group.command("check")
@click.argument("number")
@home_option
@json_option
def change_check(number, settings, as_json):
    """For each affected document: the revision that amends the request, or its waiver, or nothing yet."""
    with open_archive(settings) as dms:
        items = changes.check(dms, number)

    def human(d):
        for i in d["documents"]:
            status = (f"amended by Rev {i['amended_by']['revision']} [{i['amended_by']['id']}]" if i["amended_by"]
                      else f"waived: {i['waived']}" if i["waived"] else "NOT YET AMENDED")
            click.echo(f"{i['number']:20} {status}")

    emit(as_json, {"number": number.upper(), "documents": items}, human)


@change_group.command("report")
@click.argument("number")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the HTML here (default: print it).")
@home_option
@json_option
def change_report(number, output, settings, as_json):
    """The assessment report for the manager: summary, risk matrix, costs, affected documents with their
    current revisions, past changes to the same products and how they ended, a recommendation."""
    from dms.changes.report import render_report

    with open_archive(settings) as dms:
        html, data = render_report(dms, number)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(html)
    if as_json:
        emit(True, {**data, "output": output}, None)
    elif not output:
        click.echo(html)
    else:
        click.echo(f"wrote {output}")
