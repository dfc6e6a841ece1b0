"""A review team on a PostgreSQL server: who may log in, and as what.

Workflow layer: the CLI's `screener review grant` and `screener review team` call these.
On a server, each person is a database login in one of three roles (reviewer,
adjudicator, owner); the server's row-level security does the blinding (see store.roles).
"""

from __future__ import annotations

from dataclasses import dataclass

from screener.errors import ScreenerError
from screener.store import Store

ROLES = ("reviewer", "adjudicator", "owner")


@dataclass(frozen=True)
class Granted:
    """What `grant` did."""

    person: str
    role: str
    created: bool  # a new login (False: an existing one was mapped)


def grant(store: Store, person: str, role: str, password: str | None = None) -> Granted:
    """Make `person` a login of the review in `role`."""
    person = person.strip()
    if role not in ROLES:
        raise ScreenerError(f"unknown role {role!r}: use {', '.join(ROLES)}.")
    if not person or person.startswith("screener_") or person.startswith("pg_"):
        raise ScreenerError(f"{person!r} cannot be a login: give a person's name, e.g. ann.")
    created = store.grant(person, role, password)
    return Granted(person, role, created)


def team(store: Store) -> dict[str, str]:
    """Login -> role for everyone granted one."""
    return dict(sorted(store.team().items()))
