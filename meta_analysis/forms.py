"""The form that defines an analysis (its choices of subgroup are the review's own)."""

from __future__ import annotations

from django import forms

from .inputs import subgroup_choices
from .models import Analysis

FIELDS = [
    "outcome", "comparison", "measure", "model", "method", "hksj", "benefit", "subgroup_by",
    "convert_medians", "note",
]  # fmt: skip


class AnalysisForm(forms.ModelForm):
    subgroup_by = forms.ChoiceField(label="Subgroups by", required=False)

    class Meta:
        model = Analysis
        fields = FIELDS
        widgets = {
            "outcome": forms.TextInput(attrs={"list": "analysis-outcomes"}),
            "note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, review, editable: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subgroup_by"].choices = subgroup_choices(review)
        self.fields["method"].help_text = (
            "Fixed effect: inverse variance or Mantel-Haenszel. Random effects: "
            "DerSimonian-Laird, Paule-Mandel or REML for tau²."
        )
        if not editable:
            for field in self.fields.values():
                field.disabled = True

    def _post_clean(self) -> None:
        """The service validates (the model's clean() and the review's rules) and saves."""
