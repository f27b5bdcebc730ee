import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from screening.management.commands._review_arg import review_from_arg
from screening.searches.appendix import appendix_build, appendix_markdown
from screening.searches.word import DOCX_AVAILABLE, appendix_docx

FORMATS = ("md", "docx")


class Command(BaseCommand):
    help = (
        "The review's search appendix, as PRISMA 2020 (items 6-7) and PRISMA-S ask: every "
        "search with its database and platform, date searched, strategy exactly as run, limits, "
        "notes and counts, then the PRISMA-S checklist filled in from them and what is still "
        "missing. md (Markdown, to stdout unless --output) or docx (Word; needs --output when "
        "stdout is a terminal)."
    )

    def add_arguments(self, parser):
        parser.add_argument("review", help="the review's slug or id")
        parser.add_argument("--format", choices=FORMATS, default="md")
        parser.add_argument("--output", type=Path, help="write to this file (default: stdout)")

    def handle(self, *args, review, format, output, **options):  # noqa: A002
        review = review_from_arg(review)
        appendix = appendix_build(review)
        if format == "docx":
            if not DOCX_AVAILABLE:
                raise CommandError("python-docx is not installed: ask for --format md.")
            body = appendix_docx(appendix)
        else:
            body = appendix_markdown(appendix)
        if output:
            output.write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))
            self.stderr.write(f"Wrote {output}.")
        elif isinstance(body, bytes):
            if sys.stdout.isatty():
                raise CommandError("DOCX is binary: give --output FILE.")
            self.stdout.flush()
            sys.stdout.buffer.write(body)
        else:
            self.stdout.write(body, ending="")
