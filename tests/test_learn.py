"""The learned classifier: corrections of type, products and parties teach it; it fills only what the rules left
without an answer, never a rule's value nor a hand correction; it keeps its weights in the data directory
without pickle and survives a restart; it predicts nothing before it has enough examples. On SQLite and
PostgreSQL (`both_catalogs`: the `settings` fixture names the catalog)."""

from __future__ import annotations

import hashlib
import json
import pickle
import random
import shutil
from pathlib import Path

import pytest

from dms import learn, records, users
from dms.app import Dms
from dms.documents import resolve
from dms.ingest.pipeline import ingest
from dms.learn import store

pytestmark = pytest.mark.both_catalogs

PASSWORD = "long enough pass"
WORDS = {
    "order": ["Purchase order {n}", "Please supply {q} units of the items below", "delivery to our warehouse in {c}",
              "payment terms net {d} days", "unit price EUR {p}", "order confirmation requested by return",
              "invoice address as on file", "quantity ordered {q}", "requested delivery week {d}",
              "buyer reference {n}"],
    "protocol": ["Test protocol {n}", "tensile test of sample batch {q}", "measured value {p} N",
                 "test result pass", "test equipment calibrated on {c}", "ambient temperature {d} C",
                 "sample conditioning 24 h", "tested by laboratory staff", "deviation from test method none",
                 "specimen count {q}"],
    "letter": ["Dear Sir or Madam", "thank you for your letter of {d} May", "we are pleased to inform you",
               "please do not hesitate to contact us", "kind regards", "yours sincerely",
               "with reference to our telephone call", "we look forward to hearing from you",
               "our office in {c} will reply", "best wishes from the team"],
}
CITIES = ["Hamburg", "Lyon", "Leeds", "Graz", "Turin", "Porto"]


def _text(kind: str, rnd: random.Random, n: int) -> str:
    lines = rnd.sample(WORDS[kind], 6)
    fill = {"n": f"{kind[:2].upper()}-{n:05d}", "q": rnd.randint(2, 900), "c": rnd.choice(CITIES),
            "d": rnd.randint(5, 60), "p": rnd.randint(10, 999)}
    return "\n".join(line.format(**fill) for line in lines) + "\n"


def _people(app: Dms) -> None:
    users.add(app.catalog, "ada", "admin", PASSWORD, by="ada")
    users.add(app.catalog, "cora", "coordinator", PASSWORD, by="ada")


