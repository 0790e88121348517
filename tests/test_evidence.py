"""Evidence: the audit chain, legal holds, retire/purge/edit, as-of retrieval, dispute bundles."""

from __future__ import annotations

import hashlib
import json
import zipfile

import pytest
from conftest import REPO, copy_sample_home, run_dms, run_json

from dms import audit, bundles, changes, errors, holds, records, users
from dms.app import Dms
from dms.catalog.db import open_catalog
from dms.config import load_settings
from dms.errors import CatalogError, NotFound, PermissionDenied, UsageError
from dms.ingest.pipeline import ingest
from dms.search import search

pytestmark = pytest.mark.both_catalogs  # the tests on a fresh archive (`small`) run on SQLite and PostgreSQL

TRUTH = json.loads((REPO / "archive" / ".dms-ground-truth.json").read_text())
PASSWORD = "long enough pass"


def _people(app) -> None:
    users.add(app.catalog, "ada", "admin", PASSWORD, by="ada")
    for name, role in (("cora", "coordinator"), ("mona", "manager"), ("vera", "viewer")):
        users.add(app.catalog, name, role, PASSWORD, by="ada")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The sample archive, ingested, with one user of each role. Tests here only add to it."""
    home = copy_sample_home(tmp_path_factory.mktemp("evidence") / "home")  # archive/ ingested (once per run)
    with Dms(load_settings(environ={}, home=home)) as app:
        _people(app)
        yield app


@pytest.fixture
def small(tmp_path, settings):
    """A fresh archive of five letters, for tests that change or damage it (on each catalog: `settings`)."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    for n in range(1, 6):
        (inbox / f"letter-{n}.txt").write_text(f"Letter {n} about the walnut gasket.\nDate: 2023-0{n}-10\n")
    with Dms(settings) as app:
        ingest(app, [inbox], inline=True)
        _people(app)
        yield app


def _doc(app, ref: str) -> int:
    from dms.documents import resolve

    return resolve(app, ref).id


# -- the audit chain ------------------------------------------------------------------------------------


def test_ingest_links_changes_users_holds_and_bundles_are_audited(small, tmp_path):
    from dms.graph.manual import add_link, remove_link

    ingested = audit.history(small.catalog, "doc:1")
    assert [e["action"] for e in ingested] == ["ingest"] and ingested[0]["details"]["sha256"]
    link = add_link(small, "doc:1", "doc:2", "relates_to", "same gasket", by="cora")
    remove_link(small, link, "not the same", by="cora")
    assert [e["action"] for e in audit.history(small.catalog, "doc:2")][-2:] == ["link added", "link removed"]
    cr = changes.create(small, "Walnut gasket", "cora")
    changes.transition(small, cr.number, "submit", "cora")
    trail = audit.history(small.catalog, f"change_request:{cr.number}")
    assert [e["action"] for e in trail] == ["change request created", "change request transition"]
    assert trail[1]["details"]["from"] == "draft" and trail[1]["details"]["to"] == "submitted"
    holds.place(small, "M1", "cora", documents=["1"])
    holds.release(small, "M1", "mona", "settled")
    assert [e["action"] for e in audit.history(small.catalog, "matter:M1")] == ["hold placed", "hold released"]
    bundles.create(small, tmp_path / "b.zip", "cora", query="walnut")
    assert audit.history(small.catalog, "doc:3")[-1]["action"] == "bundle created"
    assert [e["action"] for e in audit.history(small.catalog, "user:vera")] == ["user added"]
    assert audit.verify(small.catalog)["ok"]


def test_sign_ins_are_audited(small):
    from dms import auth

    settings = small.settings
    with pytest.raises(PermissionDenied):
        auth.sign_in(small.catalog, settings, "vera", "wrong password", auth.Client("10.0.0.1", "browser-1"))
    auth.sign_in(small.catalog, settings, "vera", PASSWORD, auth.Client("10.0.0.1", "browser-1"))
    actions = [e["action"] for e in audit.history(small.catalog, "user:vera")]
    assert actions[-2:] == ["sign-in failed", "signed in"]


