"""Which date languages dateparser knows, for checking a rules file when it is read, without importing
dateparser or dms.ingest.dates (every command reads the rules; `dms trace` needs neither)."""

from __future__ import annotations


def unknown_languages(languages: tuple[str, ...]) -> list[str]:
    """The language codes dateparser does not know. Looks for the language's locale data file
    (dateparser/data/date_translation_data/<code>.py, one per language it knows) without importing it, and asks
    dateparser itself only where its files cannot be seen (e.g. installed as a zip)."""
    from importlib.util import find_spec  # finds the package without running it
    from pathlib import Path

    spec = find_spec("dateparser")
    places = [Path(p) / "data" / "date_translation_data" for p in (spec and spec.submodule_search_locations or ())]
    if places and places[0].is_dir():
        return [lang for lang in languages if not (places[0] / f"{lang}.py").is_file()]
    from dms.errors import ConfigError
    from dms.ingest.dates import month_names

    unknown = []
    for lang in languages:
        try:
            month_names((lang,))
        except ConfigError:
            unknown.append(lang)
    return unknown