def _write(folder: Path, files: dict[str, str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return [folder / name for name in files]


def _id(app: Dms, path: Path) -> int:
    return resolve(app, str(path)).id


def _version(app: Dms, path: Path):
    return app.catalog.document(_id(app, path)).version


@pytest.fixture
def archive(tmp_path, settings):
    """Orders, protocols and letters no type rule knows (type "other"), plus specifications and minutes the
    built-in rules type by their names."""
    rnd = random.Random(14)
    files = {f"doc-{i:03d}.txt": _text(kind, rnd, i) for i, kind in enumerate(["order", "protocol", "letter"] * 8)}
    files.update({f"SPEC-KX{100 + i}-01.txt": f"Technical data of KX{100 + i}\nmaterial steel\n" for i in range(4)})
    files.update({f"MTG-2024-0{i + 1}-10.txt": f"Attendees: board\nitem {i}: budget\n" for i in range(4)})
    paths = _write(tmp_path / "in", files)
    app = Dms(settings)
    ingest(app, [tmp_path / "in"], inline=True)
    _people(app)
    yield app, {p.name: p for p in paths}
    app.close()


def _orders(paths: dict[str, Path]) -> list[Path]:
    return [paths[f"doc-{i:03d}.txt"] for i in range(0, 24, 3)]


def _correct_orders(app: Dms, paths: dict[str, Path], count: int) -> None:
    for path in _orders(paths)[:count]:
        records.edit(app, str(_id(app, path)), "cora", "purchase orders are filed as contracts", type="contract")


def _new_order(app: Dms, tmp_path: Path, name: str = "doc-900.txt") -> Path:
    (path,) = _write(tmp_path / "later", {name: _text("order", random.Random(900), 900)})
    ingest(app, [path.parent], inline=True)
    return path


def test_corrections_teach_the_type_of_similar_new_documents(archive, tmp_path):
    app, paths = archive
    _correct_orders(app, paths, 6)
    new = _new_order(app, tmp_path)  # the rules know no purchase order: the ingest asks the model

    v = _version(app, new)
    assert v.doc_type == "contract"
    assert v.sources["type"]["source"] == "learned"
    assert v.sources["type"]["doubtful"] == "suggested (learned), not confirmed"
    assert app.settings.learn_min_confidence <= v.sources["type"]["confidence"] <= 1
    assert learn.fill(app, [_id(app, new)]) == 0  # already filled, and still as confident
    value, confidence = learn.suggest(app, _id(app, new))["type"]
    assert value == "contract" and confidence >= app.settings.learn_min_confidence
    # a protocol is not an order: nothing confident to say about it
    assert learn.fill(app, [_id(app, paths["doc-001.txt"])]) == 0


def test_nothing_is_predicted_before_enough_corrections(archive, tmp_path):
    app, paths = archive
    new = _new_order(app, tmp_path)
    assert learn.fill(app, [_id(app, new)]) == 0
    assert learn.suggest(app, _id(app, new)) == {}
    _correct_orders(app, paths, 4)  # fewer than MIN_CORRECTIONS
    assert learn.fill(app, [_id(app, new)]) == 0
    assert learn.suggest(app, _id(app, new)) == {}
    assert _version(app, new).doc_type == "other"
    _correct_orders(app, paths, 5)
    assert learn.fill(app, [_id(app, new)]) == 1


def test_a_rule_value_or_a_hand_correction_is_never_overridden(archive, tmp_path):
    app, paths = archive
    _correct_orders(app, paths, 7)
    # an order the type rules call a plan (by its name), and one a person said is "other"
    by_rule = _new_order(app, tmp_path, "order-plan.txt")
    by_hand = _orders(paths)[7]
    records.edit(app, str(_id(app, by_hand)), "cora", "not an order after all", type="other")
    assert _version(app, by_rule).doc_type == "plan"
    assert learn.suggest(app, _id(app, by_rule))["type"][0] == "contract"  # shown as a suggestion only

    assert learn.fill(app, [_id(app, by_rule), _id(app, by_hand)]) == 0

    assert _version(app, by_rule).doc_type == "plan"
    assert _version(app, by_hand).doc_type == "other"
    assert "learned" not in json.dumps(_version(app, by_hand).sources)


def test_corrected_products_are_learned_for_documents_without_codes(tmp_path, settings):
    rnd = random.Random(7)
    kettle = ["the Aurora kettle boils {q} ml", "Aurora kettle lid hinge", "kettle base plate of the Aurora",
              "limescale in the Aurora kettle", "Aurora boil-dry protection"]
    toaster = ["the Solis toaster browns {q} slices", "Solis toaster crumb tray", "toaster lever of the Solis",
               "Solis toaster heating wire", "Solis defrost button"]
    files = {}
    for i in range(16):
        pool = kettle if i % 2 == 0 else toaster
        files[f"note-{i:02d}.txt"] = "\n".join(s.format(q=rnd.randint(1, 9)) for s in rnd.sample(pool, 4))
    paths = _write(tmp_path / "in", files)
    with Dms(settings) as app:
        ingest(app, [tmp_path / "in"], inline=True)
        _people(app)
        for i, path in enumerate(paths[:12]):
            records.edit(app, str(_id(app, path)), "cora", "product named, not coded",
                         products=["KX200"] if i % 2 == 0 else ["TS400"])
        held_out = paths[12:]
        assert all(_version(app, p).products == () for p in held_out)

        assert learn.fill(app, [_id(app, p) for p in held_out]) == len(held_out)

        for i, path in enumerate(held_out):
            v = _version(app, path)
            assert v.products == (("KX200",) if i % 2 == 0 else ("TS400",))
            assert v.sources["products"]["source"] == "learned"


def test_the_model_survives_a_restart(archive, tmp_path):
    app, paths = archive
    _correct_orders(app, paths, 6)
    trained = learn.status(app)
    assert trained["usable"] and "contract" in trained["fields"]["type"]["classes"]
    header_path, weights_path = store.paths(app.settings.home)
    files = (header_path.stat().st_ino, weights_path.stat().st_ino)
    with Dms(app.settings) as again:  # nothing in memory: a restart
        model = learn.current(again)
        assert model.last_edit == trained["last_edit"] and "type" in model.fields
        new = _new_order(again, tmp_path)  # the ingest asks the model read from disk
        assert _version(again, new).doc_type == "contract"
    assert (header_path.stat().st_ino, weights_path.stat().st_ino) == files  # read from disk, not trained again


class _Planted:
    """A pickle that creates a file when it is loaded."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _npz_with_object_array(marker: Path) -> bytes:
    import io

    import numpy as np

    buffer = io.BytesIO()
    np.savez(buffer, **{"type.cols": np.array([_Planted(marker)], dtype=object)})
    return buffer.getvalue()


@pytest.mark.parametrize("planted", ["a pickle", "an npz holding a pickled array"])
def test_a_planted_pickle_is_never_loaded_and_the_model_is_reported_unusable(archive, tmp_path, planted):
    app, paths = archive
    _correct_orders(app, paths, 6)
    header_path, weights_path = store.paths(app.settings.home)
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Planted(marker)) if planted == "a pickle" else _npz_with_object_array(marker)
    weights_path.write_bytes(payload)
    header = json.loads(header_path.read_text())
    header["weights_sha256"] = hashlib.sha256(payload).hexdigest()  # an attacker who writes both files
    header_path.write_text(json.dumps(header))

    state = learn.status(app)
    assert not state["usable"] and "plain numeric arrays" in state["problem"]
    with pytest.raises(store.Unusable):
        store.load(app.settings.home)
    assert not marker.exists()

    learn._models.clear()  # as a new process would: nothing in memory
    new = _new_order(app, tmp_path)
    assert _version(app, new).doc_type == "contract"  # the ingest trained it again from the catalog's corrections
    assert not marker.exists()
    listed = [p for p in app.catalog.problems() if p["kind"] == "learned"]
    assert listed and "was ignored, never loaded" in listed[0]["reason"]
    assert learn.status(app)["usable"]  # the planted file was replaced by a good one


def test_a_damaged_weights_file_is_ignored_with_a_reason(archive):
    app, paths = archive
    _correct_orders(app, paths, 6)
    _, weights_path = store.paths(app.settings.home)
    weights_path.write_bytes(weights_path.read_bytes()[:100])
    state = learn.status(app)
    assert not state["usable"] and "SHA-256 differs" in state["problem"]


def test_held_out_accuracy_is_well_above_the_majority_baseline(tmp_path, settings):
    rnd = random.Random(3)
    kinds = {"order": "contract", "protocol": "report", "letter": "correspondence"}
    files = {f"doc-{i:03d}.txt": (kind, _text(kind, rnd, i)) for i, kind in enumerate(list(kinds) * 14)}
    paths = _write(tmp_path / "in", {name: text for name, (_, text) in files.items()})
    truth = {p: kinds[files[p.name][0]] for p in paths}
    shuffled = rnd.sample(paths, len(paths))
    train, test = shuffled[:21], shuffled[21:]
    with Dms(settings) as app:
        ingest(app, [tmp_path / "in"], inline=True)
        _people(app)
        for path in train:
            records.edit(app, str(_id(app, path)), "cora", "typed by hand", type=truth[path])
        learn.fill(app, [_id(app, p) for p in test])
        right = sum(_version(app, p).doc_type == truth[p] for p in test)
    majority = max(list(truth[p] for p in test).count(t) for t in kinds.values()) / len(test)
    accuracy = right / len(test)
    assert accuracy >= 0.8 and accuracy >= majority + 0.3, (accuracy, majority)


def test_a_model_that_cannot_be_saved_costs_the_correction_nothing(archive):
    app, paths = archive
    shutil.rmtree(app.settings.home / "learned", ignore_errors=True)  # made by the ingest's first look
    (app.settings.home / "learned").write_text("a file where the model's folder belongs")
    _correct_orders(app, paths, 6)
    assert all(_version(app, p).doc_type == "contract" for p in _orders(paths)[:6])  # every edit stands
    listed = [p for p in app.catalog.problems() if p["kind"] == "learned"]
    assert listed and "could not be saved" in listed[0]["reason"]
    assert learn.status(app)["usable"] is False
