from django.core.management.base import BaseCommand, CommandError

from screening.models import Review
from screening.prioritisation.embeddings import (
    EmbeddingModelMissing,
    embeddings_compute,
    model_path,
)


class Command(BaseCommand):
    help = (
        "Compute the sentence embeddings of a review's records that have none yet, with the "
        "model PRIORITISATION_EMBEDDING_MODEL names (the background task runs this). Safe to "
        "run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("review", help="the review's id or slug")

    def handle(self, *args, review: str, **options):
        if model_path() is None:
            raise CommandError("No embedding model: PRIORITISATION_EMBEDDING_MODEL is not set.")
        found = Review.objects.filter(slug=review).first() or (
            Review.objects.filter(pk=int(review)).first() if review.isdigit() else None
        )
        if found is None:
            raise CommandError(f"No review {review!r}.")
        try:
            count = embeddings_compute(review_id=found.pk)
        except EmbeddingModelMissing as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{found.slug}: {count:,} records embedded.")
