"""The API's URLs, under /api/ (config/urls.py): the schema, and version 1 of the endpoints.

Django's LoginRequiredMiddleware would send a request without a session to the login page
before a view could read its token, so every view here is `login_not_required` for the
middleware: DRF's own authentication and its IsAuthenticated permission (settings
REST_FRAMEWORK) decide instead, answering 401 without a token or a session."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from api.views import exports, references, reports, reviews, screening

app_name = "api"


def _open(view_class):
    return login_not_required(view_class.as_view())


REVIEW = "v1/reviews/<slug:slug>/"

urlpatterns = [
    # The schema holds no data: readable without logging in (SPECTACULAR_SETTINGS).
    path("schema/", login_not_required(SpectacularAPIView.as_view()), name="schema"),
    path("v1/reviews/", _open(reviews.ReviewList), name="review-list"),
    path(REVIEW, _open(reviews.ReviewDetailView), name="review-detail"),
    path(f"{REVIEW}sources/", _open(reviews.SourceList), name="source-list"),
    path(f"{REVIEW}searches/", _open(reviews.SearchList), name="search-list"),
    path(f"{REVIEW}references/", _open(references.ReferenceList), name="reference-list"),
    path(
        f"{REVIEW}references/<int:pk>/",
        _open(references.ReferenceDetailView),
        name="reference-detail",
    ),
    path(f"{REVIEW}queue/", _open(screening.Queue), name="queue"),
    path(f"{REVIEW}decisions/", _open(screening.Decisions), name="decisions"),
    path(f"{REVIEW}prisma/", _open(reports.Prisma), name="prisma"),
    path(f"{REVIEW}extraction/rows/", _open(reports.ExtractionRows), name="extraction-rows"),
    path(
        f"{REVIEW}extraction/studies/",
        _open(reports.ExtractionStudies),
        name="extraction-studies",
    ),
    path(f"{REVIEW}exports/<str:name>/", _open(exports.Export), name="export"),
]
