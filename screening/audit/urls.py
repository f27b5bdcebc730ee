"""URLs of this feature; screening/urls.py gathers them under the "screening" namespace."""

from django.urls import path

from screening.audit import views

urlpatterns = [
    path("r/<slug:slug>/audit/", views.audit_log, name="audit-log"),
    path(
        "r/<slug:slug>/audit/receipt/",
        views.audit_receipt_download,
        name="audit-receipt",
    ),
]
