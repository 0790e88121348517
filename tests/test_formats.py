"""Outlook .msg, OpenDocument and RTF: real files written by the fixtures, ingested through the CLI."""

from __future__ import annotations

import datetime

from conftest import run_dms, run_json
from writers_scan import write_msg, write_ods, write_odt, write_rtf

from dms.ingest.worker import Task, extract
from dms.rules import load_rules


def extracted(path):
    return extract(Task(blob=path, path=str(path), size=path.stat().st_size, max_bytes=10**9), load_rules())


def test_an_outlook_message_gives_headers_body_and_attachments_like_an_email(tmp_path):
    msg = write_msg(tmp_path / "hinge.msg", "Hinge supplier follow-up", "Please see the drawing for CR-2023-003.",
                    message_id="<reply-1@helix.example>", in_reply_to="<first-1@helix.example>",
                    date=datetime.date(2023, 3, 14), attachments={"drawing.txt": b"Drawing D-17: hinge pin 4 mm"})
    ex = extracted(msg)
    assert (ex.status, ex.kind, ex.extractor) == ("ok", "msg", "extract-msg")
    assert ex.title == "Hinge supplier follow-up" and ex.doc_date == "2023-03-14"
    assert ex.meta["from"] == ["Anna Lindqvist <anna.lindqvist@helix.example>"]
    assert ex.meta["to"] == ["Marco Rossi <marco.rossi@kettleco.example>"]
    assert ex.meta["message_id"] == "<reply-1@helix.example>" and ex.meta["in_reply_to"] == "<first-1@helix.example>"
    assert ex.pages[0].startswith("From: Anna Lindqvist") and "drawing for CR-2023-003" in ex.pages[0]
    assert [(a.name, a.data) for a in ex.attachments] == [("drawing.txt", b"Drawing D-17: hinge pin 4 mm")]
    assert "CR-2023-003" in ex.refs[0].upper()


def test_outlook_threads_and_attachments_are_linked_in_the_graph(home, inbox):
    write_msg(inbox / "first.msg", "Hinge supplier", "First note on the hinge.", message_id="<first-1@helix.example>")
    write_msg(inbox / "reply.msg", "RE: Hinge supplier", "Reply with the drawing.",
              message_id="<reply-1@helix.example>", in_reply_to="<first-1@helix.example>",
              attachments={"drawing.txt": b"Drawing D-17: hinge pin 4 mm"})
    report = run_json(home, "ingest", str(inbox))
    assert report["added"] == 2 and report["attachments"] == 1 and report["problems"] == []
    (reply,) = run_json(home, "search", '"reply with the drawing"')["hits"]
    links = run_json(home, "links", str(reply["id"]))
    (parent,) = links["outgoing"]["reply_to"]
    assert parent["label"] == "Hinge supplier" and parent["evidence"] == "In-Reply-To <first-1@helix.example>"
    (attachment,) = links["incoming"]["attachment_of"]
    assert "drawing.txt is attached" in attachment["evidence"]
    (drawing,) = run_json(home, "search", '"hinge pin"')["hits"]
    assert drawing["path"].endswith("reply.msg#1:drawing.txt")


def test_a_forwarded_outlook_message_inside_another_becomes_a_document_of_its_own(home, inbox):
    write_msg(inbox / "fw.msg", "FW: Hinge supplier", "Forwarding the supplier's note.",
              forwarded=("Hinge supplier", "The hinge pin drawing D-17 follows next week."))
    report = run_json(home, "ingest", str(inbox))
    assert report["attachments"] == 1 and report["problems"] == []
    (hit,) = run_json(home, "search", '"hinge pin drawing"')["hits"]
    assert hit["path"].endswith("fw.msg#1:Hinge supplier.msg") and hit["title"] == "Hinge supplier"
    shown = run_json(home, "show", str(hit["id"]))
    assert shown["format"] == "msg" and shown["attachment_of"] == 1


