"""Built-in extractors; importing this package registers them all."""

from dms.ingest.extractors import docx, email, html, image, msg, odf, pdf, pptx, rtf, sheet, text  # noqa: F401
