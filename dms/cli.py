"""The `dms` command: a thin layer over the library. Every command takes --json."""

from __future__ import annotations

import dataclasses
import functools
import html
import json
import sys

import click

from dms import errors
from dms.config import load_settings

QUERY_HELP = """Search the archive.

\b
QUERY syntax:
  kettle lid                  documents with both words (AND is implied)
  "heating element"           an exact phrase
  lid OR cover                either word;  NOT recall  or  -recall  excludes
  (lid OR cover) AND seal     parentheses group
  type:specification          type: specification, change request, minutes, contract,
                              report, complaint, correspondence, plan, other (prefix ok: type:spec)
  product:KX200  party:helix  number:SPEC-KX200-03  rev:B  ref:CR-2023-014  title:...  path:...
  year:2023                   documents dated in 2023
  date:[2022-01 to 2023-06]   a date range; either end may be * (open)
  therm*                      words starting with therm
  warrenty~  warrenty~2       fuzzy: within 1 (or 2) edits
  CR-2023-014                 an identifier finds its own document first; so does
  "SPEC-KX200-03 Rev B"       a document number with revision (spaces and case do not matter)
  linked:CR-2023-014          only documents the cross-reference graph ties to it (see dms trace)

Snippets mark hits with <mark>…</mark> and name the page they come from.
"""


def json_option(f):
    return click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")(f)


def home_option(f):
    @click.option("--home", type=click.Path(file_okay=False), envvar="DMS_HOME",
                  help="Data directory (catalog, store, index). Default: $DMS_HOME or ~/.local/share/dms.")
    @functools.wraps(f)
    def wrapper(*args, home=None, **kwargs):
        return f(*args, settings=load_settings(home=home), **kwargs)

    return wrapper


def emit(as_json: bool, data, human) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    else:
        human(data)


def _open(settings):
    from dms.app import Dms

    return Dms(settings)


class DmsGroup(click.Group):
    """Turns library errors into a message and the exit code of their class."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except errors.DmsError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(errors.exit_code(exc))


@click.group(cls=DmsGroup)
@click.version_option(package_name="dms")
def cli():
    """dms: document management and cross-reference indexing for product coordinators."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@home_option
@json_option
def ingest(paths, settings, as_json):
    """Store, extract and index the files under PATHS (incremental: unchanged files are skipped)."""
    from dms.ingest.pipeline import ingest as run_ingest

    with _open(settings) as dms:
        bar = None
        progress = None
        if sys.stderr.isatty() and not as_json:
            def progress(done, total):
                nonlocal bar
                if bar is None:
                    bar = click.progressbar(length=total, label="ingesting", file=sys.stderr)
                    bar.__enter__()
                bar.update(done - bar.pos)
        try:
            report = run_ingest(dms, paths, on_progress=progress)
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
        from dms.graph.cache import refresh

        refresh(dms)  # so the next trace starts from a graph that is up to date

    def human(r):
        click.echo(f"added {r['added']}, updated {r['updated']}, unchanged {r['unchanged']}, "
                   f"duplicates {r['duplicates']}, attachments {r['attachments']}, "
                   f"no extractor {r['unsupported']}, problems {len(r['problems'])} in {r['seconds']:.1f} s")
        for p in r["problems"]:
            click.echo(f"  {p['severity']}: {p['path']}: {p['reason']}")
        if r["problems"]:
            click.echo("see `dms problems` for the full list")

    emit(as_json, report.to_dict(), human)


@cli.command(help=QUERY_HELP)
@click.argument("query")
@click.option("--limit", default=10, show_default=True, help="Hits per page.")
@click.option("--page", default=1, show_default=True, help="Page of results.")
@click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]), default="relevance", show_default=True)
@home_option
@json_option
def search(query, limit, page, sort, settings, as_json):
    from dms.index import search as run_search

    with _open(settings) as dms:
        dms.ensure_index()
        from dms.graph import linked_ids

        results = run_search(dms.catalog, dms.backend, dms.matcher, query, limit=limit, page=page, sort=sort,
                             linked=lambda ref: linked_ids(dms, ref))
    if as_json:
        emit(True, results.to_dict(), None)
        return
    first = (page - 1) * limit + 1
    click.echo(f"{results.total} document(s)" + (f", showing {first}-{first + len(results.hits) - 1}"
                                                   if results.hits else ""))
    if results.did_you_mean:
        click.echo(f"did you mean: {results.did_you_mean}")
    bold = ("\x1b[1m", "\x1b[0m") if sys.stdout.isatty() else ("[", "]")
    for hit in results.hits:
        click.echo(f"\n[{hit.id}] {hit.title}  ({hit.type}, {hit.date or 'undated'}, score {hit.score})")
        click.echo(f"     {hit.path}")
        if hit.snippet:
            marked = hit.snippet.replace("<mark>", bold[0]).replace("</mark>", bold[1])
            click.echo(f"     p.{hit.page}: {html.unescape(marked)}")
    if results.facets:
        click.echo("")
        for name, counts in results.facets.items():
            if counts:
                click.echo(f"{name}: " + ", ".join(f"{k} ({v})" for k, v in list(counts.items())[:8]))


