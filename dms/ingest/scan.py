"""What ingest may read: the regular files of the trees it was given, and why it leaves anything else.

A symbolic link is followed only to a regular file or folder inside the tree it was met in (the real path
of the folder the user named, which may itself be a link: their choice); one leading out of the tree is a
problem, or with `follow_symlinks` followed, never to /proc, /sys or /dev and never to a FIFO, socket or
device. A link to a folder inside the tree is not walked twice: its files are met at their real place.
Unreadable folders, FIFOs, sockets and devices are problems too; nothing here opens a file. Nothing under
/proc, /sys or /dev is ever read or walked, even when named (or reached through a link to /). A link whose
target cannot even be resolved is a problem, never the end of the scan.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dms.display import to_text
from dms.errors import UsageError
from dms.store import kind_of

SKIPPED_NAMES = (".", "~$")  # hidden files, Office lock files
SYSTEM_FOLDERS = ("/proc", "/sys", "/dev")  # never followed into, even with follow_symlinks


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str  # absolute, as the file system names it (bytes that are not UTF-8 as surrogate escapes)
    size: int
    mtime_ns: int
    read_from: str = ""  # what to open: the real path of a symbolic link followed, else `path`
    dev: int = 0  # the file the scan saw; another one found there when reading is not read
    ino: int = 0

    @property
    def key(self) -> str:
        """The catalog's name of the file (`dms.display.to_text`)."""
        return to_text(self.path)


@dataclass(frozen=True, slots=True)
class PathProblem:
    path: str  # catalog text form
    kind: str  # unreadable | symlink | special
    severity: str
    reason: str

    def to_dict(self) -> dict:
        return {"path": self.path, "kind": self.kind, "severity": self.severity, "reason": self.reason}


@dataclass(slots=True)
class Scan:
    files: list[SourceFile]
    skipped: int = 0  # by name
    problems: list[PathProblem] = field(default_factory=list)
    walked: list[str] = field(default_factory=list)  # folders walked in full (text form)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def is_system(real: str) -> bool:
    return any(_inside(real, system) for system in SYSTEM_FOLDERS)


def resolve(path: str) -> tuple[str | None, str]:
    """(the real path, "") or, when it cannot be resolved (a link into /proc/1/root, a folder whose links
    cannot be read), (None, why): Python's realpath raises what readlink raises, even when not strict."""
    try:
        return os.path.realpath(path), ""
    except (OSError, ValueError) as exc:
        return None, getattr(exc, "strerror", None) or str(exc)


def pinned_root(path: str | Path) -> str:
    """The real path of a folder or file a person named, refused when it lies in a system folder."""
    real, why = (str(path), "") if is_system(str(path)) else resolve(str(path))
    if real is None:
        raise UsageError(f"{to_text(str(path))} cannot be resolved ({why}): not read")
    if is_system(real):
        where = "" if real == str(path) else f" leads to {to_text(real)}, which"
        raise UsageError(f"{to_text(str(path))}{where} is in a system folder: dms never reads it")
    return real


class Tree(str):
    """A folder path that carries the real path it had when pinned (dms watch: when the watch started), so a
    folder later replaced by a link to elsewhere is not followed there."""

    real: str

    def __new__(cls, path: str, real: str) -> Tree:
        tree = super().__new__(cls, path)
        tree.real = real
        return tree


