"""File names as text: the catalog's reversible form of any bytes, and an escaped form for people.

A POSIX file name is bytes. Python decodes the bytes that are not UTF-8 to lone surrogates
(`surrogateescape`), which SQLite, JSON and a terminal cannot carry. `to_text` turns such a path into
valid text that names it for good, and `to_fs` gives the file system's path back:

    caf<0xE9>.txt   ->  caf\\xe9.txt       (the byte, written \\xHH)

Names that are valid UTF-8 stay as they are, unless they look like that escape themselves (they hold
`\\x80`-`\\xff` or a double backslash written out): then every backslash is doubled, so no two names ever
share one text form and the catalog of a run finds the same file on the next.

`shown` is for what people read (CLI lines, logs): control characters (a newline in a file name
would forge a line of `dms problems`), bidirectional overrides and undecodable bytes come out escaped.
"""

from __future__ import annotations

import re

_ESCAPE = re.compile(r"\\(x[89a-fA-F][0-9a-fA-F]|\\)")  # \xHH (a byte >= 0x80) or a doubled backslash
_SURROGATE = re.compile("[\udc80-\udcff]")
# C0 and C1 controls, DEL, line/paragraph separators, bidirectional marks and overrides, and lone surrogates
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def to_text(path: str) -> str:
    """The valid-text form of a path from the file system (one with surrogate escapes), reversible by `to_fs`."""
    if not _SURROGATE.search(path) and not _ESCAPE.search(path):
        return path
    return _SURROGATE.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", path.replace("\\", "\\\\"))


def to_fs(text: str) -> str:
    """The file system's path (surrogate escapes for bytes that are not UTF-8) of a `to_text` form."""
    if not _ESCAPE.search(text):
        return text
    return _ESCAPE.sub(lambda m: "\\" if m.group(1) == "\\" else chr(0xDC00 + int(m.group(1)[1:], 16)), text)


def shown(text: object) -> str:
    """A path or message for a person: one line, nothing the terminal would act on, bytes as \\xHH."""
    def escape(m: re.Match) -> str:
        ch = m.group()
        if ch in _NAMED:
            return _NAMED[ch]
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8
            return f"\\x{code - 0xDC00:02x}"
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _UNSAFE.sub(escape, str(text))
