"""Forms of reviews and people: a new review, an invitation."""

from django import forms
from django.utils.text import slugify

from screening.constants import Role
from screening.models import Review


class ReviewCreateForm(forms.Form):
    title = forms.CharField(max_length=300, label="Title")
    slug = forms.SlugField(
        max_length=80,
        label="Short name",
        required=False,
        help_text="Used in links; made from the title if left empty.",
    )
    question = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        label="Review question and eligibility criteria",
    )

    def clean(self):
        data = super().clean()
        slug = slugify(data.get("slug") or data.get("title") or "")[:80]
        if not slug:
            raise forms.ValidationError("Give the review a title made of letters or digits.")
        if Review.objects.filter(slug=slug).exists():
            self.add_error("slug", f"The short name '{slug}' is taken; choose another.")
        data["slug"] = slug
        return data


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.REVIEWER, label="Role")
