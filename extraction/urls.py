from django.urls import path

from .views import custom_fields, exports, grid, studies, study

app_name = "extraction"

urlpatterns: list = [
    # The studies page (views/studies.py) and a study's page (views/study.py).
    path("r/<slug:slug>/studies/", studies.study_list, name="study-list"),
    path("r/<slug:slug>/studies/new/", studies.study_create_view, name="study-create"),
    path("r/<slug:slug>/studies/link/", studies.report_link_view, name="report-link"),
    path("r/<slug:slug>/studies/confirm/", studies.suggestion_confirm, name="suggestion-confirm"),
    path("r/<slug:slug>/studies/<int:pk>/", study.study_detail, name="study-detail"),
    path(
        "r/<slug:slug>/studies/<int:pk>/custom/",
        custom_fields.study_custom_save,
        name="study-custom",
    ),
    # The review's custom fields (views/custom_fields.py).
    path("r/<slug:slug>/studies/fields/", custom_fields.custom_field_list, name="custom-fields"),
    path(
        "r/<slug:slug>/studies/fields/<int:pk>/",
        custom_fields.custom_field_edit,
        name="custom-field-edit",
    ),
    path(
        "r/<slug:slug>/studies/fields/<int:pk>/delete/",
        custom_fields.custom_field_delete_view,
        name="custom-field-delete",
    ),
    path("r/<slug:slug>/studies/<int:pk>/delete/", study.study_delete_view, name="study-delete"),
    path(
        "r/<slug:slug>/studies/<int:pk>/reports/<int:link>/<str:action>/",
        study.report_action,
        name="report-action",
    ),
    # The rows of a study's data grid (views/grid.py).
    path("r/<slug:slug>/studies/<int:pk>/arms/new/", grid.arm_save, name="arm-create"),
    path("r/<slug:slug>/studies/<int:pk>/arms/<int:row>/", grid.arm_save, name="arm-save"),
    path(
        "r/<slug:slug>/studies/<int:pk>/arms/<int:row>/delete/",
        grid.arm_delete,
        name="arm-delete",
    ),
    path("r/<slug:slug>/studies/<int:pk>/outcomes/new/", grid.outcome_save, name="outcome-create"),
    path(
        "r/<slug:slug>/studies/<int:pk>/outcomes/<int:row>/",
        grid.outcome_save,
        name="outcome-save",
    ),
    path(
        "r/<slug:slug>/studies/<int:pk>/outcomes/<int:row>/delete/",
        grid.outcome_delete,
        name="outcome-delete",
    ),
    path(
        "r/<slug:slug>/studies/<int:pk>/outcomes/<int:outcome>/arms/<int:arm>/",
        grid.result_save,
        name="result-save",
    ),
    path(
        "r/<slug:slug>/studies/<int:pk>/outcomes/<int:outcome>/arms/<int:arm>/delete/",
        grid.result_delete,
        name="result-delete",
    ),
    path(
        "r/<slug:slug>/studies/<int:pk>/outcomes/<int:outcome>/comparisons/new/",
        grid.comparison_save,
        name="comparison-create",
    ),
    path(
        "r/<slug:slug>/studies/<int:pk>/comparisons/<int:row>/",
        grid.comparison_save,
        name="comparison-save",
    ),
    path(
        "r/<slug:slug>/studies/<int:pk>/comparisons/<int:row>/delete/",
        grid.comparison_delete,
        name="comparison-delete",
    ),
    # Exports and the forest plot (views/exports.py).
    path("r/<slug:slug>/forest/", exports.forest_page, name="forest"),
    path("r/<slug:slug>/extraction/export/", exports.export_download, name="export"),
]
