import json
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from screening.prioritisation import rankers
from screening.prioritisation.config import WARM_UP, described
from screening.prioritisation.embedding_model import EmbeddingModelMissing, encode, model_path
from screening.prioritisation.model import features
from screening.prioritisation.simulate import AUTO, priors_for, read_labelled_csv, simulate

LABELS = {
    "wss_95": "WSS@95 (%)",
    "tnr_95": "TNR@95 (%)",
    "recall_10": "Recall after 10% screened (%)",
    "atd": "Average time to discovery (% of records)",
    "n_95": "Records screened to find 95% of relevant",
    "n_100": "Records screened to find all relevant",
    "retrain_ms_mean": "Retrain + re-rank, mean (ms)",
    "retrain_ms_max": "Retrain + re-rank, slowest (ms)",
}


class Command(BaseCommand):
    help = (
        "Replay a labelled review (CSV with title, abstract, and label_included or included) "
        "through the prioritisation model, from one relevant and one irrelevant record picked "
        "by the seed, and print WSS@95, TNR@95, recall after 10%, average time to discovery, "
        "records to 95% and 100% recall, and the retrain time. Nothing is written to the "
        "database."
    )

    def add_arguments(self, parser):
        parser.add_argument("dataset", help="the labelled CSV")
        parser.add_argument("--seed", type=int, default=1, help="picks the prior records")
        parser.add_argument(
            "--every",
            type=int,
            default=settings.RANKING_RETRAIN_EVERY,
            help="records between retrains after the warm-up (default: the app's setting)",
        )
        parser.add_argument(
            "--ranker",
            choices=[AUTO, *rankers.RANKERS],
            default=AUTO,
            help="auto (default, as the app): the chooser picks per review; or one ranker",
        )
        parser.add_argument(
            "--embedding-model",
            default=None,
            help="folder of a static embedding model (default: PRIORITISATION_EMBEDDING_MODEL; "
            "'none' for no embeddings)",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, dataset, seed, every, ranker, embedding_model, json, **options):  # noqa: A002
        if every < 1:
            raise CommandError("--every is at least 1.")
        try:
            data = read_labelled_csv(dataset)
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read the dataset: {error}") from error
        folder = _model_folder(embedding_model)
        if ranker == rankers.EMBEDDING and folder is None:
            raise CommandError("The embedding ranker needs an embedding model (--embedding-model).")
        started = time.perf_counter()
        matrix = features(data.texts)
        features_seconds = time.perf_counter() - started
        embedding = None
        if folder is not None and ranker in (AUTO, rankers.EMBEDDING):
            try:
                embedding = encode(folder, data.texts)
            except (EmbeddingModelMissing, OSError, ValueError) as error:
                raise CommandError(f"Cannot use the embedding model: {error}") from error
        priors = priors_for(data.labels, seed)
        result = simulate(
            data, priors, seed=seed, every=every, matrix=matrix, ranker=ranker, embedding=embedding
        )
        figures = {
            "dataset": str(dataset),
            "seed": seed,
            "priors": list(priors),
            "model": described(rankers=_rankers(ranker, embedding)),
            "ranker": ranker,
            "embedding_model": str(folder) if folder else None,
            "every": every,
            **result.summary(),
            "features_ms": round(1000 * features_seconds, 1),
        }
        if json:
            self.stdout.write(_json.dumps(figures, indent=2))
            return
        self.stdout.write(
            f"{dataset}: {figures['records']:,} records after the priors "
            f"({figures['relevant']:,} relevant), seed {seed}, priors {priors[0]} and "
            f"{priors[1]}; {figures['model']}, retrained after every record for the first "
            f"{WARM_UP}, then every {every}."
        )
        for key, label in LABELS.items():
            self.stdout.write(f"  {label}: {figures[key]}")
        retrains = figures["rankers"]
        places = {
            name: sum(r["picks"].get(name, 0) for r in retrains)
            for name in _rankers(ranker, embedding)
        }
        shares = ", ".join(f"{name} {count:,}" for name, count in places.items())
        self.stdout.write(f"  Records placed by each ranker: {shares}")
        if retrains:
            self.stdout.write(f"  Leading ranker at the last retrain: {retrains[-1]['ranker']}")


def _rankers(ranker: str, embedding) -> list[str]:
    if ranker != AUTO:
        return [ranker]
    return [rankers.TFIDF, rankers.LSA] + ([rankers.EMBEDDING] if embedding is not None else [])


def _model_folder(option: str | None) -> Path | None:
    """The embedding model to use: the option's folder, none, or the deployment's."""
    if option == "none":
        return None
    return Path(option) if option else model_path()


_json = json