def test_the_audit_log_refuses_updates_and_deletes(small):
    for statement in ("UPDATE audit_log SET \"user\" = 'mallory' WHERE id = 1", "DELETE FROM audit_log WHERE id = 1",
                      *(["TRUNCATE audit_log"] if small.catalog.dialect == "postgresql" else [])):
        with pytest.raises(CatalogError, match="append-only"):
            small.catalog.conn.execute(statement)


def _tamper(settings, *statements) -> None:
    """What someone with the file (or the tables' owner on PostgreSQL) could do: drop or disable the triggers and
    rewrite rows."""
    other = open_catalog(settings.catalog_location)
    try:
        if other.dialect == "postgresql":
            other.conn.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
        else:
            other.conn.execute("DROP TRIGGER audit_log_no_update")
            other.conn.execute("DROP TRIGGER audit_log_no_delete")
        for statement in statements:
            other.conn.execute(statement)
    finally:
        other.close()


SWAP = ("UPDATE audit_log SET id = -2 WHERE id = 2", "UPDATE audit_log SET id = 2 WHERE id = 3",
        "UPDATE audit_log SET id = 3 WHERE id = -2")


@pytest.mark.parametrize(("statements", "named"), [
    (["UPDATE audit_log SET details = '{\"path\":\"forged\"}' WHERE id = 3"], "audit entry 3 (ingest doc:3"),
    (["UPDATE audit_log SET \"user\" = 'mallory' WHERE id = 2"], "audit entry 2 (ingest"),
    (["DELETE FROM audit_log WHERE id = 3"], "audit entry 3 is missing (removed)"),
    (["DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)"], "entries at the end were removed"),
    (list(SWAP), "audit entry 2 does not follow entry 1"),
], ids=["edited details", "edited user", "removed", "removed last", "reordered"])
def test_any_tampering_with_the_audit_log_is_detected_and_named(small, statements, named):
    home = small.settings.home
    small.catalog.close()
    _tamper(small.settings, *statements)
    with Dms(small.settings) as app:
        result = audit.verify(app.catalog)
    assert not result["ok"] and named in result["problems"][0]
    proc = run_dms(home, "audit", "verify", check=False)
    assert proc.returncode == 4 and named in proc.stdout
    whole = run_dms(home, "verify", "--json", check=False)
    assert whole.returncode == 4 and named in whole.stdout
    small.catalog = open_catalog(small.settings.catalog_location)  # for the fixture to close


def test_audit_show_gives_a_documents_and_a_requests_history(world):
    number = changes.create(world, "Quieter fan", "cora").number
    shown = run_json(world.settings.home, "audit", "show", number)
    assert shown["subject"] == f"change_request:{number}" and shown["entries"][0]["user"] == "cora"
    doc = run_json(world.settings.home, "audit", "show", "SPEC-KX200-02 Rev B")
    assert doc["subject"] == f"doc:{_doc(world, 'SPEC-KX200-02 Rev B')}"
    assert doc["entries"][0]["action"] == "ingest"


# -- holds, retire, purge, edit ------------------------------------------------------------------------


def test_a_hold_blocks_retire_purge_and_edit_naming_the_matter_until_released(small):
    holds.place(small, "Supplier dispute", "cora", description="gasket claim", query="walnut letter 2")
    for action in (lambda: records.retire(small, "2", "cora", "duplicate"),
                   lambda: records.purge(small, "2", "ada", "privacy"),
                   lambda: records.edit(small, "2", "cora", "typo", title="Letter two")):
        with pytest.raises(errors.OnHold, match=r"under legal hold \(Supplier dispute\)"):
            action()
    assert small.catalog.document(2).version.title != "Letter two"
    assert records.retire(small, "3", "cora", "superseded")["retired"]  # not in the matter's scope
    with pytest.raises(PermissionDenied):
        holds.release(small, "Supplier dispute", "cora", "done")  # a coordinator does not release
    with pytest.raises(UsageError, match="needs a reason"):
        holds.release(small, "Supplier dispute", "mona", " ")
    holds.release(small, "Supplier dispute", "mona", "settled on 2024-05-01")
    released = audit.history(small.catalog, "matter:Supplier dispute")[-1]
    assert released["action"] == "hold released" and released["user"] == "mona"
    assert released["details"]["reason"] == "settled on 2024-05-01"
    records.edit(small, "2", "cora", "typo", title="Letter two")
    assert small.catalog.document(2).version.title == "Letter two"
    assert audit.history(small.catalog, "doc:2")[-1]["details"]["before"]["title"] != "Letter two"


