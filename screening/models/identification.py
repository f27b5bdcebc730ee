"""Where a review's records came from (PRISMA identification): sources, searches and their runs,
records, near-duplicate pairs, and the jobs that bring records in."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from references.models import Reference
from screening.constants import (
    CandidateStatus,
    DuplicateRule,
    FileFormat,
    JobStatus,
    PubmedPhase,
    SearchMethod,
    SourceKind,
)
from screening.models.reviews import Review
from screening.models.scoped import InReviewManager, InReviewQuerySet


class Source(models.Model):
    """Where records came from: PubMed, Embase, a manufacturer's website..."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="sources")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=SourceKind.choices, default=SourceKind.DATABASE)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InReviewManager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["review", "name"], name="source_name_once_per_review")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_other_method(self) -> bool:
        return self.kind in SourceKind.other_methods()


class Search(models.Model):
    """A search of a source. A file import is a search too: file name, sha256 and format. A
    PubMed query is one search however often it is run; each run is a SearchRun."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="searches")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="searches")
    method = models.CharField(
        max_length=20, choices=SearchMethod.choices, default=SearchMethod.FILE
    )
    query = models.TextField(blank=True)
    # PubMed's translation of the query at its latest run, and how many records it found then.
    query_translation = models.TextField(blank=True)
    result_count = models.PositiveIntegerField(null=True, blank=True)
    # A living review re-runs its PubMed searches: every so many days, when turned on.
    rerun_every_days = models.PositiveSmallIntegerField(null=True, blank=True)
    run_at = models.DateTimeField(help_text="When the search was first run.")
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_name = models.CharField(max_length=255, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    file_format = models.CharField(max_length=20, choices=FileFormat.choices, blank=True)
    # Counts as the import found them: entries = records + unreadable,
    # records = references_created + duplicates.
    entries = models.PositiveIntegerField(default=0)
    records_count = models.PositiveIntegerField(default=0)
    references_created = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    unreadable = models.PositiveIntegerField(default=0)
    # [{"position": 7, "reason": "...", "excerpt": "..."}]: skipped entries, kept for the record.
    unreadable_entries = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    # How the search was run, as PRISMA 2020 items 6-7 and PRISMA-S ask (a PubMed search fills
    # them itself): the interface it was run on, when and by whom in the database, the strategy
    # exactly as run, its limits and filters, and anything else worth reporting.
    platform = models.CharField(
        "Platform or interface", max_length=200, blank=True,
        help_text="e.g. Ovid MEDLINE, Embase.com, Web of Science Core Collection",
    )  # fmt: skip
    searched_on = models.DateField("Date searched", null=True, blank=True)
    searched_by = models.CharField("Searched by", max_length=200, blank=True)
    strategy = models.TextField("Search strategy, exactly as run", blank=True)
    limits = models.TextField("Limits and filters", blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InReviewManager()

    class Meta:
        ordering = ["run_at", "id"]
        verbose_name_plural = "searches"
        indexes = [models.Index(fields=["source", "file_sha256"], name="search_source_sha256")]
        constraints = [
            # What a record's one foreign key for its search and review points at (Record).
            models.UniqueConstraint(fields=["id", "review"], name="search_id_review"),
        ]

    def __str__(self) -> str:
        if self.method == SearchMethod.PUBMED_PMIDS:
            return f"PMID list of {self.run_at:%d %b %Y}"
        return self.file_name or self.query[:80] or f"Search {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("screening:search-detail", args=[self.review.slug, self.pk])

    @property
    def is_pubmed(self) -> bool:
        return self.method in (SearchMethod.PUBMED_QUERY, SearchMethod.PUBMED_PMIDS)


class SearchRun(models.Model):
    """One run of a PubMed search: what PubMed returned then, and what changed since the run
    before. Records that drop out of a later run stay, marked with that run."""

    search = models.ForeignKey(Search, on_delete=models.CASCADE, related_name="runs")
    number = models.PositiveIntegerField()
    run_at = models.DateTimeField()
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scheduled = models.BooleanField(default=False)
    query_translation = models.TextField(blank=True)
    result_count = models.PositiveIntegerField(default=0)
    pmids = models.JSONField(default=list, blank=True)  # every PMID returned, in PubMed's order
    added = models.JSONField(default=list, blank=True)  # PMIDs new to the search: new records
    dropped = models.JSONField(default=list, blank=True)  # returned before, not any more
    returned_again = models.JSONField(default=list, blank=True)  # dropped before, back now
    unknown = models.JSONField(default=list, blank=True)  # asked for, but PubMed has no record
    # Counts of this run's new records, as for a file: records = references_created + duplicates.
    records_count = models.PositiveIntegerField(default=0)
    references_created = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    unreadable = models.PositiveIntegerField(default=0)
    stats = models.JSONField(default=dict, blank=True)  # requests, retries, seconds waited...

    class Meta:
        ordering = ["search_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["search", "number"], name="search_run_number_once")
        ]

    def __str__(self) -> str:
        return f"Run {self.number} of {self.search}"


class RecordQuerySet(InReviewQuerySet):
    def duplicates(self) -> "RecordQuerySet":
        return self.exclude(duplicate_rule="")


class Record(models.Model):
    """One entry returned by one search. Records of one reference within a review are duplicates."""

    # The review and the search are held by one foreign key on PostgreSQL, (search, review) ->
    # the search's (id, review) (migration 0025), not Django's two: it checks that the record
    # is in its search's review, and costs one lookup per record an import makes instead of
    # two. SQLite has no constraint on them (its table rebuilds would lose one Django does not
    # know). No index of their own either: the indexes below start with them.
    review = models.ForeignKey(
        Review,
        on_delete=models.CASCADE,
        related_name="records",
        db_index=False,
        db_constraint=False,
    )
    search = models.ForeignKey(
        Search,
        on_delete=models.CASCADE,
        related_name="records",
        db_index=False,
        db_constraint=False,
    )
    reference = models.ForeignKey(Reference, on_delete=models.PROTECT, related_name="records")
    position = models.PositiveIntegerField(help_text="Entry number in the search's file.")
    # The PMID the source gave this record (its own, whatever its reference becomes by merging).
    pmid = models.CharField("PMID", max_length=20, blank=True)
    # PubMed searches: the run that first returned the record, and the run it dropped out of
    # (it stays in the review, marked; cleared if a later run returns it again).
    # Indexed only where set (Meta.indexes): a file's records have neither.
    run = models.ForeignKey(
        "SearchRun",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="records",
        db_index=False,
    )
    dropped_in = models.ForeignKey(
        "SearchRun",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dropped_records",
        db_index=False,
    )
    # Empty for the record that made its reference; else why it was attached to another's.
    duplicate_rule = models.CharField(
        max_length=20, choices=DuplicateRule.choices, blank=True, default=""
    )
    # A duplicate keeps its own source entry; the first record's entry is on the reference.
    raw = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RecordQuerySet.as_manager()

    class Meta:
        ordering = ["search_id", "position"]
        indexes = [
            # With the search: PRISMA counts the distinct references of some searches from
            # the index alone.
            models.Index(
                fields=["review", "reference", "search"], name="record_review_reference_search"
            ),
            models.Index(fields=["review", "duplicate_rule"], name="record_review_duplicate"),
            models.Index(fields=["search", "pmid"], name="record_search_pmid"),
            models.Index(fields=["run"], name="record_run", condition=Q(run__isnull=False)),
            models.Index(
                fields=["dropped_in"],
                name="record_dropped_in",
                condition=Q(dropped_in__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"Record {self.position} of {self.search}"

    @property
    def is_duplicate(self) -> bool:
        return bool(self.duplicate_rule)


class DuplicateCandidate(models.Model):
    """A proposed near-duplicate pair; a person merges it or says it is not a duplicate."""

    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="duplicate_candidates"
    )
    reference_a = models.ForeignKey(Reference, on_delete=models.PROTECT, related_name="+")
    reference_b = models.ForeignKey(Reference, on_delete=models.PROTECT, related_name="+")
    score = models.FloatField(help_text="Title similarity, 0-100.")
    evidence = models.JSONField(default=dict)
    status = models.CharField(
        max_length=20, choices=CandidateStatus.choices, default=CandidateStatus.PROPOSED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # On merge: {"record_id": previous duplicate_rule} of the records moved from b to a, so
    # that undo puts exactly those back.
    moved_records = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InReviewManager()

    class Meta:
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "reference_a", "reference_b"], name="candidate_pair_once"
            ),
            models.CheckConstraint(
                condition=models.Q(reference_a__lt=models.F("reference_b")),
                name="candidate_pair_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference_a_id} ~ {self.reference_b_id} ({self.score})"


class ImportJob(models.Model):
    """An uploaded file on its way in: previewed, confirmed, then imported in the background."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="import_jobs")
    source_name = models.CharField(max_length=200)
    source_kind = models.CharField(max_length=20, choices=SourceKind.choices)
    file = models.FileField(upload_to="imports/%Y/%m/")
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    file_size = models.PositiveBigIntegerField()
    format = models.CharField(max_length=20, choices=FileFormat.choices, blank=True)
    skip_unreadable = models.BooleanField(default=False)
    allow_same_file = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.PREVIEWED)
    preview = models.JSONField(default=dict, blank=True)
    # What the person gave with the upload, applied when the import lands: the search's
    # documentation (Search's platform, searched_on, ...) and, for an export of another tool,
    # which member each of its reviewers' decisions belongs to.
    search_details = models.JSONField(default=dict, blank=True)
    decision_mapping = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    search = models.ForeignKey(
        Search, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who is running it (screening/identification/import_jobs.py): only the lease holder can mark it
    # done, so a worker taken for dead that wakes up again rolls its import back. A running job
    # whose heartbeat is older than IMPORT_JOB_STALE_SECONDS lost its worker: the sweeper queues it
    # again.
    lease = models.CharField(max_length=40, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = InReviewManager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="import_job_status_beat")]

    def __str__(self) -> str:
        return f"Import of {self.file_name} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("screening:import-job", args=[self.review.slug, self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in JobStatus.finished()


