"""Decisions and amendments read the way any archive writes them, with change families and phrases from rules.toml.

Every test ingests real files into a real catalog with the archive's own rules file, and reads the graph.
"""

from __future__ import annotations

import tomllib
from contextlib import contextmanager
from pathlib import Path

import pytest

from dms import changes, users
from dms.app import Dms
from dms.config import load_settings
from dms.graph import graph_for
from dms.graph.phrases import phrases_for
from dms.ingest.pipeline import ingest
from dms.rules import default_rules_text, load_rules, parse_rules

# What the user of a medical-device maker's archive writes from the README.
RULES = r"""
[identifiers]
specification = 'DS-\d{5}'
eco = 'ECO-\d{2}-\d{4}'
ncr = 'NCR-\d{4}'
meeting = 'CCB-\d{4}-\d{2}'

[families]
change = ["eco"]

[changes]
number = 'ECO-{yy}-{seq:04d}'

[products]
pattern = '\b[A-Z]{2}\d{3}\b'

[[types]]
type = "change request"
name = '(?i)\bECO-'
[[types]]
type = "specification"
name = '(?i)\bDS-'
[[types]]
type = "minutes"
name = '(?i)(CCB|minutes|protokoll)'
[[types]]
type = "complaint"
name = '(?i)\bNCR-'
[[types]]
type = "report"
name = '(?i)report'
"""

PROSE = ("The supplier presented the results of the incoming inspection for the last quarter and the trend of the "
         "field returns. Marco Bianchi (Quality) agreed that the gasket change needs no new test, and the lot of "
         "housings found with sink marks was put on hold until the supplier has sorted it. The team reviewed the "
         "cost figures once more.")


