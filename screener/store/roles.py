"""Reviewer logins and blinding enforced by the PostgreSQL server (row-level security).

Part of the store layer; PostgreSQL only. Each person is a database role, member of one
of three group roles that hold every privilege:

- `screener_reviewer`: reads the review; writes only their own decisions (the `reviewer`
  column must be their login) and full-text locations. Another reviewer's vote, reason and
  note, and its audit entries, are invisible to them until the record is reconciled at that
  stage (resolved, or the required votes are in and agree): the same rule as
  `screening.blinding`, applied by the server to every query, psql's included.
- `screener_adjudicator`: a reviewer who also sees the votes on records in conflict, and
  writes resolutions in their own name.
- `screener_owner`: everything (searches, imports, dedup, settings, grants).

Nobody but the owner of the tables may change or delete the audit log (triggers refuse even
them). `enable_team_security` is idempotent: it is run by every `screener review grant`.
"""

from __future__ import annotations

from typing import Any

from screener.errors import ScreenerError

GROUPS = {
    "reviewer": "screener_reviewer",
    "adjudicator": "screener_adjudicator",
    "owner": "screener_owner",
}

# Tables everyone in the team reads (decisions and audit_log are filtered by policies).
_READ = [
    "searches",
    "runs",
    "records",
    "run_records",
    "dedup_pairs",
    "duplicates",
    "decisions",
    "resolutions",
    "fulltexts",
    "settings",
    "audit_log",
    "search_locks",
    "ranking_features",
    "screener_schema",
]

# Whether another person's votes on (record, stage) are open to the caller: resolved, or
# (for an adjudicator) the required votes are in, or (for anyone) they are in and agree.
# Conservative: when it cannot tell, it keeps them hidden (fail closed). SECURITY DEFINER
# so it may count every vote; its search_path is fixed so nobody can plant a function.
_VOTES_OPEN = """
CREATE OR REPLACE FUNCTION {schema}.screener_votes_open(rid bigint, stg text, adjudicating boolean)
RETURNS boolean LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = {schema}, pg_catalog, pg_temp AS $$
DECLARE
  conf jsonb;
  required int;
  maybe_class text;
  votes int;
  classes int;
  reasons int;
BEGIN
  IF EXISTS (SELECT 1 FROM resolutions r WHERE r.record_id = rid AND r.stage = stg) THEN
    RETURN true;
  END IF;
  SELECT value::jsonb INTO conf FROM settings WHERE key = 'review';
  required := COALESCE((conf -> 'required' ->> stg)::int, 2);
  maybe_class := COALESCE(conf ->> 'maybe_counts_as', 'include');
  SELECT count(*),
         count(DISTINCT CASE WHEN d.decision = 'maybe' THEN maybe_class ELSE d.decision END),
         count(DISTINCT CASE WHEN d.decision = 'exclude'
               THEN lower(regexp_replace(btrim(d.reason), '\\s+', ' ', 'g')) END)
    INTO votes, classes, reasons
    FROM decisions d WHERE d.record_id = rid AND d.stage = stg;
  IF votes < required OR votes = 0 THEN
    RETURN false;
  END IF;
  IF adjudicating OR required = 1 THEN
    RETURN true;
  END IF;
  IF classes <> 1 THEN
    RETURN false;
  END IF;
  IF stg = 'full-text' AND COALESCE((conf ->> 'reason_conflicts_at_full_text')::boolean, true)
     AND reasons > 1 THEN
    RETURN false;
  END IF;
  RETURN true;
END $$;
REVOKE ALL ON FUNCTION {schema}.screener_votes_open(bigint, text, boolean) FROM PUBLIC;
"""


def _is_adjudicator() -> str:
    return "pg_has_role(current_user, 'screener_adjudicator', 'MEMBER')"


def _policies() -> list[str]:
    own = "reviewer = current_user"
    open_votes = f"screener_votes_open(record_id, stage, {_is_adjudicator()})"
    audit_open = (
        "entity <> 'decisions' OR split_part(entity_id, '/', 3) = current_user OR "
        "screener_votes_open(split_part(entity_id, '/', 1)::bigint, "
        f"split_part(entity_id, '/', 2), {_is_adjudicator()})"
    )
    team = "screener_reviewer, screener_adjudicator"
    return [
        f"CREATE POLICY team_read ON decisions FOR SELECT TO {team} USING ({own} OR {open_votes})",
        f"CREATE POLICY team_insert ON decisions FOR INSERT TO {team} "
        f"WITH CHECK ({own} AND COALESCE(recorded_by, '') IN ('', current_user))",
        f"CREATE POLICY team_update ON decisions FOR UPDATE TO {team} USING ({own}) "
        f"WITH CHECK ({own} AND COALESCE(recorded_by, '') IN ('', current_user))",
        f"CREATE POLICY team_delete ON decisions FOR DELETE TO {team} USING ({own})",
        "CREATE POLICY owner_all ON decisions FOR ALL TO screener_owner USING (true) "
        "WITH CHECK (true)",
        f"CREATE POLICY team_read ON audit_log FOR SELECT TO {team} USING ({audit_open})",
        "CREATE POLICY owner_read ON audit_log FOR SELECT TO screener_owner USING (true)",
        f"CREATE POLICY team_read ON resolutions FOR SELECT TO {team} USING (true)",
        "CREATE POLICY adjudicator_write ON resolutions FOR ALL TO screener_adjudicator "
        "USING (adjudicator = current_user) WITH CHECK (adjudicator = current_user)",
        "CREATE POLICY owner_all ON resolutions FOR ALL TO screener_owner USING (true) "
        "WITH CHECK (true)",
    ]


