"""The web server's courier: notices left in the outbox (a crash, a mail server that was down) are delivered
when `dms serve` starts and every DMS_NOTICE_RETRY seconds while it runs.

When several `dms serve` processes share a catalog, one courier delivers: each round, a courier without the
claim (dms.catalog.outbox.claim_courier) tries to take it and does nothing while another process holds it; the
claim is let go when the server stops or its process ends, and another courier takes it at its next round."""

from __future__ import annotations

import logging

from dms.catalog import outbox
from dms.changes.notify import deliver_pending
from dms.web.background import Background
from dms.web.state import WebState

log = logging.getLogger("dms.notices")


class Courier(Background):
    name = "dms-notice-courier"

    def __init__(self, state: WebState):
        super().__init__(state)
        self._release = None  # lets the claim go; None while another process delivers
        self._claimed_by = None  # the archive (its connection) that holds the claim

    @property
    def delivers(self) -> bool:
        """Whether this courier holds the claim (this process delivers the notices)."""
        return self._release is not None

    def _claim(self) -> bool:
        archive = self.state.dms()
        if self._release is not None and self._claimed_by is not archive:  # the archive was opened again
            self._let_go()
        if self._release is None:
            self._release = outbox.claim_courier(archive.catalog, self.state.settings.home / "courier.lock")
            self._claimed_by = archive if self._release is not None else None
        return self._release is not None

    def _let_go(self) -> None:
        release, self._release, self._claimed_by = self._release, None, None
        if release is not None:
            release()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    if self._claim() and outbox.notices(self.state.dms().catalog, pending_only=True):
                        for notice in self.state.write(deliver_pending):
                            if notice.delivered_at is None:
                                log.warning("notice %s not delivered yet: %s", notice.name, notice.last_error)
                except Exception:  # the courier keeps going; the notice stays in the outbox for the next round
                    log.exception("delivering the notices of the outbox failed")
                self.rounds += 1
                self._stop.wait(self.state.settings.notice_retry)
        finally:
            self._let_go()
