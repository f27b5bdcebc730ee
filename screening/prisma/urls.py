"""URLs of this feature; screening/urls.py gathers them under the "screening" namespace."""

from django.urls import path

from screening.prisma import views

urlpatterns = [
    path("r/<slug:slug>/prisma/", views.prisma_page, name="prisma"),
]
