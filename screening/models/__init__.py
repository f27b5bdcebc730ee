"""The screening app's models, one module per subject; import them from here."""

from .audit import AuditEvent, AuditHead
from .identification import (
    DuplicateCandidate,
    ImportJob,
    PubmedJob,
    Record,
    RecordQuerySet,
    Search,
    SearchRun,
    Source,
)
from .ranking import Ranking, StoppingSample
from .reviews import Invitation, Membership, Review
from .stages import (
    Decision,
    ExclusionReason,
    FullText,
    Removal,
    ReviewerCount,
    ScreeningItem,
    StageCount,
    Vote,
)
from .verification import VerificationCheck, VerificationSample

__all__ = [
    "AuditEvent",
    "AuditHead",
    "Decision",
    "ExclusionReason",
    "FullText",
    "Ranking",
    "Removal",
    "ReviewerCount",
    "ScreeningItem",
    "StageCount",
    "StoppingSample",
    "VerificationCheck",
    "VerificationSample",
    "Vote",
    "DuplicateCandidate",
    "ImportJob",
    "Invitation",
    "Membership",
    "PubmedJob",
    "Record",
    "RecordQuerySet",
    "Review",
    "Search",
    "SearchRun",
    "Source",
]
