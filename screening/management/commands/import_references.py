import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from references.parsers import read_file
from references.parsers.base import ImportFileError
from screening.constants import FileFormat, Role, SourceKind
from screening.identification.imports import ImportRefused, references_import, source_get_or_create
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
                    )
                    results.append((path, search))
        except (ImportFileError, ImportRefused) as error:
            imported = "" if len(files) == 1 else " Nothing was imported from any of the files."
            raise CommandError(f"{current}: {error}{imported}") from error
        for path, search in results:
            if options["json"]:
                self.stdout.write(self._json_line(path, search))
            else:
                self.stdout.write(
                    f"{path.name}: {search.get_file_format_display()} into {search.source.name}: "
                    f"{search.entries} entries, {search.records_count} records, "
                    f"{search.references_created} new references, {search.duplicates} duplicates, "
                    f"{search.unreadable} unreadable (search {search.pk})"
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
