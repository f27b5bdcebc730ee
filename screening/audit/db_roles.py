"""Running the application under a database role that cannot unlock its own logs.

The append-only triggers on the audit and decision logs (migrations 0004 and 0011) hold only
against a role that cannot drop them: in PostgreSQL, only a table's owner (or a superuser) can.
So migrations run as the owner, and the application as another role with the rights below:
reading and writing the working tables, and only SELECT and INSERT on the logs. It is never
given TRUNCATE, which would empty a table without firing its row triggers.
`manage.py app_db_role ROLE` prints these statements (docs/threat-model.md)."""

from __future__ import annotations

# The append-only tables (each with its trigger on PostgreSQL).
LOG_TABLES = [
    "screening_auditevent",
    "screening_decision",
    "screening_fulltext",
    "screening_removal",
    "screening_verificationcheck",
]


def grant_statements(role: str, schema: str = "public") -> list[str]:
    """SQL, to run as the tables' owner after `migrate`, that lets `role` run the application
    and nothing more. Run it again after each migration that adds tables."""
    quoted = _identifier(role)
    logs = ", ".join(f"{schema}.{table}" for table in LOG_TABLES)
    return [
        f"GRANT USAGE ON SCHEMA {schema} TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {quoted}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {logs} FROM {quoted}",
    ]


def _identifier(name: str) -> str:
    """A role name quoted as a PostgreSQL identifier."""
    if not name or "\x00" in name:
        raise ValueError("A role name is needed.")
    return '"' + name.replace('"', '""') + '"'
