from django.urls import path

from grade import views

app_name = "grade"

urlpatterns = [
    path("r/<slug:slug>/summary-of-findings/", views.table_page, name="table"),
    path("r/<slug:slug>/summary-of-findings/export.<str:fmt>", views.export, name="export"),
    path(
        "r/<slug:slug>/summary-of-findings/<int:pk>/",
        views.certainty_update,
        name="certainty",
    ),
]
