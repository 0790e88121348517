"""A DOCX package with only the styles its text uses, for mammoth.

Word and python-docx write every style of their template into `word/styles.xml`: 350 KB and 12,000 elements
for a one-page memo. mammoth parses each part with minidom, so that one part was 9 in 10 of the time of a
DOCX preview (about 300 ms a file, half an ingest's CPU on an archive of memos). mammoth only looks styles up
by id (the name of a paragraph's, run's, table's or list's style), so a styles part that keeps just the styles
referenced anywhere else in the package, and the styles those are based on or linked to, converts to the same
HTML (checked by tests/test_preview_docx_styles.py on the sample archive and odd packages).

`lean_package` never fails: a package it does not understand (no or several styles parts, an unknown namespace,
duplicate entries, a damaged member, broken XML, a DOCTYPE, larger than `MAX_COPY_BYTES` unpacked) is returned
unchanged, and mammoth reads it as before.
"""

from __future__ import annotations

import io
import zipfile

from lxml import etree

STYLES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"
UNREAD_TYPES = ("application/vnd.ms-word.stylesWithEffects+xml",)  # Word 2010's copy of the styles: mammoth skips it
CONTENT_TYPES = "[Content_Types].xml"
WORD_NAMESPACES = ("http://schemas.openxmlformats.org/wordprocessingml/2006/main",  # transitional
                   "http://purl.oclc.org/ooxml/wordprocessingml/main")  # strict
REFERENCES = ("pStyle", "rStyle", "tblStyle", "numStyleLink", "styleLink")  # a style named by its id
CHAINS = ("basedOn", "link", "next")  # a style naming another
MIN_STYLES_BYTES = 16 * 1024  # a smaller styles part costs little to parse: not worth a copy of the package
MAX_COPY_BYTES = 16 * 2**20  # unpacked (and packed); a larger package is handed to mammoth as it is
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False)


def lean_package(data: bytes) -> bytes:
    """The DOCX `data` with unused styles left out of its styles part, or `data` itself."""
    try:
        return _lean(data) or data
    except Exception:  # noqa: BLE001 - any package it cannot read (a damaged member, an odd compression): as it is
        return data


def _lean(data: bytes) -> bytes | None:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        infos = package.infolist()
        names = [info.filename for info in infos]
        if len(set(names)) != len(names) or sum(info.file_size for info in infos) > MAX_COPY_BYTES:
            return None
        types = _overrides(package.read(CONTENT_TYPES), set(names))
        styles_names = [name for name, kind in types.items() if kind == STYLES_TYPE]
        if len(styles_names) != 1:
            return None
        (styles_name,) = styles_names
        if package.getinfo(styles_name).file_size < MIN_STYLES_BYTES:
            return None
        parts = {info.filename: package.read(info) for info in infos}
        if any(_has_doctype(body) for body in parts.values() if _is_xml(body)):
            return None  # an entity could name a style; mammoth reads such a part its own way
        styles = etree.fromstring(parts[styles_name], _PARSER)
        w = etree.QName(styles).namespace
        if w not in WORD_NAMESPACES:
            return None
        used = set()
        for name, body in parts.items():  # any XML part, whatever its name: a style may be named from any of them
            if _is_xml(body) and types.get(name) not in (STYLES_TYPE, *UNREAD_TYPES):
                used |= _referenced(body)
        _keep_only(styles, used, w)
        parts[styles_name] = etree.tostring(styles, xml_declaration=True, encoding="UTF-8", standalone=True)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as copy:
            for info in infos:
                copy.writestr(_stored(info), parts[info.filename])
        return out.getvalue()


UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _is_xml(data: bytes) -> bool:
    return data.startswith(UTF16_BOMS) or data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"


def _has_doctype(data: bytes) -> bool:
    text = data.decode("utf-16", "ignore").encode() if data.startswith(UTF16_BOMS) else data
    return b"<!DOCTYPE" in text


def _overrides(content_types: bytes, names: set[str]) -> dict[str, str]:
    """Part name -> content type, for the parts the package names one for (the styles part among them)."""
    root = etree.fromstring(content_types, _PARSER)
    parts = {el.get("PartName", "").lstrip("/"): el.get("ContentType") for el in root.iter("{*}Override")}
    return {name: kind for name, kind in parts.items() if name in names}


def _referenced(xml: bytes) -> set[str]:
    if not xml.startswith(UTF16_BOMS) and b"Style" not in xml and b"styleLink" not in xml:  # most name none
        return set()
    try:
        root = etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError:
        raise ValueError("a part is not well-formed XML") from None  # mammoth will say so itself
    tags = [f"{{{w}}}{tag}" for w in WORD_NAMESPACES for tag in REFERENCES]  # a part may use either namespace
    return {el.get(f"{{{etree.QName(el).namespace}}}val") for el in root.iter(*tags)} - {None}


def _keep_only(styles, used: set[str], w: str) -> None:
    """Drop the styles outside `used` and the chains from it; the rest of the part stays as it was."""
    by_id: dict[str, list] = {}
    for style in styles.iter(f"{{{w}}}style"):
        by_id.setdefault(style.get(f"{{{w}}}styleId"), []).append(style)
    keep, todo = set(), list(used)
    while todo:
        style_id = todo.pop()
        if style_id in keep:
            continue
        keep.add(style_id)
        for style in by_id.get(style_id, ()):
            todo.extend(el.get(f"{{{w}}}val") for el in style.iter(*(f"{{{w}}}{tag}" for tag in CHAINS))
                        if el.get(f"{{{w}}}val"))
    for style_id, elements in by_id.items():
        if style_id not in keep:
            for style in elements:
                style.getparent().remove(style)


def _stored(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    copy.compress_type = zipfile.ZIP_STORED
    copy.external_attr = info.external_attr
    return copy
