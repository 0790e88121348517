"""What the review of the PostgreSQL catalog found (review17b), on both catalogs: text with NUL characters in the
audit log, a sign-in name with control characters, the catalog's whereabouts kept from web visitors, an audit
subject with LIKE's wildcards, and an audit entry that cannot move to PostgreSQL unchanged."""

from __future__ import annotations

import pytest

from dms import audit, auditactions
from dms.errors import CatalogError

pytestmark = pytest.mark.both_catalogs


def test_an_audit_entry_with_a_nul_character_is_stored_as_hashed_and_the_chain_stays_whole(dms):
    audit.record(dms.catalog, "mall\x00ory", auditactions.SIGN_IN_FAILED, "user:mall\x00ory", {"note": "a\x00b"},
                 also=["matter:x\x00y"])
    checked = audit.verify(dms.catalog)
    assert checked["ok"], checked["problems"]
    from dms.catalog import auditlog

    last = list(auditlog.rows(dms.catalog))[-1]
    assert (last["user"], last["subject"], last["also"]) == ("mallory", "user:mallory", "matter:xy")


def test_a_sign_in_name_with_a_control_character_matches_nobody_and_is_recorded_visibly(dms):
    from dms import auth, users
    from dms.auth import Client
    from dms.errors import NotSignedIn

    users.add(dms.catalog, "mallory", "admin", "mallory-password-1", by="mallory")
    with pytest.raises(NotSignedIn):
        auth.sign_in(dms.catalog, dms.settings, "mall\x00ory", "mallory-password-1", Client("127.0.0.1", None))
    assert audit.verify(dms.catalog)["ok"]
    from dms.catalog import auditlog

    last = list(auditlog.rows(dms.catalog))[-1]
    assert last["action"] == auditactions.SIGN_IN_FAILED and last["user"] == "mall\\x00ory"


def test_an_audit_subject_holding_like_wildcards_finds_only_itself(dms):
    from dms.catalog import auditlog

    audit.record(dms.catalog, "ada", auditactions.SIGN_IN_FAILED, "x", also=["matter:a_b"])
    audit.record(dms.catalog, "ada", auditactions.SIGN_IN_FAILED, "y", also=["matter:axb"])
    assert [r["subject"] for r in auditlog.rows(dms.catalog, "matter:a_b")] == ["x"]
    assert [r["subject"] for r in auditlog.rows(dms.catalog, "matter:a%")] == []


@pytest.mark.postgresql
def test_an_old_audit_entry_holding_a_nul_character_stops_a_copy_to_postgresql_before_anything_is_kept(
        tmp_path, pg_url, monkeypatch):
    from dms.catalog import copy as catalog_copy
    from dms.catalog import open_catalog

    source = open_catalog(tmp_path / "catalog.sqlite")
    try:
        with monkeypatch.context() as patched:  # as a dms from before the fix wrote it: NUL kept, hashed with it
            patched.setattr(audit, "_storable", lambda text: text)
            audit.record(source, "mall\x00ory", auditactions.SIGN_IN_FAILED, "user:mall\x00ory")
        assert audit.verify(source)["ok"]  # sound on SQLite
        with pytest.raises(CatalogError, match="audit entry 1 holds a NUL character"):
            catalog_copy.copy(source, pg_url)
    finally:
        source.close()
    target = open_catalog(pg_url)
    try:
        assert target.conn.execute("SELECT COUNT(*) FROM audit_log").fetchone() == (0,)
    finally:
        target.close()


@pytest.mark.postgresql
def test_a_web_visitor_is_told_the_catalog_is_unavailable_but_not_where_it_is(tmp_path, pg_cluster):
    from fastapi.testclient import TestClient

    from dms.config import load_settings
    from dms.web import create_app

    url = pg_cluster.url("no_such_database") + "&password=S3cretInQuery"
    settings = load_settings(environ={"DMS_DATABASE_URL": url}, home=tmp_path / "home")
    client = TestClient(create_app(settings), raise_server_exceptions=False)
    for path in ("/api/v1/health", "/sign-in"):
        answer = client.get(path)
        assert answer.status_code >= 500
        for secret in ("S3cretInQuery", "no_such_database", str(pg_cluster.socket_dir), str(pg_cluster.port)):
            assert secret not in answer.text, (path, secret)
        assert "cannot be used right now" in answer.text
