"""Helpers of the tests that race real processes (test_races, test_hold_races, test_pg_together): a free local
port, waiting for a condition while watching the processes that should bring it about, and a real SMTP server."""

from __future__ import annotations

import socket
import subprocess
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def until(condition, what: str, *watched: subprocess.Popen, wait: float = 120, step: float = 0.02) -> None:
    """Wait until `condition()` holds; fail naming `what` after `wait` seconds, or as soon as a watched process
    has exited (with its output)."""
    deadline = time.monotonic() + wait
    while not condition():
        for proc in watched:
            if proc.poll() is not None:
                out, err = proc.communicate()
                raise AssertionError(f"gave up waiting for {what}: {proc.pid} exited {proc.returncode}\n{out}\n{err}")
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {wait} s")
        time.sleep(step)


class Mailbox:
    """A real SMTP server (aiosmtpd) on a free local port, keeping what it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.received: list[str] = []
        received = self.received

        class Sink:
            async def handle_DATA(self, server, session, envelope):
                received.append(envelope.content.decode())
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Sink(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def about(self, number: str) -> list[str]:
        """The notices received about a change request's decision."""
        return [m for m in self.received if f"Decision on change request {number}:" in m]

    def close(self) -> None:
        self.controller.stop()