@contextmanager
def archive(tmp_path: Path, files: dict[str, str], rules: str = RULES):
    """An archive holding these files (name -> text), ingested with these rules."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / "rules.toml").write_text(rules, encoding="utf-8")
    folder = tmp_path / "files"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    with Dms(load_settings(environ={}, home=home)) as app:
        ingest(app, [folder], inline=True)
        yield app


def decided(g) -> dict[str, dict[str, str]]:
    """change number -> {minutes title: outcome}."""
    out: dict[str, dict[str, str]] = {}
    for u, v, d in g.edges(data=True):
        if d["type"] == "decided_in":
            out.setdefault(u.split(":", 1)[1], {})[g.nodes[v]["title"]] = d["outcome"]
    return out


def amended(g) -> set[tuple[str, str]]:
    """(document title, change number) of every amends edge."""
    return {(g.nodes[u]["title"], v.split(":", 1)[1]) for u, v, d in g.edges(data=True) if d["type"] == "amends"}


def minutes(title: str, *lines: str) -> str:
    return "\n".join([f"# {title}", "", "Date: 2024-03-12", "Present: J. Smith, A. Weber, P. Raman", "", *lines, ""])


def spec(number: str, title: str, *lines: str) -> str:
    return "\n".join([f"# {title}", "", f"Document No.: {number}", "", *lines, ""])


def test_decision_on_the_line_after_the_item_in_english_and_german(tmp_path):
    files = {
        "CCB-2024-03 minutes.md": minutes(
            "CCB minutes March", "## 1. ECO-24-0117 Housing material change", "Presented by J. Smith.",
            "Decision: Approved", "", "## 2. ECO-24-0118 Label layout", "Discussion of the wording.",
            "Outcome: rejected, the layout stays."),
        "CCB-2024-04 Protokoll.txt": minutes(
            "CCB Protokoll April", "TOP 3: ECO-24-0120 Dichtung", "Vorgestellt von A. Weber.",
            "Beschluss: genehmigt", "TOP 4: ECO-24-0121 Verpackung", "Die Änderung wird zurückgestellt."),
    }
    with archive(tmp_path, files) as app:
        found = decided(graph_for(app))
    assert found == {"ECO-24-0117": {"CCB minutes March": "approved"},
                     "ECO-24-0118": {"CCB minutes March": "rejected"},
                     "ECO-24-0120": {"CCB Protokoll April": "approved"},
                     "ECO-24-0121": {"CCB Protokoll April": "deferred"}}


def test_decision_on_the_identifiers_own_line_with_every_outcome(tmp_path):
    files = {"CCB-2024-05 minutes.txt": minutes(
        "CCB minutes May",
        "ECO-24-0122 approved by the board.",
        "ECO-24-0123 was declined: cost not justified.",
        "ECO-24-0124: postponed to the next CCB.",
        "ECO-24-0125 - no decision, more data needed.",
        "ECO-24-0126 decided as proposed.",
        "ECO-24-0127 and ECO-24-0128 approved.",
        "ECO-24-0129 approved, ECO-24-0130 rejected.",
        "ECO-24-0136 was presented; ECO-24-0137 approved.")}
    with archive(tmp_path, files) as app:
        found = {n: set(t.values()) for n, t in decided(graph_for(app)).items()}
    assert found == {"ECO-24-0122": {"approved"}, "ECO-24-0123": {"rejected"}, "ECO-24-0124": {"deferred"},
                     "ECO-24-0125": {"undecided"}, "ECO-24-0126": {"decided"}, "ECO-24-0127": {"approved"},
                     "ECO-24-0128": {"approved"}, "ECO-24-0129": {"approved"}, "ECO-24-0130": {"rejected"},
                     "ECO-24-0137": {"approved"}}


def test_the_item_block_ends_at_the_next_item_so_a_decision_is_not_lent_to_the_item_above(tmp_path):
    files = {"CCB-2024-06 minutes.md": minutes(
        "CCB minutes June",
        "1. ECO-24-0131 Cable gland", "Presented; questions on the supplier remain open.", "",
        "2. ECO-24-0132 Fan speed", "Decision: approved", "",
        "ECO-24-0133 presented by A. Novak.", "ECO-24-0134 presented by P. Raman.", "Deferred to July.", "",
        "Item 5 ECO-24-0135 Manual wording", "", "", "", "Agreed: the next meeting is on 2 July.")}
    with archive(tmp_path, files) as app:  # the graph reads the catalog: asked while the archive is open
        g = graph_for(app)
        found = decided(g)
        assert {v for u, v, d in g.edges(data=True) if d["type"] == "mentions"} >= {
            "eco:ECO-24-0131", "eco:ECO-24-0133", "eco:ECO-24-0135"}
    assert found == {"ECO-24-0132": {"CCB minutes June": "approved"}, "ECO-24-0134": {"CCB minutes June": "deferred"}}


def test_an_identifier_mentioned_above_prose_that_holds_a_phrase_is_not_decided(tmp_path):
    files = {"CCB-2024-07 minutes.txt": minutes(
        "CCB minutes July", "Status of ECO-24-0140 and ECO-24-0141 reviewed.", PROSE, PROSE,
        "ECO-24-0142 is listed in the project plan for information.")}
    with archive(tmp_path, files) as app:
        g = graph_for(app)
        assert decided(g) == {}
        cited = {v for u, v, d in g.edges(data=True) if d["type"] == "mentions"}
    assert {"eco:ECO-24-0140", "eco:ECO-24-0141", "eco:ECO-24-0142"} <= cited


def test_decision_evidence_holds_the_item_line_and_the_decision_line(tmp_path):
    files = {"CCB-2024-03 minutes.md": minutes(
        "CCB minutes March", "## 1. ECO-24-0117 Housing material change", "Presented by J. Smith.",
        "Decision: Approved")}
    with archive(tmp_path, files) as app:  # the graph reads the catalog: asked while the archive is open
        g = graph_for(app)
        [(evidence, outcome)] = [(d["evidence"], d["outcome"])
                                 for _, _, d in g.out_edges("eco:ECO-24-0117", data=True) if d["type"] == "decided_in"]
    assert outcome == "approved"
    assert evidence.startswith("page 1: ") and "ECO-24-0117 Housing material change" in evidence
    assert evidence.endswith("Decision: Approved")


SPEC_HISTORY = """# DS-10452 Pump housing specification
Document No.: DS-10452
Revision: 3
Date: 2024-03-12

## Revision history
| Rev | Date | Description |
|---|---|---|
| 2 | 2023-05-02 | Changes per ECO-23-0040 |
| 3 | 2024-03-12 | ECO-24-0117 housing material |

