"""The one way audit events are written."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from ..constants import AuditAction
from ..models import AuditEvent, Review


def audit_record(
    *,
    review: Review,
    actor: AbstractBaseUser | None,
    action: AuditAction,
    obj: Any,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Append an audit event. Call inside the service's transaction, so both land or neither."""
    return AuditEvent.objects.create(
        review=review,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        before=before,
        after=after,
    )
