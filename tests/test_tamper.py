"""An insider with file access against the audit log and dispute bundles: real edits of catalog.sqlite
with sqlite3 (triggers dropped, chains recomputed), real rewritten zips, a real zip bomb."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import sqlite3
import stat
import zipfile

import pytest
from conftest import run_dms, run_json

from dms import audit, bundles
from dms.app import Dms
from dms.config import load_settings
from dms.errors import ConfigError, IntegrityError, UsageError
from dms.ingest.pipeline import ingest

LETTERS = ("letter-1.txt", "letter-2.txt", "letter-3.txt", "letter-4.txt")


def _make(folder, key=None, names=LETTERS, first_lines=None):
    """An archive of a few letters (signed from the start with `key`, made by `dms audit keygen`'s function)."""
    inbox = folder / "in"
    inbox.mkdir(parents=True, exist_ok=True)
    for n, name in enumerate(names, start=1):
        first = first_lines[n - 1] if first_lines else f"Letter {n} about the walnut gasket."
        (inbox / name).write_text(f"{first}\nAbout the walnut gasket.\nDate: 2023-0{n}-10\n")
    home = folder / "home"
    if key:
        with Dms(_settings(home)) as app:
            audit.keygen(app.catalog, key, "ada")
    with Dms(_settings(home, key)) as app:
        ingest(app, [inbox], inline=True)
    return home


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    """Made once: an unsigned archive, a signed one with its key, and a bundle of the signed one."""
    root = tmp_path_factory.mktemp("templates")
    (root / "keys").mkdir()
    key = root / "keys" / "audit.pem"
    plain, signed = _make(root / "plain"), _make(root / "signed", key)
    path = root / "bundle.zip"
    with Dms(_settings(signed, key)) as app:
        bundles.create(app, path, "ada", query="walnut")
    return {"plain": plain, "signed": signed, "key": key, "bundle": path}


def _archive(tmp_path, templates, signed: bool = False):
    """A private copy of a template archive (tests here damage it), its inbox beside it."""
    kind = "signed" if signed else "plain"
    shutil.copytree(templates[kind].parent, tmp_path, dirs_exist_ok=True)
    return tmp_path / "home"


def _settings(home, key=None):
    return load_settings(environ={"DMS_AUDIT_KEY_FILE": str(key)} if key else {}, home=home)


def _env(key) -> dict:
    return {"DMS_AUDIT_KEY_FILE": str(key)}


def _verify(home, key=None, public_key=None, statement=None) -> dict:
    with Dms(_settings(home, key)) as app:
        return audit.verify(app.catalog, public_key, statement)


def _problems(result) -> str:
    assert not result["ok"]
    return "\n".join(result["problems"])


def _sql(home, *statements, params=()) -> None:
    """What someone with the file can do: drop the triggers, then rewrite rows."""
    conn = sqlite3.connect(home / "catalog.sqlite")
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    for statement in statements:
        conn.execute(statement, params)
    conn.commit()
    conn.close()


def _recompute(home, start: int, change) -> None:
    """Rewrite entry `start` with `change(entry)`, then recompute the chain and the head (the public recipe)."""
    conn = sqlite3.connect(home / "catalog.sqlite")
    conn.execute("DROP TRIGGER audit_log_no_update")
    cols = ("id", "at", "user", "action", "subject", "also", "details", "prev_hash", "hash")
    rows = [dict(zip(cols, r)) for r in conn.execute(f"SELECT {', '.join(cols)} FROM audit_log ORDER BY id")]
    prev = rows[start - 2]["hash"]
    for entry in rows[start - 1:]:
        entry["details"] = json.loads(entry["details"])
        if entry["id"] == start:
            change(entry)
        entry["prev_hash"], entry["hash"] = prev, audit.entry_hash(prev, entry)
        conn.execute("UPDATE audit_log SET at = ?, user = ?, details = ?, prev_hash = ?, hash = ? WHERE id = ?",
                     (entry["at"], entry["user"], json.dumps(entry["details"]), entry["prev_hash"], entry["hash"],
                      entry["id"]))
        prev = entry["hash"]
    conn.execute("UPDATE audit_head SET hash = ?", (prev,))
    conn.commit()
    conn.close()


def _ingest_more(tmp_path, home, name: str, **kwargs):
    (tmp_path / "in" / name).write_text(f"A later letter, {name}.\n")
    return run_dms(home, "ingest", str(tmp_path / "in"), **kwargs)


def _failed(proc, *named: str) -> None:
    assert proc.returncode == 4, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    for text in named:
        assert text in proc.stdout, proc.stdout


# -- the audit log ---------------------------------------------------------------------------------


def test_cutting_the_last_entries_and_deleting_the_head_fails_both_verifies_and_blocks_recording(tmp_path, templates):
    home = _archive(tmp_path, templates)
    _sql(home, "DELETE FROM audit_head", "DELETE FROM audit_log WHERE id > 2")
    _failed(run_dms(home, "audit", "verify", check=False), "FAILED", "the audit head is missing")
    _failed(run_dms(home, "verify", check=False), "the audit head is missing")
    later = _ingest_more(tmp_path, home, "letter-9.txt", check=False)
    assert later.returncode == 4 and "Traceback" not in later.stderr
    assert "nothing more can be recorded: the audit head is missing" in later.stderr


def test_a_head_pointing_past_the_log_is_a_failure_and_later_actions_are_refused(tmp_path, templates):
    home = _archive(tmp_path, templates)
    _sql(home, "UPDATE audit_head SET last_id = last_id + 5")
    assert "the audit log ends at entry 4, but its head records entry 9" in _problems(_verify(home))
    with Dms(_settings(home)) as app, pytest.raises(IntegrityError, match="entries at the end were removed"):
        audit.record(app.catalog, "ada", "hold placed", "matter:M1")


def test_without_a_key_verify_says_the_head_is_unsigned(tmp_path, templates):
    result = _verify(templates["plain"])
    assert result["ok"] and result["entries"] == 4 and "the audit head is not signed" in result["notes"][0]


def test_a_chain_recomputed_after_editing_an_entry_fails_on_its_signature(tmp_path, templates):
    home, key = _archive(tmp_path, templates, signed=True), templates["key"]
    assert _verify(home, key)["ok"]
    _recompute(home, 3, lambda e: e["details"].update(path="forged.txt"))
    assert _verify(home)["ok"] is False  # with the public key kept in the data directory
    _failed(run_dms(home, "audit", "verify", env=_env(key), check=False), "FAILED", "does not match its signature",
            "audit entry 3 (ingest doc:2")


def test_a_back_dated_entry_appended_without_the_key_fails(tmp_path, templates):
    home, key = _archive(tmp_path, templates, signed=True), templates["key"]
    with Dms(_settings(home, key)) as app:
        last = audit.history(app.catalog, "doc:4")[-1]
    forged = {"id": last["id"] + 1, "at": "2023-01-01T09:00:00+00:00", "user": "mallory", "action": "retired",
              "subject": "doc:2", "also": "", "details": {"reason": "duplicate"}}
    digest = audit.entry_hash(last["hash"], forged)
    _sql(home, "INSERT INTO audit_log (id, at, user, action, subject, also, details, prev_hash, hash, sig) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT sig FROM audit_head))",
         params=(forged["id"], forged["at"], "mallory", "retired", "doc:2", "", json.dumps(forged["details"]),
                 last["hash"], digest))
    _sql(home, "UPDATE audit_head SET last_id = ?, hash = ?, count = ?, at = ?",
         params=(forged["id"], digest, forged["id"], forged["at"]))
    problems = _problems(_verify(home, key))
    assert "the audit head (entry 7) does not match its signature" in problems
    assert f"audit entry 7 (retired doc:2 at {forged['at']}) is the first whose signature does not match" in problems
    _sql(home, "UPDATE audit_head SET sig = NULL", "UPDATE audit_log SET sig = NULL WHERE id = 7")
    problems = _problems(_verify(home, key))
    assert "audit entry 7 is not signed although an earlier entry (1) is" in problems
    assert "the audit head is not signed, though the audit key" in problems


def test_a_log_whose_signatures_and_public_key_were_stripped_fails_both_verifies_without_a_key(tmp_path, templates):
    home = _archive(tmp_path, templates, signed=True)
    _recompute(home, 3, lambda e: e["details"].update(path="forged.txt"))  # the edit the stripping hides
    _sql(home, "UPDATE audit_log SET sig = NULL", "UPDATE audit_head SET sig = NULL, key = NULL")
    (home / "audit_key.pub").unlink()
    assert "audit key created" in _sql_value(home, "SELECT action FROM audit_log WHERE id = 1")
    _failed(run_dms(home, "audit", "verify", check=False), "FAILED",
            "audit entry 1 (audit key created", "records that the audit key was created (entry 1)")
    _failed(run_dms(home, "verify", check=False), "audit: ", "records that the audit key was created (entry 1)")


def test_dms_verify_notes_an_unsigned_head_as_audit_verify_does(tmp_path, templates):
    shown = run_dms(templates["plain"], "verify").stdout
    assert "note: the audit head is not signed (no DMS_AUDIT_KEY_FILE)" in shown


def _sql_value(home, statement):
    conn = sqlite3.connect(home / "catalog.sqlite")
    try:
        return conn.execute(statement).fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("change", [
    {"public_key": 5}, {"last_id": 1e400}, {"last_id": -3}, {"last_id": True}, {"entries": 1e400},
    {"last_id": "99999999999999999999999999"}, {"signature": 5}, {"at": ["2024"]}, {"hash": "z" * 64},
    {"fingerprint": {}},
], ids=lambda c: ",".join(f"{k}={v!r}"[:24] for k, v in c.items()))
def test_a_head_statement_with_values_of_the_wrong_type_or_range_is_a_clear_error(tmp_path, templates, change):
    statement = {"last_id": 4, "entries": 4, "hash": "a" * 64, "at": "2024-01-01T00:00:00+00:00",
                 "signature": None, "fingerprint": None, "public_key": None, **change}
    with pytest.raises(UsageError, match="not a head statement"):
        audit.parse_statement(json.dumps(statement))


def test_a_malformed_head_statement_fails_on_the_command_line_without_a_traceback(tmp_path, templates):
    for n, value in enumerate(('"public_key": 5', '"last_id": 1e400')):
        noted = tmp_path / f"head{n}.json"
        noted.write_text('{"entries": 4, "last_id": 4, "hash": "' + "a" * 64 + '", ' + value + "}")
        proc = run_dms(templates["plain"], "audit", "verify", "--head", str(noted), check=False)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert "not a head statement" in proc.stderr


def test_verify_against_a_noted_head_catches_a_log_cut_back_with_its_head(tmp_path, templates):
    home, key = _archive(tmp_path, templates, signed=True), templates["key"]
    noted = tmp_path / "head.txt"
    noted.write_text(run_dms(home, "audit", "head", env=_env(key)).stdout)
    assert "fingerprint: SHA256:" in noted.read_text() and "last entry:  6" in noted.read_text()
    _ingest_more(tmp_path, home, "letter-9.txt", env=_env(key))
    statement = audit.parse_statement(noted.read_text())
    assert "still holds the head noted" in _verify(home, key, statement=statement)["notes"][-1]
    # cut the log back to entry 3 and rebuild a consistent head from entry 3's own signed state
    _sql(home, "DELETE FROM audit_log WHERE id > 3",
         "UPDATE audit_head SET (last_id, hash, count, at, sig) = "
         "(SELECT id, hash, id, at, sig FROM audit_log WHERE id = 3)")
    assert _verify(home, key)["ok"]  # going back to an earlier state: only a head noted elsewhere tells
    _failed(run_dms(home, "audit", "verify", "--head", str(noted), check=False),
            "the audit log ends at entry 3, but the head noted on", "records entry 6")
    altered = {**statement, "hash": "0" * 64}
    assert "does not match its own signature" in _problems(_verify(home, statement=altered))
    json_form = tmp_path / "head.json"
    json_form.write_text(json.dumps(altered))
    _failed(run_dms(home, "audit", "verify", "--head", str(json_form), check=False), "does not match its own")


def test_the_audit_key_is_kept_outside_the_data_directory_never_overwritten_and_private(tmp_path):
    home, key = tmp_path / "home", tmp_path / "audit.pem"
    inside = run_dms(home, "audit", "keygen", "-o", str(home / "audit.pem"), check=False)
    assert inside.returncode == 2 and "inside the data directory" in inside.stderr
    made = run_json(home, "audit", "keygen", "-o", str(key))
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and made["fingerprint"].startswith("SHA256:")
    assert (home / "audit_key.pub").read_text() == made["public_key_pem"]
    before = key.read_bytes()
    with Dms(_settings(home)) as app:
        with pytest.raises(UsageError, match="already has an audit key"):
            audit.keygen(app.catalog, tmp_path / "other.pem", "ada")
        (home / "audit_key.pub").unlink()
        with pytest.raises(UsageError, match="already exists: a key is never overwritten"):
            audit.keygen(app.catalog, key, "ada")
    assert key.read_bytes() == before
    key.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        _verify(home, key)


def test_a_dangling_link_planted_at_audit_key_pub_is_refused_by_keygen_and_its_target_not_created(tmp_path):
    home, key, target = tmp_path / "home", tmp_path / "audit.pem", tmp_path / "planted.pub"
    home.mkdir()
    (home / "audit_key.pub").symlink_to(target)
    made = run_dms(home, "audit", "keygen", "-o", str(key), check=False)
    assert made.returncode == 4 and "Traceback" not in made.stderr, made.stderr
    assert "audit_key.pub is a symbolic link" in made.stderr
    assert not target.exists() and not key.exists()  # nothing written through the link, no key left half-made


def test_the_api_gives_the_signed_head_and_checks_it_with_the_configured_key(tmp_path, templates):
    from fastapi.testclient import TestClient

    from dms import users
    from dms.web import create_app

    home, key = _archive(tmp_path, templates, signed=True), templates["key"]
    settings = _settings(home, key)
    with Dms(settings) as app:
        users.add(app.catalog, "ada", "admin", "long enough pass", by="ada")
    client = TestClient(create_app(settings), follow_redirects=False)
    assert client.post("/sign-in", data={"name": "ada", "password": "long enough pass", "next": "/"}).status_code == 303
    head = client.get("/api/v1/audit/head").json()
    assert head["signature"] and head["fingerprint"].startswith("SHA256:") and head["entries"] == head["last_id"] > 6
    checked = client.get("/api/v1/audit/verify").json()
    assert checked["ok"] and checked["key"]["source"] == "DMS_AUDIT_KEY_FILE" and checked["head"]["signed"]
    noted = _verify(home, statement=audit.parse_statement(json.dumps(head)))
    assert noted["ok"] and f"(entry {head['last_id']}) unchanged" in noted["notes"][-1]


# -- bundles ---------------------------------------------------------------------------------------


def _files(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def _zip(path, entries) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(name, data)


def _resum(files) -> None:
    files["SHA256SUMS"] = "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in sorted(files.items())
                                  if n not in ("SHA256SUMS", "SHA256SUMS.sig")).encode()


def _bundle_problems(path, public_key=None, **kwargs) -> str:
    from dms import signing

    if public_key:
        kwargs["public_key"] = signing.load_public(public_key)
    result = bundles.verify(path, **kwargs)
    return _problems(result)


def test_a_bundle_rewritten_with_its_manifests_and_sums_fails_on_its_signature(templates, tmp_path):
    path, public = templates["bundle"], templates["signed"] / "audit_key.pub"
    assert run_json(tmp_path, "bundle", "verify", str(path), "--public-key", str(public))["ok"]
    files = _rewritten(_files(path))
    forged = tmp_path / "forged.zip"
    _zip(forged, files.items())
    assert "SHA256SUMS does not match its signature" in _bundle_problems(forged)
    _failed(run_dms(tmp_path, "bundle", "verify", str(forged), "--public-key", str(public), check=False),
            "FAILED", "SHA256SUMS does not match its signature")
    # re-signed with the forger's own key: only the archive's public key tells
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from dms import signing
    from dms.bundles.check import sums_message

    mallory = Ed25519PrivateKey.generate()
    files["SHA256SUMS.sig"] = json.dumps({"signature": signing.sign(mallory, sums_message(files["SHA256SUMS"])),
                                          "public_key": signing.public_b64(mallory.public_key())}).encode()
    _zip(forged, files.items())
    assert bundles.verify(forged)["ok"]  # self-consistent, signed by a key the bundle carries
    assert "not by the key given" in _bundle_problems(forged, public)
    del files["SHA256SUMS.sig"]
    _zip(forged, files.items())
    assert "the bundle is not signed" in _bundle_problems(forged, public)


def test_a_duplicate_entry_placed_before_the_genuine_one_fails(templates, tmp_path):
    files = _files(templates["bundle"])
    original = next(n for n in files if n.startswith("originals/"))
    forged = tmp_path / "forged.zip"
    with pytest.warns(UserWarning, match="Duplicate name"):
        _zip(forged, [(original, b"the forged letter an unzip tool may show")] + list(files.items()))
    _failed(run_dms(tmp_path, "bundle", "verify", str(forged), check=False), f"{original} appears 2 times")


def test_an_entry_in_the_sums_but_not_in_the_manifest_fails(templates, tmp_path):
    files = _files(templates["bundle"])
    files["originals/EXTRA-000009.exe"] = b"MZ not a document of the bundle"
    _resum(files)
    files.pop("SHA256SUMS.sig", None)
    forged = tmp_path / "forged.zip"
    _zip(forged, files.items())
    assert "originals/EXTRA-000009.exe is not a part of a bundle nor in its manifest" in _bundle_problems(forged)


def _rewritten(files: dict) -> dict:
    """The forger's rewrite: the first original replaced, its hash changed in both manifests, sums redone."""
    original = _first_original(files)
    files[original] = b"a different letter"
    fresh = hashlib.sha256(files[original]).hexdigest()
    old = next(r["sha256"] for r in json.loads(files["manifest.json"]) if f"originals/{r['file']}" == original)
    for name in ("manifest.json", "manifest.csv"):
        files[name] = files[name].replace(old.encode(), fresh.encode())
    _resum(files)
    return files


def _first_original(files) -> str:
    return next(n for n in sorted(files) if n.startswith("originals/"))


def _breaker(name, data):
    def change(files):
        files[name] = data if not callable(data) else data(files[name])
        _resum(files)
    return change


@pytest.mark.parametrize(("change", "reason"), [
    (None, "is not a readable zip file"),
    (lambda f: (f.pop("manifest.json"), _resum(f)), "manifest.json is missing"),
    (_breaker("manifest.json", b"[{\"control_number\": "), "manifest.json is not valid JSON"),
    (_breaker("manifest.json", b"[1, 2]"), "manifest.json document 1 is not an object"),
    (_breaker("manifest.json", b"[{\"control_number\": \"X\"}]"), "manifest.json document 1 lacks file, sha256"),
    (_breaker("manifest.csv", lambda d: d + b"one,two\n"), "manifest.csv row 5 has 2 cells, not 17"),
    (_breaker("audit.jsonl", lambda d: b"{not json\n" + d), "audit.jsonl line 1 is not valid JSON"),
    (_breaker("audit.jsonl", lambda d: b"[1]\n" + d), "audit.jsonl line 1 is not an audit entry"),
    (_breaker("bundle.json", b"\xff\xfe"), "bundle.json is not valid JSON"),
    (lambda f: (f.pop("SHA256SUMS"), f.__setitem__(_first_original(f), b"swapped")),
     "does not match the SHA-256 in the manifest"),  # a missing part does not hide the other checks
    (lambda f: f.__setitem__("SHA256SUMS", b"\xff\xfe not sums\n"), "SHA256SUMS line 1 is not"),
    (lambda f: f.__setitem__("SHA256SUMS.sig", b"{]"), "SHA256SUMS.sig is malformed"),
], ids=["bad zip", "no manifest", "bad json", "json of numbers", "rows lacking fields", "bad csv row",
        "bad audit line", "audit line of another shape", "bad bundle.json", "no sums", "binary sums",
        "bad signature file"])
def test_every_malformed_bundle_part_is_failed_with_its_reason(templates, tmp_path, change, reason):
    files = _files(templates["bundle"])
    forged = tmp_path / "forged.zip"
    if change is None:
        forged.write_bytes(b"PK\x03\x04 this is not a zip")
    else:
        change(files)
        _zip(forged, files.items())
    assert reason in _bundle_problems(forged)


def test_a_malformed_bundle_is_failed_on_the_command_line_without_a_traceback(templates, tmp_path):
    files = _files(templates["bundle"])
    _breaker("manifest.json", b"[1, 2]")(files)
    files["audit.jsonl"] = b"{not json\n"
    forged = tmp_path / "forged.zip"
    _zip(forged, files.items())
    _failed(run_dms(tmp_path, "bundle", "verify", str(forged), check=False), "FAILED",
            "manifest.json document 1 is not an object", "audit.jsonl line 1 is not valid JSON")


def test_a_zip_bomb_entry_is_refused_unread(templates, tmp_path):
    forged = tmp_path / "bomb.zip"
    shutil.copy(templates["bundle"], forged)
    with zipfile.ZipFile(forged, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open("text/BOMB.txt", "w") as fh:
            zeros = bytes(1 << 20)
            for _ in range(64):
                fh.write(zeros)
    assert forged.stat().st_size < 400_000
    _failed(run_dms(tmp_path, "bundle", "verify", str(forged), check=False),
            "text/BOMB.txt declares 67,108,864 bytes", "refused unread")
    allowed = _bundle_problems(forged, max_ratio=5000)  # a looser bound: found not to belong, so never read
    assert "text/BOMB.txt is in the bundle but not in SHA256SUMS" in allowed and "refused" not in allowed


def test_formula_cells_are_escaped_in_manifest_csv_and_the_bundle_verifies(tmp_path):
    titles = ("=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tTabbed", "Plain letter")
    home = _make(tmp_path, names=[f"t{n}.txt" for n in range(6)], first_lines=titles)
    path = tmp_path / "bundle.zip"
    with Dms(_settings(home)) as app:
        bundles.create(app, path, "ada", query="walnut")
    with zipfile.ZipFile(path) as z:
        rows = list(csv.DictReader(io.StringIO(z.read("manifest.csv").decode())))
        exact = sorted(r["title"] for r in json.loads(z.read("manifest.json")))
    assert exact == sorted(t.strip() for t in titles)  # manifest.json keeps the exact values
    shown = sorted(r["title"] for r in rows)
    assert shown == sorted("'" + t if t[0] in "=+-@" else t for t in exact)
    assert bundles.verify(path)["ok"]


def test_a_bundle_of_very_compressible_documents_still_verifies_under_the_bomb_bound(tmp_path):
    home = _make(tmp_path, names=["dense.txt"], first_lines=["Dense walnut gasket log " + "0" * 3_000_000])
    path = tmp_path / "bundle.zip"
    with Dms(_settings(home)) as app:
        bundles.create(app, path, "ada", query="walnut")
    with zipfile.ZipFile(path) as z:
        dense = [i for i in z.infolist() if i.file_size > 1 << 20]
    assert dense and all(i.compress_type == zipfile.ZIP_STORED for i in dense)  # written as is, not deflated
    assert bundles.verify(path)["ok"]


def test_a_corrupt_entry_is_reported_not_raised(templates, tmp_path):
    data = bytearray(templates["bundle"].read_bytes())
    with zipfile.ZipFile(templates["bundle"]) as z:
        info = next(i for i in z.infolist() if i.filename.startswith("originals/"))
    name_len, extra_len = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], "little"), \
        int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    data[start:start + 8] = b"\xff" * 8  # the deflate stream, damaged in place
    forged = tmp_path / "corrupt.zip"
    forged.write_bytes(bytes(data))
    assert f"{info.filename} cannot be read from the zip" in _bundle_problems(forged)


