"""Choices for states and kinds, in PRISMA 2020 words (docs/design.md, Vocabulary)."""

from django.db import models

from references.parsers import FORMAT_LABELS


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    REVIEWER = "reviewer", "Reviewer"
    VIEWER = "viewer", "Viewer"


# Who may do what, by role: the one place for each role set. Viewers read; editors (owners and
# reviewers) also import, screen, judge duplicates and extract; owners also manage the review.
EDITOR_ROLES = frozenset({Role.OWNER, Role.REVIEWER})
OWNER_ROLES = frozenset({Role.OWNER})


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


# The formats a file may be imported in: references.parsers owns the list (its one place);
# the members are named after the values (PUBMED_XML, MEDLINE, ...).
FileFormat = models.TextChoices(
    "FileFormat",
    [(value.upper().replace("-", "_"), (value, label)) for value, label in FORMAT_LABELS.items()],
)


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


class Stage(models.TextChoices):
    """PRISMA's stages, in order. Records from other-methods sources start at retrieval."""

    TITLE_ABSTRACT = "title_abstract", "Title and abstract"
    RETRIEVAL = "retrieval", "Full-text retrieval"
    FULL_TEXT = "full_text", "Full text"

    @classmethod
    def screened(cls) -> list[str]:
        """The stages at which reviewers vote."""
        return [cls.TITLE_ABSTRACT, cls.FULL_TEXT]


class Verdict(models.TextChoices):
    INCLUDE = "include", "Include"
    EXCLUDE = "exclude", "Exclude"
    # A vote to look further: it moves a reference on like include (as Covidence counts it).
    MAYBE = "maybe", "Maybe"


class DecisionKind(models.TextChoices):
    VOTE = "vote", "Vote"
    RETRACT = "retract", "Vote withdrawn"  # undo: the reviewer's earlier vote no longer counts
    RESOLUTION = "resolution", "Conflict resolved"
    REOPEN = "reopen", "Reopened"  # the owner sends a settled reference back to be screened


class ItemState(models.TextChoices):
    """A reference's state at a stage, cached on ScreeningItem (screening/decisions/states.py
    computes it from the decisions)."""

    AWAITING = "awaiting", "Awaiting screening"
    AWAITING_SECOND = "awaiting_second", "Awaiting a second reviewer"
    CONFLICT = "conflict", "Conflict"
    INCLUDED = "included", "Included"  # moved on to the next stage
    EXCLUDED = "excluded", "Excluded"
    REMOVED = "removed", "Removed before screening"
    # Left unscreened when the team stopped under the stopping rule (screening/stopping/rule.py):
    # PRISMA's "marked as ineligible by automation tools".
    AUTOMATED = "automated", "Marked ineligible by automation tools"
    # Retrieval
    AWAITING_RETRIEVAL = "awaiting_retrieval", "Full text sought"
    RETRIEVED = "retrieved", "Full text retrieved"
    NOT_RETRIEVED = "not_retrieved", "Full text not retrieved"

    @classmethod
    def pending(cls) -> list[str]:
        """States in which a reference waits for a reviewer's vote."""
        return [cls.AWAITING, cls.AWAITING_SECOND]

    @classmethod
    def open(cls) -> list[str]:
        """States in which a reviewer may still change their own vote."""
        return [cls.AWAITING, cls.AWAITING_SECOND, cls.CONFLICT]


class ReasonStages(models.TextChoices):
    BOTH = "both", "Both stages"
    TITLE_ABSTRACT = "title_abstract", "Title and abstract only"
    FULL_TEXT = "full_text", "Full text only"


class RemovalReason(models.TextChoices):
    """Why records are removed before screening (PRISMA: removed for other reasons)."""

    DATE_RANGE = "date_range", "Outside the date range"
    LANGUAGE = "language", "Language"
    RETRACTED = "retracted", "Retracted"
    NOT_RESEARCH = "not_research", "Not a research article"
    OTHER = "other", "Other"
    # Not offered in the removal form: only applying the stopping rule removes for it.
    AUTOMATION = "automation", "Marked ineligible by automation tools"

    @classmethod
    def by_hand(cls) -> list[tuple[str, str]]:
        """The reasons a person chooses from."""
        return [choice for choice in cls.choices if choice[0] != cls.AUTOMATION]


