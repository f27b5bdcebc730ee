"""A person's API token (docs/api.md): one per person, DRF's `authtoken`. Made on their account
page or by `manage.py api_token`; a new one replaces the old, which stops working at once. The
key is shown once, when it is made: the account page afterwards says only that there is one."""

from __future__ import annotations

import logging

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from rest_framework.authtoken.models import Token

logger = logging.getLogger(__name__)


def api_token_of(user: AbstractBaseUser) -> Token | None:
    """The person's token, if they have one."""
    return Token.objects.filter(user=user).first()


@transaction.atomic
def api_token_issue(*, user: AbstractBaseUser, regenerate: bool = False) -> tuple[Token, bool]:
    """The person's token, made if they have none; with `regenerate`, a new key in place of the
    old. (token, whether it was made now)."""
    replaced = regenerate and Token.objects.filter(user=user).delete()[0] > 0
    token, created = Token.objects.get_or_create(user=user)
    if created:
        logger.info("API token %s for %s", "replaced" if replaced else "made", user)
    return token, created
