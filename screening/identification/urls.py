"""URLs of this feature; screening/urls.py gathers them under the "screening" namespace."""

from django.urls import path

from screening.identification import pubmed_views, views

urlpatterns = [
    path("r/<slug:slug>/import/", views.import_upload, name="import-upload"),
    path("r/<slug:slug>/import/<int:pk>/", views.import_job_detail, name="import-job"),
    path(
        "r/<slug:slug>/import/<int:pk>/<str:action>/",
        views.import_job_action,
        name="import-job-action",
    ),
    path("r/<slug:slug>/searches/", pubmed_views.search_list, name="search-list"),
    path("r/<slug:slug>/searches/<int:pk>/", pubmed_views.search_detail, name="search-detail"),
    path("r/<slug:slug>/searches/<int:pk>/rerun/", pubmed_views.search_rerun, name="search-rerun"),
    path(
        "r/<slug:slug>/searches/<int:pk>/document/",
        pubmed_views.search_document,
        name="search-document",
    ),
    path(
        "r/<slug:slug>/searches/<int:pk>/schedule/",
        pubmed_views.search_schedule,
        name="search-schedule",
    ),
    path("r/<slug:slug>/pubmed/", pubmed_views.pubmed_search, name="pubmed-search"),
    path("r/<slug:slug>/pubmed/jobs/<int:pk>/", pubmed_views.pubmed_job_detail, name="pubmed-job"),
    path(
        "r/<slug:slug>/pubmed/jobs/<int:pk>/<str:action>/",
        pubmed_views.pubmed_job_action,
        name="pubmed-job-action",
    ),
    path("r/<slug:slug>/duplicates/", views.duplicate_list, name="duplicate-list"),
    path(
        "r/<slug:slug>/duplicates/<int:pk>/<str:action>/",
        views.duplicate_action,
        name="duplicate-action",
    ),
]
