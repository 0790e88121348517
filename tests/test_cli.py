"""The command line: every command documented, every command speaks JSON in the agreed shapes."""

import pytest
from conftest import REPO, run_dms, run_json, write_pdf

from dms.cli import cli

COMMANDS = ["ingest", "search", "show", "problems", "reindex", "verify", "stats", "trace", "links", "path",
            "timeline", "orphans", "dangling", "stale", "user", "user token", "change", "serve",
            "audit", "hold", "edit", "retire", "restore", "purge", "bundle", "retro", "ocr", "watch", "explain",
            "rules check", "rederive", "review", "plan template", "plan import", "plan list", "plan show",
            "plan check", "plan order-draft", "followup", "catalog copy", "catalog verify"]


def _leaves(group, prefix=""):
    for name in group.list_commands(None):  # the root group loads most commands on first use (dms.cli.registry)
        command = group.get_command(None, name)
        if hasattr(command, "commands"):
            yield from _leaves(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def test_every_command_has_help_and_a_json_option():
    leaves = dict(_leaves(cli))
    assert {"user add", "link add", "graph export", "sample generate"} <= leaves.keys()
    for name, command in leaves.items():
        assert command.help, name
        assert any(p.name == "as_json" for p in command.params), name


def test_every_command_is_in_the_readme():
    readme = (REPO / "README.md").read_text()
    for name in COMMANDS:
        assert f"dms {name}" in readme, name


def test_search_help_teaches_the_query_syntax():
    proc = run_dms(REPO, "search", "--help")
    for example in ('"heating element"', "type:specification", "date:[2022-01 to 2023-06]", "therm*", "warrenty~",
                    "CR-2023-014", "NOT"):
        assert example in proc.stdout


@pytest.fixture(scope="module")
def home_with_one_pdf(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    inbox = root / "in"
    inbox.mkdir()
    pdf = write_pdf(inbox / "CR-2023-014.pdf", ["Change Request CR-2023-014\nDate: 2023-03-01\nKX200 lid hinge"])
    home = root / "home"
    report = run_json(home, "ingest", str(inbox))
    return home, pdf, report


def test_ingest_json_shape(home_with_one_pdf):
    _, _, report = home_with_one_pdf
    assert {"added", "unchanged", "duplicates", "problems"} <= report.keys()
    assert report["added"] == 1 and report["problems"] == []


def test_search_json_shape(home_with_one_pdf):
    home, pdf, _ = home_with_one_pdf
    result = run_json(home, "search", "hinge")
    assert result["total"] == 1
    [hit] = result["hits"]
    assert {"id", "title", "path", "type", "date", "score", "snippet"} <= hit.keys()
    assert hit["path"] == str(pdf) and hit["type"] == "change request" and hit["date"] == "2023-03-01"


def test_show_json_shape(home_with_one_pdf):
    home, pdf, _ = home_with_one_pdf
    shown = run_json(home, "show", "CR-2023-014")
    assert {"id", "title", "path", "sha256", "stored_path", "type", "date", "products", "text"} <= shown.keys()
    assert shown["path"] == str(pdf) and shown["products"] == ["KX200"] and "lid hinge" in shown["text"]
    assert shown["citations"] == []  # its own number is not a citation


def test_verify_problems_stats_and_reindex_json(home_with_one_pdf):
    home, _, _ = home_with_one_pdf
    verified = run_json(home, "verify")
    assert verified.pop("audit")["ok"] is True
    notes = verified.pop("notes")
    assert verified == {"ok": True, "checked": 1, "problems": []}
    assert len(notes) == 1 and notes[0].startswith("the audit head is not signed")  # no DMS_AUDIT_KEY_FILE here
    assert run_json(home, "problems") == {"total": 0, "problems": []}
    stats = run_json(home, "stats")
    assert stats["home"] == str(home) and stats["documents"] == 1
    assert run_json(home, "reindex")["indexed"] == 1


def test_unknown_reference_exits_3_with_a_message(home_with_one_pdf):
    home, _, _ = home_with_one_pdf
    proc = run_dms(home, "show", "CR-2099-999", check=False)
    assert proc.returncode == 3 and "no document has the number CR-2099-999" in proc.stderr
