"""Forms of the label pages and the discussion: what a person types, checked again by the
services (which are the rule)."""

from django import forms

from screening.constants import LabelColour
from screening.models.labels import LABEL_NAME_LENGTH, POST_LENGTH


class LabelForm(forms.Form):
    name = forms.CharField(max_length=LABEL_NAME_LENGTH, label="Name")
    colour = forms.ChoiceField(choices=LabelColour.choices, label="Colour")


class NewLabelForm(LabelForm):
    private = forms.BooleanField(
        required=False,
        label="Private: only I see it",
        help_text="A shared label is the team's: every member sees it and may use it. Whether "
        "a label is private is fixed when it is made.",
    )


class PostForm(forms.Form):
    text = forms.CharField(
        max_length=POST_LENGTH,
        label="Your post",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
