"""URLs of this feature; screening/urls.py gathers them under the "screening" namespace."""

from django.urls import path

from screening.retrieval import views

urlpatterns = [
    path("r/<slug:slug>/retrieval/", views.retrieval_list, name="retrieval-list"),
    path(
        "r/<slug:slug>/retrieval/<int:pk>/",
        views.retrieval_record,
        name="retrieval-record",
    ),
    path("r/<slug:slug>/fulltexts/<int:pk>/", views.fulltext_file, name="fulltext-file"),
]
