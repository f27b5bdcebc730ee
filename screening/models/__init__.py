"""The screening app's models, one module per subject; import them from here."""

from screening.models.audit import AuditEvent, AuditHead
from screening.models.identification import (
    DuplicateCandidate,
    ImportJob,
    PubmedJob,
    Record,
    RecordQuerySet,
    Search,
    SearchRun,
    Source,
)
from screening.models.labels import Label, Post, ReferenceLabel
from screening.models.ranking import Embedding, Ranking, StoppingSample
from screening.models.reviews import Invitation, Membership, Review
from screening.models.stages import (
    Decision,
    ExclusionReason,
    FullText,
    RecordCount,
    Removal,
    ReviewerCount,
    ScreeningItem,
    StageCount,
    Vote,
)
from screening.models.verification import VerificationCheck, VerificationSample

__all__ = [
    "AuditEvent",
    "AuditHead",
    "Decision",
    "Embedding",
    "ExclusionReason",
    "FullText",
    "Label",
    "Post",
    "Ranking",
    "RecordCount",
    "ReferenceLabel",
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
