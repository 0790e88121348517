"""`dms rules check PATH`: what the rules make of a folder, before anything is ingested.

Every file under PATH is listed by the same scan ingest uses (no links out of the tree, no FIFOs or devices,
nothing under /proc, /sys or /dev) and read in the same extraction workers, under the same size, time and
memory bounds; its metadata is derived with the rules given (a rules file, else the archive's rules.toml,
else the built-in rules). Nothing is written: no catalog, no store, no index. The result is the coverage of
each field and the files where a field is missing or doubtful, so rules.toml can be tuned first.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from dms.config import Settings
from dms.display import to_text
from dms.errors import ConfigError
from dms.ingest.pool import ExtractPool
from dms.ingest.scan import SourceFile, scan
from dms.ingest.worker import Task
from dms.model import Extraction, Problem
from dms.rules import Rules, default_rules_text, load_rules, parse_rules

CHECKED = ("number", "revision", "date", "type", "products")  # the fields whose coverage is counted


@dataclass(frozen=True, slots=True)
class RulesInUse:
    rules: Rules
    name: str  # the file they come from, or "built-in rules"
    sha256: str  # of the rules file's text (the built-in text when there is none)


def rules_in_use(settings: Settings, rules_file: str | Path | None = None) -> RulesInUse:
    """The rules of `rules_file` (over the built-in ones, as an archive's rules.toml is read), else those of
    the archive. A missing, unreadable or malformed file is a ConfigError naming it."""
    if rules_file is None:
        path = settings.rules_path
        if not path.is_file():
            text = default_rules_text()
            return RulesInUse(load_rules(None), "built-in rules", _sha(text))
    else:
        path = Path(rules_file)
        if not path.is_file():
            raise ConfigError(f"rules file {to_text(str(path))} does not exist (or is not a file)")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"rules file {to_text(str(path))} cannot be read: {exc}") from None
    import tomllib

    rules = parse_rules(text, to_text(str(path)), base=tomllib.loads(default_rules_text()))
    return RulesInUse(rules, to_text(str(path)), _sha(text))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def read_files(settings: Settings, rules: Rules, files: Iterable[SourceFile], workers: int | None = None
               ) -> Iterator[tuple[SourceFile, Extraction]]:
    """Each file read and derived in the extraction workers (DMS_EXTRACT_TIMEOUT, DMS_WORKER_MEMORY_MB,
    DMS_MAX_FILE_MB, DMS_MAX_TEXT_MB), in the order they finish; nothing is stored."""
    max_bytes, max_chars = int(settings.max_file_mb * 1_000_000), int(settings.max_text_mb * 1_000_000)
    count = max(1, workers or settings.workers)
    window = 16 * count  # files in flight: enough to keep the workers busy, few pages held at once
    with ExtractPool(count, rules, settings.extract_timeout, settings.worker_memory_mb) as pool:
        for src in files:
            changed = _changed_since_scan(src)
            if changed:
                yield src, Extraction("failed", problems=(Problem("changed", changed),))
                continue
            pool.submit(src, Task(blob=Path(src.read_from or src.path), path=src.key, size=src.size,
                                  max_bytes=max_bytes, max_text_chars=max_chars))
            while pool.in_flight >= window:
                yield pool.next_result()
        yield from pool.results()


def _changed_since_scan(src: SourceFile) -> str | None:
    """Why the file the scan saw is no longer the one there (replaced by a FIFO, a device, another file)."""
    try:
        st = os.stat(src.read_from or src.path)
    except OSError as exc:
        return f"the file could not be examined: {exc.strerror or exc}"
    if not stat.S_ISREG(st.st_mode):
        return "no longer a regular file: not read"
    if src.ino and (st.st_dev, st.st_ino) != (src.dev, src.ino):
        return "replaced by another file since it was listed: not read"
    return None


def doubt(ex: Extraction, field: str) -> str | None:
    source = (ex.sources or {}).get(field)
    return source.get("doubtful") if isinstance(source, dict) else None


def _value(ex: Extraction, field: str):
    return {"number": ex.number, "revision": ex.revision, "date": ex.doc_date,
            "type": None if ex.doc_type in (None, "other") else ex.doc_type, "products": ex.products}[field]


def check(settings: Settings, path: str | Path, rules_file: str | Path | None = None,
          on_progress: Callable[[int, int], None] | None = None) -> dict:
    """Coverage of each field over the files under `path`, and the files missing each field or doubtful."""
    started = time.monotonic()
    used = rules_in_use(settings, rules_file)
    found = scan([path], settings.follow_symlinks)
    total = len(found.files)
    counts = dict.fromkeys(CHECKED, 0)
    missing: dict[str, list[str]] = {f: [] for f in CHECKED}
    doubtful: dict[str, list[dict]] = {f: [] for f in CHECKED}
    not_read: list[dict] = [{"path": p.path, "reason": p.reason} for p in found.problems]
    read = numbered = done = 0
    for src, ex in read_files(settings, used.rules, found.files):
        done += 1
        if on_progress:
            on_progress(done, total)
        if ex.status != "ok":
            reasons = "; ".join(p.reason for p in ex.problems) or (ex.meta or {}).get("note", ex.status)
            not_read.append({"path": src.key, "reason": reasons})
            continue
        read += 1
        numbered += ex.number is not None
        for field in CHECKED:
            if field == "revision" and ex.number is None:
                continue  # a revision is counted among the numbered files
            if _value(ex, field):
                counts[field] += 1
            else:
                missing[field].append(src.key)
            why = doubt(ex, field)
            if why:
                doubtful[field].append({"path": src.key, "reason": why})
    coverage = {}
    for field in CHECKED:
        of = numbered if field == "revision" else read
        coverage[field] = {"count": counts[field], "of": of,
                           "percent": round(100 * counts[field] / of, 1) if of else None}
    for listing in (*missing.values(), not_read):
        listing.sort(key=lambda x: x if isinstance(x, str) else x["path"])
    for listing in doubtful.values():
        listing.sort(key=lambda x: x["path"])
    return {"path": to_text(str(path)), "rules": used.name, "rules_sha256": used.sha256, "files": total,
            "read": read, "numbered": numbered, "coverage": coverage, "missing": missing, "doubtful": doubtful,
            "not_read": not_read, "skipped": found.skipped, "seconds": round(time.monotonic() - started, 3)}
