"""Template filters of the screening app."""

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from screening.highlight import Highlighter

register = template.Library()


@register.filter
def highlight(text, highlighter) -> SafeString:
    """`text` escaped, with the review's include/exclude terms marked.

    Usage: `{{ reference.title|highlight:highlighter }}`. Anything but a Highlighter (None, or
    the empty string a template gets for a missing variable) means no highlighting. The text
    is always escaped, even if already marked safe, so both branches give the same HTML.
    """
    text = "" if text is None else str(text)
    if not isinstance(highlighter, Highlighter):
        return escape(text)
    return mark_safe(highlighter.html(text))  # Highlighter.html escapes the text
