"""Parties as entities: e-mail identities mapped to organisations by the rules file; parties renamed and merged
by hand, applied to search, facets, the document, traces and bundles, audited and undone (dms.parties). The
tests using the `world` archive run on SQLite and on PostgreSQL (`both_catalogs`)."""

from __future__ import annotations

import json
import re
import urllib.request
import zipfile
from html import escape
from pathlib import Path

import pytest
from conftest import run_dms, run_json, write_eml, write_pdf

from dms import audit, parties, users
from dms.app import Dms
from dms.config import load_settings
from dms.errors import ConfigError, NotFound, PermissionDenied, UsageError
from dms.graph import graph_for, node_for
from dms.graph.trace import trace
from dms.ingest.pipeline import ingest
from dms.ingest.products import find_parties
from dms.rules import default_rules_text, load_rules, parse_rules
from dms.search import search

pytestmark = pytest.mark.both_catalogs

IDENTITY = "Helix Sales <sales@helix-components.example>"  # a domain the built-in rules do not map
PASSWORDS = {"cora": "cora-password-1", "vera": "vera-password-1", "ada": "ada-password-1"}


def _archive(folder: Path) -> Path:
    """An e-mail from a Helix identity, a letter naming Helix Components, one naming neither."""
    folder.mkdir(parents=True, exist_ok=True)
    write_eml(folder / "hinge.eml", "Lid hinge samples", "The lid hinge samples leave on Friday.", sender=IDENTITY,
              to="Jonas Weber <jonas.weber@nordlicht.example>", message_id="<h1@helix-components.example>")
    write_pdf(folder / "letter.pdf", ["From Helix Components, Hamburg. We confirm the lid hinge order."])
    write_pdf(folder / "memo.pdf", ["Internal memo about the kettle lid hinge."])
    return folder


@pytest.fixture
def world(tmp_path, database_url):
    """A data directory with the little archive ingested and a coordinator, an admin and a viewer."""
    environ = {"DMS_WORKERS": "1", "DMS_OCR": "0", **({"DMS_DATABASE_URL": database_url} if database_url else {})}
    settings = load_settings(environ=environ, home=tmp_path / "home")
    with Dms(settings) as app:
        ingest(app, [_archive(tmp_path / "inbox")])
        for name, role in (("ada", "admin"), ("cora", "coordinator"), ("vera", "viewer")):
            users.add(app.catalog, name, role, PASSWORDS[name], by="ada")
        yield app


def _doc(app: Dms, name: str) -> int:
    [row] = [d for d in app.catalog.graph_documents() if d.path.endswith(name)]
    return row.id


def _party_hits(app: Dms, name: str) -> set[int]:
    return {h.id for h in search(app, f'party:"{name}"', limit=50).hits}


def _facet(app: Dms) -> dict[str, int]:
    return search(app, "hinge", limit=50).facets.get("party", {})


def test_an_email_identity_names_its_organisation_as_the_rules_file_maps_it():
    rules = load_rules()
    found, source = find_parties(rules, {"from": ["Anna Lindqvist <anna.lindqvist@nordlicht.example>"],
                                         "to": ["Desk <desk@mail.brightwater.example>", IDENTITY]}, [])
    assert found == ["Anna Lindqvist <anna.lindqvist@nordlicht.example>", "Nordlicht Haushaltsgeräte",
                     "Desk <desk@mail.brightwater.example>", "Brightwater Retail", IDENTITY]
    assert "[parties.organisations]" in source["source"]
    own = parse_rules('[parties]\nnames = ["Helix Components"]\n[parties.organisations]\n'
                      '"helix-components.example" = "Helix Components"\n'
                      '"sales@helix-components.example" = "Helix Sales Office"\n', "rules.toml",
                      base=__import__("tomllib").loads(default_rules_text()))
    assert find_parties(own, {"from": [IDENTITY, "Ina <ina@helix-components.example>"]}, [])[0] == [
        IDENTITY, "Helix Sales Office", "Ina <ina@helix-components.example>", "Helix Components"]  # address first
    assert find_parties(own, {"from": ["Anna <anna@nordlicht.example>"]}, [])[0] == ["Anna <anna@nordlicht.example>"]
    with pytest.raises(ConfigError, match=r"\[parties.organisations\] 'not a domain'"):
        parse_rules('[parties]\nnames = []\n[parties.organisations]\n"not a domain" = "X"\n', "rules.toml",
                    base=__import__("tomllib").loads(default_rules_text()))


