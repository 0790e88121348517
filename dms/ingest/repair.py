"""Re-ingesting an intact source repairs its stored original.

A file whose size and mtime are unchanged is normally skipped. It is read again when its stored original
is suspect: listed by the last `dms verify` as altered or missing, or (a cheap stat) missing now or of
the wrong size. Storing its bytes then rewrites the blob (`Store.repair`, atomic); any file whose bytes hash
to a blob that no longer does repairs it the same way. Each repair is an audit entry, action "repair".
"""

from __future__ import annotations

from dms import audit
from dms.auditactions import REPAIR as ACTION
from dms.catalog import health
from dms.catalog.db import KnownFile
from dms.store import Blob, Store


class Repairs:
    def __init__(self, catalog, store: Store, by: str):
        self.catalog, self.store, self.by = catalog, store, by
        self.damaged = health.damaged_blobs(catalog)  # sha -> why, as the last verify found
        self.done = 0

    def suspect(self, prior: KnownFile | None) -> str | None:
        """Why the stored original of an unchanged-looking file must be read again, or None."""
        if prior is None:
            return None
        if prior.sha256 in self.damaged:
            return self.damaged[prior.sha256]
        try:
            size = self.store.path_for(prior.sha256).stat().st_size
        except FileNotFoundError:
            return "the stored original was missing"
        return None if size == prior.size else "the stored original had the wrong size"

    def after_store(self, prior: KnownFile | None, path: str, blob: Blob, suspect: str | None) -> None:
        """Call inside the catalog transaction, once the file's bytes are stored: records a repair if one
        happened (the blob was rewritten, or the suspect original of this file is whole again)."""
        restored = suspect is not None and prior is not None and prior.sha256 == blob.sha256
        if not (blob.repaired or restored):
            return
        reason = self.damaged.get(blob.sha256) or suspect or "its bytes no longer hashed to its name"
        subject = f"doc:{prior.doc_id}" if prior else f"store:{blob.sha256}"
        audit.record(self.catalog, self.by, ACTION, subject, {"path": path, "sha256": blob.sha256, "was": reason})
        health.clear_damaged_blob(self.catalog, blob.sha256)
        self.damaged.pop(blob.sha256, None)
        self.done += 1
