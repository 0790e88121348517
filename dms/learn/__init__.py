"""Learning type, products and parties from the coordinator's corrections (as paperless-ngx's "auto" matching).

- `after_correction(dms, fields)`: dms.records.edit calls it after a correction; the model is trained again
  (a full refit over a bounded set of examples, see dms.learn.train) and saved in $DMS_HOME/learned/.
- `fill(dms, doc_ids)`: after an ingest or rederive (dms.ingest.postpass), fills what the rules left without
  an answer (type "other" with no rule matched; no products; no parties) when the model is confident enough,
  marked {"source": "learned", "confidence": c, "doubtful": "suggested (learned), not confirmed"}. Never a
  rule's value, never a field corrected by hand.
- `suggest(dms, doc_id)`: what the model would say of a document, for display, whatever the rules said.
- `status(dms)`: what the model learned from, or why it cannot be used.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Collection

from dms.app import Dms
from dms.catalog import learning
from dms.display import to_text
from dms.learn import model as m
from dms.learn import store
from dms.learn import train as training
from dms.learn.train import FIELDS, NO_ANSWER, source_of

__all__ = ["fill", "suggest", "after_correction", "status", "current", "FIELDS", "LEARNED"]

LEARNED = "learned"
BATCH = 500  # documents whose first pages are read and predicted at once
DOUBT = "suggested (learned), not confirmed"
log = logging.getLogger("dms.learn")
_models: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Dms -> Model in use


def _threshold(dms: Dms) -> float:
    return dms.settings.learn_min_confidence


def _problem_path(dms: Dms, damage: bool = False) -> str:
    """Where `dms problems` lists the model's trouble: its weights file when a file was found damaged or
    foreign (listed until a good file is loaded), its folder when training or saving failed (until it works)."""
    return to_text(str(store.paths(dms.settings.home)[1] if damage else dms.settings.home / "learned"))


def _fresh(model: store.Model, last_edit: int, documents: int) -> bool:
    """Trained on every correction there is, and on roughly as many documents as the archive holds now."""
    return model.last_edit == last_edit and abs(documents - model.documents) <= max(10, model.documents // 10)


def retrain(dms: Dms) -> store.Model | None:
    """Train from the catalog and save; a failure is a problem (listed by `dms problems`), never an exception."""
    try:
        started = time.perf_counter()
        model = training.train(dms.catalog)
        log.info("learned model trained in %.3f s: %s", time.perf_counter() - started,
                 {f: fm.examples for f, fm in model.fields.items()})
    except Exception as exc:  # a training failure must not cost the caller its correction or its ingest
        log.exception("training the learned model failed")
        _note(dms, f"training the learned model failed ({type(exc).__name__}: {exc}); nothing is learned "
                   "until it trains again")
        return None
    _models[dms] = model
    try:
        store.save(dms.settings.home, model)
        learning.clear_problem(dms.catalog, _problem_path(dms))
    except Exception as exc:
        log.exception("saving the learned model failed")
        _note(dms, f"the learned model could not be saved ({type(exc).__name__}: {exc}); it is used until "
                   "this program ends")
    return model


def _note(dms: Dms, reason: str, damage: bool = False) -> None:
    try:
        learning.note_problem(dms.catalog, _problem_path(dms, damage), reason)
    except Exception:
        log.exception("recording a problem of the learned model failed: %s", reason)


def current(dms: Dms) -> store.Model | None:
    """The model in use: in memory, else from disk, else trained now; trained again when it misses
    corrections (made here or by another process) or the archive has grown by more than a tenth."""
    last_edit, documents = learning.last_edit(dms.catalog), learning.document_count(dms.catalog)
    cached = _models.get(dms)
    if cached is not None and _fresh(cached, last_edit, documents):
        return cached
    try:
        stored = store.load(dms.settings.home)
    except store.Unusable as exc:
        log.warning("learned model ignored: %s", exc)
        _note(dms, f"the learned model in {to_text(str(dms.settings.home / 'learned'))} was ignored, never "
                   f"loaded: {exc}. It is trained again from the catalog's corrections.", damage=True)
        stored = None
    else:
        if stored is not None:
            learning.clear_problem(dms.catalog, _problem_path(dms, damage=True))
    if stored is not None and _fresh(stored, last_edit, documents):
        _models[dms] = stored
        return stored
    return retrain(dms)


def after_correction(dms: Dms, fields: Collection[str]) -> None:
    """A person corrected these fields (dms.records.edit): learn from it now. Never raises."""
    if not set(fields) & set(FIELDS):
        return
    try:
        retrain(dms)
    except Exception:  # retrain notes its own problems; this guards the edit against anything else
        log.exception("learning from a correction failed")


def _eligible(row: learning.Labelled, field: str, corrected: set[str]) -> bool:
    """Whether the classifier may write this field: not corrected by hand, and the rules gave no answer
    (or the classifier itself gave the value now there)."""
    source = source_of(row.sources, field)
    if field in corrected or source == "hand":
        return False
    if source == LEARNED:
        return True
    if field == "type":
        return row.doc_type == "other" and source in (None, NO_ANSWER)
    return not getattr(row, FIELDS[field])


def _predict(dms: Dms, model: store.Model, version_ids: list[int]) -> dict[str, list]:
    texts = learning.first_pages(dms.catalog, version_ids, m.FEATURES["pages"], m.FEATURES["chars"])
    X = m.features([m.document_text(*texts.get(vid, ("", ""))) for vid in version_ids])
    return {f: fm.predict(X, _threshold(dms)) for f, fm in model.fields.items()}


def fill(dms: Dms, doc_ids: Collection[int]) -> int:
    """Fill the fields these documents lack from the learned model; returns how many documents changed."""
    if not doc_ids or not learning.last_edit(dms.catalog):  # nothing corrected by hand yet: nothing learned
        return 0
    model = current(dms)
    if model is None or not model.fields:
        return 0
    corrected, _ = learning.hand_edits(dms.catalog, doc_ids)
    work = []
    for row in learning.labelled(dms.catalog, doc_ids):
        fields = [f for f in model.fields if _eligible(row, f, corrected.get(row.doc_id, set()))]
        if fields:
            work.append((row, fields))
    changed = 0
    for start in range(0, len(work), BATCH):  # bounded memory on a rederive of the whole archive
        changed += _fill_batch(dms, model, work[start:start + BATCH])
    return changed


def _fill_batch(dms: Dms, model: store.Model, work: list) -> int:
    predicted = _predict(dms, model, [row.version_id for row, _ in work])
    changed = 0
    with dms.catalog.transaction():
        for i, (row, fields) in enumerate(work):
            values, sources = {}, dict(row.sources)
            for f in fields:
                guess = predicted[f][i]
                if f == "type" and guess is not None and guess[0] == "other":
                    guess = None
                learned_before = source_of(row.sources, f) == LEARNED
                if guess is None:
                    if learned_before:  # no longer confident: back to what the rules said (nothing)
                        values[FIELDS[f]] = "other" if f == "type" else []
                        sources.pop(f, None)
                    continue
                value, confidence = guess
                old = getattr(row, FIELDS[f])
                entry = {"source": LEARNED, "confidence": round(confidence, 3), "doubtful": DOUBT,
                         "page": None, "line": None, "words": None}
                if value == old and row.sources.get(f) == entry:
                    continue
                values[FIELDS[f]] = list(value) if isinstance(value, tuple) else value
                sources[f] = entry
            if values and learning.write_learned(dms.catalog, row.doc_id, row.version_id, values, sources):
                changed += 1
    return changed


def suggest(dms: Dms, doc_id: int) -> dict[str, tuple[object, float]]:
    """field -> (value, confidence) the model gives this document at or above the threshold, whatever the
    rules or a person said (for display: "suggested (learned)"). Empty when nothing is learned yet."""
    model = current(dms)
    rows = list(learning.labelled(dms.catalog, [doc_id]))
    if model is None or not model.fields or not rows:
        return {}
    predicted = _predict(dms, model, [rows[0].version_id])
    out = {}
    for f, guesses in predicted.items():
        guess = guesses[0]
        if guess is not None and not (f == "type" and guess[0] == "other"):
            out[f] = (list(guess[0]) if isinstance(guess[0], tuple) else guess[0], round(guess[1], 3))
    return out


def status(dms: Dms) -> dict:
    """What the stored model learned from, or why it cannot be used (without training it)."""
    problem = (learning.problem(dms.catalog, _problem_path(dms, damage=True))
               or learning.problem(dms.catalog, _problem_path(dms)))
    try:
        stored = store.load(dms.settings.home)
    except store.Unusable as exc:
        return {"usable": False, "problem": str(exc), "fields": {}}
    if stored is None:
        return {"usable": False, "problem": problem, "fields": {}}
    return {"usable": True, "problem": problem, "trained_at": stored.trained_at, "last_edit": stored.last_edit,
            "fields": {f: {"classes": list(fm.classes), "examples": fm.examples} for f, fm in stored.fields.items()}}
