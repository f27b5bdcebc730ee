"""URLs of this feature; screening/urls.py gathers them under the "screening" namespace."""

from django.urls import path

from screening.verification import views

urlpatterns = [
    path("r/<slug:slug>/exclusions/", views.exclusion_audit, name="exclusion-audit"),
    path(
        "r/<slug:slug>/exclusions/samples/",
        views.verification_draw_view,
        name="verification-draw",
    ),
    path(
        "r/<slug:slug>/exclusions/samples/<int:pk>/",
        views.verification_screen,
        name="verification-screen",
    ),
]
