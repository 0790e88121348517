"""A throwaway PostgreSQL cluster for the tests: initdb in a temporary folder, a free port, a unix socket, no TCP.

One cluster per test process (xdist worker), started the first time a test asks for PostgreSQL and stopped at the
end of the session. Each test gets a database of its own (`Cluster.new_database`); the ones the `pg_url` and
`database_url` fixtures make are dropped at the test's end (`Cluster.drop`). The cluster's folder is in memory
(/dev/shm) when there is room (`cluster_parent`): a database is ~13 MB of files written and deleted, and on this
kind of virtual disk (ext4 with discard) creating one took 0.2-0.35 s against 0.03 s in memory, and deleting 250
of them at the end of a session 16 s. A killed run's clusters are swept by the next run (`sweep_abandoned`).
PostgreSQL refuses to run as root: as root (CI, this machine) the server runs as `nobody` through setpriv. The
binaries are Debian's (`apt-get install postgresql`, which scripts/test does when they are missing): on PATH or
under /usr/lib/postgresql/<version>/bin.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return versions[-1].parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


RAM_FOLDER = Path("/dev/shm")
RAM_ROOM = 4 << 30  # bytes free in RAM_FOLDER to put a cluster there (one holds up to ~1.2 GB, most of it WAL)


def cluster_parent() -> Path | None:
    """Where clusters are made: $DMS_TEST_PG_DIR if set, else /dev/shm when it is a writable folder with RAM_ROOM
    free (a container's is often 64 MB), else None: the system's temporary folder. Only the database server
    writes there: no dms code reads a file in it (dms refuses to read files under /dev)."""
    chosen = os.environ.get("DMS_TEST_PG_DIR")
    if chosen:
        return Path(chosen)
    try:
        room = os.statvfs(RAM_FOLDER)
    except OSError:
        return None
    if os.access(RAM_FOLDER, os.W_OK | os.X_OK) and room.f_bavail * room.f_frsize >= RAM_ROOM:
        return RAM_FOLDER
    return None


def _as_server_user() -> list[str]:
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"] if os.geteuid() == 0 else []


@dataclass
class Cluster:
    folder: Path
    port: int
    bin: Path
    _numbers: itertools.count = field(default_factory=lambda: itertools.count(1))
    _admin: object = None  # a psycopg connection to `postgres` (autocommit) for new_database, opened on first use
    _admin_pid: int = 0
    _template: str | None = None  # the database new_catalog_database copies (dms's schema, no rows), once built

    @property
    def socket_dir(self) -> Path:
        return self.folder / "sock"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://dms@/{database}?host={self.socket_dir}&port={self.port}"

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run one statement with psql (as the cluster's superuser `dms`) and return its output."""
        done = subprocess.run(
            ["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", str(self.socket_dir), "-p", str(self.port),
             "-U", "dms", "-d", database, "-c", statement],
            capture_output=True, text=True, timeout=60,
        )
        if done.returncode:
            raise RuntimeError(f"psql failed: {statement}: {done.stderr.strip()}")
        return done.stdout.strip()

    def new_database(self, prefix: str = "t") -> str:
        """A new empty database (C collation, as dms requires); returns its URL. Every PostgreSQL test asks for
        one: over a connection kept open for it (0.1 s) rather than a psql process each time (0.4 s)."""
        name = f"{prefix}_{os.getpid()}_{next(self._numbers)}"
        self._admin_connection().execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'")
        return self.url(name)

    def new_catalog_database(self, prefix: str = "t") -> str:
        """A new database holding dms's current schema and nothing else, exactly what the first open of an empty
        database builds (Alembic 0001: tables, indexes, triggers; no rows), copied from a template built once per
        cluster: a copy takes 0.1-0.2 s, building costs the test process SQLAlchemy's and Alembic's import (1 s of
        CPU) and the server a few seconds under load. For tests of everything but that first open (which take
        `new_database`)."""
        if self._template is None:
            from dms.catalog import open_catalog

            url = self.new_database("catalog_template")
            open_catalog(url).close()
            self._template = url.split("/")[3].split("?")[0]
        name = f"{prefix}_{os.getpid()}_{next(self._numbers)}"
        self._admin_connection().execute(f"CREATE DATABASE {name} TEMPLATE {self._template}")
        return self.url(name)

    def drop(self, url: str) -> None:
        """Drop the database of `url` (made by new_database or new_catalog_database), closing what is still
        connected to it; best effort: a database left behind goes with the cluster."""
        name = url.split("/")[3].split("?")[0]
        try:
            self._admin_connection().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        except Exception:  # noqa: BLE001 - cleanup only: the test's own result stands either way
            pass

    def _admin_connection(self):
        import psycopg

        if self._admin is None or self._admin.closed or self._admin_pid != os.getpid():  # not one a fork inherited
            self._admin, self._admin_pid = psycopg.connect(self.url(), autocommit=True), os.getpid()
        return self._admin

    def stop(self) -> None:
        if self._admin is not None and self._admin_pid == os.getpid():
            self._admin.close()
        stop_server(self.bin, self.folder)
        shutil.rmtree(self.folder, ignore_errors=True)


OWNER = "owner.pid"  # in a cluster's folder: the test process it belongs to and its host name


def stop_server(bin_dir: Path, folder: Path) -> None:
    """Stop the server of the cluster in `folder` at once (it is throwaway: no shutdown checkpoint)."""
    subprocess.run([*_as_server_user(), str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-m", "immediate",
                    "stop"], capture_output=True, timeout=60)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_abandoned(parent: Path, bin_dir: Path) -> list[Path]:
    """Stop the server of, and delete, every cluster under `parent` whose test process is gone (a run killed
    before its session ended: the server, a daemon, outlives it, and in /dev/shm its files hold memory until the
    machine restarts). A folder without an owner file, of another host (a container sharing /dev/shm) or whose owner
    is alive is left alone."""
    swept = []
    for folder in parent.glob("dms-pg-*"):
        try:
            pid, host = (folder / OWNER).read_text().split()
            owner = int(pid)
        except (OSError, ValueError):
            continue
        if host != socket.gethostname() or alive(owner):  # another machine's (a shared /dev/shm), or in use
            continue
        if (folder / "data" / "postmaster.pid").exists():
            stop_server(bin_dir, folder)
        shutil.rmtree(folder, ignore_errors=True)
        swept.append(folder)
    return swept


def start_cluster() -> Cluster:
    """initdb, start on a free port with a unix socket only; durability off (throwaway), ~3 s. Clusters of test
    processes that were killed are swept first (sweep_abandoned)."""
    bin_dir = binaries()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL is not installed (apt-get install postgresql; scripts/test does it)")
    parent = cluster_parent()
    sweep_abandoned(parent or Path(tempfile.gettempdir()), bin_dir)
    # not under pytest's own temporary folders: they are closed to other users, and the server runs as nobody
    folder = Path(tempfile.mkdtemp(prefix="dms-pg-", dir=parent))
    (folder / OWNER).write_text(f"{os.getpid()} {socket.gethostname()}\n")
    (folder / "sock").mkdir()
    os.chmod(folder, 0o755)
    if os.geteuid() == 0:
        shutil.chown(folder, "nobody", "nogroup")
        shutil.chown(folder / "sock", "nobody", "nogroup")
    run_as = _as_server_user()
    subprocess.run([*run_as, str(bin_dir / "initdb"), "-D", str(folder / "data"), "-U", "dms", "--auth=trust",
                    "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"], check=True, capture_output=True, timeout=120)
    port = _free_port()
    # the socket for its owner only (root reaches it too). WAL is left at its default (up to 1 GB between
    # checkpoints): 64 or 256 MB made the PostgreSQL-heavy tests 5-10 % slower; hence RAM_ROOM's 4 GB
    options = (f"-p {port} -k {folder / 'sock'} -c listen_addresses='' -c unix_socket_permissions=0700 "
               "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    started = subprocess.run([*run_as, str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-l",
                              str(folder / "server.log"), "-w", "-t", "120", "-o", options, "start"],
                             capture_output=True, text=True, timeout=180)
    if started.returncode:
        log = (folder / "server.log").read_text(errors="replace") if (folder / "server.log").exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {started.stderr.strip()} {log[-2000:]}")
    return Cluster(folder, port, bin_dir)
