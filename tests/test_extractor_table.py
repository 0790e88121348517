"""The table of built-in extractors (dms.ingest.extractors.MODULES) and what the workers' fork server imports:
every parser up front for a large ingest, only the core for a few files (each worker then imports the parsers of
the files it meets)."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO, write_docx, write_pdf, write_xlsx

from dms.ingest import extractors, pool
from dms.ingest.pipeline import PRELOAD_ALL_FROM, ingest, pool_preload
from dms.ingest.registry import _REGISTRY, supported_kinds

HEAVY = ("docx", "openpyxl", "pypdf", "pypdfium2", "PIL", "pptx", "mammoth", "nh3", "extract_msg", "odf")


def test_the_table_names_each_kind_that_each_module_registers():
    kinds = supported_kinds()  # imports every module of the table
    assert kinds == sorted(extractors.MODULES)
    for kind, module in extractors.MODULES.items():
        assert type(_REGISTRY[kind]).__module__ == f"dms.ingest.extractors.{module}", kind


def test_the_core_a_small_ingest_preloads_holds_no_parser_library():
    code = ("import sys; from dms.ingest import pool; [__import__(m) for m in pool.CORE]; "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert loaded.stdout.strip() == "[]"
    assert pool_preload(PRELOAD_ALL_FROM - 1) == pool.CORE
    assert pool_preload(PRELOAD_ALL_FROM) == pool.PRELOAD
    assert set(extractors.NAMES) <= set(pool.PRELOAD)


def test_a_few_files_of_every_kind_are_read_by_workers_that_import_their_parsers_themselves(dms, inbox):
    write_pdf(inbox / "spec.pdf", ["Lid seal specification SPEC-KX200-02"])
    write_docx(inbox / "minutes.docx", ["Minutes: CR-2023-014 approved"])
    write_xlsx(inbox / "returns.xlsx", {"Returns": [["month", "units"], ["March", 12]]})
    (inbox / "note.txt").write_text("Call the supplier about the seal")
    report = ingest(dms, [inbox])
    assert report.added == 4 and report.problems == []
    read = {name: dms.catalog.document_at_path(str(inbox / name)).version for name in
            ("spec.pdf", "minutes.docx", "returns.xlsx", "note.txt")}
    assert {name: (v.kind, v.status) for name, v in read.items()} == {
        "spec.pdf": ("pdf", "ok"), "minutes.docx": ("docx", "ok"), "returns.xlsx": ("xlsx", "ok"),
        "note.txt": ("text", "ok")}
