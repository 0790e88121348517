"""Office files and e-mail as HTML for the viewer: DOCX with mammoth, XLSX as tables (openpyxl), PPTX as the
text of each slide (python-pptx), e-mail as its headers and body. Every render goes through `sanitise` (nh3):
no script, no style, no event handler, no remote image (only images embedded in the file, as data: URIs),
links that open nothing on their own. The page shows it under the CSP (no inline script or style anyway).
"""

from __future__ import annotations

import email
import email.policy
import html
import io
import re
import warnings
from pathlib import Path

import nh3

from dms.preview.images import PreviewFailed

HTML_KINDS = frozenset({"docx", "xlsx", "pptx", "eml", "msg"})
TAGS = {"a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2",
        "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "li", "ol", "p", "pre", "s", "section", "small", "span",
        "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul"}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}, "td": {"colspan", "rowspan"},
              "th": {"colspan", "rowspan", "scope"}, "section": {"class"}, "div": {"class"}, "dl": {"class"},
              "p": {"class"}, "table": {"class"}}
OWN_CLASSES = frozenset({"preview-cut", "sheet", "slide", "notes", "mail-headers", "mail-body"})
_EMBEDDED_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]+\Z")
_LINK = re.compile(r"(https?:|mailto:)", re.IGNORECASE)


def _keep(tag: str, attr: str, value: str) -> str | None:
    if attr == "src":  # an image embedded in the file; never one fetched from elsewhere (a tracking pixel)
        return value if tag == "img" and _EMBEDDED_IMAGE.match(value) else None
    if attr == "href":
        return value if _LINK.match(value.strip()) else None
    if attr == "class":  # only the renderer's own classes: a document may not dress up as the app's interface
        kept = [c for c in value.split() if c in OWN_CLASSES]
        return " ".join(kept) or None
    return value


def sanitise(markup: str) -> str:
    return nh3.clean(markup, tags=TAGS, attributes=ATTRIBUTES, attribute_filter=_keep,
                     url_schemes={"http", "https", "mailto", "data"}, clean_content_tags={"script", "style"},
                     strip_comments=True, link_rel="noopener noreferrer nofollow")


def render(blob: Path, kind: str, max_bytes: int) -> str:
    """The file as sanitised HTML, cut (with a note) at about `max_bytes`."""
    maker = {"docx": _docx, "xlsx": _xlsx, "pptx": _pptx, "eml": _eml, "msg": _msg}.get(kind)
    if maker is None:
        raise PreviewFailed(f"{kind} files are not rendered as HTML")
    try:
        markup, cut = maker(blob, max_bytes)
    except PreviewFailed:
        raise
    except Exception as exc:  # a converter failing on a file it half understands
        raise PreviewFailed(f"the {kind.upper()} file could not be rendered: {type(exc).__name__}: {exc}") from None
    if len(markup) > max_bytes:
        markup, cut = markup[:max_bytes], True
    out = sanitise(markup)
    if cut:
        out += (f'<p class="preview-cut">The rest is not shown: the preview stops at {max_bytes / 2**20:g} MB '
                "(DMS_PREVIEW_HTML_MAX_MB). Download the original to see all of it.</p>")
    return out


def _docx(blob: Path, max_bytes: int) -> tuple[str, bool]:
    import mammoth

    from dms.preview.docx_styles import MAX_COPY_BYTES, lean_package  # the styles the text uses: same HTML, faster

    if blob.stat().st_size > MAX_COPY_BYTES:  # not copied: mammoth reads the members it needs from the file
        with blob.open("rb") as f:
            return mammoth.convert_to_html(f).value, False
    return mammoth.convert_to_html(io.BytesIO(lean_package(blob.read_bytes()))).value, False


class _Budget:
    def __init__(self, max_bytes: int):
        self.parts: list[str] = []
        self.size, self.max = 0, max_bytes

    def add(self, text: str) -> bool:
        """False once the budget is spent."""
        self.parts.append(text)
        self.size += len(text)
        return self.size <= self.max

    def text(self) -> str:
        return "".join(self.parts)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return html.escape(str(value))


def _xlsx(blob: Path, max_bytes: int) -> tuple[str, bool]:
    from openpyxl import load_workbook

    with blob.open("rb") as f:  # a file object: openpyxl judges a path by its extension, and blobs have none
        with warnings.catch_warnings():  # openpyxl warns about styles and extensions it skips
            warnings.simplefilter("ignore")
            return _sheets(load_workbook(f, read_only=True, data_only=True), max_bytes)


