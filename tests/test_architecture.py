"""The house keeps its plan (docs/architecture.md): dms's modules import each other without a circle, the open
archive (`dms.app.Dms`) sits at the bottom, and every error raised to users is defined in dms/errors.py.

The import graph is read from the source with the ast module, as Python runs it when a module is first imported:
statements at module level (also inside `if`, `try`, `with` and class bodies), never inside functions, and
never inside `if TYPE_CHECKING:` (imports for type hints only). `from pkg import sub` where `sub` is a module
depends on that module (and on `pkg`, unless `pkg` contains the importer: Python has it under way already);
`from pkg import Name` depends on `pkg` itself, whose `__init__` must have run to hold `Name`.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from conftest import REPO

# Modules that take the open archive but must not need dms.app to be imported first: it imports none of them,
# yet they were once part of a circle around it, and the search door is new.
TYPING_ONLY_DMS = ("dms.asof", "dms.documents", "dms.graph", "dms.graph.stamp", "dms.graph.sync", "dms.search")

# Exceptions defined outside dms/errors.py: internal signals, each caught before it reaches a user.
# name -> (what it signals, the modules besides its own that may use it, each of which turns it into a problem,
# a finding, a DmsError or a fallback).
LOCAL_SIGNALS: dict[str, tuple[str, frozenset[str]]] = {
    "dms.store.NotRegularFile": ("a scanned path is no regular file, or changed under the reader",
                                 frozenset({"dms.ingest.pipeline"})),
    "dms.store.StillGrowing": ("a file still being written: read on the next run", frozenset()),
    "dms.ingest.registry.ExtractionFailed": ("an extractor cannot read a file: ingest records a problem",
                                             frozenset({"dms.ingest.worker"} | {f"dms.ingest.extractors.{m}" for m in (
                                                 "docx", "email", "image", "msg", "odf", "pdf", "pptx", "rtf",
                                                 "sheet")})),
    "dms.ocr.engine.OcrFailed": ("OCR of a page failed: the page is queued again or marked",
                                 frozenset({"dms.ocr.phase", "dms.ocr.render", "dms.ocr.task"})),
    "dms.preview.images.PreviewFailed": ("a preview cannot be drawn: the page shows none",
                                         frozenset({"dms.preview.html", "dms.preview.task", "dms.preview.words"})),
    "dms.learn.store.Unusable": ("a learned model file cannot be used: suggestions fall back",
                                 frozenset({"dms.learn"})),
    "dms.retro.metrics.TooLarge": ("a table or calendar too large to read: the retrospective, plan or supply "
                                   "finding says so", frozenset({"dms.plans.sheets", "dms.supply.evidence",
                                                                 "dms.supply.ics", "dms.supply.tables"})),
    "dms.plans.units.UnknownUnit": ("a cell's unit is unknown: a PlanError or supply finding names the cell",
                                    frozenset({"dms.plans.workbook", "dms.supply.cells", "dms.web.planform"})),
    "dms.plans.numbers.NotANumber": ("a cell is no number: a PlanError or supply finding names the cell",
                                     frozenset({"dms.plans.workbook", "dms.supply.cells", "dms.web.planform"})),
    "dms.plans.numbers.Ambiguous": ("a number written two ways at once (1.234): named in the finding",
                                    frozenset({"dms.supply.cells"})),
    "dms.supply.cells.BadCell": ("a supply sheet cell cannot be read: the finding names it",
                                 frozenset({"dms.supply.tables"})),
    "dms.supply.cells.AmbiguousCell": ("a supply sheet cell reads two ways: the finding names it",
                                       frozenset({"dms.supply.tables"})),
    "dms.catalog.changes._Undo": ("the end of a trial write: rolls it back", frozenset()),
    "dms.supply.recur.Unsupported": ("a calendar recurrence dms does not expand: the finding says so",
                                     frozenset({"dms.supply.ics"})),
    "dms.web.linkkeeper.Stopped": ("the server stops: the link keeper leaves a derivation between two steps",
                                   frozenset()),
}


# -- reading the source ----------------------------------------------------------------------------------------

def modules(package: Path) -> dict[str, Path]:
    """Every module of the package under `package` (a folder with __init__.py), by dotted name."""
    out = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


@cache
def _parsed(text: str, filename: str) -> ast.Module:
    return ast.parse(text, filename)


def parse(path: Path) -> ast.Module:
    """The module's syntax tree (each text parsed once per run: several checks read the whole package)."""
    return _parsed(path.read_text(), str(path))


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def module_level(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements Python runs when the module is imported."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if not _type_checking(node):
                yield from module_level(node.body)
            yield from module_level(node.orelse)
        elif isinstance(node, ast.Try | ast.TryStar):
            for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                yield from module_level(block)
        elif isinstance(node, ast.With | ast.ClassDef):
            yield from module_level(node.body)


def anywhere(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement the module may run, at import or later inside a function (type hints aside)."""
    for node in body:
        if isinstance(node, ast.If) and _type_checking(node):
            yield from anywhere(node.orelse)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        else:
            yield from anywhere([n for n in ast.iter_child_nodes(node) if isinstance(n, ast.stmt)])


def _absolute(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def dependencies(importer: str, path: Path, known: dict[str, Path], reader=module_level) -> set[str]:
    """The modules of `known` that importing `importer` makes Python import first."""
    out: set[str] = set()

    def chain(name: str, itself: bool = True) -> None:
        """name and the packages above it; a package containing the importer is under way already."""
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            mod = ".".join(parts[:i])
            above_importer = importer == mod or importer.startswith(mod + ".")
            if mod in known and (not above_importer or (itself and i == len(parts) and mod != importer)):
                out.add(mod)

    for node in reader(parse(path).body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                chain(alias.name, itself=False)
            continue
        source = _absolute(importer, path.name == "__init__.py", node)
        for alias in node.names:
            if f"{source}.{alias.name}" in known:  # from pkg import submodule
                chain(f"{source}.{alias.name}")
                chain(source, itself=False)
            else:  # from module import Name: the module must have run
                chain(source)
    out.discard(importer)
    return out


def import_graph(package: Path, reader=module_level) -> dict[str, set[str]]:
    """Module -> the modules it imports: at import time (module_level), or also later (anywhere)."""
    known = modules(package)
    return {name: dependencies(name, path, known, reader) for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle per strongly connected group of modules (Tarjan), as a path that returns to its start."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_circle(graph, group) for group in groups]


def _circle(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & group):
                if w == start:
                    return paths[v] + [start]
                if w not in paths:
                    paths[w] = paths[v] + [w]
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"no circle through {start}")  # a strongly connected group always has one


# -- the rules of the house -------------------------------------------------------------------------------------

def test_the_modules_of_dms_import_each_other_without_a_circle():
    found = cycles(import_graph(REPO / "dms"))
    assert not found, "import circles (module level):\n" + "\n".join(" -> ".join(c) for c in found)


def test_the_open_archive_is_imported_for_type_hints_only_by_the_doors_that_take_it():
    graph = import_graph(REPO / "dms")
    assert not {m for m in TYPING_ONLY_DMS if "dms.app" in graph[m]}
    # ... and nothing dms.app imports ever needs dms.app back, not even inside a function called later
    assert not [c for c in cycles(import_graph(REPO / "dms", anywhere)) if "dms.app" in c]


def test_the_import_reader_sees_circles_and_only_circles(tmp_path):
    """The checks above cannot pass for want of seeing: a made-up package with one real circle and the
    imports that only look like one."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "from pkg.sub import helper\n",
        "a.py": "from pkg import b\n",  # a -> b -> a: a circle
        "b.py": "import pkg.a\n",
        "c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.d import D\n",
        "d.py": "import pkg.c\n\ndef later():\n    from pkg import d2\n",  # function level: no edge
        "d2.py": "from pkg import d\n",
        "sub/__init__.py": "from pkg.sub import helper\nfrom pkg.sub.inner import thing\n",
        "sub/helper.py": "from pkg.sub import inner\n",  # the package is under way: no circle
        "sub/inner.py": "thing = 1\n",
        "e.py": "from pkg.f import F\n",
        "f.py": "class F:\n    from pkg import e\n",  # class bodies run at import: e -> f -> e
    }
    for name, text in files.items():
        (pkg / name).write_text(text)
    graph = import_graph(pkg)
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.b"] == {"pkg.a"}
    assert graph["pkg.c"] == set() and graph["pkg.d"] == {"pkg.c"}
    assert import_graph(pkg, anywhere)["pkg.d"] == {"pkg.c", "pkg.d2"}  # d -> d2 -> d, later
    assert graph["pkg.sub.helper"] == {"pkg.sub.inner"} and graph["pkg"] == {"pkg.sub", "pkg.sub.helper"}
    assert sorted(sorted(c) for c in cycles(graph)) == [
        ["pkg.a", "pkg.a", "pkg.b"], ["pkg.e", "pkg.e", "pkg.f"]]
    (pkg / "sub" / "inner.py").write_text("from pkg.sub import helper\n")  # from a package, a name it imports
    assert ["pkg.sub.helper", "pkg.sub.inner", "pkg.sub.helper"] in cycles(import_graph(pkg))


# -- errors -----------------------------------------------------------------------------------------------------

def exception_classes(package: Path) -> dict[str, list[str]]:
    """Every exception class defined in the package: qualified name -> qualified names of its bases."""
    known = modules(package)
    classes: dict[str, list[str]] = {}
    for mod, path in known.items():
        tree = parse(path)
        names = {}  # what a bare name in this module refers to
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and not node.level:
                for alias in node.names:
                    names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    names[alias.asname or alias.name] = alias.name
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                names.setdefault(node.name, f"{mod}.{node.name}")
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                classes[f"{mod}.{node.name}"] = [_qualified(b, names) for b in node.bases]
    def is_exception(name: str, seen: frozenset = frozenset()) -> bool:
        builtin = getattr(builtins, name, None)
        if isinstance(builtin, type) and issubclass(builtin, BaseException):
            return True
        return name not in seen and any(is_exception(b, seen | {name}) for b in classes.get(name, ()))
    return {name: bases for name, bases in classes.items() if is_exception(name)}


def _qualified(base: ast.expr, names: dict[str, str]) -> str:
    if isinstance(base, ast.Name):
        return names.get(base.id, base.id)
    if isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name):
        return f"{names.get(base.value.id, base.value.id)}.{base.attr}"
    return ast.unparse(base)


