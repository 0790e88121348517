"""Plan check figures: a plan of 1,000 milestones against 50,000 stock and order rows and 200 people.

    .venv/bin/python bench/plan_check.py                 # the pure check (dms.plans.check.check)
    .venv/bin/python bench/plan_check.py --archive       # also check_plan on a data directory holding the same
                                                         # evidence as CSV tables and the plan as a workbook

Measures the time (best of --repeat) and peak memory (tracemalloc peak of the call, in a separate run; the
process's peak RSS, data included) of the check, against a
plain pandas-free Python loop over the same rows (the baseline: latest stock per part, open orders due in time
summed per need by scanning the part's orders, people's hours and loads by scanning their needs), and prints the
ratio. Target: the check under 1 s. Each measurement runs in its own process, so their peaks do not mix.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import resource
import sys
import time
import tracemalloc
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))

from dms.plans.capacity import weekdays  # noqa: E402
from dms.plans.check import check  # noqa: E402
from dms.plans.deliverables import FiledDoc, OnFile  # noqa: E402
from dms.plans.model import (  # noqa: E402
    AbsenceRow,
    Deliverable,
    MaterialNeed,
    Milestone,
    OrderRow,
    Plan,
    RosterRow,
    Source,
    StaffNeed,
    StockRow,
    Supply,
)
from dms.rules import load_rules  # noqa: E402

MILESTONES, STOCK, ORDERS, PEOPLE, ROLES, PARTS = 1_000, 25_000, 25_000, 200, 20, 5_000
START = date(2025, 1, 6)


def build(seed: int = 16):
    rnd = random.Random(seed)
    day = lambda lo, hi: START + timedelta(days=rnd.randint(lo, hi))  # noqa: E731
    parts = [f"P-{i:05d}" for i in range(PARTS)]
    stock = tuple(StockRow(parts[i % PARTS], float(rnd.randint(0, 500)), "pcs", day(-60, 0),
                           Source(1 + i // 5000, 1, f"RPT-{i // 5000}", "Stock", 2 + i % 5000))
                  for i in range(STOCK))
    orders = tuple(OrderRow(f"PO-{2000 + i // 10000}-{i % 10000:04d}", rnd.choice(parts),
                            float(rnd.randint(10, 300)), "pcs", day(-20, 400), f"Supplier {i % 37}",
                            "received" if i % 9 == 0 else "open", day(-90, -1),
                            Source(100 + i // 5000, 1, f"PO-{i // 5000}", "Orders", 2 + i % 5000))
                   for i in range(ORDERS))
    roles = [f"role {r}" for r in range(ROLES)]
    roster = tuple(RosterRow(f"Person {p}", roles[p % ROLES], rnd.choice((40.0, 32.0, 20.0)),
                             Source(200, 1, "ROSTER", "Roster", 2 + p)) for p in range(PEOPLE))
    absences = tuple(AbsenceRow(f"Person {rnd.randrange(PEOPLE)}", (s := day(0, 400)),
                                s + timedelta(days=rnd.randint(0, 9)), "leave", Source(201, 1, None, "", 2 + i))
                     for i in range(2 * PEOPLE))
    milestones, materials, staff, docs = [], [], [], {}
    for m in range(MILESTONES):
        due = START + timedelta(days=30 + m * 400 // MILESTONES)
        start = due - timedelta(days=21)
        deps = (f"M{m - 1}",) if m and m % 4 else ()
        number = f"SPEC-BX{m % 300:03d}-01"
        docs.setdefault(number, (FiledDoc(300 + m, number, "B", day(-30, 380)),))
        milestones.append(Milestone(f"M{m}", f"milestone {m}", f"phase {m // 100}", start, due, "owner",
                                    (Deliverable(number, "B"), Deliverable(f"CR-2025-{m:03d}", None, "approved")),
                                    deps, 2 + m))
        for k in range(5):
            materials.append(MaterialNeed(f"M{m}", rnd.choice(parts[:2000]), "part", float(rnd.randint(1, 200)),
                                          "pcs", start, row=2 + 5 * m + k))
        for k in range(3):
            who = roles[rnd.randrange(ROLES)] if k == 2 else f"Person {rnd.randrange(PEOPLE)}"
            staff.append(StaffNeed(f"M{m}", who, float(rnd.randint(4, 60)), start, due, row=2 + 3 * m + k))
    plan = Plan("PLAN-BX100-2025", "A", "BENCH", "bench plan", START, tuple(milestones), tuple(materials),
                tuple(staff), doc_id=1)
    return plan, Supply(stock, orders, roster, absences), OnFile(docs, {}), START + timedelta(days=100)


def baseline(plan: Plan, supply: Supply, on_file: OnFile, as_of: date, closed) -> int:
    """The same rows in a plain loop, no indexing beyond a dict per part: how long merely walking them takes."""
    latest = {}
    for r in supply.stock:
        if r.as_of <= as_of and (r.part not in latest or r.as_of > latest[r.part].as_of):
            latest[r.part] = r
    by_part = defaultdict(list)
    for o in supply.orders:
        if o.status not in closed:
            by_part[o.part].append(o)
    used, short = defaultdict(float), 0
    for n in sorted(plan.materials, key=lambda n: n.needed_by):
        st = latest.get(n.part)
        since = st.as_of if st else date.min
        coming = sum(o.quantity for o in by_part[n.part] if since < o.due <= n.needed_by)
        used[n.part] += n.quantity
        short += (st.on_hand if st else 0) + coming < used[n.part]
    hours = {r.person: r.hours_per_week for r in supply.roster}
    mine = defaultdict(list)
    for s in plan.staff:
        mine[s.who].append(s)
    for s in plan.staff:
        if s.who in hours:
            load = sum(o.hours for o in mine[s.who] if o.start <= s.end and o.end >= s.start)
            off = sum(weekdays(max(a.start, s.start), min(a.end, s.end)) for a in supply.absences if a.person == s.who)
            short += load > (weekdays(s.start, s.end) - off) * hours[s.who] / 5
    for m in plan.milestones:
        for d in m.deliverables:
            short += not any(f.effective <= min(m.due, as_of) for f in on_file.documents.get(d.number, ()))
    return short


def _measure(name: str, traced: bool, queue) -> None:
    plan, supply, on_file, as_of = build()
    rules = load_rules().plans
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    if name == "check":
        result = check(plan, supply, on_file, as_of, rules)
        detail = f"{len(result.findings)} findings, readiness {result.readiness}"
    else:
        detail = f"{baseline(plan, supply, on_file, as_of, set(rules.closed_statuses))} flags"
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if traced else 0.0
    queue.put((seconds, peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, detail))


def _child(name: str, traced: bool):
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_measure, args=(name, traced, queue))
    proc.start()
    got = queue.get()
    proc.join()
    return got


def run(name: str, repeat: int = 3):
    """Best time of `repeat` untraced runs; the peak from one more run under tracemalloc (which slows it)."""
    times = [_child(name, False) for _ in range(repeat)]
    seconds, _, rss, detail = min(times)
    _, peak, _, _ = _child(name, True)
    return name, seconds, peak, rss, detail


def write_archive(folder: Path) -> None:
    """The same plan as a workbook, and the same evidence as CSV tables (5 stock reports, 5 order exports, a
    roster, a leave record), written into `folder`."""
    import csv

    import openpyxl

    plan, supply, _, _ = build()
    folder.mkdir(parents=True, exist_ok=True)

    def table(name: str, title: str, day: date, header: list[str], rows) -> None:
        with open(folder / name, "w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerows([[title], ["Date", day.isoformat()], header, *rows])

    for k in range(5):
        table(f"stock-{k}.csv", f"Stock report {k}", START - timedelta(days=1), ["Part", "On hand", "Unit", "Date"],
              ([r.part, int(r.on_hand), r.unit, r.as_of.isoformat()] for r in supply.stock[k * 5000:(k + 1) * 5000]))
        table(f"orders-{k}.csv", f"Open orders {k}", START - timedelta(days=1),
              ["PO", "Part", "Quantity", "Unit", "Due", "Supplier", "Status"],
              ([o.order, o.part, int(o.quantity), o.unit, o.due.isoformat(), o.supplier,
                "" if o.status == "open" else o.status] for o in supply.orders[k * 5000:(k + 1) * 5000]))
    table("roster.csv", "Roster", START - timedelta(days=30), ["Name", "Role", "Hours per week"],
          ([r.person, r.role, int(r.hours_per_week)] for r in supply.roster))
    table("leave.csv", "Leave", START - timedelta(days=30), ["Name", "From", "To", "Type"],
          ([a.person, a.start.isoformat(), a.end.isoformat(), a.kind] for a in supply.absences))
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    sheets = {"Plan": [["Document No", plan.number], ["Revision", "A"], ["Product", "KX200"], ["Title", plan.title],
                       ["Date", START - timedelta(days=60)]],
              "Milestones": [["Key", "Milestone", "Phase", "Start", "Date", "Owner", "Deliverables", "Depends on"]]
              + [[m.key, m.name, m.phase, m.start, m.due, m.owner,
                  "; ".join(f"{d.number} Rev {d.revision}" if d.revision else f"{d.number} {d.state}"
                            for d in m.deliverables), "; ".join(m.depends_on)] for m in plan.milestones],
              "Materials": [["Milestone", "Part", "Description", "Quantity", "Unit", "Needed by"]]
              + [[n.milestone, n.part, n.description, n.quantity, n.unit, n.needed_by] for n in plan.materials],
              "Staff": [["Milestone", "Person or role", "Hours", "From", "To"]]
              + [[s.milestone, s.who, s.hours, s.start, s.end] for s in plan.staff]}
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(folder / "plan.xlsx")


def archive_figures(repeat: int) -> None:
    """check_plan on a data directory: the first call reads the evidence tables (refresh), later ones do not."""
    import tempfile

    from dms import users
    from dms.app import Dms
    from dms.config import load_settings
    from dms.ingest.pipeline import ingest
    from dms.plans.check import _memo as check_memo
    from dms.plans.check import check_plan
    from dms.plans.library import import_plan

    root = Path(tempfile.mkdtemp(prefix="dms-plan-bench-"))
    write_archive(root / "in")
    with Dms(load_settings(environ={}, home=root / "home")) as dms:
        users.add(dms.catalog, "root", "admin", "long enough pass", by="root")
        started = time.perf_counter()
        ingest(dms, [p for p in (root / "in").iterdir() if p.suffix == ".csv"])
        plan = import_plan(dms, root / "in" / "plan.xlsx", by="root", new_parts=True)
        print(f"archive: ingest of the evidence and plan import {time.perf_counter() - started:.1f} s ({root})")
        as_of = START + timedelta(days=100)
        times = []
        for _ in range(repeat + 1):
            check_memo.clear()  # each time computed, not remembered
            started = time.perf_counter()
            result = check_plan(dms, plan.number, as_of)
            times.append(time.perf_counter() - started)
        started = time.perf_counter()
        check_plan(dms, plan.number, as_of)
        remembered = time.perf_counter() - started
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"check_plan first (reads the tables) {times[0] * 1000:8.1f} ms, then best {min(times[1:]) * 1000:8.1f}"
              f" ms computed, {remembered * 1000:.1f} ms remembered; {len(result.findings)} findings; "
              f"process peak RSS {rss:.1f} MB")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--archive", action="store_true", help="also time check_plan on a data directory")
    args = ap.parse_args()
    print(f"plan: {MILESTONES} milestones, {MILESTONES * 5} material needs, {MILESTONES * 3} staff needs; evidence: "
          f"{STOCK} stock rows, {ORDERS} order rows, {PEOPLE} people, {2 * PEOPLE} absences (best of {args.repeat})")
    rows = [run("check", args.repeat), run("baseline", args.repeat)]
    for name, seconds, peak, rss, detail in rows:
        print(f"{name:9} {seconds * 1000:8.1f} ms   peak {peak:6.1f} MB traced, {rss:6.1f} MB RSS   ({detail})")
    print(f"ratio check / baseline: {rows[0][1] / rows[1][1]:.2f}   target < 1 s: "
          f"{'met' if rows[0][1] < 1 else 'MISSED'}")
    if args.archive:
        archive_figures(args.repeat)


if __name__ == "__main__":
    main()
