from django.urls import path

from meta_analysis import views

app_name = "meta_analysis"

urlpatterns = [
    path("r/<slug:slug>/meta-analysis/", views.analysis_list, name="list"),
    path("r/<slug:slug>/meta-analysis/export/", views.export, name="export"),
    path("r/<slug:slug>/meta-analysis/api/", views.api, name="api"),
    path("r/<slug:slug>/meta-analysis/<int:pk>/", views.analysis_detail, name="detail"),
    path(
        "r/<slug:slug>/meta-analysis/<int:pk>/left-out/",
        views.left_out_update,
        name="left-out",
    ),
    path(
        "r/<slug:slug>/meta-analysis/<int:pk>/delete/",
        views.analysis_delete_view,
        name="delete",
    ),
    path(
        "r/<slug:slug>/meta-analysis/<int:pk>/<str:kind>.<str:fmt>",
        views.plot,
        name="plot",
    ),
]
