"""Reviews and the people in them."""

from django.conf import settings
from django.db import models
from django.urls import reverse

from screening.constants import EDITOR_ROLES, OWNER_ROLES, Role, Stage
from screening.models.scoped import InReviewManager

REVIEWERS = [(1, "One reviewer"), (2, "Two independent reviewers")]


class Review(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=300)
    question = models.TextField(
        blank=True, help_text="The review question and eligibility criteria."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Screening settings (the owner's). A change applies to decisions made from then on: each
    # decision keeps the rules it was made under, so a settled reference stays settled.
    reviewers_title_abstract = models.PositiveSmallIntegerField(
        "Reviewers per reference at title and abstract", choices=REVIEWERS, default=2
    )
    reviewers_full_text = models.PositiveSmallIntegerField(
        "Reviewers per report at full text", choices=REVIEWERS, default=2
    )
    blind = models.BooleanField(
        "Blind screening",
        default=True,
        help_text="A reviewer sees no one else's decision on a reference until both have decided.",
    )
    reason_required_title_abstract = models.BooleanField(
        "A reason is required to exclude at title and abstract",
        default=False,
        help_text="Always required at full text.",
    )
    full_text_reasons_conflict = models.BooleanField(
        "Two different full-text reasons are a conflict", default=True
    )
    prioritise = models.BooleanField(
        "Order title and abstract screening by predicted relevance",
        default=True,
        help_text="A model learns from the decisions and shows the records most likely to be "
        "relevant first. Off: a random order.",
    )
    criteria = models.TextField(
        "Eligibility criteria", blank=True, help_text="Shown beside every record being screened."
    )
    highlight_include = models.TextField(
        "Terms to highlight as suggesting inclusion",
        blank=True,
        help_text="One per line or comma-separated; * matches any ending, e.g. immuno*.",
    )
    highlight_exclude = models.TextField("Terms to highlight as suggesting exclusion", blank=True)
    # An updated review's PRISMA diagram has a column for the previous version: its two numbers
    # are the only ones a person types in (the diagram marks them so).
    previous_studies = models.PositiveIntegerField(
        "Studies included in the previous version of the review",
        null=True,
        blank=True,
        help_text="For an update only; leave empty for a new review.",
    )
    previous_reports = models.PositiveIntegerField(
        "Reports of studies included in the previous version", null=True, blank=True
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("screening:review-home", args=[self.slug])

    def reviewers_required(self, stage: str) -> int:
        return self.reviewers_full_text if stage == "full_text" else self.reviewers_title_abstract

    def reason_required(self, stage: str) -> bool:
        """Whether excluding at `stage` needs a reason: always at full text; at title and
        abstract if the owner asks for it. The one place of the rule (the service refuses
        without one; the screening page marks the reason as required)."""
        return stage == Stage.FULL_TEXT or self.reason_required_title_abstract


class Membership(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.REVIEWER)
    # Owners resolve conflicts; so does a member the owner designates.
    can_resolve = models.BooleanField("Resolves conflicts", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InReviewManager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["review", "user"], name="membership_once_per_review")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.review}"

    @property
    def can_edit(self) -> bool:
        """An editor (owner or reviewer): imports, screens, judges duplicates, extracts."""
        return self.role in EDITOR_ROLES

    @property
    def can_manage(self) -> bool:
        """An owner: also manages the review, its members and its settings."""
        return self.role in OWNER_ROLES

    @property
    def resolves(self) -> bool:
        return self.can_manage or self.can_resolve


class Invitation(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.REVIEWER)
    token = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InReviewManager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.review}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None
