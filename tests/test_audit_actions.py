"""Audit actions have one home, dms.auditactions: every `audit.record` call in dms names its action with a
constant from there (an AST scan, tested itself on bad code), every listed action is recorded somewhere, and
`audit.record` refuses anything else before writing."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from conftest import REPO, run_dms

from dms import audit, auditactions

DMS = REPO / "dms"


# -- the scanner -----------------------------------------------------------------------------------


class _Module:
    """One parsed module: what its names mean, enough to resolve an action argument to the actions it can be."""

    def __init__(self, source: str, name: str = "<snippet>", audit_module: bool = False):
        self.name, self.audit_module = name, audit_module
        self.tree = ast.parse(source)
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
        self.constants: dict[str, str] = {}  # local name -> auditactions constant (from ... import X as name)
        self.modules: set[str] = set()  # local names of the dms.auditactions module
        self.audit_names: set[str] = set()  # local names of the dms.audit module (`from dms import audit as a`)
        self.record_names: set[str] = {"record"} if audit_module else set()  # local names of dms.audit.record
        self.dotted = False  # `import dms.audit`: calls spelled `dms.audit.record(...)`
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom) and node.module == "dms.auditactions":
                for alias in node.names:
                    self.constants[alias.asname or alias.name] = alias.name
            elif isinstance(node, ast.ImportFrom) and (node.module == "dms" or (node.level and not node.module)):
                self.modules |= {a.asname or a.name for a in node.names if a.name == "auditactions"}
                self.audit_names |= {a.asname or a.name for a in node.names if a.name == "audit"}
            elif isinstance(node, ast.ImportFrom) and (node.module == "dms.audit"
                                                       or (node.level and node.module == "audit")):
                self.record_names |= {a.asname or a.name for a in node.names if a.name == "record"}
            elif isinstance(node, ast.Import):
                self.modules |= {a.asname for a in node.names if a.name == "dms.auditactions" and a.asname}
                self.audit_names |= {a.asname for a in node.names if a.name == "dms.audit" and a.asname}
                self.dotted |= any(a.name == "dms.audit" and not a.asname for a in node.names)

    def record_calls(self) -> list[ast.Call]:
        """Calls of dms.audit.record, found by where the name comes from, whatever it is called here:
        `audit.record(...)` after `from dms import audit [as a]` or `import dms.audit as a`, `dms.audit.record(...)`,
        `record(...)` after `from dms.audit import record [as r]` (and in dms/audit.py itself)."""
        found = []
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if isinstance(f, ast.Name) and f.id in self.record_names:
                found.append(node)
            elif isinstance(f, ast.Attribute) and f.attr == "record":
                owner = f.value
                if isinstance(owner, ast.Name) and owner.id in self.audit_names:
                    found.append(node)
                elif (self.dotted and isinstance(owner, ast.Attribute) and owner.attr == "audit"
                      and isinstance(owner.value, ast.Name) and owner.value.id == "dms"):
                    found.append(node)
        return found

    def action_of(self, call: ast.Call) -> ast.expr | None:
        for kw in call.keywords:
            if kw.arg == "action":
                return kw.value
        return call.args[2] if len(call.args) > 2 else None

    def function_of(self, node: ast.AST) -> ast.FunctionDef | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                return node
        return None

    def resolve(self, expr: ast.expr | None, at: ast.AST, depth: int = 0) -> set[str] | None:
        """The actions `expr` (met at `at`) can be, or None when it is not made of auditactions constants."""
        if expr is None or depth > 6:
            return None
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id in self.modules:
            return self._constant(expr.attr)
        if isinstance(expr, ast.IfExp):
            a, b = self.resolve(expr.body, at, depth + 1), self.resolve(expr.orelse, at, depth + 1)
            return a | b if a is not None and b is not None else None
        if not isinstance(expr, ast.Name):
            return None  # a string literal, an f-string, a call: not a name from dms.auditactions
        name = expr.id
        function = self.function_of(at)
        if function is not None:
            assigned = [n.value for n in ast.walk(function) if isinstance(n, ast.Assign)
                        and any(isinstance(t, ast.Name) and t.id == name for t in n.targets)]
            if assigned:
                return self._all(assigned, at, depth)
            params = function.args.posonlyargs + function.args.args + function.args.kwonlyargs
            if any(p.arg == name for p in params):
                return self._from_callers(function, name, depth)
        if name in self.constants:
            return self._constant(self.constants[name])
        assigned = [n.value for n in self.tree.body if isinstance(n, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == name for t in n.targets)]
        return self._all(assigned, self.tree, depth) if assigned else None

    def _constant(self, attr: str) -> set[str] | None:
        value = getattr(auditactions, attr, None)
        return {value} if isinstance(value, str) and auditactions.known(value) else None

    def _all(self, exprs: list[ast.expr], at: ast.AST, depth: int) -> set[str] | None:
        found: set[str] = set()
        for e in exprs:
            one = self.resolve(e, at, depth + 1)
            if one is None:
                return None
            found |= one
        return found

    def _from_callers(self, function: ast.FunctionDef, param: str, depth: int) -> set[str] | None:
        """A parameter: what every call of its function in this module passes for it (there must be one)."""
        args = function.args
        positional = [p.arg for p in args.posonlyargs + args.args]
        passed: list[tuple[ast.expr, ast.Call]] = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == function.name:
                value = next((kw.value for kw in node.keywords if kw.arg == param), None)
                if value is None and param in positional and positional.index(param) < len(node.args):
                    value = node.args[positional.index(param)]
                if value is None:
                    return None
                passed.append((value, node))
        if not passed:
            return None
        found: set[str] = set()
        for value, call in passed:
            one = self.resolve(value, call, depth + 1)
            if one is None:
                return None
            found |= one
        return found


def scan(source: str, name: str = "<snippet>", audit_module: bool = False) -> tuple[set[str], list[str]]:
    """(actions recorded, problems: calls whose action is not a constant of dms.auditactions)."""
    module = _Module(source, name, audit_module)
    recorded: set[str] = set()
    problems = []
    for call in module.record_calls():
        actions = module.resolve(module.action_of(call), call)
        if actions is None:
            problems.append(f"{name}:{call.lineno}: {ast.unparse(call)[:100]}")
        else:
            recorded |= actions
    return recorded, problems


def action_texts(source: str, name: str = "<snippet>") -> list[str]:
    """String constants equal to an action of more than one word ("hold placed"): a copy of the vocabulary,
    wherever it stands (a comparison, a reader looking entries up, an argument handed on to `record`). One-word
    actions ("ingest", "ocr") are ordinary words elsewhere and are left to the `record` scan."""
    return [f"{name}:{node.lineno}: {node.value!r}" for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and " " in node.value
            and auditactions.known(node.value)]


def scan_dms() -> tuple[set[str], list[str], int]:
    recorded: set[str] = set()
    problems: list[str] = []
    calls = 0
    for path in sorted(DMS.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if "record(" not in source:
            continue
        rel = str(path.relative_to(REPO))
        found, bad = scan(source, rel, audit_module=rel == "dms/audit.py")
        calls += len(_Module(source, rel, rel == "dms/audit.py").record_calls())
        recorded |= found
        problems += bad
    return recorded, problems, calls


# -- the scanner on code of its own ------------------------------------------------------------------


@pytest.mark.parametrize("snippet", [
    'from dms import audit\naudit.record(c, "ada", "ingest", "doc:1")',  # the right name, but a literal
    'from dms import audit\naudit.record(c, "ada", f"in{g}", "doc:1")',
    'from dms import audit\nGONE = "ingest"\naudit.record(c, "ada", GONE, "doc:1")',  # a module's own constant
    'from dms import audit, auditactions\naudit.record(c, "ada", auditactions.NO_SUCH_ACTION, "doc:1")',
    'from dms import audit\nfrom dms.auditactions import INGEST\n'
    'def f(c, how):\n    audit.record(c, "ada", how, "doc:1")\n',  # a parameter nobody here passes
    'from dms import audit\nfrom dms.auditactions import INGEST\n'
    'def f(c, how):\n    audit.record(c, "ada", how, "doc:1")\nf(c, "ingest")\n',  # passed a literal
    'from dms import audit\nfrom dms.auditactions import INGEST\n'
    'def f(c, x):\n    a = INGEST if x else "x"\n    audit.record(c, "ada", a, "doc:1")\n',
    'from dms import audit\naudit.record(c, "ada", action="ingest", subject="doc:1")',
    'from dms.audit import record\nrecord(c, "ada", "ingest", "doc:1")',  # the function imported by itself
    'from dms.audit import record as note\nnote(c, "ada", "ingest", "doc:1")',
    'import dms.audit as a\na.record(c, "ada", "ingest", "doc:1")',
    'from dms import audit as log\nlog.record(c, "ada", "ingest", "doc:1")',
    'import dms.audit\ndms.audit.record(c, "ada", "ingest", "doc:1")',
    'from . import audit\naudit.record(c, "ada", "ingest", "doc:1")',
])
def test_scanner_flags_an_action_not_named_by_a_constant_of_auditactions(snippet):
    recorded, problems = scan(snippet)
    assert len(problems) == 1 and not recorded


def test_scanner_ignores_a_record_that_is_not_the_audit_logs():
    assert _Module('from dms.ingest import pipeline\npipeline.record(job, "ingest")').record_calls() == []
    assert _Module('def record(x):\n    pass\nrecord("ingest")').record_calls() == []


@pytest.mark.parametrize("snippet", [
    'if entry["action"] == "metadata edited":\n    pass',
    'inputs = graph_inputs(c, ("ocr", "hold placed"))',
    'def f(action="link added"):\n    pass',
])
def test_scanner_flags_an_action_of_several_words_written_out(snippet):
    assert len(action_texts(snippet)) == 1


def test_scanner_leaves_other_text_alone():
    assert action_texts('x = "ocr"\ny = "metadata was edited"\nz = auditactions.HOLD_PLACED') == []


def test_scanner_follows_aliases_locals_parameters_and_conditionals_to_the_constants():
    snippet = """
