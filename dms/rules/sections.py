"""The sections of the rules file that say how an archive writes its metadata: change families, revision
schemes, the labels of numbers, revisions and dates, the date order, product aliases and the phrases that
record decisions and amendments, the organisations of e-mail identities. Each is checked here, with an error
that names the section."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dms.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Sections:
    change_families: tuple[str, ...]
    revision_schemes: tuple[tuple[str, str], ...]
    number_labels: tuple[str, ...]
    numbers_from_file_name: bool
    revision_labels: tuple[str, ...]
    date_labels: tuple[str, ...]
    date_order: str
    date_languages: tuple[str, ...]
    product_aliases: tuple[tuple[str, str], ...]
    decision_phrases: tuple[tuple[str, tuple[str, ...]], ...]
    amendment_phrases: tuple[str, ...]
    party_organisations: tuple[tuple[str, str], ...] = ()  # (e-mail domain or address, lower case; organisation)


def _table(data: dict, name: str, source: str) -> dict:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: [{name}] must be a table")
    return value


def _words(value, where: str, source: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{source}: {where} must be a list of non-empty strings")
    return tuple(dict.fromkeys(" ".join(v.split()) for v in value))


def read_sections(data: dict, source: str, *, families: tuple[str, ...], schemes: tuple[str, ...],
                  orders: tuple[str, ...], outcomes: tuple[str, ...]) -> Sections:
    fam = _table(data, "families", source)
    change = _words(fam.get("change", ["change_request"] if "change_request" in families else []),
                    "[families] change", source)
    unknown = [f for f in change if f not in families]
    if unknown:
        raise ConfigError(f"{source}: [families] change names {', '.join(unknown)}, not a family of [identifiers] "
                          f"({', '.join(families)})")
    revisions = fam.get("revisions", {})
    if not isinstance(revisions, dict):
        raise ConfigError(f"{source}: [families.revisions] must be a table of family = scheme")
    for family, scheme in revisions.items():
        if family not in families:
            raise ConfigError(f"{source}: [families.revisions] {family} is not a family of [identifiers]")
        if scheme not in schemes:
            raise ConfigError(f"{source}: [families.revisions] {family} = {scheme!r}: use one of {', '.join(schemes)}")

    numbers = _table(data, "numbers", source)
    from_name = numbers.get("from_file_name", True)
    if not isinstance(from_name, bool):
        raise ConfigError(f"{source}: [numbers] from_file_name must be true or false")
    dates = _table(data, "dates", source)
    order = str(dates.get("order", "DMY")).upper()
    if order not in orders:
        raise ConfigError(f"{source}: [dates] order {dates.get('order')!r}: use one of {', '.join(orders)}")
    languages = _words(dates.get("languages", ["en"]), "[dates] languages", source)
    bad = [lang for lang in languages if not re.fullmatch(r"[a-z]{2,3}", lang)]
    if bad:
        raise ConfigError(f"{source}: [dates] languages: {', '.join(bad)} is not a language code like en or de")

    from dms.rules.languages import unknown_languages  # no dateparser, no dms.ingest: every command reads rules

    unknown = unknown_languages(languages)
    if unknown:
        raise ConfigError(f"{source}: [dates] languages: {', '.join(unknown)} is not a language dateparser knows")
    aliases = _table(data, "products", source).get("aliases", {})
    if not isinstance(aliases, dict) or not all(isinstance(v, str) and v.strip() for v in aliases.values()):
        raise ConfigError(f"{source}: [products.aliases] must map names to product codes")

    decision: dict[str, list[str]] = {o: [] for o in outcomes}
    amendment: list[str] = []
    for lang, table in _table(data, "phrases", source).items():
        if not isinstance(table, dict):
            raise ConfigError(f"{source}: [phrases.{lang}] must be a table")
        for key, phrases in table.items():
            words = _words(phrases, f"[phrases.{lang}] {key}", source)
            if key == "amendment":
                amendment.extend(words)
            elif key in decision:
                decision[key].extend(words)
            else:
                raise ConfigError(f"{source}: [phrases.{lang}] {key}: use {', '.join((*outcomes, 'amendment'))}")
    return Sections(
        party_organisations=_organisations(_table(data, "parties", source).get("organisations", {}), source),
        change_families=change,
        revision_schemes=tuple(revisions.items()),
        number_labels=_words(numbers.get("labels", []), "[numbers] labels", source),
        numbers_from_file_name=from_name,
        revision_labels=_words(_table(data, "revisions", source).get("labels", ["Revision", "Rev"]),
                               "[revisions] labels", source),
        date_labels=_words(dates.get("labels", []), "[dates] labels", source),
        date_order=order,
        date_languages=languages,
        product_aliases=tuple((" ".join(k.split()), v.strip().upper()) for k, v in aliases.items()),
        decision_phrases=tuple((o, tuple(dict.fromkeys(p))) for o, p in decision.items()),
        amendment_phrases=tuple(dict.fromkeys(amendment)),
    )


def _organisations(table, source: str) -> tuple[tuple[str, str], ...]:
    """[parties.organisations]: an e-mail domain (nordlicht.example, also its subdomains) or a whole address
    (service@brightwater.example) = the organisation its identities belong to."""
    where = f"{source}: [parties.organisations]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table of domain or address = organisation")
    pairs = []
    for key, organisation in table.items():
        if not isinstance(organisation, str) or not organisation.strip():
            raise ConfigError(f"{where} {key}: the organisation must be a non-empty string")
        address = key.strip().lower()
        if not re.fullmatch(r"([^@\s]+@)?[a-z0-9-]+(\.[a-z0-9-]+)+", address):
            raise ConfigError(f"{where} {key!r}: write an e-mail domain (nordlicht.example) or an address "
                              "(service@brightwater.example)")
        pairs.append((address, " ".join(organisation.split())))
    return tuple(pairs)
