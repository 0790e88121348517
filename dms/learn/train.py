"""What the classifier learns from, and training it.

Examples of a field, from the catalog:
- hand: documents whose field a person corrected (`dms edit`, the web UI: the audit log's 'metadata edited'
  entries name the fields); the label is the document's current value (an empty list of products is a label
  too: "none of these"). Weight 1.
- rule: documents whose field the rules answered (a type rule matched; product codes or party names were
  found). Weight RULE_WEIGHT, and at most MAX_RULE_PER_VALUE per type / MAX_RULE_EXAMPLES per field, the most
  recent first, so training stays bounded on a large archive. They give the classifier the types and products
  the coordinator never had to correct.
- background (type only): documents the rules could not type and nobody corrected, as "other": a classifier
  that has only seen purchase orders corrected to "contract" would otherwise call every letter a contract (a
  softmax has no "none of these"). Each weighs at most BACKGROUND_MAX and all together at most
  BACKGROUND_SHARE of the hand examples, so uncorrected documents like the corrected ones (the very documents
  learning is for) cannot outweigh the corrections. `fill` never writes "other". Not for products and parties:
  their one-vs-rest models have negatives already, and documents whose products the rules missed are exactly
  the positives they lack (bench/learned.py: products accuracy 0.68 without background, 0.28 with).
Never learned from: values the classifier itself wrote (source "learned").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

import numpy as np

from dms.catalog import learning
from dms.catalog.db import Catalog
from dms.learn import model as m
from dms.learn.store import Model, now

FIELDS = {"type": "doc_type", "products": "products", "parties": "parties"}  # dms edit's names -> columns
RULE_WEIGHT = 0.3
BACKGROUND_SHARE = 0.5
BACKGROUND_MAX = 0.05
MAX_RULE_PER_VALUE = 300
MAX_RULE_EXAMPLES = 2000
NO_ANSWER = "no rule matched"


def source_of(sources: dict, field: str) -> str | None:
    entry = sources.get(field)
    if isinstance(entry, dict):
        return entry.get("source")
    return entry if isinstance(entry, str) else None


def value_of(row: learning.Labelled, field: str):
    return getattr(row, FIELDS[field])


def by_rule(row: learning.Labelled, field: str) -> bool:
    """Whether the rules gave this field its value (not the classifier, not a person, not "no answer")."""
    if source_of(row.sources, field) in ("learned", "hand", NO_ANSWER):
        return False
    return row.doc_type != "other" if field == "type" else bool(value_of(row, field))


@dataclass(frozen=True, slots=True)
class Example:
    version_id: int
    label: object  # a type, or a tuple of products / parties
    kind: str  # hand, rule or background


def examples(catalog: Catalog, use_rules: bool = True, use_background: bool = True
             ) -> tuple[dict[str, list[Example]], int]:
    """The examples of each field, and the latest hand correction they include (an audit id)."""
    corrected, last = learning.hand_edits(catalog)
    found: dict[str, dict[str, list[Example]]] = {k: {f: [] for f in FIELDS} for k in ("hand", "rule", "background")}
    for row in learning.labelled(catalog):
        fields = corrected.get(row.doc_id, set())
        for f in FIELDS:
            value = value_of(row, f)
            if f in fields or source_of(row.sources, f) == "hand":
                kind = "hand"
            elif by_rule(row, f):
                kind = "rule"
            elif f == "type" and source_of(row.sources, f) != "learned":
                kind = "background"
            else:
                continue
            found[kind][f].append(Example(row.version_id, value, kind))
    out = {}
    for f in FIELDS:
        out[f] = found["hand"][f]
        for kind, wanted in (("rule", use_rules), ("background", use_background)):
            chosen, per_value = [], Counter()
            for ex in reversed(found[kind][f] if wanted else []):  # most recent documents first
                if len(chosen) >= MAX_RULE_EXAMPLES:
                    break
                if f == "type":
                    if per_value[ex.label] >= MAX_RULE_PER_VALUE:
                        continue
                    per_value[ex.label] += 1
                chosen.append(ex)
            out[f] = out[f] + chosen
    return out, last


def weights_of(exs: list[Example], rule_weight: float) -> np.ndarray:
    """1 per hand example, `rule_weight` per rule example, and background sharing BACKGROUND_SHARE of the hand
    examples' total (each at most BACKGROUND_MAX)."""
    hand = sum(ex.kind == "hand" for ex in exs)
    background = sum(ex.kind == "background" for ex in exs)
    each = min(BACKGROUND_MAX, BACKGROUND_SHARE * hand / background) if background else 0.0
    return np.array([1.0 if ex.kind == "hand" else rule_weight if ex.kind == "rule" else each for ex in exs])


def train(catalog: Catalog, use_rules: bool = True, rule_weight: float = RULE_WEIGHT, use_background: bool = True,
          limit_to: set[int] | None = None) -> Model:
    """A model of every field with enough hand corrections (see dms.learn.model's minimums). `limit_to`: learn
    only from these documents (benchmarks hold the others out)."""
    found, last = examples(catalog, use_rules, use_background)
    documents = learning.document_count(catalog)
    if limit_to is not None:
        allowed = _versions_of(catalog, limit_to)
        found = {f: [ex for ex in exs if ex.version_id in allowed] for f, exs in found.items()}
    found = {f: exs for f, exs in found.items() if sum(ex.kind == "hand" for ex in exs) >= m.MIN_CORRECTIONS}
    fields: dict[str, m.FieldModel] = {}
    if found:
        vids = list(dict.fromkeys(ex.version_id for exs in found.values() for ex in exs))
        texts = learning.first_pages(catalog, vids, m.FEATURES["pages"], m.FEATURES["chars"])
        position = {vid: i for i, vid in enumerate(vids)}
        X = m.features([m.document_text(*texts.get(vid, ("", ""))) for vid in vids])
        for f, exs in found.items():
            rows = X[[position[ex.version_id] for ex in exs]]
            weights = weights_of(exs, rule_weight)
            hand = np.array([ex.kind == "hand" for ex in exs], dtype=bool)
            labels = [ex.label for ex in exs]
            fitted = (m.fit_single(f, rows, labels, weights, hand) if f == "type"
                      else m.fit_multi(f, rows, labels, weights, hand))
            if fitted is not None:
                fields[f] = replace(fitted, examples=dict(Counter(ex.kind for ex in exs)))
    return Model(fields, last, documents, now())


def _versions_of(catalog: Catalog, doc_ids: set[int]) -> set[int]:
    return {row.version_id for row in learning.labelled(catalog, doc_ids)}
