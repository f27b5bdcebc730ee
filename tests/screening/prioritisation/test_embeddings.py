"""Sentence embeddings: a real static model (built here, in model2vec's format) loaded from
disk, each record embedded once and kept in the database, read back through a file mapped
from disk, and used by the retrain once they are all there."""

import json

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

from screening.decisions.services import decision_record
from screening.models import Embedding, Ranking
from screening.prioritisation import embedding_model, embeddings, retrain
from screening.prioritisation.model import record_text
from screening.prioritisation.retrain import ranking_retrain
from tests.screening.prioritisation.test_ranking import TA, _reference, ris

WORDS = "ivonescimab bispecific antibody trial lung cancer sourdough bread baking oven flour"


@pytest.fixture
def static_model(tmp_path, settings):
    """A tiny static embedding model saved as model2vec saves one, named by the setting."""
    from model2vec import StaticModel

    vocabulary = {"[PAD]": 0, "[UNK]": 1} | {w: i + 2 for i, w in enumerate(WORDS.split())}
    tokenizer = Tokenizer(models.WordLevel(vocabulary, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    vectors = np.random.default_rng(0).normal(size=(len(vocabulary), 8)).astype(np.float32)
    folder = tmp_path / "tiny-static"
    StaticModel(vectors=vectors, tokenizer=tokenizer).save_pretrained(str(folder))
    settings.PRIORITISATION_EMBEDDING_MODEL = str(folder)
    settings.EMBEDDING_CACHE_DIR = str(tmp_path / "cache")
    embedding_model.model_key.cache_clear()
    embedding_model.load_model.cache_clear()
    yield folder
    embedding_model.model_key.cache_clear()
    embedding_model.load_model.cache_clear()


@pytest.fixture
def small(review, import_text):
    review.reviewers_title_abstract = 1
    review.save()
    import_text(ris(4, 8))
    return review


def test_each_record_is_embedded_once_with_the_models_own_vectors(small, static_model):
    assert embeddings.embeddings_compute(review_id=small.pk) == 12
    assert embeddings.embeddings_compute(review_id=small.pk) == 0  # safe to run twice
    key = embedding_model.model_key(static_model)
    stored = Embedding.objects.filter(model=key)
    assert stored.count() == 12
    one = stored.select_related("reference").first()
    reference = one.reference
    text = record_text(reference.title, reference.abstract)
    expected = embedding_model.encode(static_model, [text])[0]
    assert np.allclose(np.frombuffer(one.vector, dtype="<f4"), expected)
    assert np.isclose(np.linalg.norm(expected), 1.0)


def test_the_retrain_reads_the_vectors_from_a_mapped_file_not_this_processes_memory(
    small, static_model
):
    ids = np.array(sorted(small.items.values_list("reference_id", flat=True)), dtype=np.int64)
    assert embeddings.matrix_for(small, ids) is None  # none computed yet
    embeddings.embeddings_compute(review_id=small.pk)
    matrix = embeddings.matrix_for(small, ids)
    assert isinstance(matrix, np.memmap) and matrix.shape == (12, 8)
    stored = Embedding.objects.get(reference_id=int(ids[3]))
    assert np.array_equal(matrix[3], np.frombuffer(stored.vector, dtype="<f4"))
    features = retrain.features_for(small, ids)
    assert features.rankers == ("tfidf", "lsa", "embedding")
    # The process's cache keeps the TF-IDF and its LSA, never the embeddings.
    assert all(
        not any(isinstance(part, np.memmap) for part in cached)
        for cached in retrain._features.values()
    )


def _one_of_each(review, who):
    """An include and an exclude: enough for the model to start."""
    for title, verdict in (("Ivonescimab", "include"), ("Sourdough", "exclude")):
        decision_record(review=review, reference=_reference(review, title), stage=TA,
                        reviewer=who, verdict=verdict)  # fmt: skip


def test_a_retrain_asks_for_missing_vectors_then_ranks_with_them(small, static_model, owner):
    _one_of_each(small, owner)
    first = ranking_retrain(review_id=small.pk)
    # The first retrain found no vectors: it asked for them (in the tests, at once) and
    # ranked without them.
    assert set(first.ranker_record["picks"]) == {"tfidf", "lsa"}
    assert Embedding.objects.count() == 12
    assert Ranking.objects.get(pk=first.pk).embeddings_requested_at is None
    second = ranking_retrain(review_id=small.pk)
    assert set(second.ranker_record["picks"]) == {"tfidf", "lsa", "embedding"}
    assert second.ranker == "tfidf"  # the warm-up's default leads
    assert len(bytes(second.order_credit)) == len(second.ids)


def test_no_model_means_no_embedding_ranker_and_nothing_asked(small, settings, owner):
    settings.PRIORITISATION_EMBEDDING_MODEL = ""
    _one_of_each(small, owner)
    ranking = ranking_retrain(review_id=small.pk)
    assert set(ranking.ranker_record["picks"]) == {"tfidf", "lsa"}
    assert not Embedding.objects.exists() and ranking.embeddings_requested_at is None


def test_a_folder_without_a_model_is_refused_in_words(small, tmp_path, settings):
    settings.PRIORITISATION_EMBEDDING_MODEL = str(tmp_path / "empty")
    (tmp_path / "empty").mkdir()
    embedding_model.model_key.cache_clear()
    with pytest.raises(CommandError, match="No embedding model in"):
        call_command("compute_embeddings", small.slug)
    settings.PRIORITISATION_EMBEDDING_MODEL = ""
    with pytest.raises(CommandError, match="PRIORITISATION_EMBEDDING_MODEL is not set"):
        call_command("compute_embeddings", small.slug)


def test_the_command_embeds_a_review_by_its_slug(small, static_model, capsys):
    call_command("compute_embeddings", small.slug)
    assert "12 records embedded" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No review 'nope'"):
        call_command("compute_embeddings", "nope")


def test_simulate_screening_reports_the_rankers_of_each_retrain(data_path, static_model, capsys):
    dataset = str(data_path / "labelled/two_topics.csv")
    call_command("simulate_screening", dataset, "--json")  # the setting's model
    figures = json.loads(capsys.readouterr().out)
    assert figures["embedding_model"] == str(static_model) and figures["ranker"] == "auto"
    assert figures["retrains"] == len(figures["rankers"]) > 0
    first = figures["rankers"][0]
    assert first["ranker"] == "tfidf" and set(first["picks"]) == {"tfidf", "lsa", "embedding"}
    assert "on each of 3 feature sets" in figures["model"]
    call_command("simulate_screening", dataset, "--ranker", "lsa", "--json")
    alone = json.loads(capsys.readouterr().out)
    assert {r["ranker"] for r in alone["rankers"]} == {"lsa"}
    call_command("simulate_screening", dataset, "--embedding-model", "none")
    out = capsys.readouterr().out
    assert "Records placed by each ranker: tfidf" in out and "embedding" not in out
    with pytest.raises(CommandError, match="needs an embedding model"):
        call_command("simulate_screening", dataset, "--ranker", "embedding",
                     "--embedding-model", "none")  # fmt: skip
