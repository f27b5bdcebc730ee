"""How a view runs an action a person asked for (screening/permissions/actions.py): the sentence
of a success, a refusal as an error, a 404 for an action that does not exist, and the redirect
either way."""

from __future__ import annotations

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse

from screening.constants import JobStatus
from screening.decisions.services import ScreeningRefused
from screening.identification.imports import ImportRefused
from screening.models import ImportJob
from screening.permissions.actions import attempt, run_action
from screening.permissions.refusals import Refused


@pytest.fixture
def request_():
    request = RequestFactory().post("/")
    request._messages = CookieStorage(request)
    return request


def shown(request) -> list[tuple[int, str]]:
    return [(message.level, message.message) for message in get_messages(request)]


def refuse(error: Exception):
    def do():
        raise error

    return do


# --- attempt ---------------------------------------------------------------------------------


def test_a_success_shows_its_sentence(request_):
    assert attempt(request_, lambda: "Done.") is True
    assert shown(request_) == [(messages.SUCCESS, "Done.")]


def test_a_success_shows_its_sentence_at_the_level_asked_for(request_):
    assert attempt(request_, lambda: "Queued.", level=messages.INFO) is True
    assert shown(request_) == [(messages.INFO, "Queued.")]


def test_a_success_without_a_sentence_shows_nothing(request_):
    assert attempt(request_, lambda: None) is True
    assert shown(request_) == []


@pytest.mark.parametrize("kind", [ScreeningRefused, ImportRefused, Refused])
def test_a_refusal_becomes_its_sentence_as_an_error(request_, kind):
    assert issubclass(kind, Refused)
    ok = attempt(request_, refuse(kind("Not now: the sample is open.")), level=messages.INFO)
    assert ok is False
    assert shown(request_) == [(messages.ERROR, "Not now: the sample is open.")]


def test_a_validation_error_shows_its_messages_as_one_error(request_):
    error = ValidationError(["This pair is merged.", "Undo the merge first."])
    assert attempt(request_, refuse(error)) is False
    assert shown(request_) == [(messages.ERROR, "This pair is merged. Undo the merge first.")]


def test_any_other_error_is_not_swallowed(request_):
    with pytest.raises(KeyError):
        attempt(request_, refuse(KeyError("role")))
    assert shown(request_) == []


# --- run_action ------------------------------------------------------------------------------


def test_an_unknown_action_is_a_404_and_runs_nothing(request_):
    ran = []
    handlers = {"merge": lambda: ran.append("merge") or "Merged."}
    with pytest.raises(Http404, match="No such action."):
        run_action(request_, "explode", handlers)
    assert ran == [] and shown(request_) == []


def test_the_named_action_runs_and_only_it(request_):
    ran = []
    handlers = {
        "merge": lambda: ran.append("merge") or "Merged.",
        "reject": lambda: ran.append("reject") or "Rejected.",
    }
    assert run_action(request_, "reject", handlers, level=messages.INFO) is True
    assert ran == ["reject"]
    assert shown(request_) == [(messages.INFO, "Rejected.")]


# --- through a view: an import job's actions ---------------------------------------------------


def _post(client, job, action):
    return client.post(
        reverse("screening:import-job-action", args=[job.review.slug, job.pk, action])
    )


@pytest.mark.django_db
def test_a_view_answers_an_unknown_action_with_404(client_reviewer, job):
    assert _post(client_reviewer, job, "explode").status_code == 404
    assert ImportJob.objects.get(pk=job.pk).status == JobStatus.PREVIEWED


@pytest.mark.django_db
def test_a_view_shows_a_refusal_and_still_redirects(client_reviewer, job):
    response = _post(client_reviewer, job, "resume")  # awaiting confirmation: nothing to resume
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert shown(response.wsgi_request) == [
        (messages.ERROR, "The import is awaiting confirmation: nothing to resume.")
    ]
    assert ImportJob.objects.get(pk=job.pk).status == JobStatus.PREVIEWED


@pytest.mark.django_db
def test_a_view_shows_the_sentence_of_a_success(client_reviewer, job):
    response = _post(client_reviewer, job, "cancel")
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert shown(response.wsgi_request) == [
        (messages.INFO, "The file was discarded; nothing of it was imported.")
    ]
    assert ImportJob.objects.get(pk=job.pk).status == JobStatus.CANCELLED
