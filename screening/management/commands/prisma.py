import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from screening.management.commands._review_arg import review_from_arg
from screening.prisma.counts import as_json, csv_text, prisma_report
from screening.prisma.svg import render_pdf, render_png, render_svg

FORMATS = ("json", "csv", "svg", "png", "pdf")


class Command(BaseCommand):
    help = (
        "The review's PRISMA 2020 counts or flow diagram: json (the PRISMA2020 package's field "
        "names), csv (its PRISMA.csv template filled in), or the diagram as svg, png or pdf. "
        "Exits 1 if the counts do not reconcile, listing the references involved."
    )

    def add_arguments(self, parser):
        parser.add_argument("review", help="the review's slug or id")
        parser.add_argument("--format", choices=FORMATS, default="json")
        parser.add_argument("--output", type=Path, help="write to this file (default: stdout)")

    def handle(self, *args, review, format, output, **options):  # noqa: A002
        review = review_from_arg(review)
        report = prisma_report(review)
        if report.errors:
            lines = [f"The PRISMA numbers of '{review.slug}' do not reconcile:"]
            for error in report.errors:
                refs = ", ".join(map(str, error.references[:20]))
                lines.append(f"  {error.rule}: {error.left} != {error.right}; references: {refs}")
            lines.append("screening_state --check finds what the cache got wrong.")
            raise CommandError("\n".join(lines))
        if format == "json":
            body = json.dumps(as_json(report), indent=2, ensure_ascii=False) + "\n"
        elif format == "csv":
            body = csv_text(report)
        else:
            svg = render_svg(report)
            body = {"svg": svg, "png": None, "pdf": None}[format]
            if body is None:
                try:
                    body = render_png(svg) if format == "png" else render_pdf(svg)
                except OSError as error:  # no cairo library on this machine
                    raise CommandError(
                        f"PNG and PDF are drawn with cairo, which is not installed here "
                        f"({error}). Install it (Debian: apt-get install libcairo2), or ask for "
                        "--format svg."
                    ) from error
        if output:
            output.write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))
            self.stderr.write(f"Wrote {output}.")
        elif isinstance(body, bytes):
            if sys.stdout.isatty():
                raise CommandError(f"{format.upper()} is binary: give --output FILE.")
            self.stdout.flush()
            sys.stdout.buffer.write(body)
        else:
            self.stdout.write(body, ending="")
