"""The retrieval form: a PDF, a link, or the reason it could not be retrieved."""

from django import forms

from screening.constants import FullTextStatus


class FullTextForm(forms.Form):
    status = forms.ChoiceField(choices=FullTextStatus.choices, initial=FullTextStatus.RETRIEVED)
    file = forms.FileField(required=False, label="PDF")
    url = forms.URLField(required=False, label="Link", max_length=1000, assume_scheme="https")
    reason = forms.CharField(required=False, max_length=300, label="Why not retrieved")


class _MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class _MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe): a list of uploads."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", _MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple) and data:
            return [single(item, initial) for item in data]
        return [single(data or None, initial)]  # none chosen: the field's "required" error


class BulkUploadForm(forms.Form):
    files = _MultipleFileField(
        label="PDFs, or zips of PDFs",
        error_messages={"required": "Choose the PDFs (or a zip of them) to upload."},
    )


DO_NOT_ATTACH = ""


class BulkConfirmForm(forms.Form):
    """A select for each file of a batch: the waiting reference it is attached to, or none.
    Each starts at the reference proposed for the file, if that one is still waiting."""

    def __init__(self, *args, batch, references, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(DO_NOT_ATTACH, "Do not attach")] + [
            (str(ref.pk), _label(ref)) for ref in references
        ]
        waiting = {ref.pk for ref in references}
        for file in batch.files:
            proposed = file.reference_id if file.reference_id in waiting else None
            self.fields[self.field_name(file)] = forms.ChoiceField(
                choices=choices,
                required=False,
                label=file.name,
                initial=str(proposed) if proposed else DO_NOT_ATTACH,
                widget=forms.Select(attrs={"aria-label": f"Reference for {file.name}"}),
            )

    @staticmethod
    def field_name(file) -> str:
        return f"file-{file.index}"

    def choices(self, batch) -> dict[int, int | None]:
        """File index -> the reference id chosen for it, None for "do not attach"."""
        chosen = {}
        for file in batch.files:
            value = self.cleaned_data.get(self.field_name(file)) or DO_NOT_ATTACH
            chosen[file.index] = int(value) if value != DO_NOT_ATTACH else None
        return chosen


def _label(reference) -> str:
    """A reference as its option reads: its title, then its PMID or DOI to tell it apart."""
    ids = [f"PMID {reference.pmid}" if reference.pmid else "", reference.doi]
    ids = [i for i in ids if i]
    title = reference.title or "(no title)"
    if len(title) > 110:
        title = title[:109] + "…"
    return f"{title} ({', '.join(ids)})" if ids else title
