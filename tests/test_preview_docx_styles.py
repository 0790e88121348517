"""DOCX previews from a package holding only the styles its text uses (dms.preview.docx_styles): the same HTML
as mammoth makes of the whole file, on the sample archive and on packages made to be awkward."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import docx
import mammoth
import pytest
from conftest import REPO

from dms.preview import html
from dms.preview.docx_styles import MIN_STYLES_BYTES, lean_package


def _convert(data: bytes) -> tuple[str, list[str]]:
    result = mammoth.convert_to_html(io.BytesIO(data))
    return result.value, [str(m) for m in result.messages]


def _styles_size(data: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return package.getinfo("word/styles.xml").file_size


def _replace(data: bytes, name: str, edit) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            dst.writestr(info, edit(body) if info.filename == name else body)
    return out.getvalue()


def _styled_document(path: Path) -> Path:
    """Headings, a list, a quote, a table style, a character style and a header: styles named from the body, from
    a header and from other styles (Heading 1 is based on Normal and linked to its character style)."""
    document = docx.Document()
    document.sections[0].header.paragraphs[0].style = document.styles["Title"]
    document.sections[0].header.paragraphs[0].text = "KX200 lid seal"
    document.add_heading("Change request CR-2024-017", level=1)
    document.add_heading("Reason", level=2)
    document.add_paragraph("Leaks cause most returns.", style="Intense Quote")
    for item in ("thicker seal", "new supplier"):
        document.add_paragraph(item, style="List Bullet")
    run = document.add_paragraph("See ").add_run("SPEC-KX200-02")
    run.style = document.styles["Strong"]
    table = document.add_table(rows=2, cols=2, style="Light Grid Accent 1")
    table.cell(0, 0).text, table.cell(1, 1).text = "part", "seal"
    document.save(path)
    return path


# one DOCX of each kind the sample holds (a change request, minutes, a specification): each whole DOCX of the sample
# and of ../shared/corpora was compared once by hand (0 of 71 differ); a conversion of the whole file takes ~0.3 s
SAMPLE_DOCX = [min((REPO / "archive").rglob(f"{kind}/*.docx")) for kind in ("change-requests", "minutes",
                                                                              "specifications")]


@pytest.mark.parametrize("path", SAMPLE_DOCX, ids=[p.name for p in SAMPLE_DOCX])
def test_each_docx_of_the_sample_archive_converts_to_the_same_html_from_its_lean_package(path):
    data = path.read_bytes()
    lean = lean_package(data)
    assert _convert(lean) == _convert(data)
    if _styles_size(data) >= MIN_STYLES_BYTES:
        assert _styles_size(lean) < _styles_size(data) / 5  # the template's unused styles are gone


def test_styles_named_from_headers_lists_tables_runs_and_other_styles_are_kept(tmp_path):
    data = _styled_document(tmp_path / "styled.docx").read_bytes()
    lean = lean_package(data)
    assert lean is not data
    assert _convert(lean) == _convert(data)
    value, _ = _convert(lean)
    assert "<h1>" in value and "<h2>" in value and "<strong>" in value and "<ul>" in value  # found by style name
    with zipfile.ZipFile(io.BytesIO(lean)) as package:
        styles = package.read("word/styles.xml").decode()
    for style_id in ("Heading1", "Heading2", "IntenseQuote", "ListBullet", "Strong", "LightGrid-Accent1", "Title",
                     "Normal", "Heading1Char"):  # Normal: what the headings are based on; Heading1Char: linked
        assert f'w:styleId="{style_id}"' in styles, style_id
    assert 'w:styleId="TOCHeading"' not in styles  # in the template, named by nothing


def test_a_style_id_defined_twice_keeps_the_first_definition_as_mammoth_reads_it(tmp_path):
    data = _styled_document(tmp_path / "styled.docx").read_bytes()

    def twice(xml: bytes) -> bytes:  # a second "Heading1" named "Ignored" after the real one
        return xml.replace(b"</w:styles>", b'<w:style w:type="paragraph" w:styleId="Heading1"><w:name '
                           b'w:val="Ignored"/></w:style></w:styles>')

    odd = _replace(data, "word/styles.xml", twice)
    assert _convert(lean_package(odd)) == _convert(odd)
    assert "<h1>" in _convert(lean_package(odd))[0]


def test_styles_named_from_a_part_in_utf16_are_kept(tmp_path):
    data = _styled_document(tmp_path / "styled.docx").read_bytes()

    def utf16(xml: bytes) -> bytes:
        return xml.decode("utf-8").replace("encoding='UTF-8'", "encoding='UTF-16'").encode("utf-16")

    odd = _replace(data, "word/document.xml", utf16)
    assert "<h1>" in _convert(odd)[0]
    assert _convert(lean_package(odd)) == _convert(odd)


def test_a_body_in_the_strict_namespace_keeps_the_styles_it_names(tmp_path):
    data = _styled_document(tmp_path / "styled.docx").read_bytes()
    strict = _replace(data, "word/document.xml", lambda x: x.replace(
        b"http://schemas.openxmlformats.org/wordprocessingml/2006/main", b"http://purl.oclc.org/ooxml/wordprocessingml/main"))
    assert "<h1>" in _convert(strict)[0]
    assert lean_package(strict) is not strict and _convert(lean_package(strict)) == _convert(strict)


def _damaged_member(data: bytes) -> bytes:
    """The package with a member mammoth never reads whose deflate stream is broken (a damaged thumbnail)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("docProps/thumbnail.bin", bytes(range(256)) * 64)
    raw = bytearray(out.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as package:
        member = package.getinfo("docProps/thumbnail.bin")
    start = member.header_offset + 30 + len(member.filename.encode()) + len(member.extra)
    raw[start + 5:start + 25] = b"\xff" * 20
    return bytes(raw)


@pytest.mark.parametrize("damage", ["not a zip", "no content types", "styles part not xml", "body not xml",
                                    "external entity in styles", "internal entity naming a style",
                                    "damaged member mammoth never reads"])
def test_a_package_it_cannot_read_is_handed_on_unchanged(tmp_path, damage):
    data = _styled_document(tmp_path / "styled.docx").read_bytes()
    odd = {
        "not a zip": lambda: b"PK\x03\x04 this is no zip file",
        "no content types": lambda: _replace(data, "[Content_Types].xml", lambda x: b"<Types/"),
        "styles part not xml": lambda: _replace(data, "word/styles.xml", lambda x: x[: len(x) // 2]),
        "body not xml": lambda: _replace(data, "word/document.xml", lambda x: x[:-40]),
        "external entity in styles": lambda: _replace(data, "word/styles.xml", lambda x: re.sub(
            rb"^<\?xml[^>]*\?>", b'<?xml version="1.0"?><!DOCTYPE w:styles [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
            x)),
        "internal entity naming a style": lambda: _replace(data, "word/document.xml", lambda x: re.sub(
            rb"^<\?xml[^>]*\?>", b'<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY h "Heading1">]>',
            x).replace(b'w:val="Heading1"', b'w:val="&h;"')),
        "damaged member mammoth never reads": lambda: _damaged_member(data),
    }[damage]()
    assert lean_package(odd) is odd
    if damage in ("internal entity naming a style", "damaged member mammoth never reads"):
        assert "<h1>" in _convert(odd)[0]  # mammoth reads it whole, as before


def test_the_docx_preview_is_made_from_the_lean_package(tmp_path):
    path = _styled_document(tmp_path / "styled.docx")
    rendered = html.render(path, "docx", 2**20)
    assert rendered == html.sanitise(_convert(path.read_bytes())[0])
    assert "<h1>Change request CR-2024-017</h1>" in rendered
