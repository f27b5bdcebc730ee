"""The retrieval form: a PDF, a link, or the reason it could not be retrieved."""

from django import forms

from screening.constants import FullTextStatus


class FullTextForm(forms.Form):
    status = forms.ChoiceField(choices=FullTextStatus.choices, initial=FullTextStatus.RETRIEVED)
    file = forms.FileField(required=False, label="PDF")
    url = forms.URLField(required=False, label="Link", max_length=1000, assume_scheme="https")
    reason = forms.CharField(required=False, max_length=300, label="Why not retrieved")
