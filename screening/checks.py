"""System checks for a deployment (`manage.py check --deploy`)."""

from django.conf import settings
from django.core import checks
from django.db import DatabaseError, connections

from screening.audit.db_roles import LOG_TABLES


@checks.register(checks.Tags.compatibility, deploy=True)
def ncbi_contact(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """NCBI asks every E-utilities caller for an email address, and contacts it before blocking
    a tool that misbehaves."""
    if settings.NCBI_EMAIL:
        return []
    return [
        checks.Warning(
            "NCBI_EMAIL is not set: PubMed searches reach NCBI without a contact address.",
            hint="Set NCBI_EMAIL (and NCBI_API_KEY for 10 requests a second instead of 3).",
            id="screening.W001",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def audit_key_is_secret(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """The audit key signs the log; the development key is in the source for all to read."""
    if settings.AUDIT_KEY and settings.AUDIT_KEY != settings.DEV_AUDIT_KEY:
        return []
    return [
        checks.Warning(
            "AUDIT_KEY is the development key (or empty): anyone who can write to the database "
            "could rewrite the audit log and sign it again.",
            hint="Set AUDIT_KEY to a long random secret kept outside the database "
            "(docs/threat-model.md).",
            id="screening.W002",
        )
    ]


def log_tables_the_app_can_unlock(connection) -> list[str]:
    """The log tables whose triggers the connected role could drop: those it owns, or all of
    them for a superuser. Empty on SQLite, which has no roles."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
        if row and row[0]:
            return list(LOG_TABLES)
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE tablename = ANY(%s) AND tableowner = "
            "current_user ORDER BY tablename",
            [LOG_TABLES],
        )
        return [name for (name,) in cursor.fetchall()]


@checks.register(checks.Tags.security, deploy=True)
def app_role_cannot_drop_log_triggers(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """`check --deploy` connects to each database to ask which role it runs as; a database
    that does not answer is left to the checks that need it."""
    messages = []
    for alias in settings.DATABASES:
        try:
            tables = log_tables_the_app_can_unlock(connections[alias])
        except DatabaseError:
            continue
        if tables:
            messages.append(
                checks.Warning(
                    f"The database role of '{alias}' owns the audit log's tables, or is a "
                    f"superuser ({', '.join(tables)}): the application could drop their "
                    "append-only triggers.",
                    hint="Run the application as a role that does not own the tables and "
                    "migrations as the owner: manage.py app_db_role ROLE prints the grants "
                    "(docs/threat-model.md).",
                    id="screening.W003",
                )
            )
    return messages
