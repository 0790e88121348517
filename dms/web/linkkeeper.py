"""The web server's link keeper: the graph's link rows brought up to date in the background of `dms serve`.

A derivation of every link from scratch (the first start after an upgrade to link rows, other rules) takes half an
hour and more at a million documents. Left to the first request that asks a question, that request would run it to
its end. The keeper begins it as the server starts and takes its steps (dms.graph.rebuild), so requests meanwhile
answer from the rows as they are, with the links-behind note: a question leaves a derivation whose last step is
recent to the process taking them. Then, every KEEP_EVERY seconds, it syncs what changed (another process's
writes), so that a question seldom has to first.

It works on an archive of its own (its own catalog connection) and never takes the server's write lock: link rows
are no index writes, and the catalog's write lock orders it with every other writer, step by step."""

from __future__ import annotations

import logging

from dms.web.background import Background

log = logging.getLogger("dms.links")

KEEP_EVERY = 10.0  # seconds between two syncs of the link rows


class Stopped(Exception):
    """The server stops: a derivation under way is left between two steps (the next sync goes on with it)."""


class LinkKeeper(Background):
    name = "dms-link-keeper"

    def _between_steps(self, done: int, total: int) -> None:
        if self._stop.is_set():
            raise Stopped

    def _run(self) -> None:
        from dms.graph.sync import sync

        while not self._stop.is_set():
            try:
                sync(self.state.dms(), self._between_steps)
            except Stopped:
                return
            except Exception:  # a busy catalog, a lost connection: the next round tries again
                log.exception("bringing the link rows up to date failed; trying again in %g s", KEEP_EVERY)
            self.rounds += 1
            self._stop.wait(KEEP_EVERY)