def test_a_query_hold_also_holds_documents_ingested_later(small, tmp_path):
    holds.place(small, "Walnut", "cora", query="walnut")
    late = tmp_path / "late"
    late.mkdir()
    (late / "late.txt").write_text("A late note on the walnut gasket.")
    ingest(small, [late], inline=True)
    late_id = small.catalog.document_at_path(str(late / "late.txt")).id
    assert holds.holds_on(small, late_id) == ["Walnut"]


def test_only_coordinators_place_holds_and_a_scope_is_required(small):
    with pytest.raises(PermissionDenied):
        holds.place(small, "X", "vera", documents=["1"])
    with pytest.raises(UsageError, match="needs a scope"):
        holds.place(small, "X", "cora")
    with pytest.raises(UsageError, match="closing quote"):
        holds.place(small, "X", "cora", query='"open')
    assert holds.listing(small) == []


def test_retired_documents_leave_search_and_come_back_when_restored(small):
    assert search(small, "walnut").total == 5
    records.retire(small, "4", "cora", "sent in error")
    assert search(small, "walnut").total == 4
    assert run_json(small.settings.home, "verify")["ok"]
    records.restore(small, "4", "cora", "was right after all")
    assert search(small, "walnut").total == 5


def test_purge_is_for_admins_and_leaves_a_tombstone_with_the_hashes(small):
    doc = small.catalog.document(5)
    blob = small.store.path_for(doc.version.sha256)
    with pytest.raises(PermissionDenied):
        records.purge(small, "5", "cora", "privacy request")
    result = records.purge(small, "5", "ada", "privacy request")
    assert result["versions"][0]["sha256"] == doc.version.sha256 and not blob.exists()
    assert small.catalog.pages(doc.version.id) == ()
    assert search(small, "walnut").total == 4
    tombstone = records.status(small, 5)
    assert tombstone["purged_by"] == "ada" and small.catalog.versions(5)[0].sha256 == doc.version.sha256
    assert audit.history(small.catalog, "doc:5")[-1]["details"]["versions"][0]["sha256"] == doc.version.sha256
    assert run_json(small.settings.home, "verify")["ok"]
    with pytest.raises(UsageError, match="purged"):
        records.edit(small, "5", "ada", "x", title="y")


# -- as of ------------------------------------------------------------------------------------------------


def _revisions(number: str) -> list[tuple[str, str]]:
    return sorted((f["revision"], f["date"]) for f in TRUTH["files"] if f["number"] == number and f["revision"])


def test_as_of_gives_the_revision_in_force_before_on_and_after_a_revision(world):
    from datetime import date, timedelta

    from dms.documents import show

    number = next(n for n in sorted({f["number"] for f in TRUTH["files"] if f["number"]})
                  if len(_revisions(n)) >= 3 and [d for _, d in _revisions(n)] == sorted(d for _, d in _revisions(n)))
    revs = _revisions(number)
    (first, d1), (second, d2) = revs[0], revs[1]
    before = (date.fromisoformat(d2) - timedelta(days=1)).isoformat()
    after = (date.fromisoformat(d2) + timedelta(days=1)).isoformat()
    assert show(world, number, as_of=before)["revision"] == first
    assert show(world, number, as_of=d2)["revision"] == second
    assert show(world, number, as_of=after)["revision"] == second
    assert show(world, number, as_of="2030-01-01")["revision"] == revs[-1][0]
    with pytest.raises(NotFound, match="was in the archive on"):
        show(world, number, as_of=(date.fromisoformat(d1) - timedelta(days=1)).isoformat())
    for day, expected in ((before, first), (d2, second), (after, second)):
        hits = search(world, f"number:{number}", as_of=day).hits
        assert [h.id for h in hits] == [_doc(world, f"{number} Rev {expected}")], day
    cli = run_json(world.settings.home, "show", number, "--as-of", before)
    assert cli["revision"] == first


