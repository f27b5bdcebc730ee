"""Forms of identification: a file upload, a PubMed query or PMID list, a re-run schedule."""

from django import forms

from screening.constants import FileFormat, SourceKind


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


class PubmedQueryForm(forms.Form):
    query = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        max_length=4000,
        label="PubMed query",
        help_text="As you would type it into PubMed, e.g. ivonescimab AND (lung OR NSCLC). "
        "You see how many records it finds before anything is imported.",
    )
    source_name = forms.CharField(
        max_length=200, initial="PubMed", label="Source", help_text="Usually PubMed."
    )


class PubmedPmidsForm(forms.Form):
    pmids = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        required=False,
        label="PMIDs",
        help_text="One per line, or separated by commas or spaces.",
    )
    file = forms.FileField(required=False, label="…or a file of PMIDs")
    source_name = forms.CharField(max_length=200, initial="PubMed", label="Source")

    MAX_FILE_BYTES = 5 * 1024 * 1024

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        text = data.get("pmids") or ""
        if upload:
            if upload.size > self.MAX_FILE_BYTES:
                raise forms.ValidationError("A file of PMIDs over 5 MB is not a list of PMIDs.")
            try:
                text += "\n" + upload.read().decode("utf-8-sig")
            except UnicodeDecodeError as error:
                raise forms.ValidationError(
                    "The file is not text; give a plain list of PMIDs."
                ) from error
        if not text.strip():
            raise forms.ValidationError("Paste PMIDs or choose a file of them.")
        data["text"] = text
        return data


class ScheduleForm(forms.Form):
    every_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=365,
        label="Re-run every (days)",
        help_text="Empty: never. Runs only where scheduled re-runs are turned on.",
    )
