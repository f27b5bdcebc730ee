"""A review's custom fields: defined by its owners (text, number, choice, date), checked as
JSON Schema, filled on a study's page (a bad value refused in words, the page as typed),
audited, and exported with the study (CSV columns custom_<key>, JSON "custom")."""

from __future__ import annotations

import csv
import html
import io
import json

import pytest
from django.urls import reverse

from extraction.custom_fields import (
    custom_field_delete,
    custom_field_save,
    custom_values_save,
    values_schema,
)
from extraction.models import CustomField, Study
from extraction.services import ExtractionRefused, study_create
from screening.constants import AuditAction
from screening.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields(review, owner):
    made = {}
    for key, label, kind, choices, required in (
        ("funding", "Funding", "choice", "Industry, Public, Mixed", True),
        ("follow_up", "Median follow-up (months)", "number", "", False),
        ("data_cutoff", "Data cut-off", "date", "", False),
        ("sponsor", "Sponsor", "text", "", False),
    ):
        made[key] = custom_field_save(review=review, user=owner, key=key, label=label, kind=kind,
                                      choices=choices, required=required)  # fmt: skip
    return made


@pytest.fixture
def study(review, owner, included):
    return study_create(review=review, user=owner, name="HARMONi-A", reports=[included[2]])


def test_the_schema_says_each_kind(fields):
    schema = values_schema(list(fields.values()))
    assert schema["properties"]["funding"]["enum"] == ["Industry", "Public", "Mixed"]
    assert schema["properties"]["follow_up"]["type"] == "number"
    assert schema["properties"]["data_cutoff"] == {"type": "string", "format": "date",
                                                    "title": "Data cut-off"}  # fmt: skip
    assert schema["required"] == ["funding"] and schema["additionalProperties"] is False


def test_values_are_read_by_kind_checked_and_audited(fields, study, owner):
    typed = {"funding": "Industry", "follow_up": "18,5", "data_cutoff": "2024-01-31",
             "sponsor": " Akeso "}  # fmt: skip
    custom_values_save(study=study, user=owner, typed=typed)
    study.refresh_from_db()
    assert study.custom == {"funding": "Industry", "follow_up": 18.5,
                            "data_cutoff": "2024-01-31", "sponsor": "Akeso"}  # fmt: skip
    event = AuditEvent.objects.filter(action=AuditAction.STUDY_EDIT).latest("id")
    assert event.after == {"custom": study.custom}
    refusals = {
        "follow_up": ("eighteen", "Median follow-up (months): “eighteen” is not a number."),
        "funding": ("Charity", "Funding: choose one of Industry, Public, Mixed."),
        "data_cutoff": ("31/01/2024", "Data cut-off: “31/01/2024” is not a date"),
    }
    for key, (value, said) in refusals.items():
        with pytest.raises(ExtractionRefused, match=said.replace("(", r"\(").replace(")", r"\)")):
            custom_values_save(study=study, user=owner, typed={**typed, key: value})
    with pytest.raises(ExtractionRefused, match="Funding: a value is required."):
        custom_values_save(study=study, user=owner, typed={**typed, "funding": ""})
    study.refresh_from_db()
    assert study.custom["follow_up"] == 18.5  # nothing of a refused save was kept


def test_only_owners_define_fields_and_changes_must_fit_the_values(fields, study, owner, reviewer):
    with pytest.raises(ExtractionRefused, match="Only the review's owners"):
        custom_field_save(review=study.review, user=reviewer, key="x", label="X", kind="text")
    with pytest.raises(ExtractionRefused, match="at least two values"):
        custom_field_save(review=study.review, user=owner, key="y", label="Y", kind="choice",
                          choices="Only one")  # fmt: skip
    custom_values_save(study=study, user=reviewer, typed={"funding": "Mixed"})
    funding = fields["funding"]
    with pytest.raises(ExtractionRefused, match="HARMONi-A's value of “Funding” would not fit"):
        custom_field_save(review=study.review, user=owner, field=funding, key="funding",
                          label="Funding", kind="choice", choices="Industry, Public",
                          required=True)  # fmt: skip
    with pytest.raises(ExtractionRefused, match="its key cannot change"):
        custom_field_save(
            review=study.review, user=owner, field=funding, key="money", label="Funding",
            kind="choice", choices="Industry, Public, Mixed",
        )  # fmt: skip
    with pytest.raises(ExtractionRefused, match="1 study holds a value of “Funding”"):
        custom_field_delete(field=funding, user=owner)
    custom_field_delete(field=fields["sponsor"], user=owner)  # no values: removed
    assert not CustomField.objects.filter(key="sponsor").exists()


