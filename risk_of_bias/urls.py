from django.urls import path

from risk_of_bias import assess_views, views

app_name = "risk_of_bias"

urlpatterns = [
    path("r/<slug:slug>/risk-of-bias/", views.overview, name="overview"),
    path("r/<slug:slug>/risk-of-bias/settings/", views.settings_update, name="settings"),
    path(
        "r/<slug:slug>/risk-of-bias/plots/<str:kind>.<str:fmt>",
        views.plot,
        name="plot",
    ),
    path("r/<slug:slug>/risk-of-bias/export.<str:fmt>", views.export, name="export"),
    path("r/<slug:slug>/risk-of-bias/results/<int:pk>/", assess_views.result, name="result"),
    path(
        "r/<slug:slug>/risk-of-bias/results/<int:pk>/start/",
        assess_views.assess_start,
        name="start",
    ),
    path(
        "r/<slug:slug>/risk-of-bias/results/<int:pk>/assess/",
        assess_views.assess,
        name="assess",
    ),
    path(
        "r/<slug:slug>/risk-of-bias/results/<int:pk>/consensus/",
        assess_views.consensus,
        name="consensus",
    ),
]
