"""Screening through the API: a decision posted (checked field by field, in words, before the
service that the screening page calls records it), a reviewer's own decisions, and their queue."""

from __future__ import annotations

from rest_framework import serializers

from screening.constants import ItemState, Stage, Verdict
from screening.models import ExclusionReason, Review, ScreeningItem

from .serializers import DecisionOut

SCREENED = [(stage, Stage(stage).label) for stage in Stage.screened()]
STAGE_WORDS = " or ".join(Stage.screened())
NOT_A_VERDICT = "'{input}' is not a decision: include, exclude or maybe."


def stage_field(**kwargs) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=SCREENED,
        error_messages={
            "invalid_choice": f"'{{input}}' is not a screening stage: {STAGE_WORDS}.",
        },
        **kwargs,
    )


class StageQuery(serializers.Serializer):
    """?stage= of the queue and of "my decisions"."""

    stage = stage_field(default=Stage.TITLE_ABSTRACT)


class MyDecisionQuery(StageQuery):
    verdict = serializers.ChoiceField(
        choices=Verdict.choices,
        required=False,
        error_messages={"invalid_choice": NOT_A_VERDICT},
    )
    reason = serializers.IntegerField(required=False, help_text="An exclusion reason's id.")
    q = serializers.CharField(required=False, help_text="Words of the title or abstract.")


class DecisionIn(serializers.Serializer):
    """A vote, as the screening page's form sends it. `token` is that form's one-off token: the
    same token sent again records nothing more and answers the decision it recorded."""

    reference = serializers.IntegerField(min_value=1, help_text="The reference's id.")
    stage = stage_field()
    verdict = serializers.ChoiceField(
        choices=Verdict.choices,
        error_messages={"invalid_choice": NOT_A_VERDICT},
    )
    reason = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="An exclusion reason's id (the review's exclusion_reasons): with exclude only; "
        "required at full text, and at title and abstract if the review says so.",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)
    token = serializers.RegexField(
        r"^[A-Za-z0-9_.:-]{8,64}$",
        help_text="A unique string of 8 to 64 letters, digits, '-', '_', '.' or ':' (a UUID) "
        "per decision you mean to make; sending it again does not vote twice.",
        error_messages={
            "invalid": "Send a token of 8 to 64 letters, digits, '-', '_', '.' or ':' (a UUID): "
            "one per decision, so that sending it twice records it once."
        },
    )

    def validate(self, attrs: dict) -> dict:
        """The reference and the reason must be this review's: said per field, in the
        words of the rules the service applies (Review.reason_required,
        ExclusionReason.usable_at); the service checks them all again when it records."""
        review: Review = self.context["review"]
        stage, verdict = attrs["stage"], attrs["verdict"]
        errors: dict[str, str] = {}
        at_stage = ScreeningItem.objects.in_review(review).filter(
            reference_id=attrs["reference"], stage=stage
        )
        if not at_stage.exists():
            errors["reference"] = (
                f"Reference {attrs['reference']} is not at the "
                f"{Stage(stage).label.lower()} stage of this review."
            )
        reason_id = attrs.get("reason")
        reason = None
        if reason_id is not None:
            reason = ExclusionReason.objects.in_review(review).filter(pk=reason_id).first()
            if reason is None:
                errors["reason"] = f"This review has no exclusion reason {reason_id}."
            elif verdict != Verdict.EXCLUDE:
                errors["reason"] = "A reason goes with an exclusion only."
            elif not reason.usable_at(stage):
                errors["reason"] = (
                    f"The reason '{reason.label}' is not one of this stage's reasons."
                )
        elif verdict == Verdict.EXCLUDE and review.reason_required(stage):
            errors["reason"] = (
                f"Choose the reason for excluding it: this review requires one at the "
                f"{Stage(stage).label.lower()} stage."
            )
        if errors:
            raise serializers.ValidationError(errors)
        attrs["reason"] = reason
        return attrs


class DecisionRecorded(DecisionOut):
    state = serializers.ChoiceField(
        choices=ItemState.choices, help_text="The reference's state at the stage now."
    )


class MyDecisionOut(serializers.Serializer):
    """One of your live votes (your latest on a reference at the stage)."""

    decision = serializers.IntegerField(source="decision_id")
    reference = serializers.IntegerField(source="item.reference_id")
    title = serializers.CharField(source="item.reference.title")
    stage = serializers.CharField()
    verdict = serializers.CharField()
    reason = serializers.IntegerField(source="decision.reason_id", allow_null=True)
    reason_label = serializers.CharField(source="decision.reason_label")
    note = serializers.CharField(source="decision.note")
    state = serializers.CharField(source="item.state")
    decided_at = serializers.DateTimeField(source="decision.created_at")


class QueuePlaceOut(serializers.Serializer):
    kind = serializers.CharField(help_text="sample, model or random: the order that served it")
    position = serializers.IntegerField(allow_null=True)
    total = serializers.IntegerField(allow_null=True)
    version = serializers.IntegerField(help_text="The model's version (0: not trained yet).")
    why = serializers.CharField(help_text="Why random: off, full_text, warm_up or unranked.")


class QueuedReference(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    abstract = serializers.CharField()
    authors = serializers.ListField(child=serializers.CharField())
    journal = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    pmid = serializers.CharField()
    doi = serializers.CharField()
    keywords = serializers.ListField(child=serializers.CharField())
    publication_types = serializers.ListField(child=serializers.CharField())


class QueueNext(serializers.Serializer):
    reference = QueuedReference()
    state = serializers.CharField()
    queue_place = QueuePlaceOut()


class ProgressOut(serializers.Serializer):
    total = serializers.IntegerField()
    mine = serializers.IntegerField(help_text="Your votes at the stage.")
    waiting = serializers.IntegerField()
    conflicts = serializers.IntegerField()
    settled = serializers.IntegerField()
    moved_on = serializers.IntegerField()
    percent = serializers.IntegerField()


class QueueOut(serializers.Serializer):
    """Your screening queue at a stage: the reference the screening page would show you next
    (none when you have voted on every waiting one), and the stage's progress."""

    stage = serializers.CharField()
    next = QueueNext(allow_null=True)
    progress = ProgressOut()
