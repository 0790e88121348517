"""The web server's courier: notices left in the outbox (a crash, a mail server that was down) are delivered
when `dms serve` starts and every DMS_NOTICE_RETRY seconds while it runs."""

from __future__ import annotations

import logging
import threading

from dms.catalog import outbox
from dms.changes.notify import deliver_pending
from dms.web.state import WebState

log = logging.getLogger("dms.notices")


class Courier:
    def __init__(self, state: WebState):
        self.state = state
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dms-notice-courier", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(60)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if outbox.notices(self.state.dms().catalog, pending_only=True):
                    for notice in self.state.write(deliver_pending):
                        if notice.delivered_at is None:
                            log.warning("notice %s not delivered yet: %s", notice.name, notice.last_error)
            except Exception:  # the courier keeps going; the notice stays in the outbox for the next round
                log.exception("delivering the notices of the outbox failed")
            self._stop.wait(self.state.settings.notice_retry)