def test_bundle_verify_pins_the_configured_key_against_a_bundle_resigned_or_unsigned(templates, tmp_path):
    files = _rewritten(_files(templates["bundle"]))
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from dms import signing
    from dms.bundles.check import sums_message

    mallory = Ed25519PrivateKey.generate()
    files["SHA256SUMS.sig"] = json.dumps({"signature": signing.sign(mallory, sums_message(files["SHA256SUMS"])),
                                          "public_key": signing.public_b64(mallory.public_key())}).encode()
    forged = tmp_path / "forged.zip"
    _zip(forged, files.items())
    env = _env(templates["key"])
    genuine = run_dms(tmp_path, "bundle", "verify", str(templates["bundle"]), env=env)
    assert genuine.stdout.startswith("OK") and "signed by SHA256:" in genuine.stdout
    _failed(run_dms(tmp_path, "bundle", "verify", str(forged), env=env, check=False), "FAILED", "not by the key")
    del files["SHA256SUMS.sig"]
    _zip(forged, files.items())
    _failed(run_dms(tmp_path, "bundle", "verify", str(forged), env=env, check=False), "FAILED",
            "the bundle is not signed")


def test_bundle_verify_without_a_pinned_key_says_the_signature_was_checked_only_against_the_bundles_own(
        templates, tmp_path):
    shown = run_dms(tmp_path, "bundle", "verify", str(templates["bundle"])).stdout
    first = shown.splitlines()[0]
    assert first.startswith("OK") and "signed by" not in first, shown
    assert "checked only against the key inside the bundle" in shown