class FullTextStatus(models.TextChoices):
    RETRIEVED = "retrieved", "Retrieved"
    NOT_RETRIEVED = "not_retrieved", "Not retrieved"


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
    SEARCH_DOCUMENT = "search.document", "Search documentation edited"
    DECISIONS_IMPORT = "decisions.import", "Decisions imported from another tool"
    SETTINGS = "review.settings", "Screening settings changed"
    REASON_CREATE = "reason.create", "Exclusion reason added"
    REASON_EDIT = "reason.edit", "Exclusion reason edited"
    DECISION = "decision", "Decision recorded"
    DECISION_RETRACT = "decision.retract", "Decision withdrawn"
    RESOLVE = "decision.resolve", "Conflict resolved"
    REOPEN = "decision.reopen", "Reference reopened"
    REMOVE = "reference.remove", "Removed before screening"
    RESTORE = "reference.restore", "Restored to screening"
    FULL_TEXT = "fulltext", "Full-text retrieval recorded"
    VERIFY_DRAW = "verify.draw", "Verification sample drawn"
    VERIFY_CHECK = "verify.check", "Exclusion re-screened for verification"
    STOPPING_DRAW = "stopping.draw", "Stopping-rule sample drawn"
    STOPPING_APPLY = "stopping.apply", "Screening stopped by the stopping rule"
    STOPPING_CANCEL = "stopping.cancel", "Stopping-rule sample withdrawn"
    # Studies and extracted data (the extraction app).
    STUDY_CREATE = "study.create", "Study created"
    STUDY_EDIT = "study.edit", "Study edited"
    STUDY_DELETE = "study.delete", "Study deleted"
    REPORT_LINK = "study.link", "Report linked to a study"
    REPORT_UNLINK = "study.unlink", "Report unlinked from a study"
    REPORT_PRIMARY = "study.primary", "Primary report chosen"
    EXTRACTION_EDIT = "extraction.edit", "Extracted data edited"
    EXTRACTION_DELETE = "extraction.delete", "Extracted data deleted"
    CUSTOM_FIELD = "study.field", "Custom field defined"
    # Double extraction: an entry's rows are a draft only its extractor sees, so they are not
    # logged one by one; its submission logs its content's digest (as risk of bias does), and
    # the consensus logs each value taken from the entries, and from which.
    ENTRY_START = "entry.start", "Extraction entry started"
    ENTRY_SUBMIT = "entry.submit", "Extraction entry submitted"
    ENTRY_CONSENSUS = "entry.consensus", "Consensus value taken from the entries"
    EXTRACTION_SETTINGS = "extraction.settings", "Extraction settings changed"
    # Labels and the discussion of a reference (screening/labels).
    LABEL_CREATE = "label.create", "Label created"
    LABEL_EDIT = "label.edit", "Label renamed"
    LABEL_DELETE = "label.delete", "Label deleted"
    LABEL_APPLY = "label.apply", "Label put on a reference"
    LABEL_REMOVE = "label.remove", "Label taken off a reference"
    POST_CREATE = "post.create", "Discussion post written"
    POST_EDIT = "post.edit", "Discussion post edited"
    POST_DELETE = "post.delete", "Discussion post deleted"
    # Risk of bias (the risk_of_bias app). A submission's event carries its content's digest,
    # not its answers: the log is every member's, and an assessor's answers stay hidden from
    # the others until all have submitted. The consensus, made after, carries its judgements.
    ROB_START = "rob.start", "Risk-of-bias assessment started"
    ROB_SUBMIT = "rob.submit", "Risk-of-bias assessment submitted"
    ROB_CONSENSUS = "rob.consensus", "Risk-of-bias consensus submitted"
    ROB_SETTINGS = "rob.settings", "Risk-of-bias settings changed"
    # Meta-analysis (the meta_analysis app).
    ANALYSIS_SAVE = "analysis.save", "Meta-analysis defined or changed"
    ANALYSIS_DELETE = "analysis.delete", "Meta-analysis deleted"
    GRADE_SAVE = "grade.save", "Certainty of the evidence (GRADE) judged"


class LabelColour(models.TextChoices):
    """A label's colour, from a small palette whose every shade keeps dark text readable
    (static/css/app.css, "Labels")."""

    GREY = "grey", "Grey"
    RED = "red", "Red"
    ORANGE = "orange", "Orange"
    YELLOW = "yellow", "Yellow"
    GREEN = "green", "Green"
    TEAL = "teal", "Teal"
    BLUE = "blue", "Blue"
    PURPLE = "purple", "Purple"
