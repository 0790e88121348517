"""What follow-up reads from the archive's text (action items, messages), kept while the archive is unchanged.

The start page asks for follow-ups on every visit; reading every minutes and message again each time grows with
the archive. A reading is kept per data directory and name, keyed by the cross-reference graph's stamp (which
changes with every ingest, metadata edit, OCR, retirement, party change) and the rules' [followup] section.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from dms.app import Dms

T = TypeVar("T")
_memo: dict[tuple[str, str], tuple[tuple, object]] = {}
_lock = threading.Lock()


def remembered(dms: Dms, name: str, read: Callable[[Dms], T]) -> T:
    """read(dms), or what it gave last time for this archive and name if nothing it reads has changed."""
    from dms.graph.stamp import stamp

    key = (str(dms.settings.home), name)
    current = (stamp(dms), repr(dms.rules.plans), repr(dms.rules.date_order), dms.rules.date_languages)
    with _lock:
        kept = _memo.get(key)
    if kept is not None and kept[0] == current:
        return kept[1]
    value = read(dms)
    with _lock:
        if len(_memo) > 64:  # many data directories in one process (tests): keep memory flat
            _memo.clear()
        _memo[key] = (current, value)
    return value