class PubmedJob(models.Model):
    """A PubMed query or PMID list on its way in, run in the background in committed steps:
    search (the PMIDs), fetch (a batch at a time, staged as files), import (one transaction).
    A job whose worker died is carried on from its last committed step."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="pubmed_jobs")
    method = models.CharField(max_length=20, choices=SearchMethod.choices)
    source_name = models.CharField(max_length=200, default="PubMed")
    query = models.TextField(blank=True)
    requested_pmids = models.JSONField(default=list, blank=True)  # a PMID list's PMIDs
    # Set for a re-run from the start; for a first run, when its import makes the search.
    search = models.ForeignKey(
        Search, null=True, blank=True, on_delete=models.SET_NULL, related_name="pubmed_jobs"
    )
    run = models.ForeignKey(
        SearchRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scheduled = models.BooleanField(default=False)
    # A form's one-off token: a double click or a retried request makes one job.
    submission_token = models.CharField(max_length=64, null=True, blank=True, unique=True)

    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED)
    phase = models.CharField(max_length=20, choices=PubmedPhase.choices, default=PubmedPhase.SEARCH)
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    # What the search phase found: every PMID, and those to fetch (not yet in the search).
    result_count = models.PositiveIntegerField(null=True, blank=True)
    query_translation = models.TextField(blank=True)
    warnings = models.JSONField(default=list, blank=True)
    pmids = models.JSONField(default=list, blank=True)
    to_fetch = models.JSONField(default=list, blank=True)
    fetched = models.PositiveIntegerField(default=0)  # how many of to_fetch are staged
    staged = models.JSONField(default=list, blank=True)  # the committed batch files, in order
    unknown = models.JSONField(default=list, blank=True)  # fetched for, but PubMed has none
    stats = models.JSONField(default=dict, blank=True)
    # Who is running it: a runner writes only while the lease is its own, so a worker taken
    # for dead that wakes up again cannot write twice.
    lease = models.CharField(max_length=40, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = InReviewManager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="pubmed_job_status_beat")]

    def __str__(self) -> str:
        what = self.query[:60] if self.query else f"{len(self.requested_pmids)} PMIDs"
        return f"PubMed job {self.pk}: {what} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("screening:pubmed-job", args=[self.review.slug, self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in JobStatus.finished()

    @property
    def total(self) -> int:
        return len(self.to_fetch)

    @property
    def percent(self) -> int:
        if self.phase == PubmedPhase.FINISHED or (self.total == 0 and self.phase != "search"):
            return 100
        return int(100 * self.fetched / self.total) if self.total else 0
