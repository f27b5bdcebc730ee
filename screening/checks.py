"""System checks for a deployment (`manage.py check --deploy`)."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.compatibility, deploy=True)
def ncbi_contact(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """NCBI asks every E-utilities caller for an email address, and contacts it before blocking
    a tool that misbehaves."""
    if settings.NCBI_EMAIL:
        return []
    return [
        checks.Warning(
            "NCBI_EMAIL is not set: PubMed searches reach NCBI without a contact address.",
            hint="Set NCBI_EMAIL (and NCBI_API_KEY for 10 requests a second instead of 3).",
            id="screening.W001",
        )
    ]
