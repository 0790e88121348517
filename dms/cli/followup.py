"""`dms followup` commands (issue 16): a thin layer over dms.followup.

    dms followup [--mine] [--product P] [--as-of D] [--json]   the list (also `dms followup list`)
    dms followup done KEY --note TEXT                          an action or reply taken care of (audited)
    dms followup digest [--send] [--user NAME] [--as-of D]     the daily digests (shown; queued and sent: --send)
"""

from __future__ import annotations

from datetime import date

import click

from dms.cli.common import as_option, emit, home_option, json_option, open_archive


def _day(value: str | None) -> date | None:
    from dms.asof import check_date

    return date.fromisoformat(check_date(value)) if value else None


def _human(data: dict) -> None:
    items = data["followups"]
    if not items:
        click.echo("Nothing needs following up.")
        return
    for i in items:
        due = f"due {i['due']}{' OVERDUE' if i['overdue'] else ''}" if i["due"] else "no due date"
        click.echo(f"{i['kind']:15} {i['owner'] or '-':20} {due:25} {i['text']}")
        click.echo(f"{'':15} key {i['key']}" + (f"  [{i['number']}]" if i["number"] else ""))
    click.echo(f"{len(items)} open, {sum(i['overdue'] for i in items)} overdue")


def _list(settings, mine: bool, product: str | None, as_of: str | None, as_json: bool) -> None:
    from dms.followup.listing import followups, to_dict
    from dms.users import acting

    with open_archive(settings) as dms:
        user = acting(dms.catalog, settings.user).name if mine else None
        rows = [to_dict(i) for i in followups(dms, user=user, product=product, as_of=_day(as_of))]
    emit(as_json, {"total": len(rows), "overdue": sum(r["overdue"] for r in rows), "followups": rows}, _human)


def list_options(f):
    for option in reversed([
        click.option("--mine", is_flag=True, help="Only what the acting user (--as / $DMS_USER) must act on."),
        click.option("--product", help="Only follow-ups about this product code."),
        click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="As of this day (default today)."),
    ]):
        f = option(f)
    return f


@click.group("followup", invoke_without_command=True)
@list_options
@home_option
@as_option
@json_option
@click.pass_context
def followup_group(ctx, mine, product, as_of, settings, as_json):
    """What needs following up: open actions from minutes, replies owed or awaited, plan findings, change requests
    waiting on a step. Without a command: the list."""
    if ctx.invoked_subcommand is None:
        _list(settings, mine, product, as_of, as_json)


@followup_group.command("list")
@list_options
@home_option
@as_option
@json_option
def followup_list(mine, product, as_of, settings, as_json):
    """The follow-up list (the same as `dms followup` alone)."""
    _list(settings, mine, product, as_of, as_json)


@followup_group.command("done")
@click.argument("key")
@click.option("--note", required=True, help="How it was taken care of (kept in the audit log).")
@home_option
@as_option
@json_option
def followup_done(key, note, settings, as_json):
    """Mark an action or an awaited reply done (its owner, or a coordinator)."""
    from dms.followup.listing import mark_done

    with open_archive(settings) as dms:
        done = mark_done(dms, key, by=settings.user, note=note)
    emit(as_json, done, lambda d: click.echo(f"{d['key']} marked done by {d['done_by']}: {d['note']}"))


@followup_group.command("digest")
@click.option("--send", is_flag=True, help="Queue each digest in the notice outbox, file it and send it.")
@click.option("--user", "users", multiple=True, help="Only this user's digest (repeatable).")
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="The day of the digest (default today).")
@home_option
@as_option
@json_option
def followup_digest(send, users, as_of, settings, as_json):
    """Each person's daily digest of what waits for them: shown, or with --send queued, filed and sent like
    change-request notices (once a day per person)."""
    from dms.followup.digest import KINDS, send_digest, unowned
    from dms.followup.listing import followups
    from dms.followup.people import people
    from dms.users import acting

    with open_archive(settings) as dms:
        day = _day(as_of) or date.today()
        if send:
            acting(dms.catalog, settings.user, "coordinator")
            digests = send_digest(dms, as_of=day, users=list(users) or None, by=settings.user)
            from dms.catalog import outbox

            status = {n.name: n for n in outbox.notices(dms.catalog, number="FOLLOWUP-DIGEST")}
            rows = [{"user": d.user, "to": d.to, "name": d.name, "items": d.items, "overdue": d.overdue,
                     "queued": d.notice_id is not None,
                     "delivered_to": status[d.name].delivered_to if d.name in status else None,
                     "error": status[d.name].last_error if d.name in status else None} for d in digests]
        else:
            names = list(users) or [n for n, _ in people(dms, day).users]
            rows = []
            for name in names:
                items = [i for i in followups(dms, user=name, as_of=day) if i.kind in KINDS]
                if items:
                    rows.append({"user": name, "items": len(items), "overdue": sum(i.overdue for i in items),
                                 "keys": [i.key for i in items]})
        left = [] if users else unowned(dms, day)

    def human(data):
        for r in data["digests"]:
            where = (f" -> {r['delivered_to']}" if r.get("delivered_to") else
                     f" (not sent: {r['error']})" if r.get("error") else
                     "" if r.get("queued", True) else " (already sent today)")
            click.echo(f"{r['user']:15} {r['items']} item(s), {r['overdue']} overdue{where}")
        if data["no_digest"]:
            owners = sorted({i["owner"] or "(nobody named)" for i in data["no_digest"]})
            click.echo(f"{len(data['no_digest'])} open item(s) reach no digest: their owners are no dms users "
                       f"({', '.join(owners[:8])}{', …' if len(owners) > 8 else ''}); `dms user add NAME --email "
                       "ADDRESS` (the address their e-mails or the roster give) makes them users")
        if not data["digests"]:
            click.echo("No digest: nothing waits for a dms user." if data["no_digest"] else
                       "Nothing waits for anyone: no digest.")
        elif not send:
            click.echo("(not sent: add --send to queue, file and send them)")

    emit(as_json, {"as_of": day.isoformat(), "sent": send, "digests": rows,
                   "no_digest": [{"key": i.key, "owner": i.owner, "text": i.text} for i in left]}, human)


COMMANDS: list = [followup_group]
