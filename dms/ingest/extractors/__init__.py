"""Built-in extractors, by the kinds each reads.

A module is imported when a file of its kind is first met (`dms.ingest.registry.extractor_for`), so a worker
that reads a few text files never loads the PDF and office libraries. For a large ingest the workers' fork
server imports them all once instead (`dms.ingest.pool.PRELOAD`). A new format: a module here that calls
`register()`, and its kinds below (tests/test_extractor_table.py checks that the two agree).
"""

from __future__ import annotations

import importlib

MODULES = {  # kind -> the module of this package that registers its extractor
    "csv": "text", "docx": "docx", "eml": "email", "html": "html", "image": "image", "markdown": "text",
    "msg": "msg", "ods": "odf", "odt": "odf", "pdf": "pdf", "pptx": "pptx", "rtf": "rtf", "text": "text",
    "xlsx": "sheet",
}
NAMES = tuple(f"{__name__}.{module}" for module in sorted(set(MODULES.values())))


def load(kind: str | None = None) -> None:
    """Import the module that reads `kind` (every built-in module when None); each registers itself."""
    for module in NAMES if kind is None else [f"{__name__}.{MODULES[kind]}"] if kind in MODULES else []:
        importlib.import_module(module)
