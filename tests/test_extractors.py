"""Each format's extractor, on real files written by the fixtures, through the worker entry point."""

from pathlib import Path

from conftest import pdf_bytes, write_docx, write_eml, write_encrypted_pdf, write_pdf, write_pptx, write_xlsx

from dms.ingest.worker import Task, extract
from dms.rules import load_rules

RULES = load_rules()


def run(path: Path):
    return extract(Task(blob=path, path=str(path), size=path.stat().st_size, max_bytes=10**9), RULES)


def test_pdf_text_is_kept_per_page_with_embedded_title(tmp_path):
    ex = run(write_pdf(tmp_path / "spec.pdf", ["Scope of the kettle", "Heating element tolerances"],
                       title="Kettle spec"))
    assert ex.status == "ok" and ex.kind == "pdf"
    assert len(ex.pages) == 2
    assert "Heating element" in ex.pages[1] and "Heating" not in ex.pages[0]
    assert ex.title == "Kettle spec"


def test_docx_reads_paragraphs_tables_and_headers(tmp_path):
    ex = run(write_docx(tmp_path / "cr.docx", ["Change Request CR-2023-014", "Date: 2023-03-14"],
                        table=[["Aspect", "Assessment"], ["Risk", "likelihood 2"]], header="Nordlicht internal"))
    text = ex.pages[0]
    assert "Risk | likelihood 2" in text
    assert "Nordlicht internal" in text
    assert ex.number == "CR-2023-014" and ex.doc_type == "change request" and ex.doc_date == "2023-03-14"


def test_latin1_text_decodes_to_the_right_characters(tmp_path):
    path = tmp_path / "note.txt"
    path.write_bytes("Beschwerde von Jürgen Müller: Gerät zu heiß, très chaud.\n".encode("latin-1"))
    ex = run(path)
    assert "Jürgen Müller" in ex.pages[0] and "heiß" in ex.pages[0] and "très" in ex.pages[0]


def test_utf16_text_without_bom_decodes(tmp_path):
    path = tmp_path / "note.txt"
    path.write_bytes("Lieferung der Dichtung für KX200 verspätet".encode("utf-16-le"))
    ex = run(path)
    assert "Dichtung für KX200 verspätet" in ex.pages[0]
    assert ex.products == ("KX200",)


