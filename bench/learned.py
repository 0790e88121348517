"""How well the learned classifier (dms.learn) fills type and products the rules left without an answer.

Generates an archive of a few hundred text documents (six types, six products, varied wording; about half named
so the built-in type rules know them, the rest not; products written as codes, which the rules read, or only by
name, which they cannot), ingests it into a fresh data directory, corrects the type and products of a training
split of the documents the rules could not type (with `dms.records.edit`, which retrains after each correction:
its time is measured), then measures on the held-out split, for several ways of training:
  hand only / + rule-derived examples / + background ("other") examples, both;
the majority class (most common product set) of the corrections is the baseline.

    .venv/bin/python bench/learned.py [--docs 360] [--seed 1] [--threshold 0.6]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

TYPES = {
    "contract": ["purchase order {n}", "please supply {q} units", "payment terms net {d} days", "unit price EUR {p}",
                 "delivery terms DAP {c}", "the supplier shall deliver by week {d}", "warranty period {d} months",
                 "order confirmation requested", "terms and conditions apply", "signed for the buyer"],
    "report": ["test results of batch {q}", "measured value {p} N", "result pass", "summary of findings",
               "the sample met the limit", "figure {d} shows the trend", "laboratory {c}", "deviation none",
               "quarterly figures", "conclusion and outlook"],
    "correspondence": ["dear sir or madam", "thank you for your letter", "kind regards", "yours sincerely",
                       "we look forward to hearing from you", "please do not hesitate to call", "best wishes",
                       "with reference to our call", "our office in {c}", "I am writing to let you know"],
    "minutes": ["attendees", "apologies received", "action items", "next meeting on {d} June", "agenda item {q}",
                "the chair opened the meeting", "it was agreed that", "any other business", "meeting closed",
                "owner and due date"],
    "complaint": ["the customer reports a defect", "unit failed after {d} days", "we request a replacement",
                  "damaged on arrival", "complaint received from {c}", "return authorisation", "root cause unknown",
                  "the product stopped working", "refund requested", "photos attached"],
    "plan": ["milestones", "timeline for Q{q}", "work package {d}", "resources and budget", "risk register",
             "gate review planned", "schedule and dependencies", "deliverables by month {d}", "project phases",
             "responsible team {c}"],
    "other": ["canteen menu for week {d}", "parking spaces in {c}", "fire drill on {d} May", "holiday rota",
              "the coffee machine is broken", "new badge photos", "summer party", "printer on floor {q}",
              "lost and found", "bike shed closed"],  # what nobody would type: never corrected
}
RULE_NAMES = {"contract": "contract", "report": "report", "correspondence": None, "minutes": "minutes",
              "complaint": "complaint", "plan": "plan", "other": None}  # name words the built-in type rules know
PRODUCTS = {"KX200": "Aurora kettle", "TS400": "Solis toaster", "BL310": "Vortex blender", "CM120": "Brio coffee maker",
            "HD550": "Zephyr hair dryer", "IR900": "Glide steam iron"}
NOISE = ["please see attached", "for your information", "as discussed", "see appendix", "page {d} of {q}",
         "confidential", "draft", "internal use", "the customer in {c}", "price and delivery", "results attached",
         "meeting next week", "please confirm", "the team agreed", "dated {d} May", "copy to quality"]
CITIES = ["Hamburg", "Lyon", "Leeds", "Graz", "Turin", "Porto"]


def generate(folder: Path, count: int, seed: int) -> dict[str, dict]:
    """Write `count` documents; returns file name -> {"type", "products", "named": rules know the type}."""
    rnd = random.Random(seed)
    folder.mkdir(parents=True)
    truth = {}
    for i in range(count):
        doc_type = rnd.choice(list(TYPES))
        code = rnd.choice(list(PRODUCTS))
        named = RULE_NAMES[doc_type] is not None and rnd.random() < 0.5
        coded = rnd.random() < 0.5  # the product code written (rules read it), else only its name
        fill = {"n": f"D-{i:05d}", "q": rnd.randint(1, 999), "c": rnd.choice(CITIES), "d": rnd.randint(1, 60),
                "p": rnd.randint(10, 999)}
        lines = rnd.sample(TYPES[doc_type], rnd.randint(2, 4)) + rnd.sample(NOISE, rnd.randint(2, 4))
        if rnd.random() < 0.3:  # a line of another type's wording: types overlap in real archives
            lines.append(rnd.choice(TYPES[rnd.choice([t for t in TYPES if t != doc_type])]))
        product = f"{PRODUCTS[code]} ({code})" if coded else f"the {PRODUCTS[code]}"
        lines.insert(rnd.randint(0, len(lines)), f"concerning {product}")
        rnd.shuffle(lines)
        name = f"{RULE_NAMES[doc_type]}-{i:04d}.txt" if named else f"scan-{i:04d}.txt"
        (folder / name).write_text("\n".join(line.format(**fill) for line in lines) + "\n")
        truth[name] = {"type": doc_type, "products": (code,), "named": named, "coded": coded}
    return truth


def measure(app, model, test_ids, truth_of, threshold):
    from dms.catalog import learning
    from dms.learn import model as m

    rows = list(learning.labelled(app.catalog, test_ids))
    texts = learning.first_pages(app.catalog, [r.version_id for r in rows], m.FEATURES["pages"], m.FEATURES["chars"])
    X = m.features([m.document_text(*texts[r.version_id]) for r in rows])
    out = {}
    for field in ("type", "products"):
        fm = model.fields.get(field)
        if fm is None:
            out[field] = None
            continue
        keep = [i for i, r in enumerate(rows) if field == "type" or not r.products]  # what fill would fill
        truths = [truth_of[rows[i].doc_id][field] for i in keep]
        best = fm.predict(X[keep], 0.5 if fm.multi else 0.0)  # the values a plain classifier would give
        sure = fm.predict(X[keep], threshold)
        nothing = "other" if field == "type" else ()
        if field == "type":
            best = [g if g and g[0] != "other" else None for g in best]
            sure = [g if g and g[0] != "other" else None for g in sure]
        acc = sum((g[0] if g else nothing) == t for g, t in zip(best, truths)) / len(keep)
        filled = [(g, t) for g, t in zip(sure, truths) if g is not None]
        precision = sum(g[0] == t for g, t in filled) / len(filled) if filled else float("nan")
        if field == "type":
            others = [g for g, t in zip(sure, truths) if t == "other"]
            out["false fills"] = sum(g is not None for g in others) / max(1, len(others))
        out[field] = {"accuracy": acc, "coverage": len(filled) / len(keep), "precision": precision,
                      "examples": fm.examples}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=360)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threshold", type=float, default=0.6)
    parser.add_argument("--corrections", type=int, default=None, help="correct at most this many documents")
    args = parser.parse_args()

    from dms import learn, records, users
    from dms.app import Dms
    from dms.config import load_settings
    from dms.documents import resolve
    from dms.ingest.pipeline import ingest
    from dms.learn import training as train

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        truth = generate(root / "in", args.docs, args.seed)
        app = Dms(load_settings(environ={}, home=root / "home"))
        started = time.perf_counter()
        ingest(app, [root / "in"], inline=True)
        print(f"{args.docs} documents ingested in {time.perf_counter() - started:.1f} s")
        users.add(app.catalog, "ada", "admin", "long enough pass", by="ada")
        users.add(app.catalog, "cora", "coordinator", "long enough pass", by="ada")
        ids = {name: resolve(app, str(root / "in" / name)).id for name in truth}
        truth_of = {ids[name]: t for name, t in truth.items()}
        typed = Counter(app.catalog.document(i).version.doc_type != "other" for i in ids.values())
        print(f"type rules answered {typed[True]}, left {typed[False]} as 'other'")
        unknown = sorted(i for i in ids.values() if app.catalog.document(i).version.doc_type == "other")
        random.Random(args.seed).shuffle(unknown)
        train_ids, test_ids = unknown[: len(unknown) // 2], unknown[len(unknown) // 2:]
        train_ids = train_ids[: args.corrections]
        seconds = []
        for doc_id in train_ids:
            t = truth_of[doc_id]
            if t["type"] == "other":
                continue  # nobody corrects what is "other" already: it stays background
            fields = {"type": t["type"]}
            if not app.catalog.document(doc_id).version.products:
                fields["products"] = list(t["products"])
            started = time.perf_counter()
            records.edit(app, str(doc_id), "cora", "bench", **fields)
            seconds.append(time.perf_counter() - started)
        print(f"{len(seconds)} corrections; edit + retrain: median {statistics.median(seconds) * 1000:.0f} ms, "
              f"last {seconds[-1] * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms (the first pays the "
              "scikit-learn import)")

        majority = Counter(truth_of[i]["type"] for i in train_ids if truth_of[i]["type"] != "other"
                           ).most_common(1)[0][0]
        base_type = sum(truth_of[i]["type"] == majority for i in test_ids) / len(test_ids)
        top_set = Counter(truth_of[i]["products"] for i in train_ids).most_common(1)[0][0]
        base_products = sum(truth_of[i]["products"] == top_set for i in test_ids) / len(test_ids)
        print(f"held out: {len(test_ids)} documents; baseline (majority of the corrections): type "
              f"{base_type:.2f}, products {base_products:.2f}\n")
        allowed = set(ids.values()) - set(test_ids)
        print(f"{'training':34} {'seconds':>7} | {'type acc':>8} {'x base':>6} {'cover':>5} {'prec':>5} | "
              f"{'prod acc':>8} {'x base':>6} {'cover':>5} {'prec':>5} | other typed")
        for label, rules, background in (("hand corrections only", False, False), ("+ rule-derived", True, False),
                                         ("+ background", False, True), ("+ rule-derived + background", True, True)):
            started = time.perf_counter()
            model = train.train(app.catalog, use_rules=rules, use_background=background, limit_to=allowed)
            spent = time.perf_counter() - started
            r = measure(app, model, test_ids, truth_of, args.threshold)
            cells = []
            for field, base in (("type", base_type), ("products", base_products)):
                f = r[field]
                cells.append("   (not learned)" if f is None else
                             f"{f['accuracy']:8.2f} {f['accuracy'] / base:6.1f} {f['coverage']:5.2f} "
                             f"{f['precision']:5.2f}")
            print(f"{label:34} {spent:7.3f} | {cells[0]} | {cells[1]} | {r.get('false fills', 0):.2f}")
        print(f"\naccuracy: argmax over all held-out documents; cover: share filled at confidence >= "
              f"{args.threshold}; prec: right among those filled; other typed: share of the held-out documents that "
              f"are truly 'other' given a type. Defaults: {learn.__name__} uses rules="
              f"{train.RULE_WEIGHT} weight, background share {train.BACKGROUND_SHARE}.")
        started = time.perf_counter()
        changed = learn.fill(app, test_ids)
        print(f"fill() over the {len(test_ids)} held-out documents (as dms.ingest.postpass calls it): {changed} "
              f"changed in {time.perf_counter() - started:.2f} s")
        app.close()


if __name__ == "__main__":
    main()