def enable_team_security(conn: Any) -> None:
    """Create the group roles, grants, the blinding function and the row-level security
    policies (again: every statement is idempotent). Needs a role that owns the tables
    and may create roles."""
    schema = conn.execute("SELECT current_schema()").fetchone()[0]
    for group in GROUPS.values():
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = ?", (group,)).fetchone()
        if exists is None:
            conn.execute(f"CREATE ROLE {group} NOLOGIN")
    conn.execute("GRANT screener_reviewer TO screener_adjudicator")
    database = conn.execute("SELECT current_database()").fetchone()[0]
    members = ", ".join(GROUPS.values())
    conn.execute(f'GRANT CONNECT, TEMPORARY ON DATABASE "{database}" TO {members}')
    conn.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO {members}')
    tables = ", ".join(_READ)
    conn.execute(f"GRANT SELECT ON {tables} TO {members}")
    conn.execute("GRANT INSERT, UPDATE, DELETE ON decisions TO screener_reviewer")
    conn.execute("GRANT INSERT, UPDATE ON fulltexts TO screener_reviewer")
    # The ranking cache holds text features only (no votes): any reviewer may refresh it.
    conn.execute("GRANT INSERT, UPDATE ON ranking_features TO screener_reviewer")
    conn.execute("GRANT INSERT, UPDATE, DELETE ON resolutions TO screener_adjudicator")
    everything = ", ".join(t for t in _READ if t not in ("audit_log", "screener_schema"))
    conn.execute(f"GRANT INSERT, UPDATE, DELETE ON {everything} TO screener_owner")
    conn.execute(f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA "{schema}" TO screener_owner')
    # Nobody in the team rewrites history (the triggers refuse the tables' owner too).
    conn.execute(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_log FROM {members}")
    conn.executescript(_VOTES_OPEN.format(schema=f'"{schema}"'))
    conn.execute(
        f'GRANT EXECUTE ON FUNCTION "{schema}".screener_votes_open(bigint, text, boolean) '
        f"TO {members}"
    )
    for table in ("decisions", "audit_log", "resolutions"):
        conn.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        for (name,) in conn.execute(
            "SELECT policyname FROM pg_policies WHERE schemaname = ? AND tablename = ?",
            (schema, table),
        ).fetchall():
            conn.execute(f'DROP POLICY "{name}" ON {table}')
    for policy in _policies():
        conn.execute(policy)


def grant_role(conn: Any, person: str, role: str, password: str | None = None) -> bool:
    """Make `person` a login role in `role`'s group (creating the login if needed);
    True if the login was created."""
    group = GROUPS[role]
    quoted = _identifier(conn, person)
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = ?", (person,)).fetchone()
    if exists is None:
        conn.execute(f"CREATE ROLE {quoted} LOGIN")
    if password:
        literal = conn.execute("SELECT quote_literal(?)", (password,)).fetchone()[0]
        conn.execute(f"ALTER ROLE {quoted} PASSWORD {literal}")
    for other in GROUPS.values():
        if other != group:
            conn.execute(f"REVOKE {other} FROM {quoted}")
    conn.execute(f"GRANT {group} TO {quoted}")
    return exists is None


def team_roles(conn: Any) -> dict[str, str]:
    """Login role -> screener role, for every member of the three groups."""
    rows = conn.execute(
        """SELECT m.rolname, g.rolname FROM pg_auth_members a
           JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
           WHERE g.rolname IN ('screener_reviewer', 'screener_adjudicator', 'screener_owner')
             AND m.rolname NOT LIKE 'screener\\_%'"""
    ).fetchall()
    names = {group: role for role, group in GROUPS.items()}
    found: dict[str, str] = {}
    rank = {"reviewer": 0, "adjudicator": 1, "owner": 2}
    for member, group in rows:
        role = names[group]
        if member not in found or rank[role] > rank[found[member]]:
            found[member] = role
    return found


def _identifier(conn: Any, name: str) -> str:
    return conn.execute("SELECT quote_ident(?)", (name,)).fetchone()[0]


class TeamMixin:
    """Logins and their screener roles, on a PostgreSQL review."""

    def grant(self, person: str, role: str, password: str | None = None) -> bool:
        """Create or map `person`'s login into `role` (reviewer, adjudicator or owner),
        setting up the groups and policies first; True if the login was created."""
        self._need_server("review grant")
        with self.transaction():
            enable_team_security(self.conn)
            return grant_role(self.conn, person, role, password)

    def team(self) -> dict[str, str]:
        """Login -> screener role for everyone granted one."""
        self._need_server("review team")
        return team_roles(self.conn)

    def _need_server(self, command: str) -> None:
        if not self.is_postgres:
            raise ScreenerError(
                f"{command} manages logins on a PostgreSQL review server; a SQLite review "
                "file has no logins (name people with `screener review init --reviewer`)."
            )
