"""URLs of this feature; screening/urls.py gathers them under the "screening" namespace."""

from django.urls import path

from screening.stopping import views

urlpatterns = [
    path("r/<slug:slug>/stopping/draw/", views.stopping_draw_view, name="stopping-draw"),
    path("r/<slug:slug>/stopping/apply/", views.stopping_apply_view, name="stopping-apply"),
    path(
        "r/<slug:slug>/stopping/withdraw/",
        views.stopping_withdraw_view,
        name="stopping-withdraw",
    ),
]
