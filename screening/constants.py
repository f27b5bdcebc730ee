"""Choices for states and kinds. PRISMA 2020 words (DESIGN.md)."""

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    REVIEWER = "reviewer", "Reviewer"
    VIEWER = "viewer", "Viewer"


class SourceKind(models.TextChoices):
    # The kind decides the PRISMA column: databases and registers on the left, the rest under
    # "other methods".
    DATABASE = "database", "Database"
    REGISTER = "register", "Register"
    WEBSITE = "website", "Website"
    ORGANISATION = "organisation", "Organisation"
    CITATION = "citation", "Citation searching"

    @classmethod
    def other_methods(cls) -> set[str]:
        return {cls.WEBSITE, cls.ORGANISATION, cls.CITATION}


class FileFormat(models.TextChoices):
    PUBMED_XML = "pubmed-xml", "PubMed XML"
    MEDLINE = "medline", "MEDLINE / .nbib"
    RIS = "ris", "RIS"
    WOS = "wos", "Web of Science tagged"
    BIBTEX = "bibtex", "BibTeX"
    CSV = "csv", "CSV"


class SearchMethod(models.TextChoices):
    """How a search's records came in."""

    FILE = "file", "File import"
    PUBMED_QUERY = "pubmed-query", "PubMed query"
    PUBMED_PMIDS = "pubmed-pmids", "PubMed PMID list"


class PubmedPhase(models.TextChoices):
    """Where a PubMed job is: each phase's work is committed before the next begins."""

    SEARCH = "search", "Searching"
    FETCH = "fetch", "Fetching records"
    IMPORT = "import", "Adding records to the review"
    FINISHED = "finished", "Finished"


class DuplicateRule(models.TextChoices):
    """Why a record points at a reference another record made first."""

    PMID = "pmid", "Same PMID"
    DOI = "doi", "Same DOI"
    TITLE_YEAR_AUTHOR = "title_year_author", "Same title, year and first author"
    MERGED = "merged", "Merged by a person"


class CandidateStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    MERGED = "merged", "Merged"
    REJECTED = "rejected", "Not a duplicate"
    UNDONE = "undone", "Merge undone"


class JobStatus(models.TextChoices):
    PREVIEWED = "previewed", "Awaiting confirmation"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"

    @classmethod
    def finished(cls) -> set[str]:
        return {cls.DONE, cls.FAILED, cls.CANCELLED}


class AuditAction(models.TextChoices):
    REVIEW_CREATE = "review.create", "Review created"
    MEMBER_INVITE = "member.invite", "Member invited"
    MEMBER_JOIN = "member.join", "Member joined"
    MEMBER_ROLE = "member.role", "Member role changed"
    MEMBER_REMOVE = "member.remove", "Member removed"
    SOURCE_CREATE = "source.create", "Source created"
    IMPORT = "import", "File imported"
    DUPLICATE_MERGE = "duplicate.merge", "Duplicates merged"
    DUPLICATE_REJECT = "duplicate.reject", "Marked not a duplicate"
    DUPLICATE_UNDO = "duplicate.undo", "Merge undone"
    PUBMED_RUN = "pubmed.run", "PubMed search run"
    PUBMED_CANCEL = "pubmed.cancel", "PubMed search cancelled"
    SEARCH_SCHEDULE = "search.schedule", "Search re-run schedule changed"
