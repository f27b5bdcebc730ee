"""Requests per person (a token or a session) and per address (anyone not logged in: only the
schema answers them), at the rates of REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]. Read at each
request rather than when Django starts, as DRF's own classes do, so a changed setting applies."""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class PerPerson(UserRateThrottle):
    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class PerAddress(AnonRateThrottle):
    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