class _Scanner:
    def __init__(self, follow_symlinks: bool):
        self.follow = follow_symlinks
        self.found: dict[str, SourceFile] = {}
        self.out = Scan([])
        self.visited: set[tuple[int, int]] = set()  # folders walked, so that links never loop

    def problem(self, path: str, kind: str, reason: str, severity: str = "warning") -> None:
        self.out.problems.append(PathProblem(to_text(path), kind, severity, reason))

    def add(self, path: str, st: os.stat_result, read_from: str) -> None:
        self.found[path] = SourceFile(path, st.st_size, st.st_mtime_ns, read_from, st.st_dev, st.st_ino)

    def walk(self, top: str, tree: str, real: str | None = None) -> None:
        stack = [(top, real or tree)]  # (folder, its real path)
        while stack:
            folder, real = stack.pop()
            if is_system(real):
                self.problem(folder, "symlink", f"leads into {to_text(real)}, a system folder: never walked")
                continue
            try:
                st = os.stat(folder)
                if (st.st_dev, st.st_ino) in self.visited:
                    continue
                self.visited.add((st.st_dev, st.st_ino))
                with os.scandir(folder) as it:
                    entries = sorted(it, key=lambda e: e.name, reverse=True)
            except OSError as exc:
                self.problem(folder, "unreadable", f"the folder could not be read, so nothing in it was ingested: "
                             f"{exc.strerror or exc}", "error")
                continue
            for entry in entries:
                self.entry(entry.path, tree, entry, stack, real)

    def entry(self, path: str, tree: str, entry: os.DirEntry | None = None,
              stack: list[tuple[str, str]] | None = None, real_dir: str = "") -> None:
        """One path met inside `tree` (a real path): a file to read, a folder to walk, or a problem."""
        name = os.path.basename(path)
        try:
            st = entry.stat(follow_symlinks=False) if entry is not None else os.lstat(path)
        except OSError as exc:
            if not isinstance(exc, FileNotFoundError):  # gone since it was listed: nothing to say
                self.problem(path, "unreadable", f"the file could not be examined: {exc.strerror or exc}", "error")
            return
        if stat.S_ISDIR(st.st_mode):
            if stack is not None and not name.startswith("."):
                stack.append((path, os.path.join(real_dir, name)))  # not a link: its real path follows its parent's
            return
        if name.startswith(SKIPPED_NAMES):
            self.out.skipped += 1
        elif stat.S_ISLNK(st.st_mode):
            self.link(path, tree, stack)
        elif stat.S_ISREG(st.st_mode):
            self.add(path, st, path)
        else:
            self.problem(path, "special", f"not a regular file ({kind_of(st.st_mode)}): not read")

    def link(self, path: str, tree: str, stack: list[tuple[str, str]] | None) -> None:
        real, why = resolve(path)
        if real is None:
            try:
                target = f" to {to_text(os.readlink(path))}"
            except OSError:
                target = ""
            return self.problem(path, "symlink", f"symbolic link{target} that cannot be resolved ({why}): "
                                "not followed")
        shown = to_text(real)
        if is_system(real):
            return self.problem(path, "symlink", f"symbolic link to {shown}, a system folder: never followed")
        if not _inside(real, tree) and not self.follow:
            return self.problem(path, "symlink", f"symbolic link to {shown}, outside the ingested folder: not "
                                "followed (dms ingest --follow-symlinks, or DMS_FOLLOW_SYMLINKS=1 for dms watch)")
        try:
            st = os.stat(real)
        except OSError as exc:
            return self.problem(path, "symlink", f"symbolic link to {shown}, which cannot be reached "
                                f"({exc.strerror or exc}): not followed")
        if stat.S_ISREG(st.st_mode):
            self.add(path, st, real)
        elif stat.S_ISDIR(st.st_mode):
            if stack is not None and not _inside(real, tree):  # a folder in the tree is walked at its real place
                stack.append((path, real))
        else:
            self.problem(path, "special", f"symbolic link to {shown}, not a regular file ({kind_of(st.st_mode)}): "
                         "not followed")


def scan(paths: Iterable[str | Path], follow_symlinks: bool = False,
         within: Iterable[str | Path] | None = None) -> Scan:
    """Every regular file under the given paths, sorted, with what was skipped and why.

    Without `within`, the paths are what a person named: folders walked as trees, files read as named.
    With `within` (watched folders), the paths are ones met inside those folders and are judged as such."""
    scanner = _Scanner(follow_symlinks)
    if within is not None:
        trees = []  # (the watched folder, its real path: pinned when the watch started, if it was; its real path now)
        for t in within:
            now = resolve(str(t))[0]
            trees.append((os.path.abspath(t), t.real if isinstance(t, Tree) else now, now))
        for path in map(os.path.abspath, paths):
            top, tree, now = next(((top, real, now) for top, real, now in trees if _inside(path, top)),
                                  (None, None, None))
            if top is None:
                scanner.problem(path, "symlink", "outside the watched folders: not read")
            elif tree is None or now != tree:
                scanner.problem(path, "symlink", f"the watched folder {to_text(top)} no longer leads to the "
                                f"folder watched ({to_text(tree or '?')}): not read (restart dms watch to watch it)")
            elif not follow_symlinks and not _inside(resolve(os.path.dirname(path))[0] or "", tree):
                scanner.problem(path, "symlink", "in a folder reached through a symbolic link out of the watched "
                                "folder: not read")
            else:
                scanner.entry(path, tree)
    else:
        paths = list(paths)
        roots = [os.path.abspath(Path(p).expanduser()) for p in paths]
        reals = []
        for path, root in zip(paths, roots):  # every root judged before any is read
            if isinstance(path, Tree):  # a watched folder, pinned: if it has gone, that is a problem below
                reals.append(path.real)
                continue
            reals.append(pinned_root(root))
            if not os.path.exists(reals[-1]):
                raise UsageError(f"no such file or directory: {to_text(root)}")
        for root, real in zip(roots, reals):
            now, why = resolve(root)
            if now != real:  # a watched folder replaced since the watch started (or unresolvable now)
                scanner.problem(root, "symlink", f"no longer leads to the folder watched ({to_text(real)}) but to "
                                f"{to_text(now) if now else why}: not read (restart dms watch to watch it)")
                continue
            try:
                st = os.stat(real)  # the paths named may be symbolic links: the user's choice
            except OSError as exc:
                scanner.problem(root, "unreadable", f"could not be examined: {exc.strerror or exc}", "error")
                continue
            if stat.S_ISDIR(st.st_mode):
                scanner.walk(root, real)
                scanner.out.walked.append(to_text(root))
            elif stat.S_ISREG(st.st_mode):
                scanner.add(root, st, real)
            else:
                scanner.problem(root, "special", f"not a regular file ({kind_of(st.st_mode)}): not read")
    scanner.out.files = sorted(scanner.found.values(), key=lambda f: f.path)
    return scanner.out