def _ancestors(name: str, classes: dict[str, list[str]]) -> set[str]:
    out, todo = set(), [name]
    while todo:
        for base in classes.get(todo.pop(), ()):
            if base not in out:
                out.add(base)
                todo.append(base)
    return out


def test_every_error_raised_to_users_is_defined_in_errors_py():
    classes = exception_classes(REPO / "dms")
    elsewhere = {n for n in classes if not n.startswith("dms.errors.")}
    user_facing = {n for n in elsewhere if "dms.errors.DmsError" in _ancestors(n, classes)}
    assert not user_facing, "DmsError subclasses belong in dms/errors.py"
    unlisted, gone = sorted(elsewhere - set(LOCAL_SIGNALS)), sorted(set(LOCAL_SIGNALS) - elsewhere)
    assert not unlisted, f"define in dms/errors.py, or list in LOCAL_SIGNALS if never raised to users: {unlisted}"
    assert not gone, f"listed in LOCAL_SIGNALS but no longer defined: {gone}"


def test_internal_signals_stay_where_they_are_listed_and_are_caught_there():
    classes = exception_classes(REPO / "dms")
    names = {mod: _names(parse(path)) for mod, path in modules(REPO / "dms").items()}
    problems = []
    for name, (_, scope) in LOCAL_SIGNALS.items():
        home, _, short = name.rpartition(".")
        package, _, last = home.rpartition(".")
        users = {mod for mod, (imported, attributes, _) in names.items() if mod != home and (
            (home, short) in imported
            or any((value, short) in attributes for value in {alias for (m, n), alias in imported.items()
                                                              if (m, n) in ((package, last), (home, None))}))}
        if not users <= scope:
            problems.append(f"{name} is used beyond where it is listed: {sorted(users - scope)}")
        catchers = {c.rpartition(".")[2] for c in (name, *_ancestors(name, classes))}
        if not any(names[mod][2] & catchers for mod in {home, *scope}):
            problems.append(f"{name} is never caught where it is used")
    assert not problems, "\n".join(problems)


def _names(tree: ast.Module) -> tuple[dict[tuple[str, str | None], str], set[tuple[str, str]], set[str]]:
    """What a module imports ((module, name or None for the whole module) -> local alias), the attributes it
    reads of a plain name ((name, attribute)), and the class names its `except` clauses catch."""
    imported: dict[tuple[str, str | None], str] = {}
    attributes: set[tuple[str, str]] = set()
    caught: set[str] = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom) and not n.level:
            imported.update({(n.module or "", a.name): a.asname or a.name for a in n.names})
        elif isinstance(n, ast.Import):
            imported.update({(a.name, None): a.asname or a.name for a in n.names})
        elif isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name):
            attributes.add((n.value.id, n.attr))
        elif isinstance(n, ast.ExceptHandler) and n.type is not None:
            caught |= {_short(t) for t in _types(n.type)}
    return imported, attributes, caught


def _types(node: ast.expr) -> list[ast.expr]:
    return list(node.elts) if isinstance(node, ast.Tuple) else [node]


def _short(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
