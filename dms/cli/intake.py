"""`dms ocr` (scanned pages waiting for OCR) and `dms watch` (folders ingested as files arrive)."""

from __future__ import annotations

import click

from dms.cli.common import emit, home_option, json_option, open_archive, progress_bar
from dms.display import shown


def describe_ocr(r: dict | None) -> list[str]:
    """Lines for a person: what OCR did in a run, or why scanned pages still wait."""
    if not r:
        return []
    lines = []
    if r.get("pages") or r.get("failed"):
        conf = f" (mean confidence {r['confidence']:.0f}%)" if r.get("confidence") is not None else ""
        failed = f", {r['failed']} failed (see `dms problems`)" if r.get("failed") else ""
        lines.append(f"OCR: {r['pages']} page(s) recognised{conf}{failed} in {r.get('seconds', 0):.1f} s")
    if r.get("waiting"):
        lines.append(f"OCR: {r['waiting']} scanned page(s) in {r['waiting_documents']} document(s) need OCR: "
                     f"{r['why_waiting']}. They are stored, catalogued and found by name meanwhile; "
                     "`dms ocr` recognises them.")
    return lines


@click.command("ocr")
@click.option("--retry-failed", is_flag=True, help="Also try again the pages that failed before.")
@click.option("--list", "list_only", is_flag=True, help="Only list the documents with pages waiting for OCR.")
@home_option
@json_option
def ocr_command(retry_failed, list_only, settings, as_json):
    """Recognise the scanned pages that wait for OCR (Tesseract was missing, OCR was off, or with
    --retry-failed, pages that failed). Languages: DMS_OCR_LANGUAGES (default eng)."""
    from dms.errors import ConfigError
    from dms.locks import ingest_lock
    from dms.ocr import pages, phase

    with open_archive(settings) as dms:
        if list_only:
            waiting: dict[int, list[int]] = {}
            for w in pages.waiting(dms.catalog, retry_failed):
                waiting.setdefault(w.doc_id, []).append(w.page_no)
            data = [{"id": doc_id, "path": dms.catalog.document(doc_id).path, "pages": numbers}
                    for doc_id, numbers in waiting.items()]
            emit(as_json, {"documents": data}, lambda d: click.echo("\n".join(
                f"[{x['id']}] {shown(x['path'])}  pages {', '.join(map(str, x['pages']))}" for x in d["documents"])
                or "no pages wait for OCR"))
            return
        with ingest_lock(dms.settings), progress_bar("OCR (pages)", as_json) as progress:
            report = phase.run(dms, retry_failed=retry_failed, on_progress=progress)
        if report.why_waiting:  # nothing was changed
            raise ConfigError(f"cannot OCR: {report.why_waiting}")
        if report.documents:
            from dms.graph.sync import sync

            sync(dms, brief=True)  # the links of what OCR read
    emit(as_json, report.to_dict(), lambda r: click.echo(
        "\n".join(describe_ocr(r) + [f"  warning: {shown(p['path'])}: {shown(p['reason'])}" for p in r["problems"]])
        or "no pages wait for OCR"))



@click.command("watch")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--settle", default=2.0, show_default=True, help="Seconds a file's size must hold still before it is "
              "read (a file still being copied keeps growing).")
@click.option("--rescan", default=300.0, show_default=True, help="Seconds between full rescans, the safety net for "
              "events that never come (network shares).")
@home_option
@json_option
def watch_command(paths, settle, rescan, settings, as_json):
    """Ingest new and changed files under PATHS as they arrive, until stopped (SIGTERM or Ctrl-C).
    What it does is logged on stderr; with --json, each batch is also printed as one JSON line."""
    import json
    import logging
    import signal
    import threading
    from dataclasses import asdict

    from dms.watch import Watcher

    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with open_archive(settings) as dms:
        def on_batch(report, outcomes):
            if as_json:
                line = {"event": "ingested", "files": [asdict(o) for o in outcomes], "report": report.to_dict()}
                click.echo(json.dumps(line, ensure_ascii=False, default=str))

        dms.ensure_index()
        Watcher(dms, list(paths), settle=settle, rescan=rescan, on_batch=on_batch).run(stop)
    if as_json:
        click.echo(json.dumps({"event": "stopped"}))


COMMANDS = [ocr_command, watch_command]
