"""URLs of this feature; screening/urls.py gathers them under the "screening" namespace."""

from django.urls import path

from screening.labels import notes_views, views

urlpatterns = [
    path("r/<slug:slug>/labels/", views.label_list, name="label-list"),
    path("r/<slug:slug>/labels/<int:pk>/", views.label_edit, name="label-edit"),
    path("r/<slug:slug>/labels/<int:pk>/delete/", views.label_delete_view, name="label-delete"),
    path(
        "r/<slug:slug>/references/<int:pk>/notes/",
        notes_views.reference_notes_view,
        name="reference-notes",
    ),
    path(
        "r/<slug:slug>/references/<int:pk>/labels/",
        notes_views.reference_label,
        name="reference-label",
    ),
    path(
        "r/<slug:slug>/references/<int:pk>/posts/",
        notes_views.post_create_view,
        name="post-create",
    ),
    path("r/<slug:slug>/posts/<int:pk>/", notes_views.post_edit_view, name="post-edit"),
    path("r/<slug:slug>/posts/<int:pk>/delete/", notes_views.post_delete_view, name="post-delete"),
]