def test_the_rules_mapping_applies_at_ingest_with_its_provenance(world):
    doc = world.catalog.document(_doc(world, "hinge.eml"))
    assert IDENTITY in doc.version.parties and "Helix Components" not in doc.version.parties
    (world.settings.home / "rules.toml").write_text(
        default_rules_text().replace('"alder.example" = "Alder & Finch Distribution"',
                                     '"helix-components.example" = "Helix Components"'), encoding="utf-8")
    with Dms(world.settings) as again:
        from dms.rederive import rederive

        rederive(again, by="cora")
        doc = again.catalog.document(_doc(again, "hinge.eml"))
        assert doc.version.parties == (IDENTITY, "Helix Components", "Jonas Weber <jonas.weber@nordlicht.example>",
                                       "Nordlicht Haushaltsgeräte")
        assert doc.version.sources["parties"]["source"].startswith("e-mail headers (organisations by")
        assert _party_hits(again, "Helix Components") == {_doc(again, "hinge.eml"), _doc(again, "letter.pdf")}


def test_a_merge_is_applied_to_search_facets_the_document_traces_and_bundles(world, tmp_path):
    mail, letter = _doc(world, "hinge.eml"), _doc(world, "letter.pdf")
    assert _party_hits(world, "Helix Components") == {letter}
    assert _facet(world)["Helix Components"] == 1 and _facet(world)[IDENTITY] == 1

    result = parties.merge(world, [IDENTITY.lower(), "helix components"], "Helix Components", "cora",
                           "the sales desk is Helix")
    assert result["names"] == [IDENTITY] and result["canonical"] == "Helix Components" and result["documents"] == 1

    assert _party_hits(world, "Helix Components") == {mail, letter}
    facet = _facet(world)
    assert facet["Helix Components"] == 2 and IDENTITY not in facet
    from dms.documents import show

    assert "Helix Components" in show(world, str(mail))["parties"] and IDENTITY not in show(world, str(mail))["parties"]
    assert world.catalog.document(mail).version.parties[0] == IDENTITY  # the name as written stays on record
    g = graph_for(world)
    assert {d["id"] for d in trace(g, node_for(world, g, "Helix Components")).documents} >= {mail, letter}
    from dms import bundles

    made = bundles.create(world, tmp_path / "helix.zip", "cora", query='party:"Helix Components"')
    with zipfile.ZipFile(made["output"]) as z:
        rows = json.loads(z.read("manifest.json"))
    assert all("Helix Components" in r["parties"] and IDENTITY not in r["parties"] for r in rows)
    [helix] = [p for p in parties.listing(world) if p.name == "Helix Components"]
    assert helix.documents == 2 and dict(helix.names) == {"Helix Components": 1, IDENTITY: 1}


def test_undoing_a_merge_brings_back_the_names_as_written(world):
    mail, letter = _doc(world, "hinge.eml"), _doc(world, "letter.pdf")
    done = parties.merge(world, [IDENTITY], "Helix Components", "cora", "one company")
    undone = parties.undo(world, done["id"], "cora", "the desk is a reseller")
    assert undone["undone_by"] == "cora" and undone["documents"] == 1
    assert _party_hits(world, "Helix Components") == {letter}
    assert _facet(world)[IDENTITY] == 1
    g = graph_for(world)
    assert f"party:{IDENTITY}" in g and mail not in {
        d["id"] for d in trace(g, "party:Helix Components", depth=1).documents}
    with pytest.raises(UsageError, match="undone already"):
        parties.undo(world, done["id"], "cora", "again")
    with pytest.raises(NotFound):
        parties.undo(world, 999, "cora", "no such change")


