"""Built-in extractors; importing this package registers them all."""

from dms.ingest.extractors import docx, email, html, image, pdf, pptx, sheet, text  # noqa: F401
