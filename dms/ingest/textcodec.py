"""Bytes to text for files that do not say their encoding."""

from __future__ import annotations

import codecs
import re

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
    if b"\x1b$" in data[:65536]:  # ISO-2022 escape sequences: 7-bit text that is not ASCII
        candidates.append("iso2022_kr" if b"\x1b$)C" in data[:65536] else "iso2022_jp_2")
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
        if enc in _LATIN_FAMILY and enc != "cp1252":
            western = _as_western(data)
            if western is not None:
                return western, "cp1252"
        return data.decode(enc, errors="replace"), enc
    return data.decode("latin-1"), "latin-1"


# Single-byte code pages that share bytes with cp1252: the detector cannot tell them apart on a short
# text. Western text is far more common in these archives; Central European text decoded as cp1252
# puts symbols such as ³ ¹ ¿ Ÿ inside words, and then the detector's choice stands.
_LATIN_FAMILY = {"cp1250", "cp1252", "cp1257", "latin_1", "iso8859_2", "iso8859_13", "iso8859_15", "iso8859_16",
                 "mac_latin2", "mac_roman", "mac_iceland", "cp850", "cp852", "cp437"}
_IN_WORD_SYMBOL = re.compile(r"\w[\u0080-\u00bf\u00d7\u00f7\u0152\u0153\u0178\u2020-\u20ff]|"
                             r"[\u0080-\u00bf\u00d7\u00f7\u0152\u0153\u0178\u2020-\u20ff]\w")


def _as_western(data: bytes) -> str | None:
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    return None if _IN_WORD_SYMBOL.search(text) else text
