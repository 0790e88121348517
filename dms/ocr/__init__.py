"""OCR of pages without a text layer (scans, image-only PDF pages, image files), with Tesseract.

Extraction marks such pages "needs OCR" in the catalog; `phase.run` recognises them in the
extraction workers, one page per task with its own time limit, and writes the text back per
page with its confidence. Ingest runs it at the end of each run; `dms ocr` runs it later
(after installing Tesseract, or for pages that failed).
"""
