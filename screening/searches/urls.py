"""URLs of this feature; screening/urls.py gathers them under the "screening" namespace."""

from django.urls import path

from screening.searches import views

urlpatterns = [
    path("r/<slug:slug>/searches/appendix/", views.search_appendix, name="search-appendix"),
    path("r/<slug:slug>/searches/prisma-s/", views.prisma_s_checklist, name="prisma-s"),
]
