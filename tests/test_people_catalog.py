"""The people's side of the catalog on SQLite and PostgreSQL alike (`both_catalogs`): saved views, sessions and
tokens, sign-in counts, the notice courier's claim and what `dms verify` says of the catalog itself.

Each test names a behaviour that differed between the dialects before the statements were made portable: a
refused duplicate that must not abort a PostgreSQL transaction, `COLLATE NOCASE`, the `user` column (bare, it is
PostgreSQL's role name), `SUM` over a comparison, SQLite's `PRAGMA`s.
"""

from __future__ import annotations

import time

import pytest

from dms import auth, users, views
from dms.app import Dms
from dms.catalog import outbox, signins
from dms.catalog import views as view_rows
from dms.errors import DuplicateKey, NotSignedIn, UsageError
from dms.verify import verify

pytestmark = pytest.mark.both_catalogs

PASSWORD = "long enough pass"


@pytest.fixture
def people(dms):
    for name, role in (("ada", "admin"), ("cora", "coordinator"), ("vera", "viewer")):
        users.add(dms.catalog, name, role, PASSWORD, by="ada")
    return dms


def test_a_view_name_taken_meanwhile_is_refused_and_the_transaction_goes_on(people):
    catalog = people.catalog
    views.save(catalog, "cora", "Lids", "q=lid")
    with catalog.transaction():
        with pytest.raises(DuplicateKey), catalog.savepoint():  # the race views.save guards against
            view_rows.insert(catalog, "cora", "Lids", "q=hinge", False)
        with pytest.raises(UsageError, match="a view named 'Lids' already"):
            views.save(catalog, "cora", "Lids", "q=hinge")
        views.save(catalog, "cora", "Hinges", "q=hinge")  # the same transaction still writes
    assert [(v.name, v.query_string) for v in views.listing(catalog, "cora")] == [("Hinges", "q=hinge"),
                                                                                 ("Lids", "q=lid")]


def test_views_are_listed_by_name_whatever_its_case(people):
    for name in ("beta", "Alpha", "gamma", "Delta"):
        views.save(people.catalog, "vera", name, f"q={name}")
    assert [v.name for v in views.listing(people.catalog, "vera")] == ["Alpha", "beta", "Delta", "gamma"]
    renamed = views.rename(people.catalog, "vera", views.listing(people.catalog, "vera")[0].id, "Beta")
    assert renamed.name == "Beta"  # another case of a name not its own: no clash with "beta"


def test_sessions_and_tokens_belong_to_their_user_not_to_the_database_role(people):
    catalog, settings = people.catalog, people.settings
    client = auth.Client("10.0.0.1", auth.new_client_cookie())
    signed = auth.sign_in(catalog, settings, "cora", PASSWORD, client)
    assert auth.session(catalog, signed.session.token).user.name == "cora"
    token_id, secret = auth.create_token(catalog, "vera", "script", "ada")
    assert isinstance(token_id, int) and auth.token_user(catalog, secret).name == "vera"
    assert [(t["id"], t["user"]) for t in auth.tokens(catalog, "vera")] == [(token_id, "vera")]
    assert auth.tokens(catalog, "cora") == []
    users.disable(catalog, "cora", by="ada")  # ends her sessions: the DELETE picks them by "user"
    with pytest.raises(NotSignedIn):
        auth.session(catalog, signed.session.token)


def test_failed_sign_ins_are_counted_per_name_and_address_as_whole_numbers(people):
    catalog = people.catalog
    limits = signins.Limits(since="2000-01-01T00:00:00+00:00", per_client=100, per_address=100)
    for source in (signins.NONE, signins.NONE, signins.BROWSER, signins.KNOWN):
        assert signins.reserve(catalog, "vera", f"c-{source}", "192.0.2.1", source, limits).id
    recent = signins.recent(catalog, limits.since)
    assert recent["names"] == [{"name": "vera", "unknown": 3, "all": 4, "last": recent["names"][0]["last"]}]
    (address,) = recent["addresses"]
    assert (address["unknown"], address["cookieless"]) == (3, 2)
    assert all(type(n) is int for n in (address["unknown"], address["cookieless"], recent["names"][0]["all"]))


def test_one_process_at_a_time_holds_the_couriers_claim(settings, tmp_path):
    with Dms(settings) as first, Dms(settings) as second:  # two connections: two processes to the catalog
        lock_file = settings.home / "courier.lock"
        release = outbox.claim_courier(first.catalog, lock_file)
        assert release is not None
        assert outbox.claim_courier(second.catalog, lock_file) is None
        release()
        again = outbox.claim_courier(second.catalog, lock_file)
        assert again is not None and outbox.claim_courier(first.catalog, lock_file) is None
        again()


def test_of_two_serve_couriers_one_delivers_and_the_other_takes_over_when_it_stops(settings):
    from dataclasses import replace

    from dms.web.notices import Courier
    from dms.web.state import WebState

    quick = replace(settings, notice_retry=0.1)
    states = [WebState(quick), WebState(quick)]
    couriers = [Courier(state) for state in states]
    try:
        couriers[0].start()
        _wait(lambda: couriers[0].rounds >= 1)
        couriers[1].start()
        _wait(lambda: couriers[1].rounds >= 2)
        assert couriers[0].delivers and not couriers[1].delivers
        couriers[0].stop()
        assert not couriers[0].delivers
        _wait(lambda: couriers[1].delivers)
    finally:
        for courier, state in zip(couriers, states):
            if courier._thread.is_alive():
                courier.stop()
            state.close()


def _wait(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.05)


def test_verify_says_what_it_checked_of_the_catalog_itself(dms):
    report = verify(dms)  # an empty archive: no search index yet, which verify says; the catalog is sound
    assert not [p for p in report.problems if p["kind"] == "catalog"], report.problems
    said = " ".join(report.notes)
    if dms.catalog.dialect == "sqlite":
        assert "PostgreSQL" not in said  # SQLite's integrity check ran and found nothing: nothing to say
        return
    assert "the server's to check" in said and "CREATE EXTENSION amcheck" in said
    assert "owns the audit log" in said  # the test cluster's role owns every table
    dms.catalog.conn.execute("CREATE EXTENSION amcheck")
    report = verify(dms)
    assert not [p for p in report.problems if p["kind"] == "catalog"], report.problems
    assert "amcheck checked its B-tree indexes" in " ".join(report.notes)


def test_explain_of_an_archived_file_reads_the_catalog_wherever_it_is(settings, inbox):
    from dms.explain import explain
    from dms.ingest.pipeline import ingest

    path = inbox / "memo.txt"
    path.write_text("Memo about the kettle lid hinge\nDate: 2024-03-01\n")
    with Dms(settings) as app:
        ingest(app, [inbox], inline=True)
    answer = explain(settings, str(path))  # on PostgreSQL there is no catalog.sqlite to look for
    assert answer["in_catalog"] is True and answer["path"] == str(path)


def test_no_statement_names_the_user_or_offset_column_bare():
    """Bare, PostgreSQL reads `user` as the connected role's name (no error: other rows) and refuses `offset`."""
    import ast
    import re
    from pathlib import Path

    statement = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|WHERE|ON CONFLICT)\b")
    bare = re.compile(r'(?<![\w".])(user|offset)(?![\w"])')
    found = []
    for path in sorted((Path(__file__).parent.parent / "dms" / "catalog").rglob("*.py")):
        if path.name == "migrations.py":  # the legacy steps: SQLite only, frozen
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and statement.search(node.value):
                found += [f"{path.name}:{node.lineno}: {node.value[:60]!r}" for _ in bare.finditer(node.value)]
    assert found == []
