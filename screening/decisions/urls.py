"""URLs of this feature; screening/urls.py gathers them under the "screening" namespace."""

from django.urls import path

from screening.decisions import (
    agreement_views,
    conflict_views,
    mine_views,
    settings_views,
    views,
)

urlpatterns = [
    path("r/<slug:slug>/screen/<str:stage_slug>/", views.screen, name="screen"),
    path(
        "r/<slug:slug>/screen/<str:stage_slug>/decide/",
        views.screen_decide,
        name="screen-decide",
    ),
    path(
        "r/<slug:slug>/screen/<str:stage_slug>/undo/",
        views.screen_undo,
        name="screen-undo",
    ),
    path(
        "r/<slug:slug>/screen/<str:stage_slug>/mine/",
        mine_views.my_decision_list,
        name="my-decisions",
    ),
    path(
        "r/<slug:slug>/screen/<str:stage_slug>/find/",
        mine_views.find_in_stage,
        name="screen-find",
    ),
    path("r/<slug:slug>/conflicts/", conflict_views.conflict_list, name="conflict-list"),
    path(
        "r/<slug:slug>/conflicts/<int:pk>/resolve/",
        conflict_views.conflict_resolve_view,
        name="conflict-resolve",
    ),
    path(
        "r/<slug:slug>/references/<int:pk>/reopen/<str:stage_slug>/",
        conflict_views.reference_reopen,
        name="reference-reopen",
    ),
    path("r/<slug:slug>/agreement/", agreement_views.agreement, name="agreement"),
    path("r/<slug:slug>/settings/", settings_views.screening_settings, name="screening-settings"),
]