@cli.command()
@click.argument("ref")
@click.option("--text/--no-text", default=True, help="Print the extracted text (human output).")
@home_option
@json_option
def show(ref, text, settings, as_json):
    """Show one document: REF is an id, a path, an identifier (SPEC-KX200-03 Rev B) or a SHA-256 prefix."""
    from dms.documents import show as run_show

    with _open(settings) as dms:
        data = run_show(dms, ref)

    def human(d):
        click.echo(f"[{d['id']}] {d['title']}")
        for key in ("path", "stored_path", "sha256", "type", "date", "number", "revision", "products", "parties",
                    "references", "status", "format", "pages"):
            value = d[key]
            if isinstance(value, list):
                value = ", ".join(value)
            if value not in (None, ""):
                click.echo(f"  {key:12} {value}")
        if d["date_source"]:
            click.echo(f"  {'date from':12} {d['date_source']}")
        for p in d["problems"]:
            click.echo(f"  {p['severity']}: {p['reason']}")
        if d["duplicates"]:
            click.echo("  same bytes at: " + ", ".join(d["duplicates"]))
        if d["attachments"]:
            click.echo("  attachments: " + ", ".join(f"[{a['id']}] {a['name']}" for a in d["attachments"]))
        if len(d["versions"]) > 1:
            click.echo("  versions: " + ", ".join(f"{x['version']} ({x['ingested_at']})" for x in d["versions"]))
        if text and d["text"]:
            for n, page in enumerate(d["text"].split("\f"), start=1):
                click.echo(f"\n--- page {n} ---\n{page.strip()}")

    emit(as_json, data, human)


@cli.command()
@click.option("--all", "include_old", is_flag=True, help="Include problems of superseded versions.")
@home_option
@json_option
def problems(include_old, settings, as_json):
    """List files that could not be read (fully), with the reason. Their originals are kept."""
    with _open(settings) as dms:
        rows = dms.catalog.problems(include_old=include_old)

    def human(items):
        if not items:
            click.echo("no problems")
        for p in items:
            click.echo(f"[{p['id']}] {p['severity']} {p['kind']}: {p['path']}\n      {p['reason']}")

    emit(as_json, {"total": len(rows), "problems": rows}, lambda d: human(d["problems"]))


@cli.command()
@home_option
@json_option
def reindex(settings, as_json):
    """Rebuild the search index from the catalog alone (bounded memory)."""
    import time

    with _open(settings) as dms:
        started = time.monotonic()
        count = dms.reindex()
        seconds = round(time.monotonic() - started, 3)
    emit(as_json, {"indexed": count, "seconds": seconds},
         lambda d: click.echo(f"indexed {d['indexed']} documents in {d['seconds']:.1f} s"))


@cli.command()
@home_option
@json_option
def verify(settings, as_json):
    """Re-hash every stored original and check catalog, store and index agree. Exit 4 on any mismatch."""
    from dms.verify import verify as run_verify

    with _open(settings) as dms:
        report = run_verify(dms)

    def human(r):
        click.echo(("OK" if r["ok"] else "FAILED") + f": {r['checked']} stored originals checked, "
                   f"{len(r['problems'])} problem(s)")
        for p in r["problems"]:
            click.echo(f"  {p['kind']}: {p['message']}")
        for note in r["notes"]:
            click.echo(f"  note: {note}")

    emit(as_json, report.to_dict(), human)
    if not report.ok:
        sys.exit(errors.exit_code(errors.IntegrityError()))


@cli.command()
@home_option
@json_option
def stats(settings, as_json):
    """Counts of documents, versions, problems, and where the data directory is."""
    with _open(settings) as dms:
        data = {"home": str(settings.home), **dms.catalog.stats()}
        data["index_engine"] = dms.backend.name
        data["index_bytes"] = dms.backend.size_bytes() if not dms.backend.needs_rebuild() else 0

    def human(d):
        click.echo(f"data directory  {d['home']}")
        for key in ("documents", "duplicates", "attachments", "versions", "pages", "problems", "stored_bytes",
                    "index_bytes"):
            click.echo(f"{key:15} {d[key]:,}")
        click.echo("by type         " + ", ".join(f"{k} {v}" for k, v in d["by_type"].items()))

    emit(as_json, data, human)


