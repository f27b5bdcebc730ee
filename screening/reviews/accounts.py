"""Logins and password resets under attack: what a person is told when too many attempts come
from one account or one address.

Failed logins are counted by django-axes (per username and per address, in the database, so
every web process shares the count; settings AXES_*): past LOGIN_FAILURE_LIMIT failures the
account, or the address, is locked for LOGIN_LOCKOUT_MINUTES, even for the right password.
Password reset requests are counted here, in Django's cache, per address and per email. And
"Your account": the person's API token (tokens.py)."""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import PasswordResetView
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from screening.reviews.tokens import api_token_issue, api_token_of

logger = logging.getLogger(__name__)


def _minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_response(
    request: HttpRequest, original_response=None, credentials=None
) -> HttpResponse:
    """Axes calls this when a login is refused for too many failures (settings
    AXES_LOCKOUT_CALLABLE): the login page again, saying why and how long to wait (429)."""
    username = (credentials or {}).get("username", "")
    logger.warning(
        "Login locked out: username %r from %s", username, request.META.get("REMOTE_ADDR")
    )
    form = AuthenticationForm(request, initial={"username": username})
    message = (
        f"Too many failed logins for this account or from this address. Wait {_minutes()} "
        "minutes and try again, or reset your password by email."
    )
    return render(
        request,
        "registration/login.html",
        {"form": form, "next": request.POST.get("next", ""), "locked_out": message},
        status=429,
    )


def _take(bucket: str, limit: int, seconds: int) -> bool:
    """One more request in this bucket: False once `limit` were taken within `seconds`."""
    key = "reset-throttle:" + hashlib.sha256(bucket.encode()).hexdigest()
    cache.add(key, 0, timeout=seconds)
    try:
        return cache.incr(key) <= limit
    except ValueError:  # expired between add and incr: start again
        cache.set(key, 1, timeout=seconds)
        return True


class ThrottledPasswordResetView(PasswordResetView):
    """Django's password reset, refusing (429, in words) past PASSWORD_RESET_LIMIT requests an
    hour from one address or for one email, so that it cannot flood an inbox or probe accounts
    at speed. What it answers otherwise is Django's: the same page whether the email has an
    account or not."""

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        address = self.request.META.get("REMOTE_ADDR", "")
        limit, hour = settings.PASSWORD_RESET_LIMIT, 3600
        # `&`, not `and`: both buckets count every request.
        allowed = _take(f"ip:{address}", limit, hour) & _take(f"email:{email}", limit, hour)
        if not allowed:
            logger.warning("Password reset throttled: %r from %s", email, address)
            form.add_error(
                None,
                "Too many password reset requests for this address or email. Wait an hour "
                "and try again; a link already sent stays valid.",
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


@never_cache  # the answer that shows a new key must not be kept by any cache
@require_http_methods(["GET", "POST"])
def account_page(request: HttpRequest) -> HttpResponse:
    """Your account: whether you have an API token, and a button that makes one (a new one in
    place of the old). The key is on the answer to that button, and never shown again."""
    key = None
    if request.method == "POST":
        token, _ = api_token_issue(user=request.user, regenerate=True)
        key = token.key
    context = {"token": api_token_of(request.user), "key": key}
    return render(request, "screening/reviews/account.html", context)
