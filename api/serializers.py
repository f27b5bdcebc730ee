"""What the API answers, field by field (the schema at /api/schema/ is made from these). Each
reads objects the views got through the pages' own selectors: a serializer never queries for
more than it is given, so what it shows is what the blinding rule let through."""

from __future__ import annotations

from rest_framework import serializers

from screening.constants import SourceKind

# --- Reviews ---------------------------------------------------------------------------------


class ReviewSummary(serializers.Serializer):
    """A review the person belongs to, read from their membership."""

    slug = serializers.SlugField(source="review.slug")
    title = serializers.CharField(source="review.title")
    role = serializers.CharField(help_text="owner, reviewer or viewer")
    created_at = serializers.DateTimeField(source="review.created_at")


class ExclusionReasonOut(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    stages = serializers.CharField(help_text="both, title_abstract or full_text")
    hotkey = serializers.IntegerField(allow_null=True)
    retired = serializers.BooleanField()


class ReviewSettings(serializers.Serializer):
    blind = serializers.BooleanField()
    reviewers_title_abstract = serializers.IntegerField()
    reviewers_full_text = serializers.IntegerField()
    reason_required_title_abstract = serializers.BooleanField()
    full_text_reasons_conflict = serializers.BooleanField()


class ReviewDetail(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()
    question = serializers.CharField()
    criteria = serializers.CharField()
    created_at = serializers.DateTimeField()
    role = serializers.CharField()
    resolves = serializers.BooleanField(help_text="Whether you settle conflicts here.")
    settings = ReviewSettings()
    counts = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="records, duplicates, references, proposed_pairs (the review home's figures)",
    )
    stages = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()),
        help_text="{stage: {state: n}}: how many references are in each state at each stage",
    )
    exclusion_reasons = ExclusionReasonOut(many=True)


# --- Sources and searches --------------------------------------------------------------------


class SourceOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=SourceKind.choices)
    column = serializers.SerializerMethodField(help_text="The PRISMA column its records go in.")
    searches = serializers.IntegerField(source="search_count")

    def get_column(self, source) -> str:
        return "other methods" if source.is_other_method else "databases and registers"


class SearchOut(serializers.Serializer):
    id = serializers.IntegerField()
    source = serializers.CharField(source="source.name")
    source_kind = serializers.CharField(source="source.kind")
    method = serializers.CharField()
    query = serializers.CharField()
    run_at = serializers.DateTimeField()
    run_by = serializers.CharField(source="run_by.username", allow_null=True, default=None)
    file_name = serializers.CharField()
    file_sha256 = serializers.CharField()
    file_format = serializers.CharField()
    entries = serializers.IntegerField()
    records = serializers.IntegerField(source="records_count")
    references_created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    unreadable = serializers.IntegerField()
    platform = serializers.CharField()
    searched_on = serializers.DateField(allow_null=True)
    strategy = serializers.CharField()
    limits = serializers.CharField()


# --- References and their screening ------------------------------------------------------------


class VoteOut(serializers.Serializer):
    """A live vote the member may see (through the blinding rule)."""

    reviewer = serializers.CharField(source="reviewer.username")
    verdict = serializers.CharField()


class StageOut(serializers.Serializer):
    """A reference at one stage: its state, the outcome once settled, and the votes the member
    may see (none of another reviewer's while the review is blind and the member has not voted
    there, unless the reference is settled)."""

    stage = serializers.CharField(source="item.stage")
    state = serializers.CharField(source="item.state")
    verdict = serializers.CharField(source="item.verdict", help_text="Once settled.")
    reason = serializers.CharField(source="item.reason.label", allow_null=True, default=None)
    resolved = serializers.BooleanField(source="item.resolved")
    resolver = serializers.CharField(help_text="Who settled its conflict, if anyone did.")
    votes = VoteOut(many=True)


class ReferenceRow(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    authors = serializers.ListField(child=serializers.CharField())
    journal = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    pmid = serializers.CharField()
    doi = serializers.CharField()
    records = serializers.IntegerField(source="record_count")
    screening = StageOut(many=True)


class RecordOut(serializers.Serializer):
    search = serializers.IntegerField(source="search_id")
    source = serializers.CharField(source="search.source.name")
    position = serializers.IntegerField()
    pmid = serializers.CharField()
    duplicate_rule = serializers.CharField()


class DecisionOut(serializers.Serializer):
    """One entry of the decision log."""

    id = serializers.IntegerField()
    reference = serializers.IntegerField(source="reference_id")
    stage = serializers.CharField()
    kind = serializers.CharField(help_text="vote, retract, resolution or reopen")
    verdict = serializers.CharField()
    reason = serializers.IntegerField(source="reason_id", allow_null=True)
    reason_label = serializers.CharField()
    note = serializers.CharField()
    reviewer = serializers.CharField(source="reviewer.username")
    supersedes = serializers.IntegerField(source="supersedes_id", allow_null=True)
    created_at = serializers.DateTimeField()


class ReferenceDetail(ReferenceRow):
    abstract = serializers.CharField()
    volume = serializers.CharField()
    issue = serializers.CharField()
    pages = serializers.CharField()
    pmcid = serializers.CharField()
    registry_ids = serializers.ListField(child=serializers.CharField())
    publication_types = serializers.ListField(child=serializers.CharField())
    mesh_terms = serializers.ListField(child=serializers.CharField())
    keywords = serializers.ListField(child=serializers.CharField())
    language = serializers.CharField()
    # The records themselves, where the list gives their count.
    records = RecordOut(many=True, source="records_in_review")
    decisions = DecisionOut(
        many=True, help_text="The decisions on it you may see, oldest first (its history)."
    )
    votes_hidden = serializers.BooleanField(
        help_text="Whether others' votes on it are hidden from you (blind screening)."
    )
