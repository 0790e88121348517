"""The link types of the cross-reference graph: one table, read by everything that knows a link type.

Each row says what a link means and how the rest of dms treats it:

- `derived`: `dms.graph.build` makes it from the catalog (references, numbers, e-mail headers, phrases);
- `hand_addable`: people may add it with `dms link add --type` (and the web's link form, the bulk link);
- `walked`: `dms trace` walks on through it from a document that is not the root (the document-to-document
  chains: revisions, attachments, replies, copies). From the root every link is followed; onward, only these
  and links made by hand, whatever their type, so that a product or a cited number named in many documents does
  not tie everything to everything;
- `cross_link`: it ties a document to other paperwork, so a document with one is no orphan (`dms orphans`).
  Products and parties named in a document (`about`, `involves`) are not cross-links.

The order of the rows is the display order (help texts, forms) and the order of specificity: when several
links join two nodes, a chain shows the first of them in this order (a link made by hand before any).

The link rows (`dms.graph.sync`) keep `DIGEST` in their format stamp: changing this table derives every link
again. To add a link type, add a row here (and, for a derived one, the code in `dms.graph.derive` that
makes it).
"""

from __future__ import annotations

import hashlib
from dataclasses import astuple, dataclass

AMENDS = "amends"
DECIDED_IN = "decided_in"
IDENTIFIES = "identifies"
REVISION_OF = "revision_of"
SUPERSEDES = "supersedes"
ATTACHMENT_OF = "attachment_of"
REPLY_TO = "reply_to"
DUPLICATE_OF = "duplicate_of"
MENTIONS = "mentions"
ABOUT = "about"
INVOLVES = "involves"
RELATES_TO = "relates_to"
RESPONDS_TO = "responds_to"
PART_OF = "part_of"
CANCELS = "cancels"


@dataclass(frozen=True, slots=True)
class LinkType:
    name: str
    meaning: str  # one line, "A <name> B" read from source to target
    derived: bool
    hand_addable: bool
    walked: bool
    cross_link: bool


TABLE: tuple[LinkType, ...] = (
    # LinkType(name, meaning, derived, hand_addable, walked, cross_link), in display order
    LinkType(AMENDS, "a specification revision implements a change (its revision history or "
                     "an amendment phrase)", True, True, False, True),
    LinkType(DECIDED_IN, "a change was decided in these minutes (with the outcome)", True, True, False, True),
    LinkType(IDENTIFIES, "a document carries this number (no revision)", True, False, False, True),
    LinkType(REVISION_OF, "a document is one revision of this number", True, False, False, True),
    LinkType(SUPERSEDES, "a newer revision of a number replaces an older one", True, True, True, True),
    LinkType(ATTACHMENT_OF, "a file was attached to this e-mail", True, True, True, True),
    LinkType(REPLY_TO, "an e-mail answers this one (In-Reply-To)", True, True, True, True),
    LinkType(DUPLICATE_OF, "a byte-identical copy (same SHA-256) of an older document", True, True, True, True),
    LinkType(MENTIONS, "a document cites this identifier (the first citation is the evidence)",
             True, False, False, True),
    LinkType(ABOUT, "a document names this product code", True, False, False, False),
    LinkType(INVOLVES, "a document names this party", True, False, False, False),
    LinkType(RELATES_TO, "belongs with this, for the reason given", False, True, True, True),
    LinkType(RESPONDS_TO, "answers this (where no e-mail header says so)", False, True, True, True),
    LinkType(PART_OF, "is one part of this larger whole", False, True, True, True),
    LinkType(CANCELS, "withdraws or voids this", False, True, True, True),
)

BY_NAME: dict[str, LinkType] = {row.name: row for row in TABLE}
NAMES: tuple[str, ...] = tuple(BY_NAME)  # display order
DERIVED: frozenset[str] = frozenset(row.name for row in TABLE if row.derived)
HAND_ADDABLE: tuple[str, ...] = tuple(row.name for row in TABLE if row.hand_addable)  # display order
WALKED: frozenset[str] = frozenset(row.name for row in TABLE if row.walked)
CROSS_LINKS: frozenset[str] = frozenset(row.name for row in TABLE if row.cross_link)
OWN_NUMBER: tuple[str, ...] = (IDENTIFIES, REVISION_OF)  # from a document to its own number (trace, dangling)


def digest(table: tuple[LinkType, ...]) -> str:
    """A short digest of every field of every row, in order: any change to the table changes it."""
    return hashlib.sha256(repr([astuple(row) for row in table]).encode()).hexdigest()[:16]


DIGEST: str = digest(TABLE)


def rank(name: str) -> int:
    """The place of a link type in the order of specificity (lower is more specific); unknown types last."""
    return _RANK.get(name, len(TABLE))


_RANK = {name: i for i, name in enumerate(NAMES)}

