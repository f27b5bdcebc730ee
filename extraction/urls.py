from django.urls import path

from .views import custom_fields, entries, exports, grid, studies, study

app_name = "extraction"

GRID = [
    ("arms/new/", grid.arm_save, "arm-create"),
    ("arms/<int:row>/", grid.arm_save, "arm-save"),
    ("arms/<int:row>/delete/", grid.arm_delete, "arm-delete"),
    ("outcomes/new/", grid.outcome_save, "outcome-create"),
    ("outcomes/<int:row>/", grid.outcome_save, "outcome-save"),
    ("outcomes/<int:row>/delete/", grid.outcome_delete, "outcome-delete"),
    ("outcomes/<int:outcome>/arms/<int:arm>/", grid.result_save, "result-save"),
    ("outcomes/<int:outcome>/arms/<int:arm>/delete/", grid.result_delete, "result-delete"),
    ("outcomes/<int:outcome>/comparisons/new/", grid.comparison_save, "comparison-create"),
    ("comparisons/<int:row>/", grid.comparison_save, "comparison-save"),
    ("comparisons/<int:row>/delete/", grid.comparison_delete, "comparison-delete"),
]

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
    # The rows of a study's data grid (views/grid.py): GRID below, for the consensus and for
    # an extractor's own entry.
    *(
        path(f"r/<slug:slug>/studies/<int:pk>/{route}", view, name=name)
        for route, view, name in GRID
    ),
    *(
        path(
            f"r/<slug:slug>/studies/<int:pk>/entries/<int:entry>/{route}",
            view,
            name=f"entry-{name}",
        )
        for route, view, name in GRID
    ),
    # Double extraction: entries, their comparison and the consensus (views/entries.py).
    path("r/<slug:slug>/studies/settings/", entries.settings_update, name="settings"),
    path(
        "r/<slug:slug>/studies/<int:pk>/entries/start/",
        entries.entry_start_view,
        name="entry-start",
    ),
    path("r/<slug:slug>/studies/<int:pk>/entries/<int:entry>/", entries.entry_page, name="entry"),
    path(
        "r/<slug:slug>/studies/<int:pk>/entries/<int:entry>/submit/",
        entries.entry_submit_view,
        name="entry-submit",
    ),
    path("r/<slug:slug>/studies/<int:pk>/compare/", entries.compare_page, name="compare"),
    # Exports and the forest plot (views/exports.py).
    path("r/<slug:slug>/forest/", exports.forest_page, name="forest"),
    path("r/<slug:slug>/extraction/export/", exports.export_download, name="export"),
]
