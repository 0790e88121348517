"""Bytes to text for files that do not say their encoding."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
]


def decode(data: bytes, hint: str | None = None) -> tuple[str, str]:
    """Return (text, encoding). Tries BOMs, a declared hint, UTF-8, BOM-less UTF-16/32, then detection."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data.decode(enc, errors="replace"), enc
    candidates = [hint] if hint else []
    candidates.append("utf-8")
    for enc in candidates:
        try:
            return data.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            continue
    if b"\x00" in data[:4096]:
        sample = data[:4096]
        zeros_odd, zeros_even = sample[1::2].count(0), sample[0::2].count(0)
        if sample[2::4].count(0) > len(sample) / 8 and sample[3::4].count(0) > len(sample) / 8:
            enc = "utf-32-le" if zeros_odd > zeros_even else "utf-32-be"
        else:
            enc = "utf-16-le" if zeros_odd > zeros_even else "utf-16-be"
        return data.decode(enc, errors="replace"), enc
    best = from_bytes(data[: 1 << 20]).best()
    if best is not None and best.encoding:
        enc = best.encoding
        # A Western text with a few accents is cp1252 far more often than a rare code page.
        if _mostly_ascii(data) and enc not in ("cp1252", "latin_1", "iso8859_15"):
            try:
                text = data.decode("cp1252")
                if sum(ch.isalpha() for ch in text) > 0.5 * len(text.strip() or "x"):
                    return text, "cp1252"
            except UnicodeDecodeError:
                pass
        return data.decode(enc, errors="replace"), enc
    return data.decode("latin-1"), "latin-1"


def _mostly_ascii(data: bytes) -> bool:
    sample = data[: 1 << 16]
    high = sum(1 for b in sample if b >= 0x80)
    return high <= len(sample) * 0.05
