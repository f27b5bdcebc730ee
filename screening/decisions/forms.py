"""Forms of the screening pages: settings, exclusion reasons, resolving a conflict."""

from django import forms

from screening.constants import Verdict
from screening.decisions.highlight import compile_terms, parse_terms
from screening.decisions.review_settings import SETTING_FIELDS
from screening.models import ExclusionReason, Review


class ScreeningSettingsForm(forms.ModelForm):
    class Meta:
        model = Review
        fields = list(SETTING_FIELDS)
        widgets = {
            "criteria": forms.Textarea(attrs={"rows": 6}),
            "highlight_include": forms.Textarea(attrs={"rows": 3}),
            "highlight_exclude": forms.Textarea(attrs={"rows": 3}),
        }

    def clean(self):
        data = super().clean()
        try:
            compile_terms(
                parse_terms(data.get("highlight_include", "")),
                parse_terms(data.get("highlight_exclude", "")),
            )
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error
        return data


class ReasonForm(forms.ModelForm):
    class Meta:
        model = ExclusionReason
        fields = ["label", "stages", "hotkey", "retired"]
        labels = {"hotkey": "Key (1-9)", "retired": "Retired"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hotkey"].widget.attrs.update(min=1, max=9)
        # The settings page edits each reason in one table row, its fields under the column
        # headings and without <label>s: their names for a screen reader.
        for name in ("label", "stages", "hotkey"):
            self.fields[name].widget.attrs["aria-label"] = self.fields[name].label


class ResolveForm(forms.Form):
    verdict = forms.ChoiceField(choices=Verdict.choices)
    reason = forms.ModelChoiceField(queryset=ExclusionReason.objects.none(), required=False)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, review: Review, stage: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].queryset = review.reasons.filter(retired=False)