from dms import audit, auditactions
from dms.auditactions import SIGNED_IN as IN
from dms.auditactions import VIEW_PINNED, VIEW_UNPINNED

ALIAS = auditactions.OCR

def change(c, kind, action):
    audit.record(c, "ada", action, "party:x")

def rename(c):
    change(c, "rename", auditactions.PARTY_RENAMED)

def merge(c):
    change(c, "merge", action=auditactions.PARTY_MERGED)

def g(c, pin, new):
    audit.record(c, "ada", VIEW_PINNED if pin else VIEW_UNPINNED, "user:ada")
    audit.record(c, "ada", IN, "user:ada")
    what = auditactions.CHANGE_REQUEST_CREATED if new else auditactions.CHANGE_REQUEST_EDITED
    audit.record(c, "ada", what, "change_request:1")
    audit.record(c, "ada", ALIAS, "doc:1")
"""
    recorded, problems = scan(snippet)
    assert problems == []
    assert recorded == {"view pinned", "view unpinned", "signed in", "change request created",
                        "change request edited", "ocr", "party renamed", "party merged"}


# -- dms itself ---------------------------------------------------------------------------------------


def test_every_audit_record_call_in_dms_names_its_action_by_a_constant_of_auditactions():
    recorded, problems, calls = scan_dms()
    assert calls > 30  # the scan saw the calls (dms records from some 20 modules)
    assert problems == []


def test_no_action_of_several_words_is_written_out_outside_auditactions():
    copies = [hit for path in sorted(DMS.rglob("*.py")) if path.name != "auditactions.py"
              for hit in action_texts(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))]
    assert copies == [], "use the constants of dms.auditactions"


def test_every_listed_action_is_recorded_somewhere_in_dms():
    recorded, _, _ = scan_dms()
    assert set(auditactions.ACTIONS) - recorded == set()


def test_the_list_has_one_constant_per_action_each_with_a_one_line_meaning_and_a_group():
    constants = {name: value for name, value in vars(auditactions).items()
                 if name.isupper() and isinstance(value, str)}
    assert sorted(constants.values()) == sorted(auditactions.ACTIONS)  # no action without a constant, nor twice
    for action in auditactions.ACTIONS.values():
        assert action.meaning.strip() and "\n" not in action.meaning and action.group


# -- audit.record refuses the rest ---------------------------------------------------------------------


def _entries(catalog) -> list[dict]:
    return audit.history(catalog, "doc:1")


def test_audit_record_refuses_an_unknown_action_and_writes_nothing(dms):
    audit.record(dms.catalog, "ada", auditactions.RETIRED, "doc:1", {"reason": "superseded"})
    for wrong in ("retire", "Retired", "", None, "ingest "):
        with pytest.raises(ValueError, match="not an audit action"):
            audit.record(dms.catalog, "ada", wrong, "doc:1")
    assert [e["action"] for e in _entries(dms.catalog)] == ["retired"]
    assert audit.verify(dms.catalog)["ok"]


def test_audit_record_accepts_a_listed_action_given_by_its_text(dms):
    """Stored names are the constants' values: a caller holding the text (an old log, a test) records the same."""
    audit.record(dms.catalog, "ada", "hold placed", "doc:1")
    assert [e["action"] for e in _entries(dms.catalog)] == [auditactions.HOLD_PLACED]


def test_dms_audit_actions_lists_every_action_under_its_group(home: Path):
    listed = json.loads(run_dms(home, "audit", "actions", "--json").stdout)
    assert {group: [a["action"] for a in actions] for group, actions in listed.items()} == {
        group: [a.name for a in actions] for group, actions in auditactions.by_group().items()}
    text = run_dms(home, "audit", "actions").stdout
    assert all(f"  {name} " in text for name in auditactions.ACTIONS)