## 1 Scope
The housing of the VP300 pump. ECO-24-0150 is under evaluation and not part of this revision.
"""


def test_amendment_phrasings_link_a_specification_to_the_change_it_implements(tmp_path):
    files = {
        "DS-20001 sealing spec.md": spec("DS-20001", "Sealing specification", "Changes per ECO-24-0201."),
        "DS-20002 motor spec.md": spec("DS-20002", "Motor specification",
                                       "Updated in accordance with ECO-24-0202 (winding)."),
        "DS-20003 cable spec.txt": spec("DS-20003", "Cable specification", "Reason for revision:",
                                        "ECO-24-0203 longer cable"),
        "DS-20004 label spec.txt": spec("DS-20004", "Label specification", "This revision implements ECO-24-0204."),
        "DS-20005 fan spec.txt": spec("DS-20005", "Fan specification", "The blade design follows the",
                                      "ECO-24-0205 proposal."),
        "DS-10452 housing spec.md": SPEC_HISTORY,
        "CCB-2024-08 minutes.txt": minutes("CCB minutes August", "Engineering implements ECO-24-0206 next week."),
        "Quality report 2024.txt": spec("RPT-1", "Quality report 2024", "Changes per ECO-24-0207 cut the returns."),
    }
    with archive(tmp_path, files) as app:
        found = amended(graph_for(app))
    assert found == {("Sealing specification", "ECO-24-0201"), ("Motor specification", "ECO-24-0202"),
                     ("Cable specification", "ECO-24-0203"), ("Label specification", "ECO-24-0204"),
                     ("DS-10452 Pump housing specification", "ECO-24-0117")}


def test_a_family_that_is_not_a_change_family_is_never_decided_or_amended(tmp_path):
    files = {"CCB-2024-09 minutes.txt": minutes("CCB minutes September", "NCR-0042 approved for rework.",
                                                "ECO-24-0301 approved."),
             "DS-30001 spec.txt": spec("DS-30001", "Valve specification", "Changes per NCR-0042.")}
    with archive(tmp_path, files) as app:  # the graph reads the catalog: asked while the archive is open
        g = graph_for(app)
        assert "ncr:NCR-0042" in g and "eco:ECO-24-0301" in g
        assert {d["type"] for _, _, d in g.out_edges("ncr:NCR-0042", data=True)} == set()
        assert {d["type"] for _, _, d in g.in_edges("ncr:NCR-0042", data=True)} == {"mentions"}
        assert decided(g) == {"ECO-24-0301": {"CCB minutes September": "approved"}}


def test_the_built_in_change_family_stops_deciding_when_the_rules_name_another(tmp_path):
    rules = RULES.replace("[identifiers]\n", "[identifiers]\nchange_request = 'CR-\\d{4}-\\d{3}'\n")
    files = {"CCB-2024-10 minutes.txt": minutes("CCB minutes October", "CR-2024-001 approved.",
                                                "ECO-24-0401 approved.")}
    with archive(tmp_path, files, rules) as app:
        found = decided(graph_for(app))
    assert found == {"ECO-24-0401": {"CCB minutes October": "approved"}}


def test_graph_is_rebuilt_when_the_phrases_of_the_rules_change(tmp_path):
    files = {"CCB-2024-11 minutes.txt": minutes("CCB minutes November", "ECO-24-0501 greenlit by the board.")}
    with archive(tmp_path, files) as app:
        assert decided(graph_for(app)) == {}
    rules = RULES + '\n[phrases.en]\napproved = ["approved", "greenlit"]\n'
    (tmp_path / "home" / "rules.toml").write_text(rules, encoding="utf-8")
    with Dms(load_settings(environ={}, home=tmp_path / "home")) as app:
        assert decided(graph_for(app)) == {"ECO-24-0501": {"CCB minutes November": "approved"}}


ECO_FILES = {
    "ECO-24-0117 housing.md": "# ECO-24-0117 Housing material for VP300\n\nDocument No.: ECO-24-0117\n"
                              "Date: 2024-02-20\n\nThe VP300 housing changes from ABS to PC.\n",
    "ECO-24-0118 label.md": "# ECO-24-0118 Label layout for VP300\n\nDocument No.: ECO-24-0118\n"
                            "Date: 2024-02-21\n\nThe VP300 label gets a larger font.\n",
    "CCB-2024-03 minutes.md": minutes("CCB minutes March", "## 1. ECO-24-0117 Housing material change",
                                      "Presented by J. Smith.", "Decision: Approved", "",
                                      "## 2. ECO-24-0118 Label layout", "Outcome: rejected, the layout stays."),
    "DS-10452 housing spec.md": SPEC_HISTORY,
}


def test_a_custom_change_family_is_on_file_with_its_decision_and_amendment(tmp_path):
    from dms.changes.onfile import all_on_file, on_file

    with archive(tmp_path, ECO_FILES) as app:
        record = on_file(app, "eco-24-0117")
        rejected = on_file(app, "ECO-24-0118")
        listed = {r["number"]: r.get("decision") for r in all_on_file(app)}
    assert record["number"] == "ECO-24-0117" and record["state"] == "on file"
    assert [d["title"] for d in record["documents"]] == ["ECO-24-0117 Housing material for VP300"]
    assert [(d["title"], d["decision"]) for d in record["decided_in"]] == [("CCB minutes March", "approved")]
    assert record["decision"] == "approved"
    assert [d["title"] for d in record["amended_by"]] == ["DS-10452 Pump housing specification"]
    assert rejected["decision"] == "rejected" and rejected["amended_by"] == []
    assert listed["ECO-24-0117"] == "approved" and listed["ECO-24-0118"] == "rejected"


def test_the_assessment_report_shows_past_outcomes_of_a_custom_change_family(tmp_path):
    from dms.changes.report import report_data

    with archive(tmp_path, ECO_FILES) as app:
        users.add(app.catalog, "root", "admin", "long enough pass", by="root")
        users.add(app.catalog, "sofia", "viewer", "long enough pass", by="root")
        cr = changes.create(app, "Pump impeller", "sofia", products=["VP300"], affected=["DS-10452"])
        data = report_data(app, cr.number)
    assert cr.number.startswith("ECO-") and len(cr.number) == len("ECO-24-0001")
    past = {p["number"]: p["outcome"] for p in data["past"]}
    assert past == {"ECO-24-0117": "approved (CCB minutes March)", "ECO-24-0118": "rejected (CCB minutes March)"}
    assert data["affected"][0]["revision"] == "3"


def test_closing_a_custom_family_request_sees_the_specification_that_amends_it(tmp_path):
    with archive(tmp_path, ECO_FILES) as app:
        users.add(app.catalog, "root", "admin", "long enough pass", by="root")
        for name, role in (("anna", "coordinator"), ("marco", "manager"), ("sofia", "viewer"), ("lena", "manager")):
            users.add(app.catalog, name, role, "long enough pass", by="root")
        cr = changes.create(app, "Pump impeller", "sofia", products=["VP300"], affected=["DS-10460"])
        for action, who, params in (
                ("submit", "sofia", {}), ("review", "anna", {}),
                ("assess", "anna", dict(relevance="high", risks=["noise:2:3"], benefits="quieter", cost_once=100,
                                        cost_recurring=0, schedule_impact="none")),
                ("decide", "marco", {"outcome": "approved", "rationale": "quieter"}), ("authorize", "lena", {})):
            changes.transition(app, cr.number, action, who, **params)
        assert changes.check(app, cr.number) == [{"number": "DS-10460", "amended_by": None, "waived": None}]
        spec = tmp_path / "later"
        spec.mkdir()
        (spec / "DS-10460 impeller spec.md").write_text(
            f"# DS-10460 Impeller specification\n\nDocument No.: DS-10460\nRevision: 2\n\nChanges per {cr.number}.\n",
            encoding="utf-8")
        ingest(app, [spec], inline=True)
        [item] = changes.check(app, cr.number)
    assert item["number"] == "DS-10460" and item["amended_by"]["revision"] == "2"


@pytest.mark.parametrize(("line", "outcome"), [
    ("No decision was taken.", "undecided"),
    ("Decision: no decision, deferred", "undecided"),
    ("Decision: rejected", "rejected"),
    ("Decision: deferred", "deferred"),
    ("Decision: Approved", "approved"),
    ("The board made a decision.", "decided"),
    ("Beschluss: abgelehnt", "rejected"),
    ("Keine Entscheidung getroffen", "undecided"),
    ("The lot was put ON  HOLD", "deferred"),
    ("The unapproved drawing and the tablets", None),
])
def test_outcome_precedence_and_whole_words_of_the_built_in_phrases(line, outcome):
    assert phrases_for(load_rules()).outcome(line) == outcome


def test_phrases_are_compiled_from_the_rules_file_and_replace_the_built_in_ones():
    text = '[phrases.en]\napproved = ["greenlit"]\namendment = ["realises"]\n'
    rules = parse_rules(text, "rules.toml", base=tomllib.loads(default_rules_text()))
    phrases = phrases_for(rules)
    assert phrases.outcome("ECO-24-0001 greenlit") == "approved" and phrases.outcome("approved") is None
    assert phrases.amends("This revision realises ECO-24-0001") and not phrases.amends("implements ECO-24-0001")
    assert phrases.decision_in(["Discussed at length.", "Decision taken.", "Greenlit."]) == ("approved", "Greenlit.")
