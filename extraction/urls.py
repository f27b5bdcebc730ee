from django.urls import path

from . import export_views, views

app_name = "extraction"

urlpatterns: list = [
    # Studies and their extraction pages (extraction/views.py).
    path("r/<slug:slug>/studies/", views.study_list, name="study-list"),
    path("r/<slug:slug>/studies/new/", views.study_create_view, name="study-create"),
    path("r/<slug:slug>/studies/link/", views.report_link_view, name="report-link"),
    path("r/<slug:slug>/studies/confirm/", views.suggestion_confirm, name="suggestion-confirm"),
    path("r/<slug:slug>/studies/<int:pk>/", views.study_detail, name="study-detail"),
    path("r/<slug:slug>/studies/<int:pk>/delete/", views.study_delete_view, name="study-delete"),
    path(
        "r/<slug:slug>/studies/<int:pk>/reports/<int:link>/<str:action>/",
        views.report_action,
        name="report-action",
    ),
    path("r/<slug:slug>/studies/<int:pk>/arms/new/", views.arm_save, name="arm-create"),
    path("r/<slug:slug>/studies/<int:pk>/arms/<int:row>/", views.arm_save, name="arm-save"),
    path(
        "r/<slug:slug>/studies/<int:pk>/arms/<int:row>/delete/",
        views.arm_delete,
        name="arm-delete",
    ),
    path("r/<slug:slug>/studies/<int:pk>/outcomes/new/", views.outcome_save, name="outcome-create"),
    path(
        "r/<slug:slug>/studies/<int:pk>/outcomes/<int:row>/",
        views.outcome_save,
        name="outcome-save",
    ),
    path(
        "r/<slug:slug>/studies/<int:pk>/outcomes/<int:row>/delete/",
        views.outcome_delete,
        name="outcome-delete",
    ),
    path(
        "r/<slug:slug>/studies/<int:pk>/outcomes/<int:outcome>/arms/<int:arm>/",
        views.result_save,
        name="result-save",
    ),
    path(
        "r/<slug:slug>/studies/<int:pk>/outcomes/<int:outcome>/arms/<int:arm>/delete/",
        views.result_delete,
        name="result-delete",
    ),
    path(
        "r/<slug:slug>/studies/<int:pk>/outcomes/<int:outcome>/comparisons/new/",
        views.comparison_save,
        name="comparison-create",
    ),
    path(
        "r/<slug:slug>/studies/<int:pk>/comparisons/<int:row>/",
        views.comparison_save,
        name="comparison-save",
    ),
    path(
        "r/<slug:slug>/studies/<int:pk>/comparisons/<int:row>/delete/",
        views.comparison_delete,
        name="comparison-delete",
    ),
    # Exports and the forest plot (extraction/export_views.py).
    path("r/<slug:slug>/forest/", export_views.forest_page, name="forest"),
    path("r/<slug:slug>/extraction/export/", export_views.export_download, name="export"),
]
