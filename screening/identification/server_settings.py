"""PostgreSQL settings changed for a part of one transaction (the import's), and put back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


def transaction_setting(name: str, value: str) -> str:
    """Set a server setting for the rest of this transaction, if the server accepts the value
    (lz4 compression needs a server built with it); returns the value it had."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting(name), vartype <> 'enum' OR %s = ANY(enumvals) "
            "FROM pg_settings WHERE name = %s",
            [value, name],
        )
        before, accepted = cursor.fetchone()
        if accepted:
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
    return before


@contextmanager
def jit_off() -> Iterator[None]:
    """No JIT compilation inside the block, on PostgreSQL. The planner prices a query on the
    tables as it last saw them (before the import that filled them), and may compile a query
    that runs in a tenth of a second for longer than it runs (117 functions, 0.3 s)."""
    if connection.vendor != "postgresql":
        yield
        return
    before = transaction_setting("jit", "off")
    try:
        yield
    finally:
        transaction_setting("jit", before)
