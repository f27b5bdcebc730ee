from django import forms
from django.utils.text import slugify

from .constants import FileFormat, Role, SourceKind
from .models import Review


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


class UploadForm(forms.Form):
    file = forms.FileField(
        label="File",
        help_text="PubMed XML, MEDLINE/.nbib, RIS, Web of Science, BibTeX or CSV. "
        "The format is read from the content, not the file name.",
    )
    source_name = forms.CharField(
        widget=forms.TextInput(attrs={"list": "source-names"}),  # the review's sources
        max_length=200,
        label="Source",
        help_text="The database or site it came from: PubMed, Embase…",
    )
    source_kind = forms.ChoiceField(
        choices=SourceKind.choices, initial=SourceKind.DATABASE, label="Kind of source"
    )
    file_format = forms.ChoiceField(
        choices=[("auto", "Detect from the content"), *FileFormat.choices],
        initial="auto",
        label="Format",
    )
    skip_unreadable = forms.BooleanField(
        required=False,
        label="Import the readable entries if some cannot be read (they are listed on the search)",
    )
    allow_same_file = forms.BooleanField(
        required=False, label="Import even if this same file was imported into this source before"
    )
