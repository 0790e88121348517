"""Hostile data meeting the CLI: a planted graph.pickle, file names and titles that would forge terminal lines,
arguments that are not UTF-8, settings that are not finite numbers, and verify under a tiny query deadline."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import pytest
from conftest import run_dms, write_pdf

from dms.config import load_settings
from dms.errors import ConfigError

# a newline that would forge a line of output, an ESC sequence that would clear the screen, a bidi override
HOSTILE = "report\nFORGED [1] all clear\x1b[2J\x1b]0;pwned\x07\u202eevil"


class _Planted:
    """Unpickling this makes a directory: proof that loading the file ran code."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


@pytest.fixture
def hostile_archive(tmp_path):
    """Two text files whose names carry a newline, ESC sequences and a bidi override, and whose titles (their
    first lines) a bidi override; one cites CR-2023-014. (Text with ESC in it is refused as binary.)"""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / f"{HOSTILE} alone.txt").write_text("Notes on \u202enothing in particular.\n")
    (inbox / f"{HOSTILE} cites.txt").write_text("Memo \u202efollows change request CR-2023-014.\nDate: 2024-03-12\n")
    (inbox / "cr.txt").write_text("Change request CR-2023-014: the lid \u202eseal changes.\n")
    home = tmp_path / "home"
    run_dms(home, "ingest", str(inbox), env={"DMS_OCR": "0"})
    return home


def _assert_safe(out: str) -> None:
    assert "\x1b" not in out
    assert "\u202e" not in out
    assert not any(line.startswith("FORGED") for line in out.splitlines()), out


def test_a_planted_graph_pickle_is_never_read(hostile_archive, tmp_path):
    """An earlier dms kept its graph in graph.pickle; this one keeps links as catalog rows and never opens that file,
    whatever it is: a pickle that runs code, or a FIFO that would block a reader for ever."""
    marker = tmp_path / "code-ran"
    cache = hostile_archive / "graph.pickle"
    cache.unlink(missing_ok=True)
    cache.write_bytes(pickle.dumps(((2, 1, 2, 3), _Planted(str(marker)))))
    proc = run_dms(hostile_archive, "orphans", "--json")
    assert not marker.exists(), "graph.pickle was loaded"
    assert "Traceback" not in proc.stderr and proc.stdout.count('"id"') >= 1
    cache.unlink()
    os.mkfifo(cache)  # opening it to read would wait for a writer for ever: a minute is plenty
    proc = subprocess.run([sys.executable, "-m", "dms", "trace", "CR-2023-014"], capture_output=True, text=True,
                          env={**os.environ, "DMS_HOME": str(hostile_archive)}, timeout=60)
    assert "2 document(s) tied to" in proc.stdout, proc.stderr
    assert not marker.exists()


def test_control_characters_in_names_never_reach_the_terminal(hostile_archive):
    for args in (("search", "*"), ("search", "memo"), ("orphans",), ("trace", "CR-2023-014"), ("links", "CR-2023-014"),
                 ("timeline", "CR-2023-014"), ("change", "show", "CR-2023-014"), ("path", "1", "CR-2023-014")):
        out = run_dms(hostile_archive, *args).stdout
        assert "report\\nFORGED" in out or "\\u202e" in out, (args, out)
        _assert_safe(out)
    for doc_id in ("1", "2", "3"):
        out = run_dms(hostile_archive, "show", doc_id).stdout
        assert "report\\nFORGED" in out or "\\u202e" in out
        _assert_safe(out)


def test_json_output_keeps_names_exact(hostile_archive):
    import json

    docs = json.loads(run_dms(hostile_archive, "orphans", "--json").stdout)["documents"]
    assert any(d["path"].endswith(f"{HOSTILE} alone.txt") for d in docs)


def test_argument_that_is_not_utf8_finds_the_file_ingested_from_that_name(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    name = os.fsencode(inbox) + b"/caf\xe9.txt"
    with open(name, "wb") as fh:
        fh.write(b"Caf\xc3\xa9 menu, see CR-2023-014.\n")
    home = tmp_path / "home"
    run_dms(home, "ingest", str(inbox), env={"DMS_OCR": "0"})
    as_argument = os.fsdecode(name)  # the surrogate-escaped str Python gives for that byte; sent back as the byte
    out = run_dms(home, "show", as_argument).stdout
    assert out.startswith("[1] ")
    assert "caf\\xe9.txt" in out
    out = run_dms(home, "trace", as_argument).stdout
    assert "Traceback" not in out
    for args in (("show", "caf\udce9"), ("trace", "caf\udce9"), ("links", "\udcff"), ("path", "x\udce9", "CR-2023-014"),
                 ("change", "show", "x\udcff")):
        proc = run_dms(home, *args, check=False)
        assert proc.returncode in (2, 3), (args, proc.stderr)
        assert "Traceback" not in proc.stderr and "UnicodeEncodeError" not in proc.stderr
        assert proc.stderr.startswith("Error: ")


@pytest.mark.parametrize("var", ["DMS_BUNDLE_MAX_RATIO", "DMS_QUERY_TIMEOUT", "DMS_MAX_TEXT_MB", "DMS_LOCK_WAIT"])
@pytest.mark.parametrize("raw", ["nan", "inf", "-inf", "Infinity", "NaN"])
def test_settings_refuse_numbers_that_are_not_finite(var, raw, tmp_path):
    with pytest.raises(ConfigError, match=f"{var}=.*must be a finite number|{var}=.* is not a whole number"):
        load_settings(environ={var: raw}, home=tmp_path)


def test_non_finite_setting_on_the_command_line_is_a_message(tmp_path):
    proc = run_dms(tmp_path / "home", "stats", env={"DMS_LOCK_WAIT": "inf"}, check=False)
    assert proc.returncode == 2
    assert "DMS_LOCK_WAIT='inf' must be a finite number" in proc.stderr


def test_verify_reports_in_full_under_a_tiny_query_deadline(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    # the read-through looks up the words of titles; "—" finds nothing, so the engine looks at its clock
    (inbox / "memo.txt").write_text("Kettle lid — draft\n")
    write_pdf(inbox / "plan.pdf", ["Body text about the heating element."], title="Zebra quarterly outlook")
    home = tmp_path / "home"
    run_dms(home, "ingest", str(inbox), env={"DMS_OCR": "0"})
    proc = run_dms(home, "verify", env={"DMS_QUERY_TIMEOUT": "0.000000001"}, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("OK: 2 stored originals checked, 0 problem(s)")
    assert "audit log:" in proc.stdout