def test_what_did_we_know_on_a_date_is_one_query(world):
    day = "2023-06-30"
    results = search(world, "hinge", as_of=day, limit=500)
    everything = search(world, "hinge", limit=500)
    assert 0 < results.total < everything.total
    from dms.asof import effective_date

    for hit in results.hits:
        assert effective_date(world.catalog.document(hit.id)) <= day
    numbers = [world.catalog.document(h.id).version.number for h in results.hits]
    revised = [n for n in numbers if n and _revisions(n)]
    assert len(revised) == len(set(revised))  # one revision in force per number
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        search(world, "hinge", as_of="June 2023")


def test_trace_as_of_leaves_out_what_came_later(world):
    traced = run_json(world.settings.home, "trace", "CR-2023-003", "--limit", "500")
    early = run_json(world.settings.home, "trace", "CR-2023-003", "--limit", "500", "--as-of", "2023-03-31")
    assert 0 < early["total"] < traced["total"]
    assert all(d["date"] is None or d["date"] <= "2023-03-31" for d in early["documents"])


# -- bundles -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundle(world, tmp_path_factory):
    path = tmp_path_factory.mktemp("bundle") / "cr-2023-003.zip"
    result = bundles.create(world, path, "cora", trace="CR-2023-003", prefix="NORD")
    return path, result


def test_a_bundle_verifies_and_round_trips_to_the_catalog(world, bundle):
    path, result = bundle
    assert bundles.verify(path)["ok"]
    assert run_json(world.settings.home, "bundle", "verify", str(path))["ok"]
    with zipfile.ZipFile(path) as z:
        manifest = json.loads(z.read("manifest.json"))
        assert [r["control_number"] for r in manifest] == [f"NORD-{n:06d}" for n in range(1, len(manifest) + 1)]
        for row in manifest:
            original = z.read(f"originals/{row['file']}")
            doc = world.catalog.document(row["document_id"])
            assert hashlib.sha256(original).hexdigest() == row["sha256"] == doc.version.sha256
            assert row["source_path"] == doc.path and row["products"] == list(doc.version.products)
            assert z.read(f"text/{row['control_number']}.txt").decode() == "\f".join(
                world.catalog.pages(doc.version.id))
        entries = [json.loads(line) for line in z.read("audit.jsonl").decode().splitlines()]
        subjects = {f"doc:{r['document_id']}" for r in manifest}
        assert entries and all(e["subject"] in subjects or set(e["also"].split()) & subjects for e in entries)
        assert {e["subject"] for e in entries if e["action"] == "ingest"} == subjects
        index = z.read("index.html").decode()
        assert all(r["control_number"] in index for r in manifest)
        meta = json.loads(z.read("bundle.json"))
        assert meta["selection"] == {"kind": "trace", "value": "CR-2023-003"} and meta["created_by"] == "cora"
    assert result["documents"] == len(manifest)
    assert audit.history(world.catalog, f"bundle:{path.name}")[0]["details"]["sha256"] == result["sha256"]


def _rewrite(src, dst, change) -> None:
    with zipfile.ZipFile(src) as z:
        files = {n: z.read(n) for n in z.namelist()}
    change(files)
    with zipfile.ZipFile(dst, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)


def _first_original(files) -> str:
    return next(n for n in sorted(files) if n.startswith("originals/"))


