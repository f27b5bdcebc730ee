"""Forms of identification: a file upload, a PubMed query or PMID list, a re-run schedule."""

from django import forms

from screening.constants import FileFormat, SourceKind
from screening.identification.search_documentation import DOCUMENTATION_FIELDS, documentation_json
from screening.models import Search


class UploadForm(forms.Form):
    file = forms.FileField(
        label="File",
        help_text="PubMed XML, MEDLINE/.nbib, RIS, Web of Science, BibTeX, EndNote XML, "
        "CSL-JSON or a CSV table, or an export of Rayyan, Covidence or ASReview. "
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


# --- A search's documentation (PRISMA 2020 items 6-7, PRISMA-S) ----------------------------------


class SearchDocumentForm(forms.ModelForm):
    """How a search was run, as PRISMA-S asks: on the upload page (every field optional, kept
    on the import job until the import lands) and on a search's page (where an editor edits it)."""

    class Meta:
        model = Search
        fields = DOCUMENTATION_FIELDS
        widgets = {
            "searched_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "strategy": forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
            "limits": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "platform": "The interface it was searched on, e.g. PubMed, Ovid MEDLINE, "
            "Embase.com, Web of Science Core Collection.",
            "searched_on": "When the search was run in the database (the last run, if several).",
            "searched_by": "Who ran it.",
            "strategy": "Copied and pasted exactly as run, every line.",
            "limits": "Dates, languages, study designs, search filters; or 'None'.",
            "notes": "Anything else worth reporting: databases searched together on one "
            "platform, search peer review (PRESS), a strategy adapted from another review...",
        }

    def details(self) -> dict[str, str]:
        """The cleaned documentation as an import job keeps it (blanks left out)."""
        return documentation_json(self.cleaned_data)


# --- Another tool's decisions: whose they are (transfer_land.py) -------------------------------


class DecisionMappingForm(forms.Form):
    """For each reviewer of the file, the member whose decisions theirs become (several may go
    to one "imported" member); or the records only, without the decisions. Covidence's list,
    if the file's name does not say it."""

    records_only = forms.BooleanField(
        required=False,
        label="Import the records only, without the file's decisions",
    )

    def __init__(self, *args, transfer: dict, members: list[tuple[int, str]], **kwargs):
        initial = kwargs.pop("initial", None) or {}
        super().__init__(*args, **kwargs)
        self.reviewer_names = [r["name"] for r in transfer.get("reviewers", [])]
        mapped = initial.get("reviewers") or {}
        choices = [("", "— choose a member —"), *members]
        for number, name in enumerate(self.reviewer_names):
            self.fields[f"reviewer_{number}"] = forms.TypedChoiceField(
                choices=choices,
                coerce=int,
                required=False,
                empty_value=None,
                label=name,
                initial=mapped.get(name),
            )
        self.fields["records_only"].initial = initial.get("records_only", False)
        if transfer.get("kinds"):
            self.fields["kind"] = forms.ChoiceField(
                choices=[("", "— choose the list —"), *transfer["kinds"]],
                required=False,
                label=f"Which {transfer['tool_label']} list the file is an export of",
                initial=initial.get("kind", transfer.get("kind", "")),
            )

    def reviewer_fields(self):
        return [self[f"reviewer_{n}"] for n in range(len(self.reviewer_names))]

    def mapping(self) -> dict:
        """What the job keeps (ImportJob.decision_mapping)."""
        data = self.cleaned_data
        mapping = {
            "records_only": bool(data.get("records_only")),
            "reviewers": {
                name: data[f"reviewer_{n}"]
                for n, name in enumerate(self.reviewer_names)
                if data.get(f"reviewer_{n}")
            },
        }
        if "kind" in self.fields:
            mapping["kind"] = data.get("kind", "")
        return mapping
