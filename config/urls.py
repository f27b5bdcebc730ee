from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from screening.reviews.accounts import ThrottledPasswordResetView

urlpatterns = [
    # Before Django's own: the same page, counted (screening/reviews/accounts.py).
    path(
        "accounts/password_reset/",
        ThrottledPasswordResetView.as_view(),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("", include("screening.urls")),
    path("", include("extraction.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.STATIC_URL, document_root=settings.STATIC_ROOT)
