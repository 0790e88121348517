"""Worker processes for extraction, with a hard per-task time limit and a memory cap.

A task is one file (`worker.Task`) or one page to OCR (`dms.ocr.task.OcrTask`); it runs itself
(`task.run`) and says what its timeout or a crash means (`timed_out`, `crashed`). Each worker
works on one task at a time, with the next ones waiting in its pipe. A file that runs past its deadline has its
worker killed and replaced, and comes back as a `timeout` problem; a worker that
dies (segfault, out of memory) comes back as `crashed`; the tasks sent to it behind that one
(TASKS_AHEAD) go to the next worker free. Nothing a file does can stop the run.

A collector thread owns the workers: it starts them when the first task comes (so the caller stores
and catalogues the next files while the fork server loads the parsers, and a run with nothing to
read starts no process), hands out queued files and gathers results
while the caller is busy elsewhere (writing the catalog and the index), so the workers
do not sit idle during an index commit. The caller only touches the two queues.

A worker is sent the task alone and answers with the result (and no key): the caller's key (an ingest's
Job) stays in this process, so unpickling a message never imports the caller's modules in a worker.
The fork server imports the parsers once (PRELOAD) and every worker starts with them loaded; a small ingest
asks for CORE only, and each worker imports the parsers its files need.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import threading
import time
import warnings
from collections import deque
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection, wait

from dms.ingest import extractors
from dms.ingest.worker import Task
from dms.model import Extraction
from dms.rules import Rules

TASKS_PER_WORKER = 2000  # recycle workers so a leaky parser cannot grow without bound
# tasks sent to a worker ahead of its results: it starts the next file as soon as it has sent one, instead of
# waiting for the collector thread, which shares this process's GIL with the caller's indexing
TASKS_AHEAD = 3
CHUNK_CHARS = 1_000_000  # a long text travels from a worker in messages of about this many characters
# imported once by the fork server, so no worker (nor a recycled one) imports them again. CORE: what every task
# needs, dateparser among it (dms.ingest.dates reads its month names). PRELOAD: also every extractor with the
# libraries it imports at the top, OCR and previews: about 0.7 s of CPU, paid once instead of in each worker, so
# a large ingest preloads them; a run of a few files starts sooner with CORE, each worker importing only the
# parsers of the files it meets (dms.ingest.extractors.load). The fork server is one per process and lives as long
# as it does: the first pool of a process decides what it preloads (dms.ingest.pipeline.pool_preload: a server or
# a watch asks for everything).
CORE = ["dms.ingest.pool", "dms.ingest.worker", "dateparser.languages.loader"]
PRELOAD = [*CORE, *extractors.NAMES, "dms.ocr.task", "dms.preview.task"]


@dataclass(frozen=True, slots=True)
class _Pages:
    """Some pages of the result that follows, sent ahead of it so no one message holds a whole long text."""

    pages: list[str]


def _send(conn: Connection, key: Hashable, result: object) -> None:
    pages = result.pages if isinstance(result, Extraction) else ()
    if sum(map(len, pages)) <= CHUNK_CHARS:
        conn.send((key, result))
        return
    batch, size = [], 0
    for page in pages:
        batch.append(page)
        size += len(page)
        if size >= CHUNK_CHARS:
            conn.send(_Pages(batch))
            batch, size = [], 0
    if batch:
        conn.send(_Pages(batch))
    conn.send((key, replace(result, pages=())))


def _receive(conn: Connection) -> tuple[Hashable, object]:
    """One result, its pages put back together from the messages sent ahead of it."""
    pages: list[str] = []
    while isinstance(msg := conn.recv(), _Pages):
        pages.extend(msg.pages)
    key, result = msg
    return key, (replace(result, pages=tuple(pages)) if pages else result)


def _worker_main(conn: Connection, rules: Rules, memory_mb: int) -> None:
    # Parsers warn about files they half understand; what matters reaches the catalog as a problem.
    warnings.simplefilter("ignore")
    limit = memory_mb << 20
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):
        pass
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        _send(conn, None, task.run(rules))  # the caller knows which task this answers


@dataclass(slots=True)
class _Slot:
    process: mp.process.BaseProcess
    conn: Connection
    # (key, task) sent to the worker, in order: the first is the one it works on (a Task: one file; or an OCR
    # task: one page), the others wait in its pipe (at most TASKS_AHEAD in all)
    sent: deque = field(default_factory=deque)
    deadline: float = 0.0  # of the first
    done: int = 0


class ExtractPool:
    def __init__(self, workers: int, rules: Rules, timeout: float, memory_mb: int, preload: list[str] = PRELOAD):
        self._ctx = mp.get_context("forkserver")
        self._ctx.set_forkserver_preload(preload)
        self._rules = rules
        self._timeout = timeout
        self._memory_mb = memory_mb
        self._cond = threading.Condition()
        self._queue: deque[tuple[Hashable, Task]] = deque()  # guarded by _cond
        self._done: deque[tuple[Hashable, Extraction]] = deque()  # guarded by _cond
        self._outstanding = 0  # submitted and not yet taken by next_result; guarded by _cond
        self._closing = False
        self._failure: BaseException | None = None
        self._workers = max(1, workers)
        self._slots: list[_Slot] = []  # owned by the collector thread, which starts them
        # started by the first task: a run with nothing to read (every file unchanged) starts no process
        self._thread = threading.Thread(target=self._collector, name="dms-extract-collector", daemon=True)

    # -- the caller's side -------------------------------------------------------------------
    def submit(self, key: Hashable, task: Task) -> None:
        if self._thread.ident is None:
            self._thread.start()
        with self._cond:
            self._queue.append((key, task))
            self._outstanding += 1
            self._cond.notify_all()

    @property
    def in_flight(self) -> int:
        """Files submitted whose results have not been taken yet."""
        with self._cond:
            return self._outstanding

    def next_result(self) -> tuple[Hashable, Extraction]:
        """Block until one submitted file is done (or failed, or timed out) and return it."""
        with self._cond:
            while not self._done:
                if self._failure is not None:
                    raise RuntimeError("the extraction collector failed") from self._failure
                if self._outstanding == 0:
                    raise RuntimeError("next_result() with nothing submitted")
                self._cond.wait(1.0)
            self._outstanding -= 1
            return self._done.popleft()

    def results(self) -> Iterator[tuple[Hashable, Extraction]]:
        """Yield results until nothing is left; tasks submitted meanwhile are picked up."""
        while self.in_flight:
            yield self.next_result()

    def close(self) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._thread.ident is not None:
            self._thread.join()
        for slot in self._slots:
            try:
                slot.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        for slot in self._slots:
            slot.process.join(2)
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join()
            slot.conn.close()

    def __enter__(self) -> ExtractPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the collector thread ----------------------------------------------------------------
    def _spawn(self) -> _Slot:
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(target=_worker_main, args=(child, self._rules, self._memory_mb), daemon=True)
        process.start()
        child.close()
        return _Slot(process, parent)

    def _replace(self, slot: _Slot, kill: bool) -> None:
        if kill:
            slot.process.kill()
        else:
            try:
                slot.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        slot.process.join(5)
        slot.conn.close()
        if slot.sent:  # sent behind the one that failed, never started: queued again, first in line
            with self._cond:
                self._queue.extendleft(reversed(slot.sent))
        fresh = self._spawn()
        slot.process, slot.conn, slot.sent, slot.done = fresh.process, fresh.conn, deque(), 0

    def _collector(self) -> None:
        try:
            while len(self._slots) < self._workers and not self._closing:
                self._slots.append(self._spawn())  # the first waits for the fork server to load the parsers
                self._send_tasks()
            while True:
                with self._cond:
                    while not self._closing and not self._queue and not any(s.sent for s in self._slots):
                        self._cond.wait()
                    if self._closing:
                        return
                self._send_tasks()
                finished = self._collect()
                if finished:
                    with self._cond:
                        self._done.extend(finished)
                        self._cond.notify_all()
        except BaseException as exc:  # surface it in next_result instead of hanging the caller
            with self._cond:
                self._failure = exc
                self._cond.notify_all()

    def _send_tasks(self) -> None:
        """Queued tasks to every worker with fewer than TASKS_AHEAD (the keys stay here, with the slot); none to
        a worker due for recycling beyond what it has."""
        with self._cond:
            handed = []
            for ahead in range(TASKS_AHEAD):  # one to every idle worker first, then one more to each, ...
                for slot in self._slots:
                    if (self._queue and len(slot.sent) == ahead
                            and slot.done + len(slot.sent) < TASKS_PER_WORKER):
                        key, task = self._queue.popleft()
                        if not slot.sent:
                            slot.deadline = time.monotonic() + self._limit(task)
                        slot.sent.append((key, task))
                        handed.append((slot, task))
        for slot, task in handed:
            try:
                slot.conn.send(task)
            except (BrokenPipeError, OSError):
                pass  # noticed as a dead worker when collecting

    def _collect(self) -> list[tuple[Hashable, Extraction]]:
        active = [s for s in self._slots if s.sent]
        if not active:
            return []
        wait_for = max(0.0, min(s.deadline for s in active) - time.monotonic())
        ready = wait([s.conn for s in active], timeout=min(wait_for, 0.5))
        finished = []
        for slot in active:
            if slot.conn in ready:
                key, task = slot.sent.popleft()
                try:
                    _, result = _receive(slot.conn)
                except (EOFError, OSError):
                    finished.append((key, _crashed(slot, task)))
                    self._replace(slot, kill=True)
                    continue
                slot.done += 1
                if slot.sent:  # the worker went on to the next one: its time starts now
                    slot.deadline = time.monotonic() + self._limit(slot.sent[0][1])
                elif slot.done >= TASKS_PER_WORKER:
                    self._replace(slot, kill=False)
                finished.append((key, result))
            elif time.monotonic() > slot.deadline:
                key, task = slot.sent.popleft()
                self._replace(slot, kill=True)
                finished.append((key, task.timed_out(self._limit(task))))
        return finished

    def _limit(self, task) -> float:
        """Seconds a task may take: a file gets DMS_EXTRACT_TIMEOUT, an OCR page its own deadline."""
        return getattr(task, "deadline", None) or self._timeout


class InlinePool:
    """The pool's interface, extracting in this process: for the few small files dms writes itself
    (rendered change requests, notices), where starting workers would cost more than the work."""

    def __init__(self, rules: Rules):
        self._rules = rules
        self._done: deque[tuple[Hashable, Extraction]] = deque()

    def submit(self, key: Hashable, task: Task) -> None:
        self._done.append((key, task.run(self._rules)))

    @property
    def in_flight(self) -> int:
        return len(self._done)

    def next_result(self) -> tuple[Hashable, Extraction]:
        return self._done.popleft()

    def results(self) -> Iterator[tuple[Hashable, Extraction]]:
        while self._done:
            yield self._done.popleft()

    def __enter__(self) -> InlinePool:
        return self

    def __exit__(self, *exc) -> None:
        pass


def _crashed(slot: _Slot, task):
    slot.process.join(1)
    code = slot.process.exitcode
    how = f"exit code {code}" if code is not None and code >= 0 else f"signal {-code}" if code else "unknown cause"
    return task.crashed(how)
