"""The graph commands: trace, links, path, timeline, orphans, dangling, stale, link, graph export."""

from __future__ import annotations

import click

from dms import errors
from dms.cli.common import as_option, emit, home_option, json_option, open_archive
from dms.display import shown
from dms.graph import linktypes  # the one table of link types (a light import: no graph machinery)

_WALKED = ", ".join(n for n in linktypes.NAMES if n in linktypes.WALKED)


def _graph(dms, as_json: bool):
    """The graph, its link rows brought up to date first: with a progress bar when that takes long (the first
    question to an archive that had none, after an upgrade)."""
    from dms.cli.common import progress_bar
    from dms.graph import graph_for

    with progress_bar("deriving links", as_json) as progress:
        return graph_for(dms, progress)  # links behind a busy writer: the command group says so (dms.cli)


@click.command("trace", epilog=f"From REF every link is followed; onward from another document only {_WALKED} "
               "and links made by hand of any type (see `dms link types`).")
@click.argument("ref")
@click.option("--depth", default=2, show_default=True, help="How many links away from REF.")
@click.option("--limit", default=50, show_default=True, help="Documents per page.")
@click.option("--page", default=1, show_default=True)
@click.option("--as-of", "as_of", metavar="DATE", help="Only documents in force on DATE (YYYY-MM-DD).")
@home_option
@json_option
def trace_command(ref, depth, limit, page, as_of, settings, as_json):
    """Every document tied to REF (a change request, product, party or document), with the chain of links
    that ties it and the evidence of each link."""
    from dms.asof import trace_as_of
    from dms.graph import node_for, trace

    if depth < 1 or limit < 1 or page < 1:
        raise errors.UsageError("--depth, --limit and --page must be 1 or more")
    with open_archive(settings) as dms:
        g = _graph(dms, as_json)
        root = node_for(dms, g, ref)
        offset = (page - 1) * limit
        result = (trace_as_of(dms, g, root, as_of, depth, limit, offset) if as_of
                  else trace(g, root, depth=depth, limit=limit, offset=offset))

    def human(r):
        listed = len(r["documents"])
        more = f", showing {listed}" if listed < r["total"] else ""
        click.echo(f"{r['total']} document(s) tied to {shown(r['root'])}{more}")
        for d in r["documents"]:
            click.echo(f"\n[{d['id']}] {shown(d['title'])}  ({d['type']}, {d['date'] or 'undated'})\n"
                       f"     {shown(d['path'])}")
            for link in d["via"]:
                click.echo(f"     {shown(link['from'])} -{link['type']}-> {shown(link['to'])}: "
                           f"{shown(link['evidence'][:160])}")

    emit(as_json, result.to_dict(), human)


@click.command("links")
@click.argument("ref")
@home_option
@json_option
def links_command(ref, settings, as_json):
    """Incoming and outgoing links of REF, grouped by type, each with its evidence."""
    from dms.graph import links, node_for

    with open_archive(settings) as dms:
        g = _graph(dms, as_json)
        data = links(g, node_for(dms, g, ref))

    def human(d):
        click.echo(f"{shown(d['node'])}  {shown(d['label'])}")
        for direction, arrow in (("outgoing", "->"), ("incoming", "<-")):
            for kind, items in sorted(d[direction].items()):
                click.echo(f"  {arrow} {kind} ({len(items)})")
                for item in items[:20]:
                    click.echo(f"     {shown(item['label'])}  [{shown(item['node'])}]: {shown(item['evidence'][:120])}")
                if len(items) > 20:
                    click.echo(f"     … and {len(items) - 20} more")

    emit(as_json, data, human)


@click.command("path")
@click.argument("a")
@click.argument("b")
@home_option
@json_option
def path_command(a, b, settings, as_json):
    """The shortest explained chains of links between A and B (documents, identifiers, products, parties)."""
    from dms.graph import node_for
    from dms.graph.explore import paths

    with open_archive(settings) as dms:
        g = _graph(dms, as_json)
        data = paths(g, node_for(dms, g, a), node_for(dms, g, b))

    def human(d):
        if not d["paths"]:
            click.echo(f"{shown(d['from'])} and {shown(d['to'])} are not connected")
        for n, chain in enumerate(d["paths"], start=1):
            click.echo(f"path {n} ({len(chain)} link(s)):")
            for hop in chain:
                click.echo(f"  {shown(hop['from_label'])} -{hop['type']}-> {shown(hop['to_label'])}\n"
                           f"      {shown(hop['evidence'][:150])}")

    emit(as_json, data, human)


