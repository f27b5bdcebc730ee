"""Data built once per test module: in a transaction rolled back when the module is done, with
its files in a media folder of its own. Each test still gets its own savepoint inside it
(pytest-django's `db`), so a test's writes never reach the next. A module that uses it has no
transactional test (`transactional_db`, `live_server`: they would empty the tables)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import transaction
from django.test import override_settings


@contextmanager
def module_transaction(django_db_blocker, tmp_path_factory, name: str) -> Iterator[Path]:
    """Yields the media folder; what is made inside lasts until the block ends. The transaction
    is marked as Django's TestCase marks its own, so that a durable atomic block in a service
    nests in it as it does in a test."""
    media = tmp_path_factory.mktemp(name) / "media"
    media.mkdir()
    block = transaction.atomic()
    block._from_testcase = True
    with django_db_blocker.unblock(), block, override_settings(MEDIA_ROOT=str(media)):
        yield media
        transaction.set_rollback(True)
