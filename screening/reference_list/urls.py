"""URLs of this feature; screening/urls.py gathers them under the "screening" namespace."""

from django.urls import path

from screening.reference_list import views

urlpatterns = [
    path("r/<slug:slug>/references/", views.reference_list, name="reference-list"),
    path("r/<slug:slug>/references/remove/", views.reference_remove, name="reference-remove"),
    path(
        "r/<slug:slug>/references/labels/",
        views.reference_label_bulk,
        name="reference-label-bulk",
    ),
    path("r/<slug:slug>/references/<int:pk>/", views.reference_detail, name="reference-detail"),
]