def test_html_keeps_visible_text_and_drops_script_and_style(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("<html><head><title>Recall</title><style>.x{color:red}</style>"
                    "<script>var token='zz-secret-zz';</script></head>"
                    "<body><h1>Recall notice</h1><p>Kettle KX200 lid &amp; hinge</p>"
                    "<noscript>enable js</noscript></body></html>", encoding="utf-8")
    ex = run(path)
    assert ex.title == "Recall"
    assert "Kettle KX200 lid & hinge" in ex.pages[0]
    assert "zz-secret-zz" not in ex.pages[0] and "color" not in ex.pages[0] and "enable js" not in ex.pages[0]


def test_eml_headers_become_metadata_and_attachments_are_returned(tmp_path):
    path = write_eml(tmp_path / "quote.eml", "Quotation PO-2023-0001", "Please find the quote attached.",
                     attachments=[("quote.pdf", pdf_bytes(["Quotation for order PO-2023-0001"]), "application/pdf")])
    ex = run(path)
    assert ex.meta["subject"] == "Quotation PO-2023-0001"
    assert ex.meta["from"] == ["Jonas Weber <jonas.weber@nordlicht.example>"]
    assert ex.meta["message_id"] == "<m1@nordlicht.example>"
    assert ex.doc_date == "2023-03-14" and ex.date_source == "e-mail Date header"
    assert "Please find the quote attached." in ex.pages[0]
    assert [a.name for a in ex.attachments] == ["quote.pdf"]
    assert ex.attachments[0].data.startswith(b"%PDF")
    assert "Jonas Weber <jonas.weber@nordlicht.example>" in ex.parties


def test_xlsx_reads_every_sheet_as_a_page(tmp_path):
    ex = run(write_xlsx(tmp_path / "sales.xlsx", {"Q1": [["Month", "Sold"], ["2023-01", 412]],
                                                   "Q2": [["Month", "Sold"], ["2023-04", 977]]}))
    assert len(ex.pages) == 2
    assert "2023-01 | 412" in ex.pages[0] and "977" in ex.pages[1]


def test_csv_is_read_as_text(tmp_path):
    path = tmp_path / "returns.csv"
    path.write_text("Month,Retailer,Returned\n2023-01,Brightwater Retail,17\n", encoding="utf-8")
    ex = run(path)
    assert ex.kind == "csv" and "Brightwater Retail,17" in ex.pages[0]
    assert "Brightwater Retail" in ex.parties


def test_pptx_reads_slides_and_notes(tmp_path):
    ex = run(write_pptx(tmp_path / "plan.pptx", [("Lifecycle plan KX200", "Launch 2022", "Owner: Anna"),
                                                 ("Targets", "Return rate below 2 %", None)]))
    assert len(ex.pages) == 2
    assert "Notes: Owner: Anna" in ex.pages[0] and "Return rate" in ex.pages[1]
    assert ex.title == "Lifecycle plan KX200"


def test_unknown_binary_is_stored_with_no_extractor_status(tmp_path):
    path = tmp_path / "drawing.dwg"
    path.write_bytes(bytes(range(256)) * 8)
    ex = run(path)
    assert ex.status == "unsupported" and "no extractor" in ex.meta["note"]


def test_document_number_and_revision_come_from_labels(tmp_path):
    path = tmp_path / "spec.txt"
    path.write_text("Kettle specification\nDocument No.: SPEC-KX200-03\nRevision: B\nDate: 14 March 2023\n"
                    "Implements CR-2023-014 and cites SPEC-KX200-01 Rev A.\n", encoding="utf-8")
    ex = run(path)
    assert (ex.number, ex.revision, ex.doc_date) == ("SPEC-KX200-03", "B", "2023-03-14")
    assert set(ex.refs) == {"cr-2023-014", "spec-kx200-01@a", "spec-kx200-01"}


def test_aes_encrypted_pdf_with_an_empty_user_password_is_read(tmp_path):
    pdf = write_encrypted_pdf(tmp_path / "aes.pdf", "Distribution agreement terms", password="", algorithm="AES-256")
    ex = run(pdf)
    assert ex.status == "ok" and "Distribution agreement terms" in ex.pages[0]


def test_aes_encrypted_pdf_with_a_password_is_reported_as_encrypted(tmp_path):
    ex = run(write_encrypted_pdf(tmp_path / "aes.pdf", "salary bands", password="secret", algorithm="AES-256"))
    assert ex.status == "failed" and ex.problems[0].kind == "encrypted"


def test_iso_2022_text_is_text_and_decodes(tmp_path):
    path = tmp_path / "note.txt"
    path.write_bytes("역사적 예수 연구자들".encode("iso2022_kr"))
    ex = run(path)
    assert ex.status == "ok" and "역사적 예수 연구자들" in ex.pages[0]


def test_each_reference_keeps_its_page_offset_and_surrounding_words(tmp_path):
    path = write_pdf(tmp_path / "MTG-2023-03-20.pdf", [
        "Minutes MTG-2023-03-20\nDate: 2023-03-20\nAttendees only.",
        "Item 4: change request CR-2023-014 was approved by the product manager.",
    ])
    ex = run(path)
    assert ex.number == "MTG-2023-03-20"
    [ref] = ex.references  # the document's own number is not a reference
    assert (ref.family, ref.number, ref.page) == ("change_request", "CR-2023-014", 2)
    page = ex.pages[1]
    assert page[ref.offset:ref.offset + len("CR-2023-014")] == "CR-2023-014"
    assert ref.snippet.startswith("Item 4: change request CR-2023-014 was approved")
