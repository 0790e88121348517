"""The `dms` command: a thin layer over the library. Every command takes --json."""

from __future__ import annotations

import re
import sys

import click

from dms import errors
from dms.cli.common import emit, home_option, json_option, open_archive, progress_bar
from dms.cli.registry import LazyGroup  # the commands of the other dms/cli modules, imported when used
from dms.display import shown

QUERY_HELP = """Search the archive.

\b
QUERY syntax:
  kettle lid                  documents with both words (AND is implied)
  kettle lid hinge cracked    3 or more words: documents with all of them first, then all but one,
                              then the rest (best matches first within each)
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
  *                           every document (with --as-of DATE: all the archive held on DATE)

Snippets mark hits with <mark>…</mark> and name the page they come from.

A query typed as a person types it never fails for a slip: an unclosed quote or bracket, a trailing ?,
a misplaced * or a dangling OR is read as plain words and a note says so; common words of a question
("what did we agree about the lid hinge?") are left out; operators are AND, OR, NOT in capitals (lowercase
and/or/not are words of a sentence). --strict refuses a slip instead and requires every word.
"""


class DmsGroup(LazyGroup):
    """Turns library errors into a message and the exit code of their class."""

    def invoke(self, ctx):
        from dms.graph import BEHIND_NOTE

        note: dict = {}
        token = BEHIND_NOTE.set(note)  # marked by graph_for, wherever the command asks for links
        try:
            return self._invoke(ctx)
        finally:
            BEHIND_NOTE.reset(token)
            if note.get("behind"):
                click.echo("note: another process is writing the catalog (an ingest?): links from its latest changes "
                           "may be missing; ask again when it is done", err=True)

    def _invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except errors.DmsError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(errors.exit_code(exc))
        except UnicodeEncodeError as exc:  # an argument with bytes that are not UTF-8, met where text is needed
            if "surrogates" not in exc.reason:
                raise
            missing = errors.NotFound(f"nothing in the archive is named {shown(exc.object)} (it holds bytes that are "
                                      "not UTF-8)")
            click.echo(f"Error: {missing}", err=True)
            ctx.exit(errors.exit_code(missing))