def test_a_damaged_outlook_message_is_a_problem_and_its_original_is_kept(home, inbox):
    good = write_msg(inbox / "whole.msg", "Whole", "Body text")
    broken = inbox / "broken.msg"
    broken.write_bytes(good.read_bytes()[:1536])
    report = run_json(home, "ingest", str(broken))
    (problem,) = report["problems"]
    assert problem["kind"] == "malformed" and problem["severity"] == "error"
    assert "Outlook message" in problem["reason"] or "extract-msg" in problem["reason"]
    shown = run_json(home, "show", str(broken))
    assert shown["status"] == "failed"
    with open(shown["stored_path"], "rb") as fh:
        assert fh.read() == broken.read_bytes()


def test_an_odt_keeps_its_title_author_page_breaks_and_tables(home, inbox):
    write_odt(inbox / "plan.odt", "Launch plan KX200", [["Phase one: pilot retailers"], ["Phase two: the lid recall"]],
              table=[["Milestone", "Owner"], ["Tooling release", "Marco Rossi"]])
    ex = extracted(inbox / "plan.odt")
    assert (ex.kind, ex.extractor, ex.title) == ("odt", "odfpy", "Launch plan KX200")
    assert ex.meta["author"] == "Anna Lindqvist" and len(ex.pages) == 2
    assert "Tooling release | Marco Rossi" in ex.pages[1]
    run_json(home, "ingest", str(inbox))
    (hit,) = run_json(home, "search", '"lid recall"')["hits"]
    assert hit["page"] == 2 and hit["title"] == "Launch plan KX200"


def test_an_ods_gives_one_page_per_sheet(tmp_path):
    ods = write_ods(tmp_path / "returns.ods", {"Q1": [["Month", "Returns"], ["January", "12"]],
                                                 "Q2": [["Month", "Returns"], ["April", "31"]]})
    ex = extracted(ods)
    assert (ex.kind, ex.extractor) == ("ods", "odfpy")
    assert ex.pages == ("Sheet: Q1\nMonth | Returns\nJanuary | 12", "Sheet: Q2\nMonth | Returns\nApril | 31")


def test_rtf_text_and_its_info_group_are_read_with_the_declared_code_page(tmp_path):
    rtf = write_rtf(tmp_path / "letter.rtf", "Lettre de réclamation",
                    ["Le couvercle de la bouilloire est fêlé.", "Référence CR-2023-003."])
    ex = extracted(rtf)
    assert (ex.kind, ex.extractor) == ("rtf", "striprtf")
    assert ex.title == "Lettre de réclamation" and ex.meta["author"] == "Marco Rossi"
    assert ex.meta["created"] == "2023-05-02"
    assert "Le couvercle de la bouilloire est fêlé." in ex.pages[0] and "{" not in ex.pages[0]


def test_legacy_office_files_are_told_apart_and_kept_without_an_extractor(home, inbox):
    from extract_msg.ole_writer import OleWriter

    w = OleWriter()
    w.addEntry("WordDocument", b"\xec\xa5" + b"\0" * 1022)
    w.write(str(inbox / "old-contract.doc"))
    (inbox / "photo.heic").write_bytes(b"\0\0\0\x18ftypheic" + bytes(range(256)) * 4)
    report = run_json(home, "ingest", str(inbox))
    assert report["added"] == 2 and report["unsupported"] == 2 and report["problems"] == []
    shown = run_json(home, "show", str(inbox / "old-contract.doc"))
    assert shown["status"] == "unsupported" and shown["format"] == "doc"
    assert "legacy Word (.doc)" in shown["metadata"]["note"]


def test_a_text_file_named_msg_is_read_as_text_and_flagged_mislabelled(home, inbox):
    (inbox / "notes.msg").write_text("Call with Helix about the hinge pin\n")
    report = run_json(home, "ingest", str(inbox))
    (problem,) = report["problems"]
    assert problem["kind"] == "mislabelled" and "Outlook message" in problem["reason"]
    assert run_json(home, "search", "hinge")["total"] == 1
    assert run_dms(home, "verify").returncode == 0