@pytest.mark.parametrize(("change", "named"), [
    (lambda f: f.__setitem__(_first_original(f), f[_first_original(f)] + b" "), "does not match its SHA-256"),
    (lambda f: f.__setitem__("text/NORD-000001.txt", b"rewritten"), "text/NORD-000001.txt does not match"),
    (lambda f: f.__setitem__("manifest.json", f["manifest.json"].replace(b"NORD-000001", b"NORD-000099")),
     "manifest.json does not match"),
    (lambda f: f.__setitem__("extra.pdf", b"%PDF-1.4"), "extra.pdf is in the bundle but not in SHA256SUMS"),
    (lambda f: f.pop("text/NORD-000002.txt"), "text/NORD-000002.txt is listed in SHA256SUMS but missing"),
    (lambda f: f.__setitem__("audit.jsonl", f["audit.jsonl"].replace(b'"user": "', b'"user": "x', 1)),
     "audit.jsonl does not match"),
], ids=["original", "text", "manifest", "added file", "removed file", "audit slice"])
def test_tampering_with_any_bundle_file_is_detected(bundle, tmp_path, change, named):
    path, _ = bundle
    forged = tmp_path / "forged.zip"
    _rewrite(path, forged, change)
    result = bundles.verify(forged)
    assert not result["ok"] and any(named in p for p in result["problems"]), result["problems"]
    proc = run_dms(tmp_path, "bundle", "verify", str(forged), check=False)
    assert proc.returncode == 4 and named in proc.stdout


def test_a_bundle_whose_sums_are_recomputed_still_fails_on_the_manifest(bundle, tmp_path):
    """Someone who swaps an original and rewrites SHA256SUMS is still caught by the manifest."""
    path, _ = bundle

    def swap(files):
        name = _first_original(files)
        files[name] = b"a different file"
        files["SHA256SUMS"] = "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in sorted(files.items())
                                      if n != "SHA256SUMS").encode()

    forged = tmp_path / "forged.zip"
    _rewrite(path, forged, swap)
    problems = bundles.verify(forged)["problems"]
    assert any("does not match the SHA-256 in the manifest" in p for p in problems)


def test_bundle_selection_as_of_and_errors(world, tmp_path):
    early = bundles.create(world, tmp_path / "early.zip", "cora", trace="CR-2023-003", as_of="2023-03-31")
    late = bundles.create(world, tmp_path / "late.zip", "cora", trace="CR-2023-003")
    assert 0 < early["documents"] < late["documents"]
    with pytest.raises(UsageError, match="exactly one of"):
        bundles.create(world, tmp_path / "x.zip", "cora")
    with pytest.raises(UsageError, match="exactly one of"):
        bundles.create(world, tmp_path / "x.zip", "cora", query="lid", trace="CR-2023-003")
    with pytest.raises(UsageError, match="does not exist"):
        bundles.create(world, tmp_path / "no" / "such" / "x.zip", "cora", query="lid")
    with pytest.raises(NotFound, match="selects no document"):
        bundles.create(world, tmp_path / "x.zip", "cora", query="zzzyzzx")
    holds.place(world, "Bundle matter", "cora", products=["AQ150"])
    matter = bundles.create(world, tmp_path / "matter.zip", "cora", matter="Bundle matter")
    assert matter["documents"] == len(holds.documents(world, "Bundle matter"))
    (tmp_path / "junk.zip").write_bytes(b"junk")
    junk = bundles.verify(tmp_path / "junk.zip")
    assert not junk["ok"] and "not a readable zip" in junk["problems"][0]


def test_an_audit_slice_rewritten_with_fresh_sums_is_still_caught_by_its_chain_hashes(bundle, tmp_path):
    path, _ = bundle

    def rewrite(files):
        files["audit.jsonl"] = files["audit.jsonl"].replace(b'"user": "', b'"user": "mallory-', 1)
        files["SHA256SUMS"] = "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in sorted(files.items())
                                      if n != "SHA256SUMS").encode()

    forged = tmp_path / "forged.zip"
    _rewrite(path, forged, rewrite)
    problems = bundles.verify(forged)["problems"]
    assert len(problems) == 1 and "was altered: it no longer matches its hash" in problems[0]


def test_star_with_as_of_lists_everything_the_archive_held_then(world):
    from dms.asof import known_on

    held = search(world, "*", as_of="2023-06-30", limit=500)
    assert held.total == len(known_on(world, "2023-06-30")) < search(world, "*", limit=1).total