@click.command("timeline")
@click.argument("ref")
@home_option
@json_option
def timeline_command(ref, settings, as_json):
    """The dated documents and decisions of a product, change request, party or document, in order."""
    from dms.graph import node_for
    from dms.graph.explore import timeline

    with open_archive(settings) as dms:
        g = _graph(dms, as_json)
        data = timeline(g, node_for(dms, g, ref))

    def human(d):
        for e in d["events"]:
            click.echo(f"{e['date']}  {e['type']:15} {shown(e['title'])}  [{e['id']}] ({e['relation']})")
        if d["undated"]:
            click.echo(f"and {d['undated']} undated document(s)")

    emit(as_json, data, human)


def _graph_report(settings, as_json: bool, question, key: str, line) -> None:
    """Ask the graph a question that answers with a list; print one line per item, or JSON."""
    from dms.graph import graph_for

    with open_archive(settings) as dms:
        rows = question(graph_for(dms))
    emit(as_json, {"total": len(rows), key: rows}, lambda d: [click.echo(line(r)) for r in d[key]])


@click.command("orphans")
@home_option
@json_option
def orphans_command(settings, as_json):
    """Documents no cross-link ties to other paperwork, derived or made by hand (product and party links aside;
    which types are cross-links: `dms link types`)."""
    from dms.graph.explore import orphans

    _graph_report(settings, as_json, orphans, "documents",
                  lambda r: f"[{r['id']}] {shown(r['title'])}  {shown(r['path'])}")


@click.command("dangling")
@home_option
@json_option
def dangling_command(settings, as_json):
    """Identifiers that documents cite but no document in the archive defines."""
    from dms.graph.explore import dangling

    _graph_report(settings, as_json, dangling, "identifiers",
                  lambda r: f"{shown(r['identifier'])}  ({r['kind']}), cited by {r['cited_by']}")


@click.command("stale")
@home_option
@json_option
def stale_command(settings, as_json):
    """Documents that cite a revision a later revision has superseded."""
    from dms.graph.explore import stale

    _graph_report(settings, as_json, stale, "documents", lambda r: (
        f"[{r['id']}] {shown(r['title'])} cites {shown(r['cites'])}; current is {shown(r['current'])}"
        + (" (written before it)" if r["predates_current"] else "")))


@click.group("link")
def link_group():
    """Links made by hand between documents, identifiers, products or parties."""


@link_group.command("add")
@click.argument("a")
@click.argument("b")
@click.option("--type", "kind", required=True, metavar="TYPE",
              help=f"One of {', '.join(linktypes.HAND_ADDABLE)} (their meanings: `dms link types`).")
@click.option("--reason", required=True, help="Why A and B belong together (kept with the link).")
@home_option
@as_option
@json_option
def link_add(a, b, kind, reason, settings, as_json):
    """Link A to B with a type and a reason; who and when are recorded."""
    from dms.graph import node_for
    from dms.graph.manual import add_link

    with open_archive(settings) as dms:
        g = _graph(dms, as_json)
        source, target = node_for(dms, g, a), node_for(dms, g, b)
        link_id = add_link(dms, source, target, kind, reason)
    emit(as_json, {"id": link_id, "from": source, "to": target, "type": kind, "by": settings.user},
         lambda d: click.echo(f"link {d['id']}: {shown(d['from'])} -{d['type']}-> {shown(d['to'])} (by {d['by']})"))


@link_group.command("types")
@json_option
def link_types(as_json):
    """The link types of the graph: what each means, whether dms derives it or people add it by hand, whether
    trace walks on through it and whether it saves a document from `dms orphans`."""
    rows = [{"name": t.name, "meaning": t.meaning, "derived": t.derived, "hand_addable": t.hand_addable,
             "walked": t.walked, "cross_link": t.cross_link} for t in linktypes.TABLE]

    def human(d):
        width = max(len(r["name"]) for r in d["types"])
        for r in d["types"]:
            made = "derived and by hand" if r["derived"] and r["hand_addable"] else (
                "derived" if r["derived"] else "by hand")
            flags = [made] + (["walked by trace"] if r["walked"] else []) + (
                ["cross-link"] if r["cross_link"] else ["not a cross-link"])
            click.echo(f"{r['name']:{width}}  {r['meaning']}  ({', '.join(flags)})")

    emit(as_json, {"total": len(rows), "types": rows}, human)


