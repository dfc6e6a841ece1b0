"""The SQL dialects the store speaks: SQLite (the embedded default) and PostgreSQL.

Part of the store layer. The repository classes write one SQL text in SQLite's spelling
(`?` and `:name` placeholders, `INSERT OR IGNORE`, `LIKE` ignoring ASCII case); a dialect
turns it into what its server runs. Everything both servers already agree on (`ON CONFLICT
... DO UPDATE`, `RETURNING`, `CREATE TEMP TABLE IF NOT EXISTS`, `||`) passes unchanged.
Translation skips quoted strings and identifiers, and is cached per statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Dialect:
    """What differs between the two servers, in one place."""

    name: str  # "sqlite" | "postgresql"
    begin: str  # starts a write transaction that queues writers instead of failing late
    placeholder_style: str  # "qmark" | "pyformat"

    def translate(self, sql: str) -> str:
        return sql if self.placeholder_style == "qmark" else _to_postgres(sql)


SQLITE = Dialect("sqlite", "BEGIN IMMEDIATE", "qmark")
POSTGRES = Dialect("postgresql", "BEGIN", "pyformat")

# A statement split into quoted parts (kept as they are) and code (translated).
_QUOTED = re.compile(r"""('(?:[^']|'')*'|"(?:[^"]|"")*")""")
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_INSERT_OR_IGNORE = re.compile(r"\bINSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)
_LIKE = re.compile(r"\bLIKE\b", re.IGNORECASE)
_JSON_EXTRACT = re.compile(r"\bjson_extract\(\s*([\w.]+)\s*,\s*'\$\.(\w+)'\s*\)", re.IGNORECASE)


@lru_cache(maxsize=512)
def _to_postgres(sql: str) -> str:
    """SQLite spelling -> psycopg's: placeholders become %s / %(name)s, a literal % is
    doubled, INSERT OR IGNORE becomes ON CONFLICT DO NOTHING, LIKE becomes ILIKE (SQLite's
    LIKE ignores case; PostgreSQL's does not), json_extract(col, '$.key') of a JSON text
    column becomes (col::jsonb ->> 'key')."""
    ignore = bool(_INSERT_OR_IGNORE.search(sql))
    sql = _JSON_EXTRACT.sub(r"(\1::jsonb ->> '\2')", sql)
    parts = _QUOTED.split(sql)
    out = []
    for index, part in enumerate(parts):
        part = part.replace("%", "%%")
        if index % 2 == 0:  # code, not a quoted string or identifier
            part = part.replace("?", "%s")
            part = _NAMED.sub(r"%(\1)s", part)
            part = _INSERT_OR_IGNORE.sub("INSERT INTO", part)
            part = _LIKE.sub("ILIKE", part)
        out.append(part)
    text = "".join(out)
    if ignore:
        text = _add_do_nothing(text)
    return text


def _add_do_nothing(sql: str) -> str:
    """`INSERT ... VALUES (...)` [RETURNING ...] gains ON CONFLICT DO NOTHING before any
    RETURNING clause."""
    match = re.search(r"\bRETURNING\b", sql, re.IGNORECASE)
    if match:
        return sql[: match.start()] + "ON CONFLICT DO NOTHING " + sql[match.start() :]
    return sql.rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"


def is_postgres_url(target: object) -> bool:
    """Whether a --db value names a PostgreSQL server rather than a SQLite file."""
    return str(target).startswith(("postgresql://", "postgres://"))
