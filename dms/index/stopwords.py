"""Words that carry no subject in a typed question: "what did we agree about the lid hinge?" is about lid and
hinge. The index keeps every word (phrases such as "the lid" still match exactly); only a forgiving reading of
bare words leaves these out (dms.index.forgive). The list is the usual English one (Snowball's), with the
question words; it holds no word a product archive would search for on its own.
"""

from __future__ import annotations

import re

STOP_WORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below between both
but by can could did do does doing done down during each few for from further had has have having he her here
hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
off on once only or other our ours ourselves out over own same she should so some such than that the their
theirs them themselves then there these they this those through to too under until up very was we were what
when where which while who whom whose why will with would you your yours yourself yourselves
s t d ll m re ve
anyone anything something somebody tell know please find show give get got
""".split())

_WORD = re.compile(r"\w+", re.UNICODE)


def is_stop(text: str) -> bool:
    """True when every word of text is a stop word ("what's" is "what" and "s")."""
    words = _WORD.findall(text.lower())
    return bool(words) and all(w in STOP_WORDS for w in words)