def test_a_rename_follows_every_name_it_stands_for_and_can_be_renamed_back(world):
    mail, letter = _doc(world, "hinge.eml"), _doc(world, "letter.pdf")
    parties.merge(world, [IDENTITY], "Helix Components", "cora", "one company")
    parties.rename(world, "Helix Components", "Helix Components GmbH", "cora", "its legal name")
    assert _party_hits(world, "Helix Components GmbH") == {mail, letter}
    assert {p.name for p in parties.listing(world)} >= {"Helix Components GmbH"}
    assert "Helix Components" not in {p.name for p in parties.listing(world)}
    with pytest.raises(UsageError, match="is a party already"):
        parties.rename(world, "Helix Components GmbH", "jonas weber <jonas.weber@nordlicht.example>", "cora", "x")
    back = parties.rename(world, "Helix Components GmbH", "Helix Components", "cora", "back to the short name")
    assert back["kind"] == "rename"
    assert _party_hits(world, "Helix Components") == {mail, letter}
    assert [p.documents for p in parties.listing(world) if p.name == "Helix Components"] == [2]
    # merging into a name the party is written as merges into that party (never splits the name off it)
    into_written = parties.merge(world, ["Nordlicht Haushaltsgeräte"], IDENTITY, "cora", "test the written name")
    assert into_written["canonical"] == "Helix Components"
    [helix] = [p for p in parties.listing(world) if p.name == "Helix Components"]
    assert dict(helix.names).keys() == {"Helix Components", IDENTITY, "Nordlicht Haushaltsgeräte"}


def test_party_changes_are_audited_and_need_a_coordinator_and_a_reason(world):
    with pytest.raises(PermissionDenied):
        parties.merge(world, [IDENTITY], "Helix Components", "vera", "viewers cannot")
    with pytest.raises(UsageError, match="needs a reason"):
        parties.merge(world, [IDENTITY], "Helix Components", "cora", "  ")
    with pytest.raises(NotFound, match="no document names a party"):
        parties.rename(world, "Nobody Ltd", "Somebody Ltd", "cora", "typo")
    assert parties.history(world) == []
    done = parties.merge(world, [IDENTITY], "Helix Components", "cora", "one company")
    parties.undo(world, done["id"], "ada", "mistake")
    entries = [e for e in audit.history(world.catalog, "party:Helix Components")]
    assert [e["action"] for e in entries][-2:] == [parties.MERGED, parties.UNDONE]
    assert entries[-2]["user"] == "cora" and entries[-2]["details"]["reason"] == "one company"
    assert audit.verify(world.catalog)["ok"]


def test_a_merge_another_process_made_is_seen_within_a_second_and_a_rolled_back_one_never(world, monkeypatch):
    from dms.catalog import parties as sql

    with Dms(world.settings) as other:  # another process: a connection of its own
        assert sql.canonical(other.catalog, [IDENTITY]) == (IDENTITY,)
        parties.merge(world, [IDENTITY], "Helix Components", "cora", "one company")
        monkeypatch.setattr(sql, "RECHECK", 0.0)  # the second has passed
        assert sql.canonical(other.catalog, [IDENTITY]) == ("Helix Components",)
        with pytest.raises(RuntimeError, match="changed my mind"), other.catalog.transaction():
            sql.record_change(other.catalog, "rename", "Helix GmbH", ["Helix Components"], "cora", "try")
            assert sql.canonical(other.catalog, [IDENTITY]) == ("Helix GmbH",)  # this transaction sees its own
            raise RuntimeError("changed my mind")
        monkeypatch.setattr(sql, "RECHECK", 3600.0)  # not the clock: the rollback makes it read them again
        assert sql.canonical(other.catalog, [IDENTITY]) == ("Helix Components",)
        assert sql.canonical(world.catalog, [IDENTITY]) == ("Helix Components",)


