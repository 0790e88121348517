"""Configurable metadata rules: identifier patterns, change families, labels, date order, phrases, products,
parties, type rules. Read once from the built-in default_rules.toml and the archive's own rules.toml."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from dms.errors import ConfigError
from dms.rules.plans import PlanRules, read_plan_rules
from dms.rules.sections import Sections, read_sections

DOC_TYPES = (
    "specification", "change request", "minutes", "contract", "report", "complaint",
    "correspondence", "plan", "other",
)
REVISION_SCHEMES = ("letter", "numeric", "any")
DATE_ORDERS = ("DMY", "MDY", "YMD")
OUTCOMES = ("approved", "rejected", "deferred", "undecided", "decided")  # `decided`: outcome not named


# the prefix of the cross-reference graph's document nodes (dms.graph.derive: doc:<id>): a family of identifiers of
# that name would make its numbers read as document ids. ("document", the family of numbers of no family, may be
# named: its numbers are document numbers either way.)
RESERVED_FAMILIES = ("doc",)

@dataclass(frozen=True, slots=True)
class TypeRule:
    doc_type: str
    name: re.Pattern | None
    path: re.Pattern | None
    content: re.Pattern | None


@dataclass(frozen=True, slots=True)
class Rules:
    identifiers: tuple[tuple[str, str], ...]  # (family, pattern source)
    product_pattern: str
    product_exclude: frozenset[str]
    parties: tuple[str, ...]
    types: tuple[TypeRule, ...]
    change_number: str = "CR-{year}-{seq:03d}"
    metrics: tuple[tuple[str, tuple[str, ...]], ...] = ()  # column role -> header names, lower case
    change_families: tuple[str, ...] = ("change_request",)
    revision_schemes: tuple[tuple[str, str], ...] = ()  # (family, letter|numeric|any)
    number_labels: tuple[str, ...] = ()
    numbers_from_file_name: bool = True
    revision_labels: tuple[str, ...] = ("Revision", "Rev")
    date_labels: tuple[str, ...] = ()
    date_order: str = "DMY"
    date_languages: tuple[str, ...] = ("en",)
    product_aliases: tuple[tuple[str, str], ...] = ()  # (name as written, product code)
    decision_phrases: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (outcome, phrases of every language)
    amendment_phrases: tuple[str, ...] = ()
    party_organisations: tuple[tuple[str, str], ...] = ()  # (e-mail domain or address, organisation)
    plans: PlanRules = PlanRules()  # [supply] and [followup]: dms.rules.plans

    def change_number_regex(self, year: int) -> re.Pattern:
        """Matches numbers of that year made by `change_number`, capturing the running number."""
        head, _, rest = self.change_number.partition("{seq")
        tail = rest.partition("}")[2]
        fill = {"year": year, "yy": f"{year % 100:02d}"}
        return re.compile(re.escape(head.format(**fill)) + r"(\d+)" + re.escape(tail.format(**fill)) + "$")

    def format_change_number(self, year: int, seq: int) -> str:
        return self.change_number.format(year=year, yy=f"{year % 100:02d}", seq=seq)

    def is_change(self, family: str | None) -> bool:
        """Whether documents of this identifier family are change requests."""
        return family in self.change_families

    def revision_scheme(self, family: str | None) -> str:
        return dict(self.revision_schemes).get(family or "", "any")


def _compile(pattern: str, where: str, flags: int = 0, text: str = "") -> re.Pattern:
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        line = _line_of(text, pattern)
        at = f" (line {line})" if line else ""
        raise ConfigError(f"{where}{at}: bad regular expression {pattern!r}: {exc}") from None


def _line_of(text: str, value: str) -> int | None:
    """The line of the rules file where a value is written, for error messages."""
    for number, line in enumerate(text.splitlines(), start=1):
        if value and value in line.replace("\\\\", "\\"):
            return number
        if value and repr(value)[1:-1] in line:
            return number
    return None


def parse_rules(text: str, source: str, base: dict | None = None) -> Rules:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    if base is not None:
        own = data
        data = {**base, **own}
        if "identifiers" in own and "families" not in own:
            # the built-in [families] name the built-in identifier families: an archive with its own
            # identifiers and no [families] of its own has change requests only if it names a change_request
            data.pop("families", None)
    try:
        ids = data["identifiers"]
        products = data["products"]
        parties = data["parties"]
        types = data["types"]
    except KeyError as exc:
        raise ConfigError(f"{source}: section [{exc.args[0]}] is missing") from None
    for family, pattern in ids.items():
        if not re.fullmatch(r"[A-Za-z_]\w*", family):
            raise ConfigError(f"{source}: [identifiers] name {family!r} must be a plain word")
        if family in RESERVED_FAMILIES:
            raise ConfigError(f"{source}: [identifiers] name {family!r} is taken by the graph's document nodes "
                              f"(doc:<id>): choose another")
        if not isinstance(pattern, str):
            raise ConfigError(f"{source}: [identifiers] {family} must be a string")
        _compile(pattern, f"{source}: [identifiers] {family}", text=text)
    type_rules = []
    for number, rule in enumerate(types, start=1):
        where = f"{source}: [[types]] rule {number}"
        doc_type = rule.get("type")
        if doc_type not in DOC_TYPES:
            raise ConfigError(f"{where}: type {doc_type!r} is not one of {', '.join(DOC_TYPES)}")
        tests = {k: _compile(rule[k], f"{where} {k}", re.MULTILINE, text) for k in ("name", "path", "content")
                 if k in rule}
        if not tests:
            raise ConfigError(f"{where}: needs at least one of name, path, content")
        type_rules.append(TypeRule(doc_type, tests.get("name"), tests.get("path"), tests.get("content")))
    _compile(products.get("pattern", ""), f"{source}: [products] pattern", text=text)
    change_number = data.get("changes", {}).get("number", "CR-{year}-{seq:03d}")
    try:
        sample = change_number.format(year=2024, yy="24", seq=7)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(
            f"{source}: [changes] number {change_number!r} must use only {{year}}, {{yy}} and {{seq}}: {exc}"
        ) from None
    if "{seq" not in change_number or sample == change_number.format(year=2024, yy="24", seq=8):
        raise ConfigError(f"{source}: [changes] number {change_number!r} must contain {{seq}}")
    metrics = data.get("metrics", {})
    for role in ("period", "sold"):
        if role not in metrics:
            raise ConfigError(f"{source}: [metrics] needs a {role} list of column names")
    for role, names in metrics.items():
        if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
            raise ConfigError(f"{source}: [metrics] {role} must be a list of column names")
    sections: Sections = read_sections(data, source, families=tuple(ids), schemes=REVISION_SCHEMES,
                                       orders=DATE_ORDERS, outcomes=OUTCOMES)
    return Rules(
        metrics=tuple((role, tuple(n.strip().lower() for n in names)) for role, names in metrics.items()),
        identifiers=tuple(ids.items()),
        product_pattern=products["pattern"],
        product_exclude=frozenset(str(x).upper() for x in products.get("exclude", [])),
        parties=tuple(parties.get("names", [])),
        types=tuple(type_rules),
        change_number=change_number,
        change_families=sections.change_families,
        revision_schemes=sections.revision_schemes,
        number_labels=sections.number_labels,
        numbers_from_file_name=sections.numbers_from_file_name,
        revision_labels=sections.revision_labels,
        date_labels=sections.date_labels,
        date_order=sections.date_order,
        date_languages=sections.date_languages,
        product_aliases=sections.product_aliases,
        decision_phrases=sections.decision_phrases,
        amendment_phrases=sections.amendment_phrases,
        party_organisations=sections.party_organisations,
        plans=read_plan_rules(data, source),
    )


def default_rules_text() -> str:
    # next to this module, as the package installs it (importlib.resources would cost every command ~5 ms of
    # imports: zipfile, tempfile, shutil; tests/test_startup.py)
    return (Path(__file__).parent / "default_rules.toml").read_text(encoding="utf-8")


def load_rules(path: Path | None = None) -> Rules:
    """Built-in rules, with the sections of `path` (if it exists) replacing theirs."""
    base_text = default_rules_text()
    if path is None or not path.is_file():
        return parse_rules(base_text, "built-in rules")
    base = tomllib.loads(base_text)
    return parse_rules(path.read_text(encoding="utf-8"), str(path), base=base)
