"""The few SQL expressions whose text differs between SQLite and PostgreSQL, one function each.

The catalog's statements are written once, in SQL both dialects read (`?` placeholders, `"user"` and `"offset"`
quoted, `IS DISTINCT FROM`, `COUNT(x)` for `SUM(x IS NOT NULL)`, `RETURNING id`). Where the dialects really
differ (SQLite's json1 against PostgreSQL's jsonb, `instr` against `strpos`), a statement asks here with the
catalog's dialect ("sqlite" or "postgresql": `Catalog.dialect`). JSON stays TEXT in both: PostgreSQL casts it
to jsonb in the expression (`col::jsonb`), so the stored text is the same byte for byte.

Other modules may append helpers at the end of this file.
"""

from __future__ import annotations

POSTGRESQL = "postgresql"


def json_text(dialect: str, column: str, key: str) -> str:
    """The value of a JSON object's top-level `key` as SQL text (NULL when it is absent or JSON null); `key` is
    written into the statement, so it must be a plain name (letters, digits, underscore)."""
    if not key.replace("_", "").isalnum():
        raise ValueError(f"not a plain JSON key: {key!r}")
    if dialect == POSTGRESQL:
        return f"({column}::jsonb ->> '{key}')"
    return f"json_extract({column}, '$.{key}')"


def contains(dialect: str, haystack: str) -> str:
    """A condition true when the text `haystack` holds the `?` bound after it (a plain substring: no pattern)."""
    if dialect == POSTGRESQL:
        return f"strpos({haystack}, ?) > 0"
    return f"instr({haystack}, ?) > 0"


def any_doubtful_source(dialect: str, column: str) -> str:
    """A condition true when the JSON object in `column` (a version's `sources`: field -> provenance) holds an
    object with a non-null "doubtful" member. Anything else (NULL, a member that is text such as "hand") is not
    doubtful; on SQLite text that is not JSON is not doubtful either (on PostgreSQL dms never wrote any)."""
    if dialect == POSTGRESQL:
        return (f"EXISTS (SELECT 1 FROM jsonb_each(CASE WHEN jsonb_typeof({column}::jsonb) = 'object' "
                f"THEN {column}::jsonb ELSE '{{}}'::jsonb END) j "
                "WHERE jsonb_typeof(j.value) = 'object' AND (j.value ->> 'doubtful') IS NOT NULL)")
    return (f"EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid({column}) THEN {column} ELSE '{{}}' END) j "
            "WHERE j.type = 'object' AND json_extract(j.value, '$.doubtful') IS NOT NULL)")


def strings_of_arrays(dialect: str, column: str, keys: tuple[str, ...]) -> tuple[str, str, str]:
    """(FROM items, condition, value) giving one row per string element (`value`, SQL text) of the JSON arrays
    at these top-level keys of the JSON object in `column`; members that are not arrays give none. The FROM
    items follow the table holding `column` in a comma join; the condition goes into the WHERE."""
    for key in keys:
        if not key.replace("_", "").isalnum():
            raise ValueError(f"not a plain JSON key: {key!r}")
    names = " UNION ALL ".join(f"SELECT '{k}' AS key" for k in keys)
    if dialect == POSTGRESQL:
        return (f"({names}) f, jsonb_array_elements(CASE WHEN jsonb_typeof({column}::jsonb -> f.key) = 'array' "
                f"THEN {column}::jsonb -> f.key ELSE '[]'::jsonb END) AS e(elem)",
                "jsonb_typeof(e.elem) = 'string'", "(e.elem #>> '{}')")
    return (f"({names}) f, json_each({column}, '$.' || f.key) e",
            f"json_type({column}, '$.' || f.key) = 'array' AND e.type = 'text'", "e.value")