def test_party_commands_on_the_command_line(world):
    home = world.settings.home
    listed = run_json(home, "party", "list")
    assert {"name": IDENTITY, "documents": 1, "names": []} in listed
    refused = run_dms(home, "party", "merge", IDENTITY, "--into", "Helix Components", "--reason", "x", "--as", "vera",
                      check=False)
    assert refused.returncode == 6, refused.stderr
    merged = run_dms(home, "party", "merge", IDENTITY, "--into", "Helix Components", "--reason", "one company",
                     "--as", "cora")
    assert "-> Helix Components; 1 document(s) read again" in merged.stdout
    assert "Helix Components" in run_dms(home, "search", 'party:"Helix Components"').stdout
    history = run_dms(home, "party", "history").stdout
    assert re.search(r"cora\s+merge: Helix Sales .* -> Helix Components\s+reason: one company", history)
    run_dms(home, "party", "undo", "1", "--reason", "mistake", "--as", "cora")
    assert run_json(home, "party", "history")[0]["undone_by"] == "cora"


# -- the browser ------------------------------------------------------------------------------------

def _client(world, name: str | None):
    from fastapi.testclient import TestClient

    from dms.web import create_app

    client = TestClient(create_app(world.settings), follow_redirects=False)
    if name:
        assert client.post("/sign-in", data={"name": name, "password": PASSWORDS[name], "next": "/"}).status_code == 303
    return client


def _csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def test_a_refused_merge_is_explained_next_to_its_form_with_the_input_kept(world):
    with _client(world, "cora") as client:
        page = client.get("/parties").text
        assert escape(IDENTITY) in page and "Merge the ticked parties" in page
        answer = client.post("/parties/merge", data={"csrf": _csrf(page), "names": [IDENTITY],
                                                     "into": "Helix Components", "reason": " "})
        assert answer.status_code == 400
        assert 'role="alert">a rename, merge or undo needs a reason' in answer.text
        assert 'value="Helix Components"' in answer.text and "checked" in answer.text
        assert parties.history(world) == []
    with _client(world, "vera") as viewer:
        page = viewer.get("/parties").text
        assert "Merge the ticked parties" not in page and escape(IDENTITY) in page
        assert viewer.post("/parties/merge", data={"csrf": _csrf(page), "names": [IDENTITY], "into": "X",
                                                   "reason": "no"}).status_code == 403


@pytest.fixture
def server(world):
    from browsing import Server

    running = Server(world.settings.home, env={"DMS_WORKERS": "1", "DMS_OCR": "0"})
    yield running.base
    running.stop()


@pytest.mark.browser
def test_a_party_merged_in_the_browser_is_one_party_in_search_and_undone_again(server, world, pages):
    from browsing import shot

    page = pages.new()
    page.goto(server + "/sign-in")
    page.fill("input[name=name]", "cora")
    page.fill("input[name=password]", PASSWORDS["cora"])
    page.click("button[type=submit]")
    page.wait_for_url(server + "/")
    page.goto(server + "/parties")
    page.check(f'input[name=names][value="{IDENTITY}"]')
    page.check('input[name=names][value="Helix Components"]')
    page.fill("#merge input[name=into]", "Helix Components")
    page.fill("#merge input[name=reason]", "the sales desk is Helix")
    page.click("#merge button")
    page.wait_for_selector("p.notice")
    row = page.locator("table.parties tr", has_text="Helix Components")
    assert row.locator("td.num").inner_text() == "2"
    assert IDENTITY in row.inner_text()  # written as
    shot(page, "parties-merged")
    page.goto(server + "/search?q=" + urllib.request.quote('party:"Helix Components"'))
    page.wait_for_selector("ol.hits li")
    assert page.locator("ol.hits > li").count() == 2
    page.goto(server + "/parties")
    page.fill("tr#change-1 input[name=reason]", "a reseller after all")
    page.click("tr#change-1 button")
    page.wait_for_selector("tr#change-1 >> text=undone by cora")
    assert page.locator("table.parties tr", has_text="Helix Components").first.locator("td.num").inner_text() == "1"
