"""Template filters of the PDF reader (templates/screening/decisions/_pdf_reader.html)."""

import json

from django import template

from screening.decisions.highlight import Highlighter

register = template.Library()


@register.filter
def highlight_terms_json(highlighter) -> str:
    """The review's include and exclude terms as JSON, for a data attribute that
    static/js/pdf-reader.js reads to mark them in a PDF's text (the Content-Security-Policy
    allows no inline script to hand them over). Django escapes it into the attribute."""
    if not isinstance(highlighter, Highlighter):
        return ""
    return json.dumps({"include": list(highlighter.include), "exclude": list(highlighter.exclude)})
