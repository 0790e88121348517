"""The table of built-in extractors (dms.ingest.extractors.MODULES) and what the workers' fork server imports:
every parser up front for a large ingest, only the core for a few files (each worker then imports the parsers of
the files it meets)."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO, run_json, write_docx, write_pdf, write_xlsx

from dms.ingest import extractors, pool
from dms.ingest.pipeline import PRELOAD_ALL_FROM, pool_preload
from dms.ingest.registry import _REGISTRY, supported_kinds

HEAVY = ("docx", "openpyxl", "pypdf", "pypdfium2", "PIL", "pptx", "mammoth", "nh3", "extract_msg", "odf")


def test_the_table_names_each_kind_that_each_module_registers():
    for found in pkgutil.iter_modules(extractors.__path__):  # every module of the package, in the table or not
        importlib.import_module(f"{extractors.__name__}.{found.name}")
    assert sorted(_REGISTRY) == sorted(extractors.MODULES) == supported_kinds()
    for kind, module in extractors.MODULES.items():
        assert type(_REGISTRY[kind]).__module__ == f"dms.ingest.extractors.{module}", kind


def test_the_core_a_small_ingest_preloads_holds_no_parser_library():
    code = ("import sys; from dms.ingest import pool; [__import__(m) for m in pool.CORE]; "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert loaded.stdout.strip() == "[]"
    assert pool_preload(PRELOAD_ALL_FROM - 1) == pool.CORE
    assert pool_preload(PRELOAD_ALL_FROM) == pool.PRELOAD
    assert pool_preload(1, lasting=True) == pool.PRELOAD  # a server or a watch: its fork server serves every run
    assert set(extractors.NAMES) <= set(pool.PRELOAD)


def test_a_few_files_of_every_kind_are_read_by_workers_that_import_their_parsers_themselves(home, inbox):
    """A fresh `dms ingest` process (its fork server is started by this run, with the core only)."""
    write_pdf(inbox / "spec.pdf", ["Lid seal specification SPEC-KX200-02"])
    write_docx(inbox / "minutes.docx", ["Minutes: CR-2023-014 approved"])
    write_xlsx(inbox / "returns.xlsx", {"Returns": [["month", "units"], ["March", 12]]})
    (inbox / "note.txt").write_text("Call the supplier about the seal")
    report = run_json(home, "ingest", str(inbox))
    assert report["added"] == 4 and report["problems"] == []
    for word, name in (("SPEC-KX200-02", "spec.pdf"), ("approved", "minutes.docx"), ("March", "returns.xlsx"),
                       ("supplier", "note.txt")):
        assert [Path(h["path"]).name for h in run_json(home, "search", word)["hits"]] == [name], word
