import json
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from screening.prioritisation.config import WARM_UP, described
from screening.prioritisation.model import features
from screening.prioritisation.simulate import priors_for, read_labelled_csv, simulate

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
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, dataset, seed, every, json: bool, **options):  # noqa: A002
        if every < 1:
            raise CommandError("--every is at least 1.")
        try:
            data = read_labelled_csv(dataset)
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read the dataset: {error}") from error
        started = time.perf_counter()
        matrix = features(data.texts)
        features_seconds = time.perf_counter() - started
        priors = priors_for(data.labels, seed)
        result = simulate(data, priors, seed=seed, every=every, matrix=matrix)
        figures = {
            "dataset": str(dataset),
            "seed": seed,
            "priors": list(priors),
            "model": described(),
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


_json = json
