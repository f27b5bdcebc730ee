import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from references.parsers import read_file
from references.parsers.base import ImportFileError
from screening.constants import FileFormat, Role, SourceKind
from screening.identification.imports import ImportRefused, references_import, source_get_or_create
from screening.identification.parse_process import ParseProcessError
from screening.identification.search_documentation import (
    DocumentationRefused,
    documentation_fields,
)
from screening.identification.transfer import transfer_read
from screening.management.commands._review_arg import review_from_arg, user_from_arg

# The source a file is credited to when --source is not given: what its format says for sure.
DEFAULT_SOURCE = {"pubmed-xml": "PubMed", "medline": "PubMed", "wos": "Web of Science"}


class Command(BaseCommand):
    help = (
        "Import literature files into a review, each as a search of a source. "
        "All the files land, or none of them."
    )

    def add_arguments(self, parser):
        parser.add_argument("review", help="the review's slug or id")
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        parser.add_argument(
            "--source",
            help="source name, e.g. PubMed or Embase (default: PubMed for PubMed XML and MEDLINE, "
            "Web of Science for WoS files, else 'Imported files')",
        )
        parser.add_argument("--kind", choices=SourceKind.values, default=SourceKind.DATABASE)
        parser.add_argument(
            "--format", dest="file_format", choices=["auto", *FileFormat.values], default="auto"
        )
        parser.add_argument(
            "--skip-unreadable",
            action="store_true",
            help="import the readable entries; the unreadable ones are recorded on the search",
        )
        parser.add_argument(
            "--allow-same-file",
            action="store_true",
            help="import a file even if the same bytes were imported into the source before",
        )
        parser.add_argument("--user", help="who ran the search (default: the review's owner)")
        parser.add_argument("--json", action="store_true", help="print one JSON line per file")
        self._add_documentation_arguments(parser)

    def _add_documentation_arguments(self, parser):
        """How the search was run, as PRISMA-S asks (given to every file's search)."""
        group = parser.add_argument_group("how the search was run (PRISMA-S)")
        group.add_argument("--platform", help="e.g. Ovid MEDLINE, Embase.com")
        group.add_argument("--searched-on", metavar="YYYY-MM-DD", help="the date searched")
        group.add_argument("--searched-by", help="who ran the search")
        strategy = group.add_mutually_exclusive_group()
        strategy.add_argument("--strategy", help="the search strategy, exactly as run")
        strategy.add_argument(
            "--strategy-file", type=Path, metavar="FILE", help="a text file of the strategy"
        )
        group.add_argument("--limits", help="limits and filters applied, or 'None'")
        group.add_argument("--notes", help="anything else worth reporting about the search")

    def _documentation(self, options) -> dict:
        """The documentation the options give, checked before anything is imported."""
        details = {
            name: options.get(name)
            for name in ("platform", "searched_on", "searched_by", "strategy", "limits", "notes")
        }
        if options.get("strategy_file"):
            try:
                details["strategy"] = options["strategy_file"].read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as error:
                raise CommandError(f"--strategy-file: {error}") from error
        try:
            return documentation_fields(details)
        except DocumentationRefused as error:
            raise CommandError(f"--searched-on: {error}") from error

    def handle(
        self,
        *args,
        review,
        files,
        source,
        kind,
        file_format,
        skip_unreadable,
        allow_same_file,
        user,
        **options,
    ):
        review = review_from_arg(review)
        if user:
            run_by = user_from_arg(user)
        else:
            owner = review.memberships.filter(role=Role.OWNER).select_related("user").first()
            run_by = owner.user if owner else None
        for path in files:
            if not path.is_file():
                raise CommandError(f"{path}: no such file.")
        details = self._documentation(options)
        results = []
        current = None
        try:
            with transaction.atomic():
                for path in files:
                    current = path
                    source_name = source or self._default_source(path, file_format)
                    src = source_get_or_create(
                        review=review, name=source_name, kind=kind, user=run_by
                    )
                    search = references_import(
                        review=review,
                        source=src,
                        path=path,
                        file_name=path.name,
                        user=run_by,
                        file_format=file_format,
                        skip_unreadable=skip_unreadable,
                        allow_same_file=allow_same_file,
                        search_details=details,
                    )
                    results.append((path, search))
        except (ImportFileError, ImportRefused) as error:
            imported = "" if len(files) == 1 else " Nothing was imported from any of the files."
            raise CommandError(f"{current}: {error}{imported}") from error
        except ParseProcessError as error:  # killed, or out of memory: not the file's fault
            raise CommandError(
                f"{current}: {error} Nothing was imported; run the command again."
            ) from error
        for path, search in results:
            self._decisions_left_behind(path, file_format)
            if options["json"]:
                self.stdout.write(self._json_line(path, search))
            else:
                self.stdout.write(
                    f"{path.name}: {search.get_file_format_display()} into {search.source.name}: "
                    f"{search.entries} entries, {search.records_count} records, "
                    f"{search.references_created} new references, {search.duplicates} duplicates, "
                    f"{search.unreadable} unreadable (search {search.pk})"
                )

    def _decisions_left_behind(self, path: Path, file_format: str) -> None:
        """An export of another tool carries its decisions; this command imports the records
        only (mapping the tool's reviewers to members is a person's choice, made on the upload
        page), and says so rather than drop them silently."""
        reading = transfer_read(path=path, file_format=file_format, file_name=path.name)
        if reading.votes:
            self.stderr.write(
                f"{path.name}: the file carries {len(reading.votes)} decisions from "
                f"{reading.tool}; this command imports its records only. To bring the decisions "
                "in, upload the file on the review's import page, which maps the file's "
                "reviewers to members."
            )

    def _default_source(self, path: Path, file_format: str) -> str:
        detected = read_file(path, format=file_format).format
        return DEFAULT_SOURCE.get(detected, "Imported files")

    def _json_line(self, path: Path, search) -> str:
        return json.dumps(
            {
                "file": str(path),
                "search": search.pk,
                "source": search.source.name,
                "format": search.file_format,
                "entries": search.entries,
                "records": search.records_count,
                "references_created": search.references_created,
                "duplicates": search.duplicates,
                "unreadable": search.unreadable,
                "unreadable_entries": search.unreadable_entries,
            },
            separators=(",", ":"),
            ensure_ascii=False,
        )
