"""Extracted text is bounded: a document keeps at most DMS_MAX_TEXT_MB of text (with a warning problem), no
page is huge, and a report table with a giant cell cannot make the main process read it whole.

Bounds are tested with small limits set here, never with huge files.
"""

from __future__ import annotations

import io
import multiprocessing as mp
import threading
import time
import tracemalloc
import zipfile
from pathlib import Path

from conftest import run_json
from openpyxl import Workbook

from dms.app import Dms
from dms.config import load_settings
from dms.ingest.extractors.text import _stream, paginate
from dms.ingest.pipeline import ingest
from dms.ingest.pool import CHUNK_CHARS, _Pages, _receive, _send
from dms.ingest.textbound import PAGE_CHARS
from dms.model import Extraction
from dms.retro import for_product
from dms.store import sha256_file


def words_text(chars: int, first: str = "", last: str = "") -> str:
    """Lines of plain words, `first` near the start and `last` at the very end."""
    line = "gasket hinge kettle thermostat filter spout voltage torque housing lid\n"
    body = line * (chars // len(line))
    return f"Long test log\n{first}\n{body}{last}\n"


def test_text_over_the_bound_is_truncated_with_a_warning_and_the_kept_part_is_searchable(home, inbox):
    big = inbox / "log.txt"
    big.write_text(words_text(300_000, first="kestrel", last="zeppelin"))
    note = "A short note about the zeppelin hangar\n" + words_text(40_000)  # within the bound: kept whole
    (inbox / "note.txt").write_text(note)
    env = {"DMS_MAX_TEXT_MB": "0.05"}  # 50,000 characters
    report = run_json(home, "ingest", str(inbox), env=env)
    assert report["added"] == 2
    [cut] = report["problems"]
    assert cut["kind"] == "truncated" and cut["severity"] == "warning"
    assert "text truncated at 0.050 MB of 0.300 MB (DMS_MAX_TEXT_MB)" in cut["reason"]
    assert "the original is kept whole" in cut["reason"]

    listed = run_json(home, "problems")["problems"]
    assert [p["kind"] for p in listed if p["path"] == str(big)] == ["truncated"]
    shown = run_json(home, "show", str(big))
    assert [p["kind"] for p in shown["problems"]] == ["truncated"]
    assert 45_000 < len(shown["text"].replace("\f", "")) <= 50_000  # cut at a line end just before the bound
    assert shown["text"].endswith("\n")
    assert shown["sha256"] == sha256_file(big) and Path(shown["stored_path"]).read_bytes() == big.read_bytes()

    assert [h["path"] for h in run_json(home, "search", "kestrel")["hits"]] == [str(big)]  # in the kept part
    assert [h["path"] for h in run_json(home, "search", "zeppelin")["hits"]] == [str(inbox / "note.txt")]
    assert run_json(home, "show", str(inbox / "note.txt"))["text"].replace("\f", "") == note


def test_pages_of_a_big_plain_text_file_are_bounded_and_keep_every_character(dms, inbox):
    text = words_text(int(PAGE_CHARS * 3.5), last="zeppelin") + "\fAppendix\n" + "x" * (PAGE_CHARS + 10)
    (inbox / "big.txt").write_text(text)
    ingest(dms, [inbox])
    [doc] = dms.catalog.all_documents()
    pages = dms.catalog.pages(doc.version.id)
    assert len(pages) == 6 and doc.version.page_count == 6  # 4 of the words, then the appendix in 2
    assert all(len(p) <= PAGE_CHARS for p in pages)
    assert all(p.endswith("\n") for p in pages[:3])  # cut at line ends
    assert "\f".join(["".join(pages[:4]), "".join(pages[4:])]) == text


def test_a_large_text_file_is_read_a_chunk_at_a_time_into_the_same_pages(tmp_path):
    text = ("Zeile mit Umlauten äöü und Grüßen\r\n" * 9_000 + "\f" + "ein Wort " * 40_000) * 2
    path = tmp_path / "big.txt"
    path.write_bytes(text.encode("cp1252"))
    streamed = list(_stream(path, "cp1252"))
    assert streamed == list(paginate(text.replace("\r\n", "\n")))
    assert len(streamed) > 4 and max(map(len, streamed)) <= PAGE_CHARS


NS = b"http://schemas.openxmlformats.org"
SHARED_STRINGS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                  b'<sst xmlns="' + NS + b'/spreadsheetml/2006/main" count="1" uniqueCount="1">'
                  b'<si><t>GIANT-CELL</t></si></sst>')
