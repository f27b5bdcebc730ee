from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from screening.audit.db_roles import grant_statements


class Command(BaseCommand):
    help = (
        "Print (or with --apply, run) the PostgreSQL grants that let ROLE run the application "
        "without owning its tables, so that it cannot drop the audit and decision logs' "
        "append-only triggers. Run as the tables' owner, after migrate."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="the role the application connects as (it must exist)")
        parser.add_argument(
            "--apply", action="store_true", help="run the statements on the default database"
        )

    def handle(self, *args, role, apply=False, **options):
        try:
            statements = grant_statements(role)
        except ValueError as error:
            raise CommandError(str(error)) from None
        if not apply:
            self.stdout.write(";\n".join(statements) + ";")
            return
        if connection.vendor != "postgresql":
            raise CommandError("Database roles are PostgreSQL's: this database is SQLite.")
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(f"Granted {role} what the application needs; the logs stay locked.")