def test_the_pages_define_fill_refuse_and_export(fields, study, client_owner, review):
    page = client_owner.get(reverse("extraction:study-detail", args=[review.slug, study.pk]))
    html = page.content.decode()
    assert 'name="custom-funding"' in html and 'type="date"' in html
    url = reverse("extraction:study-custom", args=[review.slug, study.pk])
    refused = client_owner.post(url, {"custom-funding": "Industry", "custom-follow_up": "lots"})
    html = refused.content.decode()
    assert refused.status_code == 200
    assert "Median follow-up (months): “lots” is not a number." in html
    assert 'value="lots"' in html  # as typed
    saved = client_owner.post(url, {"custom-funding": "Public", "custom-follow_up": "12"})
    assert saved.status_code == 302
    assert Study.objects.get(pk=study.pk).custom == {"funding": "Public", "follow_up": 12}
    listed = client_owner.get(reverse("extraction:custom-fields", args=[review.slug]))
    assert "Median follow-up (months)" in listed.content.decode()
    added = client_owner.post(reverse("extraction:custom-fields", args=[review.slug]),
                              {"key": "setting", "label": "Setting", "kind": "text"})  # fmt: skip
    assert added.status_code == 302 and CustomField.objects.filter(key="setting").exists()
    export = reverse("extraction:export", args=[review.slug])
    body = json.loads(client_owner.get(export, {"format": "json"}).content)
    assert body["studies"][0]["custom"] == {"funding": "Public", "follow_up": 12}
    text = client_owner.get(export, {"format": "csv"}).content.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    assert header[-5:] == ["custom_funding", "custom_follow_up", "custom_data_cutoff",
                           "custom_sponsor", "custom_setting"]  # fmt: skip


def test_reviewers_fill_viewers_read(fields, study, client_reviewer, review, client_outsider):
    url = reverse("extraction:study-custom", args=[review.slug, study.pk])
    assert client_reviewer.post(url, {"custom-funding": "Mixed"}).status_code == 302
    fields_url = reverse("extraction:custom-fields", args=[review.slug])
    assert (
        client_reviewer.post(fields_url, {"key": "k", "label": "K", "kind": "text"}).status_code
        == 403
    )
    assert client_outsider.get(fields_url).status_code == 404


def test_the_audit_log_says_what_was_defined_and_filled(fields, study, owner, client_owner, review):
    custom_values_save(study=study, user=owner, typed={"funding": "Public"})
    custom_field_delete(field=fields["sponsor"], user=owner)
    log = html.unescape(
        client_owner.get(reverse("screening:audit-log", args=[review.slug])).content.decode()
    )
    assert "added the studies' custom field ‘Median follow-up (months)’ (number)" in log
    assert "removed the studies' custom field ‘Sponsor’" in log
    assert "edited the study" in log and "Public" in log


def test_empty_huge_and_wrong_kind_input_is_refused_in_words(fields, study, owner):
    with pytest.raises(ExtractionRefused, match="Sponsor: at most 2,000 characters."):
        custom_values_save(study=study, user=owner,
                           typed={"funding": "Public", "sponsor": "x" * 2001})  # fmt: skip
    with pytest.raises(ExtractionRefused, match="The review has no field “nosuch”"):
        custom_values_save(study=study, user=owner, typed={"funding": "Public", "nosuch": "1"})
    with pytest.raises(ExtractionRefused, match="is not a number"):
        custom_values_save(study=study, user=owner,
                           typed={"funding": "Public", "follow_up": "inf"})  # fmt: skip
    with pytest.raises(ExtractionRefused, match="Choose the kind of field"):
        custom_field_save(review=study.review, user=owner, key="k", label="K", kind="colour")
    study.refresh_from_db()
    assert study.custom == {}