STRINGS_TYPE = (b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
STRINGS_REL = (b'<Relationship Id="rIdStrings" Type="' + NS + b'/officeDocument/2006/relationships/sharedStrings" '
               b'Target="sharedStrings.xml"/></Relationships>')


def test_a_long_text_travels_from_the_worker_in_bounded_messages():
    pages = tuple(f"page {n} " + "word " * (PAGE_CHARS // 5 - 2) for n in range(30))  # 3 million characters
    result = Extraction("ok", kind="text", pages=pages, title="long")
    worker_end, main_end = mp.Pipe()
    sender = threading.Thread(target=_send, args=(worker_end, "key", result))
    sender.start()
    messages = []
    while isinstance(msg := main_end.recv(), _Pages):
        messages.append(msg)
    sender.join()
    assert len(messages) >= 3 and all(sum(map(len, m.pages)) <= CHUNK_CHARS + PAGE_CHARS for m in messages)
    assert msg == ("key", Extraction("ok", kind="text", pages=(), title="long"))  # the text went ahead of it

    sender = threading.Thread(target=_send, args=(worker_end, "key", result))
    sender.start()
    assert _receive(main_end) == ("key", result)
    sender.join()


def huge_cell_xlsx(path: Path, cell_chars: int, product: str = "KX200") -> Path:
    """A real report workbook (period, product, sold) with one giant cell in its shared string table, as Excel
    writes text cells: a few kilobytes on disk, `cell_chars` characters once decompressed."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Sales"
    ws.append(["Period", "Product", "Sold", "Remark"])
    ws.append(["2023-01", product, 120, "GIANT-CELL"])
    ws.append(["2023-02", product, 130, "fine"])
    raw = io.BytesIO()
    wb.save(raw)
    giant = b"lorem " * (cell_chars // 6)
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                inline = b'<c r="D2" t="inlineStr"><is><t>GIANT-CELL</t></is></c>'
                assert inline in data
                data = data.replace(inline, b'<c r="D2" t="s"><v>0</v></c>')
            elif info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", STRINGS_TYPE)
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", STRINGS_REL)
            out.writestr(info.filename, data)
        out.writestr("xl/sharedStrings.xml", SHARED_STRINGS.replace(b"GIANT-CELL", giant))
    return path


def test_a_giant_xlsx_cell_is_cut_in_the_worker_with_a_problem(home, inbox):
    book = huge_cell_xlsx(inbox / "sales-2023.xlsx", 3_000_000)
    assert book.stat().st_size < 100_000
    started = time.monotonic()
    report = run_json(home, "ingest", str(inbox), env={"DMS_MAX_TEXT_MB": "0.1"})
    assert time.monotonic() - started < 30
    kinds = {p["kind"]: p for p in report["problems"]}
    assert "cell(s) over Excel's 32,767 characters were cut" in kinds["limit"]["reason"]
    assert "3,000,000 characters, on sheet Sales" in kinds["limit"]["reason"]
    text = run_json(home, "show", str(book))["text"]
    assert len(text) < 40_000 and "2023-02 | KX200 | 130 | fine" in text


def test_figures_of_a_giant_cell_workbook_are_not_read_whole_in_the_main_process(tmp_path, inbox):
    giant = huge_cell_xlsx(inbox / "sales-2023.xlsx", 3_000_000)
    huge_cell_xlsx(inbox / "sales-vl310.xlsx", 3_000, product="VL310")  # within the bound: its figures are read
    settings = load_settings(environ={"DMS_WORKERS": "1", "DMS_MAX_TEXT_MB": "0.5", "DMS_OCR": "0"},
                             home=tmp_path / "home")
    with Dms(settings) as app:
        ingest(app, [inbox])
        started = time.monotonic()
        tracemalloc.start()
        try:
            figures = for_product(app, "KX200")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert time.monotonic() - started < 5
        assert peak < 1_000_000  # the 3 MB cell was never read into this process
        assert figures == {}
        doc = app.catalog.document_at_path(str(giant))
        found = [p for p in app.catalog.problems(doc_id=doc.id) if p["kind"] == "limit" and "figures" in p["reason"]]
        [problem] = found
        assert problem["severity"] == "warning"
        assert "xl/sharedStrings.xml is 3.0 MB uncompressed, over the 0.5 MB bound (DMS_MAX_TEXT_MB)" in \
            problem["reason"]
        assert for_product(app, "KX200") == {}  # read once: the problem is not added again
        assert len([p for p in app.catalog.problems(doc_id=doc.id) if "figures" in p["reason"]]) == 1
        within = for_product(app, "VL310")
    assert within["2023-01"]["sold"]["value"] == 120 and within["2023-02"]["sold"]["value"] == 130
