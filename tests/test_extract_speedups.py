"""The extractors' speed-ups keep their output: python-docx parses only the parts dms reads (and only while
dms opens a document), an e-mail's headers are parsed once per message, and the text sniffer counts control
bytes in one pass. Real files written by the fixtures, read through the worker entry point."""

from __future__ import annotations

import datetime
import threading
from pathlib import Path

import docx
from conftest import write_docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.part import PartFactory
from docx.parts.styles import StylesPart

from dms.ingest.worker import Task, extract
from dms.rules import load_rules

RULES = load_rules()


def run(path: Path):
    return extract(Task(blob=path, path=str(path), size=path.stat().st_size, max_bytes=10**9), RULES)


def write_full_docx(path: Path) -> Path:
    """A DOCX with everything the extractor reads: core properties, a header, a footer, body and a table."""
    document = docx.Document()
    props = document.core_properties
    props.title, props.author, props.subject = "Hinge change", "Anna Lindqvist", "Kettle KX200"
    props.created = datetime.datetime(2023, 3, 14, 9, 30)
    section = document.sections[0]
    section.header.paragraphs[0].text = "Nordlicht internal"
    section.footer.paragraphs[0].text = "Page footer CR-2023-014"
    document.add_heading("Change Request CR-2023-014", level=1)
    document.add_paragraph("Date: 2023-03-14")
    table = document.add_table(rows=2, cols=2)
    for r, row in enumerate([["Aspect", "Assessment"], ["Risk", "likelihood 2"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph("Replaces SPEC-KX200-03 Rev B.", style="List Bullet")
    document.save(path)
    return path


def test_a_docx_still_gives_its_header_footer_table_and_core_properties(tmp_path):
    """GIVEN a DOCX with a header, a footer, a heading, a table and core properties
    WHEN it is extracted (only the parts dms reads are parsed)
    THEN the text, title and metadata are exactly what python-docx gives when it parses everything."""
    ex = run(write_full_docx(tmp_path / "cr.docx"))
    assert (ex.status, ex.kind, ex.extractor, ex.problems) == ("ok", "docx", "python-docx", ())
    assert ex.pages == ("Nordlicht internal\nPage footer CR-2023-014\nChange Request CR-2023-014\n"
                        "Date: 2023-03-14\nAspect | Assessment\nRisk | likelihood 2\nReplaces SPEC-KX200-03 Rev B.",)
    assert ex.title == "Hinge change"
    assert ex.meta == {"author": "Anna Lindqvist", "subject": "Kettle KX200", "created": "2023-03-14"}
    assert ex.number == "CR-2023-014" and ex.doc_date == "2023-03-14"
    assert ex.refs == ("spec-kx200-03@b", "spec-kx200-03")


def test_a_docx_whose_unread_parts_are_damaged_gives_its_text_and_one_whose_body_is_damaged_fails(tmp_path):
    """Styles, numbering, settings and theme are not read, so damage there no longer loses the text (it did while
    python-docx parsed every part); a damaged body, header or core properties part is still reported."""
    import zipfile

    source = write_full_docx(tmp_path / "cr.docx")

    def damaged(name: str, parts: tuple[str, ...]) -> Path:
        target = tmp_path / name
        with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
            for info in zin.infolist():
                zout.writestr(info, b"<not xml" if info.filename in parts else zin.read(info.filename))
        return target

    unread = damaged("styles.docx", ("word/styles.xml", "word/numbering.xml", "word/settings.xml",
                                     "word/theme/theme1.xml"))
    assert run(unread).pages == run(source).pages and run(unread).status == "ok"
    for part in ("word/document.xml", "word/header1.xml", "docProps/core.xml"):
        ex = run(damaged(part.replace("/", "_"), (part,)))
        assert ex.status == "failed" and ex.problems[0].kind == "malformed", part


def test_documents_written_after_an_extraction_still_have_their_styles(tmp_path):
    """GIVEN a DOCX extracted in this process
    WHEN python-docx then writes a document with styles (as the sample generator and fixtures do)
    THEN its styles part is parsed as usual and the styles are applied."""
    selector = PartFactory.part_class_selector
    run(write_full_docx(tmp_path / "first.docx"))
    assert PartFactory.part_class_selector is selector
    document = docx.Document()
    assert isinstance(document.part._styles_part, StylesPart)
    document.add_paragraph("Scope", style="Heading 1")
    document.save(tmp_path / "second.docx")
    assert docx.Document(tmp_path / "second.docx").paragraphs[0].style.name == "Heading 1"


def test_a_document_opened_in_another_thread_during_an_extraction_keeps_its_styles(tmp_path):
    """GIVEN dms opening a DOCX in one thread (the part-class hook is set)
    WHEN another thread opens a document at the same time
    THEN that thread's document is parsed in full."""
    from dms.ingest.extractors.docx import text_parts_only

    path = write_docx(tmp_path / "plain.docx", ["Hello"])
    seen: list[object] = []
    with text_parts_only():
        mine = docx.Document(str(path))
        other = threading.Thread(target=lambda: seen.append(docx.Document(str(path)).part._styles_part))
        other.start()
        other.join()
    assert not isinstance(mine.part.part_related_by(RT.STYLES), StylesPart)
    assert isinstance(seen[0], StylesPart)


def test_a_docx_with_linked_and_own_section_headers_lists_each_text_once(tmp_path):
    """GIVEN a DOCX of two sections, the second with its own header and the first's footer linked
    THEN each header and footer text is read once, before the body."""
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "First header"
    document.sections[0].footer.paragraphs[0].text = "Shared footer"
    document.add_paragraph("Body one")
    second = document.add_section()
    second.header.is_linked_to_previous = False
    second.header.paragraphs[0].text = "Second header"
    document.add_paragraph("Body two")
    document.save(tmp_path / "two.docx")
    ex = run(tmp_path / "two.docx")
    # the section break is an empty paragraph of its own
    assert ex.pages == ("First header\nShared footer\nSecond header\nBody one\n\nBody two",)


MAIL = (
    b"From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <juergen@helix.example>\r\n"
    b"To: \"Weber, Jonas\" <jonas.weber@nordlicht.example>,\r\n"
    b"  =?iso-8859-1?q?Lena_H=F6ffmann?= <lena@helix.example>\r\n"
    b"Cc: quality@nordlicht.example\r\n"
    b"Subject: =?utf-8?b?UmU6IEdlcsOkdCB6dSBoZWnDnw==?=\r\n"
    b"  follow-up for\r\n\tCR-2023-014\r\n"
    b"Date: Tue, 14 Mar 2023 09:00:00 +0100\r\n"
    b"Message-ID: <reply-1@helix.example>\r\n"
    b"In-Reply-To: <first-1@helix.example>\r\n"
    b"References: <first-0@helix.example>\r\n <first-1@helix.example>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
    b"\r\n"
    b"--outer\r\n"
    b"Content-Type: multipart/alternative; boundary=\"alt\"\r\n"
    b"\r\n"
    b"--alt\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"\r\n"
    b"<p>HTML only</p>\r\n"
    b"--alt\r\n"
    b"Content-Type: text/plain; charset=\"iso-8859-1\"\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Das Ger=E4t ist zu hei=DF, siehe SPEC-KX200-03 Rev B.\r\n"
    b"--alt--\r\n"
    b"--outer\r\n"
    b"Content-Type: text/plain; name=\"=?utf-8?q?Pr=C3=BCfbericht.txt?=\"\r\n"
    b"Content-Disposition: attachment; filename*=utf-8''Pr%C3%BCfbericht.txt\r\n"
    b"\r\n"
    b"Test report\r\n"
    b"--outer\r\n"
    b"Content-Type: message/rfc822\r\n"
    b"Content-Disposition: attachment\r\n"
    b"\r\n"
    b"From: anna@helix.example\r\n"
    b"Subject: first\r\n"
    b"\r\n"
    b"Inner body\r\n"
    b"--outer--\r\n"
)


def test_an_email_with_encoded_and_folded_headers_reads_as_before(tmp_path):
    """GIVEN an e-mail with encoded words, folded headers, a quoted display name, an HTML alternative and two
    attachments (one a forwarded message)
    WHEN it is extracted (each header parsed once per message)
    THEN headers, addresses, body and attachments are as the standard library's default policy reads them."""
    path = tmp_path / "reply.eml"
    path.write_bytes(MAIL)
    ex = run(path)
    assert (ex.status, ex.kind, ex.extractor) == ("ok", "eml", "email")
    assert ex.meta == {
        "from": ["Jürgen Müller <juergen@helix.example>"],
        "to": ["Weber, Jonas <jonas.weber@nordlicht.example>", "Lena Höffmann <lena@helix.example>"],
        "cc": ["quality@nordlicht.example"],
        "subject": "Re: Gerät zu heiß follow-up for CR-2023-014",
        "message_id": "<reply-1@helix.example>", "in_reply_to": "<first-1@helix.example>",
        "references": "<first-0@helix.example> <first-1@helix.example>", "date": "2023-03-14",
    }
    assert ex.pages[0] == (
        "From: Jürgen Müller <juergen@helix.example>\n"
        "To: Weber, Jonas <jonas.weber@nordlicht.example>, Lena Höffmann <lena@helix.example>\n"
        "Cc: quality@nordlicht.example\nSubject: Re: Gerät zu heiß follow-up for CR-2023-014\n\n"
        "Das Gerät ist zu heiß, siehe SPEC-KX200-03 Rev B.")
    assert [(a.name, a.data) for a in ex.attachments] == [
        ("Prüfbericht.txt", b"Test report"),
        ("attachment-2", b"From: anna@helix.example\nSubject: first\n\nInner body"),
    ]


def test_iso_2022_text_is_text_and_control_heavy_bytes_are_binary(tmp_path):
    """GIVEN an ISO-2022-JP text (escape and shift bytes) and a file with more than 2 % other control bytes
    THEN the first reads as text, the second is unrecognised binary."""
    text = tmp_path / "note.txt"
    text.write_bytes("品質報告 KX200 の蓋\n".encode("iso-2022-jp") * 20)
    assert run(text).kind == "text"
    binary = tmp_path / "blob.txt"
    binary.write_bytes((b"abcdefghijklmnopqrstuvwxyz0123456789ABC\x01") * 40)  # 1 in 40
    assert run(binary).kind == "binary"
    edge = tmp_path / "edge.txt"
    edge.write_bytes(b"a" * 98 + b"\x01\x02")  # exactly 2 %: still text
    assert run(edge).kind == "text"