@pytest.mark.parametrize("sig", [
    {"public_key": 5, "signature": "x"}, {"public_key": ["a"], "signature": "x"}, {"public_key": {}, "signature": 1},
], ids=["key 5", "key list", "key object"])
def test_a_signature_file_with_values_of_the_wrong_type_is_failed_not_raised(templates, tmp_path, sig):
    files = _files(templates["bundle"])
    files["SHA256SUMS.sig"] = json.dumps(sig).encode()
    forged = tmp_path / "forged.zip"
    _zip(forged, files.items())
    assert "SHA256SUMS.sig is malformed" in _bundle_problems(forged)


def test_many_small_entries_inflating_far_past_the_bundle_are_refused_unread_in_total(templates, tmp_path):
    forged = tmp_path / "padded.zip"
    shutil.copy(templates["bundle"], forged)
    zeros = bytes(1 << 20)
    with zipfile.ZipFile(forged, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for n in range(200):
            z.writestr(f"text/PAD-{n:03d}.txt", zeros)
    assert forged.stat().st_size < 600_000
    proc = run_dms(tmp_path, "bundle", "verify", str(forged), check=False)
    _failed(proc, "FAILED", "declare 2", "bytes in all", "refused unread")


def test_an_entry_not_in_the_sums_is_reported_without_being_read(templates, tmp_path):
    forged = tmp_path / "extra.zip"
    shutil.copy(templates["bundle"], forged)
    with zipfile.ZipFile(forged, "a", zipfile.ZIP_STORED) as z:
        z.writestr("text/EXTRA.txt", b"x" * 1000)
        info = z.getinfo("text/EXTRA.txt")
    data = bytearray(forged.read_bytes())
    start = info.header_offset + 30 + len(b"text/EXTRA.txt")
    data[start + 10] = ord("y")  # its bytes no longer match its CRC: reading it would say so
    forged.write_bytes(bytes(data))
    problems = _bundle_problems(forged)
    assert "text/EXTRA.txt is in the bundle but not in SHA256SUMS" in problems
    assert "cannot be read" not in problems