def _sheets(book, max_bytes: int) -> tuple[str, bool]:
    out = _Budget(max_bytes)
    try:
        for sheet in book.worksheets:
            out.add(f'<section class="sheet"><h3>{html.escape(sheet.title)}</h3><table class="sheet"><tbody>')
            for row in sheet.iter_rows(values_only=True):
                cells = list(row)
                while cells and cells[-1] in (None, ""):
                    cells.pop()
                if not cells:
                    continue
                if not out.add("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in cells) + "</tr>"):
                    return out.text() + "</tbody></table></section>", True
            out.add("</tbody></table></section>")
    finally:
        book.close()
    return out.text(), False


def _shape_html(shape) -> str:
    if getattr(shape, "has_table", False) and shape.has_table:
        rows = ("<tr>" + "".join(f"<td>{html.escape(c.text)}</td>" for c in r.cells) + "</tr>"
                for r in shape.table.rows)
        return '<table class="sheet"><tbody>' + "".join(rows) + "</tbody></table>"
    if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
        paras = [html.escape(p.text if hasattr(p, "text") else "".join(r.text for r in p.runs))
                 for p in shape.text_frame.paragraphs]
        return "".join(f"<p>{p}</p>" for p in paras if p.strip())
    if hasattr(shape, "shapes"):  # a group
        return "".join(_shape_html(s) for s in shape.shapes)
    return ""


def _pptx(blob: Path, max_bytes: int) -> tuple[str, bool]:
    from pptx import Presentation

    deck = Presentation(str(blob))
    out = _Budget(max_bytes)
    for n, slide in enumerate(deck.slides, start=1):
        title = slide.shapes.title.text if slide.shapes.title is not None and slide.shapes.title.text else ""
        body = "".join(_shape_html(s) for s in slide.shapes if s != slide.shapes.title)
        heading = f"Slide {n}" + (f": {html.escape(title)}" if title else "")
        notes = ""
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            said = slide.notes_slide.notes_text_frame.text.strip()
            notes = f'<p class="notes"><b>Notes:</b> {html.escape(said)}</p>' if said else ""
        if not out.add(f'<section class="slide"><h3>{heading}</h3>{body}{notes}</section>'):
            return out.text(), True
    return out.text(), False


HEADERS = ("From", "To", "Cc", "Date", "Subject")


def _eml(blob: Path, max_bytes: int) -> tuple[str, bool]:
    msg = email.message_from_bytes(blob.read_bytes(), policy=email.policy.default)

    def header(name: str):
        try:
            return msg.get(name)
        except (ValueError, TypeError, IndexError):  # a malformed header: left out
            return None

    try:
        part = msg.get_body(preferencelist=("html", "plain"))
    except (KeyError, AttributeError):
        part = None
    body_html, body_text = None, ""
    if part is not None:
        try:
            content = part.get_content()
        except (LookupError, ValueError, AssertionError, TypeError):
            content = (part.get_payload(decode=True) or b"").decode("latin-1")
        if isinstance(content, bytes):
            content = content.decode("latin-1")
        body_html, body_text = (content, "") if part.get_content_type() == "text/html" else (None, content)
    names = [p.get_filename() or "unnamed" for p in msg.iter_attachments()]
    return _mail_html([(name, header(name)) for name in HEADERS], body_html, body_text, names), False


def _mail_html(headers: list[tuple[str, object]], body_html: str | None, body_text: str, names: list[str]) -> str:
    rows = "".join(f"<dt>{name}</dt><dd>{html.escape(' '.join(str(value).split()))}</dd>"
                   for name, value in headers if value)
    atts = ("<p><b>Attachments:</b> " + ", ".join(html.escape(n) for n in names) + "</p>") if names else ""
    body = body_html if body_html else f"<pre>{html.escape(body_text)}</pre>"
    return f'<dl class="mail-headers">{rows}</dl>{atts}<div class="mail-body">{body}</div>'


def _msg(blob: Path, max_bytes: int) -> tuple[str, bool]:
    import extract_msg

    msg = extract_msg.openMsg(str(blob), delayAttachments=True)
    try:
        def field(name: str):
            try:
                return getattr(msg, name)
            except Exception:  # extract-msg raises many kinds for damaged properties: leave that one out
                return None

        body_html = field("htmlBody")
        if isinstance(body_html, bytes):
            body_html = body_html.decode("utf-8", "replace")
        names = [getattr(a, "longFilename", None) or getattr(a, "shortFilename", None) or "unnamed"
                 for a in (field("attachments") or [])]
        headers = [("From", field("sender")), ("To", field("to")), ("Cc", field("cc")), ("Date", field("date")),
                   ("Subject", field("subject"))]
        return _mail_html(headers, body_html, field("body") or "", names), False
    finally:
        msg.close()
