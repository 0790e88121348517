"""Choosing the search engine: switching, a missing engine, readers during writes, a held writer lock."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from conftest import run_dms, run_json

from dms.app import Dms
from dms.config import load_settings
from dms.errors import ConfigError
from dms.index import engines
from dms.ingest.pipeline import ingest
from dms.search import matching_ids, search


def _letters(folder, n: int, start: int = 0) -> None:
    folder.mkdir(exist_ok=True)
    for i in range(start, start + n):
        (folder / f"letter-{i}.txt").write_text(f"Letter {i} about the ocelot gasket, order PO-2024-{i:04d}.")


def test_switching_engines_rebuilds_the_index_from_the_catalog(tmp_path):
    home, inbox = tmp_path / "home", tmp_path / "in"
    _letters(inbox, 5)
    run_json(home, "ingest", str(inbox))
    whoosh = run_json(home, "search", "ocelot")
    tantivy = run_json(home, "search", "ocelot", "--engine", "tantivy")  # rebuilt on first use
    assert whoosh["total"] == tantivy["total"] == 5
    assert {h["id"] for h in whoosh["hits"]} == {h["id"] for h in tantivy["hits"]}
    assert run_json(home, "stats", env={"DMS_SEARCH_ENGINE": "tantivy"})["index_engine"] == "tantivy"
    assert run_json(home, "verify", "--engine", "tantivy")["ok"]
    assert run_json(home, "reindex", env={"DMS_SEARCH_ENGINE": "whoosh"})["indexed"] == 5
    assert run_json(home, "verify")["ok"]


def test_an_engine_that_is_not_installed_is_a_clear_error(tmp_path):
    code = ("import sys; sys.modules['tantivy'] = None\n"  # as on a machine without the package
            "from dms.cli import main; main()")
    proc = subprocess.run([sys.executable, "-c", code, "search", "x", "--home", str(tmp_path / "h"),
                           "--engine", "tantivy"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "pip install 'dms[tantivy]'" in proc.stderr and "Traceback" not in proc.stderr


def test_an_unknown_engine_is_refused():
    with pytest.raises(ConfigError, match="the search engines are whoosh, tantivy"):
        load_settings(environ={"DMS_SEARCH_ENGINE": "lucene"}, home="/tmp/x")
    assert run_dms("/tmp", "search", "x", "--engine", "lucene", check=False).returncode == 2


@pytest.mark.parametrize("engine", engines.NAMES)
def test_searches_keep_working_while_another_process_writes(tmp_path, engine):
    home, inbox = tmp_path / "home", tmp_path / "in"
    _letters(inbox, 20)
    settings = load_settings(environ={"DMS_SEARCH_ENGINE": engine}, home=home)
    with Dms(settings) as app:
        ingest(app, [inbox], inline=True)
    _letters(inbox, 200, start=20)
    writer = subprocess.Popen([sys.executable, "-m", "dms", "ingest", str(inbox), "--home", str(home),
                               "--engine", engine], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              env={**os.environ, "DMS_COMMIT_EVERY": "10"})  # 20 commits for the readers to meet
    seen, errors = [], []

    def read():
        with Dms(settings) as reader:
            while writer.poll() is None:
                try:
                    seen.append(search(reader, "ocelot", limit=1).total)
                except Exception as exc:  # noqa: BLE001 - any failure of a reader is what this test looks for
                    errors.append(exc)

    thread = threading.Thread(target=read)
    thread.start()
    _, err = writer.communicate(timeout=300)
    thread.join()
    assert writer.returncode == 0, err
    assert not errors and seen and min(seen) >= 20 and seen == sorted(seen)
    with Dms(settings) as app:
        assert search(app, "ocelot").total == 220


def test_a_second_tantivy_writer_is_told_the_index_is_locked(tmp_path):
    """(Whoosh waits up to 60 s for its lock, then says the same.)"""
    from dms.errors import IndexUnavailable

    home, inbox = tmp_path / "home", tmp_path / "in"
    _letters(inbox, 3)
    settings = load_settings(environ={"DMS_SEARCH_ENGINE": "tantivy"}, home=home)
    with Dms(settings) as first, Dms(settings) as second:
        ingest(first, [inbox], inline=True)
        with first.backend.writer(), pytest.raises(IndexUnavailable, match="locked by another running dms"):
            with second.backend.writer():
                pass
        with second.backend.writer():  # free again once the first is done
            pass


def test_both_engines_give_the_same_documents_for_every_kind_of_query(sample_world, tmp_path):
    """The sample archive indexed by each engine from the same catalog: identical result sets."""
    import shutil

    app, _ = sample_world
    queries = ["lid hinge", '"heating element"', "CR-2023-003", '"SPEC-KX200-02 Rev C"', "type:minutes lid",
               "product:VL310 date:[2023-01 to 2023-06]", "therm*", "warrenty~", "thermostat~2", "lid NOT hinge",
               "(lid OR cover) AND seal", "party:helix", "number:SPEC-KX200-02 rev:B", "year:2023 complaint",
               "ref:CR-2023-003", "title:specification", "path:minutes", "linked:CR-2023-003", "*",
               "date:[* to 2022-06]", "-hinge gasket"]
    found = {}
    for engine in engines.NAMES:
        home = tmp_path / engine
        app.catalog.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copytree(app.settings.home, home, ignore=shutil.ignore_patterns("index*"))
        with Dms(load_settings(environ={"DMS_SEARCH_ENGINE": engine}, home=home)) as copy:
            found[engine] = {q: matching_ids(copy, q) for q in queries}
            found[engine + " total"] = {q: search(copy, q).total for q in queries}
    for q in queries:
        assert found["whoosh"][q] == found["tantivy"][q], q
        assert found["whoosh total"][q] == found["tantivy total"][q] == len(found["whoosh"][q]), q
    assert all(found["whoosh"][q] for q in queries if q not in ("warrenty~",))


def test_a_tantivy_index_of_another_schema_version_is_rebuilt(tmp_path):
    home, inbox = tmp_path / "home", tmp_path / "in"
    _letters(inbox, 4)
    settings = load_settings(environ={"DMS_SEARCH_ENGINE": "tantivy"}, home=home)
    with Dms(settings) as app:
        ingest(app, [inbox], inline=True)
    (home / "index" / "dms-index.json").write_text('{"engine": "tantivy", "schema": 0}')
    with Dms(settings) as app:
        assert "schema 0" in app.ensure_index()
        assert search(app, "ocelot").total == 4 and app.backend.needs_rebuild() is None
