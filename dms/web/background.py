"""What the web server's background threads share (the notice courier, the link keeper): a daemon thread over
the server's state that works in rounds until the server stops."""

from __future__ import annotations

import threading

from dms.web.state import WebState

STOP_WAIT = 60  # seconds stop() waits for the thread to end its round


class Background:
    """Subclasses define `_run`, which loops until `self._stop` is set, adding one to `rounds` after each round."""

    name = "dms-background"

    def __init__(self, state: WebState):
        self.state = state
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self.rounds = 0  # finished rounds (tests wait on it)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(STOP_WAIT)

    def _run(self) -> None:
        raise NotImplementedError