@click.group(cls=DmsGroup)
@click.version_option(package_name="dms")
def cli():
    """dms: document management and cross-reference indexing for product coordinators."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--follow-symlinks", is_flag=True, help="Follow symbolic links that lead out of PATHS (never to "
              "/proc, /sys, /dev or to FIFOs and devices). Without it they are listed as problems, not followed.")
@home_option
@json_option
def ingest(paths, follow_symlinks, settings, as_json):
    """Store, extract and index the files under PATHS (incremental: unchanged files are skipped)."""
    from dms.cli import intake as cli_intake
    from dms.ingest.pipeline import ingest as run_ingest

    with open_archive(settings) as dms:
        with progress_bar("ingesting", as_json) as progress:
            report = run_ingest(dms, paths, on_progress=progress, follow_symlinks=follow_symlinks or None)

    def human(r):
        click.echo(f"added {r['added']}, updated {r['updated']}, unchanged {r['unchanged']}, "
                   f"duplicates {r['duplicates']}, attachments {r['attachments']}, "
                   f"no extractor {r['unsupported']}, problems {len(r['problems'])} in {r['seconds']:.1f} s")
        for line in cli_intake.describe_ocr(r["ocr"]):
            click.echo(line)
        if r.get("repaired"):
            click.echo(f"repaired {r['repaired']} damaged stored original(s) from their intact source (audit: repair)")
        for p in r["problems"]:
            click.echo(f"  {p['severity']}: {shown(p['path'])}: {shown(p['reason'])}")
        if r["problems"]:
            click.echo("see `dms problems` for the full list")

    emit(as_json, report.to_dict(), human)


@cli.command(help=QUERY_HELP)
@click.argument("query")
@click.option("--limit", default=10, show_default=True, help="Hits per page.")
@click.option("--page", default=1, show_default=True, help="Page of results.")
@click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]), default="relevance", show_default=True)
@click.option("--as-of", "as_of", metavar="DATE", help="Only what the archive held on DATE (YYYY-MM-DD), each "
              "document number at the revision then in force.")
@click.option("--strict", is_flag=True, help="Read the query language strictly: a slip (an unclosed quote, a "
              "misplaced wildcard) is an error (exit 2), and every word is required.")
@home_option
@json_option
def search(query, limit, page, sort, as_of, strict, settings, as_json):
    from dms.search import search as search_archive

    with open_archive(settings) as dms:
        results = search_archive(dms, query, limit=limit, page=page, sort=sort, as_of=as_of, forgiving=not strict)
    if as_json:
        emit(True, results.to_dict(), None)
        return
    first = (page - 1) * limit + 1
    click.echo(f"{results.total} document(s)" + (f", showing {first}-{first + len(results.hits) - 1}"
                                                   if results.hits else ""))
    if results.notice:
        click.echo(f"note: {shown(results.notice)}")
    if results.ranked:
        click.echo(f"ranked by how many of {shown(' '.join(results.ranked))} they hold (all first)")
    if results.did_you_mean:
        click.echo(f"did you mean: {shown(results.did_you_mean)}")
    import html  # here: only search output needs it (dms --help, dms trace start without it)

    bold = ("\x1b[1m", "\x1b[0m") if sys.stdout.isatty() else ("[", "]")
    for hit in results.hits:
        click.echo(f"\n[{hit.id}] {shown(hit.title)}  ({hit.type}, {hit.date or 'undated'}, score {hit.score})")
        click.echo(f"     {shown(hit.path)}")
        if hit.snippet:  # the text between the marks escaped, the marks the terminal's bold
            marks = {"<mark>": bold[0], "</mark>": bold[1]}
            marked = "".join(marks.get(part) or shown(html.unescape(part))
                             for part in re.split(r"(</?mark>)", hit.snippet))
            click.echo(f"     p.{hit.page}: {marked}")
    if results.facets:
        click.echo("")
        for name, counts in results.facets.items():
            if counts:
                click.echo(f"{name}: " + ", ".join(f"{shown(k)} ({v})" for k, v in list(counts.items())[:8]))


@cli.command()
@click.argument("ref")
@click.option("--text/--no-text", default=True, help="Print the extracted text (human output).")
@click.option("--as-of", "as_of", metavar="DATE", help="The document as of DATE: a number without revision gives "
              "the revision in force then; a document not yet in the archive then is not found.")
@home_option
@json_option
def show(ref, text, as_of, settings, as_json):
    """Show one document: REF is an id, a path, an identifier (SPEC-KX200-03 Rev B) or a SHA-256 prefix."""
    from dms.documents import show as run_show
    from dms.records import status

    with open_archive(settings) as dms:
        data = run_show(dms, ref, as_of=as_of)
        data["record"] = status(dms, data["id"])

    def human(d):
        click.echo(f"[{d['id']}] {shown(d['title'])}")
        for key in ("path", "stored_path", "sha256", "type", "date", "number", "revision", "products", "parties",
                    "references", "status", "format", "pages"):
            value = d[key]
            if isinstance(value, list):
                value = ", ".join(value)
            if value not in (None, ""):
                click.echo(f"  {key:12} {shown(value)}")
        if d["date_source"]:
            click.echo(f"  {'date from':12} {d['date_source']}")
        ocr = d["ocr"]
        if ocr and ocr["ocr_pages"]:
            conf = f", mean confidence {ocr['confidence']:.0f}%" if ocr["confidence"] is not None else ""
            click.echo(f"  {'OCR text':12} page(s) {', '.join(map(str, ocr['ocr_pages']))}{conf}")
        if ocr and ocr["needs_ocr"]:
            click.echo(f"  NEEDS OCR    page(s) {', '.join(map(str, ocr['needs_ocr']))} (`dms ocr` recognises them)")
        if ocr and ocr["failed"]:
            click.echo(f"  OCR failed   page(s) {', '.join(map(str, ocr['failed']))} (`dms ocr --retry-failed`)")
        rec = d["record"]
        if rec.get("retired_at"):
            click.echo(f"  RETIRED {rec['retired_at']} by {shown(rec['retired_by'])}: {shown(rec['retire_reason'])}")
        if rec.get("purged_at"):
            click.echo(f"  PURGED {rec['purged_at']} by {shown(rec['purged_by'])}: only the tombstone (hashes) is left")
        if rec.get("holds"):
            click.echo(f"  ON LEGAL HOLD: {shown(', '.join(rec['holds']))}")
        for p in d["problems"]:
            click.echo(f"  {p['severity']}: {shown(p['reason'])}")
        if d["duplicates"]:
            click.echo("  same bytes at: " + ", ".join(map(shown, d["duplicates"])))
        if d["attachments"]:
            click.echo("  attachments: " + ", ".join(f"[{a['id']}] {shown(a['name'])}" for a in d["attachments"]))
        for c in d["citations"]:
            where = "title" if c["page"] == 0 else f"p.{c['page']}"
            click.echo(f"  cites {shown(c['identifier'])} ({where}): …{shown(c['snippet'])}…")
        if len(d["versions"]) > 1:
            click.echo("  versions: " + ", ".join(f"{x['version']} ({x['ingested_at']})" for x in d["versions"]))
        if text and d["text"]:
            for n, page in enumerate(d["text"].split("\f"), start=1):  # line by line: no control reaches the terminal
                lines = page.strip().expandtabs().split("\n")
                click.echo(f"\n--- page {n} ---\n" + "\n".join(shown(line) for line in lines))

    emit(as_json, data, human)


@cli.command()
@click.option("--all", "include_old", is_flag=True, help="Include problems of superseded versions.")
@home_option
@json_option
def problems(include_old, settings, as_json):
    """List files that could not be read (fully), with the reason. Their originals are kept."""
    with open_archive(settings) as dms:
        rows = dms.catalog.problems(include_old=include_old)

    def human(items):
        if not items:
            click.echo("no problems")
        for p in items:  # escaped: a newline in a file name must not forge a line
            click.echo(f"[{p['id'] or '-'}] {p['severity']} {p['kind']}: {shown(p['path'])}\n"
                       f"      {shown(p['reason'])}")

    emit(as_json, {"total": len(rows), "problems": rows}, lambda d: human(d["problems"]))


@cli.command()
@home_option
@json_option
def reindex(settings, as_json):
    """Rebuild the search index from the catalog alone (bounded memory)."""
    import time

    with open_archive(settings) as dms:
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

    with open_archive(settings) as dms:
        report = run_verify(dms)

    def human(r):
        click.echo(("OK" if r["ok"] else "FAILED") + f": {r['checked']} stored originals checked, "
                   f"{len(r['problems'])} problem(s)")
        for p in r["problems"]:
            click.echo(f"  {p['kind']}: {p['message']}")
        for note in r["notes"]:
            click.echo(f"  note: {note}")
        if r["audit"].get("head"):
            head = r["audit"]["head"]
            click.echo(f"  audit log: {r['audit']['entries']} entries, head {head['id']} {head['hash']}")

    emit(as_json, report.to_dict(), human)
    if not report.ok:
        sys.exit(errors.exit_code(errors.IntegrityError()))


@cli.command()
@home_option
@json_option
def stats(settings, as_json):
    """Counts of documents, versions, problems, and where the data directory is."""
    with open_archive(settings) as dms:
        data = {"home": str(settings.home), **dms.catalog.stats()}
        data["index_engine"] = dms.backend.name
        data["index_bytes"] = dms.backend.size_bytes() if not dms.backend.needs_rebuild() else 0
        from dms.ocr.pages import count_done, count_waiting

        data["ocr_pages"] = count_done(dms.catalog)
        data["needs_ocr_pages"] = count_waiting(dms.catalog)[0]

    def human(d):
        click.echo(f"data directory  {d['home']}")
        for key in ("documents", "duplicates", "attachments", "versions", "pages", "ocr_pages", "needs_ocr_pages",
                    "problems", "stored_bytes", "index_bytes"):
            click.echo(f"{key:15} {d[key]:,}")
        click.echo("by type         " + ", ".join(f"{k} {v}" for k, v in d["by_type"].items()))

    emit(as_json, data, human)


@cli.group()
def sample():
    """The sample release archive of a fictional manufacturer."""


@sample.command("generate")
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--scale", default=1, show_default=True,
              help="Multiply the number of documents (about 157 x N, plus 24 planning files).")
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
