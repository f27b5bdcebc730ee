"""Template filters of the screening app."""

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from screening.decisions.highlight import Highlighter

register = template.Library()


@register.filter
def highlight(text, highlighter) -> SafeString:
    """`text` escaped, with the review's include/exclude terms marked.

    Usage: `{{ reference.title|highlight:highlighter }}`, with `highlighter` from
    `compile_terms`: None (no terms) means no highlighting. The view must always put
    `highlighter` in the context: Django raises VariableDoesNotExist for a missing filter
    argument. The text is always escaped, even if marked safe, so both branches agree.
    """
    text = "" if text is None else str(text)
    if not isinstance(highlighter, Highlighter):
        return escape(text)
    return mark_safe(highlighter.html(text))  # Highlighter.html escapes the text


@register.filter
def stage_slug(stage: str) -> str:
    """A stage as it appears in URLs: title_abstract -> title-abstract."""
    return str(stage).replace("_", "-")


@register.filter
def percent(value) -> str:
    """A share as a whole percentage: 0.9612 -> "96%" (empty for None)."""
    if value is None:
        return ""
    return f"{100 * float(value):.0f}%"
