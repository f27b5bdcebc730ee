"""Labels a team puts on references, and the discussion thread of each reference.

A label is shared with the team or private to the member who made it. Putting a label on a
reference is a row of its own (who, when), as is each post of a reference's discussion. Both
carry the stage at which the reference was open when they were written: under blind screening
they are hidden from other members while the reference is still open there (VoteView.notes in
screening/permissions/blinding.py, the one rule for what blind screening hides).
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from references.models import Reference
from screening.constants import LabelColour, Stage
from screening.models.reviews import Review
from screening.models.scoped import InReviewManager

LABEL_NAME_LENGTH = 40
POST_LENGTH = 5000


class Label(models.Model):
    """One of a review's labels: shared with the team, or private to `created_by`. Whether it
    is private is fixed when it is made, so a label's uses never change hands."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=LABEL_NAME_LENGTH)
    colour = models.CharField(max_length=10, choices=LabelColour.choices, default=LabelColour.GREY)
    private = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InReviewManager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            # Shared names are unique in the review, private ones among their owner's: a
            # private label never stops a teammate from naming a shared one (which would tell
            # them it exists).
            models.UniqueConstraint(
                Lower("name"),
                "review",
                condition=models.Q(private=False),
                name="label_shared_name_once",
            ),
            models.UniqueConstraint(
                Lower("name"),
                "review",
                "created_by",
                condition=models.Q(private=True),
                name="label_private_name_once",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ReferenceLabel(models.Model):
    """A label put on a reference by one member. Two members may each put the same shared
    label on a reference: under blind screening neither may know of the other's."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="+")
    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="uses")
    reference = models.ForeignKey(Reference, on_delete=models.PROTECT, related_name="+")
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The stage at which the reference was open when the label was put on it ("" if none).
    stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InReviewManager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["label", "reference", "applied_by"], name="label_once_per_member"
            )
        ]
        indexes = [models.Index(fields=["review", "reference"], name="label_use_reference")]

    def __str__(self) -> str:
        return f"{self.label_id} on {self.reference_id} by {self.applied_by_id}"


class Post(models.Model):
    """One post of a reference's discussion. Its author may edit or delete it; every version
    stays in the audit log."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="+")
    reference = models.ForeignKey(Reference, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=POST_LENGTH)
    # The stage at which the reference was open when the post was written or last edited.
    stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    objects = InReviewManager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["review", "reference"], name="post_reference")]

    def __str__(self) -> str:
        return f"Post {self.pk} on {self.reference_id} by {self.author_id}"
