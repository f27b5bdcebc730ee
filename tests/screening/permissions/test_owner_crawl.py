"""What even an owner, who sees every screening vote, may never see: another member's private
label (its maker's alone, whatever the reader's role), and an assessor's risk-of-bias answers
before every assessor of the result has submitted (an owner may be the other assessor, or make
the consensus). One crawl of every URL of the project as the owner, with every query string
the role crawl knows, plain and htmx, finds none of their sentinels. (The makers find them:
tests/screening/labels/test_private_label_crawl.py, tests/risk_of_bias/test_blind_crawl.py.)"""

from __future__ import annotations

import pytest

from tests.screening.permissions.test_crawl import crawl, leak_report
from tests.screening.permissions.world import LABEL_PRIVATE, World
from tests.screening.permissions.world_entries import ENTRY_DRAFT, ENTRY_SUBMITTED
from tests.screening.permissions.world_rob import ROB_DRAFT, ROB_SUBMITTED

# Slow (thousands of requests): CI runs it once, on PostgreSQL (see test_crawl.py).
pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_no_page_shows_the_owner_what_no_owner_may_see(world: World):
    hidden = [LABEL_PRIVATE, ROB_DRAFT, ROB_SUBMITTED, ENTRY_DRAFT, ENTRY_SUBMITTED]
    lines = leak_report("O", crawl(world, "O", hidden))
    assert not lines, "\n".join(lines)