@cli.command("trace")
@click.argument("ref")
@click.option("--depth", default=2, show_default=True, help="How many links away from REF.")
@click.option("--limit", default=50, show_default=True, help="Documents per page.")
@click.option("--page", default=1, show_default=True)
@home_option
@json_option
def trace_command(ref, depth, limit, page, settings, as_json):
    """Every document tied to REF (a change request, product, party or document), with the chain of links
    that ties it and the evidence of each link."""
    from dms.graph import graph_for, node_for, trace

    if depth < 1 or limit < 1 or page < 1:
        raise errors.UsageError("--depth, --limit and --page must be 1 or more")
    with _open(settings) as dms:
        g = graph_for(dms)
        result = trace(g, node_for(dms, g, ref), depth=depth, limit=limit, offset=(page - 1) * limit)

    def human(r):
        shown = len(r["documents"])
        click.echo(f"{r['total']} document(s) tied to {r['root']}" + (f", showing {shown}" if shown < r["total"] else ""))
        for d in r["documents"]:
            click.echo(f"\n[{d['id']}] {d['title']}  ({d['type']}, {d['date'] or 'undated'})\n     {d['path']}")
            for link in d["via"]:
                click.echo(f"     {link['from']} -{link['type']}-> {link['to']}: {link['evidence'][:160]}")

    emit(as_json, result.to_dict(), human)


@cli.command("links")
@click.argument("ref")
@home_option
@json_option
def links_command(ref, settings, as_json):
    """Incoming and outgoing links of REF, grouped by type, each with its evidence."""
    from dms.graph import graph_for, links, node_for

    with _open(settings) as dms:
        g = graph_for(dms)
        data = links(g, node_for(dms, g, ref))

    def human(d):
        click.echo(f"{d['node']}  {d['label']}")
        for direction, arrow in (("outgoing", "->"), ("incoming", "<-")):
            for kind, items in sorted(d[direction].items()):
                click.echo(f"  {arrow} {kind} ({len(items)})")
                for item in items[:20]:
                    click.echo(f"     {item['label']}  [{item['node']}]: {item['evidence'][:120]}")
                if len(items) > 20:
                    click.echo(f"     … and {len(items) - 20} more")

    emit(as_json, data, human)


@cli.command("path")
@click.argument("a")
@click.argument("b")
@home_option
@json_option
def path_command(a, b, settings, as_json):
    """The shortest explained chains of links between A and B (documents, identifiers, products, parties)."""
    from dms.graph import graph_for, node_for
    from dms.graph.explore import paths

    with _open(settings) as dms:
        g = graph_for(dms)
        data = paths(g, node_for(dms, g, a), node_for(dms, g, b))

    def human(d):
        if not d["paths"]:
            click.echo(f"{d['from']} and {d['to']} are not connected")
        for n, chain in enumerate(d["paths"], start=1):
            click.echo(f"path {n} ({len(chain)} link(s)):")
            for hop in chain:
                click.echo(f"  {hop['from_label']} -{hop['type']}-> {hop['to_label']}\n      {hop['evidence'][:150]}")

    emit(as_json, data, human)


@cli.command("timeline")
@click.argument("ref")
@home_option
@json_option
def timeline_command(ref, settings, as_json):
    """The dated documents and decisions of a product, change request, party or document, in order."""
    from dms.graph import graph_for, node_for
    from dms.graph.explore import timeline

    with _open(settings) as dms:
        g = graph_for(dms)
        data = timeline(g, node_for(dms, g, ref))

    def human(d):
        for e in d["events"]:
            click.echo(f"{e['date']}  {e['type']:15} {e['title']}  [{e['id']}] ({e['relation']})")
        if d["undated"]:
            click.echo(f"and {d['undated']} undated document(s)")

    emit(as_json, data, human)


@cli.command("orphans")
@home_option
@json_option
def orphans_command(settings, as_json):
    """Documents no cross-reference ties to other paperwork (product and party links aside)."""
    from dms.graph import graph_for
    from dms.graph.explore import orphans

    with _open(settings) as dms:
        rows = orphans(graph_for(dms))
    emit(as_json, {"total": len(rows), "documents": rows},
         lambda d: [click.echo(f"[{r['id']}] {r['title']}  {r['path']}") for r in d["documents"]])


@cli.command("dangling")
@home_option
@json_option
def dangling_command(settings, as_json):
    """Identifiers that documents cite but no document in the archive defines."""
    from dms.graph import graph_for
    from dms.graph.explore import dangling

    with _open(settings) as dms:
        rows = dangling(graph_for(dms))
    emit(as_json, {"total": len(rows), "identifiers": rows},
         lambda d: [click.echo(f"{r['identifier']}  ({r['kind']}), cited by {r['cited_by']}") for r in d["identifiers"]])


