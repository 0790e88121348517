"""Tesseract, called as a program: which one is installed, its languages, and one page's text.

The page goes to Tesseract's standard input as an uncompressed greyscale image and comes back
as TSV (one row per word with its confidence), from which the text is rebuilt line by line.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from dataclasses import dataclass

from PIL import Image


class OcrFailed(Exception):
    """One page could not be recognised; the message says why."""


@dataclass(frozen=True, slots=True)
class Recognised:
    text: str
    confidence: float | None  # mean word confidence, 0-100; None when no word was found
    words: int


def find(command: str) -> str | None:
    """The Tesseract program's full path, or None when it is not installed."""
    return shutil.which(command)


def missing_message(command: str) -> str:
    return (f"Tesseract is not installed here ({command!r} was not found; on Debian: apt install tesseract-ocr, "
            "or set DMS_TESSERACT to its path)")


def languages(program: str) -> set[str]:
    out = subprocess.run([program, "--list-langs"], capture_output=True, text=True, timeout=30, check=False)
    if out.returncode != 0:
        said = (out.stderr or out.stdout).strip().splitlines()
        last = said[-1] if said else "no message"
        raise OcrFailed(f"`{program} --list-langs` failed (exit {out.returncode}): {last}")
    lines = (out.stdout + out.stderr).splitlines()
    return {line.strip() for line in lines if line.strip() and " " not in line.strip() and ":" not in line}


def missing_languages(program: str, wanted: str) -> list[str]:
    have = languages(program)
    return [lang for lang in wanted.split("+") if lang and lang not in have]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["OMP_THREAD_LIMIT"] = "1"  # one page per worker process: Tesseract's own threads would fight them
    return env


def _run(program: str, image: Image.Image, args: list[str], timeout: float, limit: float) -> str:
    """Tesseract on one image, its output as text. `limit` is the page's whole allowance, for the message."""
    buf = io.BytesIO()
    image.convert("L").save(buf, "PPM")
    try:
        done = subprocess.run([program, "stdin", "stdout", *args], input=buf.getvalue(), capture_output=True,
                              timeout=max(timeout, 0.001), env=_env(), check=False)
    except subprocess.TimeoutExpired:
        raise OcrFailed(f"OCR took longer than the {limit:g} s limit per page (DMS_OCR_PAGE_TIMEOUT)") from None
    except OSError as exc:
        raise OcrFailed(f"Tesseract could not be started: {exc}") from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OcrFailed(f"Tesseract failed (exit {done.returncode}): {said[-1] if said else 'no message'}")
    return done.stdout.decode("utf-8", "replace")


def recognise(program: str, image: Image.Image, languages: str, timeout: float, dpi: int,
              limit: float | None = None) -> Recognised:
    """The text on one page image. Raises OcrFailed with the reason."""
    return parse_tsv(_run(program, image, ["-l", languages, "--dpi", str(dpi), "tsv"], timeout, limit or timeout))


def rotation(program: str, image: Image.Image, timeout: float, dpi: int) -> int:
    """Degrees (clockwise) that would turn the page upright, from Tesseract's orientation detection;
    0 when it is upright or cannot tell (too little text)."""
    try:
        said = _run(program, image, ["--psm", "0", "--dpi", str(dpi)], timeout, timeout)
    except OcrFailed:
        return 0
    for line in said.splitlines():
        if line.startswith("Rotate:"):
            try:
                return int(line.split(":", 1)[1]) % 360
            except ValueError:
                return 0
    return 0


def parse_tsv(tsv: str) -> Recognised:
    """Rebuild the text from Tesseract's TSV: words joined per line, a blank line between paragraphs."""
    lines: dict[tuple[int, int, int], list[str]] = {}
    confidences: list[float] = []
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        word = cols[11].strip()
        if not word:
            continue
        try:
            conf = float(cols[10])
        except ValueError:
            conf = -1.0
        if conf >= 0:
            confidences.append(conf)
        lines.setdefault((int(cols[2]), int(cols[3]), int(cols[4])), []).append(word)
    out: list[str] = []
    last_par = None
    for (block, par, _line), words in lines.items():
        if last_par is not None and (block, par) != last_par:
            out.append("")
        out.append(" ".join(words))
        last_par = (block, par)
    mean = round(sum(confidences) / len(confidences), 1) if confidences else None
    return Recognised("\n".join(out), mean, sum(len(w) for w in lines.values()))
