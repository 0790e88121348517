"""`dms view`: saved searches ("views") from the command line, the same ones the search page saves (dms.views)."""

from __future__ import annotations

from urllib.parse import urlencode

import click

from dms.cli.common import as_option, emit, home_option, json_option, open_archive


@click.group("view")
def view_group():
    """Saved searches ("views") of the acting user (--as NAME, else $DMS_USER): list, save, rename, pin, delete."""


def _line(v: dict) -> None:
    click.echo(f"{v['id']:4d}  {'*' if v['pinned'] else ' '} {v['name']}  ({v['description']})  {v['url']}")


@view_group.command("list")
@home_option
@as_option
@json_option
def view_list(settings, as_json):
    """Your views; * marks those pinned to your start page."""
    from dms import views
    from dms.users import acting

    with open_archive(settings) as dms:
        acting(dms.catalog, settings.user)  # views belong to users: an unknown name is an error, not "none"
        found = [v.to_dict() for v in views.listing(dms.catalog, settings.user)]
    emit(as_json, found, lambda rows: [_line(v) for v in rows] or click.echo("no saved views"))


@view_group.command("save")
@click.argument("name")
@click.argument("query", default="")
@click.option("--filter", "-f", "filters", multiple=True, metavar="FIELD:VALUE",
              help="type:, product:, party: or year: (repeat for more).")
@click.option("--from", "date_from", metavar="DATE", help="Dated from (2023, 2023-01 or 2023-01-15).")
@click.option("--to", "date_to", metavar="DATE", help="Dated to.")
@click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]), default=None)
@click.option("--limit", type=int, default=None, help="Results a page.")
@click.option("--pin", is_flag=True, help="Pin it to your start page.")
@home_option
@as_option
@json_option
def view_save(name, query, filters, date_from, date_to, sort, limit, pin, settings, as_json):
    """Save QUERY with its filters under NAME."""
    from dms import filters as refine
    from dms import views

    refine.parse(list(filters), date_from or "", date_to or "")  # a malformed filter is refused here
    params = [("q", query), *(("f", f) for f in filters), ("from", date_from), ("to", date_to), ("sort", sort),
              ("limit", limit)]
    with open_archive(settings) as dms:
        view = views.save(dms.catalog, settings.user, name, urlencode([(k, v) for k, v in params if v]), pin=pin,
                          max_views=settings.views_max)
    emit(as_json, view.to_dict(), _line)


def _change(settings, as_json, work, *args) -> None:
    with open_archive(settings) as dms:
        view = work(dms.catalog, settings.user, *args)
    emit(as_json, view.to_dict(), _line)


@view_group.command("rename")
@click.argument("view_id", type=int)
@click.argument("name")
@home_option
@as_option
@json_option
def view_rename(view_id, name, settings, as_json):
    """Give view VIEW_ID the name NAME."""
    from dms import views

    _change(settings, as_json, views.rename, view_id, name)


@view_group.command("pin")
@click.argument("view_id", type=int)
@click.option("--off", is_flag=True, help="Unpin it.")
@home_option
@as_option
@json_option
def view_pin(view_id, off, settings, as_json):
    """Pin view VIEW_ID to your start page (--off: unpin it)."""
    from dms import views

    _change(settings, as_json, views.set_pinned, view_id, not off)


@view_group.command("delete")
@click.argument("view_id", type=int)
@home_option
@as_option
@json_option
def view_delete(view_id, settings, as_json):
    """Delete view VIEW_ID."""
    from dms import views

    with open_archive(settings) as dms:
        views.delete(dms.catalog, settings.user, view_id)
    emit(as_json, {"deleted": view_id}, lambda d: click.echo(f"view {d['deleted']} deleted"))


COMMANDS = (view_group,)
