"""Settings and rules are read once and bad values are refused with a reason."""

import pytest
from conftest import run_dms

from dms.config import load_settings
from dms.errors import ConfigError
from dms.rules import load_rules


def test_home_option_wins_over_the_environment(tmp_path):
    s = load_settings(environ={"DMS_HOME": str(tmp_path / "env")}, home=tmp_path / "opt")
    assert s.home == tmp_path / "opt" and s.catalog_path == tmp_path / "opt" / "catalog.sqlite"


@pytest.mark.parametrize("var, value, message", [
    ("DMS_WORKERS", "two", "not a whole number"),
    ("DMS_WORKERS", "0", "greater than 0"),
    ("DMS_EXTRACT_TIMEOUT", "-1", "greater than 0"),
    ("DMS_MAX_FILE_MB", "lots", "not a number"),
])
def test_bad_setting_is_refused_with_its_name(var, value, message, tmp_path):
    with pytest.raises(ConfigError, match=message) as info:
        load_settings(environ={var: value}, home=tmp_path)
    assert var in str(info.value)


def test_bad_rules_file_names_the_rule_and_reason(tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text("[identifiers]\nchange_request = 'CR-(\\d{4}'\n")
    with pytest.raises(ConfigError, match=r"\[identifiers\] change_request \(line 2\): bad regular expression"):
        load_rules(rules)
    rules.write_text("[identifiers\n")
    with pytest.raises(ConfigError, match="line 1"):
        load_rules(rules)


def test_a_family_of_identifiers_named_as_the_graphs_document_nodes_is_refused(tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text("[identifiers]\ndoc = 'D-\\d{4}'\n")
    with pytest.raises(ConfigError, match=r"\[identifiers\] name 'doc' is taken by the graph's document nodes"):
        load_rules(rules)
    rules.write_text("[identifiers]\ndocument = 'DS-\\d{5}'\n")  # a name real rules use: fine
    assert dict(load_rules(rules).identifiers) == {"document": r"DS-\d{5}"}


def test_rules_file_replaces_a_section(tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text("[products]\npattern = '\\bZZ\\d{2}\\b'\n")
    loaded = load_rules(rules)
    assert loaded.product_pattern == r"\bZZ\d{2}\b" and loaded.identifiers  # other sections keep defaults


def test_bad_setting_on_the_command_line_is_a_message_not_a_traceback(tmp_path):
    proc = run_dms(tmp_path, "stats", env={"DMS_WORKERS": "many"}, check=False)
    assert proc.returncode == 2 and "DMS_WORKERS" in proc.stderr and "Traceback" not in proc.stderr