@cli.command("stale")
@home_option
@json_option
def stale_command(settings, as_json):
    """Documents that cite a revision a later revision has superseded."""
    from dms.graph import graph_for
    from dms.graph.explore import stale

    with _open(settings) as dms:
        rows = stale(graph_for(dms))

    def human(d):
        for r in d["documents"]:
            note = " (written before it)" if r["predates_current"] else ""
            click.echo(f"[{r['id']}] {r['title']} cites {r['cites']}; current is {r['current']}{note}")

    emit(as_json, {"total": len(rows), "documents": rows}, human)


def as_option(f):
    @click.option("--as", "as_user", metavar="NAME", help="Act as this user (default: $DMS_USER, else $USER).")
    @functools.wraps(f)
    def wrapper(*args, as_user=None, settings, **kwargs):
        if as_user:
            settings = dataclasses.replace(settings, user=as_user)
        return f(*args, settings=settings, **kwargs)

    return wrapper


@cli.group("link")
def link_group():
    """Links made by hand between documents, identifiers, products or parties."""


@link_group.command("add")
@click.argument("a")
@click.argument("b")
@click.option("--type", "kind", required=True, help="relates_to, supersedes, amends, decided_in, responds_to, "
              "part_of, cancels, attachment_of, reply_to or duplicate_of.")
@click.option("--reason", required=True, help="Why A and B belong together (kept with the link).")
@home_option
@as_option
@json_option
def link_add(a, b, kind, reason, settings, as_json):
    """Link A to B with a type and a reason; who and when are recorded."""
    from dms.graph import graph_for, node_for
    from dms.graph.manual import add_link

    with _open(settings) as dms:
        g = graph_for(dms)
        source, target = node_for(dms, g, a), node_for(dms, g, b)
        link_id = add_link(dms, source, target, kind, reason)
    emit(as_json, {"id": link_id, "from": source, "to": target, "type": kind, "by": settings.user},
         lambda d: click.echo(f"link {d['id']}: {d['from']} -{d['type']}-> {d['to']} (by {d['by']})"))


@link_group.command("remove")
@click.argument("link_id", type=int)
@click.option("--reason", required=True, help="Why the link is wrong (kept on record).")
@home_option
@as_option
@json_option
def link_remove(link_id, reason, settings, as_json):
    """Remove a link made by hand; the link stays on record with who removed it, when and why."""
    from dms.graph.manual import remove_link

    with _open(settings) as dms:
        remove_link(dms, link_id, reason)
    emit(as_json, {"id": link_id, "removed_by": settings.user},
         lambda d: click.echo(f"link {d['id']} removed by {d['removed_by']}"))


@link_group.command("list")
@click.option("--all", "include_removed", is_flag=True, help="Include removed links.")
@home_option
@json_option
def link_list(include_removed, settings, as_json):
    """Links made by hand, with who made them and why."""
    with _open(settings) as dms:
        rows = dms.catalog.manual_links(include_removed)

    def human(d):
        for r in d["links"]:
            gone = f"  REMOVED by {r['removed_by']} {r['removed_at'][:10]}: {r['removal_reason']}" if r["removed_at"] else ""
            click.echo(f"{r['id']}: {r['source']} -{r['type']}-> {r['target']}  by {r['created_by']} "
                       f"{r['created_at'][:10]}: {r['reason']}{gone}")

    emit(as_json, {"total": len(rows), "links": rows}, human)


@cli.group("graph")
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
    from dms.graph import graph_for, node_for
    from dms.graph.export import write

    with _open(settings) as dms:
        g = graph_for(dms)
        nodes, edges = write(g, node_for(dms, g, ref) if ref else None, radius, fmt, output)
    emit(as_json, {"output": output, "format": fmt, "nodes": nodes, "edges": edges},
         lambda d: click.echo(f"wrote {d['nodes']} nodes and {d['edges']} links to {d['output']}"))


@cli.group()
def sample():
    """The sample release archive of a fictional manufacturer."""


@sample.command("generate")
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--scale", default=1, show_default=True, help="Multiply the number of documents (about 170 x N).")
@click.option("--seed", default=2022, show_default=True)
@json_option
def sample_generate(out, scale, seed, as_json):
    """Write the sample archive (and its ground truth .dms-ground-truth.json) to OUT."""
    from dms.samplegen import generate

    truth = generate(out, scale=scale, seed=seed)
    emit(as_json, {"out": out, "files": len(truth["files"])},
         lambda d: click.echo(f"wrote {d['files']} files to {d['out']}"))


def main() -> None:
    cli(prog_name="dms")