@link_group.command("remove")
@click.argument("link_id", type=int)
@click.option("--reason", required=True, help="Why the link is wrong (kept on record).")
@home_option
@as_option
@json_option
def link_remove(link_id, reason, settings, as_json):
    """Remove a link made by hand; the link stays on record with who removed it, when and why."""
    from dms.graph.manual import remove_link

    with open_archive(settings) as dms:
        remove_link(dms, link_id, reason)
    emit(as_json, {"id": link_id, "removed_by": settings.user},
         lambda d: click.echo(f"link {d['id']} removed by {d['removed_by']}"))


@link_group.command("list")
@click.option("--all", "include_removed", is_flag=True, help="Include removed links.")
@home_option
@json_option
def link_list(include_removed, settings, as_json):
    """Links made by hand, with who made them and why."""
    with open_archive(settings) as dms:
        rows = dms.catalog.manual_links(include_removed)

    def human(d):
        for r in d["links"]:
            gone = (f"  REMOVED by {shown(r['removed_by'])} {r['removed_at'][:10]}: {shown(r['removal_reason'])}"
                    if r["removed_at"] else "")
            click.echo(f"{r['id']}: {shown(r['source'])} -{r['type']}-> {shown(r['target'])}  by "
                       f"{shown(r['created_by'])} {r['created_at'][:10]}: {shown(r['reason'])}{gone}")

    emit(as_json, {"total": len(rows), "links": rows}, human)


@click.group("graph")
def graph_group():
    """The cross-reference graph as a whole."""


@graph_group.command("export")
@click.argument("ref", required=False)
@click.option("--format", "fmt", type=click.Choice(["graphml", "json"]), default="graphml", show_default=True)
@click.option("--radius", default=1, show_default=True, help="Links around REF to include.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="File to write.")
@home_option
@json_option
def graph_export(ref, fmt, radius, output, settings, as_json):
    """Write the whole graph, or the neighbourhood of REF, as GraphML (Gephi) or node-link JSON (networkx)."""
    from dms.graph import node_for
    from dms.graph.export import write

    with open_archive(settings) as dms:
        g = _graph(dms, as_json)
        nodes, edges = write(g, node_for(dms, g, ref) if ref else None, radius, fmt, output)
    emit(as_json, {"output": output, "format": fmt, "nodes": nodes, "edges": edges},
         lambda d: click.echo(f"wrote {d['nodes']} nodes and {d['edges']} links to {d['output']}"))


@graph_group.command("sync")
@click.option("--full", is_flag=True, help="Derive every link again from scratch (after `dms verify` found the "
                                            "link rows and the documents disagreeing).")
@home_option
@json_option
def graph_sync(full, settings, as_json):
    """Bring the graph's link rows up to date with the documents (dms does this by itself before each question;
    the first time on a large archive it takes a while, with a progress bar here)."""
    from dms.cli.common import progress_bar
    from dms.graph import sync

    with open_archive(settings) as dms, progress_bar("deriving links", as_json) as progress:
        done = sync.sync(dms, progress, full=full)
        other = sync.under_way(dms) if done is None else None
    if other is not None:  # another process is taking its steps (a `dms serve`, another command)
        raise errors.CatalogBusy(f"another process is deriving every link again ({other['done']} of "
                                 f"{other['total']} documents done): `dms graph sync --full` takes steps of it too")
    result = {"full": done.full, "documents": done.documents, "numbers": done.numbers, "links": done.links} if done \
        else {"full": False, "documents": 0, "numbers": 0, "links": 0}
    emit(as_json, result, lambda r: click.echo(
        f"links derived again for {r['documents']} document(s) and {r['numbers']} revision chain(s): "
        f"{r['links']} link(s) written" + (" (from scratch)" if r["full"] else "") if r["documents"] or r["full"]
        else "the link rows were up to date"))


COMMANDS = [trace_command, links_command, path_command, timeline_command, orphans_command, dangling_command,
            stale_command, link_group, graph_group]
