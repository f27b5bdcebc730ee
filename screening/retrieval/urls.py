"""URLs of this feature; screening/urls.py gathers them under the "screening" namespace."""

from django.urls import path

from screening.retrieval import bulk_views, views

urlpatterns = [
    path("r/<slug:slug>/retrieval/", views.retrieval_list, name="retrieval-list"),
    path(
        "r/<slug:slug>/retrieval/<int:pk>/",
        views.retrieval_record,
        name="retrieval-record",
    ),
    path("r/<slug:slug>/fulltexts/<int:pk>/", views.fulltext_file, name="fulltext-file"),
    # Bulk upload: a batch waits, under its token, for a person to check and confirm it.
    path("r/<slug:slug>/retrieval/bulk/", bulk_views.bulk_upload, name="retrieval-bulk-upload"),
    path(
        "r/<slug:slug>/retrieval/bulk/<slug:token>/",
        bulk_views.bulk_batch,
        name="retrieval-bulk-batch",
    ),
    path(
        "r/<slug:slug>/retrieval/bulk/<slug:token>/discard/",
        bulk_views.bulk_discard,
        name="retrieval-bulk-discard",
    ),
    path(
        "r/<slug:slug>/retrieval/bulk/<slug:token>/files/<int:pk>/",
        bulk_views.bulk_file,
        name="retrieval-bulk-file",
    ),
]
